"""Named agents: one Boolean per agent × day × shift and every personal rule of the scenario.

Maps the scenario's rules onto the generic functions of :mod:`.rules` (which know nothing about
this scenario), so the same engine serves other rostering problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ortools.sat.python import cp_model

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.model import RosterVars
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem
from scheduler.optimize.rules import (
    Calendar, Guard, Penalty, add_days_off, add_days_off_in_period, add_fairness, add_locks, add_max_consecutive_days,
    add_max_count, add_min_rest, add_overtime, add_requests, add_stable_starts, add_total_minutes,
    add_two_days_off_together,
)


def _no_guard(rule: str, agent: int, scope: str):
    return None


def day_labels(prob: RosterProblem) -> list[str]:
    """The calendar's day labels (``11-02``): the scopes that explanations name."""
    return [day.strftime("%m-%d") for day in prob.days]


def new_calendar(model: cp_model.CpModel, prob: RosterProblem, agents: Iterable[int],
                 allowed: Callable[[int, int], Iterable[int]]) -> Calendar:
    """A calendar of ``agents``; ``allowed(a, d)`` lists the shift indices agent ``a`` may work on day ``d``."""
    labels = day_labels(prob)
    cal = Calendar(model, prob.n_days, prob.shifts, agent_label=lambda a: prob.agents[a].agent_id,
                   day_label=lambda d: labels[d] if 0 <= d < len(labels) else prob.days[d].strftime("%m-%d"))
    for a in agents:
        cal.add_agent(a, lambda d, a=a: allowed(a, d))
    return cal


def default_allowed(prob: RosterProblem, *, with_leave: bool = False, honour_locks: bool = True
                    ) -> Callable[[int, int], list[int]]:
    """Shifts an agent may work on a day: its team's shifts; none on leave; only the locked one when locked."""

    def allowed(a: int, d: int) -> list[int]:
        info = prob.agents[a]
        if d in info.unavailable and not with_leave:
            return []
        if honour_locks and d in info.locked:
            s = info.locked[d]
            return [] if s is None or s not in info.shifts else [s]
        return list(info.shifts)

    return allowed


def link_counts(model: cp_model.CpModel, prob: RosterProblem, v: RosterVars, cal: Calendar) -> None:
    """Pool counts equal the sum of the named Booleans."""
    sums: dict[tuple[int, int, int], list] = {}
    for a in cal.agents:
        p = prob.agents[a].pool
        for d in range(prob.n_days):
            for s, lit in cal.lits(a, d).items():
                sums.setdefault((p, d, s), []).append(lit)
    for key, xv in v.x.items():
        model.add(xv == sum(sums.get(key, [])))
    for key, lits in sums.items():
        if key not in v.x:
            for lit in lits:
                model.add(lit == 0)


