"""Prediction intervals per interval from out-of-sample daily errors and intraday noise.

The daily total of a forecast day is uncertain by a factor exp(r), r drawn from the model's
backtest errors ``log((actual + 1) / (forecast + 1))`` of daily totals (empirical, so bias and
skew carry over); given the day, an interval's count has variance ``mu + phi mu^2`` (Poisson
plus the extra-Poisson intraday noise ``phi`` measured on recent days), drawn as a gamma.
Quantiles come from a fixed-seed Monte Carlo, so the same inputs give the same intervals.
"""

from __future__ import annotations

import zlib

import numpy as np

DRAWS = 400
FALLBACK_SD = 0.15


def daily_log_errors(pred: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """log((actual + 1) / (pred + 1)) on days with an actual (NaN = not observed) and some volume."""
    ok = ~np.isnan(actual) & ((pred > 0) | (np.nan_to_num(actual) > 0))
    return np.log((actual[ok] + 1.0) / (pred[ok] + 1.0))


def interval_quantiles(
    mean: np.ndarray, errors: np.ndarray, phi: float, quantiles: tuple[float, float], seed_text: str
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) quantiles with the shape of ``mean`` (days × intervals)."""
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    errors = np.asarray(errors, dtype=float)
    if errors.size < 5:
        errors = rng.normal(0.0, FALLBACK_SD, size=200)
    flat = mean.reshape(-1)
    lo = np.zeros_like(flat)
    hi = np.zeros_like(flat)
    pos = np.flatnonzero(flat > 0)
    if len(pos) == 0:
        return lo.reshape(mean.shape), hi.reshape(mean.shape)
    chunk = max(1, 2_000_000 // DRAWS)
    for a in range(0, len(pos), chunk):
        idx = pos[a: a + chunk]
        mu = flat[idx][:, None] * np.exp(rng.choice(errors, size=(len(idx), DRAWS)))
        shape = mu / (1.0 + phi * mu)
        scale = 1.0 + phi * mu
        draws = rng.gamma(shape, scale)
        q = np.quantile(draws, quantiles, axis=1)
        lo[idx], hi[idx] = q[0], q[1]
    return lo.reshape(mean.shape), hi.reshape(mean.shape)
