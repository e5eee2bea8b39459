"""`scheduler forecast` and `scheduler backtest`: files in, files out, errors naming file/row/column."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from forecast_synth import make_history
from scheduler.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fc")
    hist, cal, _ = make_history(start="2025-05-01", end="2025-10-31", interval_min=60, queues=("chat", "voice"), seed=11)
    hist = hist.drop(columns="aht_s").assign(ds=hist["ds"].dt.strftime("%Y-%m-%d %H:%M"))
    hist.to_csv(d / "history.csv", index=False)
    for c in ("start", "end", "peak"):
        cal[c] = cal[c].dt.strftime("%Y-%m-%d")
    cal.to_csv(d / "calendar.csv", index=False)
    return d


def test_forecast_writes_csv_and_plot(files):
    out, png = files / "f.csv", files / "f.png"
    r = CliRunner().invoke(main, ["forecast", "--history", str(files / "history.csv"), "--calendar", str(files / "calendar.csv"),
                                  "--start", "2025-11-01", "--days", "7", "--interval-min", "60", "--folds", "2",
                                  "-o", str(out), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(out)
    assert list(f.columns) == ["ds", "queue", "volume", "volume_lo", "volume_hi", "model"]
    assert len(f) == 2 * 7 * 24 and f["ds"].iloc[0] == "2025-11-01 00:00"
    assert png.stat().st_size > 1000
    assert "no yearly season" in r.output        # progress/warnings on stderr (mixed in by CliRunner)


def test_backtest_table_and_json(files):
    args = ["backtest", "--history", str(files / "history.csv"), "--calendar", str(files / "calendar.csv"),
            "--horizon-days", "7", "--folds", "2", "--model", "seasonal_naive", "--model", "calendar_regression"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "MASE" in r.output and "calendar_regression" in r.output
    r = CliRunner().invoke(main, args + ["--json"])
    rows = json.loads(r.stdout)
    assert {r["model"] for r in rows} == {"seasonal_naive", "calendar_regression"}
    assert {"mase", "wape", "bias", "rmse", "coverage"} <= set(rows[0])


@pytest.mark.parametrize("text, needle", [
    ("ds,queue,volume\n2025-10-01 00:00,chat,1\n2025-10-01 01:00,chat,-4\n", "row 3, column 'volume': out of range (got '-4')"),
    ("ds,queue,volume\n2025-10-01 25:00,chat,1\n", "row 2, column 'ds': not a timestamp"),
    ("ds,queue\n2025-10-01 00:00,chat\n", "missing column 'volume'"),
])
def test_bad_history_named_by_file_row_column(files, tmp_path, text, needle):
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["forecast", "--history", str(p), "--start", "2025-11-01", "--days", "7", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1
    assert str(p) in r.output and needle in r.output


def test_bad_calendar_named_by_file_row_column(files, tmp_path):
    p = tmp_path / "cal.csv"
    p.write_text("name,kind,start,end,peak,uplift\ndouble11,promotion,2025-10-20,2025-11-30,2025-12-11,\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["forecast", "--history", str(files / "history.csv"), "--calendar", str(p),
                                  "--start", "2025-11-01", "--days", "7", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1
    assert f"{p}, row 2, column 'peak': peak day lies outside start..end" in r.output


def test_daily_history_with_interval_is_a_clear_error(tmp_path):
    p = tmp_path / "daily.csv"
    p.write_text("ds,volume\n" + "".join(f"2025-10-{d:02d} 00:00,{100 + d}\n" for d in range(1, 31)), encoding="utf-8")
    r = CliRunner().invoke(main, ["forecast", "--history", str(p), "--start", "2025-11-01", "--days", "7",
                                  "--interval-min", "15", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1 and "daily totals" in r.output and "interval_min=1440" in r.output


def test_regressors_file_errors_name_file_row_column(files, tmp_path):
    p = tmp_path / "regs.csv"
    p.write_text("ds,sale\n2025-10-01,1\n2025-10-02,lots\n01/10/2025,2\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["forecast", "--history", str(files / "history.csv"), "--start", "2025-11-01", "--days", "7",
                                  "--regressors", str(p), "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1
    assert f"{p}, row 3, column 'sale': not a number (got 'lots')" in r.output
    assert f"{p}, row 4, column 'ds': not a date (got '01/10/2025')" in r.output


def test_regressors_not_covering_the_horizon(files, tmp_path):
    p = tmp_path / "regs.csv"
    days = pd.date_range("2025-05-01", "2025-11-03")
    p.write_text("ds,sale\n" + "".join(f"{d.date()},{d.day % 3}\n" for d in days), encoding="utf-8")
    r = CliRunner().invoke(main, ["forecast", "--history", str(files / "history.csv"), "--start", "2025-11-01", "--days", "7",
                                  "--interval-min", "60", "--model", "calendar_regression", "--regressors", str(p),
                                  "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1
    assert "regressor dates do not cover the forecast: 4 date(s) missing, first 2025-11-04" in r.output
