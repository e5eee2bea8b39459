"""Local search on a Curtois & Qu roster with incremental (delta) evaluation, compiled with numba.

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
* ``weekend``: for an under-covered (day, shift) on a weekend (half the handoffs there): an employee
  off that day who is at its weekend maximum and does not work that weekend takes it (half the time
  the weekend's other day too, with an under-covered shift it is allowed, else one of its types) and
  gives up another weekend it works within ``WEEKEND_SPAN`` weekends; one of the shifts given up goes
  to an employee off then who works that weekend's other day or has a weekend to spare, or to nobody.
  On Instance20 every employee ends at its weekend maximum and every remaining shortfall lies on a
  weekend: fill and handoff cannot use anyone there. (From the greedy start, 20 s, seeds 1 / 2, load
  1.1-1.8: 8007 / 7586 without, 7286 / 7032 with it.) The weekend given up is the first, from a
  random one on, with which the taker keeps its rules, and the receiver the first that keeps them:
  drawn at random, only 0.3 % (20) to 3-6 % (13) of the transfers were feasible.
* ``complete``: for an under-covered (day, shift) on a weekend (a quarter of the proposals there): an
  employee who works only the weekend's other day takes it, its weekend count unchanged, and keeps its
  run and rest rules by giving up the far end of its run through that other day and/or the nearest day
  of its next run (or sliding that run one day further): the first of these six variants that keeps
  them. A weekend transfer's receiver may complete a weekend the same way. On Instance19 every
  shortfall lies on a weekend and every employee is at its weekend maximum, so each one-day weekend
  is a shortfall (from the same roster, 20 M moves, seeds 0-2, load 4.9-5.4: 4,105 / 4,202 / 4,299
  without, 3,709 / 3,807 / 3,716 with it);
* ``retype``: for an under-covered (day, shift) (a tenth of the proposals there): an employee who works an
  over-covered shift that day and is allowed the short one works it instead, the first from a random one
  on that keeps its rules (Instance23 ends with 1,600 surplus shifts; 10 M moves, seeds 0-2: 25,100 /
  24,942 / 24,761 without, 24,777 / 24,863 / 24,715 with it);
* ``join``: two employees who each work one day of the same weekend, one the Saturday and the other the
  Sunday, make it one two-day weekend: the first takes the second's shift (repairing its runs as a
  completion does) and the second, its weekend now free, takes the days the first gave up where it is off
  (cover unchanged); fills and handoffs can then use the free weekend for a weekend shortfall. When the
  rotation or its maxima forbid the first every partner's shift, the join goes through a third employee
  who works both days, hands the first its shift on that day and takes the partner's. On
  Instance24 every employee is at its weekend maximum and the greedy start has ~800 one-day weekends
  against a weekend capacity only 4 % above the weekend demand (30 s from the greedy start, seeds 3-6:
  66,199 / 66,380 / 65,547 / 66,391 without, 63,731 / 62,826 / 62,087 / 62,024 with joins, ~200 of them
  taken). On 13 and 19-23 few are found (1-20 in 30 s: the other day's shift is mostly one the partner's
  succession forbids) and they stay within their spread (20: 5,621 / 5,589 → 5,491 / 5,500);
* ``request``: an on-request not granted (employee a wants shift s on day d): a takes s and an employee
  who works s that day takes a's old value (its shift, or the day off), so the cover is unchanged; when a
  was off, half of these moves exchange a second day within a week that a works and the other has off,
  so both keep their minutes. They take ``REQUEST_GAIN`` × the requests' share of the objective of the
  ``change`` proposals (at most ``REQUEST_SHARE``; :func:`request_share`): on 13 and 23 the shortfall is at
  its least and requests are what is left (30 s from the greedy start, seeds 0-2: 23 20,759 → 19,929
  mean, 24 58,087 → 55,553, 13 1,646 → 1,534), while where shortfall is the cost (22) the fills keep
  their proposals;
* ``change``: any employee-day to any allowed value (incl. off);
* ``swap``: two employees exchange their assignments on one day or a block of up to a week (cover
  unchanged: only the requests move);
* ``move``: an employee moves one of its shifts to a nearby day off.

Simulated annealing accepts a move of delta δ > 0 with probability exp(−δ/T), T falling geometrically
from ``t_start`` to ``t_end``; the best roster seen is returned. A move's cost change is computed first
and its hard rules are checked only when the annealing would take it (the same chain, drawn in another
order: most proposals are infeasible, and a rejected uphill move no longer pays for the check; from the
same greedy roster, 20 s: 1.40 → 1.62-1.66 M moves/s on Instance20, 1.16 → 1.28 on Instance13). The
check itself looks only at what the changed days touch (:func:`_feasible`); with both, 40 M moves on
Instance20 take 20.7 s instead of 28.9 s, 25 M on Instance13 17.2 s instead of 21.5 s. A targeted move
draws its employees by a few random tries before it scans them all (``DRAWS``; the same law): 15 s,
1.45 → 1.58 M moves/s on 13, 1.94 → 2.03 on 20. Cover-neutral moves (swaps, transfers,
requests of weight 1–3) pass at these temperatures and open room for fills; a shortfall (weight 100)
is never re-opened in practice.

The state lives in numpy arrays (:class:`RosterSearch`) and the move loop is compiled with numba
(``@njit(cache=True, _nrt=False)``; the compiled code is cached on disk, so only the first run after a
change of this file compiles it). The kernels allocate nothing (scratch arrays come from
:class:`RosterSearch`), so they run without numba's reference counting: with it, every array argument of
a kernel call and every row view took an atomic increment and decrement, a third of the loop's time
(perf on Instance24; 20 s from the greedy roster: 28.7 M → 47.6 M moves, the same moves, 2026-12-05).
A move is a small array ``mv`` of at most three changes: row ``i`` holds the
employee, the first day, the number of days and the new values. Random numbers come from a
splitmix64 generator whose state is a one-element array, so a seed and a move budget give the same
roster. The loop runs in chunks of ``CHUNK`` moves; between chunks Python checks the clock and sets the
temperature schedule from the elapsed share of the time.

On several cores the search either runs independent chains side by side and keeps the best, or *splits*
(:func:`_anneal_split`): each thread moves only its own employees (dealt at random, anew every epoch)
against its share of every cell's shortfall or surplus (:func:`split_cover`). The rules are per employee,
so the parts' rosters join into one that keeps them, and the cover penalty is convex and positively
homogeneous, so the joined roster costs at most the sum of the parts' objectives: no epoch makes it
worse. Where the search is far from converged (many employees, long horizons) the split searches the
roster twice as fast instead of twice (30 s from the same greedy rosters, seeds 0-2: Instance24 71,575 /
71,347 / 70,421 with two chains against 67,732 / 66,969 / 67,063 split, Instance23 22,097 / 22,067
against 21,271 / 21,397); with few employees a part lacks partners for its chains and handoffs
(Instance22, 50 employees: 38,968 / 38,629 against 39,120 / 39,880). :mod:`.curtois` splits from 100
employees and 10,000 employee-days (not Instance13's 28 days: there two chains are safer). Splitting the
days instead (each thread a stretch of the horizon, margins kept fixed between them) had to split each
employee's room under its minute, weekend and per-type maxima too; on Instance24, whose employees may vary
their year's minutes by 720 (a shift and a half), that cost more than the speed gained (84,377 against
71,575).

A *guided* run (:func:`guided_anneal`) changes the objective under the search, as a guided local search
does (Voudouris & Tsang): between chunks, every ``every_s`` seconds, each cover cell short at that moment
counts a step and weighs its under weight × (1 + ``boost`` × its steps) (:class:`Guide`; the weights live
in the cover array the loop reads, so the compiled loop is the same). The cells that stay short grow heavy
until trading them for others pays, which at these temperatures a +100 step never does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import numpy as np
from numba import njit

SEG_MAX = 32          # longest change of one employee (a handoff's window of 14 days spans 29)
HANDOFF_WINDOW = 14
WEEKEND_SPAN = 4      # a weekend transfer gives up a weekend at most this many weekends away (29 days)
T_START, T_END = 3.0, 0.2   # the annealing's temperatures (docs/benchmarks.md, table of tries)
CHUNK = 8192          # moves between two looks at the clock (a few milliseconds)
KINDS = ("fill", "chain", "handoff", "change", "swap", "move", "weekend", "complete", "retype", "join", "request")
FILL, CHAIN, HANDOFF, CHANGE, SWAP, MOVE, WEEKEND, COMPLETE, RETYPE, JOIN, REQUEST = range(11)
REQUEST_SHARE = 0.3    # most of the ``change`` proposals that serve an on-request instead (see request_share)
REQUEST_GAIN = 1.5     # ... else this many times the share of the cost that is requests not granted
REQUEST_EXCHANGE = 0.5  # share of the request moves for an employee off that day that exchange two days
REQUEST_WINDOW = 7     # ... the other day within this many days
REQUEST_EVERY = 16     # chunks between two updates of the request share
CHAIN_SEED = 7919      # seed offset between parallel annealing chains
SPLIT_SEED = 104729    # ... and between the epochs of a split search
SPLIT_EPOCHS = 8       # a split search's epochs (the employees are dealt to the parts anew after each)
SPLIT_EPOCH_MIN_S = 1.0
DRAWS = 4             # random tries before a scan when an employee is drawn among those that qualify
RETYPE_SHARE = 0.1     # share of the proposals for a short cell that are retypes
JOIN_SHARE = 0.02      # share of all proposals that are joins (taken from the swaps; 24, 30 s from the greedy
                       # start, seeds 3-4: 66,199 / 66,380 with none, 63,731 / 62,826 at 0.02, 63,839 / 64,538
                       # at 0.04; 0.2 was worse than none)
JOIN_TRIES = 3         # completions tried per join until the giver keeps its rules
JOIN_TRIPLE = True     # a join may go through a third employee (see _join_through; 30 s from the greedy start,
                       # without -> with: 24 seeds 3-5 62,613 / 62,162 / 62,729 -> 60,408 / 60,055 / 59,909,
                       # 19 seeds 0-1 3,776 / 3,698 -> 3,584 / 3,592, 22 38,822 / 38,659 -> 37,588 / 38,587;
                       # 13, 20, 21, 23 within their spread)
COMPLETE_GAP = 10     # a completion slides the next run only when it starts within this many days
# columns of ``emp``: the employee's limits, then its minutes and weekends worked
CMAX, CMIN, OMIN, MMAX, MMIN, WMAX, MIN, WK = range(8)
# last axis of ``cov``: requirement, under- and over-cover weights, employees on the (day, shift)
REQ, WU, WO, N = range(4)
# control block of the annealing: cost, best cost, whether ``best`` holds the current state, shortfall
# cells listed, then the accepted moves per kind
COST, BEST, SAVED, NSHORT, ACC = 0, 1, 2, 3, 4


# -- random numbers (splitmix64; the state is a one-element uint64 array) ------------------------------

@njit(cache=True, _nrt=False)
def _next(rng):
    rng[0] += np.uint64(0x9E3779B97F4A7C15)
    z = rng[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, _nrt=False)
def _rand(rng):
    """Uniform in [0, 1)."""
    return np.float64(_next(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, _nrt=False)
def _below(rng, n):
    """Uniform integer in [0, n) (n > 0)."""
    return np.int64(_next(rng) % np.uint64(n))


def make_rng(seed: int) -> np.ndarray:
    """The generator's state for ``seed``."""
    return np.array([(int(seed) * 0x2545F4914F6CDD1D + 1) % 2**64], dtype=np.uint64)


