"""The promotion/holiday calendar as named daily regressors and intraday day types.

Each calendar row is an *occurrence* of an event; occurrences of the same event in different
years share a *key* (the name without a year: ``double11_2025`` -> ``double11``). Effects are
learned per key and, shared across keys, per kind (the kind-level columns pool every
occurrence, so an event seen once borrows strength from the others).

Promotions are aligned on their peak day (``peak``, or ``end`` when no peak is given) and
split in phases, each a named column: the pre-sale ramp (days before the peak, binned), the
pre-sale launch day, the peak, and the after-sales tail (days after the peak, binned out to
``TAIL_DAYS`` after the end). Holidays (kinds holiday, logistics_stop, event) get the eve, the
first day, the middle days, the last day and the days after (rebound). Closures are days the
centre is shut: no forecast, not used for fitting, and their after-days get rebound columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import ForecastError

TAIL_DAYS = 21
PROMO_KIND = "promotion"
HOLIDAY_KINDS = ("holiday", "logistics_stop", "event", "closure")

_PRE_BINS = [(-1, -1), (-2, -2), (-3, -3), (-7, -4), (-14, -8), (-21, -15), (-28, -22), (-42, -29), (-56, -43)]
_POST_BINS = [(1, 1), (2, 2), (3, 3), (4, 7), (8, 14), (15, 21), (22, 28), (29, 42), (43, 56), (57, 84)]
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


def event_key(name: str) -> str:
    """The name of an event without a year: ``'Double11 2025'`` -> ``'double11'``."""
    k = _YEAR.sub("", str(name).lower())
    k = re.sub(r"[\s_\-/.]+", "_", k).strip("_")
    return k or str(name).lower().strip()


@dataclass(frozen=True)
class Event:
    """One calendar row."""

    name: str
    key: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    peak: pd.Timestamp | None
    uplift: float | None
    row: int

    @property
    def is_promotion(self) -> bool:
        return self.kind == PROMO_KIND or (self.kind == "event" and self.peak is not None)

    @property
    def anchor(self) -> pd.Timestamp:
        """Peak day (promotions): the given peak, else the last day."""
        return self.peak if self.peak is not None else self.end

    @property
    def family(self) -> str:
        """Column prefix shared by the events pooled at kind level."""
        return "promo" if self.is_promotion else self.kind

    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day on which the event has an effect column."""
        if self.is_promotion:
            last_r = max(int((self.end - self.anchor).days), 0) + TAIL_DAYS
            return self.start, self.anchor + pd.Timedelta(days=last_r)
        return self.start - pd.Timedelta(days=1), self.end + pd.Timedelta(days=7)

    def shape(self) -> tuple[int, int]:
        """(days from start to peak, days from peak to end): used to find the nearest seen event."""
        return int((self.anchor - self.start).days), int((self.end - self.anchor).days)


def read_events(calendar: pd.DataFrame | None) -> list[Event]:
    """Events from a frame as returned by ``read_calendar`` (None -> no events)."""
    if calendar is None:
        return []
    if not isinstance(calendar, pd.DataFrame):
        raise ForecastError(f"calendar must be a DataFrame (from scheduler.io.tables.read_calendar), got {type(calendar).__name__}")
    missing = [c for c in C.CALENDAR_COLUMNS if c not in calendar.columns]
    if missing:
        raise ForecastError(f"calendar frame lacks column(s) {', '.join(map(repr, missing))}")
    events = []
    for i, r in enumerate(calendar.itertuples(index=False)):
        row = r._asdict()
        kind = str(row[C.KIND]).strip().lower()
        if kind not in C.CALENDAR_KINDS:
            raise ForecastError(f"calendar row {i + 2}, column 'kind': unknown kind {row[C.KIND]!r}; expected {' | '.join(C.CALENDAR_KINDS)}")
        try:
            start = pd.Timestamp(row[C.START]).normalize()
            end = pd.Timestamp(row[C.END]).normalize()
        except (TypeError, ValueError):
            raise ForecastError(f"calendar row {i + 2}: start/end are not dates ({row[C.START]!r}, {row[C.END]!r})") from None
        if start is pd.NaT or end is pd.NaT or end < start:
            raise ForecastError(f"calendar row {i + 2}: needs start <= end (got {row[C.START]!r} .. {row[C.END]!r})")
        peak = row.get(C.PEAK)
        peak = None if peak is None or pd.isna(peak) else pd.Timestamp(peak).normalize()
        uplift = row.get(C.UPLIFT)
        uplift = None if uplift is None or pd.isna(uplift) else float(uplift)
        name = str(row[C.NAME]).strip()
        events.append(Event(name, event_key(name), kind, start, end, peak, uplift, i + 2))
    return events


