"""A lower bound and fractional shift counts from one linear programme per Monday–Sunday week.

The per-day LP (:mod:`.lpbound`) drops who works on which day of a week; here the days of a week are
one LP, so the weekly pool rules bind (a relaxation of the per-agent rules, summed over the pool):
- shift counts ``x[p, d, s]`` (continuous), at most the pool's members available on day d per day;
- working days: ``Σ_{d,s} x ≤ Σ_agents min(available days, days − min days off)`` per pool-week;
- paid minutes between the members' prorated weekly minimum and their maximum (+ overtime, whose extra
  cost is dropped); nights at most the members' weekly night allowance;
- team caps (at most ``max_agents`` on shift at once);
- capacity per pool and interval at most its efficiency × shifts covering it, and per pool-day at most
  the shifts' capacity less the break time that must fall inside that day;
- allocation of each capacity group over its queues, the convex lost-contact segments and the
  over-staffing price (as in the roster's cost), deferred work with its backlog and deadlines.
Night shifts of the day before the week cover the week's first intervals and pay the share of their
intervals inside it (the week before pays the rest); the backlog carried between weeks is priced with
the per-day LP's Lagrangian price, so weeks separate. Any such price gives a valid bound, so the sum of
the weeks is a valid lower bound of every roster's cost. Rest between days, consecutive days and two
days off together stay relaxed. Solved by HiGHS (scipy).

Measured on 11.11 (docs/model.md): 15-20 s per week with HiGHS's interior point on 2 cores, raising
the bound from 0.78 M (per-day LPs) to 0.91 M. Rounding its fractional shift counts to seed the
greedy gave worse rosters (1.31-1.34 M against 1.23 M): the rounded counts lose capacity where the
LP's group-pooled capacity and break relaxation are optimistic, and the named assignment drops more.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from scheduler.optimize.bound import ALPHAS, _Fluid, bound_limits
from scheduler.optimize.lpbound import _LP, _day, _rho, add_service_terms, fluid_avail, reduced_cost, split_capacity
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem, Week

log = logging.getLogger(__name__)


@dataclass
class LPBound:
    bound: float | None          # objective units; None when not every day's LP was solved in time
    weeks_by_week_lp: int        # weeks whose part came from the week LP (the others: per-day LPs)
    wall_s: float


def lp_bound(prob: RosterProblem, time_limit_s: float = 120.0) -> LPBound:
    """The best valid LP bound within ``time_limit_s`` (wall clock): each week's part is its week LP when that
    is solved, else the sum of its per-day LPs (:mod:`.lpbound`, fast). Both relax the same weekly subproblem
    with the same prices on the backlog carried across days and weeks (and a shift crossing into the next
    week never costs more than its plain share there), so any mix sums to a valid lower bound.

    Order: one day LP is timed first (the first day of the week taken last); then, week by week, the week LP
    is tried with the time left less what the per-day LPs of the weeks still without a part would take
    (:data:`DAY_LP_RESERVE` × the timed day), and a week whose week LP is not tried or not solved in that
    time gets its per-day LPs; time still left goes to the week LPs not solved (a week then counts the larger
    of its two parts). So the week LPs start at once, and a slow week LP never leaves a week without a part
    (before, all per-day LPs came first: 10 s on 11.11 on a quiet machine, 30-100 s under load)."""
    t_start = time.perf_counter()
    t_end = t_start + time_limit_s
    fluid = _Fluid(prob)
    nw = len(prob.weeks)
    best = np.full(nw, -np.inf)
    alpha = np.zeros(nw)
    for a in ALPHAS:                     # the fluid bound's best price per week
        val = fluid.evaluate(np.full(nw, a))
        better = val > best
        best = np.where(better, val, best)
        alpha = np.where(better, a, alpha)
    week_of_day = {d: w.index for w in prob.weeks for d in w.days}
    const = np.zeros(nw)
    for (p, w) in fluid.minimum:
        const[w] += fluid.constant(p, w, alpha[w])
    order = sorted(prob.weeks, key=lambda w: -len(w.days))
    days_done: dict[int, float] = {}

    def day(d: int) -> float | None:
        if d not in days_done:
            remaining = t_end - time.perf_counter()
            value = _day(prob, fluid, alpha, week_of_day, d, remaining) if remaining > 0 else None
            if value is None:
                return None
            days_done[d] = value
        return days_done[d]

    t = time.perf_counter()
    if day(order[-1].days[0]) is None:
        return LPBound(None, 0, time.perf_counter() - t_start)
    per_day_s = time.perf_counter() - t
    part: dict[int, float] = {}
    by_week: set[int] = set()
    for i, w in enumerate(order):
        later = sum(len(v.days) for v in order[i + 1:])
        budget = t_end - time.perf_counter() - DAY_LP_RESERVE * per_day_s * (later + len(w.days))
        if budget >= WEEK_LP_MIN_S * len(w.days) / 7:
            out = _week(prob, fluid, alpha, week_of_day, w, budget)
            if out is not None:
                part[w.index] = out
                by_week.add(w.index)
                continue
        values = [day(d) for d in w.days]
        if any(v is None for v in values):
            return LPBound(None, len(by_week), time.perf_counter() - t_start)
        part[w.index] = const[w.index] + sum(values)
    for w in order:                      # time left: the week LPs not tried or not finished, with no reserve now
        if w.index in by_week:
            continue
        remaining = t_end - time.perf_counter()
        if remaining < WEEK_LP_MIN_S * len(w.days) / 7:
            break
        out = _week(prob, fluid, alpha, week_of_day, w, remaining)
        if out is None:
            break
        part[w.index] = max(part[w.index], out)
        by_week.add(w.index)
    upgraded = len(by_week)
    wall = time.perf_counter() - t_start
    total = sum(part.values())
    log.info("LP bound: %d of %d weeks by the week LP, %.1f s, bound %s", upgraded, nw, wall, f"{total / OBJ_SCALE:,.0f}")
    return LPBound(float(total), upgraded, wall)


DAY_LP_RESERVE = 1.5     # the time kept for a week's per-day LPs: this many times the timed day LP per day
WEEK_LP_MIN_S = 8.0      # a whole week's LP is tried only with at least this much time left (11.11: 10-20 s)


def _week(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, week: Week,
          time_s: float) -> float | None:
    """The week's LP optimum plus its constant terms (objective units), or None when not solved in time."""
    sc = prob.scenario
    per_day = prob.per_day
    T = prob.horizon_intervals
    first, last = week.days[0], week.days[-1]
    t0, t1 = first * per_day, min((last + 1) * per_day, T)
    lp = _LP()
    const = 0.0
    # capacity is pooled per capacity group (servable queue set): the per-pool limits summed
    cover: dict[tuple, list] = defaultdict(list)          # (group, t) -> [(x, eff)]
    day_units: dict[tuple, list] = defaultdict(list)      # (group, day) -> [(x, units inside the day)]
    onshift_team: dict[tuple[str, int], list] = defaultdict(list)
    for p in prob.pools:
        if fluid.units[p.index] <= 0 or not p.queues:
            continue
        lims = [bound_limits(prob, prob.agents[a], week) for a in p.members]   # soft rules relaxed
        week_terms, minute_terms, night_terms = [], [], []
        for start_day in range(first - 1, last + 1):
            if start_day < 0:
                continue
            avail = fluid_avail(prob, p, start_day)
            if avail <= 0:
                continue
            day_terms = []
            for s_idx in p.shifts:
                s = prob.shifts[s_idx]
                a = start_day * per_day + s.start
                inside = [t for t in range(a, a + s.length) if t0 <= t < t1]
                if not inside:
                    continue
                cost = prob.shift_cost[(p.team, s_idx)]
                if start_day < first:                     # the week before pays the rest
                    cost = min(cost, reduced_cost(prob, fluid, alpha, p, s_idx, week_of_day[start_day]))
                    cost *= len(inside) / s.length
                elif not (start_day == prob.n_days - 1 or a + s.length <= (last + 1) * per_day):
                    cost *= len(inside) / s.length        # the next week pays the part inside it
                x = lp.var(cost=float(cost), ub=float(avail))
                day_terms.append((x, 1.0))
                if start_day >= first:
                    week_terms.append((x, 1.0))
                    minute_terms.append((x, float(s.paid_min)))
                    if s.is_night:
                        night_terms.append((x, 1.0))
                eff = p.efficiency[[t % per_day for t in inside]].astype(float)
                brk = sum(slot.length for slot in s.breaks)
                # split the shift's capacity (less its breaks) by the days it touches
                by_day: dict[int, list] = defaultdict(list)
                for t, e in zip(inside, eff):
                    by_day[t // per_day].append(e)
                    cover[(p.queues, t)].append((x, e))
                    onshift_team[(p.team, t)].append(x)
                for dd, es in by_day.items():
                    others = s.length - len(es)          # intervals of the shift outside this day
                    units = float(sum(es) - max(0, brk - others) * min(es))
                    day_units[(p.queues, dd)].append((x, units))
            if day_terms:
                lp.row(day_terms, hi=float(avail))
        if week_terms:
            lp.row(week_terms, hi=float(sum(min(len(lm.available), len(week.days) - lm.min_days_off) for lm in lims)))
            hi = float(sum(max(0, lm.max_paid_min) for lm in lims))
            lo = float(sum(lm.min_paid_min for lm in lims))
            lp.row(minute_terms, lo=min(lo, hi), hi=hi)
            if night_terms:
                lp.row(night_terms, hi=float(sum(lm.max_nights for lm in lims)))
    # ---- capacity per group and interval (allocated over its queues), per group-day ---------------------
    served: dict[tuple[str, int], list] = defaultdict(list)
    for (g, dd), units in day_units.items():
        day_parts = []
        for t in range(dd * per_day, min((dd + 1) * per_day, T)):
            terms = cover.get((g, t))
            if not terms:
                continue
            parts = split_capacity(lp, prob, g, t, served)
            lp.row([(a, 1.0) for a in parts] + [(x, -e) for x, e in terms], hi=0.0)
            day_parts.extend(parts)
        if day_parts:
            lp.row([(a, 1.0) for a in day_parts] + [(x, -u) for x, u in units], hi=0.0)
    for (team, t), vs in onshift_team.items():
        spec = sc.teams[team]
        if spec.max_agents is not None:
            lp.row([(x, 1.0) for x in vs], hi=float(spec.max_agents))
    const += add_service_terms(lp, prob, served, t0, t1, _rho(prob, fluid, alpha, week_of_day, None, first))
    value = lp.solve(time_s)
    return None if value is None else value + const
