"""Per-agent labour rules as CP-SAT constraints: one ``add_<rule>`` function per rule.

The rules work on a :class:`Calendar` — one Boolean per agent × day × allowed shift ("agent works
shift s on day d") — and know nothing about queues or intervals, so other rostering problems (the
Curtois & Qu nurse-rostering benchmark: forbidden successions, max shifts per type, min/max total
minutes, min/max consecutive shifts, min consecutive days off, max weekends, fixed days off, on/off
requests, cover per day × shift) are expressed with the same functions.

Every ``add_<rule>`` adds its hard constraints and returns its penalty terms (:class:`Penalty`). A
rule is soft when ``soft_weight`` is given: each unit of violation costs that many objective units.
``guard(rule, agent, scope)`` may return an enforcement literal for a hard constraint: the
explanation of infeasibility solves with those literals as assumptions and names the rules (and
agents, days, weeks) in the conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model

Guard = Callable[[str, int, str], "cp_model.IntVar | None"]


class ShiftLike(Protocol):
    index: int
    code: str
    start_min: int
    length_min: int
    paid_min: int
    is_night: bool
    is_late: bool


@dataclass
class Penalty:
    """One penalty term: ``weight`` objective units per unit of ``var`` (an IntVar or linear expr)."""

    name: str
    rule: str
    var: object
    weight: int
    agent: int | None = None
    scope: str = ""


def _no_guard(rule: str, agent: int, scope: str):
    return None


def _lsum(terms: list):
    """``sum(terms)`` as one flat expression (the model is the same; the generator sums of sums it replaces
    took a third of the time to build Instance24's model): 0 when empty, the term itself when single."""
    if len(terms) > 1:
        return cp_model.LinearExpr.sum(terms)
    return terms[0] if terms else 0


class Calendar:
    """Agent × day × shift Booleans (only those allowed) and derived "works on day d" expressions."""

    def __init__(self, model: cp_model.CpModel, n_days: int, shifts: Sequence[ShiftLike],
                 agent_label: Callable[[int], str] = str, day_label: Callable[[int], str] = str):
        self.model = model
        self.n_days = n_days
        self.shifts = list(shifts)
        self.x: dict[int, list[dict[int, cp_model.IntVar]]] = {}
        self.agent_label = agent_label
        self.day_label = day_label
        self._work: dict[tuple[int, int], cp_model.IntVar] = {}
        self._flat_key: tuple | None = None
        self._flat_val: list = []

    def add_agent(self, a: int, allowed: Callable[[int], Iterable[int]]) -> None:
        """Create the Booleans of agent ``a``; ``allowed(d)`` gives the shift indices it may work on day d."""
        days = []
        for d in range(self.n_days):
            lits = {}
            for s in allowed(d):
                lits[s] = self.model.new_bool_var(f"works[{self.agent_label(a)},{self.day_label(d)},{self.shifts[s].code}]")
            days.append(lits)
        self.x[a] = days
        self._flat_key = None
        for d in range(self.n_days):
            if len(days[d]) > 1:
                self.model.add_at_most_one(days[d].values())

    @property
    def agents(self) -> list[int]:
        return list(self.x)

    def lits(self, a: int, d: int) -> dict[int, cp_model.IntVar]:
        if 0 <= d < self.n_days:
            return self.x[a][d]
        return {}

    def works(self, a: int, d: int) -> cp_model.IntVar:
        """A Boolean equal to "works on day d" (created once)."""
        key = (a, d)
        w = self._work.get(key)
        if w is None:
            lits = list(self.lits(a, d).values())
            if len(lits) == 1:
                w = lits[0]
            else:
                w = self.model.new_bool_var(f"on[{self.agent_label(a)},{self.day_label(d)}]")
                self.model.add(w == _lsum(lits))
            self._work[key] = w
        return w

    def day_lits(self, a: int, days: Iterable[int]) -> list[cp_model.IntVar]:
        """The Booleans of agent ``a`` on ``days``, day by day (their sum: days worked)."""
        x, n = self.x[a], self.n_days
        return [v for d in days if 0 <= d < n for v in x[d].values()]

    def minutes(self, a: int, days: Iterable[int], attr: str = "paid_min"):
        x, n = self.x[a], self.n_days
        terms = [(v, getattr(self.shifts[s], attr)) for d in days if 0 <= d < n for s, v in x[d].items()]
        if not terms:
            return 0
        return cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])

    def count(self, a: int, days: Iterable[int], pred: Callable[[ShiftLike], bool]):
        return _lsum([v for sh, v in self._flat(a, days) if pred(sh)])

    def _flat(self, a: int, days: Iterable[int]) -> list[tuple[ShiftLike, cp_model.IntVar]]:
        """(shift, Boolean) of agent ``a`` on ``days``, day by day; the last agent's, per range of days, kept
        (a count per shift type over the horizon asks for the same days once per type)."""
        key = (a, days) if isinstance(days, range) else None
        if key is not None and self._flat_key == key:
            return self._flat_val
        x, n, shifts = self.x[a], self.n_days, self.shifts
        flat = [(shifts[s], v) for d in days if 0 <= d < n for s, v in x[d].items()]
        if key is not None:
            self._flat_key, self._flat_val = key, flat
        return flat


