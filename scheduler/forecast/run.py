"""run_forecast and run_backtest: one queue at a time, models chosen by rolling-origin backtest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import ForecastError
from scheduler.forecast.backtest import Fold, metrics_table, naive_scales, origins
from scheduler.forecast.calendar import Event, closed_days, day_types, read_events, uplift_problems, weekday_map
from scheduler.forecast.history import (
    QueueHistory, dst_interval_factor, open_interval_mask, prepare_history, to_timestamp,
)
from scheduler.forecast.models import MODEL_NAMES, fit_ets, fit_level, open_weekdays, predict_ets, quietest_weekday, seasonal_naive
from scheduler.forecast.profiles import ProfileBook, intraday_dispersion
from scheduler.forecast.uncertainty import daily_log_errors, interval_quantiles
from scheduler.scenario import ForecastSettings

MIN_TRAIN_DAYS = 28
MAX_BACKTEST_HORIZON = 28
MIN_BACKTEST_HORIZON = 7      # a choice resting on a few single days is noise


@dataclass(frozen=True)
class ForecastResult:
    """``frame``: ds, queue, volume, volume_lo, volume_hi, model (one row per queue × interval of
    the horizon, closed intervals with 0); ``models``: queue -> chosen model; ``backtest``:
    metrics per queue × model × segment (or None)."""

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    backtest: pd.DataFrame | None = None


@dataclass
class QueueForecaster:
    """Everything needed to forecast one queue from any origin."""

    qh: QueueHistory
    events: list[Event]
    uplift: dict[str, float]
    open_mask: np.ndarray
    timezone: str
    last_day: pd.Timestamp        # last day a forecast may be asked for
    exog: pd.DataFrame | None = None   # external regressors by date (named columns)

    def __post_init__(self) -> None:
        all_days = pd.date_range(self.qh.days[0], self.last_day, freq="D")
        self.all_days = all_days
        self.types = day_types(self.events, all_days)
        self.closure = closed_days(self.events, all_days)
        # days modelled as another weekday (holidays, eves, reopenings) take that weekday's profile
        n = len(self.qh.days)
        open_dows = open_weekdays(self.qh, n)
        quiet = quietest_weekday(pd.Series(self.qh.totals, index=self.qh.days).where(~self.closure[:n]), open_dows)
        self.profile_dow = all_days.day_of_week.to_numpy().copy()
        pos = {d: i for i, d in enumerate(all_days)}
        for d, dow in weekday_map(self.events, all_days, open_dows, quiet).items():
            self.profile_dow[pos[d]] = dow
            if self.types[pos[d]][0] == "dow":
                self.types[pos[d]] = ("dow", dow)

    def forecast(self, origin: int, days: pd.DatetimeIndex, models: list[str],
                 notes: list[str] | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Interval forecasts (days × intervals) per model, from history before ``origin``.

        Returns (model -> matrix, info) with info holding the level fit and the profile book.
        """
        qh = self.qh
        level = fit_level(qh, origin, self.events, horizon=days, uplift=self.uplift, notes=notes, exog=self.exog)
        excluded = np.zeros(len(qh.days), dtype=bool)
        excluded[:origin] = level.outlier_mask
        book = ProfileBook(qh, self.types, origin, excluded=excluded)
        pos = ((days - qh.days[0]).days).to_numpy()
        prof = np.vstack([book.for_day(self.types[p], int(self.profile_dow[p])) for p in pos])
        closed = self.closure[pos] | ~np.isin(days.day_of_week, level.open_dows)
        factor = np.ones_like(prof)
        for i, d in enumerate(days):
            f = dst_interval_factor(d, qh.interval_min, self.timezone) if qh.interval_min < 1440 else None
            if f is not None:
                factor[i] = f
        out: dict[str, np.ndarray] = {}
        daily: dict[str, np.ndarray] = {}
        if {"ets", "combined"} & set(models):
            ets = fit_ets(level)
            if ets is not None:
                daily["ets"] = predict_ets(ets, days)
        if {"calendar_regression", "combined"} & set(models):
            daily["calendar_regression"] = level.predict(days)
        if "ets" in daily and "calendar_regression" in daily:
            daily["combined"] = 0.5 * (daily["ets"] + daily["calendar_regression"])
        for name in models:
            if name == "seasonal_naive":
                mat = seasonal_naive(qh, origin, days)
            elif name in ("calendar_regression", "ets", "combined"):
                if name not in daily:
                    continue
                mat = daily[name][:, None] * prof
            else:
                raise ForecastError(f"unknown forecast model {name!r}; expected auto | {' | '.join(MODEL_NAMES)}")
            mat = np.where(closed[:, None], 0.0, mat) * self.open_mask[None, :] * factor
            out[name] = np.maximum(mat, 0.0)
        return out, {"level": level, "book": book}

    def backtest(self, horizon_days: int, folds: int, models: list[str]) -> dict[str, list[Fold]]:
        qh = self.qh
        n = len(qh.days)
        by_model: dict[str, list[Fold]] = {m: [] for m in models}
        for j, o in enumerate(origins(n, horizon_days, folds, MIN_TRAIN_DAYS)):
            days = qh.days[o: o + horizon_days]
            preds, _ = self.forecast(o, days, models)
            s_int, s_day = naive_scales(qh, o)
            for m, mat in preds.items():
                by_model[m].append(Fold(m, j, days, mat, qh.volume[o: o + horizon_days], s_int, s_day))
        return {m: f for m, f in by_model.items() if f}


