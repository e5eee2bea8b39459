"""Pool-level labour capacity: the personal rules summed over a pool's members.

Each constraint here is implied by the per-agent rules (a valid relaxation), so the aggregate model's
optimum is a lower bound of the full model's; in the full model they are redundant cuts that
tighten its LP. They make the aggregate's shift counts nearly always assignable to named agents:
- per day: shifts ≤ members available (not on leave / locked off); locked shifts are lower bounds;
- per week: worked days ≤ Σ allowed working days; paid minutes within Σ [min, max + overtime];
  nights ≤ Σ max nights; overtime ≥ paid − Σ regular max (costed at the pool's cheapest rate);
- any max_consecutive_days + 1 days: worked days ≤ Σ min(max_consecutive_days, available days);
- rest between days: for each "reach" r (end + rest), agents ending at or after r on day d and
  agents starting before r on day d+1 are different people: their counts sum to ≤ the members.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.model import RosterVars
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem
from scheduler.optimize.rules import Penalty


def add_pool_labour(model: cp_model.CpModel, prob: RosterProblem, v: RosterVars) -> None:
    sc = prob.scenario
    by_pool_day: dict[tuple[int, int], dict[int, cp_model.IntVar]] = defaultdict(dict)
    for (p, d, s), xv in v.x.items():
        by_pool_day[(p, d)][s] = xv
    for pool in prob.pools:
        members = [prob.agents[a] for a in pool.members]
        team = sc.teams[pool.team]
        for d in range(prob.n_days):
            xs = by_pool_day.get((pool.index, d), {})
            if not xs:
                continue
            avail = sum(1 for a in members if d not in a.unavailable and not (d in a.locked and a.locked[d] is None))
            model.add(sum(xs.values()) <= avail)
            locked = defaultdict(int)
            for a in members:
                s = a.locked.get(d)
                if s is not None:
                    locked[s] += 1
            for s, n in locked.items():
                if s in xs:
                    model.add(xs[s] >= n)
            # previous period: shifts too early after an agent's last shift
            for s, xv in xs.items():
                start = d * 1440 + prob.shifts[s].start_min
                blocked = sum(1 for a in members if a.prev_end_min is not None
                              and start < a.prev_end_min + rest_min(prob, a.prev_night))
                if blocked:
                    model.add(xv <= max(0, avail - blocked))
        # weeks
        for w in prob.weeks:
            lims = [week_limits(prob, a, w) for a in members]
            xs = [(s, xv) for d in w.days for s, xv in by_pool_day.get((pool.index, d), {}).items()]
            if not xs:
                continue
            soft = prob.soft
            off_rule_hard = "min_days_off_per_week" not in soft
            days_cap = sum(min(len(lm.available), len(w.days) - (lm.min_days_off if off_rule_hard else 0)) for lm in lims)
            model.add(sum(xv for _, xv in xs) <= days_cap)
            paid = sum(prob.shifts[s].paid_min * xv for s, xv in xs)
            if "max_hours_per_week" not in soft:
                model.add(paid <= sum(max(0, lm.max_paid_min) for lm in lims))
            if "min_hours_per_week" not in soft:
                model.add(paid >= sum(lm.min_paid_min for lm in lims))
            nights = [xv for s, xv in xs if prob.shifts[s].is_night]
            if nights and "max_nights_per_week" not in soft:
                model.add(sum(nights) <= sum(lm.max_nights for lm in lims))
            regular = sum(max(0, lm.regular_max_min) for lm in lims)
            rate = min((sc.contracts[a.contract].overtime_cost_multiplier - 1.0) for a in members) * team.cost_per_hour
            if rate > 0 and any(sc.contracts[a.contract].overtime_h_per_week > 0 for a in members):
                ot = model.new_int_var(0, 7 * 1440 * len(members), f"overtime[{pool.label},week {w.monday}]")
                model.add(ot >= paid - regular)
                v.penalties.append(Penalty(ot.name, "overtime", ot, int(round(rate / 60 * OBJ_SCALE))))
        # consecutive days
        mc = sc.rules.max_consecutive_days
        if "max_consecutive_days" not in prob.soft and mc < prob.n_days:
            for start in range(0, prob.n_days - mc):
                window = range(start, start + mc + 1)
                xs = [xv for d in window for xv in by_pool_day.get((pool.index, d), {}).values()]
                if xs:
                    cap = sum(min(mc, sum(1 for d in window if d not in a.unavailable)) for a in members)
                    model.add(sum(xs) <= cap)
        # rest between consecutive days
        for d in range(prob.n_days - 1):
            today = by_pool_day.get((pool.index, d), {})
            tomorrow = by_pool_day.get((pool.index, d + 1), {})
            if not today or not tomorrow:
                continue
            cap = sum(1 for a in members if not (d in a.unavailable and d + 1 in a.unavailable))
            reach = {}
            for s in today:
                night = prob.shifts[s].is_night and sc.rules.rest_after_night_h is not None
                if ("rest_after_night" if night else "min_rest") in prob.soft:
                    continue
                reach[s] = prob.shifts[s].end_min + rest_min(prob, prob.shifts[s].is_night)
            seen = 0
            for r in sorted(set(reach.values())):
                right = [xv for s2, xv in tomorrow.items() if prob.shifts[s2].start_min + 1440 < r]
                if len(right) == seen:
                    continue
                seen = len(right)
                left = [today[s] for s, rs in reach.items() if rs >= r]
                model.add(sum(left) + sum(right) <= cap)
