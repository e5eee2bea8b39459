"""Every row of ../shared/staffing/erlang_vectors.csv and the closed-form rows of overflow_vectors.csv."""

from __future__ import annotations

import csv
import math
import re

import numpy as np

from scheduler import staffing as st
from tests.conftest import shared_path

METRICS = {
    "pw": lambda m: m.p_wait,
    "sl": lambda m: m.sl_offered,
    "asa": lambda m: m.asa_s,
    "abandon": lambda m: m.abandon_rate,
    "occupancy": lambda m: m.occupancy,
    "sl_answered_basis": lambda m: m.sl_answered,
    "p_wait_gt_t": lambda m: 1.0 - m.sl_no_wait_gt_t,
    "mean_wait_all": lambda m: m.mean_wait_all_s,
}


def _rows(name: str) -> list[dict]:
    with open(shared_path("staffing", name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _printed_resolution(text: str) -> float:
    """Half a unit in the last printed digit of ``text`` (the expected values are rounded)."""
    mant, _, exp = text.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))


def _tolerance(row: dict, expected_text: str) -> float:
    """Absolute tolerance of one expected value: the row's stated tolerance, and never tighter than
    the rounding of the printed value (``published digits``/``round`` rows: that rounding alone)."""
    tol_text = row["tolerance"]
    expected = float(expected_text)
    printed = _printed_resolution(expected_text)
    m = re.search(r"abs ([0-9.]+)\)", tol_text)
    if m:  # "published 0.1% (abs 0.0005)"
        return max(float(m.group(1)), printed)
    m = re.match(r"([0-9.e-]+) abs", tol_text)
    if m:
        return max(float(m.group(1)), printed) + 1e-12
    m = re.match(r"([0-9.e-]+) rel", tol_text)
    if m:
        return max(float(m.group(1)) * abs(expected), printed) + 1e-12
    if tol_text == "exact":
        return printed * 1.0001 + 1e-12
    if "published 14% (round)" in tol_text:
        return 0.005
    if tol_text.startswith("published as <8%"):
        return 0.005
    m = re.match(r"published digits \((\d+) s\.f\.\)", tol_text)
    if m:  # half a unit in the last significant figure the source printed
        digits = int(m.group(1))
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - digits + 1) if expected else 1e-12
    raise AssertionError(f"{row['case_id']}: tolerance {tol_text!r} not understood by the test")


def _patience(row: dict) -> float | None:
    p = float(row["patience_seconds"])
    return None if math.isinf(p) else p


ERLANG_ROWS = None


def _erlang_rows() -> list[dict]:
    global ERLANG_ROWS
    if ERLANG_ROWS is None:
        ERLANG_ROWS = _rows("erlang_vectors.csv")
    return ERLANG_ROWS


def test_every_erlang_vector_row_is_reproduced():
    rows = _erlang_rows()
    assert len(rows) >= 50
    failures = []
    checked = 0
    for row in rows:
        if row["vector_type"] == "metrics":
            m = st.queue_metrics(
                float(row["arrival_rate_per_hour"]), float(row["aht_seconds"]), int(row["agents"]),
                float(row["target_seconds"]), _patience(row),
            )
            for key, get in METRICS.items():
                text = row[f"expected_{key}"]
                if text == "":
                    continue
                expected, got = float(text), float(get(m))
                checked += 1
                if math.isnan(expected) or math.isinf(expected):
                    ok = (math.isnan(expected) and math.isnan(got)) or got == expected
                else:
                    ok = abs(got - expected) <= _tolerance(row, text)
                if not ok:
                    failures.append(f"{row['case_id']} {key}: got {got!r}, expected {text} ({row['tolerance']})")
        elif row["vector_type"] == "required_agents":
            occ = float(row["max_occupancy"]) if row["max_occupancy"] else None
            req = st.required_agents(
                float(row["arrival_rate_per_hour"]), float(row["aht_seconds"]), float(row["target_seconds"]),
                float(row["target_sl"]), patience_s=_patience(row), max_occupancy=occ,
            )
            got = int(req)
            if row["shrinkage"]:
                got = int(st.scheduled_agents(req, float(row["shrinkage"])))
            checked += 1
            if got != int(row["expected_required_agents"]):
                failures.append(f"{row['case_id']}: required {got}, expected {row['expected_required_agents']}")
        else:
            failures.append(f"{row['case_id']}: unknown vector_type {row['vector_type']!r}")
    assert not failures, "\n".join(failures)
    assert checked > 250


