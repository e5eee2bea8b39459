"""Every hard rule: a feasible case (the roster passes the independent validator) and an infeasible
one whose explanation names the rule (locks force the conflict on a one-week, few-agent instance)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from scheduler import columns as C
from scheduler.errors import InfeasibleError
from scheduler.optimize import solve_roster
from scheduler.validate import check_roster

from test_optimize_support import make_agents, make_requirements, make_scenario, standard_volumes

MON = date(2026, 11, 2)


def _day(i: int) -> date:
    return MON + timedelta(days=i)


def _locks(rows):
    return pd.DataFrame([{C.AGENT_ID: a, C.DATE: _day(d), C.SHIFT: s} for a, d, s in rows])


AGENTS = [
    {"agent_id": "A01", "team": "tier1", "skills": ("voice", "email")},
    {"agent_id": "A02", "team": "tier1", "skills": ("voice", "email"), "seniority": "junior"},
    {"agent_id": "N01", "team": "night", "skills": ("voice",), "night_ok": True},
    {"agent_id": "V01", "team": "overflow", "skills": ("voice",), "contract": "vendor"},
]


def _run(scenario_overrides=None, locks=None, agents=AGENTS, per_interval_hard=False, voice_peak=4.0):
    scenario = make_scenario(**{"solver": {"time_limit_s": 2, "workers": 2}, **(scenario_overrides or {})})
    agents_frame = make_agents(agents)
    req = make_requirements(scenario, standard_volumes(scenario, voice_peak=voice_peak, email_per_day=10.0))
    roster = solve_roster(scenario, agents_frame, req, locks=locks, per_interval_hard=per_interval_hard)
    violations = check_roster(scenario, agents_frame, roster.assignments, roster.breaks, locks=locks)
    return roster, [v for v in violations if v.severity == "hard"]


def _explained(rule_words, **kw):
    with pytest.raises(InfeasibleError) as exc:
        _run(**kw)
    text = str(exc.value)
    for word in rule_words:
        assert word in text, text
    assert "INFEASIBLE" not in text
    return text


# (rule, feasible kwargs, infeasible kwargs, words the explanation must contain)
CASES = {
    "unavailable": (
        dict(agents=[{**AGENTS[0], "unavailable": [_day(2)]}, *AGENTS[1:]], locks=_locks([("A01", 1, "D0900")])),
        dict(agents=[{**AGENTS[0], "unavailable": [_day(2)]}, *AGENTS[1:]], locks=_locks([("A01", 2, "D0900")])),
        ["unavailable", "A01"],
    ),
    "lock (shift of another team)": (
        dict(locks=_locks([("A01", 0, "D0900")])),
        dict(locks=_locks([("A01", 0, "N2200")])),
        ["lock", "A01", "N2200"],
    ),
    "night eligibility": (
        dict(scenario_overrides={"shifts": {"night": {"teams": ["night", "tier1"]}}},
             agents=[{**AGENTS[0], "night_ok": True}, *AGENTS[1:]], locks=_locks([("A01", 0, "N2200")])),
        dict(scenario_overrides={"shifts": {"night": {"teams": ["night", "tier1"]}}},
             locks=_locks([("A01", 0, "N2200")])),
        ["night_ok", "A01"],
    ),
    "min_rest": (
        dict(locks=_locks([("A01", 0, "D1300"), ("A01", 1, "D1000")])),
        dict(locks=_locks([("A01", 0, "D1300"), ("A01", 1, "D0700")])),
        ["min_rest", "A01"],
    ),
    "rest_after_night": (
        dict(scenario_overrides={"rules": {"rest_after_night_h": 12}},
             locks=_locks([("N01", 0, "N2200"), ("N01", 1, "N2200")])),
        dict(scenario_overrides={"rules": {"rest_after_night_h": 18}},
             locks=_locks([("N01", 0, "N2200"), ("N01", 1, "N2200")])),
        ["rest_after_night", "N01"],
    ),
    "max_consecutive_days": (
        dict(scenario_overrides={"rules": {"max_consecutive_days": 3}},
             locks=_locks([("A01", d, "D0900") for d in range(3)])),
        dict(scenario_overrides={"rules": {"max_consecutive_days": 3}},
             locks=_locks([("A01", d, "D0900") for d in range(4)])),
        ["max_consecutive_days", "A01"],
    ),
    "min_days_off_per_week": (
        dict(locks=_locks([("A01", d, "D0900") for d in range(5)])),
        dict(locks=_locks([("A01", d, "D0900") for d in range(6)])),
        ["min_days_off_per_week", "A01"],
    ),
    "consecutive_days_off": (
        dict(scenario_overrides={"rules": {"consecutive_days_off": True}},
             locks=_locks([("A01", d, "D0900") for d in (0, 2, 4)])),
        dict(scenario_overrides={"rules": {"consecutive_days_off": True}},
             locks=_locks([("A01", d, "D0900") for d in (0, 2, 4, 6)])),
        ["consecutive_days_off", "A01"],
    ),
    "max_nights_per_week": (
        dict(scenario_overrides={"rules": {"max_nights_per_week": 2}},
             locks=_locks([("N01", d, "N2200") for d in (0, 2)])),
        dict(scenario_overrides={"rules": {"max_nights_per_week": 2}},
             locks=_locks([("N01", d, "N2200") for d in (0, 2, 4)])),
        ["max_nights_per_week", "N01"],
    ),
    "min_hours_per_week": (
        dict(scenario_overrides={"contracts": {"full_time": {"min_hours_per_week": 32}},
                                 "rules": {"min_days_off_per_week": 3}}),
        dict(scenario_overrides={"contracts": {"full_time": {"min_hours_per_week": 40}},
                                 "rules": {"min_days_off_per_week": 3}}),
        ["min_hours_per_week", "A01"],
    ),
    "max_hours_per_week": (
        dict(scenario_overrides={"contracts": {"full_time": {"max_hours_per_week": 24}}},
             locks=_locks([("A01", d, "D0900") for d in range(3)])),
        dict(scenario_overrides={"contracts": {"full_time": {"max_hours_per_week": 24}}},
             locks=_locks([("A01", d, "D0900") for d in range(4)])),
        ["max_hours_per_week", "A01"],
    ),
    "min_block_h": (
        dict(locks=_locks([("V01", 0, "V1000")])),
        dict(scenario_overrides={"teams": {"overflow": {"min_block_h": 6}}}, locks=_locks([("V01", 0, "V1000")])),
        ["min_block_h", "V01"],
    ),
    "daily_target": (
        dict(scenario_overrides={"queues": {"voice": {"sla": {"daily_target": 0.5}}}}),
        dict(scenario_overrides={"queues": {"voice": {"sla": {"daily_target": 0.99}}}}, voice_peak=40.0),
        ["daily_target", "voice"],
    ),
    "coverage (per-interval requirement)": (
        dict(per_interval_hard=True, voice_peak=2.0, scenario_overrides={"queues": {"voice": {"hours": "08:00-20:00"}}},
             agents=AGENTS + [{"agent_id": f"B{i}", "team": "tier1", "skills": ("voice",)} for i in range(4)]
             + [{"agent_id": f"M{i}", "team": "night", "skills": ("voice",), "night_ok": True} for i in range(4)]),
        dict(per_interval_hard=True, voice_peak=40.0),
        ["coverage", "voice"],
    ),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_rule_feasible_case_passes_the_validator(rule):
    feasible, _, _ = CASES[rule]
    roster, hard = _run(**feasible)
    assert hard == [], [str(v) for v in hard]
    assert len(roster.assignments) > 0


@pytest.mark.parametrize("rule", list(CASES))
def test_rule_infeasible_case_is_explained(rule):
    _, infeasible, words = CASES[rule]
    _explained(words, **infeasible)


def test_soft_rule_is_priced_instead_of_enforced():
    locks = _locks([("A01", 0, "D1300"), ("A01", 1, "D0700")])
    roster, hard = _run(scenario_overrides={"rules": {"soft": ["min_rest"]}}, locks=locks)
    assert hard == []                       # the validator reports it as a soft violation
    assert "min_rest" in set(roster.soft_violations["rule"])
    assert roster.objective_terms.get("min_rest", 0) > 0


def test_incremental_roster_score_equals_the_full_model_term_by_term():
    """NamedScorer rebuilds only the agents a change touched; after drops, a move, an addition, an illegal
    shift and a return to the first roster its terms (names, weights, values, order) equal score_named's."""
    from scheduler.optimize.assign import NamedScorer, assign_greedy, score_named
    from scheduler.optimize.greedy import greedy_counts
    from scheduler.optimize.personal import fairness_groups
    from scheduler.optimize.problem import build_problem

    from test_optimize_support import make_agents, make_requirements, make_scenario, standard_volumes

    scenario = make_scenario()
    prob = build_problem(scenario, make_agents(), make_requirements(scenario, standard_volumes(scenario)))
    first = assign_greedy(prob, greedy_counts(prob))
    scorer = NamedScorer(prob, scenario.solver)

    def terms(scored):
        return None if scored is None else [(p.name, p.rule, p.weight, p.agent, p.scope, v) for p, v in scored]

    def same(named):
        full, inc = terms(score_named(prob, named, scenario.solver)), terms(scorer(named))
        assert inc == full
        return inc

    start = same(first)
    assert scorer.rescored == len(prob.agents)
    assert {r for _, r, *_ in start} >= {"fairness", "stable_starts"}
    assert any(v > 0 for _, r, *_, v in start if r == "fairness")
    named = {a: dict(days) for a, days in first.items()}
    # a fairness group with a spread: its member with the fewest counted shifts (but one) drops one of them
    name, pred, days, group = next(g for g in fairness_groups(prob, range(len(prob.agents)))
                                   if dict((t[0], t[-1]) for t in start)[g[0]] > 0)
    counted = {x: [d for d in days if d in named.get(x, {}) and pred(prob.shifts[named[x][d]])] for x in group}
    a = min((x for x in group if counted[x]), key=lambda x: len(counted[x]))
    del named[a][counted[a][0]]
    b, c = [x for x in sorted(named) if x != a and len(named[x]) >= 2 and not prob.agents[x].locked][:2]
    del named[b][max(named[b])]                       # a drop
    d, s = next(iter(named[c].items()))                # a move to another start of the agent's shifts
    named[c][d] = next(t for t in prob.agents[c].shifts if t != s and prob.shifts[t].is_night == prob.shifts[s].is_night)
    free = next(e for e in range(prob.n_days) if e not in named[a] and e not in prob.agents[a].unavailable
                and e not in days)
    named[a][free] = named[a].get(free - 1, next(iter(prob.agents[a].shifts)))      # an addition
    changed = same(named)
    assert scorer.rescored == 3
    assert dict((t[0], t[-1]) for t in changed)[name] == dict((t[0], t[-1]) for t in start)[name] + 1
    wrong = {x: dict(days) for x, days in named.items()}
    off = next(t for t in range(len(prob.shifts)) if t not in prob.agents[b].shifts)
    wrong[b][next(iter(wrong[b]))] = off               # a shift outside the agent's team
    assert same(wrong) is None
    assert same(first) == start and scorer.rescored == 0          # kept: the last two rosters of each agent


