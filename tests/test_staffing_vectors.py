"""Every row of ../shared/staffing/erlang_vectors.csv and the closed-form rows of overflow_vectors.csv."""

from __future__ import annotations

import csv
import math
import re

import numpy as np
import pytest

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
