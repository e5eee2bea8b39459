"""Synthetic contact histories with known effects, for the forecast tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKLY = np.array([1.10, 1.05, 1.00, 1.00, 0.95, 0.80, 0.75])  # Mon..Sun


def daily_profile(n_int: int, open_min: int = 0, close_min: int = 1440) -> np.ndarray:
    """A two-humped day (peaks at 10:30 and 20:00) inside the opening hours."""
    m = (np.arange(n_int) + 0.5) * (1440 / n_int)
    p = np.exp(-0.5 * ((m - 630) / 110) ** 2) + 0.8 * np.exp(-0.5 * ((m - 1200) / 90) ** 2) + 0.08
    p[(m < open_min) | (m >= close_min)] = 0.0
    return p / p.sum()


def promo_multiplier(days: pd.DatetimeIndex, peak_month: int, peak_day: int, peak: float, ramp_days: int = 14,
                     tail_days: int = 14, tail_start: float = 0.6) -> np.ndarray:
    """Multiplier per day: ramp up to the peak (log-linear), the peak, then a decaying tail."""
    out = np.ones(len(days))
    for y in sorted(set(days.year)):
        p = pd.Timestamp(year=y, month=peak_month, day=peak_day)
        r = (days - p).days.to_numpy()
        ramp = (r < 0) & (r >= -ramp_days)
        out[ramp] *= np.exp(np.log(1.4) * (1 + r[ramp] / ramp_days))
        out[r == 0] *= peak
        tail = (r > 0) & (r <= tail_days)
        out[tail] *= 1 + tail_start * np.exp(-(r[tail] - 1) / 4.0)
    return out


def make_history(start="2024-01-01", end="2025-12-31", interval_min=15, queues=("chat",), level=4000.0,
                 seed=1, promo_peak=3.0, noise=0.04, open_min=0, close_min=1440, trend_per_year=0.10,
                 holiday=("10-01", 3, 0.5), drop_days=()):
    """(history frame, calendar frame, truth daily series per queue)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    n_int = 1440 // interval_min
    t = (days - days[0]).days.to_numpy() / 365.25
    season = 1 + 0.15 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 80) / 365.25)
    mult = promo_multiplier(days, 11, 11, promo_peak)
    hol = np.ones(len(days))
    for y in sorted(set(days.year)) if holiday else []:
        h0 = pd.Timestamp(f"{y}-{holiday[0]}")
        sel = (days >= h0) & (days < h0 + pd.Timedelta(days=holiday[1]))
        hol[sel] = holiday[2]
    rows, truth = [], {}
    prof = daily_profile(n_int, open_min, close_min)
    for qi, q in enumerate(queues):
        lvl = level / (qi + 1)
        mean = lvl * np.exp(trend_per_year * t) * WEEKLY[days.day_of_week] * season * mult * hol
        mean = mean * np.exp(rng.normal(0, noise, len(days)))
        truth[q] = pd.Series(mean, index=days)
        counts = rng.poisson(mean[:, None] * prof[None, :])
        keep = prof > 0
        ds = days.values[:, None] + (np.arange(n_int) * interval_min).astype("timedelta64[m]")[None, :]
        for d in drop_days:
            counts[days == pd.Timestamp(d)] = -1
        ok = (counts >= 0) & keep[None, :]
        rows.append(pd.DataFrame({"ds": ds[ok], "queue": q, "volume": counts[ok].astype(float), "aht_s": np.nan}))
    hist = pd.concat(rows, ignore_index=True).sort_values(["queue", "ds"]).reset_index(drop=True)
    events = []
    for y in sorted(set(days.year)) + [days[-1].year + 1]:
        events.append(("double11", "promotion", f"{y}-10-28", f"{y}-11-25", f"{y}-11-11"))
        if holiday:
            h0 = pd.Timestamp(f"{y}-{holiday[0]}")
            h1 = h0 + pd.Timedelta(days=holiday[1] - 1)
            events.append(("national_day", "holiday", str(h0.date()), str(h1.date()), None))
    cal = pd.DataFrame(events, columns=["name", "kind", "start", "end", "peak"])
    for c in ("start", "end", "peak"):
        cal[c] = pd.to_datetime(cal[c])
    cal["uplift"] = np.nan
    return hist, cal, truth