def test_calendar_sums_and_counts_hold_the_agents_current_booleans():
    """The calendar's flat sums (days worked, counts per shift kind, minutes) are exact, and a count over a range of
    days asked again after the agent's Booleans were made anew sees the new ones (the flat list is kept per agent
    and range between counts)."""
    from types import SimpleNamespace

    from ortools.sat.python import cp_model

    from scheduler.optimize.rules import Calendar, add_max_count

    shifts = [SimpleNamespace(index=i, code=c, start_min=st, length_min=ln, paid_min=ln - 30, is_night=night,
                              is_late=False)
              for i, (c, st, ln, night) in enumerate([("E", 420, 480, False), ("N", 1320, 540, True)])]
    m = cp_model.CpModel()
    cal = Calendar(m, 5, shifts)
    cal.add_agent(0, lambda d: [0, 1] if d % 2 == 0 else [0])
    nights = cal.count(0, range(5), lambda s: s.is_night)
    m.add(nights == 3)                              # every even day a night
    m.add(sum(cal.day_lits(0, [1])) == 0)
    m.add(sum(cal.day_lits(0, [3, 7])) == 1)               # (day 7 is outside the horizon: no Boolean)
    minutes = cal.minutes(0, range(5))
    solver = cp_model.CpSolver()
    assert solver.solve(m) == cp_model.OPTIMAL
    assert solver.value(minutes) == 3 * 510 + 450
    assert solver.value(cal.count(0, range(5), lambda s: not s.is_night)) == 1
    # the agent made anew (fewer shifts allowed): the same count sees its new Booleans only
    cal.add_agent(0, lambda d: [0])
    assert cal.count(0, range(5), lambda s: s.is_night) == 0
    add_max_count(cal, 0, range(5), lambda s: not s.is_night, 2, scope="week", rule="max_early")
    m.add(sum(cal.x[0][d][0] for d in range(5)) == 3)
    assert solver.solve(m) == cp_model.INFEASIBLE
