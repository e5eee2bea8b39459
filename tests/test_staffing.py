"""Staffing: queue maths invariants, required agents, build_requirements contract, deferred work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from scheduler import columns as C
from scheduler import staffing as st
from scheduler.errors import StaffingError
from scheduler.scenario import load_scenario
from tests.conftest import SCENARIOS


# ---------------------------------------------------------------------------------------------
# queue maths


def test_erlang_b_closed_form_matches_recursion_for_large_loads():
    for load in (0.5, 10.0, 480.0, 20000.0):
        n_max = int(load + 40 * np.sqrt(load) + 10)
        b = 1.0
        rec = [1.0]
        for k in range(1, n_max + 1):
            b = load * b / (k + load * b)
            rec.append(b)
        ns = np.array([0, 1, int(load), int(load) + 1, n_max])
        np.testing.assert_allclose(st.erlang_b(ns, load), np.array(rec)[ns], rtol=1e-9, atol=1e-300)


def test_agents_at_or_below_load_never_give_probabilities_above_one():
    m = st.queue_metrics(200, 180, np.arange(0, 11), 20)
    assert (m.p_wait == 1.0).all() and (m.service_level == 0.0).all() and np.isinf(m.asa_s).all()
    m = st.queue_metrics(240000, 300, 19999, 20)  # 20,000 Erlangs, one agent short of the load
    assert m.p_wait == 1.0 and m.service_level == 0.0


def test_zero_volume_needs_zero_agents_and_is_served_perfectly():
    assert st.required_agents(0.0, 300, 20, 0.8) == 0
    assert st.required_agents(0.0, 300, 20, 0.8, patience_s=60) == 0
    m = st.queue_metrics(0.0, 300, 3, 20, 60)
    assert m.service_level == 1.0 and m.abandon_rate == 0.0 and m.occupancy == 0.0


@pytest.mark.parametrize("definition", st.SL_DEFINITIONS)
def test_sl_definitions_are_named_and_ordered(definition):
    m = st.queue_metrics(720, 240, 48, 20, 90, definition=definition)
    assert m.sl_definition == definition
    assert m.service_level == {"offered": m.sl_offered, "answered": m.sl_answered,
                               "no_wait_gt_t": m.sl_no_wait_gt_t}[definition]
    # offered basis counts abandons as misses: it is the strictest of the three here
    assert m.sl_offered < m.sl_answered and m.sl_offered < m.sl_no_wait_gt_t


def test_unknown_sl_definition_is_a_clear_error():
    with pytest.raises(StaffingError, match="unknown service-level definition 'queue'"):
        st.queue_metrics(100, 180, 5, 20, definition="queue")


def test_erlang_a_needs_abandonment_and_occupancy_caps_to_not_understaff():
    free = st.required_agents(12000, 300, 20, 0.8, patience_s=180)
    capped = int(st.required_agents(12000, 300, 20, 0.8, patience_s=180, max_abandon=0.02))
    assert free == 936 < capped
    assert st.queue_metrics(12000, 300, capped, 20, 180).abandon_rate <= 0.02
    assert st.queue_metrics(12000, 300, capped - 1, 20, 180).abandon_rate > 0.02
    occ = int(st.required_agents(720, 240, 20, 0.8, patience_s=90, max_occupancy=0.85))
    assert occ > 48
    assert st.queue_metrics(720, 240, occ, 20, 90).occupancy <= 0.85 < st.queue_metrics(720, 240, occ - 1, 20, 90).occupancy


def test_asa_target_is_met_exactly():
    n = st.required_agents(720, 240, 20, 0.5, asa_target_s=5.0)
    assert st.queue_metrics(720, 240, n, 20).asa_s <= 5.0 < st.queue_metrics(720, 240, n - 1, 20).asa_s


def test_grid_and_pointwise_metrics_agree_with_abandonment_and_chat():
    rate = np.array([0.0, 35.0, 480.0, 2000.0])
    g = st.service_grid(rate, 300, np.zeros(4), 30, 30, 200, concurrency=3, concurrency_aht_growth=0.15)
    m = st.queue_metrics(rate[:, None], 300, np.arange(30)[None, :], 30, 200, concurrency=3, concurrency_aht_growth=0.15)
    for field in ("service_level", "abandon_rate", "asa_s", "occupancy", "p_wait"):
        np.testing.assert_allclose(getattr(g, field), getattr(m, field), rtol=1e-10, atol=1e-13, equal_nan=True)


def test_chat_without_growth_is_erlang_on_slots_and_growth_needs_more_agents():
    a = st.queue_metrics(120, 300, np.array([4, 5, 8]), 30, 300, concurrency=3)
    b = st.queue_metrics(120, 300, np.array([12, 15, 24]), 30, 300)
    np.testing.assert_allclose(a.service_level, b.service_level, rtol=1e-12)
    flat = st.required_agents(1200, 300, 30, 0.85, patience_s=300, concurrency=3)
    grown = st.required_agents(1200, 300, 30, 0.85, patience_s=300, concurrency=3, concurrency_aht_growth=0.15)
    single = st.required_agents(1200, 300, 30, 0.85, patience_s=300)
    assert flat < grown < single
    # not Erlang C agents divided by k: handling time grows, so more than ceil(single / 3)
    assert grown > np.ceil(single / 3)


def test_scheduled_agents_apply_shrinkage():
    assert st.scheduled_agents(14, 0.3) == 20
    assert st.scheduled_agents(0, 0.3) == 0
    with pytest.raises(StaffingError):
        st.scheduled_agents(5, 1.0)


def test_bad_targets_are_clear_errors():
    with pytest.raises(StaffingError, match=r"target service level must be in \(0, 1\], got 1.5"):
        st.required_agents(100, 180, 20, 1.5)
    with pytest.raises(StaffingError, match="aht_s must be > 0 seconds"):
        st.required_agents(100, 0, 20, 0.8)


# ---------------------------------------------------------------------------------------------
# property tests: required agents never fall when volume, AHT or the target rises

rates = hs.floats(min_value=0.0, max_value=5000.0, allow_nan=False)
ahts = hs.floats(min_value=30.0, max_value=1200.0, allow_nan=False)
targets = hs.floats(min_value=0.05, max_value=0.99, allow_nan=False)
patience = hs.one_of(hs.none(), hs.floats(min_value=10.0, max_value=1000.0))
definitions = hs.sampled_from(st.SL_DEFINITIONS)


@settings(max_examples=60, deadline=None)
@given(rates, rates, ahts, targets, patience, definitions)
def test_required_monotone_in_volume(r1, r2, aht, target, pat, definition):
    lo, hi = sorted((r1, r2))
    n = st.required_agents(np.array([lo, hi]), aht, 20, target, patience_s=pat, definition=definition)
    assert n[0] <= n[1]


@settings(max_examples=60, deadline=None)
@given(rates, ahts, ahts, targets, patience, hs.sampled_from([1, 3]))
def test_required_monotone_in_aht(rate, a1, a2, target, pat, k):
    lo, hi = sorted((a1, a2))
    kw = dict(patience_s=pat, concurrency=k, concurrency_aht_growth=0.15 if k > 1 else 0.0, max_occupancy=0.9)
    assert st.required_agents(rate, lo, 30, target, **kw) <= st.required_agents(rate, hi, 30, target, **kw)


@settings(max_examples=60, deadline=None)
@given(rates, ahts, targets, targets, patience, definitions)
def test_required_monotone_in_target(rate, aht, t1, t2, pat, definition):
    lo, hi = sorted((t1, t2))
    kw = dict(patience_s=pat, definition=definition)
    assert st.required_agents(rate, aht, 20, lo, **kw) <= st.required_agents(rate, aht, 20, hi, **kw)


@settings(max_examples=40, deadline=None)
@given(rates, ahts, targets, patience)
def test_required_is_the_smallest_meeting_the_target(rate, aht, target, pat):
    n = int(st.required_agents(rate, aht, 20, target, patience_s=pat))
    assert st.queue_metrics(rate, aht, n, 20, pat).service_level >= target - 1e-12
    if n > 0:
        assert st.queue_metrics(rate, aht, n - 1, 20, pat).service_level < target


# ---------------------------------------------------------------------------------------------
# time-varying load


def test_lagged_offered_load_is_stationary_for_constant_load_and_lags_a_ramp():
    flat = st.offered_load(np.full(8, 400.0), 240, 15)
    np.testing.assert_allclose(flat, 400 / 3600 * 240, rtol=1e-12)
    ramp = st.offered_load(np.array([100.0] * 4 + [400.0] * 4 + [100.0] * 4), 600, 15)
    stationary = np.array([100.0] * 4 + [400.0] * 4 + [100.0] * 4) / 3600 * 600
    assert ramp[4] < stationary[4] and ramp[8] > stationary[8]  # lags the jump and the drop
    assert abs(ramp[7] - stationary[7]) < 0.05 * stationary[7]  # and catches up


# ---------------------------------------------------------------------------------------------
# deferred work


def test_deferred_capacity_meets_every_deadline_in_business_hours():
    open_ = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], dtype=bool)
    work = np.array([2.0, 0, 1, 3, 0, 0, 1, 0, 0, 4])  # 3 h arrive while closed
    cap, backlog = st.deferred_capacity(work, open_, 2)
    # open-index: t0->0, t1->1, t2->2, t3/t4 -> next opening (3), t5->3, t6->4, ... t9->7
    np.testing.assert_allclose(cap, [0, 0, 2.0, 0, 0, 0, 1.0, 3.0, 1.0, 0])
    assert (cap[~open_] == 0).all()
    np.testing.assert_allclose(backlog[-1], 4.0)  # due after the horizon
    assert (backlog >= -1e-12).all()
    np.testing.assert_allclose(np.cumsum(work) - np.cumsum(cap), backlog)


# ---------------------------------------------------------------------------------------------
# build_requirements


def _forecast(scenario, days=2, scale=1.0, seed=0):
    ds = pd.date_range("2026-08-31", periods=days * scenario.intervals_per_day, freq=f"{scenario.interval_min}min")
    rng = np.random.default_rng(seed)
    minute = np.asarray(ds.hour * 60 + ds.minute)
    profile = np.sin(np.pi * minute / 1440.0) ** 2
    base = {"voice_presales": 90, "voice_aftersales": 110, "chat": 200, "email": 60, "complaints_major": 2,
            "complaints_normal": 10}
    frames = []
    for q, v in base.items():
        lo, hi = scenario.queues[q].open_minutes
        open_ = ((minute >= lo) & (minute < hi)) | ((minute + 1440 >= lo) & (minute + 1440 < hi))
        vol = scale * v * profile * rng.uniform(0.8, 1.2, len(ds)) * open_
        frames.append(pd.DataFrame({"ds": ds, "queue": q, "volume": vol, "volume_lo": vol * 0.9,
                                    "volume_hi": vol * 1.1, "model": "test"}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="module")
def req(base):
    return st.build_requirements(_forecast(base), base)


def test_build_requirements_contract(base, req):
    t = req.table
    for col in (C.INTERVAL_START, C.QUEUE, C.VOLUME, C.AHT_S, C.WORKLOAD, C.REQUIRED, C.SERVICE_LEVEL, "kind",
                "sl_definition"):
        assert col in t.columns
    assert len(t) == 6 * 2 * 96
    assert set(req.curves) == {"voice_presales", "voice_aftersales", "chat"}
    assert set(req.deferred) == {"email", "complaints_major", "complaints_normal"}
    assert req.interval_min == 15
    live = t[t["kind"] == "live"]
    assert (live[C.REQUIRED] == live[C.REQUIRED].round()).all()
    assert (live.loc[live[C.VOLUME] == 0, C.REQUIRED] == 0).all()
    assert (live["sl_definition"] == "offered").all()


def test_curves_cover_required_plus_margin_and_agree_with_the_table(base, req):
    for q, curve in req.curves.items():
        rows = req.table[req.table[C.QUEUE] == q]
        required = rows[C.REQUIRED].to_numpy().astype(int)
        assert curve.n_max >= required.max() + 10
        assert curve.lost.shape == (len(rows), curve.n_max + 1)
        # required = the first n of the curve meeting every target of the queue
        targets = st._targets_of(base.queues[q])
        m = st.ServiceMetrics(np.zeros_like(curve.lost), curve.service_level, curve.service_level,
                              curve.service_level, curve.service_level, curve.asa_s, curve.abandon_rate,
                              curve.occupancy, curve.asa_s)
        ok = st.meets_targets(m, targets)
        first = np.argmax(ok, axis=1)
        np.testing.assert_array_equal(first, required)
        # lost = volume × (1 − offered-basis SL): zero volume loses nothing, all volume lost at n = 0
        np.testing.assert_allclose(curve.lost[:, 0], curve.volume)
        assert (curve.lost >= -1e-12).all()
        assert (np.diff(curve.lost, axis=1) <= 1e-9).all()  # never rises with more agents


def test_lost_is_convex_above_the_load(req):
    for q, curve in req.curves.items():
        d2 = np.diff(curve.lost, n=2, axis=1)
        rows = req.table[req.table[C.QUEUE] == q]
        load = rows[C.WORKLOAD].to_numpy()
        k = {"chat": 3}.get(q, 1)
        n = np.arange(curve.n_max + 1)[None, 1:-1]
        above = n >= np.ceil(load[:, None] * (1.15 if k > 1 else 1.0) / k) + 1
        assert (d2[above] >= -1e-9 * (1 + curve.volume.max())).all(), q


def test_more_volume_never_needs_fewer_agents(base):
    lo = st.build_requirements(_forecast(base, days=1), base).table
    hi = st.build_requirements(_forecast(base, days=1, scale=1.5), base).table
    assert (hi[C.REQUIRED].to_numpy() >= lo[C.REQUIRED].to_numpy() - 1e-9).all()


def test_deferred_requirements_complete_work_by_the_deadline(base, req):
    for q, d in req.deferred.items():
        assert d.deadline_intervals == round(base.queues[q].sla.resolve_within_h * 4)
        np.testing.assert_allclose(d.work_h.sum(), d.min_capacity_h.sum() + d.backlog_h[-1])
        rows = req.table[req.table[C.QUEUE] == q]
        np.testing.assert_allclose(rows[C.REQUIRED].to_numpy(), d.min_capacity_h * 4)


def test_bad_forecast_frames_are_reported_clearly(base):
    f = _forecast(base, days=1)
    with pytest.raises(StaffingError, match="lacks column"):
        st.build_requirements(f.drop(columns=["volume"]), base)
    g = f.copy()
    g.loc[5, "volume"] = -1.0
    with pytest.raises(StaffingError, match=r"forecast row 6 .*'volume' is -1.0; expected a number >= 0"):
        st.build_requirements(g, base)
    g = f.copy()
    g.loc[0, "queue"] = "whatsapp"
    with pytest.raises(StaffingError, match="queue\\(s\\) 'whatsapp' not defined in the scenario"):
        st.build_requirements(g, base)
    with pytest.raises(StaffingError, match="no rows for queue"):
        st.build_requirements(f[f["queue"] != "chat"], base)
    with pytest.raises(StaffingError, match="no row for queue 'chat'"):
        st.build_requirements(f.drop(index=f.index[f["queue"] == "chat"][3]), base)


@settings(max_examples=40, deadline=None)
@given(rates, ahts, targets, patience, definitions, hs.sampled_from([1, 2, 3]),
       hs.one_of(hs.none(), hs.floats(0.6, 0.95)), hs.one_of(hs.none(), hs.floats(0.01, 0.2)),
       hs.one_of(hs.none(), hs.floats(1.0, 60.0)))
def test_required_equals_a_linear_scan_with_every_target_kind(rate, aht, target, pat, definition, k, occ, ab, asa):
    targets_ = st.Targets(20.0, target, definition, asa, ab if pat else None, occ)
    growth = 0.15 if k > 1 else 0.0
    n = int(st._required(np.asarray(rate), aht, targets_, pat, k, growth))
    scan = st.queue_metrics(rate, aht, np.arange(n + 1), 20.0, pat, concurrency=k, concurrency_aht_growth=growth,
                            definition=definition)
    ok = st.meets_targets(scan, targets_)
    assert ok[n] and not ok[:n].any()


@settings(max_examples=80, deadline=None)
@given(rates, ahts, targets, hs.floats(0.0, 120.0), hs.one_of(hs.none(), hs.floats(0.6, 0.95)),
       hs.one_of(hs.none(), hs.floats(1.0, 60.0)))
def test_scalar_erlang_c_path_equals_the_vectorised_one(rate, aht, target, t, occ, asa):
    one = st.required_agents(rate, aht, t, target, max_occupancy=occ, asa_target_s=asa)
    many = st.required_agents(np.array([rate, rate]), aht, t, target, max_occupancy=occ, asa_target_s=asa)
    assert one == many[0] == many[1]


def test_curves_too_large_for_memory_are_a_clear_error(base, monkeypatch):
    monkeypatch.setattr(st, "MAX_CURVE_CELLS", 1000)
    with pytest.raises(StaffingError, match=r"queue 'voice_presales': service-level curves would hold [\d,]+ cells"):
        st.build_requirements(_forecast(base, days=1), base)
