"""Valid lower bounds of the roster objective.

:func:`fluid_bound` — a relaxation that can be evaluated in a fraction of a second: capacity may be
bought interval by interval (no shift shapes, no weekly rules) at the cheapest price any pool that
may serve the queue pays per effective capacity unit (its cheapest shift's cost divided by the most
capacity that shift can deliver), limited by the agents who could be on duty then. Deferred work
costs at least the cheaper of doing it (at that price) and leaving it late for one interval. Every
dropped term (over-staffing, fairness, preferences, ...) is non-negative. The result is a valid
lower bound of any roster's cost — loose (shift rigidity and weekly minimum hours are ignored), so
the stage-1 aggregate model's bound replaces it whenever that model proves a better one.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, could_work


def pool_prices(prob: RosterProblem) -> dict[int, float]:
    """Least objective units per capacity unit-interval each pool can buy capacity at."""
    out = {}
    per_day = prob.per_day
    for p in prob.pools:
        best = float("inf")
        for s_idx in p.shifts:
            s = prob.shifts[s_idx]
            eff = p.efficiency[(s.start + np.arange(s.length)) % per_day].astype(float)
            brk = sum(slot.length for slot in s.breaks)
            units = float(eff.sum() - brk * eff.min())
            if units > 0:
                best = min(best, prob.shift_cost[(p.team, s_idx)] / units)
        out[p.index] = best
    return out


def fluid_bound(prob: RosterProblem) -> float:
    """A valid lower bound of the objective (objective units)."""
    sc = prob.scenario
    w = sc.weights
    T = prob.horizon_intervals
    price = pool_prices(prob)
    # capacity that could be on duty, per queue and in total (breaks, rest and weekly rules ignored)
    cap_q: dict[str, np.ndarray] = {q: np.zeros(T) for q in sc.queues}
    cap_all = np.zeros(T)
    team_cap: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(T))
    for p in prob.pools:
        if not p.queues:
            continue
        eff = np.tile(p.efficiency, prob.n_days).astype(float)
        heads = sum((could_work(prob, prob.agents[a]).astype(float) for a in p.members), np.zeros(T))
        units = heads * eff
        for q in p.queues:
            cap_q[q] += units
        team_cap[p.team] += units
        cap_all += units
    for team, units in team_cap.items():
        spec = sc.teams[team]
        if spec.max_agents is not None:
            best_eff = max(float(p.efficiency.max()) for p in prob.pools if p.team == team)
            over = np.clip(units - spec.max_agents * best_eff, 0, None)
            cap_all -= over
            for q in sc.queues:
                cap_q[q] = np.minimum(cap_q[q], cap_all)
    q_price = {q: min((price[p.index] for p in prob.pools if q in p.queues), default=float("inf")) for q in sc.queues}
    over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    total = 0.0
    # live queues: per interval, buy segments while they are worth more than their price
    items: dict[int, list] = defaultdict(list)
    for q, dem in prob.live.items():
        for k, t in enumerate(dem.t):
            seg = dem.segments[k]
            total += w.lost_contact * seg.lost0 * OBJ_SCALE
            at = 0.0
            req = dem.required[k] * CAP_SCALE
            for length, slope in zip(seg.lengths, seg.slopes):
                length = float(length) if length >= 0 else float(cap_q[q][t])
                value = -w.lost_contact * slope * OBJ_SCALE
                net = value - q_price[q] - (over_w if at >= req else 0.0)
                if net > 0 and length > 0:
                    items[int(t)].append((net, length, q))
                at += length
    for t, its in items.items():
        left = float(cap_all[t])
        left_q = {q: float(cap_q[q][t]) for _, _, q in its}
        for net, length, q in sorted(its, key=lambda x: -x[0]):
            take = min(length, left, left_q[q])
            if take <= 0:
                continue
            total -= net * take
            left -= take
            left_q[q] -= take
    # deferred work: done at the cheapest price, or at least one interval late
    late_w = w.late_work_hour * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE
    for q, dem in prob.deferred.items():
        arrived = np.cumsum(dem.work)
        due_work = float(arrived[max((last for _, last in dem.due), default=-1)]) if dem.due else 0.0
        total += min(q_price[q], late_w) * due_work
    return total
