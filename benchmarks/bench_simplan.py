"""Expected vs simulated service level on the 11.11 plan, and where the difference comes from.

Runs the shipped ``double11`` scenario (forecast, requirements, roster; full mode: the scenario as shipped,
quick mode: its first 3 days with a 5 s solver limit and one backtest fold), then simulates the same roster several ways, each
with the same seeds:

- ``dynamic``: team priority, longest-waiting contact first (the routing before plans were followed);
- ``plan``: the plan's activities (allocation) — each agent's planned queues first, other skills when idle
  (the default of ``scheduler run``);
- ``plan, overflow at once``: as ``plan`` with ``overflow_after_s`` set to 0 — the vendor team takes
  contacts from the first second, as the plan's coverage counts it;
- ``primary, overflow at once``: each agent serves only its primary planned queue and the vendor team
  answers at once — the plan's own per-queue assumptions, simulated (what remains is ramps, breaks
  starting late, random shrinkage, whole agents, randomness);
- ``plan, volume uncertainty``: ``plan`` with each day's volume drawn from the forecast's 10–90 % interval.

Reported: per queue the volume-weighted SL over the horizon and on the days where plan and simulation
differ most, the planned capacity that is the vendor team's, break delays, and (interval level) how the
difference depends on the previous interval's expected SL (carry-over of queues and contacts in service).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scheduler import columns as C  # noqa: E402
from scheduler.pipeline import daily_expected_service_level, run_scenario  # noqa: E402
from scheduler.scenario import load_scenario  # noqa: E402
from scheduler.simulate import build_inputs, simulate_inputs  # noqa: E402
from scheduler.simulate.report import build_frames, roster_effects  # noqa: E402
from scheduler.staffing import agent_efficiency  # noqa: E402

LIVE = ("voice_presales", "voice_aftersales", "chat")
VARIANTS = (  # name, routing, overflow at once, volume uncertainty
    ("dynamic", "dynamic", False, False),
    ("plan", "plan", False, False),
    ("plan, overflow at once", "plan", True, False),
    ("primary, overflow at once", "primary", True, False),
    ("plan, volume uncertainty", "plan", False, True),
)


def weighted(frame: pd.DataFrame, value: str, weight: str) -> float:
    w = frame[weight].to_numpy(float)
    return float(np.sum(frame[value].to_numpy(float) * w) / np.sum(w)) if np.sum(w) > 0 else float("nan")


def overflow_capacity_share(scenario, agents: pd.DataFrame, allocation: pd.DataFrame) -> dict[str, float]:
    """Per live queue: the share of the plan's effective capacity that is the overflow team's."""
    a = allocation.merge(agents[[C.AGENT_ID, C.TEAM, C.SENIORITY]], on=C.AGENT_ID)
    minute = (a[C.INTERVAL_START].dt.hour * 60 + a[C.INTERVAL_START].dt.minute).to_numpy()
    eff = {}
    a["cap"] = [s * eff.setdefault((t, n, m), agent_efficiency(scenario, t, n, int(m)))
                for s, t, n, m in zip(a["share"], a[C.TEAM], a[C.SENIORITY], minute)]
    by = a.groupby([C.QUEUE, C.TEAM])["cap"].sum().unstack(fill_value=0.0)
    return {q: float(by.loc[q].get("overflow", 0.0) / by.loc[q].sum()) for q in LIVE if q in by.index}


# rough wall-clock seconds on 2 cores (orders `python -m benchmarks --jobs N`, longest first)
EXPECTED_S = {"quick": 12, "full": 210}


def run(mode: str) -> dict:
    full = mode == "full"
    # (quick: the forecast's model chosen on one backtest fold, not four: what is checked is that it all runs)
    overrides = () if full else ("horizon.days=3", "solver.time_limit_s=5", "forecast.backtest_folds=1")
    scenario = load_scenario(ROOT / "scenarios" / "double11.yaml", overrides)
    reps = 10 if full else 2
    t0 = time.perf_counter()
    plan = run_scenario(scenario, simulate=False)
    plan_s = time.perf_counter() - t0
    roster = plan.roster
    expected = daily_expected_service_level(roster.coverage, scenario)
    inp = build_inputs(scenario, plan.inputs.agents, plan.volume, roster.assignments, roster.breaks,
                       allocation=roster.allocation)
    at_once = dataclasses.replace(inp, queues=tuple(dataclasses.replace(q, overflow_after_s=0.0) for q in inp.queues))
    failures: list[str] = []
    daily: dict[str, pd.DataFrame] = {}
    intervals: dict[str, pd.DataFrame] = {}
    effects = {}
    timings = {}
    for name, routing, now, vol in VARIANTS:
        t = time.perf_counter()
        sums, raws = simulate_inputs(at_once if now else inp, reps=reps, seed=scenario.simulation.seed,
                                     routing=routing, volume_uncertainty=vol)
        frames = build_frames(inp, sums)
        timings[name] = time.perf_counter() - t
        days = frames["days"][frames["days"]["kind"] == "live"]
        d = days[["date", "queue", "offered", "service_level", "service_level_ci95"]].merge(
            expected.rename(columns={"service_level": "expected"}), on=["date", "queue"])
        daily[name] = d
        iv = frames["intervals"]
        intervals[name] = iv[iv["kind"] == "live"]
        effects[name] = roster_effects(raws)
        if not d["service_level"].between(0, 1).all():
            failures.append(f"{name}: a simulated SL outside [0, 1]")
    base = daily["plan"]
    ratio = base["offered"] / base["volume"]
    if abs(float(base["offered"].sum() / base["volume"].sum()) - 1.0) > 0.02:
        failures.append(f"simulated contacts differ from the plan's volume by {float(ratio.mean()) - 1:+.1%}")

    horizon_rows = []
    for q in LIVE:
        row = [q, round(weighted(base[base["queue"] == q], "expected", "volume"), 3)]
        for name, *_ in VARIANTS:
            d = daily[name][daily[name]["queue"] == q]
            row.append(round(weighted(d, "service_level", "offered"), 3))
        horizon_rows.append(row)

    # daily agreement: mean and largest |simulated − expected| over the days, per queue and variant
    agree_rows = []
    for q in LIVE:
        row = [q]
        for name, *_ in VARIANTS:
            d = daily[name][daily[name]["queue"] == q]
            gap = (d["service_level"] - d["expected"]).abs()
            row.append(f"{gap.mean():.3f} / {gap.max():.2f} / {(gap <= 0.03).mean():.0%}")
        agree_rows.append(row)

    # per queue: the busiest day, the day the plan promised 0.95 or more and plan routing fell furthest
    # short, and the days where plan routing and the expected SL differ most
    day_rows = []
    for q in LIVE:
        d = base[base["queue"] == q].assign(gap=lambda f: (f["service_level"] - f["expected"]).abs())
        chosen = [d.loc[d["volume"].idxmax(), "date"]]
        easy = d[d["expected"] >= 0.95]
        if len(easy):
            day = easy.loc[(easy["expected"] - easy["service_level"]).idxmax(), "date"]
            if day not in chosen:       # the busiest day can be that day too: listed once
                chosen.append(day)
        chosen += [x for x in d.nlargest(5, "gap")["date"] if x not in chosen][: 3 if full else 1]
        for day in sorted(chosen):
            row = [q, str(day), round(float(d.loc[d["date"] == day, "expected"].iloc[0]), 2)]
            for name, *_ in VARIANTS:
                x = daily[name]
                r = x[(x["queue"] == q) & (x["date"] == day)].iloc[0]
                row.append(f"{r.service_level:.2f} ± {r.service_level_ci95:.2f}")
            day_rows.append(row)

    # interval level, plan's own assumptions simulated: carry-over from the previous interval
    cov = roster.coverage.rename(columns={C.QUEUE_OR_GROUP: "queue"})
    carry_rows = []
    iv = intervals["primary, overflow at once"].merge(
        cov[[C.INTERVAL_START, "queue", C.FORECAST_VOLUME, C.SERVICE_LEVEL]].rename(
            columns={C.INTERVAL_START: "interval_start", C.SERVICE_LEVEL: "expected"}), on=["interval_start", "queue"])
    iv = iv[iv[C.FORECAST_VOLUME] > 0].sort_values(["queue", "interval_start"])
    iv["prev_minus_this"] = iv.groupby("queue")["expected"].shift(1) - iv["expected"]
    bins = [(-2.0, -0.2, "previous ≥ 0.2 worse"), (-0.2, -0.05, "0.05–0.2 worse"), (-0.05, 0.05, "within ±0.05"),
            (0.05, 0.2, "0.05–0.2 better"), (0.2, 2.0, "≥ 0.2 better")]
    for lo, hi, label in bins:
        row = [label]
        for q in LIVE:
            m = (iv["queue"] == q) & (iv["prev_minus_this"] > lo) & (iv["prev_minus_this"] <= hi)
            x = iv[m]
            row.append(f"{(x['service_level'] - x['expected']).mean():+.3f} ({len(x)})" if len(x) else "–")
        carry_rows.append(row)

    share = overflow_capacity_share(scenario, plan.inputs.agents, roster.allocation)
    fx = effects["plan"]
    overflow_answered = {q: weighted(intervals["plan"][intervals["plan"]["queue"] == q].dropna(subset=["overflow_share"]),
                                     "overflow_share", "answered") for q in LIVE}
    names = [v[0] for v in VARIANTS]
    return {
        "title": "Expected vs simulated service level (11.11 plan)",
        "tables": [
            {"caption": f"Volume-weighted SL over the horizon ({scenario.horizon.days} days, {reps} replications each): "
                        "expected (the plan's coverage, offered basis) and simulated",
             "columns": ["queue", "expected", *names], "rows": horizon_rows},
            {"caption": "Per queue: its busiest day, the day with an expected SL of 0.95 or more that plan routing "
                        "missed most, and the days where plan routing and the expected SL differ most (simulated: "
                        "mean ± 95 % half-width)",
             "columns": ["queue", "date", "expected", *names], "rows": day_rows},
            {"caption": "Daily agreement: mean |simulated − expected| over the days / the largest / share of days "
                        "within 0.03",
             "columns": ["queue", *names], "rows": agree_rows},
            {"caption": "Interval level, the plan's own assumptions simulated (primary, overflow at once): mean "
                        "simulated − expected SL by how the previous interval's expected SL compares (intervals)",
             "columns": ["previous interval", *LIVE], "rows": carry_rows},
            {"caption": "Overflow team: its share of the plan's effective capacity and of the answers (plan routing)",
             "columns": ["queue", "overflow_after_s", "answer_within_s", "planned capacity share", "answered share"],
             "rows": [[q, scenario.queues[q].overflow_after_s, scenario.queues[q].sla.answer_within_s,
                       round(share.get(q, 0.0), 3), round(overflow_answered[q], 3)] for q in LIVE]},
        ],
        "notes": [
            f"roster: {roster.status}, gap {roster.gap:.1%}, {len(roster.assignments)} shifts, built in {plan_s:.0f} s; "
            f"simulated contacts / plan volume = {float(base['offered'].sum() / base['volume'].sum()):.4f}",
            f"breaks started late (plan routing): {fx['breaks_delayed_share']:.0%} of {fx['breaks_per_rep']:,.0f}, "
            f"mean delay {fx['break_delay_mean_s'] / 60:.1f} min, 95th percentile {fx['break_delay_p95_s'] / 60:.1f} min; "
            f"overtime finishing contacts {fx['overtime_h_per_rep']:.0f} h per replication",
            "simulation time per variant (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
            "the optimizer is not deterministic with several workers: another run gives another roster, with "
            "figures of the same kind",
        ],
        "failures": failures,
    }


if __name__ == "__main__":
    import json

    out = run(sys.argv[1] if len(sys.argv) > 1 else "quick")
    print(json.dumps(out, indent=1, default=str))
