"""Deterministic sample data of a mid-size Chinese e-commerce customer-service centre.

:func:`generate_sample_data` writes ``history.csv`` (15-minute contact history per queue),
``calendar.csv`` (promotions, holidays, logistics stops) and ``agents.csv`` (in-house teams and the
overflow vendor pool) in the formats read by :mod:`scheduler.io.tables`. The same seed gives the same
bytes. The assumptions (volumes, shapes, event dates, team mix) are documented in docs/sample-data.md.

The volume model: for queue ``q``, day ``d`` and interval ``i`` the expected volume is
``base[q] × growth(d) × season(d) × weekday[q] × events[q](d) × day_noise × intraday[q](d, i)``, where the
intraday profile sums to 1 over the queue's open intervals; counts are negative-binomial around it.
Volumes are driven by two demand drivers — *pre-sales* (shoppers asking before buying) and
*after-sales* (delivery, returns, refunds) — that promotions and holidays move differently; each
queue is a blend of them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from scheduler import columns as C
from scheduler.errors import InputFileError, ScenarioError

HISTORY_FILE = "history.csv"
CALENDAR_FILE = "calendar.csv"
AGENTS_FILE = "agents.csv"
FILES = {"history": HISTORY_FILE, "calendar": CALENDAR_FILE, "agents": AGENTS_FILE}

INTERVAL_MIN = 15
INTERVALS_PER_DAY = 1440 // INTERVAL_MIN
GROWTH_PER_YEAR = 0.15

# ----------------------------------------------------------------------------------------------
# Queues. aht_s and hours match scenarios/base.yaml (a test checks it). base_per_day: mean contacts
# per day at the end of the history (an average weekday of a normal week, before weekday factors).


@dataclass(frozen=True)
class QueueSpec:
    name: str
    aht_s: float
    open_hour: int                 # first open hour (0 = 24 h queue)
    base_per_day: float
    presales_share: float          # blend of the demand drivers: share of pre-sales, rest after-sales
    lag_days: int                  # after-sales effects reach this queue this many days later
    event_gain: float              # multiplies event uplifts (complaints react more than calls)
    profile: str                   # intraday profile name (_HOURLY)
    weekday: tuple[float, ...]     # Monday..Sunday factors
    dispersion: float              # negative-binomial shape k: var = mean + mean²/k
    aht_cv: float                  # coefficient of variation of a single contact's handling time


_SHOPPER_WEEK = (0.98, 0.96, 0.96, 0.97, 1.00, 1.05, 1.08)
_AFTER_WEEK = (1.12, 1.04, 1.00, 0.98, 0.97, 0.94, 0.95)
_TICKET_WEEK = (1.18, 1.05, 1.00, 0.98, 0.96, 0.90, 0.93)

QUEUES: dict[str, QueueSpec] = {
    q.name: q
    for q in (
        QueueSpec("voice_presales", 240, 8, 570, 1.0, 0, 1.0, "shopper", _SHOPPER_WEEK, 60, 0.8),
        QueueSpec("voice_aftersales", 360, 0, 520, 0.0, 0, 1.0, "aftersales", _AFTER_WEEK, 60, 0.8),
        QueueSpec("chat", 300, 0, 2360, 0.6, 0, 1.0, "chat", _SHOPPER_WEEK, 80, 0.7),
        QueueSpec("email", 480, 0, 320, 0.0, 1, 1.2, "ticket", _TICKET_WEEK, 40, 0.9),
        QueueSpec("complaints_major", 1500, 0, 10, 0.0, 2, 0.85, "complaint", _AFTER_WEEK, 20, 0.5),
        QueueSpec("complaints_normal", 900, 8, 135, 0.0, 2, 0.85, "complaint", _AFTER_WEEK, 30, 0.6),
    )
}

# Relative contact rates per hour of day (hours 0..23), interpolated to 15-minute intervals.
# Shoppers: quiet nights with a late-evening tail, morning ramp, lunch dip, dinner dip, evening peak
# at 20:00-22:00. After-sales: office-hours shape (delivery and refund questions), smaller evening.
_HOURLY: dict[str, tuple[float, ...]] = {
    "shopper":    (30, 16, 9, 6, 5, 5, 8, 20, 45, 75, 92, 88, 68, 74, 86, 88, 85, 78, 72, 86, 100, 100, 86, 62),
    "chat":       (40, 22, 12, 7, 5, 5, 8, 18, 42, 72, 90, 86, 70, 76, 86, 88, 85, 78, 72, 86, 100, 100, 88, 66),
    "aftersales": (9, 5, 3, 2, 2, 3, 6, 20, 55, 95, 100, 92, 65, 75, 92, 95, 90, 80, 65, 70, 78, 72, 52, 28),
    "ticket":     (20, 12, 8, 6, 5, 6, 10, 25, 55, 85, 100, 95, 75, 80, 95, 95, 90, 80, 65, 70, 78, 75, 55, 35),
    "complaint":  (10, 6, 4, 3, 3, 4, 7, 18, 50, 90, 100, 95, 70, 80, 95, 95, 90, 80, 62, 62, 66, 60, 45, 24),
}
# Weekends: people sleep in (later morning ramp) and shop over lunch.
_WEEKEND_HOUR_FACTOR = {7: 0.65, 8: 0.72, 9: 0.85, 12: 1.10, 13: 1.05}


def _intraday_base(profile: str) -> np.ndarray:
    """Hourly rates interpolated (periodically, at hour centres) to 96 quarter-hours."""
    hourly = np.asarray(_HOURLY[profile], dtype=float)
    x = np.arange(INTERVALS_PER_DAY) / 4.0 + 0.125          # interval centres in hours
    xp = np.arange(-1, 25) + 0.5
    fp = np.concatenate(([hourly[-1]], hourly, [hourly[0]]))
    return np.interp(x, xp, fp)


# ----------------------------------------------------------------------------------------------
# Calendar: promotions and holidays with real dates.

# Lunar New Year's Day (Spring Festival), from the official calendars.
SPRING_FESTIVAL = {
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11),
}
# Official Spring Festival holidays (State Council notices); other years: New Year's Eve + 7 days.
_SPRING_HOLIDAY = {
    2024: (date(2024, 2, 10), date(2024, 2, 17)), 2025: (date(2025, 1, 28), date(2025, 2, 4)),
    2026: (date(2026, 2, 15), date(2026, 2, 23)),
}
# National Day golden week (merged with Mid-Autumn in some years); default 1-7 October.
_NATIONAL_DAY = {2020: (date(2020, 10, 1), date(2020, 10, 8)), 2023: (date(2023, 9, 29), date(2023, 10, 6)),
                 2025: (date(2025, 10, 1), date(2025, 10, 8))}
# The shop's promotion pre-sale starts (the pre-sale opens at 20:00 that day). Platforms moved them
# earlier in recent years; a mid-size shop launches its own pre-sale within these windows.
_DOUBLE11_PRESALE = {2024: date(2024, 10, 21), 2025: date(2025, 10, 20), 2026: date(2026, 10, 20)}
_SIX18_PRESALE = {2025: date(2025, 5, 13), 2026: date(2026, 5, 20)}
# Events of the year before and after the data are built too (their effects spill over).
SUPPORTED_YEARS = (min(SPRING_FESTIVAL) + 1, max(SPRING_FESTIVAL) - 1)


@dataclass(frozen=True)
class Event:
    """One calendar row plus the shape of its effect on the demand drivers.

    Key points are (day offset from ``anchor``, uplift) pairs interpolated linearly, 0 outside;
    the daily multiplier of a driver is the product over events of (1 + uplift).
    ``hour_factors``: (day offset, driver, {hour: factor}) reshaping the intraday profile that day.
    """

    name: str
    kind: str
    start: date
    end: date
    peak: date | None
    anchor: date
    presales: tuple[tuple[int, float], ...] = ()
    aftersales: tuple[tuple[int, float], ...] = ()
    hour_factors: tuple[tuple[int, str, tuple[tuple[int, float], ...]], ...] = ()


def _double11(year: int) -> Event:
    peak = date(year, 11, 11)
    start = _DOUBLE11_PRESALE.get(year, date(year, 10, 20))
    s = (start - peak).days
    return Event(
        "double11", "promotion", start, peak + timedelta(days=20), peak, peak,
        presales=((s - 1, 0), (s, 0.45), (s + 1, 0.22), (-12, 0.35), (-11, 0.5), (-10, 0.75), (-9, 0.45),
                  (-3, 0.5), (-1, 1.3), (0, 3.8), (1, 0.7), (2, 0.2), (3, -0.08), (10, -0.08), (14, 0)),
        aftersales=((s - 1, 0), (s, 0.05), (-11, 0.1), (-10, 0.25), (-8, 0.3), (-2, 0.2), (0, 0.65), (1, 1.2),
                    (2, 1.55), (3, 1.8), (5, 1.8), (8, 1.2), (12, 0.65), (16, 0.35), (20, 0.15), (24, 0.05), (27, 0)),
        hour_factors=((s, "presales", ((20, 2.0), (21, 2.0), (22, 1.8), (23, 1.6))),
                      (-1, "presales", ((20, 1.2), (21, 1.3), (22, 1.4), (23, 1.6))),
                      (0, "presales", ((0, 2.5), (1, 1.5), (21, 1.2), (22, 1.2), (23, 1.2))),
                      (0, "aftersales", ((0, 1.8), (1, 1.3))),
                      (1, "presales", ((0, 1.6), (1, 1.2)))),
    )


def _six18(year: int) -> Event:
    peak = date(year, 6, 18)
    start = _SIX18_PRESALE.get(year, date(year, 5, 20))
    s = (start - peak).days
    return Event(
        "618", "promotion", start, peak + timedelta(days=12), peak, peak,
        presales=((s - 1, 0), (s, 0.35), (s + 1, 0.15), (-18, 0.2), (-17, 0.45), (-16, 0.2), (-3, 0.25),
                  (-1, 0.6), (0, 1.6), (1, 0.25), (2, 0.05), (3, -0.05), (8, -0.05), (10, 0)),
        aftersales=((s - 1, 0), (s, 0.03), (-17, 0.08), (-14, 0.15), (-2, 0.12), (0, 0.3), (1, 0.5),
                    (3, 0.6), (5, 0.55), (9, 0.3), (13, 0.12), (16, 0)),
        hour_factors=((s, "presales", ((20, 1.8), (21, 1.8), (22, 1.6), (23, 1.4))),
                      (0, "presales", ((0, 1.8), (1, 1.3)))),
    )


def _double12(year: int) -> Event:
    peak = date(year, 12, 12)
    return Event(
        "double12", "promotion", date(year, 12, 8), peak + timedelta(days=8), peak, peak,
        presales=((-5, 0), (-4, 0.15), (-1, 0.25), (0, 0.7), (1, 0.1), (2, 0)),
        aftersales=((-5, 0), (0, 0.1), (2, 0.25), (4, 0.2), (7, 0.08), (9, 0)),
        hour_factors=((0, "presales", ((0, 1.4),)),),
    )


def _festival38(year: int) -> Event:
    peak = date(year, 3, 8)
    return Event(
        "festival38", "promotion", date(year, 3, 1), date(year, 3, 14), peak, peak,
        presales=((-8, 0), (-7, 0.15), (-1, 0.2), (0, 0.5), (1, 0.05), (2, 0)),
        aftersales=((-8, 0), (0, 0.05), (2, 0.15), (5, 0.1), (8, 0)),
    )


def _spring_events(year: int) -> list[Event]:
    """New Year goods festival, the Spring Festival holiday and the couriers' stop around it."""
    ny = SPRING_FESTIVAL[year]
    hol_start, hol_end = _SPRING_HOLIDAY.get(year, (ny - timedelta(days=1), ny + timedelta(days=6)))
    goods = Event("new_year_goods", "promotion", ny - timedelta(days=30), ny - timedelta(days=13),
                  ny - timedelta(days=17), ny,
                  presales=((-31, 0), (-30, 0.12), (-17, 0.25), (-13, 0.1), (-12, 0)),
                  aftersales=((-31, 0), (-25, 0.05), (-14, 0.1), (-12, 0)))
    # Pre-sales fall from the last-delivery deadline to the end of the stop; after-sales first rise
    # (delayed parcels), drop over the holiday itself and rebound when couriers deliver again.
    holiday = Event("spring_festival", "holiday", hol_start, hol_end, ny, ny,
                    presales=((-13, 0), (-10, -0.12), (-7, -0.35), (-4, -0.55), (-1, -0.68), (2, -0.68),
                              (5, -0.5), (8, -0.25), (12, -0.08), (16, 0)),
                    aftersales=((-12, 0), (-9, 0.1), (-6, 0.12), (-3, -0.3), (-1, -0.45), (2, -0.45),
                                (4, -0.2), (6, 0.25), (8, 0.55), (10, 0.45), (14, 0.2), (20, 0.05), (23, 0)))
    stop = Event("spring_festival_logistics", "logistics_stop", ny - timedelta(days=3), ny + timedelta(days=4),
                 None, ny)
    return [goods, holiday, stop]


