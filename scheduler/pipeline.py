"""One scenario end to end: load inputs → forecast → requirements → roster → checks → simulation.

Returns a :class:`Plan` that the CLI, ``compare`` and the notebooks all use; :func:`write_plan`
writes its files atomically (every file to a temporary name first, renamed into place only when all
are written, and all of them or none: see :class:`scheduler.io.atomic.AtomicWriter`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.carry import with_carry_in
from scheduler.errors import InputFileError
from scheduler.io.atomic import AtomicWriter  # noqa: F401  (compare and the tests use it from here)
from scheduler.scenario import Scenario, scenario_to_yaml

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Inputs:
    history: pd.DataFrame
    calendar: pd.DataFrame | None
    agents: pd.DataFrame
    previous: pd.DataFrame | None = None


@dataclass
class Plan:
    scenario: Scenario
    inputs: Inputs
    forecast: Any                       # forecast.ForecastResult (gross forecast)
    volume: pd.DataFrame                # net volume offered to agents (after scale and deflection)
    requirements: Any                   # staffing.Requirements
    roster: Any                         # optimize.Roster
    violations: list = field(default_factory=list)
    simulation: Any = None              # simulate.SimulationResult or None
    locks: pd.DataFrame | None = None   # cells kept fixed (agent_id, date, shift), from a supervisor's workbook
    lock_changes: pd.DataFrame | None = None  # the supervisor's edits behind them (agent_id, date, original, shift, cell)
    locked_agents: frozenset[str] = frozenset()
    reference: pd.DataFrame | None = None     # every cell of that workbook (agent_id, date, shift): the roster re-optimised
    summary: dict = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------
# inputs


def load_inputs(scenario: Scenario, progress: Progress = _quiet) -> Inputs:
    """Read history, calendar, agents (and the previous roster) named by the scenario."""
    from scheduler.io.tables import read_agents, read_calendar, read_history

    if scenario.data.generate_sample is not None:
        from scheduler.sample_data import ensure_sample_data

        if ensure_sample_data(scenario):
            progress(f"generated the sample data into {Path(scenario.data.history.path).parent}")
    d = scenario.data
    history = read_history(d.history.path, d.history.sheet)
    calendar = read_calendar(d.calendar.path, d.calendar.sheet) if d.calendar else None
    check_uplift_names(scenario, calendar)
    agents = read_agents(
        d.agents.path, d.agents.sheet, teams=set(scenario.teams), contracts=set(scenario.contracts),
        queues=set(scenario.queues),
    )
    agents = apply_workforce_levers(agents, scenario)
    agents = add_hired_agents(agents, scenario)
    previous = None
    if d.previous_roster is not None:
        previous = read_previous_assignments(d.previous_roster.path)
    return Inputs(history=history, calendar=calendar, agents=agents, previous=previous)


def check_uplift_names(scenario: Scenario, calendar: pd.DataFrame | None) -> None:
    """``forecast.uplift`` names calendar events (by name or key): a key naming none, a misspelt
    promotion, would be ignored; it is a scenario error naming the key, its value and the calendar's events."""
    from scheduler.errors import ScenarioError
    from scheduler.forecast.calendar import read_events, uplift_problems

    if not scenario.forecast.uplift:
        return
    bad = uplift_problems(dict(scenario.forecast.uplift), read_events(calendar),
                          scenario.data.calendar.path if scenario.data.calendar else None)
    if bad:
        raise ScenarioError("\n".join(f"{scenario.source}: forecast.uplift.{key}: {why}" for key, why in bad.items()))


