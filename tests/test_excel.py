"""The roster workbook: layout, inert text, real dates, round trip, a supervisor's edits, check and export."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from scheduler import columns as C
from scheduler.check import check_workbook, report_lines, write_annotated_workbook
from scheduler.cli import main
from scheduler.errors import WorkbookError
from scheduler.io.excel import (
    ALL_SHEETS,
    VISIBLE_SHEETS,
    peak_week,
    read_roster_workbook,
    write_roster_workbook,
)
from tests.roster_factory import build_roster, clean_grid, day, make_agents, make_scenario, synthetic_coverage

HOSTILE_NAMES = {"A1": '=HYPERLINK("http://example.com","x")', "A2": "+86 138", "P1": "-Li", "N1": "@SUM(A1:A9)"}


@pytest.fixture(scope="module")
def sc():
    return make_scenario()


@pytest.fixture(scope="module")
def plan(sc):
    changes = {k: {C.AGENT_NAME: v} for k, v in HOSTILE_NAMES.items()}
    changes["A2"][C.UNAVAILABLE] = frozenset({day(3), day(4)})
    agents = make_agents(**changes)
    grid = clean_grid()
    grid["A2"] = {d: c for d, c in grid["A2"].items() if d not in (day(3), day(4))}
    a, b = build_roster(sc, grid, agents)
    cov = synthetic_coverage(sc, agents, a, b)
    return agents, a, b, cov


def _write(path, sc, plan, coverage: bool):
    agents, a, b, cov = plan
    write_roster_workbook(path, scenario=sc, agents=agents, assignments=a, breaks=b, coverage=cov if coverage else None,
                          summary={"solver": {"status": "OPTIMAL", "gap": 0.0}, "hard_violations": 0})
    return path


@pytest.fixture
def book(tmp_path, sc, plan):
    """A workbook without coverage (fast): rules, cells and round trips."""
    return _write(tmp_path / "roster.xlsx", sc, plan, coverage=False)


@pytest.fixture(scope="module")
def full_book_template(tmp_path_factory, sc, plan):
    return _write(tmp_path_factory.mktemp("full") / "roster.xlsx", sc, plan, coverage=True)


@pytest.fixture
def full_book(tmp_path, full_book_template):
    """A workbook with coverage, charts and service levels (a fresh copy per test)."""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(full_book_template.read_bytes())
    return path


def _sorted(frame: pd.DataFrame, keys) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


# --- layout ------------------------------------------------------------------------------------


def test_sheets_and_hidden_originals(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == list(ALL_SHEETS)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == list(VISIBLE_SHEETS)


def test_roster_grid_dates_codes_freeze_and_print(book, sc):
    ws = openpyxl.load_workbook(book)["Roster"]
    assert [ws.cell(1, j).value for j in range(1, 7)] == ["Agent ID", "Name", "Team", "Seniority", "Contract", "Lock"]
    assert ws["G1"].is_date and ws["G1"].value == datetime(2026, 11, 2)
    assert ws.cell(1, 6 + sc.horizon.days).value == datetime(2026, 11, 15)
    assert ws["H1"].number_format == "ddd d mmm"
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    assert ws.cell(rows["A1"], 7).value == "D0900"
    assert ws.cell(rows["A1"], 12).value == "OFF"         # Saturday
    assert ws.cell(rows["A2"], 10).value == "LEAVE"       # unavailable day
    assert ws.freeze_panes == "G2"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == "$1:$1"
    # weekly paid hours as a live formula over the week's cells
    assert ws.cell(1, 7 + sc.horizon.days).value == "Paid h week of 2026-11-02"
    formula = ws.cell(rows["A1"], 7 + sc.horizon.days).value
    assert formula.startswith("=SUMPRODUCT(SUMIF(") and f"G{rows['A1']}:M{rows['A1']}" in formula
    # weekend columns shaded, shift families coloured by conditional formatting
    assert ws.cell(rows["A1"], 12).fill.fgColor.rgb.endswith("EDEDED")
    assert len(ws.conditional_formatting) >= 1


def test_drop_downs_offer_each_agent_its_valid_codes(book):
    wb = openpyxl.load_workbook(book)
    ws = wb["Roster"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    codes = wb["Codes"]

    def codes_for(agent_id):
        cell = f"H{rows[agent_id]}"
        dv = next(d for d in ws.data_validations.dataValidation if cell in d.sqref)
        ref = dv.formula1.split("!")[1].replace("$", "")
        return [c.value for row in codes[ref] for c in row]

    tier1 = codes_for("A1")
    assert "D0900" in tier1 and "P1800" in tier1 and "OFF" in tier1 and "LEAVE" in tier1
    assert not any(c.startswith(("N", "V", "W")) for c in tier1[:-2])
    night_tier2 = codes_for("T1")          # tier2, night_ok: day and night shifts
    assert "N2200" in night_tier2 and "D0800" in night_tier2 and "P1800" not in night_tier2
    assert "N2200" not in codes_for("T2")  # tier2 without night_ok
    assert codes_for("V1")[:2] == ["V0800", "V0900"]


def test_input_text_stays_inert(book):
    wb = openpyxl.load_workbook(book)
    ws = wb["Roster"]
    names = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(2, ws.max_row + 1)}
    for agent_id, name in HOSTILE_NAMES.items():
        assert names[agent_id].value == name
        assert names[agent_id].data_type == "s"
    breaks = wb["Breaks"]
    assert all(breaks.cell(r, 2).data_type == "s" for r in range(2, breaks.max_row + 1))


def test_breaks_coverage_overflow_rules_summary(full_book, sc):
    wb = openpyxl.load_workbook(full_book)
    br = wb["Breaks"]
    assert [c.value for c in br[1]] == ["Agent ID", "Name", "Date", "Shift", "Kind", "Start", "End"]
    assert br["F2"].is_date and isinstance(br["F2"].value, datetime)
    cov = wb["Coverage"]
    assert cov["A2"].is_date and cov["F2"].number_format == "0.0%"
    assert len(cov._charts) == 7
    assert cov._charts[2].title is not None
    ov = wb["Overflow"]
    booked = [(ov.cell(r, 1).value, ov.cell(r, 4).value, ov.cell(r, 5).value) for r in range(4, 7)]
    assert booked == [(datetime(2026, 11, 11), "V1000", 2), (datetime(2026, 11, 12), "W0900", 1), ("Total", None, 3)]
    rules = [c.value for c in wb["Rules"]["A"]]
    assert "min_rest_h" in rules and "D0900" in rules and "full_time" in rules
    summary = wb["Summary"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Solver status" in texts and "OPTIMAL" in texts
    red = [c for row in summary.iter_rows() for c in row if c.fill.fgColor.rgb.endswith("FFC7CE")]
    assert red, "days below target are marked red"


def test_peak_week_is_the_busiest_monday_to_sunday(sc, plan):
    cov = plan[3]
    assert peak_week(cov) == [day(i) for i in range(7, 14)]    # 11.11 (day 9) lies in the second week


def test_write_is_atomic(tmp_path, sc, plan):
    agents, a, b, cov = plan
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"previous")
    with pytest.raises(KeyError):
        write_roster_workbook(path, scenario=sc, agents=agents, assignments=a, breaks=b,
                              coverage=cov.drop(columns=[C.SCHEDULED]), summary={})
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["roster.xlsx"]


# --- reading back ------------------------------------------------------------------------------


def test_round_trip_is_lossless(book, sc, plan):
    agents, a, b, _ = plan
    got = read_roster_workbook(book, sc, agents)
    pd.testing.assert_frame_equal(_sorted(got.assignments, [C.AGENT_ID, C.DATE]), _sorted(a, [C.AGENT_ID, C.DATE]))
    pd.testing.assert_frame_equal(_sorted(got.breaks, [C.AGENT_ID, C.SHIFT_START]), _sorted(b, [C.AGENT_ID, C.SHIFT_START]))
    assert got.locks.empty and got.changes.empty
    assert got.roster_cells[("A1", day(1))] == "Roster!H2"


def _edit(path, sheet, edits):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for ref, value in edits.items():
        ws[ref] = value
    wb.save(path)


def _row_of(path, agent_id, sheet="Roster"):
    ws = openpyxl.load_workbook(path)[sheet]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == agent_id)


def test_supervisor_swaps_two_agents_shifts(book, sc, plan):
    agents = plan[0]
    r1, r2 = _row_of(book, "A1"), _row_of(book, "A2")
    _edit(book, "Roster", {f"G{r1}": "D1000", f"G{r2}": "D0900"})
    got = read_roster_workbook(book, sc, agents)
    assert sorted(map(tuple, got.locks.to_numpy().tolist())) == [
        ("A1", pd.Timestamp(day(0)), "D1000", f"Roster!G{r1}"), ("A2", pd.Timestamp(day(0)), "D0900", f"Roster!G{r2}")]
    assert set(got.changes["cell"]) == {f"Roster!G{r1}", f"Roster!G{r2}"}
    # the breaks still sit where the old shifts had them: the check says so, on the Breaks sheet
    result = check_workbook(book, sc, agents)
    assert {f.violation.rule for f in result.findings} == {"break_window"}
    assert all(f.cell.startswith("Breaks!F") for f in result.findings)
    # moving the two agents' breaks too makes the swap clean
    wb = openpyxl.load_workbook(book)
    ws = wb["Breaks"]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value in ("A1", "A2") and ws.cell(r, 3).value == datetime(2026, 11, 2):
            shift = pd.Timedelta(hours=1) if ws.cell(r, 1).value == "A1" else -pd.Timedelta(hours=1)
            ws.cell(r, 6).value += shift
            ws.cell(r, 7).value += shift
    wb.save(book)
    assert check_workbook(book, sc, agents).is_clean()


def test_supervisor_gives_a_day_of_leave(book, sc, plan):
    agents = plan[0]
    r = _row_of(book, "A1")
    _edit(book, "Roster", {f"J{r}": "LEAVE"})
    got = read_roster_workbook(book, sc, agents)
    assert got.locks.to_dict("records") == [{C.AGENT_ID: "A1", C.DATE: pd.Timestamp(day(3)), C.SHIFT: "LEAVE",
                                             "cell": f"Roster!J{r}"}]
    assert day(3) not in set(got.assignments.loc[got.assignments[C.AGENT_ID] == "A1", C.DATE].dt.date)
    result = check_workbook(book, sc, agents)
    # the day's breaks now belong to no shift; hours stay above the (leave-reduced) weekly minimum
    assert {f.violation.rule for f in result.findings} == {"break_outside_shift"}
    assert len(result.findings) == 3


def _leave_or_off_on_thursday_and_friday(book, code):
    """A1 (D0900 Monday to Friday, 40 h) gets ``code`` on Thursday and Friday, those shifts' breaks deleted."""
    r = _row_of(book, "A1")
    _edit(book, "Roster", {f"J{r}": code, f"K{r}": code})
    wb = openpyxl.load_workbook(book)
    ws = wb["Breaks"]
    for row in range(ws.max_row, 1, -1):
        if ws.cell(row, 1).value == "A1" and ws.cell(row, 3).value in (datetime(2026, 11, 5), datetime(2026, 11, 6)):
            ws.delete_rows(row)
    wb.save(book)


