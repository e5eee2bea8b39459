"""A lower bound with shift shapes: one linear programme per day, tied by Lagrangian prices.

The fluid bound (:mod:`.bound`) ignores that agents come in whole shifts of fixed length, which is
what the roster pays most for. Here each day is a linear programme with the real shift shapes:
- shift counts of the day (continuous), each agent's capacity at most its efficiency in the intervals
  it covers and not on break; breaks as counts per shift, break rule and allowed start offset
  (:func:`break_positions`: each break inside its window, a break starting outside the day takes nothing
  from it); night shifts of the previous day cover the early intervals (each day pays its share of a shift
  that crosses midnight, by intervals);
- allocation of each capacity group over its queues, the convex lost-contact segments, over-staffing;
- deferred work with its backlog and deadlines inside the day; the backlog carried from one day to
  the next is priced (a Lagrangian multiplier on the day-to-day balance), so days separate;
- weekly contracted minimum hours enter through the fluid bound's price per paid minute ``π``:
  labour ``≥ (rate − π)·M + π·H`` per pool-week (:mod:`.bound`), which makes weeks and days separable;
- the other weekly rules (working days, nights, rest, consecutive days) are relaxed.
Every multiplier gives a valid bound; the prices come from the fluid bound's best week-wise choice.
Each day's LP is solved by HiGHS (scipy); the sum is a valid lower bound of any roster's cost.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from scheduler.optimize.bound import _Fluid, ALPHAS
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem

log = logging.getLogger(__name__)


class _LP:
    """A tiny sparse LP builder: ``min c·x`` s.t. ``lo <= A x <= hi``, ``lb <= x <= ub``."""

    def __init__(self):
        self.c: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def var(self, cost: float = 0.0, lb: float = 0.0, ub: float = np.inf) -> int:
        self.c.append(cost)
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.c) - 1

    def row(self, terms, lo: float = -np.inf, hi: float = np.inf) -> None:
        r = len(self.lo)
        for j, v in terms:
            self.rows.append(r)
            self.cols.append(j)
            self.vals.append(v)
        self.lo.append(lo)
        self.hi.append(hi)

    def matrix(self) -> coo_matrix:
        """The constraint matrix ``A`` (rows × columns) as built so far."""
        return coo_matrix((self.vals, (self.rows, self.cols)), shape=(len(self.lo), len(self.c)))

    def highs(self):
        """The LP as a ``highspy.Highs`` instance (dual simplex, quiet, one thread), ready to ``run()``: kept
        between solves, it re-solves from its last basis after bounds change."""
        import highspy

        from scheduler.optimize.highs import new_highs

        h = new_highs(solver="simplex", threads=1, random_seed=0)
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = len(self.c), len(self.lo)
        model.col_cost_ = np.asarray(self.c, dtype=float)
        model.col_lower_ = np.asarray(self.lb, dtype=float)
        model.col_upper_ = np.asarray(self.ub, dtype=float)
        model.row_lower_ = np.asarray(self.lo, dtype=float)
        model.row_upper_ = np.asarray(self.hi, dtype=float)
        A = self.matrix().tocsc()
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = A.indptr
        model.a_matrix_.index_ = A.indices
        model.a_matrix_.value_ = A.data
        h.passModel(model)
        return h

    def solve(self, time_limit_s: float, values: bool = False, method: str = "highs-ipm", duals: bool = False,
              tolerance: float | None = None):
        """The optimum (objective units), or None when not solved in time; with ``values`` also the
        solution vector: ``(optimum, x)``; with ``duals`` also each row's dual value (the optimum's change
        per unit more of the row's bound): ``(optimum, x, y)``. ``method="ipm-bound"``: HiGHS's interior point
        without crossover, stopped at a relative gap of ``tolerance`` (default :meth:`bound_tolerance`), for a
        lower bound: the dual objective of its row duals (:meth:`dual_bound`, valid for any duals; crossover to a
        vertex took half the time of the 11.11 week LPs: 34.6 -> 18.2 s)."""
        n, m = len(self.c), len(self.lo)
        if n == 0:
            if duals:
                return 0.0, np.zeros(0), np.zeros(m)
            return (0.0, np.zeros(0)) if values else 0.0
        if method == "ipm-bound":
            return self._ipm_bound(time_limit_s, values, tolerance)
        A = self.matrix().tocsr()
        lo, hi = np.array(self.lo), np.array(self.hi)
        eq = lo == hi
        ub_rows = ~eq & np.isfinite(hi)
        lb_rows = ~eq & np.isfinite(lo)
        from scipy.sparse import vstack

        A_ub = vstack([A[ub_rows], -A[lb_rows]]) if (ub_rows.any() or lb_rows.any()) else None
        b_ub = np.r_[hi[ub_rows], -lo[lb_rows]] if A_ub is not None else None
        res = linprog(np.array(self.c), A_ub=A_ub, b_ub=b_ub, A_eq=A[eq] if eq.any() else None,
                      b_eq=lo[eq] if eq.any() else None, bounds=np.c_[self.lb, self.ub], method=method,
                      options={"time_limit": max(1.0, time_limit_s)})
        if res.status != 0:
            return None
        if duals:
            y = np.zeros(m)
            k = int(ub_rows.sum())
            if A_ub is not None:
                y[ub_rows] = res.ineqlin.marginals[:k]
                y[lb_rows] -= res.ineqlin.marginals[k:]
            if eq.any():
                y[eq] = res.eqlin.marginals
            return float(res.fun), res.x, y
        # the LP optimum is a bound only if the dual is trustworthy: use the dual objective when HiGHS reports it
        return (float(res.fun), res.x) if values else float(res.fun)

    def _ipm_bound(self, time_limit_s: float, values: bool, tolerance: float | None = None):
        import highspy

        h = self.highs()
        for name, value in (("solver", "ipm"), ("run_crossover", "off"), ("time_limit", max(1.0, time_limit_s)),
                            ("ipm_optimality_tolerance", tolerance or self.bound_tolerance())):
            h.setOptionValue(name, value)
        h.run()
        solution = h.getSolution()
        # stopped at the loose tolerance the status is "unknown" (not proven optimal to HiGHS's own 1e-7): the
        # duals are still a dual point, and any dual point gives a valid bound; a time limit leaves none
        if h.getModelStatus() not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnknown) \
                or not solution.dual_valid:
            return None
        value = self.dual_bound(np.asarray(solution.row_dual))
        if not np.isfinite(value):
            return None
        return (value, np.asarray(solution.col_value)) if values else value

    def bound_tolerance(self) -> float:
        """The interior point's relative gap for a bound: loose (:data:`IPM_BOUND_TOLERANCE`) on an LP of at least
        :data:`IPM_LOOSE_NONZEROS` nonzeros, where the time goes; HiGHS's default 1e-8 on smaller ones (they solve in
        about a second either way, and their bound is then the optimum to a few digits more)."""
        return IPM_BOUND_TOLERANCE if len(self.vals) >= IPM_LOOSE_NONZEROS else 1e-8

    def dual_bound(self, y: np.ndarray) -> float:
        """A lower bound of the LP's optimum from any row duals ``y`` (weak duality, the Lagrangian relaxation of the
        rows): ``Σ_i y_i·(lo_i if y_i > 0 else hi_i) + Σ_j min(d_j·lb_j, d_j·ub_j)`` with the reduced costs
        ``d = c − Aᵀy``. A dual of the wrong sign for an infinite row bound is taken as 0; an infinite column bound
        counts as :data:`IMPLIED_BOUND` (no capacity, backlog or count in a roster comes near it; an interior
        point's reduced costs on such columns are at worst -1e-13). So a loose interior point gives a bound
        within its gap of the optimum, never above it."""
        lo, hi = np.asarray(self.lo, dtype=float), np.asarray(self.hi, dtype=float)
        y = np.where(((y > 0) & ~np.isfinite(lo)) | ((y < 0) & ~np.isfinite(hi)), 0.0, np.asarray(y, dtype=float))
        rows = np.where(y > 0, y * np.where(np.isfinite(lo), lo, 0.0), y * np.where(np.isfinite(hi), hi, 0.0))
        A = self.matrix().tocsr()
        d = np.asarray(self.c, dtype=float) - A.T @ y
        lb = np.clip(np.asarray(self.lb, dtype=float), -IMPLIED_BOUND, IMPLIED_BOUND)
        ub = np.clip(np.asarray(self.ub, dtype=float), -IMPLIED_BOUND, IMPLIED_BOUND)
        value = float(math.fsum(rows) + math.fsum(np.minimum(d * lb, d * ub)))
        return value - BOUND_ROUNDING * max(1.0, abs(value))


IPM_BOUND_TOLERANCE = 1e-3  # the interior point's relative gap for a bound on a large LP (11.11's whole-horizon LP:
#                             1e-8 130 s, 1e-4 101 s and 68 below the optimum, 1e-3 83 s and 612 below, of 989 k;
#                             quiet machine)
IPM_LOOSE_NONZEROS = 100_000  # ... from this many nonzeros (11.11, week 2: 235 k with the break budget, 363 k with
#                               break positions; a day 36 k / 59 k)
IMPLIED_BOUND = 1e9         # an infinite column bound in :meth:`_LP.dual_bound`
BOUND_ROUNDING = 1e-9       # the share of a dual bound taken off for rounding in its sums


def day_lp_bound(prob: RosterProblem, time_limit_s: float = 60.0, breaks: str = "positions") -> float | None:
    """The per-day LP bound (objective units), or None when it could not be computed in time; ``breaks``: the
    break relaxation (:func:`_day`)."""
    t_end = time.perf_counter() + time_limit_s
    fluid = _Fluid(prob)
    nw = len(prob.weeks)
    best = np.full(nw, -np.inf)
    alpha = np.zeros(nw)
    for a in ALPHAS:
        val = fluid.evaluate(np.full(nw, a))
        better = val > best
        best = np.where(better, val, best)
        alpha = np.where(better, a, alpha)
    week_of_day = {d: w.index for w in prob.weeks for d in w.days}
    total = 0.0
    for (p, w) in fluid.minimum:
        total += fluid.constant(p, w, alpha[w])
    # carried backlog price per queue: the cheapest capacity price serving it, in the week of the day
    for d in range(prob.n_days):
        remaining = t_end - time.perf_counter()
        if remaining <= 0:
            return None
        value = _day(prob, fluid, alpha, week_of_day, d, remaining, breaks=breaks)
        if value is None:
            return None
        total += value
    return total


def _day(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, d: int, time_s: float,
         rho_in=None, rho_out=None, breaks: str = "positions") -> float | None:
    """Day ``d``'s LP optimum plus its constant terms (objective units), or None when not solved in time;
    ``rho_in`` / ``rho_out``: the prices of the backlog carried into the day and out of it (queue -> price;
    default :func:`_rho`). ``breaks``: ``"positions"`` (:func:`break_positions`) or ``"budget"`` (faster,
    looser: per pool the day's capacity at most the shifts' capacity less the break time that must fall inside
    the day, at the lowest efficiency; 11.11: 1.5-1.9 s a day against 2.5-3.7 s under load 4, 28 days
    356.4 k against 363.2 k without the constant terms)."""
    sc = prob.scenario
    per_day = prob.per_day
    T = prob.horizon_intervals
    t0, t1 = d * per_day, (d + 1) * per_day
    lp = _LP()
    const = 0.0
    # ---- shifts: of day d, and of day d-1 that reach into day d ------------------------------------
    cover: dict[tuple[int, int], list] = defaultdict(list)        # (pool, t) -> [(x, eff)], breaks (y, -eff)
    working: set[int] = set()                                      # pools with a shift in the day
    day_units: dict[int, list] = defaultdict(list)                 # budget: pool -> [(x, units within the day)]
    onshift_team: dict[tuple[str, int], list] = defaultdict(list)
    for p in prob.pools:
        if fluid.units[p.index] <= 0:
            continue
        for start_day in (d - 1, d):
            if start_day < 0:
                continue
            avail = fluid_avail(prob, p, start_day)
            if avail <= 0:
                continue
            wk = week_of_day[start_day]
            for s_idx in p.shifts:
                s = prob.shifts[s_idx]
                a = start_day * per_day + s.start
                inside = [t for t in range(a, a + s.length) if t0 <= t < min(t1, T)]
                if not inside:
                    continue
                if start_day == d and d == prob.n_days - 1:
                    share = 1.0                                   # the part past the horizon is paid here
                else:
                    share = len(inside) / s.length
                cost = reduced_cost(prob, fluid, alpha, p, s_idx, wk)
                if wk != week_of_day[d]:
                    # the part of a shift inside the next week: never above its plain cost, so the bound stays
                    # valid whichever relaxation (this or the week LP, :mod:`.weeklp`) covers either week
                    cost = min(cost, prob.shift_cost[(p.team, s_idx)])
                x = lp.var(cost=share * cost, ub=avail)
                eff = p.efficiency[[t % per_day for t in inside]].astype(float)
                working.add(p.index)
                for t, e in zip(inside, eff):
                    cover[(p.index, t)].append((x, e))
                    onshift_team[(p.team, t)].append(x)
                if breaks == "budget":
                    brk = sum(slot.length for slot in s.breaks)
                    units = float(eff.sum() - max(0, brk - (s.length - len(inside))) * eff.min())
                    day_units[p.index].append((x, units))
                    continue
                for t, e, y in break_positions(lp, prob, p.efficiency, s, [x], a, t0, min(t1, T)):
                    cover[(p.index, t)].append((y, -e))
    # ---- capacity per pool and interval, allocation per group ---------------------------------------
    group_cap: dict[tuple[tuple[str, ...], int], list] = defaultdict(list)
    for p in prob.pools:
        if not p.queues or p.index not in working:
            continue
        caps = []
        for t in range(t0, min(t1, T)):
            terms = cover.get((p.index, t))
            if not terms:
                continue
            c = lp.var(cost=0.0)
            lp.row([(c, 1.0)] + [(x, -e) for x, e in terms], hi=0.0)
            caps.append(c)
            group_cap[(p.queues, t)].append(c)
        if caps and day_units.get(p.index):
            lp.row([(c, 1.0) for c in caps] + [(x, -u) for x, u in day_units[p.index]], hi=0.0)
    for (team, t), xs in onshift_team.items():
        spec = sc.teams[team]
        if spec.max_agents is not None:
            lp.row([(x, 1.0) for x in xs], hi=float(spec.max_agents))
    for g, units in prob.carry_in.items():             # the previous period's shifts still on duty
        for t in np.flatnonzero(units[t0:min(t1, T)] > 0) + t0:
            group_cap[(g, int(t))]
    served: dict[tuple[str, int], list] = defaultdict(list)
    for (g, t), caps in group_cap.items():
        parts = split_capacity(lp, prob, g, t, served)
        lp.row([(a, 1.0) for a in parts] + [(c, -1.0) for c in caps], hi=carry_at(prob, g, t))
    rho = _rho(prob, fluid, alpha, week_of_day, None, d)
    const += add_service_terms(lp, prob, served, t0, min(t1, T), rho_in or rho, rho_out or rho)
    value = lp.solve(time_s, method="ipm-bound")
    if value is None:
        return None
    return value + const


def carry_at(prob: RosterProblem, group: tuple[str, ...], t: int) -> float:
    """Capacity units of the previous period's shifts on duty in ``group`` at ``t`` (a cover row's right-hand
    side: that capacity costs nothing here, so the LPs stay bounds of every roster's cost)."""
    units = prob.carry_in.get(group)
    return 0.0 if units is None else float(units[t])


def break_positions(lp: _LP, prob: RosterProblem, efficiency: np.ndarray, s, xs: list[int], start: int, t0: int,
                    t1: int) -> list:
    """The breaks of the agents counted by columns ``xs`` (shift counts of pools with the same ``efficiency``,
    capacity units per interval of the day) on shift ``s`` starting at interval ``start``, as LP columns: per
    break rule one column per allowed start offset (agents taking that break there) that covers an interval of
    the LP's window ``t0..t1-1``, summing to ``Σ xs`` (at most that when some offsets lie wholly outside the
    window: those breaks take nothing from it). Returns ``(t, efficiency at t, column)`` for every interval a
    column's break covers inside the window: the capacity the caller takes off there per agent on break.
    Any roster's breaks aggregate to such columns, and two break rules of a shift never overlap (the scenario
    checks their windows), so this relaxes only the spacing and integrality of the breaks. On 11.11 it raises
    the four week LPs from 937,951 to 968,414 (against the former per-day break budget, docs/model.md)."""
    per_day = prob.per_day
    out = []
    for slot in s.breaks:
        cols, outside = [], False
        for o in slot.offsets:
            covered = [t for t in range(start + o, start + o + slot.length) if t0 <= t < t1]
            if not covered:
                outside = True
                continue
            y = lp.var()
            cols.append((y, 1.0))
            out.extend((t, float(efficiency[t % per_day]), y) for t in covered)
        if cols:
            lp.row(cols + [(x, -1.0) for x in xs], lo=-np.inf if outside else 0.0, hi=0.0)
    return out


def _rho(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, q: str | None, d: int):
    """Price of one unit of backlog carried between days: the cheapest capacity serving the queue in any week
    (one price for every boundary, so carrying backlog through a day never pays by itself). ``q=None``: a
    function of the queue."""
    if q is None:
        return lambda queue: _rho(prob, fluid, alpha, week_of_day, queue, d)
    return min((a * fluid.rate[p] / fluid.units[p] for p in fluid.servers[q] for a in alpha), default=0.0)


def full_rho(fluid: _Fluid, q: str) -> float:
    """The cheapest capacity serving queue ``q`` at its full cost per unit (no price per paid minute taken off):
    the week LPs' default price of the backlog carried across a week boundary."""
    return min((fluid.rate[p] / fluid.units[p] for p in fluid.servers[q]), default=0.0)


def split_capacity(lp: _LP, prob: RosterProblem, group: tuple[str, ...], t: int, served: dict) -> list[int]:
    """Variables for the capacity group's share on each of its queues at ``t`` (a closed deferred queue
    takes none), appended to ``served[(queue, t)]``; returns them."""
    parts = []
    for q in group:
        if q in prob.deferred and not prob.deferred[q].open_mask[t]:
            continue
        a = lp.var(cost=0.0)
        parts.append(a)
        served[(q, t)].append(a)
    return parts


def add_service_terms(lp: _LP, prob: RosterProblem, served: dict, t0: int, t1: int, rho, rho_out=None,
                      carried: dict | None = None) -> float:
    """Lost contacts and deferred work of intervals ``t0..t1-1`` given the LP's served capacity
    ``served[(queue, t)]`` (variables): the convex lost-contact segments with the over-staffing price, and
    each deferred queue's backlog with its due checks; the backlog carried in from before ``t0`` is
    priced at ``-rho(queue)`` and the one left at ``t1`` (unless the horizon ends) at ``+rho_out(queue)``
    (default ``rho``; the Lagrangian price of the balance between windows: any price keeps the sum of the
    windows a bound as long as a window's leaving price is the next window's entering price). ``carried``:
    filled with each deferred queue's ``(entering, leaving)`` backlog columns (None where there is none).
    Returns the constant term (objective units)."""
    w_ = prob.scenario.weights
    T = prob.horizon_intervals
    per_day = prob.per_day
    over_w = w_.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    const = 0.0
    for q, dem in prob.live.items():
        # service-goal mode: a day wholly inside the window with a target gets its row (below)
        goal_days = {d for d in range(t0 // per_day, (t1 + per_day - 1) // per_day)
                     if dem.target(d) is not None and d * per_day >= t0 and min((d + 1) * per_day, T) <= t1}
        day_lost: dict[int, list] = defaultdict(list)
        for k in np.flatnonzero((dem.t >= t0) & (dem.t < t1)):
            t = int(dem.t[k])
            seg = dem.segments[k]
            const += w_.lost_contact * seg.lost0 * OBJ_SCALE
            parts = served.get((q, t))
            if not parts:
                continue
            goal = t // per_day in goal_days
            req = dem.required[k] * CAP_SCALE
            segs, at = [], 0.0
            for length, slope in zip(seg.lengths, seg.slopes):
                length = float(length) if length >= 0 else np.inf
                cost = w_.lost_contact * slope * OBJ_SCALE + (over_w if at >= req else 0.0)
                # a segment that cannot lower the cost stays empty, unless it counts towards a daily target
                if cost < 0 or (goal and slope < 0):
                    segs.append(lp.var(cost=cost, ub=length))
                    if goal:
                        day_lost[t // per_day].append((segs[-1], float(slope)))
                at += length
            lp.row([(sv, 1.0) for sv in segs] + [(a, -1.0) for a in parts], hi=0.0)
        # the day's contacts not answered in time (the envelope: at most the true ones) beyond 1 - target,
        # priced like the objective's daily_target term: a relaxation of it
        days = dem.t // per_day
        for d in sorted(goal_days):
            m = days == d
            vol = float(dem.volume[m].sum())
            if vol <= 0:
                continue
            lost0 = sum(dem.segments[k].lost0 for k in np.flatnonzero(m))
            short = lp.var(cost=w_.soft_rule * OBJ_SCALE)
            lp.row(day_lost.get(d, []) + [(short, -1.0)], hi=(1.0 - dem.target(d)) * vol - lost0)
    for q, dem in prob.deferred.items():
        late_w = prob.scenario.late_work_hour_for(q) * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
        price, price_out = rho(q), (rho_out or rho)(q)
        prev = lp.var(cost=-price, ub=float(dem.work[:t0].sum())) if t0 > 0 else None
        entering = prev
        arrived = np.concatenate([[0.0], np.cumsum(dem.work)])
        due = dict(dem.due)
        for t in range(t0, t1):
            b = lp.var(cost=price_out if t == t1 - 1 and t1 < T else 0.0)
            terms = [(b, 1.0)] + [(a, 1.0) for a in served.get((q, t), [])]
            if prev is not None:
                terms.append((prev, -1.0))
            lp.row(terms, lo=float(dem.work[t]), hi=float(dem.work[t]))
            if t in due:
                # work newer than the due cohort, wherever the backlog came from
                od = lp.var(cost=late_w)
                lp.row([(od, 1.0), (b, -1.0)], lo=-float(arrived[t + 1] - arrived[due[t] + 1]))
            prev = b
        if carried is not None:
            carried[q] = (entering, prev if t1 < T else None)
    return const


def reduced_cost(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, pool, s_idx: int, week: int) -> float:
    """A shift's cost less the week's price on paid minutes (the fluid bound's weekly-hours Lagrangian)."""
    return prob.shift_cost[(pool.team, s_idx)] - (1.0 - alpha[week]) * fluid.rate[pool.index] * prob.shifts[s_idx].paid_min


def fluid_avail(prob: RosterProblem, pool, d: int) -> int:
    return sum(1 for a in pool.members if d not in prob.agents[a].unavailable
               and not (d in prob.agents[a].locked and prob.agents[a].locked[d] is None))
