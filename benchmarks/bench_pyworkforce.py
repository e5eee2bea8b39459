"""pyworkforce side by side: identical inputs through pyworkforce 0.5.1 and through this project.

pyworkforce is a benchmark-only dependency: it runs in a subprocess of ``SCHEDULER_BENCH_PYTHON``
(default /work/venv-bench/bin/python, a venv made with ``--system-site-packages`` and
``pip install pyworkforce``). When that interpreter or pyworkforce is missing, each comparison is
skipped with a note and only this project's side is run, so ``python -m benchmarks`` works anywhere.

1. Erlang C requirements (speed, agreement) are compared in ``bench_staffing`` (BENCHMARKS.md,
   "Staffing"); not repeated here.
2. Shift counts: ``MinRequiredResources`` and ``MinAbsDifference`` against ``solve_roster`` (per-interval
   hard mode: every interval gets its required agents) on the same shift set and requirements (one
   voice queue, 15-minute intervals, 8-hour shifts starting 06:00–16:00 every hour, Erlang C
   requirements from ``staffing.build_requirements``): shifts, paid hours, under/over agent-intervals,
   time. pyworkforce counts shifts only; this project names the agents under the labour rules.
3. Rostering: ``MinHoursRoster`` against the rule engine (``solve_curtois`` on the same problem written
   as a Curtois & Qu instance) with a night-to-morning rest rule. Both rosters are scored by the
   independent checker (``check_curtois``).
4. Two skills: pyworkforce has no skills, so a multi-skilled centre runs one roster per skill and an
   agent with both skills appears in both — counted for two queues at once.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_staffing import BENCH_PYTHON
from benchmarks.common import ROOT, machine

SHIFTS_SCRIPT = r"""
import json, sys, time
from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources
d = json.load(sys.stdin)
out = {}
for name, cls in (("MinRequiredResources", MinRequiredResources), ("MinAbsDifference", MinAbsDifference)):
    t0 = time.perf_counter()
    sol = cls(num_days=d["days"], periods=d["periods"], shifts_coverage=d["coverage"], required_resources=d["required"],
              max_period_concurrency=d["max_period"], max_shift_concurrency=d["max_shift"],
              max_search_time=float(d["time_limit_s"]), num_search_workers=2).solve()
    out[name] = {"status": sol["status"], "seconds": time.perf_counter() - t0, "resources_shifts": sol["resources_shifts"]}
print(json.dumps(out))
"""

ROSTER_SCRIPT = r"""
import json, sys, time
from pyworkforce.rostering.binary_programming import MinHoursRoster
d = json.load(sys.stdin)
out = []
for case in d:
    t0 = time.perf_counter()
    sol = MinHoursRoster(**case, max_search_time=30.0, num_search_workers=2).solve()
    out.append({"status": sol["status"], "seconds": time.perf_counter() - t0, "shifted_hours": sol["shifted_hours"],
                "resource_shifts": sol["resource_shifts"]})
print(json.dumps(out))
"""


def _pyworkforce(script: str, payload, timeout_s: float = 900.0) -> tuple[object | None, str | None]:
    """Run ``script`` with pyworkforce's interpreter; (result, None) or (None, why it was skipped)."""
    if not BENCH_PYTHON.exists():
        return None, f"{BENCH_PYTHON} not found (python3 -m venv --system-site-packages; pip install pyworkforce)"
    proc = subprocess.run([str(BENCH_PYTHON), "-c", script], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=timeout_s)
    if proc.returncode != 0:
        return None, "pyworkforce run failed: " + proc.stderr.strip().splitlines()[-1][-300:]
    return json.loads(proc.stdout), None


