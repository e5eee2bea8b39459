"""The Israeli bank reality check (docs/validation.md) reruns and still says what the doc says."""

from __future__ import annotations

import numpy as np

from tests.conftest import shared_path


def test_israel_bank_reality_check_reproduces_the_documented_figures():
    dataset = shared_path("datasets", "anonymous_bank_israel_1999")
    from scripts.validate_israel_bank import overall, reality_check

    df, patience, facts = reality_check(dataset)
    assert (facts["requests"], facts["served"], facts["abandoned"]) == (38711, 31402, 7309)
    assert abs(patience - 406.0) < 0.5
    o = overall(df)
    assert o["half-hours"] == 765
    assert abs(o["abandon obs"] - 0.1927) < 5e-4 and abs(o["abandon Erlang A"] - 0.0764) < 5e-4
    assert abs(o["wait obs s"] - 78.5) < 0.1 and abs(o["wait Erlang A s"] - 31.0) < 0.1
    # the documented conclusions: right shape, wrong level, explained by agents not on the phone
    assert o["corr abandon (per half hour)"] > 0.7
    assert abs(o["implied agents (mean)"] - 4.82) < 0.01 and o["half-hours without abandonment"] == 124
    assert o["implied agents (mean)"] < 0.7 * o["agents seen (mean)"]
    assert facts["service_cv"] > 1.2
    assert np.all(df["pred_abandon"].between(0, 1))