def _bound(model: cp_model.CpModel, expr, lo: int | None, hi: int | None, *, rule: str, agent: int | None,
           scope: str, name: str, soft_weight: int | None, guard: Guard, ub: int) -> list[Penalty]:
    """``lo <= expr <= hi`` as a hard (optionally guarded) or soft constraint."""
    out: list[Penalty] = []
    if soft_weight is not None:
        if hi is not None:
            v = model.new_int_var(0, max(ub, 0), f"{name}:over")
            model.add(expr - v <= hi)
            out.append(Penalty(f"{name}:over", rule, v, soft_weight, agent, scope))
        if lo is not None:
            v = model.new_int_var(0, max(ub, 0), f"{name}:under")
            model.add(expr + v >= lo)
            out.append(Penalty(f"{name}:under", rule, v, soft_weight, agent, scope))
        return out
    g = guard(rule, agent if agent is not None else -1, scope)
    if hi is not None:
        ct = model.add(expr <= hi)
        if g is not None:
            ct.only_enforce_if(g)
    if lo is not None:
        ct = model.add(expr >= lo)
        if g is not None:
            ct.only_enforce_if(g)
    return out


# ------------------------------------------------------------------------------------------------
# succession and rest


def add_forbidden_successions(cal: Calendar, a: int, pairs: Iterable[tuple[int, int]], *, rule: str = "forbidden_succession",
                              soft_weight: int | None = None, guard: Guard = _no_guard) -> list[Penalty]:
    """Shift ``s`` on day d forbids shift ``s2`` on day d+1, for each pair (s, s2)."""
    m = cal.model
    out: list[Penalty] = []
    # the pairs by their first shift, in their given order: a day visits only the shifts it may take (the
    # constraints come in the order of the pairs, as a plain loop over all pairs would make them)
    after: dict[int, list[tuple[int, int]]] = {}
    for i, (s, s2) in enumerate(pairs):
        after.setdefault(s, []).append((i, s2))
    for d in range(cal.n_days - 1):
        today, tomorrow = cal.lits(a, d), cal.lits(a, d + 1)
        if not today or not tomorrow:
            continue
        for _, s, s2 in sorted((i, s, s2) for s in today for i, s2 in after.get(s, ()) if s2 in tomorrow):
            if soft_weight is None and guard is _no_guard:
                m.add(today[s] + tomorrow[s2] <= 1)      # (what _bound adds, without naming it)
                continue
            out += _bound(m, today[s] + tomorrow[s2], None, 1, rule=rule, agent=a, scope=cal.day_label(d),
                          name=f"{rule}[{cal.agent_label(a)},{cal.day_label(d)}]", soft_weight=soft_weight,
                          guard=guard, ub=1)
    return out