# -- one employee ------------------------------------------------------------------------------------
# The kernels take the arrays they use (a tuple of arrays passed down costs compile time at every call):
# L (shift minutes), banned (S × S successions), offd (A × h days off), maxs / tcount (A × S maximum and
# count of shifts per type; a maximum of 0 forbids the type), emp (A × 8 limits, minutes and weekends
# worked), wk_of (h: weekend of a day, −1) and wk_days (weekends × 2, −1 padded), rows (A × h), cov (h × S ×
# 4: requirement, under and over weights, count), rc (A × h × S + 1 request cost of a value + 1), able
# (S × A + 1: how many, then the employees allowed a shift), types (A × S + 1: how many, then the allowed
# shifts), and scratch: inc (S), dcov (h × S), cells, buf. rows, cov and rc are of the narrowest integer
# type that holds them (:func:`_small_int`): they stay in the core's cache.

@njit(cache=True, _nrt=False)
def _val(row, mv, i, lo, hi, d):
    """Day ``d`` of employee row ``row`` with change ``i`` of ``mv`` (days ``lo`` .. ``hi`` − 1) applied."""
    if lo <= d < hi:
        return mv[i, 3 + d - lo]
    return row[d]


@njit(cache=True, _nrt=False)
def _run_ok(row, mv, i, lo, hi, x, cmax, cmin, omin):
    """The end of the run (of working days or of days off) through day ``x`` of the changed row, or −1
    when that run breaks the employee's run rules (the minimums do not apply at the horizon's ends)."""
    h = row.shape[0]
    f = _val(row, mv, i, lo, hi, x) >= 0
    b = x
    while b > 0 and (_val(row, mv, i, lo, hi, b - 1) >= 0) == f:
        b -= 1
    e = x
    while e + 1 < h and (_val(row, mv, i, lo, hi, e + 1) >= 0) == f:
        e += 1
    n = e - b + 1
    edge = b == 0 or e == h - 1
    if f:
        if n > cmax or (n < cmin and not edge):
            return -1
    elif n < omin and not edge:
        return -1
    return e


@njit(cache=True, _nrt=False)
def _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, i):
    """Whether employee ``mv[i, 0]`` keeps every hard rule with change ``i`` of ``mv`` applied (the rest
    of its row as it is, which keeps them). Only what a changed day touches is checked: its successions,
    its weekend, and the runs through it and its neighbours when it turns from work to off or back (a
    change may span many unchanged days: a weekend transfer's 29)."""
    a, lo, k = mv[i, 0], mv[i, 1], mv[i, 2]
    row = rows[a]
    h = row.shape[0]
    hi = lo + k
    dmin = 0
    ok = True
    for j in range(k):
        v, old = mv[i, 3 + j], row[lo + j]
        if v == old:
            continue
        if v >= 0:
            if maxs[a, v] <= 0 or offd[a, lo + j]:
                ok = False
                break
            dmin += L[v]
            inc[v] += 1
        if old >= 0:
            dmin -= L[old]
            inc[old] -= 1
    if ok:
        m = emp[a, MIN] + dmin
        if m > emp[a, MMAX] or m < emp[a, MMIN]:
            ok = False
    if ok:
        for j in range(k):
            v = mv[i, 3 + j]
            if v >= 0 and inc[v] > 0 and tcount[a, v] + inc[v] > maxs[a, v]:
                ok = False
                break
    for j in range(k):                  # scratch back to zero
        v, old = mv[i, 3 + j], row[lo + j]
        if v >= 0:
            inc[v] = 0
        if old >= 0:
            inc[old] = 0
    if not ok:
        return False
    # successions and weekends at the changed days (a weekend's days are consecutive: met once in order)
    dw = 0
    last = -1
    for j in range(k):
        d = lo + j
        v = mv[i, 3 + j]
        if v == row[d]:
            continue
        if d > 0:
            p = _val(row, mv, i, lo, hi, d - 1)
            if p >= 0 and v >= 0 and banned[p, v]:
                return False
        if d + 1 < h:
            q = _val(row, mv, i, lo, hi, d + 1)
            if v >= 0 and q >= 0 and banned[v, q]:
                return False
        kw = wk_of[d]
        if kw < 0 or kw == last:
            continue
        last = kw
        now = was = False
        for q in range(2):
            x = wk_days[kw, q]
            if x >= 0:
                now = now or _val(row, mv, i, lo, hi, x) >= 0
                was = was or row[x] >= 0
        dw += np.int64(now) - np.int64(was)
    if dw > 0 and emp[a, WK] + dw > emp[a, WMAX]:
        return False
    # runs through a day that turned from work to off or back, and through its neighbours
    cmax, cmin, omin = emp[a, CMAX], emp[a, CMIN], emp[a, OMIN]
    done = -1                           # runs up to this day are checked
    for j in range(k):
        d = lo + j
        if (mv[i, 3 + j] >= 0) == (row[d] >= 0):
            continue
        for x in range(max(d - 1, done + 1), min(d + 2, h)):
            if x > done:
                done = _run_ok(row, mv, i, lo, hi, x, cmax, cmin, omin)
                if done < 0:
                    return False
    return True


@njit(cache=True, _nrt=False)
def _weekends_worked(wk_of, wk_days, row, lo, hi):
    """Weekends with a shift in ``row`` among those of days ``lo`` .. ``hi`` − 1."""
    out = 0
    last = -1
    for d in range(lo, hi):
        kw = wk_of[d]
        if kw >= 0 and kw != last:
            last = kw
            for q in range(2):
                x = wk_days[kw, q]
                if x >= 0 and row[x] >= 0:
                    out += 1
                    break
    return out


@njit(cache=True, _nrt=False)
def _apply(L, wk_of, wk_days, rows, cov, tcount, emp, mv, i):
    """Apply change ``i`` of ``mv`` to the state."""
    a, lo, k = mv[i, 0], mv[i, 1], mv[i, 2]
    row = rows[a]
    before = _weekends_worked(wk_of, wk_days, row, lo, lo + k)
    for j in range(k):
        d = lo + j
        v, old = mv[i, 3 + j], row[d]
        if v == old:
            continue
        if old >= 0:
            cov[d, old, N] -= 1
            tcount[a, old] -= 1
            emp[a, MIN] -= L[old]
        if v >= 0:
            cov[d, v, N] += 1
            tcount[a, v] += 1
            emp[a, MIN] += L[v]
        row[d] = v
    emp[a, WK] += _weekends_worked(wk_of, wk_days, row, lo, lo + k) - before


