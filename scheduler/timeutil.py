"""Clock times and date ranges as they are written in scenario and data files."""

from __future__ import annotations

import re
from datetime import date, timedelta

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_clock(text: object) -> int:
    """``"HH:MM"`` -> minutes after midnight (0..1440; ``"24:00"`` is 1440).

    Raises ValueError with the expectation spelled out.
    """
    if isinstance(text, bool) or not isinstance(text, str):
        raise ValueError(f"expected a clock time 'HH:MM' in quotes, got {text!r}")
    m = _CLOCK.match(text)
    if not m:
        raise ValueError(f"expected a clock time 'HH:MM', got {text!r}")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi >= 60 or h > 24 or (h == 24 and mi != 0):
        raise ValueError(f"expected a clock time between 00:00 and 24:00, got {text!r}")
    return h * 60 + mi


def format_clock(minutes: int) -> str:
    """Minutes after midnight -> ``"HH:MM"`` (values >= 1440 wrap to the next day)."""
    minutes = int(minutes) % 1440 if minutes != 1440 else 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock_range(text: object) -> tuple[int, int]:
    """``"08:00-24:00"`` -> (480, 1440). A range whose end is before its start wraps past midnight
    (``"22:00-06:00"`` -> (1320, 1800))."""
    if not isinstance(text, str) or "-" not in text:
        raise ValueError(f"expected a time range 'HH:MM-HH:MM', got {text!r}")
    a, b = text.split("-", 1)
    start, end = parse_clock(a), parse_clock(b)
    if end <= start:
        end += 1440
    return start, end


def parse_date_ranges(text: str) -> list[tuple[date, date]]:
    """``"2026-11-03;2026-11-10..2026-11-12"`` -> list of inclusive (first, last) date pairs.

    A range may be written ``a..b`` or ``a/b``. Raises ValueError naming the bad part.
    """
    out: list[tuple[date, date]] = []
    if text is None:
        return out
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        sep = ".." if ".." in part else ("/" if "/" in part else None)
        try:
            if sep:
                a, b = part.split(sep, 1)
                first, last = date.fromisoformat(a.strip()), date.fromisoformat(b.strip())
            else:
                first = last = date.fromisoformat(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD") from None
        if last < first:
            raise ValueError(f"range {part!r} ends before it starts")
        out.append((first, last))
    return out


def expand_dates(ranges: list[tuple[date, date]]) -> set[date]:
    days: set[date] = set()
    for first, last in ranges:
        d = first
        while d <= last:
            days.add(d)
            d += timedelta(days=1)
    return days
