"""Tiny Curtois & Qu instances written as text, for the parser, model and scorer tests.

``make(**overrides)`` returns the text of a one-shift, one-employee, 7-day instance; override any
section with a list of lines (``shifts``, ``staff``, ``days_off``, ``on``, ``off``, ``cover``) or the
``horizon``. ``cover_all(h, req)`` is one cover line per day for shift D.
"""

from __future__ import annotations


def cover_all(h: int, req: int | list[int], shift: str = "D", under: int = 100, over: int = 1) -> list[str]:
    reqs = req if isinstance(req, list) else [req] * h
    return [f"{d},{shift},{r},{under},{over}" for d, r in enumerate(reqs)]


def make(*, horizon: int = 7, shifts: list[str] | None = None, staff: list[str] | None = None,
         days_off: list[str] | None = None, on: list[str] | None = None, off: list[str] | None = None,
         cover: list[str] | None = None) -> str:
    shifts = shifts if shifts is not None else ["D,480,"]
    # ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts, MinConsecutiveShifts,
    # MinConsecutiveDaysOff, MaxWeekends
    staff = staff if staff is not None else [f"A,D={horizon},{480 * horizon},0,{horizon},1,1,{horizon}"]
    days_off = days_off if days_off is not None else [s.split(",")[0] for s in staff]
    cover = cover if cover is not None else cover_all(horizon, 0)
    parts = [
        "# made by tests/curtois_factory.py", "SECTION_HORIZON", str(horizon), "",
        "SECTION_SHIFTS", *shifts, "",
        "SECTION_STAFF", *staff, "",
        "SECTION_DAYS_OFF", *days_off, "",
        "SECTION_SHIFT_ON_REQUESTS", *(on or []), "",
        "SECTION_SHIFT_OFF_REQUESTS", *(off or []), "",
        "SECTION_COVER", *cover, "",
    ]
    return "\n".join(parts)