def _golden_week(name: str, first: date, last: date, dip: float) -> Event:
    n = (last - first).days
    return Event(name, "holiday", first, last, None, first,
                 presales=((-1, 0), (0, -dip), (n, -dip * 0.8), (n + 1, 0)),
                 aftersales=((-1, 0), (0, -dip * 0.8), (n, -dip * 0.6), (n + 1, dip * 0.8), (n + 3, dip * 0.4),
                             (n + 5, 0)))


def build_events(first: date, last: date) -> list[Event]:
    """Every event whose effect can touch ``first..last`` (inclusive), in date order.

    Raises ValueError outside :data:`SUPPORTED_YEARS`.
    """
    lo, hi = SUPPORTED_YEARS
    if first.year < lo or last.year > hi:
        raise ValueError(f"the sample calendar covers the years {lo}..{hi}; {first}..{last} is outside")
    events: list[Event] = []
    for year in range(first.year - 1, last.year + 2):
        events.extend(_spring_events(year))
        events.append(_festival38(year))
        events.append(_golden_week("labour_day", date(year, 5, 1), date(year, 5, 5), 0.10))
        events.append(_six18(year))
        nd = _NATIONAL_DAY.get(year, (date(year, 10, 1), date(year, 10, 7)))
        events.append(_golden_week("national_day", nd[0], nd[1], 0.18))
        events.append(_double11(year))
        events.append(_double12(year))
    margin = timedelta(days=40)
    events = [e for e in events if e.end + margin >= first and e.start - margin <= last]
    return sorted(events, key=lambda e: (e.start, e.name))


