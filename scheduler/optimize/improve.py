"""Improving a named roster with the exact allocation's prices: drop shifts worth less than they cost,
move shifts to the start time where their capacity is worth most.

The shift counts come from a greedy that values capacity with its own estimates (lost contacts at its
planned service level, deferred work at a price per interval of its plan); the exact allocation LP
(:func:`.placement.allocate_lp`) knows better what each capacity unit of a group is worth at each
interval — its dual. A shift whose capacity (breaks placed) is worth less than the shift costs is a
candidate to drop: dropping only removes work, so every hard rule but the weekly minimum hours keeps
holding (minimum hours, locks and leave are checked here; the independent validator checks the result).
A shift may also become another shift type of the same night status the agent may work (another start, or
another length within the week's paid-minute limits) where its capacity (breaks at the cheapest offsets) is
worth more, keeping rest between days and team caps (:func:`move_candidates`), and a
shift is added where a free agent's capacity would be worth more than it costs, under every hard
personal rule. In service-goal mode drops are booked against each day's slack above its target
(:class:`TargetSlack`).
A shift may also move to a day off of the same week where it is worth more (:func:`transfer_candidates`), and
an agent's week may put its shifts on other days (:func:`repattern_candidates`, once the single changes rest).
Duals are marginal, so each round changes at most ``OVERLAP`` shifts touching the same queue-interval
(and, after a rejected round, fewer: see :func:`prune`), then re-evaluates exactly (the allocation LP kept
and re-solved warm, personal terms re-scored); rounds stop when the cost no longer falls. On 11.11
(docs/model.md): rounds of 1–3 s, 1.112 M -> ~1.03 M in 40 rounds.

Speed: a round prices ~10^5 (agent, day, shift) options; what the kinds of a round share is computed once a
round (:class:`_Worth`: the best breaks of all of a pool's shifts at once, a placed shift's worth, week limits,
each pool's options as arrays over its shifts), a move or transfer scores all of an agent's options at once in
numpy, queue-intervals' room is a prefix sum, and the collector's full passes skip the long-lived objects
(:func:`prune` freezes them). On the 11.11 run at 120 s (2026-12-07): 157 → 238 rounds in the ~72 s the rounds
get, 1,008,981 → 1,008,660. The candidates are the same as before, so deterministic rosters (rounds by count) are
unchanged.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection

import numpy as np

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.placement import TARGET_LP_MARGIN, Breaks, Named, Plan
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, daily_service_levels

log = logging.getLogger(__name__)

OVERLAP = 2          # at most this many shifts dropped per round over any queue-interval (duals are marginal)


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
    What a dropped shift's capacity took, interval by interval: the group's allocation there is re-split,
    so the loss falls on the queue of the group whose day has the most slack left (in points of its
    volume), up to what the group gave that queue there (less the drops booked so far) plus the group's
    share for deferred work (that work still has to be done, so a live queue gives up its capacity), then
    on the next queue; capacity the group left idle costs nothing. Each queue's loss is taken off the level
    left by the drops booked so far, on the SL curve itself (its secant, not the slope). Charging each live
    queue its proportional share instead kept a multi-skilled agent held for voice at its target from
    giving up the chat it over-served (11.11 equal daily SL: chat 97.8 % against ~90.6 % targets)."""

    def __init__(self, prob: RosterProblem, plan: Plan):
        self.prob, self.plan = prob, plan
        self.left: dict[tuple[str, int], float] = {}
        self.volume: dict[tuple[str, int], float] = {}
        self.k_of: dict[str, np.ndarray] = {}
        self.served = {q: plan.served[q].copy() for q in prob.live}
        self.taken: dict[tuple[tuple[str, ...], str], np.ndarray] = {}    # (group, queue) -> units booked away
        for (q, d), sl in daily_service_levels(prob, plan.served).items():
            dem = prob.live[q]
            target = dem.target(d)
            if target is not None:
                vol = float(dem.volume[dem.t // prob.per_day == d].sum())
                self.left[(q, d)] = (sl - target - TARGET_LP_MARGIN) * vol
                self.volume[(q, d)] = vol
        for q, dem in prob.live.items():
            kk = np.full(prob.horizon_intervals, -1, dtype=np.int64)
            kk[dem.t] = np.arange(len(dem.t))
            self.k_of[q] = kk

    def _room(self, group: tuple[str, ...], q: str, t: int) -> float:
        """Units of ``group`` still allocated to ``q`` at ``t`` (its allocation less the drops booked)."""
        got = self.taken.get((group, q))
        return float(self.plan.alloc[(group, q)][t]) - (float(got[t]) if got is not None else 0.0)

    def _slack(self, q: str, d: int) -> float:
        """Points of its volume queue ``q`` may still lose on day ``d`` (infinite: no target that day)."""
        return self.left[(q, d)] / max(self.volume[(q, d)], 1e-9) if (q, d) in self.left else np.inf

    def drop(self, group: tuple[str, ...], t0: int, cap: np.ndarray) -> bool:
        """Book the loss of capacity ``cap`` (units per interval from ``t0``) of ``group`` if every
        queue-day it touches keeps its target; False (nothing booked) otherwise."""
        prob, plan = self.prob, self.plan
        total = plan.capacity.get(group)
        if total is None:
            return True
        per_day = prob.per_day
        deferred = [q for q in group if q in prob.deferred]
        live = [q for q in group if q in prob.live]
        loss: dict[tuple[str, int], float] = defaultdict(float)
        taken: list[tuple[str, int, float]] = []          # (queue, t, units) off the live queues' service
        away: list[tuple[tuple[str, ...], str, int, float]] = []    # (group, queue, t, units) off an allocation
        for i, units in enumerate(cap):
            t = t0 + i
            if units <= 0 or total[t] <= 1e-9:
                continue
            d = t // per_day
            spare = {f: max(0.0, self._room(group, f, t)) for f in deferred}
            # the queue of the most slack first (a queue-day without a target: none to keep)
            order = sorted((q for q in live if self.k_of[q][t] >= 0), key=lambda q: (-self._slack(q, d), q))
            rest = float(units)
            for q in order:
                if rest <= 1e-9:
                    break
                own = min(rest, max(0.0, self._room(group, q, t)))
                lend = 0.0                                  # deferred work's share, done instead with q's capacity
                for f in deferred:
                    part = min(rest - own - lend, spare[f])
                    if part > 0:
                        spare[f] -= part
                        lend += part
                        away.append((group, f, t, part))
                rest -= own + lend
                if own > 0:
                    away.append((group, q, t, own))
                # another group serving q and a queue with more slack gives q that much more of its capacity
                for c, amount in self._pass_on(group, q, t, d, min(own + lend, self.served[q][t]), away):
                    if amount <= 0 or (c, d) not in self.left:
                        continue
                    loss[(c, d)] += self._lost(c, t, amount)
                    taken.append((c, t, amount))
                    self.served[c][t] -= amount         # (undone below if the drop is refused)
        ok = not any(v > 0 and self.left.get(key, np.inf) < v for key, v in loss.items())
        if not ok:
            for q, t, amount in taken:
                self.served[q][t] += amount
            return False
        for key, v in loss.items():
            if key in self.left:
                self.left[key] -= v
        for g, q, t, units in away:
            self.taken.setdefault((g, q), np.zeros(prob.horizon_intervals))[t] += units
        return True

    def _pass_on(self, group: tuple[str, ...], q: str, t: int, d: int, amount: float, away: list) -> list:
        """Where ``amount`` units of queue ``q``'s service at ``t`` are lost: other groups that serve ``q`` and
        give a queue with more slack some of their capacity there re-split it towards ``q`` (booked in ``away``),
        so that queue loses the service instead; ``q`` loses the rest. Returns ``[(queue, units)]``."""
        out = []
        here = self._slack(q, d)
        if np.isfinite(here):
            moves = sorted(((self._slack(c, d), c, h) for h in self.plan.capacity if h != group and q in h
                            for c in h if c != q and c in self.prob.live and self.k_of[c][t] >= 0),
                           key=lambda m: (-m[0], m[1], m[2]))
            for slack, c, h in moves:
                if amount <= 1e-9 or slack <= here:
                    break
                mv = min(amount, max(0.0, self._room(h, c, t)), self.served[c][t])
                if mv <= 0:
                    continue
                away.append((h, c, t, mv))
                away.append((h, q, t, -mv))
                out.append((c, mv))
                amount -= mv
        out.append((q, amount))
        return out

    def _lost(self, q: str, t: int, amount: float) -> float:
        """Contacts answered in time that queue ``q`` loses at ``t`` with ``amount`` units less service (from
        the level the drops booked so far leave, on the SL curve)."""
        dem = self.prob.live[q]
        k = self.k_of[q][t]
        grid = np.arange(dem.service_level.shape[1])
        e = self.served[q][t] / CAP_SCALE
        sl = dem.service_level[k]
        return float(dem.volume[k]) * (np.interp(e, grid, sl) - np.interp(e - amount / CAP_SCALE, grid, sl))


class Changes:
    """Changes booked in a round, per queue and interval: a change to a group's capacity counts for every
    queue of the group (groups share queues, so a limit per group would let many groups pile onto one
    queue-interval, where the duals no longer hold)."""

    def __init__(self, prob: RosterProblem):
        self.T = prob.horizon_intervals
        self.n: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(prob.horizon_intervals))
        # per queue and overlap: prefix sums of the intervals with that many changes (a span's room in O(1);
        # a round asks ~10^4 times and books ~10^2 times)
        self._full: dict[str, dict[int, list[int]]] = defaultdict(dict)

    def room(self, group: tuple[str, ...], overlap: int, *spans: slice | range) -> bool:
        """Fewer than ``overlap`` changes so far at each of the spans' intervals (from interval 0 on), for
        every queue of the group."""
        for q in group:
            full = self._full[q].get(overlap)
            if full is None:
                full = self._full[q][overlap] = np.concatenate([[0], np.cumsum(self.n[q] >= overlap)]).tolist()
            for sp in spans:
                lo, hi = sp.start, min(sp.stop, self.T)
                if hi > lo and full[hi] != full[lo]:
                    return False
        return True

    def book(self, group: tuple[str, ...], *spans: slice | range) -> None:
        for q in group:
            self._full.pop(q, None)
            for sp in spans:
                self.n[q][sp.start:sp.stop] += 1


def drop_candidates(prob: RosterProblem, plan: Plan, overlap: int = OVERLAP,
                    used: "Changes | None" = None, slack: TargetSlack | None = None,
                    skip: Collection[tuple] = frozenset()) -> list[tuple[int, int]]:
    """Agent-days whose shift is worth less than it costs at the plan's capacity values, most harmful
    first, keeping each agent's weekly minimum hours, locks, and at most ``overlap`` changes per
    queue-interval (``used`` counts them, shared with :func:`move_candidates`); with daily targets
    (``slack``), only while each queue-day keeps its target. Changes in ``skip`` (:func:`_key`: tried alone
    and found not to pay) are left out before they take room, in every kind's candidates."""
    # with daily targets, at the scenario's own prices: a shift that only lifts days above their target saves
    # its cost when dropped (the slack keeps each day at its target)
    value = plan.scenario_value if slack is not None and plan.scenario_value is not None else plan.capacity_value
    if value is None:
        return []
    T = prob.horizon_intervals
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    worth = _worth(prob, value)
    spare = _spare(prob, plan) if prob.per_interval_hard else None
    scored = []
    for a, days in plan.named.items():
        info = prob.agents[a]
        for d, s_idx in days.items():
            if d in info.locked:
                continue
            net = worth.placed(info.pool, d, s_idx, plan.breaks.get((a, d), [])) - prob.shift_cost[(info.team, s_idx)]
            if net < 0:
                # per-interval mode: a drop that leaves every interval at its requirement first (where capacity
                # equals the requirement the dual sits on the cheap side of the kink: most drops fall short)
                short = 0
                if spare is not None:
                    t0, cap = shift_capacity(prob, a, d, s_idx, plan.breaks)
                    short = int(bool((cap > spare[info.queues][t0: t0 + len(cap)] + 1e-6).any()))
                scored.append((short, net, a, d, s_idx))
    scored.sort()
    paid: dict[tuple[int, int], int] = defaultdict(int)
    for a, days in plan.named.items():
        for d, s_idx in days.items():
            paid[(a, week_of[d])] += prob.shifts[s_idx].paid_min
    minimum = {}
    used = used if used is not None else Changes(prob)
    out = []
    for *_, a, d, s_idx in scored:
        w = week_of[d]
        info = prob.agents[a]
        if (a, w) not in minimum:
            minimum[(a, w)] = worth.limits(info, prob.weeks[w]).min_paid_min
        if paid[(a, w)] - prob.shifts[s_idx].paid_min < minimum[(a, w)] or ("drop", a, d) in skip:
            continue
        t0, cap = shift_capacity(prob, a, d, s_idx, plan.breaks)
        span = range(t0, t0 + len(cap))
        if not used.room(info.queues, overlap, span):
            continue
        if slack is not None and not slack.drop(info.queues, t0, cap):
            continue
        used.book(info.queues, span)
        paid[(a, w)] -= prob.shifts[s_idx].paid_min
        out.append((a, d))
    return out


def _spare(prob: RosterProblem, plan: Plan) -> dict[tuple[str, ...], np.ndarray]:
    """Per-interval mode: capacity units per capacity group and interval that could go without any of the group's
    live queues falling below its requirement — the sum of their served capacity above the requirement (inf where
    none of them has one: no volume, or deferred queues only)."""
    T = prob.horizon_intervals
    above = {}
    for q, dem in prob.live.items():
        extra = np.full(T, np.inf)
        extra[dem.t] = np.maximum(0.0, plan.served[q][dem.t] - dem.required * CAP_SCALE)
        above[q] = extra
    out = {}
    for g in {info.queues for info in prob.agents}:
        mine = [above[q] for q in g if q in above]
        if not mine:
            out[g] = np.full(T, np.inf)
            continue
        finite = [np.where(np.isinf(x), 0.0, x) for x in mine]
        total = np.sum(finite, axis=0)
        out[g] = np.where(np.all(np.isinf(mine), axis=0), np.inf, total)
    return out


class _DayBreaks:
    """By day ``d``: the breaks ``[(k, offset)]`` with break ``k`` at ``offsets[k][d]``, made when asked (most
    (pool, shift) pairs priced are asked for a few days only)."""

    def __init__(self, offsets: list[np.ndarray]):
        self.offsets = [o.tolist() for o in offsets]
        self._made: dict[int, list[tuple[int, int]]] = {}

    def __getitem__(self, d: int) -> list[tuple[int, int]]:
        got = self._made.get(d)           # (one list per day, shared: break lists are never changed in place)
        if got is None:
            got = self._made[d] = [(k, o[d]) for k, o in enumerate(self.offsets)]
        return got


class _Worth:
    """What capacity is worth at the plan's capacity values, by prefix sums: a window's value in O(1) instead
    of a sum over its intervals (move and addition candidates price ~10^5 shifts and break offsets a round)."""

    def __init__(self, prob: RosterProblem, value: dict[tuple[str, ...], np.ndarray]):
        self.prob = prob
        T = prob.horizon_intervals
        self.vsum = {g: np.concatenate([[0.0], np.cumsum(v)]) for g, v in value.items()}
        self.esum: dict[int, np.ndarray] = {}          # pool -> prefix sums of efficiency x value
        for pool in prob.pools:
            v = value.get(pool.queues)
            if v is not None:
                self.esum[pool.index] = np.concatenate([[0.0], np.cumsum(np.tile(pool.efficiency, prob.n_days + 1)[:T] * v)])
        self.offsets = {(s.index, k): np.asarray(slot.offsets) for s in prob.shifts for k, slot in enumerate(s.breaks)}
        self._best: dict[tuple[int, int], tuple[list[float], _DayBreaks]] = {}
        # memos of one round (the kinds of a round share this object): a placed shift's worth, an agent's
        # week limits, a shift's intervals — each asked for many times a round by several kinds
        self._shift: dict[tuple, float] = {}
        self._limits: dict[tuple[int, int], object] = {}
        self._spans: dict[tuple[int, int], range] = {}
        self._arrays: dict[tuple, _OptionArrays | None] = {}
        self._mine: dict[tuple[int, bool], tuple[object, _OptionArrays | None]] = {}

    def limits(self, info, w):
        """``week_limits(prob, info, w)``, computed once a round per agent and week."""
        key = (id(info), w.index)
        got = self._limits.get(key)
        if got is None or got[0] is not info:
            got = self._limits[key] = (info, week_limits(self.prob, info, w))
        return got[1]

    def span(self, d: int, s_idx: int) -> range:
        """``prob.shift_intervals(d, prob.shifts[s_idx])``, computed once a round."""
        key = (d, s_idx)
        got = self._spans.get(key)
        if got is None:
            got = self._spans[key] = self.prob.shift_intervals(d, self.prob.shifts[s_idx])
        return got

    def option_arrays(self, info, night: bool, rest: dict[bool, int]) -> "_OptionArrays | None":
        """The shifts of night status ``night`` agent ``info`` may work, in index order, as
        :class:`_OptionArrays` (None when there are none): the rows of its pool's (and team's) arrays over the
        shifts any member may work."""
        prob = self.prob
        key = (info.pool, info.team, night)
        if key not in self._arrays:
            members = prob.pools[info.pool].members
            every = sorted({n for a in members for n in prob.agents[a].shifts} | set(info.shifts))
            opts = [(n, prob.shifts[n], prob.shift_cost[(info.team, n)], *self.best(info.pool, n))
                    for n in every if prob.shifts[n].is_night == night]
            self._arrays[key] = _OptionArrays(opts, rest) if opts else None
        mine = self._mine.get((id(info), night))
        if mine is None or mine[0] is not info:
            full = self._arrays[key]
            rows = None if full is None else np.flatnonzero(np.isin(full.n, np.asarray(info.shifts, dtype=np.int64)))
            mine = self._mine[(id(info), night)] = (
                info, None if rows is None or not len(rows) else full if len(rows) == len(full.n) else full.subset(rows))
        return mine[1]

    def placed(self, pool: int, d: int, s_idx: int, brk: list[tuple[int, int]]) -> float:
        """:meth:`shift`, computed once a round per pool, day, shift and breaks."""
        key = (pool, d, s_idx, tuple(brk))
        got = self._shift.get(key)
        if got is None:
            got = self._shift[key] = self.shift(pool, d, s_idx, brk)
        return got

    def best(self, pool: int, s_idx: int) -> tuple[list[float], "_DayBreaks"]:
        """For each day: the worth of a shift ``s_idx`` of ``pool`` with each break at the offset where the
        group's capacity is worth least (the earliest of equals), and those breaks ``[(k, offset)]``. Computed
        for all of the pool's shifts at once on the first ask (:meth:`_best_of_pool`)."""
        key = (pool, s_idx)
        if key not in self._best:
            self._best_of_pool(pool, sorted({s_idx} | {n for n in self.prob.pools[pool].shifts
                                                       if (pool, n) not in self._best}))
        return self._best[key]

    def _best_of_pool(self, pool: int, shifts: list[int]) -> None:
        """:meth:`best` of ``pool`` for each of ``shifts``, vectorised over the shifts (break ``k`` of every shift
        that has one at once, its offsets padded); the same arithmetic, element by element, as one shift at a
        time."""
        prob = self.prob
        T, D = prob.horizon_intervals, prob.n_days
        csum, esum = self.vsum[prob.pools[pool].queues], self.esum[pool]
        sh = [prob.shifts[n] for n in shifts]
        t0 = np.arange(D)[None, :] * prob.per_day + np.array([s.start for s in sh])[:, None]      # shift x day
        t1 = np.minimum(t0 + np.array([s.length for s in sh])[:, None], T)
        worth = esum[t1] - esum[t0]
        chosen: list[list[np.ndarray]] = [[] for _ in sh]
        windows: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in sh]
        for k in range(max((len(s.breaks) for s in sh), default=0)):
            rows = [i for i, s in enumerate(sh) if len(s.breaks) > k]
            offs = [self.offsets[(shifts[i], k)] for i in rows]
            width = max(len(o) for o in offs)
            pad = np.zeros((len(rows), width), dtype=np.int64)
            real = np.zeros((len(rows), width), dtype=bool)
            for j, o in enumerate(offs):
                pad[j, :len(o)] = o
                real[j, :len(o)] = True
            length = np.array([sh[i].breaks[k].length for i in rows])
            r0 = np.minimum(t0[rows][:, :, None] + pad[:, None, :], T)                # shift x day x offset
            vals = np.where(real[:, None, :], csum[np.minimum(r0 + length[:, None, None], T)] - csum[r0], np.inf)
            low = vals.min(axis=2, keepdims=True)
            pick = np.argmax(vals <= low + 1e-9 * np.maximum(1.0, np.abs(low)), axis=2)
            at = np.take_along_axis(pad[:, None, :].repeat(D, axis=1), pick[:, :, None], axis=2)[:, :, 0]
            b0 = np.minimum(t0[rows] + at, t1[rows])
            b1 = np.minimum(b0 + length[:, None], t1[rows])
            worth[rows] -= esum[b1] - esum[b0]
            for j, i in enumerate(rows):
                chosen[i].append(at[j])
                windows[i].append((b0[j], b1[j]))
        for i, n in enumerate(shifts):
            brk = _DayBreaks(chosen[i])
            w = worth[i].tolist()
            win = windows[i]
            for x in range(len(win)):          # overlapping breaks: the union is off, priced one by one
                for y in range(x + 1, len(win)):
                    for d in np.flatnonzero(np.maximum(win[x][0], win[y][0]) < np.minimum(win[x][1], win[y][1])):
                        w[d] = self.shift(pool, int(d), n, brk[d])
            self._best[(pool, n)] = (w, brk)

    def shift(self, pool: int, d: int, s_idx: int, brk: list[tuple[int, int]]) -> float:
        """The worth of a shift of ``pool`` on day ``d`` with breaks ``brk`` (objective units)."""
        prob = self.prob
        s = prob.shifts[s_idx]
        T = prob.horizon_intervals
        t0 = d * prob.per_day + s.start
        t1 = min(T, t0 + s.length)
        if t1 <= t0:
            return 0.0
        esum = self.esum[pool]
        worth = float(esum[t1] - esum[t0])
        end = t0                        # breaks as on_duty takes them off: their union inside the shift
        for b0, b1 in sorted((t0 + o, min(t1, t0 + o + s.breaks[k].length)) for k, o in brk):
            b0 = max(b0, end)
            if b1 > b0:
                worth -= float(esum[b1] - esum[b0])
                end = b1
        return worth