def test_leave_typed_by_the_supervisor_lowers_the_weekly_minimum_in_check(book, sc, plan):
    # 24 h left in the week: below the full 32 h, above 32 h x 5/7 available days (as `run --lock` counts it)
    _leave_or_off_on_thursday_and_friday(book, "LEAVE")
    assert check_workbook(book, sc, plan[0]).findings == []


def test_days_off_typed_by_the_supervisor_keep_the_weekly_minimum(book, sc, plan):
    _leave_or_off_on_thursday_and_friday(book, "OFF")
    (finding,) = check_workbook(book, sc, plan[0]).findings
    assert finding.violation.rule == "min_hours_per_week" and "24 paid h, minimum 32 h" in finding.text


def test_annotated_copy_keeps_the_leave_typed_by_the_supervisor(book, sc, plan, tmp_path):
    # the copy was rebuilt from the shifts alone: a typed LEAVE came back as OFF (and a --lock from it was no leave)
    _leave_or_off_on_thursday_and_friday(book, "LEAVE")
    out = write_annotated_workbook(check_workbook(book, sc, plan[0]), tmp_path / "annotated.xlsx", sc, plan[0])
    got = read_roster_workbook(out, sc, plan[0])
    assert sorted(map(tuple, got.changes[[C.AGENT_ID, C.SHIFT, "cell"]].to_numpy().tolist())) == [
        ("A1", "LEAVE", f"Roster!J{_row_of(out, 'A1')}"), ("A1", "LEAVE", f"Roster!K{_row_of(out, 'A1')}")]
    assert check_workbook(out, sc, plan[0]).findings == []


