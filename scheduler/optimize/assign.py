"""Named agents for the planned shift counts: a rule-aware constructive pass, then CP-SAT.

:func:`assign_greedy` walks the days in order and gives each planned shift of a pool to the member
who may legally take it (leave, locks, rest incl. across midnight and from the previous period,
consecutive days, weekly days off, hours and nights) and needs it most (furthest from the weekly
minimum hours, fewest days worked, same start as yesterday). Agents still short of their weekly
minimum get extra shifts on free days. The result is complete and respects every hard rule except,
rarely, a weekly minimum it could not reach; it is the hint of the CP-SAT assignment model
(:func:`assign_agents`), which enforces every rule and optimises
fairness, stable start times, preferences and overtime while keeping to the counts.
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.optimize.limits import rest_min, week_limits
from scheduler.optimize.personal import add_personal_rules, default_allowed, fairness_groups, new_calendar
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem
from scheduler.optimize.rules import Penalty
from scheduler.optimize.solve import SolveOutcome, run
from scheduler.scenario import Solver as SolverSpec

Named = dict[int, dict[int, int]]


class _AgentState:
    __slots__ = ("last_end", "last_night", "run", "days", "mins", "nights", "worked", "lim", "last_start")

    def __init__(self, prob: RosterProblem, a):
        self.last_end = a.prev_end_min
        self.last_night = a.prev_night
        self.run = a.prev_run_days
        self.last_start = None
        self.worked: dict[int, int] = {}
        self.lim = {w.index: week_limits(prob, a, w) for w in prob.weeks}
        self.days = defaultdict(int)
        self.mins = defaultdict(int)
        self.nights = defaultdict(int)


def assign_greedy(prob: RosterProblem, counts: dict[tuple[int, int, int], int]) -> Named:
    sc = prob.scenario
    r = sc.rules
    week_of = {d: w.index for w in prob.weeks for d in w.days}
    state = {a.index: _AgentState(prob, a) for a in prob.agents}
    rest = {False: rest_min(prob, False), True: rest_min(prob, True)}
    named: Named = defaultdict(dict)
    longest_of = {a.index: max((prob.shifts[s].paid_min for s in a.shifts), default=0) for a in prob.agents}
    by_pool_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (p, d, s), n in counts.items():
        by_pool_day[(p, d)].extend([s] * n)

    def legal(a: int, d: int, s_idx: int) -> bool:
        info = prob.agents[a]
        st = state[a]
        if d in info.unavailable or d in st.worked or s_idx not in info.shifts:
            return False
        if d in info.locked and info.locked[d] != s_idx:
            return False
        sh = prob.shifts[s_idx]
        start = d * 1440 + sh.start_min
        if st.last_end is not None and start - st.last_end < rest[st.last_night]:
            return False
        run = st.run if (d - 1) in st.worked or (d == 0) else 0
        if run + 1 > r.max_consecutive_days:
            return False
        w = week_of[d]
        lim = st.lim[w]
        if st.days[w] + 1 > len(lim.days) - lim.min_days_off:
            return False
        if st.mins[w] + sh.paid_min > lim.max_paid_min:
            return False
        if sh.is_night and st.nights[w] + 1 > lim.max_nights:
            return False
        # a short shift must leave the weekly minimum reachable with the days still free (the days ahead are
        # looked at only when the week is not yet at its minimum with this shift: the common case skips them)
        if lim.min_paid_min - st.mins[w] - sh.paid_min > 0:
            free, locked_n, locked_min = ahead(a, d, w)
            short = lim.min_paid_min - st.mins[w] - sh.paid_min - locked_min
            free = min(free, len(lim.days) - lim.min_days_off - st.days[w] - 1 - locked_n)
            if short > 0 and short > free * longest_of[a]:
                return False
        return True

    def ahead(a: int, d: int, w: int) -> tuple[int, int, int]:
        """The agent's days after ``d`` in week ``w``: (how many are free for a new shift — available, not
        booked, not locked —, how many are locked to a shift, the paid minutes of those locked shifts). A day
        locked OFF is neither: it is not free for the weekly minimum."""
        info = prob.agents[a]
        free = locked_n = locked_min = 0
        for e in state[a].lim[w].available:
            if e <= d or e in state[a].worked:
                continue
            if e in info.locked:
                s = info.locked[e]
                if s is not None:
                    locked_n, locked_min = locked_n + 1, locked_min + prob.shifts[s].paid_min
            else:
                free += 1
        return free, locked_n, locked_min

    def book(a: int, d: int, s_idx: int) -> None:
        st = state[a]
        sh = prob.shifts[s_idx]
        w = week_of[d]
        st.run = (st.run if ((d - 1) in st.worked or d == 0) else 0) + 1
        st.worked[d] = s_idx
        st.last_end = d * 1440 + sh.end_min
        st.last_night = sh.is_night
        st.last_start = sh.start_min
        st.days[w] += 1
        st.mins[w] += sh.paid_min
        st.nights[w] += int(sh.is_night)
        named[a][d] = s_idx

    def need(a: int, d: int) -> float:
        """How badly the agent needs hours this week: minutes short per remaining available day."""
        st = state[a]
        w = week_of[d]
        lim = st.lim[w]
        free, _, locked_min = ahead(a, d - 1, w)
        short = lim.min_paid_min - st.mins[w] - locked_min
        return short / max(free, 1)

    for d in range(prob.n_days):
        # locked shifts first
        for a in prob.agents:
            s_idx = a.locked.get(d)
            if s_idx is not None and s_idx in a.shifts and legal(a.index, d, s_idx):
                book(a.index, d, s_idx)
                key = (a.pool, d)
                if s_idx in by_pool_day.get(key, []):
                    by_pool_day[key].remove(s_idx)
        # then the roster being re-optimised, where it keeps the rules with what is booked before
        for a in prob.agents:
            s_idx = a.reference.get(d)
            key = (a.pool, d)
            if s_idx is not None and s_idx in by_pool_day.get(key, []) and legal(a.index, d, s_idx):
                book(a.index, d, s_idx)
                by_pool_day[key].remove(s_idx)
        for p in prob.pools:
            todo = sorted(by_pool_day.get((p.index, d), []), key=lambda s: prob.shifts[s].start_min)
            for s_idx in todo:
                sh = prob.shifts[s_idx]
                best, best_key = None, None
                for a in p.members:
                    if not legal(a, d, s_idx):
                        continue
                    st = state[a]
                    w = week_of[d]
                    same = 0 if st.last_start == sh.start_min else 1
                    key = (-need(a, d), st.days[w], st.nights[w] if sh.is_night else 0, same, prob.agents[a].agent_id)
                    if best_key is None or key < best_key:
                        best, best_key = a, key
                if best is not None:
                    book(best, d, s_idx)
        # weekly minimum hours: on the last chance days, add a shift for agents who would miss it
        for a in prob.agents:
            st = state[a.index]
            if d in st.worked:
                continue
            w = week_of[d]
            lim = st.lim[w]
            if st.mins[w] >= lim.min_paid_min:
                continue
            free, locked_n, locked_min = ahead(a.index, d, w)
            free_after = min(free, len(lim.days) - lim.min_days_off - st.days[w] - 1 - locked_n)
            if st.mins[w] + locked_min + free_after * longest_of[a.index] >= lim.min_paid_min:
                continue
            # the roster being re-optimised reaches it later this week (its shifts on days not locked): its
            # days off stay off
            planned = sum(prob.shifts[s].paid_min for e, s in a.reference.items()
                          if e > d and e in lim.available and e not in a.locked and s is not None)
            if a.reference and st.mins[w] + locked_min + planned >= lim.min_paid_min:
                continue
            options = sorted((s for s in a.shifts if legal(a.index, d, s)),
                             key=lambda s: (-counts.get((a.pool, d, s), 0), -prob.shifts[s].paid_min))
            if options:
                book(a.index, d, options[0])
    return {a: dict(days) for a, days in named.items()}


def constructive_roster(prob: RosterProblem, counts: dict[tuple[int, int, int], int], spec: SolverSpec,
                        budget_s: float) -> tuple[Named, dict, list | None]:
    """The constructive named roster for the pool counts (:func:`assign_greedy`), checked and scored with every
    agent-day fixed (a small model: one literal per agent-day): (roster, its deviations from the counts per
    (pool, day, shift) as (short, extra), its personal terms — None when it breaks a hard personal rule)."""
    hint = assign_greedy(prob, counts)
    personal = score_named(prob, hint, spec, budget_s=max(1.0, budget_s))
    dev: dict[tuple[int, int, int], tuple[int, int]] = {}
    if personal is not None:
        given: dict[tuple[int, int, int], int] = defaultdict(int)
        for a, days in hint.items():
            for d, s_idx in days.items():
                given[(prob.agents[a].pool, d, s_idx)] += 1
        for key in set(given) | {k for k, n in counts.items() if n > 0}:
            n, got = counts.get(key, 0), given.get(key, 0)
            if n != got:
                dev[key] = (max(0, n - got), max(0, got - n))
    return hint, dev, personal


def assign_agents(prob: RosterProblem, counts: dict[tuple[int, int, int], int], spec: SolverSpec, budget_s: float,
                  progress=None, *, restrict: bool = True, on_first=None, hinted_s: float | None = None
                  ) -> tuple[Named | None, SolveOutcome, dict, list]:
    """Named agents for the pool counts under every personal rule.

    ``on_first(named, deviations, personal)`` is called with the constructive roster as soon as it is
    complete. ``hinted_s``: CP-SAT's time instead of ``budget_s`` when that constructive roster keeps every hard
    rule (it is then the answer if CP-SAT finds nothing better). With ``restrict`` an agent may only take shift
    types its pool uses that week. Shortfalls and
    surpluses against the counts are allowed at a high price, so the model is infeasible only when the
    personal rules themselves conflict (leave, locks, weekly minimum hours, ...)."""
    model = cp_model.CpModel()
    base = default_allowed(prob)

    week_of = {d: w.index for w in prob.weeks for d in w.days}
    used: dict[tuple[int, int], set[int]] = {}
    for (p, d, s), n in counts.items():
        if n > 0:
            used.setdefault((p, week_of[d]), set()).add(s)

    t_first = time.perf_counter()
    hint, first_dev, first_personal = constructive_roster(prob, counts, spec, budget_s)
    first_s = time.perf_counter() - t_first
    if first_personal is not None and on_first is not None:
        on_first(hint, first_dev, first_personal)

    def allowed(a: int, d: int) -> list[int]:
        """The shift types the agent's pool uses that week (so each agent can reach its weekly hours),
        and the one the constructive pass gave it."""
        cand = base(a, d)
        if not restrict or d in prob.agents[a].locked:
            return cand
        keep = used.get((prob.agents[a].pool, week_of[d]), set()) | {hint.get(a, {}).get(d)}
        return [s for s in cand if s in keep]

    agents = [a.index for a in prob.agents]
    cal = new_calendar(model, prob, agents, allowed)
    penalties: list[Penalty] = add_personal_rules(cal, prob, agents)
    members: dict[tuple[int, int, int], list] = {}
    for a in agents:
        p = prob.agents[a].pool
        for d in range(prob.n_days):
            for s, lit in cal.lits(a, d).items():
                members.setdefault((p, d, s), []).append(lit)
    deviation = {}
    for key in set(members) | set(counts):
        p, d, s = key
        lits = members.get(key, [])
        n = counts.get(key, 0)
        cost = prob.shift_cost[(prob.pools[p].team, s)]
        short = model.new_int_var(0, n, f"short[{prob.pools[p].label},{prob.label_day(d)},{prob.shifts[s].code}]")
        extra = model.new_int_var(0, len(lits), f"extra[{prob.pools[p].label},{prob.label_day(d)},{prob.shifts[s].code}]")
        model.add(sum(lits) + short - extra == n)
        penalties.append(Penalty(short.name, "count_short", short, 4 * cost + 100 * OBJ_SCALE))
        penalties.append(Penalty(extra.name, "count_extra", extra, 2 * cost + 10 * OBJ_SCALE))
        deviation[key] = (short, extra)
    model.minimize(sum(p.weight * p.var for p in penalties if not isinstance(p.var, (int, float))))
    if first_personal is not None:     # the constructive roster as the solution hint
        for a in agents:
            for d in range(prob.n_days):
                for s, lit in cal.lits(a, d).items():
                    model.add_hint(lit, hint.get(a, {}).get(d) == s)

    def read(outcome: SolveOutcome):
        named: Named = {}
        for a in agents:
            for d in range(prob.n_days):
                for s, lit in cal.lits(a, d).items():
                    if outcome.solver.value(lit):
                        named.setdefault(a, {})[d] = s
        dev = {k: (int(outcome.solver.value(sv)), int(outcome.solver.value(ev))) for k, (sv, ev) in deviation.items()
               if outcome.solver.value(sv) or outcome.solver.value(ev)}
        personal = [(p, float(p.var) if isinstance(p.var, (int, float)) else float(outcome.solver.value(p.var)))
                    for p in penalties if p.rule not in ("count_short", "count_extra")]
        return named, dev, personal

    if first_personal is not None and hinted_s is not None:
        budget_s = hinted_s
    out = run(model, spec, max(0.5, budget_s - first_s), label="assignment", scale=OBJ_SCALE, progress=progress,
              params={"relative_gap_limit": 0.01})
    if not out.has_solution:
        if first_personal is not None:
            return hint, out, first_dev, first_personal
        return None, out, {}, []
    named, dev, personal = read(out)
    return named, out, dev, personal


def score_named(prob: RosterProblem, named: Named, spec: SolverSpec, budget_s: float = 10.0
                ) -> list[tuple[Penalty, float]] | None:
    """The personal rules' penalty terms (fairness, stable starts, preferences, overtime, soft rules) of a
    complete named roster: the assignment model with every agent-day fixed to the roster. None when the
    roster breaks a hard personal rule (or the check did not finish)."""
    model = cp_model.CpModel()
    base = default_allowed(prob)

    def allowed(a: int, d: int) -> list[int]:
        s = named.get(a, {}).get(d)
        return [s] if s is not None and s in base(a, d) else []

    agents = [a.index for a in prob.agents]
    for a, days in named.items():
        if any(allowed(a, d) != [s] for d, s in days.items()):
            return None
    cal = new_calendar(model, prob, agents, allowed)
    penalties = add_personal_rules(cal, prob, agents)
    for a in agents:
        for d in range(prob.n_days):
            for lit in cal.lits(a, d).values():
                model.add(lit == 1)
    model.minimize(sum(p.weight * p.var for p in penalties if not isinstance(p.var, (int, float))))
    out = run(model, spec, budget_s, label="roster score", scale=OBJ_SCALE)
    if not out.has_solution:
        return None
    return [(p, float(p.var) if isinstance(p.var, (int, float)) else float(out.solver.value(p.var))) for p in penalties]


class NamedScorer:
    """:func:`score_named`, incrementally: each agent's penalty terms are kept for its last
    :attr:`KEEP` distinct weeks-of-days, and a call rebuilds the CP-SAT model only for the agents whose
    days differ from those (the improvement rounds change a few hundred of thousands of agents; a rejected
    round returns to the previous days). The team fairness terms (spread of each member's count) come from
    per-agent counts. Same terms, in the same order, with the same values as :func:`score_named` (the
    per-agent terms share no variable, so the full model's optimum is each agent's optimum); a fairness
    term's ``var`` is its value. ``__call__(named)`` returns ``[(Penalty, value)]`` or None (a hard personal
    rule broken, or the check did not finish)."""

    KEEP = 2

    def __init__(self, prob: RosterProblem, spec: SolverSpec, budget_s: float = 10.0):
        self.prob, self.spec, self.budget_s = prob, spec, budget_s
        self.base = default_allowed(prob)
        self.agents = [a.index for a in prob.agents]
        self.weight = int(round(prob.scenario.weights.fairness * OBJ_SCALE))
        self.groups = fairness_groups(prob, self.agents) if self.weight > 0 else []
        self.metrics = defaultdict(list)        # agent -> [(group index, shift predicate, days)]
        for g, (_, pred, days, group) in enumerate(self.groups):
            for a in group:
                self.metrics[a].append((g, pred, days))
        # agent -> [(its days, its terms [(Penalty, value)], {fairness group: count})], the newest last
        self.cache: dict[int, list[tuple[dict[int, int], list, dict[int, int]]]] = {}
        self.rescored = 0                       # agents whose terms the last call rebuilt

    def _entry(self, a: int, days: dict[int, int]):
        for entry in self.cache.get(a, ()):
            if entry[0] == days:
                return entry
        return None

    def __call__(self, named: Named) -> list[tuple[Penalty, float]] | None:
        empty: dict[int, int] = {}
        entries = {a: self._entry(a, named.get(a, empty)) for a in self.agents}
        todo = [a for a, e in entries.items() if e is None]
        self.rescored = len(todo)
        if todo:
            for a in todo:
                for d, s in named.get(a, empty).items():
                    if s not in self.base(a, d):
                        return None
            fresh = self._score(named, todo)
            if fresh is None:
                return None
            entries.update(fresh)
        out = [term for a in self.agents for term in entries[a][1]]
        for g, (name, _, days, group) in enumerate(self.groups):
            counts = [entries[a][2][g] for a in group]
            spread = max(counts) - min(counts)
            out.append((Penalty(name, "fairness", spread, self.weight, None, name), float(spread)))
        return out

    def _score(self, named: Named, todo: list[int]) -> dict | None:
        """The terms of the agents ``todo`` (one CP-SAT model, every agent-day fixed to the roster) and their
        fairness counts, cached when the solve proved them optimal."""
        prob = self.prob
        model = cp_model.CpModel()

        def allowed(a: int, d: int) -> list[int]:
            s = named.get(a, {}).get(d)
            return [s] if s is not None else []

        cal = new_calendar(model, prob, todo, allowed)
        penalties = {a: add_personal_rules(cal, prob, [a], team_terms=False) for a in todo}
        for a in todo:
            for d in range(prob.n_days):
                for lit in cal.lits(a, d).values():
                    model.add(lit == 1)
        model.minimize(sum(p.weight * p.var for ps in penalties.values() for p in ps
                           if not isinstance(p.var, (int, float))))
        out = run(model, self.spec, self.budget_s, label="roster score (changed agents)", scale=OBJ_SCALE)
        if not out.has_solution:
            return None
        fresh = {}
        for a in todo:
            days = dict(named.get(a, {}))
            terms = [(p, float(p.var) if isinstance(p.var, (int, float)) else float(out.solver.value(p.var)))
                     for p in penalties[a]]
            counts = {g: sum(1 for d in dd if d in days and pred(prob.shifts[days[d]]))
                      for g, pred, dd in self.metrics.get(a, ())}
            fresh[a] = (days, terms, counts)
            if out.status == "OPTIMAL":
                kept = self.cache.setdefault(a, [])
                kept.append(fresh[a])
                del kept[:-self.KEEP]
        return fresh

