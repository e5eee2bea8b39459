"""Breaks, queue allocation and the exact cost of a named roster.

Given who works which shift, three things remain: where each break falls, how each capacity
group's effective agents are split over its queues in every interval, and what the plan costs. This
module does the three with fast numpy passes:
- breaks are staggered: each agent's break goes to the offset of its window where capacity is worth
  least, counting the agents of the same group already on break there;
- allocation is either a water-filling per interval, least flexible groups first: each capacity unit
  goes to the queue where it avoids most lost contacts (convex curves), deferred work takes what is due
  now (earliest deadline first) at full value and fills troughs with the rest of its backlog; or exact
  by one LP over the horizon (:func:`allocate_lp`, HiGHS, ~7 s on 11.11), which trades live intervals
  against deferred deadlines (11.11, same roster: 1.227 M -> 1.115 M);
- the cost is the model's objective evaluated on the plan, with lost contacts from the service-level
  curves themselves (interpolated), so it is an honest upper bound to compare with the lower bound.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from scheduler.optimize.lpbound import _LP
from scheduler.optimize.problem import (CAP_SCALE, OBJ_SCALE, RosterProblem, daily_service_levels, deferred_value,
                                        interp_rows, marginal_values)

Named = dict[int, dict[int, int]]                # agent -> day -> shift index
Breaks = dict[tuple[int, int], list[tuple[int, int]]]   # (agent, day) -> [(break rule k, offset)]


@dataclass
class Plan:
    """A complete roster in index form with its capacity, allocation and cost."""

    named: Named
    breaks: Breaks
    capacity: dict[tuple[str, ...], np.ndarray]                 # capacity group -> units per interval
    alloc: dict[tuple[tuple[str, ...], str], np.ndarray]       # (group, queue) -> units per interval
    served: dict[str, np.ndarray]                              # queue -> units per interval
    backlog: dict[str, np.ndarray]
    terms: dict[str, float] = field(default_factory=dict)      # objective units per component
    lost_contacts: float = 0.0
    # exact allocation only: what one more capacity unit of a group is worth at each interval (objective
    # units, the allocation LP's dual less the idle price it would pay), i.e. the cost change per unit
    capacity_value: dict[tuple[str, ...], np.ndarray] | None = None
    # ... service-goal mode: the same at the scenario's own prices (the target days' allocation weight taken
    # out, :meth:`_Scatter.scenario_prices`): what a unit saves where the days it serves are above their target
    scenario_value: dict[tuple[str, ...], np.ndarray] | None = None

    @property
    def objective(self) -> float:
        return float(sum(self.terms.values()))


def on_duty(prob: RosterProblem, named: Named, breaks: Breaks) -> dict[tuple[str, ...], np.ndarray]:
    """Effective capacity (units) per capacity group and interval: agents on shift and not on break, the
    previous period's shifts running into the horizon included (:attr:`RosterProblem.carry_in`)."""
    T = prob.horizon_intervals
    cap: dict[tuple[str, ...], np.ndarray] = defaultdict(lambda: np.zeros(T))
    for g, units in prob.carry_in.items():
        cap[g] += units
    per_day = prob.per_day
    for a, days in named.items():
        info = prob.agents[a]
        eff = prob.pools[info.pool].efficiency
        for d, s_idx in days.items():
            s = prob.shifts[s_idx]
            t0 = d * per_day + s.start
            on = np.ones(s.length)
            for k, o in breaks.get((a, d), []):
                on[o: o + s.breaks[k].length] = 0.0
            n = min(s.length, T - t0)
            if n <= 0:
                continue
            mins = (s.start + np.arange(n)) % per_day
            cap[info.queues][t0: t0 + n] += on[:n] * eff[mins]
    return dict(cap)