def uplift_problems(uplift: dict[str, float], events: list[Event], calendar: str | None) -> dict[str, str]:
    """Key -> why, for each key of ``forecast.uplift`` that names no calendar event. An override is
    looked up by an event's name or key (``LevelFit._override``): any other key would change nothing.
    ``calendar``: the calendar's file for the message ("" when unnamed, None when no calendar is given)."""
    import difflib

    known = {ev.name for ev in events} | {ev.key for ev in events}
    kinds: dict[str, str] = {}
    for ev in sorted(events, key=lambda e: not e.is_promotion):   # promotions first, each in calendar order
        kinds.setdefault(ev.name, "promotion" if ev.is_promotion else ev.kind)
    listed = ", ".join(f"{n} ({k})" for n, k in kinds.items())
    the_calendar = f"the calendar {calendar}" if calendar else "the calendar"
    out = {}
    for key, value in uplift.items():
        if key in known:
            continue
        if not events:
            why = "no calendar is given" if calendar is None else f"{the_calendar} has no events"
            out[key] = (f"no event named {key!r}: {why} (got {value:g}); expected a calendar (data.calendar) "
                        "listing the event, or no uplift")
            continue
        near = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ";"
        out[key] = f"no event named {key!r} in {the_calendar} (got {value:g}){hint} expected an event's name: {listed}"
    return out


def _bin_label(r: int, bins: list[tuple[int, int]], prefix: str) -> str | None:
    for lo, hi in bins:
        if min(lo, hi) <= r <= max(lo, hi):
            return f"{prefix}{abs(lo)}" if lo == hi else f"{prefix}{abs(lo)}_{abs(hi)}"
    return None


