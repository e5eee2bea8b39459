"""From a solved full model to the roster frames (assignments, breaks, allocation, coverage) and figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.optimize.model import RosterVars
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem
from scheduler.optimize.solve import SolveOutcome

SOFT_REPORTED = ("stable_start_max_diff_h", "daily_target")


def named_from(v: RosterVars, prob: RosterProblem, out: SolveOutcome) -> dict[int, dict[int, int]]:
    named: dict[int, dict[int, int]] = {}
    for a in v.cal.agents:
        for d in range(prob.n_days):
            for s, lit in v.cal.lits(a, d).items():
                if out.solver.value(lit):
                    named.setdefault(a, {})[d] = s
    return named


def extract(prob: RosterProblem, v: RosterVars, out: SolveOutcome) -> dict:
    """Frames and figures of the solution held by ``out.solver``."""
    val = out.solver.value
    named = named_from(v, prob, out)
    step = prob.interval_min
    T = prob.horizon_intervals
    midnight = [datetime.combine(d, datetime.min.time()) for d in prob.days]
    # ---- assignments --------------------------------------------------------------------------------
    rows = []
    by_pds: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for a in sorted(named, key=lambda a: prob.agents[a].agent_id):
        info = prob.agents[a]
        for d, s in sorted(named[a].items()):
            sh = prob.shifts[s]
            rows.append({C.AGENT_ID: info.agent_id, C.TEAM: info.team, C.DATE: prob.days[d], C.SHIFT: sh.code,
                         C.SHIFT_START: midnight[d] + timedelta(minutes=sh.start_min),
                         C.SHIFT_END: midnight[d] + timedelta(minutes=sh.end_min), C.PAID_H: sh.paid_min / 60.0})
            by_pds[(info.pool, d, s)].append(a)
    assignments = pd.DataFrame(rows, columns=list(C.ASSIGNMENT_COLUMNS))
    # ---- breaks: each pool's placement counts dealt to its agents on that shift ----------------------
    brows = []
    off_duty: dict[int, set[int]] = defaultdict(set)          # agent -> global intervals on break
    for (p, d, s, k), placed in v.brk.items():
        agents = by_pds.get((p, d, s), [])
        if not agents:
            continue
        slot = prob.shifts[s].breaks[k]
        offsets = []
        for o in sorted(placed):
            offsets += [o] * int(val(placed[o]))
        base = d * prob.per_day + prob.shifts[s].start
        for a, o in zip(agents, offsets):
            start = midnight[0] + timedelta(minutes=(base + o) * step)
            brows.append({C.AGENT_ID: prob.agents[a].agent_id, C.SHIFT_START: start,
                          C.SHIFT_END: start + timedelta(minutes=slot.length * step), C.BREAK_KIND: slot.kind})
            off_duty[a].update(range(base + o, base + o + slot.length))
    breaks = pd.DataFrame(brows, columns=list(C.BREAK_COLUMNS))
    if len(breaks):
        breaks = breaks.sort_values([C.AGENT_ID, C.SHIFT_START], kind="stable").reset_index(drop=True)
    # ---- allocation shares -------------------------------------------------------------------------------
    group_of = {qs: g for g, qs in enumerate(prob.queue_sets)}
    on_duty: dict[tuple[int, int], list[int]] = defaultdict(list)   # (group, t) -> agents on duty
    for a, days in named.items():
        info = prob.agents[a]
        if not info.queues:
            continue
        g = group_of[info.queues]
        for d, s in days.items():
            for t in prob.shift_intervals(d, prob.shifts[s]):
                if t not in off_duty[a]:
                    on_duty[(g, t)].append(a)
    shares: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for (g, q, t), var in v.alloc.items():
        shares[(g, t)][q] = float(val(var))
    for (g, q, t) in v.direct:
        shares[(g, t)][q] = -1.0                                  # the whole capacity
    arows_agent, arows_t, arows_q, arows_share = [], [], [], []
    for (g, t), qs in shares.items():
        agents = on_duty.get((g, t), [])
        if not agents:
            continue
        i = t % prob.per_day
        cap = sum(int(prob.pools[prob.agents[a].pool].efficiency[i]) for a in agents)
        for q, amount in qs.items():
            share = 1.0 if amount < 0 else (amount / cap if cap > 0 else 0.0)
            if share <= 1e-9:
                continue
            for a in agents:
                arows_agent.append(prob.agents[a].agent_id)
                arows_t.append(t)
                arows_q.append(q)
                arows_share.append(min(1.0, share))
    allocation = pd.DataFrame({
        C.AGENT_ID: arows_agent,
        C.INTERVAL_START: pd.Timestamp(prob.days[0]) + pd.to_timedelta(np.asarray(arows_t, dtype=np.int64) * step, unit="min"),
        C.QUEUE: arows_q, "share": arows_share,
    })
    # ---- coverage and expected service ----------------------------------------------------------------------
    coverage, lost_total = _coverage(prob, v, val)
    # ---- money ------------------------------------------------------------------------------------------------
    terms: dict[str, float] = defaultdict(float)
    soft_rows = []
    for p in v.penalties:
        value = float(p.var) if isinstance(p.var, (int, float)) else float(val(p.var))
        terms[p.rule] += p.weight * value / OBJ_SCALE
        if value > 0 and (p.rule in prob.soft or p.rule in SOFT_REPORTED):
            soft_rows.append({"rule": p.rule, "name": p.name,
                              C.AGENT_ID: prob.agents[p.agent].agent_id if p.agent is not None else "",
                              "scope": p.scope, "amount": value, "cost": p.weight * value / OBJ_SCALE})
    soft = pd.DataFrame(soft_rows, columns=["rule", "name", C.AGENT_ID, "scope", "amount", "cost"])
    paid: dict[str, float] = defaultdict(float)
    cost: dict[str, float] = defaultdict(float)
    for a, days in named.items():
        info = prob.agents[a]
        for d, s in days.items():
            paid[info.team] += prob.shifts[s].paid_min / 60.0
            cost[info.team] += prob.shift_cost[(info.team, s)] / OBJ_SCALE
    for p in v.penalties:
        if p.rule == "overtime" and p.agent is not None:
            cost[prob.agents[p.agent].team] += p.weight * float(val(p.var)) / OBJ_SCALE
    return {
        "assignments": assignments, "breaks": breaks, "allocation": allocation, "coverage": coverage,
        "paid_hours_by_team": {t: float(paid.get(t, 0.0)) for t in prob.scenario.teams},
        "cost_by_team": {t: float(cost.get(t, 0.0)) for t in prob.scenario.teams},
        "overflow_h": float(paid.get("overflow", 0.0)), "objective_terms": dict(terms), "soft_violations": soft,
        "lost_contacts": lost_total,
    }


def _coverage(prob: RosterProblem, v: RosterVars, val) -> tuple[pd.DataFrame, float]:
    T = prob.horizon_intervals
    stamps = pd.Timestamp(prob.days[0]) + pd.to_timedelta(np.arange(T) * prob.interval_min, unit="min")
    table = prob.requirements_table
    frames = []
    lost_total = 0.0
    for q in prob.scenario.queues:
        scheduled = np.zeros(T)
        for t in range(T):
            var = v.served.get((q, t))
            if var is not None:
                scheduled[t] = val(var) / CAP_SCALE
        volume = np.zeros(T)
        required = np.zeros(T)
        sl = np.full(T, np.nan)
        if table is not None and len(table) and C.QUEUE in table.columns:
            sub = table[table[C.QUEUE] == q]
            if len(sub):
                idx = pd.DatetimeIndex(sub[C.INTERVAL_START])
                pos = ((idx - stamps[0]).total_seconds() / 60 / prob.interval_min).to_numpy()
                ok = (pos >= 0) & (pos < T)
                ip = pos[ok].astype(int)
                volume[ip] = sub[C.VOLUME].to_numpy(dtype=float)[ok] if C.VOLUME in sub else 0.0
                required[ip] = sub[C.REQUIRED].to_numpy(dtype=float)[ok] if C.REQUIRED in sub else 0.0
        if q in prob.live:
            dem = prob.live[q]
            volume[dem.t] = dem.volume
            for k, t in enumerate(dem.t):
                n = scheduled[t]
                grid = np.arange(dem.lost.shape[1])
                lost = float(np.interp(n, grid, dem.lost[k]))
                lost_total += lost
                sl[t] = float(np.interp(n, grid, dem.service_level[k]))
        elif q in prob.deferred:
            required = prob.deferred[q].required
        frames.append(pd.DataFrame({
            C.INTERVAL_START: stamps, C.QUEUE_OR_GROUP: q, C.FORECAST_VOLUME: volume, C.REQUIRED: required,
            C.SCHEDULED: scheduled, C.SERVICE_LEVEL: sl,
        }))
    return pd.concat(frames, ignore_index=True), lost_total
