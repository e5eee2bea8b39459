"""The previous period's shifts that run into the horizon: a night shift that started the evening before the
horizon's first day is on duty in its first hours.

The previous roster (``data.previous_roster``: an ``assignments.csv``) has no breaks. A shift whose code is one
of the scenario's concrete shifts (:func:`scheduler.shifts.build_catalogue`) takes each break at the middle of
its window (on the interval grid); a shift of another code counts whole. The optimizer counts these agents as
fixed capacity of their skill group, and the simulation and ``scheduler check`` count them on duty, all from
this one reading (input interpretation, like the file readers: the independent validator's rule checks do
not use it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scheduler import columns as C
from scheduler.scenario import Scenario
from scheduler.shifts import build_catalogue


@dataclass(frozen=True)
class CarryIn:
    """One previous shift that runs into the horizon: its row of the previous roster and its breaks."""

    row: dict                            # the previous roster's row (agent_id, team, date, shift, start, end, ...)
    breaks: tuple[tuple[pd.Timestamp, pd.Timestamp, str], ...]     # (start, end, kind)

    @property
    def agent_id(self) -> str:
        return str(self.row[C.AGENT_ID])

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.row[C.SHIFT_START])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.row[C.SHIFT_END])


def carry_in_shifts(scenario: Scenario, previous: pd.DataFrame | None) -> list[CarryIn]:
    """The previous period's shifts that start before the horizon's first midnight and end after it."""
    if previous is None or len(previous) == 0:
        return []
    h0 = pd.Timestamp(scenario.horizon.start)
    step = scenario.interval_min
    catalogue = build_catalogue(scenario)
    starts = pd.to_datetime(previous[C.SHIFT_START])
    ends = pd.to_datetime(previous[C.SHIFT_END])
    keep = ((starts < h0) & (ends > h0)).to_numpy()
    out = []
    for row, s0, e0 in zip(previous[keep].to_dict("records"), starts[keep], ends[keep]):
        shift = catalogue.get(str(row.get(C.SHIFT)))
        placed = []
        if shift is not None and pd.Timedelta(minutes=shift.length_min) == e0 - s0:
            for rule in shift.breaks:
                n = (rule.latest_after_min - rule.earliest_after_min) // step + 1
                b0 = s0 + pd.Timedelta(minutes=rule.earliest_after_min + step * (n // 2))
                placed.append((b0, b0 + pd.Timedelta(minutes=rule.length_min), rule.kind))
        out.append(CarryIn(row, tuple(placed)))
    return out


def carry_in_frames(scenario: Scenario, previous: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`carry_in_shifts` as ``assignments`` rows (the previous roster's) and ``breaks`` rows, to add to a
    roster's for what counts agents on duty (simulation, coverage), which take only the horizon's part."""
    shifts = carry_in_shifts(scenario, previous)
    assignments = pd.DataFrame([c.row for c in shifts], columns=None if shifts else list(C.ASSIGNMENT_COLUMNS))
    breaks = pd.DataFrame([{C.AGENT_ID: c.agent_id, C.SHIFT_START: b0, C.SHIFT_END: b1, C.BREAK_KIND: kind}
                           for c in shifts for b0, b1, kind in c.breaks],
                          columns=[C.AGENT_ID, C.SHIFT_START, C.SHIFT_END, C.BREAK_KIND])
    return assignments, breaks


def with_carry_in(scenario: Scenario, previous: pd.DataFrame | None, assignments: pd.DataFrame,
                  breaks: pd.DataFrame | None,
                  agents: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A roster's assignments and breaks with the previous period's shifts running into the horizon added (those
    of the ``agents`` frame's agents only, when given: an agent who has left is not on duty)."""
    extra, extra_breaks = carry_in_frames(scenario, previous)
    if agents is not None and len(extra):
        known = set(agents[C.AGENT_ID].astype(str))
        extra = extra[extra[C.AGENT_ID].astype(str).isin(known)]
        extra_breaks = extra_breaks[extra_breaks[C.AGENT_ID].astype(str).isin(known)]
    if not len(extra):
        return assignments, breaks
    a = pd.concat([assignments, extra], ignore_index=True)
    b = extra_breaks if breaks is None else pd.concat([breaks, extra_breaks], ignore_index=True)
    return a, b
