"""Improving a named roster with the exact allocation's prices: drop shifts worth less than they cost,
move shifts to the start time where their capacity is worth most.

The shift counts come from a greedy that values capacity with its own estimates (lost contacts at its
planned service level, deferred work at a price per interval of its plan); the exact allocation LP
(:func:`.placement.allocate_lp`) knows better what each capacity unit of a group is worth at each
interval — its dual. A shift whose capacity (breaks placed) is worth less than the shift costs is a
candidate to drop: dropping only removes work, so every hard rule but the weekly minimum hours keeps
holding (minimum hours, locks and leave are checked here; the independent validator checks the result).
A shift may also move to another start of the same template, paid length and night status where its
capacity (breaks at the cheapest offsets) is worth more, keeping rest between days and team caps, and a
shift is added where a free agent's capacity would be worth more than it costs, under every hard
personal rule. In service-goal mode drops are booked against each day's slack above its target
(:class:`TargetSlack`).
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
from scheduler.optimize.placement import TARGET_LP_MARGIN, Breaks, Named, Plan
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, daily_service_levels

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


class TargetSlack:
    """Service-goal mode: how many contacts answered in time each queue-day may lose and still keep its
    daily target (+ :data:`TARGET_LP_MARGIN`), and what dropping a shift costs each queue-day.

    A day above its target has a slack target row, so the allocation's duals price its capacity at the
    (low) lost-contact price alone and every shift there looks worth less than it costs; dropping them
    all would sink the day far below its target. Drops are therefore booked against the day's slack.
    What a dropped shift's capacity took from a live queue: its group's share for that queue plus the
    group's share for deferred work (that work still has to be done, so the live queues give up its
    capacity), taken off the level left by the drops booked so far, on the SL curve itself (its secant,
    not the slope)."""

    def __init__(self, prob: RosterProblem, plan: Plan):
        self.prob, self.plan = prob, plan
        self.left: dict[tuple[str, int], float] = {}
        self.k_of: dict[str, np.ndarray] = {}
        self.served = {q: plan.served[q].copy() for q in prob.live}
        for (q, d), sl in daily_service_levels(prob, plan.served).items():
            dem = prob.live[q]
            target = dem.target(d)
            if target is not None:
                vol = float(dem.volume[dem.t // prob.per_day == d].sum())
                self.left[(q, d)] = (sl - target - TARGET_LP_MARGIN) * vol
        for q, dem in prob.live.items():
            kk = np.full(prob.horizon_intervals, -1, dtype=np.int64)
            kk[dem.t] = np.arange(len(dem.t))
            self.k_of[q] = kk

    def drop(self, group: tuple[str, ...], t0: int, cap: np.ndarray) -> bool:
        """Book the loss of capacity ``cap`` (units per interval from ``t0``) of ``group`` if every
        queue-day it touches keeps its target; False (nothing booked) otherwise."""
        prob, plan = self.prob, self.plan
        total = plan.capacity.get(group)
        if total is None:
            return True
        deferred = [q for q in group if q in prob.deferred]
        loss: dict[tuple[str, int], float] = defaultdict(float)
        taken: list[tuple[str, int, float]] = []
        for q in group:
            dem = prob.live.get(q)
            if dem is None:
                continue
            grid = np.arange(dem.service_level.shape[1])
            for i, units in enumerate(cap):
                t = t0 + i
                k = self.k_of[q][t]
                if units <= 0 or k < 0 or total[t] <= 1e-9 or dem.target(t // prob.per_day) is None:
                    continue
                share = plan.alloc[(group, q)][t] + sum(plan.alloc[(group, f)][t] for f in deferred)
                mine = min(units * share / total[t], self.served[q][t])
                if mine <= 0:
                    continue
                e = self.served[q][t] / CAP_SCALE
                sl = dem.service_level[k]
                lost = float(dem.volume[k]) * (np.interp(e, grid, sl) - np.interp(e - mine / CAP_SCALE, grid, sl))
                loss[(q, t // prob.per_day)] += lost
                taken.append((q, t, mine))
        if any(v > 0 and self.left.get(key, np.inf) < v for key, v in loss.items()):
            return False
        for key, v in loss.items():
            if key in self.left:
                self.left[key] -= v
        for q, t, mine in taken:
            self.served[q][t] -= mine
        return True


def drop_candidates(prob: RosterProblem, plan: Plan, overlap: int = OVERLAP,
                    used: dict | None = None, slack: TargetSlack | None = None) -> list[tuple[int, int]]:
    """Agent-days whose shift is worth less than it costs at the plan's capacity values, most harmful
    first, keeping each agent's weekly minimum hours, locks, and at most ``overlap`` changes per
    group-interval (``used`` counts them, shared with :func:`move_candidates`); with daily targets
    (``slack``), only while each queue-day keeps its target."""
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
        if slack is not None and not slack.drop(info.queues, t0, cap):
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


def _team_load(prob: RosterProblem, named: Named) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Teams with a cap on agents at once (``max_agents``) and their agents on shift per interval."""
    caps = {t: spec.max_agents for t, spec in prob.scenario.teams.items() if spec.max_agents is not None}
    team_on: dict[str, np.ndarray] = {t: np.zeros(prob.horizon_intervals) for t in caps}
    for a, days in named.items():
        team = prob.agents[a].team
        if team in team_on:
            for d, s_idx in days.items():
                r = prob.shift_intervals(d, prob.shifts[s_idx])
                team_on[team][r.start:r.stop] += 1
    return caps, team_on


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
    caps, team_on = _team_load(prob, plan.named)
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