def fold_dispersion(folds: list[Fold]) -> float | None:
    """Out-of-sample intraday dispersion phi (var = mu + phi mu^2) of interval counts given the
    actual day total spread by the forecast's profile; None without usable folds."""
    num, den = 0.0, 0.0
    for f in folds:
        tot_p = f.pred.sum(axis=1)
        tot_a = f.daily_actual()
        ok = f.observed & (tot_p > 0)
        if not ok.any():
            continue
        mu = f.pred[ok] / tot_p[ok, None] * tot_a[ok, None]
        y = np.nan_to_num(f.actual[ok])
        num += float(np.sum(np.square(y - mu) - mu))
        den += float(np.sum(np.square(mu)))
    return max(num / den, 0.0) if den > 0 else None


def _intervals_for_folds(folds: list[Fold], phi: float, quantiles: tuple[float, float], seed: str) -> None:
    """Leave-one-fold-out prediction intervals for each fold (calibration is then honest): day
    errors and intraday dispersion from the other folds."""
    errs = [daily_log_errors(f.daily_pred(), f.daily_actual()) for f in folds]
    for j, f in enumerate(folds):
        pool = np.concatenate([e for k, e in enumerate(errs) if k != j]) if len(folds) > 1 else np.zeros(0)
        if pool.size < 5:
            continue
        phi_j = fold_dispersion([g for k, g in enumerate(folds) if k != j])
        f.lo, f.hi = interval_quantiles(f.pred, pool, phi if phi_j is None else phi_j, quantiles, f"{seed}/{f.model}/{j}")


def _check_models(names: list[str]) -> None:
    for n in names:
        if n not in MODEL_NAMES:
            raise ForecastError(f"unknown forecast model {n!r}; expected auto | {' | '.join(MODEL_NAMES)}")


def _setup(history, calendar, start, interval_min, settings, timezone, warnings):
    settings = settings or ForecastSettings()
    start_ts = to_timestamp(start, "start")
    events = read_events(calendar)
    bad = uplift_problems(dict(settings.uplift), events, None if calendar is None else "")
    if bad:
        raise ForecastError("\n".join(f"forecast.uplift: {why}" for why in bad.values()))
    queues, interval = prepare_history(
        history, start=start_ts, interval_min=interval_min, timezone=timezone,
        history_days=settings.history_days, warnings=warnings,
    )
    return settings, start_ts, events, queues, interval


