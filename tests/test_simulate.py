"""The simulation agrees with the closed forms in stationary cases (Erlang C, Erlang A, time-threshold
overflow), within its own confidence interval, and is reproducible with a seed.

Agreement is checked against the 95 % half-width widened by 1.5 (a ~99.5 % band): the seeds are fixed,
so a test either always passes or always fails; the band keeps a correct model from failing on an
unlucky seed while a biased one (e.g. a wrong SL definition, a lost abandonment) still fails.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from scheduler.simulate import build_inputs, simulate_inputs, simulate_roster
from scheduler.simulate.engine import SERVED
from simulate_factories import NO_BREAKS, flat_forecast, make_agents, make_scenario, round_the_clock

START = date(2026, 1, 5)
BAND = 1.5


def erlang_rows(case_ids: list[str]) -> dict[str, pd.Series]:
    frame = pd.read_csv(shared_path("staffing", "erlang_vectors.csv"))
    rows = frame.set_index("case_id")
    return {c: rows.loc[c] for c in case_ids}


def one_queue(row: pd.Series, definition: str = "offered", days: int = 6):
    """Scenario, agents, forecast and round-the-clock roster for one erlang_vectors.csv row."""
    patience = float(row["patience_seconds"])
    queue = {"aht_s": float(row["aht_seconds"]),
             "sla": {"answer_within_s": float(row["target_seconds"]), "definition": definition}}
    if math.isfinite(patience):
        queue["patience_s"] = patience
    sc = make_scenario(queues={"voice": queue})
    ag = make_agents({"tier1": int(row["agents"])}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": float(row["arrival_rate_per_hour"])}, START, days)
    return sc, ag, fc, round_the_clock(ag, START, days)


def assert_within(mean: float, half: float, expected: float, what: str) -> None:
    assert np.isfinite(half) and half > 0, f"{what}: no confidence interval"
    assert abs(mean - expected) <= BAND * half, (
        f"{what}: simulated {mean:.5f} ± {half:.5f} (95 %), expected {expected:.5f}")


def steady(res) -> dict[str, tuple[float, float]]:
    """Mean and 95 % half-width over replications of the metrics pooled over every day but the first
    (the queue starts empty at the horizon's start: a warm-up of a few minutes that biases one short day)."""
    from scipy import stats

    first = res.replication_days["date"].min()
    d = res.replication_days[res.replication_days["date"] > first]
    t = res.replication_team_days[res.replication_team_days["date"] > first]
    definition = res.overall["sl_definition"].iloc[0]
    sl_weight = "answered" if definition == "answered" else "offered"
    per_rep: dict[str, list[float]] = {}
    for rep, g in d.groupby("rep"):
        tg = t[t["rep"] == rep]
        vals = {
            "service_level": np.average(g["service_level"], weights=g[sl_weight]),
            "asa_s": np.average(g["asa_s"], weights=g["answered"]),
            "abandon_rate": np.average(g["abandon_rate"], weights=g["offered"]),
            "occupancy": tg["busy_h"].sum() / tg["available_h"].sum(),
        }
        for k, v in vals.items():
            per_rep.setdefault(k, []).append(v)
    out = {}
    for k, v in per_rep.items():
        x = np.asarray(v)
        out[k] = (float(x.mean()), float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))))
    return out


# (case, days, reps): sample sizes that keep each case well under a second
ERLANG_C = [("C-PUB-R13", 4, 8), ("C-PUB-R14", 4, 8), ("C-MITAN", 2, 8), ("C-PUB-AL911-B", 12, 8)]
# (case, days, reps, SL definitions checked)
ALL_DEFINITIONS = ("offered", "answered", "no_wait_gt_t")
ERLANG_A = [("A-HERZOG-DEFAULT", 4, 8, ALL_DEFINITIONS), ("A-48-40-P60", 2, 8, ALL_DEFINITIONS),
            ("A-10-14-P120", 4, 8, ("offered",)), ("A-48-55-P90", 2, 6, ("offered",))]


@pytest.mark.parametrize("case,days,reps", ERLANG_C)
def test_erlang_c_stationary(case, days, reps):
    row = erlang_rows([case])[case]
    res = simulate_roster(*one_queue(row, days=days), NO_BREAKS, reps=reps, seed=11)
    assert res.overall["sl_definition"].iloc[0] == "offered"
    m = steady(res)
    assert_within(*m["service_level"], row["expected_sl"], f"{case} SL")
    assert_within(*m["asa_s"], row["expected_asa"], f"{case} ASA")
    assert_within(*m["occupancy"], row["expected_occupancy"], f"{case} occupancy")
    assert res.overall["abandon_rate"].iloc[0] == 0.0


