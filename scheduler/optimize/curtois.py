"""The Curtois & Qu shift-scheduling benchmark expressed with the roster optimizer's own rule engine.

Every constraint of an instance (../shared/benchmarks/curtois-qu-nrp-1-24/README.md) maps onto one
``add_<rule>`` of :mod:`scheduler.optimize.rules` on a :class:`~scheduler.optimize.rules.Calendar`
(employee × day × shift Booleans, at most one shift a day):

============================  ===================================================================
C&Q rule                      rule engine
============================  ===================================================================
one shift per day             ``Calendar.add_agent`` (at most one Boolean per day)
shift rotation (CannotFollow) ``add_forbidden_successions`` (outside the horizon is off: no term)
MaxShifts per type            ``add_max_count`` (types with a maximum of 0 get no Boolean)
Min/MaxTotalMinutes           ``add_total_minutes`` over the shifts' lengths
MaxConsecutiveShifts          ``add_max_consecutive_days``
MinConsecutiveShifts          ``add_min_consecutive(working=True, exempt_edges=True)``
MinConsecutiveDaysOff         ``add_min_consecutive(working=False, exempt_edges=True)``
MaxWeekends                   ``add_max_weekends`` (Saturday–Sunday pairs, day 0 a Monday)
fixed days off                ``add_days_off``
on/off requests               ``add_requests`` (weight per request)
cover                         ``add_shift_cover`` (under/over weights)
============================  ===================================================================

:func:`build_curtois_model` builds that model for all employees and days, or for a *neighbourhood*: a
subset of employees and a window of days free while the rest keep an incumbent roster (the window's
neighbouring days enter as locked context, ``add_locks``, wide enough that the run rules are exact;
horizon totals and weekends count what lies outside). :func:`solve_curtois` solves an instance within
a time limit: the whole model with CP-SAT (its bound is the reported bound), then large-neighbourhood
search around the incumbent with the same builder, and finally the whole model evaluated on the final
roster (every Boolean locked), so the reported objective is the rule engine's own.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleError, NoSolutionError
from scheduler.io.curtois import CurtoisInstance, Roster
from scheduler.optimize import rules as R
from scheduler.optimize.curtois_ls import T_END, T_START, anneal, guided_anneal

log = logging.getLogger(__name__)

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
          cp_model.UNKNOWN: "UNKNOWN", cp_model.MODEL_INVALID: "MODEL_INVALID"}


@dataclass(frozen=True)
class CqShift:
    """A C&Q shift type in the rule engine's shape (no clock times: only its length matters)."""

    index: int
    code: str
    length_min: int
    start_min: int = 0
    is_night: bool = False
    is_late: bool = False

    @property
    def paid_min(self) -> int:
        return self.length_min


@dataclass
class CurtoisSolution:
    """Outcome of :func:`solve_curtois`; ``objective`` is the rule-engine model's value of ``roster``."""

    instance: str
    roster: Roster
    objective: int
    bound: float | None          # best proven lower bound (the whole model's), None if never solved whole
    status: str                  # OPTIMAL (proven) or FEASIBLE
    wall_s: float
    first_solution_s: float | None
    penalties: dict[str, int] = field(default_factory=dict)   # objective by rule
    stats: dict[str, object] = field(default_factory=dict)


class _Data:
    """Index arrays of an instance (shift and employee positions instead of ids)."""

    def __init__(self, inst: CurtoisInstance):
        self.inst = inst
        self.h = inst.horizon_days
        self.shifts = [CqShift(i, s.id, s.length_min) for i, s in enumerate(inst.shifts)]
        sidx = {s.id: i for i, s in enumerate(inst.shifts)}
        eidx = {e.id: i for i, e in enumerate(inst.employees)}
        self.sidx, self.eidx = sidx, eidx
        self.n_agents = len(inst.employees)
        self.n_shifts = len(self.shifts)
        self.pairs = [(sidx[s.id], sidx[b]) for s in inst.shifts for b in s.cannot_follow]
        self.follows = np.ones((len(inst.shifts), len(inst.shifts)), dtype=bool)   # [x, y]: y may follow x
        for x, y in self.pairs:
            self.follows[x, y] = False
        # allowed shift types per employee (a maximum of 0 forbids the type)
        self.types = [[i for i, s in enumerate(inst.shifts) if e.max_shifts.get(s.id, self.h) > 0] for e in inst.employees]
        self.req = np.zeros((self.h, self.n_shifts), dtype=np.int64)
        self.w_under = np.zeros((self.h, self.n_shifts), dtype=np.int64)
        self.w_over = np.zeros((self.h, self.n_shifts), dtype=np.int64)
        self.has_cover = np.zeros((self.h, self.n_shifts), dtype=bool)
        for c in inst.cover:
            s = sidx[c.shift]
            self.req[c.day, s], self.w_under[c.day, s], self.w_over[c.day, s] = c.requirement, c.under_weight, c.over_weight
            self.has_cover[c.day, s] = True
        self.on = np.array([(eidx[r.employee], r.day, sidx[r.shift], r.weight) for r in inst.on_requests],
                           dtype=np.int64).reshape(-1, 4)
        self.off = np.array([(eidx[r.employee], r.day, sidx[r.shift], r.weight) for r in inst.off_requests],
                            dtype=np.int64).reshape(-1, 4)
        self.requests: list[list[tuple[int, int, bool, int]]] = [[] for _ in range(self.n_agents)]
        for arr, want in ((self.on, True), (self.off, False)):
            for a, d, s, w in arr.tolist():
                self.requests[a].append((d, s, want, w))
        self.weekends = inst.weekends
        self.lengths = np.array([s.length_min for s in self.shifts], dtype=np.int64)

    def counts(self, roster: np.ndarray, agents: Sequence[int] | None = None) -> np.ndarray:
        """Employees on each (day, shift) in ``roster`` (rows ``agents`` only when given)."""
        rows = roster if agents is None else roster[list(agents)]
        out = np.zeros((self.h, self.n_shifts), dtype=np.int64)
        a, d = np.nonzero(rows >= 0)
        np.add.at(out, (d, rows[a, d]), 1)
        return out

    def cost(self, roster: np.ndarray) -> int:
        """The soft objective of ``roster`` (employee × day array of shift indices, −1 off): for the search's
        bookkeeping; the reported objective comes from the model itself."""
        n = self.counts(roster)
        total = int((self.w_under * np.maximum(0, self.req - n)).sum() + (self.w_over * np.maximum(0, n - self.req)).sum())
        if len(self.on):
            total += int(self.on[:, 3][roster[self.on[:, 0], self.on[:, 1]] != self.on[:, 2]].sum())
        if len(self.off):
            total += int(self.off[:, 3][roster[self.off[:, 0], self.off[:, 1]] == self.off[:, 2]].sum())
        return total