_last_worth: list = []     # [(prob, value, _Worth)]: the kinds of one round price at the same plan's values


def _worth(prob: RosterProblem, value: dict[tuple[str, ...], np.ndarray]) -> _Worth:
    """``_Worth(prob, value)``, kept for the next call with the same ``prob`` and ``value`` (the same objects:
    capacity values are not changed in place), so the kinds of a round share its prefix sums and best shifts."""
    hit = _last_worth[0] if _last_worth else None      # one read: safe with threads pricing other plans
    if hit is None or hit[0] is not prob or hit[1] is not value:
        hit = (prob, value, _Worth(prob, value))
        _last_worth[:] = [hit]
    return hit[2]


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


def start_spread_cost(prob: RosterProblem) -> Callable[[list[int]], float]:
    """The stable-starts penalty of one agent-week from its shifts' start times (minutes), as the personal
    rules price it (:func:`.rules.add_stable_starts`: the spread per minute, and above
    ``stable_start_max_diff_h`` the excess per minute at the soft-rule price)."""
    sc = prob.scenario
    per_h = int(round(sc.weights.stability * OBJ_SCALE))
    per_min = max(1, int(round(per_h / 60))) if per_h > 0 else 0
    limit = sc.rules.stable_start_max_diff_h
    soft_h = int(round(sc.weights.soft_rule * OBJ_SCALE))
    excess = max(1, int(round(soft_h / 60))) if limit is not None and soft_h else 0
    limit_min = 0 if limit is None else int(round(limit * 60))

    def cost(starts: list[int]) -> float:
        return of_spread(max(starts) - min(starts))

    def of_spread(spread: int) -> float:
        if not spread:
            return 0.0
        return float(per_min * spread + excess * max(0, spread - limit_min))

    def of_spreads(spread: np.ndarray) -> np.ndarray:
        """:func:`of_spread` of each spread (minutes, integers >= 0) at once, as floats."""
        return (per_min * spread + excess * np.maximum(0, spread - limit_min)).astype(float)

    cost.of_spread = of_spread      # the same penalty from the spread (minutes): O(1) for one start changed
    cost.of_spreads = of_spreads
    return cost


