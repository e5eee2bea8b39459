"""Improving a named roster with the exact allocation's prices: drop shifts worth less than they cost,
move shifts to the start time where their capacity is worth most.

The shift counts come from a greedy that values capacity with its own estimates (lost contacts at its
planned service level, deferred work at a price per interval of its plan); the exact allocation LP
(:func:`.placement.allocate_lp`) knows better what each capacity unit of a group is worth at each
interval — its dual. A shift whose capacity (breaks placed) is worth less than the shift costs is a
candidate to drop: dropping only removes work, so every hard rule but the weekly minimum hours keeps
holding (minimum hours, locks and leave are checked here; the independent validator checks the result).
A shift may also move to another start of the same template, paid length and night status where its
capacity (breaks at the cheapest offsets) is worth more, keeping rest between days and team caps.
Duals are marginal, so each round changes at most ``OVERLAP`` shifts touching the same group-interval,
then re-evaluates exactly (allocation LP, personal terms re-scored); rounds stop when the cost no
longer falls. On 11.11 (docs/model.md): 1.118 M -> 1.092 M in two rounds of ~10 s.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.placement import Breaks, Named, Plan
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem

log = logging.getLogger(__name__)

OVERLAP = 2          # at most this many shifts dropped per round over any group-interval (duals are marginal)


def shift_capacity(prob: RosterProblem, a: int, d: int, s_idx: int, breaks: Breaks) -> tuple[int, np.ndarray]:
    """First interval and capacity units per interval of agent ``a``'s shift on day ``d`` (breaks off)."""
    per_day, T = prob.per_day, prob.horizon_intervals
    eff = prob.pools[prob.agents[a].pool].efficiency
    s = prob.shifts[s_idx]
    t0 = d * per_day + s.start
    on = np.ones(s.length)
    for k, o in breaks.get((a, d), []):
        on[o: o + s.breaks[k].length] = 0.0
    n = max(0, min(s.length, T - t0))
    return t0, on[:n] * eff[(s.start + np.arange(n)) % per_day]


def drop_candidates(prob: RosterProblem, plan: Plan, overlap: int = OVERLAP,
                    used: dict | None = None) -> list[tuple[int, int]]:
    """Agent-days whose shift is worth less than it costs at the plan's capacity values, most harmful
    first, keeping each agent's weekly minimum hours, locks, and at most ``overlap`` changes per
    group-interval (``used`` counts them, shared with :func:`move_candidates`)."""
    value = plan.capacity_value
    if value is None:
        return []
    T = prob.horizon_intervals
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    scored = []
    for a, days in plan.named.items():
        info = prob.agents[a]
        for d, s_idx in days.items():
            if d in info.locked:
                continue
            t0, cap = shift_capacity(prob, a, d, s_idx, plan.breaks)
            worth = float(cap @ value[info.queues][t0: t0 + len(cap)]) if len(cap) else 0.0
            net = worth - prob.shift_cost[(info.team, s_idx)]
            if net < 0:
                scored.append((net, a, d, s_idx))
    scored.sort()
    paid: dict[tuple[int, int], int] = defaultdict(int)
    for a, days in plan.named.items():
        for d, s_idx in days.items():
            paid[(a, week_of[d])] += prob.shifts[s_idx].paid_min
    minimum = {}
    used = used if used is not None else defaultdict(lambda: np.zeros(T))
    out = []
    for _, a, d, s_idx in scored:
        w = week_of[d]
        info = prob.agents[a]
        if (a, w) not in minimum:
            minimum[(a, w)] = week_limits(prob, info, prob.weeks[w]).min_paid_min
        if paid[(a, w)] - prob.shifts[s_idx].paid_min < minimum[(a, w)]:
            continue
        t0, cap = shift_capacity(prob, a, d, s_idx, plan.breaks)
        span = used[info.queues][t0: t0 + len(cap)]
        if len(span) and span.max() >= overlap:
            continue
        span += 1.0
        paid[(a, w)] -= prob.shifts[s_idx].paid_min
        out.append((a, d))
    return out


def best_breaks(prob: RosterProblem, s_idx: int, t0: int, value: np.ndarray) -> list[tuple[int, int]]:
    """Each break of shift ``s_idx`` (starting at interval ``t0``) at the offset where capacity is worth least."""
    out = []
    T = prob.horizon_intervals
    for k, slot in enumerate(prob.shifts[s_idx].breaks):
        best, best_o = None, slot.offsets[0]
        for o in slot.offsets:
            r0, r1 = t0 + o, min(t0 + o + slot.length, T)
            v = float(value[r0:r1].sum()) if r1 > r0 else 0.0
            if best is None or v < best - 1e-12:
                best, best_o = v, o
        out.append((k, best_o))
    return out