# ----------------------------------------------------------------------------------------------
# History


def _driver_multipliers(events: list[Event], days: np.ndarray, first: date) -> dict[str, np.ndarray]:
    """Daily multipliers of the two demand drivers (product of 1 + uplift over events)."""
    out = {"presales": np.ones(len(days)), "aftersales": np.ones(len(days))}
    day_index = np.arange(len(days))
    for e in events:
        offset = day_index - (e.anchor - first).days
        for driver, points in (("presales", e.presales), ("aftersales", e.aftersales)):
            if points:
                xp, fp = zip(*points)
                out[driver] *= 1.0 + np.interp(offset, xp, fp, left=0.0, right=0.0)
    return out


def _season(days: np.ndarray) -> np.ndarray:
    """Smooth yearly season: a little busier before the year end, an early-August lull."""
    doy = (days - days.astype("datetime64[Y]")).astype(int) + 1
    return 1.0 + 0.05 * np.cos(2 * np.pi * (doy - 345) / 365.25) - 0.04 * np.exp(-(((doy - 215) / 25.0) ** 2))


def _queue_daily_mean(spec: QueueSpec, drivers: dict[str, np.ndarray], days: np.ndarray, end: date) -> np.ndarray:
    years_from_end = (days - np.datetime64(end)).astype(int) / 365.25
    growth = (1.0 + GROWTH_PER_YEAR) ** years_from_end
    weekday = np.asarray(spec.weekday)[(days.astype(int) + 3) % 7]   # 1970-01-01 was a Thursday
    after = drivers["aftersales"]
    if spec.lag_days:
        after = np.concatenate((np.full(spec.lag_days, after[0]), after[:-spec.lag_days]))
    event = spec.presales_share * drivers["presales"] + (1.0 - spec.presales_share) * after
    event = 1.0 + spec.event_gain * (event - 1.0)
    return spec.base_per_day * growth * _season(days) * weekday * np.maximum(event, 0.05)


