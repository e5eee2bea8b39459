"""The pool-level CP-SAT roster model: shift counts, breaks, allocation, service, backlog, costs.

Integer shift counts ``x[pool, day, shift]`` with the labour rules relaxed to pool level
(:mod:`.aggregate`) give a relaxation of the roster problem; :mod:`.explain` guards its coupling rules
(daily targets, per-interval coverage, team caps) to name them in an infeasible core, and it is the
basis of windowed improvement. (On the full 11.11 horizon it is too large for CP-SAT within the time
limit — docs/model.md — so the constructive stages build the roster.)

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

from scheduler.optimize.problem import CAP_SCALE, LOST_SCALE, OBJ_SCALE, RosterProblem
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
    served: dict[tuple[str, int], object] = field(default_factory=dict)                  # (queue, t) capacity units served
    lost: dict[tuple[str, int], tuple] = field(default_factory=dict)                     # (live queue, t): (lost0, [(var, slope)])
    lost_const: dict[tuple[str, int], float] = field(default_factory=dict)               # nobody can serve: all lost
    backlog: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    penalties: list[Penalty] = field(default_factory=list)
    cal: object = None                                                                  # rules.Calendar (full model)

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
                   guard: Guard = _no_guard, break_level: str = "pool") -> None:
    """Shift counts, breaks, capacity, allocation, lost contacts, backlog, overflow caps and labour cost.

    ``x_upper`` optionally restricts (pool, day, shift) -> upper bound (0 drops the shift).
    ``break_level``: "pool" places breaks per pool (exact); "group" places them per break group (pools
    that differ only in seniority) and takes the group's lowest efficiency for an agent on break — a
    relaxation (capacity is never under-counted) with about half the break variables."""
    sc = prob.scenario
    T = prob.horizon_intervals
    per_day = prob.per_day
    # ---- shift counts and breaks -------------------------------------------------------------------
    onshift: list[dict[int, list]] = [defaultdict(list) for _ in prob.pools]     # pool -> t -> [(var, coef)]
    # breaks: key -> t -> [(var, -1)], with key a pool (exact) or a break group (relaxed)
    onbreak: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    group_counts: dict[tuple[int, int, int], list] = defaultdict(list)
    group_ub: dict[tuple[int, int, int], int] = defaultdict(int)
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
                    onshift[p.index][t].append((xv, 1))
                cost = prob.shift_cost[(p.team, s_idx)]
                v.penalties.append(Penalty(f"labour[{p.label},{prob.label_day(d)},{s.code}]", "labour_cost", xv, cost))
                if break_level == "pool":
                    _add_breaks(model, prob, v, p.index, d, s_idx, xv, ub, onbreak[p.index], p.label)
                else:
                    group_counts[(p.break_group, d, s_idx)].append(xv)
                    group_ub[(p.break_group, d, s_idx)] += ub
    if break_level == "group":
        for (g, d, s_idx), xs in group_counts.items():
            total = xs[0] if len(xs) == 1 else sum(xs)
            label = next(p.label for p in prob.pools if p.break_group == g).replace("/senior", "").replace("/junior", "")
            _add_breaks(model, prob, v, g, d, s_idx, total, group_ub[(g, d, s_idx)], onbreak[g], label)
    elif break_level == "relaxed":
        _add_relaxed_breaks(model, prob, group_counts, group_ub, onbreak)
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
        break_keys = sorted({p.index if break_level == "pool" else p.break_group for p in pools})
        for t in range(T):
            wanted = [q for q in qs if q in need and need[q][t]]
            terms = []
            cap_ub = 0
            i = t % per_day
            for p in pools:
                eff = int(p.efficiency[i])
                if onshift[p.index].get(t):
                    terms.extend((var, c * eff) for var, c in onshift[p.index][t])
                    cap_ub += eff * len(p.members)
            if not terms:
                continue
            for key in break_keys:
                if onbreak[key].get(t):
                    members = [p for p in pools if (p.index if break_level == "pool" else p.break_group) == key]
                    eff = min(int(p.efficiency[i]) for p in members)
                    terms.extend((var, -eff) for var in onbreak[key][t])
            cap = cp_model.LinearExpr.weighted_sum([a for a, _ in terms], [c for _, c in terms])
            idle_terms.extend(terms)
            if not wanted:
                continue
            if len(wanted) == 1:
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
    # ---- live queues: served capacity in convex segments (lost contacts, over-staffing) ------------------
    w = sc.weights
    over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE     # per capacity unit-interval
    served_all: list[object] = []
    for q, dem in prob.live.items():
        day_terms: dict[int, list] = defaultdict(list)
        day_const: dict[int, float] = defaultdict(float)
        ub = int(sum(int(p.efficiency.max()) * len(p.members) for p in prob.pools if q in p.queues))
        for k, t in enumerate(dem.t):
            t = int(t)
            parts = contributions.get((q, t))
            label = f"{q},{prob.label_t(t)}"
            seg = dem.segments[k]
            day = t // per_day
            day_const[day] += seg.lost0
            v.penalties.append(Penalty(f"lost0[{label}]", "lost_contacts", int(round(seg.lost0 * LOST_SCALE)),
                                       int(round(w.lost_contact * OBJ_SCALE / LOST_SCALE))))
            if not parts:
                v.lost_const[(q, t)] = seg.lost0
                if prob.per_interval_hard is True and dem.required[k] > 1e-9:
                    ct = model.add_bool_or([])
                    g = guard("coverage", 0, f"{q} {prob.label_t(t)}")
                    if g is not None:
                        ct.only_enforce_if(g)
                continue
            req_units = int(np.ceil(dem.required[k] * CAP_SCALE - 1e-6))
            pieces = _split_at(seg, req_units, ub)
            vars_, lost_terms = [], []
            at = 0
            for j, (length, slope) in enumerate(pieces):
                sv = model.new_int_var(0, length, f"served[{label}#{j}]")
                vars_.append(sv)
                coef = w.lost_contact * slope * OBJ_SCALE + (over_w if at >= req_units else 0.0)
                at += length
                c = int(round(coef))
                if c:
                    v.penalties.append(Penalty(f"served[{label}#{j}]", "lost_contacts" if slope < 0 else "overstaffing",
                                               sv, c))
                if slope < 0:
                    lost_terms.append((sv, slope))
            served = cp_model.LinearExpr.sum(vars_)
            model.add(served <= sum(parts))
            v.served[(q, t)] = served
            v.lost[(q, t)] = (seg.lost0, lost_terms)
            served_all.extend(vars_)
            day_terms[day].extend(lost_terms)
            if prob.per_interval_hard is True and req_units > 0:
                ct = model.add(served >= req_units)
                g = guard("coverage", 0, f"{q} {prob.label_t(t)}")
                if g is not None:
                    ct.only_enforce_if(g)
        if any(x is not None for x in dem.daily_targets):
            scale = 1000 * LOST_SCALE
            for d in range(prob.n_days):
                vol = float(dem.volume[(dem.t // per_day) == d].sum())
                if vol <= 0 or dem.target(d) is None:
                    continue
                budget = int(np.floor(((1.0 - dem.target(d)) * vol - day_const[d]) * scale))
                terms = day_terms[d]
                expr = cp_model.LinearExpr.weighted_sum([a for a, _ in terms], [int(round(sl * scale)) for _, sl in terms])
                name = f"daily_target[{q},{prob.label_day(d)}]"
                if "daily_target" in prob.soft:
                    sv = model.new_int_var(0, int(vol * scale) + 1, name)
                    model.add(expr - sv <= budget)
                    v.penalties.append(Penalty(name, "daily_target", sv, max(1, int(round(w.soft_rule * OBJ_SCALE / scale)))))
                else:
                    ct = model.add(expr <= budget) if terms else (model.add_bool_or([]) if budget < 0 else None)
                    g = guard("daily_target", d, f"{q} {prob.label_day(d)}")
                    if ct is not None and g is not None:
                        ct.only_enforce_if(g)
    # ---- deferred queues: backlog with deadlines -------------------------------------------------------
    idle_w = int(round(over_w))
    for q, dem in prob.deferred.items():
        price = prob.scenario.late_work_hour_for(q)
        late_w = max(1, int(round(price * prob.interval_h * prob.interval_h * OBJ_SCALE / CAP_SCALE))) if price > 0 else 0
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
                model.add(done <= sum(parts))
                v.served[(q, t)] = done
                served_all.append(done)
            b = model.new_int_var(0, total, f"backlog[{q},{prob.label_t(t)}]")
            rhs = int(dem.work[t]) + (prev if prev is not None else 0)
            model.add(b == rhs - (done if done is not None else 0))
            v.backlog[(q, t)] = b
            prev = b
            if t in due and late_w:
                allowed = int(arrived[t + 1] - arrived[due[t] + 1])       # work newer than the due cohort
                od = model.new_int_var(0, total, f"overdue[{q},{prob.label_t(t)}]")
                model.add(od >= b - allowed)
                v.penalties.append(Penalty(f"overdue[{q},{prob.label_t(t)}]", "late_work", od, late_w))
    # ---- idle capacity (on duty, serving nothing) costs as over-staffing --------------------------------
    if idle_w > 0:
        coef: dict[int, int] = defaultdict(int)
        keyed: dict[int, object] = {}
        for var, c in idle_terms:
            coef[var.index] += c
            keyed[var.index] = var
        for e in served_all:
            coef[e.index] -= 1
            keyed[e.index] = e
        if coef:
            idle = cp_model.LinearExpr.weighted_sum([keyed[i] for i in coef], [coef[i] for i in coef])
            v.penalties.append(Penalty("idle_capacity", "overstaffing", idle, idle_w))
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


def _split_at(seg, req_units: int, ub: int) -> list[tuple[int, float]]:
    """Segments (length, slope) with a breakpoint at the requirement (over-staffing starts there)."""
    out = []
    at = 0
    for length, slope in zip(seg.lengths, seg.slopes):
        length = max(ub - at, 0) if length < 0 else length
        if at < req_units < at + length:
            out.append((req_units - at, slope))
            out.append((at + length - req_units, slope))
        elif length > 0:
            out.append((length, slope))
        at += length
    return out or [(max(ub, 0), 0.0)]


def _add_relaxed_breaks(model: cp_model.CpModel, prob: RosterProblem, group_counts: dict, group_ub: dict,
                        onbreak: dict) -> None:
    """Breaks as agents-on-break per break group, day, break rule and interval, constrained only by the
    total break time and by who could be on break then (some shift whose window reaches it): a
    relaxation of the placement with far fewer variables than one count per shift and offset."""
    T = prob.horizon_intervals
    per_day = prob.per_day
    by_rule: dict[tuple, list] = defaultdict(list)       # (g, d, template, k) -> [(shift index, X)]
    for (g, d, s_idx), xs in group_counts.items():
        s = prob.shifts[s_idx]
        total = xs[0] if len(xs) == 1 else sum(xs)
        for k in range(len(s.breaks)):
            by_rule[(g, d, s.template, k)].append((s_idx, total, group_ub[(g, d, s_idx)]))
    for (g, d, template, k), items in by_rule.items():
        reach: dict[int, list] = defaultdict(list)
        length = prob.shifts[items[0][0]].breaks[k].length
        ub = sum(u for _, _, u in items)
        clipped = False
        for s_idx, total, _ in items:
            s = prob.shifts[s_idx]
            slot = s.breaks[k]
            base = d * per_day + s.start
            for t in range(base + slot.offsets[0], base + slot.offsets[-1] + slot.length):
                if t < T:
                    reach[t].append(total)
                else:
                    clipped = True
        zs = []
        for t, totals in sorted(reach.items()):
            z = model.new_int_var(0, ub, f"on_break[g{g},{prob.label_day(d)},{template}{k},{prob.label_t(t)}]")
            model.add(z <= sum(totals))
            onbreak[g][t].append(z)
            zs.append(z)
        agents = sum(total for _, total, _ in items)
        if clipped:
            model.add(sum(zs) <= length * agents)
        else:
            model.add(sum(zs) == length * agents)


def _add_breaks(model: cp_model.CpModel, prob: RosterProblem, v: RosterVars, key: int, d: int, s_idx: int, count,
                ub: int, onbreak: dict[int, list], label: str) -> None:
    """Break placement counts of ``count`` agents of ``key`` (pool or break group) working shift s on day d."""
    s = prob.shifts[s_idx]
    T = prob.horizon_intervals
    base = d * prob.per_day + s.start
    for k, slot in enumerate(s.breaks):
        if len(slot.offsets) == 1 and isinstance(count, cp_model.IntVar):
            placed = {slot.offsets[0]: count}
        else:
            placed = {o: model.new_int_var(0, ub, f"break[{label},{prob.label_day(d)},{s.code},{slot.kind}{k}@+{o}]")
                      for o in slot.offsets}
            model.add(sum(placed.values()) == count)
        v.brk[(key, d, s_idx, k)] = placed
        for o, bv in placed.items():
            for t in range(base + o, base + o + slot.length):
                if 0 <= t < T:
                    onbreak[t].append(bv)


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