def _options(prob: RosterProblem, info, choices: dict[int, list[int]], worth: _Worth) -> Callable[[int], list]:
    """For one agent: ``options(s_idx)`` lists ``(shift, its Shift, its cost, its worth by day, its breaks by
    day)`` of the shifts in ``choices[s_idx]`` the agent may work, in that order (computed once per shift)."""
    made: dict[int, list] = {}

    def options(s_idx: int) -> list:
        if s_idx not in made:
            made[s_idx] = [(n, prob.shifts[n], prob.shift_cost[(info.team, n)], *worth.best(info.pool, n))
                           for n in choices[s_idx] if n in info.shifts]
        return made[s_idx]

    return options


class _OptionArrays:
    """Shifts an agent may take instead (:meth:`_Worth.option_arrays`: a pool's, or an agent's rows of them) as
    arrays over the shifts: shift index, paid minutes, start and end minutes, rest needed after it (minutes),
    cost, worth with the best breaks (shift × day) and those breaks (:class:`_DayBreaks` per shift)."""

    def __init__(self, opts: list, rest: dict[bool, int]):
        self.n = np.array([n for n, *_ in opts], dtype=np.int64)
        self.paid = np.array([sh.paid_min for _, sh, *_ in opts], dtype=np.int64)
        self.start = np.array([sh.start_min for _, sh, *_ in opts], dtype=np.int64)
        self.end = np.array([sh.end_min for _, sh, *_ in opts], dtype=np.int64)
        self.rest_after = np.array([rest[sh.is_night] for _, sh, *_ in opts], dtype=np.int64)
        self.cost = np.array([c for _, _, c, *_ in opts], dtype=float)
        self.worth = np.array([v for *_, v, _ in opts], dtype=float).reshape(len(opts), -1)
        self.brks = [b for *_, b in opts]

    def subset(self, rows: np.ndarray) -> "_OptionArrays":
        """These arrays at ``rows`` (in that order)."""
        out = object.__new__(_OptionArrays)
        for name in ("n", "paid", "start", "end", "rest_after", "cost", "worth"):
            setattr(out, name, getattr(self, name)[rows])
        out.brks = [self.brks[i] for i in rows]
        return out


