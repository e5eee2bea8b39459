"""Run the benchmark suite.

    python -m benchmarks                 # quick mode, every benchmark (CI runs this)
    python -m benchmarks --mode full     # the figures reported in BENCHMARKS.md
    python -m benchmarks --only staffing --only optimize
    python -m benchmarks --jobs 2        # two benchmarks at a time, each in its own process (CI)

Writes benchmarks/results/<name>.json and regenerates the benchmark's section in BENCHMARKS.md
(with --update-md, the default in full mode). Exits 1 if any benchmark reports a failure (an
invalid solution or a wrong answer) — never because of time. With --jobs N > 1 the benchmarks run
side by side (longest first, by each module's ``EXPECTED_S``) and slow each other down: fine for
the validity checks of quick mode, not for the figures of full mode (run those one at a time).
"""

from __future__ import annotations

import argparse
import subprocess
from concurrent.futures import ThreadPoolExecutor
import importlib
import json
import pkgutil
import sys
import time
import traceback

from benchmarks.common import RESULTS, ROOT, update_benchmarks_md, write_result


def discover() -> list[str]:
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(ROOT / "benchmarks")])
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("quick", "full"), default="quick")
    p.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    p.add_argument("--update-md", action=argparse.BooleanOptionalAction, default=None,
                   help="rewrite BENCHMARKS.md sections (default: yes in full mode, no in quick mode)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="run up to N benchmarks at once, each in its own process (default 1)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    names = discover()
    unknown = [n for n in args.only if n not in names]
    if unknown:
        p.error(f"unknown benchmark(s) {unknown}; available: {', '.join(names)}")
    update_md = args.update_md if args.update_md is not None else args.mode == "full"
    chosen = args.only or names
    if args.jobs > 1 and len(chosen) > 1:
        failures = _run_side_by_side(chosen, args.mode, args.jobs, update_md)
    else:
        failures = [f for name in chosen for f in _run_one(name, args.mode, update_md)]
    if failures:
        print("FAILURES:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def _run_one(name: str, mode: str, update_md: bool) -> list[str]:
    """Run one benchmark in this process; its failures, each prefixed with its name."""
    mod = importlib.import_module(f"benchmarks.bench_{name}")
    if not hasattr(mod, "run"):
        print(f"[{name}] skipped: no run(mode) function", flush=True)
        return []
    print(f"[{name}] running ({mode})", flush=True)
    t0 = time.perf_counter()
    try:
        result = mod.run(mode)
    except Exception:  # noqa: BLE001 - report and keep going with the other benchmarks
        traceback.print_exc()
        return [f"{name}: crashed"]
    result.setdefault("mode", mode)
    path = write_result(name, result)
    if update_md:
        update_benchmarks_md(name, {**result, "machine": None})
    print(f"[{name}] done in {time.perf_counter() - t0:.1f} s -> "
          f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return [f"{name}: {f}" for f in result.get("failures", [])]


def _expected_s(name: str, mode: str) -> float:
    """A benchmark's rough duration in seconds (its module's ``EXPECTED_S[mode]``, 0 if absent)."""
    return getattr(importlib.import_module(f"benchmarks.bench_{name}"), "EXPECTED_S", {}).get(mode, 0.0)


def _run_side_by_side(names: list[str], mode: str, jobs: int, update_md: bool) -> list[str]:
    """Run each benchmark as ``python -m benchmarks --only NAME`` in its own process, ``jobs`` at a time,
    longest first; print each one's output when it ends. BENCHMARKS.md is rewritten here, one section after
    another, from the results the children wrote (never by two processes at once)."""
    order = sorted(names, key=lambda n: -_expected_s(n, mode))

    def child(name: str) -> tuple[str, subprocess.CompletedProcess]:
        cmd = [sys.executable, "-m", "benchmarks", "--mode", mode, "--only", name, "--no-update-md"]
        return name, subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, proc in pool.map(child, order):
            sys.stdout.write(proc.stdout)
            sys.stderr.write(proc.stderr)
            sys.stdout.flush()
            if proc.returncode != 0:
                _, marker, listed = proc.stderr.rpartition("FAILURES:\n")
                lines = [ln.strip() for ln in listed.splitlines() if ln.startswith("  ")] if marker else []
                failures += lines or [f"{name}: exit code {proc.returncode}"]
            elif update_md:
                result = json.loads((RESULTS / f"{name}.json").read_text())
                update_benchmarks_md(name, {**result, "machine": None})
    return failures


if __name__ == "__main__":
    sys.exit(main())