@dataclass
class CurtoisModel:
    """A built (sub-)model: the CP-SAT model, its calendar, penalty terms and which part is free."""

    model: cp_model.CpModel
    cal: R.Calendar
    penalties: list[R.Penalty]
    agents: list[int]
    first_day: int                # global index of the calendar's day 0
    free: list[int]               # global indices of the free days

    @property
    def objective(self):
        return sum(p.weight * p.var for p in self.penalties)

    def hint(self, roster: np.ndarray) -> None:
        for a in self.agents:
            for k, lits in enumerate(self.cal.x[a]):
                cur = roster[a, self.first_day + k]
                for s, v in lits.items():
                    self.model.add_hint(v, 1 if s == cur else 0)

    def extract(self, solver: cp_model.CpSolver, roster: np.ndarray) -> np.ndarray:
        """A copy of ``roster`` with the free part replaced by the solver's values."""
        out = roster.copy()
        for a in self.agents:
            for d in self.free:
                chosen = -1
                for s, v in self.cal.x[a][d - self.first_day].items():
                    if solver.boolean_value(v):
                        chosen = s
                out[a, d] = chosen
        return out


def build_curtois_model(data: _Data, *, agents: Sequence[int] | None = None,
                        days: Sequence[tuple[int, int]] | None = None,
                        base: np.ndarray | None = None, lock: bool = False, cover: bool = True,
                        guard: R.Guard = R._no_guard) -> CurtoisModel:
    """The rule-engine model of ``agents`` (default all) on the free days ``days`` (windows [lo, hi) of
    global day indices, default the horizon), the rest of ``base`` (employee × day shift indices, −1 off)
    held fixed.

    Days within a margin of a window (the longest run limit + 1) are locked to ``base`` so that the
    run rules see their context; employees outside ``agents`` enter the cover as fixed counts. With
    ``lock`` every day of ``agents`` may only take its ``base`` value and is locked (the model evaluates
    ``base``: its objective is the roster's exact objective when all employees and days are included).
    Without ``cover`` the model holds the employees' own rules and requests only (column generation's
    pricing problem).
    """
    inst, h = data.inst, data.h
    agents = list(range(data.n_agents)) if agents is None else sorted(agents)
    windows = sorted(days) if days is not None else [(0, h)]
    free_days = sorted({d for lo, hi in windows for d in range(max(lo, 0), min(hi, h))})
    free_set = set(free_days)
    if base is None:
        base = np.full((data.n_agents, h), -1, dtype=np.int64)
    margin = 1 + max((max(e.max_consecutive_shifts, e.min_consecutive_shifts, e.min_consecutive_days_off)
                      for e in (inst.employees[a] for a in agents)), default=0)
    s0, s1 = max(0, free_days[0] - margin), min(h, free_days[-1] + 1 + margin)
    n = s1 - s0
    m = cp_model.CpModel()
    cal = R.Calendar(m, n, data.shifts, agent_label=lambda a: inst.employees[a].id, day_label=lambda k: str(s0 + k))
    penalties: list[R.Penalty] = []
    for a in agents:
        emp = inst.employees[a]
        types, off = data.types[a], emp.days_off

        def allowed(k: int, a=a, types=types, off=off):
            d = s0 + k
            if d in free_set and not lock:
                return [] if d in off else types
            return [int(base[a, d])] if base[a, d] >= 0 else []

        cal.add_agent(a, allowed)
        locked = {k: int(base[a, s0 + k]) for k in range(n)
                  if (lock or s0 + k not in free_set) and base[a, s0 + k] >= 0}
        R.add_locks(cal, a, locked, guard=guard)
        R.add_days_off(cal, a, [d - s0 for d in emp.days_off if s0 <= d < s1], guard=guard)
        penalties += R.add_forbidden_successions(cal, a, data.pairs, guard=guard)
        outside = np.concatenate([base[a, :s0], base[a, s1:]])
        for s, sh in enumerate(inst.shifts):
            limit = emp.max_shifts.get(sh.id)
            if limit is not None and limit > 0:
                penalties += R.add_max_count(cal, a, range(n), lambda x, s=s: x.index == s, limit, scope="horizon",
                                             rule=f"max_shifts_{sh.id}", extra=int((outside == s).sum()), guard=guard)
        extra_min = int(data.lengths[outside[outside >= 0]].sum())
        penalties += R.add_total_minutes(cal, a, range(n), emp.min_total_min, emp.max_total_min, scope="horizon",
                                         rule_min="min_total_minutes", rule_max="max_total_minutes",
                                         extra_min=extra_min, attr="length_min", guard=guard)
        penalties += R.add_max_consecutive_days(cal, a, emp.max_consecutive_shifts, rule="max_consecutive_shifts",
                                                guard=guard)
        if emp.min_consecutive_shifts > 1:
            penalties += R.add_min_consecutive(cal, a, emp.min_consecutive_shifts, working=True, exempt_edges=True,
                                               guard=guard)
        if emp.min_consecutive_days_off > 1:
            penalties += R.add_min_consecutive(cal, a, emp.min_consecutive_days_off, working=False, exempt_edges=True,
                                               guard=guard)
        weekends, worked_outside = [], 0
        for wd in data.weekends:
            inside = tuple(d - s0 for d in wd if s0 <= d < s1)
            if any(base[a, d] >= 0 for d in wd if not s0 <= d < s1):
                worked_outside += 1
            elif inside:
                weekends.append(inside)
        penalties += R.add_max_weekends(cal, a, weekends, emp.max_weekends - worked_outside, guard=guard)
        reqs = [(d - s0, [s], want, w) for d, s, want, w in data.requests[a] if d in free_set]
        penalties += R.add_requests(cal, a, reqs, rule="request")
    fixed = data.counts(base, [a for a in range(data.n_agents) if a not in set(agents)])
    for d in free_days if cover else ():
        day = [cal.x[a][d - s0] for a in agents]
        for s in range(data.n_shifts):
            if not data.has_cover[d, s]:
                continue
            lits = [x[s] for x in day if s in x]
            need = int(data.req[d, s] - fixed[d, s])
            if need <= 0 and not lits:
                continue        # a constant: nobody free can change it
            penalties += R.add_shift_cover(m, lits, max(need, 0), name=f"{d},{inst.shifts[s].id}",
                                           under_weight=int(data.w_under[d, s]), over_weight=int(data.w_over[d, s]))
    model = CurtoisModel(m, cal, penalties, agents, s0, free_days)
    m.minimize(model.objective)
    return model


# ------------------------------------------------------------------------------------------------
# solving


class Clock:
    """Wall time, or CP-SAT deterministic time summed over solves (``deterministic``), against a limit."""

    def __init__(self, limit_s: float, deterministic: bool):
        self.limit_s = limit_s
        self.deterministic = deterministic
        self.t0 = time.perf_counter()
        self.det = 0.0
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return self.det if self.deterministic else time.perf_counter() - self.t0

    def left(self) -> float:
        return self.limit_s - self.elapsed()

    def until(self, share: float) -> Callable[[], float]:
        """Seconds left before ``share`` of the limit has passed."""
        return lambda: share * self.limit_s - self.elapsed()

    def configure(self, solver: cp_model.CpSolver, budget_s: float, workers: int, seed: int,
                  portfolio: bool = False) -> None:
        """Time limit, workers and seed of one solve (the only place they are set). Deterministic: one
        worker, or with ``portfolio`` the ``workers`` interleaved in one thread (CP-SAT's neighbourhoods need
        more than one worker)."""
        p = solver.parameters
        p.random_seed = seed
        budget_s = max(0.01, budget_s)
        if self.deterministic:
            p.num_workers = workers if portfolio else 1
            p.interleave_search = portfolio
            p.max_deterministic_time = budget_s
            p.max_time_in_seconds = 10 * budget_s + 5
        else:
            p.num_workers = workers
            p.max_time_in_seconds = budget_s

    def spend(self, seconds: float) -> None:
        """Charge work the deterministic clock does not see (a move budget standing for ``seconds``)."""
        with self._lock:
            self.det += seconds

    def charge(self, solver: cp_model.CpSolver) -> None:
        with self._lock:
            self.det += solver.deterministic_time


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float):
        super().__init__()
        self.t0 = t0
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.t0


