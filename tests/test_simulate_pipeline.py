"""The simulation in a plan: summary.json puts the simulated SL per day beside the expected SL, and
simulation_daily.csv holds the daily frame (pipeline.build_summary / write_plan read SimulationResult.daily)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from scheduler import columns as C
from scheduler.pipeline import Inputs, Plan, build_summary
from scheduler.simulate import simulate_roster
from simulate_factories import NO_BREAKS, flat_forecast, make_agents, make_scenario, round_the_clock

START = date(2026, 1, 5)


def test_summary_shows_expected_and_simulated_sl_per_day():
    sc = make_scenario()
    ag = make_agents({"tier1": 14}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 200}, START, 2)
    asg = round_the_clock(ag, START, 2)
    sim = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=4, seed=5)
    coverage = pd.DataFrame({C.INTERVAL_START: fc[C.DS], C.QUEUE_OR_GROUP: "voice", C.FORECAST_VOLUME: fc[C.VOLUME],
                             C.REQUIRED: 14.0, C.SCHEDULED: 14.0, C.SERVICE_LEVEL: 0.8883500192})
    roster = SimpleNamespace(assignments=asg, breaks=NO_BREAKS, coverage=coverage, status="OPTIMAL", objective=0.0,
                             best_bound=0.0, gap=0.0, wall_time_s=0.0)
    plan = Plan(scenario=sc, inputs=Inputs(history=pd.DataFrame(), calendar=None, agents=ag), forecast=None,
                volume=fc, requirements=None, roster=roster, simulation=sim)
    by_day = build_summary(plan)["service_level_by_day"]
    assert sorted(by_day) == ["2026-01-05", "2026-01-06"]
    for day in by_day.values():
        v = day["voice"]
        assert v["expected"] == pytest.approx(0.88835, abs=1e-4)
        assert v["simulated_lo"] <= v["simulated"] <= v["simulated_hi"]
        # 14 agents on an Erlang C queue: the simulated day agrees with the expected within its interval
        # (widened: the first day includes the empty-queue start)
        assert v["simulated_lo"] - 0.02 <= v["expected"] <= v["simulated_hi"] + 0.02


def test_plan_files_carry_the_allocation_the_simulation_follows(tmp_path):
    """write_plan writes allocation.csv (shares with 6 decimals); the plan read back from it simulates
    exactly as the plan in memory (`scheduler simulate` on a run's folder repeats the run's figures)."""
    import numpy as np

    from scheduler.pipeline import write_plan
    from scheduler.simulate.cli_support import read_allocation

    sc = make_scenario(queues={"sales": {"channel": "voice", "aht_s": 180, "sla": {"answer_within_s": 20, "target": 0.8},
                                         "teams": ["tier1"]}})
    ag = make_agents({"tier1": 10}, {"tier1": ("voice", "sales")})
    fc = flat_forecast({"voice": 60, "sales": 50}, START, 1)
    asg = round_the_clock(ag, START, 1)
    # the group's voice share per interval, as a ratio of capacities comes out: a half less a hair puts sales
    # first in memory but ties with it in a file with 6 decimals, unless both are read alike
    x = np.round(np.random.default_rng(0).random(96), 1).clip(0.1, 0.9)
    x[::2] = 0.5
    x = x - 2e-9
    rows = [(a, t, q, v) for k, t in enumerate(fc[C.DS].unique()) for a in ag[C.AGENT_ID]
            for q, v in (("voice", x[k]), ("sales", 1 - x[k]))]
    alloc = pd.DataFrame(rows, columns=[C.AGENT_ID, C.INTERVAL_START, C.QUEUE, "share"])
    sim = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=5, allocation=alloc)
    assert sim.settings["routing"] == "plan"
    coverage = pd.DataFrame({C.INTERVAL_START: fc[C.DS], C.QUEUE_OR_GROUP: fc[C.QUEUE], C.FORECAST_VOLUME: fc[C.VOLUME],
                             C.REQUIRED: 3.0, C.SCHEDULED: 3.0, C.SERVICE_LEVEL: 0.9})
    roster = SimpleNamespace(assignments=asg, breaks=NO_BREAKS, coverage=coverage, allocation=alloc, status="OPTIMAL",
                             objective=0.0, best_bound=0.0, gap=0.0, wall_time_s=0.0)
    plan = Plan(scenario=sc, inputs=Inputs(history=pd.DataFrame(), calendar=None, agents=ag),
                forecast=SimpleNamespace(frame=fc), volume=fc,
                requirements=SimpleNamespace(table=coverage.rename(columns={C.QUEUE_OR_GROUP: C.QUEUE})),
                roster=roster, simulation=sim)
    plan.summary = build_summary(plan)
    written = {p.name for p in write_plan(plan, tmp_path)}
    assert "allocation.csv" in written
    back = read_allocation(tmp_path / "allocation.csv")
    assert list(back.columns) == [C.AGENT_ID, C.INTERVAL_START, C.QUEUE, "share"]
    assert len(back) == len(alloc) and back["interval_start"].iloc[20] == "2026-01-05 00:15"
    again = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=5, allocation=back)
    pd.testing.assert_frame_equal(again.intervals, sim.intervals)


def test_plan_reports_simulated_deferred_work_past_its_deadline(tmp_path):
    """summary.json, simulation_daily.csv and the workbook's Summary carry the deferred queues: share of each
    day's items past the deadline (with its 95 % interval) and the mean resolution time; an e-mail queue worked
    by too few agents is late, one worked by enough is not."""
    import openpyxl

    from scheduler.io.excel import write_roster_workbook
    from scheduler.pipeline import write_plan

    email = {"channel": "email", "aht_s": 600, "sla": {"resolve_within_h": 2}, "teams": ["tier1"]}
    sc = make_scenario(queues={"email": email, "slow_email": dict(email)})
    ag = pd.concat([make_agents({"tier1": 4}, {"tier1": ("voice", "email")}),
                    make_agents({"tier1": 1}, {"tier1": ("slow_email",)}).assign(agent_id="slow-000")],
                   ignore_index=True)
    # email: 12 items/h x 10 min = 2 agent-hours per hour on 4 agents who also take voice (4/h x 3 min);
    # slow_email: 12 items/h x 10 min on one agent -> the backlog grows all day
    fc = flat_forecast({"voice": 4, "email": 12, "slow_email": 12}, START, 2)
    asg = round_the_clock(ag, START, 2)
    sim = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=3, seed=5)
    coverage = pd.DataFrame({C.INTERVAL_START: fc[C.DS], C.QUEUE_OR_GROUP: fc[C.QUEUE], C.FORECAST_VOLUME: fc[C.VOLUME],
                             C.REQUIRED: 1.0, C.SCHEDULED: 1.0, C.SERVICE_LEVEL: 0.9})
    roster = SimpleNamespace(assignments=asg, breaks=NO_BREAKS, coverage=coverage, status="OPTIMAL", objective=0.0,
                             best_bound=0.0, gap=0.0, wall_time_s=0.0)
    plan = Plan(scenario=sc, inputs=Inputs(history=pd.DataFrame(), calendar=None, agents=ag),
                forecast=SimpleNamespace(frame=fc), volume=fc,
                requirements=SimpleNamespace(table=coverage.rename(columns={C.QUEUE_OR_GROUP: C.QUEUE})),
                roster=roster, simulation=sim)
    plan.summary = summary = build_summary(plan)
    by_day = summary["deferred_by_day"]
    assert sorted(by_day) == ["2026-01-05", "2026-01-06"]
    for day in by_day.values():
        ok, late = day["email"], day["slow_email"]
        assert ok["resolve_within_h"] == 2
        assert ok["simulated_past_deadline_share"] < 0.05 and ok["simulated_mean_resolution_h"] < 1.0
        assert late["simulated_past_deadline_share"] > 0.3 and late["simulated_mean_resolution_h"] > 2.0
        assert late["simulated_past_deadline_lo"] <= late["simulated_past_deadline_share"] <= late["simulated_past_deadline_hi"]
    overall = {r["queue"]: r for r in summary["simulation"]["overall"]}
    assert overall["slow_email"]["past_deadline_share"] > 0.3 and "teams" in summary["simulation"]
    write_plan(plan, tmp_path)
    daily = pd.read_csv(tmp_path / "simulation_daily.csv")
    assert set(daily["kind"]) == {"live", "deferred"}
    assert set(daily.loc[daily["kind"] == "deferred", "queue"]) == {"email", "slow_email"}
    book = write_roster_workbook(tmp_path / "book.xlsx", scenario=sc, agents=ag, assignments=asg, breaks=NO_BREAKS,
                                 coverage=None, summary=summary)
    ws = openpyxl.load_workbook(book)["Summary"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    title = next(k for k in cells if k.startswith("Simulated deferred work past its deadline"))
    header_row = cells[title].row + 1
    headers = [c.value for c in ws[header_row]]
    col = headers.index("slow_email (within 2 h)") + 1
    first = ws.cell(header_row + 1, col)
    assert first.value > 0.3 and first.fill.fgColor.rgb.endswith("C7CE")


def test_the_previous_periods_night_is_on_duty_in_the_first_hours():
    """The plan simulates the previous roster's night shifts that run into the horizon (pipeline: with_carry_in):
    their agents answer the first hours, until their shifts end."""
    from scheduler.carry import with_carry_in

    sc = make_scenario()
    ag = make_agents({"tier1": 4}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 20}, START, 1)
    day = pd.Timestamp(START)
    asg = pd.DataFrame([{"agent_id": a, "team": "tier1", "date": START, "shift": "X0800",
                         "start": day + pd.Timedelta(hours=8), "end": day + pd.Timedelta(hours=16), "paid_h": 8.0}
                        for a in ag["agent_id"]])
    previous = pd.DataFrame([{"agent_id": a, "team": "tier1", "date": START - pd.Timedelta(days=1), "shift": "X2200",
                              "start": day - pd.Timedelta(hours=2), "end": day + pd.Timedelta(hours=6), "paid_h": 8.0}
                             for a in [*ag["agent_id"][:2], "left-the-company"]])

    def on_duty(assignments, breaks):
        sim = simulate_roster(sc, ag, fc, assignments, breaks, reps=1, seed=3)
        t = sim.team_intervals
        return t.groupby(C.INTERVAL_START)["available_h"].sum()

    alone = on_duty(asg, NO_BREAKS)
    both = on_duty(*with_carry_in(sc, previous, asg, NO_BREAKS, ag))      # an agent no longer on file is not
    night = both.index < day + pd.Timedelta(hours=6)
    assert (alone[night] == 0).all()
    assert both[night].to_numpy() == pytest.approx(2 * 0.25)      # two agents, 15 minutes each interval
    # after 06:00 nothing changes but a call still running at the shift's end (answered to its end)
    later = both.index >= day + pd.Timedelta(hours=6, minutes=15)
    assert both[later].to_numpy() == pytest.approx(alone[later].to_numpy(), abs=1e-9)
    assert 0 <= both.loc[day + pd.Timedelta(hours=6)] - alone.loc[day + pd.Timedelta(hours=6)] < 0.5
