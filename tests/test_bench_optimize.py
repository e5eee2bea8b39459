"""The optimizer benchmark keeps pyworkforce's figures when its environment is missing."""

from __future__ import annotations

import json

import benchmarks.common as common
from benchmarks.bench_optimize import _breaks_note, _carried_over

SIDE = {"caption": "pyworkforce side by side: chat, 7 days", "columns": ["plan", "status"], "rows": [["x", "OPTIMAL"]]}
BREAKS = {"caption": "Paid hours for the service level when agents take breaks: chat, 7 days",
          "columns": ["plan", "paid h", "shifts", "SL", "worst", "at target", "hard", "s"],
          "rows": [["pyworkforce", "1,027", 213, 81.0, 79.5, "54 %", 0, 0.1],
                   ["pyworkforce grossed", "1,264", 261, 90.6, 90.2, "99 %", 0, 0.1],
                   ["ours", "1,100", 200, 90.9, 90.1, "100 %", 0, 240.0],
                   ["ours richer", "1,066", 210, 90.9, 90.3, "100 %", 0, 240.0]]}
OTHER = {"caption": "The 11.11 scenario", "columns": ["case"], "rows": [["a"]]}


def _store(tmp_path, monkeypatch, result: dict) -> None:
    (tmp_path / "optimize.json").write_text(json.dumps(result))
    monkeypatch.setattr(common, "RESULTS", tmp_path)


def test_the_pyworkforce_tables_of_the_last_run_are_carried_over_with_their_date_and_commit(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch, {"mode": "full", "machine": {"date": "2026-12-04 10:52 UTC", "git": "4befaae"},
                                   "tables": [OTHER, SIDE, BREAKS]})
    kept = _carried_over("full")
    assert [t["rows"] for t in kept] == [SIDE["rows"], BREAKS["rows"]]
    assert all(t["caption"].endswith("[carried over: measured 2026-12-04 10:52 UTC on commit 4befaae]") for t in kept)
    assert "1,027 h" in _breaks_note(kept[1])
    # carried over again by a later run without pyworkforce: the first mark stays, not the later run's
    _store(tmp_path, monkeypatch, {"mode": "full", "machine": {"date": "2026-12-06 09:12 UTC", "git": "3924646"},
                                   "tables": [OTHER, *kept]})
    again = _carried_over("full")
    assert [t["caption"] for t in again] == [t["caption"] for t in kept]


def test_nothing_is_carried_over_from_another_mode_or_without_a_stored_result(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    assert _carried_over("full") == []
    _store(tmp_path, monkeypatch, {"mode": "quick", "machine": {}, "tables": [SIDE, BREAKS]})
    assert _carried_over("full") == []
    (tmp_path / "optimize.json").write_text("{not json")
    assert _carried_over("quick") == []