def _capacity_lost(prob: RosterProblem, a: int, d: int, plan: Plan, n_idx: int, brk: list) -> tuple[int, np.ndarray]:
    """(first interval, units per interval) the capacity of agent ``a`` on day ``d`` loses when its shift is
    replaced by ``n_idx`` with breaks ``brk`` (gains elsewhere not counted)."""
    t0, before = shift_capacity(prob, a, d, plan.named[a][d], plan.breaks)
    n0, after = shift_capacity(prob, a, d, n_idx, {(a, d): brk})
    lo, hi = min(t0, n0), max(t0 + len(before), n0 + len(after))
    loss = np.zeros(max(0, hi - lo))
    loss[t0 - lo: t0 - lo + len(before)] += before
    loss[n0 - lo: n0 - lo + len(after)] -= after
    return lo, np.clip(loss, 0.0, None)


def move_candidates(prob: RosterProblem, plan: Plan, dropped: set, used: Changes, overlap: int = OVERLAP,
                    slack: TargetSlack | None = None, skip: Collection[tuple] = frozenset()) -> list[tuple[int, int, int, list]]:
    """Agent-days whose shift is worth more as another shift type of the same night status the agent may work
    (another start, or another length: a full-timer's 8 h day as a 4 h part shift where the rest is worth
    less than it costs, and back): ``(agent, day, new shift, its breaks)``, best gain first, with the rest
    between days, a changed length keeping the week's paid minutes between the weekly minimum and the regular
    maximum (no overtime),
    locks and team caps kept, and at most ``overlap`` changes per queue-interval (old and new intervals); with
    daily targets (``slack``) the capacity a move takes away (a shorter shift, or another start) is booked
    like a drop's, only while each queue-day keeps its target."""
    value = plan.capacity_value
    if value is None:
        return []
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    caps, team_on = _team_load(prob, plan.named)
    worth = _worth(prob, value)
    spread_cost = start_spread_cost(prob)
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    scored = []
    of_spreads = spread_cost.of_spreads
    for a, days in plan.named.items():
        info = prob.agents[a]
        for d, s_idx in days.items():
            if d in info.locked or (a, d) in dropped:
                continue
            here = worth.placed(info.pool, d, s_idx, plan.breaks.get((a, d), [])) - prob.shift_cost[(info.team, s_idx)]
            # the personal rules' side: the week's start-time spread (moves change nothing else they price)
            w = prob.weeks[week_of[d]]
            others = [prob.shifts[days[e]].start_min for e in w.days if e in days and e != d] if len(w.days) > 1 else []
            here -= spread_cost(others + [prob.shifts[s_idx].start_min]) if others else 0.0
            lim = worth.limits(info, w)
            paid = sum(prob.shifts[days[e]].paid_min for e in w.days if e in days) - prob.shifts[s_idx].paid_min
            prev_s, next_s = days.get(d - 1), days.get(d + 1)
            if d == 0 and info.prev_end_min is not None:
                prev_end, prev_night = info.prev_end_min, info.prev_night      # minutes from day 0's midnight
            elif prev_s is not None:
                prev_end, prev_night = prob.shifts[prev_s].end_min - 1440, prob.shifts[prev_s].is_night
            else:
                prev_end, prev_night = None, False
            o = worth.option_arrays(info, prob.shifts[s_idx].is_night, rest)
            if o is None:
                continue
            # every other shift of its night status at once: the week's paid minutes (a changed length), rest
            # to both neighbours, the gain less the week's start spread; the best is the first of the largest
            ok = (o.n != s_idx) & ((o.paid == prob.shifts[s_idx].paid_min)
                                   | ((lim.min_paid_min <= paid + o.paid) & (paid + o.paid <= lim.regular_max_min)))
            if prev_end is not None:
                ok &= o.start - prev_end >= rest[prev_night]
            if next_s is not None:
                ok &= 1440 + prob.shifts[next_s].start_min - o.end >= o.rest_after
            gain = o.worth[:, d] - o.cost - here
            if others:
                lo, hi = min(others), max(others)
                gain -= of_spreads(np.maximum(hi, o.start) - np.minimum(lo, o.start))
            gain[~ok] = -np.inf
            i = int(np.argmax(gain))
            if gain[i] > 1e-6:
                scored.append((-float(gain[i]), a, d, int(o.n[i]), o.brks[i][d]))
    scored.sort(key=lambda c: c[:3])
    out = []
    moving: set[tuple[int, int]] = set()
    weeks_moving: set[tuple[int, int]] = set()
    for _, a, d, n_idx, brk in scored:
        # rest was checked against the neighbours' old shifts; the start spread against the week's other shifts
        if ((a, d - 1) in moving or (a, d + 1) in moving or (a, week_of[d]) in weeks_moving
                or ("move", a, d, n_idx) in skip):
            continue
        info = prob.agents[a]
        old = worth.span(d, plan.named[a][d])
        new = worth.span(d, n_idx)
        if not _book(info, old, new, used, overlap, caps, team_on, slack,
                     lambda: _capacity_lost(prob, a, d, plan, n_idx, brk)):
            continue
        moving.add((a, d))
        weeks_moving.add((a, week_of[d]))
        out.append((a, d, n_idx, brk))
    return out


def _shifts_to_move(prob: RosterProblem, plan: Plan, busy: set, worth: _Worth, spread_cost, day_ok=lambda d: True):
    """Each unlocked shift that could move to a free day of its week (not on leave, not locked, ``day_ok``):
    ``(agent, info, from day, shift, its net worth there less the week's start-spread penalty, the other
    shifts' start minutes that week, the agent's days without it (made when called), the free days)``; agents in
    ``busy`` skipped."""
    for a, days in plan.named.items():
        if a in busy:
            continue
        info = prob.agents[a]
        for w in prob.weeks:
            worked = [d for d in w.days if d in days]
            free = [d for d in w.days if d not in days and d not in info.unavailable and d not in info.locked
                    and day_ok(d)]
            if not worked or not free:
                continue
            starts = {d: prob.shifts[days[d]].start_min for d in worked}
            for e in worked:
                if e in info.locked:
                    continue
                s_idx = days[e]
                here = worth.placed(info.pool, e, s_idx, plan.breaks.get((a, e), [])) - prob.shift_cost[(info.team, s_idx)]
                others = [starts[x] for x in worked if x != e]
                here -= spread_cost(others + [starts[e]]) if others else 0.0
                yield a, info, e, s_idx, here, others, lambda days=days, e=e: {x: v for x, v in days.items() if x != e}, free


def _same_kind(prob: RosterProblem) -> dict[int, list[int]]:
    """Shift -> the shifts of the same paid length and night status (what a transfer may change it to)."""
    return {s.index: [o.index for o in prob.shifts if o.is_night == s.is_night and o.paid_min == s.paid_min]
            for s in prob.shifts}


