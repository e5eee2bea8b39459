"""From raw replications to the report: per interval, per day and overall, per queue and per team,
as means over replications with 95 % confidence half-widths (Student t over replications)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from scheduler.simulate.engine import ABANDONED, SERVED, RepRaw
from scheduler.simulate.inputs import SimInputs

# per queue x interval sums kept for each replication
COUNT_KEYS = ("offered", "answered", "answered_within", "abandoned", "abandoned_within", "wait_sum_s",
              "overflow_answered", "reached_overflow", "completed", "past_deadline", "past_deadline_work_s",
              "resolution_sum_s", "handle_sum_s")
# metrics reported with a confidence half-width (column name + "_ci95")
QUEUE_METRICS = ("service_level", "asa_s", "abandon_rate", "overflow_share", "past_threshold_share",
                 "past_deadline_share", "past_deadline_h", "mean_resolution_h")
TEAM_METRICS = ("occupancy",)


def _binned_time(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the segments [start, end) inside each bin [edges[i], edges[i+1])."""
    if len(starts) == 0:
        return np.zeros(len(edges) - 1)
    s = np.sort(starts)
    e = np.sort(ends)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    ks = np.searchsorted(s, edges, side="left")
    ke = np.searchsorted(e, edges, side="left")
    cum = (ks * edges - cs[ks]) - (ke * edges - ce[ke])
    return np.diff(cum)