def _to_roster(data: _Data, arr: np.ndarray) -> Roster:
    ids = [s.code for s in data.shifts]
    return tuple(tuple(ids[s] if s >= 0 else None for s in row) for row in arr.tolist())


EVAL_S_PER_CELL = 2.0e-4    # seconds of the final evaluation per employee-day (8.4 s on Instance24 at load 3) ...
EVAL_SAMPLE, EVAL_SAFETY, EVAL_MIN_S = 10, 1.5, 0.5    # ... or, after a greedy start, measured (_eval_reserve)
EVAL_TIMINGS = 2             # ... the least of this many timings of the sample
WHOLE_MAX_LITS = 60_000      # above this the whole model is not solved (building and presolve alone eat the budget)
DIVE_SHARE, DIVE_ITERS = 0.25, 3
DIVES_SHARE = 0.8            # repeated dives until this share of the time (then LNS)
DIVE_NOISE = 0.1             # perturbation of the repeated dives (added to LP values in [0, 1])
MAX_DIVES = 12
POLISH_SHARE = 0.5           # batched best responses after rounding until this share of the time (Instance23
                             # 44279 -> 39713, 24 128501 -> 117510, 20 6589 -> 6646; load 2.7-4)
# the local search in LS_CYCLES annealing runs (legs of one cooling, curtois_ls.T_START -> LEGS_T_END), each
# followed by best responses, on horizons from CYCLES_MIN_DAYS when the search is not split between the threads
# (Instances 20, 22): a best response re-plans an employee's whole horizon (moves a weekend it works half a year
# away, say), which the local search's moves cannot. 60 s, seeds 0-4, 2026-12-06: 22 one run 34,816 / 34,335 /
# 34,848 / 34,726 / 34,600, three legs 34,225 / 34,426 / 34,315 / 34,369 / 34,402 (five: 34,306 / 34,348 / 34,451
# at seeds 2-4; each leg heating the roster again from 3: 34,624 / 34,573); seeds 0-2: 20 5,150 / 5,149 / 5,155 ->
# 5,145 / 5,152 / 5,100; on shorter horizons no gain: 19 3,403 / 3,413 / 3,409 -> 3,429 / 3,422 / 3,425, 13 1,450 /
# 1,449 / 1,441 -> 1,452 / 1,459 / 1,439
LS_CYCLES = 3
LEGS_T_END = 0.1             # the unsplit legs' cooling ends here, not at curtois_ls.T_END (0.2): 3 -> 0.97 -> 0.31 -> 0.1;
                             # at 0.2 an uphill step of 1 (a request, a surplus shift) still passes 0.7 % of the time and
                             # the last leg ends before the roster settles. 60 s, 2026-12-07, Instance22 seeds 0-14: mean
                             # 33,349 -> 33,149, under the target 33,268 at 5 -> 12 of 15 (lower at 12 of the 15 seeds);
                             # 0.05 33,297 at seeds 0-4 (0.1: 33,077, 0.2: 33,177); a cold last run instead (10 % of
                             # the phase at 0.5 -> 0.1 after the legs) 33,262
CYCLES_MIN_DAYS = 182
LS_SHARE = 0.9               # local search takes this share of the time left after rounding (then LNS) ...
LS_LEGS_SHARE = 0.97         # ... this share when it runs in LS_CYCLES unsplit legs (20, 22: the LNS after it found
                             # 0-1 improvements on 22; 60 s, seeds 0-4, 2026-12-07: 33,545 mean -> 33,339 / 33,649 /
                             # 33,521 / 33,336 / 33,365, 33,442) ...
LS_SPLIT_SHARE = 0.85        # ... this share when split between the threads (21, 23, 24), best responses the rest
                             # (before, all of it, no LNS: there it found 1-4 cells in 17-28 moves). A best response
                             # re-plans an employee's year, which the split search (far from converged) does not; 60 s,
                             # 2026-12-06 (load 1.6-1.8), share 1.0 (no best responses) -> 0.85: 24 seeds 0-2 47,187 /
                             # 47,163 / 47,112 -> 46,910 / 46,476 / 46,716 (seeds 3-4 46,377 / 46,523; 0.9: 46,785 /
                             # 46,635 / 47,182, 0.8: 46,932 / 46,620 / 46,763, 0.7: 47,644 / 46,990 / 46,382), 23
                             # 19,205 / 19,092 / 19,062 -> 18,862 / 18,776 / 18,876, 21 21,844 / 21,996 -> 21,710 / 21,863
GUIDED_FROM_LEG = 0          # unsplit legs from this one start with a guided phase (_guided): a local search of
GUIDED_LS = 0.3              # this share of the leg's budget in which GUIDED_UPDATES times the cells short then
GUIDED_UPDATES = 10          # count one more step, weighing 1 + GUIDED_BOOST × their steps, then best responses with
GUIDED_BOOST = 0.3           # the last weights for GUIDED_BR of it. 60 s, seeds 0-4, back to back, 2026-12-07:
GUIDED_BR = 0.15             # Instance22 34,028 / 33,723 / 34,173 / 33,938 / 33,975 (mean 33,967) without; weights
GUIDED_SEED = 52711          # fixed for each of three runs 33,431 / 33,238 / 33,437 / 33,457 / 33,761 (33,465; from
                             # the second leg on the day before: 33,699), of six runs 33,209, of ten 33,194; updated
                             # every 0.5 s of one run (~10 times) 32,950 / 33,059 / 33,585 / 33,218 / 33,075 (33,177;
                             # a prototype 33,108), every 1 s 33,511, boost 0.5 33,216, GUIDED_LS 0.4 33,265
SPLIT_LEGS = 2               # a split search with best responses runs in this many legs of one cooling, best
SPLIT_MID_POLISH = 0.1       # responses after each (this share of the phase left between legs): 60 s, 2026-12-06,
                             # 24 seeds 0-2 / 5-7 back to back 46,648 / 46,451 / 46,894 / 46,520 / 46,737 / 46,553 ->
                             # 46,913 / 45,782 / 46,460 / 46,391 / 46,587 / 46,563 (seeds 3-4 46,415 / 46,261; 7 of 8
                             # under the target 46,709 against 8 of 16 in one leg; three legs 46,778 / 46,892 / 46,181),
                             # 23 18,910 / 18,841 / 18,903 (one leg 18,862 / 18,776 / 18,876), 21 21,703 / 21,720
WHOLE_POLISH_MAX_LITS = 3_000   # up to this many Booleans the local search takes only WHOLE_POLISH_LS_SHARE of
WHOLE_POLISH_LS_SHARE = 0.5     # the time left after rounding, and the whole model, from the best roster as its
WHOLE_POLISH_WORKERS = 8        # hint, the rest (CP-SAT's own neighbourhoods, this many portfolio workers;
                                # Instance8, 60 s, seeds 0-11: see _polish_whole)
