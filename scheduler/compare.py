"""Compare plans side by side: one column per scenario, a per-day sheet, plots and a report.

Each plan is run with :func:`scheduler.pipeline.run_scenario` (several in parallel processes) or,
with ``reuse``, read back from an existing output folder made from the same resolved scenario and newer
than the scenario and data files. Every figure of the comparison is read from the plan's own output files
(``summary.json``, ``coverage.csv``), so the comparison and the plans always agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import SchedulerError
from scheduler.scenario import Scenario, load_scenario

Progress = Callable[[str], None]


@dataclass
class PlanOutputs:
    """What ``compare`` reads back of one plan."""

    name: str
    outdir: Path
    scenario: Scenario
    summary: dict
    coverage: pd.DataFrame


# ------------------------------------------------------------------------------------------------
# running


def _run_one(path: str, overrides: tuple[str, ...], outdir: str, simulate: bool | None) -> list[str]:
    """Worker: run one scenario and write its files. Returns what writing them said (files of an earlier run
    removed)."""
    from scheduler.pipeline import run_scenario, write_plan

    sc = load_scenario(path, overrides)
    plan = run_scenario(sc, simulate=simulate)
    said: list[str] = []
    write_plan(plan, outdir, said.append)
    return said


def _is_fresh(outdir: Path, scenario_path: Path, scenario: Scenario) -> bool:
    """A plan in ``outdir`` can be reused when it was made from this very scenario (the resolved
    scenario.yaml it wrote equals ``scenario``, ``--set`` overrides included) and is newer than the
    scenario file and every data file it read."""
    import yaml

    from scheduler.scenario import scenario_to_dict

    summary = outdir / "summary.json"
    if not summary.exists() or not (outdir / "coverage.csv").exists() or not (outdir / "scenario.yaml").exists():
        return False
    try:
        stored = yaml.safe_load((outdir / "scenario.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if stored != scenario_to_dict(scenario):
        return False
    made = summary.stat().st_mtime
    inputs = [scenario_path] + [Path(f.path) for f in (scenario.data.history, scenario.data.calendar,
                                                        scenario.data.agents, scenario.data.previous_roster) if f]
    return all(made >= p.stat().st_mtime for p in inputs if p.exists())


def run_plans(scenario_paths: list[str], outdir: Path, *, overrides: tuple[str, ...] = (), reuse: bool = True,
              jobs: int | None = None, simulate: bool | None = None, progress: Progress = lambda _: None) -> list[PlanOutputs]:
    """Run (or reuse) each scenario into ``outdir/<name>/`` and read the outputs back, in input order."""
    from scheduler.io.atomic import check_output_folder
    from scheduler.pipeline import check_outdir

    scenarios = [load_scenario(p, overrides) for p in scenario_paths]
    names = [s.name for s in scenarios]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SchedulerError(f"two scenarios share the name {sorted(dupes)[0]!r}; names must differ to compare them")
    todo = []
    for path, sc in zip(scenario_paths, scenarios):
        plan_dir = outdir / sc.name
        if reuse and _is_fresh(plan_dir, Path(path), sc):
            progress(f"{sc.name}: reusing {plan_dir}/")
        else:
            todo.append((path, sc, plan_dir))
    # before any plan is run: the comparison's folder and each plan's folder can be written
    check_output_folder(outdir)
    for _, _, plan_dir in todo:
        for warning in check_outdir(plan_dir):
            progress(f"warning: {warning}")
    if todo:
        # each CP-SAT solve already uses several threads; run as many plans at once as there are cores
        jobs = jobs or max(1, min(len(todo), os.cpu_count() or 1))
        if jobs == 1 or len(todo) == 1:
            for path, sc, plan_dir in todo:
                progress(f"{sc.name}: running")
                for line in _run_one(path, overrides, str(plan_dir), simulate):
                    progress(f"{sc.name}: {line}")
                progress(f"{sc.name}: done")
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(_run_one, path, overrides, str(plan_dir), simulate): sc.name
                           for path, sc, plan_dir in todo}
                progress(f"running {len(todo)} plans in {jobs} processes: {', '.join(futures.values())}")
                for fut in as_completed(futures):
                    for line in fut.result():
                        progress(f"{futures[fut]}: {line}")
                    progress(f"{futures[fut]}: done")
    return [read_plan_outputs(outdir / sc.name, sc) for sc in scenarios]


def read_plan_outputs(plan_dir: Path, scenario: Scenario) -> PlanOutputs:
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
        coverage = pd.read_csv(plan_dir / "coverage.csv", parse_dates=[C.INTERVAL_START])
    except FileNotFoundError as exc:
        raise SchedulerError(f"{plan_dir}: missing {Path(exc.filename).name}; run the scenario first") from None
    return PlanOutputs(name=scenario.name, outdir=plan_dir, scenario=scenario, summary=summary, coverage=coverage)


# ------------------------------------------------------------------------------------------------
# figures


def _live_targets(sc: Scenario) -> dict[str, float]:
    return {q: spec.sla.target for q, spec in sc.queues.items() if spec.is_live}


def daily_service_levels(p: PlanOutputs) -> pd.DataFrame:
    """Per day and live queue: expected (and simulated) SL from summary.json, with the target."""
    targets = _live_targets(p.scenario)
    rows = []
    for day, queues in p.summary.get("service_level_by_day", {}).items():
        for q, v in queues.items():
            if q in targets:
                rows.append({"plan": p.name, "date": pd.Timestamp(day), "queue": q, "target": targets[q],
                             "expected": v.get("expected"), "simulated": v.get("simulated")})
    return pd.DataFrame(rows, columns=["plan", "date", "queue", "target", "expected", "simulated"])


def intervals_below_target(p: PlanOutputs) -> int:
    targets = _live_targets(p.scenario)
    cov = p.coverage
    live = cov[cov[C.QUEUE_OR_GROUP].isin(targets) & (cov[C.FORECAST_VOLUME] > 0)]
    t = live[C.QUEUE_OR_GROUP].map(targets)
    return int((live[C.SERVICE_LEVEL] < t - 1e-9).sum())


def plan_metrics(p: PlanOutputs) -> dict[str, float | int | str | None]:
    """The comparison column of one plan (every figure read from its outputs)."""
    s = p.summary
    daily = daily_service_levels(p)
    days_below = 0
    worst = None
    worst_sim = None
    if len(daily):
        below = daily[daily["expected"].notna() & (daily["expected"] < daily["target"] - 1e-9)]
        days_below = int(below["date"].nunique())
        worst = float(daily["expected"].min())
        if daily["simulated"].notna().any():
            worst_sim = float(daily["simulated"].min())
    vol_sl = _overall_sl(daily, p, "expected")
    sim_sl = _overall_sl(daily, p, "simulated")
    out: dict[str, float | int | str | None] = {"solver status": s["solver"]["status"],
                                                "gap": s["solver"].get("gap")}
    for team, h in s["paid_hours_by_team"].items():
        out[f"paid hours {team}"] = h
    out["paid hours total"] = sum(s["paid_hours_by_team"].values())
    for team, c in s["cost_by_team"].items():
        out[f"cost {team}"] = c
    out["cost total"] = s["total_cost"]
    out["overflow hours"] = s.get("overflow_hours", 0.0)
    out["overflow cost"] = s["cost_by_team"].get("overflow", 0.0)
    out["overtime hours"] = s.get("overtime_hours", 0.0)
    out["agents used"] = s.get("agents_used")
    out["days below SLA"] = days_below
    out["intervals below SLA"] = intervals_below_target(p)
    out["worst day SL (expected)"] = worst
    out["worst day SL (simulated)"] = worst_sim
    out["SL over horizon (expected)"] = vol_sl
    out["SL over horizon (simulated)"] = sim_sl
    overall = {r.get("queue"): r for r in ((s.get("simulation") or {}).get("overall") or [])}
    for q, spec in p.scenario.queues.items():
        if spec.sla.is_deferred:
            share = (overall.get(q) or {}).get("past_deadline_share")
            out[f"{q} past {spec.sla.resolve_within_h:g} h deadline (simulated)"] = share
    out["hard violations"] = s.get("hard_violations")
    return out


def _overall_sl(daily: pd.DataFrame, p: PlanOutputs, col: str) -> float | None:
    """Volume-weighted SL over the horizon and all live queues (volume from coverage)."""
    if daily.empty or daily[col].isna().all():
        return None
    cov = p.coverage
    cov = cov.assign(date=cov[C.INTERVAL_START].dt.normalize())
    vol = cov.groupby(["date", C.QUEUE_OR_GROUP])[C.FORECAST_VOLUME].sum().rename("volume").reset_index()
    m = daily.merge(vol, left_on=["date", "queue"], right_on=["date", C.QUEUE_OR_GROUP], how="left")
    m = m[m[col].notna() & (m["volume"] > 0)]
    if m.empty:
        return None
    return float((m[col] * m["volume"]).sum() / m["volume"].sum())


def comparison_table(plans: list[PlanOutputs]) -> pd.DataFrame:
    """Rows = metrics, columns = plans (first plan first)."""
    cols = {p.name: plan_metrics(p) for p in plans}
    return pd.DataFrame(cols)


# ------------------------------------------------------------------------------------------------
# outputs


def write_comparison(plans: list[PlanOutputs], outdir: Path) -> list[Path]:
    """Write comparison.xlsx, the plots and report.md into ``outdir`` (atomically); returns the paths."""
    from scheduler.io.atomic import AtomicWriter

    table = comparison_table(plans)
    daily = pd.concat([daily_service_levels(p) for p in plans], ignore_index=True)
    w = AtomicWriter(outdir)
    try:
        _write_workbook(w.path_for("comparison.xlsx"), table, daily, plans)
        pngs = {
            "required_vs_scheduled.png": plot_required_vs_scheduled,
            "daily_service_level.png": plot_daily_service_level,
            "cost_breakdown.png": plot_cost_breakdown,
        }
        for name, fn in pngs.items():
            fn(plans, w.path_for(name))
        w.write_text("report.md", _report_markdown(table, plans, list(pngs)))
    except OSError as exc:
        w.abort()
        raise w.write_error(exc) from None
    except BaseException:
        w.abort()
        raise
    return w.commit()


def _write_workbook(path: Path, table: pd.DataFrame, daily: pd.DataFrame, plans: list[PlanOutputs]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Comparison"
    bold = Font(bold=True)
    worse = PatternFill("solid", fgColor="F8CBAD")
    better = PatternFill("solid", fgColor="C6EFCE")
    ws.append(["metric", *table.columns])
    for c in ws[1]:
        c.font = bold
    # lower is better for these; higher is better for SL rows
    higher_better = ("SL",)
    for metric, row in table.iterrows():
        values = [_cell(v) for v in row.tolist()]
        ws.append([metric, *values])
        r = ws.max_row
        base = values[0]
        for j, v in enumerate(values[1:], start=3):
            if isinstance(base, (int, float)) and isinstance(v, (int, float)) and not np.isclose(v, base, rtol=1e-9, atol=1e-9):
                up = v > base
                good = up if any(k in metric for k in higher_better) else not up
                ws.cell(row=r, column=j).fill = better if good else worse
        for j in range(2, 2 + len(values)):
            cell = ws.cell(row=r, column=j)
            if isinstance(cell.value, float):
                cell.number_format = "0.0%" if _is_share(metric) else "#,##0.0"
    ws.column_dimensions["A"].width = 30
    for j in range(len(table.columns)):
        ws.column_dimensions[get_column_letter(j + 2)].width = 24
    ws.freeze_panes = "B2"
    ws.cell(row=ws.max_row + 2, column=1, value="Cells differing from the first plan: green = better, red = worse.")

    ws2 = wb.create_sheet("Per day")
    cols = ["date", "queue", "target"] + [f"{p.name} {k}" for p in plans for k in ("expected", "simulated")]
    ws2.append(cols)
    for c in ws2[1]:
        c.font = bold
    if len(daily):
        # one row per (date, queue) that some plan has (a pivot_table with dropna=False would cross every level)
        wide = (daily.groupby(["date", "queue", "target", "plan"], sort=True)[["expected", "simulated"]].first()
                .unstack("plan"))
        for (day, q, target), vals in wide.iterrows():
            row = [day.date(), q, target]
            for p in plans:
                for k in ("expected", "simulated"):
                    v = vals.get((k, p.name), np.nan)
                    row.append(None if pd.isna(v) else float(v))
            ws2.append(row)
            r = ws2.max_row
            ws2.cell(row=r, column=1).number_format = "yyyy-mm-dd"
            for j in range(3, len(row) + 1):
                cell = ws2.cell(row=r, column=j)
                cell.number_format = "0.0%"
                if j > 3 and isinstance(cell.value, float) and cell.value < target - 1e-9:
                    cell.fill = worse
    ws2.freeze_panes = "D2"
    ws2.column_dimensions["A"].width = 12
    ws2.column_dimensions["B"].width = 18
    wb.save(path)


def _cell(v):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def _peak_window(plans: list[PlanOutputs]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The peak week of the first plan, for the required-vs-scheduled plot: the same Monday-Sunday week the
    workbook's Coverage sheet shows (:func:`scheduler.io.excel.peak_week`; before, the peak day ± 3 days, so
    the plot and the workbook showed different weeks)."""
    from scheduler.io.excel import peak_week

    cov = plans[0].coverage
    days = peak_week(cov)
    if not days:
        t = cov[C.INTERVAL_START].min()
        return t, t + pd.Timedelta(days=7)
    return pd.Timestamp(days[0]), pd.Timestamp(days[-1]) + pd.Timedelta(days=1)


