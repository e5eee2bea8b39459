"""A lower bound and fractional shift counts from one linear programme per Monday–Sunday week.

The per-day LP (:mod:`.lpbound`) drops who works on which day of a week; here the days of a week are
one LP, so the weekly pool rules bind (a relaxation of the per-agent rules, summed over the pool):
- shift counts ``x[p, d, s]`` (continuous), at most the pool's members available on day d per day;
- working days: ``Σ_{d,s} x ≤ Σ_agents min(available days, days − min days off)`` per pool-week;
- paid minutes between the members' prorated weekly minimum and their maximum (+ overtime, whose extra
  cost is dropped); nights at most the members' weekly night allowance;
- team caps (at most ``max_agents`` on shift at once);
- capacity per capacity group and interval at most its efficiency × shifts covering it less the agents on
  break there: break counts per shift, break rule and allowed start offset, shared by the group's pools of
  equal efficiency (:func:`.lpbound.break_positions`; before, a per-day budget of break time);
- allocation of each capacity group over its queues, the convex lost-contact segments and the
  over-staffing price (as in the roster's cost), deferred work with its backlog and deadlines.
Night shifts of the day before the week cover the week's first intervals and pay the share of their
intervals inside it (the week before pays the rest; less the weekly minimum's price on their paid minutes
when the week before is counted by its per-day LPs); the backlog carried between weeks is priced with
the per-day LP's Lagrangian price, so weeks separate; two adjacent weeks, or the whole horizon, may be one LP
(``_week`` takes a list of weeks: each week keeps its own weekly rows, the backlog and the shifts crossing
between them are exact). Any such price gives a valid bound, so the sum of
the weeks is a valid lower bound of every roster's cost. Rest between days, consecutive days and two
days off together stay relaxed. Solved by HiGHS (scipy).

Measured on 11.11 (docs/model.md): 13-18 s per week with HiGHS's interior point without crossover (load
1.6; 9 s with the per-day break budget and crossover), the four weeks 968 k (938 k with the break budget;
the per-day LPs 0.78 M). Its fractional shift counts, rounded, as the roster's start instead of the
greedy's: −0.7 to −0.9 % after the improvement rounds at 120 s with the LPs' ~80 s not counted, no gain
with them counted (docs/model.md, stage 5): rounding its very fractional counts costs ~8 % at its own
prices, and the named assignment drops more.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scheduler.optimize.bound import ALPHAS, _Fluid, bound_limits
from scheduler.optimize.lpbound import (_LP, _day, _rho, add_service_terms, break_positions, carry_at, fluid_avail,
                                         full_rho, reduced_cost, split_capacity)
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem, Week

log = logging.getLogger(__name__)


@dataclass
class LPBound:
    bound: float | None          # objective units; None when not every day's LP was solved in time
    weeks_by_week_lp: int        # weeks whose part came from the week LP (the others: per-day LPs)
    wall_s: float
    weeks_joined: int = 0        # weeks solved in one LP with a neighbouring week
    whole: bool = False          # the whole horizon solved as one LP
    joined_weeks: tuple[tuple[int, int], ...] = ()   # (first, last) week (1-based) of each LP of several weeks


def lp_bound(prob: RosterProblem, time_limit_s: float = 120.0,
             given: Callable[[], dict[int, float]] | None = None) -> LPBound:
    """The best valid LP bound within ``time_limit_s`` (wall clock): each week's part is its week LP when that
    is solved, else the sum of its per-day LPs (:mod:`.lpbound`, fast). Both relax the same weekly subproblem;
    the backlog carried across a boundary between two parts is priced, paid by the part before and earned back
    by the part after at the same price (and a shift crossing into the next week never costs more than its
    plain share there), so any mix sums to a valid lower bound. The price at a boundary between days is the
    fluid bound's (:func:`.lpbound._rho`, the cheapest capacity at the price per paid minute); at a week
    boundary entered by a week LP it is the cheapest capacity's full cost (:func:`.lpbound.full_rho`: on
    11.11 913 k -> 938 k for the four week LPs; at every day boundary the full cost gives per-day LPs that
    take in backlog they are never charged for: 779 k -> 614 k, hence only there). Each boundary's price is
    fixed the first time a part that was solved uses it, and the weeks are taken last first, so a week LP
    knows the price its successor entered at.

    Order: one day LP is timed first (the first day of the week taken last); then, week by week, the week LP
    is tried with the time left less what the per-day LPs of the weeks still without a part would take
    (:data:`DAY_LP_RESERVE` × the timed day), and a week whose week LP is not tried or not solved in that
    time gets its per-day LPs; time still left goes to the week LPs not solved (a week then counts the larger
    of its two parts). So the week LPs start at once, and a slow week LP never leaves a week without a part
    (before, all per-day LPs came first: 10 s on 11.11 on a quiet machine, 30-100 s under load). These week LPs
    take the breaks as a per-day budget (:data:`BUDGET`, fast); time still left goes, week by week in the same
    order, to the week LP with each break inside its window (:data:`POSITIONS`, tighter, about twice as slow),
    and a week counts the larger of its parts (both relax the same weekly subproblem at the same prices) —
    adjacent weeks joined into one such LP where the time left allows (:func:`_join_plan`: the cut of the horizon
    whose predicted time fits, leaving priced the boundaries the budget week LPs balance best; a block's LP is at
    least the sum of its weeks' LPs at any price of the boundaries inside it, and enters and leaves at its
    neighbours' prices), the whole horizon when it fits (no priced boundary: 11.11 989 k against 968 k for the
    four weeks apart and 974 k for the best prices the dual ascent found in 17 min). On 11.11 at 106 s, quiet
    machine: weeks 1-3 as one LP and week 4 alone, 984,295 in 84.6 s (before, the two pairs: 980,258). The
    per-day LPs here (timing and fallback) take the break budget too (with break positions a day LP took
    2.5-3.7 s instead of 1.5-1.9 s on 11.11 under load 4, so the reserve for the per-day LPs held back the week
    LPs).

    ``given``: called for the single weeks' LPs with break positions that another process solved at the same
    prices (:func:`lp_counts`' ``values``: the roster's start): the plan then counts no time for single weeks and
    solves the joined blocks first; a single week's given value is taken when every boundary of its week is
    priced at the full cost here (else, or when none came, it is solved with the time left). 11.11: the roster's
    week LPs arrive ~45 s in, and weeks 1-3 as one LP then fit beside them."""
    t_start = time.perf_counter()
    t_end = t_start + time_limit_s
    fluid, alpha, week_of_day = _setup(prob)
    nw = len(prob.weeks)
    const = np.zeros(nw)
    for (p, w) in fluid.minimum:
        const[w] += fluid.constant(p, w, alpha[w])
    order = sorted(prob.weeks, key=lambda w: (-len(w.days), -w.index))
    days_done: dict[int, float] = {}
    starts = {w.days[0] for w in prob.weeks if w.days[0] > 0}
    fixed: dict[int, bool] = {}          # week boundary (first day of a week) -> priced at the full cost

    def price(d: int, full: bool):
        full = fixed.get(d, full) if d in starts else False
        if full:
            return lambda q: full_rho(fluid, q)
        return _rho(prob, fluid, alpha, week_of_day, None, d)

    def day(d: int) -> float | None:
        if d not in days_done:
            remaining = t_end - time.perf_counter()
            value = (_day(prob, fluid, alpha, week_of_day, d, remaining, price(d, False), price(d + 1, False), BUDGET)
                     if remaining > 0 else None)
            if value is None:
                return None
            for b in (d, d + 1):
                fixed.setdefault(b, False)
            days_done[d] = value
        return days_done[d]

    week_lp: dict[int, tuple[float, dict]] = {}      # week -> (its week LP, its backlog flows)
    # weeks whose part is a week LP's (or a block's), never to become a per-day LPs' sum: the shifts crossing
    # from such a week into the next are paid there at their plain share (see _week's ``plain_before``)
    by_lp: set[int] = set()
    week_s = 0.0
    budget_s: list[float] = []         # the break-budget week LPs' times (per 7 days)
    positioned_s: dict[int, float] = {}  # week -> its own LP's time with break positions

    def week(w: Week, time_s: float, breaks: str = BUDGET) -> float | None:
        nonlocal week_s
        first, end = w.days[0], w.days[-1] + 1
        flows: dict = {}
        t = time.perf_counter()
        out = _week(prob, fluid, alpha, week_of_day, w, time_s, price(first, True), price(end, False), flows, breaks,
                    plain_before=w.index - 1 in by_lp)
        log.info("LP bound: week %d (%s) %.1f s, %s", w.index + 1, breaks, time.perf_counter() - t,
                 "not solved" if out is None else f"{out / OBJ_SCALE:,.0f}")
        if out is not None:
            fixed.setdefault(first, True)
            fixed.setdefault(end, False)
            if breaks == POSITIONS or w.index not in week_lp:
                week_lp[w.index] = (out, flows)
            week_s = max(week_s, len(prob.weeks) * (time.perf_counter() - t))
            if breaks == BUDGET:
                budget_s.append((time.perf_counter() - t) * 7 / len(w.days))
            else:
                positioned_s[w.index] = time.perf_counter() - t
        return out

    def block(ws, time_s: float) -> float | None:
        """Adjacent weeks ``ws`` as one LP with the breaks inside their windows, entered and left at the prices
        their neighbours were solved at (every boundary is fixed by then)."""
        t = time.perf_counter()
        out = _week(prob, fluid, alpha, week_of_day, list(ws), time_s, price(ws[0].days[0], True),
                    price(ws[-1].days[-1] + 1, False), None, POSITIONS, plain_before=ws[0].index - 1 in by_lp)
        log.info("LP bound: weeks %d-%d as one LP %.1f s, %s", ws[0].index + 1, ws[-1].index + 1,
                 time.perf_counter() - t, "not solved" if out is None else f"{out / OBJ_SCALE:,.0f}")
        return out

    t = time.perf_counter()
    if day(order[-1].days[0]) is None:
        return LPBound(None, 0, time.perf_counter() - t_start)
    per_day_s = time.perf_counter() - t
    part: dict[int, float] = {}
    by_week: set[int] = set()
    for i, w in enumerate(order):
        later = sum(len(v.days) for v in order[i + 1:])
        budget = t_end - time.perf_counter() - DAY_LP_RESERVE * per_day_s * (later + len(w.days))
        if budget >= WEEK_LP_MIN_S * len(w.days) / 7:
            out = week(w, budget)
            if out is not None:
                part[w.index] = out
                by_week.add(w.index)
                by_lp.add(w.index)
                continue
        values = [day(d) for d in w.days]
        if any(v is None for v in values):
            return LPBound(None, len(by_week), time.perf_counter() - t_start)
        part[w.index] = const[w.index] + sum(values)
    for w in order:                      # time left: the week LPs not tried or not finished, with no reserve now
        if w.index in by_week:
            continue
        remaining = t_end - time.perf_counter()
        if remaining < WEEK_LP_MIN_S * len(w.days) / 7:
            break
        out = week(w, remaining)
        if out is None:
            break
        if out >= part[w.index]:
            by_lp.add(w.index)
        part[w.index] = max(part[w.index], out)
        by_week.add(w.index)
    # time left: the LPs with each break inside its window (tighter, about twice as slow as the budget), adjacent
    # weeks joined into one LP where the time allows (the backlog and the shifts crossing the boundaries between
    # them exact instead of priced): the fewest boundaries left priced that the time allows, those whose priced
    # backlog the week LPs balance best (:func:`_join_plan`); the single weeks solved first, the joined blocks last
    mismatch = {}
    for w in prob.weeks[1:]:
        before, after = week_lp.get(w.index - 1), week_lp.get(w.index)
        d = w.days[0]
        if before is None or after is None:
            mismatch[d] = np.inf
            continue
        rho = price(d, True)
        mismatch[d] = sum(rho(q) * abs(before[1].get(q, (0.0, 0.0))[1] - after[1].get(q, (0.0, 0.0))[0])
                          for q in prob.deferred)
    # the median budget week predicts the joined LPs' time (on 11.11 in-run one of four took 8.5 s against 4.8-5.5
    # s, the roster's CP-SAT stage still running beside it)
    budget_lp_s = float(np.median(budget_s)) if budget_s else np.inf
    blocks = _join_plan(prob.weeks, mismatch, budget_lp_s, t_end - time.perf_counter(), singles_given=given is not None)
    log.info("LP bound: %.1f s left, a break-budget week LP %.1f s, boundary mismatch %s: weeks %s", t_end - time.perf_counter(),
             budget_lp_s, ", ".join(f"{v / OBJ_SCALE:,.0f}" for v in mismatch.values()),
             " | ".join("-".join(str(w.index + 1) for w in b) for b in blocks))
    positioned, joined, whole, ranges = 0, 0, False, []

    def full_at(d: int) -> bool:
        return d not in starts or fixed.get(d) is True

    for ws in sorted(blocks, key=lambda b: -len(b) if given is not None else len(b)):
        remaining = t_end - time.perf_counter()
        if len(ws) == 1:
            w = ws[0]
            known = given() if given is not None else {}
            out = None
            if (w.index in known and full_at(w.days[0]) and full_at(w.days[-1] + 1)
                    and (w.index == 0 or w.index - 1 in by_lp)):
                out = known[w.index]
                log.info("LP bound: week %d (positions) from the roster's week LPs, %s", w.index + 1,
                         f"{out / OBJ_SCALE:,.0f}")
            # solved here too where the time left fits it (the roster's stop at a looser tolerance)
            if remaining >= max(WEEK_LP_MIN_S * len(w.days) / 7,
                                0.0 if out is None else JOIN_SAFETY * JOIN_TIME * budget_lp_s * len(w.days) / 7):
                own = week(w, remaining, POSITIONS)
                out = own if out is None else out if own is None else max(out, own)
            if out is None:
                continue
            if out >= part[w.index]:
                by_lp.add(w.index)
            part[w.index] = max(part[w.index], out)
            by_week.add(w.index)
            positioned += 1
            continue
        if remaining < WEEK_LP_MIN_S * sum(len(w.days) for w in ws) / 7:
            continue
        out = block(ws, remaining)
        if out is None:
            continue
        if out > sum(part[w.index] for w in ws):
            part.update({w.index: 0.0 for w in ws[1:]} | {ws[0].index: out})
            by_lp.update(w.index for w in ws)
        by_week.update(w.index for w in ws)
        positioned += len(ws)
        joined += len(ws)
        whole = len(ws) == nw
        ranges.append((ws[0].index + 1, ws[-1].index + 1))
    # time still left after the plan (planned from the budget weeks' times: a busy machine or a larger centre can
    # leave it single weeks only): adjacent single weeks joined in pairs, the worst balanced boundary first, where
    # their own positioned LPs' times say the pair fits (n ** JOIN_EXPONENT: a pair takes 2 ** (JOIN_EXPONENT - 1)
    # × its two weeks' times, × JOIN_SAFETY). 11.11 × 3 (570 agents) at 120 s: 2,485,735 with single weeks only
    # and ~38 s of the child's time left unused (BENCHMARKS.md on 92ac308), 2,499,649 with weeks 2-3 joined
    planned_joined = joined
    apart = {w.index for w in prob.weeks} - {i for a, b in ranges for i in range(a - 1, b)}
    for w in sorted(prob.weeks[1:], key=lambda w: (-mismatch.get(w.days[0], np.inf), w.index)):
        i = w.index
        if not JOIN_LEFT_TIME or not {i - 1, i} <= apart or not {i - 1, i} <= set(positioned_s):
            continue
        remaining = t_end - time.perf_counter()
        if remaining < JOIN_SAFETY * 2 ** (JOIN_EXPONENT - 1) * (positioned_s[i - 1] + positioned_s[i]):
            continue
        ws = (prob.weeks[i - 1], w)
        out = block(ws, remaining)
        if out is None:
            continue
        if out > part[i - 1] + part[i]:
            part.update({i - 1: out, i: 0.0})
            by_lp.update((i - 1, i))
        apart -= {i - 1, i}
        joined += 2
        whole = nw == 2
        ranges.append((i, i + 1))
    upgraded = len(by_week)
    total = sum(part.values())
    if upgraded == nw and prob.deferred and nw > 1 and not planned_joined and not whole:
        # time still left: the dual ascent over the week boundaries' prices (:func:`priced_week_bound`) from
        # the prices the week LPs were solved at, kept where it beats the sum of the weeks' parts (also after
        # pairs joined from the time left: on a small centre its rounds beat them)
        prices = {(q, b): price(b, True)(q) for b in starts for q in prob.deferred}
        value = sum(v for v, _ in week_lp.values())
        grad = _gradient(prob, {w: f for w, (_, f) in week_lp.items()})
        best, _, tried = _ascend(prob, fluid, alpha, week_of_day, prices, value, grad, t_end, 1000, week_s)
        if tried:
            log.info("LP bound: %d rounds of boundary prices, %s", tried, f"{best / OBJ_SCALE:,.0f}")
        total = max(total, best)
    wall = time.perf_counter() - t_start
    log.info("LP bound: %d of %d weeks by the week LP (%d with break positions%s), %.1f s, bound %s", upgraded, nw,
             positioned, "".join(f", weeks {a}-{b} as one LP" for a, b in sorted(ranges)), wall,
             f"{total / OBJ_SCALE:,.0f}")
    return LPBound(float(total), upgraded, wall, joined, whole, tuple(sorted(ranges)))


def _join_plan(weeks: list[Week], mismatch: dict[int, float], week_lp_s: float, time_s: float,
               singles_given: bool = False) -> list[tuple[Week, ...]]:
    """The horizon's weeks as blocks of adjacent weeks, one LP each with the breaks inside their windows: of the
    ways to cut the horizon at week boundaries whose blocks' predicted time fits in ``time_s``, the one with the
    fewest boundaries left priced (each costs the night shifts crossing it too, whatever its backlog), then the
    least ``mismatch`` at them (first day of a week -> the priced backlog the week before leaves less what the
    week after takes in, in the break-budget week LPs: where the price balances them worst, pricing loses most),
    then the fastest. A block of ``n`` days is predicted to take :data:`JOIN_TIME` ×
    ``week_lp_s`` (the median break-budget week LP) × (n / 7) ** :data:`JOIN_EXPONENT`, × :data:`JOIN_SAFETY` in
    all. Past :data:`JOIN_ENUMERATE` boundaries the boundaries are joined one by one instead, the largest mismatch
    first, while the time fits.

    11.11, quiet machine, interior point to 1e-3: a budget week 4.9-5.6 s, positioned 9.2-12.2 s, two weeks
    24.6-27.7 s, three 55 s, four 83 s. Its boundaries' mismatch 6.0 k / 16.5 k / 0.3 k (weeks 2, 3, 4 start) and
    what each cut costs against the whole horizon's 988.5 k (1e-3): 7.2 k / 8.7 k / 4.2 k, about additive (weeks
    1+2 and 3+4 979,761; week 1 alone and weeks 2-4 981,324; weeks 1-3 and week 4 alone 984,295; weeks 1, 2-3, 4
    976,547): the mismatch ranks the cuts but a cut of little backlog still costs ~4 k, so one cut at the worst
    boundary beats two at the best (the 950-agent case chose weeks 1, 2-3, 4 by the mismatch alone: 3,928 k
    against 3,972 k for the two pairs). ``singles_given``: single weeks cost no time (another process solves
    them: :func:`lp_bound`'s ``given``)."""
    boundaries = [w.days[0] for w in weeks[1:]]

    def blocks(cuts) -> list[tuple[Week, ...]]:
        out: list[list[Week]] = []
        for w in weeks:
            if not out or w.days[0] in cuts:
                out.append([])
            out[-1].append(w)
        return [tuple(b) for b in out]

    def predicted(cuts) -> float:
        return JOIN_SAFETY * sum(JOIN_TIME * week_lp_s * (sum(len(w.days) for w in b) / 7) ** JOIN_EXPONENT
                                 for b in blocks(cuts) if len(b) > 1 or not singles_given)

    def loss(cuts) -> float:
        return sum(min(mismatch.get(d, np.inf), 1e18) for d in cuts)

    if len(boundaries) <= JOIN_ENUMERATE:
        plans = [frozenset(d for k, d in enumerate(boundaries) if mask >> k & 1) for mask in range(1 << len(boundaries))]
        fitting = [c for c in plans if predicted(c) <= time_s]
        return blocks(min(fitting, key=lambda c: (len(c), loss(c), predicted(c)))) if fitting else blocks(boundaries)
    cuts = set(boundaries)
    for d in sorted(boundaries, key=lambda d: (-mismatch.get(d, np.inf), d)):
        if predicted(cuts - {d}) <= time_s:
            cuts.discard(d)
    return blocks(cuts)


def _setup(prob: RosterProblem) -> tuple[_Fluid, np.ndarray, dict[int, int]]:
    """The fluid bound, its best price per paid minute per week (``alpha``) and each day's week index."""
    fluid = _Fluid(prob)
    nw = len(prob.weeks)
    best = np.full(nw, -np.inf)
    alpha = np.zeros(nw)
    for a in ALPHAS:                     # the fluid bound's best price per week
        val = fluid.evaluate(np.full(nw, a))
        better = val > best
        best = np.where(better, val, best)
        alpha = np.where(better, a, alpha)
    return fluid, alpha, {d: w.index for w in prob.weeks for d in w.days}


@dataclass
class PricedBound:
    bound: float                          # objective units: the best sum of week LPs found
    start: float                          # the sum at the default prices (= :func:`lp_bound` with every week LP)
    prices: dict[tuple[str, int], float]  # (deferred queue, first day of a week) -> price of a carried unit
    rounds: int                           # price updates tried
    wall_s: float


def priced_week_bound(prob: RosterProblem, time_limit_s: float = 1800.0, rounds: int = 16) -> PricedBound | None:
    """A tighter valid bound than :func:`lp_bound` for when there is time (minutes on 11.11; the benchmark's
    best known bound): the sum of the week LPs with the price of the backlog carried across each week
    boundary raised by a Lagrangian dual ascent. Any price per (queue, boundary) keeps the sum a lower bound
    (a roster's backlog at the boundary pays the price in the week before and earns it back in the week
    after), so the best sum found is valid; the bound at the best prices is the LP over all weeks with the
    backlog balance at the boundaries restored. The ascent: the subgradient at a boundary is the backlog the
    week before leaves less what the week after takes in; each round moves every price by ``step`` × the
    default price in the subgradient's direction, keeps the prices when the sum rises and halves ``step``
    when it does not. Returns None when the week LPs at the default prices are not solved in time."""
    t_start = time.perf_counter()
    t_end = t_start + time_limit_s
    fluid, alpha, week_of_day = _setup(prob)
    prices = {(q, w.days[0]): full_rho(fluid, q) for w in prob.weeks[1:] for q in prob.deferred}
    first = _priced_sum(prob, fluid, alpha, week_of_day, prices, t_end)
    if first is None:
        return None
    best, prices, tried = _ascend(prob, fluid, alpha, week_of_day, prices, *first, t_end, rounds,
                                  time.perf_counter() - t_start)
    return PricedBound(float(best), float(first[0]), prices, tried, time.perf_counter() - t_start)


def horizon_bound(prob: RosterProblem, time_limit_s: float = 1800.0) -> float | None:
    """The whole horizon as one LP with each break inside its window (objective units; None when not solved in
    time): the week LPs with every boundary between them exact instead of priced, so at least the sum of the
    week LPs at any boundary prices (:func:`priced_week_bound`'s best). 11.11: 989 k in ~2 min against 974 k
    for the ascent's best prices after 17 min (the benchmark's best known bound)."""
    fluid, alpha, week_of_day = _setup(prob)
    return _week(prob, fluid, alpha, week_of_day, list(prob.weeks), time_limit_s,
                 _rho(prob, fluid, alpha, week_of_day, None, 0), _rho(prob, fluid, alpha, week_of_day, None, prob.n_days),
                 tolerance=HORIZON_TOLERANCE)


def lp_counts(prob: RosterProblem, time_limit_s: float, values: dict[int, float] | None = None
              ) -> dict[tuple[int, int, int], int] | None:
    """Shift counts per (pool, day, shift type) from the week LPs with each break inside its window (plain
    crossing shares, the backlog at the full-cost price: :func:`_week`), rounded per pool and day: the day's
    fractional total rounded, handed out by largest remainder. The named roster starts from them instead of the
    greedy's counts (:mod:`.api`): fewer shifts, at starts and lengths whose breaks fit the troughs, from which
    the improvement rounds end lower. None when a week's LP is not solved in time; the weeks are solved in
    order, and the rest are not started once the time per week so far says they do not fit in what is left
    (the first week may take :data:`COUNTS_FIRST_WEEK` × its share). ``values``: filled with each week's LP value,
    a valid bound part for :func:`lp_bound` (the same LP as its single week with break positions once every week
    boundary is priced at the full cost: ``given``).

    11.11 (2026-12-06, quiet machine, 120 s): the four weeks at 8.4-8.9 s each (interior point to
    :data:`COUNTS_TOLERANCE`; 10-11 s at 1e-3, the rosters from either the same: 1,007,924 / 1,007,990 with the
    LPs not counted, against 1,012,825 from the greedy's counts; in 70 s 1,010,216); with the faster break-budget
    LPs 1,013,178 (95 s): the budget lets a break fall anywhere in the day, so its starts and lengths are not where
    the troughs are."""
    t_end = time.perf_counter() + time_limit_s
    fluid, alpha, week_of_day = _setup(prob)
    nw = len(prob.weeks)
    frac: dict[tuple[int, int, int], float] = {}
    spent = 0.0
    for k, w in enumerate(prob.weeks):
        left = t_end - time.perf_counter()
        per_week = spent / k if k else 0.0
        if k and per_week * (nw - k) > left:
            log.info("week LP counts: %d of %d weeks in %.1f s, the rest would not fit in %.1f s", k, nw, spent, left)
            return None
        limit = left if k else min(left, COUNTS_FIRST_WEEK * time_limit_s * len(w.days) / prob.n_days)
        t = time.perf_counter()
        enter = (_rho(prob, fluid, alpha, week_of_day, None, 0) if k == 0 else
                 (lambda q: full_rho(fluid, q)))
        leave = (_rho(prob, fluid, alpha, week_of_day, None, prob.n_days) if k == nw - 1 else
                 (lambda q: full_rho(fluid, q)))
        value = _week(prob, fluid, alpha, week_of_day, w, limit, enter, leave, None, POSITIONS, plain_before=k > 0,
                      counts=frac, tolerance=COUNTS_TOLERANCE)
        if value is None:
            log.info("week LP counts: week %d not solved in %.1f s", w.index + 1, limit)
            return None
        if values is not None:
            values[w.index] = value
        spent += time.perf_counter() - t
    by_day: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for (p, d, s_idx), v in frac.items():
        by_day[(p, d)].append((s_idx, max(0.0, v)))
    counts: dict[tuple[int, int, int], int] = {}
    for (p, d), values in by_day.items():
        whole = {s_idx: int(np.floor(v + ROUND_EPS)) for s_idx, v in values}
        rest = int(round(sum(v for _, v in values))) - sum(whole.values())
        for s_idx, v in sorted(values, key=lambda sv: (-(sv[1] - np.floor(sv[1] + ROUND_EPS)), sv[0]))[:max(0, rest)]:
            whole[s_idx] += 1
        counts.update({(p, d, s_idx): n for s_idx, n in whole.items() if n > 0})
    log.info("week LP counts: %d shifts (%.1f fractional) in %.1f s", sum(counts.values()), sum(frac.values()), spent)
    return counts


def _gradient(prob: RosterProblem, flows: dict[int, dict]) -> dict[tuple[str, int], float]:
    """The subgradient of the week LPs' sum in the boundary prices: per (queue, first day of a week) the backlog
    the week before leaves less what the week starting there takes in (``flows[week]``: the week LP's
    ``(entering, leaving)`` per queue)."""
    grad: dict[tuple[str, int], float] = {(q, w.days[0]): 0.0 for w in prob.weeks[1:] for q in prob.deferred}
    for w in prob.weeks:
        for q, (cin, cout) in flows.get(w.index, {}).items():
            if (q, w.days[0]) in grad:
                grad[(q, w.days[0])] -= cin
            if (q, w.days[-1] + 1) in grad:
                grad[(q, w.days[-1] + 1)] += cout
    return grad


def _priced_sum(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, prices: dict,
                t_end: float) -> tuple[float, dict] | None:
    """The week LPs' sum at ``prices[(queue, first day of a week)]`` and its subgradient, or None when a week
    LP is not solved before ``t_end`` (or not started: less than :data:`WEEK_LP_MIN_S` per week left)."""
    value, flows = 0.0, {}
    for w in prob.weeks:
        if t_end - time.perf_counter() < WEEK_LP_MIN_S * len(w.days) / 7:
            return None                  # (lp_bound's child must return before the roster's time limit)
        flows[w.index] = {}
        v = _week(prob, fluid, alpha, week_of_day, w, t_end - time.perf_counter(),
                  lambda q, d=w.days[0]: prices.get((q, d), 0.0),
                  lambda q, d=w.days[-1] + 1: prices.get((q, d), 0.0), flows[w.index],
                  plain_before=True)      # (every week's part is its week LP)
        if v is None:
            return None
        value += v
    return value, _gradient(prob, flows)


def _ascend(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, prices: dict, value: float,
            grad: dict, t_end: float, rounds: int, round_s: float) -> tuple[float, dict, int]:
    """Dual ascent over the boundary prices from ``prices`` (their week LP sum ``value``, subgradient ``grad``):
    each round moves every price by ``step`` × the queue's full-cost price in the subgradient's direction (not
    below 0), keeps the prices when the sum rises and halves ``step`` when it does not, down to
    :data:`MIN_STEP`; a round is started only when ``round_s`` (the week LPs) still fits before ``t_end``.
    Returns (best sum, its prices, rounds tried)."""
    base = {q: full_rho(fluid, q) for q in prob.deferred}
    step, tried = 1.0, 0
    while tried < rounds and step >= MIN_STEP and time.perf_counter() + round_s < t_end:
        moves = {k: float(np.sign(g)) for k, g in grad.items() if abs(g) > 1e-6}
        if not moves:
            break
        trial = dict(prices)
        for k, sign in moves.items():
            trial[k] = max(0.0, prices[k] + sign * step * base[k[0]])
        tried += 1
        t = time.perf_counter()
        out = _priced_sum(prob, fluid, alpha, week_of_day, trial, t_end)
        if out is None:
            break
        round_s = max(round_s, time.perf_counter() - t)
        log.info("priced week bound: round %d, step %.3g, %s", tried, step, f"{out[0] / OBJ_SCALE:,.0f}")
        if out[0] > value:
            value, grad, prices = out[0], out[1], trial
        else:
            step /= 2
    return value, prices, tried


POSITIONS, BUDGET = "positions", "budget"     # the week LP's break relaxations (:func:`_week`)
MIN_STEP = 1 / 16        # the dual ascent stops once its step (× the full-cost price) is below this
DAY_LP_RESERVE = 1.5     # the time kept for a week's per-day LPs: this many times the timed day LP per day
HORIZON_TOLERANCE = 1e-6  # :func:`horizon_bound` has no time pressure: its interior point stops closer to the optimum
JOIN_TIME = 1.9          # a positioned LP of n days takes this × a budget week LP's time × (n / 7) ** JOIN_EXPONENT
JOIN_EXPONENT = 1.5      # (11.11 at 1e-3: 1.7 / 1.56 / 1.89 / 1.85 × for 1 / 2 / 3 / 4 weeks; see _join_plan)
JOIN_SAFETY = 1.3        # the joins planned leave this share of their predicted time spare (a block not solved in
#                          time is lost whole: the benchmark's 120 s case with a test run started beside it, 1.15)
JOIN_LEFT_TIME = True    # time left after the plan joins adjacent single weeks in pairs (see lp_bound)
JOIN_ENUMERATE = 10      # up to this many week boundaries every way of cutting the horizon is weighed
COUNTS_TOLERANCE = 1e-2  # :func:`lp_counts`' interior point stops at this relative gap (its values, handed to lp_bound,
#                          are then ~0.7 % below the optimum: 11.11 week 4 203,383 against 204,936 at 1e-3)
COUNTS_FIRST_WEEK = 1.5  # :func:`lp_counts`' first week may take this × its share of the time (else no counts)
ROUND_EPS = 1e-6         # a fractional count this close below an integer counts as that integer
WEEK_LP_MIN_S = 8.0      # a whole week's LP is tried only with at least this much time left (11.11: 10-20 s)


def _week(prob: RosterProblem, fluid: _Fluid, alpha: np.ndarray, week_of_day: dict, week: Week,
          time_s: float, rho_in=None, rho_out=None, flows: dict | None = None, breaks: str = POSITIONS,
          tolerance: float | None = None, plain_before: bool = False, counts: dict | None = None) -> float | None:
    """The week's LP optimum plus its constant terms (objective units), or None when not solved in time.
    ``rho_in`` / ``rho_out``: the prices of a unit of backlog carried into the week and out of it (queue ->
    objective units per capacity unit; default :func:`.lpbound.full_rho`); ``flows``: filled with each deferred
    queue's ``(backlog entering, backlog leaving)`` in the LP's optimum (capacity units). ``breaks``:
    :data:`POSITIONS` (each break inside its window, :func:`.lpbound.break_positions`) or :data:`BUDGET`
    (faster and looser: per group-day the capacity at most the shifts' capacity less the break time that must
    fall inside the day, at the day's lowest efficiency; 11.11: 6-9 s and 938 k against 13-18 s and 968 k).
    ``plain_before``: the week before is (or will be) counted by its week LP, so a shift crossing from its last
    day into this week pays here its plain share of the cost (the rest is paid there, where its paid minutes,
    day and night count in that week's rows); otherwise here the share of its cost less the fluid bound's price
    on its paid minutes (:func:`.lpbound.reduced_cost`), which the per-day LPs' Lagrangian weekly minimum
    credits to the week before. 11.11 week 4 after weeks 1-3: 202,054 -> 204,936."""
    sc = prob.scenario
    per_day = prob.per_day
    T = prob.horizon_intervals
    block = tuple(week) if isinstance(week, (list, tuple)) else (week,)
    first, last = block[0].days[0], block[-1].days[-1]
    week_at = {d: w for w in block for d in w.days}
    t0, t1 = first * per_day, min((last + 1) * per_day, T)
    lp = _LP()
    const = 0.0
    count_vars: list[tuple[tuple[int, int, int], int]] = []
    # capacity is pooled per capacity group (servable queue set): the per-pool limits summed
    cover: dict[tuple, list] = defaultdict(list)          # (group, t) -> [(x, eff)], breaks (y, -eff)
    on_shift: dict[tuple, list] = defaultdict(list)       # (group, efficiency, day, shift) -> [(efficiency, x)]
    day_units: dict[tuple, list] = defaultdict(list)      # BUDGET: (group, day) -> [(x, units inside the day)]
    onshift_team: dict[tuple[str, int], list] = defaultdict(list)
    for p in prob.pools:
        if fluid.units[p.index] <= 0 or not p.queues:
            continue
        week_terms, minute_terms, night_terms = defaultdict(list), defaultdict(list), defaultdict(list)
        for start_day in range(first - 1, last + 1):
            if start_day < 0:
                continue
            avail = fluid_avail(prob, p, start_day)
            if avail <= 0:
                continue
            day_terms = []
            for s_idx in p.shifts:
                s = prob.shifts[s_idx]
                a = start_day * per_day + s.start
                inside = [t for t in range(a, a + s.length) if t0 <= t < t1]
                if not inside:
                    continue
                cost = prob.shift_cost[(p.team, s_idx)]
                if start_day < first:                     # the week before pays the rest
                    if not plain_before:
                        cost = min(cost, reduced_cost(prob, fluid, alpha, p, s_idx, week_of_day[start_day]))
                    cost *= len(inside) / s.length
                elif not (start_day == prob.n_days - 1 or a + s.length <= (last + 1) * per_day):
                    cost *= len(inside) / s.length        # the next week pays the part inside it
                x = lp.var(cost=float(cost), ub=float(avail))
                day_terms.append((x, 1.0))
                if counts is not None and start_day >= first:
                    count_vars.append(((p.index, start_day, s_idx), x))
                if start_day >= first:
                    wk = week_at[start_day].index
                    week_terms[wk].append((x, 1.0))
                    minute_terms[wk].append((x, float(s.paid_min)))
                    if s.is_night:
                        night_terms[wk].append((x, 1.0))
                eff = p.efficiency[[t % per_day for t in inside]].astype(float)
                by_day: dict[int, list] = defaultdict(list)
                for t, e in zip(inside, eff):
                    cover[(p.queues, t)].append((x, e))
                    onshift_team[(p.team, t)].append(x)
                    by_day[t // per_day].append(e)
                if breaks == POSITIONS:
                    on_shift[(p.queues, p.efficiency.tobytes(), start_day, s_idx)].append((p.efficiency, x))
                    continue
                brk = sum(slot.length for slot in s.breaks)
                for dd, es in by_day.items():             # the break time that must fall inside each day
                    units = float(sum(es) - max(0, brk - (s.length - len(es))) * min(es))
                    day_units[(p.queues, dd)].append((x, units))
            if day_terms:
                lp.row(day_terms, hi=float(avail))
        for w in block:
            if not week_terms[w.index]:
                continue
            lims = [bound_limits(prob, prob.agents[a], w) for a in p.members]   # soft rules relaxed
            lp.row(week_terms[w.index], hi=float(sum(min(len(lm.available), len(w.days) - lm.min_days_off) for lm in lims)))
            hi = float(sum(max(0, lm.max_paid_min) for lm in lims))
            lo = float(sum(lm.min_paid_min for lm in lims))
            lp.row(minute_terms[w.index], lo=min(lo, hi), hi=hi)
            if night_terms[w.index]:
                lp.row(night_terms[w.index], hi=float(sum(lm.max_nights for lm in lims)))
    # ---- breaks, shared by the pools of a group with the same efficiency ----------------------------------
    for (g, _, start_day, s_idx), xs in on_shift.items():
        s = prob.shifts[s_idx]
        for t, e, y in break_positions(lp, prob, xs[0][0], s, [x for _, x in xs], start_day * per_day + s.start,
                                       t0, t1):
            cover[(g, t)].append((y, -e))
    # ---- capacity per group and interval (allocated over its queues) ------------------------------------
    for g, units in prob.carry_in.items():             # the previous period's shifts still on duty
        for t in np.flatnonzero(units[t0:t1] > 0) + t0:
            cover[(g, int(t))]
    served: dict[tuple[str, int], list] = defaultdict(list)
    day_parts: dict[tuple, list] = defaultdict(list)
    for (g, t), terms in sorted(cover.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        parts = split_capacity(lp, prob, g, t, served)
        lp.row([(a, 1.0) for a in parts] + [(x, -e) for x, e in terms], hi=carry_at(prob, g, t))
        day_parts[(g, t // per_day)].extend(parts)
    for (g, dd), units in day_units.items():
        if day_parts.get((g, dd)):
            carried_in = prob.carry_in.get(g)
            hi = 0.0 if carried_in is None else float(carried_in[dd * per_day:(dd + 1) * per_day].sum())
            lp.row([(a, 1.0) for a in day_parts[(g, dd)]] + [(x, -u) for x, u in units], hi=hi)
    for (team, t), vs in onshift_team.items():
        spec = sc.teams[team]
        if spec.max_agents is not None:
            lp.row([(x, 1.0) for x in vs], hi=float(spec.max_agents))
    carried: dict[str, tuple] = {}
    const += add_service_terms(lp, prob, served, t0, t1, rho_in or (lambda q: full_rho(fluid, q)),
                               rho_out or (lambda q: full_rho(fluid, q)), carried)
    if flows is None and counts is None:
        value = lp.solve(time_s, method="ipm-bound", tolerance=tolerance)
        return None if value is None else value + const
    out = lp.solve(time_s, values=True, method="ipm-bound", tolerance=tolerance)
    if out is None:
        return None
    value, x = out
    for q, (cin, cout) in carried.items():
        if flows is not None:
            flows[q] = (0.0 if cin is None else float(x[cin]), 0.0 if cout is None else float(x[cout]))
    for key, var in count_vars:
        counts[key] = float(x[var])
    return value + const