def _intraday(spec: QueueSpec, events: list[Event], days: np.ndarray, first: date) -> np.ndarray:
    """(days × 96) share of each day's volume per interval; 0 where the queue is closed."""
    base = _intraday_base(spec.profile)
    w = np.tile(base, (len(days), 1))
    weekend = ((days.astype(int) + 3) % 7) >= 5
    hour_of = np.arange(INTERVALS_PER_DAY) // (60 // INTERVAL_MIN)
    for hour, factor in _WEEKEND_HOUR_FACTOR.items():
        w[np.ix_(weekend, hour_of == hour)] *= factor
    drivers = {"presales"} if spec.presales_share >= 0.5 else {"aftersales"}
    for e in events:
        for offset, driver, factors in e.hour_factors:
            d = (e.anchor - first).days + offset
            if driver in drivers and spec.lag_days == 0 and 0 <= d < len(days):
                for hour, factor in factors:
                    w[d, hour_of == hour] *= factor
    w[:, hour_of < spec.open_hour] = 0.0
    return w / w.sum(axis=1, keepdims=True)


def build_history(seed: int, first: date, end: date, events: list[Event]) -> dict[str, np.ndarray]:
    """Columns of the history (ds as datetime64[m], queue, volume, aht_s with NaN where volume is 0),
    rows by interval then queue order, closed intervals absent."""
    days = np.arange(np.datetime64(first), np.datetime64(end) + 1)
    drivers = _driver_multipliers(events, days, first)
    day_noise_common = np.random.default_rng([seed, 1]).normal(0.0, 0.04, len(days))
    per_queue = []
    for k, spec in enumerate(QUEUES.values()):
        rng = np.random.default_rng([seed, 10 + k])
        mean_day = _queue_daily_mean(spec, drivers, days, end)
        noise = np.exp(day_noise_common + rng.normal(0.0, 0.03, len(days)) - 0.5 * (0.04**2 + 0.03**2))
        lam = (mean_day * noise)[:, None] * _intraday(spec, events, days, first)
        volume = rng.poisson(rng.gamma(spec.dispersion, lam / spec.dispersion))
        # Mean handling time of the interval's contacts: the queue's AHT, a little longer at night
        # (fewer seniors) and on busy after-sales days (complex returns), averaged over n contacts.
        hour = np.arange(INTERVALS_PER_DAY) // 4
        night = np.where((hour < 7) | (hour >= 23), 1.05, 1.0)
        busy = 1.0 + 0.06 * np.clip(drivers["aftersales"] - 1.0, 0.0, 1.0) * (1.0 - spec.presales_share)
        mean_aht = spec.aht_s * busy[:, None] * night[None, :]
        sd = spec.aht_cv / np.sqrt(np.maximum(volume, 1))
        aht = mean_aht * np.clip(1.0 + rng.standard_normal(volume.shape) * sd, 0.35, None)
        aht = np.where(volume > 0, np.round(aht, 1), np.nan)
        open_mask = np.zeros(INTERVALS_PER_DAY, dtype=bool)
        open_mask[spec.open_hour * 4:] = True
        per_queue.append((spec.name, volume, aht, open_mask))
    ds_all = days.astype("datetime64[m]")[:, None] + np.arange(0, 1440, INTERVAL_MIN).astype("timedelta64[m]")
    ds_parts, q_parts, v_parts, a_parts = [], [], [], []
    for qi, (name, volume, aht, open_mask) in enumerate(per_queue):
        mask = np.broadcast_to(open_mask, volume.shape)
        ds_parts.append(ds_all[mask])
        q_parts.append(np.full(int(mask.sum()), qi, dtype=np.int8))
        v_parts.append(volume[mask])
        a_parts.append(aht[mask])
    ds = np.concatenate(ds_parts)
    qidx = np.concatenate(q_parts)
    order = np.lexsort((qidx, ds))
    names = np.asarray(list(QUEUES))
    return {C.DS: ds[order], C.QUEUE: names[qidx[order]], C.VOLUME: np.concatenate(v_parts)[order],
            C.AHT_S: np.concatenate(a_parts)[order]}


