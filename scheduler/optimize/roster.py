"""The optimizer's result: a named roster with breaks, allocation, coverage and the solver's report."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class StageReport:
    """One solver stage: status, objective and bound in money, wall time."""

    name: str
    status: str
    objective: float | None
    bound: float
    wall_time_s: float


@dataclass
class Roster:
    """See docs/architecture.md ("Roster").

    Money figures are in the scenario's currency. ``objective`` is the model's total cost of the
    returned roster (labour + overtime + lost contacts + over-staffing + late work + soft goals);
    ``best_bound`` the best proven lower bound of any roster (aggregate or full model); ``gap`` is
    ``(objective − best_bound) / objective``.
    """

    assignments: pd.DataFrame
    breaks: pd.DataFrame
    allocation: pd.DataFrame
    coverage: pd.DataFrame
    status: str                               # OPTIMAL | FEASIBLE
    objective: float
    best_bound: float
    gap: float
    wall_time_s: float
    time_to_first_roster_s: float
    paid_hours_by_team: dict[str, float]
    cost_by_team: dict[str, float]
    overflow_h: float
    objective_terms: dict[str, float]         # money per component (labour_cost, lost_contacts, ...)
    soft_violations: pd.DataFrame             # rule, name, agent_id, scope, amount, cost
    stages: list[StageReport] = field(default_factory=list)
    lost_contacts: float = 0.0                # expected contacts not answered in target (from the SL curves)
    count_deviations: int = 0                 # pool counts the named assignment could not take as planned

    def summary_line(self) -> str:
        return (f"{self.status}: cost {self.objective:,.0f}, bound {self.best_bound:,.0f}, gap {100 * self.gap:.2f} %, "
                f"{len(self.assignments)} shifts, {self.wall_time_s:.1f} s")
