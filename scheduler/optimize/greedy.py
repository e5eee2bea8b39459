"""A fast constructive plan of shift counts: lazy greedy on the marginal value of capacity.

Each candidate is one more agent of pool p on shift s of day d. Its gain is the value of the
effective capacity it adds (lost contacts avoided, deferred work done on time) minus its cost. The
lost-contact function is convex and decreasing in capacity, so gains only shrink as the plan fills
(diminishing returns): the lazy greedy re-evaluates only the candidate at the top of the heap. Breaks
are taken at their expected share of each interval (the staggered profile), and a multi-skilled
group's capacity goes to the queue where it is worth most. Pool-level labour limits (people available
per day, working days, hours and nights per week, rest between consecutive days, team caps) hold by
construction; weekly minimum hours are filled last with the least harmful shifts. Deferred work, first
planned as late as its deadlines allow, is then re-planned on booked capacity that is idle or worth less to
the live queues than a new capacity unit costs (:meth:`_Greedy._plan_troughs`), before prune and refill.

The result seeds the named assignment (:mod:`.assign`); :mod:`.placement` then places breaks and
allocates capacity.
"""

from __future__ import annotations

import heapq
import logging
import time
from bisect import bisect_right
from collections import defaultdict

import numpy as np

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.problem import (CAP_SCALE, OBJ_SCALE, RosterProblem, daily_service_levels, deferred_value,
                                        marginal_values)

log = logging.getLogger(__name__)

INF = float("inf")


class _Queues:
    """Served capacity per queue and interval and its marginal value (objective units per capacity unit).

    A live queue's marginal values are pieces of its convex lost-contact envelope: ``seg[q][t] = (ends,
    values)``, and ``cum[q][t][i]`` the value of the capacity below piece i (so an integral is two look-ups).
    Plain Python on tuples: the greedy works on a shift's few dozen intervals at a time, where numpy's
    per-call cost exceeds the work."""

    def __init__(self, prob: RosterProblem, weight: dict | None = None, require: bool = False):
        sc = prob.scenario
        T = prob.horizon_intervals
        w = sc.weights
        self.T = T
        self.served: dict[str, np.ndarray] = {q: np.zeros(T) for q in sc.queues}
        self.over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
        self.seg: dict[str, list] = {}
        self.cum: dict[str, list] = {}
        self.load(marginal_values(prob, weight, require))
        # deferred: a target capacity per interval (the least that meets every deadline), worth the late cost
        self.target: dict[str, np.ndarray] = {}
        self.late_value = {q: deferred_value(prob, q) for q in prob.deferred}
        for q, dem in prob.deferred.items():
            target = np.asarray(dem.required, dtype=float) * CAP_SCALE
            if target.sum() <= 0 and dem.work.sum() > 0:
                target = _smooth_target(dem.work, dem.open_mask)
            self.target[q] = np.where(dem.open_mask, target, 0.0)

    def load(self, tables: dict[str, list], cums: dict[str, list] | None = None) -> None:
        """Every live queue's pieces from ``tables`` (as :func:`marginal_values` gives them; ``cums``: their
        :func:`_cumulative`, if known)."""
        for q, table in tables.items():
            self.seg[q] = list(table)
            self.cum[q] = list(cums[q]) if cums else _cumulative(table)

    def value(self, q: str, t: int, e: float | None = None) -> float:
        """Marginal value of one more capacity unit on queue ``q`` at ``t`` (at served level ``e``, default the
        current one)."""
        e = self.served[q][t] if e is None else e
        if q in self.seg:
            entry = self.seg[q][t]
            if entry is None:
                return 0.0
            ends, values = entry
            i = bisect_right(ends, e)
            return values[i] if i < len(values) else values[-1]
        if q in self.target:
            return self.late_value[q] if e < self.target[q][t] else 0.0
        return 0.0

    def below(self, q: str, t: int, e: float) -> float:
        """Value of the capacity from 0 to served level ``e`` on queue ``q`` at ``t``."""
        e = e if e > 0.0 else 0.0
        if q in self.seg:
            entry = self.seg[q][t]
            if entry is None:
                return 0.0
            return _below(*entry, self.cum[q][t], e)
        if q in self.target:
            target = self.target[q][t]
            return self.late_value[q] * (e if e < target else target)
        return 0.0


def _below(ends: tuple, values: tuple, cum: tuple, e: float) -> float:
    """Value of the capacity from 0 to ``e`` (>= 0) on the pieces ``ends``/``values`` (``cum``: :func:`_cumulative`)."""
    if e <= 0.0:
        return 0.0
    i = bisect_right(ends, e)
    if i == len(ends):
        return cum[i]
    return cum[i] + (e - (ends[i - 1] if i else 0.0)) * values[i]


def _cumulative(table: list) -> list:
    """Per interval: the value of the capacity below each piece (one more entry: all finite pieces)."""
    out: list = [None] * len(table)
    for t, entry in enumerate(table):
        if entry is None:
            continue
        ends, values = entry
        cum, start, total = [0.0], 0.0, 0.0
        for end, value in zip(ends, values):
            total += (end - start) * value if end < INF else 0.0
            cum.append(total)
            start = end
        out[t] = tuple(cum)
    return out