def add_min_rest(cal: Calendar, a: int, rest_min: int, *, applies: Callable[[ShiftLike], bool] = lambda s: True,
                 rule: str = "min_rest", prev_end_min: int | None = None, soft_weight: int | None = None,
                 guard: Guard = _no_guard) -> list[Penalty]:
    """At least ``rest_min`` between the end of a shift (one for which ``applies``) and the next start.

    Compact encoding: for each reach r = end + rest, one at-most-one over {shifts ending with reach >= r
    on day d} ∪ {shifts starting before r on day d+k}; the sets are nested, so this forbids exactly the
    short rests. ``prev_end_min`` (minutes from the first day's midnight, may be negative) is the end of
    the previous period's last shift.
    """
    m = cal.model
    out: list[Penalty] = []
    max_len = max((s.length_min for s in cal.shifts), default=0)
    max_k = 1 + (max_len + rest_min) // 1440
    for d in range(cal.n_days):
        today = cal.lits(a, d)
        reach = {s: cal.shifts[s].start_min + cal.shifts[s].length_min + rest_min for s in today if applies(cal.shifts[s])}
        for k in range(1, max_k + 1):
            later = cal.lits(a, d + k)
            if not later or not reach:
                continue
            seen_right = 0
            for r in sorted(set(reach.values())):
                left = [today[s] for s, rs in reach.items() if rs >= r]
                right = [v for s2, v in later.items() if cal.shifts[s2].start_min + 1440 * k < r]
                # the right sets are nested: a threshold with the same right set as a lower one is implied by it
                if len(right) == seen_right:
                    continue
                seen_right = len(right)
                out += _bound(m, sum(left) + sum(right), None, 1, rule=rule, agent=a, scope=cal.day_label(d),
                              name=f"{rule}[{cal.agent_label(a)},{cal.day_label(d)}+{k}@{r}]", soft_weight=soft_weight,
                              guard=guard, ub=1)
    if prev_end_min is not None:
        for d in range(cal.n_days):
            bad = [v for s, v in cal.lits(a, d).items() if d * 1440 + cal.shifts[s].start_min < prev_end_min + rest_min]
            if bad:
                out += _bound(m, sum(bad), None, 0, rule=rule, agent=a, scope=f"{cal.day_label(d)} (after the previous period)",
                              name=f"{rule}[{cal.agent_label(a)},previous->{cal.day_label(d)}]", soft_weight=soft_weight,
                              guard=guard, ub=1)
    return out


# ------------------------------------------------------------------------------------------------
# runs of working days and days off


def add_max_consecutive_days(cal: Calendar, a: int, max_days: int, *, prev_run: int = 0, rule: str = "max_consecutive_days",
                             soft_weight: int | None = None, guard: Guard = _no_guard) -> list[Penalty]:
    """No more than ``max_days`` worked days in a row (``prev_run`` days already worked before day 0)."""
    out: list[Penalty] = []
    n = cal.n_days
    for start in range(-min(prev_run, max_days), n - max_days):
        days = range(max(start, 0), start + max_days + 1)
        before = -start if start < 0 else 0            # days of the window already worked before the horizon
        hi = max_days - before
        expr = _lsum(cal.day_lits(a, days))
        out += _bound(cal.model, expr, None, hi, rule=rule, agent=a, scope=f"{cal.day_label(max(start, 0))} +{max_days} days",
                      name=f"{rule}[{cal.agent_label(a)},{cal.day_label(max(start, 0))}]", soft_weight=soft_weight,
                      guard=guard, ub=max_days + 1)
    return out