def _history_text(h: dict[str, np.ndarray]) -> str:
    ds = np.datetime_as_string(h[C.DS], unit="m")
    ds = np.char.replace(ds, "T", " ")
    aht = h[C.AHT_S]
    aht_text = np.where(np.isnan(aht), "", np.char.mod("%.1f", np.nan_to_num(aht)))
    lines = [",".join((C.DS, C.QUEUE, C.VOLUME, C.AHT_S))]
    lines.extend(f"{a},{b},{c},{d}" for a, b, c, d in zip(ds.tolist(), h[C.QUEUE].tolist(),
                                                          h[C.VOLUME].tolist(), aht_text.tolist()))
    return "\n".join(lines) + "\n"


def _calendar_text(events: list[Event], first: date, last: date) -> str:
    lines = [",".join((C.NAME, C.KIND, C.START, C.END, C.PEAK, C.UPLIFT))]
    for e in events:
        if e.end >= first and e.start <= last:
            peak = e.peak.isoformat() if e.peak else ""
            lines.append(f"{e.name},{e.kind},{e.start.isoformat()},{e.end.isoformat()},{peak},")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# Agents

_SURNAMES = (
    ("Wang", 7.2), ("Li", 7.2), ("Zhang", 6.8), ("Liu", 5.4), ("Chen", 4.5), ("Yang", 3.1), ("Huang", 2.3),
    ("Zhao", 2.0), ("Wu", 2.0), ("Zhou", 1.9), ("Xu", 1.3), ("Sun", 1.2), ("Ma", 1.1), ("Zhu", 1.1), ("Hu", 1.0),
    ("Guo", 0.95), ("He", 0.9), ("Gao", 0.85), ("Lin", 0.85), ("Luo", 0.8), ("Zheng", 0.8), ("Liang", 0.7),
    ("Xie", 0.6), ("Song", 0.55), ("Tang", 0.55), ("Han", 0.5), ("Feng", 0.45), ("Deng", 0.45), ("Cao", 0.45),
    ("Peng", 0.43), ("Zeng", 0.4), ("Xiao", 0.4), ("Tian", 0.4), ("Dong", 0.4), ("Pan", 0.38), ("Yuan", 0.38),
    ("Cai", 0.35), ("Jiang", 0.35), ("Yu", 0.35), ("Du", 0.33), ("Ye", 0.32), ("Cheng", 0.31), ("Wei", 0.3),
)
_GIVEN = (
    "Jing", "Min", "Yan", "Fang", "Na", "Li", "Ting", "Xue", "Yu", "Hui", "Qian", "Lei", "Wei", "Jie", "Tao",
    "Hao", "Yang", "Chen", "Xin", "Yue", "Jiayi", "Zihan", "Yuxuan", "Haoran", "Yutong", "Xinyi", "Mengyao",
    "Siqi", "Jiahui", "Shuang", "Lu", "Dan", "Rui", "Kai", "Bo", "Peng", "Fei", "Qing", "Lin", "Ying",
    "Xiaoyu", "Xiaoli", "Wenjing", "Yiming", "Zhiwei", "Junjie", "Jianhua", "Lili", "Meng", "Huan", "Jun",
    "Chao", "Yun", "Shan", "Ning", "Ke", "Xiaohui", "Yanan", "Jiaqi", "Mingyu", "Haoyu", "Ziyi", "Yifan",
    "Tingting", "Jingjing", "Lina", "Xiaojing", "Qiuyue", "Ruoxi", "Shiyu", "Yujie", "Wenhao", "Zixuan",
    "Bingbing", "Dandan", "Yiran", "Xiaodong", "Weiwei", "Lingling", "Zhen", "Guang", "Hong", "Ping", "Qiang",
)