def _single_threaded_blas(func):
    """Run ``func`` with BLAS limited to one thread: the matrices here are small, and threaded BLAS
    on a shared machine spends its time waiting."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@_single_threaded_blas
def run_forecast(
    history: pd.DataFrame,
    calendar: pd.DataFrame | None,
    *,
    start: date | str | pd.Timestamp,
    days: int,
    interval_min: int | None,
    settings: ForecastSettings | None = None,
    open_hours: dict[str, tuple[int, int]] | None = None,
    timezone: str = "Asia/Shanghai",
    pinned: dict[str, str] | None = None,
    regressors: pd.DataFrame | None = None,
) -> ForecastResult:
    """Forecast contacts per queue and interval for ``days`` days from ``start`` (local dates).

    ``history``: frame of ``read_history`` (only rows before ``start`` are used); ``calendar``:
    frame of ``read_calendar`` or None; ``interval_min``: output interval (None = the history's
    own); ``settings.model``: ``auto`` (chosen per queue by backtest) or a model name;
    ``pinned``: queue -> model name overriding ``settings.model``; ``open_hours``: queue ->
    (open_min, close_min) — intervals outside get 0; ``regressors``: external daily regressors
    (:func:`regressors_for_queue`), matched by name, their dates checked to cover history and horizon.
    """
    if not isinstance(days, (int, np.integer)) or days < 1:
        raise ForecastError(f"days must be a whole number >= 1, got {days!r}")
    warnings: list[str] = []
    settings, start_ts, events, queues, interval = _setup(history, calendar, start, interval_min, settings, timezone, warnings)
    if settings.model != "auto":
        _check_models([settings.model])
    pinned = dict(pinned or {})
    _check_models([m for m in pinned.values() if m and m != "auto"])
    open_hours = dict(open_hours or {})
    missing = sorted(set(open_hours) - set(queues))
    if missing:
        raise ForecastError(
            f"no history for queue(s) {', '.join(map(repr, missing))} (history has {', '.join(map(repr, sorted(queues)))})"
        )
    horizon = pd.date_range(start_ts, periods=int(days), freq="D")
    n_int = 1440 // interval
    ds = (horizon.values[:, None] + (np.arange(n_int) * interval).astype("timedelta64[m]")[None, :]).reshape(-1)
    frames, chosen, tables = [], {}, []
    for q, qh in queues.items():
        mask = open_interval_mask(open_hours.get(q), interval)
        outside = float(np.nansum(qh.filled[-91:][:, ~mask]))
        if outside > 0.01 * max(float(np.nansum(qh.filled[-91:])), 1e-9):
            warnings.append(
                f"queue {q!r}: {outside / np.nansum(qh.filled[-91:]):.0%} of the last 91 days' volume falls outside "
                "the opening hours; those intervals are forecast as closed (0)"
            )
        fc = QueueForecaster(qh, events, dict(settings.uplift), mask, timezone, horizon[-1],
                             regressors_for_queue(regressors, q))
        model_q = pinned.get(q) or settings.model
        candidates = list(MODEL_NAMES) if model_q == "auto" else [model_q]
        total_recent = float(np.nansum(qh.filled[-56:]))
        if total_recent == 0:
            warnings.append(f"queue {q!r}: no contacts in the last 8 weeks of history: forecast 0")
        h_bt = min(max(int(days), MIN_BACKTEST_HORIZON), MAX_BACKTEST_HORIZON)
        by_model = fc.backtest(h_bt, settings.backtest_folds, candidates) if total_recent > 0 else {}
        if by_model:
            ae = {m: sum(float(np.nansum(np.abs(f.daily_pred() - f.daily_actual()))) for f in fl) for m, fl in by_model.items()}
            best = min(ae, key=lambda m: (ae[m], MODEL_NAMES.index(m))) if model_q == "auto" else model_q
        else:
            best = candidates[0] if model_q != "auto" else "calendar_regression"
            if total_recent > 0:
                warnings.append(
                    f"queue {q!r}: history too short for a backtest ({len(qh.days)} days): "
                    f"model {best!r} chosen without one; prediction intervals are rough"
                )
        notes: list[str] = []
        preds, info = fc.forecast(len(qh.days), horizon, [best] if best in ("seasonal_naive", "calendar_regression")
                                  else [best, "calendar_regression"], notes)
        if best not in preds:  # ets impossible on this history
            warnings.append(f"queue {q!r}: too little history for ets; using calendar_regression")
            best = "calendar_regression"
        warnings.extend(notes)
        if best == "seasonal_naive" and settings.uplift:
            warnings.append(f"queue {q!r}: model seasonal_naive ignores forecast.uplift ({', '.join(settings.uplift)}): "
                            "the uplift is not applied; use calendar_regression, ets or combined")
        mean = preds[best]
        phi = fold_dispersion(by_model.get(best, []))
        if phi is None:
            phi = intraday_dispersion(qh, info["book"], fc.types)
        errs = np.concatenate([daily_log_errors(f.daily_pred(), f.daily_actual()) for f in by_model.get(best, [])] or [np.zeros(0)])
        lo, hi = interval_quantiles(mean, errs, phi, tuple(settings.quantiles), f"{q}/{best}")
        if by_model:
            for fl in by_model.values():
                _intervals_for_folds(fl, phi, tuple(settings.quantiles), q)
            tables.append(metrics_table(q, by_model, events))
        chosen[q] = best
        frames.append(pd.DataFrame({
            C.DS: ds, C.QUEUE: q, C.VOLUME: mean.reshape(-1), C.VOLUME_LO: lo.reshape(-1),
            C.VOLUME_HI: hi.reshape(-1), C.MODEL: best,
        }))
    frame = pd.concat(frames, ignore_index=True)
    backtest = pd.concat(tables, ignore_index=True) if tables else None
    return ForecastResult(frame=frame, warnings=merge_queue_warnings(warnings), models=chosen, backtest=backtest)


def regressors_for_queue(regressors: pd.DataFrame | None, queue: str) -> pd.DataFrame | None:
    """The daily regressors of one queue from a long frame: column ``ds`` (dates), optional
    ``queue`` (empty = every queue) and one numeric column per regressor. Indexed by date."""
    if regressors is None:
        return None
    if not isinstance(regressors, pd.DataFrame) or C.DS not in regressors.columns:
        raise ForecastError("regressors must be a frame with a 'ds' column of dates and one column per regressor")
    frame = regressors
    if C.QUEUE in frame.columns:
        q = frame[C.QUEUE].fillna("").astype(str).str.strip()
        frame = frame[(q == queue) | (q == "")].drop(columns=C.QUEUE)
    days = pd.to_datetime(frame[C.DS]).dt.normalize()
    if days.duplicated().any():
        raise ForecastError(f"regressors: date {days[days.duplicated()].iloc[0].date()} is given twice for queue {queue!r}")
    return frame.drop(columns=C.DS).set_axis(pd.DatetimeIndex(days), axis=0)


def merge_queue_warnings(warnings: list[str]) -> list[str]:
    """One line per message: "queue 'a': X" and "queue 'b': X" become "queues 'a', 'b': X"."""
    import re

    order: list[str] = []
    queues: dict[str, list[str]] = {}
    for w in warnings:
        m = re.match(r"queue ('(?:[^']|\\')*'): (.*)$", w, flags=re.S)
        body = m.group(2) if m else w
        if body not in queues:
            order.append(body)
            queues[body] = []
        if m:
            queues[body].append(m.group(1))
    out = []
    for body in order:
        qs = queues[body]
        if not qs:
            out.append(body)
        elif len(qs) == 1:
            out.append(f"queue {qs[0]}: {body}")
        else:
            out.append(f"queues {', '.join(qs)}: {body}")
    return out


@_single_threaded_blas
def run_backtest(
    history: pd.DataFrame,
    calendar: pd.DataFrame | None,
    *,
    horizon_days: int,
    folds: int,
    interval_min: int | None = None,
    models: list[str] | None = None,
    settings: ForecastSettings | None = None,
    open_hours: dict[str, tuple[int, int]] | None = None,
    timezone: str = "Asia/Shanghai",
    regressors: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Rolling-origin evaluation of every model (or ``models``) per queue over the whole history.

    Returns (metrics frame with columns ``METRIC_COLUMNS``, warnings).
    """
    if not isinstance(horizon_days, (int, np.integer)) or horizon_days < 1:
        raise ForecastError(f"horizon_days must be a whole number >= 1, got {horizon_days!r}")
    if not isinstance(folds, (int, np.integer)) or folds < 1:
        raise ForecastError(f"folds must be a whole number >= 1, got {folds!r}")
    models = list(models or MODEL_NAMES)
    _check_models(models)
    warnings: list[str] = []
    hist = history
    end = pd.Timestamp(pd.to_datetime(hist[C.DS]).max()).normalize() + pd.Timedelta(days=1)
    settings, _, events, queues, interval = _setup(hist, calendar, end, interval_min, settings, timezone, warnings)
    open_hours = dict(open_hours or {})
    tables = []
    for q, qh in queues.items():
        mask = open_interval_mask(open_hours.get(q), interval)
        fc = QueueForecaster(qh, events, dict(settings.uplift), mask, timezone, qh.days[-1],
                             regressors_for_queue(regressors, q))
        by_model = fc.backtest(int(horizon_days), int(folds), models)
        if not by_model:
            warnings.append(f"queue {q!r}: history too short for {folds} fold(s) of {horizon_days} days")
            continue
        book = ProfileBook(qh, fc.types, len(qh.days))
        phi = intraday_dispersion(qh, book, fc.types)
        for fl in by_model.values():
            _intervals_for_folds(fl, phi, tuple(settings.quantiles), q)
        tables.append(metrics_table(q, by_model, events))
    if not tables:
        raise ForecastError(f"no queue has enough history for a backtest of {folds} fold(s) × {horizon_days} days")
    return pd.concat(tables, ignore_index=True), merge_queue_warnings(warnings)
