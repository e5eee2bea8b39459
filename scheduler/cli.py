"""The ``scheduler`` command (click): a thin layer that parses, calls the library, reports progress
and writes files. Library errors (``SchedulerError``) become one-line messages with exit code 1;
usage errors exit 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import logging
import sys

import click

from scheduler import __version__
from scheduler.errors import InputFileError, SchedulerError


class _State:
    debug = False
    quiet = False


STATE = _State()


def reports_errors(func):
    """Turn library errors into ``click.ClickException`` (exit 1) unless ``--debug`` is given."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SchedulerError as exc:
            if STATE.debug:
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None

    return wrapper


def progress_echo(message: str) -> None:
    """One progress line on stderr (silenced by ``-q``)."""
    if not STATE.quiet:
        click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scheduler")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line error messages.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Log details (solver log, model choices) on stderr.")
def main(debug: bool, quiet: bool, verbose: bool) -> None:
    """Workforce planner for e-commerce customer-service centres.

    Forecast contacts, turn them into required agents, build a roster with CP-SAT,
    export/import it as Excel, simulate the service it gives, compare scenarios.
    """
    STATE.debug = debug
    STATE.quiet = quiet
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


# Commands are added below, one block each (keep blocks small: parse, call one library function).


# ---- run -----------------------------------------------------------------------------------------

def pd_date(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).date().isoformat()


def _load_scenario(path: str, overrides: tuple[str, ...]):
    from scheduler.scenario import load_scenario

    return load_scenario(path, overrides)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("-o", "--outdir", type=click.Path(file_okay=False), help="Output folder (default out/<scenario name>/).")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a scenario key, e.g. --set solver.time_limit_s=60 (repeatable).")
@click.option("--lock", "lock_path", type=click.Path(dir_okay=False),
              help="A supervisor's edited roster.xlsx: its changed/locked cells are kept, the rest re-optimised.")
@click.option("--no-simulate", is_flag=True, help="Skip the simulated check of the plan (faster).")
@reports_errors
def run(scenario: str, outdir: str | None, overrides: tuple[str, ...], lock_path: str | None, no_simulate: bool) -> None:
    """Plan SCENARIO end to end: forecast, requirements, roster, checks, simulation.

    Writes roster.xlsx, assignments.csv, breaks.csv, coverage.csv and summary.json into the output
    folder, atomically (a failed run leaves earlier files untouched).
    """
    from pathlib import Path

    from scheduler.pipeline import check_outdir, default_outdir, load_inputs, run_scenario, write_plan

    sc = _load_scenario(scenario, overrides)
    out = Path(outdir) if outdir else default_outdir(sc)
    inputs = load_inputs(sc, progress_echo)
    lock_args: dict = {}
    if lock_path:
        from scheduler.io.excel import read_roster_workbook

        progress_echo(f"reading locked edits from {lock_path}")
        book = read_roster_workbook(lock_path, sc, inputs.agents)
        for w in book.warnings:
            click.echo(f"warning: {w}", err=True)
        lock_args = {"locks": book.locks, "lock_changes": book.changes, "locked_agents": book.locked_agents,
                     "reference": book.codes, "reference_breaks": book.breaks}
        for r in book.changes.itertuples(index=False):
            progress_echo(f"  keeping {r.cell} ({r.agent_id}, {pd_date(r.date)}): {r.original} -> {r.shift}")
        if book.locked_agents:
            progress_echo(f"  keeping every day of {len(book.locked_agents)} locked agent(s): "
                          f"{', '.join(sorted(book.locked_agents))}")
    for w in check_outdir(out):             # before the forecast and solve, so that no plan is lost
        click.echo(f"warning: {w}", err=True)
    plan = run_scenario(sc, simulate=False if no_simulate else None, progress=progress_echo, inputs=inputs,
                        **lock_args)
    written = write_plan(plan, out, progress_echo)
    s = plan.summary
    solver = s["solver"]
    gap = solver.get("gap")
    click.echo(
        f"{sc.name}: {solver['status']}, labour cost {s['total_cost']:,.0f} (objective with penalties "
        f"{solver['objective']:,.0f}), "
        f"paid hours {sum(s['paid_hours_by_team'].values()):,.0f} (overflow {s['overflow_hours']:,.0f}), "
        f"gap {'n/a' if gap is None else f'{100 * gap:.1f} %'}, hard violations {s['hard_violations']}"
    )
    if plan.summary.get("locks"):
        lk = plan.summary["locks"]
        click.echo(f"locked cells kept: {lk['kept']} of {lk['locked_cells']} (supervisor edits: {len(lk['edits'])})")
        for m in lk["not_kept"]:
            click.echo(f"  not kept: {m['cell'] or 'a lock'} ({m['agent_id']}, {m['date']}): {m['locked']} locked, "
                       f"{m['planned']} planned")
        if "other_cells" in lk:
            click.echo(f"other cells changed: {lk['other_cells_changed']:,} of {lk['other_cells']:,} "
                       f"(each costs weights.roster_change = {sc.weights.roster_change:g})")
    click.echo(f"wrote {len(written)} files to {out}/")