@njit(cache=True, _nrt=False)
def _change(rows, cov, rc, hasreq, dcov, cells, mv, nm):
    """Objective change of the ``nm`` changes in ``mv`` (distinct employees), their hard rules unchecked.
    ``hasreq`` (A × h): whether the employee-day has a request at all (a quarter of them on 13, 22-24), so
    that most changes skip ``rc``, which on Instance24 (1.8 MB) lies outside the core's cache."""
    total = 0
    nc = 0
    for i in range(nm):
        a, lo, k = mv[i, 0], mv[i, 1], mv[i, 2]
        for j in range(k):
            d = lo + j
            v, old = mv[i, 3 + j], rows[a, d]
            if v == old:
                continue
            if hasreq[a, d]:
                total += np.int64(rc[a, d, v + 1]) - np.int64(rc[a, d, old + 1])
            if old >= 0:
                dcov[d, old] -= 1
                cells[nc, 0], cells[nc, 1] = d, old
                nc += 1
            if v >= 0:
                dcov[d, v] += 1
                cells[nc, 0], cells[nc, 1] = d, v
                nc += 1
    for q in range(nc):
        d, s = cells[q, 0], cells[q, 1]
        c = dcov[d, s]
        if c != 0:
            r, cnt = cov[d, s, REQ], cov[d, s, N]
            total += (cov[d, s, WU] * (max(0, r - cnt - c) - max(0, r - cnt))
                      + cov[d, s, WO] * (max(0, cnt + c - r) - max(0, cnt - r)))
            dcov[d, s] = 0
    return total


@njit(cache=True, _nrt=False)
def _all_feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, nm):
    """Whether every employee of the ``nm`` changes in ``mv`` keeps its hard rules."""
    for i in range(nm):
        if not _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, i):
            return False
    return True


def _cover_cost(cov: np.ndarray) -> int:
    """The cover part of the objective of the state ``cov``."""
    cov = cov.astype(np.int64)
    gap = cov[:, :, REQ] - cov[:, :, N]
    return int((cov[:, :, WU] * np.maximum(0, gap)).sum() + (cov[:, :, WO] * np.maximum(0, -gap)).sum())


@njit(cache=True, _nrt=False)
def _deficits(cov, short):
    """List the under-covered (day, shift) cells with a shortfall weight in ``short``; their number."""
    m = 0
    for d in range(cov.shape[0]):
        for s in range(cov.shape[1]):
            if cov[d, s, N] < cov[d, s, REQ] and cov[d, s, WU] > 0:
                short[m, 0], short[m, 1] = d, s
                m += 1
    return m


@njit(cache=True, _nrt=False)
def _weekend_allows(emp, wk_of, wk_days, rows, a, d):
    """Whether employee ``a`` may work on day ``d`` as far as its weekend maximum goes (a weekday, a
    weekend it already works, or weekends to spare)."""
    kw = wk_of[d]
    if kw < 0 or emp[a, WK] < emp[a, WMAX]:
        return True
    for q in range(2):
        x = wk_days[kw, q]
        if x >= 0 and rows[a, x] >= 0:
            return True
    return False


@njit(cache=True, _nrt=False)
def _room(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, a, d, s):
    """Whether employee ``a``, off on day ``d``, has the minutes and the weekend to work ``s`` then."""
    if offd[a, d] or emp[a, MIN] + L[s] > emp[a, MMAX] or maxs[a, s] <= tcount[a, s]:
        return False
    return _weekend_allows(emp, wk_of, wk_days, rows, a, d)


@njit(cache=True, _nrt=False)
def _single(mv, i, a, d, v):
    mv[i, 0], mv[i, 1], mv[i, 2], mv[i, 3] = a, d, 1, v


@njit(cache=True, _nrt=False)
def _two_days(mv, i, row, a, d, vd, x, vx):
    """Change ``i`` of ``mv``: employee ``a`` (row ``row``) with day ``d`` set to ``vd`` and day ``x`` to ``vx``
    (the days between as they are)."""
    lo, hi = min(d, x), max(d, x)
    mv[i, 0], mv[i, 1], mv[i, 2] = a, lo, hi - lo + 1
    for j in range(hi - lo + 1):
        mv[i, 3 + j] = row[lo + j]
    mv[i, 3 + d - lo], mv[i, 3 + x - lo] = vd, vx


@njit(cache=True, _nrt=False)
def _retype(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, inc, mv, rng, d, s):
    """A retype for the under-covered (``d``, ``s``) into ``mv``: an employee who works an over-covered
    shift on ``d`` and is allowed ``s`` works ``s`` instead (the first, from a random one on, that keeps
    its rules). Returns the number of changes (0: none)."""
    A = rows.shape[0]
    for t in range(cov.shape[1]):       # (a scan of the employees reads a cache line each: look first)
        if t != s and cov[d, t, N] > cov[d, t, REQ]:
            break
    else:
        return 0
    a0 = _below(rng, A)
    for q in range(A):
        a = (a0 + q) % A
        t = rows[a, d]
        if t < 0 or t == s or maxs[a, s] <= 0 or cov[d, t, N] <= cov[d, t, REQ]:
            continue
        _single(mv, 0, a, d, s)
        if _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 0):
            return 1
    return 0


@njit(cache=True, _nrt=False)
def _draw_taker(emp, offd, wk_of, wk_days, rows, able, buf, rng, d, s, weekend_room):
    """An employee allowed ``s``, off on day ``d`` (not a fixed day off), whose weekends allow ``d``
    (``weekend_room``) or do not, drawn uniformly among those; −1 when there is none. (``DRAWS`` random
    tries first, then a scan of them all: the same law, without the scan when they are common.)"""
    n = able[s, 0]
    if n == 0:
        return -1
    for _ in range(DRAWS):
        a = able[s, 1 + _below(rng, n)]
        if rows[a, d] < 0 and not offd[a, d] and _weekend_allows(emp, wk_of, wk_days, rows, a, d) == weekend_room:
            return a
    nc = 0
    for q in range(n):
        a = able[s, 1 + q]
        if rows[a, d] < 0 and not offd[a, d] and _weekend_allows(emp, wk_of, wk_days, rows, a, d) == weekend_room:
            buf[nc] = a
            nc += 1
    if nc == 0:
        return -1
    return buf[_below(rng, nc)]


@njit(cache=True, _nrt=False)
def _handoff(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, able, buf, mv, rng, d, s, window):
    """A targeted handoff for the under-covered (``d``, ``s``) into ``mv``: an employee off on ``d`` whose
    weekends allow it takes it and gives one of its shifts within ``window`` days to an employee off
    then who has the minutes and the weekend for it. Returns the number of changes (0: none)."""
    h = rows.shape[1]
    a = _draw_taker(emp, offd, wk_of, wk_days, rows, able, buf, rng, d, s, True)
    if a < 0:
        return 0
    row = rows[a]
    if emp[a, MIN] + L[s] <= emp[a, MMAX] and _rand(rng) < 0.5:
        _single(mv, 0, a, d, s)
        return 1
    nw = 0
    for x in range(max(0, d - window), min(h, d + window + 1)):
        if x != d and row[x] >= 0:
            buf[nw] = x
            nw += 1
    if nw == 0:
        return 0
    x = buf[_below(rng, nw)]
    u = row[x]
    _two_days(mv, 0, row, a, d, s, x, -1)
    n = able[u, 0]
    for _ in range(DRAWS):         # (as in _draw_taker: random tries, then a scan)
        b = able[u, 1 + _below(rng, n)]
        if b != a and rows[b, x] < 0 and _room(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, b, x, u):
            _single(mv, 1, b, x, u)
            return 2
    nt = 0
    for q in range(n):
        b = able[u, 1 + q]
        if b != a and rows[b, x] < 0 and _room(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, b, x, u):
            buf[nt] = b
            nt += 1
    if nt:
        _single(mv, 1, buf[_below(rng, nt)], x, u)
        return 2
    # nobody: the shortfall moves to (x, u) (cost-neutral for equal weights), where it may be filled
    return 1


