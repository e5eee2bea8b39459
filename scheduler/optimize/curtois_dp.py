"""Exact pricing of one employee's roster line by dynamic programming (Curtois & Qu column generation).

The pricing problem of column generation (:mod:`scheduler.optimize.curtois_cg`) asks for the schedule of
one employee — a shift or a day off on every day of the horizon — of least reduced cost (request
penalties minus the cover duals of the shifts worked) under the employee's hard rules. A forward dynamic
program over the days solves it with the state

* the current run: a run of days off of length ``k`` (capped at MinConsecutiveDaysOff), or a run of
  working days of length ``k`` ≤ MaxConsecutiveShifts whose last shift belongs to the *class* ``c``
  (shifts with the same forbidden successors share a class), plus whether the run started on the first
  day (exempt from MinConsecutiveShifts: the horizon-boundary rule);
* the weekends worked so far (≤ MaxWeekends) and the minutes worked so far in units of the shifts'
  greatest common divisor (≤ MaxTotalMinutes); MinTotalMinutes is checked on the last day.

Shift rotation, MaxConsecutiveShifts, MinConsecutiveShifts, MinConsecutiveDaysOff (runs touching either
end of the horizon exempt), MaxWeekends, Min/MaxTotalMinutes, fixed days off and shift types with a
maximum of 0 are exact. The per-type maxima (MaxShifts) are *relaxed*: the program's optimum is a lower
bound of the pricing problem, and exact when the schedule it returns keeps the maxima
(:meth:`LinePricer.price` says which). The value arrays of one day are numpy arrays over (weekends,
minutes); the Python loop runs over days and state transitions only.
"""

from __future__ import annotations

import math
from functools import reduce

import numpy as np

INF = math.inf
MAX_CELLS = 100_000_000     # days × states × resource cells above which the program is not used
F64_CELLS = 40_000_000      # above this the value arrays are float32 (memory: 4 bytes a cell)
TRACK_CELLS = 4_000_000     # a shift type's count becomes a resource while the cells stay below this


