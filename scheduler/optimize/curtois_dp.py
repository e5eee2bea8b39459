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
(:meth:`LinePricer.price` says which). The forward pass and the backtracking are compiled with numba
(:func:`_forward`, :func:`_backtrack`) over flat value arrays, one a day; the transitions come as arrays
from :meth:`LinePricer._tables`. (In numpy, with a Python loop over the transition groups, a 28-day
program took 1.5-3 times longer and the greedy start of Instance24 9.3 s instead of 6.4 s, the same
schedules.)
"""

from __future__ import annotations

import math
import threading
from functools import reduce

import numpy as np
from numba import njit

INF = math.inf
PACE_DEMAND = True          # a corridor (band) follows the demand's pace rather than a steady one (_paces) ...
PACE_RATE = 0.9             # ... at most this share of the run rules' densest run a day ...
PACE_MIN_DEV = 2.0          # ... where it leaves the steady pace by more than this many corridor widths
MAX_CELLS = 100_000_000     # days × states × resource cells above which the program is not used
F64_CELLS = 40_000_000      # above this the value arrays are float32 (memory: 4 bytes a cell)
TRACK_CELLS = 4_000_000     # a shift type's count becomes a resource while the cells stay below this

DOWN = 0.1                  # a Lagrangian price's fall for a type under its maximum, against its rise

_BUFFERS = threading.local()


def _buffer(n: int, dtype) -> np.ndarray:
    """A flat array of ``n`` items, reused by the thread's next programs: fresh memory for every day's
    values costs more than the program itself on long horizons (page faults)."""
    nbytes = n * np.dtype(dtype).itemsize
    buf = getattr(_BUFFERS, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _BUFFERS.buf = np.empty(nbytes, dtype=np.uint8)
    return buf[:nbytes].view(dtype)


# -- compiled kernels -----------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _max_step(vals, frm, to, dm, lo, hi, out):
    """``out[to[q]]`` = the most of ``vals[frm[q]] + dm[q]`` over the transitions ``q`` in ``lo:hi``."""
    out[:] = -np.inf
    for q in range(lo, hi):
        v = vals[frm[q]] + dm[q]
        if v > out[to[q]]:
            out[to[q]] = v
    vals[:] = out
    return vals.max()


@njit(cache=True, nogil=True)
def _most_passes(n, start, day_key, ptr, t_i, t_j, t_dm):
    """(most units the first ``t`` days can hold, most the days from ``t`` on can add), ``t`` = 0..h, over
    the transitions of each day's key (``ptr[k]:ptr[k + 1]`` of ``t_i`` -> ``t_j`` adding ``t_dm``). (In
    numpy with ``np.maximum.at`` this took 1.4 s on Instance24's employees.)"""
    h = day_key.shape[0]
    most_before = np.zeros(h + 1)
    most_after = np.zeros(h + 1)
    fwd = np.full(n, -np.inf)
    fwd[start] = 0.0
    tmp = np.empty(n)
    for d in range(h):
        k = day_key[d]
        most_before[d + 1] = _max_step(fwd, t_i, t_j, t_dm, ptr[k], ptr[k + 1], tmp)
    back = np.zeros(n)
    for d in range(h - 1, 0, -1):
        k = day_key[d]
        most_after[d] = _max_step(back, t_j, t_i, t_dm, ptr[k], ptr[k + 1], tmp)
    most_after[0] = most_before[h]
    return most_before, most_after

# A day's value array is flat: [state][employee][resources], the resources row-major over the day's
# window (``lo[t]``..``hi[t]`` of each resource after ``t`` days). ``tab`` holds a day key's transitions
# grouped (see :meth:`LinePricer._tables`).


@njit(cache=True, nogil=True)
def _extents(lo, hi, t, ext, stride):
    """Fill the window's extent and row-major stride per resource after ``t`` days; returns its size."""
    R = lo.shape[1]
    size = 1
    for r in range(R - 1, -1, -1):
        ext[r] = hi[t, r] - lo[t, r] + 1
        stride[r] = size
        size *= ext[r]
    return size


