"""Hand-built inputs for the simulation tests: one-queue scenarios, agents working round the clock,
stationary forecasts. ``make_*(**overrides)`` in the pyworkforce style."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd

from scheduler.scenario import scenario_from_dict

BASE = {
    "name": "simtest",
    "interval_min": 15,
    "horizon": {"start": "2026-01-05", "days": 7},
    "data": {"history": "/nonexistent/history.csv", "agents": "/nonexistent/agents.csv"},
    "queues": {
        "voice": {"channel": "voice", "aht_s": 180, "sla": {"answer_within_s": 20, "target": 0.8},
                  "teams": ["tier1"]},
    },
    "teams": {"tier1": {"cost_per_hour": 30}},
    "contracts": {"full_time": {"min_hours_per_week": 0, "max_hours_per_week": 168}},
    "shifts": {"day": {"code": "D", "teams": ["tier1"], "starts": ["00:00"], "length_h": 8}},
    "simulation": {"reps": 3, "seed": 1},
}


def deep_update(doc: dict, changes: dict) -> dict:
    out = copy.deepcopy(doc)
    for k, v in changes.items():
        if k.startswith("=") and v is None:
            out.pop(k[1:], None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict) and not k.startswith("="):
            out[k] = deep_update(out[k], v)
        else:
            out[k.lstrip("=")] = copy.deepcopy(v)
    return out


def make_scenario(**changes):
    """A one-queue scenario; keyword values are merged into BASE (prefix a key with '=' to replace
    it, '=key': None removes it)."""
    return scenario_from_dict(deep_update(BASE, changes), source="test")


def make_agents(counts: dict[str, int], skills: dict[str, tuple[str, ...]], seniority: str = "senior") -> pd.DataFrame:
    """``counts``: team -> number of agents; ``skills``: team -> queues."""
    rows = []
    for team, k in counts.items():
        for i in range(k):
            rows.append({"agent_id": f"{team}-{i:03d}", "name": f"{team} {i}", "team": team,
                         "skills": tuple(skills[team]), "contract": "full_time", "seniority": seniority,
                         "unavailable": frozenset(), "night_ok": True})
    return pd.DataFrame(rows)


def round_the_clock(agents: pd.DataFrame, start: date, days: int) -> pd.DataFrame:
    """Every agent on one shift per day, 00:00-24:00, back to back (merged into one span)."""
    rows = []
    for a, team in zip(agents["agent_id"], agents["team"]):
        for d in range(days):
            s = pd.Timestamp(start) + pd.Timedelta(days=d)
            rows.append({"agent_id": a, "team": team, "date": s.date(), "shift": "X0000", "start": s,
                         "end": s + pd.Timedelta(days=1), "paid_h": 24.0})
    return pd.DataFrame(rows)


def flat_forecast(queues: dict[str, float], start: date, days: int, interval_min: int = 15) -> pd.DataFrame:
    """``queues``: queue -> arrivals per hour, constant over the horizon."""
    ds = pd.date_range(pd.Timestamp(start), periods=days * 1440 // interval_min, freq=f"{interval_min}min")
    parts = []
    for q, rate in queues.items():
        v = np.full(len(ds), rate * interval_min / 60.0)
        parts.append(pd.DataFrame({"ds": ds, "queue": q, "volume": v, "volume_lo": v, "volume_hi": v, "model": "flat"}))
    return pd.concat(parts, ignore_index=True)


NO_BREAKS = pd.DataFrame({"agent_id": [], "start": [], "end": [], "kind": []})