def add_min_consecutive(cal: Calendar, a: int, min_len: int, *, working: bool, exempt_edges: bool = True,
                        rule: str | None = None, soft_weight: int | None = None, guard: Guard = _no_guard) -> list[Penalty]:
    """Every run of worked days (``working``) or of days off is at least ``min_len`` long.

    With ``exempt_edges`` a run touching the horizon's first or last day is exempt (the Curtois & Qu
    reading: the days outside the horizon continue the run).
    """
    rule = rule or ("min_consecutive_shifts" if working else "min_consecutive_days_off")
    m = cal.model
    out: list[Penalty] = []
    n = cal.n_days

    # "in a run" and its negation per day, made on first use (in the order a plain loop would make them)
    pos: list = [None] * n
    neg: list = [None] * n

    def lit(d: int):
        v = pos[d]
        if v is None:
            w = cal.works(a, d)
            v = pos[d] = w if working else w.Not()
        return v

    def not_lit(d: int):
        v = neg[d]
        if v is None:
            v = neg[d] = lit(d).Not()
        return v

    for length in range(1, min_len):
        for d in range(n - length + 1):
            last = d + length - 1
            if exempt_edges and (d == 0 or last == n - 1):
                continue
            clause = [not_lit(k) for k in range(d, last + 1)]
            if d > 0:
                clause.append(lit(d - 1))
            if last < n - 1:
                clause.append(lit(last + 1))
            if soft_weight is not None:
                name = f"{rule}[{cal.agent_label(a)},{cal.day_label(d)}x{length}]"
                v = m.new_bool_var(name)
                m.add_bool_or(clause + [v])
                out.append(Penalty(name, rule, v, soft_weight, a, cal.day_label(d)))
            else:
                ct = m.add_bool_or(clause)
                g = None if guard is _no_guard else guard(rule, a, cal.day_label(d))
                if g is not None:
                    ct.only_enforce_if(g)
    return out


def add_days_off_in_period(cal: Calendar, a: int, days: Sequence[int], min_off: int, *, scope: str,
                           rule: str = "min_days_off_per_week", soft_weight: int | None = None,
                           guard: Guard = _no_guard) -> list[Penalty]:
    """At least ``min_off`` of ``days`` are off."""
    if min_off <= 0:
        return []
    expr = _lsum(cal.day_lits(a, days))
    return _bound(cal.model, expr, None, len(days) - min_off, rule=rule, agent=a, scope=scope,
                  name=f"{rule}[{cal.agent_label(a)},{scope}]", soft_weight=soft_weight, guard=guard, ub=len(days))


def add_two_days_off_together(cal: Calendar, a: int, days: Sequence[int], *, scope: str, rule: str = "consecutive_days_off",
                              soft_weight: int | None = None, guard: Guard = _no_guard) -> list[Penalty]:
    """Two consecutive days of ``days`` (consecutive day indices) are both off."""
    m = cal.model
    pairs = []
    for d, e in zip(days, days[1:]):
        p = m.new_bool_var(f"off_pair[{cal.agent_label(a)},{cal.day_label(d)}]")
        m.add_implication(p, cal.works(a, d).Not())
        m.add_implication(p, cal.works(a, e).Not())
        pairs.append(p)
    if not pairs:
        return []
    return _bound(m, sum(pairs), 1, None, rule=rule, agent=a, scope=scope, name=f"{rule}[{cal.agent_label(a)},{scope}]",
                  soft_weight=soft_weight, guard=guard, ub=1)


def add_max_weekends(cal: Calendar, a: int, weekends: Sequence[tuple[int, ...]], max_weekends: int, *,
                     rule: str = "max_weekends", soft_weight: int | None = None, guard: Guard = _no_guard) -> list[Penalty]:
    """A weekend counts when any of its days is worked; at most ``max_weekends`` of them."""
    m = cal.model
    flags = []
    for k, wd in enumerate(weekends):
        f = m.new_bool_var(f"weekend[{cal.agent_label(a)},{k}]")
        for d in wd:
            m.add_implication(cal.works(a, d), f)
        flags.append(f)
    if not flags:
        return []
    return _bound(m, sum(flags), None, max_weekends, rule=rule, agent=a, scope="horizon",
                  name=f"{rule}[{cal.agent_label(a)}]", soft_weight=soft_weight, guard=guard, ub=len(flags))


# ------------------------------------------------------------------------------------------------
# counts and hours