@njit(cache=True, nogil=True)
def _forward(n, B, lo, hi, day_key, kg_ptr, g_j, g_inc, g_set, g_mptr, g_mem, s_ptr, s_src, cost, start, buf, offs):
    """The forward pass: ``buf[offs[t]:offs[t + 1]]`` gets the values after day ``t`` (least cost of a
    schedule of the first ``t + 1`` days ending in each state with each resource value; ``inf`` where
    none). Groups of transitions share (destination, increments, sources): the sources' minimum is taken
    once per source set (the groups come sorted by it) and the cheapest member shift counts."""
    h, R = day_key.shape[0], lo.shape[1]
    inf = np.inf
    pext = np.empty(R, np.int64)
    pstr = np.empty(R, np.int64)
    cext = np.empty(R, np.int64)
    cstr = np.empty(R, np.int64)
    a = np.empty(R, np.int64)
    z = np.empty(R, np.int64)
    x = np.empty(R, np.int64)
    gc = np.empty(B, buf.dtype)
    init = np.full(n * B, inf, buf.dtype)           # before the first day: every resource 0
    for b in range(B):
        init[start * B + b] = 0.0
    most = 1
    for t in range(h + 1):
        size = 1
        for r in range(R):
            size *= hi[t, r] - lo[t, r] + 1
        most = max(most, size)
    scratch = np.empty(B * most, buf.dtype)
    for d in range(h):
        psize = _extents(lo, hi, d, pext, pstr)
        csize = _extents(lo, hi, d + 1, cext, cstr)
        prev = init if d == 0 else buf[offs[d - 1]:offs[d]]
        cur = buf[offs[d]:offs[d + 1]]
        cur[:] = inf
        k = day_key[d]
        last = -1
        for g in range(kg_ptr[k], kg_ptr[k + 1]):
            finite = False
            for b in range(B):
                m = inf
                for q in range(g_mptr[g], g_mptr[g + 1]):
                    v = cost[b, d, g_mem[q]]
                    if v < m:
                        m = v
                gc[b] = m
                if m < inf:
                    finite = True
            if not finite:
                continue
            empty = False
            for r in range(R):                      # the box of resource values that can move
                a[r] = max(lo[d, r], lo[d + 1, r] - g_inc[g, r])
                z[r] = min(hi[d, r], hi[d + 1, r] - g_inc[g, r])
                if a[r] > z[r]:
                    empty = True
            if empty:
                continue
            st = g_set[g]
            if s_ptr[st + 1] - s_ptr[st] == 1:     # one source state: its values as they are
                src = prev
                base = s_src[s_ptr[st]] * B * psize
            else:
                src = scratch
                base = 0
                if st != last:                      # the sources' minimum (once per source set)
                    last = st
                    first = s_src[s_ptr[st]] * B * psize
                    for q in range(B * psize):
                        scratch[q] = prev[first + q]
                    for e in range(s_ptr[st] + 1, s_ptr[st + 1]):
                        other = s_src[e] * B * psize
                        for q in range(B * psize):
                            scratch[q] = min(scratch[q], prev[other + q])
            j = g_j[g]
            run = z[R - 1] - a[R - 1] + 1
            for r in range(R):
                x[r] = a[r]
            while True:
                src0 = base
                dst0 = 0
                for r in range(R):
                    src0 += (x[r] - lo[d, r]) * pstr[r]
                    dst0 += (x[r] + g_inc[g, r] - lo[d + 1, r]) * cstr[r]
                for b in range(B):
                    c = gc[b]
                    if c == inf:
                        continue
                    s0 = b * psize + src0
                    d0 = (j * B + b) * csize + dst0
                    for u in range(run):
                        cur[d0 + u] = min(cur[d0 + u], src[s0 + u] + c)
                r = R - 2                           # next point of the box (the last axis runs inside)
                while r >= 0:
                    x[r] += 1
                    if x[r] <= z[r]:
                        break
                    x[r] = a[r]
                    r -= 1
                if r < 0:
                    break
    return 0


@njit(cache=True, nogil=True)
def _backtrack(n, B, lo, hi, day_key, kt_ptr, t_i, t_j, t_c, t_inc, cost, start, buf, offs, row, state, res,
               off_choice, tol):
    """The schedule (choice per day, ``-1`` off) of employee ``row`` ending after the last day in
    ``state`` with the resources ``res`` (absolute values, overwritten)."""
    h, R = day_key.shape[0], lo.shape[1]
    ext = np.empty(R, np.int64)
    stride = np.empty(R, np.int64)
    before = np.empty(R, np.int64)
    pat = np.full(h, -1, np.int64)
    i = state
    for d in range(h - 1, -1, -1):
        csize = _extents(lo, hi, d + 1, ext, stride)
        q = 0
        for r in range(R):
            q += (res[r] - lo[d + 1, r]) * stride[r]
        target = buf[offs[d] + (i * B + row) * csize + q]
        psize = _extents(lo, hi, d, ext, stride)
        k = day_key[d]
        best_gap, best_t = np.inf, -1
        for t in range(kt_ptr[k], kt_ptr[k + 1]):
            if t_j[t] != i:
                continue
            inside = True
            q = 0
            for r in range(R):
                before[r] = res[r] - t_inc[t, r]
                if before[r] < lo[d, r] or before[r] > hi[d, r]:
                    inside = False
                q += (before[r] - lo[d, r]) * stride[r]
            if not inside:
                continue
            if d == 0:
                v = 0.0 if t_i[t] == start else np.inf
            else:
                v = buf[offs[d - 1] + (t_i[t] * B + row) * psize + q]
            gap = abs(v + cost[row, d, t_c[t]] - target)
            if gap < best_gap:
                best_gap, best_t = gap, t
                if gap <= tol * max(1.0, abs(target)):
                    break
        t = best_t
        c = t_c[t]
        pat[d] = -1 if c == off_choice else c
        i = t_i[t]
        for r in range(R):
            res[r] -= t_inc[t, r]
    return pat


