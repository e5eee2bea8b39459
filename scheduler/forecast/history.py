"""History preparation: the contact history of each queue as a day × interval matrix.

Missing intervals are *closed* (no row = no service), days without any row are *unobserved*
(closed or a data gap). Timestamps are local wall-clock; history off the interval grid is
aggregated (and a warning says so); DST transition days of the scenario's zone are marked so
that they do not shape intraday profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import ForecastError

MINUTES_PER_DAY = 1440


@dataclass
class QueueHistory:
    """History of one queue on the forecast grid.

    ``volume[d, i]``: contacts in interval ``i`` of day ``days[d]``; NaN where the history has no
    row (closed interval, or the whole day unobserved).
    """

    queue: str
    days: pd.DatetimeIndex
    volume: np.ndarray
    interval_min: int
    dst_day: np.ndarray | None = field(default=None)  # bool per day: a DST transition day

    def __post_init__(self) -> None:
        if self.dst_day is None:
            self.dst_day = np.zeros(len(self.days), dtype=bool)
        self.present = ~np.isnan(self.volume)
        self.observed = self.present.any(axis=1)
        self.filled = np.nan_to_num(self.volume, nan=0.0)
        totals = self.filled.sum(axis=1)
        self.totals = np.where(self.observed, totals, np.nan)

    @property
    def intervals_per_day(self) -> int:
        return MINUTES_PER_DAY // self.interval_min

    def index_of(self, day: pd.Timestamp) -> int:
        """Position of ``day`` in :attr:`days` (may be negative or past the end)."""
        return int((pd.Timestamp(day).normalize() - self.days[0]).days)


def to_timestamp(value: object, what: str) -> pd.Timestamp:
    """A date-like value (date, 'YYYY-MM-DD', Timestamp) as a midnight Timestamp."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ForecastError(f"{what}: {value!r} is not a date; expected 'YYYY-MM-DD'") from None
    if ts is pd.NaT:
        raise ForecastError(f"{what}: {value!r} is not a date; expected 'YYYY-MM-DD'")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def check_history_frame(history: pd.DataFrame) -> pd.DataFrame:
    """The columns run_forecast needs, typed; a clear error otherwise (frames from read_history pass)."""
    if not isinstance(history, pd.DataFrame):
        raise ForecastError(f"history must be a DataFrame (from scheduler.io.tables.read_history), got {type(history).__name__}")
    missing = [c for c in (C.DS, C.VOLUME) if c not in history.columns]
    if missing:
        raise ForecastError(
            f"history frame lacks column(s) {', '.join(map(repr, missing))}; has {', '.join(map(str, history.columns))}"
        )
    frame = history[[c for c in (C.DS, C.QUEUE, C.VOLUME) if c in history.columns]].copy()
    if C.QUEUE not in frame.columns:
        frame[C.QUEUE] = "all"
    frame[C.QUEUE] = frame[C.QUEUE].astype(str)
    if not pd.api.types.is_datetime64_any_dtype(frame[C.DS]):
        try:
            frame[C.DS] = pd.to_datetime(frame[C.DS])
        except (TypeError, ValueError):
            raise ForecastError("history column 'ds' holds values that are not timestamps") from None
    if getattr(frame[C.DS].dt, "tz", None) is not None:
        frame[C.DS] = frame[C.DS].dt.tz_localize(None)
    vol = pd.to_numeric(frame[C.VOLUME], errors="coerce").astype(float)
    bad = vol.isna() | ~np.isfinite(vol) | (vol < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        r = frame.iloc[i]
        raise ForecastError(
            f"history: queue {r[C.QUEUE]!r} at {r[C.DS]}: volume {history[C.VOLUME].iloc[i]!r} is not a number >= 0 "
            f"({int(bad.sum())} such rows)"
        )
    frame[C.VOLUME] = vol
    if frame[C.DS].isna().any():
        i = int(np.flatnonzero(frame[C.DS].isna().to_numpy())[0])
        raise ForecastError(f"history: row {i} has no timestamp in column 'ds'")
    return frame


def native_interval_min(ds: pd.Series, queue: pd.Series | None = None) -> int:
    """Grid of the timestamps in minutes: the most common step between consecutive timestamps of a
    queue, if every timestamp lies on that grid from midnight (1440 = daily data); 0 otherwise
    (irregular records, seconds, or a grid offset from midnight)."""
    if len(ds) == 0:
        return MINUTES_PER_DAY
    if (ds.dt.second != 0).any() or (ds.dt.microsecond != 0).any():
        return 0
    minutes = (ds.dt.hour * 60 + ds.dt.minute).to_numpy()
    if not minutes.any():
        return MINUTES_PER_DAY
    order = np.lexsort((ds.to_numpy(), queue.to_numpy() if queue is not None else np.zeros(len(ds))))
    t = ds.to_numpy()[order].astype("datetime64[m]").astype(np.int64)
    same = (queue.to_numpy()[order][1:] == queue.to_numpy()[order][:-1]) if queue is not None else np.ones(len(t) - 1, bool)
    diffs = np.diff(t)[same]
    diffs = diffs[(diffs > 0) & (diffs < MINUTES_PER_DAY)]
    if len(diffs) == 0:
        return int(np.gcd.reduce(np.append(np.unique(minutes), MINUTES_PER_DAY)))
    vals, counts = np.unique(diffs, return_counts=True)
    step = int(vals[np.argmax(counts)])
    if MINUTES_PER_DAY % step or np.any(minutes % step):
        return 0
    return step


def choose_interval(native: int, interval_min: int | None, warnings: list[str]) -> int:
    """The forecast interval: the requested one (checked), or the data's native interval."""
    if interval_min is None:
        if native >= 5 and MINUTES_PER_DAY % native == 0:
            return native
        warnings.append("history timestamps are not on a regular grid of 5 minutes or more: aggregated to 15-minute intervals")
        return 15
    if not isinstance(interval_min, (int, np.integer)) or interval_min <= 0 or MINUTES_PER_DAY % interval_min:
        raise ForecastError(f"interval_min {interval_min!r} does not divide a day; expected e.g. 5, 15, 30, 60 or 1440")
    if native == MINUTES_PER_DAY and interval_min < MINUTES_PER_DAY:
        raise ForecastError(
            f"the history holds daily totals (every timestamp at 00:00): it cannot give a {interval_min}-minute "
            "forecast; use interval_min=1440 or give interval history"
        )
    return int(interval_min)


def dst_flags(days: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """True for days on which the zone's UTC offset changes (23- or 25-hour days)."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ForecastError(f"unknown time zone {timezone!r}; expected an IANA name such as 'Asia/Shanghai'") from None
    if len(days) == 0:
        return np.zeros(0, dtype=bool)
    first = days[0].to_pydatetime()
    offsets = []
    for k in range(len(days) + 1):
        offsets.append(datetime.combine(first.date() + timedelta(days=k), datetime.min.time(), tz).utcoffset())
    off = np.array([o.total_seconds() for o in offsets])
    return off[1:] != off[:-1]


def dst_interval_factor(day: pd.Timestamp, interval_min: int, timezone: str) -> np.ndarray | None:
    """Per interval of a wall-clock day: 0 where the wall time does not exist (spring forward),
    2 where it occurs twice (fall back), 1 otherwise. None on ordinary days."""
    tz = ZoneInfo(timezone)
    d0 = datetime.combine(day.date(), datetime.min.time(), tz)
    d1 = datetime.combine(day.date() + timedelta(days=1), datetime.min.time(), tz)
    if d0.utcoffset() == d1.utcoffset():
        return None
    n = MINUTES_PER_DAY // interval_min
    factor = np.ones(n)
    for i in range(n):
        wall = d0.replace(tzinfo=None) + timedelta(minutes=i * interval_min)
        a = wall.replace(tzinfo=tz, fold=0)
        b = wall.replace(tzinfo=tz, fold=1)
        # a wall time that does not exist round-trips to another wall time
        roundtrip = a.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
        if roundtrip != wall:
            factor[i] = 0.0
        elif a.utcoffset() != b.utcoffset():
            factor[i] = 2.0
    return factor


def prepare_history(
    history: pd.DataFrame,
    *,
    start: pd.Timestamp,
    interval_min: int | None,
    timezone: str,
    history_days: int | None = None,
    warnings: list[str],
) -> tuple[dict[str, QueueHistory], int]:
    """Queue histories on the forecast grid, using only history before ``start``.

    Returns (queue -> QueueHistory, interval_min used).
    """
    frame = check_history_frame(history)
    frame = frame[frame[C.DS] < start]
    if frame.empty:
        raise ForecastError(f"history has no rows before the forecast start {start.date()}")
    last = frame[C.DS].max()
    if history_days is not None:
        frame = frame[frame[C.DS] >= start - pd.Timedelta(days=int(history_days))]
    if frame.empty:
        raise ForecastError(
            f"history has no rows in the {int(history_days)} days before the forecast start {start.date()} "
            f"(forecast.history_days); it ends on {last.date()}: move the horizon, give more recent history, or "
            "raise forecast.history_days")
    native = native_interval_min(frame[C.DS], frame[C.QUEUE])
    interval = choose_interval(native, interval_min, warnings)
    minute = (frame[C.DS].dt.hour * 60 + frame[C.DS].dt.minute).to_numpy()
    vol = frame[C.VOLUME].to_numpy(dtype=float)
    day = frame[C.DS].dt.normalize()
    if native and native > interval and native % interval == 0:
        # coarser history than asked: spread each interval evenly over its sub-intervals
        k = native // interval
        warnings.append(
            f"history is at {native}-minute intervals: each was split evenly into {k} intervals of {interval} minutes"
        )
        minute = (minute[:, None] + interval * np.arange(k)[None, :]).ravel()
        vol = np.repeat(vol / k, k)
        day = pd.Series(np.repeat(day.to_numpy(), k))
        queue = np.repeat(frame[C.QUEUE].to_numpy(), k)
    else:
        queue = frame[C.QUEUE].to_numpy()
        if native == 0 or interval % native:
            off = int(np.count_nonzero((minute % interval) != 0) + np.count_nonzero(frame[C.DS].dt.second.to_numpy()))
            warnings.append(
                f"history is not on the {interval}-minute grid ({off} of {len(frame)} rows off it): "
                f"aggregated into the {interval}-minute interval each falls in"
            )
        elif native < interval:
            warnings.append(f"history at {native}-minute intervals aggregated to {interval}-minute intervals")
    slot = minute // interval
    day = pd.DatetimeIndex(day)
    out: dict[str, QueueHistory] = {}
    n_int = MINUTES_PER_DAY // interval
    last_day = start - pd.Timedelta(days=1)
    for q in sorted(pd.unique(queue)):
        sel = queue == q
        d_q = day[sel]
        first = d_q.min()
        days = pd.date_range(first, last_day, freq="D")
        di = ((d_q - first).days).to_numpy()
        mat = np.zeros((len(days), n_int))
        cnt = np.zeros((len(days), n_int))
        np.add.at(mat, (di, slot[sel]), vol[sel])
        np.add.at(cnt, (di, slot[sel]), 1.0)
        mat[cnt == 0] = np.nan
        out[str(q)] = QueueHistory(str(q), days, mat, interval, dst_flags(days, timezone))
    return out, interval


def open_interval_mask(open_hours: tuple[int, int] | None, interval_min: int) -> np.ndarray:
    """Boolean per interval of the day: open according to (open_min, close_min); close may pass 1440."""
    n = MINUTES_PER_DAY // interval_min
    if open_hours is None:
        return np.ones(n, dtype=bool)
    a, b = int(open_hours[0]), int(open_hours[1])
    starts = np.arange(n) * interval_min
    if b - a >= MINUTES_PER_DAY:
        return np.ones(n, dtype=bool)
    if b <= MINUTES_PER_DAY:
        mask = (starts >= a) & (starts < b)
    else:
        mask = (starts >= a) | (starts < b - MINUTES_PER_DAY)
    if interval_min == MINUTES_PER_DAY:
        return np.ones(1, dtype=bool)
    return mask


__all__ = [
    "QueueHistory", "prepare_history", "open_interval_mask", "dst_interval_factor",
    "to_timestamp", "MINUTES_PER_DAY",
]
