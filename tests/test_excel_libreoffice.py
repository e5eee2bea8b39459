"""A realistic roster workbook opens in LibreOffice: a headless PDF conversion renders every visible
sheet (each page's footer names its sheet). Slow; skipped when soffice or pdftotext is absent
(Debian: apt-get install libreoffice-calc poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from scheduler.io.excel import VISIBLE_SHEETS, write_roster_workbook
from tests.roster_factory import big_agents, big_grid, build_roster, make_scenario, synthetic_coverage

pytestmark = pytest.mark.slow


def test_libreoffice_renders_every_sheet(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip("LibreOffice (soffice) and pdftotext are needed for this check")
    sc = make_scenario(days=28)
    agents = big_agents(150)
    a, b = build_roster(sc, big_grid(sc, agents), agents)
    cov = synthetic_coverage(sc, agents, a, b)
    book = write_roster_workbook(tmp_path / "roster.xlsx", scenario=sc, agents=agents, assignments=a, breaks=b,
                                 coverage=cov, summary={"solver": {"status": "FEASIBLE", "gap": 0.012}})
    run = subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    pdf = tmp_path / "roster.pdf"
    assert pdf.exists(), run.stdout + run.stderr
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    footers = re.findall(r"(\w+) — page (\d+) of (\d+)", text)
    sheets = {name for name, _, _ in footers}
    assert sheets == set(VISIBLE_SHEETS), sheets
    # the weekly-hours formulas were computed (a full-time agent's week: 40.0 h), the charts' titles rendered
    assert re.search(r"\b40\.0\b", text)
    assert "required vs" in text
