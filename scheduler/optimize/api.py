"""``solve_roster``: the roster optimizer's public entry point (docs/architecture.md, docs/model.md)."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pandas as pd

from scheduler.errors import InfeasibleError, NoSolutionError
from scheduler.optimize.assign import NamedScorer, assign_agents, constructive_roster
from scheduler.optimize.bound import fluid_bound
from scheduler.optimize.explain import explain_agents, explain_infeasible, precheck
from scheduler.optimize.extract import extract
from scheduler.optimize.greedy import greedy_counts, service_goal_counts
from scheduler.optimize.improve import prune
from scheduler.optimize.lns import improve_days
from scheduler.optimize.placement import AllocationLP, evaluate, kept_breaks, place_breaks
from scheduler.optimize.weeklp import LPBound, lp_bound, lp_counts
from scheduler.optimize.problem import CAP_SCALE, OBJ_SCALE, build_problem, daily_service_levels, interp_rows
from scheduler.optimize.roster import Roster, StageReport
from scheduler.scenario import Scenario
from scheduler.staffing import Requirements

log = logging.getLogger(__name__)

# share of solver.time_limit_s per stage (deterministic mode uses exactly these; otherwise time a
# stage leaves unused passes to the next)
STAGE_SHARE = {"assignment": 0.1, "improve": 0.9}
SERVICE_GOAL_SHARE = 0.4     # service-goal mode: the count stage's remove-and-repair passes stop past this share of the limit
MIN_ASSIGNMENT_S = 5.0       # the named assignment gets at least this even when earlier stages overran
EXPLAIN_AGENTS_S = 30.0      # no named roster in time: each agent checked alone for conflicting rules, up to this long
LP_BOUND_MIN_S = 15.0        # the LP bound (per-day, then week LPs) runs when at least this much of the time limit is left
PRUNE_ROUNDS = 40            # improvement rounds in deterministic mode (~1-3 s each on 11.11 with the kept LP)
PRUNE_ROUNDS_TIMED = 1000    # ... otherwise the time limit ends them (PRUNE_END) or nothing lowers the cost
PRUNE_END = 0.98             # ... started only while they end before this share of the time limit (rounds of 0.3-3 s)
DAY_MIP_S = 20.0             # time limit of one day's MIP (lns.py) once the improvement rounds stop paying
DAY_PASSES = 2               # passes of day re-optimisation (each over all days, most at stake first) and rounds
LP_START_MIN_S = 90.0        # the week LPs' counts are the start only with at least this time limit and at most
LP_START_MAX_AGENTS = 300    # this many agents: the rounds after them need the time (BENCHMARKS.md, b1901a7: 11.11
#                              at 120 / 300 s 3.0 -> 2.2 / 2.4 -> 1.8 %, but at 30 s 9.6 -> 29.9 %, no round left,
#                              and with 570 / 950 agents 4.5 -> 10.8 / 10.1 -> 20.0 %: half the rounds' time gone)
LP_COUNTS_SHARE = 0.5        # the week LPs' shift counts (the start instead of the greedy's) get up to this share
BOUND_RETURN_S = 2.0         # the LP bound's child process stops this long before the time limit


def solve_roster(scenario: Scenario, agents: pd.DataFrame, requirements: Requirements, *,
                 locks: pd.DataFrame | None = None, previous: pd.DataFrame | None = None,
                 progress: Callable[[str], None] | None = None, requests: pd.DataFrame | None = None,
                 per_interval_hard: bool | str = False, reference: pd.DataFrame | None = None,
                 reference_breaks: pd.DataFrame | None = None) -> Roster:
    """Build the roster: which agent works which shift on which day, breaks, queue allocation, overflow.

    ``locks``: ``agent_id, date, shift`` (a shift code, ``OFF`` or ``LEAVE``) that must hold;
    ``previous``: the previous period's assignments (rest, consecutive days and weekly limits across
    the horizon's start); ``requests``: agents' wishes ``agent_id, date, shift, want`` (+ optional
    ``weight``), soft; ``per_interval_hard``: every live interval must meet its ``required`` agents
    (the classic per-interval mode, for comparison with the SL-curve and service-goal modes); True is a
    hard rule (pre-checked, explained when out of reach), ``"soft"`` meets it wherever agents allow;
    ``reference``: ``agent_id, date, shift``, the roster being re-optimised (a supervisor's workbook): the
    search starts from its shifts and each agent-day that ends up different costs ``weights.roster_change``;
    ``reference_breaks``: ``agent_id, start, end, kind``, its breaks: a shift worked as the reference shows it
    keeps them where they fit its break windows (the others are placed afresh).

    Raises :class:`InfeasibleError` (rules in conflict, named) or :class:`NoSolutionError`.
    """
    job: list[_BoundJob] = []
    try:
        return _solve_roster(scenario, agents, requirements, job, locks=locks, previous=previous, progress=progress,
                             requests=requests, per_interval_hard=per_interval_hard, reference=reference,
                             reference_breaks=reference_breaks)
    finally:
        for j in job:
            j.stop()


def _solve_roster(scenario: Scenario, agents: pd.DataFrame, requirements: Requirements, job: list, *,
                  locks=None, previous=None, progress=None, requests=None, per_interval_hard=False,
                  reference=None, reference_breaks=None) -> Roster:
    say = progress or (lambda message: None)
    t0 = time.perf_counter()
    spec = scenario.solver
    limit = float(spec.time_limit_s)
    prob = build_problem(scenario, agents, requirements, locks=locks, previous=previous,
                         per_interval_hard=per_interval_hard, requests=requests, reference=reference,
                         reference_breaks=reference_breaks)
    conflicts = precheck(prob)
    if conflicts:
        raise InfeasibleError("The roster rules cannot all hold together:", conflicts)
    for line in unserved_queues(prob):
        log.warning("roster: %s", line)

    def budget(stage: str, floor: float = MIN_ASSIGNMENT_S) -> float:
        """Deterministic mode: the stage's fixed share. Otherwise up to the stage's planned end, so time
        an earlier stage left unused passes on, and at least ``floor``."""
        if spec.deterministic:
            return STAGE_SHARE[stage] * limit
        names = list(STAGE_SHARE)
        planned_end = limit * sum(STAGE_SHARE[k] for k in names[: names.index(stage) + 1])
        return max(min(floor, limit), planned_end - (time.perf_counter() - t0))

    stages: list[StageReport] = []
    say(f"roster: {len(prob.agents)} agents in {len(prob.pools)} pools, {prob.n_days} days, {len(prob.shifts)} shift types")
    t = time.perf_counter()
    weight = None
    if prob.service_goal:
        counts, weight = service_goal_counts(prob, time_budget_s=None if spec.deterministic else SERVICE_GOAL_SHARE * limit)
    else:
        counts = greedy_counts(prob)
    if any(a.reference for a in prob.agents):
        counts = reference_counts(prob)     # re-optimising a roster: its shifts are the start
    bound = fluid_bound(prob)
    stages.append(StageReport("shift counts (greedy)", "FEASIBLE", None, bound / OBJ_SCALE, time.perf_counter() - t))
    say(f"roster: {sum(counts.values())} shifts planned in {time.perf_counter() - t:.1f} s")

    first: dict = {}
    # the named roster starts from the week LPs' rounded counts (weeklp.lp_counts: the rounds end lower from
    # them) after the greedy's constructive roster is out (the first roster, which also starts the bound's
    # child); not in deterministic mode (clock-limited LPs), with daily targets or per-interval requirements
    # (the counts have their own stage there) or when re-optimising a roster (its shifts are the start); only
    # with a time limit and a size that leave the rounds after them their time (LP_START_MIN_S, _MAX_AGENTS)
    lp_start = not (spec.deterministic or prob.service_goal or prob.per_interval_hard
                    or any(a.reference for a in prob.agents)) and limit >= LP_START_MIN_S \
        and len(prob.agents) <= LP_START_MAX_AGENTS

    def start_bound() -> None:
        """The LP bound runs in a child process while the roster is improved (it needs no roster)."""
        left = limit - (time.perf_counter() - t0) - BOUND_RETURN_S
        if not job and not spec.deterministic and left >= LP_BOUND_MIN_S and _BoundJob.available():
            job.append(_BoundJob(prob, left, given=lp_start))    # (the week LPs of lp_counts handed to it)

    # the exact allocation LP, kept between evaluations: later rosters re-solve it from the last basis
    allocation_lp = AllocationLP(prob, weight)

    def evaluate_roster(named, personal, exact_options=(True, False)):
        personal_terms = _personal_terms(personal)
        breaks = place_breaks(prob, named)
        # the allocation LP is exact on the lost-contact envelope, the cost uses the curves: keep the cheaper
        return min((evaluate(prob, named, breaks, personal_terms, weight, exact=exact,
                             lp=allocation_lp if exact is True else None) for exact in exact_options),
                   key=lambda plan: plan.objective)

    def on_first(named, deviation, personal):
        t = time.perf_counter()
        # the fast (water-filling) allocation here: the first roster is out in seconds; if it is kept in
        # the end it gets the exact allocation then
        plan = evaluate_roster(named, personal, exact_options=(False,))
        first.update(plan=plan, named=named, personal=personal, deviation=deviation, at=time.perf_counter() - t0)
        stages.append(StageReport("first roster (constructive)", "FEASIBLE", plan.objective / OBJ_SCALE,
                                  bound / OBJ_SCALE, time.perf_counter() - t))
        say(f"roster: first named roster after {first['at']:.1f} s, cost {plan.objective / OBJ_SCALE:,.0f}")
        start_bound()

    start_counts = counts
    if lp_start:
        hint, hint_dev, hint_personal = constructive_roster(prob, counts, spec, budget("assignment"))
        if hint_personal is not None:
            on_first(hint, hint_dev, hint_personal)
            t = time.perf_counter()
            week_values: dict[int, float] = {}
            from_lp = lp_counts(prob, min(LP_COUNTS_SHARE * limit, limit - (time.perf_counter() - t0)), week_values)
            if job:
                job[0].give(week_values)
            if from_lp:
                start_counts = from_lp
                stages.append(StageReport("shift counts (week LPs, rounded)", "FEASIBLE", None, bound / OBJ_SCALE,
                                          time.perf_counter() - t))
                say(f"roster: {sum(from_lp.values())} shifts from the week LPs in {time.perf_counter() - t:.1f} s")
        else:
            lp_start = False            # (the bound's child, started later, then solves its single weeks itself)
    if first:
        on_first = None
    # (past the stage's planned end, CP-SAT gets MIN_ASSIGNMENT_S only when the constructive roster breaks a hard
    # rule: 11.11 from the LP's counts at ~45 s, it found none in 5 s, which the rounds then lacked)
    named, asg, deviation, personal = assign_agents(prob, start_counts, spec, budget("assignment"), say,
                                                    on_first=on_first,
                                                    hinted_s=None if start_counts is counts else budget("assignment", 0.5))
    stages.append(_stage(asg))
    if asg.status == "INFEASIBLE" or named is None:
        # the counts restrict each agent's choices; retry without that restriction before explaining (also
        # when no roster was found in time: a constructive start that breaks a rule leaves CP-SAT no hint)
        named, asg, deviation, personal = assign_agents(prob, start_counts, spec, budget("assignment"), say,
                                                        restrict=False, on_first=on_first)
        stages.append(_stage(asg))
        if asg.status == "INFEASIBLE":
            raise explain_infeasible(prob, spec, stage="agents")
    if named is None and start_counts is not counts:     # the LP's counts gave no roster: the greedy's first one
        named, personal, deviation = first["named"], first["personal"], first["deviation"]
    if named is None:
        # not proven infeasible, but an agent whose own rules conflict (a rest longer than the weekly minimum
        # hours allow, say) leaves the full model nothing to find: each agent is checked alone first
        lines = explain_agents(prob, spec, budget_s=EXPLAIN_AGENTS_S)
        if lines:
            raise InfeasibleError("The roster rules cannot all hold together (no named roster was found in time; each "
                                  "agent checked alone under its own rules):", lines)
        raise NoSolutionError(_what_to_try(scenario, "no named roster was found for the planned shifts", limit))
    start_bound()
    t = time.perf_counter()
    water = evaluate_roster(named, personal, exact_options=(False,))
    t_exact = time.perf_counter()
    exact_plan = evaluate_roster(named, personal, exact_options=(True,))
    assigned_personal, assigned_deviation = personal, deviation     # the improvement starts from these
    plan = min(exact_plan, water, key=lambda p: p.objective)
    exact_s = time.perf_counter() - t_exact
    # the first roster again only when the water-filling rates it cheaper (the exact allocation costs seconds)
    # (not when the LP's counts are the start: their roster ends lower after the rounds, not at once)
    if first and first["named"] != named and first["plan"].objective < water.objective and start_counts is counts:
        kept = evaluate_roster(first["named"], first["personal"])
        if kept.objective < plan.objective:
            plan, personal, deviation = kept, first["personal"], first["deviation"]
    stages.append(StageReport("breaks+allocation", "FEASIBLE", plan.objective / OBJ_SCALE, bound / OBJ_SCALE,
                              time.perf_counter() - t))
    if any(a.reference_breaks for a in prob.agents):
        say(f"roster: {len(kept_breaks(prob, plan.named)):,} of {sum(map(len, plan.named.values())):,} shifts keep "
            f"the workbook's breaks")
    say(f"roster: named roster with breaks, cost {plan.objective / OBJ_SCALE:,.0f} (the improvement starts here)")
    # improvement works at the exact allocation's prices (duals), even when the water-filling rated
    # the roster cheaper; the cheaper of the two plans is kept. In the per-interval mode capacity below
    # the requirement is worth HARD_VALUE there and the plan's cost counts the agent-hours short
    # (term "coverage"), so a round never trades the requirement for labour cost
    t = time.perf_counter()

    score_named = NamedScorer(prob, spec)        # rescores only the agents a round changed

    def rescore(named, breaks):
        scored = score_named(named)
        if scored is None:
            return None
        terms = _personal_terms(scored)
        return evaluate(prob, named, breaks, terms, weight, exact=True, lp=allocation_lp), scored

    deadline = None if spec.deterministic else t0 + PRUNE_END * limit
    improved, improved_personal, dropped, moved, added = prune(
        prob, exact_plan, assigned_personal, rescore, say=say,
        rounds=PRUNE_ROUNDS if spec.deterministic else PRUNE_ROUNDS_TIMED, deadline=deadline, round_s=exact_s)
    days_kept = 0
    # the rounds stopped before the deadline (nothing lowers the cost): whole days re-optimised by a MIP,
    # then rounds again while they pay (clock-limited MIPs: not in deterministic mode; not with daily targets,
    # which the day MIP does not model)
    for _ in range(DAY_PASSES if not spec.deterministic and not prob.service_goal else 0):
        if time.perf_counter() + DAY_MIP_S > deadline:
            break
        improved, improved_personal, kept = improve_days(prob, improved, improved_personal, rescore, deadline=deadline,
                                                         day_s=DAY_MIP_S, tables=allocation_lp.tables, say=say)
        days_kept += kept
        if not kept:
            break
        improved, improved_personal, *more = prune(prob, improved, improved_personal, rescore, say=say,
                                                   rounds=PRUNE_ROUNDS_TIMED, deadline=deadline, round_s=exact_s)
        dropped, moved, added = dropped + more[0], moved + more[1], added + more[2]
    if improved.objective < plan.objective:
        plan, personal, deviation = improved, improved_personal, assigned_deviation
    stages.append(StageReport(f"improvement at the allocation's prices ({dropped} shifts dropped, {moved} moved, "
                              f"{added} added; {days_kept} days re-optimised)",
                              "FEASIBLE", plan.objective / OBJ_SCALE, bound / OBJ_SCALE, time.perf_counter() - t))
    left = limit - (time.perf_counter() - t0)
    lp = None
    if job:
        lp = job[0].result(wait_s=left)
    elif left >= LP_BOUND_MIN_S and not spec.deterministic:
        lp = lp_bound(prob, left)
    if lp is not None:
        if lp.bound is not None:
            bound = max(bound, lp.bound)
        joined = (", the whole horizon as one LP" if lp.whole else
                  "".join(f", weeks {a}–{b} as one LP" for a, b in lp.joined_weeks))
        stages.append(StageReport(f"lower bound (LP per day, {lp.weeks_by_week_lp} of {len(prob.weeks)} weeks by week LP"
                                  f"{joined})",
                                  "OPTIMAL" if lp.bound is not None else "UNKNOWN", None,
                                  bound / OBJ_SCALE, lp.wall_s))
    first_roster_s = first.get("at", time.perf_counter() - t0)
    objective = plan.objective
    bound = min(bound, objective)
    gap = (objective - bound) / abs(objective) if objective else 0.0
    status = "OPTIMAL" if gap <= 1e-9 else "FEASIBLE"
    misses = _service_misses(prob, plan)
    if prob.per_interval_hard is True and (misses["rule"] == "coverage").any():
        raise _hard_coverage_missed(prob, misses[misses["rule"] == "coverage"])
    parts = extract(prob, plan, personal)
    boundary = horizon_start_gap(prob, plan, previous is not None and len(previous) > 0)
    if len(boundary):
        log.warning("roster: %s", boundary.iloc[0]["scope"])
    parts["soft_violations"] = pd.concat([parts["soft_violations"], misses, boundary], ignore_index=True)
    roster = Roster(
        assignments=parts["assignments"], breaks=parts["breaks"], allocation=parts["allocation"],
        coverage=parts["coverage"], status=status, objective=objective / OBJ_SCALE, best_bound=bound / OBJ_SCALE,
        gap=gap, wall_time_s=time.perf_counter() - t0, time_to_first_roster_s=first_roster_s,
        paid_hours_by_team=parts["paid_hours_by_team"], cost_by_team=parts["cost_by_team"],
        overflow_h=parts["overflow_h"], objective_terms=parts["objective_terms"],
        soft_violations=parts["soft_violations"], stages=stages, lost_contacts=parts["lost_contacts"],
        count_deviations=sum(s + e for s, e in deviation.values()),
    )
    say(f"roster: {roster.summary_line()}")
    log.info("roster: %s", roster.summary_line())
    return roster


class _BoundJob:
    """:func:`.weeklp.lp_bound` in a forked child process, so the bound's LPs run while the roster is
    built and improved (on 2 cores the roster stages are mostly single-threaded)."""

    @staticmethod
    def available() -> bool:
        return "fork" in multiprocessing.get_all_start_methods()

    def __init__(self, prob, time_s: float, given: bool = False):
        ctx = multiprocessing.get_context("fork")
        self.conn, send = ctx.Pipe(duplex=False)
        receive, self.to_child = ctx.Pipe(duplex=False) if given else (None, None)
        self.proc = ctx.Process(target=_bound_child, args=(prob, time_s, send, receive), daemon=True)
        self.proc.start()
        send.close()
        if receive is not None:
            receive.close()

    def give(self, values: dict[int, float]) -> None:
        """Hand the child week LPs the roster solved (:func:`.weeklp.lp_counts`' ``values``)."""
        if self.to_child is not None:
            try:
                self.to_child.send(dict(values))
            except (BrokenPipeError, OSError):     # the child has already returned
                pass

    def result(self, wait_s: float) -> LPBound | None:
        """The child's bound, waiting at most ``wait_s`` (+ a moment to return) for it; None if none came."""
        out = None
        try:
            if self.conn.poll(max(0.0, wait_s) + BOUND_RETURN_S):
                out = self.conn.recv()
        except (EOFError, OSError):
            out = None
        self.stop()
        return out

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join(5.0)
        for conn in (self.conn, self.to_child):
            if conn is not None and not conn.closed:
                conn.close()


def _bound_child(prob, time_s: float, conn, receive=None) -> None:
    known: dict[int, float] = {}

    def given() -> dict[int, float]:
        """The week LPs the parent has sent so far."""
        try:
            while receive.poll():
                known.update(receive.recv())
        except (EOFError, OSError):
            pass
        return known

    try:
        conn.send(lp_bound(prob, time_s, given=given if receive is not None else None))
    except Exception:                    # the parent keeps its fluid bound
        log.exception("LP bound failed")
        conn.send(None)
    finally:
        conn.close()


def _personal_terms(personal) -> dict[str, float]:
    """Objective units per personal rule from ``[(Penalty, value)]``; overtime left out (the evaluation
    prices it itself)."""
    terms: dict[str, float] = {}
    for p, value in personal:
        terms[p.rule] = terms.get(p.rule, 0.0) + p.weight * value
    terms.pop("overtime", None)
    return terms


def _stage(out) -> StageReport:
    return StageReport(name=out.label, status=out.status,
                       objective=None if out.objective is None else out.objective / OBJ_SCALE,
                       bound=out.bound / OBJ_SCALE, wall_time_s=out.wall_s)


def _what_to_try(scenario: Scenario, what: str, limit: float) -> str:
    return (f"No roster within the time limit ({limit:g} s): {what}. Try a longer limit "
            f"(--set solver.time_limit_s={int(limit * 4)}), more workers (solver.workers), a shorter horizon, "
            f"or fewer shift start times (shifts.<name>.starts.every_min).")


def _hard_coverage_missed(prob, short: pd.DataFrame) -> InfeasibleError | NoSolutionError:
    """The hard per-interval requirement is not met by the roster found: infeasible when some week needs
    more agent-hours on the live queues than the agents who may serve them can work at most (contract
    maximum + overtime; agents on leave all week left out), else not found (the decomposition is a heuristic)."""
    lines = [f"{r.scope} ({r.amount:,.1f} agent-hours short)" for r in short.head(8).itertuples(index=False)]
    if len(short) > 8:
        lines.append(f"... and {len(short) - 8} more queue-days")
    sc = prob.scenario
    proven = []
    for w in prob.weeks:
        need = sum(float(dem.required[np.isin(dem.t // prob.per_day, w.days)].sum()) * prob.interval_h
                   for dem in prob.live.values())
        can = 0.0
        for a in prob.agents:
            if not set(a.queues) & set(prob.live):
                continue
            contract = sc.contracts[a.contract]
            if any(d not in a.unavailable for d in w.days):
                can += contract.max_hours_per_week + contract.overtime_h_per_week
        if need > can + 1e-6:
            proven.append(f"week of {w.monday}: the live queues need {need:,.0f} agent-hours, the agents who may serve "
                          f"them can work at most {can:,.0f} h (contract maximum + overtime)")
    if proven:
        return InfeasibleError("The per-interval requirement (hard) cannot be met by these agents:", proven + lines)
    return NoSolutionError("No roster meeting the hard per-interval requirement was found; the best roster misses it in:\n  - "
                           + "\n  - ".join(lines) + "\nTry a longer time limit, more agents or shift start times, "
                           "or make the requirement soft (per_interval_hard='soft': met wherever the agents allow)")


def _service_misses(prob, plan) -> pd.DataFrame:
    """Daily targets (service-goal mode) and per-interval requirements the roster does not reach."""
    rows = []
    for (q, d), sl in daily_service_levels(prob, plan.served).items():
        target = prob.live[q].target(d)
        if target is not None and sl < target - 1e-6:
            rows.append({"rule": "daily_target", "name": f"daily_target[{q},{prob.label_day(d)}]", "agent_id": "",
                         "scope": f"{q} {prob.days[d]}", "amount": target - sl, "cost": 0.0})
    if prob.per_interval_hard:
        for q, dem in prob.live.items():
            short = dem.required * CAP_SCALE - plan.served[q][dem.t]
            for d in np.unique(dem.t // prob.per_day):
                m = (dem.t // prob.per_day == d) & (short > 1.0)
                if m.any():
                    rows.append({"rule": "coverage", "name": f"coverage[{q},{prob.label_day(int(d))}]", "agent_id": "",
                                 "scope": f"{q} {prob.days[int(d)]}: {int(m.sum())} intervals below requirement",
                                 "amount": float(short[m].sum() / CAP_SCALE * prob.interval_h), "cost": 0.0})
    return pd.DataFrame(rows, columns=["rule", "name", "agent_id", "scope", "amount", "cost"])


def unserved_queues(prob) -> list[str]:
    """Queues with contacts (or deferred work) that no agent may serve at all, or on some days (everyone who
    may is on leave): the roster cannot help there, so the plan would lose them without a word. One line per
    queue, e.g. ``complaints_major: 412 contacts over the horizon and no agent may serve it (teams tier2)``."""
    lines = []
    per_day = prob.per_day
    for q, spec in prob.scenario.queues.items():
        if q in prob.live:
            demand = prob.live[q]
            by_day = np.bincount(demand.t // per_day, weights=demand.volume, minlength=prob.n_days)[:prob.n_days]
            what = "contacts"
        elif q in prob.deferred:
            by_day = prob.deferred[q].work_h.reshape(-1)[:prob.n_days * per_day].reshape(prob.n_days, per_day).sum(axis=1)
            what = "agent-hours of work"
        else:
            continue
        if by_day.sum() <= 0:
            continue
        able = [a for a in prob.agents if q in a.queues]
        teams = ", ".join(spec.teams)
        if not able:
            lines.append(f"{q}: {by_day.sum():,.0f} {what} over the horizon and no agent may serve it (teams {teams}; "
                         "check the agents' teams and skills)")
            continue
        missed = [d for d in range(prob.n_days) if by_day[d] > 0 and all(d in a.unavailable for a in able)]
        if missed:
            days = ", ".join(prob.days[d].strftime("%m-%d") for d in missed[:7]) + (" ..." if len(missed) > 7 else "")
            lines.append(f"{q}: every agent who may serve it ({len(able)}, teams {teams}) is on leave on {days}: "
                         f"{by_day[missed].sum():,.0f} {what} there go unserved")
    return lines


def reference_counts(prob) -> dict[tuple[int, int, int], int]:
    """Shifts per (pool, day, shift type) of the roster being re-optimised (``AgentInfo.reference``) with the
    locked shifts: the counts the named assignment starts from instead of the greedy's, so that the roster
    changes only where a change pays (a new agent or a day without a reference gets what the rounds add)."""
    counts: dict[tuple[int, int, int], int] = defaultdict(int)
    for a in prob.agents:
        for d, s in (*a.reference.items(), *a.locked.items()):
            if s is not None and s in a.shifts:
                counts[(a.pool, d, s)] += 1
    return dict(counts)


def horizon_start_gap(prob, plan, has_previous: bool) -> pd.DataFrame:
    """The first day's early intervals that no shift of the horizon can cover (they belong to night shifts
    that started the day before), with the live volume and expected lost contacts there: one row, rule
    ``horizon_start``, or none. The previous period's shifts that run into them count there
    (:attr:`.problem.RosterProblem.carry_in`); the planner is told of the part after the last of them ends."""
    first = min((s.start for s in prob.shifts), default=0)
    bare = prob.carry_end            # the previous period's shifts are on duty before this interval
    if first <= bare:
        return pd.DataFrame(columns=["rule", "name", "agent_id", "scope", "amount", "cost"])
    volume = lost = 0.0
    for dem in prob.live.values():
        m = (dem.t < first) & (dem.t >= bare)
        if not m.any():
            continue
        volume += float(dem.volume[m].sum())
        lost += float(interp_rows(plan.served[dem.queue][dem.t[m]] / CAP_SCALE, dem.lost[m]).sum())
    if volume <= 0:
        return pd.DataFrame(columns=["rule", "name", "agent_id", "scope", "amount", "cost"])
    span = f"{prob.label_t(bare)[-5:]}-{prob.label_t(first)[-5:]} of {prob.label_day(0)}"
    why = ("the previous period's roster has no shift running into it" if has_previous and not bare else
           "the previous period's shifts end before it" if has_previous else "no previous roster was given")
    todo = ("its night shifts would have to run longer" if has_previous else
            "give the previous period's roster (data.previous_roster): its night shifts then count there")
    scope = (f"{span} can only be covered by night shifts that started the day before the horizon ({why}): "
             f"{volume:,.0f} contacts expected there, {lost:,.0f} counted as lost; {todo}")
    return pd.DataFrame([{"rule": "horizon_start", "name": f"horizon_start[{prob.label_day(0)}]", "agent_id": "",
                          "scope": scope, "amount": lost, "cost": 0.0}])