def _smooth_target(work: np.ndarray, open_mask: np.ndarray) -> np.ndarray:
    """Arriving work spread evenly over the open intervals of each day (a fallback target)."""
    out = np.zeros(len(work))
    per = int(open_mask.sum()) or 1
    out[open_mask] = work.sum() / per
    return out


def greedy_counts(prob: RosterProblem, weight: dict | None = None) -> dict[tuple[int, int, int], int]:
    """Shift counts per (pool, day, shift) from the lazy greedy (pool-level rules hold).
    ``weight[(queue, day)]`` multiplies the price of lost contacts (service-goal mode)."""
    return _Greedy(prob, weight).run(troughs=True)


class _Greedy:
    def __init__(self, prob: RosterProblem, weight: dict | None = None, require: bool = False):
        self.prob = prob
        sc = prob.scenario
        T = prob.horizon_intervals
        self.T = T
        per_day = prob.per_day
        self.qs = _Queues(prob, weight, require)
        self.open_q: dict[str, np.ndarray] = {}
        for q in sc.queues:
            m = np.zeros(T, dtype=bool)
            if q in prob.live:
                m[prob.live[q].t] = True
            elif q in prob.deferred:
                m = prob.deferred[q].open_mask & (self.qs.target[q] > 0)
            self.open_q[q] = m
        self.idle_w = self.qs.over_w
        # marginal value per queue and interval (kept current), and per capacity group (max over its queues)
        self.mv = {q: self._open_values(q) for q in sc.queues}
        self.groups = {p.queues for p in prob.pools if p.queues}
        self.mvg = {g: self._group_value(g, 0, T) for g in self.groups}
        # capacity profile of each (pool, shift): expected breaks staggered over their windows
        self.profile: dict[tuple[int, int], np.ndarray] = {}
        for p in prob.pools:
            for s_idx in p.shifts:
                s = prob.shifts[s_idx]
                share = np.zeros(s.length)
                for slot in s.breaks:
                    for o in slot.offsets:
                        share[o: o + slot.length] += 1.0 / len(slot.offsets)
                mins = (s.start + np.arange(s.length)) % per_day
                self.profile[(p.index, s_idx)] = p.efficiency[mins] * (1.0 - np.clip(share, 0.0, 1.0))
        # per (pool, shift): its profile, start, cost and capacity group (the gain's inputs)
        self.cand = {(p.index, s_idx): (self.profile[(p.index, s_idx)], prob.shifts[s_idx].start,
                                        prob.shift_cost[(p.team, s_idx)], p.queues)
                     for p in prob.pools for s_idx in p.shifts}
        # limits
        self.avail = {(p.index, d): sum(1 for a in p.members if d not in prob.agents[a].unavailable
                                        and not (d in prob.agents[a].locked and prob.agents[a].locked[d] is None))
                      for p in prob.pools for d in range(prob.n_days)}
        self.week_of = {d: w.index for w in prob.weeks for d in w.days}
        self.days_cap, self.min_cap, self.max_cap, self.night_cap = {}, {}, {}, {}
        for p in prob.pools:
            for w in prob.weeks:
                lims = [week_limits(prob, prob.agents[a], w) for a in p.members]
                self.days_cap[(p.index, w.index)] = sum(min(len(lm.available), len(w.days) - lm.min_days_off) for lm in lims)
                self.min_cap[(p.index, w.index)] = sum(lm.min_paid_min for lm in lims)
                self.max_cap[(p.index, w.index)] = sum(max(0, lm.max_paid_min) for lm in lims)
                self.night_cap[(p.index, w.index)] = sum(lm.max_nights for lm in lims)
        self.longest = {p.index: max((prob.shifts[s].paid_min for s in p.shifts), default=0) for p in prob.pools}
        self.pours: dict[tuple[int, int, int], list] = {}
        self.idle: dict[tuple[str, ...], np.ndarray] = {g: np.zeros(T) for g in self.groups}   # capacity poured nowhere
        self.locked: dict[tuple[int, int, int], int] = defaultdict(int)
        self.x: dict[tuple[int, int, int], int] = defaultdict(int)
        self.day_count: dict[tuple[int, int], int] = defaultdict(int)
        self.week_days: dict[tuple[int, int], int] = defaultdict(int)
        self.week_min: dict[tuple[int, int], int] = defaultdict(int)
        self.week_nights: dict[tuple[int, int], int] = defaultdict(int)
        self.team_cap = {t: spec.max_agents for t, spec in sc.teams.items() if spec.max_agents is not None}
        self.team_on: dict[str, np.ndarray] = {t: np.zeros(T, dtype=np.int64) for t in self.team_cap}
        # rest between days, per pool: counts per day and shift (columns = the pool's shifts)
        self.col = {p.index: {s: j for j, s in enumerate(p.shifts)} for p in prob.pools}
        self.counts = {p.index: np.zeros((prob.n_days, len(p.shifts)), dtype=np.int64) for p in prob.pools}
        self.reach = {p.index: np.array([prob.shifts[s].end_min + rest_min(prob, prob.shifts[s].is_night)
                                         for s in p.shifts]) for p in prob.pools}
        self.early = {p.index: np.array([prob.shifts[s].start_min + 1440 for s in p.shifts]) for p in prob.pools}

    def _open_values(self, q: str) -> np.ndarray:
        """Marginal value of queue ``q`` at every interval (-inf where it is not open)."""
        return np.array([self.qs.value(q, t) if self.open_q[q][t] else -INF for t in range(self.T)])

    def _group_value(self, g: tuple[str, ...], a: int, b: int) -> np.ndarray:
        """Best marginal value over the group's queues at intervals a:b, at least -idle_w (capacity left idle)."""
        best = self.mv[g[0]][a:b].copy()
        for q in g[1:]:
            np.maximum(best, self.mv[q][a:b], out=best)
        return np.maximum(best, -self.idle_w, out=best)

    def gain(self, p: int, d: int, s_idx: int) -> float:
        prof, start, cost, g = self.cand[(p, s_idx)]
        t0 = d * self.prob.per_day + start
        n = min(len(prof), self.T - t0)
        if n <= 0:
            return -cost
        return float(prof[:n] @ self.mvg[g][t0:t0 + n]) - cost

    def feasible(self, p: int, d: int, s_idx: int) -> bool:
        prob = self.prob
        s = prob.shifts[s_idx]
        if self.day_count[(p, d)] + 1 > self.avail[(p, d)]:
            return False
        w = self.week_of[d]
        if self.week_days[(p, w)] + 1 > self.days_cap[(p, w)]:
            return False
        if self.week_min[(p, w)] + s.paid_min > self.max_cap[(p, w)]:
            return False
        # the week's minimum hours must stay reachable with the working days left
        left_min = self.min_cap[(p, w)] - self.week_min[(p, w)] - s.paid_min
        left_days = self.days_cap[(p, w)] - self.week_days[(p, w)] - 1
        if left_min > 0 and left_min > left_days * self.longest[p]:
            return False
        if s.is_night and self.week_nights[(p, w)] + 1 > self.night_cap[(p, w)]:
            return False
        team = prob.pools[p].team
        if team in self.team_cap:
            r = prob.shift_intervals(d, s)
            if len(r) and self.team_on[team][r.start:r.stop].max() + 1 > self.team_cap[team]:
                return False
        return self._rest_ok(p, d, s_idx)

    def _rest_ok(self, p: int, d: int, s_idx: int) -> bool:
        """Agents ending late on one day and starting early on the next are different people."""
        members = len(self.prob.pools[p].members)
        c = self.counts[p]
        j = self.col[p][s_idx]
        reach, early = self.reach[p], self.early[p]
        if d + 1 < self.prob.n_days:               # s as the late shift of (d, d+1)
            r = reach[j]
            late = c[d][reach >= r].sum() + 1
            ahead = c[d + 1][early < r].sum()
            if ahead and late + ahead > members:
                return False
        if d > 0:                                   # s as the early shift of (d-1, d)
            mask = early[j] < reach                 # thresholds of yesterday's shifts that forbid s
            for r in np.unique(reach[mask & (c[d - 1] > 0)]):
                late = c[d - 1][reach >= r].sum()
                ahead = c[d][early < r].sum() + 1
                if late + ahead > members:
                    return False
        return True

    def add(self, p: int, d: int, s_idx: int) -> None:
        """Book one more agent of pool p on shift s of day d and pour its capacity into its queues."""
        prob = self.prob
        qs = self.qs
        self.x[(p, d, s_idx)] += 1
        s = prob.shifts[s_idx]
        w = self.week_of[d]
        self.day_count[(p, d)] += 1
        self.week_days[(p, w)] += 1
        self.week_min[(p, w)] += s.paid_min
        self.week_nights[(p, w)] += int(s.is_night)
        self.counts[p][d][self.col[p][s_idx]] += 1
        team = prob.pools[p].team
        r = prob.shift_intervals(d, s)
        if team in self.team_on:
            self.team_on[team][r.start:r.stop] += 1
        prof = self.profile[(p, s_idx)]
        qset = prob.pools[p].queues
        t0 = d * prob.per_day + s.start
        touched = set()
        record = []
        n = max(0, min(len(prof), self.T - t0))
        self._pour(qset, np.arange(t0, t0 + n), prof[:n], record, touched)
        self.pours.setdefault((p, d, s_idx), []).append(record)
        self._refresh(touched, r)

    def _pour(self, qset: tuple[str, ...], times: np.ndarray, amounts: np.ndarray, record: list, touched: set) -> None:
        """Capacity ``amounts[k]`` of group ``qset`` at interval ``times[k]`` (ascending) to its queues, where it
        is worth most (the rest idle); appends ``(t, queue or None, units)`` to ``record``. (A plain loop on
        lists: numpy's per-call cost exceeds the work at a shift's few dozen intervals.)"""
        if not len(times):
            return
        qs = self.qs
        lo, hi = int(times[0]), int(times[-1]) + 1
        mv = [self.mv[q][lo:hi].tolist() for q in qset]
        served = [qs.served[q][lo:hi].tolist() for q in qset]
        seg = [qs.seg.get(q) for q in qset]
        target = [qs.target[q][lo:hi].tolist() if q in qs.target else None for q in qset]
        late = [qs.late_value.get(q, 0.0) for q in qset]
        idle = self.idle[qset]
        used = [False] * len(qset)
        nq = range(len(qset))
        for t, amount in zip(times.tolist(), amounts.tolist()):
            k = t - lo
            while amount > 1e-9:
                best, j = 0.0, -1
                for i in nq:
                    val = mv[i][k]
                    if val > best:
                        best, j = val, i
                if j < 0:
                    idle[t] += amount
                    record.append((t, None, amount))
                    break
                e = served[j][k]
                if seg[j] is not None:                    # live: pieces of the lost-contact envelope
                    ends, values = seg[j][t]
                    i = bisect_right(ends, e)
                    room = ends[i] - e if i < len(ends) else INF
                elif target[j] is not None:               # deferred: worth the late price below its plan
                    room = target[j][k] - e if e < target[j][k] else INF
                else:
                    room = INF
                step = room if room < amount else amount
                if step <= 1e-9:
                    step = amount
                e += step
                served[j][k] = e
                amount -= step
                if seg[j] is not None:
                    i = bisect_right(ends, e)
                    mv[j][k] = values[i] if i < len(values) else values[-1]
                elif target[j] is not None:
                    mv[j][k] = late[j] if e < target[j][k] else 0.0
                else:
                    mv[j][k] = 0.0
                used[j] = True
                record.append((t, qset[j], step))
        for i, q in enumerate(qset):
            if used[i]:
                self.mv[q][lo:hi] = mv[i]
                qs.served[q][lo:hi] = served[i]
                touched.add(q)

    def _refresh(self, touched: set, r: range) -> None:
        if r.stop > r.start:
            for g in self.groups:
                if touched & set(g):
                    self.mvg[g][r.start:r.stop] = self._group_value(g, r.start, r.stop)

    def removal_loss(self, key: tuple[int, int, int]) -> float:
        """Value lost if the last agent booked on ``key`` left (its capacity poured back out)."""
        qs = self.qs
        loss = 0.0
        for t, q, amount in self.pours[key][-1]:
            if q is None or amount <= 0.0:
                continue
            e = float(qs.served[q][t])
            if q in qs.seg:                       # (inline of qs.below: the prune's hot loop)
                entry = qs.seg[q][t]
                if entry is not None:
                    ends, values = entry
                    cum = qs.cum[q][t]
                    loss += _below(ends, values, cum, e) - _below(ends, values, cum, e - amount)
            else:
                loss += qs.below(q, t, e) - qs.below(q, t, e - amount)
        return loss

    def remove(self, key: tuple[int, int, int]) -> None:
        prob = self.prob
        p, d, s_idx = key
        s = prob.shifts[s_idx]
        w = self.week_of[d]
        self.x[key] -= 1
        self.day_count[(p, d)] -= 1
        self.week_days[(p, w)] -= 1
        self.week_min[(p, w)] -= s.paid_min
        self.week_nights[(p, w)] -= int(s.is_night)
        self.counts[p][d][self.col[p][s_idx]] -= 1
        r = prob.shift_intervals(d, s)
        team = prob.pools[p].team
        if team in self.team_on:
            self.team_on[team][r.start:r.stop] -= 1
        touched = set()
        for t, q, amount in self.pours[key].pop():
            if q is None:
                self.idle[prob.pools[p].queues][t] -= amount
                continue
            self.qs.served[q][t] -= amount
            self.mv[q][t] = self.qs.value(q, t)
            touched.add(q)
        self._refresh(touched, r)

    def run(self, improve_rounds: int = 3, troughs: bool = False) -> dict[tuple[int, int, int], int]:
        """The counts. ``troughs``: after the first fill, re-plan deferred work on booked capacity worth least
        (:meth:`_plan_troughs`); else it stays planned as late as its deadlines allow."""
        prob = self.prob
        for a in prob.agents:                          # locked shifts first
            for d, s_idx in a.locked.items():
                if s_idx is not None and s_idx in a.shifts:
                    self.add(a.pool, d, s_idx)
                    self.locked[(a.pool, d, s_idx)] += 1
        self._fill()
        self._fill_minimum_hours()
        if troughs and prob.deferred:
            self._plan_troughs()
        for _ in range(improve_rounds):
            if not self._prune():
                break
            self._fill()
            self._fill_minimum_hours()
        log.info("greedy: %d shifts", sum(self.x.values()))
        return {k: n for k, n in self.x.items() if n > 0}

    def _plan_troughs(self) -> None:
        """Re-plan deferred work on the capacity already booked, where it costs least.

        Work may be done anywhere between its arrival and its deadline. The fill plans it as late as the
        deadlines allow and values capacity there at the late price, so it books capacity at those intervals
        though the plan has capacity elsewhere in the window that is worth less than a new capacity unit
        costs: idle capacity, and live capacity whose marginal value (lost contacts avoided) is below
        ``rho_q``, the cheapest cost of one capacity unit of a pool serving the queue (a shift's cost per
        capacity unit, expected breaks off). Moving work there is cheaper than buying capacity for it. So,
        queue by queue (shortest deadline first), the work is done earliest deadline first on that capacity
        (idle first), and only what it cannot do by a deadline stays planned as late as allowed. The capacity
        used is handed over to the deferred queue (the live queue keeps its capacity worth more than ``rho_q``),
        the plan becomes the queue's target (worth the late price below it), and the prune-and-refill rounds
        drop the shifts that were booked for the old plan only."""
        prob = self.prob
        T = self.T
        alap = {q: np.where(dem.open_mask, np.asarray(dem.required, dtype=float) * CAP_SCALE, 0.0)
                for q, dem in prob.deferred.items()}
        # capacity per group, queue and interval as poured
        # (Python lists in these loops: numpy's per-element access costs more than the arithmetic)
        gsrv: dict[tuple, list] = defaultdict(lambda: [0.0] * T)
        for (p, _, _), records in self.pours.items():
            g = prob.pools[p].queues
            for record in records:
                for t, q, amount in record:
                    if q is not None:
                        gsrv[(g, q)][t] += amount
        idle = {g: v.tolist() for g, v in self.idle.items()}
        cost_unit = {}
        for pool in prob.pools:
            for s_idx in pool.shifts:
                units = float(self.profile[(pool.index, s_idx)].sum())
                if units > 0:
                    c = prob.shift_cost[(pool.team, s_idx)] / units
                    cost_unit[pool.queues] = min(cost_unit.get(pool.queues, np.inf), c)
        taken = {q: [0.0] * T for q in prob.live}
        take: dict[tuple, list] = {}
        order = sorted(prob.deferred, key=lambda q: (prob.scenario.queues[q].sla.resolve_within_h or 0.0, q))
        for q in order:
            dem = prob.deferred[q]
            groups = sorted(g for g in self.groups if q in g)          # (a set: its order varies by process)
            rho = min((cost_unit.get(g, np.inf) for g in groups), default=np.inf)
            due = np.cumsum(alap[q]).tolist()
            done = [0.0] * T
            work, open_mask = dem.work.tolist(), dem.open_mask.tolist()
            backlog = total = 0.0
            for t in range(T):
                backlog += float(work[t])
                if not open_mask[t]:
                    total += done[t]
                    continue
                for g in groups:
                    if backlog <= 1e-9:
                        break
                    amount = min(backlog, idle[g][t])
                    if amount > 1e-9:
                        idle[g][t] -= amount
                        done[t] += amount
                        backlog -= amount
                        take.setdefault((g, t), []).append([None, q, amount])
                    for q2 in g:
                        if q2 not in prob.live or backlog <= 1e-9 or gsrv[(g, q2)][t] <= 1e-9:
                            continue
                        low = self._below(q2, t, rho) - taken[q2][t]
                        amount = min(backlog, low, gsrv[(g, q2)][t])
                        if amount > 1e-9:
                            gsrv[(g, q2)][t] -= amount
                            taken[q2][t] += amount
                            done[t] += amount
                            backlog -= amount
                            take.setdefault((g, t), []).append([q2, q, amount])
                if total + done[t] < due[t] - 1e-9:           # what that capacity cannot do: as late as allowed
                    short = min(backlog, due[t] - total - done[t])
                    done[t] += short
                    backlog -= short
                total += done[t]
            self.qs.target[q] = np.array(done)
        # hand the capacity over: pour records of the source (None: idle) become the deferred queue's
        for (p, _, _), records in self.pours.items():
            g = prob.pools[p].queues
            for record in records:
                for i in range(len(record)):
                    t, src, amount = record[i]
                    wants = take.get((g, t))
                    if not wants:
                        continue
                    for want in wants:
                        if want[0] != src or want[2] <= 1e-9 or amount <= 1e-9:
                            continue
                        step = min(amount, want[2])
                        if src is None:
                            self.idle[g][t] -= step
                        else:
                            self.qs.served[src][t] -= step
                        self.qs.served[want[1]][t] += step
                        record.append((t, want[1], step))
                        amount -= step
                        want[2] -= step
                    record[i] = (t, src, amount)
        self._refresh_all()
        # deferred capacity beyond the new plan (booked for the old one) goes back to the live queues (or idle)
        excess = {q: np.maximum(self.qs.served[q] - self.qs.target[q], 0.0).tolist() for q in prob.deferred}
        for (p, _, _), records in self.pours.items():
            g = prob.pools[p].queues
            for record in records:
                back: dict[int, float] = defaultdict(float)         # interval -> units to pour again
                freed: dict[str, list] = defaultdict(list)
                for i in range(len(record)):
                    t, q, amount = record[i]
                    if q not in excess or excess[q][t] <= 1e-9:
                        continue
                    step = min(amount, excess[q][t])
                    excess[q][t] -= step
                    self.qs.served[q][t] -= step
                    record[i] = (t, q, amount - step)
                    back[t] += step
                    freed[q].append(t)
                if not back:
                    continue
                for q, ts in freed.items():
                    for t in ts:
                        self.mv[q][t] = self.qs.value(q, t) if self.open_q[q][t] else -INF
                ts = np.array(sorted(back))
                self._pour(g, ts, np.array([back[t] for t in ts.tolist()]), record, set())
        self._refresh_all()

    def _refresh_all(self) -> None:
        for q in self.prob.scenario.queues:
            if q in self.prob.deferred:
                self.open_q[q] = self.prob.deferred[q].open_mask & (self.qs.target[q] > 0)
            self.mv[q] = self._open_values(q)
        self.mvg = {g: self._group_value(g, 0, self.T) for g in self.groups}

    def _below(self, q: str, t: int, price: float) -> float:
        """Capacity units of live queue ``q`` at ``t`` whose marginal value is below ``price``."""
        entry = self.qs.seg[q][t]
        if entry is None:
            return 0.0
        ends, values = entry
        start = 0.0
        for end, value in zip(ends, values):
            if value < price:
                return max(0.0, self.qs.served[q][t] - start)
            start = end
        return 0.0

    def _prune(self) -> int:
        """Drop every booked shift whose capacity is now worth less than it costs (later bookings made it
        redundant), keeping locks and weekly minimum hours. Returns how many were dropped."""
        prob = self.prob
        dropped = 0
        keys = sorted((k for k, n in self.x.items() if n > self.locked[k]),
                      key=lambda k: self.removal_loss(k) - prob.shift_cost[(prob.pools[k[0]].team, k[2])])
        for key in keys:
            p, d, s_idx = key
            cost = prob.shift_cost[(prob.pools[p].team, s_idx)]
            w = self.week_of[d]
            while self.x[key] > self.locked[key]:
                if self.week_min[(p, w)] - prob.shifts[s_idx].paid_min < self.min_cap[(p, w)]:
                    break
                if self.removal_loss(key) >= cost - 1e-6:
                    break
                self.remove(key)
                dropped += 1
        return dropped

    def _fill(self) -> None:
        # selection by net gain (value of the capacity minus cost); measured against value per cost (the
        # classic covering greedy): better on the 11.11 scenario (docs/model.md)
        self._lazy_fill(self.gain, 0.0)

    def _lazy_fill(self, key, floor: float, after_add=None, done=None) -> None:
        """Book candidates (pool, day, shift) by ``key``, largest first, while it is above ``floor``: keys only
        shrink as the plan fills, so only the top of the heap is re-evaluated. ``after_add(p, d, s)`` runs after
        each booking; ``done()`` ends the filling early."""
        prob = self.prob
        heap = [(-k, p.index, d, s_idx) for p in prob.pools if p.queues for d in range(prob.n_days)
                for s_idx in p.shifts if (k := key(p.index, d, s_idx)) > floor]
        heapq.heapify(heap)
        while heap and not (done and done()):
            _, p, d, s_idx = heapq.heappop(heap)
            k = key(p, d, s_idx)
            if k <= floor:
                continue
            if heap and k < -heap[0][0] - 1e-12:
                heapq.heappush(heap, (-k, p, d, s_idx))
                continue
            if not self.feasible(p, d, s_idx):
                continue
            self.add(p, d, s_idx)
            if after_add:
                after_add(p, d, s_idx)
            heapq.heappush(heap, (-key(p, d, s_idx), p, d, s_idx))

    def _fill_minimum_hours(self) -> None:
        """Weekly minimum hours: add the least harmful shifts (lazy greedy within each pool-week)."""
        prob = self.prob
        for p in prob.pools:
            for w in prob.weeks:
                key = (p.index, w.index)
                if self.week_min[key] >= self.min_cap[key]:
                    continue
                heap = [(-self.gain(p.index, d, s_idx), d, s_idx) for d in w.days for s_idx in p.shifts]
                heapq.heapify(heap)
                while heap and self.week_min[key] < self.min_cap[key]:
                    _, d, s_idx = heapq.heappop(heap)
                    g = self.gain(p.index, d, s_idx)
                    if heap and g < -heap[0][0] - 1e-9:
                        heapq.heappush(heap, (-g, d, s_idx))
                        continue
                    if not self.feasible(p.index, d, s_idx):
                        continue
                    self.add(p.index, d, s_idx)
                    heapq.heappush(heap, (-self.gain(p.index, d, s_idx), d, s_idx))