def apply_workforce_levers(agents: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Apply ``workforce.<team>.junior_share``: re-label seniority so that share of the team is junior.

    Seniors become juniors starting from the highest agent id (or juniors seniors from the lowest),
    so the change is deterministic and touches as few agents as possible.
    """
    if not scenario.workforce:
        return agents
    agents = agents.copy()
    for team, lever in scenario.workforce.items():
        if lever.junior_share is None:
            continue
        members = agents.index[agents[C.TEAM] == team]
        if len(members) == 0:
            continue
        target = int(round(lever.junior_share * len(members)))
        order = agents.loc[members].sort_values(C.AGENT_ID).index
        juniors = [i for i in order if agents.at[i, C.SENIORITY] == "junior"]
        seniors = [i for i in order if agents.at[i, C.SENIORITY] == "senior"]
        if len(juniors) < target:
            for i in list(reversed(seniors))[: target - len(juniors)]:
                agents.at[i, C.SENIORITY] = "junior"
        elif len(juniors) > target:
            for i in juniors[: len(juniors) - target]:
                agents.at[i, C.SENIORITY] = "senior"
    return agents


def add_hired_agents(agents: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Append the scenario's ``hiring`` agents (unavailable before their start date)."""
    if not scenario.hiring:
        return agents
    rows = []
    horizon_days = scenario.horizon.dates()
    for i, h in enumerate(scenario.hiring):
        before = frozenset(d for d in horizon_days if d < h.start)
        for k in range(h.count):
            rows.append({
                C.AGENT_ID: f"H{i + 1}-{h.team}-{k + 1:03d}", C.AGENT_NAME: f"New hire {h.team} {k + 1}",
                C.TEAM: h.team, C.SKILLS: tuple(h.skills), C.CONTRACT: h.contract, C.SENIORITY: h.seniority,
                C.UNAVAILABLE: before, C.NIGHT_OK: h.night_ok,
            })
    return pd.concat([agents, pd.DataFrame(rows)], ignore_index=True)


def read_previous_assignments(path: str | Path) -> pd.DataFrame:
    """A previous period's ``assignments.csv`` (rest rules at the horizon's start; its shifts running into the
    horizon count on duty there, :mod:`scheduler.carry`)."""
    from scheduler.errors import ProblemCollector
    from scheduler.io.tables import read_raw_table, require_columns

    raw = read_raw_table(path, what="previous roster")
    require_columns(raw, C.ASSIGNMENT_COLUMNS)
    out = ProblemCollector(raw.file)
    f = raw.frame
    frame = pd.DataFrame({
        C.AGENT_ID: f[C.AGENT_ID].str.strip(), C.TEAM: f[C.TEAM].str.strip(),
        C.DATE: pd.to_datetime(f[C.DATE], format=C.DATE_FORMAT, errors="coerce"),
        C.SHIFT: f[C.SHIFT].str.strip(),
        C.SHIFT_START: pd.to_datetime(f[C.SHIFT_START], format=C.TIMESTAMP_FORMAT, errors="coerce"),
        C.SHIFT_END: pd.to_datetime(f[C.SHIFT_END], format=C.TIMESTAMP_FORMAT, errors="coerce"),
        C.PAID_H: pd.to_numeric(f[C.PAID_H], errors="coerce"),
    })
    for col, expected in ((C.DATE, "YYYY-MM-DD"), (C.SHIFT_START, "YYYY-MM-DD HH:MM"),
                          (C.SHIFT_END, "YYYY-MM-DD HH:MM"), (C.PAID_H, "hours")):
        for i in np.flatnonzero(frame[col].isna().to_numpy())[:20]:
            out.add("cannot be read", value=f[col].iat[i], expected=expected, row=raw.first_row + int(i), column=col)
    out.raise_if_any()
    frame[C.DATE] = frame[C.DATE].dt.date
    return frame


# ------------------------------------------------------------------------------------------------
# stages


def history_before_horizon(history: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Only history before the horizon's first day is used to forecast it."""
    cutoff = pd.Timestamp(scenario.horizon.start)
    return history[history[C.DS] < cutoff]


def net_volume(forecast_frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Volume offered to agents: the forecast × ``forecast.scale[q]`` × (1 − ``deflection[q]``)."""
    frame = forecast_frame.copy()
    factor = frame[C.QUEUE].map(
        lambda q: scenario.forecast.scale.get(q, 1.0) * (1.0 - scenario.queues[q].deflection if q in scenario.queues else 1.0)
    ).astype(float)
    for col in (C.VOLUME, C.VOLUME_LO, C.VOLUME_HI):
        if col in frame:
            frame[col] = frame[col] * factor
    return frame


# the last few forecasts made in this process, by the content of their inputs (see run_forecast_stage)
_FORECASTS: dict[str, Any] = {}
_FORECASTS_KEPT = 4


def _forecast_key(scenario: Scenario, history: pd.DataFrame, calendar: pd.DataFrame | None) -> str:
    """A digest of everything the forecast depends on: the history and calendar rows (their content, not
    their identity), the horizon, the interval, the forecast settings and each queue's hours and model."""
    import hashlib

    h = hashlib.sha256()
    for frame in (history, calendar):
        if frame is None:
            h.update(b"none")
        else:
            h.update(",".join(map(str, frame.columns)).encode())
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    queues = {q: (spec.open_minutes, spec.forecast_model) for q, spec in scenario.queues.items()}
    h.update(repr((str(scenario.horizon.start), scenario.horizon.days, scenario.interval_min, scenario.timezone,
                   scenario.forecast.model_dump_json(), sorted(queues.items()))).encode())
    return h.hexdigest()


def run_forecast_stage(scenario: Scenario, inputs: Inputs):
    """The scenario's forecast (:func:`scheduler.forecast.run_forecast`) from the history before its horizon.

    The forecast fits and backtests every model on every queue (about 10 s on the sample data), and several
    plans of one comparison (with and without the vendor team, other weights or rules) forecast the same
    history over the same horizon: the last few forecasts of this process are kept by the digest of their
    inputs, and a plan with the same inputs gets a copy of the same forecast (the forecast is deterministic,
    so the result is the one a new fit would give)."""
    import copy

    from scheduler.forecast import run_forecast

    missing = [q for q in scenario.queues if q not in set(inputs.history[C.QUEUE].unique())]
    if missing:
        raise InputFileError(
            f"no history for queue(s) {', '.join(missing)} defined in the scenario; "
            f"queues in the file: {', '.join(sorted(inputs.history[C.QUEUE].unique()))}",
            file=scenario.data.history.path,
        )
    history = history_before_horizon(inputs.history, scenario)
    history = history[history[C.QUEUE].isin(list(scenario.queues))]
    if history.empty:
        raise InputFileError(
            f"no history before the horizon's first day {scenario.horizon.start}; the forecast needs past data",
            file=scenario.data.history.path,
        )
    key = _forecast_key(scenario, history, inputs.calendar)
    if key not in _FORECASTS:
        open_hours = {q: spec.open_minutes for q, spec in scenario.queues.items()}
        pinned = {q: spec.forecast_model for q, spec in scenario.queues.items() if spec.forecast_model}
        result = run_forecast(
            history, inputs.calendar, start=scenario.horizon.start, days=scenario.horizon.days,
            interval_min=scenario.interval_min, settings=scenario.forecast, open_hours=open_hours,
            timezone=scenario.timezone, pinned=pinned or None,
        )
        while len(_FORECASTS) >= _FORECASTS_KEPT:
            _FORECASTS.pop(next(iter(_FORECASTS)))
        _FORECASTS[key] = result
    return copy.deepcopy(_FORECASTS[key])


def run_scenario(scenario: Scenario, *, locks: pd.DataFrame | None = None, simulate: bool | None = None,
                 progress: Progress = _quiet, inputs: Inputs | None = None,
                 lock_changes: pd.DataFrame | None = None, locked_agents: frozenset[str] = frozenset(),
                 reference: pd.DataFrame | None = None, reference_breaks: pd.DataFrame | None = None) -> Plan:
    """Run every stage of one scenario and return the plan (nothing is written).

    ``locks`` (``agent_id, date, shift``) are kept fixed by the optimizer and checked by the validator;
    ``lock_changes`` (the supervisor's edits behind them) and ``locked_agents`` are reported and carried
    into the new workbook; ``reference`` (``agent_id, date, shift``, every cell of that workbook) is the
    roster the optimizer starts from and stays close to (``weights.roster_change`` per agent-day changed);
    ``reference_breaks`` (``agent_id, start, end, kind``, its Breaks sheet) are kept for the shifts it still has.
    """
    from scheduler.optimize import solve_roster
    from scheduler.staffing import build_requirements
    from scheduler.validate import check_roster

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if inputs is None:
        progress("reading inputs")
        inputs = load_inputs(scenario, progress)
    timings["inputs"] = time.perf_counter() - t0

    t = time.perf_counter()
    progress(f"forecasting {len(scenario.queues)} queues for {scenario.horizon.days} days")
    forecast = run_forecast_stage(scenario, inputs)
    for w in forecast.warnings:           # also in summary.json (forecast.warnings)
        progress(f"warning: {w}")
    volume = net_volume(forecast.frame, scenario)
    timings["forecast"] = time.perf_counter() - t

    t = time.perf_counter()
    progress("computing requirements (Erlang C/A, deferred-work deadlines)")
    requirements = build_requirements(volume, scenario)
    timings["requirements"] = time.perf_counter() - t

    t = time.perf_counter()
    progress(f"building the roster (CP-SAT, up to {scenario.solver.time_limit_s:g} s)")
    roster = solve_roster(scenario, inputs.agents, requirements, locks=locks, previous=inputs.previous,
                          progress=progress, reference=reference, reference_breaks=reference_breaks,
                          per_interval_hard=scenario.solver.per_interval_hard)
    timings["roster"] = time.perf_counter() - t

    t = time.perf_counter()
    progress("checking every labour rule (independent validator)")
    violations = check_roster(scenario, inputs.agents, roster.assignments, roster.breaks, locks=locks,
                              previous=inputs.previous)
    timings["validate"] = time.perf_counter() - t

    sim = None
    if simulate if simulate is not None else scenario.simulation.enabled:
        from scheduler.simulate import simulate_roster

        t = time.perf_counter()
        progress(f"simulating the roster ({scenario.simulation.reps} replications)")
        # the previous period's night shifts running into the horizon are on duty there too
        on_duty, on_break = with_carry_in(scenario, inputs.previous, roster.assignments, roster.breaks, inputs.agents)
        sim = simulate_roster(scenario, inputs.agents, volume, on_duty, on_break,
                              reps=scenario.simulation.reps, seed=scenario.simulation.seed, progress=progress,
                              allocation=getattr(roster, "allocation", None))
        timings["simulate"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    plan = Plan(scenario=scenario, inputs=inputs, forecast=forecast, volume=volume, requirements=requirements,
                roster=roster, violations=violations, simulation=sim, timings_s=timings, locks=locks,
                lock_changes=lock_changes, locked_agents=frozenset(locked_agents), reference=reference)
    plan.summary = build_summary(plan)
    return plan


# ------------------------------------------------------------------------------------------------
# summary


def _clean(x: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, NaN/inf to None, dates to ISO text."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return None if not math.isfinite(v) else round(v, 6)
    if isinstance(x, (pd.Timestamp,)):
        return x.isoformat()
    if isinstance(x, date):
        return x.isoformat()
    return x


SL_DEFINITION_TEXT = {
    "offered": "offered basis: answered within target / all arrivals (abandons count as misses)",
    "answered": "answered basis: answered within target / answered contacts (daily figures weighted by offered volume)",
    "no_wait_gt_t": "1 - P(wait > target), per arrival",
}


def daily_expected_service_level(coverage: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Expected SL per day and live queue from the roster's coverage, each interval weighted by its
    offered volume (exact for the offered and no_wait_gt_t definitions; for the answered basis the
    weights should be answered contacts, so the daily figure is an approximation, said in the summary)."""
    live = [q for q, spec in scenario.queues.items() if spec.is_live]
    cov = coverage[coverage[C.QUEUE_OR_GROUP].isin(live)].copy()
    if cov.empty:
        return pd.DataFrame(columns=["date", "queue", "volume", "service_level"])
    cov["date"] = pd.to_datetime(cov[C.INTERVAL_START]).dt.date
    cov["answered"] = cov[C.FORECAST_VOLUME] * cov[C.SERVICE_LEVEL]
    g = cov.groupby(["date", C.QUEUE_OR_GROUP], as_index=False)[[C.FORECAST_VOLUME, "answered"]].sum()
    g["service_level"] = np.where(g[C.FORECAST_VOLUME] > 0, g["answered"] / g[C.FORECAST_VOLUME].where(g[C.FORECAST_VOLUME] > 0), np.nan)
    return g.rename(columns={C.QUEUE_OR_GROUP: "queue", C.FORECAST_VOLUME: "volume"})[["date", "queue", "volume", "service_level"]]


def overtime_hours(assignments: pd.DataFrame, agents: pd.DataFrame, scenario: Scenario) -> float:
    """Paid hours above each agent's contract maximum, summed over Monday–Sunday weeks."""
    if assignments.empty:
        return 0.0
    a = assignments[[C.AGENT_ID, C.DATE, C.PAID_H]].copy()
    d = pd.to_datetime(a[C.DATE])
    a["week"] = (d - pd.to_timedelta(d.dt.day_of_week.astype("int64"), unit="D")).dt.date
    weekly = a.groupby([C.AGENT_ID, "week"])[C.PAID_H].sum().reset_index()
    contract = agents.set_index(C.AGENT_ID)[C.CONTRACT]
    cap = weekly[C.AGENT_ID].map(contract).map(lambda c: scenario.contracts[c].max_hours_per_week)
    return float(np.clip(weekly[C.PAID_H] - cap, 0.0, None).sum())


def _locks_summary(plan: Plan) -> dict | None:
    """What the supervisor changed and whether the re-optimised roster kept it."""
    if plan.locks is None:
        return None
    a = plan.roster.assignments
    worked = {(r.agent_id, pd.Timestamp(r.date).date()): r.shift for r in a[[C.AGENT_ID, C.DATE, C.SHIFT]].itertuples()}
    kept = 0
    missed = []           # locks the roster does not hold (a rule made soft may outweigh one), with their cells
    for r in plan.locks.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        got = worked.get((r.agent_id, day))
        want = None if r.shift in ("OFF", "LEAVE") else r.shift
        kept += got == want
        if got != want:
            missed.append({"agent_id": r.agent_id, "date": day, "locked": r.shift, "planned": got or "OFF",
                           "cell": getattr(r, "cell", None)})
    edits = []
    if plan.lock_changes is not None:
        for r in plan.lock_changes.itertuples(index=False):
            edits.append({"agent_id": r.agent_id, "date": pd.Timestamp(r.date).date(), "was": r.original,
                          "now": r.shift, "cell": getattr(r, "cell", None)})
    out = {"locked_cells": int(len(plan.locks)), "kept": int(kept), "locked_agents": sorted(plan.locked_agents),
           "edits": edits, "not_kept": missed}
    if plan.reference is not None and len(plan.reference):
        # the other cells: how many the re-optimisation changed (each costs weights.roster_change)
        locked = {(r.agent_id, pd.Timestamp(r.date).date()) for r in plan.locks.itertuples(index=False)}
        changed = cells = 0
        for r in plan.reference.itertuples(index=False):
            key = (r.agent_id, pd.Timestamp(r.date).date())
            if key in locked:
                continue
            cells += 1
            changed += worked.get(key) != (None if r.shift in ("OFF", "LEAVE") else r.shift)
        out.update(other_cells=cells, other_cells_changed=changed)
    return out


def build_summary(plan: Plan) -> dict:
    s = plan.scenario
    r = plan.roster
    a = r.assignments
    paid = a.groupby(C.TEAM)[C.PAID_H].sum().to_dict() if len(a) else {}
    cost = {team: paid.get(team, 0.0) * s.teams[team].cost_per_hour for team in s.teams}
    if hasattr(r, "cost_by_team") and r.cost_by_team:
        cost = dict(r.cost_by_team)
    daily = daily_expected_service_level(r.coverage, s)
    sl_by_day: dict[str, dict[str, Any]] = {}
    for row in daily.itertuples(index=False):
        sl_by_day.setdefault(row.date.isoformat(), {})[row.queue] = {"expected": row.service_level}
    if plan.simulation is not None and hasattr(plan.simulation, "daily"):
        for row in plan.simulation.daily.itertuples(index=False):
            key = pd.Timestamp(row.date).date().isoformat()
            entry = sl_by_day.setdefault(key, {}).setdefault(row.queue, {})
            entry["simulated"] = getattr(row, "service_level", None)
            for extra in ("service_level_lo", "service_level_hi"):
                if hasattr(row, extra):
                    entry[f"simulated_{extra.split('_')[-1]}"] = getattr(row, extra)
    deferred_by_day: dict[str, dict[str, Any]] = {}
    simulation = None
    if plan.simulation is not None and hasattr(plan.simulation, "deferred_daily"):
        for row in plan.simulation.deferred_daily.itertuples(index=False):
            deferred_by_day.setdefault(pd.Timestamp(row.date).date().isoformat(), {})[row.queue] = {
                "resolve_within_h": s.queues[row.queue].sla.resolve_within_h,
                "simulated_past_deadline_share": row.past_deadline_share,
                "simulated_past_deadline_lo": row.past_deadline_share_lo,
                "simulated_past_deadline_hi": row.past_deadline_share_hi,
                "simulated_mean_resolution_h": row.mean_resolution_h,
            }
        # overall per queue and team, roster effects (the daily live figures are in service_level_by_day)
        simulation = {k: v for k, v in plan.simulation.summary().items() if k != "days"}
    hard = [v for v in plan.violations if getattr(v, "severity", "hard") == "hard"]
    summary = {
        "scenario": s.name,
        "description": s.description,
        "horizon": {"start": s.horizon.start, "end": s.horizon.end, "days": s.horizon.days},
        "solver": {
            "status": r.status, "objective": r.objective, "best_bound": r.best_bound, "gap": r.gap,
            "wall_time_s": r.wall_time_s,
        },
        "paid_hours_by_team": {t: paid.get(t, 0.0) for t in s.teams},
        "cost_by_team": cost,
        "total_cost": sum(cost.values()),
        "overflow_hours": paid.get("overflow", 0.0),
        "overtime_hours": overtime_hours(a, plan.inputs.agents, s),
        "agents_used": int(a[C.AGENT_ID].nunique()) if len(a) else 0,
        "service_level_by_day": sl_by_day,
        "sl_definition": {q: SL_DEFINITION_TEXT[spec.sla.definition] for q, spec in s.queues.items() if spec.is_live},
        "deferred_by_day": deferred_by_day,
        "simulation_routing": (getattr(plan.simulation, "settings", {}) or {}).get("routing") if plan.simulation else None,
        "simulation": simulation,
        "hard_violations": len(hard),
        "locks": _locks_summary(plan),
        "violations": [str(v) for v in plan.violations[:200]],
        "forecast": {"models": getattr(plan.forecast, "models", {}), "warnings": getattr(plan.forecast, "warnings", [])},
        "timings_s": plan.timings_s,
    }
    return _clean(summary)


# ------------------------------------------------------------------------------------------------
# writing


def _fmt_times(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out and len(out):
            out[c] = pd.to_datetime(out[c]).dt.strftime(C.TIMESTAMP_FORMAT)
    return out


# every file write_plan may write (allocation.csv and simulation_daily.csv only when the plan has them)
RUN_FILES = frozenset({"roster.xlsx", "assignments.csv", "breaks.csv", "coverage.csv", "allocation.csv",
                       "forecast.csv", "requirements.csv", "simulation_daily.csv", "summary.json", "scenario.yaml"})


def check_outdir(outdir: str | Path) -> list[str]:
    """Before the forecast and solve: the run's files can be written into ``outdir`` (created if missing), else
    :class:`OutputError`; returns warnings about an earlier run's files that cannot be opened for writing now."""
    from scheduler.io.atomic import check_output_folder

    return check_output_folder(outdir, RUN_FILES)


def write_plan(plan: Plan, outdir: str | Path, progress: Progress = _quiet) -> list[Path]:
    """Write the plan's files into ``outdir`` atomically; returns the paths written.

    The files of an earlier run there that this plan does not write (simulation_daily.csv after a run without
    simulation) are removed in the same commit, said in one progress line."""
    from scheduler.io.excel import write_roster_workbook

    r = plan.roster
    w = AtomicWriter(Path(outdir), known_names=RUN_FILES)
    try:
        assignments = _fmt_times(r.assignments, (C.SHIFT_START, C.SHIFT_END))
        if len(assignments):
            assignments[C.DATE] = pd.to_datetime(assignments[C.DATE]).dt.strftime(C.DATE_FORMAT)
        w.write_csv("assignments.csv", assignments[list(C.ASSIGNMENT_COLUMNS)])
        w.write_csv("breaks.csv", _fmt_times(r.breaks, (C.SHIFT_START, C.SHIFT_END))[list(C.BREAK_COLUMNS)])
        w.write_csv("coverage.csv", _fmt_times(r.coverage, (C.INTERVAL_START,))[list(C.COVERAGE_COLUMNS)])
        allocation = getattr(r, "allocation", None)
        if allocation is not None:
            from scheduler.simulate.inputs import ALLOCATION_COLUMNS, SHARE

            allocation = _fmt_times(allocation, (C.INTERVAL_START,))[list(ALLOCATION_COLUMNS)]
            w.write_csv("allocation.csv", allocation.assign(**{SHARE: allocation[SHARE].round(6)}))
        w.write_csv("forecast.csv", _fmt_times(plan.forecast.frame, (C.DS,)))
        w.write_csv("requirements.csv", _fmt_times(plan.requirements.table, (C.INTERVAL_START,)))
        if plan.simulation is not None and hasattr(plan.simulation, "daily"):
            daily = plan.simulation.daily.assign(kind="live")
            if hasattr(plan.simulation, "deferred_daily"):
                daily = pd.concat([daily, plan.simulation.deferred_daily.assign(kind="deferred")], ignore_index=True)
            w.write_csv("simulation_daily.csv", daily)
        w.write_text("summary.json", json.dumps(plan.summary, indent=2, ensure_ascii=False) + "\n")
        w.write_text("scenario.yaml", scenario_to_yaml(plan.scenario))
        write_roster_workbook(
            w.path_for("roster.xlsx"), scenario=plan.scenario, agents=plan.inputs.agents,
            assignments=r.assignments, breaks=r.breaks, coverage=r.coverage, summary=plan.summary,
            locks=plan.locks, locked_agents=plan.locked_agents,
        )
    except OSError as exc:
        w.abort()
        raise w.write_error(exc) from None
    except BaseException:
        w.abort()
        raise
    written = w.commit()
    if w.removed:
        progress(f"removed {', '.join(p.name for p in w.removed)} of an earlier run from {w.outdir}/ "
                 f"(not written by this one)")
    return written


def default_outdir(scenario: Scenario) -> Path:
    return Path("out") / scenario.name
