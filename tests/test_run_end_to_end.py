"""The main job end to end on the sample data (slow): run → workbook → supervisor edit → run --lock."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from scheduler.cli import main
from scheduler.scenario import load_scenario

from conftest import SCENARIOS

pytestmark = pytest.mark.slow

QUICK = ["--set", "horizon.start=2026-11-09", "--set", "horizon.days=7", "--set", "solver.time_limit_s=30"]


def _run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


def test_run_writes_every_file_and_a_valid_roster(tmp_path):
    out = tmp_path / "d11"
    _run("-q", "run", SCENARIOS / "double11.yaml", "-o", out, *QUICK)
    names = {p.name for p in out.iterdir()}
    assert {"roster.xlsx", "assignments.csv", "breaks.csv", "coverage.csv", "summary.json", "scenario.yaml"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    s = json.loads((out / "summary.json").read_text())
    assert s["hard_violations"] == 0 and s["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    a = pd.read_csv(out / "assignments.csv")
    assert abs(a["paid_h"].sum() - sum(s["paid_hours_by_team"].values())) < 1e-6
    # the resolved scenario reloads to the same plan settings
    assert load_scenario(out / "scenario.yaml").horizon.days == 7

    # a supervisor gives A001 a day off on a day they work, and the plan is re-optimised around it
    wb = openpyxl.load_workbook(out / "roster.xlsx")
    ws = wb["Roster"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == a["agent_id"].iloc[0])
    agent = row[0].value
    day_cols = [i for i, h in enumerate(header) if hasattr(h, "year")]
    col = next(i for i in day_cols if row[i].value not in ("OFF", "LEAVE"))
    day = header[col].date()
    row[col].value = "LEAVE"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out2 = tmp_path / "relocked"
    r = _run("run", SCENARIOS / "double11.yaml", "-o", out2, "--lock", edited, "--no-simulate", *QUICK)
    assert "locked cells kept" in r.output
    s2 = json.loads((out2 / "summary.json").read_text())
    assert s2["hard_violations"] == 0
    assert s2["locks"]["kept"] == s2["locks"]["locked_cells"] >= 1
    assert any(e["agent_id"] == agent and e["now"] == "LEAVE" for e in s2["locks"]["edits"])
    a2 = pd.read_csv(out2 / "assignments.csv")
    assert a2[(a2["agent_id"] == agent) & (a2["date"] == day.isoformat())].empty
