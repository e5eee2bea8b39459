"""Re-optimising whole days of a named roster (large neighbourhood): every agent free on a day may get any
legal shift of that day, or none, chosen jointly with that day's capacity allocation by a small MIP.

The improvement rounds (:mod:`.improve`) change single shifts at the allocation's marginal prices (duals),
so they cannot make a change that only pays together with others (three agents from 08:00 to 14:00, one
dropped) nor one past a kink of the lost-contact envelope. Here one day ``d`` is solved anew:

- each agent who is neither on leave nor locked on ``d`` chooses at most one shift type (exactly one when
  the week's minimum hours need it), among those every hard personal rule allows against the rest of the
  roster, which stays fixed (:func:`.improve._legal_addition`: rest to both neighbouring days, consecutive
  days, days off, nights, weekly maximum minutes; regular maximum only, no new overtime; weekly minimum);
  its cost is the shift's plus the week's start-time spread it gives (stable starts);
- capacity: the fixed shifts' as placed, the free shifts' with each break at its expected share of its
  window's offsets; team caps (agents at once) hold;
- the window runs from ``d``'s midnight to the end of the latest shift of ``d`` (night shifts reach into
  ``d + 1``); each capacity group is split over its queues as in the exact allocation LP
  (:func:`.placement._build_allocation_lp`): live queues on the convex lost-contact envelope with the
  over-staffing price, deferred queues with their backlog and due checks — the backlog entering the
  window is the current plan's, and the one leaving it may exceed the plan's only at the highest
  capacity value of the queue's groups just after the window (so the days after it can still do it).

The result is re-evaluated exactly (whole-horizon allocation LP, personal rules re-scored) by the caller and
kept only when cheaper (:func:`improve_days`).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from scheduler.optimize.improve import _legal_addition, _team_load, runs_around, shift_capacity, start_spread_cost
from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.lpbound import _LP
from scheduler.optimize.placement import Breaks, Named, Plan, add_backlog, add_served_value, place_breaks, split_group
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, RosterProblem, marginal_values

log = logging.getLogger(__name__)


def _break_share(prob: RosterProblem, s_idx: int) -> np.ndarray:
    """Per interval of shift ``s_idx``: the expected fraction on duty, each break at any offset of its window
    with equal probability (overlapping breaks counted once at most: on duty never below 0)."""
    s = prob.shifts[s_idx]
    off = np.zeros(s.length)
    for slot in s.breaks:
        offs = list(slot.offsets)
        for o in offs:
            off[o: o + slot.length] += 1.0 / len(offs)
    return np.clip(1.0 - off, 0.0, 1.0)


def _options(prob: RosterProblem, a: int, days: dict[int, int], free: list[int], d: int, rest: dict,
             week_of: dict, spread_cost: Callable) -> tuple[list[tuple[int, float]], float | None]:
    """Agent ``a``'s choices on day ``d``, one of its ``free`` days of the window, against the rest of its
    roster ``days`` (its free days left out): the shift types ``[(shift, cost)]`` it may work and, if it may be off, the cost of being off
    (else None). Each is legal against the fixed days (:func:`.improve._legal_addition`; no new overtime);
    with one free day the weekly minimum is checked here too, with more the rows of :func:`reoptimize_day`
    tie the window's days. Costs in objective units: the shift's own and the week's start spread against the
    fixed days. The current choice is always kept among them."""
    info = prob.agents[a]
    current = days.get(d)
    rest_of = {e: s for e, s in days.items() if e not in free}
    w = prob.weeks[week_of[d]]
    lim = week_limits(prob, info, w)
    paid = sum(prob.shifts[s].paid_min for e, s in rest_of.items() if e in w.days)
    others = [prob.shifts[s].start_min for e, s in rest_of.items() if e in w.days] if len(w.days) > 1 else []
    now = sum(prob.shifts[s].paid_min for e, s in days.items() if e in w.days)
    cap_min = max(lim.regular_max_min, now)
    single = len(free) == 1
    out = []
    for s_idx in info.shifts:
        sh = prob.shifts[s_idx]
        if s_idx != current:
            if paid + sh.paid_min > cap_min or (single and paid + sh.paid_min < lim.min_paid_min):
                continue
            if not _legal_addition(prob, a, rest_of, d, s_idx, rest, week_of):
                continue
        cost = prob.shift_cost[(info.team, s_idx)] + (spread_cost(others + [sh.start_min]) if others else 0.0)
        out.append((s_idx, float(cost)))
    off = None
    if current is None or not single or paid >= lim.min_paid_min:
        off = float(spread_cost(others)) if len(others) > 1 else 0.0
    return out, off


def _window_rules(lp: _LP, prob: RosterProblem, a: int, days: dict[int, int],
                  picks: dict[int, list[tuple[int, int | None]]], rest: dict, week_of: dict) -> None:
    """Rows tying agent ``a``'s choices on its free days of the window (``picks[day]``: ``(column, shift or
    None = off)``) to each other and to its fixed days (rest between a free and a fixed day is in the options): rest between neighbouring window days, runs of
    consecutive days, and per week the days off (two together where asked), minimum and maximum paid minutes
    (no new overtime) and nights."""
    info = prob.agents[a]
    rest_of = {e: s for e, s in days.items() if e not in picks}
    work = {d: [(j, 1.0) for j, s in picks[d] if s is not None] for d in picks}
    for d in picks:
        if d + 1 in picks:
            for j, s in picks[d]:
                if s is None:
                    continue
                sh = prob.shifts[s]
                bad = [(k, 1.0) for k, n in picks[d + 1]
                       if n is not None and 1440 + prob.shifts[n].start_min - sh.end_min < rest[sh.is_night]]
                if bad:
                    lp.row([(j, 1.0)] + bad, hi=1.0)
    # runs: a stretch of window days worked, with the fixed runs it joins, longer than allowed -> one day off
    lo_d, hi_d = min(picks), max(picks)
    before, after = runs_around(info, rest_of, lo_d, hi_d)
    limit = prob.scenario.rules.max_consecutive_days
    for i in range(lo_d, hi_d + 1):
        for k in range(i, hi_d + 1):
            run = k - i + 1 + (before if i == lo_d else 0) + (after if k == hi_d else 0)
            if run > limit:
                terms = [t for e in range(i, k + 1) for t in work.get(e, [])]
                fixed_on = sum(1 for e in range(i, k + 1) if e in rest_of)
                lp.row(terms, hi=float(k - i - fixed_on))
    for wi in sorted({week_of[d] for d in picks}):
        w = prob.weeks[wi]
        lim = week_limits(prob, info, w)
        inside = [d for d in w.days if d in picks]
        if not inside:
            continue
        fixed_days = [e for e in w.days if e in rest_of]
        paid = sum(prob.shifts[days[e]].paid_min for e in fixed_days)
        now = sum(prob.shifts[s].paid_min for e, s in days.items() if e in w.days)
        minutes = [(j, float(prob.shifts[s].paid_min)) for d in inside for j, s in picks[d] if s is not None]
        lp.row(minutes, lo=float(lim.min_paid_min - paid), hi=float(max(lim.regular_max_min, now) - paid))
        nights = [(j, 1.0) for d in inside for j, s in picks[d] if s is not None and prob.shifts[s].is_night]
        if nights:
            lp.row(nights, hi=float(lim.max_nights - sum(prob.shifts[days[e]].is_night for e in fixed_days)))
        lp.row([t for d in inside for t in work[d]], hi=float(len(lim.days) - lim.min_days_off - len(fixed_days)))
        if lim.two_days_off and not any(e not in days and f not in days and e not in picks and f not in picks
                                        for e, f in zip(w.days, w.days[1:])):
            pairs = []
            for e, f in zip(w.days, w.days[1:]):
                if e in rest_of or f in rest_of:
                    continue                        # a fixed working day: never off
                z = lp.var(cost=0.0, ub=1.0)
                for g in (e, f):
                    if g in picks:                  # z <= off on g
                        lp.row([(z, 1.0)] + work[g], hi=1.0)
                pairs.append((z, 1.0))
            lp.row(pairs, lo=1.0)


def reoptimize_day(prob: RosterProblem, plan: Plan, d: int, *, tables: dict | None = None,
                   time_limit_s: float = 10.0, deterministic: bool = False,
                   span: int = 1, agents: set[int] | None = None,
                   exact_breaks: bool | None = None) -> tuple[Named, Breaks, int] | None:
    """The MIP of days ``d .. d + span - 1`` on ``plan`` (exactly evaluated: it carries backlog and capacity
    values). Returns the roster with those days re-chosen ``(named, breaks, agent-days changed)`` (new shifts'
    breaks where capacity is worth least at the plan's values, staggered), or None when the MIP keeps the days
    as they are or finds no solution in time. ``deterministic``: limited by a node count instead of the clock.
    ``agents``: only these agents' days are re-chosen (default: every agent's). ``exact_breaks`` (default: in the
    per-interval mode, where an interval short of its requirement by a break's share is a shortfall): the chosen
    shifts' breaks are integer counts per break rule and offset inside the MIP, and every free agent-day gets the
    breaks it chose; else each break at its expected share of its window, placed afterwards."""
    import highspy

    if exact_breaks is None:
        exact_breaks = bool(prob.per_interval_hard)
    sc = prob.scenario
    per_day, T = prob.per_day, prob.horizon_intervals
    if tables is None:
        tables = marginal_values(prob)
    over_w = sc.weights.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    week_of = {e: w.index for w in prob.weeks for e in w.days}
    spread_cost = start_spread_cost(prob)
    named = plan.named
    window = list(range(d, min(prob.n_days, d + span)))
    free = [(a, e) for a, info in enumerate(prob.agents) if prob.pools[info.pool].queues and (agents is None or a in agents)
            for e in window if e not in info.unavailable and e not in info.locked]
    if not free:
        return None
    w0 = d * per_day
    choices: dict[tuple[int, int], tuple[list[tuple[int, float]], float | None]] = {}
    w1 = min(T, window[-1] * per_day + per_day)
    free_days: dict[int, list[int]] = defaultdict(list)
    for a, e in free:
        free_days[a].append(e)
    for a, e in free:
        opts, off = _options(prob, a, named.get(a, {}), free_days[a], e, rest, week_of, spread_cost)
        choices[(a, e)] = (opts, off)
        for s_idx, _ in opts:
            w1 = min(T, max(w1, e * per_day + prob.shifts[s_idx].start + prob.shifts[s_idx].length))
    # fixed capacity: the plan's less the free agent-days' shifts (breaks as placed)
    fixed = {g: c[w0:w1].copy() for g, c in plan.capacity.items()}
    caps, team_on = _team_load(prob, named)
    for a, e in free:
        s_idx = named.get(a, {}).get(e)
        if s_idx is None:
            continue
        info = prob.agents[a]
        t0, cap = shift_capacity(prob, a, e, s_idx, plan.breaks)
        fixed[info.queues][t0 - w0: t0 - w0 + len(cap)] -= cap
        if info.team in team_on:
            r = prob.shift_intervals(e, prob.shifts[s_idx])
            team_on[info.team][r.start:r.stop] -= 1
    lp = _LP()
    y: dict[tuple[int, int, int | None], int] = {}
    count: dict[tuple[int, int, int], list[int]] = defaultdict(list)      # (pool, day, shift) -> agents' columns
    picks: dict[int, dict[int, list[tuple[int, int | None]]]] = defaultdict(dict)
    for a, e in free:
        opts, off = choices[(a, e)]
        cols = []
        for s_idx, cost in opts:
            y[(a, e, s_idx)] = j = lp.var(cost=cost, ub=1.0)
            cols.append((j, s_idx))
            count[(prob.agents[a].pool, e, s_idx)].append(j)
        if off is not None:
            y[(a, e, None)] = j = lp.var(cost=off, ub=1.0)
            cols.append((j, None))
        if cols:
            lp.row([(j, 1.0) for j, _ in cols], lo=1.0, hi=1.0)
        picks[a][e] = cols
    for a, by_day in picks.items():
        if len(by_day) > 1:
            _window_rules(lp, prob, a, named.get(a, {}), by_day, rest, week_of)
    # capacity per group and interval of the window: fixed + the pools' shift counts
    supply: dict[tuple[tuple[str, ...], int], list] = defaultdict(list)
    team_terms: dict[tuple[str, int], list] = defaultdict(list)
    share: dict[int, np.ndarray] = {}
    bvars: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}   # (pool, day, shift) -> [(column, k, offset)]
    for (p, e, s_idx), cols in count.items():
        pool = prob.pools[p]
        s = prob.shifts[s_idx]
        n = lp.var(cost=0.0, ub=float(len(cols)))
        lp.row([(n, 1.0)] + [(j, -1.0) for j in cols], lo=0.0, hi=0.0)
        if s_idx not in share:
            share[s_idx] = np.ones(s.length) if exact_breaks else _break_share(prob, s_idx)
        t0 = e * per_day + s.start
        units = 0.0
        for i in range(min(s.length, T - t0)):
            unit = float(pool.efficiency[(s.start + i) % per_day]) * share[s_idx][i]
            supply[(pool.queues, t0 + i)].append((n, unit))
            units += unit
            if pool.team in team_on:
                team_terms[(pool.team, t0 + i)].append(n)
        if exact_breaks:
            # each break rule: how many of these shifts take it at each allowed offset (as many as shifts)
            bs = bvars[(p, e, s_idx)] = []
            for k, slot in enumerate(s.breaks):
                row = [(n, -1.0)]
                for o in slot.offsets:
                    b = lp.var(cost=0.0, ub=float(len(cols)))
                    bs.append((b, k, o))
                    row.append((b, 1.0))
                    for i in range(o, min(o + slot.length, s.length, T - t0)):
                        unit = float(pool.efficiency[(s.start + i) % per_day])
                        supply[(pool.queues, t0 + i)].append((b, -unit))
                        units -= unit
                lp.row(row, lo=0.0, hi=0.0)
        lp.c[n] = over_w * units                 # every capacity unit pays the idle price; allocated ones earn it back
    for (team, t), ns in team_terms.items():
        lp.row([(n, 1.0) for n in ns], hi=float(caps[team] - team_on[team][t]))
    groups = set(fixed) | {g for g, _ in supply}
    by_qt: dict[tuple[str, int], list[int]] = defaultdict(list)
    for g in sorted(groups):
        base = fixed.get(g)
        for t in range(w0, w1):
            terms = supply.get((g, t), [])
            have = float(base[t - w0]) if base is not None else 0.0
            if not terms and have <= 1e-9:
                continue
            row = [(j, 1.0) for _, j in split_group(lp, prob, tables, g, t, by_qt, over_w)]
            if row:
                lp.row(row + [(n, -e) for n, e in terms], hi=max(0.0, have))
    add_served_value(lp, prob, tables, by_qt, w0, w1)
    carried = {q: float(plan.backlog[q][w0 - 1]) if w0 > 0 else 0.0 for q in prob.deferred}
    value = plan.capacity_value or {}
    for q, bs in add_backlog(lp, prob, by_qt, w0, w1, carried).items():
        if bs and w1 < T:
            after = [v[w1: min(T, w1 + per_day)].max() for g, v in value.items() if q in g]
            extra = lp.var(cost=max([0.0] + [float(x) for x in after]))
            lp.row([(bs[-1], 1.0), (extra, -1.0)], hi=float(plan.backlog[q][w1 - 1]))
    h = lp.highs()
    cols = sorted(list(y.values()) + [b for bs in bvars.values() for b, _, _ in bs])
    h.changeColsIntegrality(len(cols), np.array(cols, dtype=np.int32),
                            np.full(len(cols), highspy.HighsVarType.kInteger))
    h.setOptionValue("solver", "choose")
    if prob.per_interval_hard:
        # the requirement's HARD_VALUE makes the objective huge and mostly constant: a relative gap would stop
        # at the start solution; stop within half a money unit instead
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.5 * OBJ_SCALE)
    else:
        h.setOptionValue("mip_rel_gap", 1e-4)
    if deterministic:
        h.setOptionValue("mip_max_nodes", 200)
    else:
        h.setOptionValue("time_limit", float(max(1.0, time_limit_s)))
    # the current day as the start solution (it is feasible: its choices are kept among the options), its
    # breaks as placed
    hint = np.zeros(len(lp.c))
    for a, e in free:
        cur = named.get(a, {}).get(e)
        hint[y[(a, e, cur)]] = 1.0
        if cur is not None and exact_breaks:
            at = {(k, o): b for b, k, o in bvars[(prob.agents[a].pool, e, cur)]}
            for k, o in plan.breaks.get((a, e), []):
                if (k, o) in at:
                    hint[at[(k, o)]] += 1.0
    sol = highspy.HighsSolution()
    sol.col_value = hint.tolist()
    sol.value_valid = True
    h.setSolution(sol)
    t_run = time.perf_counter()
    h.run()
    info = h.getInfo()
    log.debug("day %d MIP: %d columns (%d choices), %d rows, objective %.0f, dual bound %.0f, gap %.4f, %.1f s", d, len(lp.c),
              len(y), len(lp.lo), info.objective_function_value, info.mip_dual_bound, info.mip_gap, time.perf_counter() - t_run)
    if info.primal_solution_status != 2:          # no feasible solution
        return None
    x = np.asarray(h.getSolution().col_value)
    if log.isEnabledFor(logging.DEBUG):
        found = info.objective_function_value
        h.changeColsBounds(len(cols), np.array(cols, dtype=np.int32), hint[cols], hint[cols])
        h.run()
        log.debug("day %d MIP: the current days %.0f, found %.0f (%.0f better)", d, h.getInfo().objective_function_value,
                  found, h.getInfo().objective_function_value - found)
    new: Named = {a: dict(days) for a, days in named.items()}
    changed: Named = {}
    for a, e in free:
        cur = named.get(a, {}).get(e)
        pick = max(picks[a][e], key=lambda c: x[c[0]])[1]
        if pick == cur:
            continue
        if pick is None:
            del new[a][e]
        else:
            new.setdefault(a, {})[e] = pick
            changed.setdefault(a, {})[e] = pick
    moved = {(a, e) for a, e in free if new.get(a, {}).get(e) != named.get(a, {}).get(e)}
    if exact_breaks:
        # every free agent-day working a shift takes the breaks the MIP counted for its (pool, day, shift)
        chosen: dict[tuple[int, int], list[tuple[int, int]]] = {}
        who: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        for a, e in free:
            s_idx = new.get(a, {}).get(e)
            if s_idx is not None:
                who[(prob.agents[a].pool, e, s_idx)].append(a)
        for key, members in who.items():
            slots: dict[int, list[int]] = defaultdict(list)
            for b, k, o in bvars[key]:
                slots[k].extend([o] * int(round(x[b])))
            for k, offs in slots.items():
                if len(offs) != len(members):          # numerical trouble: place these afresh
                    return None
            for i, a in enumerate(members):
                chosen[(a, key[1])] = sorted((k, slots[k][i]) for k in slots)
        if not moved and all(sorted(plan.breaks.get(k, [])) == v for k, v in chosen.items()):
            return None
        free_set = set(free)
        breaks = {k: v for k, v in plan.breaks.items() if k not in free_set}
        breaks.update(chosen)
        changed_days = len(moved) + sum(1 for k, v in chosen.items() if k not in moved
                                        and sorted(plan.breaks.get(k, [])) != v)
        return {a: days for a, days in new.items() if days}, breaks, changed_days
    if not moved:
        return None
    breaks = {k: v for k, v in plan.breaks.items() if k not in moved}
    breaks.update(place_breaks(prob, changed, plan.capacity_value))
    return {a: days for a, days in new.items() if days}, breaks, len(moved)


def day_order(prob: RosterProblem, plan: Plan) -> list[int]:
    """Days most at stake first: the money the day's shifts lose at the plan's capacity values (what their
    capacity is worth less what they cost, summed over shifts worth less than they cost) plus the lost
    contacts and late work of the day's intervals."""
    from scheduler.optimize.improve import _Worth

    worth = _Worth(prob, plan.capacity_value or {})
    stake = np.zeros(prob.n_days)
    for a, days in plan.named.items():
        info = prob.agents[a]
        if info.queues not in (plan.capacity_value or {}):
            continue
        for d, s_idx in days.items():
            net = worth.shift(info.pool, d, s_idx, plan.breaks.get((a, d), [])) - prob.shift_cost[(info.team, s_idx)]
            stake[d] += max(0.0, -net)
    return [int(d) for d in np.argsort(-stake, kind="stable")]


def improve_days(prob: RosterProblem, plan: Plan, personal: list, evaluate_named: Callable, *,
                 deadline: float | None = None, days: list[int] | None = None, day_s: float = 10.0,
                 deterministic: bool = False, tables: dict | None = None, span: int = 1,
                 say: Callable[[str], None] = lambda m: None) -> tuple[Plan, list, int]:
    """Re-optimise days (:func:`reoptimize_day`, most at stake first, or ``days``) one at a time, each result
    evaluated exactly by ``evaluate_named(named, breaks)`` (``(plan, personal)`` or None) and kept only when
    cheaper. Stops before ``deadline`` (``time.perf_counter()`` value) would be passed by the next day
    (``day_s``: MIP time limit; its measured time plus the evaluation's). Returns (plan, personal, days
    improved)."""
    tables = tables if tables is not None else marginal_values(prob)
    order = days if days is not None else day_order(prob, plan)
    kept = 0
    last = day_s
    for d in order:
        if deadline is not None and time.perf_counter() + last > deadline:
            break
        t = time.perf_counter()
        limit = day_s if deadline is None else max(1.0, min(day_s, deadline - t - 0.5 * last))
        out = reoptimize_day(prob, plan, d, tables=tables, time_limit_s=limit, deterministic=deterministic, span=span)
        if out is None:
            log.info("day %d: kept as it is (%.1f s)", d, time.perf_counter() - t)
            last = max(last, time.perf_counter() - t) if deadline is not None else last
            continue
        named, breaks, n = out
        ev = evaluate_named(named, breaks)
        spent = time.perf_counter() - t
        last = spent
        if ev is None or ev[0].objective >= plan.objective:
            log.info("day %d: %d agents changed, no better (%s, %.1f s)", d, n,
                     "rule broken" if ev is None else f"{ev[0].objective:.0f}", spent)
            continue
        plan, personal = ev
        kept += 1
        say(f"roster: day {d + 1} re-optimised ({n} agents changed), cost {plan.objective / OBJ_SCALE:,.0f}")
        log.info("day %d: %d agents changed, cost %.0f (%.1f s)", d, n, plan.objective, spent)
    return plan, personal, kept
