"""The CLI as a new user meets it: bad inputs give one clear line and exit 1, nothing overwritten."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from scheduler.cli import main

from conftest import ROOT, SCENARIOS, refuse_replace

HISTORY = "ds,queue,volume\n" + "".join(
    f"2026-10-{d:02d} {h:02d}:00,{q},{5 + h}\n" for d in range(1, 4) for h in range(8, 20)
    for q in ("voice_presales", "voice_aftersales", "chat", "email", "complaints_major", "complaints_normal")
)
CALENDAR = "name,kind,start,end,peak,uplift\ndouble11,promotion,2025-10-21,2025-11-30,2025-11-11,\n"
AGENTS = (
    "agent_id,name,team,skills,contract,seniority,unavailable,night_ok\n"
    "A001,Wang Fang,tier1,voice_presales;chat,full_time,senior,,false\n"
    "A002,Li Wei,tier2,complaints_major,full_time,junior,2026-11-03,true\n"
)


@pytest.fixture
def case(tmp_path):
    """A scenario over small data files in tmp_path; returns (scenario path, files dict)."""
    files = {
        "history": tmp_path / "history.csv",
        "calendar": tmp_path / "calendar.csv",
        "agents": tmp_path / "agents.csv",
    }
    files["history"].write_text(HISTORY)
    files["calendar"].write_text(CALENDAR)
    files["agents"].write_text(AGENTS)
    sc = tmp_path / "s.yaml"
    sc.write_text(
        f"extends: {SCENARIOS / 'double11.yaml'}\nname: t\n"
        f"data: {{history: history.csv, calendar: calendar.csv, agents: agents.csv, generate_sample: null}}\n"
    )
    return sc, files


def _run(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    return result


@pytest.mark.parametrize(
    "which, old, new, needles",
    [
        ("history", "ds,queue,volume", "ds,queue,vol", ["history.csv", "missing column 'volume'"]),
        ("history", "2026-10-02 09:00,chat,14", "2026-10-02 09:00,chat,-14", ["history.csv", "row", "column 'volume'", "-14"]),
        ("history", "2026-10-02 09:00,chat,14", "02/10/2026 09:00,chat,14", ["history.csv", "column 'ds'", "02/10/2026 09:00", "YYYY-MM-DD HH:MM"]),
        ("agents", "A001,Wang Fang,tier1", "A001,Wang Fang,vendor", ["agents.csv", "row 2", "column 'team'", "vendor"]),
        ("calendar", "2025-11-30", "30.11.2025", ["calendar.csv", "row 2", "column 'end'", "30.11.2025"]),
    ],
)
def test_bad_input_is_one_clear_error(case, tmp_path, which, old, new, needles):
    sc, files = case
    text = files[which].read_text()
    assert old in text
    files[which].write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.xlsx").write_bytes(b"previous roster")
    r = _run("run", sc, "-o", out)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    assert r.output.startswith("Error: ")
    for n in needles:
        assert n in r.output, r.output
    assert (out / "roster.xlsx").read_bytes() == b"previous roster"
    assert sorted(p.name for p in out.iterdir()) == ["roster.xlsx"]


def test_missing_data_file(case):
    sc, files = case
    files["agents"].unlink()
    r = _run("run", sc)
    assert r.exit_code == 1 and "agents.csv" in r.output and "not found" in r.output


def test_unknown_scenario_key(case):
    sc, _ = case
    sc.write_text(sc.read_text() + "rulez: {}\n")
    r = _run("run", sc)
    assert r.exit_code == 1 and "rulez" in r.output and "valid keys" in r.output


def test_unknown_team_in_scenario(case):
    sc, _ = case
    sc.write_text(sc.read_text() + "queues: {chat: {teams: [tier1, vendor]}}\n")
    r = _run("run", sc)
    assert r.exit_code == 1 and "queues.chat.teams" in r.output and "vendor" in r.output


def test_bad_set_override(case):
    sc, _ = case
    r = _run("run", sc, "--set", "solver.workers=lots")
    assert r.exit_code == 1 and "solver.workers" in r.output


def test_usage_error_exits_2():
    assert _run("run").exit_code == 2
    assert _run("no-such-command").exit_code == 2


def test_debug_shows_traceback(case):
    sc, files = case
    files["agents"].unlink()
    r = _run("--debug", "run", sc)
    assert r.exit_code != 0 and r.exception is not None


# ---- writing a run's files over an earlier run -----------------------------------------------------

TINY = ["horizon.start=2026-11-10", "horizon.days=1", "solver.time_limit_s=3", "solver.workers=2",
        "forecast.model=seasonal_naive", "forecast.backtest_folds=1", "simulation.reps=1"]


@pytest.fixture(scope="module")
def tiny_plan():
    """One day of the sample centre, planned once for the tests below."""
    from scheduler.pipeline import run_scenario
    from scheduler.scenario import load_scenario

    return run_scenario(load_scenario(SCENARIOS / "double11.yaml", TINY))


@pytest.fixture
def planned(tiny_plan, monkeypatch):
    """``scheduler run`` gets ``tiny_plan`` at once (without its simulation under --no-simulate)."""
    import dataclasses

    from scheduler import pipeline

    monkeypatch.setattr(pipeline, "load_inputs", lambda sc, progress=None: tiny_plan.inputs)
    monkeypatch.setattr(pipeline, "run_scenario", lambda sc, simulate=None, **kw: tiny_plan if simulate is not False
                        else dataclasses.replace(tiny_plan, simulation=None))
    return tiny_plan


def _run_tiny(out, *args):
    return _run("run", SCENARIOS / "double11.yaml", *[a for key in TINY for a in ("--set", key)], "-o", out, *args)


def _contents(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _error_line(result):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_run_over_a_roster_open_in_excel_leaves_the_earlier_run_as_it_was(planned, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _run_tiny(out).exit_code == 0
    before = _contents(out)
    assert "roster.xlsx" in before and "summary.json" in before
    refuse_replace(monkeypatch, "roster.xlsx")
    line = _error_line(_run_tiny(out, "--no-simulate"))
    for needle in (str(out / "roster.xlsx"), "Permission denied", "Excel", "left as it was"):
        assert needle in line, line
    assert _contents(out) == before


def test_export_and_check_over_a_workbook_open_in_excel_keep_it(planned, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _run_tiny(out).exit_code == 0
    before = _contents(out)
    annotated = tmp_path / "annotated.xlsx"
    annotated.write_bytes(b"previous copy")
    refuse_replace(monkeypatch, "roster.xlsx")
    line = _error_line(_run("export", out))
    assert str(out / "roster.xlsx") in line and "Excel" in line and "left as it was" in line
    assert _contents(out) == before
    refuse_replace(monkeypatch, "annotated.xlsx")
    line = _error_line(_run("check", out / "roster.xlsx", "-s", out / "scenario.yaml", "-o", annotated))
    assert str(annotated) in line and "Excel" in line
    assert annotated.read_bytes() == b"previous copy" and _contents(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.xlsx", "out"]


def test_a_run_removes_the_files_of_an_earlier_run_it_does_not_write_and_says_so(planned, tmp_path):
    out = tmp_path / "out"
    assert _run_tiny(out).exit_code == 0
    assert (out / "simulation_daily.csv").exists()
    (out / "notes.txt").write_text("mine")
    (out / "simulation_daily_old.csv").write_text("mine too")
    r = _run_tiny(out, "--no-simulate")
    assert r.exit_code == 0, r.output
    assert f"removed simulation_daily.csv of an earlier run from {out}/" in r.output
    assert not (out / "simulation_daily.csv").exists()
    assert (out / "notes.txt").read_text() == "mine" and (out / "simulation_daily_old.csv").read_text() == "mine too"
    from scheduler.compare import run_plans

    cmp = tmp_path / "cmp"
    run_plans([str(SCENARIOS / "double11.yaml")], cmp, overrides=tuple(TINY), jobs=1)
    assert (cmp / "double11" / "simulation_daily.csv").exists()
    said = []
    run_plans([str(SCENARIOS / "double11.yaml")], cmp, overrides=tuple(TINY), jobs=1, reuse=False, simulate=False,
              progress=said.append)
    assert f"double11: removed simulation_daily.csv of an earlier run from {cmp / 'double11'}/ (not written by this one)" \
        in said, said
    assert not (cmp / "double11" / "simulation_daily.csv").exists()


def _refuse_temp_files_in(monkeypatch, folder):
    """No file can be created in ``folder`` (a read-only folder)."""
    import errno
    import tempfile
    from pathlib import Path

    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == folder:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def _no_solve(monkeypatch):
    from scheduler import compare, pipeline

    def solve(*args, **kwargs):
        raise AssertionError("the forecast and solve started")

    monkeypatch.setattr(pipeline, "run_scenario", solve)
    monkeypatch.setattr(compare, "_run_one", solve)


def test_an_output_folder_that_cannot_be_written_is_one_line_before_the_solve(planned, tmp_path, monkeypatch):
    _no_solve(monkeypatch)
    (tmp_path / "a-file").write_text("x")
    line = _error_line(_run_tiny(tmp_path / "a-file" / "out"))
    assert str(tmp_path / "a-file" / "out") in line and "cannot write" in line
    out = tmp_path / "read-only"
    _refuse_temp_files_in(monkeypatch, out)
    line = _error_line(_run_tiny(out))
    assert str(out) in line and "Permission denied" in line
    line = _error_line(_run("compare", SCENARIOS / "double11.yaml", "-o", out, "--no-simulate"))
    assert str(out) in line and "Permission denied" in line
    _refuse_temp_files_in(monkeypatch, tmp_path / "cmp" / "double11")
    line = _error_line(_run("compare", SCENARIOS / "double11.yaml", "-o", tmp_path / "cmp", "--no-simulate"))
    assert str(tmp_path / "cmp" / "double11") in line and "Permission denied" in line


def test_a_roster_open_in_excel_is_named_before_the_solve(planned, tmp_path, monkeypatch):
    import errno
    import os
    from pathlib import Path

    out = tmp_path / "out"
    assert _run_tiny(out).exit_code == 0
    real = os.open

    def open_(path, flags, *args, **kwargs):
        if Path(path).name == "roster.xlsx" and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    r = _run_tiny(out)
    assert r.exit_code == 0, r.output
    assert f"warning: {out / 'roster.xlsx'} cannot be opened for writing now (Permission denied)" in r.output
    assert "Excel" in r.output


def _commands():
    return sorted(main.commands)


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _commands():
        r = _run(name, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output, name
        assert re.search(rf"scheduler {re.escape(name)}\b", readme), f"'scheduler {name}' is not described in README.md"


def test_misspelt_uplift_names_the_key_value_and_the_calendar_events(case):
    sc, files = case
    files["calendar"].write_text(CALENDAR + "national_day,holiday,2026-10-01,2026-10-07,,\n")
    r = _run("run", sc, "--set", "forecast.uplift.doubel11=3.0")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output == (f"Error: {sc}: forecast.uplift.doubel11: no event named 'doubel11' in the calendar "
                        f"{files['calendar']} (got 3); did you mean 'double11'? expected an event's name: "
                        "double11 (promotion), national_day (holiday)\n")
