"""Reader for the Curtois & Qu shift-scheduling benchmark format (Instance1 … Instance24).

The format (schedulingbenchmarks.org/nrp; ../shared/benchmarks/curtois-qu-nrp-1-24/README.md): plain
text, ``#`` comments and blank lines skipped, sections opened by ``SECTION_<NAME>`` lines, fields
comma-separated. Day indexes are 0-based and day 0 is a Monday. :func:`read_curtois` returns a
:class:`CurtoisInstance`; every problem of a file (bad number, unknown id, day out of range, missing
section, duplicate line) is collected and raised together as one :class:`InputFileError` naming the
file, the line and the field.

Roster files (what :func:`write_curtois_roster` writes and :func:`read_curtois_roster` reads): one line
per employee, ``ID,<shift or empty>,<shift or empty>,...`` with one field per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.errors import InputFileError, ProblemCollector

SECTIONS = ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_DAYS_OFF",
            "SECTION_SHIFT_ON_REQUESTS", "SECTION_SHIFT_OFF_REQUESTS", "SECTION_COVER")
REQUIRED_SECTIONS = ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_COVER")
STAFF_FIELDS = ("ID", "MaxShifts", "MaxTotalMinutes", "MinTotalMinutes", "MaxConsecutiveShifts",
                "MinConsecutiveShifts", "MinConsecutiveDaysOff", "MaxWeekends")
REQUEST_FIELDS = ("EmployeeID", "Day", "ShiftID", "Weight")
COVER_FIELDS = ("Day", "ShiftID", "Requirement", "WeightForUnder", "WeightForOver")


@dataclass(frozen=True)
class ShiftType:
    """One shift type: ``length_min`` minutes; ``cannot_follow`` = shift ids forbidden on the next day."""

    id: str
    length_min: int
    cannot_follow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Employee:
    """One employee's contract (minutes over the whole horizon; runs in days)."""

    id: str
    max_shifts: Mapping[str, int]            # shift id -> most shifts of that type over the horizon
    max_total_min: int
    min_total_min: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int
    days_off: frozenset[int] = frozenset()   # fixed days off (hard)


@dataclass(frozen=True)
class ShiftRequest:
    """A wish to work (on-request) or not to work (off-request) ``shift`` on ``day``; ``weight`` per miss."""

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    """Demand for one (day, shift): each missing employee costs ``under_weight``, each extra ``over_weight``."""

    day: int
    shift: str
    requirement: int
    under_weight: int
    over_weight: int


@dataclass(frozen=True)
class CurtoisInstance:
    name: str
    horizon_days: int
    shifts: tuple[ShiftType, ...]
    employees: tuple[Employee, ...]
    on_requests: tuple[ShiftRequest, ...]
    off_requests: tuple[ShiftRequest, ...]
    cover: tuple[Cover, ...]
    source: str = field(default="", compare=False)

    @property
    def weekends(self) -> list[tuple[int, ...]]:
        """Saturday–Sunday pairs inside the horizon (day 0 is a Monday); a partial weekend keeps its day."""
        out = []
        for sat in range(5, self.horizon_days, 7):
            out.append(tuple(d for d in (sat, sat + 1) if d < self.horizon_days))
        return out

    def shift(self, shift_id: str) -> ShiftType:
        for s in self.shifts:
            if s.id == shift_id:
                return s
        raise KeyError(shift_id)


