"""Simulation speed: a 28-day roster of the sample centre's agents against ~500,000 contacts.

Inputs are built here, independent of the optimizer: the shipped base scenario's six queues (voice with
patience and overflow after 30 s, chat with concurrency 3, e-mail and complaints with deadlines), the
sample agents (tier-1, tier-2, night, overflow), a rule-of-thumb roster (5 days a week, starts spread
over each template's start times, breaks at staggered places in their windows) and, as the forecast,
the sample history of the 28 days around 11.11 2025 scaled to the wanted number of contacts. Handling
times are scaled by the inverse factor so that the load per agent, and so the queueing regime, stays
the same while the number of contacts grows: the time per contact measures the engine, not a
growing backlog.

One replication per row (``simulate_inputs``), timed in parts: input preparation, the event loop
(arrivals drawn, roster events, run), the report (per interval/day/overall frames).
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_rss_mb  # noqa: E402
from scheduler import columns as C  # noqa: E402
from scheduler.io.tables import read_agents, read_history  # noqa: E402
from scheduler.sample_data import ensure_sample_data  # noqa: E402
from scheduler.scenario import load_scenario  # noqa: E402
from scheduler.shifts import build_catalogue  # noqa: E402
from scheduler.simulate import build_inputs, simulate_inputs  # noqa: E402
from scheduler.simulate.report import build_frames  # noqa: E402

WINDOW_START = date(2025, 10, 27)   # 28 days around 11.11 2025 in the sample history
DAYS = 28
TARGET_CONTACTS = 500_000
TEAM_TEMPLATES = {"tier1": "day", "tier2": "day", "night": "night", "overflow": "vendor8"}


def build_roster(scenario, agents: pd.DataFrame, start: date, days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every agent works 5 days a week on its team's template; starts and breaks spread by agent index."""
    catalogue = build_catalogue(scenario)
    rows, brk = [], []
    for i, (aid, team) in enumerate(zip(agents[C.AGENT_ID], agents[C.TEAM])):
        template = scenario.shifts[TEAM_TEMPLATES[team]]
        starts = template.start_minutes()
        for d in range(days):
            if (d + i) % 7 in (0, 1):
                continue
            day = start + timedelta(days=d)
            m = starts[(i * 3 + d) % len(starts)]
            code = f"{template.code}{m // 60:02d}{m % 60:02d}"
            shift = catalogue[code]
            s = pd.Timestamp(day) + pd.Timedelta(minutes=shift.start_min)
            rows.append({C.AGENT_ID: aid, C.TEAM: team, C.DATE: day, C.SHIFT: code, C.SHIFT_START: s,
                         C.SHIFT_END: s + pd.Timedelta(minutes=shift.length_min), C.PAID_H: shift.paid_h})
            for k, b in enumerate(template.breaks):
                span = (b.latest_after_min - b.earliest_after_min) // scenario.interval_min + 1
                off = b.earliest_after_min + ((i + k) % span) * scenario.interval_min
                bs = s + pd.Timedelta(minutes=off)
                brk.append({C.AGENT_ID: aid, C.SHIFT_START: bs, C.SHIFT_END: bs + pd.Timedelta(minutes=b.length_min),
                            C.BREAK_KIND: b.kind})
    return pd.DataFrame(rows), pd.DataFrame(brk)


def base_inputs():
    """Scenario, agents, unscaled forecast (sample history of the window), roster."""
    scenario = load_scenario(ROOT / "scenarios" / "base.yaml")
    ensure_sample_data(scenario)
    agents = read_agents(scenario.data.agents.path, teams=set(scenario.teams), contracts=set(scenario.contracts),
                         queues=set(scenario.queues))
    history = read_history(scenario.data.history.path)
    lo, hi = pd.Timestamp(WINDOW_START), pd.Timestamp(WINDOW_START + timedelta(days=DAYS))
    fc = history[(history[C.DS] >= lo) & (history[C.DS] < hi) & history[C.QUEUE].isin(list(scenario.queues))]
    fc = fc[[C.DS, C.QUEUE, C.VOLUME]].copy()
    fc[C.VOLUME_LO] = fc[C.VOLUME] * 0.8
    fc[C.VOLUME_HI] = fc[C.VOLUME] * 1.2
    fc[C.MODEL] = "history"
    assignments, breaks = build_roster(scenario, agents, WINDOW_START, DAYS)
    return scenario, agents, fc, assignments, breaks


def scaled(scenario, fc: pd.DataFrame, factor: float, aht_factor: float):
    """Volume × factor, handling times × aht_factor / factor (same load per agent)."""
    queues = {name: q.model_copy(update={"aht_s": q.aht_s * aht_factor / factor}) for name, q in scenario.queues.items()}
    sc = scenario.model_copy(update={"queues": queues})
    f = fc.copy()
    for col in (C.VOLUME, C.VOLUME_LO, C.VOLUME_HI):
        f[col] = f[col] * factor
    return sc, f


