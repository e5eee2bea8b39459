"""Column generation for the Curtois & Qu instances: a lower bound and a diving heuristic.

The master LP (HiGHS, :class:`MasterLP`) picks, for every employee, a convex combination of
*columns* — whole-horizon schedules of that employee — and pays cover shortfall and excess per (day, shift). The pricing problem
of an employee (its hard rules and requests with the cover duals on its shifts) is solved by the
dynamic program of :mod:`scheduler.optimize.curtois_dp`, or by CP-SAT on the rule-engine model of
that employee alone (:func:`build_curtois_model` with ``cover=False``) when the program cannot prove
its value (horizons up to ``CP_PRICING_MAX_DAYS``); every column obeys every hard rule. The pricing
bounds give the Lagrangian lower bound ``LP + Σ min(0, reduced cost)``, valid at every iteration.

On long horizons with many employees (``BATCH_DAYS``, ``BATCH_EMPLOYEE_DAYS``: Instances 19–24) the
employees of one contract are priced together by one batch program, and where one employee's exact
program is too large (Instances 23, 24) in a corridor around a steady pace: then pricing bounds
nothing (``banded``). The greedy start and the best responses go through the same batches.

Diving turns the LP into a roster: fix the employees whose LP schedule is (nearly) one column, price
again for the others, repeat until every employee is fixed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import highspy
import numpy as np
from numba import njit
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from scheduler.optimize.curtois_dp import MAX_CELLS, LinePricer
from scheduler.optimize.highs import new_highs

SMOOTHING = 0.0      # weight of the best-bound duals in the pricing duals (0: plain column generation;
                     # 0.5 on Instance8: 31 rounds instead of 33 but a smaller pool and a worse dive)
CP_PRICING_MAX_DAYS = 42   # CP-SAT pricing fallback up to this horizon (Instance18, 84 days: > 20 s a line)
SCALE = 100_000       # reduced costs are scaled to integers for CP-SAT (bound error ≤ 0.5/SCALE a Boolean)
BATCH_DAYS = 56       # from this horizon on, and from BATCH_EMPLOYEE_DAYS employee-days on, the employees are
BATCH_EMPLOYEE_DAYS = 3_000    # priced in batches (one program, an employee axis); Instances 19-24
BATCH_CELLS = 60_000_000   # cells of one batch's program (its employees × the cells of each)
BATCH_MAX = 25             # employees in one batch
BAND_CELLS = 20_000_000    # above this (one employee's exact program) batches use the corridor ...
BAND = 2.0                 # ... of this many shifts around a steady pace (curtois_dp.LinePricer, band)
AROUND_BAND = 1.0          # best responses in a corridor price each batch part in a corridor of this many shifts
                           # around its employees' current schedules (LinePricer.corridor_around; _polish_batched)
GREEDY_WEEKDAY_W = 0.4     # the greedy start's weight of a weekday shortfall when the weekends are short (day_weights)
INTERIOR = True            # column generation solves the master by the interior point method (dives: simplex) ...
EXACT_GAP, EXACT_ADDED = 0.01, 0.25     # ... until the LP is within 1 % of the bound or a round adds fewer
                                        # columns than a quarter of the employees


class MasterLP:
    """The restricted master LP in HiGHS, kept between solves: rows are the employees' convexity rows
    (= 1) and the cover rows (= requirement, with shortfall and excess columns at the under and over
    weights); a column is a schedule, numbered in the order :meth:`add_column` adds them. Column
    generation solves it by the interior point method without crossover while far from converged
    (central duals), then and in dives by warm primal simplex (exact duals and vertices; added columns
    and changed bounds keep the basis). On Instance13 its LP reached the optimum 1,348 in 38-39 rounds,
    ~56 s, against 38 rounds and 115 s with GLOP's warm simplex (docs/benchmarks.md)."""

    def __init__(self, n_conv: int, req: np.ndarray, w_under: np.ndarray, w_over: np.ndarray):
        # primal simplex: added columns keep the basis primal feasible
        h = self.h = new_highs(threads=1, presolve="off", simplex_strategy=4, run_crossover="off")
        n_cover = len(req)
        rhs = np.concatenate([np.ones(n_conv), np.asarray(req, dtype=float)])
        h.addRows(len(rhs), rhs, rhs, 0, np.zeros(len(rhs), dtype=np.int32), np.zeros(0, dtype=np.int32),
                  np.zeros(0))
        rows = np.arange(n_conv, n_conv + n_cover, dtype=np.int32)
        for sign, w in ((1.0, w_under), (-1.0, w_over)):       # shortfall and excess of each cover row
            h.addCols(n_cover, np.asarray(w, dtype=float), np.zeros(n_cover), np.full(n_cover, highspy.kHighsInf),
                      n_cover, np.arange(n_cover, dtype=np.int32), rows, np.full(n_cover, sign))
        self.first = 2 * n_cover                     # HiGHS index of column 0 (after the slacks)
        self.n = 0
        self.x = np.zeros(0)                         # value of each column in the last solution
        self.value = math.inf
        self.row_dual = np.zeros(len(rhs))
        self.interior = False

    def add_column(self, cost: float, rows: np.ndarray, upper: float = math.inf) -> int:
        """A column of cost ``cost`` with a 1 in each of ``rows`` (row indices); returns its number."""
        rows = np.asarray(rows, dtype=np.int32)
        self.h.addCols(1, np.array([cost], dtype=float), np.zeros(1), np.array([min(upper, highspy.kHighsInf)]),
                       len(rows), np.zeros(1, dtype=np.int32), rows, np.ones(len(rows)))
        self.n += 1
        return self.n - 1

    def set_bounds(self, cols: list[int], lower: list[float], upper: list[float]) -> None:
        if cols:
            self.h.changeColsBounds(len(cols), self.first + np.asarray(cols, dtype=np.int32),
                                    np.asarray(lower, dtype=float),
                                    np.minimum(np.asarray(upper, dtype=float), highspy.kHighsInf))

    def solve(self, interior: bool = False) -> bool:
        """Solve; True when optimal. Sets ``value``, ``x`` and ``row_dual``. ``interior``: by the interior
        point method without crossover (no basis kept: the next simplex solve starts cold), whose duals
        are central in the optimal face rather than a vertex's; else warm primal simplex (a vertex)."""
        if interior != self.interior:
            self.interior = interior
            self.h.setOptionValue("solver", "ipm" if interior else "simplex")
            if not interior:
                self.h.clearSolver()
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        sol = self.h.getSolution()
        self.x = np.asarray(sol.col_value)[self.first:]
        self.row_dual = np.asarray(sol.row_dual)
        self.value = float(self.h.getInfo().objective_function_value)
        return True

    def solve_cold(self) -> bool:
        """Solve again from no basis (after a failed warm solve)."""
        self.h.clearSolver()
        return self.solve(self.interior)


