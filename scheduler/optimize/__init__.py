"""The roster optimizer (OR-Tools CP-SAT): named shifts, breaks, queue allocation, overflow, labour rules.

Public surface: :func:`solve_roster` → :class:`Roster`. The model and its decomposition are described
in docs/model.md; modules: ``problem`` (indexed inputs), ``model`` (coverage, breaks, allocation,
service, backlog, costs), ``rules`` (generic per-agent rules, one ``add_<rule>`` each), ``personal``
(the scenario's rules on named agents), ``aggregate`` (pool-level labour relaxations),
``decompose`` (the stages), ``solve`` (solver parameters), ``extract`` (frames), ``explain``
(infeasibility).
"""

from scheduler.optimize.api import solve_roster
from scheduler.optimize.roster import Roster, StageReport

__all__ = ["Roster", "StageReport", "solve_roster"]