def transfer_candidates(prob: RosterProblem, plan: Plan, busy: set, used: Changes, overlap: int = OVERLAP,
                        slack: TargetSlack | None = None, skip: Collection[tuple] = frozenset()) -> list[tuple[int, int, int, int, list]]:
    """Shifts worth more on a day off of the same week: ``(agent, from day, to day, new shift, its breaks)``,
    best gain first. The new shift has the old one's paid length and night status (another start allowed), so
    the week's paid minutes, working days and nights stay as they were; rest to the new day's neighbours,
    consecutive days, two days off together where asked, leave and locks are checked on the week with the old
    day freed (:func:`_legal_addition`); team caps kept, at most ``overlap`` changes per queue-interval (old
    and new intervals), one transfer per agent a round and none for agents in ``busy`` (dropped or moved this
    round). With daily targets (``slack``) the capacity the old day loses is booked like a drop's.
    Drops and additions alone miss these: the old shift is worth more than it costs (no drop), and a
    full-timer at the week's regular maximum has no room for an addition; on 11.11 the peak days' overflow
    shifts are what such transfers replace."""
    value = plan.capacity_value
    if value is None:
        return []
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    caps, team_on = _team_load(prob, plan.named)
    worth = _worth(prob, value)
    spread_cost = start_spread_cost(prob)
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    of_spreads = spread_cost.of_spreads
    scored = []
    for a, info, e, s_idx, here, others, without, free in _shifts_to_move(prob, plan, busy, worth, spread_cost):
        sh = prob.shifts[s_idx]
        o = worth.option_arrays(info, sh.is_night, rest)
        if o is None:
            continue
        same_kind = o.paid == sh.paid_min         # (the night status is the arrays')
        # every free day and shift of the same kind at once; per day the first of the largest gains
        gain = o.worth[:, free] - o.cost[:, None] - here
        if others:          # the week's start-spread penalty with each new shift: the same on every free day
            lo, hi = min(others), max(others)
            gain -= of_spreads(np.maximum(hi, o.start) - np.minimum(lo, o.start))[:, None]
        gain[~same_kind] = -np.inf
        pick = gain.argmax(axis=0)
        for j, d in enumerate(free):
            i = pick[j]
            g = gain[i, j]
            if g > 1e-6 and _legal_addition(prob, a, without(), d, int(o.n[i]), rest, week_of, worth.limits):
                scored.append((-float(g), a, e, d, int(o.n[i]), o.brks[i][d]))
    scored.sort(key=lambda c: c[:4])
    out = []
    taken: set[int] = set()
    for _, a, e, d, n_idx, brk in scored:
        if a in taken or ("transfer", a, e, d, n_idx) in skip:
            continue
        info = prob.agents[a]
        old = worth.span(e, plan.named[a][e])
        new = worth.span(d, n_idx)
        if not _book(info, old, new, used, overlap, caps, team_on, slack,
                     lambda: shift_capacity(prob, a, e, plan.named[a][e], plan.breaks)):
            continue
        taken.add(a)
        out.append((a, e, d, n_idx, brk))
    return out


def replace_candidates(prob: RosterProblem, plan: Plan, busy: set, used: Changes, overlap: int = OVERLAP,
                       slack: TargetSlack | None = None, skip: Collection[tuple] = frozenset()) -> list[tuple[int, int, int, int, list, int]]:
    """A costlier agent's shift replaced by a cheaper agent's shift moved to that day from a day of its week:
    ``(agent, from day, to day, new shift, its breaks, replaced agent)``, best gain first. Neither half pays
    alone where it is needed most: the transfer lands where the costlier shift's capacity already is (worth
    little at the duals), and the costlier shift is worth more than it costs; together the capacity stays
    about where it was (so the duals price it well) and the difference in pay is saved — on 11.11 the
    overflow team's hours on the peak days, which in-house agents could work instead of a quieter day of
    their week. The transfer under :func:`transfer_candidates`' rules (same paid length and night status,
    :func:`_legal_addition` with the old day freed, team caps); the replaced shift as a drop (not locked,
    the weekly minimum kept); the new shift serves a queue the replaced one serves and covers at least
    :data:`REPLACE_MIN_COVER` of its intervals; its team's hour costs less. One replacement per agent and
    per replaced shift a round, none for agents in ``busy``; not with daily targets (``slack``)."""
    value = plan.capacity_value
    if value is None or slack is not None:
        return []
    rate = {t: spec.cost_per_hour for t, spec in prob.scenario.teams.items()}
    if len(set(rate.values())) < 2:
        return []
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    worth = _worth(prob, value)
    paid: dict[tuple[int, int], int] = defaultdict(int)
    for a, days in plan.named.items():
        for d, s_idx in days.items():
            paid[(a, week_of[d])] += prob.shifts[s_idx].paid_min
    lowest = min(rate.values())
    minimum: dict[tuple[int, int], int] = {}
    costly: dict[int, list] = defaultdict(list)        # day -> [(net worth, agent, intervals, queues, rate)]
    for a, days in plan.named.items():
        info = prob.agents[a]
        if a in busy or rate[info.team] <= lowest:
            continue
        for d, s_idx in days.items():
            if d in info.locked:
                continue
            w = week_of[d]
            if (a, w) not in minimum:
                minimum[(a, w)] = worth.limits(info, prob.weeks[w]).min_paid_min
            if paid[(a, w)] - prob.shifts[s_idx].paid_min < minimum[(a, w)]:
                continue
            net = worth.placed(info.pool, d, s_idx, plan.breaks.get((a, d), [])) - prob.shift_cost[(info.team, s_idx)]
            costly[d].append((net, a, prob.shift_intervals(d, prob.shifts[s_idx]), set(info.queues), rate[info.team]))
    for lst in costly.values():
        lst.sort(key=lambda c: c[:2])
    if not costly:
        return []
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    same = _same_kind(prob)
    caps, team_on = _team_load(prob, plan.named)
    spread_cost = start_spread_cost(prob)
    scored = []
    made: dict[int, Callable] = {}
    for a, info, e, s_idx, here, others, without, free in _shifts_to_move(prob, plan, busy, worth, spread_cost,
                                                                          lambda d: d in costly):
        queues = set(info.queues)
        if a not in made:
            made[a] = _options(prob, info, same, worth)
        opts = made[a](s_idx)
        spreads = [spread_cost(others + [sh.start_min]) if others else 0.0 for _, sh, *_ in opts]
        for d in free:
            best = None
            for (n_idx, sh, cost, values, brks), spread in zip(opts, spreads):
                gain = values[d] - cost - here - spread
                span = None
                for net, o, r, oq, o_rate in costly[d]:
                    if net >= gain:
                        break           # (sorted by net worth: no later one gains)
                    if o_rate <= rate[info.team] or not (queues & oq):
                        continue
                    if span is None:
                        span = worth.span(d, n_idx)
                    if min(span.stop, r.stop) - max(span.start, r.start) < REPLACE_MIN_COVER * len(r):
                        continue
                    if best is None or gain - net > best[0]:
                        best = (gain - net, n_idx, brks[d], o)
                    break
            if best is not None and _legal_addition(prob, a, without(), d, best[1], rest, week_of, worth.limits):
                scored.append((-best[0], a, e, d, best[1], best[2], best[3]))
    scored.sort(key=lambda c: c[:4])
    out = []
    taken: set[int] = set()
    replaced: set[tuple[int, int]] = set()
    for _, a, e, d, n_idx, brk, o in scored:
        if a in taken or o in taken or (o, d) in replaced or ("replace", a, e, d, n_idx, o) in skip:
            continue
        info, o_info = prob.agents[a], prob.agents[o]
        gone = prob.shift_intervals(d, prob.shifts[plan.named[o][d]])
        if not used.room(o_info.queues, overlap, gone):
            continue
        old = prob.shift_intervals(e, prob.shifts[plan.named[a][e]])
        new = prob.shift_intervals(d, prob.shifts[n_idx])
        if not _book(info, old, new, used, overlap, caps, team_on, None, lambda: (0, np.zeros(0))):
            continue
        used.book(o_info.queues, gone)
        taken.update((a, o))
        replaced.add((o, d))
        out.append((a, e, d, n_idx, brk, o))
    return out


def apply_replacement(named: Named, breaks: Breaks, change: tuple) -> None:
    """A :func:`replace_candidates` change applied to ``named`` and ``breaks`` in place."""
    a, e, d, n_idx, brk, o = change
    del named[a][e]
    del breaks[(a, e)]
    named[a][d] = n_idx
    breaks[(a, d)] = brk
    del named[o][d]
    del breaks[(o, d)]