def plot_required_vs_scheduled(plans: list[PlanOutputs], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    start, end = _peak_window(plans)
    fig, axes = plt.subplots(len(plans), 1, figsize=(12, 3.2 * len(plans)), sharex=True, squeeze=False)
    for ax, p in zip(axes[:, 0], plans):
        cov = p.coverage
        cov = cov[(cov[C.INTERVAL_START] >= start) & (cov[C.INTERVAL_START] < end)]
        live = [q for q, s in p.scenario.queues.items() if s.is_live]
        g = cov[cov[C.QUEUE_OR_GROUP].isin(live)].groupby(C.INTERVAL_START)[[C.REQUIRED, C.SCHEDULED]].sum()
        ax.fill_between(g.index, g[C.REQUIRED], step="post", alpha=0.3, label="required (live queues)")
        ax.step(g.index, g[C.SCHEDULED], where="post", lw=1.2, label="scheduled (on shift, not on break)")
        ax.set_title(f"{p.name}: required vs scheduled, live queues, peak week")
        ax.set_ylabel("effective agents")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    days = max(1, (end - start).days)
    axes[-1, 0].xaxis.set_major_locator(mdates.DayLocator(interval=max(1, days // 10)))
    axes[-1, 0].xaxis.set_minor_locator(mdates.HourLocator(byhour=(6, 12, 18)))
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))
    axes[-1, 0].set_xlabel("local time (major ticks: midnight; minor: 06:00, 12:00, 18:00)")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_daily_service_level(plans: list[PlanOutputs], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    queues = [q for q, s in plans[0].scenario.queues.items() if s.is_live]
    daily = [daily_service_levels(p) for p in plans]
    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 3 * len(queues)), sharex=True, squeeze=False)
    for ax, q in zip(axes[:, 0], queues):
        target = None
        for p, d in zip(plans, daily):
            d = d[d["queue"] == q].sort_values("date")
            if d.empty:
                continue
            target = d["target"].iloc[0]
            line, = ax.plot(d["date"], 100 * d["expected"], marker="o", ms=3, label=f"{p.name} expected")
            if d["simulated"].notna().any():
                ax.plot(d["date"], 100 * d["simulated"], ls="--", color=line.get_color(), label=f"{p.name} simulated")
        if target is not None:
            ax.axhline(100 * target, color="k", lw=0.8, ls=":", label=f"target {100 * target:.0f} %")
        ax.set_ylabel("service level, %")
        ax.set_title(f"{q}: daily service level ({plans[0].scenario.queues[q].sla.definition} basis, "
                     f"answered within {plans[0].scenario.queues[q].sla.answer_within_s:g} s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=3)
    ndays = max((d["date"].nunique() for d in daily), default=1)
    days = pd.to_datetime(pd.concat([d["date"] for d in daily])) if daily else pd.Series(dtype="datetime64[ns]")
    if len(days):   # explicit limits: one day alone autoscaled to a span whose day ticks took ~27 s to lay out
        axes[-1, 0].set_xlim(days.min() - pd.Timedelta(hours=12), days.max() + pd.Timedelta(hours=12))
    axes[-1, 0].xaxis.set_major_locator(mdates.DayLocator(interval=max(1, -(-ndays // 14))))
    axes[-1, 0].xaxis.set_minor_locator(mdates.DayLocator())
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))
    axes[-1, 0].set_xlabel("day")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_cost_breakdown(plans: list[PlanOutputs], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    teams = list(plans[0].summary["cost_by_team"])
    fig, ax = plt.subplots(figsize=(max(6, 2.2 * len(plans)), 4.5))
    bottom = np.zeros(len(plans))
    x = np.arange(len(plans))
    for team in teams:
        vals = np.array([p.summary["cost_by_team"].get(team, 0.0) for p in plans]) / 1000.0
        ax.bar(x, vals, bottom=bottom, label=team)
        bottom += vals
    for xi, total in zip(x, bottom):
        ax.text(xi, total, f"{total:,.0f}k", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [p.name for p in plans], rotation=15, ha="right")
    ax.set_ylabel("labour cost over the horizon, thousands")
    ax.set_title("Cost by team")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _is_share(metric: str) -> bool:
    return "SL" in metric or metric == "gap" or "deadline" in metric


def _fmt(v, metric: str = "") -> str:
    """A comparison figure as text: shares (SL, gap) in per cent, hours and money with one decimal."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, float):
        if _is_share(metric):
            return f"{100 * v:.1f} %"
        return "0" if v == 0 else f"{v:,.1f}"
    return str(v)


def format_table(table: pd.DataFrame) -> str:
    """Plain-text table for stdout."""
    width0 = max(len(str(i)) for i in table.index) + 2
    widths = [max(len(str(c)), *(len(_fmt(v, m)) for m, v in table[c].items())) + 2 for c in table.columns]
    lines = ["metric".ljust(width0) + "".join(str(c).rjust(w) for c, w in zip(table.columns, widths))]
    for metric, row in table.iterrows():
        lines.append(str(metric).ljust(width0) + "".join(_fmt(v, metric).rjust(w) for v, w in zip(row.tolist(), widths)))
    return "\n".join(lines)


def _report_markdown(table: pd.DataFrame, plans: list[PlanOutputs], pngs: list[str]) -> str:
    lines = ["# Plan comparison", ""]
    for p in plans:
        h = p.summary["horizon"]
        lines.append(f"- **{p.name}** — {p.scenario.description or ''} ({h['start']} to {h['end']}; outputs in `{p.outdir}`)")
    lines += ["", "| metric | " + " | ".join(table.columns) + " |", "|---|" + "---:|" * len(table.columns)]
    for metric, row in table.iterrows():
        lines.append(f"| {metric} | " + " | ".join(_fmt(v, metric) for v in row.tolist()) + " |")
    lines += ["", "Service levels are on the offered basis (answered within target ÷ all arrivals).", ""]
    titles = {
        "required_vs_scheduled.png": "Required vs scheduled effective agents in the peak week",
        "daily_service_level.png": "Daily service level per live queue (expected and simulated)",
        "cost_breakdown.png": "Labour cost by team",
    }
    for name in pngs:
        lines += [f"## {titles.get(name, name)}", "", f"![{titles.get(name, name)}]({name})", ""]
    return "\n".join(lines)