def test_supervisor_moves_a_break(book, sc, plan):
    agents = plan[0]
    r = _row_of(book, "A1", "Breaks")
    ws = openpyxl.load_workbook(book)["Breaks"]
    assert ws.cell(r, 6).value == datetime(2026, 11, 2, 10, 30)
    _edit(book, "Breaks", {f"F{r}": datetime(2026, 11, 2, 11, 0), f"G{r}": datetime(2026, 11, 2, 11, 15)})
    assert check_workbook(book, sc, agents).is_clean()
    _edit(book, "Breaks", {f"F{r}": datetime(2026, 11, 2, 12, 0), f"G{r}": datetime(2026, 11, 2, 12, 15)})
    result = check_workbook(book, sc, agents)
    assert [f.text for f in result.findings] == [
        f"Breaks!F{r} (A1, 2026-11-02): break at 12:00 in D0900: must start between 10:30 and 11:30"]


def test_break_typed_as_a_time_of_day(book, sc, plan):
    agents = plan[0]
    r = _row_of(book, "N1", "Breaks")
    ws = openpyxl.load_workbook(book)["Breaks"]
    kind, start = ws.cell(r + 1, 5).value, ws.cell(r + 1, 6).value
    assert kind == "meal" and start == datetime(2026, 11, 3, 2, 0)    # N2200's meal after midnight
    _edit(book, "Breaks", {f"F{r + 1}": "02:30", f"G{r + 1}": "03:00"})
    got = read_roster_workbook(book, sc, agents)
    n1 = got.breaks[got.breaks[C.AGENT_ID] == "N1"].sort_values(C.SHIFT_START)
    assert pd.Timestamp("2026-11-03 02:30") in set(n1[C.SHIFT_START])
    # in a day shift a time before its start is a typo on the shift's own day, not the next day's time
    ra = _row_of(book, "A1", "Breaks")
    assert openpyxl.load_workbook(book)["Breaks"].cell(ra, 6).value.date() == date(2026, 11, 2)     # A1's D0900
    _edit(book, "Breaks", {f"F{ra}": "08:30", f"G{ra}": "08:45"})
    a1 = read_roster_workbook(book, sc, agents).breaks
    assert pd.Timestamp("2026-11-02 08:30") in set(a1.loc[a1[C.AGENT_ID] == "A1", C.SHIFT_START])


def test_an_edited_name_or_weekly_total_is_not_read_and_says_so(book, sc, plan):
    """Cosmetic columns (an agent's name on either sheet, a weekly total typed over its formula) are not read:
    each edit is a warning naming its cell, value and what is expected; check reports it."""
    agents = plan[0]
    r, rb = _row_of(book, "T2"), _row_of(book, "T2", "Breaks")
    assert openpyxl.load_workbook(book)["Roster"]["U1"].value.startswith("Paid h week of")
    _edit(book, "Roster", {f"B{r}": "Sun Lili", f"U{r}": 48})
    _edit(book, "Breaks", {f"B{rb}": "Liu Yang"})
    got = read_roster_workbook(book, sc, agents)
    assert got.locks.empty
    text = [str(w) for w in got.warnings]
    assert len(text) == 3, text
    assert text[0].startswith(f"{book}, Roster!B{r}: T2's name differs from the agents file's 'Sun Li'")
    assert text[0].endswith("(got 'Sun Lili'); expected 'Sun Li', or change the name in the agents file")
    assert f"Roster!U{r}: a value typed over T2's weekly paid hours" in text[1] and "(got '48')" in text[1]
    assert f"Breaks!B{rb}: the name differs from T2's ('Sun Li'); names are not read" in text[2]
    assert f"warning: {text[0]}" in report_lines(check_workbook(book, sc, agents))


@pytest.mark.parametrize("col,label,value", [("C", "team", "tier1"), ("D", "seniority", "junior"),
                                             ("E", "contract", "part_time")])
