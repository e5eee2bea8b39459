"""Intraday profiles: how a day's volume spreads over its intervals, by day type.

A profile is the recency-weighted mean of the interval shares of recent comparable days
(same weekday; or past days of the same promotion phase / holiday), smoothed across
neighbouring intervals where counts are low, and shrunk toward its parent profile
(weekday -> weekday/weekend group -> all days; event phase -> the same phase of any event of
its family -> the weekday) in proportion to how little data it rests on. Intervals outside the
span the day type was open in (first to last interval with a history row) get nothing.
Outlier days and DST transition days are not used.
"""

from __future__ import annotations

import numpy as np

from scheduler.forecast.history import QueueHistory

DOW_DAYS = 8            # recent same-weekday days used
GROUP_DAYS = 12
EVENT_DAYS = 6
RECENCY = 0.85          # weight of the k-th most recent day: RECENCY**k
SMOOTH_COUNT = 20.0     # smoothing weight = SMOOTH_COUNT / (count + SMOOTH_COUNT)
SHRINK_COUNT = 10.0     # shrinkage toward the parent by interval count
WEEKEND = (5, 6)


def parent(day_type: tuple) -> tuple | None:
    kind = day_type[0]
    if kind == "dow":
        return ("group", "weekend" if day_type[1] in WEEKEND else "weekday")
    if kind == "group":
        return ("all",)
    if kind == "promo" and day_type[1] != "*":
        return ("promo", "*", day_type[2])
    if kind == "holiday" and day_type[1] != "*":
        return ("holiday", "*", day_type[2])
    if kind in ("promo", "holiday"):
        return None  # resolved per day by the caller (falls back to the weekday)
    return None


class ProfileBook:
    """Profiles estimated from a queue's history before ``origin`` (cached per day type)."""

    def __init__(self, qh: QueueHistory, types: list[tuple], origin: int, excluded: np.ndarray | None = None):
        self.qh = qh
        self.origin = origin
        self.types = types[:origin]
        tot = np.nan_to_num(qh.totals[:origin])
        ok = qh.observed[:origin] & (tot > 0) & ~qh.dst_day[:origin]
        if excluded is not None:
            ok &= ~excluded[:origin]
        self.ok = ok
        self.shares = np.zeros_like(qh.filled[:origin])
        self.shares[ok] = qh.filled[:origin][ok] / tot[ok, None]
        self._cache: dict[tuple, tuple[np.ndarray, np.ndarray] | None] = {}

    def _matches(self, day_type: tuple) -> np.ndarray:
        kind = day_type[0]
        types = self.types
        if kind == "dow":
            return np.array([t == day_type for t in types], dtype=bool)
        if kind == "group":
            wk = day_type[1] == "weekend"
            return np.array([t[0] == "dow" and ((t[1] in WEEKEND) == wk) for t in types], dtype=bool)
        if kind == "all":
            return np.array([t[0] == "dow" for t in types], dtype=bool)
        if day_type[1] == "*":
            return np.array([t[0] == kind and t[2] == day_type[2] for t in types], dtype=bool)
        return np.array([t == day_type for t in types], dtype=bool)

    def _estimate(self, day_type: tuple) -> tuple[np.ndarray, np.ndarray, float, np.ndarray] | None:
        """(raw smoothed shares, interval counts, effective days, open span mask) or None."""
        n_max = DOW_DAYS if day_type[0] == "dow" else GROUP_DAYS if day_type[0] in ("group", "all") else EVENT_DAYS
        idx = np.flatnonzero(self._matches(day_type) & self.ok)[-n_max:]
        if len(idx) == 0:
            return None
        w = RECENCY ** np.arange(len(idx))[::-1]
        shares = self.shares[idx]
        raw = (w[:, None] * shares).sum(axis=0) / w.sum()
        counts = self.qh.filled[idx].sum(axis=0)
        present = self.qh.present[idx].any(axis=0)
        span = np.zeros_like(present)
        on = np.flatnonzero(present)
        if len(on):
            span[on[0]: on[-1] + 1] = True
        raw = np.where(span, raw, 0.0)
        lam = SMOOTH_COUNT / (counts + SMOOTH_COUNT)
        sm = _smooth(raw, span)
        raw = (1 - lam) * raw + lam * sm
        n_eff = float(w.sum() ** 2 / np.square(w).sum())
        return raw, counts, n_eff, span

    def profile(self, day_type: tuple, fallback: tuple | None = None) -> np.ndarray:
        """Shares summing to 1 over the day (zeros where closed); ``fallback`` is the parent used
        when the chain of ``day_type`` ends (events fall back to their weekday)."""
        key = (day_type, fallback)
        if key in self._cache:
            return self._cache[key]
        est = self._estimate(day_type)
        par_type = parent(day_type) or fallback
        par = None
        if par_type is not None:
            par = self.profile(par_type, fallback if par_type[0] in ("promo", "holiday") else None)
        n_int = self.qh.intervals_per_day
        if est is None:
            prof = par if par is not None else np.full(n_int, 1.0 / n_int)
        else:
            raw, counts, n_eff, span = est
            if par is None:
                prof = raw
            else:
                n0 = 1.0 if day_type[0] in ("dow", "group") else 0.25
                w = counts / (counts + SHRINK_COUNT) * (n_eff / (n_eff + n0))
                prof = np.where(span, w * raw + (1 - w) * par, 0.0)
        total = prof.sum()
        prof = prof / total if total > 0 else prof
        self._cache[key] = prof
        return prof

    def for_day(self, day_type: tuple, dow: int) -> np.ndarray:
        if day_type[0] == "closed":
            return np.zeros(self.qh.intervals_per_day)
        if day_type[0] in ("promo", "holiday"):
            return self.profile(day_type, ("dow", dow))
        return self.profile(day_type)


def _smooth(x: np.ndarray, span: np.ndarray) -> np.ndarray:
    """[1, 2, 1] kernel inside the open span (no smoothing across its edges)."""
    if len(x) < 3:
        return x.copy()
    num = 2 * x
    den = 2 * span.astype(float)
    num[1:] += np.where(span[:-1], x[:-1], 0.0)
    den[1:] += span[:-1]
    num[:-1] += np.where(span[1:], x[1:], 0.0)
    den[:-1] += span[1:]
    return np.where(span & (den > 0), num / np.maximum(den, 1e-12), 0.0)


def intraday_dispersion(qh: QueueHistory, book: ProfileBook, types: list[tuple], last_days: int = 28) -> float:
    """Extra-Poisson variance of interval counts given the day total: phi in var = mu + phi mu^2,
    estimated on recent usable days (profile error included)."""
    idx = np.flatnonzero(book.ok)[-last_days:]
    if len(idx) == 0:
        return 0.0
    num, den = 0.0, 0.0
    for j in idx:
        prof = book.for_day(types[j], int(qh.days[j].day_of_week))
        mu = qh.totals[j] * prof
        y = qh.filled[j]
        num += float(np.sum(np.square(y - mu) - mu))
        den += float(np.sum(np.square(mu)))
    return max(num / den, 0.0) if den > 0 else 0.0
