"""Explaining infeasibility: which rules, agents, days and intervals conflict — never a bare INFEASIBLE.

Two layers:
- :func:`precheck` — fast counting arguments before any model is built: a lock on a shift the agent
  may not work or on a day of leave; a week whose minimum hours cannot fit into the days the agent may
  work; (per-interval mode) an interval whose requirement exceeds what every qualified agent could
  give; (service-goal mode) a day whose SL target is out of reach even with every qualified agent on.
- :func:`explain_infeasible` — assumption literals: each agent is checked alone with one enforcement
  literal per rule instance (rule × agent × day/week) and CP-SAT's infeasible core, shrunk to a
  minimal one, names the conflicting rules; if every agent is feasible alone, the coupling rules
  (daily targets, per-interval coverage, team caps) are guarded in the aggregate model instead.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleError
from scheduler.optimize.limits import week_limits
from scheduler.optimize.personal import day_labels
from scheduler.optimize.problem import CAP_SCALE, RosterProblem, could_work
from scheduler.optimize.solve import run
from scheduler.scenario import Solver as SolverSpec

log = logging.getLogger(__name__)

MAX_LISTED = 12


def _agent_label(prob: RosterProblem, a: int) -> str:
    info = prob.agents[a]
    return f"{info.agent_id} ({info.team}, {info.contract})"


# ------------------------------------------------------------------------------------------------
# counting pre-checks


def _cell(info, d: int) -> str:
    """`` (Roster!H12)``: where agent ``info``'s lock of day ``d`` was typed, or nothing."""
    return f" ({info.lock_cells[d]})" if d in info.lock_cells else ""


def precheck(prob: RosterProblem) -> list[str]:
    out: list[str] = []
    short_weeks: dict[tuple, list[str]] = {}     # the same weekly-minimum conflict: one line for all its agents
    sc = prob.scenario
    for info in prob.agents:
        for d, s in sorted(info.locked.items()):
            day = prob.label_day(d) + _cell(info, d)
            if s is None:
                continue
            sh = prob.shifts[s]
            if d in info.unavailable:
                out.append(f"lock vs unavailable: {info.agent_id} is locked to {sh.code} on {day} but is on leave that day")
            elif info.team not in sh.teams:
                out.append(f"lock vs shift teams: {info.agent_id} ({info.team}) is locked to {sh.code} on {day}, a shift "
                           f"of teams {', '.join(sh.teams)} only")
            elif sh.is_night and not (info.night_ok or info.team == "night"):
                out.append(f"lock vs night_ok: {info.agent_id} is locked to night shift {sh.code} on {day} but may not "
                           "work nights (night_ok is false)")
            elif s not in info.shifts:
                out.append(f"lock vs min_block_h/max_agents: {info.agent_id} is locked to {sh.code} on {day}, which team "
                           f"{info.team} cannot be booked for")
        if "min_hours_per_week" in prob.soft:
            continue
        paid = sorted((prob.shifts[s].paid_min for s in info.shifts), reverse=True)
        longest = paid[0] if paid else 0
        for w in prob.weeks:
            lim = week_limits(prob, info, w)
            if lim.min_paid_min <= 0:
                continue
            free_days = [d for d in lim.available if not (d in info.locked and info.locked[d] is None)]
            max_days = min(len(free_days), len(w.days) - (0 if "min_days_off_per_week" in prob.soft else lim.min_days_off))
            can = max_days * longest
            if can < lim.min_paid_min:
                why = []
                if len(lim.available) < len(w.days):
                    why.append(f"on leave {len(w.days) - len(lim.available)} day(s)")
                locked_off = [d for d in lim.available if d not in free_days]
                if locked_off:
                    cells = [info.lock_cells[d] for d in locked_off if d in info.lock_cells]
                    why.append(f"locked off {len(locked_off)} day(s)" + (f": {', '.join(cells)}" if cells else ""))
                if lim.min_days_off:
                    why.append(f"{lim.min_days_off} day(s) off required (min_days_off_per_week)")
                reason = (f"at least {lim.min_paid_min / 60:.1f} h in the week of {w.monday} but can work at most "
                          f"{max_days} day(s) × {longest / 60:.1f} h = {can / 60:.1f} h" + (f" ({'; '.join(why)})" if why else ""))
                short_weeks.setdefault((w.monday, reason), []).append(_agent_label(prob, info.index))
    for (_monday, reason), labels in short_weeks.items():
        if len(labels) == 1:
            out.append(f"min_hours_per_week: {labels[0]} needs {reason}")
        else:
            shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
            out.append(f"min_hours_per_week: {len(labels)} agents ({shown}) each need {reason}")
    if prob.per_interval_hard is True:
        out += _coverage_precheck(prob)
    if prob.service_goal and "daily_target" not in prob.soft:
        out += _daily_target_precheck(prob)
    if len(out) > 4 * MAX_LISTED:
        out = out[: 4 * MAX_LISTED] + [f"... and {len(out) - 4 * MAX_LISTED} more conflicts of the same kinds"]
    return out


