"""Reality check of Erlang A on the "Anonymous Bank" call centre (Israel, August 1999).

    python scripts/validate_israel_bank.py            # tables (markdown) on stdout, plot to docs/img/

Per half hour (Sunday–Thursday, 07:00–24:00, at least 10 requests for an agent): the arrival rate
of agent requests, the mean service time and the agents observed serving are fed to Erlang A
(M/M/n+M) with the patience estimated from the records, and its predicted abandonment, mean wait
and service level are compared with what the records show. Written up in docs/validation.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scheduler import staffing as st  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "anonymous_bank_israel_1999"
SERVICE_TRIM_S = 3600.0  # 33 calls above one hour (README "Known quirks") are left out of the service mean
WORKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday")


def _seconds(clock: pd.Series) -> pd.Series:
    parts = clock.str.split(":", expand=True).astype(int)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def read_requests(dataset: Path = DATASET) -> pd.DataFrame:
    """One row per call that asked for an agent: request time, wait, outcome, service time."""
    r = pd.read_csv(dataset / "calls_1999-08_records.csv", dtype=str, keep_default_na=False)
    r = r[r["outcome"] != "PHANTOM"]
    queued = r["q_start"] != "0:00:00"
    asked = queued | (r["outcome"] == "AGENT")
    r = r[asked].copy()
    day = pd.to_datetime(r["date"])
    at = np.where(r["q_start"] != "0:00:00", _seconds(r["q_start"]), _seconds(r["vru_exit"]))
    r["request_at"] = day + pd.to_timedelta(at, unit="s")
    r["wait_s"] = r["q_time"].astype(float)
    r["served"] = r["outcome"] == "AGENT"
    r["service_s"] = np.where(r["served"], r["ser_time"].astype(float), np.nan)
    return r[["request_at", "wait_s", "served", "service_s", "server", "priority", "type"]].reset_index(drop=True)


def estimate_patience_s(requests: pd.DataFrame) -> float:
    """Mean patience, exponential MLE with censoring by service: total wait of all requests ÷ abandons."""
    abandons = int((~requests["served"]).sum())
    return float(requests["wait_s"].sum() / abandons)


def reality_check(dataset: Path = DATASET) -> tuple[pd.DataFrame, float, dict]:
    """Per-half-hour observed and Erlang A predicted figures, the patience used, and service-time facts."""
    req = read_requests(dataset)
    iv = pd.read_csv(dataset / "intervals_1999-08_30min.csv")
    iv["ds"] = pd.to_datetime(iv["interval_start"])
    patience = estimate_patience_s(req)
    svc = req.loc[req["served"] & (req["service_s"] > 0) & (req["service_s"] <= SERVICE_TRIM_S)]
    svc_by_slot = svc.groupby(svc["request_at"].dt.floor("30min"))["service_s"].agg(["mean", "count"])
    hour_mean = svc.groupby(svc["request_at"].dt.hour)["service_s"].mean()
    df = iv[iv["weekday"].isin(WORKDAYS) & (iv["ds"].dt.hour >= 7) & (iv["agent_requests"] >= 10)
            & (iv["distinct_agents_serving"] >= 1)].copy()
    m = svc_by_slot.reindex(df["ds"])
    # the slot's own mean when it has 10+ served calls, else the month's mean for that hour of day
    df["aht_s"] = np.where(m["count"].to_numpy() >= 10, m["mean"].to_numpy(), hour_mean.reindex(df["ds"].dt.hour).to_numpy())
    df["rate_per_h"] = df["agent_requests"] * 2.0
    df["agents"] = df["distinct_agents_serving"].astype(int)
    pred = st.queue_metrics(df["rate_per_h"].to_numpy(), df["aht_s"].to_numpy(), df["agents"].to_numpy(), 20.0, patience)
    df["load_erl"] = df["rate_per_h"] * df["aht_s"] / 3600.0
    df["obs_abandon"] = df["abandoned_in_queue"] / df["agent_requests"]
    df["pred_abandon"] = pred.abandon_rate
    df["obs_wait_s"] = df["mean_wait_s"]
    df["pred_wait_s"] = pred.mean_wait_all_s
    df["obs_sl20"] = df["answered_within_20s"] / df["agent_requests"]
    df["pred_sl20"] = pred.sl_offered
    df["obs_occupancy"] = df["avg_busy_agents"] / df["agents"]
    df["pred_occupancy"] = pred.occupancy
    # agents Erlang A needs to reproduce the observed abandonment: the "agents on the phone" it implies
    grid = np.arange(0, 40)
    g = st.queue_metrics(df["rate_per_h"].to_numpy()[:, None], df["aht_s"].to_numpy()[:, None], grid[None, :], 20.0, patience)
    ab = g.abandon_rate
    # interpolate the (decreasing) abandonment curve at the observed value: a fractional agent count
    obs = df["obs_abandon"].to_numpy()[:, None]
    k = np.argmax(ab <= obs, axis=1)
    k = np.clip(k, 1, grid.size - 1)
    rows = np.arange(len(df))
    hi, lo = ab[rows, k - 1], ab[rows, k]
    frac = np.where(hi > lo, (hi - obs[:, 0]) / (hi - lo), 0.0)
    # undefined where nobody abandoned (any staffing above some level reproduces 0 %)
    df["implied_agents"] = np.where(obs[:, 0] > 0, (k - 1) + np.clip(frac, 0.0, 1.0), np.nan)
    facts = {
        "requests": int(len(req)),
        "served": int(req["served"].sum()),
        "abandoned": int((~req["served"]).sum()),
        "service_mean_s": float(svc["service_s"].mean()),
        "service_median_s": float(svc["service_s"].median()),
        "service_cv": float(svc["service_s"].std() / svc["service_s"].mean()),
        "log_service_skew": float(pd.Series(np.log(svc["service_s"])).skew()),
    }
    return df.reset_index(drop=True), patience, facts


def hourly_table(df: pd.DataFrame) -> pd.DataFrame:
    """Request-weighted figures per hour of day (workdays)."""
    w = df["agent_requests"]
    g = df.assign(hour=df["ds"].dt.hour, w=w)

    def agg(x):
        ww = x["w"]
        return pd.Series({
            "half-hours": len(x),
            "requests/30 min": ww.mean(),
            "AHT s": np.average(x["aht_s"], weights=ww),
            "agents seen": x["agents"].mean(),
            "busy agents": x["avg_busy_agents"].mean(),
            "implied agents": np.nanmean(x["implied_agents"]),
            "abandon obs": np.average(x["obs_abandon"], weights=ww),
            "abandon Erlang A": np.average(x["pred_abandon"], weights=ww),
            "wait obs s": np.average(x["obs_wait_s"], weights=ww),
            "wait Erlang A s": np.average(x["pred_wait_s"], weights=ww),
            "SL20 obs": np.average(x["obs_sl20"], weights=ww),
            "SL20 Erlang A": np.average(x["pred_sl20"], weights=ww),
        })

    return g.groupby("hour")[["w", "aht_s", "agents", "avg_busy_agents", "implied_agents", "obs_abandon",
                               "pred_abandon", "obs_wait_s", "pred_wait_s", "obs_sl20", "pred_sl20"]].apply(agg)


def overall(df: pd.DataFrame) -> dict:
    w = df["agent_requests"]
    return {
        "half-hours": len(df),
        "requests": int(w.sum()),
        "abandon obs": float(np.average(df["obs_abandon"], weights=w)),
        "abandon Erlang A": float(np.average(df["pred_abandon"], weights=w)),
        "wait obs s": float(np.average(df["obs_wait_s"], weights=w)),
        "wait Erlang A s": float(np.average(df["pred_wait_s"], weights=w)),
        "SL20 obs": float(np.average(df["obs_sl20"], weights=w)),
        "SL20 Erlang A": float(np.average(df["pred_sl20"], weights=w)),
        "MAE abandon (per half hour)": float(np.mean(np.abs(df["pred_abandon"] - df["obs_abandon"]))),
        "corr abandon (per half hour)": float(np.corrcoef(df["pred_abandon"], df["obs_abandon"])[0, 1]),
        "MAE wait s (per half hour)": float(np.mean(np.abs(df["pred_wait_s"] - df["obs_wait_s"]))),
        "corr wait (per half hour)": float(np.corrcoef(df["pred_wait_s"], df["obs_wait_s"])[0, 1]),
        "agents seen (mean)": float(df["agents"].mean()),
        "busy agents (mean)": float(df["avg_busy_agents"].mean()),
        "implied agents (mean)": float(np.nanmean(df["implied_agents"])),
        "half-hours without abandonment": int(df["implied_agents"].isna().sum()),
    }


def plot(df: pd.DataFrame, hourly: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    h = hourly.index
    ax[0, 0].plot(h, 100 * hourly["abandon obs"], "o-", label="observed")
    ax[0, 0].plot(h, 100 * hourly["abandon Erlang A"], "s--", label="Erlang A, agents seen serving")
    ax[0, 0].set(title="Abandonment by hour (workdays, request-weighted)", xlabel="hour of day", ylabel="% of requests")
    ax[0, 0].legend()
    ax[0, 1].plot(h, hourly["wait obs s"], "o-", label="observed")
    ax[0, 1].plot(h, hourly["wait Erlang A s"], "s--", label="Erlang A")
    ax[0, 1].set(title="Mean wait of all requests by hour", xlabel="hour of day", ylabel="seconds")
    ax[0, 1].legend()
    ax[1, 0].scatter(100 * df["obs_abandon"], 100 * df["pred_abandon"], s=8, alpha=0.5)
    lim = [0, 100 * max(df["obs_abandon"].max(), df["pred_abandon"].max())]
    ax[1, 0].plot(lim, lim, "k:", lw=1)
    ax[1, 0].set(title=f"Per half hour ({len(df)}): abandonment", xlabel="observed %", ylabel="Erlang A %")
    ax[1, 1].plot(h, hourly["agents seen"], "o-", label="agents seen serving (distinct)")
    ax[1, 1].plot(h, hourly["implied agents"], "s--", label="agents Erlang A needs to match abandonment")
    ax[1, 1].plot(h, hourly["busy agents"], "^:", label="busy agents (carried load)")
    ax[1, 1].set(title="Agents: seen vs implied", xlabel="hour of day", ylabel="agents")
    ax[1, 1].legend()
    fig.suptitle("Anonymous Bank (Israel), August 1999: Erlang A vs observed")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(table: pd.DataFrame) -> str:
    """A markdown table (3 significant figures) without extra dependencies."""
    cols = [table.index.name or ""] + list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in table.iterrows():
        cells = [str(idx)] + [f"{v:.3g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    df, patience, facts = reality_check()
    hourly = hourly_table(df)
    plot(df, hourly, ROOT / "docs" / "img" / "israel_bank_erlang_a.png")
    print(f"patience (exponential MLE): {patience:.1f} s")
    print(facts)
    print(markdown(hourly))
    for k, v in overall(df).items():
        print(f"| {k} | {v:.4g} |")


if __name__ == "__main__":
    main()
