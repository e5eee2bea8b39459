"""Behaviour of the simulation on hand-built rosters: shifts and breaks, shrinkage, routing, chat
concurrency, deferred work and deadlines, seniority, forecast uncertainty, input errors."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from scheduler.errors import InputFileError
from scheduler.simulate import build_inputs, simulate_inputs, simulate_roster
from simulate_factories import NO_BREAKS, flat_forecast, make_agents, make_scenario, round_the_clock

START = date(2026, 1, 5)
D0 = pd.Timestamp(START)


def hm(text: str) -> pd.Timedelta:
    """'HH:MM' (hours may pass 24) -> Timedelta."""
    h, m = text.split(":")
    return pd.Timedelta(hours=int(h), minutes=int(m))


def shift(agent: str, team: str, start: str, end: str) -> dict:
    s, e = D0 + hm(start), D0 + hm(end)
    return {"agent_id": agent, "team": team, "date": s.date(), "shift": "D", "start": s, "end": e,
            "paid_h": (e - s).total_seconds() / 3600}


def one_break(agent: str, start: str, minutes: int, kind: str = "break") -> pd.DataFrame:
    s = D0 + hm(start)
    return pd.DataFrame([{"agent_id": agent, "start": s, "end": s + pd.Timedelta(minutes=minutes), "kind": kind}])


# ---- shifts, breaks, overtime ----------------------------------------------------------------------


def test_break_of_a_busy_agent_starts_late_and_keeps_its_length():
    sc = make_scenario()
    ag = make_agents({"tier1": 1}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 100}, START, 1)           # 5 Erlangs on one agent: never idle
    asg = pd.DataFrame([shift("tier1-000", "tier1", "08:00", "16:00")])
    res = simulate_roster(sc, ag, fc, asg, one_break("tier1-000", "10:00", 15), reps=3, seed=1)
    fx = res.roster_effects
    assert fx["breaks_per_rep"] == 1
    assert fx["breaks_delayed_share"] == 1.0
    assert 0 < fx["break_delay_mean_s"] < 30 * 60
    assert fx["shift_ends_late_share"] == 1.0 and fx["overtime_h_per_rep"] > 0
    # available = shift - full break + the overtime spent finishing the last contact
    avail = res.team_overall["available_h"].iloc[0]
    assert avail == pytest.approx(8.0 - 0.25 + fx["overtime_h_per_rep"], abs=1e-9)
    assert res.team_overall["occupancy"].iloc[0] == pytest.approx(1.0)


def test_idle_agent_takes_break_on_time():
    sc = make_scenario()
    ag = make_agents({"tier1": 1}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 0}, START, 1)
    asg = pd.DataFrame([shift("tier1-000", "tier1", "08:00", "16:00")])
    res = simulate_roster(sc, ag, fc, asg, one_break("tier1-000", "10:00", 30, "meal"), reps=1, seed=1)
    assert res.roster_effects["break_delay_max_s"] == 0.0
    assert res.roster_effects["overtime_h_per_rep"] == 0.0
    assert res.team_overall["available_h"].iloc[0] == pytest.approx(7.5)
    ti = res.team_intervals.set_index("interval_start")["available_h"]
    assert ti[D0 + hm("10:15")] == 0.0
    assert ti[D0 + hm("09:45")] == pytest.approx(0.25)


def test_no_agent_on_shift_means_no_answers():
    """Agents appear with their shifts: contacts arriving when nobody works abandon (patience 60 s)."""
    sc = make_scenario(queues={"voice": {"patience_s": 60}})
    ag = make_agents({"tier1": 5}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 60}, START, 1)
    asg = pd.DataFrame([shift(a, "tier1", "08:00", "16:00") for a in ag["agent_id"]])
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=2, seed=3)
    iv = res.intervals.set_index("interval_start")
    night = iv.loc[D0 + hm("02:00"):D0 + hm("07:30")]
    assert (night["offered"] > 0).all()
    assert (night["service_level"] == 0).all() and (night["abandon_rate"] == 1).all()
    day = iv.loc[D0 + hm("09:00"):D0 + hm("15:00")]
    assert (day["service_level"] > 0.5).all() and day["service_level"].mean() > 0.85


# ---- shrinkage, seniority -----------------------------------------------------------------------------


def test_shrinkage_takes_exactly_its_share_of_time():
    sc = make_scenario(shrinkage={"default": 0.2, "by_hour": {"08:00-12:00": 0.5}})
    ag = make_agents({"tier1": 10}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 0}, START, 2)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=2, seed=4)
    ti = res.team_intervals.set_index("interval_start")["available_h"]
    hour = ti.index.hour
    assert np.allclose(ti[(hour >= 8) & (hour < 12)], 10 * 0.25 * 0.5)
    assert np.allclose(ti[(hour < 8) | (hour >= 12)], 10 * 0.25 * 0.8)
    assert res.roster_effects["shrinkage_h_per_rep"] == pytest.approx(2 * (20 * 10 * 0.2 + 4 * 10 * 0.5))


def test_shrinkage_lowers_service_like_fewer_agents():
    row = pd.read_csv(shared_path("staffing", "erlang_vectors.csv")).set_index("case_id").loc["C-PUB-R14"]
    ag = make_agents({"tier1": 20}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 200}, START, 2)
    asg = round_the_clock(ag, START, 2)
    full = simulate_roster(make_scenario(), ag, fc, asg, NO_BREAKS, reps=3, seed=5)
    shrunk = simulate_roster(make_scenario(shrinkage=0.3), ag, fc, asg, NO_BREAKS, reps=3, seed=5)
    sl_full = full.overall["service_level"].iloc[0]
    sl_shrunk = shrunk.overall["service_level"].iloc[0]
    assert sl_full > 0.99
    # 20 x 0.7 = 14 effective agents: near Erlang C with 14 (breaks of busy agents start late, which helps)
    assert abs(sl_shrunk - row["expected_sl"]) < 0.05
    assert shrunk.team_overall["occupancy"].iloc[0] > full.team_overall["occupancy"].iloc[0] / 0.75


def test_junior_and_team_multipliers_lengthen_handling():
    ag_s = make_agents({"tier1": 30}, {"tier1": ("voice",)}, seniority="senior")
    ag_j = make_agents({"tier1": 30}, {"tier1": ("voice",)}, seniority="junior")
    fc = flat_forecast({"voice": 100}, START, 1)
    sc = make_scenario(seniority={"senior": {"aht_multiplier": 1.0}, "junior": {"aht_multiplier": 1.25}},
                       teams={"tier1": {"aht_multiplier": 1.1}})
    handled = []
    for ag in (ag_s, ag_j):
        inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS)
        sums, raws = simulate_inputs(inp, reps=1, seed=6)
        assert (raws[0].status == 1).all()
        handled.append(sums[0]["handle_sum_s"].sum())
    assert handled[1] / handled[0] == pytest.approx(1.25, rel=1e-9)
    inp = build_inputs(sc, ag_s, fc, round_the_clock(ag_s, START, 2), NO_BREAKS)
    assert inp.agent_mult == pytest.approx(1.1)


# ---- routing -----------------------------------------------------------------------------------------


def two_team_case(order: list[str]):
    sc = make_scenario(queues={"voice": {"teams": order}}, teams={"tier2": {"cost_per_hour": 40}},
                       shifts={"day": {"teams": ["tier1", "tier2"]}})
    ag = make_agents({"tier1": 3, "tier2": 3}, {"tier1": ("voice",), "tier2": ("voice",)})
    fc = flat_forecast({"voice": 30}, START, 2)           # 1.5 Erlangs
    return simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=2, seed=7)


def test_routing_follows_the_queues_team_order():
    occ = two_team_case(["tier1", "tier2"]).team_overall.set_index("team")["occupancy"]
    assert occ["tier1"] > 3 * occ["tier2"] > 0
    occ = two_team_case(["tier2", "tier1"]).team_overall.set_index("team")["occupancy"]
    assert occ["tier2"] > 3 * occ["tier1"] > 0


def test_skill_without_team_routing_is_not_used():
    """An agent may serve q only when q is in its skills AND its team is in queues[q].teams."""
    sc = make_scenario(teams={"tier2": {"cost_per_hour": 40}})
    ag = make_agents({"tier1": 2, "tier2": 5}, {"tier1": ("voice",), "tier2": ("voice",)})
    fc = flat_forecast({"voice": 60}, START, 1)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 1), NO_BREAKS, reps=1, seed=8)
    occ = res.team_overall.set_index("team")["occupancy"]
    assert occ["tier2"] == 0.0 and occ["tier1"] > 0.9


def test_overflow_team_only_after_threshold_and_share_reported():
    sc = make_scenario(queues={"voice": {"teams": ["tier1", "overflow"], "overflow_after_s": 45}},
                       teams={"overflow": {"cost_per_hour": 60, "aht_multiplier": 1.2}})
    ag = make_agents({"tier1": 12, "overflow": 5}, {"tier1": ("voice",), "overflow": ("voice",)})
    fc = flat_forecast({"voice": 240}, START, 2)           # 12 Erlangs on 12 primary agents
    inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS)
    sums, raws = simulate_inputs(inp, reps=2, seed=9)
    ovf = inp.teams.index("overflow")
    for raw in raws:
        by_ovf = (raw.status == 1) & (raw.team == ovf)
        assert by_ovf.sum() > 100
        assert raw.wait_s[by_ovf].min() >= 45 - 1e-9
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=2, seed=9)
    share = res.overall["overflow_share"].iloc[0]
    expect = np.mean([((r.status == 1) & (r.team == ovf)).sum() / (r.status == 1).sum() for r in raws])
    assert share == pytest.approx(expect)


# ---- chat concurrency ------------------------------------------------------------------------------------


def chat_case(growth: float, agents: int = 5, concurrency: int = 3):
    sc = make_scenario(queues={"=voice": None, "chat": {
        "channel": "chat", "aht_s": 180, "sla": {"answer_within_s": 20, "target": 0.8}, "teams": ["tier1"],
        "concurrency": concurrency, "concurrency_aht_growth": growth}})
    ag = make_agents({"tier1": agents}, {"tier1": ("chat",)})
    fc = flat_forecast({"chat": 200}, START, 4)
    return simulate_roster(sc, ag, fc, round_the_clock(ag, START, 4), NO_BREAKS, reps=6, seed=10)


def test_chat_concurrency_without_growth_is_erlang_c_on_slots():
    """5 agents x 3 chat slots with no slow-down = 15 servers: C-PUB-PWF15 (SL 0.9415, ASA 3.67 s)."""
    row = pd.read_csv(shared_path("staffing", "erlang_vectors.csv")).set_index("case_id").loc["C-PUB-PWF15"]
    o = chat_case(0.0).overall.iloc[0]
    assert abs(o["service_level"] - row["expected_sl"]) <= 1.5 * o["service_level_ci95"] + 0.002
    assert abs(o["asa_s"] - row["expected_asa"]) <= 1.5 * o["asa_s_ci95"] + 0.2


def test_chat_concurrency_growth_slows_service():
    o0 = chat_case(0.0).overall.iloc[0]
    o1 = chat_case(0.25).overall.iloc[0]
    assert o1["service_level"] < o0["service_level"] - 0.02
    assert o1["asa_s"] > o0["asa_s"]


def test_chatting_agent_takes_no_voice_call():
    sc = make_scenario(queues={"chat": {
        "channel": "chat", "aht_s": 600, "sla": {"answer_within_s": 20, "target": 0.8}, "teams": ["tier1"],
        "concurrency": 2}})
    ag = make_agents({"tier1": 1}, {"tier1": ("voice", "chat")})
    fc = flat_forecast({"voice": 10, "chat": 10}, START, 1)
    inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, 1), NO_BREAKS)
    _, raws = simulate_inputs(inp, reps=1, seed=11)
    r = raws[0]
    served = r.status == 1
    start = r.arrival_s + r.wait_s
    chat_q, voice_q = inp.queue_index("chat"), inp.queue_index("voice")
    chats = [(s, e) for s, e, q, ok in zip(start, r.done_s, r.queue, served) if ok and q == chat_q]
    calls = [(s, e) for s, e, q, ok in zip(start, r.done_s, r.queue, served) if ok and q == voice_q]
    assert chats and calls
    for s, e in calls:
        assert not any(cs < e and s < ce for cs, ce in chats)
    # at most two chats at once
    times = sorted([(s, 1) for s, _ in chats] + [(e, -1) for _, e in chats], key=lambda x: (x[0], x[1]))
    level = np.cumsum([d for _, d in times])
    assert level.max() == 2


# ---- deferred work ---------------------------------------------------------------------------------------


def deferred_case(agents: int, reserve: int, email_per_h: float = 6.0, voice_per_h: float = 30.0, resolve_h: float = 4):
    sc = make_scenario(queues={"email": {"channel": "email", "aht_s": 480, "sla": {"resolve_within_h": resolve_h},
                                         "teams": ["tier1"]}})
    ag = make_agents({"tier1": agents}, {"tier1": ("voice", "email")})
    fc = flat_forecast({"voice": voice_per_h, "email": email_per_h}, START, 2)
    return simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=2, seed=12,
                           live_reserve=reserve)


def test_deferred_work_done_in_idle_time_within_deadline():
    res = deferred_case(agents=6, reserve=1)
    o = res.overall.set_index("queue")
    assert o.loc["email", "kind"] == "deferred"
    assert o.loc["email", "past_deadline"] == 0 and o.loc["email", "completed"] == o.loc["email", "offered"]
    assert 0 < o.loc["email", "mean_resolution_h"] < 1
    assert o.loc["voice", "service_level"] > 0.9


def test_deferred_work_late_when_capacity_short_or_reserved():
    short = deferred_case(agents=1, reserve=0, voice_per_h=12).overall.set_index("queue")
    assert short.loc["email", "past_deadline_share"] > 0.2 and short.loc["email", "past_deadline_h"] > 0
    # a reserve larger than the team: e-mail is never started while voice is open (24 h): all late
    held = deferred_case(agents=6, reserve=10).overall.set_index("queue")
    assert held.loc["email", "completed"] == 0
    assert held.loc["email", "past_deadline_share"] > 0.9


def email_deadlines(resolve_h: float, hours: str, days: int):
    """due('HH:MM') -> due time of e-mail arriving in that interval of the first day."""
    sc = make_scenario(queues={"email": {"channel": "email", "aht_s": 480, "sla": {"resolve_within_h": resolve_h},
                                         "teams": ["tier1"], "hours": hours}})
    ag = make_agents({"tier1": 1}, {"tier1": ("voice", "email")})
    fc = flat_forecast({"voice": 1, "email": 1}, START, days)
    inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, days), NO_BREAKS)
    at = dict(zip(inp.interval_starts, inp.deadline_s[inp.queue_index("email")]))

    def due(arrival: str) -> pd.Timestamp:
        return inp.origin + pd.Timedelta(seconds=float(at[D0 + hm(arrival)]))
    return due


def test_deadline_counts_the_queues_open_hours():
    due = email_deadlines(2, "08:00-24:00", 2)

    assert due("10:00") == D0 + hm("12:15")            # end of interval t + 8
    assert due("23:30") == D0 + pd.Timedelta(days=1, hours=9, minutes=45)
    assert due("03:00") == D0 + hm("10:15")            # closed: counts from the opening


# ---- arrivals ------------------------------------------------------------------------------------------


def test_arrivals_follow_the_forecast_shape():
    fc = flat_forecast({"voice": 0}, START, 1)
    hours = fc["ds"].dt.hour
    fc.loc[(hours >= 9) & (hours < 12), ["volume", "volume_lo", "volume_hi"]] = 40.0
    fc.loc[(hours >= 12) & (hours < 13), ["volume", "volume_lo", "volume_hi"]] = 10.0
    ag = make_agents({"tier1": 40}, {"tier1": ("voice",)})
    res = simulate_roster(make_scenario(), ag, fc, round_the_clock(ag, START, 1), NO_BREAKS, reps=20, seed=13)
    got = res.intervals.set_index("interval_start")["offered"].to_numpy()
    want = fc["volume"].to_numpy()
    assert np.all(got[want == 0] == 0)
    z = (got[want > 0] - want[want > 0]) / np.sqrt(want[want > 0] / 20)
    assert np.abs(z).max() < 4.5


def test_volume_uncertainty_draws_busy_and_quiet_days():
    fc = flat_forecast({"voice": 20}, START, 2)
    fc["volume_lo"] = fc["volume"] * 0.5
    fc["volume_hi"] = fc["volume"] * 1.5
    ag = make_agents({"tier1": 10}, {"tier1": ("voice",)})
    args = (make_scenario(), ag, fc, round_the_clock(ag, START, 2), NO_BREAKS)
    plain = simulate_roster(*args, reps=25, seed=14).replication_days["offered"]
    wide = simulate_roster(*args, reps=25, seed=14, volume_uncertainty=True).replication_days["offered"]
    assert plain.std() < 2 * math.sqrt(480)
    assert wide.std() > 4 * math.sqrt(480)          # two-piece normal: sd ~ 0.39 x 480
    assert abs(wide.mean() - 480) < 3 * wide.std() / math.sqrt(len(wide))


def test_lognormal_service_times_keep_the_mean():
    fc = flat_forecast({"voice": 100}, START, 2)
    ag = make_agents({"tier1": 30}, {"tier1": ("voice",)})
    inp = build_inputs(make_scenario(), ag, fc, round_the_clock(ag, START, 2), NO_BREAKS,
                       service_time={"voice": "lognormal"})
    _, raws = simulate_inputs(inp, reps=1, seed=15, lognormal_cv=0.5)
    h = raws[0].handle_s
    assert h.mean() == pytest.approx(180, rel=0.03)
    assert h.std() / h.mean() == pytest.approx(0.5, rel=0.06)


# ---- input errors ------------------------------------------------------------------------------------------


def base_inputs():
    sc = make_scenario()
    ag = make_agents({"tier1": 2}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 10}, START, 1)
    return sc, ag, fc, round_the_clock(ag, START, 1)


def error_text(**changes) -> str:
    sc, ag, fc, asg = base_inputs()
    br = changes.pop("breaks", NO_BREAKS)
    fc = changes.pop("forecast", lambda f: f)(fc)
    asg = changes.pop("assignments", lambda f: f)(asg)
    with pytest.raises(InputFileError) as exc:
        simulate_roster(sc, ag, fc, asg, br, reps=1, seed=0)
    return str(exc.value)


def test_unknown_agent_in_assignments_is_named():
    def bad(f):
        f = f.copy()
        f.loc[1, "agent_id"] = "Z999"
        return f
    assert error_text(assignments=bad) == (
        "assignments, row 3, column 'agent_id': agent not in the agents table (got 'Z999'); "
        "expected an agent_id of agents.csv")


def test_forecast_errors_are_named():
    def unknown_queue(f):
        f = f.copy()
        f.loc[0, "queue"] = "fax"
        return f

    def negative(f):
        f = f.copy()
        f.loc[5, "volume"] = -1.0
        return f

    def off_grid(f):
        f = f.copy()
        f.loc[2, "ds"] = f.loc[2, "ds"] + pd.Timedelta(minutes=7)
        return f
    assert "forecast, row 2, column 'queue': unknown queue (got 'fax')" in error_text(forecast=unknown_queue)
    assert "forecast, row 7, column 'volume': volume is not a number >= 0" in error_text(forecast=negative)
    assert "row 4, column 'ds': timestamp is not on the 15-minute grid" in error_text(forecast=off_grid)


def test_break_outside_shift_and_overlapping_shifts_are_named():
    text = error_text(breaks=one_break("tier1-000", "30:00", 15))
    assert text.startswith("breaks, row 2, column 'start': break outside the agent's shifts")

    def overlap(f):
        extra = f.iloc[[0]].copy()
        extra["start"] = extra["start"] + pd.Timedelta(hours=2)
        return pd.concat([f, extra], ignore_index=True)
    text = error_text(assignments=overlap)
    assert "column 'start': this shift of tier1-000 overlaps the one on row 2" in text and "row " in text.split(",")[1]


def test_bad_arguments_are_named():
    sc, ag, fc, asg = base_inputs()
    with pytest.raises(InputFileError, match="unknown overflow mode"):
        simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=1, seed=0, overflow_mode="sideways")
    with pytest.raises(InputFileError, match="reps must be at least 1"):
        simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=0, seed=0)
    with pytest.raises(InputFileError, match="unknown distribution for queue 'voice'"):
        simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=1, seed=0, service_time={"voice": "gamma"})


def test_daily_frame_for_the_plan_summary():
    sc, ag, fc, asg = base_inputs()
    res = simulate_roster(sc, ag, fc, asg, NO_BREAKS, reps=3, seed=2)
    d = res.daily
    assert list(d.columns[:6]) == ["date", "queue", "offered", "service_level", "service_level_lo", "service_level_hi"]
    assert (d["service_level_lo"] <= d["service_level"]).all() and (d["service_level"] <= d["service_level_hi"]).all()
    assert d["date"].tolist() == [START] and d["sl_definition"].tolist() == ["offered"]
    s = res.summary()
    import json
    json.dumps(s)
    assert s["days"][0]["date"] == "2026-01-05" and s["reps"] == 3


def test_tier2_works_its_complaints_before_helping_on_calls():
    """Own queues first: tier-2 takes tier-1 calls only when its complaints are covered, even while
    tier-1 is overloaded (calls keep waiting), so complaints meet their 2 h deadline."""
    sc = make_scenario(
        queues={"voice": {"teams": ["tier1", "tier2"], "patience_s": 120},
                "complaints_major": {"channel": "complaint", "aht_s": 1500, "sla": {"resolve_within_h": 2},
                                     "teams": ["tier2"]}},
        teams={"tier2": {"cost_per_hour": 45}})
    ag = make_agents({"tier1": 3, "tier2": 3}, {"tier1": ("voice",), "tier2": ("voice", "complaints_major")})
    fc = flat_forecast({"voice": 120, "complaints_major": 3}, START, 2)    # voice 6 Erl on 3 + helpers
    inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS)
    sums, raws = simulate_inputs(inp, reps=2, seed=16)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=2, seed=16)
    o = res.overall.set_index("queue")
    assert o.loc["complaints_major", "past_deadline_share"] < 0.02
    t2 = inp.teams.index("tier2")
    voice = inp.queue_index("voice")
    for r in raws:
        by_t2 = (r.status == 1) & (r.team == t2) & (r.queue == voice)
        assert by_t2.sum() > 0.1 * (r.queue == voice).sum()       # and they do help on calls


def test_ramp_up_beats_and_ramp_down_misses_the_stationary_formula():
    """Per-interval Erlang staffing (docs/simulation.md, "Ramps"): 40 -> 160 -> 40 calls/h with 600 s
    handling, 10 agents all day and 22 more from 10:00 to 12:00 (each level meets 80/20 by Erlang C).
    The first interval of the peak starts with an empty queue and fresh agents (far better than the
    formula); the first interval after it inherits the peak's calls in progress (worse)."""
    from scheduler.staffing import queue_metrics

    sc = make_scenario(queues={"voice": {"aht_s": 600}})
    ag = make_agents({"tier1": 32}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 40}, START, 1)
    h = fc["ds"].dt.hour
    fc.loc[(h >= 10) & (h < 12), ["volume", "volume_lo", "volume_hi"]] = 40.0
    rows = [shift(a, "tier1", "00:00", "24:00") if i < 10 else shift(a, "tier1", "10:00", "12:00")
            for i, a in enumerate(ag["agent_id"])]
    res = simulate_roster(sc, ag, fc, pd.DataFrame(rows), NO_BREAKS, reps=300, seed=17)
    iv = res.intervals.set_index("interval_start")
    low = float(queue_metrics(40, 600, 10, 20, None).service_level)       # 0.84
    peak = float(queue_metrics(160, 600, 32, 20, None).service_level)     # 0.80
    up = iv.loc[D0 + hm("10:00")]
    down = iv.loc[D0 + hm("12:00")]
    assert up["service_level"] - up["service_level_ci95"] > peak + 0.1
    assert down["service_level"] + down["service_level_ci95"] < low - 0.03
    assert down["asa_s"] > 2 * iv.loc[D0 + hm("09:45"), "asa_s"]