def one_run(scenario, agents, fc, assignments, breaks, seed: int = 1) -> dict:
    t0 = time.perf_counter()
    inp = build_inputs(scenario, agents, fc, assignments, breaks)
    t1 = time.perf_counter()
    sums, raws = simulate_inputs(inp, reps=1, seed=seed)
    t2 = time.perf_counter()
    frames = build_frames(inp, sums)
    t3 = time.perf_counter()
    raw = raws[0]
    live = np.array([q.live for q in inp.queues])[raw.queue]
    served = raw.status == 1
    return {
        "contacts": len(raw.arrival_s), "prepare_s": t1 - t0, "loop_s": t2 - t1, "report_s": t3 - t2,
        "total_s": t3 - t0, "frames": frames, "answered_share": float(served[live].mean()),
        "agents": len(inp.agent_ids), "shifts": len(assignments), "breaks": len(breaks),
    }


# rough wall-clock seconds on 2 cores (orders `python -m benchmarks --jobs N`, longest first)
EXPECTED_S = {"quick": 4, "full": 60}


def run(mode: str) -> dict:
    scenario, agents, fc, assignments, breaks = base_inputs()
    base_total = float(fc[C.VOLUME].sum())
    # handling-time factor that puts the roster near 85 % occupancy at the sample's own volume
    factor_500k = TARGET_CONTACTS / base_total
    aht_factor = 1.0
    failures: list[str] = []
    sc, ff = scaled(scenario, fc, 0.25, aht_factor)
    occ = one_run(sc, agents, ff, assignments, breaks)["frames"]["team_overall"]
    occ_all = float(occ["busy_h"].sum() / occ["available_h"].sum())
    aht_factor = 0.85 / occ_all if occ_all > 0 else 1.0
    factors = [0.25] if mode == "quick" else [0.125, 0.25, 0.5, 1.0, 2.0]
    rows = []
    detail = None
    for f in factors:
        sc, ff = scaled(scenario, fc, f * factor_500k, aht_factor)
        r = one_run(sc, agents, ff, assignments, breaks)
        frames = r["frames"]
        ov = frames["overall"]
        sl = ov.loc[ov["kind"] == "live", "service_level"]
        if not ((sl >= 0) & (sl <= 1)).all():
            failures.append(f"scale {f}: service level outside [0, 1]")
        if abs(ov["offered"].sum() - r["contacts"]) > 1e-6:
            failures.append(f"scale {f}: report counts {ov['offered'].sum()} contacts, simulated {r['contacts']}")
        occ = frames["team_overall"]
        occ_all = float(occ["busy_h"].sum() / occ["available_h"].sum())
        rows.append([f"{r['contacts']:,}", r["agents"], round(r["prepare_s"], 2), round(r["loop_s"], 2),
                     round(r["report_s"], 2), round(r["total_s"], 2),
                     round(1e6 * r["loop_s"] / max(r["contacts"], 1), 1), round(occ_all, 3),
                     round(r["answered_share"], 3)])
        if f == 1.0 or detail is None:
            detail = (f, frames)
    f, frames = detail
    ov = frames["overall"]
    q_rows = [[q.queue, q.kind, f"{q.offered:,.0f}",
               (round(q.service_level, 3) if q.kind == "live" else round(q.past_deadline_share, 3)),
               (round(q.asa_s, 1) if q.kind == "live" else round(q.mean_resolution_h, 2)),
               (round(q.abandon_rate, 3) if q.kind == "live" else None),
               (round(q.overflow_share, 3) if q.kind == "live" else None)]
              for q in ov.itertuples(index=False)]
    t_rows = [[t.team, round(t.available_h), round(t.busy_h), round(t.occupancy, 3)]
              for t in frames["team_overall"].itertuples(index=False)]
    return {
        "title": "Simulation",
        "tables": [
            {"caption": "One replication, 28 days, sample agents on a 5-day rule-of-thumb roster (see bench_simulate.py); "
                        "volume scaled, handling times scaled inversely (same load per agent)",
             "columns": ["contacts", "agents", "prepare s", "event loop s", "report s", "total s",
                         "µs per contact (loop)", "occupancy (all teams)", "live answered share"],
             "rows": rows},
            {"caption": f"Outcome per queue at scale {f:g} (live: SL, ASA s, abandonment, overflow share; "
                        "deferred: share past deadline, mean resolution h)",
             "columns": ["queue", "kind", "contacts", "SL / late share", "ASA s / resolution h", "abandoned",
                         "overflow share"],
             "rows": q_rows},
            {"caption": "Occupancy per team", "columns": ["team", "available h", "busy h", "occupancy"], "rows": t_rows},
        ],
        "notes": [
            f"target: ~500,000 contacts, one replication, under 20 s on one core; peak RSS {peak_rss_mb():.0f} MB",
            "time per contact stays flat as contacts grow (linear scaling): the loop does O(1) work per event "
            "plus O(log n) heap operations on a heap that holds only service ends and timers in progress; "
            "peak memory is dominated by the per-contact lists (about 0.4 KB per contact)",
            "the service figures judge the rule-of-thumb roster, not the optimizer: tier-2 works day shifts only "
            "here, so complaints arriving at night wait for the morning and many miss their deadline",
        ],
        "failures": failures,
    }


if __name__ == "__main__":
    import json

    out = run(sys.argv[1] if len(sys.argv) > 1 else "quick")
    print(json.dumps({k: v for k, v in out.items() if k != "frames"}, indent=1, default=str))
