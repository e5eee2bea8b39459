"""Shared helpers for benchmarks: machine description, timing, memory, result files.

Every benchmark module ``benchmarks/bench_<name>.py`` exposes ``run(mode: str) -> dict`` where mode
is ``"quick"`` (CI: minutes) or ``"full"``; the dict has ``title`` (str), ``tables`` (list of
``{"caption", "columns", "rows"}``), ``notes`` (list of str) and ``failures`` (list of str: invalid
solutions or wrong answers — never slowness). ``python -m benchmarks`` runs them, writes
``benchmarks/results/<name>.json`` and regenerates the matching section of BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RESULTS = Path(os.environ.get("SCHEDULER_BENCH_RESULTS", ROOT / "benchmarks" / "results"))  # tests write elsewhere


def shared(*parts: str) -> Path:
    """A path under ../shared (beside the repository); raises if absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"{p} not found: ../shared must sit beside the repository")
    return p


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """Where the figures were measured."""
    versions = {}
    for mod in ("numpy", "pandas", "statsmodels", "ortools", "openpyxl"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing optional module is just not reported
            pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_avg_1_5_15": [round(x, 2) for x in load],
        "versions": versions,
        "git": _git_rev(),
    }


def _git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


@contextmanager
def timer():
    """``with timer() as t: ...``; then ``t()`` is the elapsed wall time in seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"machine": machine(), **result}, indent=2, default=str) + "\n")
    os.replace(tmp, path)
    return path


def markdown_section(name: str, result: dict) -> str:
    """A BENCHMARKS.md section from a result dict."""
    m = result.get("machine") or machine()
    lines = [f"<!-- bench:{name} -->", f"## {result.get('title', name)}", ""]
    lines.append(
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
        + f"; load average {m.get('load_avg_1_5_15')}; mode `{result.get('mode', '?')}`; commit {m.get('git', '')}."
    )
    lines.append("")
    for table in result.get("tables", []):
        if table.get("caption"):
            lines += [f"**{table['caption']}**", ""]
        cols = table["columns"]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for row in table["rows"]:
            lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
        lines.append("")
    for note in result.get("notes", []):
        lines.append(f"- {note}")
    if result.get("failures"):
        lines.append("")
        lines.append("**Failures:** " + "; ".join(result["failures"]))
    lines += ["", f"<!-- /bench:{name} -->"]
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return "–" if v is None else str(v)


def update_benchmarks_md(name: str, result: dict, path: Path | None = None) -> None:
    """Replace (or append) the section of ``name`` in BENCHMARKS.md."""
    path = path or ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\nRegenerate with `python -m benchmarks --mode full`.\n"
    section = markdown_section(name, result)
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if start in text and end in text:
        a = text.index(start)
        b = text.index(end) + len(end)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
