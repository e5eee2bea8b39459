"""Property: writing a roster workbook and reading it back gives the same assignments and breaks,
and the agents' text (ids, names) survives as inert text, whatever the roster."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import columns as C
from scheduler.io.excel import read_roster_workbook, write_roster_workbook
from scheduler.shifts import build_catalogue
from tests.roster_factory import make_agents, make_scenario

SC = make_scenario(days=10)
CATALOGUE = build_catalogue(SC)
CODES = sorted(CATALOGUE)
DAYS = SC.horizon.dates()
TEAMS = list(SC.teams)

ids = st.from_regex(r"[A-Za-z0-9=+@\-]{1,8}", fullmatch=True)
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).map(str.strip).filter(bool),
    st.sampled_from(['=1+1', '+86 138 0000', '-Li', '@SUM(A1)', '=HYPERLINK("http://x","y")', "王芳"]),
)


@st.composite
def rosters(draw):
    agent_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    rows, assignments, breaks = [], [], []
    for agent_id in agent_ids:
        team = draw(st.sampled_from(TEAMS))
        unavailable = frozenset(draw(st.sets(st.sampled_from(DAYS), max_size=3)))
        rows.append((agent_id, draw(names), team, ("chat",), draw(st.sampled_from(list(SC.contracts))),
                     draw(st.sampled_from(["senior", "junior"])), unavailable, draw(st.booleans())))
        for d in DAYS:
            code = draw(st.one_of(st.none(), st.sampled_from(CODES)))
            if code is None:
                continue
            s = CATALOGUE[code]
            start, end = s.start_on(d), s.end_on(d)
            assignments.append({C.AGENT_ID: agent_id, C.TEAM: team, C.DATE: pd.Timestamp(d), C.SHIFT: code,
                                C.SHIFT_START: pd.Timestamp(start), C.SHIFT_END: pd.Timestamp(end), C.PAID_H: s.paid_h})
            for rule in s.breaks:
                if draw(st.booleans()):                       # placed anywhere inside its window, to the minute
                    b0 = start + timedelta(minutes=draw(st.integers(rule.earliest_after_min, rule.latest_after_min)))
                    breaks.append({C.AGENT_ID: agent_id, C.SHIFT_START: pd.Timestamp(b0),
                                   C.SHIFT_END: pd.Timestamp(b0 + timedelta(minutes=rule.length_min)),
                                   C.BREAK_KIND: rule.kind})
        if draw(st.booleans()):                               # a stray break outside any shift survives too
            t = datetime.combine(DAYS[0], datetime.min.time()) + timedelta(minutes=draw(st.integers(0, 1440 * 10 - 60)))
            breaks.append({C.AGENT_ID: agent_id, C.SHIFT_START: pd.Timestamp(t),
                           C.SHIFT_END: pd.Timestamp(t + timedelta(minutes=draw(st.integers(5, 60)))),
                           C.BREAK_KIND: draw(st.sampled_from(["break", "meal"]))})
    return make_agents(rows), pd.DataFrame(assignments, columns=list(C.ASSIGNMENT_COLUMNS)), \
        pd.DataFrame(breaks, columns=list(C.BREAK_COLUMNS))


def _norm(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if c in (C.DATE, C.SHIFT_START, C.SHIFT_END):
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    if C.PAID_H in out:
        out[C.PAID_H] = out[C.PAID_H].astype(float)
    for c in (C.AGENT_ID, C.TEAM, C.SHIFT, C.BREAK_KIND):
        if c in out:
            out[c] = out[c].astype(str)
    return out.sort_values(keys).reset_index(drop=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rosters())
def test_write_then_read_is_lossless(roster):
    agents, assignments, breaks = roster
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        write_roster_workbook(path, scenario=SC, agents=agents, assignments=assignments, breaks=breaks,
                              coverage=None, summary={})
        got = read_roster_workbook(path, SC, agents)
        ws = openpyxl.load_workbook(path)["Roster"]
        text = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(2, ws.max_row + 1)}
    pd.testing.assert_frame_equal(_norm(got.assignments, [C.AGENT_ID, C.DATE]), _norm(assignments, [C.AGENT_ID, C.DATE]))
    keys = [C.AGENT_ID, C.SHIFT_START, C.SHIFT_END, C.BREAK_KIND]
    pd.testing.assert_frame_equal(_norm(got.breaks, keys), _norm(breaks, keys))
    assert got.locks.empty
    for r in agents.itertuples(index=False):
        assert text[r.agent_id].value == r.name and text[r.agent_id].data_type == "s"


def test_a_break_where_two_shifts_overlap_keeps_the_shift_it_was_written_with():
    """Found by the property above: a night shift (N2300, until 09:00) and the next day's D0700 overlap from
    07:00; a break at 07:00 belongs to either, and the Breaks row's Date says which. The writer names the
    earlier shift; the reader used to prefer the later one and rejected its own workbook."""
    d0, d1 = DAYS[0], DAYS[1]
    agents = make_agents([("A1", "Ann", TEAMS[0], ("chat",), list(SC.contracts)[0], "senior", frozenset(), True)])
    rows = []
    for d, code in ((d0, "N2300"), (d1, "D0700")):
        s = CATALOGUE[code]
        rows.append({C.AGENT_ID: "A1", C.TEAM: TEAMS[0], C.DATE: pd.Timestamp(d), C.SHIFT: code,
                     C.SHIFT_START: pd.Timestamp(s.start_on(d)), C.SHIFT_END: pd.Timestamp(s.end_on(d)),
                     C.PAID_H: s.paid_h})
    assignments = pd.DataFrame(rows, columns=list(C.ASSIGNMENT_COLUMNS))
    at = datetime.combine(d1, datetime.min.time()) + timedelta(hours=7)
    breaks = pd.DataFrame([{C.AGENT_ID: "A1", C.SHIFT_START: pd.Timestamp(at),
                            C.SHIFT_END: pd.Timestamp(at + timedelta(minutes=15)), C.BREAK_KIND: "break"}],
                          columns=list(C.BREAK_COLUMNS))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        write_roster_workbook(path, scenario=SC, agents=agents, assignments=assignments, breaks=breaks,
                              coverage=None, summary={})
        ws = openpyxl.load_workbook(path)["Breaks"]
        assert ws["C2"].value.date() == d0 and ws["D2"].value == "N2300"
        got = read_roster_workbook(path, SC, agents)
        keys = [C.AGENT_ID, C.SHIFT_START, C.SHIFT_END, C.BREAK_KIND]
        pd.testing.assert_frame_equal(_norm(got.breaks, keys), _norm(breaks, keys))
        # the supervisor gives the break to the morning shift: its Date and Shift say so, and are read so
        book = openpyxl.load_workbook(path)
        book["Breaks"]["C2"].value = datetime.combine(d1, datetime.min.time())
        book["Breaks"]["D2"].value = "D0700"
        book.save(path)
        got = read_roster_workbook(path, SC, agents)
        pd.testing.assert_frame_equal(_norm(got.breaks, keys), _norm(breaks, keys))
