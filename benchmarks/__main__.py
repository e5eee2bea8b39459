"""Run the benchmark suite.

    python -m benchmarks                 # quick mode, every benchmark (CI runs this)
    python -m benchmarks --mode full     # the figures reported in BENCHMARKS.md
    python -m benchmarks --only staffing --only optimize

Writes benchmarks/results/<name>.json and regenerates the benchmark's section in BENCHMARKS.md
(with --update-md, the default in full mode). Exits 1 if any benchmark reports a failure (an
invalid solution or a wrong answer) — never because of time.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback

from benchmarks.common import ROOT, update_benchmarks_md, write_result


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
    args = p.parse_args(argv)
    names = discover()
    unknown = [n for n in args.only if n not in names]
    if unknown:
        p.error(f"unknown benchmark(s) {unknown}; available: {', '.join(names)}")
    update_md = args.update_md if args.update_md is not None else args.mode == "full"
    failures: list[str] = []
    for name in args.only or names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        if not hasattr(mod, "run"):
            print(f"[{name}] skipped: no run(mode) function", flush=True)
            continue
        print(f"[{name}] running ({args.mode})", flush=True)
        t0 = time.perf_counter()
        try:
            result = mod.run(args.mode)
        except Exception:  # noqa: BLE001 - report and keep going with the other benchmarks
            traceback.print_exc()
            failures.append(f"{name}: crashed")
            continue
        result.setdefault("mode", args.mode)
        path = write_result(name, result)
        if update_md:
            update_benchmarks_md(name, {**result, "machine": None})
        for f in result.get("failures", []):
            failures.append(f"{name}: {f}")
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    if failures:
        print("FAILURES:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
