"""The decomposition: aggregate counts → named agents → full-model improvement around the incumbent.

1. :func:`solve_aggregate` — the aggregate model (pool counts, breaks, allocation, service, backlog,
   costs, pool-level labour). Its bound is a valid lower bound of the full model.
2. :func:`assign_agents` — named agents to those counts under every personal rule; a count that no
   agent can take is left short (penalised), never forced.
3. :func:`build_full` + :func:`evaluate` + :func:`improve` — the full model (named Booleans tied to
   the counts, every personal rule, coverage) is first solved with the named assignment fixed (breaks
   and allocation re-optimised: a complete, consistent incumbent), then searched with that incumbent
   as a hint (CP-SAT's large-neighbourhood workers work around it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.optimize.aggregate import add_pool_labour
from scheduler.optimize.model import RosterVars, build_coverage
from scheduler.optimize.personal import add_personal_rules, default_allowed, link_counts, new_calendar
from scheduler.optimize.problem import OBJ_SCALE, RosterProblem
from scheduler.optimize.rules import Penalty
from scheduler.optimize.solve import SolveOutcome, run
from scheduler.scenario import Solver as SolverSpec

log = logging.getLogger(__name__)

Named = dict[int, dict[int, int]]          # agent -> day -> shift index


@dataclass
class Built:
    model: cp_model.CpModel
    vars: RosterVars


def build_aggregate(prob: RosterProblem, guard=None) -> Built:
    model = cp_model.CpModel()
    v = RosterVars()
    kw = {"guard": guard} if guard is not None else {}
    build_coverage(model, prob, v, **kw)
    add_pool_labour(model, prob, v)
    model.minimize(v.objective_expr())
    return Built(model, v)


def solve_aggregate(prob: RosterProblem, spec: SolverSpec, budget_s: float, progress=None) -> tuple[Built, SolveOutcome]:
    built = build_aggregate(prob)
    out = run(built.model, spec, budget_s, label="aggregate", scale=OBJ_SCALE, progress=progress,
              params={"relative_gap_limit": 0.0005})
    return built, out


def counts_of(built: Built, out: SolveOutcome) -> dict[tuple[int, int, int], int]:
    return {k: int(out.solver.value(x)) for k, x in built.vars.x.items() if out.solver.value(x) > 0}


# ------------------------------------------------------------------------------------------------
# stage 2


def assign_agents(prob: RosterProblem, counts: dict[tuple[int, int, int], int], spec: SolverSpec, budget_s: float,
                  progress=None, *, restrict: bool = True) -> tuple[Named | None, SolveOutcome, dict]:
    """Named agents for the pool counts under every personal rule.

    With ``restrict`` an agent may only take shifts its pool uses that day in ``counts``. Shortfalls and
    surpluses against the counts are allowed at a high price, so the model is infeasible only when the
    personal rules themselves conflict (leave, locks, weekly minimum hours, ...)."""
    model = cp_model.CpModel()
    base = default_allowed(prob)

    def allowed(a: int, d: int) -> list[int]:
        cand = base(a, d)
        if not restrict or d in prob.agents[a].locked:
            return cand
        p = prob.agents[a].pool
        return [s for s in cand if counts.get((p, d, s), 0) > 0]

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
    _greedy_hint(prob, cal, counts, model)
    out = run(model, spec, budget_s, label="assignment", scale=OBJ_SCALE, progress=progress,
              params={"relative_gap_limit": 0.01})
    if not out.has_solution:
        return None, out, {}
    named: Named = {}
    for a in agents:
        for d in range(prob.n_days):
            for s, lit in cal.lits(a, d).items():
                if out.solver.value(lit):
                    named.setdefault(a, {})[d] = s
    dev = {k: (int(out.solver.value(sv)), int(out.solver.value(ev))) for k, (sv, ev) in deviation.items()
           if out.solver.value(sv) or out.solver.value(ev)}
    return named, out, dev


def _greedy_hint(prob: RosterProblem, cal, counts: dict, model: cp_model.CpModel) -> None:
    """A quick hint: fill each pool-day's counts with members in rotation (rules are left to CP-SAT)."""
    worked = {a.index: 0 for a in prob.agents}
    for p in prob.pools:
        for d in range(prob.n_days):
            need = sorted(((s, n) for (pp, dd, s), n in counts.items() if pp == p.index and dd == d),
                          key=lambda sn: prob.shifts[sn[0]].start_min)
            free = sorted((a for a in p.members if cal.lits(a, d)), key=lambda a: (worked[a], a))
            for s, n in need:
                for _ in range(n):
                    pick = next((a for a in free if s in cal.lits(a, d)), None)
                    if pick is None:
                        break
                    free.remove(pick)
                    worked[pick] += 1
                    model.add_hint(cal.lits(pick, d)[s], 1)


# ------------------------------------------------------------------------------------------------
# stage 3


def build_full(prob: RosterProblem, *, allowed: Callable[[int, int], list[int]] | None = None,
               guard=None) -> Built:
    """The full model: named Booleans for every allowed shift, personal rules, counts, coverage."""
    model = cp_model.CpModel()
    v = RosterVars()
    build_coverage(model, prob, v)
    add_pool_labour(model, prob, v)
    agents = [a.index for a in prob.agents]
    cal = new_calendar(model, prob, agents, allowed or default_allowed(prob))
    link_counts(model, prob, v, cal)
    v.penalties += add_personal_rules(cal, prob, agents)
    v.cal = cal
    # the pool-level overtime of the aggregate is replaced by the exact per-agent one
    v.penalties = [p for p in v.penalties if not (p.rule == "overtime" and p.agent is None)]
    model.minimize(v.objective_expr())
    return Built(model, v)


def fix_named(built: Built, prob: RosterProblem, named: Named) -> cp_model.CpModel:
    """A copy of the full model with every agent × day fixed to ``named`` (breaks and allocation free)."""
    clone = built.model.clone()
    proto = clone.proto
    cal = built.vars.cal
    for a in cal.agents:
        for d in range(prob.n_days):
            want = named.get(a, {}).get(d)
            for s, lit in cal.lits(a, d).items():
                val = 1 if s == want else 0
                dom = proto.variables[lit.index].domain
                dom.clear()
                dom.extend([val, val])
    return clone


def evaluate(built: Built, prob: RosterProblem, named: Named, spec: SolverSpec, budget_s: float,
             progress=None) -> SolveOutcome:
    fixed = fix_named(built, prob, named)
    return run(fixed, spec, budget_s, label="breaks+allocation", scale=OBJ_SCALE, progress=progress,
               params={"relative_gap_limit": 0.0002})


def improve(built: Built, incumbent: SolveOutcome, spec: SolverSpec, budget_s: float, progress=None, *,
            lower_bound: float | None = None, gap_limit: float = 0.001) -> SolveOutcome:
    """Search the full model from the incumbent (a complete hint). ``lower_bound`` (the aggregate's
    proven bound, valid for the full model) is added as a constraint on the objective so that CP-SAT
    can stop as soon as it is within ``gap_limit`` of it."""
    model = built.model
    if lower_bound is not None:
        model.add(built.vars.objective_expr() >= int(lower_bound))
    model.clear_hints()
    values = list(incumbent.solver.response_proto.solution)
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)
    return run(model, spec, budget_s, label="improvement", scale=OBJ_SCALE, progress=progress,
               params={"relative_gap_limit": gap_limit})
