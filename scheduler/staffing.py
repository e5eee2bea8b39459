"""Service-level maths: from forecast volume to required agents per queue and interval.

Data contract (see docs/architecture.md). Staffing is counted in *effective agents*: productive,
senior-equivalent agents on the queue. :func:`agent_efficiency` converts a rostered agent into
effective agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.scenario import Scenario


@dataclass(frozen=True)
class LiveCurve:
    """Expected outcomes of one live queue for n = 0..n_max effective agents, per interval.

    Arrays have shape (len(interval_start), n_max + 1). ``lost`` = expected contacts of the interval
    not answered within the target (volume × (1 − SL)); it is the cost basis of under-staffing.
    """

    queue: str
    interval_start: pd.DatetimeIndex
    volume: np.ndarray
    service_level: np.ndarray
    lost: np.ndarray
    abandon_rate: np.ndarray
    asa_s: np.ndarray
    occupancy: np.ndarray
    sl_definition: str = "offered"

    @property
    def n_max(self) -> int:
        return self.service_level.shape[1] - 1


@dataclass(frozen=True)
class DeferredWork:
    """Deferred work of one queue: work arriving per interval must be done within the deadline.

    ``work_h[t]``: agent-hours (effective) of work arriving in interval t; ``deadline_intervals``: H in
    intervals (work of t is due by the end of interval t + H, counted in the queue's open intervals);
    ``min_capacity_h[t]``: the least capacity per interval that meets every deadline;
    ``backlog_h[t]``: work waiting at the end of t under that capacity.
    """

    queue: str
    interval_start: pd.DatetimeIndex
    work_h: np.ndarray
    deadline_intervals: int
    min_capacity_h: np.ndarray
    backlog_h: np.ndarray


@dataclass(frozen=True)
class Requirements:
    """What the optimizer needs: see docs/architecture.md."""

    table: pd.DataFrame
    curves: dict[str, LiveCurve] = field(default_factory=dict)
    deferred: dict[str, DeferredWork] = field(default_factory=dict)
    interval_min: int = 15


def agent_efficiency(scenario: Scenario, team: str, seniority: str, minute_of_day: int) -> float:
    """Effective agents contributed by one agent on shift and not on break at ``minute_of_day``:
    ``(1 − shrinkage) / (team AHT multiplier × seniority AHT multiplier)``."""
    shrink = scenario.shrinkage_for(team, minute_of_day)
    team_mult = scenario.teams[team].aht_multiplier if team in scenario.teams else 1.0
    sen = scenario.seniority.get(seniority)
    sen_mult = sen.aht_multiplier if sen is not None else 1.0
    return (1.0 - shrink) / (team_mult * sen_mult)