def test_metric_rows_also_hold_on_a_grid():
    """service_grid (Erlang B carried up by recursion) agrees with queue_metrics (closed form at n)."""
    for row in _erlang_rows():
        if row["vector_type"] != "metrics" or int(row["agents"]) < 2:
            continue
        n = int(row["agents"])
        g = st.service_grid(
            [float(row["arrival_rate_per_hour"])], float(row["aht_seconds"]), [n - 2], 3,
            float(row["target_seconds"]), _patience(row),
        )
        expected = float(row["expected_sl"])
        assert abs(g.sl_offered[0, 2] - expected) <= _tolerance(row, row["expected_sl"]), row["case_id"]


def _overflow_value(row: dict, metric: str, method: str) -> float | None:
    """Our value for one overflow_vectors row, or None where we have no closed form for it."""
    if row["model"] == "time_threshold_overflow_transfer":
        o = st.overflow_metrics(float(row["arrival_rate_per_hour"]), float(row["aht_seconds"]),
                                int(row["primary_agents"]), float(row["overflow_after_seconds"]), 20.0,
                                backup_agents=int(row["backup_agents"]))
        if metric == "backup_p_wait":
            return float(o.naive_backup_p_wait) if method.startswith("NAIVE") else None
        return {"primary_p_wait": o.p_wait, "fraction_overflowed": o.p_overflow,
                "answered_by_primary_within_20s": o.answered_by_primary_within_t}.get(metric)
    lo = st.loss_overflow(float(_loss_load[row["case_id"]]), int(row["primary_agents"]), int(row["backup_agents"]))
    if metric == "backup_call_congestion":
        if method.startswith("NAIVE"):
            return float(lo.naive_congestion)
        if method.startswith("Hayward"):
            return float(lo.hayward_congestion)
        return float(lo.exact_congestion)  # exact row, and DES rows compared with the exact value
    return {"offered_load_erlangs": _loss_load[row["case_id"]], "overflow_mean_erlangs": lo.mean_erlangs,
            "overflow_variance": lo.variance, "peakedness_z": lo.peakedness}.get(metric)


_loss_load: dict[str, float] = {}


def test_overflow_vectors_closed_forms_and_simulations():
    rows = _rows("overflow_vectors.csv")
    for row in rows:
        if row["metric"] == "offered_load_erlangs":
            _loss_load[row["case_id"]] = float(row["expected_value"])
    failures, checked = [], 0
    for row in rows:
        method = row["method"]
        got = _overflow_value(row, row["metric"], method)
        if got is None:
            continue
        expected = float(row["expected_value"])
        simulated = method.startswith(("own DES", "ciw"))
        # closed forms: the 8 printed significant figures; simulations: twice their 95 % half-width
        tol = 2.0 * float(row["ci95"]) if simulated else 5e-8 * abs(expected) + 1e-12
        checked += 1
        if abs(float(got) - expected) > tol:
            failures.append(f"{row['case_id']} {row['metric']} ({method[:40]}): got {float(got):.8g}, expected {expected:.8g} ± {tol:.2g}")
    assert not failures, "\n".join(failures)
    assert checked >= 35


def test_overflow_traffic_is_peaky_so_naive_backup_sizing_understates_waiting():
    rows = _rows("overflow_vectors.csv")
    des = {r["case_id"]: float(r["expected_value"]) for r in rows
           if r["metric"] == "backup_p_wait" and r["method"].startswith("own DES")}
    for case, (n1, n2, tau) in {"OVF-TT-1": (35, 4, 30), "OVF-TT-2": (33, 6, 20)}.items():
        naive = float(st.overflow_metrics(400, 300, n1, tau, 20, backup_agents=n2).naive_backup_p_wait)
        assert naive < 0.35 * des[case]
    z = st.loss_overflow(np.array([8.0, 18.0, 60.0, 95.0]), np.array([10, 20, 50, 100]), np.array([4, 6, 10, 20])).peakedness
    assert (z > 2.0).all()