@njit(cache=True)
def _deal_weekend(out, sat, sun, flow, n_sat, n_sun, slot_sat, size):
    """Deal one weekend's units into ``out`` (employee × day × shift; see :meth:`ColumnGeneration.deal`): each
    Saturday shift ``x``'s pairs (its own shift on Sunday first, then the others in order) and singles, then
    the Sunday singles; the j-th unit of a shift from the offset of its cell (``slot_sat``) plus j, to the
    first employee from that turn that has neither of its cells yet (each cell is short of at most ``size``,
    so each side alone always finds one)."""
    S = flow.shape[0]
    j_sat = np.zeros(S, dtype=np.int64)
    j_sun = np.zeros(S, dtype=np.int64)
    for xi in range(S + 1):
        x = xi if xi < S else -1
        for q in range(S + 1):
            if x >= 0:                  # Saturday x with Sunday y (x itself first), then x alone (q == S)
                if q == S:
                    y, k = -1, n_sat[x] - flow[x].sum()
                else:
                    y = x if q == 0 else (q - 1 if q - 1 < x else q)
                    k = flow[x, y]
            else:                       # the Sunday singles
                if q == S:
                    continue
                y, k = q, n_sun[q] - flow[:, q].sum()
            for _ in range(k):
                start = slot_sat[x] + j_sat[x] if x >= 0 else slot_sat[y] + j_sun[y]
                r_sat = r_sun = -1
                for i in range(size):
                    r = (start + i) % size
                    if (x < 0 or not out[r, sat, x]) and (y < 0 or not out[r, sun, y]):
                        r_sat = r_sun = r
                        break
                if r_sat < 0:
                    for i in range(size):
                        r = (start + i) % size
                        if r_sat < 0 and not out[r, sat, x]:
                            r_sat = r
                        if r_sun < 0 and not out[r, sun, y]:
                            r_sun = r
                if x >= 0:
                    out[r_sat, sat, x] = True
                    j_sat[x] += 1
                if y >= 0:
                    out[r_sun, sun, y] = True
                    j_sun[y] += 1


def compile_kernels() -> None:
    """Compile the greedy start's dealing kernel (or load it from numba's on-disk cache) with the argument
    types :meth:`ColumnGeneration.deal` passes, so that a timed run does not pay for it."""
    one = np.ones(1, dtype=np.int64)
    _deal_weekend(np.zeros((1, 2, 1), dtype=np.bool_), 0, 1, np.ones((1, 1), dtype=np.int64), one, one.copy(),
                  np.zeros(1, dtype=np.int64), 1)


def weekend_pairs(sat: np.ndarray, sun: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """A maximum matching of the Saturday cells (``sat[x]`` of shift ``x``) to the Sunday cells (``sun[y]``)
    over the successions ``allowed[x, y]``, with as many pairs of the same shift as a maximum allows (an
    employee allowed one type need not be allowed another): how many (Saturday ``x``, Sunday ``y``) pairs
    (shift × shift integer counts), by a maximum flow of least cost (source → Saturday shifts → allowed
    Sunday shifts, a pair of two shifts costing 1 → sink)."""
    S = len(sat)
    xs, ys = np.nonzero(allowed & (sat[:, None] > 0) & (sun[None, :] > 0))
    out = np.zeros((S, S), dtype=np.int64)
    if not len(xs):
        return out
    src, snk = 2 * S, 2 * S + 1
    big = int(sat.sum() + sun.sum())
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.full(S, src), xs, S + np.arange(S)]),
        np.concatenate([np.arange(S), S + ys, np.full(S, snk)]),
        np.concatenate([sat, np.full(len(xs), big), sun]).astype(np.int64),
        np.concatenate([np.zeros(S), (xs != ys).astype(np.int64), np.zeros(S)]).astype(np.int64))
    flow.set_node_supply(src, int(sat.sum()))
    flow.set_node_supply(snk, -int(sun.sum()))
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise RuntimeError("weekend matching: the flow problem failed")
    out[xs, ys] = flow.flows(arcs[S:S + len(xs)])
    return out