# the local search's threads split the employees of one search between them (instead of running chains side
# by side) from this many employees and employee-days (split_search: Instances 21, 23, 24; Instance13, 120
# employees over 28 days, runs two chains: see _anneal)
SPLIT_MIN_AGENTS = 100
SPLIT_MIN_CELLS = 10_000
DET_MOVES_PER_S = 2_000_000  # local-search moves per second of the deterministic clock (the compiled loop
                             # makes 2.4-5.2 M a second on Instances 7, 13, 22, 24 since its kernels run
                             # without reference counts; 1.0-2.7 M before, 50,000 in pure Python)
CG_STALL = 0.005             # column generation stops when its LP improved less than this over 4 rounds
SLOW_CG_SHARE = 0.4          # column generation up to this share when one pricing round is slow
GREEDY_LS_LITS = 30_000      # no column generation (and no best responses) from this many Booleans when not
                             # batched (13: 43,008; the next, 12, has 11,256): the local search starts from
                             # the greedy roster (60 s, see docs/benchmarks.md)
WHOLE_DP_MAX_LITS = 2_000    # ... and above this when the dynamic program prices every employee (column
                             # generation then gives a better start and bound: Instance8, 3,360 Booleans)


def solve_curtois(instance: CurtoisInstance, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0,
                  deterministic: bool = False, column_generation: bool = True,
                  progress: Callable[[str], None] | None = None) -> CurtoisSolution:
    """Solve ``instance`` within ``time_limit_s`` (model building included), in phases:

    1. the whole model with CP-SAT (``workers`` workers, up to 10 % of the time; skipped above
       ``WHOLE_MAX_LITS`` Booleans, or ``WHOLE_DP_MAX_LITS`` when the dynamic program prices every
       employee): the proven optimum of small instances, else an incumbent and a bound;
    2. column generation (:mod:`scheduler.optimize.curtois_cg`, pricing by :mod:`~scheduler.optimize.curtois_dp`,
       up to 55 % of the time or until its LP stalls; a greedy start when there is no incumbent, and
       only up to 40 % when the greedy start — one pricing round — took more than 5 % of the time; none
       on instances priced in batches, 19–24): the
       Lagrangian bound, then rosters from the LP (:func:`_round`: sequential rounding, and repeated
       dives until 80 % when the LP is near its bound or stalls), each improved by best responses;
    3. the local search (:mod:`scheduler.optimize.curtois_ls`; on long horizons in legs with best responses
       after each, an unsplit leg starting with a guided phase, :func:`_guided`), then on small models (``WHOLE_POLISH_MAX_LITS``)
       the whole model from the best roster (:func:`_polish_whole`), then large-neighbourhood search around
       the best roster until the time is up (CP-SAT moves alternating with pool moves); a search split between
       the threads takes ``LS_SPLIT_SHARE`` of the time and best responses the rest.

    The search stops early enough for the final evaluation of the roster by the whole model
    (``EVAL_S_PER_CELL`` per employee-day, at most a quarter of the time).

    The bound is the best of the whole model's and column generation's (rounded up: objectives are
    integers); the status is OPTIMAL when the objective reaches it. ``deterministic``: one worker and
    CP-SAT's deterministic time instead of the wall clock (same seed, same roster; the dynamic program's
    work is not counted, so column generation then runs to convergence: meant for small instances). Raises
    :class:`InfeasibleError` when the hard rules are proven infeasible, :class:`NoSolutionError` when no
    roster was found in time.
    """
    from scheduler.optimize.curtois_cg import ColumnGeneration

    t_start = time.perf_counter()
    # the final evaluation builds the whole model locked to the roster (8 s on Instance24 under load):
    # the search stops early enough for it
    reserve = 0.0 if deterministic else min(0.25 * time_limit_s, EVAL_S_PER_CELL * instance.horizon_days
                                            * len(instance.employees))
    clock = Clock(time_limit_s - reserve, deterministic)
    data = _Data(instance)
    rng = random.Random(seed)
    say = progress or (lambda _m: None)
    stats: dict[str, object] = {}
    best, best_cost, bound, first_s = None, None, -math.inf, None
    stats["cover_bound"] = cover = cover_bound(data)
    if cover > 0:
        bound = float(cover)
    lits = sum(len(data.types[a]) for a in range(data.n_agents)) * data.h

    from scheduler.optimize.curtois_dp import LinePricer
    dp_all = column_generation and lits <= WHOLE_MAX_LITS and all(LinePricer(data, a).usable
                                                                  for a in range(data.n_agents))
    if lits <= (WHOLE_DP_MAX_LITS if dp_all else WHOLE_MAX_LITS):
        whole = build_curtois_model(data)
        solver = cp_model.CpSolver()
        clock.configure(solver, min(clock.left(), max(1.0, 0.1 * time_limit_s)), workers, seed)
        cb = _FirstSolution(t_start)
        code = solver.solve(whole.model, cb)
        clock.charge(solver)
        stats["whole_status"] = STATUS.get(code, str(code))
        if code == cp_model.INFEASIBLE:
            raise InfeasibleError(f"{instance.name}: the hard constraints cannot all hold")
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = whole.extract(solver, np.full((data.n_agents, data.h), -1, dtype=np.int64))
            best_cost, first_s = data.cost(best), cb.first
            bound = max(bound, float(solver.best_objective_bound))
            stats["whole_objective"] = best_cost
            say(f"{instance.name}: whole model {stats['whole_status']}, objective {best_cost}, bound {bound:.0f} "
                f"at {clock.elapsed():.1f} s")
            if code == cp_model.OPTIMAL:
                return _finish(data, best, bound, t_start, first_s, stats)

    cg = None               # (none when the whole model's solve took all the time)
    if column_generation and clock.left() > 0:
        cg = ColumnGeneration(data, build_curtois_model, clock=clock, threads=workers, seed=seed)
        if best is None:
            best = cg.greedy(clock.left)
            if best is None:
                raise NoSolutionError(f"{instance.name}: no roster found in {time_limit_s:g} s")
            best_cost, first_s = data.cost(best), time.perf_counter() - t_start
            stats.update(greedy_s=round(clock.elapsed(), 2), greedy_objective=best_cost)
            if not deterministic:
                reserve = min(reserve, _eval_reserve(data, best))
                clock.limit_s = time_limit_s - reserve
                stats["eval_reserve_s"] = round(reserve, 2)
            say(f"{instance.name}: greedy roster {best_cost} at {clock.elapsed():.1f} s")
        for a in range(data.n_agents):
            cg.add_column(a, best[a])
        # a round prices every employee once, as the greedy start did: when that took more than 5 % of
        # the time, column generation cannot converge in time (Instances 13, 15, 19-24)
        round_s = stats.get("greedy_s", 0.0)
        # batched instances (19-24) get none: greedy start, best responses until POLISH_SHARE, local search
        # (before, 19 and 20 ran it up to 30 % when the greedy start took under 3 s, i.e. at low load; 60 s,
        # seeds 0-2, side by side, load 2.5-3.9: 19 3,792 / 3,586 / 3,886 without against 3,940 / 3,922 /
        # 4,034 with it, 20 5,421 / 5,603 / 5,743 against 5,528 / 5,801 / 5,578; 21-24 had none from 12,000
        # employee-days: their few rounds rounded poorly, 22 44,174 / 44,546 with, 41,518 without)
        slow = cg.batched or round_s > 0.05 * time_limit_s
        # then it gets only up to SLOW_CG_SHARE: its LP is poor but rounded sequentially it still beats
        # best responses from the greedy start (Instance13: 4308 against 6237); batched instances
        # (19-24) are not rounded, so they skip it
        # an instance not priced in batches with at least GREEDY_LS_LITS Booleans (13) gets none: the local
        # search starts from the greedy roster
        greedy_only = not cg.batched and lits >= GREEDY_LS_LITS
        if greedy_only:
            converged = False
        elif slow:
            converged = False if cg.batched else cg.iterate(clock.until(SLOW_CG_SHARE), progress=say)
        else:       # stopped when the LP stalls after a quarter of the time: the time goes to dives
            # (Instance14: two instead of one); not before, as a degenerate LP can stand still for rounds
            # on a small instance that then converges (Instance2: 831 for five rounds, optimum 828)
            converged = cg.iterate(clock.until(0.25), progress=say)
            if not converged:
                converged = cg.iterate(clock.until(0.55), progress=say,
                                       stall=CG_STALL)
        bound = max(bound, cg.bound)
        stats.update(cg_iterations=cg.iterations, cg_lp=round(cg.lp_value, 2) if math.isfinite(cg.lp_value) else None,
                     cg_converged=bool(converged), cg_batches=len({id(p) for p, _ in cg._batch.values()}),
                     cg_columns=sum(len(c) for c in cg.cols))
        # diving from an LP that has not converged gives poor rosters (Instance13): then LNS gets the time
        # nearly converged (LP within 10 % of the bound, or hardly moving any more) is good enough to
        # dive: a busy machine can stop the last few rounds
        near = converged or (math.isfinite(cg.lp_value) and (cg.lp_value - cg.bound <= 0.1 * abs(cg.lp_value) + 1
                                                             or cg.lp_stalled()))
        stats["cg_near_converged"] = bool(near)
        if cg.iterations and best_cost > _floor(bound) and clock.left() > 0:     # (batches: a dive is too slow)
            best, best_cost = _round(cg, data, clock, best, best_cost, _floor(bound), near and not cg.batched, seed,
                                     stats, say)
        # batched instances priced in a corridor (23, 24: an employee's exact program too large) get no best
        # responses before the local search: its moves gain more per second (60 s, seed 0, load 1.0-1.3,
        # side by side: 23 22,793 -> 21,566, 24 78,524 -> 72,592 without them; 19 3,649 / 20 5,326 / 22
        # 35,943 with them against 3,857 / 5,803 / 37,762 without). (The criterion was a greedy start over
        # 7 % of the time, 4.2 s at 60 s; with the compiled program 23's takes 3.1 s, and best responses
        # first gave 20,143 against 19,742 without.)
        polish_first = not (cg.batched and cg.banded)
        stats["polish_first"] = polish_first
        if clock.left() > 0 and not greedy_only and polish_first:
            # (in batches a round is slow: before, on 23 and 24 they took all the time; the local search gets half)
            best, changed = cg.polish(best, clock.until(POLISH_SHARE) if cg.batched else clock.left)
            cost = data.cost(best)
            stats["polish_changes"] = changed
            say(f"{instance.name}: best responses give {cost} ({changed} schedules changed) at {clock.elapsed():.1f} s")
            best_cost = stats["polish_objective"] = cost
    if best is None:
        raise NoSolutionError(f"{instance.name}: no roster found in {time_limit_s:g} s")
    polish_whole = column_generation and lits <= WHOLE_POLISH_MAX_LITS
    if best_cost > _floor(bound) and clock.left() > 0:
        chains = 1 if deterministic else max(1, min(workers, os.cpu_count() or 1))
        split = not deterministic and split_search(data, chains)
        best, best_cost = _anneal(data, best, best_cost, clock, seed, _floor(bound), stats, say, chains,
                                  cg=cg,
                                  share=WHOLE_POLISH_LS_SHARE if polish_whole else LS_SPLIT_SHARE if split
                                  else LS_LEGS_SHARE if column_generation and data.h >= CYCLES_MIN_DAYS else LS_SHARE)
    if polish_whole and best_cost > _floor(bound) and clock.left() > 0:
        best, best_cost, bound = _polish_whole(data, best, best_cost, bound, clock, seed, stats, say)
    if best_cost > _floor(bound):
        best, best_cost = _lns(data, best, best_cost, clock, rng, seed, _floor(bound), stats, say, cg=cg)
    return _finish(data, best, bound, t_start, first_s, stats)