@njit(cache=True, _nrt=False)
def _weekend_transfer(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, able, types, inc, buf, mv,
                      rng, d, s):
    """A weekend transfer for the under-covered (``d``, ``s``), ``d`` a weekend day, into ``mv``: an
    employee allowed ``s``, off on ``d`` and at its weekend maximum (so no fill or handoff can use it)
    takes it (half the time the weekend's other day too) and gives up another weekend it works, at most
    ``WEEKEND_SPAN`` weekends away: the first of them, from a random one on, that keeps its hard rules.
    One of the shifts given up goes to the first employee, from a random one on, who is off that day
    and keeps its rules with it (so works that weekend's other day or has a weekend to spare), else
    to nobody. Returns the number of changes (0: no such employee or weekend)."""
    kd = wk_of[d]
    nwk = wk_days.shape[0]
    a = _draw_taker(emp, offd, wk_of, wk_days, rows, able, buf, rng, d, s, False)
    if a < 0:
        return 0
    row = rows[a]
    e = wk_days[kd, 0] + wk_days[kd, 1] - d if wk_days[kd, 1] >= 0 else -1     # the other day of d's weekend
    ve = -1                    # its value when taken too: an under-covered shift allowed, else any type
    if e >= 0 and not offd[a, e] and types[a, 0] > 0 and _rand(rng) < 0.5:
        for t in range(cov.shape[1]):
            if maxs[a, t] > 0 and cov[e, t, N] < cov[e, t, REQ] and (ve < 0 or _rand(rng) < 0.5):
                ve = t
        if ve < 0:
            ve = types[a, 1 + _below(rng, types[a, 0])]
    nw = 0
    for k in range(max(0, kd - WEEKEND_SPAN), min(nwk, kd + WEEKEND_SPAN + 1)):
        if k != kd:
            for q in range(2):
                x = wk_days[k, q]
                if x >= 0 and row[x] >= 0:
                    buf[nw] = k
                    nw += 1
                    break
    if nw == 0:
        return 0
    k0 = _below(rng, nw)
    k = -1
    for q in range(nw):
        kk = buf[(k0 + q) % nw]
        lo, hi = d, d
        for z in range(2):
            for y in (wk_days[kk, z], wk_days[kd, z]):
                if y >= 0:
                    lo, hi = min(lo, y), max(hi, y)
        if hi - lo + 1 > SEG_MAX:
            continue
        mv[0, 0], mv[0, 1], mv[0, 2] = a, lo, hi - lo + 1
        for j in range(hi - lo + 1):
            mv[0, 3 + j] = row[lo + j]
        mv[0, 3 + d - lo] = s
        if ve >= 0:
            mv[0, 3 + e - lo] = ve
        for z in range(2):
            y = wk_days[kk, z]
            if y >= 0:
                mv[0, 3 + y - lo] = -1
        if _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 0):
            k = kk
            break
    if k < 0:
        return 0
    nx = 0
    for z in range(2):
        y = wk_days[k, z]
        if y >= 0 and row[y] >= 0:
            buf[nx] = y
            nx += 1
    x = buf[_below(rng, nx)]
    u = row[x]
    n_able = able[u, 0]
    if n_able == 0:
        return 1
    b0 = _below(rng, n_able)
    for q in range(n_able):
        b = able[u, 1 + (b0 + q) % n_able]
        if b != a and rows[b, x] < 0 and _room(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, b, x, u):
            _single(mv, 1, b, x, u)
            if _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 1):
                return 2
        # one who works that weekend's other day completes it, repairing its runs (see _completion)
        if (b != a and rows[b, x] < 0 and not offd[b, x] and wk_days[k, 1] >= 0
                and rows[b, wk_days[k, 0] + wk_days[k, 1] - x] >= 0
                and _completion(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 1, rng, b, x, u)):
            return 2
    return 1


@njit(cache=True, _nrt=False)
def _completion(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, i, rng, a, d, s):
    """Change ``i`` of ``mv``: employee ``a``, off on the weekend day ``d`` and working the weekend's other
    day ``e``, takes ``s`` on ``d`` (its weekend count unchanged) and, to keep its run and rest rules,
    optionally gives up the far end of its run through ``e`` and/or the day of its next run nearest
    beyond ``d`` (or slides that run one day further): the first of the six variants, from a random one
    on, that keeps its hard rules. Returns whether one does."""
    kd = wk_of[d]
    e = wk_days[kd, 0] + wk_days[kd, 1] - d
    row = rows[a]
    h = row.shape[0]
    step = 1 if d > e else -1              # from e towards d
    p = e                                  # far end of the run through e
    while 0 <= p - step < h and row[p - step] >= 0:
        p -= step
    # beyond d: the next run n0 .. m (n0 = d + step when d joins it); n0 = -1 when none is near
    n0 = d + step
    while 0 <= n0 < h and row[n0] < 0 and abs(n0 - d) <= COMPLETE_GAP:
        n0 += step
    if not (0 <= n0 < h) or row[n0] < 0:
        n0 = -1
    m = n0
    if n0 >= 0:
        while 0 <= m + step < h and row[m + step] >= 0:
            m += step
    k0 = _below(rng, 6)
    for q in range(6):
        var = (k0 + q) % 6
        drop_p, side = var // 3, var % 3         # side: 0 nothing, 1 the next run gives up a day, 2 slides
        if (drop_p and p == e) or (side > 0 and n0 < 0):
            continue
        if side == 2 and (n0 == d + step or not 0 <= m + step < h):
            continue
        lo, hi = min(p, d), max(p, d)
        if side > 0:
            far = m + step if side == 2 else m
            lo, hi = min(lo, n0, far), max(hi, n0, far)
        if hi - lo + 1 > SEG_MAX:
            continue
        mv[i, 0], mv[i, 1], mv[i, 2] = a, lo, hi - lo + 1
        for j in range(hi - lo + 1):
            mv[i, 3 + j] = row[lo + j]
        mv[i, 3 + d - lo] = s
        if drop_p:
            mv[i, 3 + p - lo] = -1
        if side == 1:                      # the next run's day nearest d (its far end when d joins it)
            x = m if n0 == d + step else n0
            mv[i, 3 + x - lo] = -1
        elif side == 2:                    # the next run one day further
            x = m + step
            while x != n0:
                mv[i, 3 + x - lo] = row[x - step]
                x -= step
            mv[i, 3 + n0 - lo] = -1
        if _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, i):
            return True
    return False


@njit(cache=True, _nrt=False)
def _complete(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, able, inc, buf, mv, rng, d, s):
    """A weekend completion for the under-covered (``d``, ``s``), ``d`` a weekend day, into ``mv``: an
    employee allowed ``s`` who works only the weekend's other day takes it (:func:`_completion`).
    Returns the number of changes (0: none)."""
    kd = wk_of[d]
    if wk_days[kd, 1] < 0:
        return 0
    e = wk_days[kd, 0] + wk_days[kd, 1] - d
    n = able[s, 0]
    if n == 0:
        return 0
    a = -1
    for _ in range(DRAWS):         # (as in _draw_taker: random tries, then a scan)
        b = able[s, 1 + _below(rng, n)]
        if rows[b, d] < 0 and rows[b, e] >= 0 and not offd[b, d]:
            a = b
            break
    if a < 0:
        nc = 0
        for q in range(n):
            b = able[s, 1 + q]
            if rows[b, d] < 0 and rows[b, e] >= 0 and not offd[b, d]:
                buf[nc] = b
                nc += 1
        if nc == 0:
            return 0
        a = buf[_below(rng, nc)]
    if _completion(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 0, rng, a, d, s):
        return 1
    return 0


@njit(cache=True, _nrt=False)
def _takes(banned, maxs, tcount, row, a, x, u):
    """Whether employee ``a`` (row ``row``), off on day ``x``, could work shift ``u`` then as far as its
    maximum of ``u`` and the successions with its neighbouring days go (``u`` < 0: no)."""
    if u < 0 or tcount[a, u] >= maxs[a, u]:
        return False
    if x > 0 and row[x - 1] >= 0 and banned[row[x - 1], u]:
        return False
    return not (x + 1 < row.shape[0] and row[x + 1] >= 0 and banned[u, row[x + 1]])


@njit(cache=True, _nrt=False)
def _taken_over(row, row_b, offd_b, mv, d, j):
    """Whether day ``d`` (position ``j`` of change 0 of ``mv``) is a shift the first employee of a join
    (row ``row``) gives up and its partner (row ``row_b``, fixed days off ``offd_b``) is free to take."""
    return mv[0, 3 + j] < 0 and row[d] >= 0 and row_b[d] < 0 and not offd_b[d]


@njit(cache=True, _nrt=False)
def _join(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, buf, mv, rng, emps, nemps, triple):
    """A join into ``mv``: two employees who each work one day of the same weekend, ``a`` the Saturday and
    ``b`` the Sunday or the other way round, make it one two-day weekend: ``a`` takes ``b``'s shift on
    the day it is off (:func:`_completion`, which may give up or slide a day of ``a``'s runs to keep its
    rules) and ``b`` gives it up, taking in turn the days ``a`` gave up where it is off. The cover is
    unchanged (but where ``b`` cannot take a day ``a`` gave up) and ``b`` has a weekend to spare, which
    fills and handoffs can then use for a weekend shortfall. When no partner's shift fits ``a`` and
    ``triple`` is set, the join goes through a third employee (:func:`_join_through`, change 2 of ``mv``)
    who hands ``a`` its shift on that day and takes ``b``'s. All are drawn among ``emps``. Returns the
    number of changes (0: none found)."""
    nwk = wk_days.shape[0]
    a = emps[_below(rng, nemps)]
    row = rows[a]
    k0 = _below(rng, nwk)
    x = y = -1                       # a's day off and the day it works on that weekend
    for q in range(nwk):
        k = (k0 + q) % nwk
        x0, x1 = wk_days[k, 0], wk_days[k, 1]
        if x1 < 0 or (row[x0] >= 0) == (row[x1] >= 0):
            continue
        x, y = (x1, x0) if row[x0] >= 0 else (x0, x1)
        if not offd[a, x]:
            break
        x = -1
    if x < 0:
        return 0
    b = -1
    for _ in range(DRAWS):           # (as in _draw_taker: random tries, then a scan)
        c = emps[_below(rng, nemps)]
        if c != a and rows[c, y] < 0 and _takes(banned, maxs, tcount, row, a, x, rows[c, x]):
            b = c
            break
    if b < 0:
        nc = 0
        for q in range(nemps):
            c = emps[q]
            if c != a and rows[c, y] < 0 and _takes(banned, maxs, tcount, row, a, x, rows[c, x]):
                buf[nc] = c
                nc += 1
        if nc > 0:
            b = buf[_below(rng, nc)]
    mid = -1      # (none fits a: through a third employee who works both days and trades its shift on x)
    if b < 0:
        if not triple:
            return 0
        b, mid = _join_through(banned, maxs, tcount, rows, buf, rng, emps, nemps, a, x, y)
        if mid < 0:
            return 0
        _single(mv, 2, mid, x, rows[b, x])
        if not _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 2):
            return 0
    u = rows[b, x] if mid < 0 else rows[mid, x]        # the shift a takes
    for _ in range(JOIN_TRIES):
        if not _completion(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 0, rng, a, x, u):
            return 0
        lo0, n0 = mv[0, 1], mv[0, 2]
        lo, hi = x, x                # b's change: x, and the days a gives up where b is off (when they fit)
        for j in range(n0):
            if _taken_over(row, rows[b], offd[b], mv, lo0 + j, j):
                lo, hi = min(lo, lo0 + j), max(hi, lo0 + j)
        take = hi - lo + 1 <= SEG_MAX
        if not take:
            lo, hi = x, x
        mv[1, 0], mv[1, 1], mv[1, 2] = b, lo, hi - lo + 1
        for j in range(hi - lo + 1):
            mv[1, 3 + j] = rows[b, lo + j]
        if take:
            for j in range(n0):
                if _taken_over(row, rows[b], offd[b], mv, lo0 + j, j):
                    mv[1, 3 + lo0 + j - lo] = row[lo0 + j]
        mv[1, 3 + x - lo] = -1
        if _feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, 1):
            return 2 if mid < 0 else 3
    return 0


