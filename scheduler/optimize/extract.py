"""From a complete plan to the roster frames (assignments, breaks, allocation, coverage) and figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.optimize.placement import Plan
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, interp_rows
from scheduler.optimize.rules import Penalty

SOFT_REPORTED = ("stable_start", "daily_target")


def extract(prob: RosterProblem, plan: Plan, personal: list[tuple[Penalty, float]]) -> dict:
    """Frames and figures of a complete plan (``personal``: the assignment's penalty terms and values)."""
    named = plan.named
    step = prob.interval_min
    midnight = [datetime.combine(d, datetime.min.time()) for d in prob.days]
    # ---- assignments and breaks ---------------------------------------------------------------------
    rows, brows = [], []
    for a in sorted(named, key=lambda a: prob.agents[a].agent_id):
        info = prob.agents[a]
        for d, s in sorted(named[a].items()):
            sh = prob.shifts[s]
            start = midnight[d] + timedelta(minutes=sh.start_min)
            rows.append({C.AGENT_ID: info.agent_id, C.TEAM: info.team, C.DATE: prob.days[d], C.SHIFT: sh.code,
                         C.SHIFT_START: start, C.SHIFT_END: midnight[d] + timedelta(minutes=sh.end_min),
                         C.PAID_H: sh.paid_min / 60.0})
            for k, o in sorted(plan.breaks.get((a, d), []), key=lambda ko: ko[1]):
                b0 = start + timedelta(minutes=o * step)
                brows.append({C.AGENT_ID: info.agent_id, C.SHIFT_START: b0,
                              C.SHIFT_END: b0 + timedelta(minutes=sh.breaks[k].length * step), C.BREAK_KIND: sh.breaks[k].kind})
    assignments = pd.DataFrame(rows, columns=list(C.ASSIGNMENT_COLUMNS))
    breaks = pd.DataFrame(brows, columns=list(C.BREAK_COLUMNS))
    # ---- allocation shares: each agent of a group splits its time as its group does ---------------------
    T = prob.horizon_intervals
    share: dict[tuple[tuple[str, ...], str], np.ndarray] = {}
    for (g, q), units in plan.alloc.items():
        cap = plan.capacity.get(g)
        if cap is None:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            share[(g, q)] = np.where(cap > 1e-9, units / np.where(cap > 1e-9, cap, 1.0), 0.0)
    a_ids, a_t, a_q, a_share = [], [], [], []
    for a, days in named.items():
        info = prob.agents[a]
        g = info.queues
        if not g:
            continue
        for d, s_idx in days.items():
            s = prob.shifts[s_idx]
            t0 = d * prob.per_day + s.start
            off = {o + j for k, o in plan.breaks.get((a, d), []) for j in range(s.breaks[k].length)}
            ts = np.array([t0 + r for r in range(s.length) if r not in off and t0 + r < T], dtype=np.int64)
            if len(ts) == 0:
                continue
            for q in g:
                sh = share.get((g, q))
                if sh is None:
                    continue
                vals = sh[ts]
                keep = vals > 1e-6
                n = int(keep.sum())
                a_ids.extend([info.agent_id] * n)
                a_t.append(ts[keep])
                a_q.extend([q] * n)
                a_share.append(np.minimum(vals[keep], 1.0))
    t_all = np.concatenate(a_t) if a_t else np.zeros(0, dtype=np.int64)
    allocation = pd.DataFrame({
        C.AGENT_ID: a_ids,
        C.INTERVAL_START: pd.Timestamp(prob.days[0]) + pd.to_timedelta(t_all * step, unit="min"),
        C.QUEUE: a_q, "share": np.concatenate(a_share) if a_share else np.zeros(0),
    })
    coverage = _coverage(prob, plan)
    # ---- money ------------------------------------------------------------------------------------------------
    terms = {k: v / OBJ_SCALE for k, v in plan.terms.items()}
    soft_rows = []
    for p, value in personal:
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
    for p, value in personal:
        if p.rule == "overtime" and p.agent is not None:
            cost[prob.agents[p.agent].team] += p.weight * value / OBJ_SCALE
    return {
        "assignments": assignments, "breaks": breaks, "allocation": allocation, "coverage": coverage,
        "paid_hours_by_team": {t: float(paid.get(t, 0.0)) for t in prob.scenario.teams},
        "cost_by_team": {t: float(cost.get(t, 0.0)) for t in prob.scenario.teams},
        "overflow_h": float(paid.get("overflow", 0.0)), "objective_terms": terms, "soft_violations": soft,
        "lost_contacts": plan.lost_contacts,
    }


def _coverage(prob: RosterProblem, plan: Plan) -> pd.DataFrame:
    T = prob.horizon_intervals
    stamps = pd.Timestamp(prob.days[0]) + pd.to_timedelta(np.arange(T) * prob.interval_min, unit="min")
    table = prob.requirements_table
    frames = []
    for q in prob.scenario.queues:
        scheduled = plan.served[q] / CAP_SCALE
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
                if C.VOLUME in sub:
                    volume[ip] = sub[C.VOLUME].to_numpy(dtype=float)[ok]
                if C.REQUIRED in sub:
                    required[ip] = sub[C.REQUIRED].to_numpy(dtype=float)[ok]
        if q in prob.live:
            dem = prob.live[q]
            volume[dem.t] = dem.volume
            sl[dem.t] = interp_rows(scheduled[dem.t], dem.service_level)
        elif q in prob.deferred:
            required = prob.deferred[q].required
        frames.append(pd.DataFrame({
            C.INTERVAL_START: stamps, C.QUEUE_OR_GROUP: q, C.FORECAST_VOLUME: volume, C.REQUIRED: required,
            C.SCHEDULED: scheduled, C.SERVICE_LEVEL: sl,
        }))
    return pd.concat(frames, ignore_index=True)