def _legal_addition(prob: RosterProblem, a: int, days: dict[int, int], d: int, s_idx: int, rest: dict,
                    week_of: dict[int, int]) -> bool:
    """Agent ``a``, working ``days`` (day -> shift), may also work shift ``s_idx`` on day ``d`` under every
    hard personal rule (soft-made ones too): leave, locks, rest to both neighbours (incl. the previous
    period's last shift), consecutive days, the week's days off (two together where asked), maximum
    paid minutes and nights."""
    info = prob.agents[a]
    if d in days or d in info.unavailable or d in info.locked or s_idx not in info.shifts:
        return False
    sh = prob.shifts[s_idx]
    if d - 1 in days:
        p = prob.shifts[days[d - 1]]
        if sh.start_min - (p.end_min - 1440) < rest[p.is_night]:
            return False
    elif d == 0 and info.prev_end_min is not None and sh.start_min - info.prev_end_min < rest[info.prev_night]:
        return False
    if d + 1 in days and 1440 + prob.shifts[days[d + 1]].start_min - sh.end_min < rest[sh.is_night]:
        return False
    before = 0
    while d - before - 1 >= 0 and d - before - 1 in days:
        before += 1
    if before == d:
        before += info.prev_run_days
    after = 0
    while d + after + 1 in days:
        after += 1
    if before + 1 + after > prob.scenario.rules.max_consecutive_days:
        return False
    w = prob.weeks[week_of[d]]
    lim = week_limits(prob, info, w)
    worked = [e for e in w.days if e in days] + [d]
    if len(worked) > len(lim.days) - lim.min_days_off:
        return False
    if sum(prob.shifts[days.get(e, s_idx)].paid_min for e in worked) > lim.max_paid_min:
        return False
    if sh.is_night and sum(prob.shifts[days.get(e, s_idx)].is_night for e in worked) > lim.max_nights:
        return False
    if lim.two_days_off and not any(e not in worked and f not in worked for e, f in zip(w.days, w.days[1:])):
        return False
    return True


def add_candidates(prob: RosterProblem, plan: Plan, named: Named, used: dict, touched: set,
                   overlap: int = OVERLAP) -> list[tuple[int, int, int, list]]:
    """Shifts worth more than they cost at the plan's capacity values, on days an agent of the right pool is
    free: ``(agent, day, shift, its breaks)``, best gain first. ``named`` is the roster after this round's
    drops and moves (the rules are checked against it, see :func:`_legal_addition`); agents with a change
    in ``touched`` on the day or its neighbours are left alone; team caps (``max_agents`` at once) kept and
    at most ``overlap`` changes per group-interval. In service-goal mode the values carry the daily
    targets' prices, so this books shifts on days short of their target."""
    value = plan.capacity_value
    if value is None:
        return []
    per_day, T = prob.per_day, prob.horizon_intervals
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    scored = []
    for pool in prob.pools:
        v = value.get(pool.queues)
        if v is None or not pool.members:
            continue
        # an upper bound first (no breaks: capacity values are >= 0), exact worth only where it may pay
        eff = np.tile(pool.efficiency, prob.n_days + 1)[:T]
        csum = np.concatenate([[0.0], np.cumsum(eff * v)])
        rep = pool.members[0]
        for s_idx in pool.shifts:
            sh = prob.shifts[s_idx]
            cost = prob.shift_cost[(pool.team, s_idx)]
            for d in range(prob.n_days):
                t0 = d * per_day + sh.start
                t1 = min(T, t0 + sh.length)
                if t0 >= T or csum[t1] - csum[t0] <= cost:
                    continue
                brk = best_breaks(prob, s_idx, t0, v)
                n0, cap = shift_capacity(prob, rep, d, s_idx, {(rep, d): brk})
                gain = float(cap @ v[n0: n0 + len(cap)]) - cost
                if gain > 1e-6:
                    scored.append((-gain, pool.index, d, s_idx, brk))
    if not scored:
        return []
    scored.sort(key=lambda c: c[:4])
    caps, team_on = _team_load(prob, named)
    out = []
    for _, p, d, s_idx, brk in scored:
        pool = prob.pools[p]
        new = prob.shift_intervals(d, prob.shifts[s_idx])
        u = used[pool.queues]
        if len(new) and u[new.start:new.stop].max() >= overlap:
            continue
        if pool.team in team_on and len(new) and team_on[pool.team][new.start:new.stop].max() + 1 > caps[pool.team]:
            continue
        # the member with the fewest paid minutes that week (spreads the extra work) who may legally work it
        w = prob.weeks[week_of[d]]
        members = sorted(pool.members, key=lambda a: (sum(prob.shifts[s].paid_min for e, s in named.get(a, {}).items()
                                                          if e in w.days), a))
        for a in members:
            if any((a, e) in touched for e in (d - 1, d, d + 1)):
                continue
            if _legal_addition(prob, a, named.get(a, {}), d, s_idx, rest, week_of):
                named.setdefault(a, {})[d] = s_idx
                touched.add((a, d))
                u[new.start:new.stop] += 1
                if pool.team in team_on:
                    team_on[pool.team][new.start:new.stop] += 1
                out.append((a, d, s_idx, brk))
                break
    return out