# ---- compare -------------------------------------------------------------------------------------

@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--outdir", type=click.Path(file_okay=False), default="out/compare", show_default=True,
              help="Folder for the comparison; each plan's files go to OUTDIR/<scenario name>/.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a key in every scenario (repeatable).")
@click.option("--rerun", is_flag=True, help="Run every plan again even when fresh outputs exist.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Plans run at once (default: number of cores).")
@click.option("--no-simulate", is_flag=True, help="Skip the simulated check of each plan.")
@reports_errors
def compare(scenarios: tuple[str, ...], outdir: str, overrides: tuple[str, ...], rerun: bool, jobs: int | None,
            no_simulate: bool) -> None:
    """Run (or reuse) several SCENARIOS and compare them side by side.

    Writes comparison.xlsx (one column per plan, differences from the first plan highlighted, a
    per-day sheet), required_vs_scheduled.png, daily_service_level.png, cost_breakdown.png and
    report.md, and prints the table.
    """
    from pathlib import Path

    from scheduler.compare import comparison_table, format_table, run_plans, write_comparison

    out = Path(outdir)
    plans = run_plans(list(scenarios), out, overrides=overrides, reuse=not rerun, jobs=jobs,
                      simulate=False if no_simulate else None, progress=progress_echo)
    written = write_comparison(plans, out)
    click.echo(format_table(comparison_table(plans)))
    click.echo(f"wrote {', '.join(p.name for p in written)} to {out}/")


# ---- sample-data ---------------------------------------------------------------------------------

@main.command("sample-data")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed (same seed, same files).")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default="2026-10-31", show_default=True,
              help="Last day of the history (YYYY-MM-DD).")
@click.option("--years", type=click.IntRange(1, 5), default=2, show_default=True, help="Years of history.")
@reports_errors
def sample_data(outdir: str, seed: int, end, years: int) -> None:
    """Write the sample centre's history.csv, calendar.csv and agents.csv into OUTDIR.

    A mid-size Chinese e-commerce customer-service centre (docs/sample-data.md): 15-minute history of
    six queues with promotions and holidays, the event calendar, 150 in-house agents and 40 vendor agents.
    """
    from scheduler.sample_data import check_range, generate_sample_data

    try:
        check_range(end.date(), years)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--end' / '--years'") from None
    for path in generate_sample_data(outdir, seed=seed, end=end.date(), years=years).values():
        click.echo(str(path))


# ---- forecast / backtest -------------------------------------------------------------------------

_MODEL_CHOICES = ["auto", "seasonal_naive", "ets", "calendar_regression", "combined"]


@main.command()
@click.option("--history", "history_path", required=True, type=click.Path(dir_okay=False),
              help="History CSV/xlsx: ds, queue, volume[, aht_s].")
@click.option("--calendar", "calendar_path", type=click.Path(dir_okay=False),
              help="Calendar CSV/xlsx: name, kind, start, end[, peak, uplift].")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day of the forecast (local).")
@click.option("--days", required=True, type=click.IntRange(1, 366), help="Days to forecast.")
@click.option("--interval-min", type=click.IntRange(1, 1440), help="Interval in minutes (default: the history's own).")
@click.option("--model", type=click.Choice(_MODEL_CHOICES), default="auto", show_default=True,
              help="Model for every queue; auto = the best rolling-origin backtest per queue.")
