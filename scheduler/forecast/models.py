"""The forecast models of one queue at one forecast origin.

- ``seasonal_naive``: each interval as on the same weekday one week (or k weeks) earlier — the
  baseline every report shows; knows nothing of the calendar.
- ``calendar_regression``: daily level from :class:`CalendarRegression` (trend, weekly pattern,
  yearly season, holiday and promotion phases), spread over the day by intraday profiles.
- ``ets``: damped-trend Holt-Winters (statsmodels) on the log of the calendar-adjusted daily
  series (history divided by the regression's calendar effects; gaps, outliers and closures
  filled with the regression's calendar-free level); its forecast is multiplied back by the
  calendar effects of the horizon (ETS itself takes no regressors); back-transformed with an
  in-sample bias factor (exp of a mean log is below the mean).
- ``combined``: the mean of the two daily forecasts above.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.errors import ForecastError
from scheduler.forecast.calendar import (
    Event, calendar_features, closed_days, occurrence_features, weekday_map,
)
from scheduler.forecast.history import QueueHistory
from scheduler.forecast.regression import CalendarRegression, RegressionSpec, check_regressors

EXOG_PREFIX = "x:"      # external regressor columns inside the model (kept apart from structural names)
MODEL_NAMES = ("seasonal_naive", "ets", "calendar_regression", "combined")
YEARLY_MIN_DAYS = 365
MIN_TREND_DAYS = 56         # a slope fitted on fewer days is noise, extrapolated
YEARLY_SEASON_DAYS = 730   # a yearly season seen only once cannot be told from trend and events
OPEN_DOW_WEEKS = 8


def open_weekdays(qh: QueueHistory, origin: int) -> list[int]:
    """Weekdays on which the queue was open in the last weeks before ``origin`` (index into days):
    observed with volume on at least a quarter of them. A weekday the history does not reach at
    all (less than a week of it) counts as open: nothing says it is closed."""
    lo = max(0, origin - 7 * OPEN_DOW_WEEKS)
    days = qh.days[lo:origin]
    tot = np.nan_to_num(qh.totals[lo:origin])
    obs = qh.observed[lo:origin] & (tot > 0)
    out = []
    for d in range(7):
        sel = days.day_of_week == d
        if not sel.any() or obs[sel].sum() >= max(1, 0.25 * sel.sum()):
            out.append(d)
    if not out:  # nothing recent: fall back to the whole history
        obs_all = qh.observed[:origin] & (np.nan_to_num(qh.totals[:origin]) > 0)
        out = sorted(set(qh.days[:origin][obs_all].day_of_week))
    return out


def quietest_weekday(y: pd.Series, open_dows: list[int]) -> int | None:
    """The open weekday with the lowest median volume (None with fewer than 2 open weekdays)."""
    if len(open_dows) < 2:
        return None
    med = y.groupby(y.index.day_of_week).median()
    med = med[med.index.isin(open_dows)].dropna()
    return int(med.idxmin()) if len(med) else None


@dataclass
class LevelFit:
    """The calendar regression fitted on a queue's daily totals before an origin."""

    qh: QueueHistory
    origin: int
    events: list[Event]
    model: CalendarRegression
    uplift: dict[str, float]
    open_dows: list[int]
    aliases: dict[str, str] = field(default_factory=dict)
    unseen: dict[str, str] = field(default_factory=dict)   # key -> how it is handled
    exog: pd.DataFrame | None = None

    def exog_effect(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Log-scale effect of the external regressors (their dates must cover ``days``)."""
        names = [c for c in self.model.regressor_names if c.startswith(EXOG_PREFIX)]
        if not names:
            return np.zeros(len(days))
        raw = [c[len(EXOG_PREFIX):] for c in names]
        origin_day = self.qh.days[0] + pd.Timedelta(days=self.origin)
        past, future = days[days < origin_day], days[days >= origin_day]
        # history days were checked at fit (observed ones); the horizon must be covered in full
        x_past = self.exog.reindex(past)[raw].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=float)
        x_future = check_regressors(self.exog, raw, future, f"queue {self.qh.queue!r}: regressors").to_numpy()
        x = pd.DataFrame(np.vstack([x_past.reshape(-1, len(raw)), x_future.reshape(-1, len(raw))]), columns=names)
        return self.model.effect(names, x)

    # -- calendar ------------------------------------------------------------------------------
    def _coef(self, name: str) -> float:
        return self.model.coefficient(name) if name in self.model.regressor_names else 0.0

    def _occurrence_effect(self, ev: Event, days: pd.DatetimeIndex) -> np.ndarray:
        cols = occurrence_features(ev, days, self.aliases.get(ev.key))
        eff = np.zeros(len(days))
        for name, v in cols.items():
            eff += v * self._coef(name)
        return eff

    def _override(self, ev: Event) -> float | None:
        """The peak multiplier a planner set: the scenario's ``forecast.uplift`` (by name or key),
        else the calendar row's ``uplift``; None = the learned effect."""
        for k in (ev.name, ev.key):
            if k in self.uplift:
                return self.uplift[k]
        return ev.uplift

    def learned_peak(self, ev: Event) -> float:
        """The learned multiplier of the event's peak (first day for holidays), before overrides."""
        day = pd.DatetimeIndex([ev.anchor if ev.is_promotion else ev.start])
        return float(np.exp(self._occurrence_effect(ev, day)[0]))

    def calendar_effect(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Log-scale calendar effect per day (learned, or scaled to an uplift override)."""
        eff = np.zeros(len(days))
        if len(days) == 0:
            return eff
        lo, hi = days[0], days[-1]
        for ev in self.events:
            first, last = ev.window()
            if last < lo or first > hi:
                continue
            e = self._occurrence_effect(ev, days)
            u = self._override(ev)
            if u is not None:
                peak = float(np.log(self.learned_peak(ev)))
                if peak > np.log(1.05):
                    e = e * (np.log(u) / peak)
                else:
                    e = np.where((days >= ev.start) & (days <= ev.end), np.log(u), 0.0)
            eff += e
        return eff + self.reopening_effect(days) + self.exog_effect(days)

    def reopening_effect(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Log-level change of days modelled as the week's reopening weekday (after a closure)."""
        m = self.model
        if not m.dow_map or not m.spec.weekly:
            return np.zeros(len(days))
        coef = {d: (m.beta[m.columns.index(f"dow[{d}]")] if f"dow[{d}]" in m.columns else 0.0) for d in range(7)}
        plain = days.day_of_week.to_numpy()
        mapped = m.weekdays(days)
        return np.array([coef[b] - coef[a] for a, b in zip(plain, mapped)])

    def structural(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Log level without calendar effects (each day as its own weekday)."""
        m = self.model
        names, S = m._structural(days, use_map=False)
        return S @ m.beta[: len(names)]

    def predict(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Expected daily totals."""
        return np.exp(self.structural(days) + self.calendar_effect(days))

    @property
    def outlier_mask(self) -> np.ndarray:
        """Per training day (index < origin): flagged as an outlier."""
        return self.qh.days[: self.origin].isin(self.model.outliers)


def _nearest(ev: Event, seen: list[Event]) -> Event | None:
    if not seen:
        return None
    pre, post = ev.shape()
    doy = ev.anchor.day_of_year

    def dist(s: Event) -> tuple:
        p2, q2 = s.shape()
        dd = abs(s.anchor.day_of_year - doy)
        return (abs(pre - p2) + abs(post - q2) + 0.05 * min(dd, 366 - dd), s.key)

    return min(seen, key=dist)


def fit_level(
    qh: QueueHistory,
    origin: int,
    events: list[Event],
    *,
    horizon: pd.DatetimeIndex,
    uplift: dict[str, float] | None = None,
    notes: list[str] | None = None,
    exog: pd.DataFrame | None = None,
) -> LevelFit:
    """Fit the calendar regression on days before ``origin`` and resolve the horizon's unseen events.

    ``notes`` receives user-facing warnings (short history, unseen promotions, outliers);
    ``exog``: external regressors, a frame indexed by date with one named column each, covering
    the observed training days and the horizon (checked by name and date).
    """
    notes = notes if notes is not None else []
    days = qh.days[:origin]
    y = pd.Series(qh.totals[:origin], index=days)
    closed = closed_days(events, days)
    obs = y.notna().to_numpy() & ~closed
    if not obs.any():
        raise ForecastError(f"queue {qh.queue!r}: no observed day before {horizon[0].date()}")
    span = int((days[obs][-1] - days[obs][0]).days) + 1
    fourier = 4 if span >= YEARLY_SEASON_DAYS else 0
    if span < YEARLY_MIN_DAYS:
        notes.append(
            f"queue {qh.queue!r}: only {span} days of history (< 1 year): no yearly season; "
            "calendar effects are learned only from the events inside the history"
        )
    elif not fourier:
        notes.append(
            f"queue {qh.queue!r}: {span} days of history (< 2 years): the yearly season is seen only once and is "
            "not modelled (trend, weekly pattern and calendar effects are)"
        )
    spec = RegressionSpec(weekly=qh.interval_min <= 1440, fourier_k=fourier, trend=span >= MIN_TREND_DAYS)
    feats = calendar_features(events, days)
    if exog is not None and len(exog.columns):
        x = check_regressors(exog, [str(c) for c in exog.columns], days[obs], f"queue {qh.queue!r}: regressors")
        feats = feats.join(x.reindex(days).fillna(0.0).add_prefix(EXOG_PREFIX))
    weight = pd.Series(obs.astype(float), index=days)
    open_dows = open_weekdays(qh, origin)
    model = CalendarRegression(spec)
    span_days = pd.date_range(days[0], max(horizon[-1], days[-1]), freq="D")
    model.dow_map = weekday_map(events, span_days, open_dows, quietest_weekday(y.where(obs), open_dows))
    model.fit(y.where(obs), feats, weight=weight)
    fit = LevelFit(qh, origin, events, model, dict(uplift or {}), open_dows, exog=exog)
    # events of the horizon never seen in the training data
    seen_cols = model.observed_columns(feats, obs & ~days.isin(model.outliers)) if len(feats.columns) else set()
    seen_events = [ev for ev in events if _peak_column(ev) in seen_cols]
    seen_keys = {ev.key for ev in seen_events}
    h_first, h_last = horizon[0], horizon[-1]
    for ev in events:
        first, last = ev.window()
        if last < h_first or first > h_last or ev.key in seen_keys or ev.key in fit.unseen or ev.kind == "closure":
            continue
        near = _nearest(ev, [s for s in seen_events if s.family == ev.family])
        if near is not None:
            fit.aliases[ev.key] = near.key
        if any(k in fit.uplift for k in (ev.name, ev.key)):
            fit.unseen[ev.key] = "uplift from the scenario"
        elif ev.uplift is not None:
            fit.unseen[ev.key] = "uplift from the calendar"
            notes.append(
                f"queue {qh.queue!r}: {ev.name!r} ({ev.kind}) has no past occurrence in the history: "
                f"using the calendar's uplift {ev.uplift:g}" + (f" with the phase shape of {near.key!r}" if near else "")
            )
        else:
            fit.unseen[ev.key] = "nearest"
            if near is not None:
                notes.append(
                    f"queue {qh.queue!r}: {ev.name!r} ({ev.kind}) has no past occurrence in the history and no uplift "
                    f"in the calendar: using the learned effect of the nearest event {near.key!r}"
                )
            else:
                notes.append(
                    f"queue {qh.queue!r}: {ev.name!r} ({ev.kind}) has no past occurrence and no uplift, and no event of "
                    f"its kind was seen: only the pooled {ev.family} effect (if any) is applied; give an uplift in the calendar"
                )
    for ev in events:
        first, last = ev.window()
        if last < h_first or first > h_last or ev.key in fit.unseen or ev.kind == "closure":
            continue
        if ev.uplift is not None and not any(k in fit.uplift for k in (ev.name, ev.key)):
            notes.append(
                f"queue {qh.queue!r}: {ev.name!r} from {ev.start.date()}: the calendar's uplift {ev.uplift:g} replaces "
                f"the learned peak multiplier {fit.learned_peak(ev):.2f}"
            )
    if len(model.outliers):
        shown = ", ".join(str(d.date()) for d in model.outliers[::-1][:8])
        more = f" and {len(model.outliers) - 8} earlier" if len(model.outliers) > 8 else ""
        notes.append(
            f"queue {qh.queue!r}: {len(model.outliers)} outlier day(s) flagged and left out of the fit "
            f"({shown}{more}); add them to the calendar if they were events"
        )
    return fit


def _peak_column(ev: Event) -> str:
    label = "peak" if ev.is_promotion else "first"
    if ev.kind == "closure":
        label = "after1"
    return f"{ev.family}[{ev.key}]:{label}"


# ----------------------------------------------------------------------------------------------
# ETS on the calendar-adjusted series


@dataclass
class EtsFit:
    level: LevelFit
    result: object
    steps_of: dict      # {"bias": back-transformation factor}
    last_day: pd.Timestamp


def fit_ets(level: LevelFit, max_days: int = 182) -> EtsFit | None:
    """Holt-Winters on log(1 + calendar-adjusted daily volume) of the open weekdays; None if the
    history is too short (fewer than 4 weeks of open days)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    qh, o = level.qh, level.origin
    days = qh.days[:o]
    keep = np.isin(days.day_of_week, level.open_dows)
    period = len(level.open_dows)
    if keep.sum() < 4 * max(period, 2):
        return None
    y = qh.totals[:o]
    good = qh.observed[:o] & ~closed_days(level.events, days) & ~level.outlier_mask
    cal = level.calendar_effect(days) if len(days) else np.zeros(0)
    base = np.exp(level.structural(days))
    adj = np.where(good, np.nan_to_num(y) / np.exp(cal), base)
    sel = np.flatnonzero(keep)[-max_days * period // 7:]
    series = np.log1p(np.maximum(adj[sel], 0.0))
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        if period >= 2 and len(series) >= 2 * period + 4:
            model = ExponentialSmoothing(series, trend="add", damped_trend=True, seasonal="add",
                                         seasonal_periods=period, initialization_method="estimated")
        else:
            model = ExponentialSmoothing(series, trend="add", damped_trend=True, initialization_method="estimated")
        result = model.fit(use_brute=False)
    # back from the log scale: exp of a mean log is below the mean (much so at low counts), so
    # scale by the in-sample ratio of volume to back-transformed fit over the last 8 weeks
    fitted = np.expm1(np.asarray(result.fittedvalues))[-8 * period:]
    actual = np.expm1(series)[-8 * period:]
    bias = float(actual.sum() / fitted.sum()) if fitted.sum() > 0 else 1.0
    return EtsFit(level, result, {"bias": float(np.clip(bias, 0.5, 2.0))}, days[sel[-1]])

def predict_ets(fit: EtsFit, days: pd.DatetimeIndex) -> np.ndarray:
    """Expected daily totals for ``days`` (after the origin); closed weekdays get 0."""
    lvl = fit.level
    keep = np.isin(days.day_of_week, lvl.open_dows)
    # steps: count of open weekdays from the day after the last fitted day to each day
    span = pd.date_range(fit.last_day + pd.Timedelta(days=1), days[-1], freq="D")
    open_span = np.isin(span.day_of_week, lvl.open_dows)
    steps = np.cumsum(open_span)
    n_steps = int(steps[-1]) if len(steps) else 0
    fc = np.asarray(fit.result.forecast(max(n_steps, 1)))
    out = np.zeros(len(days))
    pos = {d: int(s) for d, s, k in zip(span, steps, open_span) if k}
    for i, d in enumerate(days):
        if keep[i] and d in pos:
            out[i] = np.expm1(fc[pos[d] - 1]) * fit.steps_of.get("bias", 1.0)
    return np.maximum(out, 0.0) * np.exp(lvl.calendar_effect(days))


# ----------------------------------------------------------------------------------------------
# seasonal naive


def seasonal_naive(qh: QueueHistory, origin: int, days: pd.DatetimeIndex) -> np.ndarray:
    """Each interval of each day as on the latest observed same weekday before ``origin``."""
    out = np.zeros((len(days), qh.intervals_per_day))
    for i, d in enumerate(days):
        j = qh.index_of(d) - 7
        while j >= origin:
            j -= 7
        while j >= 0 and not qh.observed[j]:
            j -= 7
        if j >= 0:
            out[i] = qh.filled[j]
    return out


__all__ = ["MODEL_NAMES", "LevelFit", "fit_level", "fit_ets", "predict_ets", "seasonal_naive", "open_weekdays"]