def rep_sums(inp: SimInputs, raw: RepRaw) -> dict[str, np.ndarray]:
    """Counts of one replication per queue x interval (by arrival interval), and busy/available seconds
    per team x interval."""
    Q, T = len(inp.queues), inp.n_intervals
    w = inp.interval_s
    t_int = np.clip((raw.arrival_s // w).astype(np.int64), 0, T - 1)
    cell = raw.queue * T + t_int
    size = Q * T
    served = raw.status == SERVED
    aband = raw.status == ABANDONED
    thr = np.array([s.answer_within_s for s in inp.queues])[raw.queue]
    tau = np.array([s.overflow_after_s for s in inp.queues])[raw.queue]
    live = np.array([s.live for s in inp.queues])[raw.queue]
    # a contact the overflow timer hands over waits exactly overflow_after_s: within a threshold equal to it
    within = raw.wait_s <= thr + 1e-6
    ovf = inp.overflow_team

    def cnt(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        wts = None if weights is None else np.where(mask, weights, 0.0)
        if wts is None:
            return np.bincount(cell[mask], minlength=size).astype(float).reshape(Q, T)
        return np.bincount(cell, weights=wts, minlength=size).reshape(Q, T)

    done = np.where(served, raw.done_s, np.nan)
    deferred = ~live
    late_done = deferred & served & (done > raw.deadline_s)
    late_open = deferred & ~served & (raw.deadline_s <= raw.end_s)
    late = late_done | late_open
    aht = np.array([s.aht_s for s in inp.queues])[raw.queue]
    late_work = np.where(served, raw.handle_s, aht)
    out = {
        "offered": cnt(np.ones(len(cell), bool)),
        "answered": cnt(served & live),
        "answered_within": cnt(served & live & within),
        "abandoned": cnt(aband),
        "abandoned_within": cnt(aband & within),
        "wait_sum_s": cnt(served & live, raw.wait_s),
        "overflow_answered": cnt(served & live & (raw.team == ovf)) if ovf >= 0 else np.zeros((Q, T)),
        "reached_overflow": cnt(live & (tau > 0) & (raw.wait_s >= tau)),
        "completed": cnt(served & deferred),
        "past_deadline": cnt(late),
        "past_deadline_work_s": cnt(late, late_work),
        "resolution_sum_s": cnt(served & deferred, done - raw.arrival_s),
        "handle_sum_s": cnt(served, raw.handle_s),
    }
    edges = np.arange(T + 1) * w
    G = len(inp.teams)
    busy = np.zeros((G, T))
    avail = np.zeros((G, T))
    for g in range(G):
        ba, bs, be = raw.busy
        m = inp.agent_team[ba] == g
        busy[g] = _binned_time(bs[m], be[m], edges)
        aa, as_, ae = raw.avail
        m = inp.agent_team[aa] == g
        avail[g] = _binned_time(as_[m], ae[m], edges)
    out["busy_s"] = busy
    out["available_s"] = avail
    return out


def _queue_metrics(inp: SimInputs, s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Metrics from summed counts; arrays have the queues on axis -2 (…, Q, X)."""
    defs = np.array([q.sl_definition for q in inp.queues])[:, None]
    live = np.array([q.live for q in inp.queues])[:, None]
    has_tau = np.array([q.overflow_after_s > 0 for q in inp.queues])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        off = s["offered"]
        ans = s["answered"]
        sl_offered = s["answered_within"] / off
        sl_answered = s["answered_within"] / ans
        sl_nowait = (s["answered_within"] + s["abandoned_within"]) / off
        sl = np.where(defs == "answered", sl_answered, np.where(defs == "no_wait_gt_t", sl_nowait, sl_offered))
        nan = np.nan
        return {
            "service_level": np.where(live, sl, nan),
            "asa_s": np.where(live, s["wait_sum_s"] / ans, nan),
            "abandon_rate": np.where(live, s["abandoned"] / off, nan),
            "overflow_share": np.where(live, s["overflow_answered"] / ans, nan),
            "past_threshold_share": np.where(live & has_tau, s["reached_overflow"] / off, nan),
            "past_deadline_share": np.where(live, nan, s["past_deadline"] / off),
            "past_deadline_h": np.where(live, nan, s["past_deadline_work_s"] / 3600.0),
            "mean_resolution_h": np.where(live, nan, s["resolution_sum_s"] / s["completed"] / 3600.0),
        }


def _mean_ci(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 (replications) and the 95 % half-width (nan with fewer than 2 values)."""
    valid = np.isfinite(x)
    k = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(k > 0, np.nansum(np.where(valid, x, 0.0), axis=0) / np.maximum(k, 1), np.nan)
        dev = np.where(valid, x - mean, 0.0)
        var = (dev ** 2).sum(axis=0) / np.maximum(k - 1, 1)
        tq = stats.t.ppf(0.975, np.maximum(k - 1, 1))
        half = np.where(k >= 2, tq * np.sqrt(var / np.maximum(k, 1)), np.nan)
    return mean, half


def _level_sums(per_rep: list[dict[str, np.ndarray]], key: str, level: str, ipd: int) -> np.ndarray:
    """Stack one count over replications -> (R, rows, cols) at the interval, day or overall level."""
    x = np.stack([r[key] for r in per_rep])
    if level == "interval":
        return x
    R, A, T = x.shape
    days = x.reshape(R, A, T // ipd, ipd).sum(axis=3)
    if level == "day":
        return days
    return days.sum(axis=2, keepdims=True)


def build_frames(inp: SimInputs, per_rep: list[dict[str, np.ndarray]]) -> dict[str, pd.DataFrame]:
    """The report frames: ``intervals``, ``days``, ``overall`` (per queue) and ``team_intervals``,
    ``team_days``, ``team_overall`` (occupancy per team), plus ``replication_days`` (per replication)."""
    ipd = int(round(86400 / inp.interval_s))
    T = inp.n_intervals
    labels = {
        "interval": ("interval_start", inp.interval_starts),
        "day": ("date", pd.DatetimeIndex(inp.interval_starts[::ipd]).date),
        "overall": (None, None),
    }
    qnames = [q.name for q in inp.queues]
    frames: dict[str, pd.DataFrame] = {}
    for level, key in (("interval", "intervals"), ("day", "days"), ("overall", "overall")):
        sums = {k: _level_sums(per_rep, k, level, ipd) for k in COUNT_KEYS}
        metrics = _queue_metrics(inp, sums)
        R, Qn, X = sums["offered"].shape
        cols: dict[str, np.ndarray] = {}
        col, lab = labels[level]
        if col is not None:
            cols[col] = np.tile(np.asarray(lab), Qn)
        cols["queue"] = np.repeat(qnames, X)
        cols["kind"] = np.repeat(["live" if q.live else "deferred" for q in inp.queues], X)
        for k in ("offered", "answered", "abandoned", "completed", "past_deadline"):
            cols[k] = sums[k].mean(axis=0).ravel()
        for m in QUEUE_METRICS:
            mean, half = _mean_ci(metrics[m])
            cols[m] = mean.ravel()
            cols[m + "_ci95"] = half.ravel()
        cols["sl_definition"] = np.repeat([q.sl_definition if q.live else "" for q in inp.queues], X)
        cols["answer_within_s"] = np.repeat([q.answer_within_s for q in inp.queues], X)
        frames[key] = pd.DataFrame(cols)
        if level == "day":
            rep_cols = {
                "rep": np.repeat(np.arange(R), Qn * X),
                "date": np.tile(np.tile(np.asarray(lab), Qn), R),
                "queue": np.tile(np.repeat(qnames, X), R),
            }
            for k in ("offered", "answered", "answered_within", "abandoned", "abandoned_within", "wait_sum_s",
                      "overflow_answered", "completed", "past_deadline"):
                rep_cols[k] = sums[k].ravel()
            for m in ("service_level", "asa_s", "abandon_rate", "overflow_share", "past_deadline_share"):
                rep_cols[m] = metrics[m].ravel()
            frames["replication_days"] = pd.DataFrame(rep_cols)
        # teams
        busy = _level_sums(per_rep, "busy_s", level, ipd)
        av = _level_sums(per_rep, "available_s", level, ipd)
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = busy / av
        mean, half = _mean_ci(occ)
        G = len(inp.teams)
        tcols: dict[str, np.ndarray] = {}
        if col is not None:
            tcols[col] = np.tile(np.asarray(lab), G)
        tcols["team"] = np.repeat(list(inp.teams), X)
        tcols["available_h"] = (av.mean(axis=0) / 3600.0).ravel()
        tcols["busy_h"] = (busy.mean(axis=0) / 3600.0).ravel()
        tcols["occupancy"] = mean.ravel()
        tcols["occupancy_ci95"] = half.ravel()
        frames["team_" + key] = pd.DataFrame(tcols)
        if level == "day":
            frames["replication_team_days"] = pd.DataFrame({
                "rep": np.repeat(np.arange(R), G * X),
                "date": np.tile(np.tile(np.asarray(lab), G), R),
                "team": np.tile(np.repeat(list(inp.teams), X), R),
                "available_h": av.ravel() / 3600.0,
                "busy_h": busy.ravel() / 3600.0,
            })
    del T
    return frames


def roster_effects(raws: list[RepRaw]) -> dict[str, float]:
    """Break delays and overtime over all replications (seconds, shares)."""
    delays = np.concatenate([r.break_delay_s for r in raws]) if raws else np.zeros(0)
    ot = np.concatenate([r.overtime_s for r in raws]) if raws else np.zeros(0)
    R = max(len(raws), 1)

    def q(x: np.ndarray, p: float) -> float:
        return float(np.quantile(x, p)) if len(x) else math.nan

    return {
        "breaks_per_rep": len(delays) / R,
        "breaks_delayed_share": float(np.mean(delays > 0)) if len(delays) else math.nan,
        "break_delay_mean_s": float(delays.mean()) if len(delays) else math.nan,
        "break_delay_p95_s": q(delays, 0.95),
        "break_delay_max_s": float(delays.max()) if len(delays) else math.nan,
        "shift_ends_per_rep": len(ot) / R,
        "shift_ends_late_share": float(np.mean(ot > 0)) if len(ot) else math.nan,
        "overtime_mean_s": float(ot.mean()) if len(ot) else math.nan,
        "overtime_h_per_rep": float(ot.sum() / 3600.0 / R),
        "shrinkage_h_per_rep": float(sum(r.shrink_h for r in raws) / R),
    }