VP, VA, CH, EM, CM, CN = ("voice_presales", "voice_aftersales", "chat", "email", "complaints_major",
                          "complaints_normal")


@dataclass(frozen=True)
class AgentGroup:
    """A block of agents with the same team, skills and contract."""

    team: str
    count: int
    skills: tuple[str, ...]
    contract: str
    senior_share: float
    night_ok_count: int = 0


# ~150 in-house agents and a vendor pool of 40. Tier 1: half senior, half junior; generalists,
# voice specialists, chat-only (mostly juniors and part-timers), e-mail back office.
AGENT_GROUPS: tuple[AgentGroup, ...] = (
    AgentGroup("tier1", 30, (VP, VA, CH, EM), "full_time", 0.75, night_ok_count=8),
    AgentGroup("tier1", 16, (VP, CH), "full_time", 0.5),
    AgentGroup("tier1", 16, (VA, CH, EM), "full_time", 0.5, night_ok_count=4),
    AgentGroup("tier1", 10, (VP, VA), "full_time", 0.5),
    AgentGroup("tier1", 10, (CH, EM), "full_time", 0.4),
    AgentGroup("tier1", 12, (CH,), "full_time", 0.25),
    AgentGroup("tier1", 16, (CH,), "part_time", 0.25),
    AgentGroup("tier2", 12, (CM, CN), "full_time", 0.75, night_ok_count=4),
    AgentGroup("tier2", 8, (CM, CN, VA), "full_time", 0.75),
    AgentGroup("night", 14, (VA, CH, EM), "full_time", 0.6, night_ok_count=14),
    AgentGroup("night", 6, (CH, EM), "full_time", 0.5, night_ok_count=6),
    AgentGroup("overflow", 20, (VP, VA, CH), "vendor", 0.7),
    AgentGroup("overflow", 12, (VP, CH), "vendor", 0.7),
    AgentGroup("overflow", 8, (CH,), "vendor", 0.5),
)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = [s for s, _ in _SURNAMES]
    p = np.asarray([w for _, w in _SURNAMES])
    p = p / p.sum()
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = f"{surnames[rng.choice(len(surnames), p=p)]} {_GIVEN[rng.integers(len(_GIVEN))]}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _leave(rng: np.random.Generator, windows: list[tuple[date, date]], share: float, n: int) -> list[list[str]]:
    """For each window, about ``share`` of the agents get 1-5 days of leave (a date or a range)."""
    leave: list[list[str]] = [[] for _ in range(n)]
    for first, last in windows:
        span = (last - first).days + 1
        chosen = rng.choice(n, size=max(1, int(round(share * n))), replace=False)
        for a in sorted(chosen.tolist()):
            length = int(rng.choice([1, 1, 2, 3, 5]))
            day = first + timedelta(days=int(rng.integers(0, span - length + 1)))
            end = day + timedelta(days=length - 1)
            leave[a].append(day.isoformat() if length == 1 else f"{day.isoformat()}..{end.isoformat()}")
    return leave


