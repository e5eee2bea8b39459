"""`scheduler simulate` from a run's files: tables, JSON, the CSV report, clear errors."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from scheduler import columns as C
from scheduler.cli import main
from simulate_factories import BASE, deep_update, flat_forecast, make_agents

START = date(2026, 1, 5)


@pytest.fixture
def run_dir(tmp_path):
    """A scenario file, agents.csv and a run folder (assignments.csv, breaks.csv, forecast.csv)."""
    doc = deep_update(BASE, {
        "data": {"history": str(tmp_path / "history.csv"), "agents": str(tmp_path / "agents.csv")},
        "queues": {"email": {"channel": "email", "aht_s": 480, "sla": {"resolve_within_h": 24}, "teams": ["tier1"]}},
        "shifts": {"day": {"starts": ["08:00", "09:00"], "breaks": [
            {"kind": "meal", "length_min": 30, "earliest_after_min": 180, "latest_after_min": 300, "paid": False}]}},
    })
    doc["horizon"]["start"] = START.isoformat()
    doc["horizon"]["days"] = 1
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    agents = make_agents({"tier1": 6}, {"tier1": ("voice", "email")})
    agents.assign(skills=agents["skills"].map(";".join)).drop(columns=["unavailable"]).to_csv(
        tmp_path / "agents.csv", index=False)
    run = tmp_path / "run"
    run.mkdir()
    rows, brk = [], []
    for i, a in enumerate(agents["agent_id"]):
        s = pd.Timestamp(START) + pd.Timedelta(hours=8 + i % 2)
        rows.append({"agent_id": a, "team": "tier1", "date": START.isoformat(), "shift": s.strftime("D%H%M"),
                     "start": s.strftime("%Y-%m-%d %H:%M"), "end": (s + pd.Timedelta(hours=8)).strftime("%Y-%m-%d %H:%M"),
                     "paid_h": 7.5})
        b = s + pd.Timedelta(hours=3, minutes=15 * i)
        brk.append({"agent_id": a, "start": b.strftime("%Y-%m-%d %H:%M"),
                    "end": (b + pd.Timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M"), "kind": "meal"})
    pd.DataFrame(rows).to_csv(run / "assignments.csv", index=False)
    pd.DataFrame(brk).to_csv(run / "breaks.csv", index=False)
    fc = flat_forecast({"voice": 40, "email": 4}, START, 1)
    hours = fc["ds"].dt.hour
    fc.loc[(hours < 8) | (hours >= 17), ["volume", "volume_lo", "volume_hi"]] = 0.0
    fc["ds"] = fc["ds"].dt.strftime("%Y-%m-%d %H:%M")
    fc.to_csv(run / "forecast.csv", index=False)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_simulate_prints_tables(run_dir):
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run" / "assignments.csv", "--reps", 3)
    assert r.exit_code == 0, r.output
    assert "simulated 3 replication(s), seed 1" in r.output
    line = next(x for x in r.output.splitlines() if x.startswith("voice "))
    assert "offered" in line and "±" in line
    assert any(x.startswith("email ") for x in r.output.splitlines())
    assert "breaks started late" in r.output
    assert "using the forecast of the run" in r.output          # progress goes to stderr (mixed here)


def test_simulate_json_is_reproducible(run_dir):
    args = ("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run", "--reps", 2, "--json")
    a, b = invoke(*args), invoke(*args)
    assert a.exit_code == 0, a.output
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    ja.pop("wall_time_s"), jb.pop("wall_time_s")
    assert ja == jb
    assert ja["reps"] == 2 and {q["queue"] for q in ja["overall"]} == {"voice", "email"}
    c = json.loads(invoke(*args, "--seed", 99).stdout)
    assert c["contacts_per_rep"] != ja["contacts_per_rep"]


def test_simulate_writes_the_report(run_dir, tmp_path):
    out = tmp_path / "reports" / "sim.csv"
    r = invoke("-q", "simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run", "--reps", 2, "-o", out)
    assert r.exit_code == 0, r.output
    q = pd.read_csv(out)
    t = pd.read_csv(tmp_path / "reports" / "sim_teams.csv")
    assert set(q["level"]) == {"interval", "day", "overall"}
    assert len(q[q["level"] == "interval"]) == 2 * 96
    assert q.loc[q["level"] == "overall", "period"].tolist() == ["all", "all"]
    assert q.loc[(q["level"] == "day") & (q["queue"] == "voice"), "period"].tolist() == ["2026-01-05"]
    assert {"service_level", "service_level_ci95", "asa_s", "abandon_rate", "overflow_share",
            "past_deadline_share", "sl_definition"} <= set(q.columns)
    overall = t[t["level"] == "overall"].iloc[0]
    assert overall["team"] == "tier1" and 0 < overall["occupancy"] < 1
    assert overall["available_h"] == pytest.approx(6 * 7.5, abs=1.0)   # 8 h shifts, 30 min meal (+ overtime)


def test_missing_breaks_file(run_dir):
    (run_dir / "run" / "breaks.csv").unlink()
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run" / "assignments.csv")
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == (
        f"Error: {run_dir / 'run'}: the run folder has no breaks.csv; run 'scheduler run' first")


def test_missing_roster(run_dir):
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "nowhere" / "assignments.csv")
    assert r.exit_code == 1
    assert "nowhere/assignments.csv: roster not found" in r.output


def test_simulate_a_supervisors_workbook(run_dir, tmp_path):
    """The same roster handed back as roster.xlsx gives the same simulation as the CSV files."""
    from scheduler.io.excel import read_run_outputs, write_roster_workbook
    from scheduler.io.tables import read_agents
    from scheduler.scenario import load_scenario

    sc = load_scenario(run_dir / "s.yaml")
    agents = read_agents(run_dir / "agents.csv")
    run = read_run_outputs(run_dir / "run")
    xlsx = write_roster_workbook(tmp_path / "roster.xlsx", scenario=sc, agents=agents, assignments=run["assignments"],
                                 breaks=run["breaks"], coverage=None, summary={})
    args = ("--scenario", run_dir / "s.yaml", "--forecast", run_dir / "run" / "forecast.csv", "--reps", 2, "--json")
    from_xlsx = invoke("simulate", "--roster", xlsx, *args)
    from_csv = invoke("simulate", "--roster", run_dir / "run", *args)
    assert from_xlsx.exit_code == 0, from_xlsx.output
    a, b = json.loads(from_xlsx.stdout), json.loads(from_csv.stdout)
    a.pop("wall_time_s"), b.pop("wall_time_s")
    assert a == b


def test_a_workbook_whose_breaks_left_their_shift_names_every_cell(run_dir, tmp_path):
    """A supervisor sets a day to OFF and leaves its breaks on the Breaks sheet: simulate names each of those
    breaks by its cell, as check does (before: the first one, as 'breaks, row 6' of an internal table)."""
    import openpyxl

    from scheduler.io.excel import read_run_outputs, write_roster_workbook
    from scheduler.io.tables import read_agents
    from scheduler.scenario import load_scenario

    sc = load_scenario(run_dir / "s.yaml")
    agents = read_agents(run_dir / "agents.csv")
    run = read_run_outputs(run_dir / "run")
    xlsx = write_roster_workbook(tmp_path / "roster.xlsx", scenario=sc, agents=agents, assignments=run["assignments"],
                                 breaks=run["breaks"], coverage=None, summary={})
    first = run["assignments"].iloc[0]
    n_breaks = int(((run["breaks"][C.AGENT_ID] == first[C.AGENT_ID])
                    & (pd.to_datetime(run["breaks"][C.SHIFT_START]) >= pd.Timestamp(first[C.SHIFT_START]))
                    & (pd.to_datetime(run["breaks"][C.SHIFT_END]) <= pd.Timestamp(first[C.SHIFT_END]))).sum())
    assert n_breaks >= 1
    book = openpyxl.load_workbook(xlsx)
    ws = book["Roster"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == first[C.AGENT_ID])
    col = next(c for c in range(1, ws.max_column + 1)
               if hasattr(ws.cell(1, c).value, "date") and ws.cell(1, c).value.date() == pd.Timestamp(first[C.DATE]).date())
    ws.cell(row, col).value = "OFF"
    book.save(xlsx)
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", xlsx, "--reps", 1)
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = [x for x in r.output.splitlines() if "Breaks!" in x]
    assert len(lines) == n_breaks and all("not inside any of the agent's shifts" in x for x in lines), r.output


def test_unknown_agent_in_roster(run_dir):
    p = run_dir / "run" / "assignments.csv"
    p.write_text(p.read_text().replace("tier1-003", "Z999", 1))
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", p)
    assert r.exit_code == 1
    assert f"{p}, row 5, column 'agent_id': agent not in the agents table (got 'Z999')" in r.output


def test_bad_forecast_cell(run_dir):
    p = run_dir / "run" / "forecast.csv"
    lines = p.read_text().splitlines()
    parts = lines[40].split(",")
    parts[2] = "lots"
    lines[40] = ",".join(parts)
    p.write_text("\n".join(lines) + "\n")
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run")
    assert r.exit_code == 1
    assert f"Error: {p}, row 41, column 'volume': not a number (got 'lots'); expected a number of contacts >= 0" in r.output


def write_allocation(run_dir, rows=None):
    """allocation.csv beside the roster: every agent on voice for its whole shift."""
    if rows is None:
        asg = pd.read_csv(run_dir / "run" / "assignments.csv")
        rows = []
        for a, s, e in zip(asg["agent_id"], asg["start"], asg["end"]):
            for t in pd.date_range(s, e, freq="15min", inclusive="left"):
                rows.append({"agent_id": a, "interval_start": t.strftime("%Y-%m-%d %H:%M"), "queue": "voice", "share": 1.0})
    pd.DataFrame(rows).to_csv(run_dir / "run" / "allocation.csv", index=False)


def test_simulate_follows_the_plans_allocation(run_dir):
    args = ("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run", "--reps", 2, "--json")
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["settings"]["routing"] == "dynamic"      # no allocation.csv: team priority
    write_allocation(run_dir)
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["settings"]["routing"] == "plan"
    assert "following the plan's activities" in r.stderr
    r = invoke(*args, "--routing", "dynamic")
    assert json.loads(r.stdout)["settings"]["routing"] == "dynamic"


def test_bad_allocation_cell(run_dir):
    write_allocation(run_dir, [{"agent_id": "tier1-000", "interval_start": "2026-01-05 08:00", "queue": "voice",
                                "share": 0.5},
                               {"agent_id": "tier1-000", "interval_start": "2026-01-05 08:00", "queue": "fax",
                                "share": 0.5}])
    r = invoke("simulate", "--scenario", run_dir / "s.yaml", "--roster", run_dir / "run")
    assert r.exit_code == 1
    assert (f"Error: {run_dir / 'run' / 'allocation.csv'}, row 3, column 'queue': unknown queue (got 'fax'); "
            "expected email | voice (queues of the scenario)") in r.output


def test_simulate_counts_the_previous_periods_night_on_duty(run_dir, tmp_path):
    """With data.previous_roster, two agents who worked 22:00-06:00 before the horizon are on duty until 06:00
    (as `scheduler run` simulates them): 2 × 6 h more available time than the roster alone."""
    previous = pd.DataFrame([{"agent_id": a, "team": "tier1", "date": "2026-01-04", "shift": "X2200",
                              "start": "2026-01-04 22:00", "end": "2026-01-05 06:00", "paid_h": 8.0}
                             for a in ("tier1-000", "tier1-001")])
    previous.to_csv(run_dir / "previous.csv", index=False)
    doc = yaml.safe_load((run_dir / "s.yaml").read_text())
    doc["data"]["previous_roster"] = str(run_dir / "previous.csv")
    (run_dir / "rolling.yaml").write_text(yaml.safe_dump(doc))

    def available(scenario):
        out = tmp_path / f"{scenario}.csv"
        r = invoke("-q", "simulate", "--scenario", run_dir / f"{scenario}.yaml", "--roster", run_dir / "run",
                   "--reps", 1, "-o", out)
        assert r.exit_code == 0, r.output
        t = pd.read_csv(tmp_path / f"{scenario}_teams.csv")
        return t[t["level"] == "overall"].iloc[0]["available_h"]

    assert available("rolling") - available("s") == pytest.approx(2 * 6.0, abs=0.01)