REPLACE_MIN_COVER = 0.5     # a replacing shift covers at least this share of the replaced shift's intervals


REPATTERN_MIN_GAIN = OBJ_SCALE     # a week re-arranged for less than one currency unit at the duals is noise


def repattern_candidates(prob: RosterProblem, plan: Plan, busy: set, used: Changes, overlap: int = OVERLAP,
                         slack: TargetSlack | None = None, skip: Collection[tuple] = frozenset()) -> list[tuple[int, int, tuple, list]]:
    """Agents' weeks worth more with their shifts on other days: ``(agent, week, ((day, shift), ...), breaks
    [(day, [(k, offset)])])`` with the week's new days and shifts, best gain first. The week keeps its
    multiset of shift types (the same paid minutes, working days, nights and start spread); which day takes
    which of them is chosen anew by a dynamic programme over the week's days at the plan's capacity values
    (:func:`_best_week`), under rest between days (also to the fixed days around the week and the previous
    period), consecutive days, two days off together where asked, leave and locks. A transfer
    (:func:`transfer_candidates`) moves one shift; this moves several at once, which the rules may need:
    with two days off together asked, a shift moved off Tuesday alone leaves Tuesday apart from the days
    off, Tuesday and Wednesday together are legal. Team caps kept, at most ``overlap`` changes per
    queue-interval (old and new intervals of every changed day), one week per agent a round, none for
    agents in ``busy``; with daily targets (``slack``) the capacity each vacated day loses is booked like a
    drop's."""
    value = plan.capacity_value
    if value is None:
        return []
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    caps, team_on = _team_load(prob, plan.named)
    worth = _worth(prob, value)
    scored = []
    for a, days in plan.named.items():
        if a in busy:
            continue
        for w in prob.weeks:
            found = _best_week(prob, a, days, w, plan.breaks, worth, rest)
            if found is not None:
                gain, pattern, brks = found
                scored.append((-gain, a, w.index, pattern, brks))
    scored.sort(key=lambda c: c[:3])
    out = []
    taken: set[int] = set()
    for _, a, wi, pattern, brks in scored:
        if a in taken or ("repattern", a, wi, pattern) in skip:
            continue
        info = prob.agents[a]
        days = plan.named[a]
        new = dict(pattern)
        changed = [d for d in prob.weeks[wi].days if days.get(d) != new.get(d)]
        old_r = [prob.shift_intervals(d, prob.shifts[days[d]]) for d in changed if d in days]
        new_r = [prob.shift_intervals(d, prob.shifts[new[d]]) for d in changed if d in new]
        if not used.room(info.queues, overlap, *old_r, *new_r):
            continue
        on = team_on.get(info.team)
        if on is not None:
            for r in old_r:
                on[r.start:r.stop] -= 1
            for r in new_r:
                on[r.start:r.stop] += 1
            if any(len(r) and on[r.start:r.stop].max() > caps[info.team] for r in new_r):
                for r in new_r:
                    on[r.start:r.stop] -= 1
                for r in old_r:
                    on[r.start:r.stop] += 1
                continue
        if slack is not None and not all(slack.drop(info.queues, *shift_capacity(prob, a, d, days[d], plan.breaks))
                                         for d in changed if d in days and d not in new):
            continue      # (what was booked before the refusal stays booked: a conservative estimate)
        used.book(info.queues, *old_r, *new_r)
        taken.add(a)
        out.append((a, wi, pattern, brks))
    return out


def _best_week(prob: RosterProblem, a: int, days: dict[int, int], w, breaks: Breaks, worth: "_Worth",
               rest: dict) -> tuple[float, tuple, list] | None:
    """Agent ``a``'s week ``w`` with the same shift types (as a multiset) on the days where they are worth
    most at the capacity values: ``(gain over the current week, ((day, shift), ...), [(day, breaks)])`` for
    the changed days, or None when no other legal arrangement gains. A day keeping its shift keeps its
    breaks; a new one has its breaks at the cheapest offsets. Dynamic programme over the week's days, state
    (yesterday's shift, days worked in a row, types left, two days off together yet); the rest between days
    and the runs are checked against the fixed days around the week too."""
    info = prob.agents[a]
    cur = {d: days[d] for d in w.days if d in days}
    free = [d for d in w.days if d not in info.locked and d not in info.unavailable]
    kinds = sorted({s for d, s in cur.items() if d not in info.locked})
    if not kinds or len(free) < 2:
        return None
    want = tuple(sum(1 for d, s in cur.items() if s == k and d not in info.locked) for k in kinds)
    pool, team = info.pool, info.team

    val: dict[tuple[int, int], float] = {}
    for d in w.days:
        for k in kinds:
            val[(d, k)] = worth.best(pool, k)[0][d] - prob.shift_cost[(team, k)]
    for d, k in cur.items():
        val[(d, k)] = worth.placed(pool, d, k, breaks.get((a, d), [])) - prob.shift_cost[(team, k)]

    def value(d: int, s: int) -> float:
        return val[(d, s)]

    now = sum(value(d, s) for d, s in cur.items())
    # an upper bound first (each free day at its best kind, rules and the multiset left out): most weeks stop here
    top = sorted((max(value(d, k) for k in kinds) for d in free), reverse=True)
    locked_now = sum(value(d, s) for d, s in cur.items() if d in info.locked)
    if locked_now + sum(top[:sum(want)]) <= now + REPATTERN_MIN_GAIN:
        return None

    fixed = {e: s for e, s in days.items() if e not in w.days}
    lo, hi = w.days[0], w.days[-1]
    before, after = runs_around(info, fixed, lo, hi)
    limit = prob.scenario.rules.max_consecutive_days
    lim = worth.limits(info, w)

    start = {k: prob.shifts[k].start_min for k in set(kinds) | set(cur.values())}

    def rested(p_end: int | None, p_night: bool, s: int) -> bool:
        return p_end is None or start[s] - p_end >= rest[p_night]

    ends = {k: (prob.shifts[k].end_min - 1440, prob.shifts[k].is_night) for k in start}

    # state: (yesterday's shift or None, run, left, pair off) -> (value, pattern)
    if lo - 1 in fixed:
        p = prob.shifts[fixed[lo - 1]]
        first_prev = (p.end_min - 1440, p.is_night)
    elif lo == 0 and info.prev_end_min is not None:
        first_prev = (info.prev_end_min, info.prev_night)
    else:
        first_prev = (None, False)
    states = {(None, before, want, False): (0.0, ())}
    for i, d in enumerate(w.days):
        nxt: dict = {}
        for (prev, run, left, pair), (v, pat) in states.items():
            if i == 0:
                p_end, p_night = first_prev
            elif prev is not None:
                p_end, p_night = ends[prev]
            else:
                p_end, p_night = None, False
            if d in info.locked or d in info.unavailable:
                choices = [info.locked.get(d) if d in info.locked else None]
            else:
                choices = [None] + [kinds[k] for k in range(len(kinds)) if left[k] > 0]
            for s in choices:
                if s is None:
                    key = (None, 0, left, pair or (prev is None and i > 0))
                    got = v
                else:
                    if run + 1 > limit or not rested(p_end, p_night, s):
                        continue
                    if d in info.locked:
                        nl = left
                    else:
                        k = kinds.index(s)
                        nl = left[:k] + (left[k] - 1,) + left[k + 1:]
                    key = (s, run + 1, nl, pair)
                    got = v + val[(d, s)]
                if key not in nxt or got > nxt[key][0] + 1e-9:
                    nxt[key] = (got, pat + ((d, s),))
        states = nxt
    best = None
    for (prev, run, left, pair), (v, pat) in states.items():
        if any(left) or (lim.two_days_off and not pair):
            continue
        if prev is not None:
            if run + after > limit:
                continue
            if hi + 1 in fixed and prob.shifts[fixed[hi + 1]].start_min - ends[prev][0] < rest[ends[prev][1]]:
                continue
        if best is None or v > best[0]:
            best = (v, pat)
    if best is None or best[0] <= now + REPATTERN_MIN_GAIN:
        return None
    pattern = tuple((d, s) for d, s in best[1] if s is not None)
    brks = [(d, worth.best(pool, s)[1][d]) for d, s in pattern if cur.get(d) != s]
    return best[0] - now, pattern, brks