def read_curtois(path: str | Path) -> CurtoisInstance:
    """Read one instance file; raises :class:`InputFileError` listing every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read ({exc})", file=str(path)) from None
    return parse_curtois(text, name=path.stem, source=str(path))


def parse_curtois(text: str, *, name: str = "instance", source: str = "<text>") -> CurtoisInstance:
    """Parse the text of an instance (see :func:`read_curtois`)."""
    pc = ProblemCollector(file=source)
    lines: dict[str, list[tuple[int, list[str]]]] = {s: [] for s in SECTIONS}
    seen: dict[str, int] = {}
    section = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in lines:
                pc.add("unknown section", row=lineno, value=line, expected="one of " + ", ".join(SECTIONS))
                section = None
            elif line in seen:
                pc.add(f"section repeated (first on line {seen[line]})", row=lineno, value=line)
                section = None
            else:
                seen[line] = lineno
                section = line
            continue
        if section is None:
            if not seen:
                pc.add("data before the first SECTION_ line", row=lineno, value=line)
            continue
        lines[section].append((lineno, [f.strip() for f in line.split(",")]))
    for s in REQUIRED_SECTIONS:
        if s not in seen:
            pc.add(f"missing section {s}")
    pc.raise_if_any()

    horizon = _horizon(pc, lines["SECTION_HORIZON"])
    shifts = _shifts(pc, lines["SECTION_SHIFTS"])
    shift_ids = {s.id for s in shifts}
    days_off, days_off_lines = _days_off(pc, lines["SECTION_DAYS_OFF"], horizon)
    employees = _staff(pc, lines["SECTION_STAFF"], shift_ids, days_off)
    staff_ids = {e.id for e in employees}
    for emp, lineno in days_off_lines.items():
        if emp not in staff_ids:
            pc.add("unknown employee in SECTION_DAYS_OFF", row=lineno, column="EmployeeID", value=emp,
                   expected="an ID of SECTION_STAFF")
    on = _requests(pc, lines["SECTION_SHIFT_ON_REQUESTS"], "SECTION_SHIFT_ON_REQUESTS", horizon, shift_ids, staff_ids)
    off = _requests(pc, lines["SECTION_SHIFT_OFF_REQUESTS"], "SECTION_SHIFT_OFF_REQUESTS", horizon, shift_ids, staff_ids)
    cover = _cover(pc, lines["SECTION_COVER"], horizon, shift_ids)
    pc.raise_if_any()
    return CurtoisInstance(name=name, horizon_days=horizon, shifts=tuple(shifts), employees=tuple(employees),
                           on_requests=tuple(on), off_requests=tuple(off), cover=tuple(cover), source=source)


def _int(pc: ProblemCollector, text: str, lineno: int, column: str, *, lo: int = 0, hi: int | None = None) -> int | None:
    expected = f"an integer >= {lo}" if hi is None else f"an integer from {lo} to {hi}"
    try:
        v = int(text)
    except ValueError:
        pc.add("not an integer", row=lineno, column=column, value=text, expected=expected)
        return None
    if v < lo or (hi is not None and v > hi):
        pc.add("out of range", row=lineno, column=column, value=text, expected=expected)
        return None
    return v


def _fields(pc: ProblemCollector, lineno: int, fields: list[str], names: tuple[str, ...], section: str) -> bool:
    if len(fields) != len(names):
        pc.add(f"{section}: {len(fields)} fields", row=lineno, value=",".join(fields),
               expected=f"{len(names)}: {', '.join(names)}")
        return False
    for f, n in zip(fields, names):
        if f == "":
            pc.add(f"{section}: empty field", row=lineno, column=n, value="")
            return False
    return True


def _horizon(pc: ProblemCollector, rows) -> int:
    if len(rows) != 1 or len(rows[0][1]) != 1:
        where = rows[0][0] if rows else None
        pc.add("SECTION_HORIZON must hold exactly one integer line", row=where,
               value=None if not rows else ",".join(rows[0][1]))
        pc.raise_if_any()
    lineno, (text,) = rows[0]
    h = _int(pc, text, lineno, "horizon", lo=1)
    pc.raise_if_any()
    return h


def _shifts(pc: ProblemCollector, rows) -> list[ShiftType]:
    raw: list[tuple[int, str, int | None, list[str]]] = []
    seen: dict[str, int] = {}
    for lineno, f in rows:
        if len(f) == 2:          # "D,480" without the trailing comma: no successor ban
            f = f + [""]
        if len(f) != 3 or not f[0]:
            pc.add("SECTION_SHIFTS: expected ShiftID, LengthInMinutes, CannotFollow", row=lineno, value=",".join(f))
            continue
        if f[0] in seen:
            pc.add(f"shift defined twice (first on line {seen[f[0]]})", row=lineno, column="ShiftID", value=f[0])
            continue
        seen[f[0]] = lineno
        length = _int(pc, f[1], lineno, "LengthInMinutes", lo=1, hi=24 * 60)
        banned = [b.strip() for b in f[2].split("|") if b.strip()] if f[2] else []
        raw.append((lineno, f[0], length, banned))
    if not raw and not pc.problems:
        pc.add("SECTION_SHIFTS has no shift")
    out = []
    for lineno, sid, length, banned in raw:
        for b in banned:
            if b not in seen:
                pc.add("unknown shift in CannotFollow", row=lineno, column="CannotFollow", value=b,
                       expected="an ID of SECTION_SHIFTS")
        if length is not None:
            out.append(ShiftType(sid, length, tuple(banned)))
    return out


def _days_off(pc: ProblemCollector, rows, horizon: int) -> tuple[dict[str, frozenset[int]], dict[str, int]]:
    """Fixed days off per employee id, and the line of each employee's entry."""
    out: dict[str, frozenset[int]] = {}
    where: dict[str, int] = {}
    for lineno, f in rows:
        emp = f[0]
        if not emp:
            pc.add("SECTION_DAYS_OFF: empty EmployeeID", row=lineno, column="EmployeeID", value="")
            continue
        if emp in where:
            pc.add(f"days off listed twice for this employee (first on line {where[emp]})", row=lineno,
                   column="EmployeeID", value=emp)
            continue
        where[emp] = lineno
        days = set()
        for text in f[1:]:
            if text == "":
                continue
            d = _int(pc, text, lineno, "day", lo=0, hi=horizon - 1)
            if d is not None:
                days.add(d)
        out[emp] = frozenset(days)
    return out, where