def add_total_minutes(cal: Calendar, a: int, days: Sequence[int], min_min: int | None, max_min: int | None, *,
                      scope: str, rule_min: str = "min_hours_per_week", rule_max: str = "max_hours_per_week",
                      extra_min: int = 0, soft_min: int | None = None, soft_max: int | None = None,
                      attr: str = "paid_min", guard: Guard = _no_guard) -> list[Penalty]:
    """Paid (or ``attr``) minutes over ``days`` plus ``extra_min`` already worked lie in [min_min, max_min].

    Soft weights are objective units per minute of violation."""
    expr = cal.minutes(a, days, attr) + extra_min
    ub = 24 * 60 * max(len(days), 1)
    out = []
    if max_min is not None:
        out += _bound(cal.model, expr, None, max_min, rule=rule_max, agent=a, scope=scope,
                      name=f"{rule_max}[{cal.agent_label(a)},{scope}]", soft_weight=soft_max, guard=guard, ub=ub)
    if min_min is not None and min_min > 0:
        out += _bound(cal.model, expr, min_min, None, rule=rule_min, agent=a, scope=scope,
                      name=f"{rule_min}[{cal.agent_label(a)},{scope}]", soft_weight=soft_min, guard=guard, ub=ub)
    return out


def add_overtime(cal: Calendar, a: int, days: Sequence[int], regular_max_min: int, cost_per_min: int, *, scope: str,
                 extra_min: int = 0) -> list[Penalty]:
    """Minutes above ``regular_max_min`` cost ``cost_per_min`` each (the extra over the regular rate)."""
    if cost_per_min <= 0:
        return []
    m = cal.model
    expr = cal.minutes(a, days) + extra_min
    v = m.new_int_var(0, 24 * 60 * len(days), f"overtime[{cal.agent_label(a)},{scope}]")
    m.add(v >= expr - regular_max_min)
    return [Penalty(f"overtime[{cal.agent_label(a)},{scope}]", "overtime", v, cost_per_min, a, scope)]


def add_max_count(cal: Calendar, a: int, days: Sequence[int], pred: Callable[[ShiftLike], bool], max_count: int, *,
                  scope: str, rule: str, extra: int = 0, soft_weight: int | None = None,
                  guard: Guard = _no_guard) -> list[Penalty]:
    """At most ``max_count`` shifts satisfying ``pred`` over ``days`` (plus ``extra`` already worked)."""
    expr = cal.count(a, days, pred) + extra
    return _bound(cal.model, expr, None, max_count, rule=rule, agent=a, scope=scope,
                  name=f"{rule}[{cal.agent_label(a)},{scope}]", soft_weight=soft_weight, guard=guard, ub=len(days))


# ------------------------------------------------------------------------------------------------
# fixed days, locks, requests


def add_days_off(cal: Calendar, a: int, days: Iterable[int], *, rule: str = "unavailable",
                 guard: Guard = _no_guard) -> list[Penalty]:
    """Agent works none of ``days`` (leave, unavailability, fixed days off)."""
    for d in days:
        lits = list(cal.lits(a, d).values())
        if lits:
            _bound(cal.model, sum(lits), None, 0, rule=rule, agent=a, scope=cal.day_label(d),
                   name=f"{rule}[{cal.agent_label(a)},{cal.day_label(d)}]", soft_weight=None, guard=guard, ub=1)
    return []


def add_locks(cal: Calendar, a: int, locked: dict[int, int | None], *, rule: str = "lock",
              guard: Guard = _no_guard) -> list[Penalty]:
    """Locked days: ``locked[d]`` is the shift index to work, or None for a day off."""
    m = cal.model
    for d, s in locked.items():
        lits = cal.lits(a, d)
        g = guard(rule, a, cal.day_label(d))
        if s is None:
            ct = m.add(sum(lits.values()) <= 0) if lits else None
        elif s in lits:
            ct = m.add(lits[s] >= 1)
        else:
            ct = m.add_bool_or([])   # the locked shift is not allowed for this agent: infeasible by itself
        if ct is not None and g is not None:
            ct.only_enforce_if(g)
    return []


