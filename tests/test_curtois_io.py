"""Reading Curtois & Qu instances: the 24 published files, and malformed files with file/line errors."""

from __future__ import annotations

import pytest

from scheduler.errors import InputFileError
from scheduler.io.curtois import (
    Cover,
    ShiftRequest,
    ShiftType,
    parse_curtois,
    read_curtois,
    read_curtois_roster,
    write_curtois_roster,
)

from conftest import shared_path
from curtois_factory import cover_all, make

# days, staff, shift types, days-off entries, on-requests, off-requests, cover lines (the README's table)
SIZES = {
    "Instance1": (14, 8, 1, 8, 21, 5, 14),
    "Instance3": (14, 20, 3, 20, 39, 25, 42),
    "Instance13": (28, 120, 18, 240, 589, 252, 504),
    "Instance24": (364, 150, 32, 5400, 9540, 4269, 11648),
}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_published_instances_have_the_documented_sizes(name):
    inst = read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", f"{name}.txt"))
    sizes = (inst.horizon_days, len(inst.employees), len(inst.shifts), sum(len(e.days_off) for e in inst.employees),
             len(inst.on_requests), len(inst.off_requests), len(inst.cover))
    assert sizes == SIZES[name]
    assert inst.name == name


def test_instance3_fields():
    inst = read_curtois(shared_path("benchmarks", "curtois-qu-nrp-1-24", "Instance3.txt"))
    assert inst.shifts == (ShiftType("E", 480, ()), ShiftType("D", 480, ("E",)), ShiftType("L", 480, ("E", "D")))
    a = inst.employees[0]
    assert (a.id, dict(a.max_shifts), a.max_total_min, a.min_total_min) == ("A", {"E": 14, "D": 14, "L": 0}, 4320, 3360)
    assert (a.max_consecutive_shifts, a.min_consecutive_shifts, a.min_consecutive_days_off, a.max_weekends) == (5, 2, 2, 1)
    assert a.days_off == frozenset({0})
    p = inst.employees[15]
    assert (p.id, p.max_total_min, p.min_total_min, p.min_consecutive_shifts) == ("P", 2160, 1200, 1)
    assert inst.weekends == [(5, 6), (12, 13)]


def test_tiny_instance_parses(write):
    text = make(horizon=3, shifts=["E,480,L", "L,600,"], staff=["A,E=2|L=1,1080,480,3,1,1,1"], days_off=["A,2"],
                on=["A,0,E,2"], off=["A,1,L,3"], cover=["0,E,1,100,1", "1,L,2,50,2"])
    inst = read_curtois(write("tiny.txt", text))
    assert inst.horizon_days == 3
    assert inst.shifts == (ShiftType("E", 480, ("L",)), ShiftType("L", 600, ()))
    assert inst.employees[0].days_off == frozenset({2})
    assert inst.on_requests == (ShiftRequest("A", 0, "E", 2),)
    assert inst.off_requests == (ShiftRequest("A", 1, "L", 3),)
    assert inst.cover == (Cover(0, "E", 1, 100, 1), Cover(1, "L", 2, 50, 2))
    assert inst.weekends == []


def _error(write, text) -> str:
    path = write("bad.txt", text)
    with pytest.raises(InputFileError) as info:
        read_curtois(path)
    msg = str(info.value)
    assert str(path) in msg
    return msg


@pytest.mark.parametrize(
    "overrides, needles",
    [
        ({"staff": ["A,D=7,3360,0,7,1,x,7"]}, ["row 9", "MinConsecutiveDaysOff", "'x'", "integer"]),
        ({"staff": ["A,D=7,3360,0,7,1,1"]}, ["row 9", "7 fields", "expected 8"]),
        ({"staff": ["A,N=7,3360,0,7,1,1,7"]}, ["row 9", "unknown shift in MaxShifts", "'N'"]),
        ({"staff": ["A,D=7,100,200,7,1,1,7"]}, ["row 9", "MinTotalMinutes above MaxTotalMinutes"]),
        ({"shifts": ["D,480,N"]}, ["row 6", "CannotFollow", "'N'"]),
        ({"shifts": ["D,-5,"]}, ["row 6", "LengthInMinutes", "'-5'"]),
        ({"cover": cover_all(7, 1)[:6] + ["7,D,1,100,1"]}, ["column 'Day'", "'7'", "from 0 to 6"]),
        ({"cover": cover_all(7, 1) + ["3,D,2,100,1"]}, ["given twice", "first on line"]),
        ({"on": ["Z,0,D,1"]}, ["unknown employee in SECTION_SHIFT_ON_REQUESTS", "'Z'"]),
        ({"off": ["A,0,D"]}, ["SECTION_SHIFT_OFF_REQUESTS: 3 fields", "expected 4"]),
        ({"days_off": ["A,9"]}, ["column 'day'", "'9'"]),
        ({"days_off": ["B,1"]}, ["unknown employee in SECTION_DAYS_OFF", "'B'"]),
    ],
)
def test_malformed_files_name_file_line_and_field(write, overrides, needles):
    msg = _error(write, make(**overrides))
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_every_problem_is_reported_at_once(write):
    msg = _error(write, make(staff=["A,D=7,3360,0,7,1,1,x"], on=["A,99,D,1"], cover=cover_all(7, 1) + ["1,Q,1,1,1"]))
    assert "MaxWeekends" in msg and "column 'Day'" in msg and "unknown shift in SECTION_COVER" in msg


def test_missing_and_unknown_sections(write):
    msg = _error(write, make().replace("SECTION_COVER", "SECTION_KOVER"))
    assert "unknown section" in msg and "SECTION_KOVER" in msg and "missing section SECTION_COVER" in msg
    msg = _error(write, make().replace("SECTION_HORIZON\n7", "SECTION_HORIZON\n7\n8"))
    assert "exactly one integer" in msg


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_curtois(tmp_path / "nope.txt")


def test_trailing_comma_is_optional_and_comments_are_skipped():
    inst = parse_curtois(make(shifts=["# a comment", "D,480"]))
    assert inst.shifts == (ShiftType("D", 480, ()),)


def test_roster_round_trip(tmp_path, write):
    inst = read_curtois(write("i.txt", make(horizon=3, shifts=["E,480,", "L,480,"],
                                            staff=["A,E=3|L=3,1440,0,3,1,1,1", "B,E=3|L=3,1440,0,3,1,1,1"],
                                            cover=cover_all(3, 1, "E"))))
    roster = (("E", None, "L"), (None, None, None))
    write_curtois_roster(tmp_path / "r.txt", inst, roster)
    assert read_curtois_roster(tmp_path / "r.txt", inst) == roster
    (tmp_path / "bad.txt").write_text("A,E,,X\nB,,,\n")
    with pytest.raises(InputFileError, match="row 1.*unknown shift"):
        read_curtois_roster(tmp_path / "bad.txt", inst)