def _staff(pc: ProblemCollector, rows, shift_ids: set[str], days_off: Mapping[str, frozenset[int]]) -> list[Employee]:
    out: list[Employee] = []
    seen: dict[str, int] = {}
    for lineno, f in rows:
        if not _fields(pc, lineno, f, STAFF_FIELDS, "SECTION_STAFF"):
            continue
        emp = f[0]
        if emp in seen:
            pc.add(f"employee defined twice (first on line {seen[emp]})", row=lineno, column="ID", value=emp)
            continue
        seen[emp] = lineno
        max_shifts: dict[str, int] = {}
        for pair in f[1].split("|"):
            sid, eq, count = pair.partition("=")
            sid = sid.strip()
            if not eq:
                pc.add("MaxShifts entry is not ShiftID=count", row=lineno, column="MaxShifts", value=pair)
                continue
            if sid not in shift_ids:
                pc.add("unknown shift in MaxShifts", row=lineno, column="MaxShifts", value=sid,
                       expected="an ID of SECTION_SHIFTS")
                continue
            n = _int(pc, count.strip(), lineno, f"MaxShifts[{sid}]")
            if n is not None:
                max_shifts[sid] = n
        nums = [_int(pc, f[i], lineno, STAFF_FIELDS[i]) for i in range(2, 8)]
        if any(v is None for v in nums):
            continue
        max_total, min_total, max_cons, min_cons, min_off, max_we = nums
        if min_total > max_total:
            pc.add("MinTotalMinutes above MaxTotalMinutes", row=lineno, column="MinTotalMinutes", value=f[3],
                   expected=f"at most {max_total}")
        # a shift type missing from MaxShifts has no per-type limit
        out.append(Employee(emp, dict(max_shifts), max_total, min_total, max_cons, min_cons, min_off, max_we,
                            days_off.get(emp, frozenset())))
    if not out and not pc.problems:
        pc.add("SECTION_STAFF has no employee")
    return out