def _max_capacity(prob: RosterProblem, queue: str) -> tuple[np.ndarray, np.ndarray]:
    """Per horizon interval: agents who could be on duty serving ``queue``, and their effective capacity
    if all were on (an upper bound: breaks, rest and other queues ignored)."""
    T = prob.horizon_intervals
    heads = np.zeros(T)
    cap = np.zeros(T)
    caps_team: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(T))
    for p in prob.pools:
        if queue not in p.queues:
            continue
        for a in p.members:
            cover = could_work(prob, prob.agents[a])
            heads += cover
            eff = np.tile(p.efficiency, prob.n_days) / CAP_SCALE
            caps_team[p.team] += cover * eff
    for team, c in caps_team.items():
        spec = prob.scenario.teams[team]
        if spec.max_agents is not None:
            best_eff = max((p.efficiency.max() for p in prob.pools if p.team == team and queue in p.queues), default=0)
            c = np.minimum(c, spec.max_agents * best_eff / CAP_SCALE)
        cap += c
    return heads, cap


def _coverage_precheck(prob: RosterProblem) -> list[str]:
    out = []
    for q, dem in prob.live.items():
        heads, cap = _max_capacity(prob, q)
        bad = [(int(t), dem.required[k]) for k, t in enumerate(dem.t) if cap[t] + 1e-9 < dem.required[k]]
        out += _runs(prob, q, bad, heads, cap)
    return out


def _runs(prob: RosterProblem, q: str, bad: list[tuple[int, float]], heads: np.ndarray, cap: np.ndarray) -> list[str]:
    """Group failing intervals into runs: "chat on Wed 11-11 00:00–02:00: needs up to 5.0 ... only 3 agents"."""
    out = []
    teams = "/".join(sorted({p.team for p in prob.pools if q in p.queues})) or "no team"
    i = 0
    while i < len(bad) and len(out) < MAX_LISTED:
        j = i
        while j + 1 < len(bad) and bad[j + 1][0] == bad[j][0] + 1:
            j += 1
        t0, t1 = bad[i][0], bad[j][0]
        need = max(r for _, r in bad[i: j + 1])
        n = int(heads[t0: t1 + 1].min())
        end = prob.timestamp(t1 + 1).strftime("%H:%M")
        night = " night-qualified" if any(prob.timestamp(t).hour < 6 or prob.timestamp(t).hour >= 22 for t in (t0, t1)) else ""
        out.append(f"coverage: {q} on {prob.label_t(t0)}–{end} needs up to {need:.1f} effective agents; only {n}"
                   f"{night} {teams} agent(s) can serve it then, {cap[t0: t1 + 1].min():.1f} effective at most")
        i = j + 1
    return out


