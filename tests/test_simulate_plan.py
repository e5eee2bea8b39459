"""Routing that follows the plan (``routing="plan"`` with the roster's allocation): agents serve the queues
planned for them in the interval first and their other skills only when idle; whole agents are apportioned
to the shares of a skill group; overflow thresholds still hold; bad allocations are named."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from scheduler.errors import InputFileError
from scheduler.simulate import build_inputs, simulate_inputs, simulate_roster
from simulate_factories import NO_BREAKS, flat_forecast, make_agents, make_scenario, round_the_clock

START = date(2026, 1, 5)
D0 = pd.Timestamp(START)
SALES = {"channel": "voice", "aht_s": 180, "sla": {"answer_within_s": 20, "target": 0.8}, "teams": ["tier1"]}


def allocation(rows: list[tuple[str, str, str, float]], *, until_h: float | None = None, days: int = 1) -> pd.DataFrame:
    """``(agent_id, 'HH:MM' from, queue, share)``: the share holds from that time of every day until the
    next row of the agent (or ``until_h``, or the day's end), on the 15-minute grid."""
    out = []
    by_agent: dict[str, list[tuple[float, str, float]]] = {}
    for agent, hhmm, queue, share in rows:
        h, m = hhmm.split(":")
        by_agent.setdefault(agent, []).append((int(h) + int(m) / 60, queue, share))
    for agent, items in by_agent.items():
        starts = sorted({h for h, _, _ in items})
        for d in range(days):
            for k, h0 in enumerate(starts):
                h1 = starts[k + 1] if k + 1 < len(starts) else (until_h or 24.0)
                for t in pd.date_range(D0 + pd.Timedelta(days=d, hours=h0), D0 + pd.Timedelta(days=d, hours=h1),
                                       freq="15min", inclusive="left"):
                    for hh, q, s in items:
                        if hh == h0:
                            out.append({"agent_id": agent, "interval_start": t, "queue": q, "share": s})
    return pd.DataFrame(out)


def two_queues(n_agents: int, rate_voice: float, rate_sales: float, days: int):
    sc = make_scenario(queues={"sales": SALES})
    ag = make_agents({"tier1": n_agents}, {"tier1": ("voice", "sales")})
    fc = flat_forecast({"voice": rate_voice, "sales": rate_sales}, START, days)
    return sc, ag, fc, round_the_clock(ag, START, days)


def asa_by_half_day(res, queue: str) -> tuple[float, float]:
    iv = res.intervals[res.intervals["queue"] == queue]
    hour = pd.to_datetime(iv["interval_start"]).dt.hour
    am, pm = iv[hour < 12], iv[hour >= 12]
    wait = lambda f: float((f["asa_s"] * f["answered"]).sum() / f["answered"].sum())  # noqa: E731
    return wait(am), wait(pm)


def test_agents_serve_the_queue_planned_for_the_interval_first():
    """Two agents, two queues at 0.8 Erlang each: planned on voice in the morning and on sales in the
    afternoon, the planned queue waits far less than the other; dynamic routing treats them alike."""
    days = 3
    sc, ag, fc, asg = two_queues(2, 16, 16, days)
    plan = allocation([(a, "00:00", "voice", 1.0) for a in ag["agent_id"]]
                      + [(a, "12:00", "sales", 1.0) for a in ag["agent_id"]], days=days)
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=3, seed=4, allocation=plan)
    assert res.settings["routing"] == "plan"
    voice_am, voice_pm = asa_by_half_day(res, "voice")
    sales_am, sales_pm = asa_by_half_day(res, "sales")
    assert voice_am < 0.5 * sales_am and sales_pm < 0.5 * voice_pm
    dyn = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=3, seed=4, allocation=plan, routing="dynamic")
    assert dyn.settings["routing"] == "dynamic"
    d_voice_am, _ = asa_by_half_day(dyn, "voice")
    d_sales_am, _ = asa_by_half_day(dyn, "sales")
    assert 0.6 < d_voice_am / d_sales_am < 1.6


def test_other_skills_are_served_only_when_idle():
    """One agent planned on voice takes a sales contact when no voice contact waits: sales is answered
    (slowly), not starved."""
    sc, ag, fc, asg = two_queues(1, 6, 6, 2)
    plan = allocation([("tier1-000", "00:00", "voice", 1.0)], days=2)
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=2, allocation=plan)
    ov = res.overall.set_index("queue")
    assert ov.loc["sales", "answered"] > 0.9 * ov.loc["sales", "offered"]
    assert ov.loc["voice", "asa_s"] < ov.loc["sales", "asa_s"]
    # the diagnostic routing "primary": the planned queue alone, as the plan's per-queue arithmetic assumes
    only = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=2, allocation=plan, routing="primary")
    ov = only.overall.set_index("queue")
    assert ov.loc["sales", "answered"] == 0 and ov.loc["voice", "answered"] > 0.9 * ov.loc["voice", "offered"]