def test_scenario_simulation_settings_are_the_defaults():
    sc, ag, fc, asg = base_inputs()
    doc_sc = make_scenario(simulation={"service_time_by_queue": {"voice": "lognormal"}, "lognormal_cv": 0.5,
                                       "overflow_mode": "transfer", "live_reserve": 0, "volume_uncertainty": True,
                                       "routing": "dynamic"})
    res = simulate_roster(doc_sc, ag, fc, asg, NO_BREAKS, reps=1, seed=0)
    assert res.settings == {"routing": "dynamic", "routing_requested": "dynamic",
                            "overflow_mode": "transfer", "live_reserve": 0, "volume_uncertainty": True,
                            "service_time": {"voice": "lognormal"}, "lognormal_cv": 0.5, "patience_samples": {}}
    res = simulate_roster(doc_sc, ag, fc, asg, NO_BREAKS, reps=1, seed=0, overflow_mode="expand",
                          service_time={"voice": "exponential"})
    assert res.settings["overflow_mode"] == "expand" and res.settings["service_time"] == {"voice": "exponential"}
    from scheduler.errors import ScenarioError
    with pytest.raises(ScenarioError, match="simulation.service_time_by_queue: queue 'fax' is not defined"):
        make_scenario(simulation={"service_time_by_queue": {"fax": "lognormal"}})