def _round(cg, data: _Data, clock: Clock, best: np.ndarray, best_cost: int, floor: int, near: bool, seed: int,
           stats: dict, say: Callable[[str], None]) -> tuple[np.ndarray, int]:
    """Rosters from column generation's LP, each improved by best responses; the best one is kept.

    When the LP is far from converged, the LP-guided sequential rounding only
    (``ColumnGeneration.round_sequential``, about a second). Otherwise dives until ``DIVES_SHARE`` of
    the time: the first as before, then the sequential rounding, then dives perturbed (``DIVE_NOISE``)
    from the LP with every employee freed again (a dive out of time ends by sequential rounding). One
    LP gives very different dives (Instance14: 1291-1734, Instance6: 1952-2179), and a dive takes
    1-13 s on Instances 6-14, so several fit. At most ``MAX_DIVES`` (the deterministic clock does not
    count the dynamic program's work)."""
    name = data.inst.name

    def keep(roster: np.ndarray, label: str) -> int:
        nonlocal best, best_cost
        roster, _ = cg.polish(roster, clock.until(POLISH_SHARE) if cg.batched else clock.left)
        cost = data.cost(roster)
        say(f"{name}: {label} gives {cost} after best responses at {clock.elapsed():.1f} s")
        if cost < best_cost:
            best, best_cost = roster, cost
        return cost

    if not near:
        stats["sequential_objective"] = keep(cg.round_sequential(), "sequential rounding")
        return best, best_cost
    rng = np.random.default_rng(seed)
    until = clock.until(DIVES_SHARE)
    costs: list[int] = []
    last_s = 0.0
    while len(costs) < MAX_DIVES and best_cost > floor and clock.left() > 0 and (not costs or until() > last_s):
        t0 = clock.elapsed()
        if costs:
            try:
                cg.unfix_all()
            except RuntimeError as exc:
                stats["dive_error"] = str(exc)
                break
        if len(costs) == 1:
            stats["sequential_objective"] = keep(cg.round_sequential(), "sequential rounding")
            if best_cost <= floor:
                break
        first = not costs
        try:
            dived = cg.dive(until, share=DIVE_SHARE, iters_per_step=DIVE_ITERS,
                            rng=None if first else rng, noise=0.0 if first else DIVE_NOISE)
        except RuntimeError as exc:         # the master LP failed (even from scratch)
            say(f"{name}: diving stopped: {exc}")
            stats["dive_error"] = str(exc)
            break
        if first:
            stats["dive_objective"] = data.cost(dived)
        costs.append(keep(dived, f"dive {len(costs) + 1}"))
        last_s = clock.elapsed() - t0
    stats["dives"] = costs
    return best, best_cost


