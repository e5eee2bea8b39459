"""A fast constructive plan of shift counts: lazy greedy on the marginal value of capacity.

Each candidate is one more agent of pool p on shift s of day d. Its gain is the value of the
effective capacity it adds (lost contacts avoided, deferred work done on time) minus its cost. The
lost-contact function is convex and decreasing in capacity, so gains only shrink as the plan fills
(diminishing returns): the lazy greedy re-evaluates only the candidate at the top of the heap. Breaks
are taken at their expected share of each interval (the staggered profile), and a multi-skilled
group's capacity goes to the queue where it is worth most. Pool-level labour limits (people available
per day, working days, hours and nights per week, rest between consecutive days, team caps) hold by
construction; weekly minimum hours are filled last with the least harmful shifts.

The result seeds the named assignment (:mod:`.assign`); :mod:`.placement` then places breaks and
allocates capacity.
"""

from __future__ import annotations

import heapq
import logging
from bisect import bisect_right
from collections import defaultdict

import numpy as np

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, deferred_value, marginal_values

log = logging.getLogger(__name__)


class _Queues:
    """Served capacity per queue and interval and its marginal value (objective units per capacity unit)."""

    def __init__(self, prob: RosterProblem, weight: dict | None = None):
        sc = prob.scenario
        T = prob.horizon_intervals
        w = sc.weights
        self.T = T
        self.served: dict[str, np.ndarray] = {q: np.zeros(T) for q in sc.queues}
        self.over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
        self.seg: dict[str, list] = marginal_values(prob, weight)
        # deferred: a target capacity per interval (the least that meets every deadline), worth the late cost
        self.target: dict[str, np.ndarray] = {}
        self.late_value = {q: deferred_value(prob, q) for q in prob.deferred}
        for q, dem in prob.deferred.items():
            target = np.asarray(dem.required, dtype=float) * CAP_SCALE
            if target.sum() <= 0 and dem.work.sum() > 0:
                target = _smooth_target(dem.work, dem.open_mask)
            self.target[q] = np.where(dem.open_mask, target, 0.0)

    def value(self, q: str, t: int) -> float:
        """Marginal value of one more capacity unit on queue ``q`` at ``t`` (and how far it holds)."""
        if q in self.seg:
            entry = self.seg[q][t]
            if entry is None:
                return 0.0
            ends, values = entry
            i = bisect_right(ends, self.served[q][t])
            return values[min(i, len(values) - 1)]
        if q in self.target:
            return self.late_value[q] if self.served[q][t] < self.target[q][t] else 0.0
        return 0.0

    def integral(self, q: str, t: int, lo: float, hi: float) -> float:
        """Value of the capacity between served levels ``lo`` and ``hi`` on queue q at t."""
        if hi <= lo:
            return 0.0
        if q in self.seg:
            entry = self.seg[q][t]
            if entry is None:
                return 0.0
            ends, values = entry
            total, start = 0.0, 0.0
            for end, value in zip(ends, values):
                a, b = max(lo, start), min(hi, end)
                if b > a:
                    total += (b - a) * value
                if end >= hi:
                    break
                start = end
            return total
        if q in self.target:
            return self.late_value[q] * max(0.0, min(hi, self.target[q][t]) - lo)
        return 0.0

    def room(self, q: str, t: int) -> float:
        """Capacity units before the marginal value of ``q`` at ``t`` changes."""
        e = self.served[q][t]
        if q in self.seg:
            entry = self.seg[q][t]
            if entry is None:
                return float("inf")
            ends, _ = entry
            i = bisect_right(ends, e)
            return ends[i] - e if i < len(ends) else float("inf")
        if q in self.target:
            return self.target[q][t] - e if e < self.target[q][t] else float("inf")
        return float("inf")


def _smooth_target(work: np.ndarray, open_mask: np.ndarray) -> np.ndarray:
    """Arriving work spread evenly over the open intervals of each day (a fallback target)."""
    out = np.zeros(len(work))
    per = int(open_mask.sum()) or 1
    out[open_mask] = work.sum() / per
    return out


def greedy_counts(prob: RosterProblem, weight: dict | None = None) -> dict[tuple[int, int, int], int]:
    """Shift counts per (pool, day, shift) from the lazy greedy (pool-level rules hold).
    ``weight[(queue, day)]`` multiplies the price of lost contacts (service-goal mode)."""
    return _Greedy(prob, weight).run()


