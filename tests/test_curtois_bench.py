"""The benchmark suite end to end in quick mode (what CI runs), and the `scheduler bench curtois` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from benchmarks.__main__ import discover
from scheduler.cli import main

from conftest import ROOT, shared_path
from curtois_factory import make


def test_benchmark_suite_quick_mode_runs_clean(tmp_path):
    """``python -m benchmarks --mode quick --jobs 2``: every benchmark runs (two at a time, each in its own
    process), no invalid solution (exit 0), results as JSON (written to a temporary folder here, not over
    the committed ones)."""
    shared_path("benchmarks", "curtois-qu-nrp-1-24")
    # pyworkforce's separate environment is a benchmark-only install: the default suite runs the same work
    # whether or not a machine has it (with it, its comparisons added ~45 s and took CI to 9:33 of its 10 min)
    env = {**os.environ, "SCHEDULER_BENCH_RESULTS": str(tmp_path), "PYTHONPATH": str(ROOT),
           "SCHEDULER_BENCH_PYTHON": str(tmp_path / "no-pyworkforce" / "python")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--mode", "quick", "--jobs", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    curtois = json.loads((tmp_path / "curtois.json").read_text())
    assert [r["instance"] for r in curtois["runs"]] == ["Instance1", "Instance2", "Instance4"]
    assert all(r["scorer_agrees"] and not r["violations"] for r in curtois["runs"])
    assert curtois["runs"][0]["objective"] == 607
    assert (tmp_path / "pyworkforce.json").exists()
    assert any("pyworkforce comparison not run" in n for n in json.loads((tmp_path / "optimize.json").read_text())["notes"])
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(discover())
    assert proc.stdout.index("[optimize] running") < proc.stdout.index("[staffing] running")  # longest first


def test_bench_curtois_command(tmp_path):
    path = shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance1.txt")
    # deterministic: the proof of optimality does not depend on the machine's load
    r = CliRunner().invoke(main, ["bench", "curtois", str(path), "--time-limit", "10", "--deterministic", "--json",
                                  "--roster-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    (run,) = json.loads(r.output[r.output.index("["):])
    assert (run["instance"], run["objective"], run["bound"], run["status"]) == ("Instance1", 607, 607, "OPTIMAL")
    assert run["scorer_agrees"] and run["best_known"] == 607 and run["gap_to_best_pct"] == 0.0
    assert (tmp_path / "Instance1.roster.txt").read_text().count("\n") == 9


def test_bench_curtois_command_errors(tmp_path):
    r = CliRunner().invoke(main, ["bench", "curtois", str(tmp_path)])
    assert r.exit_code == 1 and f"Error: {tmp_path}: no Instance*.txt file in this folder" in r.output
    bad = tmp_path / "Instance9.txt"
    bad.write_text(make().replace("SECTION_HORIZON\n7", "SECTION_HORIZON\nseven"))
    r = CliRunner().invoke(main, ["bench", "curtois", str(bad)])
    assert r.exit_code == 1 and "row 3" in r.output and "'seven'" in r.output


def test_run_curtois_compiles_the_local_search_before_it_times_a_solve(monkeypatch):
    """The numba loop is compiled (10-16 s after a change of curtois_ls.py) before the first solve is timed,
    not inside the first instance that reaches the local search."""
    import scheduler.bench as bench

    calls = []
    solve = bench.solve_curtois
    monkeypatch.setattr(bench, "warm_up_local_search", lambda: calls.append("warm-up") or 0.0)
    monkeypatch.setattr(bench, "solve_curtois", lambda inst, **kw: calls.append("solve") or solve(inst, **kw))
    path = shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance1.txt")
    (run,) = bench.run_curtois(path, time_limit_s=10, deterministic=True)
    assert calls == ["warm-up", "solve"] and run.objective == 607


def test_warm_up_local_search_runs_the_compiled_loop():
    from scheduler.bench import warm_up_local_search

    assert warm_up_local_search() >= 0.0


def test_bench_curtois_json_is_the_only_output_on_stdout():
    """HiGHS prints its banner from C++ on file descriptor 1 when a process first constructs a solver (column
    generation does on Instance3); ``--json`` output must still parse. CliRunner only sees Python's
    ``sys.stdout``, so this runs the command in a process of its own."""
    path = shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance3.txt")
    proc = subprocess.run([sys.executable, "-m", "scheduler", "-q", "bench", "curtois", str(path),
                           "--time-limit", "3", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    (run,) = json.loads(proc.stdout)
    assert run["instance"] == "Instance3" and run["scorer_agrees"]
    assert "HiGHS" not in proc.stdout


def test_a_highs_solver_is_built_without_a_standard_output():
    """A process without descriptor 1 (a daemon) still gets its solver: nothing to keep the banner from."""
    code = ("import os, sys\nos.close(1)\nfrom scheduler.optimize.highs import new_highs\n"
            "h = new_highs(threads=1)\nsys.stderr.write(str(h.getOptionValue('threads')[1]))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and proc.stderr.strip().endswith("1"), proc.stderr[-2000:]
