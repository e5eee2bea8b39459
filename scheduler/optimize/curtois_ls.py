"""Local search on a Curtois & Qu roster with incremental (delta) evaluation.

A move changes a few employee-days; it is checked against the employee's hard rules *locally* (the
changed days' successions, the runs touching them, the affected weekends, and the running totals of
minutes and shifts per type) and scored by the change of the cover cells and requests it touches
only — no model is built. The moves:

* ``fill``: an employee takes an under-covered (day, shift) (off that day, or from another shift);
* ``chain``: an employee moves from shift t to an under-covered shift s on a day and another employee
  takes t (off that day, or from yet another shift);
* ``handoff``: an employee off that day whose weekends allow it takes an under-covered (day, shift)
  (just that, when its minutes allow) and hands one of its shifts within two weeks to an employee who
  is off then and has the minutes and the weekend for it, or to nobody (the shortfall moves there,
  where others may fill it). The employees are drawn among those that qualify, not at random: on
  Instance13 most employees are at their weekend and minute maxima, and random draws almost never
  found one (from the same roster, 12 s, load 1.6-1.8: 3191 / 3278 with random draws, 2588 / 2683
  targeted);
* ``change``: any employee-day to any allowed value (incl. off);
* ``swap``: two employees exchange their assignments on one day or a block of up to a week (cover
  unchanged: only the requests move);
* ``move``: an employee moves one of its shifts to a nearby day off.

Simulated annealing accepts a move of delta δ > 0 with probability exp(−δ/T), T falling geometrically
from ``t_start`` to ``t_end``; the best roster seen is returned. Cover-neutral moves (swaps, transfers,
requests of weight 1–3) pass at these temperatures and open room for fills; a shortfall (weight 100)
is never re-opened in practice.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import numpy as np


class RosterSearch:
    """Incremental state of a roster (``roster``: employee × day shift indices, −1 off) of ``data``
    (``curtois._Data``): rows as lists, cover counts, and each employee's minutes, shifts per type and
    weekends worked. The roster must keep every hard rule; every accepted move keeps them."""

    def __init__(self, data, roster: np.ndarray):
        inst = data.inst
        self.data = data
        self.h, self.S, self.A = data.h, data.n_shifts, data.n_agents
        h, S = self.h, self.S
        self.rows: list[list[int]] = [list(map(int, r)) for r in roster]
        self.L = [int(x) for x in data.lengths]
        self.banned = [set() for _ in range(S)]
        for s, t in data.pairs:
            self.banned[s].add(t)
        emps = inst.employees
        self.allowed = [set(data.types[a]) for a in range(self.A)]
        self.allowed_list = [sorted(data.types[a]) for a in range(self.A)]
        self.offd = [set(e.days_off) for e in emps]
        self.maxs = [[e.max_shifts.get(sh.id, h) for sh in inst.shifts] for e in emps]
        self.cmax = [e.max_consecutive_shifts for e in emps]
        self.cmin = [e.min_consecutive_shifts for e in emps]
        self.omin = [e.min_consecutive_days_off for e in emps]
        self.mmax = [e.max_total_min for e in emps]
        self.mmin = [e.min_total_min for e in emps]
        self.wmax = [e.max_weekends for e in emps]
        self.wk_of = [-1] * h
        self.wk_days = [tuple(w) for w in data.weekends]
        for k, wd in enumerate(self.wk_days):
            for d in wd:
                self.wk_of[d] = k
        self.req = data.req.tolist()
        self.wu = data.w_under.tolist()
        self.wo = data.w_over.tolist()
        # request cost of (employee, day, value + 1): index 0 is a day off
        rc = np.zeros((self.A, h, S + 1), dtype=np.int64)
        for a in range(self.A):
            for d, s, want, w in data.requests[a]:
                if want:
                    rc[a, d, :] += w
                    rc[a, d, s + 1] -= w
                else:
                    rc[a, d, s + 1] += w
        self.rc = rc.tolist()
        self.n = data.counts(roster).tolist()
        self.minutes = [sum(self.L[v] for v in r if v >= 0) for r in self.rows]
        self.tcount = [[0] * S for _ in range(self.A)]
        for a, r in enumerate(self.rows):
            for v in r:
                if v >= 0:
                    self.tcount[a][v] += 1
        self.wk = [sum(1 for wd in self.wk_days if any(r[d] >= 0 for d in wd)) for r in self.rows]
        self.cost = data.cost(roster)
        self.able = [[a for a in range(self.A) if s in self.allowed[a]] for s in range(S)]

    def roster(self) -> np.ndarray:
        return np.array(self.rows, dtype=np.int64).reshape(self.A, self.h)

    # -- one employee -------------------------------------------------------------------------

    def feasible(self, a: int, lo: int, seg: list[int]) -> bool:
        """Whether employee ``a`` keeps every hard rule with days ``lo .. lo + len(seg) − 1`` set to ``seg``
        (the rest of its row as it is, which keeps them)."""
        row = self.rows[a]
        h = self.h
        hi = lo + len(seg)
        L = self.L
        dmin = 0
        inc: dict[int, int] = {}
        offd, allowed = self.offd[a], self.allowed[a]
        for i, v in enumerate(seg):
            old = row[lo + i]
            if v == old:
                continue
            if v >= 0:
                if v not in allowed or lo + i in offd:
                    return False
                dmin += L[v]
                inc[v] = inc.get(v, 0) + 1
            if old >= 0:
                dmin -= L[old]
                inc[old] = inc.get(old, 0) - 1
        m = self.minutes[a] + dmin
        if m > self.mmax[a] or m < self.mmin[a]:
            return False
        tc, mx = self.tcount[a], self.maxs[a]
        for s, c in inc.items():
            if c > 0 and tc[s] + c > mx[s]:
                return False
        nr = row[:]
        nr[lo:hi] = seg
        banned = self.banned
        for d in range(max(lo - 1, 0), min(hi, h - 1)):
            p, q = nr[d], nr[d + 1]
            if p >= 0 and q >= 0 and q in banned[p]:
                return False
        # weekends
        wk_of, wk_days = self.wk_of, self.wk_days
        dw, seen = 0, set()
        for d in range(lo, hi):
            k = wk_of[d]
            if k >= 0 and k not in seen:
                seen.add(k)
                dw += any(nr[x] >= 0 for x in wk_days[k]) - any(row[x] >= 0 for x in wk_days[k])
        if dw > 0 and self.wk[a] + dw > self.wmax[a]:
            return False
        # runs touching the changed days (and their neighbours)
        x = max(lo - 1, 0)
        f = nr[x] >= 0
        while x > 0 and (nr[x - 1] >= 0) == f:
            x -= 1
        y = min(hi, h - 1)
        cmax, cmin, omin = self.cmax[a], self.cmin[a], self.omin[a]
        d = x
        while d <= y:
            f = nr[d] >= 0
            e = d
            while e + 1 < h and (nr[e + 1] >= 0) == f:
                e += 1
            n = e - d + 1
            edge = d == 0 or e == h - 1
            if f:
                if n > cmax or (n < cmin and not edge):
                    return False
            elif n < omin and not edge:
                return False
            d = e + 1
        return True

    def apply(self, a: int, lo: int, seg: list[int]) -> None:
        row = self.rows[a]
        n, L, tc = self.n, self.L, self.tcount[a]
        wk_of, wk_days = self.wk_of, self.wk_days
        ks = {wk_of[lo + i] for i in range(len(seg))} - {-1}
        before = sum(any(row[x] >= 0 for x in wk_days[k]) for k in ks)
        for i, v in enumerate(seg):
            d = lo + i
            old = row[d]
            if v == old:
                continue
            if old >= 0:
                n[d][old] -= 1
                tc[old] -= 1
                self.minutes[a] -= L[old]
            if v >= 0:
                n[d][v] += 1
                tc[v] += 1
                self.minutes[a] += L[v]
            row[d] = v
        self.wk[a] += sum(any(row[x] >= 0 for x in wk_days[k]) for k in ks) - before

    # -- moves ----------------------------------------------------------------------------------

    def delta(self, changes: list[tuple[int, int, list[int]]]) -> int | None:
        """Objective change of ``changes`` ((employee, first day, new values), distinct employees), None
        when an employee would break a hard rule."""
        dc: dict[tuple[int, int], int] = {}
        total = 0
        for a, lo, seg in changes:
            row, rc = self.rows[a], self.rc[a]
            for i, v in enumerate(seg):
                d = lo + i
                old = row[d]
                if v == old:
                    continue
                total += rc[d][v + 1] - rc[d][old + 1]
                if old >= 0:
                    dc[d, old] = dc.get((d, old), 0) - 1
                if v >= 0:
                    dc[d, v] = dc.get((d, v), 0) + 1
        n, req, wu, wo = self.n, self.req, self.wu, self.wo
        for (d, s), c in dc.items():
            if c:
                r, k = req[d][s], n[d][s]
                total += (wu[d][s] * (max(0, r - k - c) - max(0, r - k))
                          + wo[d][s] * (max(0, k + c - r) - max(0, k - r)))
        for a, lo, seg in changes:
            if not self.feasible(a, lo, seg):
                return None
        return total

    def commit(self, changes: list[tuple[int, int, list[int]]], delta: int) -> None:
        for a, lo, seg in changes:
            self.apply(a, lo, seg)
        self.cost += delta

    def deficits(self) -> list[tuple[int, int]]:
        n, req = self.n, self.req
        return [(d, s) for d in range(self.h) for s in range(self.S) if n[d][s] < req[d][s] and self.wu[d][s] > 0]

    def _weekend_allows(self, a: int, d: int) -> bool:
        """Whether employee ``a`` may work on day ``d`` as far as its weekend maximum goes (a weekday, a
        weekend it already works, or weekends to spare)."""
        k = self.wk_of[d]
        return k < 0 or self.wk[a] < self.wmax[a] or any(self.rows[a][x] >= 0 for x in self.wk_days[k])

    def _room(self, a: int, d: int, s: int) -> bool:
        """Whether employee ``a``, off on day ``d``, has the minutes and the weekend to work ``s`` then."""
        if d in self.offd[a] or self.minutes[a] + self.L[s] > self.mmax[a] or self.maxs[a][s] <= self.tcount[a][s]:
            return False
        return self._weekend_allows(a, d)

    def handoff(self, rng: random.Random, d: int, s: int, window: int = 14
                ) -> list[tuple[int, int, list[int]]] | None:
        """A targeted handoff for the under-covered (``d``, ``s``): an employee off on ``d`` whose weekends
        allow it takes it and gives one of its shifts within ``window`` days to an employee off then
        who has the minutes and the weekend for it."""
        self.kind = "handoff"
        rows, h = self.rows, self.h
        cands = [a for a in self.able[s] if rows[a][d] < 0 and d not in self.offd[a] and self._weekend_allows(a, d)]
        if not cands:
            return None
        a = cands[rng.randrange(len(cands))]
        row = rows[a]
        if self.minutes[a] + self.L[s] <= self.mmax[a] and rng.random() < 0.5:
            return [(a, d, [s])]
        work = [x for x in range(max(0, d - window), min(h, d + window + 1)) if x != d and row[x] >= 0]
        if not work:
            return None
        x = work[rng.randrange(len(work))]
        u = row[x]
        lo, hi = min(d, x), max(d, x)
        seg = row[lo:hi + 1]
        seg[d - lo], seg[x - lo] = s, -1
        takers = [b for b in self.able[u] if b != a and rows[b][x] < 0 and self._room(b, x, u)]
        if takers:
            return [(a, lo, seg), (takers[rng.randrange(len(takers))], x, [u])]
        # nobody: the shortfall moves to (x, u) (cost-neutral for equal weights), where it may be filled
        return [(a, lo, seg)]

    def propose(self, rng: random.Random, short: list[tuple[int, int]]) -> list[tuple[int, int, list[int]]] | None:
        """One random move (None when the draw gives nothing to do)."""
        h, A, rows = self.h, self.A, self.rows
        r = rng.random()
        if short and r < 0.35:
            d, s = short[rng.randrange(len(short))]
            if self.n[d][s] >= self.req[d][s]:
                return None
            a = rng.choice(self.able[s])
            t = rows[a][d]
            if t == s or d in self.offd[a]:
                return None
            kind = rng.random()
            if kind < 0.4:                                   # fill
                self.kind = "fill"
                return [(a, d, [s])]
            if kind < 0.7 and t >= 0:                        # chain: someone else takes t
                b = rng.choice(self.able[t])
                if b == a or rows[b][d] == t or d in self.offd[b]:
                    return None
                self.kind = "chain"
                return [(a, d, [s]), (b, d, [t])]
            return self.handoff(rng, d, s)
        if r < 0.5:                                          # change
            self.kind = "change"
            a, d = rng.randrange(A), rng.randrange(h)
            opts = self.allowed_list[a]
            v = -1 if rng.random() < 0.3 or not opts else rng.choice(opts)
            return None if v == rows[a][d] else [(a, d, [v])]
        if r < 0.85:                                         # swap (a day or a block)
            self.kind = "swap"
            a, b = rng.randrange(A), rng.randrange(A)
            if a == b:
                return None
            k = 1 if rng.random() < 0.5 else rng.randint(2, 7)
            lo = rng.randrange(max(1, h - k + 1))
            k = min(k, h - lo)
            sa, sb = rows[a][lo:lo + k], rows[b][lo:lo + k]
            if sa == sb:
                return None
            return [(a, lo, sb), (b, lo, sa)]
        self.kind = "move"
        a, d = rng.randrange(A), rng.randrange(h)            # move a shift to a nearby day off
        v = rows[a][d]
        if v < 0:
            return None
        x = d + rng.choice((-3, -2, -1, 1, 2, 3))
        if not 0 <= x < h or rows[a][x] >= 0:
            return None
        lo, hi = min(d, x), max(d, x)
        seg = rows[a][lo:hi + 1]
        seg[d - lo], seg[x - lo] = -1, v
        return [(a, lo, seg)]


def anneal(data, roster: np.ndarray, *, time_left: Callable[[], float] | None = None,
           max_moves: int | None = None, seed: int = 0, t_start: float = 3.0, t_end: float = 0.2,
           floor: int = 0) -> tuple[np.ndarray, int, dict]:
    """Simulated annealing from ``roster`` until ``time_left()`` ≤ 0 or ``max_moves`` proposals (one of
    them must be given; ``max_moves`` alone makes the search deterministic), stopping at ``floor``.
    Returns (best roster, its objective, statistics)."""
    if time_left is None and max_moves is None:
        raise ValueError("anneal needs a time limit or a move budget")
    st = RosterSearch(data, roster)
    rng = random.Random(seed)
    best, best_cost = roster.copy(), st.cost
    saved = True                     # whether ``best`` holds the current state when cost == best_cost
    t0 = time.perf_counter()
    budget = time_left() if time_left is not None else None
    moves = accepted = 0
    short = st.deficits()
    refresh = 256 * max(1, st.h * st.S // 2048)     # moves between two scans of the cover (O(days × shifts))
    temp = t_start
    ratio = t_end / t_start
    cap = max_moves if max_moves is not None else -1
    while moves != cap:
        if moves % 256 == 0:
            if max_moves is not None:
                frac = moves / max(1, max_moves)
            else:
                spent = time.perf_counter() - t0
                if time_left() <= 0:
                    break
                frac = spent / max(1e-9, budget)
            temp = t_start * ratio ** min(1.0, frac)
            if moves % refresh == 0:        # (filled cells are skipped until then)
                short = st.deficits()
            if st.cost <= floor:
                break
        moves += 1
        ch = st.propose(rng, short)
        if ch is None:
            continue
        delta = st.delta(ch)
        if delta is None:
            continue
        if delta > 0 and rng.random() >= math.exp(-delta / temp):
            continue
        if delta > 0 and st.cost == best_cost and not saved:
            best, saved = st.roster(), True
        st.commit(ch, delta)
        accepted += 1
        if st.cost < best_cost:
            best_cost, saved = st.cost, False
        elif delta != 0 and st.cost == best_cost:
            saved = False
    if not saved or st.cost < best_cost:
        best, best_cost = st.roster(), st.cost
    return best, best_cost, {"ls_moves": moves, "ls_accepted": accepted}