def event_day_bins(ev: Event, days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Bin label -> boolean mask over ``days`` for one occurrence."""
    out: dict[str, np.ndarray] = {}
    first, last = ev.window()
    sel = np.flatnonzero((days >= first) & (days <= last))
    if len(sel) == 0:
        return out
    n = len(days)

    def put(label: str, i: int) -> None:
        out.setdefault(label, np.zeros(n, dtype=bool))[i] = True

    if ev.is_promotion:
        rel = (days[sel] - ev.anchor).days.to_numpy()
        far_pre = _PRE_BINS[-1][0]
        for i, r in zip(sel, rel):
            if r == 0:
                put("peak", i)
            elif r < 0:
                put(_bin_label(r, _PRE_BINS, "pre") or f"pre{abs(far_pre)}+", i)
            else:
                put(_bin_label(r, _POST_BINS, "post") or "post_far", i)
        launch = ev.start
        if launch < ev.anchor - pd.Timedelta(days=3):
            j = np.flatnonzero(days == launch)
            if len(j):
                put("launch", int(j[0]))
        return out
    rel_start = (days[sel] - ev.start).days.to_numpy()
    rel_end = (days[sel] - ev.end).days.to_numpy()
    single = ev.start == ev.end
    for i, rs, re_ in zip(sel, rel_start, rel_end):
        if rs == -1:
            put("eve", i)
        elif rs == 0:
            put("first", i)
        elif re_ == 0 and not single:
            put("last", i)
        elif rs > 0 and re_ < 0:
            put("during", i)
        elif re_ == 1:
            put("after1", i)
        elif 2 <= re_ <= 3:
            put("after2_3", i)
        elif 4 <= re_ <= 7:
            put("after4_7", i)
    return out


def key_column(ev: Event, label: str, key: str | None = None) -> str:
    return f"{ev.family}[{key or ev.key}]:{label}"


def kind_column(ev: Event, label: str) -> str:
    return f"{ev.family}[*]:{label}"


def closed_days(events: list[Event], days: pd.DatetimeIndex) -> np.ndarray:
    """True on days inside a closure event."""
    out = np.zeros(len(days), dtype=bool)
    for ev in events:
        if ev.kind == "closure":
            out |= (days >= ev.start) & (days <= ev.end)
    return out


def occurrence_features(ev: Event, days: pd.DatetimeIndex, alias: str | None = None) -> dict[str, np.ndarray]:
    """Named 0/1 columns of one occurrence over ``days`` (kind-level and key-level).

    ``alias``: use another key's columns (an unseen event borrowing a seen one's effects).
    Closure days themselves carry no columns (they are not fitted).
    """
    cols: dict[str, np.ndarray] = {}
    for label, mask in event_day_bins(ev, days).items():
        if ev.kind == "closure" and label in ("first", "during", "last"):
            continue
        for name in (kind_column(ev, label), key_column(ev, label, alias)):
            cols[name] = cols.get(name, 0) + mask.astype(float)
    return cols


def calendar_features(
    events: list[Event], days: pd.DatetimeIndex, aliases: dict[str, str] | None = None
) -> pd.DataFrame:
    """Days × named calendar columns (sums over occurrences)."""
    aliases = aliases or {}
    cols: dict[str, np.ndarray] = {}
    for ev in events:
        for name, v in occurrence_features(ev, days, aliases.get(ev.key)).items():
            cols[name] = cols.get(name, 0) + v
    frame = pd.DataFrame(cols, index=days) if cols else pd.DataFrame(index=days)
    return frame.reindex(sorted(frame.columns), axis=1)


def day_types(events: list[Event], days: pd.DatetimeIndex) -> list[tuple]:
    """Intraday day type of each day: ('closed',), ('promo', key, phase), ('holiday', key, 'day')
    or ('dow', weekday). Phases: 'peak', 'eve' (day before the peak), 'ramp', 'tail' (7 days after)."""
    n = len(days)
    rank = np.zeros(n, dtype=int)
    types: list[tuple] = [("dow", int(d.day_of_week)) for d in days]
    for ev in events:
        in_ev = (days >= ev.start) & (days <= ev.end)
        if ev.kind == "closure":
            for i in np.flatnonzero(in_ev):
                types[i], rank[i] = ("closed",), 9
            continue
        if ev.is_promotion:
            rel = (days - ev.anchor).days.to_numpy()
            for i in np.flatnonzero((rel >= -60) & (rel <= 7)):
                r = rel[i]
                if r == 0:
                    t, k = ("promo", ev.key, "peak"), 5
                elif r == -1:
                    t, k = ("promo", ev.key, "eve"), 5
                elif r < 0 and days[i] >= ev.start:
                    t, k = ("promo", ev.key, "ramp"), 3
                elif r > 0:
                    t, k = ("promo", ev.key, "tail"), 2
                else:
                    continue
                if k > rank[i]:
                    types[i], rank[i] = t, k
        else:
            for i in np.flatnonzero(in_ev):
                if 4 > rank[i]:
                    types[i], rank[i] = ("holiday", ev.key, "day"), 4
    return types


def reopening_weekday(open_dows: list[int]) -> int | None:
    """The open weekday that follows the longest run of weekly closed weekdays (Monday when
    Saturday and Sunday are closed); None when every weekday is open."""
    if not open_dows or len(open_dows) == 7:
        return None
    best, best_len = None, -1
    for d in open_dows:
        run = 0
        while (d - run - 1) % 7 not in open_dows and run < 7:
            run += 1
        if run > best_len:
            best, best_len = d, run
    return best


def reopening_days(events: list[Event], days: pd.DatetimeIndex, open_dows: list[int]) -> dict[pd.Timestamp, int]:
    """Days treated as the week's reopening weekday: the first open day after a closure when the
    queue also closes weekly (the day after a bank holiday behaves like a Monday). Day -> weekday."""
    first = reopening_weekday(open_dows)
    if first is None or len(days) == 0:
        return {}
    closed = closed_days(events, days)
    out: dict[pd.Timestamp, int] = {}
    open_set = set(open_dows)
    for i in np.flatnonzero(closed):
        j = i + 1
        while j < len(days) and (closed[j] or int(days[j].day_of_week) not in open_set):
            j += 1
        if j < len(days) and int(days[j].day_of_week) != first:
            out[days[j]] = first
    return out


def weekday_map(events: list[Event], days: pd.DatetimeIndex, open_dows: list[int],
                quietest: int | None) -> dict[pd.Timestamp, int]:
    """Days whose level (and intraday profile) is modelled as another weekday's:

    - the first and last day of a holiday (kind ``holiday``) as the week's quietest open weekday
      (a holiday is like the weekly rest day; its learned columns correct the rest) — so a holiday
      that falls on a weekend is not cut twice; intermediate days and eves keep their weekday;
    - the first open day after a closure, in a queue that also closes weekly, as the reopening
      weekday (the day after a bank holiday behaves like a Monday).
    """
    out = reopening_days(events, days, open_dows)
    if quietest is None or len(days) == 0:
        return out
    for ev in events:
        if ev.kind != "holiday":
            continue
        for d in (ev.start, ev.end):   # the intermediate days keep their weekday
            if days[0] <= d <= days[-1]:
                out[d] = quietest
    return out