def test_one_skill_per_agent_routes_as_dynamic():
    """When every agent has one skill the plan cannot change who serves what: the same replications."""
    sc = make_scenario(queues={"sales": SALES})
    ag = pd.concat([make_agents({"tier1": 3}, {"tier1": ("voice",)}),
                    make_agents({"tier1": 2}, {"tier1": ("sales",)}).assign(
                        agent_id=lambda f: f["agent_id"].str.replace("tier1", "sales"))], ignore_index=True)
    fc = flat_forecast({"voice": 40, "sales": 20}, START, 1)
    asg = round_the_clock(ag, START, 1)
    plan = allocation([(a, "00:00", "voice" if a.startswith("tier1") else "sales", 1.0) for a in ag["agent_id"]])
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=9, allocation=plan)
    dyn = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=9, routing="dynamic")
    assert res.settings["routing"] == "plan"
    pd.testing.assert_frame_equal(res.overall, dyn.overall)


def test_group_shares_are_apportioned_to_whole_agents():
    """Ten agents sharing 30 % voice / 70 % sales: three get voice as their primary queue, seven sales;
    at 40/60 the three keep it and one more joins; shares summing to 0.5 leave half without a primary."""
    sc, ag, fc, asg = two_queues(10, 10, 10, 1)
    ids = list(ag["agent_id"])
    rows = ([(a, "08:00", "voice", 0.3) for a in ids] + [(a, "08:00", "sales", 0.7) for a in ids]
            + [(a, "09:00", "voice", 0.4) for a in ids] + [(a, "09:00", "sales", 0.6) for a in ids]
            + [(a, "10:00", "voice", 0.2) for a in ids] + [(a, "10:00", "sales", 0.3) for a in ids])
    inp = build_inputs(sc, ag, fc, asg, NO_BREAKS, allocation=allocation(rows, until_h=11))
    voice, sales = inp.queue_index("voice"), inp.queue_index("sales")

    def orders_at(hour: float) -> dict[str, tuple[int, ...]]:
        now: dict[str, tuple[int, ...]] = {}
        for a, t, o in zip(inp.plan_agent, inp.plan_start, inp.plan_order):
            if t <= hour * 3600:
                now[inp.agent_ids[a]] = inp.plan_orders[o]
        return now

    at8, at9, at10 = orders_at(8), orders_at(9), orders_at(10)
    first8 = {a for a, o in at8.items() if o[0] == voice}
    assert len(first8) == 3 and sum(o[0] == sales for o in at8.values()) == 7
    assert all(o == (sales, voice) for a, o in at8.items() if a not in first8)
    first9 = {a for a, o in at9.items() if o[0] == voice}
    assert len(first9) == 4 and first8 < first9
    assert sorted(o[0] for o in at10.values()).count(voice) == 2
    assert sum(o == (sales, voice) for o in at10.values()) == 3 + 5      # 3 on sales, 5 without a primary


def test_planned_deferred_work_comes_before_calls():
    """Planned 100 % on e-mail, an agent works the e-mail backlog and leaves calls to the voice agent;
    routed dynamically it answers calls first (its own live queue) and e-mail only with a colleague idle."""
    sc = make_scenario(queues={"email": {"channel": "email", "aht_s": 480, "sla": {"resolve_within_h": 24},
                                         "teams": ["tier1"]}})
    ag = make_agents({"tier1": 2}, {"tier1": ("voice", "email")})
    fc = flat_forecast({"voice": 12, "email": 9}, START, 1)        # e-mail: 1.2 Erlangs, a backlog all day
    asg = round_the_clock(ag, START, 1)
    plan = allocation([("tier1-000", "00:00", "email", 1.0), ("tier1-001", "00:00", "voice", 1.0)])

    def email_share_of_agent0(routing: str) -> float:
        inp = build_inputs(sc, ag, fc, asg, NO_BREAKS, allocation=plan)
        _, raws = simulate_inputs(inp, reps=2, seed=3, routing=routing)
        a0 = inp.agent_ids.index("tier1-000")
        q = np.concatenate([r.queue[r.agent == a0] for r in raws])
        return float(np.mean(q == inp.queue_index("email")))

    assert email_share_of_agent0("plan") > 0.95
    assert email_share_of_agent0("dynamic") < 0.8