def _version() -> str:
    if not BENCH_PYTHON.exists():
        return "?"
    proc = subprocess.run([str(BENCH_PYTHON), "-c", "import importlib.metadata as m; print(m.version('pyworkforce'))"],
                          capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() or "?"


# ------------------------------------------------------------------------------------------------
# 2. shift counts


def _shift_case(days: int, time_limit_s: float):
    from scheduler import staffing as st
    from scheduler.scenario import load_yaml, scenario_from_dict

    doc = load_yaml(ROOT / "scenarios" / "base.yaml")
    doc["horizon"] = {"start": "2026-08-31", "days": days}
    doc["queues"] = {"voice": {"channel": "voice", "aht_s": 240, "sla": {"answer_within_s": 20, "target": 0.8},
                               "max_occupancy": 0.9, "hours": "06:00-24:00", "teams": ["tier1"]}}
    doc["shrinkage"] = {"default": 0.0}
    doc["teams"] = {"tier1": {"cost_per_hour": 35, "night_premium": 0.0, "priority": 0}}
    doc["contracts"] = {"flex": {"min_hours_per_week": 0, "max_hours_per_week": 40}}
    doc["shifts"] = {"day": {"code": "D", "teams": ["tier1"], "length_h": 8,
                             "starts": {"earliest": "06:00", "latest": "16:00", "every_min": 60}}}
    doc["solver"] = {"time_limit_s": time_limit_s, "workers": 2, "seed": 1}
    doc["simulation"] = {"enabled": False}
    sc = scenario_from_dict(doc, source="bench_pyworkforce")
    ds = pd.date_range("2026-08-31", periods=days * 96, freq="15min")
    minute = (np.arange(len(ds)) % 96) * 15
    rng = np.random.default_rng(5)
    shape = np.sin(np.pi * (minute - 360) / 1080.0).clip(0) ** 1.5
    vol = np.where(minute >= 360, 70 * (0.2 + shape) * rng.uniform(0.9, 1.1, len(ds)), 0.0)
    req = st.build_requirements(pd.DataFrame({"ds": ds, "queue": "voice", "volume": vol}), sc)
    required = req.table.sort_values("interval_start")["required"].to_numpy().astype(int).reshape(days, 96)
    n_agents = int(np.ceil(required.max() * 1.5)) + 5
    agents = pd.DataFrame({
        "agent_id": [f"A{i:03d}" for i in range(n_agents)], "name": "agent", "team": "tier1",
        "skills": [("voice",)] * n_agents, "contract": "flex", "seniority": "senior",
        "unavailable": [frozenset()] * n_agents, "night_ok": False})
    return sc, req, required, agents


def _coverage_of(starts_min: list[int]) -> dict[str, list[int]]:
    out = {}
    for s in starts_min:
        arr = [0] * 96
        for i in range(s // 15, s // 15 + 32):
            arr[i] = 1
        out[f"D{s // 60:02d}00"] = arr
    return out


def _under_over(required: np.ndarray, scheduled: np.ndarray) -> tuple[int, int]:
    return int(np.maximum(0, required - scheduled).sum()), int(np.maximum(0, scheduled - required).sum())


def _shift_counts(mode: str) -> tuple[dict, list[str], list[str]]:
    from scheduler.errors import InfeasibleError, NoSolutionError
    from scheduler.optimize import solve_roster

    days, limit = (3, 5.0) if mode == "quick" else (7, 60.0)
    sc, req, required, agents = _shift_case(days, limit)
    starts = list(range(360, 16 * 60 + 1, 60))
    coverage = _coverage_of(starts)
    rows, notes, failures = [], [], []
    t0 = time.perf_counter()
    try:
        solve_roster(sc, agents, req, per_interval_hard=True)
        notes.append("shift counts: the hard per-interval mode found a roster meeting every requirement")
    except (InfeasibleError, NoSolutionError) as exc:   # the agents' weekly hours cannot cover the requirement
        first = exc.explanation[0] if getattr(exc, "explanation", None) else str(exc).splitlines()[0]
        notes.append(f"shift counts: the hard per-interval mode reports {type(exc).__name__}, as it should: {first}; "
                     "the row is the soft mode (met where the agents allow)")
    t0 = time.perf_counter()
    roster = solve_roster(sc, agents, req, per_interval_hard="soft")
    ours_s = time.perf_counter() - t0
    sched = np.zeros((days, 96), dtype=int)
    day0 = pd.Timestamp("2026-08-31")
    for start, end in zip(roster.assignments["start"], roster.assignments["end"]):
        i0 = int((pd.Timestamp(start) - day0) / pd.Timedelta(minutes=15))
        i1 = int((pd.Timestamp(end) - day0) / pd.Timedelta(minutes=15))
        sched.reshape(-1)[i0:i1] += 1
    under, over = _under_over(required, sched)
    rows.append(["this project: solve_roster (per-interval where agents allow, named agents, labour rules)", roster.status,
                 len(roster.assignments), float(roster.assignments["paid_h"].sum()), under, over, round(ours_s, 1)])
    payload = {"days": days, "periods": 96, "coverage": coverage, "required": required.tolist(),
               "max_period": int(required.max() * 3 + 10), "max_shift": int(required.max() * 3 + 10), "time_limit_s": limit}
    res, why = _pyworkforce(SHIFTS_SCRIPT, payload)
    if res is None:
        notes.append(f"shift counts: pyworkforce comparison skipped — {why}")
    else:
        names = list(coverage)
        for name, sol in res.items():
            counts = np.zeros((days, len(names)), dtype=int)
            for r in sol["resources_shifts"]:
                if r["day"] >= 0:
                    counts[r["day"], names.index(r["shift"])] = r["resources"]
            cov = np.array([coverage[n] for n in names])
            sched_pw = counts @ cov
            u, o = _under_over(required, sched_pw)
            rows.append([f"pyworkforce {name} (counts only)", sol["status"], int(counts.sum()), float(8 * counts.sum()),
                         u, o, round(sol["seconds"], 1)])
    notes.append(f"shift counts: one voice queue, {days} days × 96 intervals (open 06:00–24:00), Erlang C "
                 f"requirements (80 % in 20 s, AHT 240 s, peak {int(required.max())} agents), 11 shift starts "
                 f"06:00–16:00 of 8 h without breaks; {len(agents)} agents with 0–40 h a week for this project; "
                 f"{limit:g} s each")
    notes.append("MinRequiredResources finds the fewest shifts that cover every interval, with no people: this "
                 "project's per-interval mode must in addition give each shift to a named agent under the rules "
                 "(11 h rest, ≤ 6 days in a row, 2 days off a week, ≤ 40 h): the extra shifts, if any, are the price "
                 "of a roster people can work. MinAbsDifference trades a missing agent-interval for a surplus one "
                 "one to one, so it accepts shortfalls.")
    return {"caption": "Shift counts on the same shift set and requirements",
            "columns": ["method", "status", "shifts", "paid hours", "under agent-intervals", "over agent-intervals",
                        "time s"], "rows": rows}, notes, failures


# ------------------------------------------------------------------------------------------------
# 3. rostering, and 4. two skills


def _roster_cases() -> list[tuple[str, dict]]:
    """(label, MinHoursRoster arguments). 14 days, three 8-hour shifts; agents 0–3 may work nights."""
    days, agents = 14, [f"r{i:02d}" for i in range(12)]
    base = {
        "num_days": days, "resources": agents, "shifts": ["Morning", "Afternoon", "Night"], "shifts_hours": [8, 8, 8],
        "min_working_hours": 80, "max_resting": 4,
        "banned_shifts": [{"resource": r, "shift": "Night", "day": d} for r in agents[4:] for d in range(days)],
        "required_resources": {"Morning": [3] * days, "Afternoon": [3] * days, "Night": [2] * days},
    }
    return [
        ("no Morning right after a Night", {**base, "non_sequential_shifts": [{"origin": "Night", "destination": "Morning"}]}),
        ("after a Night only a Night or a day off",
         {**base, "non_sequential_shifts": [{"origin": "Night", "destination": "Morning"},
                                            {"origin": "Night", "destination": "Afternoon"}]}),
    ]


def _as_curtois(case: dict) -> str:
    """The MinHoursRoster problem as a Curtois & Qu instance: cover is hard in pyworkforce (an under-cover
    weight of 10,000 here), every shifted hour costs (an over-cover weight of 480 = the shift's minutes,
    so the objective minus those is the extra hours), min working hours and rest days → min minutes."""
    shifts = case["shifts"]
    banned_after = {s: [] for s in shifts}
    for b in case["non_sequential_shifts"]:
        banned_after[b["origin"]].append(b["destination"])
    h = case["num_days"]
    min_min = 60 * max(case["min_working_hours"], 8 * (h - case["max_resting"]))
    lines = ["SECTION_HORIZON", str(h), "", "SECTION_SHIFTS"]
    lines += [f"{s},{60 * hh},{'|'.join(banned_after[s])}" for s, hh in zip(shifts, case["shifts_hours"])]
    banned = {(b["resource"], b["shift"]) for b in case["banned_shifts"]}
    lines += ["", "SECTION_STAFF"]
    for r in case["resources"]:
        maxes = "|".join(f"{s}={0 if (r, s) in banned else h}" for s in shifts)
        lines.append(f"{r},{maxes},{h * 480},{min_min},{h},1,1,{h}")
    lines += ["", "SECTION_DAYS_OFF"] + list(case["resources"]) + ["", "SECTION_SHIFT_ON_REQUESTS", "",
                                                                     "SECTION_SHIFT_OFF_REQUESTS", "", "SECTION_COVER"]
    for d in range(h):
        for s in shifts:
            lines.append(f"{d},{s},{case['required_resources'][s][d]},10000,480")
    return "\n".join(lines) + "\n"


def _rostering(mode: str) -> tuple[dict, list[str], list[str]]:
    from scheduler.io.curtois import parse_curtois
    from scheduler.optimize.curtois import solve_curtois
    from scheduler.validate_curtois import check_curtois

    limit = 5.0 if mode == "quick" else 30.0
    cases = _roster_cases()
    rows, notes, failures = [], [], []
    res, why = _pyworkforce(ROSTER_SCRIPT, [c for _, c in cases])
    if res is None:
        notes.append(f"rostering: pyworkforce comparison skipped — {why}")
    for k, (label, case) in enumerate(cases):
        inst = parse_curtois(_as_curtois(case), name=f"minhours{k}")
        required = sum(sum(v) for v in case["required_resources"].values())
        t0 = time.perf_counter()
        sol = solve_curtois(inst, time_limit_s=limit, workers=2, seed=0)
        secs = time.perf_counter() - t0
        score = check_curtois(inst, sol.roster)
        shifts = sum(1 for row in sol.roster for s in row if s)
        under = score.penalties["cover_under"] // 10000
        rows.append([label, "this project (rule engine)", sol.status, 8 * shifts, under, len(score.violations),
                     round(secs, 1)])
        if score.violations or score.objective != sol.objective:
            failures.append(f"rostering '{label}': this project's roster fails the checker: {score.violations[:2]}")
        if res is not None:
            pw = res[k]
            if pw["resource_shifts"] and pw["resource_shifts"][0]["resource"] != -1:
                index = {r: i for i, r in enumerate(case["resources"])}
                grid = [[None] * case["num_days"] for _ in case["resources"]]
                for r in pw["resource_shifts"]:
                    grid[index[r["resource"]]][r["day"]] = r["shift"]
                pw_score = check_curtois(inst, tuple(tuple(row) for row in grid))
                rows.append([label, "pyworkforce MinHoursRoster", pw["status"], pw["shifted_hours"],
                             pw_score.penalties["cover_under"] // 10000, len(pw_score.violations),
                             round(pw["seconds"], 1)])
            else:
                rows.append([label, "pyworkforce MinHoursRoster", pw["status"], None, None, None, round(pw["seconds"], 1)])
        del required
    notes.append("rostering: 12 agents, 14 days, Morning/Afternoon/Night of 8 h, 3/3/2 required every day, "
                 "only agents 0–3 may work nights, at least 80 h and at most 4 days off each. pyworkforce's "
                 "succession constraint sums x[d, origin] + x[d+1, j] over *every* shift j, so one banned "
                 "successor forbids any shift after a Night (the night agents cannot work two Nights in a row "
                 "and, needing ≥ 10 working days, the problem becomes infeasible), and two banned successors "
                 "count the Night twice: 2·x[d, Night] ≤ 1 forbids Nights on every day but the last. The rule "
                 "engine bans exactly the listed pairs (add_forbidden_successions). Both rosters are re-scored "
                 "by check_curtois on the same instance (hard violations column).")
    return {"caption": "Rostering on the same requirements (MinHoursRoster vs the rule engine)",
            "columns": ["case", "method", "status", "hours", "uncovered shifts", "hard violations", "time s"],
            "rows": rows}, notes, failures


def _skills_cases() -> tuple[dict, dict]:
    """Two queues (voice, chat), 7 days, Morning/Afternoon of 8 h, 2 agents per queue and shift; 3 voice-only,
    3 chat-only and 4 two-skill agents, each working ≥ 40 h (5 days)."""
    days = 7
    voice = [f"v{i}" for i in range(3)] + [f"b{i}" for i in range(4)]
    chat = [f"c{i}" for i in range(3)] + [f"b{i}" for i in range(4)]
    common = {"num_days": days, "shifts": ["Morning", "Afternoon"], "shifts_hours": [8, 8], "min_working_hours": 40,
              "max_resting": 2, "banned_shifts": [], "required_resources": {"Morning": [2] * days, "Afternoon": [2] * days},
              "non_sequential_shifts": []}
    return {**common, "resources": voice}, {**common, "resources": chat}


def _skills_instance() -> str:
    """The same two-skill centre as one Curtois & Qu instance: a shift type per (shift, queue), an agent
    takes at most one a day, types outside its skills have a maximum of 0."""
    days = 7
    types = ["MV", "AV", "MC", "AC"]
    agents = [(f"v{i}", "V") for i in range(3)] + [(f"c{i}", "C") for i in range(3)] + [(f"b{i}", "VC") for i in range(4)]
    lines = ["SECTION_HORIZON", str(days), "", "SECTION_SHIFTS"] + [f"{t},480," for t in types] + ["", "SECTION_STAFF"]
    for a, skills in agents:
        maxes = "|".join(f"{t}={days if t[1] in skills else 0}" for t in types)
        lines.append(f"{a},{maxes},2400,2400,{days},1,1,2")
    lines += ["", "SECTION_DAYS_OFF"] + [a for a, _ in agents] + ["", "SECTION_SHIFT_ON_REQUESTS", "",
                                                                  "SECTION_SHIFT_OFF_REQUESTS", "", "SECTION_COVER"]
    lines += [f"{d},{t},2,100,1" for d in range(days) for t in types]
    return "\n".join(lines) + "\n"


def _two_skills(mode: str) -> tuple[dict, list[str], list[str]]:
    from scheduler.io.curtois import parse_curtois
    from scheduler.optimize.curtois import solve_curtois
    from scheduler.validate_curtois import check_curtois

    rows, notes, failures = [], [], []
    voice, chat = _skills_cases()
    res, why = _pyworkforce(ROSTER_SCRIPT, [voice, chat])
    if res is None:
        notes.append(f"two skills: pyworkforce comparison skipped — {why}")
    else:
        booked: dict[tuple[str, int], list[str]] = {}
        for queue, sol in zip(("voice", "chat"), res):
            for r in sol["resource_shifts"]:
                if r["resource"] != -1:
                    booked.setdefault((r["resource"], r["day"]), []).append(f"{r['shift']} {queue}")
        double = {k: v for k, v in booked.items() if len(v) > 1}
        covered = sum(len(v) for v in booked.values())
        rows.append(["pyworkforce: one MinHoursRoster per skill", f"{res[0]['status']} / {res[1]['status']}", covered, 0,
                     len(double), len({a for a, _ in double})])
        if double:
            (a, d), what = sorted(double.items())[0]
            notes.append(f"two skills: pyworkforce reports both queues fully covered, but {len(double)} agent-days "
                         f"are booked in both rosters (e.g. {a} on day {d}: {' and '.join(what)}) — one agent "
                         "counted for two queues at once")
    inst = parse_curtois(_skills_instance(), name="two_skills")
    sol = solve_curtois(inst, time_limit_s=5.0 if mode == "quick" else 20.0, workers=2, seed=0)
    score = check_curtois(inst, sol.roster)
    worked = sum(1 for row in sol.roster for s in row if s)
    rows.append(["this project: one roster, a (shift, queue) type per day", sol.status, worked,
                 score.penalties["cover_under"] // 100, 0, 0])
    if score.violations or score.objective != sol.objective:
        failures.append(f"two skills: this project's roster fails the checker: {score.violations[:2]}")
    notes.append("two skills: demand 2 voice + 2 chat agents in each of 2 shifts × 7 days = 56 agent-shifts; "
                 "3 voice-only, 3 chat-only and 4 two-skill agents, 40 h (5 days) each: 10 people give 50 "
                 "agent-shifts, so 6 stay uncovered whatever the roster; pyworkforce's two rosters claim 70")
    return {"caption": "Two skills (voice, chat): headcount on paper vs a roster people can work",
            "columns": ["method", "status", "agent-shifts counted", "uncovered agent-shifts",
                        "agent-days in two places", "agents double-booked"], "rows": rows}, notes, failures


# rough wall-clock seconds on 2 cores (orders `python -m benchmarks --jobs N`, longest first)
EXPECTED_S = {"quick": 12, "full": 120}


def run(mode: str) -> dict:
    tables, notes, failures = [], [], []
    version = _version()
    notes.append(f"pyworkforce {version} via {BENCH_PYTHON}; Erlang C against pyworkforce: see the Staffing "
                 "section (bench_staffing.py), not repeated here")
    for part in (_shift_counts, _rostering, _two_skills):
        table, n, f = part(mode)
        tables.append(table)
        notes += n
        failures += f
    return {"title": "pyworkforce side by side", "tables": tables, "notes": notes, "failures": failures,
            "machine": machine()}