def add_requests(cal: Calendar, a: int, requests: Iterable[tuple[int, Sequence[int] | None, bool, int]], *,
                 rule: str = "preference") -> list[Penalty]:
    """Soft wishes: (day, shift indices or None = a day off, want, weight in objective units).

    ``want`` True: to work one of those shifts (or, with None, to have the day off); False: not to."""
    m = cal.model
    out = []
    for d, shifts, want, weight in requests:
        lits = cal.lits(a, d)
        name = f"{rule}[{cal.agent_label(a)},{cal.day_label(d)}]"
        if shifts is None:
            worked = sum(lits.values())
            expr = worked if want else 1 - worked       # want the day off: penalty if worked
        else:
            chosen = [lits[s] for s in shifts if s in lits]
            if not chosen:
                if want:
                    out.append(Penalty(name, rule, 1, weight, a, cal.day_label(d)))
                continue
            expr = (1 - sum(chosen)) if want else sum(chosen)
        v = m.new_bool_var(name)
        m.add(v >= expr)
        out.append(Penalty(name, rule, v, weight, a, cal.day_label(d)))
    return out


# ------------------------------------------------------------------------------------------------
# fairness and stability


def add_fairness(cal: Calendar, group: Sequence[int], counts: dict[int, object], weight: int, *, name: str,
                 ub: int) -> list[Penalty]:
    """Spread (max − min) of ``counts[a]`` over the agents of ``group`` costs ``weight`` per unit."""
    if len(group) < 2 or weight <= 0:
        return []
    m = cal.model
    hi = m.new_int_var(0, ub, f"{name}:max")
    lo = m.new_int_var(0, ub, f"{name}:min")
    for a in group:
        m.add(hi >= counts[a])
        m.add(lo <= counts[a])
    spread = m.new_int_var(0, ub, f"{name}:spread")
    m.add(spread == hi - lo)
    return [Penalty(name, "fairness", spread, weight, None, name)]


def add_stable_starts(cal: Calendar, a: int, days: Sequence[int], weight_per_h: int, *, scope: str,
                      limit_min: int | None = None, excess_weight_per_h: int | None = None) -> list[Penalty]:
    """Start times within ``days`` should stay together: spread (latest − earliest start) costs
    ``weight_per_h`` per hour; above ``limit_min`` each hour costs ``excess_weight_per_h`` more."""
    m = cal.model
    starts = {s: cal.shifts[s].start_min for d in days for s in cal.lits(a, d)}
    if len(set(starts.values())) < 2:
        return []
    big = max(starts.values())
    top = m.new_int_var(0, big, f"start_max[{cal.agent_label(a)},{scope}]")
    bottom = m.new_int_var(0, big, f"start_min[{cal.agent_label(a)},{scope}]")
    for d in days:
        lits = cal.lits(a, d)
        if not lits:
            continue
        start_expr = sum(cal.shifts[s].start_min * v for s, v in lits.items())
        m.add(top >= start_expr)
        m.add(bottom <= start_expr + big * (1 - sum(lits.values())))
    spread = m.new_int_var(0, big, f"start_spread[{cal.agent_label(a)},{scope}]")
    m.add(spread >= top - bottom)
    out = []
    step = 60
    if weight_per_h > 0:
        out.append(Penalty(spread.name, "stable_starts", spread, max(1, int(round(weight_per_h / step))), a, scope))
    if limit_min is not None and excess_weight_per_h:
        ex = m.new_int_var(0, big, f"start_spread_excess[{cal.agent_label(a)},{scope}]")
        m.add(ex >= spread - limit_min)
        out.append(Penalty(ex.name, "stable_start", ex, max(1, int(round(excess_weight_per_h / step))), a, scope))
    return out


def add_shift_cover(model: cp_model.CpModel, lits: Sequence[object], required: int, *, name: str,
                    under_weight: int | None, over_weight: int | None) -> list[Penalty]:
    """Cover of one (day, shift): ``sum(lits)`` against ``required``; hard when a weight is None."""
    out = []
    n = _lsum(list(lits))
    if under_weight is None:
        model.add(n >= required)
    else:
        u = model.new_int_var(0, max(required, 0), f"under[{name}]")
        model.add(n + u >= required)
        out.append(Penalty(u.name, "cover_under", u, under_weight, None, name))
    if over_weight is None:
        model.add(n <= required)
    else:
        o = model.new_int_var(0, len(lits), f"over[{name}]")
        model.add(n - o <= required)
        out.append(Penalty(o.name, "cover_over", o, over_weight, None, name))
    return out