def build_agents(seed: int, end: date) -> list[dict[str, str]]:
    """Agent rows (agents.csv columns as text). Leave falls in the upcoming 618 and 11.11 periods and
    in September (the normal-weeks horizon): 5 % of in-house agents in each window."""
    rng = np.random.default_rng([seed, 2])
    in_house = sum(g.count for g in AGENT_GROUPS if g.team != "overflow")
    vendor = sum(g.count for g in AGENT_GROUPS if g.team == "overflow")
    names = _names(rng, in_house + vendor)
    y = end.year
    # Leave is frozen around the 11.11 peak (8-16 Nov) and 618 (15-19 Jun): planners grant it before/after.
    windows = [(date(y, 11, 17), date(y, 11, 29)), (date(y, 11, 2), date(y, 11, 7)), (date(y, 6, 1), date(y, 6, 14)),
               (date(y, 6, 20), date(y, 6, 28)), (date(y, 9, 1), date(y, 9, 27))]
    leave = _leave(rng, windows, 0.05, in_house)
    rows: list[dict[str, str]] = []
    n_in = n_out = 0
    for g in AGENT_GROUPS:
        seniors = int(round(g.senior_share * g.count))
        night = set(range(g.night_ok_count))
        for k in range(g.count):
            if g.team == "overflow":
                n_out += 1
                agent_id, name, unavailable = f"V{n_out:03d}", names[in_house + n_out - 1], ""
            else:
                n_in += 1
                agent_id, name, unavailable = f"A{n_in:03d}", names[n_in - 1], ";".join(leave[n_in - 1])
            rows.append({
                C.AGENT_ID: agent_id, C.AGENT_NAME: name, C.TEAM: g.team, C.SKILLS: ";".join(g.skills),
                C.CONTRACT: g.contract, C.SENIORITY: "senior" if k < seniors else "junior",
                C.UNAVAILABLE: unavailable, C.NIGHT_OK: "true" if k in night else "false",
            })
    return rows


