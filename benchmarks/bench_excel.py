"""Roster workbook speed: write, read back, check (rules + coverage + Erlang service level), render.

Rosters are built here without the optimizer (tests/roster_factory.py: every agent one start time per
week, five day shifts, four nights or three/four part-time or vendor days, two consecutive days off,
breaks at the start of their windows): the shipped 11.11 scenario (overflow max_agents raised to
n/5 for the larger pools), 28 days, 15-minute intervals, and
150 / 500 / 1,000 agents (60 % tier-1, 10 % tier-2, 12 % night, 18 % overflow). The coverage frame
(6 queues × 2,688 intervals) has a synthetic forecast peaking on 11 November.

Failures (never slowness): the round trip loses or changes an assignment or a break, or the
independent checker finds a hard violation in these rule-abiding rosters.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_rss_mb  # noqa: E402
from scheduler import columns as C  # noqa: E402
from scheduler.check import check_workbook  # noqa: E402
from scheduler.io.excel import read_roster_workbook, write_roster_workbook  # noqa: E402
from scheduler.validate import check_roster  # noqa: E402
from tests.roster_factory import big_agents, big_grid, build_roster, make_scenario, synthetic_coverage  # noqa: E402


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> bool:
    def norm(f):
        f = f.copy()
        for c in (C.DATE, C.SHIFT_START, C.SHIFT_END):
            if c in f:
                f[c] = pd.to_datetime(f[c]).astype("datetime64[ns]")
        return f.sort_values(keys).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(norm(a), norm(b), check_dtype=False)
        return True
    except AssertionError:
        return False


def _pdf(book: Path, tmp: Path) -> tuple[float, int | None, str]:
    soffice = shutil.which("soffice")
    if not soffice:
        return float("nan"), None, "soffice absent"
    t = time.perf_counter()
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp / 'lo'}",
                    "--convert-to", "pdf", "--outdir", str(tmp), str(book)], capture_output=True, timeout=900,
                   check=False)
    elapsed = time.perf_counter() - t
    pdf = book.with_suffix(".pdf")
    if not pdf.exists():
        return elapsed, None, "no PDF written"
    pages = None
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
        m = re.search(r"Pages:\s+(\d+)", info)
        pages = int(m.group(1)) if m else None
    return elapsed, pages, ""


# rough wall-clock seconds on 2 cores (orders `python -m benchmarks --jobs N`, longest first)
EXPECTED_S = {"quick": 17, "full": 120}


def run(mode: str) -> dict:
    sizes = [150] if mode == "quick" else [150, 500, 1000]
    rows, failures, notes = [], [], []
    for n in sizes:
        # the shipped limit of 40 vendor agents at once is raised with the pool (18 % of the agents)
        sc = make_scenario(f"teams.overflow.max_agents={max(40, n // 5)}", days=28)
        agents = big_agents(n)
        a, b = build_roster(sc, big_grid(sc, agents), agents)
        cov = synthetic_coverage(sc, agents, a, b)
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            book = tmp / "roster.xlsx"
            t = time.perf_counter()
            write_roster_workbook(book, scenario=sc, agents=agents, assignments=a, breaks=b, coverage=cov,
                                  summary={"solver": {"status": "FEASIBLE"}})
            write_s = time.perf_counter() - t
            size_mb = book.stat().st_size / 1e6
            t = time.perf_counter()
            wb = read_roster_workbook(book, sc, agents)
            read_s = time.perf_counter() - t
            if not (_same(wb.assignments, a, [C.AGENT_ID, C.DATE])
                    and _same(wb.breaks, b, [C.AGENT_ID, C.SHIFT_START])):
                failures.append(f"{n} agents: the round trip changed the roster")
            t = time.perf_counter()
            violations = check_roster(sc, agents, a, b)
            rules_s = time.perf_counter() - t
            hard = [v for v in violations if v.severity == "hard"]
            if hard:
                failures.append(f"{n} agents: {len(hard)} hard violations, e.g. {hard[0]}")
            t = time.perf_counter()
            result = check_workbook(book, sc, agents)
            check_s = time.perf_counter() - t
            pdf_s, pages, why = (float("nan"), None, "quick mode") if mode == "quick" else _pdf(book, tmp)
            if why and mode != "quick":
                notes.append(f"{n} agents: PDF not measured ({why})")
        rows.append([n, len(a), len(b), round(write_s, 2), round(size_mb, 2), round(read_s, 2), round(rules_s, 3),
                     round(check_s, 2), len(result.findings), round(pdf_s, 1), pages, round(peak_rss_mb())])
    notes.append("write: all sheets incl. 16,128 coverage rows, 7 charts, drop-downs, conditional formats, "
                 "atomic rename; read: Roster, Breaks, Original and Coverage sheets with every cell checked; "
                 "rules: validate.check_roster alone; check: read + rules + coverage split + Erlang SL per interval "
                 "(scheduler check without printing); PDF: LibreOffice headless conversion of every sheet")
    notes.append("peak RSS is the process's high-water mark so far (grows with the largest case run)")
    return {
        "title": "Roster workbook (write, read, check, LibreOffice)",
        "tables": [{
            "caption": "11.11 scenario, 28 days, 15-min intervals; synthetic rule-abiding rosters",
            "columns": ["agents", "shifts", "breaks", "write s", "file MB", "read s", "rules s", "check s",
                        "violations", "PDF s", "PDF pages", "peak RSS MB"],
            "rows": rows,
        }],
        "notes": notes,
        "failures": failures,
    }