def test_an_edited_team_seniority_or_contract_is_an_error_naming_the_cell(book, sc, plan, col, label, value):
    """The agents file decides an agent's team, seniority and contract: the workbook cannot change them."""
    r = _row_of(book, "T2" if col == "C" else "A1")
    _edit(book, "Roster", {f"{col}{r}": value})
    with pytest.raises(WorkbookError) as exc:
        read_roster_workbook(book, sc, plan[0])
    (line,) = str(exc.value).splitlines()
    assert f"Roster!{col}{r}: " in line and f"'s {label} differs from the agents file's" in line
    assert f"(got {value!r}); expected" in line and "change it in the agents file" in line


def test_a_break_rows_date_or_shift_against_the_roster_is_an_error_naming_the_cell(book, sc, plan):
    """The Date and Shift of a Breaks row name the shift its Start falls in: another day or code contradicts the
    Roster (the break is moved by its Start and End, a shift in the Roster); a date that is no date is an error."""
    r, rb = _row_of(book, "A1"), _row_of(book, "A1", "Breaks")     # A1's D0900 of 2026-11-02, break 10:30
    _edit(book, "Breaks", {f"C{rb}": datetime(2026, 11, 3), f"D{rb + 1}": "D1000", f"C{rb + 2}": "next Tuesday"})
    with pytest.raises(WorkbookError) as exc:
        read_roster_workbook(book, sc, plan[0])
    lines = str(exc.value).splitlines()
    assert len(lines) == 3, lines
    assert (f"Breaks!C{rb}: the date is not the day of the shift that the break starting 2026-11-02 10:30 "
            f"(Breaks!F{rb}) falls in: A1's D0900 of 2026-11-02 (Roster!G{r}) (got '2026-11-03'); "
            f"expected 2026-11-02") in lines[0]
    assert f"Breaks!D{rb + 1}: the shift is not the Roster's" in lines[1] and "(got 'D1000'); expected D0900" in lines[1]
    assert f"Breaks!C{rb + 2}: not a date (got 'next Tuesday')" in lines[2]


def test_a_break_row_left_with_the_shift_before_a_roster_edit_is_a_warning(book, sc, plan):
    r, rb = _row_of(book, "A1"), _row_of(book, "A1", "Breaks")
    _edit(book, "Roster", {f"G{r}": "D1000"})           # 10:00-19:00 still holds the 10:30 break
    got = read_roster_workbook(book, sc, plan[0])
    assert [w.cell for w in got.warnings][:1] == [f"Breaks!D{rb}"]
    assert "the row names the shift before its Roster cell was edited" in str(got.warnings[0])
    assert pd.Timestamp("2026-11-02 10:30") in set(got.breaks.loc[got.breaks[C.AGENT_ID] == "A1", C.SHIFT_START])


def test_a_break_given_to_another_agent_is_theirs(book, sc, plan):
    """Agent ID is read: a break row given to another agent is that agent's break (its Shift column naming
    the other agent's shift is an error until it names the new one)."""
    rb = _row_of(book, "T2", "Breaks")                 # T2's D0800 of 2026-11-02, break 09:30 (in A1's D0900)
    assert openpyxl.load_workbook(book)["Breaks"][f"F{rb}"].value == datetime(2026, 11, 2, 9, 30)
    _edit(book, "Breaks", {f"A{rb}": "A1"})
    with pytest.raises(WorkbookError) as exc:
        read_roster_workbook(book, sc, plan[0])
    assert f"Breaks!D{rb}: the shift is not the Roster's" in str(exc.value) and "(got 'D0800')" in str(exc.value)
    _edit(book, "Breaks", {f"D{rb}": "D0900"})
    got = read_roster_workbook(book, sc, plan[0])
    a1 = set(got.breaks.loc[got.breaks[C.AGENT_ID] == "A1", C.SHIFT_START])
    assert pd.Timestamp("2026-11-02 09:30") in a1
    assert [w.cell for w in got.warnings] == [f"Breaks!B{rb}"]       # the name still says Sun Li


def test_lock_column_locks_the_whole_row(book, sc, plan):
    r = _row_of(book, "P1")
    _edit(book, "Roster", {f"F{r}": "yes"})
    got = read_roster_workbook(book, sc, plan[0])
    assert len(got.locks) == sc.horizon.days and set(got.locks[C.AGENT_ID]) == {"P1"}
    assert set(got.locks[C.SHIFT]) == {"P1800", "OFF"}


def test_rest_violation_named_by_cell(book, sc, plan):
    r = _row_of(book, "A1")
    _edit(book, "Roster", {f"G{r}": "D1500", f"H{r}": "D0700"})
    result = check_workbook(book, sc, plan[0])
    assert f"Roster!H{r} (A1, 2026-11-03): D0700 after D1500 on 2026-11-02 leaves 7 h rest, minimum 11 h" in \
        report_lines(result)
    assert not result.is_clean()


def test_annotated_copy_highlights_and_comments(book, sc, plan, tmp_path):
    r = _row_of(book, "A1")
    _edit(book, "Roster", {f"G{r}": "D1500", f"H{r}": "D0700"})
    result = check_workbook(book, sc, plan[0])
    out = tmp_path / "annotated.xlsx"
    write_annotated_workbook(result, out, sc, plan[0])
    wb = openpyxl.load_workbook(out)
    rows = {wb["Roster"].cell(i, 1).value: i for i in range(2, 12)}
    cell = wb["Roster"].cell(rows["A1"], 8)
    assert cell.value == "D0700"
    assert "leaves 7 h rest, minimum 11 h" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FF6666")
    # the copy keeps the plan's originals: the edits are still told apart
    again = read_roster_workbook(out, sc, plan[0])
    assert len(again.changes) == 2


