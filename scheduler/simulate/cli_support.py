"""Files in, report out for the ``scheduler simulate`` command (the CLI stays thin).

This is glue at the pipeline's level (it reads the run's files and may run the forecast stage), kept
here beside the engine it drives; the engine itself (``scheduler.simulate``) imports no other stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import InputFileError, Problem
from scheduler.scenario import Scenario
from scheduler.simulate import SimulationResult, simulate_roster
from scheduler.simulate.inputs import ALLOCATION_COLUMNS

Progress = Callable[[str], None]


def load_roster(roster: Path, scenario: Scenario, agents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assignments and breaks from a roster workbook (``.xlsx``, as a supervisor hands it back) or from
    a run folder / its assignments.csv (breaks.csv beside it)."""
    from scheduler.io.excel import read_roster_workbook, read_run_outputs

    if roster.suffix.lower() in (".xlsx", ".xlsm"):
        wb = read_roster_workbook(roster, scenario, agents)
        _simulatable(wb, roster, scenario, agents)
        return wb.assignments, wb.breaks
    if not roster.exists():
        raise InputFileError("roster not found; give a run's assignments.csv (breaks.csv beside it), its folder, "
                             "or a roster.xlsx", file=str(roster))
    outputs = read_run_outputs(roster if roster.is_dir() else roster.parent)
    return outputs["assignments"], outputs["breaks"]


UNSIMULATABLE = ("break_outside_shift", "break_overlap")    # rules whose violation leaves no roster to simulate


def _simulatable(wb, path: Path, scenario: Scenario, agents: pd.DataFrame) -> None:
    """A workbook whose breaks lie outside their agent's shifts or overlap cannot be simulated: every such
    break with its cell (``Breaks!F6 (A001, 2026-11-03): ...``, as ``scheduler check`` names it), not the first
    one as a row of an internal table. Other rule violations (rest, hours) do not stop a simulation."""
    from scheduler.check import place_violation
    from scheduler.validate import check_roster

    bad = [v for v in check_roster(scenario, agents, wb.assignments, wb.breaks) if v.rule in UNSIMULATABLE]
    if bad:
        raise InputFileError([Problem(v.message, file=str(path), cell=place_violation(wb, v),
                                      expected="breaks inside the agent's shift, one at a time (scheduler check "
                                               "lists every problem)") for v in bad])


def read_allocation(path: Path) -> pd.DataFrame:
    """A run's allocation.csv (``agent_id, interval_start, queue, share``); values are checked when the
    simulation's inputs are built (``inputs.plan_from_allocation``)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(f"cannot read the allocation ({exc})", file=str(path)) from None
    missing = [c for c in ALLOCATION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"missing column {missing[0]!r}; expected columns {', '.join(ALLOCATION_COLUMNS)}",
                             file=str(path))
    frame.attrs["file"] = str(path)
    return frame


def simulate_command(scenario: Scenario, roster: str | None, forecast: str | None, *, reps: int | None,
                     seed: int | None, overflow_mode: str | None, live_reserve: int | None,
                     volume_uncertainty: bool | None, progress: Progress, routing: str | None = None) -> SimulationResult:
    """Read agents, roster and forecast for ``scenario`` and simulate. Without ``roster``: the scenario's
    default run folder (out/<name>/). Without ``forecast``: forecast.csv beside the roster, else the
    forecast stage is run. The forecast is scaled and deflected as in ``scheduler run``. Plan routing
    uses allocation.csv beside a run's roster (a workbook carries none: dynamic routing then)."""
    from scheduler.io.tables import read_agents, read_forecast
    from scheduler.pipeline import add_hired_agents, default_outdir, load_inputs, net_volume, run_forecast_stage

    roster_path = Path(roster) if roster else default_outdir(scenario) / "assignments.csv"
    d = scenario.data
    if d.generate_sample is not None:
        from scheduler.sample_data import ensure_sample_data

        ensure_sample_data(scenario)
    agents = read_agents(d.agents.path, d.agents.sheet, teams=set(scenario.teams), contracts=set(scenario.contracts),
                         queues=set(scenario.queues))
    agents = add_hired_agents(agents, scenario)
    assignments, breaks = load_roster(roster_path, scenario, agents)
    # the previous period's night shifts running into the horizon are on duty there, as in ``scheduler run``
    from scheduler.carry import with_carry_in
    from scheduler.check import load_previous

    assignments, breaks = with_carry_in(scenario, load_previous(scenario), assignments, breaks, agents)
    folder = roster_path if roster_path.is_dir() else roster_path.parent
    if forecast:
        frame = read_forecast(forecast)
    elif (folder / "forecast.csv").exists():
        progress(f"using the forecast of the run: {folder / 'forecast.csv'}")
        frame = read_forecast(folder / "forecast.csv")
    else:
        progress(f"no forecast.csv beside the roster: forecasting {scenario.horizon.days} days")
        frame = run_forecast_stage(scenario, load_inputs(scenario, progress)).frame
    volume = net_volume(frame, scenario)
    reps = scenario.simulation.reps if reps is None else reps
    seed = scenario.simulation.seed if seed is None else seed
    allocation = None
    wanted = scenario.simulation.routing if routing is None else routing
    if (wanted == "plan" and roster_path.suffix.lower() not in (".xlsx", ".xlsm")
            and (folder / "allocation.csv").exists()):
        progress(f"following the plan's activities: {folder / 'allocation.csv'}")
        allocation = read_allocation(folder / "allocation.csv")
    return simulate_roster(scenario, agents, volume, assignments, breaks, reps=reps, seed=seed, progress=progress,
                           overflow_mode=overflow_mode, live_reserve=live_reserve,
                           volume_uncertainty=volume_uncertainty, allocation=allocation, routing=routing)


