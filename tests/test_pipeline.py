"""Pipeline glue: what each stage receives from the scenario."""

from __future__ import annotations

import pandas as pd
import pytest

from scheduler.pipeline import (AtomicWriter, add_hired_agents, history_before_horizon, load_inputs, net_volume,
                                run_forecast_stage)
from scheduler.scenario import load_scenario

from conftest import SCENARIOS, refuse_replace


@pytest.fixture(scope="module")
def double11():
    return load_scenario(SCENARIOS / "double11.yaml", ["queues.complaints_major.forecast_model=seasonal_naive"])


@pytest.fixture(scope="module")
def inputs(double11):
    return load_inputs(double11)


def test_forecast_uses_only_history_before_the_horizon_and_honours_pins(double11, inputs):
    h = history_before_horizon(inputs.history, double11)
    assert h["ds"].max() < pd.Timestamp(double11.horizon.start)
    result = run_forecast_stage(double11, inputs)
    assert result.models["complaints_major"] == "seasonal_naive"
    f = result.frame
    assert f["ds"].min() == pd.Timestamp("2026-11-02") and f["ds"].max() == pd.Timestamp("2026-11-29 23:45")
    assert len(f) == 6 * 28 * 96


def test_a_plan_with_the_same_forecast_inputs_reuses_the_forecast_and_any_change_refits(double11, inputs, monkeypatch):
    """Plans of one comparison share the forecast when its inputs are the same (by content); a changed
    history row, horizon or forecast setting fits again."""
    import dataclasses

    from scheduler import forecast, pipeline

    fits = []
    real = forecast.run_forecast
    monkeypatch.setattr(forecast, "run_forecast", lambda *a, **k: fits.append(1) or real(*a, **k))
    monkeypatch.setattr(pipeline, "_FORECASTS", {})
    fast = ["forecast.model=seasonal_naive", "forecast.backtest_folds=1", "horizon.start=2026-11-10"]
    short = load_scenario(SCENARIOS / "double11.yaml", [*fast, "horizon.days=2"])
    first = run_forecast_stage(short, inputs)
    again = run_forecast_stage(short, dataclasses.replace(inputs, history=inputs.history.copy()))
    assert len(fits) == 1 and again is not first and again.frame.equals(first.frame) and again.models == first.models
    again.frame["volume"] = 0.0                 # a caller changing its copy does not change the kept forecast
    assert run_forecast_stage(short, inputs).frame.equals(first.frame) and len(fits) == 1
    history = inputs.history.copy()
    history.loc[history.index[-1], "volume"] += 1.0
    run_forecast_stage(short, dataclasses.replace(inputs, history=history))
    run_forecast_stage(load_scenario(SCENARIOS / "double11.yaml", [*fast, "horizon.days=3"]), inputs)
    run_forecast_stage(load_scenario(SCENARIOS / "double11.yaml", [*fast, "horizon.days=2", "forecast.uplift.double11=2.0"]),
                       inputs)
    assert len(fits) == 4


def test_net_volume_applies_scale_and_deflection():
    s = load_scenario(SCENARIOS / "double11_chat_deflection.yaml", ["forecast.scale.email=2"])
    frame = pd.DataFrame({"ds": pd.to_datetime(["2026-11-02 10:00"] * 3), "queue": ["chat", "email", "voice_presales"],
                          "volume": [100.0, 10.0, 5.0], "volume_lo": [80.0, 8.0, 4.0], "volume_hi": [120.0, 12.0, 6.0]})
    out = net_volume(frame, s)
    assert out["volume"].tolist() == pytest.approx([85.0, 20.0, 5.0])
    assert out["volume_hi"].tolist() == pytest.approx([102.0, 24.0, 6.0])
    assert frame["volume"].iloc[0] == 100.0


def test_hired_agents_are_unavailable_before_their_start(double11, inputs, tmp_path):
    s = load_scenario(SCENARIOS / "double11.yaml", [
        "hiring=[{team: tier1, count: 3, start: 2026-11-09, contract: full_time, skills: [chat]}]"])
    agents = add_hired_agents(inputs.agents, s)
    new = agents.iloc[len(inputs.agents):]
    assert len(new) == 3 and set(new["team"]) == {"tier1"}
    assert all(len(u) == 7 and max(u).isoformat() == "2026-11-08" for u in new["unavailable"])


