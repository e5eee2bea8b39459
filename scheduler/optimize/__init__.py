"""The roster optimizer (OR-Tools CP-SAT): named shifts, breaks, queue allocation, overflow, labour rules.

Public surface: :func:`solve_roster` → :class:`Roster`. The model and its stages are described in
docs/model.md; modules: ``problem`` (indexed inputs), ``rules`` (generic per-agent rules, one
``add_<rule>`` each), ``personal`` (the scenario's rules on named agents), ``greedy`` (shift counts),
``assign`` (named agents, CP-SAT), ``placement`` (breaks, allocation, exact cost), ``bound`` (lower
bounds), ``model`` + ``aggregate`` (the pool-level CP-SAT model: coverage, breaks, allocation,
service, backlog, costs, labour relaxations), ``solve`` (solver parameters), ``extract`` (frames),
``explain`` (infeasibility), ``api`` (the stages in order).
"""

from scheduler.optimize.api import solve_roster
from scheduler.optimize.roster import Roster, StageReport

__all__ = ["Roster", "StageReport", "solve_roster"]