def _follow(weights: np.ndarray, total: float, cap: np.ndarray) -> np.ndarray:
    """Amounts in proportion to ``weights`` where below their ``cap``, at the cap elsewhere, adding up to
    ``total`` (water-filling; the caps themselves when they cannot hold it)."""
    if cap.sum() <= total:
        return cap.astype(float)
    lo, hi = 0.0, 1.0
    while np.minimum(hi * weights, cap).sum() < total:
        hi *= 2.0
    for _ in range(60):
        k = 0.5 * (lo + hi)
        lo, hi = (k, hi) if np.minimum(k * weights, cap).sum() < total else (lo, k)
    return np.minimum(hi * weights, cap)


class LinePricer:
    """The dynamic program of employee ``agents`` of ``data`` (``curtois._Data``): one employee (an
    index) or a batch of employees (a list) sharing MaxConsecutiveShifts, MinConsecutiveShifts and
    MinConsecutiveDaysOff, priced together (the arrays get an employee axis: numpy's per-call overhead,
    which dominates on long horizons, is paid once for the batch).

    In a batch each employee's fixed days off and forbidden shift types are infinite costs, and its
    own MaxTotalMinutes, MinTotalMinutes and MaxWeekends are applied to the last day's values (the
    resources only grow, so this is exact); shift-type counts are tracked only for a single employee.

    The value arrays after ``t`` days hold only the resource values a schedule keeping the rules can
    have then (the *windows*): minutes between what the rest of the horizon can still add short of
    MinTotalMinutes and what the first ``t`` days can hold, weekends and tracked counts up to what the
    first ``t`` days contain. These windows remove no schedule, so the program stays exact. With
    ``band`` (in shifts) the windows are narrowed further to a corridor around a steady pace (minutes
    in proportion to the days not fixed off, weekends in proportion to the weekends begun): a
    heuristic for long horizons — its schedules keep every rule, but its value bounds nothing
    (:attr:`exact` is False)."""

    def __init__(self, data, agents, *, band: float | None = None, track: bool = True):
        inst = data.inst
        single = isinstance(agents, (int, np.integer))
        self.agents = [int(agents)] if single else [int(a) for a in agents]
        self.B = len(self.agents)
        emps = [inst.employees[a] for a in self.agents]
        e0 = emps[0]
        rules = {(e.max_consecutive_shifts, e.min_consecutive_shifts, e.min_consecutive_days_off) for e in emps}
        if len(rules) != 1:
            raise ValueError("a batch of employees must share their run-length rules")
        self.h = h = data.h
        self.S = data.n_shifts
        self.allowed = sorted({s for a in self.agents for s in data.types[a]})
        self.days_off = [set(e.days_off) for e in emps]
        self.max_shifts = [{s: e.max_shifts.get(sh.id, h) for s, sh in enumerate(inst.shifts)} for e in emps]
        self.max_arr = np.array([[m[s] for s in range(self.S)] for m in self.max_shifts], dtype=float)
        lengths = [int(data.lengths[s]) for s in self.allowed]
        g = reduce(math.gcd, lengths, 0) or 1
        self.unit = g
        self.dm = {s: int(data.lengths[s]) // g for s in self.allowed}
        self.Ms = [e.max_total_min // g for e in emps]                 # most minute units
        self.mins = [-(-e.min_total_min // g) for e in emps]           # fewest minute units (rounded up)
        self.Ws = [max(0, e.max_weekends) for e in emps]
        self.M, self.W = max(self.Ms), max(self.Ws)
        self.min_units = min(self.mins)
        self.cmax = max(1, e0.max_consecutive_shifts)
        self.cmin = max(1, e0.min_consecutive_shifts)
        self.omin = max(1, e0.min_consecutive_days_off)
        self.band = band
        banned = {s: set() for s in range(self.S)}
        for s, t in data.pairs:
            banned[s].add(t)
        self.banned = banned
        self.lengths = [int(x) for x in data.lengths]
        self.types_of = [sorted(data.types[a]) for a in self.agents]
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
        self.start = self.index["off", self.omin]
        # fixed days off are part of the transitions for one employee, costs for a batch
        self._off_in_trans = self.days_off[0] if self.B == 1 else set()
        self._trans: dict[tuple, object] = {}
        self._tab: dict[str, np.ndarray] | None = None
        self._units: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._unit_arrays: dict[tuple, tuple[np.ndarray, ...]] = {}    # day key -> (from, to, units) of _most_units
        # resources of the value arrays: weekends, minute units, then (one employee) the counts of the
        # shift types whose maximum can bind (smallest first, while the arrays stay small); the other
        # maxima are relaxed and priced (Lagrangian rounds)
        self.caps = [self.W, self.M]
        self.tracked: dict[int, int] = {}                   # shift -> resource axis
        n = len(self.states)
        # (the criterion counts whole arrays, not windows: tracking more types made the programs of the
        # 28-day instances slower than the CP-SAT fallback they avoid, Instances 12 and 13)
        cells = h * n * (self.W + 1) * (self.M + 1)
        if track and self.B == 1:
            workable = min(h - len(self.days_off[0] & set(range(h))),
                           self.M // max(1, min(self.dm.values(), default=1)))
            for s in sorted(self.allowed, key=lambda s: self.max_shifts[0][s]):
                limit = self.max_shifts[0][s]
                if limit < workable and cells * (limit + 1) <= TRACK_CELLS:
                    self.tracked[s] = len(self.caps)
                    self.caps.append(limit)
                    cells *= limit + 1
        self._inc = {-1: (0,) * len(self.caps)}
        for s in self.allowed:
            inc = [0, self.dm[s]] + [0] * (len(self.caps) - 2)
            if s in self.tracked:
                inc[self.tracked[s]] = 1
            self._inc[s] = tuple(inc)
        self._sat_before = np.array([len(range(5, t, 7)) for t in range(h + 1)])      # weekends begun before t
        self.lo, self.hi = self._windows()
        self.cells = n * int(np.prod(self.hi - self.lo + 1, axis=1).sum()) if (self.hi >= self.lo).all() else 0
        self._exact = (self.lo, self.hi)            # (the windows a corridor stays inside: corridor_around)
        if band is not None:
            # the demand's pace: minutes per day, and per weekend (by its Saturday)
            self._day_demand = (data.req * data.lengths[None, :]).sum(axis=1).astype(float)
            self._weekend_demand = {wd[0]: float(data.req[list(wd)].sum()) for wd in data.weekends if wd}
            self.lo, self.hi = self._windows(band=band)
        # request cost of each (employee, day, choice): choice S = off; work on a fixed day off or in a
        # forbidden type is infinite in a batch
        self.req_cost = np.zeros((self.B, h, self.S + 1))
        for b, a in enumerate(self.agents):
            for d, s, want, w in data.requests[a]:
                if want:                        # on-request: paid unless s is worked
                    self.req_cost[b, d, :] += w
                    self.req_cost[b, d, s] -= w
                else:
                    self.req_cost[b, d, s] += w
            if self.B > 1:
                banned_types = [s for s in range(self.S) if s not in data.types[a]]
                self.req_cost[b, :, banned_types] = INF
                off = [d for d in self.days_off[b] if 0 <= d < h]
                self.req_cost[b, off, :self.S] = INF
        self.prices = np.zeros((self.B, self.S + 1))       # Lagrangian prices of the maxima (warm start)

    @property
    def usable(self) -> bool:
        return min(self.Ms) >= 0 and self.cells <= MAX_CELLS

    @property
    def cells_now(self) -> int:
        """Cells of one employee's program with the windows in use (the corridor's, with a band)."""
        return len(self.states) * int(np.prod(np.maximum(0, self.hi - self.lo + 1), axis=1).sum())

    @property
    def exact(self) -> bool:
        """Whether the program's optimum is the pricing problem's (up to the relaxed maxima)."""
        return self.band is None

    def _windows(self, band: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(lowest, highest) value of each resource after ``t`` days, ``t`` = 0..h: arrays (h + 1, resources),
        the union over the employees of the batch."""
        h, R = self.h, len(self.caps)
        lo = np.full((h + 1, R), np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full((h + 1, R), -1, dtype=np.int64)
        sat_before = self._sat_before
        for b in range(self.B):
            off = self.days_off[b]
            if b not in self._units:
                self._units[b] = self._most_units(off)
            most_before, most_after = self._units[b]
            l = np.zeros((h + 1, R), dtype=np.int64)
            u = np.zeros((h + 1, R), dtype=np.int64)
            u[:, 0] = np.minimum(self.Ws[b], sat_before)
            u[:, 1] = np.minimum(self.Ms[b], most_before)
            l[:, 1] = np.maximum(0, self.mins[b] - most_after)
            workable_before = np.cumsum([0] + [d not in off for d in range(h)])
            for s, axis in self.tracked.items():
                u[:, axis] = np.minimum(self.caps[axis], workable_before)
            l[0], u[0] = 0, 0
            if band is not None:
                # the corridor: minutes and weekends at the demand's pace (see _paces)
                top = min(self.Ms[b], int(most_before[h]))
                width = band * max(self.dm.values(), default=1)
                mid, wmid = self._paces(off, 0.5 * (self.mins[b] + top), self.Ws[b], width)
                el, eu = l.copy(), u.copy()
                l[:, 1] = np.maximum(l[:, 1], np.floor(mid - width).astype(np.int64))
                u[:, 1] = np.minimum(u[:, 1], np.ceil(mid + width).astype(np.int64))
                wband = max(2.0, band / 2)
                l[:, 0] = np.maximum(l[:, 0], np.floor(wmid - wband).astype(np.int64))
                u[:, 0] = np.minimum(u[:, 0], np.ceil(wmid + wband).astype(np.int64))
                bad = l > u                 # where the corridor leaves the exact window, keep the window
                l[bad], u[bad] = el[bad], eu[bad]
            lo, hi = np.minimum(lo, l), np.maximum(hi, u)
        return lo, hi

    def corridor_around(self, rows: np.ndarray, band: float) -> tuple[np.ndarray, np.ndarray]:
        """Windows (lowest, highest value of each resource after ``t`` days, as :attr:`lo` / :attr:`hi`) of a
        corridor of ``band`` shifts' minutes and max(2, ``band`` / 2) weekends around the schedules ``rows``
        (employees × days, shift indices, −1 off): the union of their corridors, inside the exact windows
        (other resources as in :attr:`lo` / :attr:`hi`). For best responses on a roster: each employee's own
        schedule lies in it, so its program's optimum is at least as good as the schedule it has. The corridor
        at the demand's pace need not hold it: on Instance24's 60 s end rosters 66 of the 143 employees priced
        in a corridor had left it (by up to 38 units of 120 minutes), and their best responses could not
        improve on their schedules."""
        elo, ehi = self._exact
        lo, hi = self.lo.copy(), self.hi.copy()
        rows = np.atleast_2d(np.asarray(rows, dtype=np.int64))
        h = self.h
        dm = np.zeros(self.S + 1, dtype=np.int64)           # (index −1, a day off: the last, 0)
        for sh, u in self.dm.items():
            dm[sh] = u
        units = np.zeros((len(rows), h + 1), dtype=np.int64)
        units[:, 1:] = np.cumsum(dm[rows], axis=1)
        weekends = np.zeros((len(rows), h + 1), dtype=np.int64)
        for sat in range(5, h, 7):                          # a weekend counts from its first day worked
            on_sat = rows[:, sat] >= 0
            weekends[on_sat, sat + 1:] += 1
            if sat + 1 < h:
                weekends[~on_sat & (rows[:, sat + 1] >= 0), sat + 2:] += 1
        width = band * max(self.dm.values(), default=1)
        wband = max(2.0, band / 2)
        lo[:, 1] = np.maximum(elo[:, 1], np.floor(units.min(axis=0) - width).astype(np.int64))
        hi[:, 1] = np.minimum(ehi[:, 1], np.ceil(units.max(axis=0) + width).astype(np.int64))
        lo[:, 0] = np.maximum(elo[:, 0], np.floor(weekends.min(axis=0) - wband).astype(np.int64))
        hi[:, 0] = np.minimum(ehi[:, 0], np.ceil(weekends.max(axis=0) + wband).astype(np.int64))
        bad = lo > hi
        lo[bad], hi[bad] = elo[bad], ehi[bad]
        return lo, hi

    def _paces(self, off: set[int], units: float, weekends: int, width: float) -> tuple[np.ndarray, np.ndarray]:
        """The corridor's centre after ``t`` days, ``t`` = 0..h: (minute units, weekends worked) of an employee
        with days ``off`` fixed who works ``units`` and ``weekends`` in all, at the pace of the demand (each
        day's minutes of demand, each weekend's cells), as far as the run rules let a pace follow it: at
        most ``PACE_RATE`` of the densest run a day (``max_consecutive_shifts`` of the longest shift, then
        ``min_consecutive_days_off``), at most one weekend a weekend. With ``PACE_DEMAND`` off (or no room to
        follow the demand) the pace is steady: minutes in proportion to the days not fixed off, weekends to
        the weekends begun; so it is too where the demand's pace of minutes stays within ``PACE_MIN_DEV`` times
        the corridor's ``width`` of the steady one (a year of even demand, Instance23: 0.9-1.1 widths; its rosters
        were worse at the demand's pace, 19,126 / 19,242 against 19,034 / 19,026 at 60 s, seeds 0 / 1).
        Instance24's demand grows from ~3,000 hours a week to 9,126 in the last (4.5-5 widths): at a steady
        pace its last weekends were ~100 workers short each; the greedy start 129,415 -> 88,780, the 60 s
        pipeline (seeds 0-2) 49,416 / 49,386 / 49,637 -> 46,653 / 47,375 / 46,680 (``PACE_RATE`` 0.6 / 0.7 /
        0.8 / 1.0: greedy 112,421 / 93,889 / 93,117 / 88,930; at 0.8 the pipeline 47,155 / 46,594 / 47,191).
        Tried: the weekends at each employee's share of the workers each weekend needs (the pairs the weekend
        pairs' bound counts, dealt over the employees in proportion under one weekend each): greedy 94,233."""
        h = self.h
        workable = np.array([d not in off for d in range(h)], dtype=float)
        before = np.concatenate([[0.0], np.cumsum(workable)])
        mid = units * (before / max(1.0, before[-1]))
        wmid = weekends * self._sat_before / max(1, self._sat_before[-1])
        rate = PACE_RATE * self.cmax * max(self.dm.values(), default=1) / (self.cmax + self.omin)
        if not PACE_DEMAND or rate * workable.sum() <= units:
            return mid, wmid
        paced = np.concatenate([[0.0], np.cumsum(_follow(self._day_demand * workable + 1e-9 * workable, units,
                                                         rate * workable))])
        if np.abs(paced - mid).max() <= PACE_MIN_DEV * width:
            return mid, wmid
        sats = sorted(self._weekend_demand)
        open_w = np.array([float(not {sat, sat + 1} <= off) for sat in sats])
        if open_w.sum() > weekends:
            wmid = np.zeros(h + 1)
            per_weekend = _follow(np.array([self._weekend_demand[d] for d in sats]) * open_w + 1e-9 * open_w,
                                  float(weekends), open_w)
            for sat, q in zip(sats, per_weekend):
                wmid[sat + 1:] += q             # (weekends begun: its Saturday is before t)
        return paced, wmid

    def _most_units(self, off: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """Most minute units the first ``t`` days can hold and the days from ``t`` on can add (the run
        rules and the fixed days ``off`` kept), ``t`` = 0..h."""
        h, n = self.h, len(self.states)
        arrays = self._unit_arrays          # (shared by the batch's employees)
        keys: dict[tuple, int] = {}
        day_key = np.empty(h, dtype=np.int64)
        parts = []
        for d in range(h):
            key = self._key(d) + (d in off,)
            if key not in keys:
                keys[key] = len(keys)
                if key not in arrays:
                    t = [(i, j, dm) for i, j, s, _dw, dm in self._transitions(d) if s < 0 or d not in off]
                    arrays[key] = tuple(np.array([x[k] for x in t], dtype=np.int64) for k in range(3))
                parts.append(arrays[key])
            day_key[d] = keys[key]
        ptr = np.zeros(len(parts) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(p[0]) for p in parts])
        cat = [np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for k in range(3)]
        return _most_passes(n, self.start, day_key, ptr, cat[0], cat[1], cat[2].astype(np.float64))

    def _key(self, d: int) -> tuple:
        wd = d % 7
        return (d == 0, d in self._off_in_trans, wd if wd >= 5 else 0)

    def _transitions(self, d: int) -> list[tuple[int, int, int, int, int]]:
        """(from state, to state, shift or −1, weekend increment, minute units) of day ``d``."""
        key = self._key(d)
        if key in self._trans:
            return self._trans[key]
        first, off_day, wd = key
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

    def _tables(self):
        """The transitions of every day as arrays for the compiled kernels: ``day_key`` (the key index of
        each day), then per key the groups (destination, increments, source set, member choices: shifts
        with the same destination, increments and sources, of which only the cheapest counts), sorted by
        source set, and the transitions themselves (for backtracking). A choice is a shift index or
        ``S`` (off)."""
        if self._tab is not None:
            return self._tab
        keys: dict[tuple, int] = {}
        day_key = np.array([keys.setdefault(self._key(d), len(keys)) for d in range(self.h)], dtype=np.int64)
        first_day = {k: next(d for d in range(self.h) if day_key[d] == k) for k in range(len(keys))}
        R = len(self.caps)
        kg_ptr, g_j, g_inc, g_set, g_mptr, g_mem = [0], [], [], [], [0], []
        sets: dict[tuple, int] = {}
        kt_ptr, t_i, t_j, t_c, t_inc = [0], [], [], [], []
        for k in range(len(keys)):
            merged: dict[tuple, list[int]] = {}
            by_shift: dict[tuple[int, int, int], list[int]] = {}
            for i, j, sh, dw, _dm in self._transitions(first_day[k]):
                inc = (dw,) + self._inc[sh][1:]
                c = sh if sh >= 0 else self.S
                by_shift.setdefault((j, c, inc), []).append(i)
                t_i.append(i)
                t_j.append(j)
                t_c.append(c)
                t_inc.append(inc)
            kt_ptr.append(len(t_i))
            for (j, c, inc), src in by_shift.items():
                merged.setdefault((j, inc, tuple(sorted(src))), []).append(c)
            for (j, inc, src), members in sorted(merged.items(), key=lambda kv: kv[0][2]):
                g_j.append(j)
                g_inc.append(inc)
                g_set.append(sets.setdefault(src, len(sets)))
                g_mem += members
                g_mptr.append(len(g_mem))
            kg_ptr.append(len(g_j))
        s_ptr, s_src = [0], []
        for src in sets:                     # (insertion order: ids 0, 1, ...)
            s_src += list(src)
            s_ptr.append(len(s_src))
        # the kernels' resource axes: the minutes (the longest) last, where their innermost loop runs
        perm = [r for r in range(R) if r != 1] + [1]
        i64 = lambda v: np.ascontiguousarray(np.array(v, dtype=np.int64))
        self._tab = dict(
            day_key=day_key, kg_ptr=i64(kg_ptr), g_j=i64(g_j), g_inc=i64(np.reshape(g_inc, (-1, R))[:, perm]),
            g_set=i64(g_set), g_mptr=i64(g_mptr), g_mem=i64(g_mem), s_ptr=i64(s_ptr), s_src=i64(s_src),
            kt_ptr=i64(kt_ptr), t_i=i64(t_i), t_j=i64(t_j), t_c=i64(t_c),
            t_inc=i64(np.reshape(t_inc, (-1, R))[:, perm]),
            perm=np.array(perm), back=np.argsort(perm))
        return self._tab

    def price(self, pi: np.ndarray, *, n_best: int = 3, rounds: int = 6, warm: bool = False
              ) -> tuple[float, list[np.ndarray], bool]:
        """One employee: (a lower bound of the least reduced cost before the convexity dual, up to
        ``n_best`` schedules that keep every rule, whether the bound is exact: the best schedule's own
        cost). ``pi``: dual per (day, shift). Value ``inf`` and no schedule when the employee has none.
        See :meth:`price_all`."""
        return self.price_all(pi, n_best=n_best, rounds=rounds, warm=warm)[0]

    def price_all(self, pi: np.ndarray, *, n_best: int = 3, rounds: int = 6, warm: bool = False,
                  rows: list[int] | None = None, windows: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> list[tuple[float, list[np.ndarray], bool] | None]:
        """:meth:`price` for every employee of the batch: ``pi`` per (day, shift), shared, or per
        (employee, day, shift).

        When an employee's best schedule breaks a relaxed per-type maximum, up to ``rounds`` more
        programs run with a Lagrangian price on each shift type worked too often (subgradient steps);
        each gives the lower bound value − Σ price × maximum, and the schedules that keep the maxima are
        returned (none if none was found: the caller prices otherwise). ``warm``: start from the prices
        of the previous call (fewer rounds; the value stays a lower bound but is never called exact) —
        for heuristic uses. With a ``band`` the value is the corridor's optimum (``inf`` when the
        corridor holds no schedule) and bounds nothing. ``rows``: only these employees of the batch
        (positions; the others' results are None). ``windows``: (lo, hi) instead of the pricer's own (a
        corridor from :meth:`corridor_around`; then too the value bounds nothing)."""
        B = self.B
        pi = np.broadcast_to(pi if pi.ndim == 3 else pi[None], (B, self.h, pi.shape[-1]))
        prices = self.prices if warm else np.zeros((B, self.S + 1))
        bound = np.full(B, -INF)
        found: list[list[np.ndarray]] = [[] for _ in range(B)]
        out: list[tuple[float, list[np.ndarray], bool] | None] = [None] * B
        todo = list(range(B)) if rows is None else list(rows)
        pmax = np.abs(pi).max(axis=(1, 2)) if pi.size else np.zeros(B)
        for _ in range(rounds + 1):
            if not todo:
                break
            cost = self.req_cost[todo].copy()
            cost[:, :, :self.S] -= pi[todo][:, :, :self.S] - prices[todo][:, None, :self.S]
            results = self._solve(cost, todo, n_best, windows=windows)
            nxt = []
            for b, (value, pats) in zip(todo, results):
                if not pats:
                    out[b] = (INF, [], True) if not prices[b].any() else (bound[b], found[b][:n_best], False)
                    continue
                lagr = value - float(prices[b, :self.S] @ self.max_arr[b])
                bound[b] = max(bound[b], lagr)
                ok = [p for p in pats if self.keeps_maxima(p, b)]
                found[b] += ok
                if ok and ok[0] is pats[0] and not prices[b].any():
                    out[b] = (value, ok, True)
                    continue
                counts = np.bincount(pats[0][pats[0] >= 0], minlength=self.S)
                if ok and ok[0] is pats[0] or (counts <= self.max_arr[b]).all():
                    out[b] = (bound[b], self._best(found[b], pi[b], b)[:n_best], False)
                    continue
                excess = (counts - self.max_arr[b]) / np.maximum(1, self.max_arr[b])
                if warm:
                    # heuristic use: a repaired schedule will do; a price falls slower than it rises and
                    # each step is at least a quarter of the largest dual (a type priced out and back in,
                    # round after round, never gives a schedule)
                    base = self.req_cost[b].copy()
                    base[:, :self.S] -= pi[b][:, :self.S]
                    found[b] += [r for r in (self._repair(p, b, base) for p in pats) if r is not None]
                    if found[b]:
                        out[b] = (bound[b], self._best(found[b], pi[b], b)[:n_best], False)
                        continue
                    unit = max(1.0, abs(value) / max(1, self.h), 0.25 * pmax[b])
                    step = np.where(excess > 0, np.minimum(1.0, 0.2 + 0.5 * excess), DOWN * np.maximum(-1.0, excess))
                else:
                    # pricing for the bound: small symmetric steps of about one day's worth of reduced
                    # cost (the steps above weakened column generation's bounds: Instances 6, 11, 17, 18)
                    unit = max(1.0, abs(value) / max(1, self.h))
                    step = np.minimum(1.0, 0.5 * excess)
                prices[b, :self.S] = np.maximum(0.0, prices[b, :self.S] + unit * step)
                nxt.append(b)
            todo = nxt
        for b in todo:
            out[b] = (bound[b], self._best(found[b], pi[b], b)[:n_best], False)
        if warm:
            self.prices = prices
        return out

    def _best(self, pats: list[np.ndarray], pi: np.ndarray, b: int) -> list[np.ndarray]:
        """``pats`` by reduced cost under ``pi`` (row ``b``), best first, without repeats."""
        days = np.arange(self.h)
        base = self.req_cost[b]
        keyed = {}
        for p in pats:
            w = p >= 0
            rc = float(base[days, np.where(w, p, self.S)].sum() - pi[days[w], p[w]].sum())
            keyed.setdefault(p.tobytes(), (rc, len(keyed), p))
        return [p for _, _, p in sorted(keyed.values(), key=lambda x: x[:2])]

    def _repair(self, pat: np.ndarray, b: int, base: np.ndarray) -> np.ndarray | None:
        """``pat`` with the shifts of each type over its maximum changed into other types of the same
        length on the same days (the cheapest changes under ``base`` cost per (day, choice) first,
        succession kept): every other rule is untouched. None when that is not enough."""
        counts = np.bincount(pat[pat >= 0], minlength=self.S)
        limit = self.max_arr[b]
        over = [s for s in range(self.S) if counts[s] > limit[s]]
        if not over:
            return pat
        pat = pat.copy()
        h, banned, length = self.h, self.banned, self.lengths
        allowed = self.types_of[b]

        def fits(d: int, t: int) -> bool:
            before = pat[d - 1] if d > 0 else -1
            after = pat[d + 1] if d + 1 < h else -1
            return (before < 0 or t not in banned[before]) and (after < 0 or after not in banned[t])

        for s in over:
            need = int(counts[s] - limit[s])
            cands = sorted((float(base[d, t] - base[d, s]), int(d), t) for d in np.nonzero(pat == s)[0]
                           for t in allowed if t != s and length[t] == length[s])
            for _, d, t in cands:
                if need == 0:
                    break
                if pat[d] != s or counts[t] >= limit[t] or not fits(d, t):
                    continue
                pat[d] = t
                counts[s] -= 1
                counts[t] += 1
                need -= 1
            if need > 0:
                return None
        return pat

    def _solve(self, cost: np.ndarray, rows: list[int], n_best: int, dtype=None,
               windows: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[float, list[np.ndarray]]]:
        """The program of the employees ``rows`` of the batch with ``cost`` per (employee, day, choice):
        per employee (its optimum, up to ``n_best`` schedules of least cost ending in different resource
        states). The values are float64 unless they would take more than ``F64_CELLS`` cells (or
        ``dtype`` says otherwise). ``windows``: (lo, hi) instead of :attr:`lo` / :attr:`hi`."""
        h, (lo, hi) = self.h, (windows if windows is not None else (self.lo, self.hi))
        B = len(rows)
        if (lo > hi).any():
            return [(INF, [])] * B
        n = len(self.states)
        if dtype is None:
            cells = self.cells if windows is None else n * int(np.prod(hi - lo + 1, axis=1).sum())
            dtype = np.float64 if cells * B <= F64_CELLS else np.float32
        cost = np.ascontiguousarray(cost, dtype=dtype)
        tab = self._tables()
        perm = tab["perm"]
        klo, khi = np.ascontiguousarray(lo[:, perm]), np.ascontiguousarray(hi[:, perm])
        ext = khi[1:] - klo[1:] + 1
        offs = np.zeros(h + 1, dtype=np.int64)
        np.cumsum(n * B * np.prod(ext, axis=1), out=offs[1:])
        buf = _buffer(int(offs[-1]), dtype)
        _forward(n, B, klo, khi, tab["day_key"], tab["kg_ptr"], tab["g_j"], tab["g_inc"], tab["g_set"], tab["g_mptr"],
                 tab["g_mem"], tab["s_ptr"], tab["s_src"], cost, self.start, buf, offs)
        last = buf[offs[h - 1]:offs[h]].reshape((n, B) + tuple(ext[h - 1].tolist()))
        last = last.transpose((0, 1) + tuple(2 + tab["back"]))     # (resources in their own order)
        tol = 1e-9 if dtype == np.float64 else 1e-6
        # each employee's own limits on the last day (the arrays hold the batch's widest)
        res = [np.arange(int(x), int(y) + 1) for x, y in zip(lo[h], hi[h])]
        out = []
        for r, b in enumerate(rows):
            final = last[:, r].copy()
            mask = (res[0] <= self.Ws[b])[:, None] & ((res[1] >= self.mins[b]) & (res[1] <= self.Ms[b]))[None, :]
            final[:, ~mask] = INF
            flat_v = final.ravel()
            finite = np.isfinite(flat_v)
            if not finite.any():
                out.append((INF, []))
                continue
            order = np.argsort(flat_v, kind="stable")
            best = float(flat_v[order[0]])
            if dtype == np.float32:             # rounding: keep the value a lower bound
                best -= 1e-5 * (abs(best) + 1.0)
            pats: list[np.ndarray] = []
            seen_ends: set[tuple[int, ...]] = set()
            for pos in order[: 50 * n_best]:
                if not np.isfinite(flat_v[pos]) or len(pats) >= n_best:
                    break
                i, *rv = (int(v) for v in np.unravel_index(int(pos), final.shape))
                rv = [x + int(o) for x, o in zip(rv, lo[h])]
                if tuple(rv) in seen_ends:
                    continue
                seen_ends.add(tuple(rv))
                pats.append(_backtrack(n, B, klo, khi, tab["day_key"], tab["kt_ptr"], tab["t_i"], tab["t_j"],
                                       tab["t_c"], tab["t_inc"], cost, self.start, buf, offs, r, i,
                                       np.array(rv, dtype=np.int64)[perm], self.S, tol))
            out.append((best, pats))
        return out

    def keeps_maxima(self, pat: np.ndarray, b: int = 0) -> bool:
        counts = np.bincount(pat[pat >= 0], minlength=self.S)
        return bool((counts <= self.max_arr[b]).all())


def compile_kernels(data) -> None:
    """Compile the program's kernels for both value types (or load them from numba's on-disk cache) on
    employee 0 of ``data`` (a small instance): the first use after a change of this module compiles for a
    few seconds, which a timed run should not pay."""
    line = LinePricer(data, 0)
    cost = np.zeros((1, data.h, data.n_shifts + 1))
    for dtype in (np.float64, np.float32):
        line._solve(cost, [0], 1, dtype=dtype)