def add_personal_rules(cal: Calendar, prob: RosterProblem, agents: Sequence[int], *, guard: Guard = _no_guard,
                       with_soft_goals: bool = True, team_terms: bool = True) -> list[Penalty]:
    """Every personal rule of the scenario for ``agents``; returns the penalty terms: each agent's in turn,
    then (with soft goals and ``team_terms``) the team fairness terms (:func:`add_team_fairness`)."""
    sc = prob.scenario
    r = sc.rules
    soft_unit = int(round(sc.weights.soft_rule * OBJ_SCALE))

    def soft(rule: str) -> int | None:
        return soft_unit if rule in prob.soft else None

    out: list[Penalty] = []
    night_rest_rule = "rest_after_night" if r.rest_after_night_h is not None else "min_rest"
    for a in agents:
        info = prob.agents[a]
        out += add_days_off(cal, a, sorted(info.unavailable), rule="unavailable", guard=guard)
        out += add_locks(cal, a, info.locked, rule="lock", guard=guard)
        prev_night = info.prev_night
        out += add_min_rest(cal, a, rest_min(prob, False), applies=lambda s: not s.is_night, rule="min_rest",
                            prev_end_min=info.prev_end_min if not prev_night else None,
                            soft_weight=soft("min_rest"), guard=guard)
        out += add_min_rest(cal, a, rest_min(prob, True), applies=lambda s: s.is_night, rule=night_rest_rule,
                            prev_end_min=info.prev_end_min if prev_night else None,
                            soft_weight=soft(night_rest_rule), guard=guard)
        out += add_max_consecutive_days(cal, a, r.max_consecutive_days, prev_run=info.prev_run_days,
                                        soft_weight=soft("max_consecutive_days"), guard=guard)
        c = sc.contracts[info.contract]
        team_rate = sc.teams[info.team].cost_per_hour
        for w in prob.weeks:
            lim = week_limits(prob, info, w)
            scope = f"week {w.monday.isoformat()}"
            out += add_days_off_in_period(cal, a, w.days, lim.min_days_off, scope=scope,
                                          soft_weight=soft("min_days_off_per_week"), guard=guard)
            if lim.two_days_off:
                out += add_two_days_off_together(cal, a, w.days, scope=scope, soft_weight=soft("consecutive_days_off"),
                                                 guard=guard)
            out += add_total_minutes(cal, a, w.days, lim.min_paid_min + lim.extra_min, lim.max_paid_min + lim.extra_min, scope=scope,
                                     extra_min=lim.extra_min,
                                     soft_min=None if soft("min_hours_per_week") is None else soft_unit // 60,
                                     soft_max=None if soft("max_hours_per_week") is None else soft_unit // 60,
                                     guard=guard)
            out += add_max_count(cal, a, w.days, lambda s: s.is_night, lim.max_nights, scope=scope,
                                 rule="max_nights_per_week", soft_weight=soft("max_nights_per_week"), guard=guard)
            if with_soft_goals and c.overtime_h_per_week > 0:
                per_min = int(round((c.overtime_cost_multiplier - 1.0) * team_rate / 60 * OBJ_SCALE))
                out += add_overtime(cal, a, w.days, lim.regular_max_min + lim.extra_min, per_min, scope=scope,
                                    extra_min=lim.extra_min)
            if with_soft_goals and len(w.days) > 1:
                limit = None if r.stable_start_max_diff_h is None else int(round(r.stable_start_max_diff_h * 60))
                out += add_stable_starts(cal, a, w.days, int(round(sc.weights.stability * OBJ_SCALE)), scope=scope,
                                         limit_min=limit, excess_weight_per_h=soft_unit if limit is not None else None)
        if with_soft_goals and info.requests:
            out += add_requests(cal, a, [(d, s, want, int(round(wt * sc.weights.preference * OBJ_SCALE)))
                                         for d, s, want, wt in info.requests])
        if with_soft_goals and info.reference and sc.weights.roster_change > 0:
            # the roster being re-optimised: each agent-day that differs from it costs weights.roster_change
            w = int(round(sc.weights.roster_change * OBJ_SCALE))
            out += add_requests(cal, a, [(d, None if s is None else (s,), True, w)
                                         for d, s in sorted(info.reference.items())], rule="roster_change")
    if with_soft_goals and team_terms:
        out += add_team_fairness(cal, prob, agents)
    return out


def fairness_groups(prob: RosterProblem, agents: Sequence[int]
                    ) -> list[tuple[str, Callable, Sequence[int], list[int]]]:
    """The team fairness terms' ``(name, shift predicate, days, agents)``: nights, late shifts and weekend days of
    each team, among the members who can work them (groups of two or more)."""
    weekend = [d for d, day in enumerate(prob.days) if day.weekday() >= 5]
    all_days = range(prob.n_days)
    metrics = {
        "nights": (lambda s: s.is_night, all_days),
        "lates": (lambda s: s.is_late, all_days),
        "weekends": (lambda s: True, weekend),
    }
    out = []
    for team in sorted({prob.agents[a].team for a in agents}):
        members = [a for a in agents if prob.agents[a].team == team]
        for metric, (pred, days) in metrics.items():
            group = [a for a in members if any(pred(prob.shifts[s]) for s in prob.agents[a].shifts)]
            if len(group) >= 2 and days:
                out.append((f"fairness[{team},{metric}]", pred, days, group))
    return out


def add_team_fairness(cal: Calendar, prob: RosterProblem, agents: Sequence[int]) -> list[Penalty]:
    """Nights, weekend days and late shifts spread evenly within each team (among agents who can work them)."""
    weight = int(round(prob.scenario.weights.fairness * OBJ_SCALE))
    out: list[Penalty] = []
    for name, pred, days, group in fairness_groups(prob, agents):
        counts = {a: cal.count(a, days, pred) for a in group}
        out += add_fairness(cal, group, counts, weight, name=name, ub=len(days))
    return out