@njit(cache=True, _nrt=False)
def _join_through(banned, maxs, tcount, rows, buf, rng, emps, nemps, a, x, y):
    """For a join of employee ``a`` (off on the weekend day ``x``, working the other day ``y``) whose
    partners' shifts on ``x`` the rotation or its maxima forbid: a partner ``b`` who works ``x`` only,
    and a third employee who works both days, whose shift on ``x`` ``a`` may take and who may take
    ``b``'s instead (as far as the maxima and the neighbouring days' successions go); (b, third), the
    third −1 when there is none."""
    row = rows[a]
    nc = 0
    for q in range(nemps):
        c = emps[q]
        if c != a and rows[c, y] < 0 and rows[c, x] >= 0:
            buf[nc] = c
            nc += 1
    if nc == 0:
        return -1, -1
    b = buf[_below(rng, nc)]
    u = rows[b, x]
    nc = 0
    for q in range(nemps):
        m = emps[q]
        v = rows[m, x]
        if (m != a and m != b and v >= 0 and v != u and rows[m, y] >= 0 and _takes(banned, maxs, tcount, row, a, x, v)
                and _takes(banned, maxs, tcount, rows[m], m, x, u)):
            buf[nc] = m
            nc += 1
    if nc == 0:
        return b, -1
    return b, buf[_below(rng, nc)]


@njit(cache=True, _nrt=False)
def _propose(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, able, types, inc, buf, mv, rng, short,
             nshort, kind, emps, nemps, pjoin, triple, reqs, preq):
    """One random move into ``mv``; returns its number of changes (0 when the draw gives nothing to do)
    and sets ``kind[0]``. The untargeted moves draw their employees among the first ``nemps`` of ``emps``
    (all employees but in a split search); ``pjoin`` of all proposals are joins (through a third employee
    where need be with ``triple``)."""
    A, h = rows.shape[0], rows.shape[1]
    r = _rand(rng)
    if nshort > 0 and r < 0.35:
        q = _below(rng, nshort)
        d, s = short[q, 0], short[q, 1]
        if cov[d, s, N] >= cov[d, s, REQ] or able[s, 0] == 0:
            return 0
        if _rand(rng) < RETYPE_SHARE:
            kind[0] = RETYPE
            return _retype(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, inc, mv, rng, d, s)
        a = able[s, 1 + _below(rng, able[s, 0])]
        t = rows[a, d]
        if t == s or offd[a, d]:
            return 0
        u = _rand(rng)
        if u < 0.4:                                      # fill
            kind[0] = FILL
            _single(mv, 0, a, d, s)
            return 1
        if u < 0.7 and t >= 0:                           # chain: someone else takes t
            if able[t, 0] == 0:
                return 0
            b = able[t, 1 + _below(rng, able[t, 0])]
            if b == a or rows[b, d] == t or offd[b, d]:
                return 0
            kind[0] = CHAIN
            _single(mv, 0, a, d, s)
            _single(mv, 1, b, d, t)
            return 2
        if wk_of[d] >= 0 and _rand(rng) < 0.5:
            kind[0] = WEEKEND
            return _weekend_transfer(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, able, types, inc,
                                     buf, mv, rng, d, s)
        if wk_of[d] >= 0 and _rand(rng) < 0.5:
            kind[0] = COMPLETE
            return _complete(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, able, inc, buf, mv, rng, d, s)
        kind[0] = HANDOFF
        return _handoff(L, offd, maxs, tcount, emp, wk_of, wk_days, rows, able, buf, mv, rng, d, s, HANDOFF_WINDOW)
    if r < 0.5 and reqs.shape[0] > 0 and _rand(rng) < preq:
        kind[0] = REQUEST
        return _request(maxs, offd, rows, able, buf, mv, rng, reqs)
    if r < 0.5:                                          # change
        kind[0] = CHANGE
        a, d = emps[_below(rng, nemps)], _below(rng, h)
        na = types[a, 0]
        v = -1
        if not (_rand(rng) < 0.3 or na == 0):
            v = types[a, 1 + _below(rng, na)]
        if v == rows[a, d]:
            return 0
        _single(mv, 0, a, d, v)
        return 1
    if r < 0.5 + pjoin:                                  # join two one-day weekends
        kind[0] = JOIN
        return _join(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, buf, mv, rng, emps, nemps,
                     triple)
    if r < 0.85:                                         # swap (a day or a block)
        kind[0] = SWAP
        a, b = emps[_below(rng, nemps)], emps[_below(rng, nemps)]
        if a == b:
            return 0
        k = 1 if _rand(rng) < 0.5 else 2 + _below(rng, 6)
        lo = _below(rng, max(1, h - k + 1))
        k = min(k, h - lo)
        same = True
        for j in range(k):
            if rows[a, lo + j] != rows[b, lo + j]:
                same = False
        if same:
            return 0
        mv[0, 0], mv[0, 1], mv[0, 2] = a, lo, k
        mv[1, 0], mv[1, 1], mv[1, 2] = b, lo, k
        for j in range(k):
            mv[0, 3 + j], mv[1, 3 + j] = rows[b, lo + j], rows[a, lo + j]
        return 2
    kind[0] = MOVE                                       # move a shift to a nearby day off
    a, d = emps[_below(rng, nemps)], _below(rng, h)
    v = rows[a, d]
    if v < 0:
        return 0
    o = _below(rng, 6)
    x = d + (o - 3 if o < 3 else o - 2)
    if not 0 <= x < h or rows[a, x] >= 0:
        return 0
    _two_days(mv, 0, rows[a], a, d, -1, x, v)
    return 1


@njit(cache=True, _nrt=False)
def _request(maxs, offd, rows, able, buf, mv, rng, reqs):
    """A move for an on-request (employee ``a`` wants shift ``s`` on day ``d``, drawn from ``reqs``) not
    granted: ``a`` takes ``s`` and an employee ``b`` who works ``s`` that day takes ``a``'s old value (its
    shift, or the day off), so the cover stays as it was. When ``a`` was off, ``a`` works a day more and
    ``b`` one less; ``REQUEST_EXCHANGE`` of those moves instead exchange a second day within
    ``REQUEST_WINDOW`` that ``a`` works and ``b`` has off (``b`` takes ``a``'s shift there), so both keep
    their minutes when the shifts are as long. Returns the number of changes (0: none to make)."""
    q = _below(rng, reqs.shape[0])
    a, d, s = reqs[q, 0], reqs[q, 1], reqs[q, 2]
    t = rows[a, d]
    if t == s or offd[a, d]:
        return 0
    _single(mv, 0, a, d, s)
    nb = 0
    for k in range(able[s, 0]):
        b = able[s, 1 + k]
        if b != a and rows[b, d] == s and (t < 0 or maxs[b, t] > 0):
            buf[nb] = b
            nb += 1
    if nb == 0:
        return 0
    b = buf[_below(rng, nb)]
    if t < 0 and _rand(rng) < REQUEST_EXCHANGE:
        # ``a`` works one day more, ``b`` one less: exchange a day ``a`` works and ``b`` is off too
        h = rows.shape[1]
        nx = 0
        for x in range(max(0, d - REQUEST_WINDOW), min(h, d + REQUEST_WINDOW + 1)):
            u = rows[a, x]
            if x != d and u >= 0 and rows[b, x] < 0 and not offd[b, x] and maxs[b, u] > 0:
                buf[nx] = x
                nx += 1
        if nx > 0:
            x = buf[_below(rng, nx)]
            _two_days(mv, 0, rows[a], a, d, s, x, -1)
            _two_days(mv, 1, rows[b], b, d, -1, x, rows[a, x])
            return 2
    _single(mv, 1, b, d, t)
    return 2


