"""Accuracy guards on real data from ../shared/datasets (skipped when absent): the issue's targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import shared_path
from scheduler.forecast import run_forecast
from scheduler.scenario import ForecastSettings


def _closures(rows):
    cal = pd.DataFrame(rows, columns=["name", "start"])
    cal["start"] = pd.to_datetime(cal["start"])
    return cal.assign(kind="closure", end=cal["start"], peak=pd.NaT, uplift=np.nan)


def test_fpp2_de_livera_split_beats_seasonal_naive_by_15_percent():
    raw = pd.read_csv(shared_path("datasets", "fpp2_calls_us_bank_2003", "calls_5min.csv"))
    hist = pd.DataFrame({"ds": pd.to_datetime(raw["interval_start"]), "queue": "calls", "volume": raw["calls"].astype(float)})
    train, test = hist.iloc[:7605], hist.iloc[7605:10140]
    naive = np.tile(train["volume"].to_numpy()[-845:], 3)[:2535]
    y = test["volume"].to_numpy()
    rmse_naive = np.sqrt(np.mean((naive - y) ** 2))
    assert abs(rmse_naive - 24.1) < 0.1                      # the README's anchor
    cal = _closures([("memorial_day", "2003-05-26")])
    r = run_forecast(train, cal, start="2003-05-07", days=22, interval_min=5, settings=ForecastSettings(),
                     timezone="America/New_York")
    f = r.frame.set_index("ds")["volume"].reindex(test["ds"]).to_numpy()
    assert np.sqrt(np.mean((f - y) ** 2)) <= 0.85 * rmse_naive
    closed = r.frame[(r.frame["ds"].dt.normalize() == "2003-05-26") | (r.frame["ds"].dt.day_of_week >= 5)]
    assert (closed["volume"] == 0).all()


def test_anonymous_bank_holidays_beat_seasonal_naive():
    base = ("datasets", "anonymous_bank_israel_1999")
    d = pd.read_csv(shared_path(*base, "daily_1999.csv"))
    hist = pd.DataFrame({"ds": pd.to_datetime(d["date"]), "queue": "calls", "volume": d["total_calls"].astype(float)})
    fest = [("pesach", "1999-04-01", "1999-04-07"), ("independence_day", "1999-04-21", "1999-04-21"),
            ("shavuot", "1999-05-21", "1999-05-21"), ("rosh_hashanah", "1999-09-11", "1999-09-12"),
            ("yom_kippur", "1999-09-20", "1999-09-20"), ("sukkot", "1999-09-25", "1999-10-02")]
    cal = pd.DataFrame(fest, columns=["name", "start", "end"]).assign(kind="holiday", peak=pd.NaT, uplift=np.nan)
    cal[["start", "end"]] = cal[["start", "end"]].apply(pd.to_datetime)
    train = hist[hist["ds"] < "1999-10-01"]
    test = hist[hist["ds"] >= "1999-10-01"].set_index("ds")["volume"]
    ins = train.set_index("ds")["volume"]
    naive = np.array([ins[ins.index[ins.index.day_of_week == t.day_of_week][-1]] for t in test.index])
    r = run_forecast(train, cal, start="1999-10-01", days=92, interval_min=1440, settings=ForecastSettings(),
                     timezone="Asia/Jerusalem")
    f = r.frame.set_index("ds")["volume"].reindex(test.index).to_numpy()
    y = test.to_numpy()
    assert np.mean(np.abs(f - y)) <= 0.75 * np.mean(np.abs(naive - y))
    adj = test.index.isin(pd.to_datetime(["1999-10-01", "1999-10-02", "1999-10-03"]))
    assert np.mean(np.abs(f - y)[adj]) <= 0.6 * np.mean(np.abs(naive - y)[adj])
