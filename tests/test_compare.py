"""`scheduler compare`: the workbook, plots and report, and figures that match each plan's summary.json."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from scheduler.cli import main

from conftest import SCENARIOS

SHORT = ["--set", "horizon.start=2026-11-10", "--set", "horizon.days=3", "--set", "solver.time_limit_s=5",
         "--set", "solver.workers=2", "--set", "forecast.backtest_folds=1"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    res = CliRunner().invoke(main, ["compare", str(SCENARIOS / "double11.yaml"), str(SCENARIOS / "double11_no_overflow.yaml"),
                                    "-o", str(out), "--no-simulate", "-j", "2", *SHORT])
    assert res.exit_code == 0, res.output
    return out, res.output


def _column(ws, name):
    header = [c.value for c in ws[1]]
    j = header.index(name)
    return {row[0].value: row[j].value for row in ws.iter_rows(min_row=2) if row[0].value}


def test_compare_writes_workbook_plots_and_report(compared):
    out, stdout = compared
    for name in ("comparison.xlsx", "required_vs_scheduled.png", "daily_service_level.png", "cost_breakdown.png",
                 "report.md"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text(encoding="utf-8")
    for png in ("required_vs_scheduled.png", "daily_service_level.png", "cost_breakdown.png"):
        assert f"]({png})" in report
    assert "double11_no_overflow" in stdout and "paid hours total" in stdout
    wb = openpyxl.load_workbook(out / "comparison.xlsx")
    assert wb.sheetnames == ["Comparison", "Per day"]


def test_compare_figures_match_each_plans_summary(compared):
    out, _ = compared
    ws = openpyxl.load_workbook(out / "comparison.xlsx")["Comparison"]
    for plan in ("double11", "double11_no_overflow"):
        s = json.loads((out / plan / "summary.json").read_text(encoding="utf-8"))
        col = _column(ws, plan)
        assert col["cost total"] == pytest.approx(s["total_cost"])
        assert col["paid hours total"] == pytest.approx(sum(s["paid_hours_by_team"].values()))
        for team, h in s["paid_hours_by_team"].items():
            assert col[f"paid hours {team}"] == pytest.approx(h)
        assert col["overflow hours"] == pytest.approx(s["overflow_hours"])
        assert col["overtime hours"] == pytest.approx(s["overtime_hours"])
        assert col["hard violations"] == s["hard_violations"] == 0
        expected = [v["expected"] for day in s["service_level_by_day"].values() for v in day.values()
                    if v.get("expected") is not None]
        assert col["worst day SL (expected)"] == pytest.approx(min(expected))
    no_overflow = _column(ws, "double11_no_overflow")
    assert no_overflow["overflow hours"] == 0
    per_day = openpyxl.load_workbook(out / "comparison.xlsx")["Per day"]
    assert per_day.max_row - 1 == 3 * 3  # 3 days × 3 live queues


def test_compare_reuses_a_plan_only_when_made_from_the_same_scenario(compared, monkeypatch):
    import scheduler.compare as cmp

    out, _ = compared
    ran = []
    monkeypatch.setattr(cmp, "_run_one", lambda path, overrides, outdir, simulate: ran.append(outdir) or [])
    cmp.run_plans([str(SCENARIOS / "double11.yaml")], out, overrides=tuple(SHORT[1::2]), simulate=False)
    assert ran == []  # same overrides: the 3-day plan is reused
    cmp.run_plans([str(SCENARIOS / "double11.yaml")], out, simulate=False)
    assert ran == [str(out / "double11")]  # the scenario's own 28-day plan is not the 3-day one: it is run


def test_deferred_queues_past_their_deadline_come_from_the_simulation(compared):
    import scheduler.compare as cmp
    from scheduler.scenario import load_scenario

    out, stdout = compared
    assert "complaints_major past 2 h deadline (simulated)" in stdout      # no simulation here: shown as –
    sc = load_scenario(out / "double11" / "scenario.yaml")
    plan = cmp.read_plan_outputs(out / "double11", sc)
    plan.summary["simulation"] = {"overall": [{"queue": "complaints_major", "past_deadline_share": 0.25},
                                              {"queue": "voice_presales", "service_level": 0.9}]}
    metrics = cmp.plan_metrics(plan)
    assert metrics["complaints_major past 2 h deadline (simulated)"] == 0.25
    assert metrics["email past 48 h deadline (simulated)"] is None
    assert "voice_presales past" not in " ".join(metrics)
    assert cmp._fmt(0.25, "complaints_major past 2 h deadline (simulated)") == "25.0 %"


def test_the_plot_shows_the_same_peak_week_as_the_workbook():
    """required_vs_scheduled.png covers the Monday-Sunday week the workbook's Coverage sheet calls the peak week
    (before: the peak day ± 3 days, Sun 8 - Sat 14 Nov on the sample 11.11 plan against Mon 9 - Sun 15)."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from scheduler import columns as C
    from scheduler.compare import _peak_window
    from scheduler.io.excel import peak_week

    t = pd.date_range("2026-11-02", periods=28 * 24, freq="h")
    volume = np.where(t.normalize() == pd.Timestamp("2026-11-11"), 50.0, 10.0)
    volume[t.normalize() == pd.Timestamp("2026-11-08")] = 30.0       # a busy Sunday before the peak week
    cov = pd.DataFrame({C.INTERVAL_START: t, C.FORECAST_VOLUME: volume})
    start, end = _peak_window([SimpleNamespace(coverage=cov)])
    week = peak_week(cov)
    assert (start, end) == (pd.Timestamp(week[0]), pd.Timestamp(week[-1]) + pd.Timedelta(days=1))
    assert start == pd.Timestamp("2026-11-09") and start.weekday() == 0


def test_a_stored_scenario_yaml_that_is_not_utf8_means_run_again(tmp_path):
    # the reuse check read the plan folder's scenario.yaml as UTF-8 and let UnicodeDecodeError escape
    from scheduler.compare import _is_fresh
    from scheduler.scenario import load_scenario

    for name in ("summary.json", "coverage.csv"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "scenario.yaml").write_bytes(b"name: caf\xe9\n")
    assert _is_fresh(tmp_path, SCENARIOS / "double11.yaml", load_scenario(SCENARIOS / "double11.yaml")) is False


def test_the_daily_service_level_plot_of_a_one_day_plan_spans_that_day(tmp_path, monkeypatch, caplog):
    """A one-day horizon autoscaled the date axis to ~4 years, whose day ticks (1,607, over matplotlib's limit) took
    ~18-27 s to lay out per plot; the axis now spans the plans' days."""
    import logging
    from types import SimpleNamespace

    import pandas as pd

    import scheduler.compare as cmp
    from scheduler.scenario import load_scenario

    sc = load_scenario(SCENARIOS / "double11.yaml")
    live = [q for q, s in sc.queues.items() if s.is_live]
    one_day = pd.DataFrame({"date": [pd.Timestamp("2026-11-11").date()] * len(live), "queue": live,
                            "expected": [0.8] * len(live), "simulated": [float("nan")] * len(live),
                            "target": [0.8] * len(live)})
    monkeypatch.setattr(cmp, "daily_service_levels", lambda p: one_day)
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        cmp.plot_daily_service_level([SimpleNamespace(name="a", scenario=sc)], tmp_path / "dsl.png")
    assert (tmp_path / "dsl.png").stat().st_size > 0
    assert not [r for r in caplog.records if "MAXTICKS" in r.getMessage()]