@njit(cache=True, _nrt=False)
def _all_mine(mine, mv, nm):
    """Whether every employee of the ``nm`` changes in ``mv`` is one ``mine`` allows."""
    for i in range(nm):
        if not mine[mv[i, 0]]:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def _run(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, rc, hasreq, able, types, inc, dcov, cells, buf,
         mv, rng, short, best, ctl, moves0, n_moves, frac0, dfrac, t_start, ratio, refresh, floor, mine, emps, pjoin,
         triple, reqs, preq, kind):
    """``n_moves`` annealing moves, the ``moves0``-th first; the temperature follows the share of the
    time ``frac0 + dfrac × (moves since moves0)``. Only the employees ``mine`` allows change (``emps``:
    their list); ``kind``: one-element scratch for the kind of the move proposed. Returns the moves made
    (fewer when the cost reaches ``floor``)."""
    nemps = emps.shape[0]
    split = nemps < rows.shape[0]
    temp = t_start
    for m in range(moves0, moves0 + n_moves):
        if m % 256 == 0:
            temp = t_start * ratio ** min(1.0, frac0 + (m - moves0) * dfrac)
            if m % refresh == 0:        # (filled cells are skipped until then)
                ctl[NSHORT] = _deficits(cov, short)
            if ctl[COST] <= floor:
                return m - moves0
        nm = _propose(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, cov, able, types, inc, buf, mv, rng,
                      short, ctl[NSHORT], kind, emps, nemps, pjoin, triple, reqs, preq)
        # (a split search's draws take only its own employees; the guard keeps the others fixed whatever a
        # move kind draws)
        if nm == 0 or (split and not _all_mine(mine, mv, nm)):
            continue
        delta = _change(rows, cov, rc, hasreq, dcov, cells, mv, nm)
        if delta > 0 and _rand(rng) >= math.exp(-delta / temp):
            continue                    # (the rules are checked only for a move the annealing would take)
        if not _all_feasible(L, banned, offd, maxs, tcount, emp, wk_of, wk_days, rows, inc, mv, nm):
            continue
        if delta > 0 and ctl[COST] == ctl[BEST] and ctl[SAVED] == 0:
            for a in range(rows.shape[0]):       # (a loop: slice assignment takes seconds to compile)
                for d in range(rows.shape[1]):
                    best[a, d] = rows[a, d]
            ctl[SAVED] = 1
        for i in range(nm):
            _apply(L, wk_of, wk_days, rows, cov, tcount, emp, mv, i)
        ctl[COST] += delta
        ctl[ACC + kind[0]] += 1
        if ctl[COST] < ctl[BEST]:
            ctl[BEST] = ctl[COST]
            ctl[SAVED] = 0
        elif delta != 0 and ctl[COST] == ctl[BEST]:
            ctl[SAVED] = 0
    return n_moves


# -- Python side ---------------------------------------------------------------------------------------

Change = tuple[int, int, list[int]]


def _small_int(values: np.ndarray) -> type:
    """The narrowest signed integer type that holds ``values``: the search's largest arrays (request costs
    by employee, day and value, the rows, the cover) stay in the core's cache (Instance24: request costs
    14.4 MB as int64, 1.8 MB as int8)."""
    lo, hi = int(values.min(initial=0)), int(values.max(initial=0))
    for t in (np.int8, np.int16, np.int32):
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
            return t
    return np.int64


class RosterSearch:
    """Incremental state of a roster (``roster``: employee × day shift indices, −1 off) of ``data``
    (``curtois._Data``) in numpy arrays (named as in the kernels above): the instance's, the state's
    (``rows``, cover counts in ``cov``, and each employee's minutes and weekends in ``emp`` and shifts per
    type in ``tcount``) and scratch. The roster must keep every hard rule; every accepted move keeps
    them. The methods taking a list of changes ((employee, first day, new values), distinct employees)
    are for tests and callers outside the loop."""

    def __init__(self, data, roster: np.ndarray):
        inst = data.inst
        self.data = data
        self.h, self.S, self.A = h, S, A = data.h, data.n_shifts, data.n_agents
        emps = inst.employees
        self.L = np.ascontiguousarray(data.lengths, dtype=np.int64)
        self.banned = np.zeros((S, S), dtype=np.bool_)
        for s, t in data.pairs:
            self.banned[s, t] = True
        self.offd = np.zeros((A, h), dtype=np.bool_)
        for a, e in enumerate(emps):
            self.offd[a, list(e.days_off)] = True
        self.maxs = np.array([[e.max_shifts.get(sh.id, h) for sh in inst.shifts] for e in emps],
                             dtype=np.int64).reshape(A, S)
        self.types = np.zeros((A, S + 1), dtype=np.int64)           # column 0: how many
        for a in range(A):
            ts = sorted(data.types[a])
            assert ts == [s for s in range(S) if self.maxs[a, s] > 0]
            self.types[a, 0] = len(ts)
            self.types[a, 1:1 + len(ts)] = ts
        self.able = np.zeros((S, A + 1), dtype=np.int64)            # column 0: how many
        for s in range(S):
            who = [a for a in range(A) if self.maxs[a, s] > 0]
            self.able[s, 0] = len(who)
            self.able[s, 1:1 + len(who)] = who
        self.wk_of = np.full(h, -1, dtype=np.int64)
        self.wk_days = np.full((max(1, len(data.weekends)), 2), -1, dtype=np.int64)
        for k, wd in enumerate(data.weekends):
            assert len(wd) <= 2 and all(y == x + 1 for x, y in zip(wd, wd[1:])), "a weekend is 1-2 consecutive days"
            self.wk_days[k, :len(wd)] = wd
            self.wk_of[list(wd)] = k
        # request cost of (employee, day, value + 1): index 0 is a day off
        self.rc = np.zeros((A, h, S + 1), dtype=np.int64)
        for a in range(A):
            for d, s, want, w in data.requests[a]:
                if want:
                    self.rc[a, d, :] += w
                    self.rc[a, d, s + 1] -= w
                else:
                    self.rc[a, d, s + 1] += w
        self.rc = self.rc.astype(_small_int(self.rc))
        self.hasreq = (self.rc != 0).any(axis=2)
        self.rows = np.array(roster, dtype=np.int64).reshape(A, h).astype(_small_int(np.array([-1, S])))
        cov = np.stack([data.req, data.w_under, data.w_over, data.counts(self.rows)], axis=-1)
        # at least int16: the guided search (Guide) weighs short cells up to ~3.7 x 100 (nine or ten updates), and an int8
        # cover here and an int16 one there are two compiled versions of the loop, the second compiled inside
        # a timed solve on a fresh machine (7 s of a 4 s test); int16 costs ~1.5 % of the moves (Instance22)
        self.cov = cov.astype(_small_int(np.append(cov, [A + 1, np.iinfo(np.int16).max])))
        self.tcount = np.zeros((A, S), dtype=np.int64)
        for a in range(A):
            np.add.at(self.tcount[a], self.rows[a][self.rows[a] >= 0], 1)
        self.emp = np.array([(e.max_consecutive_shifts, e.min_consecutive_shifts, e.min_consecutive_days_off,
                              e.max_total_min, e.min_total_min, e.max_weekends,
                              int(self.L[r[r >= 0]].sum()), _weekends_worked(self.wk_of, self.wk_days, r, 0, h))
                             for e, r in zip(emps, self.rows)], dtype=np.int64).reshape(A, 8)
        self.inc = np.zeros(S, dtype=np.int64)
        self.dcov = np.zeros((h, S), dtype=np.int64)
        self.cells = np.zeros((6 * SEG_MAX, 2), dtype=np.int64)     # (two cells a changed day, three changes)
        self.buf = np.zeros(max(A, 2 * HANDOFF_WINDOW + 1), dtype=np.int64)
        self.mv = np.zeros((3, 3 + SEG_MAX), dtype=np.int64)
        self.kind_buf = np.zeros(1, dtype=np.int64)                   # the kind of the last move proposed
        self.mine = np.ones(A, dtype=np.bool_)                        # the employees moves may change
        self.emps = np.arange(A, dtype=np.int64)                       # ... listed
        # share of the proposals that are joins (none without two-day weekends)
        self.join_share = JOIN_SHARE if (self.wk_days[:, 1] >= 0).any() else 0.0
        self.join_triple = JOIN_TRIPLE
        # the on-requests (employee, day, shift), for the request moves
        self.reqs = np.array([(a, d, s) for a in range(A) for d, s, want, _ in data.requests[a] if want],
                             dtype=np.int64).reshape(-1, 3)
        self.request_share = 0.0                                      # set by request_share()
        self.cost = data.cost(self.rows)
        # the arguments of the kernels, in their order
        self.state = (self.L, self.offd, self.maxs, self.tcount, self.emp, self.wk_of, self.wk_days, self.rows)
        self.rules = (self.L, self.banned, self.offd, self.maxs, self.tcount, self.emp, self.wk_of, self.wk_days,
                      self.rows)

    @property
    def minutes(self) -> np.ndarray:
        return self.emp[:, MIN]

    def roster(self) -> np.ndarray:
        return self.rows.astype(np.int64)

    def _load(self, changes: list[Change]) -> int:
        assert 1 <= len(changes) <= 3 and len({a for a, _, _ in changes}) == len(changes)
        for i, (a, lo, seg) in enumerate(changes):
            assert len(seg) <= SEG_MAX and 0 <= lo and lo + len(seg) <= self.h
            self.mv[i, :3] = a, lo, len(seg)
            self.mv[i, 3:3 + len(seg)] = seg
        return len(changes)

    def _unload(self, nm: int) -> list[Change] | None:
        if nm == 0:
            return None
        return [(int(a), int(lo), self.mv[i, 3:3 + k].tolist()) for i, (a, lo, k) in enumerate(self.mv[:nm, :3])]

    def feasible(self, a: int, lo: int, seg: list[int]) -> bool:
        """Whether employee ``a`` keeps every hard rule with days ``lo .. lo + len(seg) − 1`` set to ``seg``."""
        self._load([(a, lo, seg)])
        return bool(_feasible(*self.rules, self.inc, self.mv, 0))

    def delta(self, changes: list[Change]) -> int | None:
        """Objective change of ``changes``, None when an employee would break a hard rule."""
        nm = self._load(changes)
        d = _change(self.rows, self.cov, self.rc, self.hasreq, self.dcov, self.cells, self.mv, nm)
        return int(d) if _all_feasible(*self.rules, self.inc, self.mv, nm) else None

    def commit(self, changes: list[Change], delta: int) -> None:
        for i in range(self._load(changes)):
            _apply(self.L, self.wk_of, self.wk_days, self.rows, self.cov, self.tcount, self.emp, self.mv, i)
        self.cost += delta

    def deficits(self) -> list[tuple[int, int]]:
        short = np.zeros((self.h * self.S, 2), dtype=np.int64)
        return [tuple(c) for c in short[:_deficits(self.cov, short)].tolist()]

    def room(self, a: int, d: int, s: int) -> bool:
        """Whether employee ``a``, off on day ``d``, has the minutes and the weekend to work ``s`` then."""
        return bool(_room(*self.state, a, d, s))

    def handoff(self, rng: np.ndarray, d: int, s: int, window: int = HANDOFF_WINDOW) -> list[Change] | None:
        """A targeted handoff for the under-covered (``d``, ``s``) (see the module docstring); ``rng`` from
        :func:`make_rng`."""
        assert 2 * window + 1 <= SEG_MAX
        return self._unload(_handoff(*self.state, self.able, self.buf, self.mv, rng, d, s, window))

    def weekend_transfer(self, rng: np.ndarray, d: int, s: int) -> list[Change] | None:
        """A weekend transfer for the under-covered (``d``, ``s``) on a weekend day (see the module
        docstring); ``rng`` from :func:`make_rng`."""
        return self._unload(_weekend_transfer(*self.rules, self.cov, self.able, self.types, self.inc, self.buf,
                                              self.mv, rng, d, s))

    def complete(self, rng: np.ndarray, d: int, s: int) -> list[Change] | None:
        """A weekend completion for the under-covered (``d``, ``s``) on a weekend day (see
        :func:`_complete`); ``rng`` from :func:`make_rng`."""
        return self._unload(_complete(*self.rules, self.able, self.inc, self.buf, self.mv, rng, d, s))

    def retype(self, rng: np.ndarray, d: int, s: int) -> list[Change] | None:
        """A retype for the under-covered (``d``, ``s``) (see :func:`_retype`); ``rng`` from :func:`make_rng`."""
        return self._unload(_retype(*self.rules, self.cov, self.inc, self.mv, rng, d, s))

    def request(self, rng: np.ndarray) -> list[Change] | None:
        """A move that grants an on-request (see :func:`_request`); ``rng`` from :func:`make_rng`."""
        return self._unload(_request(self.maxs, self.offd, self.rows, self.able, self.buf, self.mv, rng,
                                     self.reqs))

    def request_cost(self) -> int:
        """The objective's part from requests (on-requests not granted, off-requests not kept)."""
        return int(self.rc[np.arange(self.A)[:, None], np.arange(self.h)[None, :], self.rows + 1].sum())

    def join(self, rng: np.ndarray) -> list[Change] | None:
        """A join of two one-day weekends (see :func:`_join`); ``rng`` from :func:`make_rng`."""
        return self._unload(_join(*self.rules, self.inc, self.buf, self.mv, rng, self.emps, len(self.emps),
                                  self.join_triple))

    def propose(self, rng: np.ndarray, short: list[tuple[int, int]]) -> list[Change] | None:
        """One random move (None when the draw gives nothing to do); ``rng`` from :func:`make_rng`."""
        arr = np.array(short, dtype=np.int64).reshape(-1, 2)
        nm = _propose(*self.rules, self.cov, self.able, self.types, self.inc, self.buf, self.mv, rng, arr, len(arr),
                      self.kind_buf, self.emps, len(self.emps), self.join_share, self.join_triple, self.reqs,
                      self.request_share)
        self.kind = KINDS[self.kind_buf[0]]
        return self._unload(nm)

    def run(self, rng: np.ndarray, short: np.ndarray, best: np.ndarray, ctl: np.ndarray, moves0: int, n_moves: int,
            frac0: float, dfrac: float, t_start: float, ratio: float, refresh: int, floor: int) -> int:
        """``n_moves`` annealing moves (see :func:`_run`)."""
        return int(_run(*self.rules, self.cov, self.rc, self.hasreq, self.able, self.types, self.inc, self.dcov,
                        self.cells, self.buf, self.mv, rng, short, best, ctl, moves0, n_moves, frac0, dfrac, t_start,
                        ratio, refresh, floor, self.mine, self.emps, self.join_share, self.join_triple, self.reqs,
                        self.request_share, self.kind_buf))

    def restrict(self, mine: np.ndarray, req: np.ndarray) -> None:
        """Confine the search to the employees ``mine`` allows (the others stay as they are) and cover
        ``req`` (day × shift; its objective is then this part's, see :func:`_anneal_split`). Call on a
        fresh search."""
        self.mine[:] = mine
        self.emps = np.flatnonzero(mine).astype(np.int64)
        self.maxs[~mine] = 0                # (the others take no shift: draws and retypes skip them)
        for s in range(self.S):
            who = [a for a in self.able[s, 1:1 + self.able[s, 0]] if mine[a]]
            self.able[s, 0] = len(who)
            self.able[s, 1:1 + len(who)] = who
        self.reqs = self.reqs[mine[self.reqs[:, 0]]]
        cov = self.cov
        before = _cover_cost(cov)
        cov[:, :, REQ] = req
        self.cost += _cover_cost(cov) - before