# --- CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def cli_setup(tmp_path, sc, plan):
    agents, a, b, cov = plan
    rows = ["agent_id,name,team,skills,contract,seniority,unavailable,night_ok"]
    for r in agents.itertuples(index=False):
        unavailable = ";".join(d.isoformat() for d in sorted(r.unavailable))
        name = r.name.replace('"', '""')
        rows.append(f'{r.agent_id},"{name}",{r.team},{";".join(r.skills)},{r.contract},{r.seniority},'
                    f'{unavailable},{str(r.night_ok).lower()}')
    (tmp_path / "agents.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    from tests.roster_factory import DOUBLE11
    scenario.write_text(f"extends: {DOUBLE11}\nhorizon: {{start: 2026-11-02, days: 14}}\n"
                        f"data: {{agents: {tmp_path / 'agents.csv'}, history: {tmp_path / 'none.csv'}}}\n",
                        encoding="utf-8")
    book = tmp_path / "roster.xlsx"
    write_roster_workbook(book, scenario=sc, agents=agents, assignments=a, breaks=b, coverage=None, summary={})
    return scenario, book


def test_cli_check_clean_and_not(cli_setup, tmp_path):
    scenario, book = cli_setup
    runner = CliRunner()
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario)])
    assert res.exit_code == 0, res.output
    assert "clean: 0 hard and 0 soft rule violation(s)" in res.output
    r = _row_of(book, "A1")
    _edit(book, "Roster", {f"G{r}": "D1500", f"H{r}": "D0700"})
    out = tmp_path / "annotated.xlsx"
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario), "-o", str(out)])
    assert res.exit_code == 1
    assert f"Roster!H{r} (A1, 2026-11-03): D0700 after D1500 on 2026-11-02 leaves 7 h rest, minimum 11 h" in res.output
    assert out.exists()
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert doc["clean"] is False
    # the rest violation, and the day's breaks that no longer fit the new D1500
    assert {v["rule"] for v in doc["violations"]} == {"min_rest", "break_outside_shift", "break_count",
                                                       "break_window"}
    rest = [v for v in doc["violations"] if v["rule"] == "min_rest"]
    assert [(v["cell"], v["agent_id"], v["date"]) for v in rest] == [(f"Roster!H{r}", "A1", "2026-11-03")]
    assert doc["hard_violations"] == len(doc["violations"])
    assert {c["cell"] for c in doc["changes"]} == {f"Roster!G{r}", f"Roster!H{r}"}


def test_cli_check_reads_the_runs_scenario_beside_the_workbook(cli_setup, tmp_path):
    """Without --scenario, check uses the scenario.yaml a run writes beside its roster.xlsx; a workbook with
    neither is a usage error that says what to pass."""
    scenario, book = cli_setup
    (tmp_path / "scenario.yaml").write_text(scenario.read_text(encoding="utf-8"), encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(book)])
    assert res.exit_code == 0, res.output
    assert "clean: 0 hard and 0 soft rule violation(s)" in res.output
    alone = tmp_path / "mailed" / "roster.xlsx"
    alone.parent.mkdir()
    alone.write_bytes(book.read_bytes())
    res = CliRunner().invoke(main, ["check", str(alone)])
    assert res.exit_code == 2 and "scenario.yaml" in res.output and "--scenario" in res.output


