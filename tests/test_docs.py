"""Docs stay true: every scenario key is documented; every CLI command has help and is in the README."""

import re
import typing

from pydantic import BaseModel

from scheduler import scenario as S

from conftest import ROOT


def _models(model, seen):
    if model in seen:
        return
    seen.add(model)
    for f in model.model_fields.values():
        for m in _inner_models(f.annotation):
            _models(m, seen)


def _inner_models(ann):
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        yield ann
    for a in typing.get_args(ann):
        yield from _inner_models(a)


def test_every_scenario_key_is_documented():
    doc = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    documented = {w for span in re.findall(r"`([^`]+)`", doc) for w in re.findall(r"[a-z_]+", span)}
    seen: set = set()
    _models(S.Scenario, seen)
    missing = sorted(
        f"{m.__name__}.{name}" for m in seen for name in m.model_fields if name != "source" and name not in documented
    )
    assert not missing, f"document these scenario keys in docs/scenario.md: {missing}"