@pytest.mark.parametrize("case,days,reps,definitions", ERLANG_A)
def test_erlang_a_stationary(case, days, reps, definitions):
    row = erlang_rows([case])[case]
    expected = {"offered": row["expected_sl"], "answered": row["expected_sl_answered_basis"],
                "no_wait_gt_t": 1.0 - row["expected_p_wait_gt_t"]}
    for definition in definitions:
        value = expected[definition]
        res = simulate_roster(*one_queue(row, definition, days=days), NO_BREAKS, reps=reps, seed=12)
        assert res.overall["sl_definition"].iloc[0] == definition
        m = steady(res)
        assert_within(*m["service_level"], value, f"{case} SL ({definition})")
    assert_within(*m["abandon_rate"], row["expected_abandon"], f"{case} abandonment")
    assert_within(*m["asa_s"], row["expected_asa"], f"{case} ASA")
    assert_within(*m["occupancy"], row["expected_occupancy"], f"{case} occupancy")


def test_erlang_c_detects_a_wrong_model():
    """The band is tight enough to tell 14 agents from 13 (SL 0.888 vs 0.796)."""
    rows = erlang_rows(["C-PUB-R13", "C-PUB-R14"])
    res = simulate_roster(*one_queue(rows["C-PUB-R14"], days=4), NO_BREAKS, reps=8, seed=11)
    mean, half = steady(res)["service_level"]
    assert abs(mean - rows["C-PUB-R13"]["expected_sl"]) > 5 * half


# ---- time-threshold overflow (M/M/n+D(tau) with transfer to a backup team) ------------------------


def overflow_case(case: str) -> dict:
    frame = pd.read_csv(shared_path("staffing", "overflow_vectors.csv"))
    rows = frame[frame["case_id"] == case]
    first = rows.iloc[0]
    out = {k: float(first[k]) for k in ("arrival_rate_per_hour", "aht_seconds", "primary_agents", "backup_agents",
                                          "overflow_after_seconds", "target_seconds")}
    closed = rows[rows["method"].str.startswith("closed form")]
    own = rows[rows["method"].str.startswith("own DES")]
    out["closed"] = dict(zip(closed["metric"], closed["expected_value"]))
    out["des"] = {m: (v, c) for m, v, c in zip(own["metric"], own["expected_value"], own["ci95"])}
    return out


def overflow_inputs(v: dict, days: int):
    sc = make_scenario(
        queues={"voice": {"aht_s": v["aht_seconds"], "sla": {"answer_within_s": v["target_seconds"]},
                          "teams": ["tier1", "overflow"], "overflow_after_s": v["overflow_after_seconds"]}},
        teams={"overflow": {"cost_per_hour": 50, "aht_multiplier": 1.0}})
    ag = make_agents({"tier1": int(v["primary_agents"]), "overflow": int(v["backup_agents"])},
                     {"tier1": ("voice",), "overflow": ("voice",)})
    fc = flat_forecast({"voice": v["arrival_rate_per_hour"]}, START, days)
    return build_inputs(sc, ag, fc, round_the_clock(ag, START, days), NO_BREAKS)


def per_rep_mean_ci(values: list[float]) -> tuple[float, float]:
    from scipy import stats

    x = np.asarray(values)
    return float(x.mean()), float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


@pytest.mark.parametrize("case", ["OVF-TT-1", "OVF-TT-2"])
def test_time_threshold_overflow(case):
    v = overflow_case(case)
    tau, target = v["overflow_after_seconds"], v["target_seconds"]
    inp = overflow_inputs(v, days=8)
    sums, raws = simulate_inputs(inp, reps=5, seed=21, overflow_mode="transfer")
    ovf = inp.teams.index("overflow")
    m: dict[str, list[float]] = {}
    for r in raws:
        served = r.status == SERVED
        by_backup = served & (r.team == ovf)
        got = {
            "primary_p_wait": np.mean(r.wait_s > 0),
            "fraction_overflowed": np.mean(r.wait_s >= tau),
            "answered_by_primary_within_20s": np.mean(served & (r.team != ovf) & (r.wait_s <= 20)),
            "answered_within_target_total": np.mean(served & (r.wait_s <= target)),
            "asa_total_seconds": r.wait_s[served].mean(),
            "backup_p_wait": np.mean(r.wait_s[by_backup] > tau + 1e-9),
        }
        for k, x in got.items():
            m.setdefault(k, []).append(x)
        # the backup team never answers a contact before the threshold
        assert np.all(r.wait_s[by_backup] >= tau - 1e-9)
    for metric, expected in v["closed"].items():
        mean, half = per_rep_mean_ci(m[metric])
        assert_within(mean, half, expected, f"{case} {metric} (closed form)")
    for metric, (expected, des_ci) in v["des"].items():
        if metric in v["closed"]:
            continue
        mean, half = per_rep_mean_ci(m[metric])
        assert_within(mean, math.hypot(half, des_ci), expected, f"{case} {metric} (reference DES)")
    # the report's own SL (offered basis, target 60 s) is the same quantity
    sl = sums_sl(inp, sums)
    assert abs(sl - np.mean(m["answered_within_target_total"])) < 1e-12