def report_frame(result: SimulationResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long CSV frames of the queue and team results at every level: column ``level`` (interval | day |
    overall) and ``period`` (interval start 'YYYY-MM-DD HH:MM', date, or 'all')."""
    def stack(frames: list[tuple[str, pd.DataFrame, str | None]]) -> pd.DataFrame:
        parts = []
        for level, f, col in frames:
            f = f.copy()
            if col == "interval_start":
                period = pd.to_datetime(f[col]).dt.strftime(C.TIMESTAMP_FORMAT)
            elif col == "date":
                period = pd.to_datetime(f[col]).dt.strftime(C.DATE_FORMAT)
            else:
                period = pd.Series("all", index=f.index)
            if col:
                f = f.drop(columns=[col])
            f.insert(0, "period", period)
            f.insert(0, "level", level)
            parts.append(f)
        return pd.concat(parts, ignore_index=True)

    queues = stack([("interval", result.intervals, "interval_start"), ("day", result.days, "date"),
                    ("overall", result.overall, None)])
    teams = stack([("interval", result.team_intervals, "interval_start"), ("day", result.team_days, "date"),
                   ("overall", result.team_overall, None)])
    return queues, teams


def write_report(result: SimulationResult, path: Path) -> list[Path]:
    """REPORT.csv (queues) and REPORT_teams.csv (occupancy) at every level; returns the paths."""
    queues, teams = report_frame(result)
    team_path = path.with_name(path.stem + "_teams" + (path.suffix or ".csv"))
    written = []
    for frame, p in ((queues, path), (teams, team_path)):
        tmp = p.with_name(f".{p.name}.tmp")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(tmp, index=False, float_format="%.6g")
            tmp.replace(p)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputFileError(f"cannot write the report ({exc.strerror})", file=str(p)) from None
        written.append(p)
    return written


def _pct(x: float, ci: float | None = None) -> str:
    if x != x:
        return "–"
    text = f"{100 * x:.1f} %"
    if ci is not None and ci == ci:
        text += f" ± {100 * ci:.1f}"
    return text


def report_text(result: SimulationResult) -> str:
    """A readable summary: per queue overall, per team occupancy, daily SL, break delays."""
    lines = [f"simulated {result.reps} replication(s), seed {result.seed}, "
             f"{np.mean(result.contacts_per_rep):,.0f} contacts each, {result.wall_time_s:.1f} s"]
    lines.append("")
    lines.append(f"{'queue':<20} {'contacts':>10} {'SL (95 % CI)':>18} {'definition':>12} {'ASA s':>7} "
                 f"{'abandoned':>10} {'overflow':>9}")
    for r in result.overall.itertuples(index=False):
        if r.kind == "live":
            lines.append(f"{r.queue:<20} {r.offered:>10,.0f} {_pct(r.service_level, r.service_level_ci95):>18} "
                         f"{r.sl_definition:>12} {r.asa_s:>7.1f} {_pct(r.abandon_rate):>10} {_pct(r.overflow_share):>9}")
    deferred = result.overall[result.overall["kind"] == "deferred"]
    if len(deferred):
        lines.append("")
        lines.append(f"{'deferred queue':<20} {'items':>10} {'past deadline':>18} {'late work h':>12} {'resolution h':>13}")
        for r in deferred.itertuples(index=False):
            lines.append(f"{r.queue:<20} {r.offered:>10,.0f} {_pct(r.past_deadline_share, r.past_deadline_share_ci95):>18} "
                         f"{r.past_deadline_h:>12.1f} {r.mean_resolution_h:>13.2f}")
    lines.append("")
    lines.append(f"{'team':<10} {'available h':>12} {'busy h':>10} {'occupancy':>16}")
    for r in result.team_overall.itertuples(index=False):
        lines.append(f"{r.team:<10} {r.available_h:>12,.0f} {r.busy_h:>10,.0f} {_pct(r.occupancy, r.occupancy_ci95):>16}")
    daily = result.daily
    if len(daily):
        wide = daily.pivot(index="date", columns="queue", values="service_level")
        lines.append("")
        lines.append("simulated SL per day: " + ", ".join(wide.columns))
        for day, row in wide.iterrows():
            lines.append(f"  {day}  " + "  ".join(f"{_pct(v):>8}" for v in row.to_numpy()))
    fx = result.roster_effects
    lines.append("")
    if fx["breaks_per_rep"] > 0:
        lines.append(f"breaks started late: {_pct(fx['breaks_delayed_share'])} of {fx['breaks_per_rep']:,.0f}, "
                     f"mean delay {fx['break_delay_mean_s'] / 60:.1f} min, max {fx['break_delay_max_s'] / 60:.1f} min")
    lines.append(f"overtime finishing contacts at shift end: {fx['overtime_h_per_rep']:.1f} h per replication")
    return "\n".join(lines)


def report_json(result: SimulationResult) -> str:
    return json.dumps(result.summary(), indent=2, default=str)
