"""The worked notebooks run top to bottom on the sample data (outputs are not committed)."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, "notebooks/ is empty"
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} has outputs"


# the comparison notebook solves two 7-day plans (about 50 s); what it calls (run_plans, comparison_table,
# write_comparison) is covered by tests/test_compare.py on 3 days, so it runs with the slow tests. The forecast
# (15-17 s) and staffing (10 s) notebooks run in the default suite: with two tests at a time it takes ~6.5 min
SLOW = {"03_compare_peak_plans.ipynb"}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p for p in NOTEBOOKS],
                         ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
