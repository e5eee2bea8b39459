"""Forecast stage: contract, calendar effects on synthetic data with known effects, robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from forecast_synth import make_history
from scheduler.errors import ForecastError
from scheduler.forecast import CalendarRegression, RegressionSpec, run_backtest, run_forecast
from scheduler.forecast.calendar import read_events
from scheduler.forecast.history import prepare_history
from scheduler.forecast.models import fit_level
from scheduler.scenario import ForecastSettings

PINNED = ForecastSettings(model="calendar_regression", backtest_folds=2)


def daily(hist: pd.DataFrame) -> pd.DataFrame:
    """The same history as daily totals at 00:00 (interval 1440: fast model tests)."""
    d = hist.groupby([hist["queue"], hist["ds"].dt.normalize()])["volume"].sum().reset_index()
    return d.rename(columns={"ds": "ds"})


@pytest.fixture(scope="module")
def synth():
    return make_history(start="2023-01-01", end="2025-12-31", interval_min=60, queues=("chat",), noise=0.03, seed=3)


def _level(hist, cal, start, horizon_days=60, notes=None):
    queues, _ = prepare_history(daily(hist), start=pd.Timestamp(start), interval_min=1440, timezone="Asia/Shanghai",
                                warnings=[])
    qh = queues["chat"]
    horizon = pd.date_range(start, periods=horizon_days, freq="D")
    return fit_level(qh, len(qh.days), read_events(cal), horizon=horizon, notes=notes if notes is not None else [])


# ---------------------------------------------------------------- calendar effects recovered


def test_promotion_peak_uplift_recovered_within_10_percent(synth):
    hist, cal, _ = synth
    lvl = _level(hist, cal, "2025-11-01")
    peak = pd.DatetimeIndex(["2025-11-11"])
    assert np.exp(lvl.calendar_effect(peak))[0] == pytest.approx(3.0, rel=0.10)


def test_promotion_tail_and_ramp_recovered_within_10_percent(synth):
    hist, cal, _ = synth
    lvl = _level(hist, cal, "2025-11-01")
    days = pd.DatetimeIndex(["2025-11-10", "2025-11-12", "2025-11-13"])
    # truth: ramp reaches 1.4 the day before the peak; tail 1 + 0.6 exp(-(r-1)/4)
    truth = np.array([np.exp(np.log(1.4) * (1 - 1 / 14)), 1.6, 1 + 0.6 * np.exp(-0.25)])
    np.testing.assert_allclose(np.exp(lvl.calendar_effect(days)), truth, rtol=0.10)


def test_holiday_effect_recovered_within_10_percent(synth):
    hist, cal, _ = synth
    lvl = _level(hist, cal, "2025-09-20", horizon_days=30)
    days = pd.DatetimeIndex(["2025-10-01", "2025-10-02", "2025-10-03"])
    np.testing.assert_allclose(np.exp(lvl.calendar_effect(days)), 0.5, rtol=0.10)


def test_peak_forecast_scaled_by_level(synth):
    hist, cal, truth = synth
    r = run_forecast(daily(hist), cal, start="2025-11-01", days=20, interval_min=1440, settings=PINNED)
    f = r.frame.set_index("ds")["volume"]
    # the truth (without its daily noise factor) over the days around the peak
    t = truth["chat"].loc["2025-11-08":"2025-11-14"]
    np.testing.assert_allclose(f.loc["2025-11-08":"2025-11-14"].to_numpy(), t.to_numpy(), rtol=0.12)


# ---------------------------------------------------------------- unseen events, overrides


def _with_new_promo(cal, uplift):
    extra = pd.DataFrame([{"name": "brand_day", "kind": "promotion", "start": pd.Timestamp("2025-11-18"),
                           "end": pd.Timestamp("2025-11-22"), "peak": pd.Timestamp("2025-11-20"), "uplift": uplift}])
    return pd.concat([cal, extra], ignore_index=True)


def test_unseen_promotion_uses_calendar_uplift(synth):
    hist, cal, _ = synth
    notes = []
    lvl = _level(hist, _with_new_promo(cal, 2.0), "2025-11-01", notes=notes)
    double11_alone = _level(hist, cal, "2025-11-01")
    d = pd.DatetimeIndex(["2025-11-20"])
    ratio = np.exp(lvl.calendar_effect(d) - double11_alone.calendar_effect(d))[0]
    assert ratio == pytest.approx(2.0, rel=1e-6)
    assert any("brand_day" in n and "uplift 2" in n for n in notes)


def test_unseen_promotion_without_uplift_warns_and_uses_nearest(synth):
    hist, cal, _ = synth
    notes = []
    lvl = _level(hist, _with_new_promo(cal, np.nan), "2025-11-01", notes=notes)
    assert lvl.aliases == {"brand_day": "double11"}
    assert any("brand_day" in n and "nearest event 'double11'" in n for n in notes)


def test_scenario_uplift_overrides_learned_effect(synth):
    hist, cal, _ = synth
    queues, _ = prepare_history(daily(hist), start=pd.Timestamp("2025-11-01"), interval_min=1440,
                                timezone="Asia/Shanghai", warnings=[])
    qh = queues["chat"]
    horizon = pd.date_range("2025-11-01", periods=30)
    lvl = fit_level(qh, len(qh.days), read_events(cal), horizon=horizon, uplift={"double11": 5.0})
    assert np.exp(lvl.calendar_effect(pd.DatetimeIndex(["2025-11-11"])))[0] == pytest.approx(5.0, rel=1e-6)


# ---------------------------------------------------------------- regressors by name and date


def _exog_series():
    idx = pd.date_range("2024-01-01", periods=300, freq="D")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"markdown": rng.gamma(2.0, 1.0, len(idx)), "temp": rng.normal(20, 5, len(idx))}, index=idx)
    mu = 200 * np.exp(0.2 * X["markdown"] - 0.01 * X["temp"])
    y = pd.Series(rng.poisson(mu).astype(float), index=idx)
    return y, X


def test_regressors_matched_by_name_not_position():
    y, X = _exog_series()
    m = CalendarRegression(RegressionSpec(weekly=False, fourier_k=0)).fit(y.iloc[:250], X.iloc[:250])
    assert m.coefficient("markdown") == pytest.approx(0.2, abs=0.03)
    future = X.iloc[250:]
    a = m.predict(future.index, future)
    b = m.predict(future.index, future[["temp", "markdown"]])  # columns swapped
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())


@pytest.mark.parametrize("mangle, needle", [
    (lambda f: f.to_numpy(), "DataFrame with named columns"),
    (lambda f: f.rename(columns={"temp": "temperature"}), "missing 'temp'; unexpected 'temperature'"),
    (lambda f: f.iloc[:-5], "5 date(s) missing, first 2024-10-22"),
    (lambda f: f.assign(markdown=f["markdown"].where(f.index != "2024-09-10")), "'markdown' has no finite value on 2024-09-10"),
])
def test_regressor_misalignment_is_a_clear_error(mangle, needle):
    y, X = _exog_series()
    m = CalendarRegression(RegressionSpec(weekly=False, fourier_k=0)).fit(y.iloc[:250], X.iloc[:250])
    future = X.iloc[250:]
    with pytest.raises(ForecastError) as exc:
        m.predict(future.index, mangle(future))
    assert needle in str(exc.value)


# ---------------------------------------------------------------- the run_forecast contract


@pytest.fixture(scope="module")
def hourly_run():
    hist, cal, _ = make_history(start="2024-08-01", end="2025-10-31", interval_min=60, queues=("chat", "voice"),
                                seed=5, open_min=480, close_min=1440)
    res = run_forecast(hist, cal, start="2025-11-03", days=14, interval_min=60, settings=ForecastSettings(backtest_folds=2),
                       open_hours={"chat": (0, 1440), "voice": (600, 1320)})
    return hist, cal, res


def test_frame_has_one_row_per_queue_and_interval(hourly_run):
    _, _, res = hourly_run
    f = res.frame
    assert list(f.columns) == ["ds", "queue", "volume", "volume_lo", "volume_hi", "model"]
    assert len(f) == 2 * 14 * 24
    assert not f.duplicated(["queue", "ds"]).any()
    assert f["ds"].min() == pd.Timestamp("2025-11-03") and f["ds"].max() == pd.Timestamp("2025-11-16 23:00")
    assert (f["volume_lo"] <= f["volume_hi"]).all() and (f["volume"] >= 0).all()
    assert set(res.models) == {"chat", "voice"} and set(res.models.values()) <= {"seasonal_naive", "ets", "calendar_regression", "combined"}
    assert res.backtest is not None and {"mase", "wape", "coverage"} <= set(res.backtest.columns)


def test_closed_intervals_forecast_nothing(hourly_run):
    _, _, res = hourly_run
    f = res.frame
    h = f["ds"].dt.hour
    voice = f[f["queue"] == "voice"]
    assert (voice.loc[(h < 10) | (h >= 22), ["volume", "volume_hi"]] == 0).all().all()   # scenario hours 10-22
    chat = f[f["queue"] == "chat"]
    assert (chat.loc[h < 8, "volume"] == 0).all()          # never open before 08:00 in the history
    assert (chat.loc[(h >= 9) & (h < 23), "volume"] > 0).all()


def test_only_history_before_start_is_used(hourly_run):
    hist, cal, res = hourly_run
    tampered = hist.copy()
    tampered.loc[tampered["ds"] >= "2025-11-03", "volume"] *= 10
    res2 = run_forecast(tampered, cal, start="2025-11-03", days=14, interval_min=60,
                        settings=ForecastSettings(backtest_folds=2), open_hours={"chat": (0, 1440), "voice": (600, 1320)})
    pd.testing.assert_frame_equal(res.frame, res2.frame)   # also: reproducible


def test_closed_weekday_and_gap_days():
    hist, cal, _ = make_history(start="2024-09-01", end="2025-10-31", interval_min=60, queues=("chat",), seed=7,
                                drop_days=("2025-10-14", "2025-10-15"))
    hist = hist[hist["ds"].dt.day_of_week != 6]          # closed on Sundays
    res = run_forecast(hist, cal, start="2025-11-01", days=14, interval_min=60, settings=PINNED)
    d = res.frame.groupby(res.frame["ds"].dt.normalize())["volume"].sum()
    assert (d[d.index.day_of_week == 6] == 0).all()
    assert (d[d.index.day_of_week != 6] > 1000).all()


def test_zero_volume_queue():
    hist, cal, _ = make_history(start="2025-01-01", end="2025-10-31", interval_min=60, queues=("chat", "dead"), seed=2)
    hist.loc[hist["queue"] == "dead", "volume"] = 0.0
    res = run_forecast(hist, None, start="2025-11-01", days=7, interval_min=60, settings=ForecastSettings(backtest_folds=1))
    dead = res.frame[res.frame["queue"] == "dead"]
    assert (dead[["volume", "volume_lo", "volume_hi"]] == 0).all().all()
    assert any("'dead'" in w and "no contacts" in w for w in res.warnings)


def test_short_history_warns_no_yearly_season():
    hist, cal, _ = make_history(start="2025-06-01", end="2025-10-31", interval_min=60, queues=("chat",), seed=2)
    res = run_forecast(hist, cal, start="2025-11-01", days=7, interval_min=60, settings=PINNED)
    assert any("< 1 year" in w and "no yearly season" in w for w in res.warnings)


def test_outlier_day_flagged_and_not_copied():
    hist, _, _ = make_history(start="2024-10-01", end="2025-10-31", interval_min=60, queues=("chat",), seed=4,
                              holiday=None)
    bad = hist["ds"].dt.normalize() == pd.Timestamp("2025-10-22")
    hist.loc[bad, "volume"] *= 6
    res = run_forecast(hist, None, start="2025-11-01", days=7, interval_min=60, settings=PINNED)
    assert any("outlier" in w and "2025-10-22" in w for w in res.warnings)
    d = res.frame.groupby(res.frame["ds"].dt.normalize())["volume"].sum()
    ref = hist[hist["ds"] >= "2025-10-01"].groupby(hist["ds"].dt.normalize())["volume"].sum()
    wed = ref[(ref.index.day_of_week == 2) & (ref.index != "2025-10-22")].mean()
    assert d[d.index.day_of_week == 2].iloc[0] == pytest.approx(wed, rel=0.15)


def test_off_grid_and_finer_history_are_aggregated():
    hist, _, _ = make_history(start="2025-07-01", end="2025-10-31", interval_min=5, queues=("chat",), seed=2)
    shifted = hist.copy()
    shifted["ds"] = shifted["ds"] + pd.Timedelta(minutes=2)          # 00:02, 00:07, ...
    w = []
    q, interval = prepare_history(shifted, start=pd.Timestamp("2025-11-01"), interval_min=15, timezone="UTC", warnings=w)
    assert interval == 15 and any("not on the 15-minute grid" in x for x in w)
    assert np.nansum(q["chat"].volume) == pytest.approx(hist["volume"].sum())
    w2 = []
    q2, _ = prepare_history(hist, start=pd.Timestamp("2025-11-01"), interval_min=30, timezone="UTC", warnings=w2)
    assert any("5-minute intervals aggregated to 30-minute" in x for x in w2)
    assert q2["chat"].volume.shape[1] == 48


def test_daily_history_cannot_give_intervals():
    hist, _, _ = make_history(start="2025-01-01", end="2025-10-31", interval_min=60, queues=("chat",))
    with pytest.raises(ForecastError, match="daily totals"):
        run_forecast(daily(hist), None, start="2025-11-01", days=7, interval_min=15, settings=PINNED)


def test_dst_days_in_a_dst_zone():
    hist, _, _ = make_history(start="2024-09-01", end="2025-03-20", interval_min=60, queues=("chat",), seed=2,
                              holiday=None)
    res = run_forecast(hist, None, start="2025-03-24", days=14, interval_min=60, settings=PINNED, timezone="Europe/Berlin")
    f = res.frame.set_index("ds")["volume"]
    assert f.loc["2025-03-30 02:00"] == 0.0          # 02:00-03:00 does not exist that night
    assert f.loc["2025-04-06 02:00"] > 0.0


def test_unknown_model_and_missing_queue_are_errors():
    hist, _, _ = make_history(start="2025-06-01", end="2025-10-31", interval_min=60, queues=("chat",))
    with pytest.raises(ValidationError, match="prophet"):    # settings name a known model (checked as the scenario loads)
        ForecastSettings(model="prophet")
    with pytest.raises(ForecastError, match="unknown forecast model 'prophet'"):
        run_forecast(hist, None, start="2025-11-01", days=7, interval_min=60, settings=PINNED, pinned={"chat": "prophet"})
    with pytest.raises(ForecastError, match="no history for queue\\(s\\) 'email'"):
        run_forecast(hist, None, start="2025-11-01", days=7, interval_min=60, settings=PINNED,
                     open_hours={"chat": (0, 1440), "email": (0, 1440)})
    with pytest.raises(ForecastError, match="no rows before the forecast start"):
        run_forecast(hist, None, start="2020-01-01", days=7, interval_min=60, settings=PINNED)
    # a horizon years after the history: its window of history_days is empty, not the history before it
    with pytest.raises(ForecastError, match=r"no rows in the 70 days before the forecast start 2030-01-07 "
                                            r"\(forecast.history_days\); it ends on 2025-10-31"):
        run_forecast(hist, None, start="2030-01-07", days=7, interval_min=60,
                     settings=PINNED.model_copy(update={"history_days": 70}))


def test_backtest_metrics_and_calibration():
    hist, cal, _ = make_history(start="2024-06-01", end="2025-10-31", interval_min=60, queues=("chat",), seed=9)
    table, _ = run_backtest(hist, cal, horizon_days=14, folds=4)
    overall = table[table["segment"] == "all"].set_index("model")
    assert set(overall.index) == {"seasonal_naive", "ets", "calendar_regression", "combined"}
    assert overall.loc["calendar_regression", "mase"] < overall.loc["seasonal_naive", "mase"]
    assert 0.6 <= overall.loc["calendar_regression", "coverage"] <= 0.95
    assert "holiday" in set(table["segment"])


# ---------------------------------------------------------------- weekday-like days


def _weekday_series(start, end, levels, seed=0):
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    mean = np.array([levels[d] for d in days.day_of_week])
    return days, mean * np.exp(rng.normal(0, 0.02, len(days)))


def test_day_after_a_closure_is_like_the_reopening_weekday():
    # weekdays only; Mondays carry the weekend's demand; the bank closes on 2025-05-26 (a Monday)
    levels = {0: 3000, 1: 2000, 2: 2000, 3: 2000, 4: 2000, 5: 0, 6: 0}
    days, vol = _weekday_series("2025-01-06", "2025-05-25", levels)
    hist = pd.DataFrame({"ds": days, "queue": "calls", "volume": vol})
    hist = hist[hist["volume"] > 0]
    cal = pd.DataFrame({"name": ["memorial_day"], "kind": ["closure"], "start": [pd.Timestamp("2025-05-26")],
                        "end": [pd.Timestamp("2025-05-26")], "peak": [pd.NaT], "uplift": [np.nan]})
    res = run_forecast(hist, cal, start="2025-05-26", days=5, interval_min=1440, settings=PINNED)
    f = res.frame.set_index("ds")["volume"]
    assert f["2025-05-26"] == 0.0                             # closed
    assert f["2025-05-27"] == pytest.approx(3000, rel=0.05)   # Tuesday after the closure: Monday-like
    assert f["2025-05-28"] == pytest.approx(2000, rel=0.05)


def test_holiday_on_a_weekend_is_not_cut_twice():
    # 7-day queue, Saturday the quiet day; holidays on weekdays fall to about the Saturday level
    levels = {0: 1600, 1: 1600, 2: 1600, 3: 1600, 4: 500, 5: 200, 6: 1600}
    days, vol = _weekday_series("2025-01-01", "2025-09-30", levels, seed=1)
    hol_days = [d for d in pd.date_range("2025-01-15", "2025-09-20", freq="23D") if d.day_of_week < 4]
    vol = np.where(days.isin(hol_days), 200 * np.exp(np.random.default_rng(2).normal(0, 0.02, len(days))), vol)
    hist = pd.DataFrame({"ds": days, "queue": "calls", "volume": vol})
    rows = [("h%d" % i, "holiday", d, d) for i, d in enumerate(hol_days)] + [("new_feast", "holiday", pd.Timestamp("2025-10-04"), pd.Timestamp("2025-10-04"))]
    cal = pd.DataFrame(rows, columns=["name", "kind", "start", "end"]).assign(peak=pd.NaT, uplift=np.nan)
    res = run_forecast(hist, cal, start="2025-10-01", days=7, interval_min=1440, settings=PINNED)
    f = res.frame.set_index("ds")["volume"]
    assert f["2025-10-04"] == pytest.approx(200, rel=0.15)    # a Saturday holiday stays at the Saturday level
    assert f["2025-10-03"] == pytest.approx(500, rel=0.15)    # its eve keeps its weekday (eves are not special here)


def test_midnight_spike_of_the_peak_day_is_learned_from_last_year():
    hist, cal, _ = make_history(start="2024-06-01", end="2025-11-30", interval_min=60, queues=("chat",), seed=6)
    for y in (2024, 2025):
        first_hour = hist["ds"] == pd.Timestamp(f"{y}-11-11 00:00")
        hist.loc[first_hour, "volume"] *= 8.0
    train = hist[hist["ds"] < "2025-11-01"]
    res = run_forecast(train, cal, start="2025-11-01", days=14, interval_min=60, settings=PINNED)
    f = res.frame.set_index("ds")["volume"]
    actual = hist.set_index("ds")["volume"]
    peak_day = f.loc["2025-11-11"]
    last_year = actual.loc["2024-11-11"]
    assert peak_day.iloc[0] / peak_day.sum() == pytest.approx(last_year.iloc[0] / last_year.sum(), rel=0.1)
    normal_day = f.loc["2025-11-04"]
    assert normal_day.iloc[0] / normal_day.sum() < 0.3 * peak_day.iloc[0] / peak_day.sum()


def test_logistics_stop_dip_and_rebound_recovered_within_10_percent():
    rng = np.random.default_rng(8)
    days = pd.date_range("2023-01-01", "2025-03-31", freq="D")
    mean = 3000 * np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75])[days.day_of_week]
    rows = []
    for y, start in ((2023, "2023-01-20"), (2024, "2024-02-08"), (2025, "2025-01-27")):
        s = pd.Timestamp(start)
        stop = (days >= s) & (days <= s + pd.Timedelta(days=6))
        mean = np.where(stop, mean * 0.4, mean)
        mean = np.where(days == s + pd.Timedelta(days=7), mean * 1.8, mean)   # the day after: rebound
        rows.append(("spring_festival_logistics", "logistics_stop", s, s + pd.Timedelta(days=6)))
    vol = rng.poisson(mean * np.exp(rng.normal(0, 0.03, len(days)))).astype(float)
    hist = pd.DataFrame({"ds": days, "queue": "q", "volume": vol})
    cal = pd.DataFrame(rows, columns=["name", "kind", "start", "end"]).assign(peak=pd.NaT, uplift=np.nan)
    train = hist[hist["ds"] < "2025-01-01"]
    queues, _ = prepare_history(train, start=pd.Timestamp("2025-01-01"), interval_min=1440, timezone="UTC", warnings=[])
    qh = queues["q"]
    lvl = fit_level(qh, len(qh.days), read_events(cal), horizon=pd.date_range("2025-01-01", periods=60))
    eff = np.exp(lvl.calendar_effect(pd.DatetimeIndex(["2025-01-27", "2025-01-30", "2025-02-03"])))
    np.testing.assert_allclose(eff, [0.4, 0.4, 1.8], rtol=0.10)


def test_dst_interval_factors():
    from scheduler.forecast.history import dst_interval_factor

    spring = dst_interval_factor(pd.Timestamp("2025-03-30"), 30, "Europe/Berlin")
    autumn = dst_interval_factor(pd.Timestamp("2025-10-26"), 30, "Europe/Berlin")
    assert list(np.flatnonzero(spring == 0)) == [4, 5]          # 02:00 and 02:30 do not exist
    assert list(np.flatnonzero(autumn == 2)) == [4, 5]          # 02:00-03:00 happens twice
    assert dst_interval_factor(pd.Timestamp("2025-10-26"), 30, "Asia/Shanghai") is None


def test_repeated_queue_warnings_are_merged():
    from scheduler.forecast.run import merge_queue_warnings

    got = merge_queue_warnings(["queue 'a': short history", "aggregated", "queue 'b': short history", "queue 'c': gap"])
    assert got == ["queues 'a', 'b': short history", "aggregated", "queue 'c': gap"]


# ---------------------------------------------------------------- external regressors in run_forecast


def _flash_sales():
    rng = np.random.default_rng(12)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    intensity = np.where(rng.random(len(days)) < 0.15, rng.uniform(1, 3, len(days)), 0.0)   # unannounced sales
    mean = 2000 * np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75])[days.day_of_week] * np.exp(0.3 * intensity)
    vol = rng.poisson(mean).astype(float)
    hist = pd.DataFrame({"ds": days, "queue": "chat", "volume": vol})
    regs = pd.DataFrame({"ds": days, "sale_intensity": intensity})
    return hist, regs, mean


def test_external_regressor_effect_learned_and_applied():
    hist, regs, mean = _flash_sales()
    train = hist[hist["ds"] < "2025-12-01"]
    res = run_forecast(train, None, start="2025-12-01", days=31, interval_min=1440, settings=PINNED, regressors=regs)
    f = res.frame.set_index("ds")["volume"]
    truth = pd.Series(mean, index=pd.DatetimeIndex(regs["ds"])).loc["2025-12-01":]
    assert np.mean(np.abs(f.to_numpy() / truth.to_numpy() - 1)) < 0.06
    # swapped column order, extra queue column for every queue: same forecast
    regs2 = regs.assign(queue="")[["sale_intensity", "queue", "ds"]]
    res2 = run_forecast(train, None, start="2025-12-01", days=31, interval_min=1440, settings=PINNED, regressors=regs2)
    pd.testing.assert_frame_equal(res.frame, res2.frame)


def test_regressor_dates_short_of_the_horizon_is_an_error():
    hist, regs, _ = _flash_sales()
    train = hist[hist["ds"] < "2025-12-01"]
    short = regs[regs["ds"] < "2025-12-20"]
    with pytest.raises(ForecastError, match="regressor dates do not cover the forecast: 12 date\\(s\\) missing, first 2025-12-20"):
        run_forecast(train, None, start="2025-12-01", days=31, interval_min=1440, settings=PINNED, regressors=short)


def test_calendar_uplift_overrides_a_seen_event_and_says_so(synth):
    hist, cal, _ = synth
    cal = cal.copy()
    cal.loc[(cal["name"] == "double11") & (cal["start"].dt.year == 2025), "uplift"] = 4.0
    notes = []
    lvl = _level(hist, cal, "2025-11-01", notes=notes)
    assert np.exp(lvl.calendar_effect(pd.DatetimeIndex(["2025-11-11"])))[0] == pytest.approx(4.0, rel=1e-6)
    import re

    learned = [float(m.group(1)) for n in notes for m in [re.search(r"uplift 4 replaces the learned peak multiplier ([\d.]+)", n)] if m]
    assert learned and learned[0] == pytest.approx(3.0, rel=0.10)


def test_a_few_days_of_history_give_a_flat_open_forecast():
    hist, cal, _ = make_history(start="2025-10-29", end="2025-10-31", interval_min=60, queues=("chat",), seed=1)
    res = run_forecast(hist, None, start="2025-11-01", days=14, interval_min=60, settings=ForecastSettings())
    d = res.frame.groupby(res.frame["ds"].dt.normalize())["volume"].sum()
    assert (d > 0).all()                                  # weekdays never seen are not taken as closed
    assert d.max() / d.min() < 1.05                       # no weekly pattern or slope invented from 3 days
    assert any("too short for a backtest" in w for w in res.warnings)


def test_uplift_naming_no_calendar_event_is_an_error():
    # forecast.uplift: {doubel11: 3.0} was silently ignored
    hist, cal, _ = make_history(start="2025-06-01", end="2025-10-31", interval_min=60, queues=("chat",))
    seasonal = ForecastSettings(model="seasonal_naive", backtest_folds=1, uplift={"doubel11": 3.0})
    with pytest.raises(ForecastError) as exc:
        run_forecast(hist, cal, start="2025-11-01", days=7, interval_min=60, settings=seasonal)
    assert str(exc.value) == ("forecast.uplift: no event named 'doubel11' in the calendar (got 3); did you mean "
                              "'double11'? expected an event's name: double11 (promotion), national_day (holiday)")
    with pytest.raises(ForecastError, match="no calendar is given"):
        run_forecast(hist, None, start="2025-11-01", days=7, interval_min=60, settings=seasonal)
    with pytest.raises(ForecastError, match="no event named 'doubel11'"):
        run_backtest(hist, cal, horizon_days=7, folds=1, models=["seasonal_naive"], settings=seasonal)


def test_a_model_that_ignores_uplifts_says_so():
    hist, cal, _ = make_history(start="2025-06-01", end="2025-10-31", interval_min=60, queues=("chat", "voice"))
    up = {"double11": 3.0}
    res = run_forecast(hist, cal, start="2025-11-01", days=7, interval_min=60,
                       settings=ForecastSettings(model="seasonal_naive", backtest_folds=1, uplift=up))
    assert ("queues 'chat', 'voice': model seasonal_naive ignores forecast.uplift (double11): the uplift is not "
            "applied; use calendar_regression, ets or combined") in res.warnings
    res = run_forecast(hist, cal, start="2025-11-01", days=7, interval_min=60, settings=PINNED.model_copy(update={"uplift": up}))
    assert not any("ignores forecast.uplift" in w for w in res.warnings)
    res = run_forecast(hist, cal, start="2025-11-01", days=7, interval_min=60,
                       settings=ForecastSettings(model="seasonal_naive", backtest_folds=1))
    assert not any("ignores forecast.uplift" in w for w in res.warnings)