def test_atomic_writer_leaves_old_files_on_abort(tmp_path):
    (tmp_path / "a.csv").write_text("old")
    w = AtomicWriter(tmp_path)
    w.write_text("a.csv", "new")
    w.abort()
    assert (tmp_path / "a.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    w = AtomicWriter(tmp_path)
    w.write_text("a.csv", "new")
    w.commit()
    assert (tmp_path / "a.csv").read_text() == "new"


def test_per_interval_soft_mode_from_the_scenario_meets_every_interval_the_agents_can_reach():
    """solver.per_interval=soft reaches the optimizer: on two quiet days of the sample every live interval has
    its required agents, but the first night before any shift of the horizon starts (07:00), which the plan
    lists (findings coverage and horizon_start)."""
    # 12 s of wall clock: at 8 s, with the suite's other worker and a busy loop sharing the two cores, one run
    # in three ended 0.02 effective agents short at 22:00-23:30 (five runs at 12 s under that load met them)
    from datetime import date

    from scheduler import columns as C
    from scheduler.pipeline import run_scenario

    sc = load_scenario(SCENARIOS / "double11.yaml", [
        "horizon.start=2026-11-03", "horizon.days=2", "solver.time_limit_s=12", "solver.per_interval=soft",
        "forecast.model=seasonal_naive", "forecast.backtest_folds=1"])
    roster = run_scenario(sc, simulate=False).roster
    live = [q for q, spec in sc.queues.items() if spec.is_live]
    cov = roster.coverage[roster.coverage[C.QUEUE_OR_GROUP].isin(live)]
    short = cov[cov[C.SCHEDULED] < cov[C.REQUIRED] - 0.01]
    assert len(short) and (short[C.INTERVAL_START].dt.hour < 7).all()
    assert (short[C.INTERVAL_START].dt.date == date(2026, 11, 3)).all()
    found = roster.soft_violations
    assert set(found.loc[found["rule"] == "coverage", "scope"].str.split().str[0]) == set(short[C.QUEUE_OR_GROUP])


def test_run_reports_the_forecast_warnings_as_they_come(double11, inputs, monkeypatch):
    # they were only in summary.json: e.g. that seasonal_naive ignores forecast.uplift
    import scheduler.staffing
    from scheduler import pipeline
    from scheduler.forecast import ForecastResult

    frame = pd.DataFrame({"ds": pd.to_datetime(["2026-11-02 10:00"]), "queue": ["chat"], "volume": [1.0]})
    warning = "queue 'chat': model seasonal_naive ignores forecast.uplift (double11): the uplift is not applied"
    monkeypatch.setattr(pipeline, "run_forecast_stage", lambda sc, inp: ForecastResult(frame=frame, warnings=[warning]))

    class Stop(Exception):
        pass

    def stop(*a, **k):
        raise Stop

    monkeypatch.setattr(scheduler.staffing, "build_requirements", stop)
    said = []
    with pytest.raises(Stop):
        pipeline.run_scenario(double11, inputs=inputs, progress=said.append)
    assert f"warning: {warning}" in said
    assert said.index(f"warning: {warning}") == 1     # after "forecasting ...", before the requirements


def _files(folder):
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_commit_that_cannot_replace_one_file_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    from scheduler.errors import SchedulerError

    for name in ("a.csv", "b.xlsx", "c.csv"):
        (tmp_path / name).write_text(f"old {name}")
    w = AtomicWriter(tmp_path)
    for name in ("a.csv", "b.xlsx", "c.csv"):
        w.write_text(name, f"new {name}")
    refuse_replace(monkeypatch, "b.xlsx")
    with pytest.raises(SchedulerError) as err:
        w.commit()
    message = str(err.value)
    assert "\n" not in message
    for needle in (str(tmp_path / "b.xlsx"), "Permission denied", "Excel", "left as it was"):
        assert needle in message, message
    assert _files(tmp_path) == {n: f"old {n}" for n in ("a.csv", "b.xlsx", "c.csv")}


def test_a_commit_that_fails_after_placing_files_takes_them_back(tmp_path, monkeypatch):
    """a.csv and b.csv are replaced, c.csv (new) cannot be put in place: a.csv and b.csv get their old
    contents back and no new file stays."""
    from scheduler.errors import SchedulerError

    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(f"old {name}")
    w = AtomicWriter(tmp_path)
    for name in ("a.csv", "b.csv", "c.csv"):
        w.write_text(name, f"new {name}")
    refuse_replace(monkeypatch, "c.csv", only_new=True)
    with pytest.raises(SchedulerError, match="c.csv"):
        w.commit()
    assert _files(tmp_path) == {"a.csv": "old a.csv", "b.csv": "old b.csv"}


def test_a_commit_removes_the_known_outputs_it_did_not_write_and_nothing_else(tmp_path, monkeypatch):
    from scheduler.errors import SchedulerError

    for name in ("a.csv", "stale.csv", "notes.txt"):
        (tmp_path / name).write_text(f"old {name}")
    known = {"a.csv", "stale.csv", "never.csv"}
    w = AtomicWriter(tmp_path, known_names=known)
    w.write_text("a.csv", "new a.csv")
    refuse_replace(monkeypatch, "a.csv")
    with pytest.raises(SchedulerError):
        w.commit()
    assert _files(tmp_path) == {n: f"old {n}" for n in ("a.csv", "notes.txt", "stale.csv")}
    monkeypatch.undo()
    w = AtomicWriter(tmp_path, known_names=known)
    w.write_text("a.csv", "new a.csv")
    assert [p.name for p in w.commit()] == ["a.csv"]
    assert [p.name for p in w.removed] == ["stale.csv"]
    assert _files(tmp_path) == {"a.csv": "new a.csv", "notes.txt": "old notes.txt"}


def test_a_single_file_that_cannot_be_replaced_is_one_line_and_kept(tmp_path, monkeypatch):
    """check -o and export write roster.xlsx through atomic_path."""
    from scheduler.errors import SchedulerError
    from scheduler.io.atomic import atomic_path

    path = tmp_path / "roster.xlsx"
    path.write_text("old")
    refuse_replace(monkeypatch, "roster.xlsx")
    with pytest.raises(SchedulerError) as err:
        with atomic_path(path) as tmp:
            tmp.write_text("new")
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "Permission denied" in message and "Excel" in message
    assert _files(tmp_path) == {"roster.xlsx": "old"}


def test_an_output_folder_is_checked_by_creating_and_removing_a_probe(tmp_path, monkeypatch):
    import errno
    import tempfile

    from scheduler.errors import SchedulerError
    from scheduler.io.atomic import check_output_folder

    check_output_folder(tmp_path / "new" / "run")
    assert list((tmp_path / "new" / "run").iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(SchedulerError, match="file"):
        check_output_folder(tmp_path / "file" / "run")

    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SchedulerError) as err:
        check_output_folder(tmp_path / "new")
    assert "\n" not in str(err.value) and str(tmp_path / "new") in str(err.value)
    assert "Permission denied" in str(err.value)
