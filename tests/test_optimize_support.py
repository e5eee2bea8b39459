"""Factories for the optimizer tests: small scenarios, agents frames and requirements (Erlang C).

Not a test module (no tests here); imported by tests/test_optimize*.py. ``make_scenario(**overrides)``
deep-merges overrides into a small two-queue centre; ``make_requirements`` computes Erlang C service
curves for the given volumes, so tests do not depend on the staffing stage.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.scenario import _deep_merge, scenario_from_dict
from scheduler.staffing import DeferredWork, LiveCurve, Requirements

BASE = {
    "name": "unit",
    "interval_min": 30,
    "horizon": {"start": "2026-11-02", "days": 7},
    "data": {"history": "/nonexistent/history.csv", "agents": "/nonexistent/agents.csv"},
    "queues": {
        "voice": {"channel": "voice", "aht_s": 300, "sla": {"answer_within_s": 20, "target": 0.8},
                  "hours": "00:00-24:00", "teams": ["tier1", "night", "overflow"]},
        "email": {"channel": "email", "aht_s": 600, "sla": {"resolve_within_h": 8}, "hours": "08:00-22:00",
                  "teams": ["tier1"]},
    },
    "shrinkage": {"default": 0.0},
    "teams": {
        "tier1": {"cost_per_hour": 30, "night_premium": 0.3},
        "night": {"cost_per_hour": 34, "night_premium": 0.3},
        "overflow": {"cost_per_hour": 50, "min_block_h": 4, "max_agents": 2, "aht_multiplier": 1.2},
    },
    "seniority": {"senior": {"aht_multiplier": 1.0}, "junior": {"aht_multiplier": 1.25}},
    "contracts": {
        "full_time": {"min_hours_per_week": 0, "max_hours_per_week": 40, "overtime_h_per_week": 0},
        "vendor": {"min_hours_per_week": 0, "max_hours_per_week": 48},
    },
    "shifts": {
        "day": {"code": "D", "teams": ["tier1"], "starts": {"earliest": "07:00", "latest": "13:00", "every_min": 60},
                "length_h": 9,
                "breaks": [{"kind": "meal", "length_min": 60, "earliest_after_min": 180, "latest_after_min": 300,
                            "paid": False}]},
        "night": {"code": "N", "teams": ["night"], "starts": ["22:00"], "length_h": 8,
                  "breaks": [{"kind": "break", "length_min": 30, "earliest_after_min": 180, "latest_after_min": 300}]},
        "vendor": {"code": "V", "teams": ["overflow"], "starts": {"earliest": "10:00", "latest": "14:00", "every_min": 120},
                   "length_h": 4},
    },
    "rules": {"min_rest_h": 11, "max_consecutive_days": 6, "min_days_off_per_week": 2, "max_nights_per_week": 5},
    "weights": {"lost_contact": 20, "late_work_hour": 50, "overstaff_agent_hour": 1, "fairness": 1},
    # 3 s, not 10: the optimizer and simulation test files took 322 s at 10 s, 297 s at 5 s, 242 s at 3 s with a
    # busy loop on one of the two cores, every test passing (two runs at 3 s, three of the quality checks at 5 s)
    "solver": {"time_limit_s": 3, "workers": 2, "seed": 1},
}


def make_scenario(**overrides):
    """The small test scenario with ``overrides`` deep-merged (``rules={"soft": [...]}`` etc.)."""
    return scenario_from_dict(_deep_merge(BASE, overrides), source="test-scenario")


def make_agents(rows: list[dict] | None = None, *, tier1: int = 8, night: int = 2, overflow: int = 2) -> pd.DataFrame:
    """Agents frame as io.tables.read_agents returns it. Default: 8 tier1 (voice+email), 2 night, 2 vendor."""
    if rows is None:
        rows = []
        for i in range(tier1):
            rows.append({"agent_id": f"A{i + 1:02d}", "team": "tier1", "skills": ("voice", "email"),
                         "seniority": "senior" if i % 2 == 0 else "junior"})
        for i in range(night):
            rows.append({"agent_id": f"N{i + 1:02d}", "team": "night", "skills": ("voice",), "night_ok": True})
        for i in range(overflow):
            rows.append({"agent_id": f"V{i + 1:02d}", "team": "overflow", "skills": ("voice",), "contract": "vendor"})
    out = []
    for r in rows:
        out.append({
            C.AGENT_ID: r["agent_id"], C.AGENT_NAME: r.get("name", r["agent_id"]), C.TEAM: r["team"],
            C.SKILLS: tuple(r["skills"]), C.CONTRACT: r.get("contract", "full_time"),
            C.SENIORITY: r.get("seniority", "senior"), C.UNAVAILABLE: frozenset(r.get("unavailable", ())),
            C.NIGHT_OK: bool(r.get("night_ok", False)),
        })
    return pd.DataFrame(out)


def erlang_c_sl(n: int, load: float, aht_s: float, answer_s: float) -> float:
    """Share of contacts answered within ``answer_s`` with ``n`` agents and ``load`` Erlangs (M/M/n)."""
    if load <= 0:
        return 1.0
    if n <= load:
        return 0.0
    # Erlang B recursion, then C
    b = 1.0
    for k in range(1, n + 1):
        b = load * b / (k + load * b)
    c = n * b / (n - load * (1 - b))
    return max(0.0, 1.0 - c * math.exp(-(n - load) * answer_s / aht_s))


def daily_profile(per_day: int, peak: float, night: float = 0.1) -> np.ndarray:
    """Contacts per interval over one day: low at night, a day hump peaking at ``peak``."""
    hours = (np.arange(per_day) + 0.5) * 24 / per_day
    shape = night + (1 - night) * np.exp(-0.5 * ((hours - 14) / 3.5) ** 2)
    return peak * shape


def make_requirements(scenario, volumes: dict[str, np.ndarray], n_max: int | None = None) -> Requirements:
    """Requirements for ``volumes[q]`` (contacts per interval over the whole horizon)."""
    step = scenario.interval_min
    days = scenario.horizon.days
    T = days * (1440 // step)
    idx = pd.date_range(pd.Timestamp(scenario.horizon.start), periods=T, freq=f"{step}min")
    rows = []
    curves, deferred = {}, {}
    for q, spec in scenario.queues.items():
        vol = np.asarray(volumes.get(q, np.zeros(T)), dtype=float)
        assert len(vol) == T
        load = vol * spec.aht_s / (step * 60)
        if spec.is_live:
            top = n_max or int(np.ceil(load.max() * 1.6 + 8))
            sl = np.array([[erlang_c_sl(n, a, spec.aht_s, spec.sla.answer_within_s) for n in range(top + 1)] for a in load])
            lost = vol[:, None] * (1 - sl)
            required = np.array([next((n for n in range(top + 1) if sl[i, n] >= spec.sla.target), top) if vol[i] > 0 else 0
                                 for i in range(T)], dtype=float)
            curves[q] = LiveCurve(queue=q, interval_start=idx, volume=vol, service_level=sl, lost=lost,
                                  abandon_rate=np.zeros_like(sl), asa_source=np.zeros_like(sl), occupancy=np.zeros_like(sl))
            rows.append(pd.DataFrame({C.INTERVAL_START: idx, C.QUEUE: q, C.VOLUME: vol, C.AHT_S: spec.aht_s,
                                      C.WORKLOAD: load, C.REQUIRED: required,
                                      C.SERVICE_LEVEL: [sl[i, int(required[i])] for i in range(T)], "kind": "live"}))
        else:
            work_h = vol * spec.aht_s / 3600.0
            H = int(spec.sla.resolve_within_h * 60 / step)
            deferred[q] = DeferredWork(queue=q, interval_start=idx, work_h=work_h, deadline_intervals=H,
                                       min_capacity_h=np.full(T, work_h.sum() / T), backlog_h=np.zeros(T))
            rows.append(pd.DataFrame({C.INTERVAL_START: idx, C.QUEUE: q, C.VOLUME: vol, C.AHT_S: spec.aht_s,
                                      C.WORKLOAD: load, C.REQUIRED: work_h.sum() / T / (step / 60),
                                      C.SERVICE_LEVEL: np.nan, "kind": "deferred"}))
    table = pd.concat(rows, ignore_index=True)
    return Requirements(table=table, curves=curves, deferred=deferred, interval_min=step)


def standard_volumes(scenario, voice_peak: float = 12.0, email_per_day: float = 40.0) -> dict[str, np.ndarray]:
    per_day = 1440 // scenario.interval_min
    days = scenario.horizon.days
    minutes = np.arange(per_day) * scenario.interval_min

    def open_mask(q: str) -> np.ndarray:
        a, b = scenario.queues[q].open_minutes
        return ((minutes >= a) & (minutes < b)) | ((minutes + 1440 >= a) & (minutes + 1440 < b))

    voice = np.tile(daily_profile(per_day, voice_peak) * open_mask("voice"), days)
    email_day = open_mask("email") * (email_per_day / max(open_mask("email").sum(), 1))
    return {"voice": voice, "email": np.tile(email_day, days)}


def dates(start: str, n: int) -> list[date]:
    d0 = date.fromisoformat(start)
    return [d0 + timedelta(days=i) for i in range(n)]
