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