def place_breaks(prob: RosterProblem, named: Named, value: dict[tuple[str, ...], np.ndarray] | None = None) -> Breaks:
    """Stagger breaks: each goes where capacity is worth least, spreading agents of a group apart.

    ``value`` (per capacity group and interval, objective units per capacity unit) says what an hour of
    capacity is worth; without it, capacity is assumed worth its group's coverage need (the live
    queues' requirement), so breaks drift to quiet intervals. A shift that the roster being re-optimised
    shows with its breaks (:attr:`AgentInfo.reference_breaks`) keeps them, and the others are spread
    around them."""
    T = prob.horizon_intervals
    per_day = prob.per_day
    if value is None:
        value = _need_value(prob)
    load: dict[tuple[str, ...], np.ndarray] = defaultdict(lambda: np.zeros(T))
    out: Breaks = kept_breaks(prob, named)
    for (a, d), chosen in out.items():
        s = prob.shifts[named[a][d]]
        base = d * per_day + s.start
        for k, o in chosen:
            load[prob.agents[a].queues][base + o: min(base + o + s.breaks[k].length, T)] += 1.0
    order = sorted(((d, prob.shifts[s].start, a, s) for a, days in named.items() for d, s in days.items()
                    if (a, d) not in out))
    for d, _, a, s_idx in order:
        s = prob.shifts[s_idx]
        info = prob.agents[a]
        g = info.queues
        val = value.get(g)
        base = d * per_day + s.start
        chosen = []
        for k, slot in enumerate(s.breaks):
            best, best_o = None, slot.offsets[0]
            for o in slot.offsets:
                r0, r1 = base + o, min(base + o + slot.length, T)
                if r1 <= r0:
                    score = 0.0
                else:
                    v = val[r0:r1].sum() if val is not None else 0.0
                    score = v * (1.0 + load[g][r0:r1].sum() / max(1, slot.length))
                if best is None or score < best - 1e-12:
                    best, best_o = score, o
            r0, r1 = base + best_o, min(base + best_o + slot.length, T)
            if r1 > r0:
                load[g][r0:r1] += 1.0
            chosen.append((k, best_o))
        out[(a, d)] = chosen
    return out


def kept_breaks(prob: RosterProblem, named: Named) -> Breaks:
    """The breaks of the roster being re-optimised for the shifts of ``named`` worked as it shows them."""
    out: Breaks = {}
    for a, days in named.items():
        ref = prob.agents[a].reference_breaks
        for d, s_idx in days.items():
            if d in ref and ref[d][0] == s_idx:
                out[(a, d)] = list(ref[d][1])
    return out


def _need_value(prob: RosterProblem) -> dict[tuple[str, ...], np.ndarray]:
    T = prob.horizon_intervals
    need = defaultdict(lambda: np.zeros(T))
    for q, dem in prob.live.items():
        arr = np.zeros(T)
        arr[dem.t] = dem.required
        for g in prob.queue_sets:
            if q in g:
                need[g] += arr
    for q, dem in prob.deferred.items():
        for g in prob.queue_sets:
            if q in g:
                need[g] += dem.required
    return {g: need[g] + 0.01 for g in prob.queue_sets}


def allocate(prob: RosterProblem, capacity: dict[tuple[str, ...], np.ndarray], weight: dict | None = None):
    """Split each group's capacity over its queues, interval by interval (chronological, so deferred
    work sees its real backlog). Returns (alloc, served, backlog)."""
    sc = prob.scenario
    T = prob.horizon_intervals
    tables = marginal_values(prob, weight)
    # deferred work: what is due now beats everything; the staffing stage's least capacity that meets
    # every deadline (min_capacity) is worth the late cost; the rest of the backlog fills troughs
    late_value = {q: deferred_value(prob, q) for q in prob.deferred}
    urgent_value = max(late_value.values(), default=0.0)
    trough_value = 1e-3
    target = {q: np.asarray(dem.required, dtype=float) * CAP_SCALE for q, dem in prob.deferred.items()}
    served = {q: np.zeros(T) for q in sc.queues}
    alloc = {(g, q): np.zeros(T) for g in capacity for q in g}
    backlog = {q: np.zeros(T) for q in prob.deferred}
    # deferred cohorts: arrival interval -> (remaining work, due interval)
    due_of = {}
    cohorts = {}
    for q, dem in prob.deferred.items():
        due = {}
        for u, last in dem.due:
            due[u] = last
        # due interval of each arrival: the first due check whose cohort limit covers it
        arrivals = np.flatnonzero(dem.work > 0)
        checks = sorted(dem.due, key=lambda ua: ua[1])
        ci = 0
        deadline = {}
        for t in arrivals:
            while ci < len(checks) and checks[ci][1] < t:
                ci += 1
            deadline[int(t)] = checks[ci][0] if ci < len(checks) else T + 1
        due_of[q] = deadline
        cohorts[q] = []          # list of [due, remaining]
    groups = sorted(capacity, key=lambda g: (len(g), g))
    for t in range(T):
        # arrivals
        for q, dem in prob.deferred.items():
            if dem.work[t] > 0:
                cohorts[q].append([due_of[q][t], float(dem.work[t])])
        urgent = {}
        pending = {}
        for q in prob.deferred:
            if not prob.deferred[q].open_mask[t]:
                urgent[q], pending[q] = 0.0, 0.0
                continue
            cs = cohorts[q]
            urgent[q] = sum(c[1] for c in cs if c[0] <= t + 1)
            pending[q] = sum(c[1] for c in cs)
        for g in groups:
            amount = float(capacity[g][t])
            while amount > 1e-9:
                best, best_q, room = 0.0, None, 0.0
                for q in g:
                    if q in tables:
                        entry = tables[q][t]
                        if entry is None:
                            continue
                        ends, values = entry
                        e = served[q][t]
                        i = _index(ends, e)
                        v = values[i]
                        r = ends[i] - e
                    elif q in prob.deferred:
                        e = served[q][t]
                        planned = min(pending[q], target[q][t])
                        if e < urgent[q] - 1e-9:
                            v, r = urgent_value, urgent[q] - e
                        elif e < planned - 1e-9:
                            v, r = late_value[q], planned - e
                        elif e < pending[q] - 1e-9:
                            v, r = trough_value, pending[q] - e
                        else:
                            continue
                    else:
                        continue
                    if v > best:
                        best, best_q, room = v, q, r
                if best_q is None:
                    break
                step = min(amount, room) if room > 1e-9 else amount
                served[best_q][t] += step
                alloc[(g, best_q)][t] += step
                amount -= step
        # deferred work done now, earliest deadline first
        for q in prob.deferred:
            done = served[q][t]
            cs = sorted(cohorts[q])
            for c in cs:
                take = min(done, c[1])
                c[1] -= take
                done -= take
                if done <= 1e-12:
                    break
            cohorts[q] = [c for c in cs if c[1] > 1e-9]
            backlog[q][t] = sum(c[1] for c in cohorts[q])
    return alloc, served, backlog


