"""Hand-built rosters for the validator and workbook tests (no optimizer needed).

``make_scenario(*overrides)`` loads the shipped 11.11 scenario (14 days from Monday 2026-11-02 unless
overridden); ``make_agents(**extra)`` a small agent frame; ``build_roster(scenario, grid)`` turns
``{agent_id: {date: code}}`` into assignments and breaks, each break at the earliest minute of its
window.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from scheduler import columns as C
from scheduler.scenario import load_scenario
from scheduler.shifts import NON_WORKING_CODES, build_catalogue

ROOT = Path(__file__).resolve().parents[1]
DOUBLE11 = ROOT / "scenarios" / "double11.yaml"
MONDAY = date(2026, 11, 2)


def make_scenario(*overrides: str, days: int = 14):
    return load_scenario(DOUBLE11, [f"horizon.days={days}", *overrides])


AGENT_ROWS = [
    # agent_id, name, team, skills, contract, seniority, unavailable, night_ok
    ("A1", "Wang Fang", "tier1", ("voice_presales", "chat"), "full_time", "senior", frozenset(), False),
    ("A2", "Li Na", "tier1", ("chat", "email"), "full_time", "junior", frozenset(), False),
    ("P1", "Zhou Min", "tier1", ("chat",), "part_time", "junior", frozenset(), False),
    ("N1", "Chen Jie", "night", ("voice_aftersales", "chat", "email"), "full_time", "senior", frozenset(), True),
    ("T1", "Liu Yang", "tier2", ("complaints_major", "complaints_normal"), "full_time", "senior", frozenset(), True),
    ("T2", "Sun Li", "tier2", ("complaints_major", "complaints_normal"), "full_time", "senior", frozenset(), False),
    ("V1", "Vendor 1", "overflow", ("voice_presales", "chat"), "vendor", "junior", frozenset(), False),
    ("V2", "Vendor 2", "overflow", ("voice_presales", "chat"), "vendor", "junior", frozenset(), False),
    ("V3", "Vendor 3", "overflow", ("voice_presales", "chat"), "vendor", "junior", frozenset(), False),
]


def make_agents(rows=None, **changes) -> pd.DataFrame:
    """The agent frame (as ``io.tables.read_agents`` returns it); ``changes={'A1': {'unavailable': ...}}``."""
    frame = pd.DataFrame(rows or AGENT_ROWS, columns=[C.AGENT_ID, C.AGENT_NAME, C.TEAM, C.SKILLS, C.CONTRACT,
                                                     C.SENIORITY, C.UNAVAILABLE, C.NIGHT_OK])
    for agent_id, fields in changes.items():
        i = frame.index[frame[C.AGENT_ID] == agent_id][0]
        for k, v in fields.items():
            frame.at[i, k] = v
    return frame


def day(i: int) -> date:
    """Day ``i`` of the horizon (0 = Monday 2026-11-02)."""
    return MONDAY + timedelta(days=i)


def week_pattern(code: str, work_days=(0, 1, 2, 3, 4), weeks: int = 2) -> dict[date, str]:
    """``code`` on the given weekdays (0 = Monday) of each week; other days off."""
    return {day(7 * w + d): code for w in range(weeks) for d in work_days}


def build_roster(scenario, grid: dict[str, dict[date, str]], agents: pd.DataFrame | None = None):
    """(assignments, breaks) from ``{agent_id: {date: code}}``; OFF/LEAVE cells are skipped."""
    cat = build_catalogue(scenario)
    agents = make_agents() if agents is None else agents
    team_of = dict(zip(agents[C.AGENT_ID], agents[C.TEAM]))
    rows, brk = [], []
    for agent_id, days in grid.items():
        for d, code in sorted(days.items()):
            if code in NON_WORKING_CODES:
                continue
            s = cat[code]
            start, end = s.start_on(d), s.end_on(d)
            rows.append({C.AGENT_ID: agent_id, C.TEAM: team_of.get(agent_id, "tier1"), C.DATE: pd.Timestamp(d),
                         C.SHIFT: code, C.SHIFT_START: pd.Timestamp(start), C.SHIFT_END: pd.Timestamp(end),
                         C.PAID_H: s.paid_h})
            for rule in s.breaks:
                b0 = start + timedelta(minutes=rule.earliest_after_min)
                brk.append({C.AGENT_ID: agent_id, C.SHIFT_START: pd.Timestamp(b0),
                            C.SHIFT_END: pd.Timestamp(b0 + timedelta(minutes=rule.length_min)), C.BREAK_KIND: rule.kind})
    a = pd.DataFrame(rows, columns=list(C.ASSIGNMENT_COLUMNS))
    b = pd.DataFrame(brk, columns=list(C.BREAK_COLUMNS))
    return a, b


def clean_grid() -> dict[str, dict[date, str]]:
    """A two-week roster that breaks no rule of the 11.11 scenario."""
    return {
        "A1": week_pattern("D0900"),
        "A2": week_pattern("D1000", (0, 1, 2, 5, 6)),
        "P1": week_pattern("P1800", (0, 1, 2, 3)),
        "N1": week_pattern("N2200", (0, 1, 2, 3)),
        "T1": week_pattern("N2100", (1, 2, 3, 4)),
        "T2": week_pattern("D0800"),
        "V1": {day(9): "V1000", day(10): "W0900"},
        "V2": {day(9): "V1000"},
    }


def synthetic_coverage(scenario, agents, assignments, breaks, *, peak_day: date = date(2026, 11, 11)) -> pd.DataFrame:
    """A coverage frame (queue x interval) with a diurnal forecast peaking on ``peak_day``: required from
    the workload, scheduled from the roster (validate.coverage_from_roster split by check.queue_coverage),
    service level = min(1, scheduled / required) — shaped like the optimizer's, not its numbers."""
    import numpy as np

    from scheduler.check import queue_coverage
    from scheduler.validate import coverage_from_roster, horizon_intervals

    t = horizon_intervals(scenario)
    hour = t.hour + t.minute / 60
    shape = np.clip(np.sin((hour - 7) / 16 * np.pi), 0, None) + 0.05
    boost = np.where(t.normalize() == pd.Timestamp(peak_day), 3.0, 1.0)
    rows = []
    for k, (q, spec) in enumerate(scenario.queues.items()):
        vol = (20 + 10 * k) * shape * boost
        req = vol * spec.aht_s / (scenario.interval_min * 60) / 0.85
        rows.append(pd.DataFrame({C.INTERVAL_START: t, C.QUEUE_OR_GROUP: q, C.FORECAST_VOLUME: vol, C.REQUIRED: req}))
    demand = pd.concat(rows, ignore_index=True)
    groups = coverage_from_roster(scenario, agents, assignments, breaks)
    cov = queue_coverage(scenario, groups, demand)
    cov[C.SERVICE_LEVEL] = np.clip(cov[C.SCHEDULED] / cov[C.REQUIRED].where(cov[C.REQUIRED] > 0), 0, 1).fillna(1.0)
    return cov[list(C.COVERAGE_COLUMNS)]