def test_overflow_agents_planned_on_a_queue_still_wait_for_the_threshold():
    sc = make_scenario(queues={"voice": {"teams": ["tier1", "overflow"], "overflow_after_s": 30, "patience_s": 600}},
                       teams={"overflow": {"cost_per_hour": 50}})
    ag = pd.concat([make_agents({"tier1": 1}, {"tier1": ("voice",)}),
                    make_agents({"overflow": 3}, {"overflow": ("voice",)})], ignore_index=True)
    fc = flat_forecast({"voice": 50}, START, 1)
    asg = round_the_clock(ag, START, 1)
    plan = allocation([(a, "00:00", "voice", 1.0) for a in ag["agent_id"]])
    inp = build_inputs(sc, ag, fc, asg, NO_BREAKS, allocation=plan)
    _, raws = simulate_inputs(inp, reps=2, seed=5, routing="plan")
    ovf = inp.teams.index("overflow")
    waits = np.concatenate([r.wait_s[(r.team == ovf) & (r.status == 1)] for r in raws])
    assert len(waits) > 100 and waits.min() >= 30.0 - 1e-6


def test_plan_routing_without_an_allocation_routes_dynamically():
    sc, ag, fc, asg = two_queues(2, 10, 10, 1)
    lines: list[str] = []
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=1, seed=1, progress=lines.append)
    assert sc.simulation.routing == "plan"
    assert res.settings["routing"] == "dynamic" and res.settings["routing_requested"] == "plan"
    assert any("no allocation" in line for line in lines)
    dyn = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=1, seed=1, routing="dynamic")
    pd.testing.assert_frame_equal(res.overall, dyn.overall)
    with pytest.raises(InputFileError, match="unknown routing"):
        simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=1, seed=1, routing="random")


def test_shares_rounded_in_a_csv_may_add_up_to_a_little_over_one():
    """allocation.csv holds shares with 6 decimals: 2/3 + 1/6 + 1/6 reads back as 1.000001."""
    sc = make_scenario(queues={"sales": SALES, "email": {"channel": "email", "aht_s": 480,
                                                         "sla": {"resolve_within_h": 24}, "teams": ["tier1"]}})
    ag = make_agents({"tier1": 1}, {"tier1": ("voice", "sales", "email")})
    fc = flat_forecast({"voice": 10, "sales": 10, "email": 1}, START, 1)
    asg = round_the_clock(ag, START, 1)
    frame = pd.DataFrame([("tier1-000", "2026-01-05 08:00", q, f"{x:.6f}")
                          for q, x in (("voice", 2 / 3), ("sales", 1 / 6), ("email", 1 / 6))],
                         columns=["agent_id", "interval_start", "queue", "share"])
    inp = build_inputs(sc, ag, fc, asg, NO_BREAKS, allocation=frame)
    assert [inp.plan_orders[o] for o in inp.plan_order] == [tuple(inp.queue_index(q) for q in ("voice", "sales", "email"))]


@pytest.mark.parametrize("row,column,needle", [
    (("ghost", "2026-01-05 08:00", "voice", "0.5"), "agent_id", "agent has no shift in the assignments"),
    (("tier1-000", "2026-01-05 08:00", "fax", "0.5"), "queue", "unknown queue"),
    (("tier1-000", "2026-01-05 08:00", "voice", "1.5"), "share", r"share is not a number in \[0, 1\]"),
    (("tier1-000", "2026-01-05 08:00", "voice", "half"), "share", r"share is not a number in \[0, 1\]"),
    (("tier1-000", "2026-01-05 08:00", "sales", "0.5"), "queue", "the agent may not serve this queue"),
    (("tier1-000", "2026-01-05 08:07", "voice", "0.5"), "interval_start", "not on the interval grid"),
    (("tier1-000", "2026-01-05 08:00", "email", "0.6"), "share", "add up to more than 1"),
    (("tier1-000", "2026-01-05 08:00", "voice", "0.2"), "queue", "appear twice"),
])
def test_bad_allocation_rows_are_named(row, column, needle):
    sc = make_scenario(queues={"sales": SALES, "email": {"channel": "email", "aht_s": 480,
                                                         "sla": {"resolve_within_h": 24}, "teams": ["tier1"]}})
    ag = make_agents({"tier1": 1}, {"tier1": ("voice", "email")})
    fc = flat_forecast({"voice": 10, "sales": 0, "email": 1}, START, 1)
    asg = round_the_clock(ag, START, 1)
    good = ("tier1-000", "2026-01-05 08:00", "voice", "0.5")
    frame = pd.DataFrame([good, row], columns=["agent_id", "interval_start", "queue", "share"])
    with pytest.raises(InputFileError) as err:
        build_inputs(sc, ag, fc, asg, NO_BREAKS, allocation=frame)
    text = str(err.value)
    assert "allocation" in text and "row 3" in text and f"column {column!r}" in text
    assert re.search(needle, text), text