def test_cli_check_hostile_file_one_line_exit_1(cli_setup, tmp_path):
    scenario, _ = cli_setup
    fake = tmp_path / "fake.xlsx"
    fake.write_text("agent_id,2026-11-02\nA1,D0900\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(fake), "--scenario", str(scenario)])
    assert res.exit_code == 1
    assert res.output.strip() == f"Error: {fake}: not an .xlsx workbook (no zip archive inside; is it a CSV or text file renamed?)"


def test_cli_export_rebuilds_the_workbook_from_csv(cli_setup, tmp_path, sc, plan):
    scenario, _ = cli_setup
    agents, a, b, cov = plan
    run = tmp_path / "run"
    run.mkdir()
    fmt = lambda f, cols: f.assign(**{c: pd.to_datetime(f[c]).dt.strftime("%Y-%m-%d %H:%M") for c in cols})  # noqa: E731
    fmt(a, (C.SHIFT_START, C.SHIFT_END)).assign(date=a[C.DATE].dt.strftime("%Y-%m-%d")).to_csv(run / "assignments.csv", index=False)
    fmt(b, (C.SHIFT_START, C.SHIFT_END)).to_csv(run / "breaks.csv", index=False)
    fmt(cov, (C.INTERVAL_START,)).to_csv(run / "coverage.csv", index=False)
    (run / "summary.json").write_text(json.dumps({"solver": {"status": "FEASIBLE", "gap": 0.02}}), encoding="utf-8")
    res = CliRunner().invoke(main, ["export", str(run), "--scenario", str(scenario)])
    assert res.exit_code == 0, res.output
    got = read_roster_workbook(run / "roster.xlsx", sc, agents)
    pd.testing.assert_frame_equal(_sorted(got.assignments, [C.AGENT_ID, C.DATE]), _sorted(a, [C.AGENT_ID, C.DATE]))
    assert "FEASIBLE" in [c.value for c in openpyxl.load_workbook(run / "roster.xlsx")["Summary"]["B"]]
    res = CliRunner().invoke(main, ["export", str(tmp_path / "nothing"), "--scenario", str(scenario)])
    assert res.exit_code == 1 and "not a folder with a run's outputs" in res.output
    assert date(2026, 11, 2) == got.assignments[C.DATE].min().date()


def test_cli_export_rejects_a_hand_edited_csv_the_workbook_cannot_show(cli_setup, tmp_path, sc, plan):
    """An edited assignments.csv with an unknown shift code, an unknown agent, two shifts of one agent on one day,
    and a breaks.csv with an unknown kind: each named with its file, row, column and value (before: written
    into the workbook as they were, or silently dropped)."""
    scenario, _ = cli_setup
    agents, a, b, cov = plan
    run = tmp_path / "run"
    run.mkdir()
    fmt = lambda f, cols: f.assign(**{c: pd.to_datetime(f[c]).dt.strftime("%Y-%m-%d %H:%M") for c in cols})  # noqa: E731
    rows = fmt(a, (C.SHIFT_START, C.SHIFT_END)).assign(date=a[C.DATE].dt.strftime("%Y-%m-%d")).reset_index(drop=True)
    rows.loc[0, C.SHIFT] = "X0800"
    rows.loc[1, C.AGENT_ID] = "ZZZ9"
    rows = pd.concat([rows, rows.iloc[[2]]], ignore_index=True)
    rows.to_csv(run / "assignments.csv", index=False)
    brk = fmt(b, (C.SHIFT_START, C.SHIFT_END)).reset_index(drop=True)
    brk.loc[0, C.BREAK_KIND] = "lunch"
    brk.to_csv(run / "breaks.csv", index=False)
    res = CliRunner().invoke(main, ["export", str(run), "--scenario", str(scenario)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    out = res.output
    assert "assignments.csv, row 2, column 'shift': unknown shift code (got 'X0800')" in out
    assert "assignments.csv, row 3, column 'agent_id': agent not in the agents file (got 'ZZZ9')" in out
    assert f"row {len(rows) + 1}, column 'date': a second shift of this agent on this day (the first on row 4)" in out
    assert "breaks.csv, row 2, column 'kind': unknown break kind (got 'lunch')" in out
    assert not (run / "roster.xlsx").exists()


def test_check_recomputes_coverage_from_the_edited_roster(full_book, sc, plan):
    agents, a, b, cov = plan
    result = check_workbook(full_book, sc, agents)
    def table(frame):
        t = frame[[C.INTERVAL_START, C.QUEUE_OR_GROUP, C.SCHEDULED]].copy()
        t[C.INTERVAL_START] = t[C.INTERVAL_START].astype("datetime64[ns]")
        return t.sort_values([C.INTERVAL_START, C.QUEUE_OR_GROUP]).reset_index(drop=True)

    pd.testing.assert_frame_equal(table(result.coverage), table(cov), check_exact=False, atol=1e-9)
    # a supervisor removes A1's Monday shift: scheduled drops at 09:00 that day, nowhere else
    r = _row_of(full_book, "A1")
    _edit(full_book, "Roster", {f"G{r}": "OFF"})
    after = check_workbook(full_book, sc, agents).coverage.groupby(C.INTERVAL_START)[C.SCHEDULED].sum()
    before = cov.groupby(C.INTERVAL_START)[C.SCHEDULED].sum()
    before.index = before.index.astype("datetime64[ns]")
    after.index = after.index.astype("datetime64[ns]")
    diff = (before - after).round(9)
    changed = diff[diff != 0]
    assert changed.index.min() == pd.Timestamp("2026-11-02 09:00")
    assert changed.index.max() == pd.Timestamp("2026-11-02 17:45")
    assert changed.max() == pytest.approx(0.85)      # one senior tier1 agent: 1 - 15 % shrinkage


def test_check_counts_the_previous_periods_night_on_the_first_morning(full_book, sc, plan):
    # N1 worked the night before the horizon (N2200, until 08:00 on the first day): with the previous roster,
    # check counts it on duty from 00:00 to 07:45 of 2 November (but for its break), and nowhere else
    agents = plan[0]
    previous = pd.DataFrame({C.AGENT_ID: ["N1"], C.TEAM: ["night"], C.DATE: [date(2026, 11, 1)], C.SHIFT: ["N2200"],
                             C.SHIFT_START: [datetime(2026, 11, 1, 22)], C.SHIFT_END: [datetime(2026, 11, 2, 8)],
                             C.PAID_H: [9.0]})

    def scheduled(**kw):
        out = check_workbook(full_book, sc, agents, **kw).coverage.groupby(C.INTERVAL_START)[C.SCHEDULED].sum()
        out.index = out.index.astype("datetime64[ns]")
        return out

    diff = (scheduled(previous=previous) - scheduled()).round(9)
    changed = diff[diff != 0]
    assert changed.index.min() == pd.Timestamp("2026-11-02 00:00")
    assert changed.index.max() == pd.Timestamp("2026-11-02 07:45")
    assert (changed > 0).all() and changed.max() == pytest.approx(0.85)
    assert len(changed) < 32                           # its breaks fall inside those hours


def test_check_computes_expected_service_level_with_the_erlang_maths(full_book, sc, plan):
    from scheduler.staffing import queue_metrics

    agents = plan[0]
    result = check_workbook(full_book, sc, agents)
    cov = result.coverage
    chat = sc.queues["chat"]
    row = cov[(cov[C.QUEUE_OR_GROUP] == "chat") & (cov[C.INTERVAL_START] == pd.Timestamp("2026-11-11 11:00"))].iloc[0]
    n = row[C.SCHEDULED]
    assert 0 < n < 5 and n != int(n)
    rate = row[C.FORECAST_VOLUME] * 60 / sc.interval_min
    sl = [float(queue_metrics(rate, chat.aht_s, k, chat.sla.answer_within_s, chat.patience_s,
                              concurrency=chat.concurrency, concurrency_aht_growth=chat.concurrency_aht_growth,
                              definition=chat.sla.definition).service_level) for k in (int(n), int(n) + 1)]
    assert row[C.SERVICE_LEVEL] == pytest.approx(sl[0] + (n - int(n)) * (sl[1] - sl[0]))
    assert cov.loc[cov[C.QUEUE_OR_GROUP] == "email", C.SERVICE_LEVEL].isna().all()   # deferred: no SL
    daily = result.daily_service
    assert set(daily["queue"]) == {"voice_presales", "voice_aftersales", "chat"}
    peak = daily[(daily["date"] == date(2026, 11, 11)) & (daily["queue"] == "chat")].iloc[0]
    assert 0 <= peak.service_level < peak.target       # the tiny test roster cannot carry 11.11
    assert len(result.service_misses) > 0 and result.is_clean() and not result.is_clean(service=True)
    lines = report_lines(result)
    assert any(line.startswith("service level chat on 2026-11-11: ") and "target 85%" in line for line in lines)


def test_summary_shows_simulated_service_level(tmp_path, sc, plan):
    agents, a, b, cov = plan
    summary = {"service_level_by_day": {"2026-11-11": {"chat": {"expected": 0.5, "simulated": 0.62},
                                                      "voice_presales": {"expected": 0.9, "simulated": 0.91}}}}
    path = write_roster_workbook(tmp_path / "r.xlsx", scenario=sc, agents=agents, assignments=a, breaks=b,
                                 coverage=None, summary=summary)
    ws = openpyxl.load_workbook(path)["Summary"]
    cells = {(c.row, c.column): c for row in ws.iter_rows() for c in row}
    title = next(c for c in cells.values() if isinstance(c.value, str) and c.value.startswith("Simulated service level"))
    header = [cells[(title.row + 1, j)].value for j in (1, 2, 3)]
    assert header == ["Date", "voice_presales (target 80%)", "chat (target 85%)"]  # the expected table's labels and order
    assert cells[(title.row + 2, 1)].value == datetime(2026, 11, 11)
    chat = cells[(title.row + 2, 3)]
    assert chat.value == 0.62 and chat.fill.fgColor.rgb.endswith("FFC7CE")          # below 85 %
    assert not cells[(title.row + 2, 2)].fill.fgColor.rgb.endswith("FFC7CE")       # 91 % >= 80 %


def test_annotated_copy_marks_the_break_row(book, sc, plan, tmp_path):
    r = _row_of(book, "A1", "Breaks")
    _edit(book, "Breaks", {f"F{r}": datetime(2026, 11, 2, 12, 0), f"G{r}": datetime(2026, 11, 2, 12, 15)})
    result = check_workbook(book, sc, plan[0])
    out = write_annotated_workbook(result, tmp_path / "annotated.xlsx", sc, plan[0])
    ws = openpyxl.load_workbook(out)["Breaks"]
    marked = [(c.coordinate, c.comment.text) for row in ws.iter_rows() for c in row if c.comment]
    assert len(marked) == 1
    coord, text = marked[0]
    assert ws[coord.replace("F", "A")].value == "A1" and ws[coord].value == datetime(2026, 11, 2, 12, 0)
    assert "must start between 10:30 and 11:30" in text and text.startswith("[hard]")


def test_leave_granted_by_a_lock_stays_leave_in_the_next_workbook(tmp_path, sc, plan):
    agents, a, b, _ = plan
    locks = pd.DataFrame({C.AGENT_ID: ["A1"], C.DATE: [pd.Timestamp(day(5))], C.SHIFT: ["LEAVE"]})
    path = write_roster_workbook(tmp_path / "r.xlsx", scenario=sc, agents=agents, assignments=a, breaks=b,
                                 coverage=None, summary={}, locks=locks)
    got = read_roster_workbook(path, sc, agents)
    assert got.original[("A1", day(5))] == "LEAVE" and got.changes.empty
    # and stays a lock in the next round (A2's leave from the agents file needs none)
    assert got.locks.to_dict("records") == [{C.AGENT_ID: "A1", C.DATE: pd.Timestamp(day(5)), C.SHIFT: "LEAVE",
                                             "cell": f"Roster!L{_row_of(path, 'A1')}"}]
    ws = openpyxl.load_workbook(path)["Roster"]
    assert ws.cell(_row_of(path, "A1"), 7 + 5).value == "LEAVE"


def _allocation_file(path, agent_id, queue, times, share="1.0"):
    from scheduler.simulate.cli_support import read_allocation

    pd.DataFrame({C.AGENT_ID: agent_id, C.INTERVAL_START: times.strftime("%Y-%m-%d %H:%M"), C.QUEUE: queue,
                  "share": share}).to_csv(path, index=False)
    return read_allocation(path)


def test_check_follows_the_plans_allocation_where_the_roster_is_unchanged(full_book, sc, plan, tmp_path):
    agents = plan[0]
    a1 = agents.set_index(C.AGENT_ID).loc["A1"]
    eligible = [q for q in sc.queues if q in a1[C.SKILLS] and a1[C.TEAM] in sc.queues[q].teams]
    assert len(eligible) > 1
    queue = eligible[-1]
    monday = pd.date_range("2026-11-02 09:00", "2026-11-02 17:45", freq=f"{sc.interval_min}min")
    allocation = _allocation_file(tmp_path / "allocation.csv", "A1", queue, monday)

    def wide(result):
        t = result.coverage.pivot_table(index=C.INTERVAL_START, columns=C.QUEUE_OR_GROUP, values=C.SCHEDULED)
        t.index = t.index.astype("datetime64[ns]")
        return t

    proportional = wide(check_workbook(full_book, sc, agents))
    planned_result = check_workbook(full_book, sc, agents, allocation=allocation)
    assert any("as planned" in n for n in planned_result.notes)
    planned = wide(planned_result)
    # capacity is conserved; A1's Monday goes to `queue` alone; every other agent-interval is split as before
    pd.testing.assert_series_equal(planned.sum(axis=1), proportional.sum(axis=1), atol=1e-9)
    moved = (planned - proportional).abs().sum(axis=1)
    assert set(moved[moved > 1e-9].index) <= set(monday)
    assert (planned.loc[monday, queue] >= proportional.loc[monday, queue] - 1e-9).all()
    assert (planned.loc[monday, queue] - proportional.loc[monday, queue]).max() > 0.1
    # the supervisor takes A1's Monday off: all of A1's planned capacity leaves `queue`, no other queue moves
    _edit(full_book, "Roster", {f"G{_row_of(full_book, 'A1')}": "OFF"})
    after = wide(check_workbook(full_book, sc, agents, allocation=allocation))
    drop = planned - after
    assert drop[queue].max() == pytest.approx(0.85)
    assert drop.drop(columns=[queue]).abs().max().max() < 1e-9


def test_check_rejects_a_bad_allocation_naming_row_and_column(full_book, sc, plan, tmp_path):
    from scheduler.errors import InputFileError

    times = pd.date_range("2026-11-02 09:00", periods=2, freq="15min")
    bad = _allocation_file(tmp_path / "allocation.csv", "A1", "voice_presales", times, share=["0.5", "lots"])
    with pytest.raises(InputFileError) as e:
        check_workbook(full_book, sc, plan[0], allocation=bad)
    assert "allocation.csv" in str(e.value) and "row 3" in str(e.value) and "share" in str(e.value) and "lots" in str(e.value)


def test_cli_check_reads_the_allocation_beside_the_workbook(cli_setup, full_book_template, tmp_path):
    scenario, book = cli_setup
    book.write_bytes(full_book_template.read_bytes())  # with a Coverage sheet: service levels are computed
    (tmp_path / "allocation.csv").write_text("agent_id,interval_start,queue,share\nA1,2026-11-02 09:00,no_such_queue,1\n")
    runner = CliRunner()
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario)])
    assert res.exit_code == 1
    assert "allocation.csv" in res.output and "no_such_queue" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario), "--allocation", "none"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["check", str(book), "--scenario", str(scenario), "--allocation", str(tmp_path / "nope.csv")])
    assert res.exit_code == 1 and "nope.csv" in res.output