class LinePricer:
    """The dynamic program of employee ``a`` of ``data`` (``curtois._Data``)."""

    def __init__(self, data, a: int):
        inst = data.inst
        emp = inst.employees[a]
        self.h = h = data.h
        self.S = data.n_shifts
        self.allowed = list(data.types[a])
        self.days_off = set(emp.days_off)
        self.max_shifts = {s: emp.max_shifts.get(sh.id, h) for s, sh in enumerate(inst.shifts)}
        lengths = [int(data.lengths[s]) for s in self.allowed]
        g = reduce(math.gcd, lengths, 0) or 1
        self.unit = g
        self.dm = {s: int(data.lengths[s]) // g for s in self.allowed}
        self.M = emp.max_total_min // g                           # most minute units
        self.min_units = -(-emp.min_total_min // g)                # fewest minute units (rounded up)
        self.W = max(0, emp.max_weekends)
        self.cmax = max(1, emp.max_consecutive_shifts)
        self.cmin = max(1, emp.min_consecutive_shifts)
        self.omin = max(1, emp.min_consecutive_days_off)
        banned = {s: set() for s in range(self.S)}
        for s, t in data.pairs:
            banned[s].add(t)
        sig: dict[frozenset, int] = {}
        self.cls = {s: sig.setdefault(frozenset(banned[s]), len(sig)) for s in self.allowed}
        self.cls_banned = {c: set(b) for b, c in sig.items()}
        # states: off runs k = 1..omin, then work runs (class, k, exempt)
        self.states: list[tuple] = [("off", k) for k in range(1, self.omin + 1)]
        for c in sorted(set(self.cls.values())):
            for k in range(1, self.cmax + 1):
                for e in ((0, 1) if k < self.cmin else (0,)):
                    self.states.append(("w", c, k, e))
        self.index = {st: i for i, st in enumerate(self.states)}
        # resources of the value arrays: weekends, minute units, then the counts of the shift types whose
        # maximum can bind (smallest first, while the arrays stay small); the other maxima are relaxed
        self.caps = [self.W, self.M]
        self.tracked: dict[int, int] = {}                   # shift -> resource axis
        workable = min(h - len(self.days_off & set(range(h))), self.M // max(1, min(self.dm.values(), default=1)))
        cells = h * len(self.states) * (self.W + 1) * (self.M + 1)
        for s in sorted(self.allowed, key=lambda s: self.max_shifts[s]):
            limit = self.max_shifts[s]
            if limit < workable and cells * (limit + 1) <= TRACK_CELLS:
                self.tracked[s] = len(self.caps)
                self.caps.append(limit)
                cells *= limit + 1
        self.cells = cells
        self._inc = {-1: (0,) * len(self.caps)}
        for s in self.allowed:
            inc = [0, self.dm[s]] + [0] * (len(self.caps) - 2)
            if s in self.tracked:
                inc[self.tracked[s]] = 1
            self._inc[s] = tuple(inc)
        # request cost of each (day, choice): choice S = off
        self.req_cost = np.zeros((h, self.S + 1))
        for d, s, want, w in data.requests[a]:
            if want:                        # on-request: paid unless s is worked
                self.req_cost[d, :] += w
                self.req_cost[d, s] -= w
            else:
                self.req_cost[d, s] += w
        self._trans: dict[tuple, list[tuple[int, int, int, int, int]]] = {}

    @property
    def usable(self) -> bool:
        return self.M >= 0 and self.cells <= MAX_CELLS

    def _transitions(self, d: int) -> list[tuple[int, int, int, int, int]]:
        """(from state, to state, shift or −1, weekend increment, minute units) of day ``d``."""
        wd = d % 7
        key = (d == 0, d in self.days_off, wd if wd >= 5 else 0)
        if key in self._trans:
            return self._trans[key]
        first, off_day, _ = key
        out = []
        idx = self.index
        starts = [("off", self.omin)] if first else self.states
        for st in starts:
            i = idx[st]
            if st[0] == "off":
                out.append((i, idx["off", min(st[1] + 1, self.omin)] if not first else idx["off", self.omin], -1, 0, 0))
                if st[1] < self.omin or off_day:
                    continue
                for s in self.allowed:
                    e = 1 if first and self.cmin > 1 else 0
                    dw = 1 if wd in (5, 6) else 0
                    out.append((i, idx["w", self.cls[s], 1, e], s, dw, self.dm[s]))
            else:
                _, c, k, e = st
                if k >= self.cmin or e:
                    out.append((i, idx["off", 1], -1, 0, 0))
                if off_day or k + 1 > self.cmax:
                    continue
                e2 = e if k + 1 < self.cmin else 0
                for s in self.allowed:
                    if s in self.cls_banned[c]:
                        continue
                    dw = 1 if wd == 5 else 0        # Sunday after a worked Saturday: weekend counted already
                    out.append((i, idx["w", self.cls[s], k + 1, e2], s, dw, self.dm[s]))
        self._trans[key] = out
        return out

    def _groups(self, d: int) -> list[tuple[int, int, int, np.ndarray | list[int]]]:
        """Day ``d``'s transitions grouped by (to state, shift, weekend increment): the sources' minimum
        is taken once per group."""
        wd = d % 7
        key = ("g", d == 0, d in self.days_off, wd if wd >= 5 else 0)
        if key not in self._trans:
            groups: dict[tuple[int, int, int], list[int]] = {}
            for i, j, s, dw, _dm in self._transitions(d):
                groups.setdefault((j, s, dw), []).append(i)
            self._trans[key] = [(j, s, dw, src[0] if len(src) == 1 else np.array(src))
                                for (j, s, dw), src in groups.items()]
        return self._trans[key]

    def price(self, pi: np.ndarray, *, n_best: int = 3, rounds: int = 6
              ) -> tuple[float, list[np.ndarray], bool]:
        """(a lower bound of the least reduced cost before the convexity dual, up to ``n_best`` schedules
        that keep every rule, whether the bound is exact: the best schedule's own cost). ``pi``: dual per
        (day, shift). Value ``inf`` and no schedule when the employee has none.

        When the best schedule breaks a relaxed per-type maximum, up to ``rounds`` more programs run with
        a Lagrangian price on each shift type worked too often (subgradient steps); each gives the lower
        bound value − Σ price × maximum, and the schedules that keep the maxima are returned (none if
        none was found: the caller prices otherwise)."""
        prices = np.zeros(self.S + 1)
        bound, found, exact = -INF, [], False
        for _ in range(rounds + 1):
            value, pats = self._solve(pi, prices, n_best)
            if not pats:
                return (INF, [], True) if not prices.any() else (bound, found, False)
            lagr = value - sum(prices[s] * self.max_shifts[s] for s in range(self.S))
            bound = max(bound, lagr)
            ok = [p for p in pats if self.keeps_maxima(p)]
            found += ok
            if ok and ok[0] is pats[0] and not prices.any():
                return value, ok, True
            counts = np.bincount(pats[0][pats[0] >= 0], minlength=self.S)
            over = [s for s in range(self.S) if counts[s] > self.max_shifts[s]]
            if not over:
                break
            unit = max(1.0, abs(value) / max(1, self.h))     # about one day's worth of reduced cost
            for s in range(self.S):           # projected subgradient step, relative excess, capped
                excess = (counts[s] - self.max_shifts[s]) / max(1, self.max_shifts[s])
                prices[s] = max(0.0, prices[s] + unit * min(1.0, 0.5 * excess))
        return bound, found[:n_best], False

    def _solve(self, pi: np.ndarray, prices: np.ndarray, n_best: int) -> tuple[float, list[np.ndarray]]:
        """The program with cost ``prices[s]`` added to each shift ``s`` worked: (its optimum, up to
        ``n_best`` schedules of least cost ending in different resource states)."""
        h, caps = self.h, self.caps
        n = len(self.states)
        shape = (n,) + tuple(c + 1 for c in caps)
        cost = self.req_cost.copy()
        cost[:, :self.S] -= pi[:, :self.S] - prices[:self.S]
        dtype = np.float64 if self.cells <= F64_CELLS else np.float32
        values = []
        prev = np.full(shape, INF, dtype=dtype)
        prev[(self.index["off", self.omin],) + (0,) * len(caps)] = 0.0
        slices: dict[tuple[int, int], tuple] = {}
        for d in range(h):
            cur = np.full(shape, INF, dtype=dtype)
            c_d = cost[d].astype(dtype)
            mins: dict[bytes, np.ndarray] = {}
            for j, s, dw, src_states in self._groups(d):
                sl = slices.get((s, dw))
                if sl is None:
                    inc = (dw,) + self._inc[s][1:]
                    sl = slices[s, dw] = ((tuple(slice(0, c + 1 - k) for k, c in zip(inc, caps)),
                                           tuple(slice(k, None) for k in inc))
                                          if all(k <= c for k, c in zip(inc, caps)) else ())
                if not sl:
                    continue
                dst = cur[(j,) + sl[1]]
                if isinstance(src_states, int):
                    src = prev[src_states]
                else:
                    key = src_states.tobytes()
                    src = mins.get(key)
                    if src is None:
                        src = mins[key] = prev[src_states].min(axis=0)
                np.minimum(dst, src[sl[0]] + c_d[s], out=dst)
            values.append(cur)
            prev = cur
        final = prev.copy()
        final[:, :, :min(self.min_units, self.M + 1)] = INF
        flat = final.ravel()
        if not np.isfinite(flat).any():
            return INF, []
        order = np.argsort(flat, kind="stable")
        best = float(flat[order[0]])
        if dtype == np.float32:             # rounding: keep the value a lower bound
            best -= 1e-5 * (abs(best) + 1.0)
        pats: list[np.ndarray] = []
        seen_ends: set[tuple[int, ...]] = set()
        for pos in order[: 50 * n_best]:
            if not np.isfinite(flat[pos]) or len(pats) >= n_best:
                break
            i, *res = (int(v) for v in np.unravel_index(int(pos), final.shape))
            if tuple(res) in seen_ends:
                continue
            seen_ends.add(tuple(res))
            pats.append(self._backtrack(values, cost, i, res))
        return best, pats

    def keeps_maxima(self, pat: np.ndarray) -> bool:
        counts = np.bincount(pat[pat >= 0], minlength=self.S)
        return all(counts[s] <= self.max_shifts[s] for s in range(self.S))

    def _backtrack(self, values: list[np.ndarray], cost: np.ndarray, i: int, res: list[int]) -> np.ndarray:
        pat = np.full(self.h, -1, dtype=np.int64)
        start = self.index["off", self.omin]
        for d in range(self.h - 1, -1, -1):
            target = values[d][(i, *res)]
            best = None
            for fi, j, s, dw, _dm in self._transitions(d):
                if j != i:
                    continue
                inc = (dw,) + self._inc[s][1:]
                before_res = tuple(r - k for r, k in zip(res, inc))
                if min(before_res) < 0:
                    continue
                if d == 0:
                    before = 0.0 if (fi == start and not any(before_res)) else INF
                else:
                    before = values[d - 1][(fi, *before_res)]
                gap = abs(before + cost[d, s] - target)
                if best is None or gap < best[0]:
                    best = (gap, fi, s, before_res)
                    if gap <= (1e-9 if values[d].dtype == np.float64 else 1e-6) * max(1.0, abs(target)):
                        break
            _, i, s, before_res = best
            pat[d] = s
            res = list(before_res)
        return pat