def split_search(data: _Data, chains: int) -> bool:
    """Whether the local search's ``chains`` threads split the employees of one search (:func:`_anneal`)
    rather than run independent chains: with several threads, from ``SPLIT_MIN_AGENTS`` employees and
    ``SPLIT_MIN_CELLS`` employee-days."""
    return chains > 1 and data.n_agents >= SPLIT_MIN_AGENTS and data.n_agents * data.h >= SPLIT_MIN_CELLS


def _anneal(data: _Data, best: np.ndarray, best_cost: int, clock: Clock, seed: int, floor: int, stats: dict,
            say: Callable[[str], None], chains: int = 1, cg=None, share: float = LS_SHARE) -> tuple[np.ndarray, int]:
    """Simulated annealing (:mod:`scheduler.optimize.curtois_ls`) on the best roster until ``share`` of the time
    that is left, in one run followed by best responses (``cg``) on its result when it improved, or, on horizons
    from ``CYCLES_MIN_DAYS`` when the search is not split, in ``LS_CYCLES`` such runs that are consecutive legs of
    one cooling (:func:`ls_temperatures`), or, split, in ``SPLIT_LEGS`` legs; each run is the best of ``chains``
    independent chains side by side (one per worker: nothing else runs then), or, from ``SPLIT_MIN_AGENTS``
    employees and ``SPLIT_MIN_CELLS`` employee-days, one search whose employees are split between the workers (:func:`.curtois_ls._anneal_split`;
    60 s, side by side, load 1.5-1.9: 24 71,482 / 67,278 -> 61,760 / 63,374, 23 21,004 / 21,232 -> 20,318 / 20,387, 21
    22,394 / 22,211 -> 22,154 / 22,229; with 50 employees a half lacks partners: 20 5,216 / 5,200 -> 5,410 / 5,343,
    22 35,306 / 35,544 -> 35,192 / 35,674). The split pays where the search is far from converged at the deadline;
    on Instance13 (28 days) the split also won while the loop was slow (1,567 / 1,658 / 1,628 / 1,643 -> 1,525 /
    1,549 / 1,532 / 1,627), but with the loop 1.8 x faster (2026-12-05) a chain converges and its end varies with
    the seed (11 or 12 short cells), so the best of two chains is safer: seeds 0-5, back to back, quiet machine,
    split 1,449 / 1,545 / 1,458 / 1,444 / 1,547 / 1,521 against two chains 1,449 / 1,454 / 1,445 / 1,451 / 1,473 /
    1,446 (target 1,483; 2026-12-06). In deterministic mode each run has a move budget (``DET_MOVES_PER_S`` per
    second of the deterministic clock), charged to that clock."""
    end = clock.elapsed() + share * clock.left()
    moves = 0
    split = not clock.deterministic and split_search(data, chains)
    cycles = 1 if cg is None else SPLIT_LEGS if split else LS_CYCLES if data.h >= CYCLES_MIN_DAYS else 1
    for k in range(cycles):
        budget = (end - clock.elapsed()) / (cycles - k)
        if budget <= 0 or best_cost <= floor:
            break
        temps = ls_temperatures(k, cycles, LEGS_T_END if cycles > 1 and not split else T_END)
        start, start_cost = best, best_cost
        if (cg is not None and not split and not clock.deterministic and cycles > 1 and k >= GUIDED_FROM_LEG
                and GUIDED_BOOST > 0):
            t0 = clock.elapsed()
            start, start_cost = _guided(data, best, clock, cg, budget, seed + k, temps, chains)
            say(f"{data.inst.name}: guided phase gives {start_cost} at {clock.elapsed():.1f} s")
            budget -= clock.elapsed() - t0
        if clock.deterministic:
            roster, cost, st = anneal(data, start, max_moves=int(DET_MOVES_PER_S * budget), seed=seed + k,
                                      floor=floor, chains=chains, t_start=temps[0], t_end=temps[1])
            clock.spend(budget)
        else:
            stop = clock.elapsed() + budget
            roster, cost, st = anneal(data, start, time_left=lambda stop=stop: stop - clock.elapsed(), seed=seed + k,
                                      floor=floor, chains=chains, split=split, t_start=temps[0], t_end=temps[1])
        moves += st["ls_moves"]
        stats["ls_compile_s"] = stats.get("ls_compile_s", 0.0) + st["ls_compile_s"]    # (0.2 s from the cache)
        of = (f", {chains} parts" if "ls_split_parts" in st else
              f", best of {chains} chains: {', '.join(map(str, st['ls_chain_costs']))}" if chains > 1 else "")
        say(f"{data.inst.name}: local search gives {cost} ({st['ls_moves']} moves{of}) at {clock.elapsed():.1f} s")
        if cg is not None and cost < start_cost and clock.left() > 0:
            # after the last of several legs, or after a split search, best responses take the time left; after
            # the other legs of a split search SPLIT_MID_POLISH of the phase's, of an unsplit one the phase's (a
            # single unsplit run leaves them none: the LNS gets it)
            last = k == cycles - 1 and (cycles > 1 or split)
            until = clock.elapsed() + (SPLIT_MID_POLISH if split else 1.0) * (end - clock.elapsed())
            roster, _ = cg.polish(roster, clock.left if last else (lambda: until - clock.elapsed()))
            cost = data.cost(roster)
            say(f"{data.inst.name}: best responses give {cost} at {clock.elapsed():.1f} s")
        if cost < best_cost:
            best, best_cost = roster, cost
    stats.update(ls_moves=moves, ls_objective=best_cost)
    return best, best_cost


def _guided(data: _Data, roster: np.ndarray, clock: Clock, cg, budget: float, seed: int,
            temps: tuple[float, float], chains: int) -> tuple[np.ndarray, int]:
    """The guided phase before a leg of the local search (a guided local search's penalties on the cover,
    :func:`.curtois_ls.guided_anneal`): a local search of ``GUIDED_LS`` of the leg's ``budget`` in which
    ``GUIDED_UPDATES`` times, evenly spaced, each cover cell short at that moment counts one more step and weighs
    its under weight × (1 + ``GUIDED_BOOST`` × its steps) from then on; then best responses priced with the last
    weights (``GUIDED_BR`` of the budget). The leg goes on from where they leave the roster, with the true
    weights. Returns that roster and its (true) objective.

    The search's rosters are local optima where a cover cell gained costs one lost elsewhere (a weekend worked
    early in the year for one late, with run repairs around both): at the annealing's temperatures (3 → 0.2)
    such a move (+100 before the gain) is never taken. Weighing the short cells more makes those trades pay,
    the shortfall moves, and the true search after it takes the pairs of cells that then fit. From a 60 s
    roster of Instance22 (34,049), four rounds of 4 s guided search, 2 s guided best responses, 4 s search and
    3 s best responses gave 33,470 / 33,633 / 33,541 at seeds 0-2; the same rounds without the guided part
    stayed at 34,044 (docs/benchmarks.md). The weights grow inside one run rather than between runs (fixed for
    each of three, six or ten runs: 60 s, seeds 0-4, Instance22 means 33,465 / 33,209 / 33,194; updated every
    0.5 s, about ten times: 33,177)."""
    stop = clock.elapsed() + GUIDED_LS * budget
    roster, _, weights, _ = guided_anneal(data, roster, time_left=lambda: stop - clock.elapsed(),
                                          seed=seed + GUIDED_SEED, t_start=temps[0], t_end=temps[1],
                                          every_s=GUIDED_LS * budget / GUIDED_UPDATES, boost=GUIDED_BOOST,
                                          chains=chains)
    until = clock.elapsed() + GUIDED_BR * budget
    roster, _ = cg.polish(roster, lambda: until - clock.elapsed(), under=weights)
    return roster, data.cost(roster)


