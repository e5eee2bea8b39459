"""Hostile and broken workbooks: each gets one clear message naming sheet and cell; nothing is evaluated."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from click.testing import CliRunner

from scheduler.cli import main
from scheduler.errors import WorkbookError
from scheduler.io import workbook_safety
from scheduler.io.excel import read_roster_workbook, write_roster_workbook
from tests.roster_factory import DOUBLE11, build_roster, clean_grid, make_agents, make_scenario


@pytest.fixture(scope="module")
def sc():
    return make_scenario()


@pytest.fixture(scope="module")
def agents():
    return make_agents()


@pytest.fixture(scope="module")
def template(tmp_path_factory, sc, agents):
    a, b = build_roster(sc, clean_grid(), agents)
    path = tmp_path_factory.mktemp("tpl") / "roster.xlsx"
    write_roster_workbook(path, scenario=sc, agents=agents, assignments=a, breaks=b, coverage=None, summary={})
    return path


@pytest.fixture
def book(tmp_path, template):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(template.read_bytes())
    return path


def problems(path, sc, agents) -> list[str]:
    with pytest.raises(WorkbookError) as exc:
        read_roster_workbook(path, sc, agents)
    return [str(p) for p in exc.value.problems]


def edit(path, fn):
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)


# --- not a workbook at all ---------------------------------------------------------------------


def test_csv_renamed(tmp_path, sc, agents):
    p = tmp_path / "roster.xlsx"
    p.write_text("agent_id,2026-11-02\nA1,D0900\n", encoding="utf-8")
    assert problems(p, sc, agents) == [
        f"{p}: not an .xlsx workbook (no zip archive inside; is it a CSV or text file renamed?)"]


def test_password_protected(tmp_path, sc, agents):
    p = tmp_path / "roster.xlsx"
    # an encrypted OOXML file is an OLE compound document (what Excel writes with a password)
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)
    assert "password-protected (encrypted)" in problems(p, sc, agents)[0]


def test_encrypted_zip_parts(tmp_path, book, sc, agents):
    data = bytearray(book.read_bytes())
    # set the "encrypted" flag of every local and central header
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
            data[flag_at] |= 0x1
            at += 4
    p = tmp_path / "enc.xlsx"
    p.write_bytes(bytes(data))
    assert "encrypted (password-protected)" in problems(p, sc, agents)[0]


def test_truncated(tmp_path, book, sc, agents):
    p = tmp_path / "cut.xlsx"
    p.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    assert problems(p, sc, agents) == [f"{p}: the workbook is truncated or damaged (not a readable zip archive)"]


def test_empty_file(tmp_path, sc, agents):
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    assert "the file is empty" in problems(p, sc, agents)[0]


def _zip(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_zip_bomb_refused_before_parsing(tmp_path, sc, agents):
    p = tmp_path / "bomb.xlsx"
    _zip(p, {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * (30 * 1024 * 1024)})
    msg = problems(p, sc, agents)[0]
    assert "refused as a possible zip bomb" in msg and "xl/worksheets/sheet1.xml" in msg


def test_oversized_file_and_expansion(tmp_path, book, sc, agents, monkeypatch):
    monkeypatch.setattr(workbook_safety, "MAX_FILE_BYTES", 1000)
    assert "workbooks above" in problems(book, sc, agents)[0]
    monkeypatch.setattr(workbook_safety, "MAX_FILE_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(workbook_safety, "MAX_UNCOMPRESSED_BYTES", 10_000)
    assert "possible zip bomb" in problems(book, sc, agents)[0]


def test_too_many_parts_and_macros(tmp_path, sc, agents):
    p = tmp_path / "many.xlsx"
    _zip(p, {"[Content_Types].xml": b"<Types/>", **{f"xl/x{i}.xml": b"" for i in range(10_001)}})
    assert "refused above 10000" in problems(p, sc, agents)[0]
    p = tmp_path / "macro.xlsx"
    _zip(p, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"", "xl/vbaProject.bin": b"x"})
    assert "contains macros" in problems(p, sc, agents)[0]


def test_zip_without_workbook(tmp_path, sc, agents):
    p = tmp_path / "other.xlsx"
    _zip(p, {"hello.txt": b"hi"})
    assert "a zip archive but not an Excel workbook" in problems(p, sc, agents)[0]


def test_xml_entity_bomb_is_refused(tmp_path, book, sc, agents):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    src = zipfile.ZipFile(io.BytesIO(book.read_bytes()))
    p = tmp_path / "xmlbomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            zf.writestr(info.filename, bomb if info.filename == "xl/worksheets/sheet2.xml" else data)
    msg = problems(p, sc, agents)[0]
    assert msg == f"{p}: refused: the workbook's XML declares entities (a possible XML bomb or external-entity attack)"


# --- a workbook with bad content ---------------------------------------------------------------


def test_formula_in_a_roster_cell_is_an_error_never_evaluated(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].__setitem__("H2", '=IF(1,"D0900","OFF")'))
    msgs = problems(book, sc, agents)
    assert len(msgs) == 1
    assert msgs[0] == (f"{book}, Roster!H2: a formula where a shift code belongs (A1, 2026-11-03); formulas are not "
                       "evaluated (got '=IF(1,\"D0900\",\"OFF\")'); expected a shift code, OFF or LEAVE typed as text")


def test_error_value_in_a_cell(book, sc, agents):
    def put_error(wb):
        cell = wb["Roster"]["I3"]
        cell.value = "#N/A"
        cell.data_type = "e"
    edit(book, put_error)
    assert "Roster!I3: an error value where a shift code belongs (A2, 2026-11-04)" in problems(book, sc, agents)[0]


def test_unknown_code(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].__setitem__("J2", "D0815"))
    msg = problems(book, sc, agents)[0]
    assert msg.startswith(f"{book}, Roster!J2: unknown shift code (A1, 2026-11-05) (got 'D0815'); expected a template code")


def test_number_or_date_in_a_code_cell(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].__setitem__("J2", 800))
    assert "Roster!J2: not a shift code (A1, 2026-11-05) (got '800')" in problems(book, sc, agents)[0]


def test_lower_case_and_empty_cells_are_read(book, sc, agents):
    def fix(wb):
        wb["Roster"]["G2"] = " d0900 "
        wb["Roster"]["H2"] = None      # was D0900
    edit(book, fix)
    got = read_roster_workbook(book, sc, agents)
    assert got.changes[["cell", "original", "shift"]].to_numpy().tolist() == [["Roster!H2", "D0900", "OFF"]]


def test_unknown_agent_and_duplicate_row(book, sc, agents):
    def change(wb):
        wb["Roster"]["A3"] = "Z999"
        wb["Roster"]["A5"] = "A1"
    edit(book, change)
    msgs = problems(book, sc, agents)
    assert f"{book}, Roster!A3: unknown agent 'Z999': not in the agents file; expected an agent id of the agents file" in msgs
    assert f"{book}, Roster!A5: agent A1 has a second row (first in Roster!A2)" in msgs
    assert any("agent(s) of the agents file without a row: A2, T1" in m for m in msgs)


def test_date_column_outside_the_horizon(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].__setitem__("K1", datetime(2026, 12, 1)))
    msgs = problems(book, sc, agents)
    assert f"{book}, Roster!K1: date 2026-12-01 is outside the horizon 2026-11-02..2026-11-15; expected only the horizon's days, in order" in msgs
    assert any("no column for the horizon's day(s) 2026-11-06" in m for m in msgs)


def test_roster_of_another_scenario_is_one_problem(book, agents):
    # a workbook checked with the wrong scenario got one "outside the horizon" line per day column
    msgs = problems(book, make_scenario("horizon.start=2026-06-01"), agents)
    assert msgs == [f"{book}, Roster!G1: the roster's days 2026-11-02..2026-11-15 are not the scenario's horizon "
                    "2026-06-01..2026-06-14: give the scenario the roster was planned with"]


def test_merged_header_cells(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].merge_cells("G1:H1"))
    msgs = problems(book, sc, agents)
    assert msgs == [f"{book}, Roster!G1:H1: merged cells G1:H1; unmerge them (every agent, day and code needs its own cell)"]


def test_moved_header_cells(book, sc, agents):
    def swap(wb):
        ws = wb["Roster"]
        ws["B1"], ws["C1"] = "Team", "Name"
    edit(book, swap)
    msgs = problems(book, sc, agents)
    assert msgs[0] == (f"{book}, Roster!B1: expected the header 'Name' here; header cells were moved or renamed "
                       "(got 'Team'); expected row 1: Agent ID, Name, Team, Seniority, Contract, Lock")


def test_rows_inserted_above_the_header(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].insert_rows(1, 2))
    assert "Roster!A1: expected the header 'Agent ID' here" in problems(book, sc, agents)[0]


def test_date_columns_moved_out_of_order(book, sc, agents):
    def move(wb):
        ws = wb["Roster"]
        for r in range(1, ws.max_row + 1):
            ws.cell(r, 7).value, ws.cell(r, 8).value = ws.cell(r, 8).value, ws.cell(r, 7).value
    edit(book, move)
    assert any("the date columns are not in date order" in m for m in problems(book, sc, agents))


def test_extra_sheet(book, sc, agents):
    edit(book, lambda wb: wb.create_sheet("Notes"))
    assert problems(book, sc, agents) == [
        f"{book}, Notes!A1: sheet 'Notes' is not part of a roster workbook; remove it (keep notes outside the file); "
        "expected only the sheets Summary, Roster, Breaks, Coverage, Overflow, Rules"]


def test_empty_roster_sheet(book, sc, agents):
    def clear(wb):
        del wb["Roster"]
        ws = wb.create_sheet("Roster", 1)
        assert ws.max_row == 1
    edit(book, clear)
    assert problems(book, sc, agents) == [
        f"{book}, Roster!A1: sheet 'Roster' is empty; expected the header row in row 1 and one row per agent"]


def test_missing_sheets(book, sc, agents):
    def drop(wb):
        del wb["Breaks"]
        del wb["Original"]
    edit(book, drop)
    msgs = problems(book, sc, agents)
    assert any("the workbook has no sheet 'Breaks'" in m for m in msgs)
    assert any("no sheet 'Original' (the hidden sheet that keeps the plan's original codes" in m for m in msgs)


def test_bad_break_rows(book, sc, agents):
    def bad(wb):
        ws = wb["Breaks"]
        ws["E2"] = "nap"
        ws["F3"] = "soon"
        ws["A4"] = "Z1"
        ws["G5"] = "=F5+1/96"
    edit(book, bad)
    msgs = problems(book, sc, agents)
    assert f"{book}, Breaks!E2: unknown break kind (got 'nap'); expected break | meal" in msgs
    assert any(m.startswith(f"{book}, Breaks!F3: not a date and time (got 'soon')") for m in msgs)
    assert f"{book}, Breaks!A4: unknown agent 'Z1'; expected an agent id of the agents file" in msgs
    assert any(m.startswith(f"{book}, Breaks!G5: a formula in the Breaks sheet") for m in msgs)


def test_bad_lock_value(book, sc, agents):
    edit(book, lambda wb: wb["Roster"].__setitem__("F2", "maybe"))
    assert "Roster!F2: not a yes/no value in the Lock column (got 'maybe')" in problems(book, sc, agents)[0]


def test_every_problem_is_reported_together(book, sc, agents):
    def many(wb):
        ws = wb["Roster"]
        ws["H2"], ws["I3"], ws["J4"] = "=1", "XX", "D0815"
    edit(book, many)
    assert [m.split(": ")[0].split(", ")[1] for m in problems(book, sc, agents)] == ["Roster!H2", "Roster!I3", "Roster!J4"]


def test_check_writes_nothing_for_a_hostile_workbook(tmp_path, book, sc, agents):
    agents_csv = tmp_path / "agents.csv"
    agents_csv.write_text("agent_id,name,team,skills,contract,seniority\n"
                          + "".join(f"{r.agent_id},x,{r.team},{';'.join(r.skills)},{r.contract},{r.seniority}\n"
                                    for r in agents.itertuples(index=False)), encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {DOUBLE11}\nhorizon: {{start: 2026-11-02, days: 14}}\n"
                        f"data: {{agents: {agents_csv}, history: {tmp_path / 'h.csv'}}}\n", encoding="utf-8")
    edit(book, lambda wb: wb.create_sheet("Notes"))
    out = tmp_path / "annotated.xlsx"
    res = CliRunner().invoke(main, ["check", str(book), "--scenario", str(scenario), "-o", str(out)])
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {book}, Notes!A1: sheet 'Notes' is not part of a roster workbook")
    assert not out.exists()
