"""What each agent may work in each Monday–Sunday week, after leave, contract and the previous period.

One place for the conventions both the aggregate and the per-agent rules use (docs/model.md):
(the same as the independent validator's, scheduler/validate.py)
- min weekly hours are prorated by the week's days inside the horizon and not on leave
  (``min_h × available days / 7``, leave = ``unavailable`` or a ``LEAVE`` lock); only the horizon's
  shifts count towards them;
- max weekly hours (+ overtime) and max nights apply to the horizon's shifts plus the previous
  period's shifts of the same week;
- days off in a week only partly inside the horizon: ``floor(min_days_off × days inside / 7)``;
- two consecutive days off (when asked, and min_days_off_per_week >= 2) in whole weeks only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scheduler.optimize.problem import AgentInfo, RosterProblem, Week


@dataclass(frozen=True)
class WeekLimits:
    days: tuple[int, ...]
    available: tuple[int, ...]          # days not on leave
    min_paid_min: int
    max_paid_min: int                   # regular max + overtime, minus previous minutes of the week
    regular_max_min: int                # regular max minus previous minutes of the week
    extra_min: int                      # previous minutes of the week (already worked)
    min_days_off: int                   # inside the horizon
    max_nights: int
    two_days_off: bool


def week_limits(prob: RosterProblem, a: AgentInfo, w: Week) -> WeekLimits:
    sc = prob.scenario
    c = sc.contracts[a.contract]
    r = sc.rules
    available = tuple(d for d in w.days if d not in a.unavailable)
    prev_days, prev_min, prev_nights = a.prev_week.get(w.index, (0, 0, 0))
    n = len(w.days)
    min_off = r.min_days_off_per_week if n == 7 else math.floor(r.min_days_off_per_week * n / 7)
    min_paid = math.ceil(c.min_hours_per_week * 60 * len(available) / 7 - 1e-6)
    return WeekLimits(
        days=w.days, available=available, min_paid_min=min_paid,
        max_paid_min=int(round((c.max_hours_per_week + c.overtime_h_per_week) * 60)) - prev_min,
        regular_max_min=int(round(c.max_hours_per_week * 60)) - prev_min, extra_min=prev_min,
        min_days_off=min(min_off, len(w.days)), max_nights=max(0, r.max_nights_per_week - prev_nights),
        two_days_off=r.consecutive_days_off and n == 7 and r.min_days_off_per_week >= 2,
    )


def rest_min(prob: RosterProblem, after_night: bool) -> int:
    r = prob.scenario.rules
    if after_night and r.rest_after_night_h is not None:
        return int(round(r.rest_after_night_h * 60))
    return int(round(r.min_rest_h * 60))