def _agents_text(rows: list[dict[str, str]]) -> str:
    cols = (*C.AGENT_COLUMNS, *C.AGENT_OPTIONAL)
    return "\n".join([",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]) + "\n"


# ----------------------------------------------------------------------------------------------
# Writing


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp.exists():
            tmp.unlink()
        raise InputFileError(f"cannot write the sample data here ({exc.strerror})", file=str(path)) from None


def history_start(end: date, years: int) -> date:
    """First day of ``years`` years of history ending on ``end`` (2026-10-31, 2 -> 2024-11-01)."""
    try:
        return date(end.year - years, end.month, end.day) + timedelta(days=1)
    except ValueError:  # 29 February
        return date(end.year - years, end.month, 28) + timedelta(days=1)


def calendar_end(end: date) -> date:
    """Last day the calendar lists events for: the end of the year, at least two months ahead."""
    return max(date(end.year, 12, 31), end + timedelta(days=61))


def check_range(end: date, years: int) -> None:
    """Raise ValueError (saying what is allowed) unless ``years`` years of history ending on ``end``
    and the calendar after it lie within :data:`SUPPORTED_YEARS`."""
    if not 1 <= years <= 5:
        raise ValueError(f"years must be 1..5, got {years}")
    lo, hi = SUPPORTED_YEARS
    first, last = history_start(end, years), calendar_end(end)
    if first.year < lo or last.year > hi:
        raise ValueError(f"the history {first}..{end} and its calendar up to {last} must lie within the years {lo}..{hi}")


def generate_sample_data(outdir: str | Path, *, seed: int = 2026, end: date = date(2026, 10, 31), years: int = 2,
                         only: tuple[str, ...] = ("history", "calendar", "agents")) -> dict[str, Path]:
    """Write the sample ``history.csv``, ``calendar.csv`` and ``agents.csv`` into ``outdir``.

    History covers ``years`` years of 15-minute intervals ending on ``end`` (inclusive); the calendar
    lists every event of that period and the upcoming ones (see :func:`calendar_end`). ``only`` limits
    which files are written. Returns {"history"|"calendar"|"agents": path}. Same arguments, same bytes.
    Raises ValueError for years outside 1..5 or dates outside the supported years.
    """
    check_range(end, years)
    unknown = set(only) - set(FILES)
    if unknown:
        raise ValueError(f"unknown sample files {sorted(unknown)}; expected some of {sorted(FILES)}")
    outdir = Path(outdir)
    first = history_start(end, years)
    last = calendar_end(end)
    events = build_events(first, last)
    written: dict[str, Path] = {}
    for key in ("agents", "calendar", "history"):
        if key not in only:
            continue
        path = outdir / FILES[key]
        if key == "history":
            text = _history_text(build_history(seed, first, end, events))
        elif key == "calendar":
            text = _calendar_text(events, first, last)
        else:
            text = _agents_text(build_agents(seed, end))
        _write_atomic(path, text)
        written[key] = path
    return {k: written[k] for k in FILES if k in written}


def ensure_sample_data(scenario) -> bool:
    """Generate the sample files a scenario names when they are all missing and it sets ``data.generate_sample``.

    Files are written into the folder of ``data.history``; the scenario must name them history.csv,
    calendar.csv and agents.csv in that folder. Returns True when files were written. Raises ScenarioError
    when the missing files are not ones the generator can write, or when only some are missing: a scenario
    that extends base.yaml inherits the key, and filling a planner's own folder (own history, agents.csv
    deleted or misnamed) with the sample centre's agents would plan made-up people without a word.
    """
    spec = scenario.data.generate_sample
    paths = {key: scenario.data_path(key) for key in FILES}
    missing = {key: p for key, p in paths.items() if p is not None and not p.exists()}
    if spec is None or not missing:
        return False
    present = [p for key, p in paths.items() if p is not None and key not in missing]
    if present:
        names = ", ".join(str(p) for p in missing.values())
        raise ScenarioError(
            f"{scenario.source or '<scenario>'}: {names} does not exist, beside {', '.join(p.name for p in present)}: "
            "data.generate_sample writes the sample centre only where none of its files is (it would mix made-up data "
            "with yours); restore the file, fix its path in data, or delete the folder to generate the sample again"
        )
    folder = paths["history"].parent
    for key, p in missing.items():
        expected = folder / FILES[key]
        if p != expected:
            raise ScenarioError(
                f"{scenario.source or '<scenario>'}: data.{key}: {p} does not exist and data.generate_sample can only "
                f"write {FILES[key]} beside the history ({expected}); fix the path or remove data.generate_sample"
            )
    try:
        generate_sample_data(folder, seed=spec.seed, end=spec.end, years=spec.years, only=tuple(missing))
    except ValueError as exc:
        raise ScenarioError(f"{scenario.source or '<scenario>'}: data.generate_sample: {exc}") from None
    return True
