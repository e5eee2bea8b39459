"""`scheduler erlang` and `scheduler requirements` as a user runs them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from scheduler.cli import main

from conftest import SCENARIOS

QUEUES = ("voice_presales", "voice_aftersales", "chat", "email", "complaints_major", "complaints_normal")


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_erlang_prints_required_agents_and_a_table_around_it():
    r = _run("erlang", "--volume", "100", "--interval-min", "30", "--aht-s", "180", "--answer-within-s", "20",
             "--target-sl", "0.8", "--max-occupancy", "0.85", "--shrinkage", "0.3")
    assert r.exit_code == 0, r.output
    assert "Erlang C (M/M/n), load 10.000 Erl, SL definition: offered" in r.output
    assert "required agents: 14 (rostered with shrinkage 0.3: 20)" in r.output
    assert "     14   0.8884       7.84   0.0000    0.7143   0.1741 <" in r.output


def test_erlang_json_with_patience_names_the_model_and_definition():
    r = _run("erlang", "--volume", "360", "--interval-min", "30", "--aht-s", "240", "--answer-within-s", "20",
             "--target-sl", "0.8", "--patience-s", "90", "--json", "--rows", "1")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["model"] == "Erlang A (M/M/n+M)" and out["sl_definition"] == "offered" and out["required"] == 48
    assert [row["agents"] for row in out["table"]] == [47, 48, 49]
    assert out["table"][1]["service_level"] == pytest.approx(0.8210283705, abs=1e-9)


def test_erlang_usage_errors_exit_2():
    r = _run("erlang", "--volume", "-1", "--aht-s", "180", "--answer-within-s", "20", "--target-sl", "0.8")
    assert r.exit_code == 2 and "--volume" in r.output


def _forecast_csv(path, days=1):
    ds = pd.date_range("2026-11-02", periods=96 * days, freq="15min")
    rows = []
    for q in QUEUES:
        vol = [30.0 if 8 <= t.hour < 22 else 0.0 for t in ds]
        rows.append(pd.DataFrame({"ds": ds.strftime("%Y-%m-%d %H:%M"), "queue": q, "volume": vol,
                                  "volume_lo": vol, "volume_hi": vol, "model": "test"}))
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_requirements_from_a_forecast_file(tmp_path):
    fc = _forecast_csv(tmp_path / "forecast.csv")
    out = tmp_path / "req.csv"
    r = _run("requirements", "--scenario", str(SCENARIOS / "double11.yaml"), "--forecast", str(fc), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "wrote 576 rows" in r.output
    t = pd.read_csv(out)
    assert {"interval_start", "queue", "volume", "required", "service_level", "kind", "sl_definition"} <= set(t.columns)
    assert (t.loc[t["volume"] == 0, "required"].where(t["kind"] == "live", 0) == 0).all()
    assert t.loc[t["queue"] == "chat", "required"].max() > 0


def test_requirements_bad_forecast_file_is_one_clear_line(tmp_path):
    fc = tmp_path / "forecast.csv"
    fc.write_text("ds,queue,volume\n2026-11-02 00:00,chat,-3\n")
    r = _run("requirements", "--scenario", str(SCENARIOS / "double11.yaml"), "--forecast", str(fc), "-o",
             str(tmp_path / "o.csv"))
    assert r.exit_code == 1
    assert f"Error: {fc}, row 2, column 'volume'" in r.output


def test_requirements_name_the_forecast_file_and_the_horizon_days_it_misses(tmp_path):
    """A forecast file without a queue of the scenario is named in the error (it named no file); one that covers
    one day of the 28-day horizon gets a warning saying which days have no requirement (it was silent)."""
    fc = _forecast_csv(tmp_path / "forecast.csv")
    frame = pd.read_csv(fc)
    frame[frame["queue"] != "email"].to_csv(tmp_path / "no_email.csv", index=False)
    r = _run("requirements", "--scenario", str(SCENARIOS / "double11.yaml"), "--forecast", str(tmp_path / "no_email.csv"),
             "-o", str(tmp_path / "o.csv"))
    assert r.exit_code == 1 and f"{tmp_path / 'no_email.csv'}: forecast has no rows for queue(s) 'email'" in r.output
    r = _run("requirements", "--scenario", str(SCENARIOS / "double11.yaml"), "--forecast", str(fc), "-o",
             str(tmp_path / "o.csv"))
    assert r.exit_code == 0 and f"warning: {fc} has no rows on 27 of the scenario's 28 horizon days" in r.output


@pytest.mark.slow
def test_requirements_without_forecast_runs_the_forecast_stage(tmp_path):
    out = tmp_path / "req.csv"
    r = _run("requirements", "--scenario", str(SCENARIOS / "baseline.yaml"), "-o", str(out))
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out)
    assert len(t) == 6 * 28 * 96 and t["required"].max() > 0