def _answered_in_time(sc, index, volume: pd.DataFrame, scheduled: np.ndarray) -> pd.Series:
    """Contacts answered within the target per live queue (Erlang, as check computes service levels)."""
    from scheduler.check import expected_service_level

    live = [q for q in volume.columns if sc.queues[q].is_live]
    long = pd.DataFrame({C.INTERVAL_START: np.repeat(index, len(live)), C.QUEUE_OR_GROUP: live * len(index),
                         C.FORECAST_VOLUME: volume[live].to_numpy().ravel(),
                         C.SCHEDULED: scheduled[:, [list(volume.columns).index(q) for q in live]].ravel()})
    long["answered"] = long[C.FORECAST_VOLUME] * expected_service_level(sc, long)
    return long.groupby(C.QUEUE_OR_GROUP)["answered"].sum()


def test_check_routes_each_groups_time_where_it_answers_most(sc):
    """Without the plan's allocation, check routes a multi-skilled group's time among its queues: live queues by
    the contacts a step answers in time (on the concave envelope, so chat — nothing answered until its load is
    covered — still gets the block it needs), then deferred work; capacity is conserved. Against the old split
    in proportion to the requirement, it answers more contacts in time in total and on most intervals."""
    from scheduler.check import _open_masks, _proportional_shares, need_split

    rng = np.random.default_rng(11)
    index = pd.date_range("2026-11-02 10:00", periods=48, freq=f"{sc.interval_min}min")
    queues = list(sc.queues)
    volume = pd.DataFrame(0.0, index=index, columns=queues)
    volume["voice_presales"] = rng.uniform(5, 40, len(index))
    volume["voice_aftersales"] = rng.uniform(5, 30, len(index))
    volume["chat"] = rng.uniform(20, 120, len(index))
    volume["email"] = rng.uniform(2, 15, len(index))
    aht = pd.Series({q: sc.queues[q].aht_s for q in queues})
    req = (volume * aht / (sc.interval_min * 60) * 1.3).round()
    req["chat"] = (req["chat"] / 3).round()            # three chats at once
    capacity = {("voice_presales", "voice_aftersales", "chat", "email"): rng.uniform(5, 25, len(index)),
                ("chat", "email"): rng.uniform(0, 8, len(index)),
                ("voice_aftersales",): rng.uniform(0, 6, len(index))}
    open_mask = _open_masks(sc, index)
    routed = need_split(sc, req, volume, open_mask, capacity)
    assert routed.sum() == pytest.approx(sum(c.sum() for c in capacity.values()))
    proportional = np.zeros_like(routed)
    for eligible, cap in capacity.items():
        proportional[:, [queues.index(q) for q in eligible]] += cap[:, None] * _proportional_shares(req, list(eligible),
                                                                                                     open_mask)
    got, old = _answered_in_time(sc, index, volume, routed), _answered_in_time(sc, index, volume, proportional)
    assert got.sum() > 1.05 * old.sum(), (got, old)
    # the deferred queue gets only what the live queues cannot use: less than in proportion
    assert routed[:, queues.index("email")].sum() < proportional[:, queues.index("email")].sum()
    # one interval where chat needs a block: 100 chats, 12 agents who may take chat or e-mail; voice none
    one = pd.DatetimeIndex([index[0]])
    vol = pd.DataFrame(0.0, index=one, columns=queues)
    vol["chat"], vol["email"] = 100.0, 10.0
    need = pd.DataFrame(0.0, index=one, columns=queues)
    need["chat"], need["email"] = 11.0, 3.0
    split = need_split(sc, need, vol, _open_masks(sc, one), {("chat", "email"): np.array([12.0])})
    assert split[0, queues.index("chat")] >= 11.0 - 1e-9 and split[0].sum() == pytest.approx(12.0)