@click.option("--folds", type=click.IntRange(1, 20), default=4, show_default=True, help="Backtest folds for the choice.")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="Zone of the local times (DST).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Forecast CSV to write.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Also draw history and forecast to this PNG.")
@click.option("--regressors", "regressors_path", type=click.Path(dir_okay=False),
              help="Daily regressors CSV: ds, [queue,] one numeric column each; must cover history and horizon.")
@reports_errors
def forecast(history_path, calendar_path, start, days, interval_min, model, folds, timezone, output, plot_path,
             regressors_path) -> None:
    """Forecast contacts per queue and interval: ds, queue, volume, volume_lo, volume_hi, model."""
    from scheduler.forecast.cli_support import forecast_command

    for line in forecast_command(history_path, calendar_path, start.date(), days, interval_min, model, folds,
                                 timezone, output, plot_path, regressors_path):
        progress_echo(line)


@main.command()
@click.option("--history", "history_path", required=True, type=click.Path(dir_okay=False),
              help="History CSV/xlsx: ds, queue, volume[, aht_s].")
@click.option("--calendar", "calendar_path", type=click.Path(dir_okay=False),
              help="Calendar CSV/xlsx: name, kind, start, end[, peak, uplift].")
@click.option("--horizon-days", required=True, type=click.IntRange(1, 366), help="Days forecast from each origin.")
@click.option("--folds", required=True, type=click.IntRange(1, 52), help="Rolling origins (one horizon apart, up to 4 weeks).")
@click.option("--interval-min", type=click.IntRange(1, 1440), help="Interval in minutes (default: the history's own).")
@click.option("--model", "models", multiple=True, type=click.Choice(_MODEL_CHOICES[1:]),
              help="Evaluate only this model (repeatable; default all).")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="Zone of the local times (DST).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON instead of a table.")
@click.option("--regressors", "regressors_path", type=click.Path(dir_okay=False),
              help="Daily regressors CSV: ds, [queue,] one numeric column each.")
@reports_errors
def backtest(history_path, calendar_path, horizon_days, folds, interval_min, models, timezone, as_json,
             regressors_path) -> None:
    """Rolling-origin accuracy per queue and model: MASE, WAPE, bias, RMSE, 80 % interval coverage
    (overall, on promotion days, on holidays)."""
    from scheduler.forecast.cli_support import backtest_command

    text, notes = backtest_command(history_path, calendar_path, horizon_days, folds, interval_min, list(models),
                                   timezone, as_json, regressors_path)
    for line in notes:
        progress_echo(line)
    click.echo(text)


# ---- erlang / requirements (staffing) -------------------------------------------------------------

@main.command()
@click.option("--volume", type=click.FloatRange(min=0), required=True, help="Contacts offered per interval.")
@click.option("--interval-min", type=click.FloatRange(min=0, min_open=True), default=15, show_default=True,
              help="Interval length, minutes.")
@click.option("--aht-s", type=click.FloatRange(min=0, min_open=True), required=True, help="Average handling time, seconds.")
@click.option("--answer-within-s", type=click.FloatRange(min=0), required=True, help="Service-level time target t, seconds.")
@click.option("--target-sl", type=click.FloatRange(min=0, max=1, min_open=True), required=True,
              help="Share to answer within t (e.g. 0.8).")
@click.option("--patience-s", type=click.FloatRange(min=0, min_open=True),
              help="Mean patience, seconds: Erlang A (abandonment). Without it: Erlang C.")
@click.option("--definition", type=click.Choice(["offered", "answered", "no_wait_gt_t"]), default="offered",
              show_default=True, help="Service-level basis (docs/staffing.md).")
@click.option("--asa-target-s", type=click.FloatRange(min=0, min_open=True), help="Also cap the average speed of answer.")
@click.option("--max-abandon", type=click.FloatRange(min=0, max=1), help="Also cap the abandonment rate.")
@click.option("--max-occupancy", type=click.FloatRange(min=0, max=1, min_open=True), help="Also cap occupancy.")
@click.option("--concurrency", type=click.IntRange(1, 10), default=1, show_default=True, help="Chats per agent at once.")
@click.option("--concurrency-aht-growth", type=click.FloatRange(min=0), default=0.15, show_default=True,
              help="Handling time grows by this fraction per extra simultaneous chat.")
@click.option("--shrinkage", type=click.FloatRange(min=0, max=1, max_open=True), default=0.0, show_default=True,
              help="Share of paid time off the queue: rostered = ceil(required / (1 - shrinkage)).")