def big_agents(n: int = 150, seed: int = 7) -> pd.DataFrame:
    """``n`` agents shaped like the sample centre: tier1 (full/part time), tier2, night, overflow."""
    import random

    rng = random.Random(seed)
    rows = []
    mix = [("tier1", 0.6), ("tier2", 0.1), ("night", 0.12), ("overflow", 0.18)]
    counts = {team: max(1, int(round(n * share))) for team, share in mix}
    counts["tier1"] += n - sum(counts.values())
    skills = {"tier1": ("voice_presales", "voice_aftersales", "chat", "email"), "tier2": ("complaints_major", "complaints_normal"),
              "night": ("voice_aftersales", "chat", "email"), "overflow": ("voice_presales", "chat")}
    for team, count in counts.items():
        for i in range(count):
            contract = {"overflow": "vendor"}.get(team, "part_time" if team == "tier1" and i % 5 == 4 else "full_time")
            prefix = {"tier1": "A", "tier2": "T", "night": "N", "overflow": "V"}[team]
            rows.append((f"{prefix}{i + 1:03d}", f"Agent {team} {i + 1}", team, skills[team], contract,
                         "junior" if rng.random() < 0.4 else "senior", frozenset(), team in ("night", "tier2")))
    return make_agents(rows)


def big_grid(scenario, agents: pd.DataFrame, seed: int = 7) -> dict[str, dict[date, str]]:
    """A plausible roster: per agent and week one start time, five days (four nights, three part-time
    or vendor days), two consecutive days off."""
    import random

    rng = random.Random(seed)
    cat = build_catalogue(scenario)
    days = scenario.horizon.dates()
    grid: dict[str, dict[date, str]] = {}
    for r in agents.itertuples(index=False):
        if r.team == "night":
            options = [c for c, s in cat.items() if "night" in s.teams]
            per_week = 4
        elif r.team == "overflow":
            options = [c for c, s in cat.items() if "overflow" in s.teams]
            per_week = 3
        elif r.contract == "part_time":
            options = [c for c, s in cat.items() if s.template == "part"]
            per_week = 4
        else:
            options = [c for c, s in cat.items() if s.template == "day" and s.start_min <= 11 * 60]
            per_week = 5
        cells: dict[date, str] = {}
        code = rng.choice(options)
        off0 = rng.randrange(0, 6)
        for w0 in range(0, len(days), 7):
            week = days[w0:w0 + 7]
            work = [d for k, d in enumerate(week) if k not in (off0, off0 + 1)][:per_week]
            for d in work:
                cells[d] = code
        grid[str(r.agent_id)] = cells
    return grid