def _index(ends: list[float], e: float) -> int:
    for i, end in enumerate(ends):
        if e < end - 1e-9:
            return i
    return len(ends) - 1


def coverage_price(prob: RosterProblem) -> float:
    """Objective units per capacity unit-interval below a per-interval requirement: the larger of the soft-rule
    weight per agent-hour and twice the dearest shift per agent-interval, so that no change of the roster trades
    an interval's requirement for labour cost (one agent short for one interval costs more than any shift)."""
    w = prob.scenario.weights
    dearest = max(prob.shift_cost.values(), default=0.0)
    return max(w.soft_rule * prob.interval_h * OBJ_SCALE, 2.0 * dearest) / CAP_SCALE


def evaluate(prob: RosterProblem, named: Named, breaks: Breaks, personal_terms: dict[str, float] | None = None,
             weight: dict | None = None, *, exact: bool | int = False, lp: AllocationLP | None = None) -> Plan:
    """Capacity, allocation and the cost of the roster (objective units per component). ``exact``: the
    allocation by LP (:func:`allocate_lp`; an int: its window in days), else the water-filling; ``lp``: the
    whole-horizon allocation LP to re-solve warm (built for the same ``weight``)."""
    sc = prob.scenario
    w = sc.weights
    capacity = on_duty(prob, named, breaks)
    value = scenario_value = None
    if exact is False:
        alloc, served, backlog = allocate(prob, capacity, weight)
    else:
        alloc, served, backlog, value, scenario_value = allocate_lp(
            prob, capacity, weight, window_days=None if exact is True else int(exact), lp=lp)
    terms: dict[str, float] = defaultdict(float)
    for a, days in named.items():
        team = prob.agents[a].team
        for d, s_idx in days.items():
            terms["labour_cost"] += prob.shift_cost[(team, s_idx)]
    # overtime per agent-week
    overtime = prob.overtime_limits
    for a, days in named.items():
        if a not in overtime:
            continue
        rate, weeks = overtime[a]
        for wdays, regular_max in weeks:
            paid = sum(prob.shifts[days[d]].paid_min for d in wdays if d in days)
            terms["overtime"] += max(0.0, paid - regular_max) * rate
    # lost contacts (true curves) and over-staffing
    lost_total = 0.0
    over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    for q, dem in prob.live.items():
        for v in interp_rows(served[q][dem.t] / CAP_SCALE, dem.lost).tolist():     # summed in order, as ever
            lost_total += v
        terms["overstaffing"] += over_w * float(np.clip(served[q][dem.t] - dem.required * CAP_SCALE, 0, None).sum())
    terms["lost_contacts"] += w.lost_contact * lost_total * OBJ_SCALE
    if prob.per_interval_hard:
        # per-interval mode: capacity below the requirement (what the improvement stage weighs a change against;
        # the allocation LP already serves the requirement first)
        price = coverage_price(prob)
        for q, dem in prob.live.items():
            short = dem.required * CAP_SCALE - served[q][dem.t]
            terms["coverage"] += price * float(short[short > 1.0].sum())
    # service-goal mode: contacts short of a day's target, priced like a soft rule
    for (q, d), sl in daily_service_levels(prob, served).items():
        target = prob.live[q].target(d)
        if target is not None and sl < target:
            dem = prob.live[q]
            vol = float(dem.volume[dem.t // prob.per_day == d].sum())
            terms["daily_target"] += w.soft_rule * (target - sl) * vol * OBJ_SCALE
    total_cap = sum(float(c.sum()) for c in capacity.values())
    total_served = sum(float(s.sum()) for s in served.values())
    terms["overstaffing"] += over_w * max(0.0, total_cap - total_served)
    # late deferred work: overdue at each due check, per work-hour and hour
    for q, dem in prob.deferred.items():
        late_w = prob.scenario.late_work_hour_for(q) * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
        u, allowed = dem.due_checks
        terms["late_work"] += late_w * float(np.maximum(0.0, backlog[q][u] - allowed).sum())
    for k, val in (personal_terms or {}).items():
        terms[k] += val
    return Plan(named=named, breaks=breaks, capacity=capacity, alloc=alloc, served=served, backlog=backlog,
                terms=dict(terms), lost_contacts=lost_total, capacity_value=value, scenario_value=scenario_value)


class AllocationLP:
    """The whole-horizon allocation LP kept between evaluations of rosters that differ in a few shifts
    (HiGHS through highspy). It has a capacity row for every capacity group and interval where one of the
    group's pools can be on duty, bounded by the roster's capacity there (0 where none), so another roster
    changes only row bounds and dual simplex re-solves from the previous optimal basis (11.11, 28 days,
    121 k columns: 0.1–0.5 s after a few hundred shifts changed, against 5–8 s from scratch). Same
    optimum and duals as :func:`_allocation_lp` (rows with no capacity add columns fixed at 0)."""

    def __init__(self, prob: RosterProblem, weight: dict | None = None):
        self.prob = prob
        self.weight = weight
        self.tables = marginal_values(prob, weight)
        T = prob.horizon_intervals
        self.mask: dict[tuple[str, ...], np.ndarray] = {}
        for pool in prob.pools:
            m = self.mask.setdefault(pool.queues, np.zeros(T, dtype=bool))
            for s_idx in pool.shifts:
                s = prob.shifts[s_idx]
                for d in range(prob.n_days):
                    t0 = d * prob.per_day + s.start
                    m[t0: min(t0 + s.length, T)] = True
        self._highs = None
        self.cold_solves = 0            # solves from scratch (the first, and after the row set grew)

    def solve(self, capacity: dict[tuple[str, ...], np.ndarray]):
        """(solution, allocation variables, backlog variables, capacity rows, row duals) for ``capacity``."""
        import highspy

        prob = self.prob
        T = prob.horizon_intervals
        for g, cap in capacity.items():
            outside = (cap > 1e-9) & ~self.mask.get(g, np.zeros(T, dtype=bool))
            if outside.any():       # capacity where no pool's shift was expected (e.g. a locked shift)
                self.mask[g] = self.mask.get(g, np.zeros(T, dtype=bool)) | outside
                self._highs = None
        if self._highs is None:
            lp, self.avars, self.bvars, self.caps, self.targets = _build_allocation_lp(
                prob, capacity, self.tables, 0, T, {q: 0.0 for q in prob.deferred}, rows=self.mask)
            self._highs = lp.highs()
            self._rows = np.array([r for _, _, r in self.caps], dtype=np.int32)
            self.bound = np.array([k[4] for k in self.targets])   # each target row's bound, corrected
            self.scatter = _Scatter(self.avars, self.caps)
            self.cold_solves += 1
        h = self._highs
        zero = np.zeros(T)
        hi = np.empty(len(self.caps))
        for g, (pos, ts, _) in self.scatter.rows.items():
            hi[pos] = capacity.get(g, zero)[ts]
        h.changeRowsBounds(len(self._rows), self._rows, np.full(len(self._rows), -highspy.kHighsInf), hi)
        sol = self._run()
        for _ in range(TARGET_PASSES if self.targets else 0):
            if not self._correct_targets(np.asarray(sol.col_value)):
                break
            sol = self._run()
        return (np.asarray(sol.col_value), self.avars, self.bvars, self.caps, np.asarray(sol.row_dual))

    def _run(self):
        import highspy

        h = self._highs
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.clearSolver()         # from scratch once before giving up
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"the allocation LP was not solved ({h.modelStatusToString(h.getModelStatus())})")
        return h.getSolution()

    def _correct_targets(self, x: np.ndarray) -> bool:
        """Daily targets: each day's bound on lost contacts less what the envelope under-counts them by at the
        solution ``x`` (the true curves' lost contacts at its service less the envelope's), so the next solve
        holds the target on the curves near this allocation. The envelope is convex, the curves are not: on
        11.11 chat's envelope counted 461 lost contacts on the peak day where the curves give 735 (3.3 points of
        its volume) and voice pre-sales' 1.1 points, more than :data:`TARGET_LP_MARGIN`; days planned at the
        target fell that far below it. True when a bound moved by more than a contact."""
        import highspy

        prob = self.prob
        served = {q: np.zeros(prob.horizon_intervals) for q in prob.live}
        for q, (gs, ts, js) in self.scatter.served.items():
            if q in served:
                np.add.at(served[q], ts, np.maximum(0.0, x[js]))
        true = {}
        for q, dem in prob.live.items():
            lost = interp_rows(served[q][dem.t] / CAP_SCALE, dem.lost)
            days = dem.t // prob.per_day
            true[q] = np.bincount(days, weights=lost, minlength=prob.n_days)
        row_value = np.asarray(self._highs.getSolution().row_value)
        rows, bounds = [], []
        for i, ((q, d), row, short, lost0, hi) in enumerate(self.targets):
            envelope = lost0 + row_value[row] + x[short]
            bound = hi - max(0.0, float(true[q][d]) - envelope)
            if abs(bound - self.bound[i]) > 1.0:
                self.bound[i] = bound
                rows.append(row)
                bounds.append(bound)
        if rows:
            self._highs.changeRowsBounds(len(rows), np.array(rows, dtype=np.int32),
                                         np.full(len(rows), -highspy.kHighsInf), np.array(bounds))
        return bool(rows)


class _Scatter:
    """The allocation LP's columns ``(group, queue, t, column)`` and capacity rows ``(group, t, row)`` as index
    arrays by group and queue, so a solution is spread into per-interval arrays a group or queue at a time
    (11.11: ~10^5 columns, a Python loop took ~0.1 s a solve). The same sums in the same order as that loop."""

    def __init__(self, avars: list, caps: list):
        gq: dict[tuple, list] = defaultdict(list)
        by_q: dict[str, list] = defaultdict(list)
        self.groups: list[tuple] = sorted({g for g, *_ in avars} | {g for g, *_ in caps})
        gid = {g: i for i, g in enumerate(self.groups)}
        for g, q, t, j in avars:
            gq[(g, q)].append((t, j))
            by_q[q].append((gid[g], t, j))
        self.alloc = {k: tuple(np.array(c, dtype=np.int64) for c in zip(*v)) for k, v in gq.items()}
        self.served = {q: tuple(np.array(c, dtype=np.int64) for c in zip(*v)) for q, v in by_q.items()}
        rows: dict[tuple, list] = defaultdict(list)
        for i, (g, t, r) in enumerate(caps):
            rows[g].append((i, t, r))
        self.rows = {g: tuple(np.array(c, dtype=np.int64) for c in zip(*v)) for g, v in rows.items()}
        self.cap_rows = np.array([r for _, _, r in caps], dtype=np.int64)
        self._avars, self._caps = avars, caps
        self._columns = None            # scenario_prices' index arrays, made when first asked

    def scenario_prices(self, prob: RosterProblem, x: np.ndarray, y: np.ndarray, targets: list,
                        weight: dict) -> np.ndarray:
        """Service-goal mode: per capacity row, the factor taking its dual from the allocation's prices (the
        target days' lost contacts at ``weight`` × the scenario's price, so that capacity goes to the targets) to
        the scenario's own: a unit serving queue q on day d is worth (p + y_qd) / (w_qd p + y_qd) of its dual, p the
        lost-contact price, y_qd the dual of the day's target row (0 on a day above its target, up to the
        soft-rule price per contact on a day short of it). The smallest factor over the queues the group serves
        there (a unit less is taken off the use worth least at the scenario's prices: the group's share of a day
        above its target, while the days at their target keep theirs), over all its queues where it serves
        none; deferred work and days without a target keep their dual. Without it a day far above its target
        prices its capacity at the weighted price, and shifts that only over-serve it look worth more than they
        cost (11.11 equal daily SL: chat at 97.8 % against targets of ~90.6 %)."""
        if self._columns is None:
            at = {(g, t): i for i, (g, t, _) in enumerate(self._caps)}
            key = {k[0]: i for i, k in enumerate(targets)}
            per_day = prob.per_day
            self._columns = (np.array([at[(g, t)] for g, _, t, _ in self._avars], dtype=np.int64),
                             np.array([j for *_, j in self._avars], dtype=np.int64),
                             np.array([key.get((q, t // per_day), -1) for _, q, t, _ in self._avars], dtype=np.int64),
                             np.array([weight.get(k[0], 1.0) for k in targets] + [1.0]))
        cap, col, k, w = self._columns
        p = prob.scenario.weights.lost_contact * OBJ_SCALE
        yq = np.append(np.maximum(0.0, -y[[k[1] for k in targets]]), 0.0) if targets else np.zeros(1)
        f = (p + yq) / np.maximum(w * p + yq, 1e-12)
        fa = f[k]                          # k = -1: the appended factor 1 (no target)
        least = np.full(len(self._caps), np.inf)
        served = x[col] > 1e-9
        np.minimum.at(least, cap[served], fa[served])
        anyq = np.full(len(self._caps), np.inf)
        np.minimum.at(anyq, cap, fa)
        return np.where(np.isfinite(least), least, np.where(np.isfinite(anyq), anyq, 1.0))

    def spread(self, x: np.ndarray, capacity: dict, keep: int, alloc: dict, served: dict) -> None:
        """Add each column's value (negatives as 0) before interval ``keep`` of the groups with capacity to its
        ``alloc[(group, queue)]`` and ``served[queue]`` (the kept LP's rows of groups with no capacity are 0)."""
        for (g, q), (ts, js) in self.alloc.items():
            if g in capacity:
                m = ts < keep
                np.add.at(alloc[(g, q)], ts[m], np.maximum(0.0, x[js[m]]))
        present = np.array([g in capacity for g in self.groups])
        for q, (gs, ts, js) in self.served.items():
            m = present[gs] & (ts < keep)
            np.add.at(served[q], ts[m], np.maximum(0.0, x[js[m]]))


def allocate_lp(prob: RosterProblem, capacity: dict[tuple[str, ...], np.ndarray], weight: dict | None = None,
                *, window_days: int | None = None, lp: AllocationLP | None = None):
    """Split each group's capacity over its queues by linear programming (HiGHS): exact for the roster's
    cost terms — the marginal value of served live capacity (:func:`marginal_values`: lost contacts on
    the convex envelope, over-staffing above the requirement), idle capacity's over-staffing price and
    late deferred work at every due check. ``window_days``: solve windows of that many days, keeping
    each window's first day and carrying its real backlog (rolling horizon); None: one LP for the
    whole horizon. Returns (alloc, served, backlog) like :func:`allocate`, the value of one more
    capacity unit per group and interval (objective units; whole-horizon LP only, else None) and, with a
    ``weight`` (service-goal mode), that value at the scenario's own prices (else None). ``lp``: the
    whole-horizon LP kept from an earlier call (re-solved warm; its ``weight`` is the one used)."""
    T = prob.horizon_intervals
    per_day = prob.per_day
    tables = lp.tables if lp is not None else marginal_values(prob, weight)
    served = {q: np.zeros(T) for q in prob.scenario.queues}
    alloc = {(g, q): np.zeros(T) for g in capacity for q in g}
    backlog = {q: np.zeros(T) for q in prob.deferred}
    carried = {q: 0.0 for q in prob.deferred}
    span = prob.n_days if window_days is None else window_days
    step = prob.n_days if window_days is None else 1
    over_w = prob.scenario.weights.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    # values also for groups with no capacity in this roster where the kept LP has rows (what a first shift is worth)
    value = ({g: np.full(T, -over_w) for g in (set(capacity) | (set(lp.mask) if lp is not None else set()))}
             if window_days is None else None)
    scenario_value = None
    for d in range(0, prob.n_days, step):
        t0, t1 = d * per_day, min((d + span) * per_day, T)
        keep = min(t0 + step * per_day, T)
        if lp is not None and window_days is None:
            x, avars, bvars, caps, y = lp.solve(capacity)
            scatter, targets, weight = lp.scatter, lp.targets, lp.weight
        else:
            x, avars, bvars, caps, y, targets, _ = _allocation_lp(prob, capacity, tables, t0, t1, carried)
            scatter = _Scatter(avars, caps)
        if value is not None:
            # a capacity row's dual is the cost change per unit more capacity; the unit also pays the idle price
            dual = -y[scatter.cap_rows]
            for g, (pos, ts, _) in scatter.rows.items():
                value[g][ts] = dual[pos] - over_w
            if weight:
                scenario_value = {g: v.copy() for g, v in value.items()}
                dual = dual * scatter.scenario_prices(prob, x, y, targets, weight)
                for g, (pos, ts, _) in scatter.rows.items():
                    scenario_value[g][ts] = dual[pos] - over_w
        scatter.spread(x, capacity, keep, alloc, served)
        for q, bs in bvars.items():
            vals = np.maximum(0.0, x[bs])[: keep - t0]
            backlog[q][t0:keep] = vals
            carried[q] = float(vals[-1])
    return alloc, served, backlog, value, scenario_value


TARGET_LP_MARGIN = 0.005   # daily targets in the allocation LP: this much above (its lost-contact envelope is optimistic)
TARGET_PASSES = 2          # ... and re-solved this many times at most with each day's envelope error corrected


def _slope_at(seg, at: float) -> float:
    """Lost contacts per capacity unit of the envelope ``seg`` at served capacity ``at``."""
    start = 0.0
    for length, slope in zip(seg.lengths, seg.slopes):
        if length < 0 or at < start + length:
            return float(slope)
        start += length
    return 0.0


def _allocation_lp(prob: RosterProblem, capacity, tables, t0: int, t1: int, carried: dict):
    """The allocation LP of intervals ``t0..t1-1``: (solution, allocation variables ``(group, queue, t, j)``,
    backlog variables per deferred queue, capacity rows ``(group, t, row)``, row duals, daily target rows
    (:func:`_build_allocation_lp`), optimum)."""
    lp, avars, bvars, caps, targets = _build_allocation_lp(prob, capacity, tables, t0, t1, carried)
    out = lp.solve(600.0, values=True, method="highs", duals=True)
    if out is None:
        raise RuntimeError("the allocation LP was not solved")
    return out[1], avars, bvars, caps, out[2], targets, out[0]


def _build_allocation_lp(prob: RosterProblem, capacity, tables, t0: int, t1: int, carried: dict,
                         rows: dict[tuple[str, ...], np.ndarray] | None = None):
    """The allocation LP of intervals ``t0..t1-1`` unsolved: (LP, allocation variables, backlog variables,
    capacity rows, daily target rows ``((queue, day), row, shortfall column, lost0, bound)``). ``rows``: a capacity row per group and interval where this mask is set (bound: the
    group's capacity there, 0 where it has none), so other capacities only change row bounds; None: rows
    where the group has capacity."""
    sc = prob.scenario
    per_day = prob.per_day
    over_w = sc.weights.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    lp = _LP()
    avars: list[tuple[tuple, str, int, int]] = []
    caps: list[tuple[tuple, int, int]] = []          # (group, t, row) of each capacity row
    by_qt: dict[tuple[str, int], list[int]] = defaultdict(list)
    for g in sorted(capacity if rows is None else rows):
        cap = capacity.get(g, np.zeros(prob.horizon_intervals))
        for t in range(t0, t1):
            if (cap[t] <= 1e-9) if rows is None else not rows[g][t]:
                continue
            row = []
            for q, j in split_group(lp, prob, tables, g, t, by_qt, over_w):
                avars.append((g, q, t, j))
                row.append((j, 1.0))
            if row:
                caps.append((g, t, len(lp.lo)))
                lp.row(row, hi=float(cap[t]))
    day_lost: dict[tuple[str, int], list] = defaultdict(list)     # daily targets: lost-contact terms per day
    add_served_value(lp, prob, tables, by_qt, t0, t1, day_lost)
    # service-goal mode: each day's contacts not answered in time within (1 - target) x volume, a shortfall
    # priced like a soft rule (per contact)
    short_w = sc.weights.soft_rule * OBJ_SCALE
    targets: list[tuple] = []      # ((queue, day), row, shortfall column, lost0, bound) of each daily target
    for q, dem in prob.live.items():
        days = dem.t // per_day
        for d in range(t0 // per_day, (t1 + per_day - 1) // per_day):
            m = (days == d) & (dem.t >= t0) & (dem.t < t1)
            vol = float(dem.volume[m].sum())
            if vol <= 0 or dem.target(d) is None:
                continue
            lost0 = sum(dem.segments[k].lost0 for k in np.flatnonzero(m))
            short = lp.var(cost=short_w)
            hi = (1.0 - dem.target(d) - TARGET_LP_MARGIN) * vol - lost0
            targets.append(((q, d), len(lp.lo), short, lost0, hi))
            lp.row([(sv, slope) for sv, slope in day_lost.get((q, d), [])] + [(short, -1.0)], hi=hi)
    return lp, avars, add_backlog(lp, prob, by_qt, t0, t1, carried), caps, targets


def split_group(lp: _LP, prob: RosterProblem, tables, g: tuple[str, ...], t: int, by_qt: dict,
                over_w: float) -> list[tuple[str, int]]:
    """Variables for capacity group ``g``'s share on each queue it can serve at ``t`` (live queues with a
    value table there, open deferred queues), each earning the idle price back (an allocated unit is not
    idle); appended to ``by_qt[(queue, t)]``. Returns ``[(queue, column)]``."""
    out = []
    for q in g:
        if q in tables:
            if tables[q][t] is None:
                continue
        elif q not in prob.deferred or not prob.deferred[q].open_mask[t]:
            continue
        j = lp.var(cost=-over_w)
        by_qt[(q, t)].append(j)
        out.append((q, j))
    return out


def add_served_value(lp: _LP, prob: RosterProblem, tables, by_qt: dict, t0: int, t1: int,
                     day_lost: dict | None = None) -> None:
    """Each live queue's served capacity at ``t0..t1-1`` (the columns ``by_qt``) on the pieces of its marginal
    values (:func:`marginal_values`). ``day_lost``: each piece's column with its lost contacts per unit, per
    (queue, day) with a daily target."""
    per_day = prob.per_day
    for q in tables:
        dem = prob.live.get(q)
        k_of = ({int(t): k for k, t in enumerate(dem.t) if dem.target(int(t) // per_day) is not None}
                if dem is not None and day_lost is not None else {})
        for t in range(t0, t1):
            parts = by_qt.get((q, t))
            if not parts:
                continue
            ends, values = tables[q][t]
            segs, at = [], 0.0
            for end, value in zip(ends, values):
                if end - at <= 0:
                    continue
                segs.append(lp.var(cost=-value, ub=end - at))
                if t in k_of:
                    day_lost[(q, t // per_day)].append((segs[-1], _slope_at(dem.segments[k_of[t]], (at + end) / 2)))
                at = end
            lp.row([(j, 1.0) for j in parts] + [(s, -1.0) for s in segs], lo=0.0, hi=0.0)


def add_backlog(lp: _LP, prob: RosterProblem, by_qt: dict, t0: int, t1: int, carried: dict) -> dict[str, list[int]]:
    """Each deferred queue's backlog at ``t0..t1-1`` (``carried[q]`` entering at ``t0``), done by the columns
    ``by_qt``, with its due checks at the late-work price. Returns the backlog columns per queue."""
    sc = prob.scenario
    bvars: dict[str, list[int]] = {}
    for q, dem in prob.deferred.items():
        late_w = sc.late_work_hour_for(q) * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
        arrived = np.concatenate([[0.0], np.cumsum(dem.work)])
        due = dict(dem.due)
        prev, bs = None, []
        for t in range(t0, t1):
            b = lp.var(cost=0.0)
            rhs = float(dem.work[t]) + (carried[q] if prev is None else 0.0)
            terms = [(b, 1.0)] + [(j, 1.0) for j in by_qt.get((q, t), [])]
            if prev is not None:
                terms.append((prev, -1.0))
            lp.row(terms, lo=rhs, hi=rhs)
            if t in due:
                od = lp.var(cost=late_w)
                lp.row([(od, 1.0), (b, -1.0)], lo=-float(arrived[t + 1] - arrived[due[t] + 1]))
            bs.append(b)
            prev = b
        bvars[q] = bs
    return bvars
