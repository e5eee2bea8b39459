"""Rolling-origin evaluation and accuracy metrics.

Origins step back from the forecast start one horizon at a time (rounded up to weeks, at most 4
weeks; 1 week when the history is too short for that); at each origin every model is
refitted on the history before it and forecasts ``horizon_days``. Errors are measured per
interval on days with history (intervals with a row, or with a forecast): MASE (scaled by the
in-sample MAE of the weekly seasonal naive on the fold's training history), WAPE, bias,
RMSE and the share of actuals inside the forecast's lower..upper interval (80 % by default);
daily MASE/WAPE on day totals. Segments: all days, promotion days (start..end of a promotion),
holiday days (a holiday/closure/logistics stop and the day before and after).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.forecast.calendar import Event
from scheduler.forecast.history import QueueHistory

METRIC_COLUMNS = ["queue", "model", "segment", "days", "mase", "wape", "bias", "rmse", "coverage", "mase_daily", "wape_daily"]


@dataclass
class Fold:
    """One model's forecast at one origin, with the actuals."""

    model: str
    fold: int
    days: pd.DatetimeIndex
    pred: np.ndarray          # days × intervals
    actual: np.ndarray        # days × intervals, NaN = no row
    scale_int: float          # in-sample weekly-naive MAE per interval
    scale_day: float          # same for day totals
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None

    @property
    def observed(self) -> np.ndarray:
        return ~np.isnan(self.actual).all(axis=1)

    def daily_pred(self) -> np.ndarray:
        return self.pred.sum(axis=1)

    def daily_actual(self) -> np.ndarray:
        return np.where(self.observed, np.nansum(self.actual, axis=1), np.nan)


def origins(n_days: int, horizon_days: int, folds: int, min_train_days: int = 28) -> list[int]:
    """Fold origins (indices into the history's days), oldest first."""
    out: list[int] = []
    for step in (max(7, int(np.ceil(min(horizon_days, 28) / 7.0)) * 7), 7):
        out = [n_days - horizon_days - j * step for j in range(folds)]
        out = [o for o in out if o >= min_train_days]
        if len(out) == folds:
            break
    return sorted(out)


def naive_scales(qh: QueueHistory, origin: int, lookback_days: int = 364) -> tuple[float, float]:
    """In-sample MAE of the weekly seasonal naive before ``origin``: (per interval, per day)."""
    lo = max(7, origin - lookback_days)
    a = qh.volume[lo:origin]
    b = qh.volume[lo - 7: origin - 7]
    both = qh.observed[lo:origin] & qh.observed[lo - 7: origin - 7]
    if not both.any():
        return np.nan, np.nan
    A, B = a[both], b[both]
    use = ~np.isnan(A) | ~np.isnan(B)
    e_int = np.abs(np.nan_to_num(A) - np.nan_to_num(B))[use]
    e_day = np.abs(np.nansum(A, axis=1) - np.nansum(B, axis=1))
    return float(e_int.mean()) if e_int.size else np.nan, float(e_day.mean())


def segment_masks(events: list[Event], days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    promo = np.zeros(len(days), dtype=bool)
    hol = np.zeros(len(days), dtype=bool)
    one = pd.Timedelta(days=1)
    for ev in events:
        if ev.is_promotion:
            promo |= (days >= ev.start) & (days <= ev.end)
        else:
            hol |= (days >= ev.start - one) & (days <= ev.end + one)
    return {"all": np.ones(len(days), dtype=bool), "promotion": promo, "holiday": hol}


def fold_metrics(folds: list[Fold], day_mask: list[np.ndarray]) -> dict:
    """Pooled metrics over folds, restricted per fold to the days in ``day_mask``."""
    ae, se, err, y_sum, scaled, n, cover, n_cov = 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0
    d_scaled, d_ae, d_y, n_days = 0.0, 0.0, 0.0, 0
    for f, m in zip(folds, day_mask):
        sel = m & f.observed
        if not sel.any():
            continue
        act = f.actual[sel]
        pred = f.pred[sel]
        use = ~np.isnan(act) | (pred > 0)
        y = np.nan_to_num(act)[use]
        p = pred[use]
        e = p - y
        ae += np.abs(e).sum()
        se += np.square(e).sum()
        err += e.sum()
        y_sum += y.sum()
        n += e.size
        if np.isfinite(f.scale_int) and f.scale_int > 0:
            scaled += np.abs(e).sum() / f.scale_int
        if f.lo is not None:
            lo, hi = f.lo[sel][use], f.hi[sel][use]
            cover += int(np.count_nonzero((y >= lo - 1e-9) & (y <= hi + 1e-9)))
            n_cov += y.size
        dp, da = f.daily_pred()[sel], f.daily_actual()[sel]
        d_ae += np.abs(dp - da).sum()
        d_y += da.sum()
        if np.isfinite(f.scale_day) and f.scale_day > 0:
            d_scaled += np.abs(dp - da).sum() / f.scale_day
        n_days += int(sel.sum())
    if n == 0:
        return {"days": 0, "mase": np.nan, "wape": np.nan, "bias": np.nan, "rmse": np.nan, "coverage": np.nan,
                "mase_daily": np.nan, "wape_daily": np.nan}
    return {
        "days": n_days,
        "mase": scaled / n if scaled else np.nan,
        "wape": ae / y_sum if y_sum > 0 else np.nan,
        "bias": err / y_sum if y_sum > 0 else np.nan,
        "rmse": float(np.sqrt(se / n)),
        "coverage": cover / n_cov if n_cov else np.nan,
        "mase_daily": d_scaled / n_days if d_scaled else np.nan,
        "wape_daily": d_ae / d_y if d_y > 0 else np.nan,
    }


def metrics_table(queue: str, by_model: dict[str, list[Fold]], events: list[Event]) -> pd.DataFrame:
    rows = []
    for model, folds in by_model.items():
        masks = [segment_masks(events, f.days) for f in folds]
        for seg in ("all", "promotion", "holiday"):
            m = fold_metrics(folds, [mk[seg] for mk in masks])
            if seg != "all" and m["days"] == 0:
                continue
            rows.append({"queue": queue, "model": model, "segment": seg, **m})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)
