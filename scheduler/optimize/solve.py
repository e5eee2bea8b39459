"""Running CP-SAT: the one place that sets solver parameters, and the outcome of one solve.

``deterministic`` mode uses one worker, the fixed seed and a *deterministic* time limit (CP-SAT's
work counter, roughly seconds on a quiet machine), so the same inputs give the same roster on every
run whatever the machine's load; a wall-clock safety limit of 10× the budget stops runaway solves.
Solver logs go to the ``scheduler.optimize.solve`` logger (``solver.log: true`` or ``-v``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.scenario import Solver as SolverSpec

log = logging.getLogger(__name__)

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN", cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass
class SolveOutcome:
    label: str
    status: str
    objective: float | None          # objective units (None without a solution)
    bound: float                     # best proven lower bound, objective units
    wall_s: float
    first_solution_s: float | None
    solutions: int
    solver: cp_model.CpSolver

    @property
    def has_solution(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, label: str, report: Callable[[str], None] | None, t0: float, scale: float):
        super().__init__()
        self.label = label
        self.report = report
        self.t0 = t0
        self.scale = scale
        self.first: float | None = None
        self.count = 0
        self._last_report = -1e9

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.t0
        self.count += 1
        if self.first is None:
            self.first = now
        if self.report is not None and now - self._last_report >= 5.0:
            self._last_report = now
            self.report(f"{self.label}: solution {self.count} at {now:.1f} s, objective "
                        f"{self.objective_value / self.scale:,.0f}, bound {self.best_objective_bound / self.scale:,.0f}")


def configure(solver: cp_model.CpSolver, spec: SolverSpec, budget_s: float, *, workers: int | None = None) -> None:
    """Every solver parameter is set here (time limit, workers, seed, logging)."""
    p = solver.parameters
    p.random_seed = int(spec.seed)
    budget_s = max(0.05, float(budget_s))
    if spec.deterministic:
        p.num_workers = 1
        p.max_deterministic_time = budget_s
        p.max_time_in_seconds = 10.0 * budget_s + 30.0
    else:
        p.num_workers = int(workers if workers is not None else spec.workers)
        p.max_time_in_seconds = budget_s
    p.log_search_progress = bool(spec.log)
    if spec.log:
        p.log_to_stdout = False
        solver.log_callback = lambda line: log.info("%s", line)


def run(model: cp_model.CpModel, spec: SolverSpec, budget_s: float, *, label: str, scale: float,
        progress: Callable[[str], None] | None = None, workers: int | None = None,
        assumptions: list | None = None, params: dict | None = None) -> SolveOutcome:
    """Solve ``model`` within ``budget_s`` and report status, objective, bound and timings."""
    solver = cp_model.CpSolver()
    configure(solver, spec, budget_s, workers=workers)
    for key, value in (params or {}).items():
        setattr(solver.parameters, key, value)
    if assumptions:
        model.clear_assumptions()
        model.add_assumptions(assumptions)
    t0 = time.perf_counter()
    cb = _Progress(label, progress, t0, scale)
    code = solver.solve(model, cb)
    wall = time.perf_counter() - t0
    status = STATUS.get(code, str(code))
    has = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    has_objective = model.has_objective()
    objective = solver.objective_value if has and has_objective else (0.0 if has else None)
    bound = solver.best_objective_bound if has_objective else 0.0
    if code == cp_model.OPTIMAL and objective is not None:
        bound = objective
    log.info("%s: %s in %.2f s, objective %s, bound %s, %d solutions", label, status, wall,
             None if objective is None else f"{objective / scale:,.2f}", f"{bound / scale:,.2f}", cb.count)
    return SolveOutcome(label=label, status=status, objective=objective, bound=bound, wall_s=wall,
                        first_solution_s=cb.first, solutions=cb.count, solver=solver)
