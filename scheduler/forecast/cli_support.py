"""File in, file out for the ``forecast`` and ``backtest`` commands (the CLI stays thin)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import ForecastError
from scheduler.forecast.run import run_backtest, run_forecast
from scheduler.scenario import ForecastSettings


def _read(history_path: str, calendar_path: str | None):
    from scheduler.io.tables import read_calendar, read_history

    history = read_history(history_path)
    calendar = read_calendar(calendar_path) if calendar_path else None
    return history, calendar


def forecast_command(history_path: str, calendar_path: str | None, start: date, days: int, interval_min: int | None,
                     model: str, folds: int, timezone: str, output: str, plot_path: str | None) -> list[str]:
    """Read, forecast, write the CSV (and plot). Returns progress lines (warnings, choices)."""
    history, calendar = _read(history_path, calendar_path)
    settings = ForecastSettings(model=model, backtest_folds=folds)
    result = run_forecast(history, calendar, start=start, days=days, interval_min=interval_min,
                          settings=settings, timezone=timezone)
    frame = result.frame.copy()
    frame[C.DS] = frame[C.DS].dt.strftime(C.TIMESTAMP_FORMAT)
    for c in (C.VOLUME, C.VOLUME_LO, C.VOLUME_HI):
        frame[c] = frame[c].round(3)
    out = Path(output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
    except OSError as exc:
        raise ForecastError(f"{output}: cannot write the forecast ({exc.strerror})") from None
    lines = [f"warning: {w}" for w in result.warnings]
    lines += [f"{q}: model {m}" for q, m in result.models.items()]
    if plot_path:
        from scheduler.forecast.plot import plot_forecast

        plot_forecast(history, result.frame, plot_path)
        lines.append(f"wrote {plot_path}")
    lines.append(f"wrote {len(frame)} rows to {output}")
    return lines


def backtest_command(history_path: str, calendar_path: str | None, horizon_days: int, folds: int,
                     interval_min: int | None, models: list[str], timezone: str, as_json: bool) -> tuple[str, list[str]]:
    """Read, evaluate; returns (table or JSON text, warnings)."""
    history, calendar = _read(history_path, calendar_path)
    table, warnings = run_backtest(history, calendar, horizon_days=horizon_days, folds=folds, interval_min=interval_min,
                                   models=models or None, timezone=timezone)
    notes = [f"warning: {w}" for w in warnings]
    if as_json:
        records = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                   for r in table.to_dict(orient="records")]
        return json.dumps(records, indent=2), notes
    return format_metrics(table), notes


def format_metrics(table: pd.DataFrame) -> str:
    """Fixed-width table; ``*`` marks the model with the lowest overall MASE per queue."""
    best = {}
    overall = table[table["segment"] == "all"]
    for q, g in overall.groupby("queue"):
        g = g.dropna(subset=["mase"])
        if len(g):
            best[q] = g.loc[g["mase"].idxmin(), "model"]
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
    lines.append("* lowest overall MASE for the queue. MASE: interval errors / in-sample weekly seasonal-naive MAE; "
                 "_d: on day totals; cover80: actuals inside the 10-90 % interval.")
    return "\n".join(lines)