def ls_temperatures(k: int, cycles: int, t_end: float = T_END) -> tuple[float, float]:
    """Start and end temperature of the ``k``-th of ``cycles`` annealing runs: consecutive legs of one
    geometric cooling from ``curtois_ls.T_START`` to ``t_end`` (each run goes on from where the last one stopped
    instead of heating the roster again)."""
    ratio = t_end / T_START
    return T_START * ratio ** (k / cycles), T_START * ratio ** ((k + 1) / cycles)


def _polish_whole(data: _Data, best: np.ndarray, best_cost: int, bound: float, clock: Clock, seed: int, stats: dict,
                  say: Callable[[str], None]) -> tuple[np.ndarray, int, float]:
    """The whole model solved by CP-SAT (``WHOLE_POLISH_WORKERS`` workers: a portfolio of its own
    neighbourhoods) from the best roster as its hint until the time is up; its roster is kept when better,
    its bound when higher. Returns (roster, objective, bound).

    For small models (``WHOLE_POLISH_MAX_LITS``): on Instance8 (2,324 Booleans) the local search has
    converged well before its time is up (a third of it gives rosters as good), and this phase took all
    twelve rosters lower, by 2-16 (60 s, seeds 0-11, side by side: mean 1,320.6 -> 1,312.7, above the
    target 1,326 six times -> never; docs/benchmarks.md)."""
    whole = build_curtois_model(data)
    whole.hint(best)
    solver = cp_model.CpSolver()
    clock.configure(solver, clock.left(), WHOLE_POLISH_WORKERS, seed, portfolio=True)
    code = solver.solve(whole.model)
    clock.charge(solver)
    stats["whole_polish_status"] = STATUS.get(code, str(code))
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = max(bound, float(solver.best_objective_bound))
        roster = whole.extract(solver, best)
        cost = data.cost(roster)
        stats["whole_polish_objective"] = cost
        say(f"{data.inst.name}: whole model from the best roster gives {cost} at {clock.elapsed():.1f} s")
        if cost < best_cost:
            best, best_cost = roster, cost
    return best, best_cost, bound


def _eval_reserve(data: _Data, roster: np.ndarray) -> float:
    """Seconds to keep for the final evaluation (:func:`_evaluate`) of a roster like ``roster``: the locked
    model of ``EVAL_SAMPLE`` employees built and timed now, scaled to all of them, times ``EVAL_SAFETY``.
    (The fixed ``EVAL_S_PER_CELL`` kept 10.9 s on Instance24, whose evaluation takes 2.5 s at load 1.2;
    the sample gives 2.6-3.0 s, so 5.2-6.1 s were kept at a safety of 2; Instance22 0.85 s against 0.80 s.
    On 2026-12-05 the sample still over-estimated — 23 1.75 s for 1.6 s, 24 2.95 s for 2.5 s — and the
    runs ended 1.8 / 3.4 s before their 60 s: a safety of 1.5 gives the search that time. One timing varies:
    Instance24's sample scaled 4.1-10.7 s (evaluation 2.8-3.0 s; 6.67 s in the 2026-12-06 table run, which ended
    at 56.1 s), so the least of ``EVAL_TIMINGS``.)"""
    agents = list(range(min(EVAL_SAMPLE, data.n_agents)))
    took = []
    for _ in range(EVAL_TIMINGS):
        t0 = time.perf_counter()
        build_curtois_model(data, agents=agents, base=roster, lock=True)
        took.append(time.perf_counter() - t0)
    return max(EVAL_MIN_S, EVAL_SAFETY * min(took) * data.n_agents / len(agents))


def _weekend_short(data: _Data) -> tuple[int, int]:
    """(Weekend cells short in every roster, the least under-cover weight of a weekend cell) — a lower
    bound on the objective from the weekends alone: each weekend an employee works covers at
    most two weekend cells, and two only as a pair of shifts the succession rules allow (Saturday's shift
    followed by Sunday's). Per weekend at most ``M_w`` such pairs fit the demand (a maximum matching of the
    Saturday demand to the Sunday demand over the allowed successions, by a maximum flow:
    :func:`.curtois_cg.weekend_pairs`); with ``W`` the weekends all employees may work (each its maximum, less the
    weekends it has fixed off) the cells covered are at most ``min(Σ M_w, W) + W``, so at least
    ``D − min(Σ M_w, W) − W`` of the weekend demand ``D`` stay short, each costing at least the least
    under-cover weight. Per-employee shift types and single fixed days off only lower what can be covered,
    so the bound stays valid without them. On Instances 13, 19-24: 11, 28, 39, 194, 249, 141, 174 short
    cells at least (docs/benchmarks.md, *Weekend pairs*); 0 where the weekends can be covered."""
    from scheduler.optimize.curtois_cg import weekend_pairs

    weekends = [w for w in data.weekends if w]
    if not weekends:
        return 0, 0
    demand = pairs = 0
    for w in weekends:
        demand += int(data.req[list(w)].sum())
        if len(w) < 2:
            continue
        pairs += int(weekend_pairs(data.req[w[0]], data.req[w[1]], data.follows).sum())
    most = 0
    for e in data.inst.employees:
        open_weekends = sum(1 for w in weekends if not set(w) <= set(e.days_off))
        most += min(e.max_weekends, open_weekends)
    short = demand - min(pairs, most) - most
    if short <= 0:
        return 0, 0
    cells = np.zeros((data.h, data.n_shifts), dtype=bool)
    for w in weekends:
        cells[list(w)] = True
    return short, int(data.w_under[cells & (data.req > 0)].min())


def weekend_cover_bound(data: _Data) -> int:
    """The weekend pairs' bound (see :func:`_weekend_short`): the least weekend shortfall × its least weight."""
    short, weight = _weekend_short(data)
    return short * weight


