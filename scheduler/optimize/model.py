"""The CP-SAT roster model: shift counts per pool, breaks, allocation, service, backlog, costs.

One builder serves the three stages (docs/model.md):
- the *aggregate* model: integer shift counts ``x[pool, day, shift]`` with the labour rules relaxed
  to pool level (:mod:`.aggregate`); its bound is a valid lower bound of the full model;
- the *full* model: the same plus one Boolean per agent × day × shift tied to the counts and every
  personal rule (:mod:`.personal`);
- stage-3 improvement re-solves the full model around the incumbent.

Agents of a pool are interchangeable, so breaks and queue allocation live at pool level in both:
``brk[pool, day, shift, break k, offset o]`` counts the agents of that pool working that shift whose
k-th break starts at offset o, and ``alloc[queue set, queue, t]`` splits each capacity group's
effective capacity over its queues — an agent-interval is never counted twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from scheduler.optimize.problem import CAP_SCALE, CUT_SCALE, LOST_SCALE, OBJ_SCALE, RosterProblem
from scheduler.optimize.rules import Guard, Penalty

log = logging.getLogger(__name__)


def _no_guard(rule: str, index: int, scope: str):
    return None


@dataclass
class RosterVars:
    """Variables of a built roster model (a container hiding the indexing)."""

    x: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)          # (pool, day, shift)
    brk: dict[tuple[int, int, int, int], dict[int, object]] = field(default_factory=dict)  # (p,d,s,k) -> offset -> var/expr
    alloc: dict[tuple[int, str, int], cp_model.IntVar] = field(default_factory=dict)     # (queue set, queue, t)
    direct: dict[tuple[int, str, int], object] = field(default_factory=dict)             # single-queue capacity expr
    served: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)         # (queue, t) effective capacity
    lost: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)           # (live queue, t)
    lost_const: dict[tuple[str, int], float] = field(default_factory=dict)               # nobody can serve: all lost
    over: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    backlog: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    penalties: list[Penalty] = field(default_factory=list)
    cal: object = None                                                                  # rules.Calendar (full model)
    guards: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)

    def objective_expr(self):
        vars_, coefs, const = [], [], 0
        for p in self.penalties:
            if isinstance(p.var, (int, float)):
                const += p.weight * p.var
            else:
                vars_.append(p.var)
                coefs.append(p.weight)
        return cp_model.LinearExpr.weighted_sum(vars_, coefs) + int(round(const))


def build_coverage(model: cp_model.CpModel, prob: RosterProblem, v: RosterVars, *, x_upper: dict | None = None,
                   guard: Guard = _no_guard) -> None:
    """Shift counts, breaks, capacity, allocation, lost contacts, backlog, overflow caps and labour cost.

    ``x_upper`` optionally restricts (pool, day, shift) -> upper bound (0 drops the shift)."""
    sc = prob.scenario
    T = prob.horizon_intervals
    per_day = prob.per_day
    # ---- shift counts and breaks -------------------------------------------------------------------
    onduty: list[dict[int, list]] = [defaultdict(list) for _ in prob.pools]     # pool -> t -> [(var, coef)]
    onshift: list[dict[int, list]] = [defaultdict(list) for _ in prob.pools]
    for p in prob.pools:
        for d in range(prob.n_days):
            avail = _available(prob, p, d)
            for s_idx in p.shifts:
                ub = avail
                if x_upper is not None:
                    ub = min(ub, x_upper.get((p.index, d, s_idx), 0))
                if ub <= 0:
                    continue
                s = prob.shifts[s_idx]
                xv = model.new_int_var(0, ub, f"count[{p.label},{prob.label_day(d)},{s.code}]")
                v.x[(p.index, d, s_idx)] = xv
                for t in prob.shift_intervals(d, s):
                    onduty[p.index][t].append((xv, 1))
                    onshift[p.index][t].append((xv, 1))
                base = d * per_day + s.start
                for k, slot in enumerate(s.breaks):
                    if len(slot.offsets) == 1:
                        placed = {slot.offsets[0]: xv}
                    else:
                        placed = {o: model.new_int_var(0, ub, f"break[{p.label},{prob.label_day(d)},{s.code},{slot.kind}{k}@+{o}]")
                                  for o in slot.offsets}
                        model.add(sum(placed.values()) == xv)
                    v.brk[(p.index, d, s_idx, k)] = placed
                    for o, bv in placed.items():
                        for t in range(base + o, base + o + slot.length):
                            if 0 <= t < T:
                                onduty[p.index][t].append((bv, -1))
                cost = prob.shift_cost[(p.team, s_idx)]
                v.penalties.append(Penalty(f"labour[{p.label},{prob.label_day(d)},{s.code}]", "labour_cost", xv, cost))
    # ---- capacity groups and allocation --------------------------------------------------------------
    need: dict[str, np.ndarray] = {}
    for q, dem in prob.live.items():
        m = np.zeros(T, dtype=bool)
        m[dem.t] = True
        need[q] = m
    for q, dem in prob.deferred.items():
        first = np.flatnonzero(dem.work > 0)
        m = dem.open_mask.copy()
        if len(first):
            m[: first[0]] = False
        else:
            m[:] = False
        need[q] = m
    contributions: dict[tuple[str, int], list] = defaultdict(list)
    idle_terms: list[tuple[object, int]] = []
    for gi, qs in enumerate(prob.queue_sets):
        pools = [p for p in prob.pools if p.queues == qs]
        for t in range(T):
            wanted = [q for q in qs if q in need and need[q][t]]
            terms = []
            cap_ub = 0
            i = t % per_day
            for p in pools:
                eff = int(p.efficiency[i])
                if onduty[p.index].get(t):
                    terms.extend((var, c * eff) for var, c in onduty[p.index][t])
                    cap_ub += eff * len(p.members)
            if not terms:
                continue
            cap = cp_model.LinearExpr.weighted_sum([a for a, _ in terms], [c for _, c in terms])
            idle_terms.extend(terms)
            if not wanted:
                continue
            if len(wanted) == 1 and wanted[0] in prob.live:
                contributions[(wanted[0], t)].append(cap)
                v.direct[(gi, wanted[0], t)] = cap
                continue
            parts = []
            for q in wanted:
                a = model.new_int_var(0, cap_ub, f"alloc[{'+'.join(qs)}->{q},{prob.label_t(t)}]")
                v.alloc[(gi, q, t)] = a
                parts.append(a)
                contributions[(q, t)].append(a)
            model.add(sum(parts) <= cap)
    # ---- live queues: served capacity, lost contacts (tangent cuts), over-staffing ------------------
    w = sc.weights
    lost_w = int(round(w.lost_contact * OBJ_SCALE / LOST_SCALE))
    over_w = int(round(w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE))
    served_all: list[object] = []
    for q, dem in prob.live.items():
        day_lost: dict[int, list] = defaultdict(list)
        day_const: dict[int, float] = defaultdict(float)
        for k, t in enumerate(dem.t):
            t = int(t)
            parts = contributions.get((q, t))
            label = f"{q},{prob.label_t(t)}"
            if not parts:
                v.lost_const[(q, t)] = float(dem.lost[k][0])
                day_const[t // per_day] += float(dem.lost[k][0])
                v.penalties.append(Penalty(f"lost[{label}]", "lost_contacts", float(dem.lost[k][0]) * LOST_SCALE, lost_w))
                if prob.per_interval_hard and dem.required[k] > 1e-9:
                    ct = model.add_bool_or([])
                    g = guard("coverage", 0, f"{q} {prob.label_t(t)}")
                    if g is not None:
                        ct.only_enforce_if(g)
                continue
            ub = int(sum(int(p.efficiency.max()) * len(p.members) for p in prob.pools if q in p.queues))
            e = model.new_int_var(0, max(ub, 0), f"served[{label}]")
            model.add(e == sum(parts))
            v.served[(q, t)] = e
            served_all.append(e)
            vol_units = int(np.ceil(dem.volume[k] * LOST_SCALE))
            lv = model.new_int_var(0, vol_units, f"lost[{label}]")
            for alpha, beta in dem.cuts[k]:
                model.add(CUT_SCALE * lv - beta * e >= alpha)
            v.lost[(q, t)] = lv
            day_lost[t // per_day].append(lv)
            v.penalties.append(Penalty(f"lost[{label}]", "lost_contacts", lv, lost_w))
            req_units = int(np.ceil(dem.required[k] * CAP_SCALE - 1e-6))
            ov = model.new_int_var(0, max(ub, 0), f"overstaffed[{label}]")
            model.add(ov >= e - req_units)
            v.over[(q, t)] = ov
            v.penalties.append(Penalty(f"overstaffed[{label}]", "overstaffing", ov, over_w))
            if prob.per_interval_hard and req_units > 0:
                ct = model.add(e >= req_units)
                g = guard("coverage", 0, f"{q} {prob.label_t(t)}")
                if g is not None:
                    ct.only_enforce_if(g)
        if dem.daily_target is not None:
            for d in range(prob.n_days):
                vol = float(dem.volume[(dem.t // per_day) == d].sum())
                if vol <= 0:
                    continue
                budget = int(np.floor(((1.0 - dem.daily_target) * vol - day_const[d]) * LOST_SCALE))
                expr = sum(day_lost[d]) if day_lost[d] else 0
                name = f"daily_target[{q},{prob.label_day(d)}]"
                if "daily_target" in prob.soft:
                    sv = model.new_int_var(0, int(vol * LOST_SCALE) + 1, name)
                    model.add(expr - sv <= budget)
                    v.penalties.append(Penalty(name, "daily_target", sv, int(round(w.soft_rule * OBJ_SCALE / LOST_SCALE))))
                else:
                    ct = model.add(expr <= budget) if day_lost[d] else model.add_bool_or([]) if budget < 0 else None
                    g = guard("daily_target", d, f"{q} {prob.label_day(d)}")
                    if ct is not None and g is not None:
                        ct.only_enforce_if(g)
    # ---- deferred queues: backlog with deadlines -------------------------------------------------------
    late_w = int(round(w.late_work_hour * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE))
    for q, dem in prob.deferred.items():
        arrived = np.concatenate([[0], np.cumsum(dem.work)])      # arrived[t+1] = work up to and including t
        total = int(arrived[-1])
        if total == 0:
            continue
        prev = None
        first = int(np.flatnonzero(dem.work > 0)[0])
        due = dict(dem.due)
        for t in range(first, T):
            parts = contributions.get((q, t))
            done = None
            if parts:
                done = model.new_int_var(0, total, f"done[{q},{prob.label_t(t)}]")
                model.add(done == sum(parts))
                v.served[(q, t)] = done
                served_all.append(done)
            b = model.new_int_var(0, total, f"backlog[{q},{prob.label_t(t)}]")
            rhs = int(dem.work[t]) + (prev if prev is not None else 0)
            model.add(b == rhs - (done if done is not None else 0))
            v.backlog[(q, t)] = b
            prev = b
            if t in due:
                allowed = int(arrived[t + 1] - arrived[due[t] + 1])       # work newer than the due cohort
                od = model.new_int_var(0, total, f"overdue[{q},{prob.label_t(t)}]")
                model.add(od >= b - allowed)
                v.penalties.append(Penalty(f"overdue[{q},{prob.label_t(t)}]", "late_work", od, late_w))
    # ---- idle capacity (on duty, not used by any queue) costs as over-staffing ----------------------------
    if over_w > 0:
        coef: dict[int, int] = defaultdict(int)
        keyed: dict[int, object] = {}
        for var, c in idle_terms:
            coef[var.index] += c
            keyed[var.index] = var
        if coef:
            idle = cp_model.LinearExpr.weighted_sum([keyed[i] for i in coef], [coef[i] for i in coef])
            v.penalties.append(Penalty("idle_capacity", "overstaffing", idle - sum(served_all), over_w))
    # ---- team caps (overflow vendor: at most max_agents at once) ------------------------------------------
    for team, spec in sc.teams.items():
        if spec.max_agents is None:
            continue
        members = sum(len(p.members) for p in prob.pools if p.team == team)
        if spec.max_agents >= members:
            continue
        for t in range(T):
            terms = [(var, c) for p in prob.pools if p.team == team for var, c in onshift[p.index].get(t, ())]
            if terms:
                ct = model.add(cp_model.LinearExpr.weighted_sum([a for a, _ in terms], [c for _, c in terms]) <= spec.max_agents)
                g = guard("max_agents", 0, f"{team} {prob.label_t(t)}")
                if g is not None:
                    ct.only_enforce_if(g)


def _available(prob: RosterProblem, pool, d: int) -> int:
    """Members of ``pool`` that may work on day ``d`` (not on leave, not locked off)."""
    n = 0
    for a in pool.members:
        ag = prob.agents[a]
        if d in ag.unavailable:
            continue
        if d in ag.locked and ag.locked[d] is None:
            continue
        n += 1
    return n
