"""Valid lower bounds of the roster objective.

:func:`fluid_bound` — a Lagrangian fluid relaxation evaluated in about a second:
- capacity may be bought interval by interval (no shift shapes, rest or days-off rules), limited by
  the agents who could be on duty then; a pool delivers at most ``u_p`` effective capacity units per
  paid minute (its best shift, breaks included);
- a pool-week's labour cost is at least ``rate × max(M, H)`` (``M``: the contracted minimum minutes,
  ``H``: paid minutes, ``rate``: its cheapest cost per paid minute) with ``H ≤ Hmax`` (weekly maximum
  hours, working days × longest shift); for a price ``λ`` per paid minute that is at least
  ``λ·H + (rate − λ)·M`` when ``λ ≤ rate`` and ``λ·H − (λ − rate)·Hmax`` above — so the problem
  separates by interval; every ``λ`` gives a valid bound and a small search picks the best per week;
- per interval, each live queue buys segments of its (convex, under-estimating) lost-contact envelope
  while they are worth more than the cheapest price of a pool that may serve it, within that queue's
  and the interval's capacity (skills are relaxed to these two limits);
- deferred work costs at least the cheaper of doing it at that price and being late one interval;
- every dropped term (over-staffing, fairness, preferences, ...) is non-negative.
Shift rigidity is what this bound ignores, so it stays below the best roster by the cost of shifts'
fixed lengths (docs/model.md has the figures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from functools import lru_cache

import numpy as np

from scheduler.optimize.limits import WeekLimits, week_limits
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem

ALPHAS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)


def bound_limits(prob: RosterProblem, agent, week) -> WeekLimits:
    """The agent's week limits as the bounds may use them: a weekly rule made soft (``rules.soft``) may be
    broken at a price, so it is relaxed (minimum minutes 0, maximum minutes one longest shift a day, no days
    off, a night every day) — the bound stays a relaxation of every roster. A hard weekly minimum is raised
    to the least paid minutes the agent's whole shifts can add up to at or above it (:func:`smallest_total`:
    with 10 h night shifts a 32 h minimum means 40 h), a hard maximum lowered to the most they add up to
    within it on the days it may work (:func:`largest_total`: 40 h of 10 h nights within 48 h)."""
    lim = week_limits(prob, agent, week)
    soft = prob.soft
    changes = {}
    # the paid minutes of the agent's shift types (and of its locked shifts), and the days it may work
    locked = {d: s for d, s in agent.locked.items() if d in week.days and s is not None}
    values = tuple(sorted({prob.shifts[s].paid_min for s in (*agent.shifts, *locked.values())}))
    work_days = len(set(lim.available) | set(locked))
    if "min_hours_per_week" in soft:
        changes["min_paid_min"] = 0
    elif lim.min_paid_min > 0:
        least = smallest_total(values, work_days, lim.min_paid_min)
        if least is not None and least <= lim.max_paid_min:
            changes["min_paid_min"] = least
    if "max_hours_per_week" in soft:
        longest = max((s.paid_min for s in prob.shifts), default=0)
        changes["max_paid_min"] = longest * len(lim.available)
    elif lim.max_paid_min > 0:
        k = work_days if "min_days_off_per_week" in soft else min(work_days, len(lim.days) - lim.min_days_off)
        most = largest_total(values, max(k, len(locked)), lim.max_paid_min)
        if most >= changes.get("min_paid_min", lim.min_paid_min):
            changes["max_paid_min"] = most
    if "min_days_off_per_week" in soft:
        changes["min_days_off"] = 0
    if "max_nights_per_week" in soft:
        changes["max_nights"] = len(lim.days)
    return replace(lim, **changes) if changes else lim


def _reachable(values: tuple[int, ...], k: int, limit: int) -> set[int]:
    """Sums of at most ``k`` of ``values`` (each may repeat), a sum of ``limit`` or more not extended further."""
    vals = sorted({v for v in values if v > 0})
    out, level = {0}, {0}
    for _ in range(k):
        level = {t + v for t in level if t < limit for v in vals} - out
        if not level:
            break
        out |= level
    return out


@lru_cache(maxsize=4096)
def smallest_total(values: tuple[int, ...], k: int, minimum: int) -> int | None:
    """The smallest sum of at most ``k`` of ``values`` (minutes; each may repeat) that is at least ``minimum``,
    or None when none is. An agent whose shifts are all 10 h paid meets a 32 h weekly minimum with 40 h."""
    if minimum <= 0:
        return 0
    return min((t for t in _reachable(values, k, minimum) if t >= minimum), default=None)


@lru_cache(maxsize=4096)
def largest_total(values: tuple[int, ...], k: int, maximum: int) -> int:
    """The largest sum of at most ``k`` of ``values`` (minutes; each may repeat) that is at most ``maximum``
    (0 when none is). 10 h nights within 40 h + 8 h overtime: 40 h."""
    return max(t for t in _reachable(values, k, maximum + 1) if t <= maximum)


def _pool_rates(prob: RosterProblem) -> tuple[dict[int, float], dict[int, float]]:
    """Per pool: cheapest objective units per paid minute, and most capacity units per paid minute."""
    rate, units = {}, {}
    per_day = prob.per_day
    for p in prob.pools:
        r, u = float("inf"), 0.0
        for s_idx in p.shifts:
            s = prob.shifts[s_idx]
            if s.paid_min <= 0:
                continue
            eff = p.efficiency[(s.start + np.arange(s.length)) % per_day].astype(float)
            brk = sum(slot.length for slot in s.breaks)
            r = min(r, prob.shift_cost[(p.team, s_idx)] / s.paid_min)
            u = max(u, float(eff.sum() - brk * eff.min()) / s.paid_min)
        rate[p.index], units[p.index] = r, u
    return rate, units


def _could_work(prob: RosterProblem, agents: list[int]) -> list[np.ndarray]:
    """:func:`could_work` of each agent: per horizon interval, whether some shift it may work on a day it is
    available covers it (the cover of each day's shifts computed once per set of shifts)."""
    by_day: dict[tuple, np.ndarray] = {}
    out = []
    for a in agents:
        info = prob.agents[a]
        key = tuple(sorted(info.shifts))
        if key not in by_day:
            days = np.zeros((prob.n_days, prob.horizon_intervals), dtype=bool)
            for d in range(prob.n_days):
                for s in key:
                    r = prob.shift_intervals(d, prob.shifts[s])
                    days[d, r.start:r.stop] = True
            by_day[key] = days
        free = [d for d in range(prob.n_days) if d not in info.unavailable]
        out.append(by_day[key][free].any(axis=0))
    return out


class _Fluid:
    def __init__(self, prob: RosterProblem):
        self.prob = prob
        sc = prob.scenario
        T = prob.horizon_intervals
        self.rate, self.units = _pool_rates(prob)
        self.week_of_t = np.repeat([next(w.index for w in prob.weeks if d in w.days) for d in range(prob.n_days)],
                                   prob.per_day)
        # contracted minimum and most paid minutes per pool-week (weekly hours, working days x longest shift)
        self.minimum, self.maximum = {}, {}
        for p in prob.pools:
            longest = max((prob.shifts[s].paid_min for s in p.shifts), default=0)
            for w in prob.weeks:
                lims = [bound_limits(prob, prob.agents[a], w) for a in p.members]
                self.minimum[(p.index, w.index)] = sum(lm.min_paid_min for lm in lims)
                self.maximum[(p.index, w.index)] = sum(
                    min(max(0, lm.max_paid_min), longest * min(len(lm.available), len(w.days) - lm.min_days_off))
                    for lm in lims)
        # capacity that could be on duty, per pool (breaks, rest and weekly rules ignored), with team caps
        self.cap_p: dict[int, np.ndarray] = {}
        team_units: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(T))
        for p in prob.pools:
            heads = sum((cover.astype(float) for cover in _could_work(prob, p.members)), np.zeros(T))
            self.cap_p[p.index] = heads * np.tile(p.efficiency, prob.n_days).astype(float)
            team_units[p.team] += self.cap_p[p.index]
        self.cap_all = sum(self.cap_p.values(), np.zeros(T))
        for team, units in team_units.items():
            spec = sc.teams[team]
            if spec.max_agents is not None:
                best_eff = max(float(p.efficiency.max()) for p in prob.pools if p.team == team)
                self.cap_all = self.cap_all - np.clip(units - spec.max_agents * best_eff, 0, None)
        self.servers = {q: [p.index for p in prob.pools if q in p.queues and self.units[p.index] > 0] for q in sc.queues}
        self.cap_q = {q: np.minimum(sum((self.cap_p[p] for p in self.servers[q]), np.zeros(T)), self.cap_all)
                      for q in sc.queues}
        # per interval, the pieces of the live queues' envelopes: (value per capacity unit before the price of
        # capacity, length, queue); and the lost contacts at zero capacity per week (all in objective units)
        w_ = sc.weights
        over_w = w_.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
        self.lost0: dict[int, float] = defaultdict(float)
        pieces: dict[int, list] = defaultdict(list)
        for q, dem in prob.live.items():
            for k, t in enumerate(dem.t):
                t = int(t)
                seg = dem.segments[k]
                self.lost0[self.week_of_t[t]] += w_.lost_contact * seg.lost0 * OBJ_SCALE
                at = 0.0
                req = dem.required[k] * CAP_SCALE
                for length, slope in zip(seg.lengths, seg.slopes):
                    length = float(length) if length >= 0 else float(self.cap_q[q][t])
                    if length > 0:
                        pieces[t].append((-w_.lost_contact * slope * OBJ_SCALE - (over_w if at >= req else 0.0),
                                          length, q, float(self.cap_q[q][t])))
                    at += length
        self.pieces = [(t, int(self.week_of_t[t]), float(self.cap_all[t]), its) for t, its in sorted(pieces.items())]

    def carry_in_worth(self) -> float:
        """At most what the previous period's shifts running into the horizon (:attr:`RosterProblem.carry_in`,
        free capacity the relaxation above does not see) can save: each unit at the most a unit of capacity is
        worth there — a live queue's steepest piece at that interval, a deferred queue's late-work price or the
        dearest capacity price (the cost is convex in capacity, so no unit saves more)."""
        prob = self.prob
        if not prob.carry_in:
            return 0.0
        top: dict[int, dict[str, float]] = {}
        for t, _, _, its in self.pieces:
            top[t] = {}
            for base, _, q, _ in its:
                top[t][q] = max(top[t].get(q, 0.0), base)
        deferred = {}
        for q in prob.deferred:
            late_w = prob.scenario.late_work_hour_for(q) * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
            price = max((a * self.rate[p] / self.units[p] for p in self.servers[q] for a in ALPHAS), default=0.0)
            deferred[q] = max(late_w, price)
        worth = 0.0
        for g, units in prob.carry_in.items():
            for t in np.flatnonzero(units > 0):
                v = max([top.get(int(t), {}).get(q, 0.0) for q in g] + [deferred.get(q, 0.0) for q in g])
                worth += float(units[t]) * max(0.0, v)
        return worth

    def constant(self, p: int, w: int, alpha: float) -> float:
        """Labour of pool-week (p, w) at price ``λ = alpha × rate`` per paid minute: cost ≥ rate·max(M, H) and
        H ≤ Hmax give cost ≥ λ·H + (rate − λ)·M for λ ≤ rate, and ≥ λ·H − (λ − rate)·Hmax above it."""
        rate = self.rate[p]
        if not np.isfinite(rate):
            return 0.0
        if alpha <= 1.0:
            return (1.0 - alpha) * rate * self.minimum[(p, w)]
        return -(alpha - 1.0) * rate * self.maximum[(p, w)]

    def evaluate(self, alpha: np.ndarray) -> np.ndarray:
        """Bound contribution of each week for price ``π = alpha[w] × rate`` (objective units per week)."""
        prob = self.prob
        sc = prob.scenario
        nw = len(prob.weeks)
        out = np.zeros(nw)
        for (p, w) in self.minimum:
            out[w] += self.constant(p, w, alpha[w])
        # price per capacity unit of each queue, per week: its cheapest pool at pi/u
        price = {q: np.array([min((alpha[w] * self.rate[p] / self.units[p] for p in self.servers[q]), default=np.inf)
                              for w in range(nw)]) for q in sc.queues}
        for wk, lost in self.lost0.items():
            out[wk] += lost
        price_l = {q: v.tolist() for q, v in price.items()}
        for t, wk, cap, its in self.pieces:
            left = cap
            left_q = {}
            chosen = []
            for base, length, q, cap_q in its:
                net = base - price_l[q][wk]
                if net > 0:
                    chosen.append((net, length, q))
                    left_q[q] = cap_q
            for net, length, q in sorted(chosen, key=lambda x: -x[0]):
                take = min(length, left, left_q[q])
                if take <= 0:
                    continue
                out[wk] -= net * take
                left -= take
                left_q[q] -= take
        for q, dem in prob.deferred.items():
            late_w = prob.scenario.late_work_hour_for(q) * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
            last_due = max((last for _, last in dem.due), default=-1)
            for t in np.flatnonzero(dem.work > 0):
                if t > last_due:
                    continue            # not due within the horizon
                wk = self.week_of_t[t]
                out[wk] += min(price[q][wk], late_w) * float(dem.work[t])
        return out


def fluid_bound(prob: RosterProblem) -> float:
    """A valid lower bound of the objective (objective units): the best week-wise price among a few."""
    fluid = _Fluid(prob)
    nw = len(prob.weeks)
    best = np.full(nw, -np.inf)
    for a in ALPHAS:
        best = np.maximum(best, fluid.evaluate(np.full(nw, a)))
    return float(best.sum()) - fluid.carry_in_worth()
