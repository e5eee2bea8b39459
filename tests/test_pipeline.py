"""Pipeline glue: what each stage receives from the scenario."""

from __future__ import annotations

import pandas as pd
import pytest

from scheduler.pipeline import (AtomicWriter, add_hired_agents, history_before_horizon, load_inputs, net_volume,
                                run_forecast_stage)
from scheduler.scenario import load_scenario

from conftest import SCENARIOS


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