def sums_sl(inp, sums) -> float:
    return float(np.mean([s["answered_within"].sum() / s["offered"].sum() for s in sums]))


def asa(sums) -> float:
    return float(np.mean([s["wait_sum_s"].sum() / s["answered"].sum() for s in sums]))


def test_overflow_expand_versus_transfer():
    """Expand mode (the primary team keeps the overflowed contacts too) holds the queue's head near the
    threshold: shorter mean wait than transfer mode, but fewer answers within a target above the
    threshold, since nobody is answered quickly from a queue whose head waits about tau
    (docs/simulation.md)."""
    v = overflow_case("OVF-TT-2")
    inp = overflow_inputs(v, days=3)
    s_t, _ = simulate_inputs(inp, reps=3, seed=5, overflow_mode="transfer")
    s_e, raws = simulate_inputs(inp, reps=3, seed=5, overflow_mode="expand")
    assert asa(s_e) < 0.8 * asa(s_t)
    assert sums_sl(inp, s_e) < sums_sl(inp, s_t) - 0.01
    ovf = inp.teams.index("overflow")
    for r in raws:
        by_backup = (r.status == SERVED) & (r.team == ovf)
        assert by_backup.any()
        assert np.all(r.wait_s[by_backup] >= v["overflow_after_seconds"] - 1e-9)


# ---- reproducibility ----------------------------------------------------------------------------------


def test_same_seed_same_result_other_seed_other_result():
    row = erlang_rows(["A-HERZOG-DEFAULT"])["A-HERZOG-DEFAULT"]
    inputs = one_queue(row, days=2)
    a = simulate_roster(*inputs, NO_BREAKS, reps=2, seed=7)
    b = simulate_roster(*inputs, NO_BREAKS, reps=2, seed=7)
    c = simulate_roster(*inputs, NO_BREAKS, reps=2, seed=8)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    pd.testing.assert_frame_equal(a.team_days, b.team_days)
    assert a.contacts_per_rep == b.contacts_per_rep
    assert a.contacts_per_rep != c.contacts_per_rep
    # replications differ from each other
    assert a.contacts_per_rep[0] != a.contacts_per_rep[1]


# ---- against the staffing module's own formulas ----------------------------------------------------

STAFFING_CASES = [
    # rate/h, aht s, agents, target s, patience s (None = Erlang C), definition, days, reps
    (300, 240, 23, 20, None, "offered", 3, 6),
    (300, 240, 21, 30, 150, "answered", 3, 6),
    (120, 360, 14, 30, 180, "no_wait_gt_t", 5, 6),
]


@pytest.mark.parametrize("rate,aht,agents,target,patience,definition,days,reps", STAFFING_CASES)
def test_agrees_with_staffing_queue_metrics(rate, aht, agents, target, patience, definition, days, reps):
    from scheduler.staffing import queue_metrics

    row = pd.Series({"aht_seconds": aht, "target_seconds": target, "patience_seconds": patience or math.inf,
                     "agents": agents, "arrival_rate_per_hour": rate})
    res = simulate_roster(*one_queue(row, definition, days=days), NO_BREAKS, reps=reps, seed=31)
    m = steady(res)
    exp = queue_metrics(rate, aht, agents, target, patience, definition=definition)
    assert_within(*m["service_level"], float(exp.service_level), f"SL ({definition})")
    assert_within(*m["asa_s"], float(exp.asa_s), "ASA")
    assert_within(*m["occupancy"], float(exp.occupancy), "occupancy")
    if patience:
        assert_within(*m["abandon_rate"], float(exp.abandon_rate), "abandonment")