def anneal(data, roster: np.ndarray, *, time_left: Callable[[], float] | None = None,
           max_moves: int | None = None, seed: int = 0, t_start: float = T_START, t_end: float = T_END,
           floor: int = 0, chains: int = 1, split: bool = False) -> tuple[np.ndarray, int, dict]:
    """Simulated annealing from ``roster`` until ``time_left()`` ≤ 0 or ``max_moves`` proposals (one of
    them must be given; ``max_moves`` alone makes the search deterministic), stopping at ``floor``.
    The first call after a change of this module compiles the loop (counted in ``time_left``; reported as
    ``ls_compile_s``). Returns (best roster, its objective, statistics).

    ``chains`` > 1 runs that many independent annealing runs side by side in threads (the compiled loop
    releases the GIL), chain ``i`` with seed ``seed + CHAIN_SEED × i`` (so chain 0 is the one-chain run),
    and returns the best of them (the first on a tie); ``max_moves`` is then each chain's budget. The
    statistics add up the chains' moves. On the 2 cores the Curtois benchmark has, the second core idles
    in this phase otherwise; the end of a run varies a lot with the seed (Instance13, 30 M moves from the
    greedy roster, seeds 0-4: 1,622-1,732), so the best of two is worth having (1,706 → 1,676 mean)."""
    if time_left is None and max_moves is None:
        raise ValueError("anneal needs a time limit or a move budget")
    if chains <= 1:
        return _anneal_chain(data, roster, time_left, max_moves, seed, t_start, t_end, floor)
    if split:
        if time_left is None or max_moves is not None:
            raise ValueError("a split search runs on the clock, without a move budget")
        return _anneal_split(data, roster, time_left, seed, t_start, t_end, floor, chains)
    results = _in_threads(lambda i: _anneal_chain(data, roster, time_left, max_moves, seed + CHAIN_SEED * i,
                                                  t_start, t_end, floor), chains, "anneal")
    i_best = min(range(chains), key=lambda i: results[i][1])
    best, cost, stats = results[i_best]
    stats = dict(stats)
    for key in stats:
        if key != "ls_compile_s":
            stats[key] = sum(r[2][key] for r in results)
    stats.update(ls_chains=chains, ls_chain_costs=[r[1] for r in results])
    return best, cost, stats


class Guide:
    """A guided local search's penalties on the cover (Voudouris & Tsang), for one annealing run on the clock
    (:func:`guided_anneal`): every ``every_s`` seconds each cover cell short at that moment counts one more
    step, and weighs its under weight × (1 + ``boost`` × its steps) from then on. The run's objective is then
    the guided one; ``weights`` are the last weights (day × shift)."""

    def __init__(self, every_s: float, boost: float):
        self.every_s, self.boost = every_s, boost
        self.base: np.ndarray | None = None
        self.steps: np.ndarray | None = None
        self.top = 0                # the largest weight the search's cover holds
        self.last = 0.0
        self.updates = 0

    def update(self, st: RosterSearch, ctl: np.ndarray, now: float) -> None:
        """At time ``now`` (perf_counter seconds), the weights of ``st``'s cover anew when a step is due
        (the first call starts the clock), and the objective in ``ctl`` with them."""
        if self.base is None:
            self.base = st.cov[:, :, WU].astype(np.int64)
            self.steps = np.zeros(self.base.shape, dtype=np.int64)
            self.top = int(np.iinfo(st.cov.dtype).max)
            self.last = now
            return
        if now - self.last < self.every_s:
            return
        self.last = now
        self.updates += 1
        self.steps += st.cov[:, :, N] < st.cov[:, :, REQ]
        st.cov[:, :, WU] = self.weights
        ctl[COST] = ctl[BEST] = st.request_cost() + _cover_cost(st.cov)
        ctl[SAVED] = 0

    @property
    def weights(self) -> np.ndarray | None:
        """The under weights (day × shift) the run last saw; None before its first look."""
        if self.base is None:
            return None
        return np.minimum(np.ceil(self.base * (1.0 + self.boost * self.steps)), self.top).astype(np.int64)