def _book(info, old: range, new: range, used: Changes, overlap: int, caps: dict, team_on: dict,
          slack: TargetSlack | None, lost: Callable[[], tuple[int, np.ndarray]]) -> bool:
    """Books a change of an agent's shift from intervals ``old`` to ``new`` when every queue-interval of both has
    room, the team's cap on agents at once holds and (daily targets) the capacity ``lost()`` (first interval,
    units) may go; False, with nothing booked, otherwise."""
    if not used.room(info.queues, overlap, old, new):
        return False
    on = team_on.get(info.team)
    if on is not None:
        on[old.start:old.stop] -= 1
        if len(new) and on[new.start:new.stop].max() + 1 > caps[info.team]:
            on[old.start:old.stop] += 1
            return False
        on[new.start:new.stop] += 1
    if slack is not None and not slack.drop(info.queues, *lost()):
        if on is not None:
            on[new.start:new.stop] -= 1
            on[old.start:old.stop] += 1
        return False
    used.book(info.queues, old, new)
    return True


def runs_around(info, days: dict[int, int], lo: int, hi: int) -> tuple[int, int]:
    """Days worked in a row in ``days`` just before day ``lo`` (with the previous period's trailing run when
    they reach the horizon's start) and just after day ``hi``."""
    before = 0
    while lo - before - 1 >= 0 and lo - before - 1 in days:
        before += 1
    if before == lo:
        before += info.prev_run_days
    after = 0
    while hi + after + 1 in days:
        after += 1
    return before, after


def _day_open(prob: RosterProblem, a: int, days: dict[int, int], d: int, week_of: dict[int, int],
              limits: Callable) -> bool:
    """The checks of :func:`_legal_addition` that do not depend on the shift: agent ``a`` (working ``days``) is
    off on day ``d``, not on leave or locked, and one more day keeps its consecutive days and the week's days
    off (two together where asked). A necessary condition for any addition on that day."""
    info = prob.agents[a]
    if d in days or d in info.unavailable or d in info.locked:
        return False
    before, after = runs_around(info, days, d, d)
    if before + 1 + after > prob.scenario.rules.max_consecutive_days:
        return False
    w = prob.weeks[week_of[d]]
    lim = limits(info, w)
    worked = [e for e in w.days if e in days] + [d]
    if len(worked) > len(lim.days) - lim.min_days_off:
        return False
    return not (lim.two_days_off and not any(e not in worked and f not in worked for e, f in zip(w.days, w.days[1:])))


def _legal_addition(prob: RosterProblem, a: int, days: dict[int, int], d: int, s_idx: int, rest: dict,
                    week_of: dict[int, int], limits: Callable | None = None) -> bool:
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
    before, after = runs_around(info, days, d, d)
    if before + 1 + after > prob.scenario.rules.max_consecutive_days:
        return False
    w = prob.weeks[week_of[d]]
    lim = limits(info, w) if limits is not None else week_limits(prob, info, w)
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


def add_candidates(prob: RosterProblem, plan: Plan, named: Named, used: Changes, touched: set,
                   overlap: int = OVERLAP, skip: Collection[tuple] = frozenset()) -> list[tuple[int, int, int, list]]:
    """Shifts worth more than they cost at the plan's capacity values, on days an agent of the right pool is
    free: ``(agent, day, shift, its breaks)``, best gain first. ``named`` is the roster after this round's
    drops and moves (the rules are checked against it, see :func:`_legal_addition`); agents with a change
    in ``touched`` on the day or its neighbours are left alone; team caps (``max_agents`` at once) kept and
    at most ``overlap`` changes per queue-interval. In service-goal mode the values carry the daily
    targets' prices, so this books shifts on days short of their target."""
    value = plan.capacity_value
    if value is None:
        return []
    per_day, T = prob.per_day, prob.horizon_intervals
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    worth = _worth(prob, value)
    scored = []
    for pool in prob.pools:
        if pool.queues not in value or not pool.members:
            continue
        # an upper bound first (no breaks: capacity values are >= 0), exact worth only where it may pay
        csum = worth.esum[pool.index]
        for s_idx in pool.shifts:
            sh = prob.shifts[s_idx]
            cost = prob.shift_cost[(pool.team, s_idx)]
            values = None
            for d in range(prob.n_days):
                t0 = d * per_day + sh.start
                t1 = min(T, t0 + sh.length)
                if t0 >= T or csum[t1] - csum[t0] <= cost:
                    continue
                if values is None:
                    values, brks = worth.best(pool.index, s_idx)
                gain = values[d] - cost
                if gain > 1e-6:
                    scored.append((-gain, pool.index, d, s_idx, brks))      # (the day's breaks: when taken)
    if not scored:
        return []
    scored.sort(key=lambda c: c[:4])
    caps, team_on = _team_load(prob, named)
    out = []
    ranked: dict[tuple[int, int], list[int]] = {}      # (pool, week) -> members, fewest paid minutes first
    open_days: dict[int, dict[int, bool]] = {}         # agent -> day -> _day_open
    for _, p, d, s_idx, brks in scored:
        pool = prob.pools[p]
        new = worth.span(d, s_idx)
        if not used.room(pool.queues, overlap, new):
            continue
        if pool.team in team_on and len(new) and team_on[pool.team][new.start:new.stop].max() + 1 > caps[pool.team]:
            continue
        # the member with the fewest paid minutes that week (spreads the extra work) who may legally work it
        wi = week_of[d]
        if (p, wi) not in ranked:
            w = prob.weeks[wi]
            ranked[(p, wi)] = sorted(pool.members, key=lambda a: (
                sum(prob.shifts[s].paid_min for e, s in named.get(a, {}).items() if e in w.days), a))
        for a in ranked[(p, wi)]:
            if (a, d - 1) in touched or (a, d) in touched or (a, d + 1) in touched or ("add", a, d, s_idx) in skip:
                continue
            # (most members fail on the day itself, whatever the shift: that verdict is kept until a changes)
            days = named.get(a, {})
            mine = open_days.setdefault(a, {})
            if d not in mine:
                mine[d] = _day_open(prob, a, days, d, week_of, worth.limits)
            if mine[d] and _legal_addition(prob, a, days, d, s_idx, rest, week_of, worth.limits):
                named.setdefault(a, {})[d] = s_idx
                del ranked[(p, wi)]                    # a's week changed
                del open_days[a]
                touched.add((a, d))
                used.book(pool.queues, new)
                if pool.team in team_on:
                    team_on[pool.team][new.start:new.stop] += 1
                out.append((a, d, s_idx, brks[d]))
                break
    return out


SINGLE_TRIES = 6     # single changes of a kind tried one after another (each alone) before the kind rests
LAST_TRIES = 24      # ... and in all since a round last paid, once every kind rests (the rounds would stop)


def _key(kind: str, change: tuple) -> tuple:
    """A change without its breaks: ``(kind, agent, day[, to day], shift)`` (a drop: ``(kind, agent, day)``)."""
    return (kind, *(x for x in change if not isinstance(x, list)))


def prune(prob: RosterProblem, plan: Plan, personal: list, evaluate_named: Callable, *, rounds: int,
          deadline: float | None = None, round_s: float = 0.0, say: Callable[[str], None] = lambda m: None,
          move: bool = True, add: bool = True) -> tuple[Plan, list, int, int, int]:
    """Rounds of :func:`drop_candidates`, (with ``move``) :func:`move_candidates`,
    :func:`transfer_candidates`, in rounds of their own :func:`replace_candidates` and, once the others rest,
    :func:`repattern_candidates`, and (with ``add``) :func:`add_candidates` on the exactly evaluated ``plan``; ``evaluate_named(named, breaks)`` returns
    ``(plan, personal)`` or None (a hard personal rule broken). Keeps the cheapest.

    Step sizes: the duals are marginal (one side of a kink), so many changes at once can overshoot where a
    few pay. A round that does not lower the cost is retried with half the step (``OVERLAP`` // 2 changes
    per queue-interval); at the smallest step each kind of change is tried alone, and a kind that does not
    pay alone keeps only its best half of the candidates (best estimated gain first) from then on, a
    quarter, ... (its share doubles again, up to all, after each round it pays in); a kind whose single
    best change does not pay rests until some other round pays. Stops after ``rounds`` evaluations, when
    nothing lowers the cost, or when the next round would end after ``deadline`` (a ``time.perf_counter()``
    value; ``round_s``: the expected time of a round before one has run). Returns (plan, personal, shifts
    dropped, shifts moved (to another start or another day, also in re-arranged weeks), shifts added)."""
    # the problem, the plan and the allocation LP's tables are long-lived: frozen, the collector's full passes
    # (a few a second in the rounds' churn of small objects) no longer walk them
    gc.freeze()
    try:
        return _prune(prob, plan, personal, evaluate_named, rounds=rounds, deadline=deadline, round_s=round_s,
                      say=say, move=move, add=add)
    finally:
        gc.unfreeze()


