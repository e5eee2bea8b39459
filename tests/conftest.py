"""Shared fixtures and helpers: paths, scenario factories, frame comparison tolerances."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import settings

# property tests draw the same examples on every run (the default suite, CI: a red run is a change's,
# not a new draw's); `pytest --hypothesis-profile=explore` draws new ones (a random draw found the
# overlapping shifts' break of tests/test_excel_property.py)
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"          # ../shared beside the project (never copied in)
SCENARIOS = ROOT / "scenarios"


def shared_path(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present (../shared is expected beside the project)")
    return p


@pytest.fixture
def write(tmp_path):
    """write('name.csv', text) -> absolute path of a file in tmp_path."""

    def _write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    return _write


def refuse_replace(monkeypatch, name, *, only_new=False):
    """os.replace fails with PermissionError whenever ``name`` is moved or replaced (as when Excel holds it open
    on Windows); with ``only_new``, only when a temporary file is put in its place."""
    real = os.replace

    def replace(src, dst):
        hit = Path(dst).name == name and (not only_new or Path(src).name.endswith(".tmp"))
        if hit or (not only_new and Path(src).name == name):
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
