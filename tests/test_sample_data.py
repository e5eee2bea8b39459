"""Invariants of the generated sample data (generated once per module)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scheduler.cli import main
from scheduler.errors import ScenarioError
from scheduler.io.tables import read_agents, read_calendar, read_history
from scheduler.sample_data import QUEUES, ensure_sample_data, generate_sample_data
from scheduler.scenario import load_scenario

from conftest import SCENARIOS


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIOS / "base.yaml")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    paths = generate_sample_data(out)
    return paths


@pytest.fixture(scope="module")
def history(sample):
    return read_history(sample["history"])


@pytest.fixture(scope="module")
def calendar(sample):
    return read_calendar(sample["calendar"])


@pytest.fixture(scope="module")
def agents(sample, base):
    return read_agents(sample["agents"], teams=set(base.teams), contracts=set(base.contracts), queues=set(base.queues))


@pytest.fixture(scope="module")
def daily(history):
    """Contacts per day (rows) and queue (columns)."""
    return history.assign(day=history["ds"].dt.floor("D")).pivot_table(
        index="day", columns="queue", values="volume", aggfunc="sum")


def events(calendar, name):
    rows = calendar[calendar["name"] == name]
    assert len(rows) > 0, f"no {name} in the calendar"
    return rows


def test_files_and_range(sample, history):
    assert [p.name for p in sample.values()] == ["history.csv", "calendar.csv", "agents.csv"]
    assert not [p for p in sample["history"].parent.iterdir() if p.name.endswith(".tmp")]
    assert history["ds"].min() == pd.Timestamp("2024-11-01 00:00")
    assert history["ds"].max() == pd.Timestamp("2026-10-31 23:45")
    assert set(history["queue"]) == set(QUEUES)


def test_queue_specs_match_base_scenario(base):
    assert set(QUEUES) == set(base.queues)
    for name, spec in QUEUES.items():
        q = base.queues[name]
        assert spec.aht_s == q.aht_s, name
        assert q.open_minutes == (spec.open_hour * 60, 1440), name


def test_deterministic_for_a_seed(sample, tmp_path):
    again = generate_sample_data(tmp_path / "again")
    for key, path in sample.items():
        assert again[key].read_bytes() == path.read_bytes(), key
    other = generate_sample_data(tmp_path / "other", seed=7, only=("history", "agents"))
    assert other["history"].read_bytes() != sample["history"].read_bytes()
    assert other["agents"].read_bytes() != sample["agents"].read_bytes()


def test_closed_intervals_have_no_rows_and_open_ones_all_do(history):
    per_queue = history.groupby("queue")
    days = history["ds"].dt.normalize().nunique()
    for name, rows in per_queue:
        hours = rows["ds"].dt.hour
        open_hour = QUEUES[name].open_hour
        assert (hours >= open_hour).all(), name
        assert len(rows) == days * (24 - open_hour) * 4, name
    assert history.loc[history["queue"] == "voice_presales", "ds"].dt.hour.min() == 8


def test_aht_around_the_scenario_value(history, base):
    contacts = history[history["volume"] > 0]
    assert history.loc[history["volume"] == 0, "aht_s"].isna().all()
    assert contacts["aht_s"].notna().all()
    for name, rows in contacts.groupby("queue"):
        mean = np.average(rows["aht_s"], weights=rows["volume"])
        assert mean == pytest.approx(base.queues[name].aht_s, rel=0.06), name


def test_chat_is_the_largest_channel_and_growth(daily):
    totals = daily.sum()
    assert totals.idxmax() == "chat"
    sep25 = daily.loc["2025-09-01":"2025-09-28"].sum()
    sep26 = daily.loc["2026-08-31":"2026-09-27"].sum()
    growth = sep26 / sep25
    assert growth[["chat", "voice_presales", "voice_aftersales", "email"]].between(1.08, 1.25).all(), growth


def test_intraday_shape(history):
    normal = history[history["ds"].between("2026-09-07", "2026-09-27 23:45")]
    hourly = normal.groupby(["queue", normal["ds"].dt.hour])["volume"].mean()
    for q in ("chat", "voice_presales"):
        h = hourly[q]
        assert h[[20, 21]].mean() == h.max() or h[[20, 21]].max() == h.max(), q   # evening peak
        assert h[12] < h[10] and h[12] < h[14], q                                 # lunch dip
    chat = hourly["chat"]
    assert chat[3] < 0.1 * chat.max()                                               # quiet nights
    assert chat[7] < chat[9] < chat[10]                                             # morning ramp


def test_double11_is_the_years_presales_maximum(daily, calendar):
    for peak in events(calendar, "double11")["peak"]:
        if peak > daily.index.max():
            continue
        year = daily.loc[peak - pd.Timedelta(days=182): peak + pd.Timedelta(days=182)]
        for q in ("voice_presales", "chat"):
            assert year[q].idxmax() == peak, (q, peak)
        assert year.loc[peak, "voice_presales"] > 2.5 * year["voice_presales"].median()


def test_midnight_spike_on_double11(history):
    chat = history[history["queue"] == "chat"].set_index("ds")["volume"]
    spike = chat["2025-11-11 00:00":"2025-11-11 00:45"].sum()
    week_before = chat["2025-11-04 00:00":"2025-11-04 00:45"].sum()
    evening_before = chat["2025-11-10 20:00":"2025-11-10 20:45"].sum()
    assert spike > 3 * week_before
    assert spike > evening_before


def test_aftersales_elevated_two_weeks_after_double11(daily, calendar):
    checked = 0
    for row in events(calendar, "double11").itertuples():
        if row.peak + pd.Timedelta(days=14) > daily.index.max() or row.start - pd.Timedelta(days=28) < daily.index.min():
            continue
        checked += 1
        before = daily.loc[row.start - pd.Timedelta(days=28): row.start - pd.Timedelta(days=1)].median()
        tail = daily.loc[row.peak + pd.Timedelta(days=1): row.peak + pd.Timedelta(days=14)]
        for q in ("voice_aftersales", "email", "complaints_normal"):
            assert (tail[q] > 1.15 * before[q]).all(), (q, row.peak)
        # after-sales lags the peak: its maximum comes after the peak day
        window = daily.loc[row.peak - pd.Timedelta(days=5): row.peak + pd.Timedelta(days=20), "voice_aftersales"]
        assert window.idxmax() > row.peak
    assert checked >= 1


def test_spring_festival_dip_and_rebound(daily, calendar):
    for row in events(calendar, "spring_festival").itertuples():
        ny = row.peak
        base = daily.loc[ny + pd.Timedelta(days=22): ny + pd.Timedelta(days=49)].median()
        dip = daily.loc[ny - pd.Timedelta(days=2): ny + pd.Timedelta(days=2)].mean()
        rebound = daily.loc[ny + pd.Timedelta(days=6): ny + pd.Timedelta(days=10)].mean()
        assert dip["voice_presales"] < 0.6 * base["voice_presales"], ny
        assert dip["voice_aftersales"] < 0.8 * base["voice_aftersales"], ny
        assert rebound["voice_aftersales"] > 1.2 * base["voice_aftersales"], ny
        assert rebound["email"] > 1.2 * base["email"], ny
    stops = events(calendar, "spring_festival_logistics")
    assert set(stops["kind"]) == {"logistics_stop"}


def test_calendar_lists_history_and_upcoming_events(calendar):
    assert set(calendar["kind"]) <= {"promotion", "holiday", "logistics_stop"}
    assert calendar["uplift"].isna().all()
    peaks = {(r.name, r.peak.date()) for r in calendar.itertuples() if pd.notna(r.peak)}
    for expected in [("double11", date(2024, 11, 11)), ("double11", date(2025, 11, 11)), ("double11", date(2026, 11, 11)),
                     ("double12", date(2026, 12, 12)), ("618", date(2025, 6, 18)), ("618", date(2026, 6, 18)),
                     ("festival38", date(2026, 3, 8)), ("spring_festival", date(2025, 1, 29)),
                     ("spring_festival", date(2026, 2, 17))]:
        assert expected in peaks
    national = events(calendar, "national_day")
    assert {(r.start.date(), r.end.date()) for r in national.itertuples()} == {
        (date(2025, 10, 1), date(2025, 10, 8)), (date(2026, 10, 1), date(2026, 10, 7))}
    d11 = events(calendar, "double11").set_index("peak")
    presale_2026 = d11.loc[pd.Timestamp("2026-11-11"), "start"]
    assert date(2026, 10, 18) <= presale_2026.date() <= date(2026, 10, 25)
    assert calendar["end"].max() <= pd.Timestamp("2026-12-31")


def test_agent_counts_and_team_mix(agents):
    teams = agents["team"].value_counts()
    assert len(agents[agents["team"] != "overflow"]) == pytest.approx(150, abs=10)
    assert teams["tier1"] == pytest.approx(110, abs=8)
    assert teams["tier2"] == pytest.approx(20, abs=3)
    assert teams["night"] == pytest.approx(20, abs=3)
    assert teams["overflow"] == 40
    tier1 = agents[agents["team"] == "tier1"]
    assert 0.4 <= (tier1["seniority"] == "senior").mean() <= 0.6
    assert (tier1["skills"].map(lambda s: s == ("chat",))).sum() >= 10
    assert set(agents.loc[agents["contract"] == "part_time", "team"]) == {"tier1"}
    assert set(agents.loc[agents["team"] == "overflow", "contract"]) == {"vendor"}
    assert set(agents.loc[agents["contract"] == "vendor", "team"]) == {"overflow"}
    assert agents.loc[agents["team"] == "night", "night_ok"].all()
    assert 1 <= agents.loc[agents["team"] == "tier2", "night_ok"].sum() <= 8
    assert 8 <= agents.loc[agents["team"] == "tier1", "night_ok"].sum() <= 20  # peak night-duty group
    assert agents["name"].is_unique and agents["agent_id"].is_unique


def test_agents_fit_the_base_scenario(agents, base):
    assert set(agents["contract"]) <= set(base.contracts)
    for r in agents.itertuples():
        for skill in r.skills:
            assert skill in base.queues, (r.agent_id, skill)
            assert r.team in base.queues[skill].teams, (r.agent_id, skill)


@pytest.mark.parametrize("month", [(2026, 6), (2026, 11)])
def test_some_leave_in_the_promotion_horizons(agents, month):
    in_house = agents[agents["team"] != "overflow"]
    on_leave = in_house["unavailable"].map(lambda days: any((d.year, d.month) == month for d in days))
    assert 0.05 <= on_leave.mean() <= 0.15
    peak = date(2026, 11, 11)
    assert not in_house["unavailable"].map(lambda days: peak in days).any()


def _scenario_in(tmp_path, *, sample_spec="{seed: 5, years: 1}", history_name="history.csv"):
    overrides = [f"data.history={tmp_path / history_name}", f"data.calendar={tmp_path / 'calendar.csv'}",
                 f"data.agents={tmp_path / 'agents.csv'}", f"data.generate_sample={sample_spec}"]
    return load_scenario(SCENARIOS / "baseline.yaml", overrides)


def test_ensure_sample_data_writes_the_files_only_into_a_folder_without_them(tmp_path):
    scenario = _scenario_in(tmp_path)
    assert ensure_sample_data(scenario) is True
    assert read_history(tmp_path / "history.csv")["ds"].min() == pd.Timestamp("2025-11-01")
    assert ensure_sample_data(scenario) is False
    # a planner's own history with agents.csv deleted: no made-up agents are written beside it
    (tmp_path / "agents.csv").unlink()
    own = "ds,queue,volume\n2026-01-01 00:00,chat,1\n"
    (tmp_path / "history.csv").write_text(own)
    with pytest.raises(ScenarioError, match=r"agents\.csv does not exist, beside history\.csv, calendar\.csv"):
        ensure_sample_data(scenario)
    assert not (tmp_path / "agents.csv").exists() and (tmp_path / "history.csv").read_text() == own


def test_ensure_sample_data_without_the_key_does_nothing(tmp_path):
    scenario = _scenario_in(tmp_path, sample_spec="null")
    assert ensure_sample_data(scenario) is False
    assert not list(tmp_path.iterdir())


def test_ensure_sample_data_rejects_names_it_cannot_write(tmp_path):
    scenario = _scenario_in(tmp_path, history_name="calls.csv")
    with pytest.raises(ScenarioError, match=r"data\.history: .*calls\.csv does not exist.*history\.csv"):
        ensure_sample_data(scenario)


def test_ensure_sample_data_reports_an_unsupported_year(tmp_path):
    scenario = _scenario_in(tmp_path, sample_spec="{end: 2040-01-31}")
    with pytest.raises(ScenarioError, match=r"data\.generate_sample: .*2020\.\.2031"):
        ensure_sample_data(scenario)


def test_cli_sample_data(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["sample-data", str(tmp_path / "out"), "--seed", "3", "--years", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["agents.csv", "calendar.csv", "history.csv"]
    assert result.output.splitlines()[0] == str(tmp_path / "out" / "history.csv")


def test_cli_sample_data_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["sample-data", str(tmp_path), "--end", "2040-01-01"])
    assert result.exit_code == 2
    assert "2020..2031" in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(main, ["sample-data", str(blocker / "sub")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {blocker / 'sub'}")
    assert "cannot write the sample data here" in result.output