def cover_bound(data: _Data) -> int:
    """A lower bound on the objective from the cover alone: the weekend pairs' bound on the shortfall
    (:func:`weekend_cover_bound`, ``k`` short cells at least) plus the surplus the employees' minimum minutes
    force. Every employee works at least its minimum, the cells that count towards their requirement hold
    at most the demand's minutes less those of the short cells, so at least ``Σ minimum minutes − demand
    minutes + k × the shortest shift`` minutes are surplus, each surplus cell holding at most the longest
    shift, each costing at least the least over weight (``k`` at its least: more short cells leave more
    surplus). Valid when every (day, shift) has a cover row (else surplus may sit where it costs nothing:
    then the weekend part alone). Instances 20-24: 3,900 / 19,400 / 24,900 / 14,100 / 17,400 → 4,603 /
    20,098 / 26,121 / 15,438 / 19,363 (best known 4,769 / 21,133 / 30,244 / 17,428 / 42,463)."""
    short, weight = _weekend_short(data)
    weekend = short * weight
    if not data.has_cover.all():
        return weekend
    surplus_min = (sum(e.min_total_min for e in data.inst.employees) - int((data.req * data.lengths[None, :]).sum())
                   + short * int(data.lengths.min()))
    if surplus_min <= 0:
        return weekend
    cells = -(-surplus_min // int(data.lengths.max()))
    return weekend + cells * int(data.w_over.min())


def _floor(bound: float) -> int:
    """The least objective ``bound`` allows (objectives are integers and never negative)."""
    return max(0, math.ceil(bound - 1e-6)) if math.isfinite(bound) else 0


def _finish(data: _Data, best: np.ndarray, bound: float, t_start: float, first_s: float | None,
            stats: dict) -> CurtoisSolution:
    objective, penalties = _evaluate(data, best)
    if objective != data.cost(best):
        raise RuntimeError(f"{data.inst.name}: model objective {objective} differs from the search's {data.cost(best)}")
    # every penalty is non-negative: 0 bounds the objective too (an unconverged Lagrangian bound can be below)
    bound_int = max(0, math.ceil(bound - 1e-6)) if bound > -math.inf else None
    return CurtoisSolution(instance=data.inst.name, roster=_to_roster(data, best), objective=objective,
                           bound=bound_int, status="OPTIMAL" if bound_int is not None and objective <= bound_int
                           else "FEASIBLE", wall_s=time.perf_counter() - t_start, first_solution_s=first_s,
                           penalties=penalties, stats=stats)


def _evaluate(data: _Data, roster: np.ndarray) -> tuple[int, dict[str, int]]:
    """The whole model with every Boolean locked to ``roster``: its objective and the penalty per rule."""
    m = build_curtois_model(data, base=roster, lock=True)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 120.0
    code = solver.solve(m.model)
    if code != cp_model.OPTIMAL:
        raise RuntimeError(f"{data.inst.name}: the rule-engine model rejects the roster ({STATUS.get(code, code)})")
    by_rule: dict[str, int] = {}
    for p in m.penalties:
        v = p.weight * (p.var if isinstance(p.var, int) else solver.value(p.var))
        if v:
            by_rule[p.rule] = by_rule.get(p.rule, 0) + int(v)
    return int(round(solver.objective_value)), by_rule


def _neighbourhood(data: _Data, best: np.ndarray, kind: str, size: float, rng: random.Random
                   ) -> tuple[list[int], list[tuple[int, int]]]:
    """Employees and day windows to free for one move of ``kind``, about ``size`` Booleans in all."""
    h, A = data.h, data.n_agents
    per_day = float(np.mean([len(t) for t in data.types])) or 1.0
    if kind == "agents":           # a few employees, whole horizon (or a long window on long horizons)
        length = min(h, max(28, int(size / (3 * per_day))))
        lo = rng.randrange(0, h - length + 1)
        k = max(2, min(A, round(size / (length * per_day))))
        return rng.sample(range(A), k), [(lo, lo + length)]
    if kind == "window":           # everyone, a few days
        length = max(2, min(h, round(size / (A * per_day))))
        lo = rng.randrange(0, h - length + 1)
        return list(range(A)), [(lo, lo + length)]
    if kind == "weekends":         # some employees on two weekends (trading weekends worked)
        if len(data.weekends) < 2:
            return _neighbourhood(data, best, "window", size, rng)
        wins = sorted((max(0, w[0] - 2), min(h, w[-1] + 3)) for w in rng.sample(data.weekends, 2))
        days = sum(b - a for a, b in wins)
        k = max(2, min(A, round(size / (days * per_day))))
        return rng.sample(range(A), k), wins
    # "cover": employees able to work a badly covered (day, shift), a window around it
    d, s = _worst_cover(data, best, rng)
    length = min(h, rng.choice([7, 10, 14]))
    lo = min(max(0, d - rng.randrange(length)), h - length)
    able = [a for a in range(A) if s in data.types[a]] or list(range(A))
    k = max(2, min(len(able), round(size / (length * per_day))))
    return rng.sample(able, k), [(lo, lo + length)]


def _lns(data: _Data, best: np.ndarray, best_cost: int, clock: Clock, rng: random.Random, seed: int,
         bound: int, stats: dict, say: Callable[[str], None], cg=None) -> tuple[np.ndarray, int]:
    """Large-neighbourhood search: free some employees on some days (:func:`_neighbourhood`), solve that
    part with CP-SAT (one worker, a short limit) around the incumbent, keep improvements and equal-cost
    moves (to drift across plateaus). Each kind's size grows when its moves are solved to optimality
    and shrinks when they time out. With column generation (``cg``) every other move is a *pool* move:
    a few employees re-choose whole schedules among their columns (``ColumnGeneration.pool_move``)."""
    kinds = ["window", "agents", "cover", "weekends"]
    target = {k: 600.0 for k in kinds}
    target["pool"] = 6.0                    # employees per pool move
    moves = improvements = 0

    def accept(cand: np.ndarray, label: str) -> None:
        nonlocal best, best_cost, improvements
        cost = data.cost(cand)
        if cost <= best_cost:
            if cost < best_cost:
                improvements += 1
                say(f"{data.inst.name}: {label} move {moves} -> {cost} at {clock.elapsed():.1f} s")
            best, best_cost = cand, cost

    while clock.left() > 0.05 and best_cost > bound:
        if cg is not None and moves % 2:
            k = max(2, min(data.n_agents, round(target["pool"])))
            agents = rng.sample(range(data.n_agents), k)
            t0 = clock.elapsed()
            cand = cg.pool_move(best, agents, min(clock.left(), 1.0), seed + moves)
            moves += 1
            if cand is not None:
                accept(cand, f"pool ({k} employees)")
            fast = clock.elapsed() - t0 < 0.5
            target["pool"] = min(target["pool"] * 1.1, 40.0) if fast else max(target["pool"] / 1.2, 2.0)
            continue
        kind = kinds[(moves // (2 if cg is not None else 1)) % len(kinds)]
        agents, days = _neighbourhood(data, best, kind, target[kind], rng)
        sub = build_curtois_model(data, agents=agents, days=days, base=best)
        sub.hint(best)
        solver = cp_model.CpSolver()
        clock.configure(solver, min(clock.left(), 0.5), 1, seed + moves)
        code = solver.solve(sub.model)
        clock.charge(solver)
        moves += 1
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            accept(sub.extract(solver, best), kind)
        if code == cp_model.OPTIMAL:
            target[kind] = min(target[kind] * 1.1, 50_000.0)
        else:
            target[kind] = max(target[kind] / 1.2, 100.0)
    stats.update(lns_moves=moves, lns_improvements=improvements, lns_sizes={k: round(v) for k, v in target.items()})
    return best, best_cost


def _worst_cover(data: _Data, roster: np.ndarray, rng: random.Random) -> tuple[int, int]:
    """A (day, shift) drawn with probability proportional to its cover penalty (uniform if none)."""
    n = data.counts(roster)
    pen = data.w_under * np.maximum(0, data.req - n) + data.w_over * np.maximum(0, n - data.req)
    flat = pen.ravel().astype(float)
    if flat.sum() <= 0:
        idx = rng.randrange(flat.size)
    else:
        idx = int(np.searchsorted(np.cumsum(flat), rng.random() * flat.sum(), side="right"))
        idx = min(idx, flat.size - 1)
    return divmod(idx, data.n_shifts)