@click.option("--rows", type=click.IntRange(0, 50), default=3, show_default=True, help="Table rows each side of the answer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@reports_errors
def erlang(volume, interval_min, aht_s, answer_within_s, target_sl, patience_s, definition, asa_target_s, max_abandon,
           max_occupancy, concurrency, concurrency_aht_growth, shrinkage, rows, as_json) -> None:
    """Required agents for one interval (Erlang C, or Erlang A with --patience-s), and a table of n
    around it: service level, ASA, abandonment, occupancy."""
    import json

    from scheduler.staffing import Targets, erlang_table

    targets = Targets(answer_within_s, target_sl, definition, asa_target_s, max_abandon, max_occupancy)
    report = erlang_table(volume, interval_min, aht_s, targets, patience_s=patience_s, concurrency=concurrency,
                          concurrency_aht_growth=concurrency_aht_growth, shrinkage=shrinkage, rows=rows)
    if as_json:
        click.echo(json.dumps(report, indent=2, allow_nan=True))
        return
    click.echo(f"{report['model']}, load {report['load_erlangs']:.3f} Erl, SL definition: {report['sl_definition']}")
    click.echo(f"required agents: {report['required']} (rostered with shrinkage {shrinkage:g}: {report['rostered']})")
    click.echo(f"{'agents':>7} {'SL':>8} {'ASA s':>10} {'abandon':>8} {'occupancy':>9} {'P(wait)':>8}")
    for r in report["table"]:
        mark = " <" if r["agents"] == report["required"] else ""
        click.echo(f"{r['agents']:>7} {r['service_level']:>8.4f} {r['asa_s']:>10.2f} {r['abandon_rate']:>8.4f} "
                   f"{r['occupancy']:>9.4f} {r['p_wait']:>8.4f}{mark}")


@main.command()
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False), required=True, help="Scenario YAML.")
@click.option("--forecast", "forecast_path", type=click.Path(dir_okay=False),
              help="forecast.csv (ds, queue, volume, ...); the scenario's forecast.scale and deflection are applied.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Requirements CSV to write.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario key (repeatable).")
@reports_errors
def requirements(scenario_path: str, forecast_path: str | None, output: str, overrides: tuple[str, ...]) -> None:
    """Required effective agents per queue and interval (live queues: Erlang C/A; deferred queues:
    deadline capacity and backlog), written as CSV."""
    import pandas as pd

    from scheduler import columns as C
    from scheduler.errors import StaffingError
    from scheduler.io.atomic import atomic_path
    from scheduler.pipeline import net_volume
    from scheduler.staffing import build_requirements

    sc = _load_scenario(scenario_path, overrides)
    if forecast_path:
        from scheduler.io.tables import read_forecast

        forecast = read_forecast(forecast_path)
    else:
        from scheduler.pipeline import load_inputs, run_forecast_stage

        forecast = run_forecast_stage(sc, load_inputs(sc, progress_echo)).frame
    progress_echo(f"computing requirements for {len(sc.queues)} queues")
    if forecast_path:
        have = set(pd.DatetimeIndex(forecast[C.DS]).normalize().date)
        missing = [d for d in sc.horizon.dates() if d not in have]
        if missing:
            progress_echo(f"warning: {forecast_path} has no rows on {len(missing)} of the scenario's {sc.horizon.days} "
                          f"horizon days ({', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''}): "
                          "no requirement is written for them")
    try:
        req = build_requirements(net_volume(forecast, sc), sc)
    except StaffingError as exc:
        if forecast_path:               # name the file the problem is in
            raise StaffingError(f"{forecast_path}: {exc}") from None
        raise
    table = req.table.copy()
    table[C.INTERVAL_START] = table[C.INTERVAL_START].dt.strftime(C.TIMESTAMP_FORMAT)
    with atomic_path(output) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    live = table[table["kind"] == "live"]
    click.echo(f"wrote {len(table)} rows to {output}; peak required (effective agents): "
               + ", ".join(f"{q} {v:g}" for q, v in table.groupby(C.QUEUE, sort=False)[C.REQUIRED].max().items()))
    if len(live):
        click.echo(f"service level definitions: {', '.join(sorted(set(live['sl_definition'])))}")


# ---- simulate ------------------------------------------------------------------------------------