class _Greedy:
    def __init__(self, prob: RosterProblem, weight: dict | None = None):
        self.prob = prob
        sc = prob.scenario
        T = prob.horizon_intervals
        self.T = T
        per_day = prob.per_day
        self.qs = _Queues(prob, weight)
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
        self.mv = {q: np.array([self.qs.value(q, t) if self.open_q[q][t] else -np.inf for t in range(T)])
                   for q in sc.queues}
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

    def _group_value(self, g: tuple[str, ...], a: int, b: int) -> np.ndarray:
        vals = np.stack([self.mv[q][a:b] for q in g])
        best = vals.max(axis=0)
        return np.where(np.isfinite(best), np.maximum(best, -self.idle_w), -self.idle_w)

    def gain(self, p: int, d: int, s_idx: int) -> float:
        prob = self.prob
        s = prob.shifts[s_idx]
        prof = self.profile[(p, s_idx)]
        t0 = d * prob.per_day + s.start
        n = min(len(prof), self.T - t0)
        if n <= 0:
            return -prob.shift_cost[(prob.pools[p].team, s_idx)]
        return float(prof[:n] @ self.mvg[prob.pools[p].queues][t0:t0 + n]) - prob.shift_cost[(prob.pools[p].team, s_idx)]

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
        for k in range(min(len(prof), self.T - t0)):
            t = t0 + k
            amount = float(prof[k])
            while amount > 1e-9:
                best, best_q = 0.0, None
                for q in qset:
                    val = self.mv[q][t]
                    if val > best:
                        best, best_q = val, q
                if best_q is None:
                    break
                step = min(amount, qs.room(best_q, t))
                if step <= 1e-9:
                    step = amount
                qs.served[best_q][t] += step
                amount -= step
                self.mv[best_q][t] = qs.value(best_q, t)
                touched.add(best_q)
                record.append((t, best_q, step))
        self.pours.setdefault((p, d, s_idx), []).append(record)
        self._refresh(touched, r)

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
            loss += qs.integral(q, t, qs.served[q][t] - amount, qs.served[q][t])
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
            self.qs.served[q][t] -= amount
            self.mv[q][t] = self.qs.value(q, t)
            touched.add(q)
        self._refresh(touched, r)

    def run(self, improve_rounds: int = 3) -> dict[tuple[int, int, int], int]:
        prob = self.prob
        for a in prob.agents:                          # locked shifts first
            for d, s_idx in a.locked.items():
                if s_idx is not None and s_idx in a.shifts:
                    self.add(a.pool, d, s_idx)
                    self.locked[(a.pool, d, s_idx)] += 1
        self._fill()
        self._fill_minimum_hours()
        for _ in range(improve_rounds):
            if not self._prune():
                break
            self._fill()
            self._fill_minimum_hours()
        log.info("greedy: %d shifts", sum(self.x.values()))
        return {k: n for k, n in self.x.items() if n > 0}

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
        prob = self.prob

        def key(p: int, d: int, s_idx: int) -> float:
            """Selection order: the net gain (value of the capacity minus cost). Measured against value per
            cost (the classic covering greedy): better on the 11.11 scenario (docs/model.md)."""
            return self.gain(p, d, s_idx)

        heap = []
        for p in prob.pools:
            if not p.queues:
                continue
            for d in range(prob.n_days):
                for s_idx in p.shifts:
                    k = key(p.index, d, s_idx)
                    if k > 0:
                        heap.append((-k, p.index, d, s_idx))
        heapq.heapify(heap)
        while heap:
            _, p, d, s_idx = heapq.heappop(heap)
            k = key(p, d, s_idx)
            if k <= 0:
                continue
            if heap and k < -heap[0][0] - 1e-12:
                heapq.heappush(heap, (-k, p, d, s_idx))
                continue
            if not self.feasible(p, d, s_idx):
                continue
            self.add(p, d, s_idx)
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


def daily_service_levels(prob: RosterProblem, served: dict[str, np.ndarray]) -> dict[tuple[str, int], float]:
    """Volume-weighted expected service level per live queue and day, from the curves themselves."""
    out = {}
    for q, dem in prob.live.items():
        grid = np.arange(dem.service_level.shape[1])
        days = dem.t // prob.per_day
        e = served[q][dem.t] / CAP_SCALE
        sl = np.array([np.interp(e[k], grid, dem.service_level[k]) for k in range(len(dem.t))])
        for d in np.unique(days):
            m = days == d
            vol = dem.volume[m].sum()
            if vol > 0:
                out[(q, int(d))] = float((sl[m] * dem.volume[m]).sum() / vol)
    return out


SERVICE_GOAL_MARGIN = 0.01      # plan each day's service level this much above its target (breaks, rounding)
SERVICE_GOAL_PRICE = 20.0       # money per lost contact a short day is priced at once its requirement is back in full


def service_goal_counts(prob: RosterProblem, rounds: int = 12) -> tuple[dict, dict]:
    """Service-goal mode: start from the per-interval requirements (which meet every daily target) and
    relax them day by day where the day's planned service level stays above its target — the
    requirement's weight halves on such a queue-day each round, and doubles back (with a higher
    lost-contact price) where the day falls short. The cheapest plan meeting every target is kept (else
    the one with the smallest total shortfall)."""
    sc = prob.scenario
    keys = [(q, d) for q, dem in prob.live.items() if dem.daily_target is not None
            for d in np.unique(dem.t // prob.per_day).tolist()]
    weight: dict = {k: 1.0 for k in keys}
    weight.update({("req", q, d): 1.0 for q, d in keys})
    best = None
    for _ in range(rounds):
        g = _Greedy(prob, weight)
        counts = g.run()
        achieved = daily_service_levels(prob, g.qs.served)
        short = {k: prob.live[k[0]].daily_target + SERVICE_GOAL_MARGIN - achieved.get(k, 1.0) for k in keys}
        total_short = sum(max(0.0, v) for v in short.values())
        cost = sum(n * prob.shift_cost[(prob.pools[p].team, s)] for (p, d, s), n in counts.items())
        score = (total_short > 1e-9, total_short if total_short > 1e-9 else cost)
        if best is None or score < best[0]:
            best = (score, counts, dict(weight))
        for (q, d), gap in short.items():
            if gap > 0:
                weight[("req", q, d)] = min(1.0, 2.0 * weight[("req", q, d)] + 0.05)
                weight[(q, d)] = max(weight[(q, d)] * 2.0, SERVICE_GOAL_PRICE / max(sc.weights.lost_contact, 1e-9)
                                     if weight[("req", q, d)] >= 1.0 else 1.0)
            elif gap < -0.01:
                weight[("req", q, d)] *= 0.5
    return best[1], best[2]
