"""File in, file out for the ``forecast`` and ``backtest`` commands (the CLI stays thin)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.io.atomic import atomic_path
from scheduler.forecast.run import run_backtest, run_forecast
from scheduler.scenario import ForecastSettings


def _read(history_path: str, calendar_path: str | None):
    from scheduler.io.tables import read_calendar, read_history

    history = read_history(history_path)
    calendar = read_calendar(calendar_path) if calendar_path else None
    return history, calendar


def read_regressors(path: str) -> pd.DataFrame:
    """Daily regressors: ``ds`` (a date), optional ``queue`` (empty = every queue), and one numeric
    column per regressor. Every problem is reported with file, row and column."""
    from scheduler.errors import ProblemCollector
    from scheduler.io.tables import read_raw_table, require_columns

    raw = read_raw_table(path, what="regressors")
    require_columns(raw, (C.DS,), (C.QUEUE,), what="regressors")
    out = ProblemCollector(raw.file)
    f = raw.frame
    text = f[C.DS].str.strip().str.replace(r" 00:00(:00)?$", "", regex=True)
    ds = pd.to_datetime(text, format=C.DATE_FORMAT, errors="coerce")
    names = [c for c in f.columns if c not in (C.DS, C.QUEUE)]
    if not names:
        out.add("no regressor columns", row=1, expected="ds[, queue] and one numeric column per regressor")
    values = {}
    for i in np.flatnonzero(ds.isna().to_numpy())[:20]:
        out.add("not a date", value=f[C.DS].iat[i], expected="'YYYY-MM-DD'", **_where(raw, i, C.DS))
    for c in names:
        x = pd.to_numeric(f[c].str.strip(), errors="coerce")
        for i in np.flatnonzero(~np.isfinite(x.fillna(np.nan).to_numpy(dtype=float)))[:20]:
            out.add("not a number", value=f[c].iat[i], expected="a finite number", **_where(raw, i, c))
        values[c] = x.astype(float)
    out.raise_if_any()
    frame = pd.DataFrame({C.DS: ds, **values})
    if C.QUEUE in f.columns:
        frame.insert(1, C.QUEUE, f[C.QUEUE].str.strip())
    return frame


def _where(raw, i: int, column: str) -> dict:
    return {k: v for k, v in raw.where(i, column).items() if k != "file"}


def forecast_command(history_path: str, calendar_path: str | None, start: date, days: int, interval_min: int | None,
                     model: str, folds: int, timezone: str, output: str, plot_path: str | None,
                     regressors_path: str | None = None) -> list[str]:
    """Read, forecast, write the CSV (and plot). Returns progress lines (warnings, choices)."""
    history, calendar = _read(history_path, calendar_path)
    regressors = read_regressors(regressors_path) if regressors_path else None
    settings = ForecastSettings(model=model, backtest_folds=folds)
    result = run_forecast(history, calendar, start=start, days=days, interval_min=interval_min,
                          settings=settings, timezone=timezone, regressors=regressors)
    frame = result.frame.copy()
    frame[C.DS] = frame[C.DS].dt.strftime(C.TIMESTAMP_FORMAT)
    for c in (C.VOLUME, C.VOLUME_LO, C.VOLUME_HI):
        frame[c] = frame[c].round(3)
    with atomic_path(output) as tmp:
        frame.to_csv(tmp, index=False)
    lines = [f"warning: {w}" for w in result.warnings]
    lines += [f"{q}: model {m}" for q, m in result.models.items()]
    if plot_path:
        from scheduler.forecast.plot import plot_forecast

        plot_forecast(history, result.frame, plot_path)
        lines.append(f"wrote {plot_path}")
    lines.append(f"wrote {len(frame)} rows to {output}")
    return lines


def backtest_command(history_path: str, calendar_path: str | None, horizon_days: int, folds: int,
                     interval_min: int | None, models: list[str], timezone: str, as_json: bool,
                     regressors_path: str | None = None) -> tuple[str, list[str]]:
    """Read, evaluate; returns (table or JSON text, warnings)."""
    history, calendar = _read(history_path, calendar_path)
    regressors = read_regressors(regressors_path) if regressors_path else None
    table, warnings = run_backtest(history, calendar, horizon_days=horizon_days, folds=folds, interval_min=interval_min,
                                   models=models or None, timezone=timezone, regressors=regressors)
    notes = [f"warning: {w}" for w in warnings]
    if as_json:
        records = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                   for r in table.to_dict(orient="records")]
        return json.dumps(records, indent=2), notes
    return format_metrics(table), notes


def format_metrics(table: pd.DataFrame) -> str:
    """Fixed-width table; ``*`` marks the model ``auto`` picks per queue (least daily error)."""
    best = {}
    overall = table[table["segment"] == "all"]
    for q, g in overall.groupby("queue"):
        g = g.dropna(subset=["mase_daily"])
        if len(g):
            best[q] = g.loc[g["mase_daily"].idxmin(), "model"]
    head = f"{'queue':<18} {'model':<21} {'segment':<10} {'days':>5} {'MASE':>7} {'WAPE':>7} {'bias':>7} {'RMSE':>9} {'cover80':>8} {'MASE_d':>7} {'WAPE_d':>7}"
    lines = [head, "-" * len(head)]

    def f(v, pct=False, width=7, digits=3):
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return f"{'-':>{width}}"
        return f"{v:>{width}.1%}" if pct else f"{v:>{width}.{digits}f}"

    for r in table.itertuples(index=False):
        mark = "*" if best.get(r.queue) == r.model and r.segment == "all" else " "
        lines.append(
            f"{r.queue:<18} {r.model + mark:<21} {r.segment:<10} {r.days:>5} {f(r.mase)} {f(r.wape, True)} "
            f"{f(r.bias, True)} {f(r.rmse, width=9, digits=2)} {f(r.coverage, True, 8)} {f(r.mase_daily)} {f(r.wape_daily, True)}"
        )
    lines.append("* the model auto picks (least error of day totals). MASE: interval errors / in-sample weekly "
                 "seasonal-naive MAE; _d: on day totals; cover80: actuals inside the 10-90 % interval.")
    return "\n".join(lines)
