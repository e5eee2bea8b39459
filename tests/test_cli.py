"""The CLI as a new user meets it: bad inputs give one clear line and exit 1, nothing overwritten."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from scheduler.cli import main

from conftest import ROOT, SCENARIOS

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