def _requests(pc: ProblemCollector, rows, section: str, horizon: int, shift_ids: set[str], staff_ids: set[str]):
    out = []
    for lineno, f in rows:
        if not _fields(pc, lineno, f, REQUEST_FIELDS, section):
            continue
        emp, day_t, sid, w_t = f
        ok = True
        if emp not in staff_ids:
            pc.add(f"unknown employee in {section}", row=lineno, column="EmployeeID", value=emp,
                   expected="an ID of SECTION_STAFF")
            ok = False
        if sid not in shift_ids:
            pc.add(f"unknown shift in {section}", row=lineno, column="ShiftID", value=sid,
                   expected="an ID of SECTION_SHIFTS")
            ok = False
        day = _int(pc, day_t, lineno, "Day", lo=0, hi=horizon - 1)
        weight = _int(pc, w_t, lineno, "Weight")
        if ok and day is not None and weight is not None:
            out.append(ShiftRequest(emp, day, sid, weight))
    return out


def _cover(pc: ProblemCollector, rows, horizon: int, shift_ids: set[str]) -> list[Cover]:
    out = []
    seen: dict[tuple[int, str], int] = {}
    for lineno, f in rows:
        if not _fields(pc, lineno, f, COVER_FIELDS, "SECTION_COVER"):
            continue
        day = _int(pc, f[0], lineno, "Day", lo=0, hi=horizon - 1)
        sid = f[1]
        if sid not in shift_ids:
            pc.add("unknown shift in SECTION_COVER", row=lineno, column="ShiftID", value=sid,
                   expected="an ID of SECTION_SHIFTS")
            continue
        req, under, over = (_int(pc, f[i], lineno, COVER_FIELDS[i]) for i in (2, 3, 4))
        if day is None or req is None or under is None or over is None:
            continue
        if (day, sid) in seen:
            pc.add(f"cover for day {day}, shift {sid} given twice (first on line {seen[day, sid]})", row=lineno,
                   column="ShiftID", value=sid)
            continue
        seen[day, sid] = lineno
        out.append(Cover(day, sid, req, under, over))
    return out


# ------------------------------------------------------------------------------------------------
# rosters

Roster = tuple[tuple[str | None, ...], ...]
"""One row per employee (instance order), one entry per day: a shift id or None (day off)."""


def write_curtois_roster(path: str | Path, instance: CurtoisInstance, roster: Roster) -> None:
    """Write ``roster`` as ``ID,shift,,shift,...`` lines (one field per day, empty = off)."""
    lines = [f"# {instance.name}: employee, then one shift id per day (empty = day off)"]
    for emp, row in zip(instance.employees, roster):
        lines.append(",".join([emp.id] + [s or "" for s in row]))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_curtois_roster(path: str | Path, instance: CurtoisInstance) -> Roster:
    """Read a roster written by :func:`write_curtois_roster` (every employee once, one field per day)."""
    path = Path(path)
    pc = ProblemCollector(file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read ({exc})", file=str(path)) from None
    shift_ids = {s.id for s in instance.shifts}
    rows: dict[str, tuple[str | None, ...]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        f = [x.strip() for x in line.split(",")]
        emp = f[0]
        if emp not in {e.id for e in instance.employees}:
            pc.add("unknown employee", row=lineno, column="employee", value=emp, expected=f"an employee of {instance.name}")
            continue
        if emp in rows:
            pc.add("employee listed twice", row=lineno, column="employee", value=emp)
            continue
        if len(f) - 1 != instance.horizon_days:
            pc.add(f"{len(f) - 1} day fields", row=lineno, value=emp, expected=f"{instance.horizon_days}")
            continue
        bad = [x for x in f[1:] if x and x not in shift_ids]
        if bad:
            pc.add("unknown shift", row=lineno, value=bad[0], expected="a shift id or an empty field")
            continue
        rows[emp] = tuple(x or None for x in f[1:])
    for e in instance.employees:
        if e.id not in rows and not pc.problems:
            pc.add("employee missing from the roster", value=e.id)
    pc.raise_if_any()
    return tuple(rows[e.id] for e in instance.employees)