def prune(prob: RosterProblem, plan: Plan, personal: list, evaluate_named: Callable, *, rounds: int,
          deadline: float | None = None, round_s: float = 0.0, say: Callable[[str], None] = lambda m: None,
          move: bool = True, add: bool = True) -> tuple[Plan, list, int, int, int]:
    """Rounds of :func:`drop_candidates`, (with ``move``) :func:`move_candidates` and (with ``add``)
    :func:`add_candidates` on the exactly evaluated ``plan``; ``evaluate_named(named, breaks)`` returns
    ``(plan, personal)`` or None (a hard personal rule broken). Keeps the cheapest. A round that does not
    lower the cost is retried with half the step (``OVERLAP`` // 2 changes per group-interval), and at
    the smallest step each kind of change alone (drops, moves, additions) before giving up; stops after
    ``rounds`` evaluations, when nothing lowers the cost, or when the next round would end after
    ``deadline`` (a ``time.perf_counter()`` value; ``round_s``: the expected time of a round before one
    has run). Returns (plan, personal, shifts dropped, shifts moved, shifts added)."""
    dropped = moved = added = 0
    last_round_s = round_s
    overlap = OVERLAP
    every = ("drop",) + (("move",) if move else ()) + (("add",) if add else ())
    tries = [every]                 # the kinds of change of the next round; alone once the step is 1
    for r in range(rounds):
        if not tries or (deadline is not None and time.perf_counter() + last_round_s > deadline):
            break
        kinds = tries.pop(0)
        t = time.perf_counter()
        used: dict = defaultdict(lambda: np.zeros(prob.horizon_intervals))
        drops = []
        if "drop" in kinds:
            slack = TargetSlack(prob, plan) if prob.service_goal else None
            drops = drop_candidates(prob, plan, overlap, used=used, slack=slack)
        moves = move_candidates(prob, plan, set(drops), used, overlap) if "move" in kinds else []
        named: Named = {a: dict(days) for a, days in plan.named.items()}
        breaks = dict(plan.breaks)
        for a, d in drops:
            del named[a][d]
            del breaks[(a, d)]
        for a, d, n_idx, brk in moves:
            named[a][d] = n_idx
            breaks[(a, d)] = brk
        touched = set(drops) | {(a, d) for a, d, _, _ in moves}
        adds = add_candidates(prob, plan, named, used, touched, overlap) if "add" in kinds else []
        for a, d, _, brk in adds:
            breaks[(a, d)] = brk
        if not drops and not moves and not adds:
            continue
        named = {a: days for a, days in named.items() if days}
        out = evaluate_named(named, breaks)
        last_round_s = time.perf_counter() - t
        if out is None or out[0].objective >= plan.objective:
            log.info("improve round %d (%s): %d dropped, %d moved, %d added, no better (%.1f s, step %d)", r + 1,
                     "+".join(kinds), len(drops), len(moves), len(adds), last_round_s, overlap)
            if kinds == every and overlap > 1:
                overlap //= 2
                tries = [every]
            elif kinds == every and len(every) > 1:
                tries = [(k,) for k in every]
            continue
        plan, personal = out
        dropped += len(drops)
        moved += len(moves)
        added += len(adds)
        tries = [every]
        say(f"roster: {len(drops)} shifts worth less than their cost dropped, {len(moves)} moved, {len(adds)} added, "
            f"cost {plan.objective / OBJ_SCALE:,.0f}")
        log.info("improve round %d (%s): %d dropped, %d moved, %d added, cost %.0f (%.1f s)", r + 1, "+".join(kinds),
                 len(drops), len(moves), len(adds), plan.objective, last_round_s)
    return plan, personal, dropped, moved, added