@main.command()
@click.option("--scenario", "scenario_path", required=True, type=click.Path(dir_okay=False), help="Scenario YAML.")
@click.option("--roster", type=click.Path(), help="A run's assignments.csv (breaks.csv beside it), its folder, or a "
              "roster.xlsx (default: out/<scenario name>/assignments.csv).")
@click.option("--forecast", "forecast_path", type=click.Path(dir_okay=False),
              help="Forecast CSV (default: forecast.csv beside the roster, else the forecast is run).")
@click.option("--reps", type=click.IntRange(1, 1000), help="Replications (default: the scenario's simulation.reps).")
@click.option("--seed", type=int, help="Random seed (default: the scenario's simulation.seed).")
@click.option("--overflow-mode", type=click.Choice(["expand", "transfer"]),
              help="After overflow_after_s the overflow team joins the queue (expand) or takes it over (transfer); "
              "default: the scenario's simulation.overflow_mode.")
@click.option("--live-reserve", type=click.IntRange(0, 1000),
              help="Deferred work starts only while this many other agents stay idle on the agent's live queues "
              "(default: simulation.live_reserve).")
@click.option("--volume-uncertainty/--no-volume-uncertainty", default=None,
              help="Draw each day's volume from the forecast's 10-90 % interval (default: simulation.volume_uncertainty).")