def move_candidates(prob: RosterProblem, plan: Plan, dropped: set, used: dict, overlap: int = OVERLAP
                    ) -> list[tuple[int, int, int, list]]:
    """Agent-days whose shift is worth more at another start time of the same paid length and night status:
    ``(agent, day, new shift, its breaks)``, best gain first, with the rest between days, locks and team
    caps kept, and at most ``overlap`` changes per group-interval (old and new intervals)."""
    value = plan.capacity_value
    if value is None:
        return []
    per_day = prob.per_day
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    alternatives: dict[int, list[int]] = {}
    for s in prob.shifts:
        alternatives[s.index] = [o.index for o in prob.shifts if o.index != s.index and o.paid_min == s.paid_min
                                 and o.is_night == s.is_night and o.template == s.template]
    caps = {t: spec.max_agents for t, spec in prob.scenario.teams.items() if spec.max_agents is not None}
    team_on: dict[str, np.ndarray] = {t: np.zeros(prob.horizon_intervals) for t in caps}
    for a, days in plan.named.items():
        team = prob.agents[a].team
        if team in team_on:
            for d, s_idx in days.items():
                r = prob.shift_intervals(d, prob.shifts[s_idx])
                team_on[team][r.start:r.stop] += 1
    scored = []
    for a, days in plan.named.items():
        info = prob.agents[a]
        g = info.queues
        for d, s_idx in days.items():
            if d in info.locked or (a, d) in dropped:
                continue
            t0, cap = shift_capacity(prob, a, d, s_idx, plan.breaks)
            here = float(cap @ value[g][t0: t0 + len(cap)]) - prob.shift_cost[(info.team, s_idx)]
            prev_s, next_s = days.get(d - 1), days.get(d + 1)
            if d == 0 and info.prev_end_min is not None:
                prev_end, prev_night = info.prev_end_min, info.prev_night      # minutes from day 0's midnight
            elif prev_s is not None:
                prev_end, prev_night = prob.shifts[prev_s].end_min - 1440, prob.shifts[prev_s].is_night
            else:
                prev_end, prev_night = None, False
            best = None
            for n_idx in alternatives[s_idx]:
                if n_idx not in info.shifts:
                    continue
                sh = prob.shifts[n_idx]
                if prev_end is not None and sh.start_min - prev_end < rest[prev_night]:
                    continue
                if next_s is not None and 1440 + prob.shifts[next_s].start_min - sh.end_min < rest[sh.is_night]:
                    continue
                n0 = d * per_day + sh.start
                brk = best_breaks(prob, n_idx, n0, value[g])
                n0, ncap = shift_capacity(prob, a, d, n_idx, {(a, d): brk})
                gain = float(ncap @ value[g][n0: n0 + len(ncap)]) - prob.shift_cost[(info.team, n_idx)] - here
                if gain > 1e-6 and (best is None or gain > best[0]):
                    best = (gain, n_idx, brk)
            if best is not None:
                scored.append((-best[0], a, d, best[1], best[2]))
    scored.sort(key=lambda c: c[:3])
    out = []
    moving: set[tuple[int, int]] = set()
    for _, a, d, n_idx, brk in scored:
        if (a, d - 1) in moving or (a, d + 1) in moving:      # rest was checked against the neighbours' old shifts
            continue
        info = prob.agents[a]
        old = prob.shift_intervals(d, prob.shifts[plan.named[a][d]])
        new = prob.shift_intervals(d, prob.shifts[n_idx])
        u = used[info.queues]
        if (len(old) and u[old.start:old.stop].max() >= overlap) or (len(new) and u[new.start:new.stop].max() >= overlap):
            continue
        if info.team in team_on:
            on = team_on[info.team]
            on[old.start:old.stop] -= 1
            if len(new) and on[new.start:new.stop].max() + 1 > caps[info.team]:
                on[old.start:old.stop] += 1
                continue
            on[new.start:new.stop] += 1
        u[old.start:old.stop] += 1
        u[new.start:new.stop] += 1
        moving.add((a, d))
        out.append((a, d, n_idx, brk))
    return out


def prune(prob: RosterProblem, plan: Plan, personal: list, evaluate_named: Callable, *, rounds: int,
          deadline: float | None = None, round_s: float = 0.0, say: Callable[[str], None] = lambda m: None,
          move: bool = True) -> tuple[Plan, list, int, int]:
    """Rounds of :func:`drop_candidates` and (with ``move``) :func:`move_candidates` on the exactly
    evaluated ``plan``; ``evaluate_named(named, breaks)`` returns ``(plan, personal)`` or None (a hard
    personal rule broken). Keeps the cheapest; stops after ``rounds``, when a round does not lower the
    cost, or when the next round would end after ``deadline`` (a ``time.perf_counter()`` value;
    ``round_s``: the expected time of a round before one has run). Returns (plan, personal, shifts
    dropped, shifts moved)."""
    dropped = moved = 0
    last_round_s = round_s
    for r in range(rounds):
        if deadline is not None and time.perf_counter() + last_round_s > deadline:
            break
        t = time.perf_counter()
        used: dict = defaultdict(lambda: np.zeros(prob.horizon_intervals))
        drops = drop_candidates(prob, plan, used=used)
        moves = move_candidates(prob, plan, set(drops), used) if move else []
        if not drops and not moves:
            break
        named: Named = {a: dict(days) for a, days in plan.named.items()}
        breaks = dict(plan.breaks)
        for a, d in drops:
            del named[a][d]
            del breaks[(a, d)]
        for a, d, n_idx, brk in moves:
            named[a][d] = n_idx
            breaks[(a, d)] = brk
        named = {a: days for a, days in named.items() if days}
        out = evaluate_named(named, breaks)
        last_round_s = time.perf_counter() - t
        if out is None or out[0].objective >= plan.objective:
            log.info("improve round %d: %d dropped, %d moved, no better (%.1f s)", r + 1, len(drops), len(moves),
                     last_round_s)
            break
        plan, personal = out
        dropped += len(drops)
        moved += len(moves)
        say(f"roster: {len(drops)} shifts worth less than their cost dropped, {len(moves)} moved, "
            f"cost {plan.objective / OBJ_SCALE:,.0f}")
        log.info("improve round %d: %d dropped, %d moved, cost %.0f (%.1f s)", r + 1, len(drops), len(moves),
                 plan.objective, last_round_s)
    return plan, personal, dropped, moved