def test_lunch_wave_spreads_its_damage_later_than_the_formula_says():
    """5 of 36 agents take a 30-minute meal at 12:00 (30 Erlangs, AHT 360 s). Erlang C
    per interval says SL 0.24 for 12:00-12:30 and 0.85 from 12:30; busy agents start the meal late
    and the queue needs time to build and to drain (docs/simulation.md, "Breaks")."""
    from scheduler.staffing import queue_metrics

    sc = make_scenario(queues={"voice": {"aht_s": 360}})
    ag = make_agents({"tier1": 36}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": 300}, START, 1)
    h = fc["ds"].dt.hour
    fc.loc[(h < 10) | (h >= 14), ["volume", "volume_lo", "volume_hi"]] = 0.0
    br = pd.concat([one_break(a, "12:00", 30, "meal") for a in ag["agent_id"][:5]], ignore_index=True)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 1), br, reps=200, seed=3)
    iv = res.intervals.set_index("interval_start")["service_level"]
    full = float(queue_metrics(300, 360, 36, 20, None).service_level)      # 0.85
    during = float(queue_metrics(300, 360, 31, 20, None).service_level)    # 0.24
    assert iv[D0 + hm("12:00")] > during + 0.3          # breaks start late, the queue builds up slowly
    assert iv[D0 + hm("12:15")] > during + 0.1
    assert iv[D0 + hm("12:30")] < full - 0.1             # the backlog and late returns carry over
    assert res.roster_effects["breaks_delayed_share"] > 0.5