@click.option("--routing", type=click.Choice(["plan", "dynamic"]),
              help="plan: agents serve the queues the plan gives them first (allocation.csv beside the roster); "
              "dynamic: team priority, longest-waiting first (default: simulation.routing).")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario key (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of tables.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write per interval/day/overall results to this CSV (and occupancy to <name>_teams.csv).")
@reports_errors
def simulate(scenario_path, roster, forecast_path, reps, seed, overflow_mode, live_reserve, volume_uncertainty,
             routing, overrides, as_json, output) -> None:
    """Simulate a roster against random arrivals: the service level it really gives.

    Discrete-event simulation (docs/simulation.md) of the shifts, breaks and shrinkage against
    Poisson arrivals following the forecast, with abandonment, overflow, chat concurrency and
    deferred work; results per queue with 95 % confidence intervals over replications.
    """
    from pathlib import Path

    from scheduler.simulate.cli_support import report_json, report_text, simulate_command, write_report

    sc = _load_scenario(scenario_path, overrides)
    result = simulate_command(sc, roster, forecast_path, reps=reps, seed=seed, overflow_mode=overflow_mode,
                              live_reserve=live_reserve, volume_uncertainty=volume_uncertainty, routing=routing,
                              progress=progress_echo)
    click.echo(report_json(result) if as_json else report_text(result))
    if output:
        for path in write_report(result, Path(output)):
            progress_echo(f"wrote {path}")
# ---- check / export (the roster workbook) ----------------------------------------------------------

@main.command()
@click.argument("roster", type=click.Path(dir_okay=False))
@click.option("-s", "--scenario", type=click.Path(dir_okay=False),
              help="The scenario the roster belongs to (default: the run's scenario.yaml beside ROSTER).")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario key (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write an annotated copy: problem cells highlighted, with comments.")
@click.option("--fail-on-service", is_flag=True, help="Also exit 1 when a queue misses its service-level target on a day.")
@click.option("--allocation", type=click.Path(dir_okay=False),
              help="The run's allocation.csv (how multi-skilled agents' time was split among queues); default: "
                   "allocation.csv beside ROSTER if there is one. 'none': each agent's time routed where it answers "
                   "most.")
@reports_errors
def check(roster: str, scenario: str | None, overrides: tuple[str, ...], as_json: bool, output: str | None,
          fail_on_service: bool, allocation: str | None) -> None:
    """Check a (supervisor-edited) ROSTER.xlsx: every labour rule, breaks, coverage, service level.

    Each problem is printed with its cell, e.g. "Roster!P12 (A017, 2026-11-11): D0700 after night shift
    L1600 on 2026-11-10 leaves 6 h rest, minimum 11 h". Exit 0 when no hard rule is broken, 1 otherwise.
    """
    from scheduler.check import check_workbook, load_agents, load_previous, report_json, report_lines, \
        write_annotated_workbook

    from pathlib import Path

    if scenario is None:
        beside = Path(roster).parent / "scenario.yaml"
        if not beside.is_file():
            raise click.UsageError(f"no --scenario given and no scenario.yaml beside {roster} (a run writes one into "
                                   "its folder): pass the scenario the roster belongs to with -s/--scenario")
        scenario = str(beside)
    sc = _load_scenario(scenario, overrides)
    agents = load_agents(sc)
    result = check_workbook(roster, sc, agents, previous=load_previous(sc), allocation=_allocation_for(roster, allocation),
                            allocation_looked_for=allocation is None)
    if output:
        write_annotated_workbook(result, output, sc, agents)
    click.echo(report_json(result) if as_json else "\n".join(report_lines(result)))
    if output and not as_json:
        click.echo(f"wrote the annotated copy to {output}")
    if not result.is_clean(service=fail_on_service):
        sys.exit(1)


def _allocation_for(roster: str, allocation: str | None):
    """The allocation ``check`` follows: the named file, else allocation.csv beside the roster, else none."""
    from pathlib import Path

    from scheduler.simulate.cli_support import read_allocation

    if allocation is not None and allocation.lower() == "none":
        return None
    path = Path(allocation) if allocation else Path(roster).parent / "allocation.csv"
    if allocation is None and not path.is_file():
        return None
    if not path.is_file():
        raise InputFileError("file not found", file=str(path))
    return read_allocation(path)


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("-s", "--scenario", type=click.Path(dir_okay=False),
              help="The scenario of the run (default: OUTDIR/scenario.yaml).")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario key (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Workbook to write (default OUTDIR/roster.xlsx).")
@reports_errors
def export(outdir: str, scenario: str | None, overrides: tuple[str, ...], output: str | None) -> None:
    """Rebuild roster.xlsx from a run's CSV outputs in OUTDIR (assignments, breaks, coverage, summary)."""
    from pathlib import Path

    from scheduler.check import export_run, load_agents

    path = Path(scenario) if scenario else Path(outdir) / "scenario.yaml"
    if not path.exists():
        raise click.ClickException(f"{path} not found; give the run's scenario with --scenario")
    sc = _load_scenario(str(path), overrides)
    written = export_run(outdir, sc, load_agents(sc), output)
    click.echo(f"wrote {written}")


# ---- bench ---------------------------------------------------------------------------------------

@main.group()
def bench() -> None:
    """Benchmarks against published instances (solutions re-scored by an independent checker)."""


@bench.command("curtois")
@click.argument("path", type=click.Path())
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds per instance (model building included).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="CP-SAT workers / pricing threads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the search.")
@click.option("--deterministic", is_flag=True, help="One worker, CP-SAT deterministic time: same seed, same roster.")
@click.option("--roster-dir", type=click.Path(file_okay=False), help="Also write each roster (ID,shift,...) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@reports_errors
def bench_curtois(path: str, time_limit_s: float, workers: int, seed: int, deterministic: bool,
                  roster_dir: str | None, as_json: bool) -> None:
    """Solve Curtois & Qu instances (PATH: an Instance*.txt file or their folder) with the roster rule engine.

    Prints objective, proven bound, status and time per instance, the best known value and the gap to
    it, and whether the independent scorer agrees (same objective, no hard rule broken). Exit 1 when it
    does not. An instance without any roster in the time limit is reported as NO_SOLUTION.
    """
    import json

    from scheduler.bench import run_curtois

    runs = run_curtois(path, time_limit_s=time_limit_s, workers=workers, seed=seed, deterministic=deterministic,
                       roster_dir=roster_dir, progress=progress_echo)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in runs], indent=2))
    else:
        click.echo(f"{'instance':<11} {'objective':>9} {'bound':>7} {'status':<8} {'time s':>6} {'best':>6} "
                   f"{'gap %':>6}  scorer")
        def cell(v, fmt=""):
            return "" if v is None else format(v, fmt)

        for r in runs:
            scorer = "–" if r.objective is None else "agrees" if r.valid else "DISAGREES: " + "; ".join(r.violations[:3])
            click.echo(f"{r.instance:<11} {cell(r.objective):>9} {cell(r.bound):>7} {r.status:<8} {r.wall_s:>6.1f} "
                       f"{cell(r.best_known):>6} {cell(r.gap_to_best_pct, '.1f'):>6}  {scorer}")
    if not all(r.valid for r in runs):
        sys.exit(1)
