"""Prediction intervals per interval from out-of-sample daily errors and intraday noise.

The daily total of a forecast day is uncertain by a factor exp(r), r drawn from the model's
backtest errors ``log((actual + 1) / (forecast + 1))`` of daily totals (empirical, so bias and
skew carry over); given the day, an interval's count is negative binomial with variance
``mu + phi mu^2`` (Poisson plus the extra-Poisson intraday noise ``phi`` measured on recent days),
so the bounds are whole contacts. Quantiles come from a fixed-seed Monte Carlo on a grid of
means, so the same inputs give the same intervals.
"""

from __future__ import annotations

import zlib

import numpy as np

DRAWS = 2000
GRID_POINTS = 96
FALLBACK_SD = 0.15


def daily_log_errors(pred: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """log((actual + 1) / (pred + 1)) on days with an actual (NaN = not observed) and some volume."""
    ok = ~np.isnan(actual) & ((pred > 0) | (np.nan_to_num(actual) > 0))
    return np.log((actual[ok] + 1.0) / (pred[ok] + 1.0))


def interval_quantiles(
    mean: np.ndarray, errors: np.ndarray, phi: float, quantiles: tuple[float, float], seed_text: str
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) quantiles with the shape of ``mean`` (days × intervals).

    The quantiles depend on the mean only, so they are simulated on a log-spaced grid of means
    and interpolated (exact at the grid points, smooth between).
    """
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
    m_lo, m_hi = float(flat[pos].min()), float(flat[pos].max())
    grid = np.unique(np.geomspace(m_lo, max(m_hi, m_lo * 1.0001), GRID_POINTS))
    mu = grid[:, None] * np.exp(rng.choice(errors, size=(len(grid), DRAWS)))
    rate = rng.gamma(1.0 / phi, phi * mu) if phi > 1e-9 else mu
    draws = rng.poisson(rate)
    q = np.quantile(draws, quantiles, axis=1, method="inverted_cdf")
    x = np.log(flat[pos])
    lo[pos] = np.floor(np.interp(x, np.log(grid), q[0]) + 1e-9)
    hi[pos] = np.ceil(np.interp(x, np.log(grid), q[1]) - 1e-9)
    return lo.reshape(mean.shape), hi.reshape(mean.shape)