def test_chat_with_slow_down_agrees_with_staffing_chain():
    """5 agents x 3 chats, each chat 15 % slower per extra chat in hand: staffing's birth-death chain
    (chats spread evenly, slow-down by the mean concurrency) against the per-agent simulation."""
    from scheduler.staffing import queue_metrics

    sc = make_scenario(queues={"=voice": None, "chat": {
        "channel": "chat", "aht_s": 180, "sla": {"answer_within_s": 20, "target": 0.8}, "teams": ["tier1"],
        "concurrency": 3, "concurrency_aht_growth": 0.15}})
    ag = make_agents({"tier1": 5}, {"tier1": ("chat",)})
    fc = flat_forecast({"chat": 200}, START, 5)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 5), NO_BREAKS, reps=8, seed=32)
    m = steady(res)
    exp = queue_metrics(200, 180, 5, 20, None, concurrency=3, concurrency_aht_growth=0.15)
    # the chain approximates each agent's slow-down by the mean concurrency: allow 0.03 beyond the CI
    mean, half = m["service_level"]
    assert abs(mean - float(exp.service_level)) <= BAND * half + 0.03, (mean, half, float(exp.service_level))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["C-LARGE-500-N512", "A-1000-N1000-P180"])
def test_large_loads(case):
    """Hundreds of agents (500 and 1,000 Erlangs): about a million contacts per case."""
    row = erlang_rows([case])[case]
    res = simulate_roster(*one_queue(row, days=2), NO_BREAKS, reps=4, seed=41)
    m = steady(res)
    assert_within(*m["service_level"], row["expected_sl"], f"{case} SL")
    assert_within(*m["asa_s"], row["expected_asa"], f"{case} ASA")
    if math.isfinite(float(row["patience_seconds"])):
        assert_within(*m["abandon_rate"], row["expected_abandon"], f"{case} abandonment")


@pytest.mark.parametrize("case", ["OVF-TT-1", "OVF-TT-2"])
def test_patience_from_data_deterministic_is_the_overflow_threshold(case):
    """Patience drawn from data: with every observed patience equal to tau the queue is M/M/n+D(tau),
    whose abandonment is the overflow vectors' P(overflow) and whose P(wait) is their primary_p_wait."""
    v = overflow_case(case)
    tau = v["overflow_after_seconds"]
    sc = make_scenario(queues={"voice": {"aht_s": v["aht_seconds"], "patience_s": 999.0}})
    ag = make_agents({"tier1": int(v["primary_agents"])}, {"tier1": ("voice",)})
    fc = flat_forecast({"voice": v["arrival_rate_per_hour"]}, START, 4)
    inp = build_inputs(sc, ag, fc, round_the_clock(ag, START, 4), NO_BREAKS, patience_samples={"voice": [tau]})
    _, raws = simulate_inputs(inp, reps=6, seed=23)
    abandon = [np.mean(r.status == 2) for r in raws]
    waited = [np.mean(r.wait_s > 0) for r in raws]
    assert_within(*per_rep_mean_ci(abandon), v["closed"]["fraction_overflowed"], f"{case} abandonment")
    assert_within(*per_rep_mean_ci(waited), v["closed"]["primary_p_wait"], f"{case} P(wait)")
    assert all(np.all(r.wait_s[r.status == 2] == tau) for r in raws)


def test_past_threshold_share_is_the_overflow_probability():
    v = overflow_case("OVF-TT-1")
    sc = make_scenario(
        queues={"voice": {"aht_s": v["aht_seconds"], "sla": {"answer_within_s": v["target_seconds"]},
                          "teams": ["tier1", "overflow"], "overflow_after_s": v["overflow_after_seconds"]}},
        teams={"overflow": {"cost_per_hour": 50, "aht_multiplier": 1.0}})
    ag = make_agents({"tier1": int(v["primary_agents"]), "overflow": int(v["backup_agents"])},
                     {"tier1": ("voice",), "overflow": ("voice",)})
    fc = flat_forecast({"voice": v["arrival_rate_per_hour"]}, START, 5)
    res = simulate_roster(sc, ag, fc, round_the_clock(ag, START, 5), NO_BREAKS, reps=6, seed=24,
                          overflow_mode="transfer")
    o = res.overall.iloc[0]
    assert_within(o["past_threshold_share"], o["past_threshold_share_ci95"], v["closed"]["fraction_overflowed"],
                  "P(overflow)")