def _daily_target_precheck(prob: RosterProblem) -> list[str]:
    out = []
    for q, dem in prob.live.items():
        if all(x is None for x in dem.daily_targets):
            continue
        heads, cap = _max_capacity(prob, q)
        day = dem.t // prob.per_day
        for d in range(prob.n_days):
            k = np.flatnonzero(day == d)
            if len(k) == 0 or dem.target(d) is None:
                continue
            vol = dem.volume[k].sum()
            grid = np.arange(dem.lost.shape[1])
            lost = sum(float(np.interp(cap[dem.t[i]], grid, dem.lost[i])) for i in k)
            best = 1.0 - lost / vol if vol > 0 else 1.0
            if best + 1e-9 < dem.target(d):
                out.append(f"daily_target: {q} on {prob.label_day(d)} targets {100 * dem.target(d):.1f} % but even with "
                           f"every qualified agent on duty all day the service level is at most {100 * best:.1f} % "
                           f"({int(heads[dem.t[k]].max())} agents can serve it)")
    return out


# ------------------------------------------------------------------------------------------------
# assumption literals


class _Guards:
    def __init__(self, model: cp_model.CpModel):
        self.model = model
        self.lits: dict[int, tuple[str, int, str]] = {}
        self.by_key: dict[tuple[str, int, str], cp_model.IntVar] = {}

    def __call__(self, rule: str, index: int, scope: str):
        key = (rule, index, scope)
        if key not in self.by_key:
            lit = self.model.new_bool_var(f"assume[{rule},{index},{scope}]")
            self.by_key[key] = lit
            self.lits[lit.index] = key
        return self.by_key[key]


def _core(model: cp_model.CpModel, guards: _Guards, spec: SolverSpec, budget_s: float) -> list[tuple[str, int, str]] | None:
    """A minimal set of guarded rule instances that cannot hold together (None: feasible or unknown)."""
    assumptions = list(guards.by_key.values())
    one = spec.model_copy(update={"workers": 1, "deterministic": False, "log": False})
    out = run(model, one, budget_s, label="explain", scale=1.0, assumptions=assumptions)
    if out.status != "INFEASIBLE":
        return None
    core = [i for i in out.solver.sufficient_assumptions_for_infeasibility()]
    core_lits = [guards.by_key[guards.lits[i]] for i in core if i in guards.lits]
    if not core_lits:
        core_lits = assumptions
    # deletion filter: drop every literal the conflict does not need
    t_end = time.perf_counter() + budget_s
    k = 0
    while k < len(core_lits) and time.perf_counter() < t_end and len(core_lits) > 1:
        trial = core_lits[:k] + core_lits[k + 1:]
        res = run(model, one, min(2.0, budget_s), label="explain-shrink", scale=1.0, assumptions=trial)
        if res.status == "INFEASIBLE":
            core_lits = trial
        else:
            k += 1
    model.clear_assumptions()
    return [guards.lits[l.index] for l in core_lits]