def test_deadline_beyond_the_horizon_for_a_queue_open_two_hours_a_day():
    due = email_deadlines(4, "08:00-10:00", 1)("09:00")
    # 4 h of open time = 16 open intervals after 09:00: 09:15..09:45 today (3), 2 h tomorrow (8),
    # 2 h the day after (8) -> the 16th is 09:00 the day after tomorrow, due at its end
    assert due == D0 + pd.Timedelta(days=2, hours=9, minutes=15)


def test_blended_agents_keep_calls_covered_while_chatting():
    """25 voice + 13 chat agents (each group meets its target by staffing's formulas) against the same
    38 agents all doing both: pooled, chats go first to agents already chatting, so calls keep their
    service level (spreading chats over idle blended agents took voice to ~0.55) and chat gains."""
    sc = make_scenario(queues={"voice": {"aht_s": 240}, "chat": {
        "channel": "chat", "aht_s": 300, "sla": {"answer_within_s": 30, "target": 0.85}, "teams": ["tier1"],
        "concurrency": 3, "concurrency_aht_growth": 0.15}})
    fc = flat_forecast({"voice": 300, "chat": 300}, START, 2)
    a1 = make_agents({"tier1": 25}, {"tier1": ("voice",)})
    a2 = make_agents({"tier1": 13}, {"tier1": ("chat",)}).assign(agent_id=lambda f: f["agent_id"] + "c")
    split_agents = pd.concat([a1, a2], ignore_index=True)
    pooled_agents = make_agents({"tier1": 38}, {"tier1": ("voice", "chat")})
    out = {}
    for name, ag in (("split", split_agents), ("pooled", pooled_agents)):
        res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 2), NO_BREAKS, reps=4, seed=18)
        out[name] = res.overall.set_index("queue")["service_level"]
    assert out["pooled"]["voice"] > out["split"]["voice"] - 0.03
    assert out["pooled"]["chat"] > out["split"]["chat"]