class ColumnGeneration:
    """Master LP, pricing models and column pool of one instance (``data`` is ``curtois._Data``)."""

    def __init__(self, data, build: Callable, *, clock, threads: int = 2, seed: int = 0, use_dp: bool = True):
        self.data = data
        self.clock = clock
        self.h, self.S, self.A = data.h, data.n_shifts, data.n_agents
        self._build = build
        self.pricing: dict[int, object] = {}
        self.lines: dict[int, LinePricer | None] = {}
        self.use_dp = use_dp
        self.dp_calls = self.dp_inexact = 0
        self.smoothing = SMOOTHING
        self.interior = INTERIOR     # column generation's own master solves by the interior point method
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None
        self.seed = seed
        self.cols: list[list[np.ndarray]] = [[] for _ in range(self.A)]
        self.col_cost: list[list[int]] = [[] for _ in range(self.A)]
        self._keys: list[dict[bytes, int]] = [{} for _ in range(self.A)]     # schedule -> column index
        self.fixed: dict[int, int] = {}          # employee -> column index
        cells = np.argwhere(data.has_cover)                  # cover rows, by day then shift
        self._row = np.full((self.h, self.S), -1, dtype=np.int64)
        self._row[cells[:, 0], cells[:, 1]] = self.A + np.arange(len(cells))
        self._cells = cells
        self._lp = MasterLP(self.A, data.req[data.has_cover], data.w_under[data.has_cover],
                            data.w_over[data.has_cover])
        self._lam: list[list[int]] = [[] for _ in range(self.A)]       # each employee's master columns
        self.lp_value = math.inf
        self.bound = -math.inf
        self.pi = np.zeros((self.h, self.S))
        self.mu = np.zeros(self.A)
        self.iterations = 0
        self.lp_history: list[float] = []          # the master LP's value at each solve before diving
        self._lam_values: list[np.ndarray] = []
        self.batched = use_dp and self.h >= BATCH_DAYS and self.h * self.A >= BATCH_EMPLOYEE_DAYS
        self.banded = False                      # some batch prices in a corridor: no bound from pricing
        self._batch: dict[int, tuple[LinePricer, int]] = {}
        self._slot: np.ndarray | None = None       # the greedy start's dealing offsets (deal)
        self._batch_s: dict[int, float] = {}        # seconds of each batch's last program (greedy, best responses)
        if self.batched:
            self._build_batches()

    # -- columns --------------------------------------------------------------------------------

    def pattern_cost(self, a: int, pat: np.ndarray) -> int:
        """Request penalties of employee ``a`` working ``pat`` (shift index per day, −1 off)."""
        return sum(w for d, s, want, w in self.data.requests[a] if (pat[d] == s) != want)

    def add_column(self, a: int, pat: np.ndarray) -> int | None:
        """Add ``pat`` to employee ``a``'s columns (None if already there); returns its index."""
        key = pat.astype(np.int16).tobytes()
        if key in self._keys[a]:
            return None
        self._keys[a][key] = len(self.cols[a])
        cost = self.pattern_cost(a, pat)
        self.cols[a].append(pat.copy())
        self.col_cost[a].append(cost)
        days = np.nonzero(pat >= 0)[0]
        rows = self._row[days, pat[days]]
        # (no upper bound of 1: the convexity row bounds it, and a bound would take its dual)
        v = self._lp.add_column(float(cost), np.concatenate([[a], rows[rows >= 0]]),
                                upper=0.0 if a in self.fixed else math.inf)
        self._lam[a].append(v)
        return len(self.cols[a]) - 1

    def index_of(self, a: int, pat: np.ndarray) -> int:
        try:
            return self._keys[a][pat.astype(np.int16).tobytes()]
        except KeyError:
            raise KeyError(a) from None

    def fix(self, a: int, j: int) -> None:
        self.fixed[a] = j
        one = [1.0 if k == j else 0.0 for k in range(len(self._lam[a]))]
        self._lp.set_bounds(self._lam[a], one, one)

    # -- batches ---------------------------------------------------------------------------------

    def _build_batches(self) -> None:
        """Employees with the same contract (run rules, minutes, weekends) in batches of at most
        ``BATCH_MAX`` whose program stays within ``BATCH_CELLS``; the corridor when one employee's exact
        program exceeds ``BAND_CELLS``."""
        inst = self.data.inst
        groups: dict[tuple, list[int]] = {}
        for a, e in enumerate(inst.employees):
            key = (e.max_consecutive_shifts, e.min_consecutive_shifts, e.min_consecutive_days_off,
                   e.max_total_min, e.min_total_min, e.max_weekends)
            groups.setdefault(key, []).append(a)
        for members in groups.values():
            probe = LinePricer(self.data, members[0], track=False)
            band = BAND if probe.cells > BAND_CELLS else None
            if band is not None:
                probe = LinePricer(self.data, members[0], track=False, band=band)
                self.banded = True
            size = int(max(1, min(BATCH_MAX, BATCH_CELLS // max(1, probe.cells_now))))
            for k in range(0, len(members), size):
                chunk = members[k:k + size]
                pricer = LinePricer(self.data, chunk, band=band, track=False)
                for row, a in enumerate(chunk):
                    self._batch[a] = (pricer, row)

    def batches(self, agents) -> list[tuple[LinePricer, list[int], list[int]]]:
        """``agents`` by batch: (pricer, rows, agents)."""
        out: dict[int, tuple[LinePricer, list[int], list[int]]] = {}
        for a in agents:
            p, row = self._batch[a]
            entry = out.setdefault(id(p), (p, [], []))
            entry[1].append(row)
            entry[2].append(a)
        return list(out.values())

    def price_batches(self, agents, pi_of: Callable[[int], np.ndarray], *, n_best: int = 3, warm: bool = False,
                      pool: ThreadPoolExecutor | None = None, around: np.ndarray | None = None
                      ) -> dict[int, tuple[float, list[np.ndarray], bool]]:
        """The batch programs of ``agents`` with duals ``pi_of(a)`` per employee: employee ->
        (value, schedules, exact) as :meth:`LinePricer.price`. With a ``pool`` each batch's employees are
        split between its threads (a batch's program is one row per employee, each row on its own: the
        same results as one program, in about half the time on two threads). ``around`` (a roster): a batch
        priced in a corridor takes, for each part, the corridor of ``AROUND_BAND`` around its employees' schedules
        there (:meth:`.LinePricer.corridor_around`) instead of the one at the demand's pace."""
        def run(entry):
            p, rows, ags = entry
            pi = np.zeros((p.B, self.h, self.S))
            for r, a in zip(rows, ags):
                pi[r] = pi_of(a)
            win = p.corridor_around(around[ags], AROUND_BAND) if around is not None and p.band is not None else None
            res = p.price_all(pi, n_best=n_best, warm=warm, rows=rows, windows=win)
            return {a: res[r] for r, a in zip(rows, ags)}

        entries = self.batches(agents)
        if pool is not None:
            k = self.threads
            entries = [(p, rows[j::k], ags[j::k]) for p, rows, ags in entries for j in range(min(k, len(ags)))]
        out: dict[int, tuple[float, list[np.ndarray], bool]] = {}
        for part in (pool.map(run, entries) if pool is not None else map(run, entries)):
            out.update(part)
        self.dp_calls += len(out)
        return out

    # -- LP and pricing -------------------------------------------------------------------------

    def solve_lp(self, interior: bool = False) -> None:
        """Solve the master LP (``interior``: see :meth:`MasterLP.solve`) and read its duals and values."""
        lp = self._lp
        # a warm start can fail after many bound changes (GLOP did, once, in repeated dives on Instance5):
        # solve again from scratch
        if not lp.solve(interior) and not lp.solve_cold():
            raise RuntimeError(f"column generation: master LP status {lp.h.getModelStatus()}")
        self.lp_value = lp.value
        if not self.fixed:
            self.lp_history.append(self.lp_value)
        pi = np.zeros((self.h, self.S))
        pi[self._cells[:, 0], self._cells[:, 1]] = lp.row_dual[self.A:]
        self.pi = pi
        self.mu = lp.row_dual[:self.A].copy()
        self._lam_values = [self.lam(a) for a in range(self.A)]

    def lp_stalled(self, rounds: int = 4, rel: float = 0.01) -> bool:
        """Whether the master LP improved by less than ``rel`` over its last ``rounds`` solves (the
        bound lags far behind on the larger instances: Instance12's LP was 1.7 % above the optimum
        with the bound 11 % below)."""
        hist = self.lp_history
        return len(hist) > rounds and hist[-rounds - 1] - hist[-1] <= rel * abs(hist[-1])

    def lam(self, a: int) -> np.ndarray:
        return self._lp.x[self._lam[a]] if self._lam[a] else np.zeros(0)

    def _pricing_model(self, a: int):
        if a not in self.pricing:
            self.pricing[a] = self._build(self.data, agents=[a], cover=False)
        return self.pricing[a]

    def _line_pricer(self, a: int) -> LinePricer | None:
        if a not in self.lines:
            p = LinePricer(self.data, a)
            self.lines[a] = p if p.usable and self.use_dp else None
        return self.lines[a]

    def price(self, a: int, pi: np.ndarray, time_limit_s: float, *, mu: float = math.inf,
              early_stop_s: float | None = 0.02) -> tuple[float, list[np.ndarray]]:
        """Good schedules of employee ``a`` under duals ``pi``: (a lower bound of its least reduced cost
        before the convexity dual ``mu``, up to 5 schedules found).

        The dynamic program (:mod:`scheduler.optimize.curtois_dp`) prices exactly when its best schedule
        keeps the per-type maxima; otherwise (or when the program would be too large) CP-SAT prices the
        rule-engine model of the employee, and the program's value still bounds it from below; on
        horizons longer than ``CP_PRICING_MAX_DAYS`` the program's schedules that keep the maxima (its
        Lagrangian rounds) are used instead, since CP-SAT is too slow there. With
        ``early_stop_s`` the CP-SAT search stops once that long has passed and a schedule of negative
        reduced cost (below ``mu``) is in hand."""
        line = self._line_pricer(a)
        dp_bound = -math.inf
        if line is not None:
            value, pats, exact = line.price(pi)
            self.dp_calls += 1
            if exact or value == math.inf or (pats and self.h > CP_PRICING_MAX_DAYS):
                return value, pats[::-1]          # best last, as CP-SAT's callback order
            dp_bound = value
            self.dp_inexact += 1
        bound, found = self._price_cp(a, pi, time_limit_s, mu=mu, early_stop_s=early_stop_s)
        return max(bound, dp_bound), found

    def _price_cp(self, a: int, pi: np.ndarray, time_limit_s: float, *, mu: float,
                  early_stop_s: float | None) -> tuple[float, list[np.ndarray]]:
        m = self._pricing_model(a)
        x = m.cal.x[a]
        hint = self._hint_rows(a) if self.cols[a] else self._first_schedule(a, time_limit_s)
        m.model.clear_hints()
        if hint is not None:
            m.hint(hint)
        coef = np.rint(SCALE * pi).astype(np.int64)
        m.model.minimize(SCALE * m.objective - sum(int(coef[d, s]) * v for d in range(self.h)
                                                   for s, v in x[d].items() if coef[d, s]))
        solver = cp_model.CpSolver()
        self.clock.configure(solver, time_limit_s, 1, self.seed)
        p = solver.parameters
        # small models: less presolve work is faster overall (measured on Instance8: 0.39 s vs 0.63 s a round)
        p.max_presolve_iterations = 1
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
        found: list[np.ndarray] = []
        h = self.h
        threshold = SCALE * mu - 1e-6 * SCALE
        deterministic = self.clock.deterministic

        class _Collect(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(cb):
                pat = np.full(h, -1, dtype=np.int64)
                for d in range(h):
                    for s, v in x[d].items():
                        if cb.boolean_value(v):
                            pat[d] = s
                found.append(pat)
                spent = cb.deterministic_time if deterministic else cb.wall_time
                if early_stop_s is not None and cb.objective_value < threshold and spent >= early_stop_s:
                    cb.stop_search()

        code = solver.solve(m.model, _Collect())
        self.clock.charge(solver)
        if code == cp_model.INFEASIBLE:
            return math.inf, []
        # rounding the duals changes each term by at most 0.5/SCALE
        slack = 0.5 * sum(len(x[d]) for d in range(h)) / SCALE
        return solver.best_objective_bound / SCALE - slack, found[-5:]

    def _first_schedule(self, a: int, time_limit_s: float) -> np.ndarray | None:
        """Rows with employee ``a``'s first feasible schedule (requests only as objective), to hint pricing:
        with large duals and no hint, CP-SAT's single worker can miss every feasible schedule of a long,
        tightly constrained horizon (Instance20)."""
        m = self._pricing_model(a)
        m.model.minimize(m.objective)
        solver = cp_model.CpSolver()
        self.clock.configure(solver, time_limit_s, 1, self.seed)
        solver.parameters.stop_after_first_solution = True
        code = solver.solve(m.model)
        self.clock.charge(solver)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        rows = np.full((self.A, self.h), -1, dtype=np.int64)
        rows[a] = m.extract(solver, rows)[a]
        return rows

    def _hint_rows(self, a: int) -> np.ndarray:
        """A full roster array whose row ``a`` is the employee's most used column (for hints)."""
        rows = np.full((self.A, self.h), -1, dtype=np.int64)
        lam = self._lam_values[a] if a < len(self._lam_values) else np.zeros(0)
        rows[a] = self.cols[a][int(np.argmax(lam))] if len(lam) else self.cols[a][-1]
        return rows

    def iterate(self, time_left: Callable[[], float], *, max_iter: int = 1000, price_limit_s: float = 1.0,
                early_stop_s: float | None = 0.02, progress: Callable[[str], None] | None = None,
                stall: float | None = None) -> bool:
        """Column generation on the employees not fixed; returns True when it converged (no column of
        negative reduced cost exists: every pricing proven). When no column was found but some pricing
        stopped before its proof, those employees are priced again with more time (the proof pass).
        With ``stall``, it also stops (False) once the LP improved by less than that fraction over its
        last four solves."""
        free = [a for a in range(self.A) if a not in self.fixed]
        # dual smoothing (Wentges) when the dynamic program prices everyone: price at a mix of the
        # duals with the best Lagrangian bound so far and the LP's; a round that finds no column
        # (mispricing) prices at the LP's duals
        smooth = self.smoothing if all(self._line_pricer(a) is not None for a in free) else 0.0
        alpha, center, center_value = smooth, None, -math.inf
        cover_req = self.data.req * self.data.has_cover
        # interior point solves while the LP is far from its bound; near it (or once a round adds few
        # columns) simplex, whose exact duals let column generation prove convergence (with interior
        # duals, columns of reduced cost −1e-6 kept coming on Instance18 and it never converged)
        interior = self.interior and not self.fixed
        pool = self.pool()
        run = pool.map if pool is not None else map
        for _ in range(max_iter):
            self.solve_lp(interior=interior)
            if not free or time_left() <= 0:
                return not free
            pi, mu = self.pi, self.mu
            sep = pi if center is None or alpha == 0 else alpha * center + (1 - alpha) * pi
            limit = min(price_limit_s, max(0.05, time_left() / max(1, len(free)) * self.threads))
            if self.batched:        # the program alone (no CP-SAT fallback on these horizons)
                res = self.price_batches(free, lambda a: sep, pool=pool)
                results = {a: (v, pats[::-1]) for a, (v, pats, _) in res.items()}
            else:
                results = dict(zip(free, run(
                    lambda a: self.price(a, sep, limit, mu=mu[a], early_stop_s=early_stop_s), free)))
            self.iterations += 1
            added = self._add(results, pi, mu)
            unproven = [a for a in free if results[a][0] < mu[a] - 1e-6]
            if added == 0 and sep is pi and unproven and time_left() > 0 and not self.batched:
                longer = min(4 * price_limit_s, max(0.05, time_left() / len(unproven) * self.threads))
                results.update(zip(unproven, run(
                    lambda a: self.price(a, pi, longer, mu=mu[a], early_stop_s=None), unproven)))
                added = self._add({a: results[a] for a in unproven}, pi, mu)
            # Lagrangian bound at the pricing duals: Σ least reduced costs + Σ duals × requirements
            # (valid for any duals within [-over weight, under weight]; at the LP's duals it is
            # LP + Σ (least reduced cost − convexity dual))
            lagr = sum(results[a][0] for a in free) + float((sep * cover_req).sum())
            if lagr > center_value:
                center, center_value = sep.copy(), lagr
            if not self.fixed and not self.banded:
                self.bound = max(self.bound, lagr)
            if interior and (added < EXACT_ADDED * len(free)
                             or self.lp_value - self.bound <= EXACT_GAP * abs(self.lp_value) + 1e-6):
                interior = False
            if progress is not None:
                progress(f"column generation {self.iterations}: LP {self.lp_value:.1f}, bound {self.bound:.1f}, "
                         f"{added} columns added")
            if stall is not None and self.lp_stalled(rel=stall):
                self.solve_lp(interior=interior)
                return False
            if added == 0:
                if sep is not pi:
                    alpha = 0.0                 # mispricing: the LP's own duals next
                    continue
                self.solve_lp(interior=interior)
                return all(results[a][0] >= mu[a] - 1e-6 for a in free)
            alpha = smooth
        self.solve_lp(interior=interior)
        return False

    def _add(self, results: dict[int, tuple[float, list[np.ndarray]]], pi: np.ndarray, mu: np.ndarray) -> int:
        """Add the priced schedules of negative reduced cost; returns how many were new."""
        added = 0
        days = np.arange(self.h)
        for a, (_, pats) in results.items():
            for pat in pats:
                rc = self.pattern_cost(a, pat) - float(pi[days[pat >= 0], pat[pat >= 0]].sum()) - mu[a]
                if rc < -1e-6 and self.add_column(a, pat) is not None:
                    added += 1
        return added

    def greedy(self, time_left: Callable[[], float]) -> np.ndarray | None:
        """A first roster: employees one after the other, each priced against the demand the ones
        before left (an unmet requirement pays its under weight, an extra employee costs its over
        weight). None if an employee has no schedule at all (infeasible) or time ran out."""
        if self.batched:
            return self._greedy_batched(time_left)
        roster = np.full((self.A, self.h), -1, dtype=np.int64)
        n = np.zeros((self.h, self.S), dtype=np.int64)
        data = self.data
        for k, a in enumerate(range(self.A)):
            if time_left() <= 0:
                return None
            pi = np.where(n < data.req, data.w_under, -data.w_over).astype(float) * data.has_cover
            limit = max(0.05, time_left() / (self.A - k))
            line = self._line_pricer(a)
            # any schedule keeping the rules will do here (the program's, repaired if need be); CP-SAT
            # only when it has none
            pats = line.price(pi, n_best=1, warm=True)[1] if line is not None else []
            if not pats:
                pats = self.price(a, pi, limit, early_stop_s=None)[1][-1:]
            if not pats:
                return None
            roster[a] = pats[-1]
            days = np.nonzero(roster[a] >= 0)[0]
            n[days, roster[a][days]] += 1
        return roster

    def _marginal(self, n: np.ndarray, under: np.ndarray | None = None) -> np.ndarray:
        """Cover duals of one more employee given the counts ``n``: its under weight (``under``, default the
        instance's) where the requirement is not met, minus its over weight elsewhere."""
        data = self.data
        under = data.w_under if under is None else under
        return np.where(n < data.req, under, -data.w_over).astype(float) * data.has_cover

    def _rescue(self, a: int, pi: np.ndarray) -> list[np.ndarray]:
        """Schedules of ``a`` when its batch program found none keeping the maxima: its own program
        (exact windows when they are small enough, a wider corridor otherwise) with more Lagrangian
        rounds."""
        p, _ = self._batch[a]
        for band in ((p.band or BAND), 2 * (p.band or BAND), None):
            line = LinePricer(self.data, a, band=band)
            if line.usable or band is not None:
                pats = line.price(pi, n_best=3, rounds=30, warm=True)[1][:1]
                if pats:
                    return pats
        return []

    def deal(self, size: int, left: np.ndarray) -> np.ndarray:
        """The (day, shift) cells dealt to each of the ``size`` employees of a batch in the greedy start
        (``size`` × day × shift): a cell short of ``left`` employees goes to ``min(left, size)`` of them in
        turn, from an offset that varies with the day and the shift. On a weekend the Saturday and Sunday
        shifts go out in *units*: the pairs of a maximum matching of the Saturday's to the Sunday's
        shortfall over the allowed successions (:func:`weekend_pairs`), each dealt whole to one employee,
        then the cells left single, the j-th unit of a Saturday shift from that cell's offset plus j (so that
        where every pair is of one shift, this deals a Sunday as its Saturday). Dealt apart, the two days'
        shifts went to different employees, each of whom then worked a one-day weekend (Instance24's greedy
        roster: 1,002 one-day weekends, 154,045); dealt as the same shift on both days, the pairs the
        successions forbid (a 12-hour shift after itself, on 24) still split (795, 136,750); as matched
        pairs, 724 and 129,415 (23: 84,544 -> 73,215)."""
        if self._slot is None:
            self._slot = np.arange(self.h)[:, None] * 7 + np.arange(self.S)[None, :] * 3
        out = (np.arange(size)[:, None, None] - self._slot[None]) % size < left[None]
        for wd in self.data.weekends:
            if len(wd) != 2:
                continue
            sat, sun = wd
            out[:, sat] = out[:, sun] = False
            n_sat, n_sun = np.minimum(left[sat], size), np.minimum(left[sun], size)
            flow = weekend_pairs(n_sat, n_sun, self.data.follows)
            _deal_weekend(out, sat, sun, flow, n_sat, n_sun, self._slot[sat], size)
        return out

    def day_weights(self) -> np.ndarray:
        """The greedy start's weight of each day's shortfall: ``GREEDY_WEEKDAY_W`` on weekdays when the weekends
        are short in every roster (:func:`.curtois._weekend_short`) and the programs are exact, else 1.

        Where the weekends are the bottleneck a weekday cell can be covered later by anyone (the employees'
        minimum minutes fill the weekdays anyway), a weekend cell only by an employee with a weekend to spare:
        at full weight an employee of the first batches, dealt a shortfall everywhere, spends its weekends
        where its weekdays pay least, not where the weekends need it. Instance22's first quarter asks ~30
        workers a day on weekdays and weekends alike (25 later); its greedy roster left 68 of the weekend pairs
        the demand matches uncovered (weekends with fewer workers than pairs, all in the first 16 weekends,
        while later weekends had 169 workers beyond their pairs), 24 at 0.4, 15 at 0.1-0.2. 60 s, 2026-12-06:
        22 seeds 0 / 1 34,580 / 34,694 → 33,928 / 33,671 at 0.4, again 33,868 / 33,819, seed 2 33,735 (0.5: 34,053 /
        33,832; 0.3: 33,674 / 34,000; 0.2: 34,389 / 34,429 / 34,613; 0.1: 34,206 / 33,786 / 34,310 — the
        weekday shortfall left costs the best responses their time); 19-21 and 23 within their spread (they
        end at the weekend bound's shortfall either way); 24, whose corridor already holds each employee's
        weekends to the demand's pace, 46,668 / 46,761 → 46,789 / 46,893: not applied in a corridor."""
        from scheduler.optimize.curtois import _weekend_short

        out = np.ones(self.h)
        if GREEDY_WEEKDAY_W < 1.0 and not self.banded and _weekend_short(self.data)[0] > 0:
            weekend = np.zeros(self.h, dtype=bool)
            weekend[[d for wd in self.data.weekends for d in wd]] = True
            out[~weekend] = GREEDY_WEEKDAY_W
        return out

    def _greedy_batched(self, time_left: Callable[[], float]) -> np.ndarray | None:
        """The greedy start, a batch at a time: the employees of a batch are priced together against
        the demand the batches before left. So that they do not all go for the same shifts, each
        (day, shift) still short of ``r`` employees is dealt to ``r`` employees of the batch in turn:
        it pays them its full under weight, the others a fifth of it."""
        data = self.data
        roster = np.full((self.A, self.h), -1, dtype=np.int64)
        n = np.zeros((self.h, self.S), dtype=np.int64)
        day_w = self.day_weights()[:, None]
        for p, rows, ags in self.batches(range(self.A)):
            if time_left() <= 0:
                return None
            left = np.maximum(0, data.req - n) * data.has_cover
            rank = {a: k for k, a in enumerate(ags)}
            dealt = self.deal(len(ags), left)

            def pi_of(a: int) -> np.ndarray:
                mine = dealt[rank[a]]
                pi = np.where(left > 0, np.where(mine, 1.0, 0.2) * data.w_under * day_w, -data.w_over)
                return pi.astype(float) * data.has_cover

            t0 = time.perf_counter()
            res = self.price_batches(ags, pi_of, n_best=1, warm=True, pool=self.pool())
            self._batch_s[id(p)] = time.perf_counter() - t0
            for a in ags:
                pats = res[a][1] or self._rescue(a, self._marginal(n))
                if not pats:
                    return None
                roster[a] = pats[0]
                days = np.nonzero(roster[a] >= 0)[0]
                n[days, roster[a][days]] += 1
        return roster

    def _polish_batched(self, roster: np.ndarray, time_left: Callable[[], float], under: np.ndarray | None = None
                        ) -> tuple[np.ndarray, int]:
        """Best responses a batch at a time: the employees of a batch are priced together, each against
        everyone else's current schedules (split between the threads: :meth:`price_batches`); each new
        schedule is then taken in turn if it is still strictly better given the schedules taken before it.
        A batch priced in a corridor (23, 24) is priced in one around its employees' current schedules
        (``AROUND_BAND``), not at the demand's pace, which the local search's rosters leave: from Instance24's
        60 s end rosters, 10 s of best responses gave −225 / −5 at the demand's pace, −452 / −350 around the
        schedules (2 shifts), −546 (1 shift) on the first (2026-12-06)."""
        roster = roster.copy()
        n = self.data.counts(roster)
        days = np.arange(self.h)
        changed = 0
        # seconds of each batch's last program (from the greedy start before its first here), so that a batch
        # is priced only when it can finish in the time left (a batch of Instance23 or 24 takes 0.3-1 s)
        last = self._batch_s
        pool = self.pool()
        batches = self.batches(range(self.A))
        while time_left() > 0:
            before = changed
            for p, rows, ags in batches:
                if time_left() <= last.get(id(p), 0.0):
                    continue
                t0 = time.perf_counter()

                def pi_of(a: int) -> np.ndarray:
                    own = roster[a]
                    w = own >= 0
                    m = n.copy()
                    m[days[w], own[w]] -= 1
                    return self._marginal(m, under)

                res = self.price_batches(ags, pi_of, n_best=1, warm=True, pool=pool, around=roster)
                last[id(p)] = time.perf_counter() - t0
                for a in ags:
                    pats = res[a][1]
                    if not pats or np.array_equal(pats[0], roster[a]):
                        continue
                    new, own = pats[0], roster[a]
                    w = own >= 0
                    n[days[w], own[w]] -= 1
                    pi = self._marginal(n, under)
                    cur = self.pattern_cost(a, own) - float(pi[days[w], own[w]].sum())
                    value = self.pattern_cost(a, new) - float(pi[days[new >= 0], new[new >= 0]].sum())
                    if value < cur - 1e-9:
                        roster[a] = new
                        changed += 1
                        self.add_column(a, new)
                    w = roster[a] >= 0
                    n[days[w], roster[a][w]] += 1
            if changed == before or all(time_left() <= last.get(id(p), 0.0) for p, _, _ in batches):
                break
        return roster, changed

    def pool(self) -> ThreadPoolExecutor | None:
        """The threads that price employees side by side (batch programs, and each round of
        :meth:`iterate`, which a dive calls once a step; None with one thread), kept for the object's
        life: each thread keeps its program's buffers (:func:`.curtois_dp._buffer`), and a new thread
        allocating them anew took longer than the program itself (Instance23's two largest batches: 2.2 s
        side by side in fresh threads, 0.7 s in threads used before, 1.1 s one after the other)."""
        if self.threads <= 1:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="cg-pricing")
        return self._pool

    def pool_move(self, roster: np.ndarray, agents: list[int], time_limit_s: float, seed: int
                  ) -> np.ndarray | None:
        """Re-choose the schedules of ``agents`` among their columns (the pool, their current schedules
        and a fresh best response each) with everyone else fixed: a small set-partitioning model solved
        by CP-SAT (one worker), the current roster as the hint. Returns the new roster, or None when the
        solver found nothing within ``time_limit_s``."""
        data = self.data
        days = np.arange(self.h)
        n = data.counts(roster, [a for a in range(self.A) if a not in set(agents)])
        for a in agents:
            self.add_column(a, roster[a])
            line = None if self.batched else self._line_pricer(a)     # batches: the pool as it is
            if line is not None:
                pi = np.where(n < data.req, data.w_under, -data.w_over).astype(float) * data.has_cover
                _, pats, _ = line.price(pi, n_best=2)
                for pat in pats:
                    self.add_column(a, pat)
        m = cp_model.CpModel()
        pick: dict[int, list] = {}
        uses: dict[tuple[int, int], list] = {}
        obj = []
        for a in agents:
            cur = roster[a].astype(np.int16).tobytes()
            vs = [m.new_bool_var("") for _ in self.cols[a]]
            m.add_exactly_one(vs)
            for v, pat, c in zip(vs, self.cols[a], self.col_cost[a]):
                m.add_hint(v, pat.astype(np.int16).tobytes() == cur)
                if c:
                    obj.append(c * v)
                for d in days[pat >= 0]:
                    uses.setdefault((int(d), int(pat[d])), []).append(v)
            pick[a] = vs
        for (d, s), lits in uses.items():
            if not data.has_cover[d, s]:
                continue
            need = int(data.req[d, s] - n[d, s])
            short = m.new_int_var(0, max(0, need), "")
            extra = m.new_int_var(0, len(lits), "")
            m.add(sum(lits) + short - extra == need)
            obj += [int(data.w_under[d, s]) * short, int(data.w_over[d, s]) * extra]
        m.minimize(sum(obj))
        solver = cp_model.CpSolver()
        self.clock.configure(solver, time_limit_s, 1, seed)
        code = solver.solve(m)
        self.clock.charge(solver)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        out = roster.copy()
        for a, vs in pick.items():
            out[a] = self.cols[a][next(j for j, v in enumerate(vs) if solver.boolean_value(v))]
        return out

    def polish(self, roster: np.ndarray, time_left: Callable[[], float], under: np.ndarray | None = None
               ) -> tuple[np.ndarray, int]:
        """Best responses: each employee in turn takes its best schedule given everyone else's (the
        dynamic program with the marginal cover prices: a missing employee on a (day, shift) earns its
        under weight, an extra one costs its over weight) — a schedule is taken only when strictly better, so the roster never gets worse —
        until a whole round changes nothing. A schedule is taken only when it is strictly better.
        ``under``: under-cover weights (day × shift) to price with instead of the instance's (the guided
        phase of :func:`.curtois._anneal`). Returns (roster, number of schedules changed)."""
        if self.batched:
            return self._polish_batched(roster, time_left, under)
        data = self.data
        roster = roster.copy()
        n = data.counts(roster)
        days = np.arange(self.h)
        changed, stable = 0, 0
        a = 0
        while stable < self.A and time_left() > 0:
            line = self._line_pricer(a)
            own = roster[a]
            if line is not None:
                worked = own >= 0
                n[days[worked], own[worked]] -= 1
                pi = self._marginal(n, under)
                _, pats, _ = line.price(pi, n_best=1)
                if pats:
                    cur = self.pattern_cost(a, own) - float(pi[days[worked], own[worked]].sum())
                    p = pats[0]
                    value = self.pattern_cost(a, p) - float(pi[days[p >= 0], p[p >= 0]].sum())
                    if value < cur - 1e-9 and not np.array_equal(p, own):
                        roster[a] = pats[0]
                        changed += 1
                        stable = -1
                        self.add_column(a, pats[0])
                new = roster[a] >= 0
                n[days[new], roster[a][new]] += 1
            stable += 1
            a = (a + 1) % self.A
        return roster, changed

    def unfix_all(self) -> None:
        """Free every fixed employee again (the columns stay in the pool) and solve the master LP."""
        for a in self.fixed:
            n = len(self._lam[a])
            self._lp.set_bounds(self._lam[a], [0.0] * n, [math.inf] * n)
        self.fixed.clear()
        self.solve_lp()

    def dive(self, time_left: Callable[[], float], *, share: float = 0.25, iters_per_step: int = 3,
             price_limit_s: float = 1.0, rng: np.random.Generator | None = None, noise: float = 0.0
             ) -> np.ndarray:
        """Fix employees step by step (the most integral first) with a little pricing between steps.

        With ``rng`` and ``noise`` > 0 the order and the column fixed are perturbed (up to ``noise``
        added to each LP value, and to each employee's rank), so that repeated dives give different
        rosters (they differ a lot: Instance14 1291-1734 from one LP)."""
        self.solve_lp()          # columns may have been added since (best responses)
        while len(self.fixed) < self.A:
            free = [a for a in range(self.A) if a not in self.fixed]
            best = []
            for a in free:
                lam = self.lam(a)
                score = lam if rng is None or noise <= 0 else lam + noise * rng.random(len(lam)) * (lam > 1e-6)
                j = int(np.argmax(score))
                jitter = 0.0 if rng is None or noise <= 0 else noise * float(rng.random())
                best.append((float(lam[j]) + jitter, float(lam[j]), a, j))
            best.sort(reverse=True)
            n = max(1, int(math.ceil(share * len(free))), sum(1 for _, v, _, _ in best if v > 0.99))
            if time_left() <= 0:        # out of time: the rest by sequential rounding (Instance8 at load
                return self.round_sequential()      # 4: 2828 when every LP's largest column was fixed)
            for _, _, a, j in best[:n]:
                self.fix(a, j)
            if len(self.fixed) < self.A and time_left() > 0:
                self.iterate(time_left, max_iter=iters_per_step, price_limit_s=price_limit_s)
            else:
                self.solve_lp()
        return np.array([self.cols[a][self.fixed[a]] for a in range(self.A)])

    def round_sequential(self) -> np.ndarray:
        """A roster from the (solved) master LP without further column generation: the fixed employees
        keep their columns; the others, one after the other (the most integral first), take their best
        schedule (the dynamic program; their most used column when it has none) against the cover
        expected from everyone else — the schedules taken so far and the LP's fractional schedules of
        the rest. Cheap (one pricing per employee), so it also serves when the LP is far from
        converged (Instances 12, 18 under load) and to finish a dive out of time."""
        data = self.data
        frac = np.zeros((self.A, self.h, self.S))
        lams = [self.lam(a) for a in range(self.A)]
        for a in range(self.A):
            for j in np.nonzero(lams[a] > 1e-6)[0]:
                pat = self.cols[a][j]
                d = np.nonzero(pat >= 0)[0]
                frac[a, d, pat[d]] += lams[a][j]
        expected = frac.sum(axis=0)
        req = data.req * data.has_cover
        roster = np.full((self.A, self.h), -1, dtype=np.int64)
        days = np.arange(self.h)
        for a, j in self.fixed.items():
            roster[a] = self.cols[a][j]
        free = [a for a in range(self.A) if a not in self.fixed]

        def value(others: np.ndarray) -> np.ndarray:
            # value of one more employee on (day, shift) given the others' expected cover
            return ((data.w_under * np.clip(req - others, 0, 1) - data.w_over * np.clip(others + 1 - req, 0, 1))
                    * data.has_cover).astype(float)

        def take(a: int, pats: list[np.ndarray]) -> None:
            roster[a] = pats[0] if pats else self.cols[a][int(np.argmax(lams[a]))]
            w = roster[a] >= 0
            expected[days[w], roster[a][w]] += 1

        if self.batched:        # a batch at a time, each employee against the batch mates' LP schedules
            for _, _, ags in self.batches(free):
                res = self.price_batches(ags, lambda a: value(expected - frac[a]), n_best=1, warm=True)
                for a in ags:
                    expected -= frac[a]
                    take(a, res[a][1])
            return roster
        for a in sorted(free, key=lambda a: -float(lams[a].max(initial=0.0))):
            expected -= frac[a]
            line = self._line_pricer(a)
            take(a, line.price(value(expected), n_best=1)[1] if line is not None else [])
        return roster