SERVICE_GOAL_MARGIN = 0.025     # plan each day's service level this much above its target (breaks, assignment, rounding)
SERVICE_GOAL_PASSES = 3         # remove-and-repair passes at most (each 10-20 s on 11.11)
SERVICE_GOAL_PRICE = 1000.0     # money per contact answered late on a day still short of its target (phase 2)


class _GoalGreedy(_Greedy):
    """The greedy for the service-goal mode (daily service-level targets per live queue and day).

    1. the per-interval plan: the plain greedy with every interval's requirement (which meets the daily
       targets wherever the agents allow, mostly well above them);
    2. *cover*: while some queue-day is planned below target + :data:`SERVICE_GOAL_MARGIN`, contacts
       answered in time on such days are worth :data:`SERVICE_GOAL_PRICE` and the candidate with the most
       value per cost is booked (the covering greedy: gains only shrink, so the lazy heap holds); a day
       that reaches its target goes back to the scenario's price;
    3. *trim*: booked shifts are dropped, least value per cost first (contacts answered in time priced at
       :data:`SERVICE_GOAL_PRICE`), while every day keeps its target (a day short of it keeps what it has)
       and weekly minimum hours hold. This is where intervals are traded: the surplus of the per-interval
       plan's quiet and shoulder intervals goes, the day's average stays.
    The daily service level is the volume-weighted SL of the day's intervals at the planned capacity, from
    the queue's SL curve — the quantity the target is set on.
    Starting the trade from the per-interval plan matters: covering from an empty plan books agent-days of
    multi-skilled pools for the cheapest queue first and runs out of them for the others (11.11: voice
    after-sales at 0.1–0.4 against its 0.8 target)."""

    def __init__(self, prob: RosterProblem):
        super().__init__(prob, None, require=True)
        self.keys = [(q, int(d)) for q, dem in prob.live.items()
                     for d in np.unique(dem.t // prob.per_day) if dem.target(int(d)) is not None]
        self.k_of: dict[str, np.ndarray] = {}
        for q, dem in prob.live.items():
            kk = np.full(self.T, -1, dtype=np.int64)
            kk[dem.t] = np.arange(len(dem.t))
            self.k_of[q] = kk
        self.need: dict[tuple[str, int], float] = {}
        for q, d in self.keys:
            dem = prob.live[q]
            m = dem.t // prob.per_day == d
            self.need[(q, d)] = (dem.target(d) + SERVICE_GOAL_MARGIN) * float(dem.volume[m].sum())
        base = max(prob.scenario.weights.lost_contact, 1e-9)
        self.base_seg = marginal_values(prob, None)
        self.goal_seg = marginal_values(prob, {k: SERVICE_GOAL_PRICE / base for k in self.keys})
        self.base_cum = {q: _cumulative(table) for q, table in self.base_seg.items()}
        self.goal_cum = {q: _cumulative(table) for q, table in self.goal_seg.items()}

    def _answered(self, q: str, t: int, e: float) -> float:
        dem = self.prob.live[q]
        k = self.k_of[q][t]
        sl = dem.service_level[k]
        return float(dem.volume[k] * np.interp(e / CAP_SCALE, np.arange(len(sl)), sl))

    def answered(self) -> dict[tuple[str, int], float]:
        out = {k: 0.0 for k in self.keys}
        for q, d in self.keys:
            dem = self.prob.live[q]
            for k in np.flatnonzero(dem.t // self.prob.per_day == d):
                t = int(dem.t[k])
                out[(q, d)] += self._answered(q, t, self.qs.served[q][t])
        return out

    def _set_all(self) -> None:
        for q in self.prob.live:
            self.mv[q] = self._open_values(q)
        self.mvg = {g: self._group_value(g, 0, self.T) for g in self.groups}

    def _set_day(self, key: tuple[str, int], goal: bool) -> None:
        q, d = key
        src, cum = (self.goal_seg[q], self.goal_cum[q]) if goal else (self.base_seg[q], self.base_cum[q])
        a, b = d * self.prob.per_day, min(self.T, (d + 1) * self.prob.per_day)
        self.qs.seg[q][a:b] = src[a:b]
        self.qs.cum[q][a:b] = cum[a:b]
        for t in range(a, b):
            if self.open_q[q][t]:
                self.mv[q][t] = self.qs.value(q, t)
        self._refresh({q}, range(a, b))

    def _delta(self, record, sign: int) -> dict:
        """Answered contacts per queue-day gained (sign +1, capacity just added) or lost (−1, about to be
        removed) by a booking's pour record."""
        out: dict = defaultdict(float)
        per_day = self.prob.per_day
        for t, q, amount in record:
            if q not in self.k_of or self.k_of[q][t] < 0:
                continue
            key = (q, t // per_day)
            if key not in self.need:
                continue
            e = self.qs.served[q][t]
            before, after = (e - amount, e) if sign > 0 else (e, e - amount)
            out[key] += self._answered(q, t, after) - self._answered(q, t, before)
        return out

    def run_goal(self, time_budget_s: float | None = None) -> dict[tuple[int, int, int], int]:
        """The counts; ``time_budget_s`` (None: every pass, as in deterministic mode) stops the
        remove-and-repair passes once spent."""
        t0 = time.perf_counter()
        self.run()                            # the per-interval requirement's plan
        self.qs.load(self.base_seg, self.base_cum)
        self._set_all()
        got = self.answered()
        self._cover(got)
        self._trim(got)
        saved = 0.0
        for _ in range(SERVICE_GOAL_PASSES):
            step = self._reshape(got)
            saved += step
            self._cover(got)                  # agent-days the trade freed may now reach days still short
            self._trim(got)
            if step <= 0 or (time_budget_s is not None and time.perf_counter() - t0 > time_budget_s):
                break
        met = {k for k in self.keys if got[k] >= self.need[k] - 1e-9}
        log.info("service goal greedy: %d shifts, %d of %d queue-days below target; remove-and-repair saved %.0f",
                 sum(self.x.values()), len(self.keys) - len(met), len(self.keys), saved / OBJ_SCALE)
        return {k: n for k, n in self.x.items() if n > 0}

    def _cover(self, got: dict) -> None:
        """Book shifts for the days below target + margin, most value per cost first, while any is."""
        prob = self.prob
        short = {k for k in self.keys if got[k] < self.need[k] - 1e-9}
        if not short:
            return
        for k in short:
            self._set_day(k, True)

        def ratio(p: int, d: int, s_idx: int) -> float:
            cost = prob.shift_cost[(prob.pools[p].team, s_idx)]
            return (self.gain(p, d, s_idx) + cost) / max(cost, 1e-9)

        def booked(p: int, d: int, s_idx: int) -> None:
            for key, v in self._delta(self.pours[(p, d, s_idx)][-1], +1).items():
                got[key] += v
                if key in short and got[key] >= self.need[key] - 1e-9:
                    short.discard(key)
                    self._set_day(key, False)

        self._lazy_fill(ratio, 1.0, after_add=booked, done=lambda: not short)
        for k in short:
            self._set_day(k, False)

    def _worth(self, k: tuple[int, int, int]) -> float:
        """Value per cost of the last booking on ``k``: contacts answered in time on target days at
        :data:`SERVICE_GOAL_PRICE`, plus its value at the scenario's prices (trim and repair order)."""
        lost = -sum(self._delta(self.pours[k][-1], -1).values())
        cost = self.prob.shift_cost[(self.prob.pools[k[0]].team, k[2])]
        return (lost * SERVICE_GOAL_PRICE * OBJ_SCALE + self.removal_loss(k)) / max(cost, 1e-9)

    def _trim(self, got: dict) -> None:
        """Drop bookings, least value per cost first, while every day keeps its target (a day short of it
        keeps what it has)."""
        prob = self.prob
        order = sorted((k for k, n in self.x.items() if n > self.locked[k]), key=self._worth)
        for key in order:
            p, d, s_idx = key
            w = self.week_of[d]
            while self.x[key] > self.locked[key]:
                if self.week_min[(p, w)] - prob.shifts[s_idx].paid_min < self.min_cap[(p, w)]:
                    break
                loss = self._delta(self.pours[key][-1], -1)
                if any(got[k] + v < self.need[k] - 1e-9 for k, v in loss.items() if v < -1e-9):
                    break                     # a day would fall below its target (or further below it)
                if self.removal_loss(key) >= prob.shift_cost[(prob.pools[p].team, s_idx)]:
                    break                     # worth its cost at the scenario's prices
                self.remove(key)
                for k, v in loss.items():
                    got[k] += v


    def _reshape(self, got: dict, max_adds: int = 3) -> float:
        """Remove and repair, one pass over the booked shifts (least value per cost first): drop one; if a day
        falls below its target, book the cheapest repair for the days short (value per cost at the short
        days' high price, at most ``max_adds`` shifts); keep the change only if the repair costs less than
        the shift dropped saves. This is the trade between intervals the trim alone cannot make (a long
        shift replaced by a shorter or cheaper one where the day's level allows). Returns the money saved
        (objective units)."""
        prob = self.prob
        saved = 0.0

        def cost_of(k):
            return prob.shift_cost[(prob.pools[k[0]].team, k[2])]

        for key in sorted((k for k, n in self.x.items() if n > self.locked[k]), key=self._worth):
            p, d, s_idx = key
            w = self.week_of[d]
            if self.x[key] <= self.locked[key] or \
                    self.week_min[(p, w)] - prob.shifts[s_idx].paid_min < self.min_cap[(p, w)]:
                continue
            budget = cost_of(key) - self.removal_loss(key)       # what dropping it saves at the scenario's prices
            loss = self._delta(self.pours[key][-1], -1)
            if budget <= 0 or any(got[k] < self.need[k] - 1e-9 for k, v in loss.items() if v < -1e-9):
                continue                                          # (a day already short keeps what it has)
            self.remove(key)
            for k, v in loss.items():
                got[k] += v
            short = {k for k, v in loss.items() if got[k] < self.need[k] - 1e-9}
            for k in short:
                self._set_day(k, True)
            added, spent = [], 0.0
            while short and len(added) < max_adds:
                best, best_r = None, 1.0
                for q, dd in sorted(short):          # a fixed order: ties go the same way on every run
                    for pool in prob.pools:
                        if q not in pool.queues:
                            continue
                        for day in (dd - 1, dd):
                            for s2 in (pool.shifts if day >= 0 else ()):
                                cand = (pool.index, day, s2)
                                c = cost_of(cand)
                                if cand == key or spent + c >= budget:
                                    continue
                                r = (self.gain(*cand) + c) / max(c, 1e-9)
                                if r > best_r and self.feasible(*cand):
                                    best, best_r = cand, r
                if best is None:
                    break
                self.add(*best)
                added.append(best)
                spent += cost_of(best)
                for k, v in self._delta(self.pours[best][-1], +1).items():
                    got[k] += v
                for k in [k for k in short if got[k] >= self.need[k] - 1e-9]:
                    short.discard(k)
                    self._set_day(k, False)
            for k in short:
                self._set_day(k, False)
            if not short:
                saved += budget - spent
                continue
            for a in reversed(added):                            # undo
                for k, v in self._delta(self.pours[a][-1], -1).items():
                    got[k] += v
                self.remove(a)
            self.add(p, d, s_idx)
            for k, v in self._delta(self.pours[key][-1], +1).items():
                got[k] += v
        return saved


SERVICE_GOAL_ALLOCATION_PRICE = 20.0   # money per contact answered late on a target day, at least, when capacity is split


def service_goal_counts(prob: RosterProblem, time_budget_s: float | None = None) -> tuple[dict, dict]:
    """Service-goal mode: shift counts that meet each live queue's daily service-level target (see
    :class:`_GoalGreedy`), and the ``weight`` the later stages split capacity with: contacts of the
    target days are worth at least :data:`SERVICE_GOAL_ALLOCATION_PRICE` (the plan's capacity goes to
    the targets before work the scenario prices higher)."""
    base = max(prob.scenario.weights.lost_contact, 1e-9)
    g = _GoalGreedy(prob)
    counts = g.run_goal(time_budget_s)
    return counts, {k: max(1.0, SERVICE_GOAL_ALLOCATION_PRICE / base) for k in g.keys}