def guided_anneal(data, roster: np.ndarray, *, time_left: Callable[[], float], seed: int, t_start: float,
                  t_end: float, every_s: float, boost: float, chains: int = 1
                  ) -> tuple[np.ndarray, int, np.ndarray, dict]:
    """Simulated annealing from ``roster`` until ``time_left()`` ≤ 0 under a guided objective (:class:`Guide`:
    the cover cells that stay short weigh more and more, so that the search trades them for others it
    would otherwise never give up). ``chains`` runs side by side (as :func:`anneal`); returns the final roster
    of the one whose roster has the least true objective, that objective, that run's last under weights
    (day × shift) and the statistics (moves summed)."""
    def one(i: int):
        guide = Guide(every_s, boost)
        out = _anneal_chain(data, roster, time_left, None, seed + CHAIN_SEED * i, t_start, t_end, 0, guide=guide)
        return out[0], int(data.cost(out[0])), guide, out[2]

    results = [one(0)] if chains <= 1 else _in_threads(one, chains, "guided")
    i_best = min(range(len(results)), key=lambda i: results[i][1])
    best, cost, guide, stats = results[i_best]
    stats = dict(stats, ls_moves=sum(r[3]["ls_moves"] for r in results), ls_guide_updates=guide.updates)
    weights = guide.weights
    return best, cost, np.asarray(data.w_under, dtype=np.int64) if weights is None else weights, stats


def _anneal_chain(data, roster: np.ndarray, time_left: Callable[[], float] | None, max_moves: int | None, seed: int,
                  t_start: float, t_end: float, floor: int, st: RosterSearch | None = None,
                  clock: tuple[float, float] | None = None, guide: Guide | None = None
                  ) -> tuple[np.ndarray, int, dict]:
    """One annealing run (see :func:`anneal`) of ``st`` (default: a search of ``roster``); ``clock``:
    (start, seconds) of the temperature schedule when it spans more than this run (default: this run).
    With a ``guide`` (on the clock only) the objective is the guided one, and the run returns its final
    roster and that roster's guided objective."""
    if guide is not None and (time_left is None or max_moves is not None):
        raise ValueError("a guided run goes on the clock, without a move budget")
    t_compile = time.perf_counter()
    st = RosterSearch(data, roster) if st is None else st
    rng = make_rng(seed)
    best = st.roster()
    short = np.zeros((st.h * st.S, 2), dtype=np.int64)
    ctl = np.zeros(ACC + len(KINDS), dtype=np.int64)
    ctl[COST] = ctl[BEST] = st.cost
    ctl[SAVED] = 1                   # whether ``best`` holds the current state when cost == best cost
    refresh = 256 * max(1, st.h * st.S // 2048)     # moves between two scans of the cover (O(days × shifts))
    ratio = t_end / t_start

    def run(moves0: int, n: int, frac0: float, dfrac: float) -> int:
        return st.run(rng, short, best, ctl, moves0, n, frac0, dfrac, t_start, ratio, refresh, floor)

    run(0, 0, 0.0, 0.0)              # compiles on the first call ever (then loads from the cache)
    compile_s = time.perf_counter() - t_compile
    moves = 0
    if time_left is None:
        while moves < max_moves:
            st.request_share = request_share(st.request_cost(), int(ctl[COST]))
            n = min(CHUNK * REQUEST_EVERY, max_moves - moves)
            done = run(moves, n, moves / max_moves, 1.0 / max_moves)
            moves += done
            if done < n:
                break
    else:
        t0, budget = clock if clock is not None else (time.perf_counter(), max(1e-9, time_left()))
        dfrac = 0.0
        chunks = 0
        while (max_moves is None or moves < max_moves) and time_left() > 0:
            if chunks % REQUEST_EVERY == 0:
                st.request_share = request_share(st.request_cost(), int(ctl[COST]))
            chunks += 1
            n = CHUNK if max_moves is None else min(CHUNK, max_moves - moves)
            t1 = time.perf_counter()
            if guide is not None:
                guide.update(st, ctl, t1)
            done = run(moves, n, (t1 - t0) / budget, dfrac)
            moves += done
            if done < n:
                break
            dfrac = (time.perf_counter() - t1) / budget / n
    cost = int(ctl[COST])
    # (a guided run returns its end, not its best: the guided objective changed under it)
    if guide is not None or ctl[SAVED] == 0 or cost < ctl[BEST]:
        best, ctl[BEST] = st.roster(), cost
    stats = {"ls_moves": moves, "ls_accepted": int(ctl[ACC:].sum()), "ls_compile_s": round(compile_s, 3)}
    stats.update({f"ls_{k}": int(c) for k, c in zip(KINDS, ctl[ACC:])})
    return best, int(ctl[BEST]), stats


def request_share(request_cost: int, cost: int) -> float:
    """The share of the ``change`` proposals that are request moves, for a roster of objective ``cost``
    whose requests not granted cost ``request_cost``: ``REQUEST_GAIN`` × the requests' share of the
    objective, at most ``REQUEST_SHARE``. Where the shortfall is most of the cost (a greedy start; Instance22
    throughout, requests 4 % of it) the changes that fill cells keep their proposals; where requests are a
    fifth of it (13, 23, 24 once the cover is mended) a third of those proposals go to them."""
    return 0.0 if cost <= 0 else min(REQUEST_SHARE, REQUEST_GAIN * request_cost / cost)


def split_cover(req: np.ndarray, counts: list[np.ndarray], turn: int = 0) -> list[np.ndarray]:
    """Each part's cover requirement (day × shift) in a split search: the employees now on each cell
    (all parts') plus the part's share of the cell's shortfall (or surplus, negative), the shares adding
    up to it (a remainder goes to the parts in turn by cell and ``turn``). With the cover penalty
    ``f(n − r)`` convex and positively homogeneous, ``f(Σ (n_p − r_p)) ≤ Σ f(n_p − r_p)``: the roster the
    parts make costs at most the sum of their objectives, each part's being exact for it alone."""
    parts = len(counts)
    n = sum(counts)
    gap = req - n
    lead = (np.arange(gap.size).reshape(gap.shape) + turn) % parts
    return [n + gap // parts + (((lead + p) % parts) < gap % parts) for p in range(parts)]


def _anneal_split(data, roster: np.ndarray, time_left: Callable[[], float], seed: int, t_start: float,
                  t_end: float, floor: int, parts: int) -> tuple[np.ndarray, int, dict]:
    """One annealing run on ``parts`` threads, each moving its own employees (dealt at random) against its
    share of each cell's shortfall (:func:`split_cover`), in ``SPLIT_EPOCHS`` epochs; after an epoch the
    parts' best rows make one roster (the rules are per employee, so it keeps them) and the employees are
    dealt anew. The temperature follows the whole run's time."""
    t0, budget = time.perf_counter(), max(1e-9, time_left())
    cur, cost = np.array(roster, dtype=np.int64), int(data.cost(roster))
    deal = np.random.default_rng(seed)
    totals: dict = {}
    epochs = 0
    while time_left() > 0 and cost > floor:
        stop = time.perf_counter() + max(SPLIT_EPOCH_MIN_S, budget / SPLIT_EPOCHS)
        part_of = deal.permutation(data.n_agents) % parts
        mine = [part_of == p for p in range(parts)]
        reqs = split_cover(data.req, [data.counts(cur, np.flatnonzero(m)) for m in mine], epochs)

        def part(p: int):
            st = RosterSearch(data, cur)
            st.restrict(mine[p], reqs[p])
            return _anneal_chain(data, cur, lambda: min(stop - time.perf_counter(), time_left()), None,
                                 seed + CHAIN_SEED * p + SPLIT_SEED * epochs, t_start, t_end, 0, st=st,
                                 clock=(t0, budget))

        results = _in_threads(part, parts, "anneal-part")
        new = cur.copy()
        for p, (best, _, st) in enumerate(results):
            new[mine[p]] = best[mine[p]]
            for key, v in st.items():
                totals[key] = totals.get(key, 0) + v
        cur, cost = new, int(data.cost(new))
        epochs += 1
    totals["ls_compile_s"] = round(totals.get("ls_compile_s", 0.0), 3)
    totals.update(ls_split_parts=parts, ls_split_epochs=epochs)
    return cur, cost, totals


def _in_threads(fn: Callable[[int], object], n: int, name: str) -> list:
    """``[fn(0), ..., fn(n - 1)]``, run side by side in threads (the compiled loop releases the GIL); an
    exception in one is raised here."""
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = fn(i)
        except BaseException as exc:        # (re-raised in the calling thread below)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"{name}-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results