def _prune(prob: RosterProblem, plan: Plan, personal: list, evaluate_named: Callable, *, rounds: int,
           deadline: float | None, round_s: float, say: Callable[[str], None], move: bool, add: bool
           ) -> tuple[Plan, list, int, int, int]:
    """:func:`prune`'s rounds."""
    dropped = moved = added = 0
    last_round_s = round_s
    overlap = OVERLAP
    every = ("drop",) + (("move", "transfer", "replace", "repattern") if move else ()) + (("add",) if add else ())
    share = {k: 1.0 for k in every}        # of each kind's candidates, best first
    resting: set[str] = set()              # kinds whose best change alone did not pay
    failed: dict[tuple, int] = {}          # single changes that did not pay when tried alone -> the round
    paid_at = -1                           # the last round that paid
    strikes = {k: 0 for k in every}        # ... tried since the kind last paid
    dry: set[str] = set()                  # kinds with no candidate left (since a round last paid)
    queue: list[tuple[str, ...]] = []      # the kinds of the next rounds
    for r in range(rounds):
        if deadline is not None and time.perf_counter() + last_round_s > deadline:
            break
        if not queue:
            # weeks are re-arranged only once the single changes rest (their rounds cost ~1 s more to price);
            # replacements only in rounds of their own (in mixed rounds the other kinds take their room, and
            # pricing them every round cost the 950-agent case 2.6 %: 4.465 M against 4.353 M)
            live = tuple(k for k in every if k not in resting and k not in ("repattern", "replace"))
            for alone in ("replace", "repattern"):
                if not live and alone in every and alone not in resting:
                    live = (alone,)
            if not live:
                # before stopping, the next single changes of the kinds that rested after SINGLE_TRIES misjudged
                # ones (in per-interval mode a drop at an interval exactly at its requirement is priced at the
                # LP's cheap side of the kink: the first few drops tried alone may all fall short, and a shift
                # wholly in surplus ranked below them was never tried)
                more = [k for k in every if SINGLE_TRIES <= strikes[k] < LAST_TRIES and k not in dry]
                stale = [key for key, at in failed.items() if at < paid_at]
                if more:
                    resting.difference_update(more)
                    queue = [(k,) for k in more]
                elif stale:
                    # the changes set aside before the roster last changed are tried again (a drop that fell short
                    # then may leave every interval at its requirement now), once, before the rounds stop
                    for key in stale:
                        del failed[key]
                    strikes = {k: 0 for k in every}
                    resting.clear()
                    dry.clear()
                    queue = [tuple(k for k in every if k not in ("repattern", "replace"))]
                else:
                    break
            else:
                queue = [live]
        kinds = queue.pop(0)
        t = time.perf_counter()
        used = Changes(prob)

        def best(kind: str, candidates: list) -> list:
            # (the changes set aside are already left out: every candidate function takes them as ``skip``)
            return candidates[: max(1, int(np.ceil(share[kind] * len(candidates))))] if candidates else candidates

        drops = []
        slack = TargetSlack(prob, plan) if prob.service_goal else None     # shared by drops and moves
        if "drop" in kinds:
            drops = best("drop", drop_candidates(prob, plan, overlap, used=used, slack=slack, skip=failed))
        moves = best("move", move_candidates(prob, plan, set(drops), used, overlap, slack, failed)) if "move" in kinds else []
        named: Named = {a: dict(days) for a, days in plan.named.items()}
        breaks = dict(plan.breaks)
        for a, d in drops:
            del named[a][d]
            del breaks[(a, d)]
        for a, d, n_idx, brk in moves:
            named[a][d] = n_idx
            breaks[(a, d)] = brk
        transfers = []
        if "transfer" in kinds:
            busy = {a for a, _ in drops} | {a for a, *_ in moves}
            transfers = best("transfer", transfer_candidates(prob, plan, busy, used, overlap, slack, failed))
        for a, e, d, n_idx, brk in transfers:
            del named[a][e]
            del breaks[(a, e)]
            named[a][d] = n_idx
            breaks[(a, d)] = brk
        replaces = []
        if "replace" in kinds:
            busy = {a for a, _ in drops} | {a for a, *_ in moves} | {a for a, *_ in transfers}
            replaces = best("replace", replace_candidates(prob, plan, busy, used, overlap, slack, failed))
        for change in replaces:
            apply_replacement(named, breaks, change)
        repatterns = []
        if "repattern" in kinds:
            busy = ({a for a, _ in drops} | {a for a, *_ in moves} | {a for a, *_ in transfers}
                    | {x for a, *_, o in replaces for x in (a, o)})
            repatterns = best("repattern", repattern_candidates(prob, plan, busy, used, overlap, slack, failed))
        rearranged = 0                             # shifts of the re-arranged weeks on another day or type
        for a, wi, pattern, brks in repatterns:
            rearranged += len(brks)
            for d in prob.weeks[wi].days:
                if d in named[a] and d not in prob.agents[a].locked:
                    del named[a][d]
                    del breaks[(a, d)]
            for d, s_idx in pattern:
                named[a][d] = s_idx
                breaks.setdefault((a, d), plan.breaks.get((a, d), []))
            for d, brk in brks:
                breaks[(a, d)] = brk
        touched = (set(drops) | {(a, d) for a, d, _, _ in moves} | {(a, x) for a, e, d, *_ in transfers for x in (e, d)}
                   | {p for a, e, d, *_, o in replaces for p in ((a, e), (a, d), (o, d))}
                   | {(a, d) for a, wi, *_ in repatterns for d in prob.weeks[wi].days})
        adds = add_candidates(prob, plan, named, used, touched, overlap, failed) if "add" in kinds else []
        taken = best("add", adds)
        kept = {(a, d) for a, d, _, _ in taken}
        for a, d, _, _ in adds:                    # booked into ``named`` by add_candidates: those not taken
            if (a, d) not in kept:
                del named[a][d]
        adds = taken
        for a, d, _, brk in adds:
            breaks[(a, d)] = brk
        n_changes = len(drops) + len(moves) + len(transfers) + len(replaces) + len(repatterns) + len(adds)
        if not n_changes:
            resting.update(kinds)
            if len(kinds) == 1:
                dry.add(kinds[0])
            continue
        named = {a: days for a, days in named.items() if days}
        out = evaluate_named(named, breaks)
        last_round_s = time.perf_counter() - t
        if out is None or out[0].objective >= plan.objective:
            log.info("improve round %d (%s): %d dropped, %d moved, %d to other days, %d replaced, %d weeks re-arranged, "
                     "%d added, no better (%.1f s, step %d, share %s)", r + 1, "+".join(kinds), len(drops), len(moves),
                     len(transfers), len(replaces), len(repatterns), len(adds),
                     last_round_s, overlap,
                     "/".join(f"{share[k]:.3g}" for k in kinds))
            if len(kinds) > 1:
                if overlap > 1:
                    overlap //= 2
                    queue.insert(0, kinds)
                else:
                    queue = [(k,) for k in kinds] + [("replace",)] * ("replace" in every and "replace" not in resting) + queue
            elif n_changes > 1:
                share[kinds[0]] /= 2
            else:
                # the duals misjudge some single changes (a kink of the lost-contact curve): that one is set
                # aside and the next best tried, up to SINGLE_TRIES of a kind before it rests
                (change,) = drops or moves or transfers or replaces or repatterns or adds
                failed[_key(kinds[0], change)] = r
                strikes[kinds[0]] += 1
                if strikes[kinds[0]] >= SINGLE_TRIES:
                    resting.add(kinds[0])
            continue
        plan, personal = out
        dropped += len(drops) + len(replaces)
        moved += len(moves) + len(transfers) + len(replaces) + rearranged
        added += len(adds)
        for k in kinds:
            share[k] = min(1.0, 2 * share[k])
            strikes[k] = 0
        resting.clear()
        dry.clear()
        paid_at = r
        say(f"roster: {len(drops)} shifts worth less than their cost dropped, {len(moves)} moved, {len(transfers)} "
            f"moved to another day, {len(adds)} added, cost {plan.objective / OBJ_SCALE:,.0f}")
        log.info("improve round %d (%s): %d dropped, %d moved, %d to other days, %d replaced, %d weeks re-arranged, "
                 "%d added, cost %.0f (%.1f s)", r + 1, "+".join(kinds), len(drops), len(moves), len(transfers),
                 len(replaces), len(repatterns), len(adds), plan.objective, last_round_s)
    return plan, personal, dropped, moved, added
