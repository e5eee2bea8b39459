"""The independent roster checker: a passing and a violating roster for every rule."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from scheduler import columns as C
from scheduler.validate import RULES, Violation, check_roster, coverage_from_roster, horizon_intervals
from tests.roster_factory import build_roster, clean_grid, day, make_agents, make_scenario, week_pattern


def check(scenario, grid, agents=None, *, locks=None, previous=None, edit=None):
    agents = make_agents() if agents is None else agents
    a, b = build_roster(scenario, grid, agents)
    if edit is not None:
        a, b = edit(a, b)
    return check_roster(scenario, agents, a, b, locks=locks, previous=previous)


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def solo(agent_id, cells, **fields):
    """A roster of one agent (the others are left out of the agents frame), fields changed as given."""
    agents = make_agents(**({agent_id: fields} if fields else {}))
    return {agent_id: cells}, agents[agents[C.AGENT_ID] == agent_id].reset_index(drop=True)


def with_agent(grid, agent_id, cells):
    g = {k: dict(v) for k, v in clean_grid().items()} if grid is None else grid
    g[agent_id] = cells
    return g


@pytest.fixture(scope="module")
def sc():
    return make_scenario()


def test_clean_roster_has_no_violation(sc):
    assert check(sc, clean_grid()) == []


def test_every_rule_is_documented_and_violations_name_known_rules(sc):
    def edit(a, b):
        a.loc[2, C.SHIFT] = "X0900"
        return a, b

    grid = with_agent(None, "A1", {day(0): "D1500", day(1): "D0700", day(2): "D0900", day(9): "V1000"})
    v = check(sc, grid, edit=edit)
    assert rules(v) >= {"unknown_shift", "min_rest", "shift_team", "min_hours_per_week"}
    for v in v:
        assert v.rule in RULES
        assert v.severity in ("hard", "soft")


# --- rows that cannot be placed ------------------------------------------------------------------


def test_unknown_agent(sc):
    def edit(a, b):
        a.loc[0, C.AGENT_ID] = "Z9"
        return a, b

    v = check(sc, clean_grid(), edit=edit)
    assert [x.rule for x in v if x.agent_id == "Z9"] == ["unknown_agent"]
    assert "Z9" in v[[x.agent_id for x in v].index("Z9")].message


def test_outside_horizon(sc):
    grid = with_agent(None, "V3", {day(14): "V1000"})
    v = check(sc, grid)
    assert rules(v) == {"outside_horizon"}
    assert "2026-11-02..2026-11-15" in v[0].message


def test_unknown_shift_code(sc):
    def edit(a, b):
        a.loc[a[C.AGENT_ID] == "V1", C.SHIFT] = "D0815"
        return a, b

    v = check(sc, clean_grid(), edit=edit)
    assert "unknown_shift" in rules(v)
    msg = next(x for x in v if x.rule == "unknown_shift").message
    assert "'D0815' is not a shift code" in msg and "D, L, N, P, V, W" in msg


def test_shift_team(sc):
    ok = check(sc, with_agent(None, "T2", week_pattern("D0900")))
    assert "shift_team" not in rules(ok)
    v = check(sc, *solo("A1", week_pattern("V0900"), contract="vendor"))
    assert "team tier1 may not work V0900 (shift 'vendor4' is for overflow)" in v[0].message


def test_assignment_fields_must_agree_with_the_code(sc):
    def edit(a, b):
        a.loc[0, C.SHIFT_START] = a.loc[0, C.SHIFT_START] + pd.Timedelta(hours=1)
        a.loc[1, C.PAID_H] = 9.0
        a.loc[2, C.TEAM] = "tier2"
        return a, b

    v = [x for x in check(sc, clean_grid(), edit=edit) if x.rule == "assignment_fields"]
    assert len(v) == 3
    assert "start 2026-11-02 10:00 but D0900 on 2026-11-02 starts 2026-11-02 09:00" in v[0].message
    assert "paid_h 9.0 but D0900 pays 8 h" in v[1].message
    assert "team 'tier2' but the agent is in tier1" in v[2].message


# --- per-agent labour rules --------------------------------------------------------------------


def test_one_shift_per_day(sc):
    def edit(a, b):
        extra = a.iloc[[0]].copy()
        extra[C.SHIFT] = "P2000"
        extra[C.SHIFT_START] = pd.Timestamp("2026-11-02 20:00")
        extra[C.SHIFT_END] = pd.Timestamp("2026-11-03 00:00")
        extra[C.PAID_H] = 4.0
        return pd.concat([a, extra], ignore_index=True), b

    v = check(sc, clean_grid(), edit=edit)
    assert "one_shift_per_day" in rules(v)
    assert "2 shifts start on this day (D0900, P2000), at most 1" in str(v)


def test_min_rest_message(sc):
    assert check(sc, *solo("A1", {day(0): "D1500", day(1): "D1100"}, contract="vendor")) == []
    v = check(sc, *solo("A1", {day(0): "D1500", day(1): "D0700"}, contract="vendor"))
    rest = [x for x in v if x.rule == "min_rest"]
    assert len(rest) == 1
    assert rest[0].message == "A1 2026-11-03: D0700 after D1500 on 2026-11-02 leaves 7 h rest, minimum 11 h"
    assert rest[0].when.hour == 7


def test_rest_after_night_and_across_midnight(sc):
    night = solo("N1", {day(0): "N2300", day(1): "N2100"}, contract="vendor")  # ends 09:00, next 21:00: 12 h
    assert check(sc, *night) == []
    strict = make_scenario("rules.rest_after_night_h=16")
    v = check(strict, *night)
    assert [x.rule for x in v] == ["rest_after_night"]
    assert "N2100 after night shift N2300 on 2026-11-02 leaves 12 h rest, minimum 16 h" in v[0].message


def test_rest_from_the_previous_period(sc):
    grid = with_agent(None, "A1", week_pattern("D0700"))
    prev, _ = build_roster(sc, {"A1": {date(2026, 11, 1): "D1500"}})
    assert "min_rest" not in rules(check(sc, grid))
    v = check(sc, grid, previous=prev)
    assert [x.message for x in v if x.rule == "min_rest"] == [
        "A1 2026-11-02: D0700 after D1500 on 2026-11-01 leaves 7 h rest, minimum 11 h"
    ]


def test_max_consecutive_days(sc):
    six = {day(i): "D0900" for i in range(3, 9)}
    assert "max_consecutive_days" not in rules(check(sc, with_agent(None, "A1", six)))
    seven = {day(i): "D0900" for i in range(3, 10)}
    v = [x for x in check(sc, with_agent(None, "A1", seven)) if x.rule == "max_consecutive_days"]
    assert len(v) == 1
    assert v[0].date == day(9)
    assert "7 working days in a row (2026-11-05..2026-11-11), maximum 6" in v[0].message


def test_max_consecutive_days_counts_the_previous_period(sc):
    prev, _ = build_roster(sc, {"A1": {date(2026, 11, 1) - timedelta(days=i): "D0900" for i in range(3)}})
    grid = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2, 5, 6)))
    assert "max_consecutive_days" not in rules(check(sc, grid, previous=prev))
    grid = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2, 3, 6)))
    v = [x for x in check(sc, grid, previous=prev) if x.rule == "max_consecutive_days"]
    assert [x.date for x in v] == [day(3)]


def test_min_days_off_per_week(sc):
    grid = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2, 3, 4, 5)))
    v = [x for x in check(sc, grid) if x.rule == "min_days_off_per_week"]
    assert len(v) == 2
    assert "week 2026-11-02..2026-11-08: 1 day(s) off, minimum 2" in v[0].message


def test_partial_week_scales_minima():
    # horizon Wednesday..Sunday of one week: 5 days, min days off floor(2*5/7) = 1, min hours 32*5/7
    sc = make_scenario("horizon.start=2026-11-04", days=5)
    grid, agents = solo("A1", {day(2 + i): "D0900" for i in range(4)})
    assert check(sc, grid, agents) == []
    grid = {"A1": {day(2 + i): "D0900" for i in range(5)}}
    assert rules(check(sc, grid, agents)) == {"min_days_off_per_week"}
    grid = {"A1": {day(2 + i): "D0900" for i in range(2)}}
    v = check(sc, grid, agents)
    assert rules(v) == {"min_hours_per_week"}
    assert "16 paid h, minimum 22.86 h (32 h × 5/7 available days)" in v[0].message


def test_consecutive_days_off(sc):
    split = with_agent(None, "A1", week_pattern("D0900", (0, 2, 4, 5, 6)))
    assert "consecutive_days_off" not in rules(check(sc, split))
    strict = make_scenario("rules.consecutive_days_off=true")
    assert "consecutive_days_off" not in rules(check(strict, clean_grid()))
    v = [x for x in check(strict, split) if x.rule == "consecutive_days_off"]
    assert len(v) == 2
    assert "days off Tue 03, Thu 05 include no two in a row" in v[0].message


def test_min_and_max_hours_per_week(sc):
    few = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2)))
    v = [x for x in check(sc, few) if x.rule == "min_hours_per_week"]
    assert len(v) == 2 and "24 paid h, minimum 32 h for contract full_time" in v[0].message
    # leave lowers the minimum: 4 available days -> 32 * 4/7 = 18.3 h
    agents = make_agents(A1={C.UNAVAILABLE: frozenset(day(i) for i in (3, 4, 5, 10, 11, 12))})
    assert "min_hours_per_week" not in rules(check(sc, few, agents))
    six = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2, 3, 4, 5)))
    assert "max_hours_per_week" not in rules(check(sc, six))   # 48 h = 40 + 8 overtime
    no_ot = make_scenario("contracts.full_time.overtime_h_per_week=0")
    v = [x for x in check(no_ot, six) if x.rule == "max_hours_per_week"]
    assert len(v) == 2 and "48 paid h, maximum 40 h for contract full_time" in v[0].message


def test_max_hours_counts_the_previous_days_of_a_partial_week():
    sc = make_scenario("horizon.start=2026-11-05", "contracts.full_time.overtime_h_per_week=0", days=10)
    grid = {"A1": {day(3): "D0900", day(4): "D0900"}}
    prev, _ = build_roster(sc, {"A1": {day(i): "D0900" for i in range(3)}})
    assert "max_hours_per_week" not in rules(check(sc, grid, previous=prev))
    grid["A1"][day(5)] = "D0900"
    v = check(sc, grid, previous=prev)
    assert "max_hours_per_week" in rules(v)
    assert "48 paid h, maximum 40 h" in str([x.message for x in v])


def test_max_nights_per_week(sc):
    tight = make_scenario("rules.max_nights_per_week=3")
    assert check(tight, *solo("N1", week_pattern("N2200", (0, 2, 4)), contract="vendor")) == []
    v = [x for x in check(tight, clean_grid()) if x.rule == "max_nights_per_week"]
    assert {x.agent_id for x in v} == {"N1", "T1"}
    assert "4 night shifts, maximum 3" in v[0].message


def test_unavailable(sc):
    agents = make_agents(A1={C.UNAVAILABLE: frozenset({day(5)})})
    assert "unavailable" not in rules(check(sc, clean_grid(), agents))
    agents = make_agents(A1={C.UNAVAILABLE: frozenset({day(2)})})
    v = check(sc, clean_grid(), agents)
    assert [x.message for x in v if x.rule == "unavailable"] == [
        "A1 2026-11-04: D0900 on a day of leave/unavailability"
    ]


def test_locks(sc):
    kept = pd.DataFrame({C.AGENT_ID: ["A1", "A1", "A2"], C.DATE: [day(0), day(5), day(3)],
                         C.SHIFT: ["D0900", "OFF", "LEAVE"]})
    assert check(sc, clean_grid(), locks=kept) == []
    broken = pd.DataFrame({C.AGENT_ID: ["A1", "A1", "A2"], C.DATE: [day(0), day(1), day(0)],
                           C.SHIFT: ["D1000", "OFF", "LEAVE"]})
    v = [x.message for x in check(sc, clean_grid(), locks=broken) if x.rule == "lock"]
    assert v == [
        "A1 2026-11-02: locked to D1000 but the roster has D0900",
        "A2 2026-11-02: locked as LEAVE but the roster has D1000",
        "A1 2026-11-03: locked as OFF but the roster has D0900",
    ]


def test_leave_lock_lowers_the_weekly_minimum(sc):
    grid = with_agent(None, "A1", week_pattern("D0900", (0, 1, 2)))
    locks = pd.DataFrame({C.AGENT_ID: ["A1"] * 4, C.DATE: [day(3), day(4), day(10), day(11)], C.SHIFT: ["LEAVE"] * 4})
    assert "min_hours_per_week" not in rules(check(sc, grid, locks=locks))


def test_night_eligibility(sc):
    assert "night_eligibility" not in rules(check(sc, clean_grid()))   # T1 night_ok, N1 night team
    v = check(sc, with_agent(None, "T2", week_pattern("N2200", (0, 1, 2, 3))))
    assert rules(v) == {"night_eligibility"}
    assert "N2200 is a night shift but the agent is not night_ok" in v[0].message


def test_max_agents_at_once(sc):
    two = make_scenario("teams.overflow.max_agents=2")
    assert check(two, clean_grid()) == []
    grid = with_agent(None, "V3", {day(9): "V1200"})   # 12:00-16:00 overlaps V1/V2's 10:00-14:00
    v = check(two, grid)
    assert [x.rule for x in v] == ["max_agents_at_once"]
    assert v[0].agent_id is None and v[0].date == day(9)
    assert v[0].message == "2026-11-11: team overflow: 3 agents on shift at once at 2026-11-11 12:00, maximum 2"
    grid = with_agent(None, "V3", {day(9): "V1400"})   # starts when the others end
    assert check(two, grid) == []


def test_min_block(sc):
    assert "min_block" not in rules(check(sc, clean_grid()))
    five = make_scenario("teams.overflow.min_block_h=5")
    v = [x for x in check(five, clean_grid()) if x.rule == "min_block"]
    assert [(x.agent_id, x.date) for x in v] == [("V1", day(9)), ("V2", day(9))]
    assert "V1000 lasts 4 h; team overflow is booked in blocks of at least 5 h" in v[0].message


# --- breaks ------------------------------------------------------------------------------------


def _move_break(index: int, minutes: int, *, length: int | None = None):
    def edit(a, b):
        b = b.copy()
        b.loc[index, C.SHIFT_START] += pd.Timedelta(minutes=minutes)
        b.loc[index, C.SHIFT_END] += pd.Timedelta(minutes=minutes + (length or 0))
        return a, b
    return edit


def test_breaks_clean_when_moved_within_window(sc):
    assert check(sc, clean_grid(), edit=_move_break(0, 60)) == []   # 10:30 -> 11:30, window 10:30-11:30


def test_break_window(sc):
    v = check(sc, clean_grid(), edit=_move_break(0, 75))
    assert [x.rule for x in v] == ["break_window"]
    assert v[0].message == "A1 2026-11-02: break at 11:45 in D0900: must start between 10:30 and 11:30"


def test_break_length(sc):
    v = check(sc, clean_grid(), edit=_move_break(1, 0, length=-30))
    assert [x.rule for x in v] == ["break_length"]
    assert "meal 12:30-13:00 in D0900 lasts 30 min, expected 60 min" in v[0].message


def test_break_count_missing_and_extra(sc):
    def drop(a, b):
        return a, b.drop(index=1).reset_index(drop=True)

    v = check(sc, clean_grid(), edit=drop)
    assert [x.message for x in v] == ["A1 2026-11-02: D0900 has 0 meal(s), expected 1"]

    def dup(a, b):
        extra = b.iloc[[0]].copy()
        extra[C.SHIFT_START] += pd.Timedelta(hours=4)
        extra[C.SHIFT_END] += pd.Timedelta(hours=4)
        return a, pd.concat([b, extra], ignore_index=True)

    v = check(sc, clean_grid(), edit=dup)
    assert "break_count" in rules(v)
    assert "D0900 has 3 break(s), expected 2" in str(v)


def test_break_overlap(sc):
    v = check(sc, clean_grid(), edit=_move_break(1, -120))   # meal 10:30-11:30 over the break 10:30-10:45
    assert "break_overlap" in rules(v)
    assert "overlaps the" in next(x for x in v if x.rule == "break_overlap").message


def test_break_outside_shift(sc):
    v = check(sc, clean_grid(), edit=_move_break(2, 150))   # 15:30 -> 18:00, after D0900's end
    assert "break_outside_shift" in rules(v)
    v = check(sc, clean_grid(), edit=_move_break(2, 140))   # 17:50-18:05 runs past 18:00
    assert "runs past the end of D0900 (18:00)" in str(v)


def test_night_breaks_after_midnight_belong_to_the_night_shift(sc):
    def late(a, b):
        b = b.copy()
        mask = (b[C.AGENT_ID] == "N1") & (b[C.BREAK_KIND] == "meal")
        b.loc[mask, C.SHIFT_START] += pd.Timedelta(minutes=90)  # 02:00 -> 03:30, window 02:00-03:30
        b.loc[mask, C.SHIFT_END] += pd.Timedelta(minutes=90)
        return a, b

    assert check(sc, clean_grid(), edit=late) == []


# --- severities --------------------------------------------------------------------------------


def test_soft_rules_and_stable_start():
    grid = with_agent(None, "A1", {day(0): "D1500", day(1): "D0700"})
    soft = make_scenario("rules.soft=[min_rest]")
    v = [x for x in check(soft, grid) if x.rule == "min_rest"]
    assert v and all(x.severity == "soft" for x in v)
    stable = make_scenario("rules.stable_start_max_diff_h=2")
    assert check(stable, clean_grid()) == []
    cells = {day(0): "D0700", day(1): "D1000", day(2): "D0900", day(3): "D0900", day(4): "D0900"}
    v = check(stable, *solo("A1", cells, contract="vendor"))
    assert [(x.rule, x.severity) for x in v] == [("stable_start", "soft")]
    assert "start times spread over 3 h (D0700 to D1000), at most 2 h" in v[0].message


def test_violation_as_dict(sc):
    v = check(sc, with_agent(None, "A1", {day(0): "D1500", day(1): "D0700"}))
    d = next(x for x in v if x.rule == "min_rest").as_dict()
    assert d["agent_id"] == "A1" and d["date"] == "2026-11-03" and d["severity"] == "hard"
    assert d["when"] == "2026-11-03 07:00"


# --- coverage ----------------------------------------------------------------------------------


def test_coverage_counts_agents_off_break_and_weights_efficiency(sc):
    agents = make_agents()
    a, b = build_roster(sc, {"A1": {day(0): "D0900"}, "A2": {day(0): "D0900"}, "N1": {day(0): "N2200"}}, agents)
    cov = coverage_from_roster(sc, agents, a, b)
    assert set(cov.columns) >= {C.INTERVAL_START, C.TEAM, "group", "agents", "effective_agents"}
    t1 = cov[cov[C.TEAM] == "tier1"].groupby(C.INTERVAL_START)[["agents", "effective_agents"]].sum()
    at = lambda hhmm: t1.loc[pd.Timestamp(f"2026-11-02 {hhmm}")]  # noqa: E731
    assert at("08:45")["agents"] == 0
    assert at("09:00")["agents"] == 2
    # A1 senior: 0.85; A2 junior: 0.85 / 1.25
    assert at("09:00")["effective_agents"] == pytest.approx(0.85 + 0.85 / 1.25)
    assert at("10:30")["agents"] == 0     # both on their 10:30 break
    assert at("12:45")["agents"] == 0     # meal
    assert at("17:45")["agents"] == 2 and at("18:00")["agents"] == 0
    night = cov[cov[C.TEAM] == "night"].set_index(C.INTERVAL_START)["agents"]
    assert night[pd.Timestamp("2026-11-03 03:00")] == 1      # past midnight counts on the next day
    assert night[pd.Timestamp("2026-11-03 02:00")] == 0      # on the meal 02:00-02:30
    assert night[pd.Timestamp("2026-11-03 08:00")] == 0


def test_coverage_handles_partial_intervals(sc):
    agents = make_agents()
    a, b = build_roster(sc, {"A1": {day(0): "D0900"}}, agents)
    b.loc[0, C.SHIFT_START] += pd.Timedelta(minutes=5)   # break 10:35-10:50
    b.loc[0, C.SHIFT_END] += pd.Timedelta(minutes=5)
    cov = coverage_from_roster(sc, agents, a, b, horizon_intervals(sc)[:200]).set_index(C.INTERVAL_START)["agents"]
    assert cov[pd.Timestamp("2026-11-02 10:30")] == pytest.approx(1 / 3)
    assert cov[pd.Timestamp("2026-11-02 10:45")] == pytest.approx(2 / 3)
    total_h = cov.sum() * sc.interval_min / 60
    assert total_h == pytest.approx(9 - 0.25 - 1 - 0.25)


def test_coverage_is_consistent_with_paid_time(sc):
    agents = make_agents()
    a, b = build_roster(sc, clean_grid(), agents)
    cov = coverage_from_roster(sc, agents, a, b)
    on_h = cov["agents"].sum() * sc.interval_min / 60
    shift_h = ((a[C.SHIFT_END] - a[C.SHIFT_START]).dt.total_seconds().sum() / 3600)
    break_h = ((b[C.SHIFT_END] - b[C.SHIFT_START]).dt.total_seconds().sum() / 3600)
    # every shift of the clean roster ends inside the horizon: all on-shift time is on the grid
    assert on_h == pytest.approx(shift_h - break_h)
    assert np.isfinite(cov["effective_agents"]).all()


def test_a_night_shift_running_into_the_next_shift(sc):
    # N2300 ends 09:00 the next morning: a D0800 that day starts an hour before it ends
    v = check(sc, *solo("N1", {day(0): "N2300", day(1): "D0800"}, contract="vendor", team="tier2"))
    assert [x.message for x in v if x.rule == "min_rest"] == [
        "N1 2026-11-03: D0800 after night shift N2300 on 2026-11-02 starts 1 h before it ends, minimum 11 h"]
    prev, _ = build_roster(sc, {"N1": {date(2026, 11, 1): "N2300"}})
    prev[C.DATE] = prev[C.DATE].dt.date          # the previous roster as pipeline.read_previous_assignments gives it
    assert check(sc, *solo("N1", {day(0): "N2200"}, contract="vendor"), previous=prev) == []   # 13 h rest
    v = check(sc, *solo("N1", {day(0): "D0700"}, contract="vendor", team="tier2"), previous=prev)
    assert [x.message for x in v] == [
        "N1 2026-11-02: D0700 after night shift N2300 on 2026-11-01 starts 2 h before it ends, minimum 11 h"]


def test_dates_as_python_dates_or_text(sc):
    agents = make_agents()
    a, b = build_roster(sc, clean_grid(), agents)
    for convert in (lambda s: s.dt.date, lambda s: s.dt.strftime("%Y-%m-%d")):
        a2 = a.copy()
        a2[C.DATE] = convert(a2[C.DATE])
        assert check_roster(sc, agents, a2, b) == []
