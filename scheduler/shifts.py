"""The shift catalogue: scenario shift templates expanded into concrete shifts with codes.

A concrete shift is a template at one start time, named ``code + HHMM`` (``D0800``, ``N2200``).
It belongs to the day it starts; a shift ending after midnight covers intervals of the next day.
A shift is a *night shift* when it overlaps the scenario's night window by at least
``NIGHT_MIN_OVERLAP_MIN`` minutes (3 h, as in the EU working-time directive's night-worker test).

Roster cells also use the non-working codes ``OFF`` (day off) and ``LEAVE`` (leave/unavailable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.scenario import BreakRule, Scenario

OFF = "OFF"
LEAVE = "LEAVE"
NON_WORKING_CODES = (OFF, LEAVE)
NIGHT_MIN_OVERLAP_MIN = 180


@dataclass(frozen=True)
class Shift:
    """One concrete shift type (template at one start time). Times in minutes from the start day's midnight."""

    code: str
    template: str
    start_min: int
    length_min: int
    paid_min: int
    teams: tuple[str, ...]
    breaks: tuple[BreakRule, ...]
    is_night: bool

    @property
    def end_min(self) -> int:
        """End in minutes from the start day's midnight (may exceed 1440 for shifts past midnight)."""
        return self.start_min + self.length_min

    @property
    def crosses_midnight(self) -> bool:
        return self.end_min > 1440

    @property
    def paid_h(self) -> float:
        return self.paid_min / 60.0

    def start_on(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(minutes=self.start_min)

    def end_on(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(minutes=self.end_min)


def night_overlap_min(start_min: int, end_min: int, night_start: int, night_end: int) -> int:
    """Minutes of [start_min, end_min) (from a day's midnight, may pass 1440) inside the night window,
    which runs from ``night_start`` to ``night_end`` each night (end < start means past midnight)."""
    if night_end <= night_start:
        night_end += 1440
    total = 0
    for offset in (-1440, 0, 1440):
        a, b = night_start + offset, night_end + offset
        total += max(0, min(end_min, b) - max(start_min, a))
    return total


def shift_code(template_code: str, start_min: int) -> str:
    return f"{template_code}{start_min // 60:02d}{start_min % 60:02d}"


def build_catalogue(scenario: Scenario) -> dict[str, Shift]:
    """All concrete shifts of the scenario, by code, in template then start order."""
    nw = scenario.rules.night_window
    out: dict[str, Shift] = {}
    for name, t in scenario.shifts.items():
        for m in t.start_minutes():
            code = shift_code(t.code, m)
            overlap = night_overlap_min(m, m + t.length_min, nw.start, nw.end)
            out[code] = Shift(
                code=code, template=name, start_min=m, length_min=t.length_min, paid_min=t.paid_min,
                teams=tuple(t.teams), breaks=tuple(t.breaks), is_night=overlap >= NIGHT_MIN_OVERLAP_MIN,
            )
    return out


def shifts_for_team(catalogue: dict[str, Shift], team: str) -> list[Shift]:
    return [s for s in catalogue.values() if team in s.teams]
