"""``scheduler bench``: the roster engine on published benchmark instances, every solution re-scored.

:func:`run_curtois` reads Curtois & Qu instances (a file or a folder of ``Instance*.txt``), solves each
with :func:`scheduler.optimize.curtois.solve_curtois` (the project's rule engine), re-scores the roster
with the independent checker :func:`scheduler.validate_curtois.check_curtois` and compares with the
best known values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from scheduler.errors import InputFileError, NoSolutionError
from scheduler.io.curtois import read_curtois, write_curtois_roster
from scheduler.optimize.curtois import solve_curtois
from scheduler.validate_curtois import check_curtois

# (best known lower bound, best known solution): schedulingbenchmarks.org/nrp as reproduced in
# Jij-Inc/JijBench README (commit 2c1fded8, ~2022); ../shared/benchmarks/curtois-qu-nrp-1-24/README.md
BEST_KNOWN: dict[str, tuple[int, int]] = {
    "Instance1": (607, 607), "Instance2": (828, 828), "Instance3": (1001, 1001), "Instance4": (1716, 1716),
    "Instance5": (1143, 1143), "Instance6": (1950, 1950), "Instance7": (1056, 1056), "Instance8": (1300, 1300),
    "Instance9": (439, 439), "Instance10": (4631, 4631), "Instance11": (3443, 3443), "Instance12": (4040, 4040),
    "Instance13": (1348, 1348), "Instance14": (1278, 1278), "Instance15": (3829, 3831), "Instance16": (3225, 3225),
    "Instance17": (5746, 5746), "Instance18": (4459, 4459), "Instance19": (3149, 3149), "Instance20": (4769, 4769),
    "Instance21": (21133, 21133), "Instance22": (30240, 30244), "Instance23": (16990, 17428),
    "Instance24": (26571, 42463),
}


@dataclass
class CurtoisRun:
    """One instance solved and re-scored."""

    instance: str
    days: int
    employees: int
    shift_types: int
    objective: int | None                    # None: no roster found within the time limit
    bound: int | None
    status: str                              # OPTIMAL (proven), FEASIBLE or NO_SOLUTION
    wall_s: float
    scorer_objective: int | None
    scorer_agrees: bool
    violations: list[str]
    best_known: int | None
    best_lower_bound: int | None
    gap_to_best_pct: float | None           # (objective − best known) / best known × 100
    first_solution_s: float | None = None
    penalties: dict[str, int] = field(default_factory=dict)
    stats: dict[str, object] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.scorer_agrees and not self.violations

    def as_dict(self) -> dict:
        return asdict(self)


def _number(path: Path) -> tuple[int, str]:
    m = re.search(r"(\d+)$", path.stem)
    return (int(m.group(1)) if m else 10**9, path.name)


def curtois_paths(path: str | Path) -> list[Path]:
    """The instance files named by ``path``: the file itself, or a folder's ``Instance*.txt`` in number order."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("Instance*.txt"), key=_number)
        if not files:
            raise InputFileError("no Instance*.txt file in this folder", file=str(p))
        return files
    if not p.exists():
        raise InputFileError("file not found", file=str(p))
    return [p]


# one employee, one week, covered already: enough to compile the local search's loop
_WARM_UP = "\n".join(
    ["SECTION_HORIZON", "7", "", "SECTION_SHIFTS", "D,480,", "", "SECTION_STAFF", "A,D=7,3360,0,7,1,1,1", "",
     "SECTION_DAYS_OFF", "A", "", "SECTION_SHIFT_ON_REQUESTS", "", "SECTION_SHIFT_OFF_REQUESTS", "",
     "SECTION_COVER", *(f"{d},D,1,100,1" for d in range(7)), ""])


def warm_up_local_search() -> float:
    """Compile the local search's loop (:mod:`scheduler.optimize.curtois_ls`, numba) and the pricing
    program's kernels (:mod:`scheduler.optimize.curtois_dp`) and the greedy start's dealing
    (:mod:`scheduler.optimize.curtois_cg`), or load them from numba's on-disk cache, on
    a one-week instance; returns the seconds it took. The first run after a change of the local search
    compiles for 10-16 s on the benchmark's 2-core machine, charged to whichever instance reaches the
    local search first (Instance5 of the 2026-12-04 02:41 run: 9.8 s of its 60 s); :func:`run_curtois`
    calls this before it times anything."""
    from scheduler.io.curtois import parse_curtois
    from scheduler.optimize.curtois import _Data
    from scheduler.optimize.curtois_cg import compile_kernels as compile_dealing
    from scheduler.optimize.curtois_dp import compile_kernels
    from scheduler.optimize.curtois_ls import anneal

    t0 = time.perf_counter()
    data = _Data(parse_curtois(_WARM_UP, name="warm-up"))
    anneal(data, np.zeros((1, data.h), dtype=np.int64), max_moves=1)
    compile_kernels(data)
    compile_dealing()
    return time.perf_counter() - t0


def run_curtois(path: str | Path, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0,
                deterministic: bool = False, roster_dir: str | Path | None = None,
                progress: Callable[[str], None] | None = None) -> list[CurtoisRun]:
    """Solve every instance of ``path`` within ``time_limit_s`` each and re-score it independently (the
    local search compiled first, outside the time limits: :func:`warm_up_local_search`)."""
    files = curtois_paths(path)
    compile_s = warm_up_local_search()
    if progress:
        progress(f"local search compiled or loaded from the cache in {compile_s:.1f} s")
    runs = []
    for file in files:
        inst = read_curtois(file)
        if progress:
            progress(f"{inst.name}: {inst.horizon_days} days, {len(inst.employees)} employees, "
                     f"{len(inst.shifts)} shift types, {time_limit_s:g} s")
        try:
            sol = solve_curtois(inst, time_limit_s=time_limit_s, workers=workers, seed=seed,
                                deterministic=deterministic, progress=progress)
        except NoSolutionError as exc:
            lb, ub = BEST_KNOWN.get(inst.name, (None, None))
            runs.append(CurtoisRun(inst.name, inst.horizon_days, len(inst.employees), len(inst.shifts), None, None,
                                   "NO_SOLUTION", round(time_limit_s, 2), None, True, [], ub, lb, None,
                                   stats={"error": str(exc)}))
            if progress:
                progress(str(exc))
            continue
        score = check_curtois(inst, sol.roster)
        lb, ub = BEST_KNOWN.get(inst.name, (None, None))
        run = CurtoisRun(
            instance=inst.name, days=inst.horizon_days, employees=len(inst.employees), shift_types=len(inst.shifts),
            objective=sol.objective, bound=sol.bound, status=sol.status, wall_s=round(sol.wall_s, 2),
            scorer_objective=score.objective, scorer_agrees=score.objective == sol.objective,
            violations=score.violations, best_known=ub, best_lower_bound=lb,
            gap_to_best_pct=None if ub is None else round(100.0 * (sol.objective - ub) / ub, 2),
            first_solution_s=None if sol.first_solution_s is None else round(sol.first_solution_s, 2),
            penalties=sol.penalties, stats=sol.stats,
        )
        if roster_dir is not None:
            Path(roster_dir).mkdir(parents=True, exist_ok=True)
            write_curtois_roster(Path(roster_dir) / f"{inst.name}.roster.txt", inst, sol.roster)
        if progress:
            progress(f"{inst.name}: {run.status} {run.objective} (best known {ub}), bound {run.bound}, "
                     f"{run.wall_s:.1f} s, scorer {'agrees' if run.valid else 'DISAGREES'}")
        runs.append(run)
    return runs
