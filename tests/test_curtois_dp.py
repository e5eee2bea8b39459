"""The dynamic-programming pricing of one employee's roster line (scheduler/optimize/curtois_dp.py)
against CP-SAT on the rule-engine model of that employee: same optimum under random duals, and every
schedule it returns keeps every hard rule of the rule engine."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from scheduler.io.curtois import parse_curtois, read_curtois
from scheduler.optimize.curtois import Clock, _Data, build_curtois_model
from scheduler.optimize.curtois_cg import SCALE, ColumnGeneration
from scheduler.optimize.curtois_dp import LinePricer

from conftest import SHARED, shared_path
from curtois_factory import make

# every rule the program handles, on 14 days (two weekends): rotation, per-type maxima, minutes,
# run lengths with the horizon-boundary exemption, weekends, fixed days off, requests
TINY = make(horizon=14, shifts=["E,480,", "L,600,E", "N,720,E|L"],
            staff=["A,E=14|L=14|N=3,6000,3360,4,2,2,1", "B,E=0|L=5|N=5,7200,4800,5,3,3,2",
                   "C,E=14|L=14|N=14,8000,0,3,1,1,2"],
            days_off=["A,3", "B,10", "C"], on=["A,0,E,2", "B,6,N,1", "C,13,L,3"], off=["A,5,L,2", "C,0,N,1"],
            cover=[f"{d},{s},1,100,1" for d in range(14) for s in "ELN"])


def _instances():
    yield _Data(parse_curtois(TINY, name="tiny"))
    for k in (3, 8):          # collected at import: a missing ../shared leaves them out (shared_path would skip)
        path = SHARED / "benchmarks" / "curtois-qu-nrp-1-24" / f"Instance{k}.txt"
        if path.exists():
            yield _Data(read_curtois(path))


def _keeps_rules(data: _Data, a: int, pat: np.ndarray) -> bool:
    base = np.full((data.n_agents, data.h), -1, dtype=np.int64)
    base[a] = pat
    m = build_curtois_model(data, agents=[a], base=base, lock=True, cover=False)
    return cp_model.CpSolver().solve(m.model) == cp_model.OPTIMAL


def _compare(data) -> int:
    """Program against CP-SAT pricing on a few employees and random duals; returns how many times the
    program could not prove its value exact."""
    inexact = 0
    rng = np.random.default_rng(1)
    cg = ColumnGeneration(data, build_curtois_model, clock=Clock(1e9, True), threads=1, use_dp=False)
    days = np.arange(data.h)
    for a in range(min(4, data.n_agents)):
        line = LinePricer(data, a)
        for _ in range(2):
            pi = rng.uniform(-5, 80, size=(data.h, data.n_shifts)) * data.has_cover
            value, pats, exact = line.price(pi)
            cp_bound, cp_pats = cg.price(a, pi, 30.0, early_stop_s=None)
            cp_best = min(cg.pattern_cost(a, p) - float(pi[days[p >= 0], p[p >= 0]].sum()) for p in cp_pats)
            tol = 1e-6 + data.h * data.n_shifts / SCALE
            assert cp_bound <= cp_best + tol         # CP-SAT proved its optimum (30 s is plenty here)
            assert value <= cp_best + tol            # the program's value is a valid lower bound ...
            for pat in pats:                         # ... its schedules keep every rule ...
                assert _keeps_rules(data, a, pat)
            if exact:                                # ... and it is the optimum when it says so
                rc = cg.pattern_cost(a, pats[0]) - float(pi[days[pats[0] >= 0], pats[0][pats[0] >= 0]].sum())
                assert rc == pytest.approx(value, abs=1e-6)
                assert value == pytest.approx(cp_best, abs=tol)
            inexact += not exact
    return inexact


@pytest.mark.parametrize("data", list(_instances()), ids=lambda d: d.inst.name)
def test_program_matches_cp_sat_pricing_and_keeps_every_rule(data):
    _compare(data)


def test_relaxed_maxima_give_a_lagrangian_bound_and_rule_keeping_schedules(monkeypatch):
    # no shift-type count tracked: the maxima are relaxed and priced (Instance8 has binding maxima)
    monkeypatch.setattr("scheduler.optimize.curtois_dp.TRACK_CELLS", 0)
    path = shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance8.txt")
    if not path.exists():
        pytest.skip("Instance8 not available")
    assert _compare(_Data(read_curtois(path))) > 0


def test_program_reports_no_schedule_when_the_rules_leave_none():
    # at least 2400 minutes in 3 days of 480: impossible
    data = _Data(parse_curtois(make(horizon=3, staff=["A,D=3,2400,2400,3,1,1,1"]), name="none"))
    value, pats, _ = LinePricer(data, 0).price(np.zeros((3, 1)))
    assert value == np.inf and pats == []


def _rc(cg: ColumnGeneration, a: int, pat: np.ndarray, pi: np.ndarray) -> float:
    days = np.arange(len(pat))
    return cg.pattern_cost(a, pat) - float(pi[days[pat >= 0], pat[pat >= 0]].sum())


def _same_rules_batch(k: int, seed: int):
    """Instance8's first ``k`` employees with the run rules of its first, column generation's pool (for
    reduced costs) and random duals per (employee, day, shift)."""
    data = _Data(read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance8.txt")))
    rules = [(e.max_consecutive_shifts, e.min_consecutive_shifts, e.min_consecutive_days_off) for e in data.inst.employees]
    agents = [a for a in range(data.n_agents) if rules[a] == rules[0]][:k]
    cg = ColumnGeneration(data, build_curtois_model, clock=Clock(1e9, True), threads=1, use_dp=False)
    pis = np.random.default_rng(seed).uniform(-5, 80, size=(len(agents), data.h, data.n_shifts)) * data.has_cover
    return data, agents, cg, pis


def test_batch_program_prices_each_employee_as_its_own_program():
    """Employees sharing their run rules priced together (an employee axis, days off and forbidden types
    as infinite costs, each one's own minutes and weekends on the last day) get the value of their own
    program with the same relaxed maxima, and schedules that keep every rule."""
    data, agents, cg, pis = _same_rules_batch(6, seed=3)
    batch = LinePricer(data, agents, track=False).price_all(pis)
    for b, a in enumerate(agents):
        value, pats, exact = LinePricer(data, a, track=False).price(pis[b])
        assert batch[b][0] == pytest.approx(value, abs=1e-6)
        assert batch[b][2] == exact
        for pat in batch[b][1]:
            assert _keeps_rules(data, a, pat)
        if exact:
            assert _rc(cg, a, batch[b][1][0], pis[b]) == pytest.approx(value, abs=1e-6)


def test_corridor_keeps_every_rule_and_never_beats_the_exact_program():
    data = _Data(read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance8.txt")))
    cg = ColumnGeneration(data, build_curtois_model, clock=Clock(1e9, True), threads=1, use_dp=False)
    rng = np.random.default_rng(4)
    for a in range(3):
        pi = rng.uniform(-5, 80, size=(data.h, data.n_shifts)) * data.has_cover
        exact_value, _, exact = LinePricer(data, a).price(pi)
        narrow = LinePricer(data, a, band=0.5)
        assert not narrow.exact and narrow.cells_now < LinePricer(data, a).cells_now
        _, pats, _ = narrow.price(pi)
        for pat in pats:
            assert _keeps_rules(data, a, pat)
            if exact:
                assert _rc(cg, a, pat, pi) >= exact_value - 1e-6


def test_a_corridor_around_schedules_holds_them_so_a_best_response_there_is_no_worse():
    """Best responses on a roster price a batch in a corridor around its employees' current schedules
    (``corridor_around``), not at the demand's pace, which a local search's schedules leave: each schedule's
    running minutes and weekends lie inside it, so the program's value there is at most the schedule's own
    reduced cost, and what it returns keeps every rule."""
    data, agents, cg, pis = _same_rules_batch(3, seed=6)
    pis[:, data.h // 2:] -= 60          # work pays in the first half only: schedules far ahead of a steady pace
    rows = np.array([LinePricer(data, a).price(pis[b])[1][0] for b, a in enumerate(agents)])
    line = LinePricer(data, agents, band=0.5, track=False)
    lo, hi = line.corridor_around(rows, 0.5)
    units = np.zeros((len(agents), data.h + 1), dtype=np.int64)
    units[:, 1:] = np.cumsum(np.where(rows >= 0, data.lengths[rows] // line.unit, 0), axis=1)
    weekends = np.zeros_like(units)
    for sat in range(5, data.h, 7):
        first = np.where(rows[:, sat] >= 0, sat + 1, np.where(rows[:, sat + 1] >= 0, sat + 2, data.h + 1))
        for b in range(len(agents)):
            weekends[b, first[b]:] += 1
    assert ((lo[:, 1] <= units) & (units <= hi[:, 1])).all() and ((lo[:, 0] <= weekends) & (weekends <= hi[:, 0])).all()
    paced = (line.lo[:, 1] <= units) & (units <= line.hi[:, 1])
    assert not paced.all()              # (the pace's corridor does not hold them: the point of this one)
    res = line.price_all(pis, windows=(lo, hi))
    for b, a in enumerate(agents):
        value, pats, _ = res[b]
        assert value <= _rc(cg, a, rows[b], pis[b]) + 1e-6
        assert pats and all(_keeps_rules(data, a, pat) for pat in pats)


def test_follow_fills_in_proportion_under_the_caps():
    from scheduler.optimize.curtois_dp import _follow

    out = _follow(np.array([1.0, 1.0, 4.0, 0.0]), 4.0, np.array([5.0, 5.0, 2.0, 5.0]))
    assert out.sum() == pytest.approx(4.0) and out[2] == pytest.approx(2.0)       # the big one at its cap
    assert out[0] == pytest.approx(1.0) and out[1] == pytest.approx(1.0) and out[3] == 0.0
    assert _follow(np.ones(3), 10.0, np.array([1.0, 2.0, 3.0])).tolist() == [1.0, 2.0, 3.0]   # caps too small


def test_corridor_follows_the_demands_pace_as_far_as_the_run_rules_allow(monkeypatch):
    """Instance24's demand grows from ~3,000 hours a week to 9,126 in the last: the corridor's centre puts
    more of an employee's minutes and weekends late in the year than a steady pace, never faster a day than
    PACE_RATE of the densest run nor more than one weekend a weekend, and ends at the same totals; its
    schedules keep every rule. Instance23's demand is even: its pace stays steady."""
    from scheduler.optimize import curtois_dp

    data = _Data(read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance24.txt")))
    a = 0
    off = set(data.inst.employees[a].days_off)
    out = {}
    for on in (False, True):
        monkeypatch.setattr(curtois_dp, "PACE_DEMAND", on)
        line = LinePricer(data, a, band=2.0, track=False)
        units = 0.5 * (line.mins[0] + line.Ms[0])
        out[on] = line._paces(off, units, line.Ws[0], 2.0 * max(line.dm.values()))
    (mid0, w0), (mid1, w1) = out[False], out[True]
    assert mid0[-1] == pytest.approx(units) and mid1[-1] == pytest.approx(units)
    assert w0[-1] == pytest.approx(line.Ws[0]) and w1[-1] == pytest.approx(line.Ws[0])
    q = 3 * data.h // 4
    assert mid1[q] < mid0[q] - 5 * max(line.dm.values()) and w1[q] < w0[q] - 2
    rate = curtois_dp.PACE_RATE * line.cmax * max(line.dm.values()) / (line.cmax + line.omin)
    assert (np.diff(mid1) <= rate + 1e-6).all() and (np.diff(mid1) >= -1e-9).all()
    assert (np.diff(w1) <= 1 + 1e-9).all() and w1[-1] - w1[-3] > w1[14] - w1[12]
    pi = np.random.default_rng(5).uniform(-5, 80, size=(data.h, data.n_shifts)) * data.has_cover
    _, pats, _ = line.price(pi)
    assert pats and all(_keeps_rules(data, a, pat) for pat in pats)
    # Instance23's even demand leaves the pace steady
    data = _Data(read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance23.txt")))
    line = LinePricer(data, a, band=2.0, track=False)
    units = 0.5 * (line.mins[0] + line.Ms[0])
    width = 2.0 * max(line.dm.values())
    mid, w = line._paces(set(data.inst.employees[a].days_off), units, line.Ws[0], width)
    monkeypatch.setattr(curtois_dp, "PACE_MIN_DEV", 0.0)
    mid_any, w_any = line._paces(set(data.inst.employees[a].days_off), units, line.Ws[0], width)
    workable = np.cumsum([0] + [d not in data.inst.employees[a].days_off for d in range(data.h)])
    assert np.allclose(mid, units * workable / workable[-1]) and not np.allclose(mid_any, mid)


def test_repair_moves_shifts_over_a_maximum_to_other_types_of_the_same_length():
    # E and L of 480 min, at most 2 L; the duals pay L on every day: the program without the maximum
    # works L throughout, the repair turns the surplus into E where the succession allows it
    text = make(horizon=7, shifts=["E,480,", "L,480,", "N,600,"],
                staff=["A,E=7|L=2|N=7,3360,1920,7,1,1,2"], cover=[f"{d},L,1,100,1" for d in range(7)])
    data = _Data(parse_curtois(text, name="repair"))
    line = LinePricer(data, 0, track=False)
    pi = np.zeros((7, 3))
    pi[:, 1] = 50.0
    cost = line.req_cost.copy()
    cost[:, :, :3] -= pi[None]
    (_, pats), = line._solve(cost, [0], 1)
    assert (pats[0] == 1).sum() > 2                        # over the maximum
    fixed = line._repair(pats[0], 0, cost[0])
    assert fixed is not None and (fixed == 1).sum() == 2 and (fixed[pats[0] != 1] == pats[0][pats[0] != 1]).all()
    assert _keeps_rules(data, 0, fixed)
    # nothing of the same length to turn N into: no repair
    only_n = make(horizon=7, shifts=["E,480,", "N,600,"], staff=["A,E=7|N=1,4200,0,7,1,1,2"], cover=["0,E,0,100,1"])
    data2 = _Data(parse_curtois(only_n, name="norepair"))
    assert LinePricer(data2, 0, track=False)._repair(np.array([1, 1, -1, -1, -1, -1, -1]), 0, np.zeros((7, 3))) is None


def test_single_precision_values_give_the_same_schedules_and_a_lower_bound():
    """Long batched programs keep their values in float32 (memory): on the tiny instance under random
    duals the optimum is the float64 one up to rounding (and not above it: it must stay a lower bound),
    and the schedules are as good."""
    data = _Data(parse_curtois(TINY, name="tiny"))
    rng = np.random.default_rng(7)
    for a in range(data.n_agents):
        line = LinePricer(data, a, track=False)
        for _ in range(3):
            cost = line.req_cost.copy()
            cost[:, :, :data.n_shifts] -= rng.uniform(-5, 80, size=(data.h, data.n_shifts))[None]
            (v64, p64), = line._solve(cost, [0], 3, dtype=np.float64)
            (v32, p32), = line._solve(cost, [0], 3, dtype=np.float32)
            assert v32 <= v64 and v32 == pytest.approx(v64, rel=1e-4)
            days = np.arange(data.h)
            value = lambda p: float(cost[0, days, np.where(p >= 0, p, data.n_shifts)].sum())
            assert value(p32[0]) == pytest.approx(value(p64[0]), rel=1e-4)
            for pat in p32:             # (the per-type maxima are relaxed in the program itself)
                assert not line.keeps_maxima(pat) or _keeps_rules(data, a, pat)