def _describe(prob: RosterProblem, a: int | None, items: list[tuple[str, int, str]]) -> str:
    sc = prob.scenario
    r = sc.rules
    grouped: dict[str, list[str]] = defaultdict(list)
    cells = {}
    if a is not None:      # a lock typed in a workbook: its cell
        labels = day_labels(prob)
        cells = {labels[d]: cell for d, cell in prob.agents[a].lock_cells.items()}
    for rule, _, scope in items:
        grouped[rule].append(f"{scope} {cells[scope]}" if rule == "lock" and scope in cells else scope)
    text = {
        "unavailable": "on leave",
        "lock": "locked",
        "min_rest": f"at least {r.min_rest_h:g} h rest between shifts",
        "rest_after_night": f"at least {r.rest_after_night_h if r.rest_after_night_h is not None else r.min_rest_h:g} h rest after a night",
        "max_consecutive_days": f"at most {r.max_consecutive_days} working days in a row",
        "min_days_off_per_week": f"at least {r.min_days_off_per_week} days off per week",
        "consecutive_days_off": "two consecutive days off per week",
        "max_nights_per_week": f"at most {r.max_nights_per_week} nights per week",
        "daily_target": "daily service-level target",
        "coverage": "per-interval requirement",
        "max_agents": "team cap on agents at once",
    }
    if a is not None:
        c = sc.contracts[prob.agents[a].contract]
        text["min_hours_per_week"] = f"at least {c.min_hours_per_week:g} h per week (prorated for leave)"
        text["max_hours_per_week"] = f"at most {c.max_hours_per_week + c.overtime_h_per_week:g} h per week incl. overtime"
    parts = []
    for rule, scopes in grouped.items():
        shown = ", ".join(scopes[:6]) + (f", +{len(scopes) - 6} more" if len(scopes) > 6 else "")
        parts.append(f"{rule} ({text.get(rule, rule)}: {shown})")
    who = f"{_agent_label(prob, a)}: " if a is not None else ""
    return who + " conflicts with ".join(parts) if len(parts) == 2 else who + "; ".join(parts) + " cannot all hold"


def explain_agents(prob: RosterProblem, spec: SolverSpec, budget_s: float = 30.0) -> list[str]:
    """Check each agent alone under every personal rule with one assumption per rule instance."""
    from scheduler.optimize.personal import add_personal_rules, default_allowed, new_calendar

    out = []
    t_end = time.perf_counter() + budget_s
    allowed = default_allowed(prob, with_leave=True, honour_locks=False)

    def allowed_all(a: int, d: int) -> list[int]:
        cand = allowed(a, d)
        s = prob.agents[a].locked.get(d)
        return cand if s is None or s in cand else cand + [s]

    for info in prob.agents:
        if time.perf_counter() > t_end or len(out) >= MAX_LISTED:
            break
        model = cp_model.CpModel()
        guards = _Guards(model)
        cal = new_calendar(model, prob, [info.index], allowed_all)
        add_personal_rules(cal, prob, [info.index], guard=guards, with_soft_goals=False)
        core = _core(model, guards, spec, min(10.0, max(1.0, t_end - time.perf_counter())))
        if core:
            out.append(_describe(prob, info.index, core))
    return out


def explain_coupling(prob: RosterProblem, spec: SolverSpec, budget_s: float = 30.0) -> list[str]:
    """Guard the rules that couple agents (daily targets, per-interval coverage, team caps) in the aggregate."""
    from scheduler.optimize.aggregate import add_pool_labour
    from scheduler.optimize.model import RosterVars, build_coverage

    model = cp_model.CpModel()
    guards = _Guards(model)
    v = RosterVars()
    build_coverage(model, prob, v, guard=guards)
    add_pool_labour(model, prob, v)
    core = _core(model, guards, spec, budget_s)
    if not core:
        return []
    lines = []
    by_rule: dict[str, list[str]] = defaultdict(list)
    for rule, _, scope in core:
        by_rule[rule].append(scope)
    for rule, scopes in by_rule.items():
        lines.append(_describe(prob, None, [(rule, 0, s) for s in scopes]))
    if len(by_rule) == 1:
        lines.append("together with the labour rules of the agents who could serve them "
                     "(leave, days off, weekly hours, rest), summed per pool")
    return lines


def explain_infeasible(prob: RosterProblem, spec: SolverSpec, *, stage: str) -> InfeasibleError:
    lines = precheck(prob)
    if not lines:
        lines = explain_agents(prob, spec)
    if not lines:
        lines = explain_coupling(prob, spec)
    if not lines:
        lines = [f"the solver proved the {stage} model infeasible but no single rule group could be isolated within the "
                 "explanation time; make rules soft (rules.soft) to see every violation priced instead"]
    return InfeasibleError(f"The roster rules cannot all hold together (found while solving the {stage} model):", lines)
