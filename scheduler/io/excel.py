"""The roster workbook (openpyxl), both ways: the file supervisors read, edit and hand back.

:func:`write_roster_workbook` writes Summary, Roster, Breaks, Coverage, Overflow and Rules sheets
plus two hidden sheets: ``Codes`` (shift codes with paid hours, and the drop-down lists) and
``Original`` (the codes as written, so that edits can be told from the plan).
:func:`read_roster_workbook` reads Roster and Breaks back into assignments, breaks and locks, every
problem named by its cell (``Roster!H12``). The layout is documented in docs/workbook.md.

Every text that comes from an input (names, ids, codes) is written as an inert string cell (a name
such as ``=HYPERLINK(...)`` or ``-Li`` stays text); dates and times are real Excel dates. Formulas in
cells read back are reported as errors and never evaluated.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from scheduler import columns as C
from scheduler.io.atomic import atomic_path
from scheduler.io.workbook_safety import merged_ranges
from scheduler.errors import Problem, ProblemCollector, WorkbookError
from scheduler.scenario import Scenario
from scheduler.shifts import LEAVE, NON_WORKING_CODES, OFF, Shift, build_catalogue
from scheduler.timeutil import format_clock

# ------------------------------------------------------------------------------------------------
# layout (docs/workbook.md)

SUMMARY, ROSTER, BREAKS, COVERAGE, OVERFLOW, RULES = "Summary", "Roster", "Breaks", "Coverage", "Overflow", "Rules"
CODES, ORIGINAL = "Codes", "Original"
VISIBLE_SHEETS = (SUMMARY, ROSTER, BREAKS, COVERAGE, OVERFLOW, RULES)
HIDDEN_SHEETS = (CODES, ORIGINAL)
ALL_SHEETS = VISIBLE_SHEETS + HIDDEN_SHEETS

ROSTER_HEADERS = ("Agent ID", "Name", "Team", "Seniority", "Contract", "Lock")
FIRST_DAY_COL = len(ROSTER_HEADERS) + 1            # column G
BREAK_HEADERS = ("Agent ID", "Name", "Date", "Shift", "Kind", "Start", "End")
COVERAGE_HEADERS = ("Interval start", "Queue or group", "Forecast volume", "Required", "Scheduled", "Service level")
WEEK_HOURS_PREFIX = "Paid h week of"
LOCK_YES = {"yes", "y", "x", "true", "1", "lock", "locked"}
LOCK_NO = {"", "no", "n", "false", "0"}

DATE_FMT = "yyyy-mm-dd"
DAY_HEADER_FMT = "ddd d mmm"
DATETIME_FMT = "yyyy-mm-dd hh:mm"
TIME_FMT = "hh:mm"

_FAMILY_FILLS = ("BDD7EE", "C6E0B4", "B4A7D6", "F8CBAD", "FFE699", "A9D08E", "D9D9D9", "9BC2E6")
_LEAVE_FILL = "FF9999"
_WEEKEND_FILL = "EDEDED"
_HEADER_FILL = "1F4E78"
_MISS_FILL = "FFC7CE"
_HARD_FILL = "FF6666"
_SOFT_FILL = "FFD966"
_BOLD = Font(bold=True)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="BFBFBF")


# ------------------------------------------------------------------------------------------------
# small writers


def _text(ws, row: int, col: int, value: Any, *, bold: bool = False):
    """Write ``value`` as an inert string cell (never a formula)."""
    cell = ws.cell(row=row, column=col)
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    cell.value = text
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True
    if bold:
        cell.font = _BOLD
    return cell


def _put(ws, row: int, col: int, value: Any, fmt: str | None = None, *, bold: bool = False):
    """Write a number, date or time (strings go through :func:`_text`)."""
    if isinstance(value, str) or value is None:
        return _text(ws, row, col, value, bold=bold)
    if isinstance(value, (np.integer,)):
        value = int(value)
    elif isinstance(value, (np.floating, float)):
        value = None if not math.isfinite(float(value)) else float(value)
    elif isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    cell = ws.cell(row=row, column=col, value=value)
    if fmt:
        cell.number_format = fmt
    if bold:
        cell.font = _BOLD
    return cell


def _header(ws, row: int, labels, col: int = 1) -> None:
    for j, label in enumerate(labels):
        c = _text(ws, row, col + j, label)
        c.font = _HEADER_FONT
        c.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _print_setup(ws, *, title_rows: str | None = "1:1", title_cols: str | None = None) -> None:
    """A4 landscape, fit to one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.oddFooter.center.text = "&A — page &P of &N"


def _widths(ws, widths: dict[str, float]) -> None:
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w


def _as_date(v) -> date:
    """A date from a date, datetime, Timestamp or ISO text."""
    return pd.Timestamp(v).date()


def _shift_rows(catalogue: dict[str, Shift], assignments: pd.DataFrame):
    """(agent_id, day, code, start, end, paid_h) per assignment; times from the code when it is known."""
    for r in assignments.itertuples(index=False):
        d = _as_date(getattr(r, C.DATE))
        code = str(getattr(r, C.SHIFT))
        s = catalogue.get(code)
        start = s.start_on(d) if s else _ts(getattr(r, C.SHIFT_START))
        end = s.end_on(d) if s else _ts(getattr(r, C.SHIFT_END))
        yield str(getattr(r, C.AGENT_ID)), d, code, start, end, float(getattr(r, C.PAID_H))


def _ts(v) -> datetime:
    return pd.Timestamp(v).to_pydatetime()


# ------------------------------------------------------------------------------------------------
# writing


def _agent_order(scenario: Scenario, agents: pd.DataFrame) -> pd.DataFrame:
    team_rank = {t: i for i, t in enumerate(scenario.teams)}
    order = agents.assign(_rank=agents[C.TEAM].map(lambda t: team_rank.get(t, len(team_rank))))
    return order.sort_values(["_rank", C.AGENT_ID], kind="stable").drop(columns="_rank").reset_index(drop=True)


def _code_grid(scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame,
               locks: pd.DataFrame | None = None) -> dict[tuple[str, date], str]:
    """(agent, day) -> code: the shift, else LEAVE on an unavailable day or a LEAVE lock, else OFF."""
    grid: dict[tuple[str, date], str] = {}
    days = scenario.horizon.dates()
    locked_leave = set()
    if locks is not None and len(locks):
        locked_leave = {(str(a), _as_date(d)) for a, d, code in zip(locks[C.AGENT_ID], locks[C.DATE], locks[C.SHIFT])
                        if str(code) == LEAVE}
    for r in agents.itertuples(index=False):
        leave = getattr(r, C.UNAVAILABLE, frozenset()) or frozenset()
        for d in days:
            key = (str(r.agent_id), d)
            grid[key] = LEAVE if d in leave or key in locked_leave else OFF
    for r in assignments.itertuples(index=False):
        key = (str(getattr(r, C.AGENT_ID)), _as_date(getattr(r, C.DATE)))
        if key in grid:
            grid[key] = str(getattr(r, C.SHIFT))
    return grid


def _valid_codes(catalogue: dict[str, Shift], team: str, night_ok: bool) -> list[str]:
    ok_night = night_ok or team == "night"
    return [c for c, s in catalogue.items() if team in s.teams and (ok_night or not s.is_night)] + [OFF, LEAVE]


def _family_fills(scenario: Scenario) -> dict[str, str]:
    return {t.code: _FAMILY_FILLS[i % len(_FAMILY_FILLS)] for i, t in enumerate(scenario.shifts.values())}


def write_roster_workbook(path: str | Path, *, scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame,
                          breaks: pd.DataFrame, coverage: pd.DataFrame | None, summary: dict,
                          original: dict[tuple[str, date], str] | None = None,
                          locked_agents: set[str] | frozenset[str] = frozenset(),
                          locks: pd.DataFrame | None = None,
                          annotations: list[tuple[tuple, str, str]] | None = None) -> Path:
    """Write the roster workbook to ``path`` atomically (a temporary file, then a rename).

    ``coverage``: ``interval_start, queue_or_group, forecast_volume, required, scheduled,
    service_level`` (may be None or empty); ``summary``: the plan summary (pipeline.build_summary).
    ``original``: the codes to store as the plan's originals (default: the roster's own codes);
    ``locked_agents``: rows written with Lock = yes; ``locks`` (``agent_id, date, shift``, as read from
    a supervisor's workbook): days locked as ``LEAVE`` are written as LEAVE; ``annotations``: ``(key, severity, text)`` with
    key ``("cell", agent_id, date)``, ``("break", agent_id, start)``, ``("agent", agent_id)`` or
    ``("day", date)``: that cell is highlighted (hard red, soft amber) and commented (``check -o``).
    """
    path = Path(path)
    catalogue = build_catalogue(scenario)
    agents = _agent_order(scenario, agents)
    grid = _code_grid(scenario, agents, assignments, locks)
    wb = Workbook()
    ws_summary = wb.active
    ws_summary.title = SUMMARY
    ws_roster = wb.create_sheet(ROSTER)
    ws_breaks = wb.create_sheet(BREAKS)
    ws_cov = wb.create_sheet(COVERAGE)
    ws_over = wb.create_sheet(OVERFLOW)
    ws_rules = wb.create_sheet(RULES)
    ws_codes = wb.create_sheet(CODES)
    ws_orig = wb.create_sheet(ORIGINAL)

    lists = _write_codes(ws_codes, scenario, catalogue, agents)
    layout = _write_roster(ws_roster, scenario, catalogue, agents, grid, lists, locked_agents)
    _write_original(ws_orig, scenario, agents, original if original is not None else grid)
    layout.update(_write_breaks(ws_breaks, scenario, catalogue, agents, assignments, breaks))
    coverage = coverage if coverage is not None else pd.DataFrame(columns=list(C.COVERAGE_COLUMNS))
    _write_coverage(ws_cov, scenario, coverage)
    _write_overflow(ws_over, scenario, catalogue, assignments)
    _write_rules(ws_rules, scenario, catalogue)
    _write_summary(ws_summary, scenario, agents, assignments, coverage, summary)
    for ws in (ws_codes, ws_orig):
        ws.sheet_state = "hidden"
        ws.protection.sheet = True          # no password: protects against accidental edits only
    if annotations:
        annotate(wb, _resolve(annotations, layout))

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _write_codes(ws, scenario: Scenario, catalogue: dict[str, Shift], agents: pd.DataFrame) -> dict[tuple, str]:
    """Hidden sheet: A code, B paid h, C template, D start, E end; then one drop-down list per
    (team, night_ok) class from column G. Returns class -> absolute range for data validation."""
    _header(ws, 1, ("Code", "Paid h", "Template", "Start", "End"))
    codes = list(catalogue.values())
    for i, s in enumerate(codes, start=2):
        _text(ws, i, 1, s.code)
        _put(ws, i, 2, s.paid_h)
        _text(ws, i, 3, s.template)
        _text(ws, i, 4, format_clock(s.start_min))
        _text(ws, i, 5, format_clock(s.end_min))
    for j, code in enumerate(NON_WORKING_CODES, start=len(codes) + 2):
        _text(ws, j, 1, code)
        _put(ws, j, 2, 0.0)
    classes = sorted({(str(r.team), bool(getattr(r, C.NIGHT_OK, False)) or r.team == "night")
                      for r in agents.itertuples(index=False)})
    out: dict[tuple, str] = {}
    for k, (team, night) in enumerate(classes):
        col = 7 + k
        _text(ws, 1, col, f"{team}{' night_ok' if night else ''}", bold=True)
        valid = _valid_codes(catalogue, team, night)
        for i, code in enumerate(valid, start=2):
            _text(ws, i, col, code)
        letter = get_column_letter(col)
        out[(team, night)] = f"{quote_sheetname(CODES)}!${letter}$2:${letter}${len(valid) + 1}"
    return out


def _codes_hours_ranges(scenario: Scenario) -> tuple[str, str]:
    n = len(build_catalogue(scenario)) + len(NON_WORKING_CODES) + 1
    sheet = quote_sheetname(CODES)
    return f"{sheet}!$A$2:$A${n}", f"{sheet}!$B$2:$B${n}"


def _weeks(days: list[date]) -> list[list[int]]:
    """Indices of the horizon days grouped by Monday-Sunday week."""
    out: dict[date, list[int]] = {}
    for i, d in enumerate(days):
        out.setdefault(d - timedelta(days=d.weekday()), []).append(i)
    return list(out.values())


def _write_roster(ws, scenario: Scenario, catalogue: dict[str, Shift], agents: pd.DataFrame,
                  grid: dict[tuple[str, date], str], lists: dict[tuple, str], locked_agents) -> dict[tuple, str]:
    """Returns the layout: ("cell", agent, day), ("agent", agent), ("day", day) -> cell reference."""
    days = scenario.horizon.dates()
    layout: dict[tuple, str] = {("day", d): _ref(ROSTER, 1, FIRST_DAY_COL + j) for j, d in enumerate(days)}
    _header(ws, 1, ROSTER_HEADERS)
    weekend = PatternFill("solid", fgColor=_WEEKEND_FILL)
    for j, d in enumerate(days):
        c = _put(ws, 1, FIRST_DAY_COL + j, d, DAY_HEADER_FMT)
        c.font = _HEADER_FONT
        c.fill = PatternFill("solid", fgColor="2E75B6" if d.weekday() < 5 else "7F7F7F")
        c.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(FIRST_DAY_COL + j)].width = 11
    weeks = _weeks(days)
    week_col0 = FIRST_DAY_COL + len(days)
    _header(ws, 1, [f"{WEEK_HOURS_PREFIX} {days[w[0]] - timedelta(days=days[w[0]].weekday())}" for w in weeks],
            col=week_col0)
    codes_range, hours_range = _codes_hours_ranges(scenario)
    last_row = len(agents) + 1
    validations: dict[tuple, DataValidation] = {}
    for i, r in enumerate(agents.itertuples(index=False), start=2):
        agent_id = str(r.agent_id)
        for j, value in enumerate((agent_id, r.name, r.team, r.seniority, r.contract)):
            _text(ws, i, 1 + j, value)
        _text(ws, i, 6, "yes" if agent_id in locked_agents else "")
        layout[("agent", agent_id)] = _ref(ROSTER, i, 1)
        for j, d in enumerate(days):
            c = _text(ws, i, FIRST_DAY_COL + j, grid[(agent_id, d)])
            layout[("cell", agent_id, d)] = _ref(ROSTER, i, FIRST_DAY_COL + j)
            c.alignment = Alignment(horizontal="center")
            c.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
            if d.weekday() >= 5:
                c.fill = weekend
        for k, w in enumerate(weeks):
            first = get_column_letter(FIRST_DAY_COL + w[0])
            last = get_column_letter(FIRST_DAY_COL + w[-1])
            c = ws.cell(row=i, column=week_col0 + k,
                        value=f"=SUMPRODUCT(SUMIF({codes_range},{first}{i}:{last}{i},{hours_range}))")
            c.number_format = "0.0"
        key = (str(r.team), bool(getattr(r, C.NIGHT_OK, False)) or r.team == "night")
        dv = validations.get(key)
        if dv is None:
            dv = DataValidation(type="list", formula1=lists[key], allow_blank=False, showErrorMessage=True,
                                errorTitle="Not a valid code for this agent",
                                error=f"Choose a shift code of team {key[0]}"
                                      f"{' (night shifts allowed)' if key[1] else ''}, OFF or LEAVE.",
                                promptTitle="Shift code", prompt="Pick from the list (OFF = day off).",
                                showInputMessage=False)
            ws.add_data_validation(dv)
            validations[key] = dv
        dv.add(f"{get_column_letter(FIRST_DAY_COL)}{i}:{get_column_letter(FIRST_DAY_COL + len(days) - 1)}{i}")
    lock_dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True, showErrorMessage=True,
                             error="Type yes to keep every cell of this row fixed when re-optimising.")
    ws.add_data_validation(lock_dv)
    lock_dv.add(f"F2:F{max(last_row, 2)}")
    # shift families coloured by conditional formatting, so edited cells recolour themselves
    area = f"{get_column_letter(FIRST_DAY_COL)}2:{get_column_letter(FIRST_DAY_COL + len(days) - 1)}{max(last_row, 2)}"
    top_left = f"{get_column_letter(FIRST_DAY_COL)}2"
    for fam, colour in _family_fills(scenario).items():
        rule = FormulaRule(formula=[f'AND(LEFT({top_left},{len(fam)})="{fam}",LEN({top_left})={len(fam) + 4},'
                                    f'ISNUMBER(VALUE(RIGHT({top_left},4))))'],
                           fill=PatternFill("solid", fgColor=colour, bgColor=colour))
        ws.conditional_formatting.add(area, rule)
    ws.conditional_formatting.add(area, FormulaRule(formula=[f'{top_left}="{LEAVE}"'],
                                                    fill=PatternFill("solid", fgColor=_LEAVE_FILL, bgColor=_LEAVE_FILL)))
    _widths(ws, {"A": 10, "B": 18, "C": 9, "D": 9, "E": 10, "F": 6})
    for k in range(len(weeks)):
        ws.column_dimensions[get_column_letter(week_col0 + k)].width = 11
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = ws.cell(row=2, column=FIRST_DAY_COL)
    _print_setup(ws, title_rows="1:1", title_cols="A:B")
    ws.page_setup.fitToWidth = max(1, math.ceil(len(days) / 14))   # about two weeks per page
    return layout


def _write_original(ws, scenario: Scenario, agents: pd.DataFrame, grid: dict[tuple[str, date], str]) -> None:
    days = scenario.horizon.dates()
    _text(ws, 1, 1, "Agent ID")
    for j, d in enumerate(days):
        _put(ws, 1, 2 + j, d, DATE_FMT)
    for i, r in enumerate(agents.itertuples(index=False), start=2):
        agent_id = str(r.agent_id)
        _text(ws, i, 1, agent_id)
        for j, d in enumerate(days):
            _text(ws, i, 2 + j, grid.get((agent_id, d), OFF))


def _break_rows(scenario: Scenario, catalogue: dict[str, Shift], assignments: pd.DataFrame,
                breaks: pd.DataFrame) -> list[tuple]:
    """(agent_id, shift date or None, shift code or '', kind, start, end) sorted by agent and start."""
    shifts: dict[str, list[tuple[datetime, datetime, date, str]]] = defaultdict(list)
    for agent_id, d, code, start, end, _ in _shift_rows(catalogue, assignments):
        shifts[agent_id].append((start, end, d, code))
    rows = []
    for r in breaks.itertuples(index=False):
        agent_id = str(getattr(r, C.AGENT_ID))
        s, e = _ts(getattr(r, C.SHIFT_START)), _ts(getattr(r, C.SHIFT_END))
        # the earliest shift that holds it (a night shift overlapping the next morning's: the night's)
        home = min(((a, d, code) for a, b, d, code in shifts.get(agent_id, []) if a <= s < b), default=(None, None, ""))
        rows.append((agent_id, home[1], home[2], str(getattr(r, C.BREAK_KIND)), s, e))
    rows.sort(key=lambda x: (x[0], x[4]))
    return rows


def _write_breaks(ws, scenario: Scenario, catalogue: dict[str, Shift], agents: pd.DataFrame,
                  assignments: pd.DataFrame, breaks: pd.DataFrame) -> dict[tuple, str]:
    names = dict(zip(agents[C.AGENT_ID].astype(str), agents[C.AGENT_NAME]))
    _header(ws, 1, BREAK_HEADERS)
    layout: dict[tuple, str] = {}
    for i, (agent_id, d, code, kind, s, e) in enumerate(_break_rows(scenario, catalogue, assignments, breaks), start=2):
        layout.setdefault(("break", agent_id, s), _ref(BREAKS, i, 6))
        _text(ws, i, 1, agent_id)
        _text(ws, i, 2, names.get(agent_id, ""))
        if d is not None:
            _put(ws, i, 3, d, DATE_FMT)
        _text(ws, i, 4, code)
        _text(ws, i, 5, kind)
        _put(ws, i, 6, s, DATETIME_FMT)
        _put(ws, i, 7, e, DATETIME_FMT)
    _widths(ws, {"A": 10, "B": 18, "C": 11, "D": 8, "E": 7, "F": 17, "G": 17})
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:G{max(ws.max_row, 2)}"
    _print_setup(ws)
    return layout


def peak_week(coverage: pd.DataFrame) -> list[date]:
    """The Monday-Sunday week with the most forecast volume (the first on ties); with no whole week
    in the coverage, the 7 consecutive days with the most volume."""
    if coverage is None or coverage.empty:
        return []
    daily = coverage.assign(_d=pd.to_datetime(coverage[C.INTERVAL_START]).dt.normalize()) \
        .groupby("_d")[C.FORECAST_VOLUME].sum().sort_index()
    days = [d.date() for d in daily.index]
    if len(days) <= 7:
        return days
    have = set(days)
    best: tuple[float, list[date]] | None = None
    for d in days:
        if d.weekday() == 0 and all(d + timedelta(days=k) in have for k in range(7)):
            week = [d + timedelta(days=k) for k in range(7)]
            total = float(sum(daily[pd.Timestamp(x)] for x in week))
            if best is None or total > best[0]:
                best = (total, week)
    if best is not None:
        return best[1]
    rolling = daily.rolling(7).sum()
    end = int(np.nanargmax(rolling.to_numpy()))
    return days[end - 6:end + 1]


def _write_coverage(ws, scenario: Scenario, coverage: pd.DataFrame) -> None:
    _header(ws, 1, COVERAGE_HEADERS)
    cov = coverage.sort_values([C.INTERVAL_START, C.QUEUE_OR_GROUP], kind="stable") if len(coverage) else coverage
    starts = [t.to_pydatetime() for t in pd.to_datetime(cov[C.INTERVAL_START])] if len(cov) else []
    cols = [cov[c].to_numpy(dtype=float) for c in (C.FORECAST_VOLUME, C.REQUIRED, C.SCHEDULED, C.SERVICE_LEVEL)] \
        if len(cov) else []
    groups = cov[C.QUEUE_OR_GROUP].astype(str).to_numpy() if len(cov) else []
    for i in range(len(cov)):
        row = i + 2
        _put(ws, row, 1, starts[i], DATETIME_FMT)
        _text(ws, row, 2, groups[i])
        _put(ws, row, 3, cols[0][i], "0.0")
        _put(ws, row, 4, cols[1][i], "0.0")
        _put(ws, row, 5, cols[2][i], "0.0")
        _put(ws, row, 6, cols[3][i], "0.0%")
    _widths(ws, {"A": 17, "B": 18, "C": 10, "D": 10, "E": 10, "F": 10})
    ws.freeze_panes = "A2"
    if len(cov):
        ws.auto_filter.ref = f"A1:F{len(cov) + 1}"
    # peak-week block: time of day x (required, scheduled) per day, and one line chart per day
    week = peak_week(cov)
    col0 = 8  # column H
    _text(ws, 1, col0, "Peak week: all queues, effective agents", bold=True)
    if not week:
        _text(ws, 2, col0, "No coverage in this plan.")
        _print_setup(ws)
        return
    per = cov.assign(_t=pd.to_datetime(cov[C.INTERVAL_START]))
    per = per.groupby("_t")[[C.REQUIRED, C.SCHEDULED]].sum()
    step = scenario.interval_min
    slots = list(range(0, 1440, step))
    _text(ws, 2, col0, "Time", bold=True)
    for k, m in enumerate(slots):
        _put(ws, 3 + k, col0, time(m // 60, m % 60), TIME_FMT)
    for j, d in enumerate(week):
        c_req, c_sch = col0 + 1 + 2 * j, col0 + 2 + 2 * j
        label = d.strftime("%a %d %b")
        ws.column_dimensions[get_column_letter(c_req)].width = 11
        ws.column_dimensions[get_column_letter(c_sch)].width = 11
        _text(ws, 2, c_req, f"{label} required", bold=True)
        _text(ws, 2, c_sch, f"{label} scheduled", bold=True)
        for k, m in enumerate(slots):
            t = pd.Timestamp(datetime.combine(d, time()) + timedelta(minutes=m))
            if t in per.index:
                _put(ws, 3 + k, c_req, float(per.at[t, C.REQUIRED]), "0.0")
                _put(ws, 3 + k, c_sch, float(per.at[t, C.SCHEDULED]), "0.0")
        chart = LineChart()
        chart.title = f"{d:%a %d %b %Y}: required vs scheduled"
        chart.y_axis.title = "effective agents"
        chart.x_axis.title = "time of day"
        chart.height, chart.width = 7.5, 16
        data = Reference(ws, min_col=c_req, max_col=c_sch, min_row=2, max_row=2 + len(slots))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=col0, min_row=3, max_row=2 + len(slots)))
        chart.x_axis.number_format = "hh:mm"
        chart.x_axis.tickLblSkip = max(1, 120 // step)
        anchor_col = get_column_letter(col0 + 2 + 2 * len(week) + 1)
        ws.add_chart(chart, f"{anchor_col}{1 + 16 * j}")
    last_col = get_column_letter(col0 + 2 + 2 * len(week) + 10)
    ws.print_area = f"{get_column_letter(col0)}1:{last_col}{max(2 + len(slots), 16 * len(week) + 1)}"
    _print_setup(ws, title_rows=None)


def _write_overflow(ws, scenario: Scenario, catalogue: dict[str, Shift], assignments: pd.DataFrame) -> None:
    teams = [t for t, spec in scenario.teams.items() if t == "overflow" or spec.min_block_h is not None]
    a = assignments[assignments[C.TEAM].isin(teams)] if len(assignments) else assignments
    _text(ws, 1, 1, f"Vendor ({', '.join(teams) or 'overflow'}) headcount to book, per day and time block", bold=True)
    _header(ws, 3, ("Date", "Block start", "Block end", "Shift", "Headcount", "Paid hours"))
    if not len(a):
        _text(ws, 4, 1, "No overflow agents are booked in this plan.")
        _widths(ws, {"A": 12, "B": 12, "C": 12, "D": 8, "E": 11, "F": 11})
        _print_setup(ws, title_rows="3:3")
        return
    rows = defaultdict(lambda: [0, 0.0])
    for _, d, code, start, end, paid_h in _shift_rows(catalogue, a):
        rows[(d, start, end, code)][0] += 1
        rows[(d, start, end, code)][1] += paid_h
    i = 4
    for (d, start, end, code), (n, hours) in sorted(rows.items()):
        _put(ws, i, 1, d, DATE_FMT)
        _put(ws, i, 2, start, DATETIME_FMT)
        _put(ws, i, 3, end, DATETIME_FMT)
        _text(ws, i, 4, code)
        _put(ws, i, 5, n)
        _put(ws, i, 6, hours, "0.0")
        i += 1
    _text(ws, i, 1, "Total", bold=True)
    _put(ws, i, 5, sum(v[0] for v in rows.values()), bold=True)
    _put(ws, i, 6, sum(v[1] for v in rows.values()), "0.0", bold=True)
    # per day: agents, hours, most on shift at once
    i += 2
    _header(ws, i, ("Date", "Agents", "Paid hours", "Most at once"))
    by_day: dict[date, list] = defaultdict(list)
    for (d, start, end, code), (n, hours) in rows.items():
        by_day[d].append((start, end, n, hours))
    for d in sorted(by_day):
        i += 1
        events = sorted([(s, n) for s, e, n, h in by_day[d]] + [(e, -n) for s, e, n, h in by_day[d]])
        now = peak = 0
        for _, step in events:
            now += step
            peak = max(peak, now)
        _put(ws, i, 1, d, DATE_FMT)
        _put(ws, i, 2, sum(x[2] for x in by_day[d]))
        _put(ws, i, 3, sum(x[3] for x in by_day[d]), "0.0")
        _put(ws, i, 4, peak)
    _widths(ws, {"A": 12, "B": 17, "C": 17, "D": 12, "E": 11, "F": 11})
    ws.freeze_panes = "A4"
    _print_setup(ws, title_rows="3:3")


def _write_rules(ws, scenario: Scenario, catalogue: dict[str, Shift]) -> None:
    row = 1

    def section(title: str, headers, rows) -> None:
        nonlocal row
        _text(ws, row, 1, title, bold=True)
        row += 1
        _header(ws, row, headers)
        for values in rows:
            row += 1
            for j, v in enumerate(values):
                _put(ws, row, 1 + j, v)
        row += 2

    r = scenario.rules
    section("Labour rules", ("Rule", "Value"), [
        ("min_rest_h", r.min_rest_h), ("rest_after_night_h", r.rest_after_night_h if r.rest_after_night_h is not None
                                       else f"= min_rest_h ({r.min_rest_h:g})"),
        ("max_consecutive_days", r.max_consecutive_days), ("min_days_off_per_week", r.min_days_off_per_week),
        ("consecutive_days_off", "yes" if r.consecutive_days_off else "no"),
        ("max_nights_per_week", r.max_nights_per_week),
        ("night_window", f"{format_clock(r.night_window.start)}-{format_clock(r.night_window.end)}"),
        ("stable_start_max_diff_h", "" if r.stable_start_max_diff_h is None else r.stable_start_max_diff_h),
        ("soft rules", ", ".join(r.soft) or "none"),
    ])
    section("Teams", ("Team", "Cost per hour", "Night premium", "AHT multiplier", "Min block h", "Max agents"), [
        (t, s.cost_per_hour, s.night_premium, s.aht_multiplier, "" if s.min_block_h is None else s.min_block_h,
         "" if s.max_agents is None else s.max_agents) for t, s in scenario.teams.items()
    ])
    section("Contracts", ("Contract", "Min h/week", "Max h/week", "Overtime h/week", "Overtime cost ×"), [
        (n, c.min_hours_per_week, c.max_hours_per_week, c.overtime_h_per_week, c.overtime_cost_multiplier)
        for n, c in scenario.contracts.items()
    ])
    section("Queues", ("Queue", "Channel", "AHT s", "Target", "Teams", "Hours"), [
        (q, s.channel, s.aht_s,
         f"{s.sla.target:.0%} within {s.sla.answer_within_s:g} s" if s.is_live else f"resolve within {s.sla.resolve_within_h:g} h",
         ", ".join(s.teams), s.hours) for q, s in scenario.queues.items()
    ])
    section("Shift templates", ("Template", "Code", "Teams", "Starts", "Length h", "Breaks"), [
        (name, t.code, ", ".join(t.teams),
         ", ".join(format_clock(m) for m in t.start_minutes()), t.length_h,
         "; ".join(f"{b.kind} {b.length_min} min at +{b.earliest_after_min}..{b.latest_after_min} min"
                   f"{'' if b.paid else ' (unpaid)'}" for b in t.breaks) or "none")
        for name, t in scenario.shifts.items()
    ])
    legend_row = row
    section("Shift codes (cell colours on the Roster)", ("Code", "Start", "End", "Paid h", "Night", "Teams"), [
        (s.code, format_clock(s.start_min), format_clock(s.end_min), s.paid_h, "yes" if s.is_night else "",
         ", ".join(s.teams)) for s in catalogue.values()
    ] + [(OFF, "", "", 0.0, "", "day off"), (LEAVE, "", "", 0.0, "", "leave / unavailable")])
    fills = _family_fills(scenario)
    template_code = {name: t.code for name, t in scenario.shifts.items()}
    for k, s in enumerate(list(catalogue.values()) + [None, None]):
        cell = ws.cell(row=legend_row + 2 + k, column=1)
        if s is not None:
            cell.fill = PatternFill("solid", fgColor=fills[template_code[s.template]])
        elif cell.value == LEAVE:
            cell.fill = PatternFill("solid", fgColor=_LEAVE_FILL)
    _widths(ws, {"A": 24, "B": 14, "C": 14, "D": 22, "E": 12, "F": 50})
    _print_setup(ws, title_rows=None)


def daily_service_levels(scenario: Scenario, coverage: pd.DataFrame) -> pd.DataFrame:
    """Volume-weighted expected SL per day and live queue: ``date, queue, volume, service_level, target``."""
    live = [q for q, s in scenario.queues.items() if s.is_live]
    cov = coverage[coverage[C.QUEUE_OR_GROUP].isin(live)] if len(coverage) else coverage
    if not len(cov):
        return pd.DataFrame(columns=["date", "queue", "volume", "service_level", "target"])
    cov = cov.assign(date=pd.to_datetime(cov[C.INTERVAL_START]).dt.date,
                     answered=cov[C.FORECAST_VOLUME] * cov[C.SERVICE_LEVEL])
    g = cov.groupby(["date", C.QUEUE_OR_GROUP], as_index=False)[[C.FORECAST_VOLUME, "answered"]].sum()
    vol = g[C.FORECAST_VOLUME].to_numpy(dtype=float)
    g["service_level"] = np.divide(g["answered"].to_numpy(dtype=float), vol, out=np.full(len(g), np.nan), where=vol > 0)
    g = g.rename(columns={C.QUEUE_OR_GROUP: "queue", C.FORECAST_VOLUME: "volume"})
    g["target"] = [scenario.queues[q].sla.daily_target_on(d) or scenario.queues[q].sla.target
                   for q, d in zip(g["queue"], g["date"])]
    return g[["date", "queue", "volume", "service_level", "target"]]


def _write_summary(ws, scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame, coverage: pd.DataFrame,
                   summary: dict) -> None:
    _text(ws, 1, 1, f"Roster: {scenario.name}", bold=True).font = Font(bold=True, size=14)
    if scenario.description:
        _text(ws, 2, 1, scenario.description)
    solver = summary.get("solver", {}) if isinstance(summary.get("solver"), dict) else {}
    gap = solver.get("gap")
    rows = [
        ("Scenario", scenario.name),
        ("Horizon", f"{scenario.horizon.start} to {scenario.horizon.end} ({scenario.horizon.days} days)"),
        ("Solver status", solver.get("status", summary.get("status", ""))),
        ("Objective (labour + penalties)", solver.get("objective")),
        ("Best bound (no roster cheaper)", solver.get("best_bound")),
        ("Gap", gap),
        ("Solver time (s)", solver.get("wall_time_s")),
        ("Agents rostered", int(assignments[C.AGENT_ID].nunique()) if len(assignments) else 0),
        ("Agents in file", len(agents)),
        ("Hard rule violations", summary.get("hard_violations", "")),
    ]
    for key in ("note", "checked"):
        if key in summary:
            rows.append((key.capitalize(), summary[key]))
    r = 4
    for label, value in rows:
        _text(ws, r, 1, label, bold=True)
        fmt = "0.00%" if label == "Gap" else ("#,##0.0" if isinstance(value, float) else None)
        _put(ws, r, 2, value if value is not None else "", fmt)
        r += 1
    # paid hours and cost per team (computed from the roster itself)
    r += 1
    _header(ws, r, ("Team", "Agents", "Shifts", "Paid hours", "Cost"))
    catalogue = build_catalogue(scenario)
    total_h = total_cost = 0.0
    costs = summary.get("cost_by_team") if isinstance(summary.get("cost_by_team"), dict) else {}
    for team, spec in scenario.teams.items():
        a = assignments[assignments[C.TEAM] == team] if len(assignments) else assignments
        hours = float(a[C.PAID_H].sum()) if len(a) else 0.0
        cost = costs.get(team)
        if cost is None:
            cost = _team_cost(scenario, catalogue, a, spec)
        r += 1
        _text(ws, r, 1, team)
        _put(ws, r, 2, int(a[C.AGENT_ID].nunique()) if len(a) else 0)
        _put(ws, r, 3, len(a))
        _put(ws, r, 4, hours, "#,##0.0")
        _put(ws, r, 5, float(cost), "#,##0")
        total_h += hours
        total_cost += float(cost)
    r += 1
    _text(ws, r, 1, "Total", bold=True)
    _put(ws, r, 4, total_h, "#,##0.0", bold=True)
    _put(ws, r, 5, total_cost, "#,##0", bold=True)
    over = assignments[assignments[C.TEAM] == "overflow"] if len(assignments) else assignments
    r += 1
    _text(ws, r, 1, "Overflow hours", bold=True)
    _put(ws, r, 4, float(over[C.PAID_H].sum()) if len(over) else 0.0, "#,##0.0")
    # expected service level per day and queue, red where the target is missed
    r += 2
    daily = daily_service_levels(scenario, coverage)
    _text(ws, r, 1, "Expected service level per day and queue (red: below target)", bold=True)
    r += 1
    if daily.empty:
        _text(ws, r, 1, "No coverage in this plan.")
        r += 1
    else:
        present = set(daily["queue"])
        queues = [q for q in scenario.queues if q in present]  # scenario order, as in the simulated table
        _header(ws, r, ["Date"] + [_target_label(scenario, q) for q in queues])
        ws.row_dimensions[r].height = 32
        table = daily.set_index(["date", "queue"])
        miss = PatternFill("solid", fgColor=_MISS_FILL)
        for d in sorted(daily["date"].unique()):
            r += 1
            _put(ws, r, 1, d, DATE_FMT)
            for j, q in enumerate(queues):
                if (d, q) not in table.index:
                    continue
                sl, target = table.at[(d, q), "service_level"], table.at[(d, q), "target"]
                c = _put(ws, r, 2 + j, sl, "0.0%")
                if sl is not None and np.isfinite(sl) and sl < target - 1e-9:
                    c.fill = miss
                    c.font = Font(color="9C0006", bold=True)
        r += 1
    r = _write_simulated(ws, scenario, summary, r)
    notes = list(summary.get("violations", []) or [])
    if notes:
        r += 1
        _text(ws, r, 1, "Rule violations found by the independent checker", bold=True)
        for text in notes[:200]:
            r += 1
            _text(ws, r, 1, text)
    _widths(ws, {"A": 26, "B": 22, "C": 22, "D": 22, "E": 22, "F": 22, "G": 22})
    _print_setup(ws, title_rows=None)


def _target_label(scenario: Scenario, queue: str) -> str:
    sla = scenario.queues[queue].sla
    return f"{queue} (target {sla.daily_target or sla.target:.0%})"


def _write_simulated(ws, scenario: Scenario, summary: dict, r: int) -> int:
    """The simulated service level per day and queue from the summary (``service_level_by_day``), if any."""
    by_day = summary.get("service_level_by_day")
    if not isinstance(by_day, dict):
        return r
    cells = {(d, q): v.get("simulated") for d, queues in by_day.items() if isinstance(queues, dict)
             for q, v in queues.items() if isinstance(v, dict) and v.get("simulated") is not None}
    if not cells:
        return r
    queues = [q for q in scenario.queues if any(k[1] == q for k in cells)]
    r += 1
    _text(ws, r, 1, "Simulated service level per day and queue (discrete-event simulation; red: below target)",
          bold=True)
    r += 1
    _header(ws, r, ["Date"] + [_target_label(scenario, q) for q in queues])
    ws.row_dimensions[r].height = 32
    miss = PatternFill("solid", fgColor=_MISS_FILL)
    for d in sorted({k[0] for k in cells}):
        r += 1
        _put(ws, r, 1, _as_date(d), DATE_FMT)
        for j, q in enumerate(queues):
            v = cells.get((d, q))
            if v is None:
                continue
            c = _put(ws, r, 2 + j, float(v), "0.0%")
            spec = scenario.queues[q]
            target = spec.sla.daily_target_on(_as_date(d)) or spec.sla.target
            if target is not None and float(v) < target - 1e-9:
                c.fill = miss
                c.font = Font(color="9C0006", bold=True)
    return _write_simulated_deferred(ws, scenario, summary, r + 1)


def _write_simulated_deferred(ws, scenario: Scenario, summary: dict, r: int) -> int:
    """The simulated share of deferred work finished past its deadline per day and queue
    (``deferred_by_day``), red where late work is above zero beyond the simulation's noise."""
    by_day = summary.get("deferred_by_day")
    if not isinstance(by_day, dict) or not by_day:
        return r
    queues = [q for q in scenario.queues if any(isinstance(v, dict) and q in v for v in by_day.values())]
    if not queues:
        return r
    r += 1
    _text(ws, r, 1, "Simulated deferred work past its deadline, share of the day's items "
                    "(red: late work beyond the simulation's noise)", bold=True)
    r += 1
    _header(ws, r, ["Date"] + [f"{q} (within {scenario.queues[q].sla.resolve_within_h:g} h)" for q in queues])
    ws.row_dimensions[r].height = 32
    miss = PatternFill("solid", fgColor=_MISS_FILL)
    for d in sorted(by_day):
        r += 1
        _put(ws, r, 1, _as_date(d), DATE_FMT)
        for j, q in enumerate(queues):
            v = by_day[d].get(q) if isinstance(by_day[d], dict) else None
            share = v.get("simulated_past_deadline_share") if isinstance(v, dict) else None
            if share is None:
                continue
            c = _put(ws, r, 2 + j, float(share), "0.0%")
            lo = v.get("simulated_past_deadline_lo")
            if (lo if lo is not None else share) > 1e-9:
                c.fill = miss
                c.font = Font(color="9C0006", bold=True)
    return r + 1


def _team_cost(scenario: Scenario, catalogue: dict[str, Shift], a: pd.DataFrame, spec) -> float:
    """Paid hours × cost per hour, plus the night premium on paid time inside the night window."""
    from scheduler.shifts import night_overlap_min

    nw = scenario.rules.night_window
    total = 0.0
    for r in a.itertuples(index=False):
        s = catalogue.get(str(getattr(r, C.SHIFT)))
        paid = float(getattr(r, C.PAID_H))
        night_h = night_overlap_min(s.start_min, s.end_min, nw.start, nw.end) / 60.0 if s else 0.0
        total += spec.cost_per_hour * (paid + spec.night_premium * min(night_h, paid))
    return total


def _resolve(annotations: list[tuple[tuple, str, str]], layout: dict[tuple, str]) -> dict[str, list[tuple[str, str]]]:
    """Annotation keys -> cell references of the workbook just written (a break falls back to its day)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key, severity, text in annotations:
        ref = layout.get(key)
        if ref is None and key[0] == "break":
            ref = layout.get(("cell", key[1], pd.Timestamp(key[2]).date())) or layout.get(("agent", key[1]))
        out.setdefault(ref or f"{ROSTER}!A1", []).append((severity, text))
    return out


def annotate(wb, annotations: dict[str, list[tuple[str, str]]]) -> None:
    """Highlight cells (``"Roster!H12"``) and attach the messages as comments."""
    for ref, notes in annotations.items():
        sheet, _, cell_ref = ref.partition("!")
        if sheet not in wb.sheetnames or not cell_ref:
            continue
        cell = wb[sheet][cell_ref.split(":")[0]]
        hard = any(sev == "hard" for sev, _ in notes)
        colour = _HARD_FILL if hard else _SOFT_FILL
        cell.fill = PatternFill("solid", fgColor=colour, bgColor=colour)
        text = "\n".join(f"[{sev}] {msg}" for sev, msg in notes)
        comment = Comment(ILLEGAL_CHARACTERS_RE.sub("", text[:2000]), "scheduler check")
        comment.width, comment.height = 320, min(400, 40 + 30 * len(notes))
        cell.comment = comment


# ------------------------------------------------------------------------------------------------
# reading


@dataclass
class RosterWorkbook:
    """What a roster workbook says, with where each item came from.

    ``assignments``/``breaks``/``locks`` follow docs/architecture.md (``locks`` with the ``cell`` each comes
    from, which an infeasible run names); ``locks`` holds every cell the supervisor changed (Roster code differs from the hidden Original sheet), every cell of a row
    whose Lock column says yes and every LEAVE the agents file does not know. ``changes``: ``agent_id,
    date, original, shift, cell`` of the changed cells. ``roster_cells[(agent_id, date)]`` and
    ``break_cells[(agent_id, start)]`` are cell references such as ``Roster!H12``; ``day_cells[date]``
    the date's header cell.
    ``coverage_input``: ``interval_start, queue_or_group, forecast_volume, required`` from the Coverage
    sheet (empty when the sheet has none). ``codes``: ``agent_id, date, shift`` of every Roster cell (a
    shift code, OFF or LEAVE): the roster a re-optimisation starts from and stays close to.
    ``warnings``: edits that are not read and change nothing, each with its cell (an agent's name, a typed
    weekly total, a break row's name or its stale Shift code); the contradictory ones (an agent's team, seniority
    or contract, a break row's date or shift against the Roster) are errors instead.
    """

    path: str
    assignments: pd.DataFrame
    breaks: pd.DataFrame
    locks: pd.DataFrame
    changes: pd.DataFrame
    roster_cells: dict[tuple[str, date], str] = field(default_factory=dict)
    break_cells: dict[tuple[str, datetime], str] = field(default_factory=dict)
    agent_cells: dict[str, str] = field(default_factory=dict)
    day_cells: dict[date, str] = field(default_factory=dict)
    coverage_input: pd.DataFrame | None = None
    locked_agents: frozenset[str] = frozenset()
    original: dict[tuple[str, date], str] = field(default_factory=dict)
    codes: pd.DataFrame | None = None
    warnings: list[Problem] = field(default_factory=list)


class _Blank:
    value = None
    data_type = "n"

    def __init__(self, row: int, column: int):
        self.row, self.column = row, column


class _Sheet:
    """The cells of one sheet read once in openpyxl's read-only (streaming) mode, addressable by
    (row, column); merged ranges are read from the sheet's XML part (not parsed: a byte search)."""

    def __init__(self, ws, wb):
        self.title = ws.title
        self._rows: dict[int, dict[int, Any]] = {}
        self.max_row = self.max_column = 0
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or not hasattr(cell, "row"):
                    continue
                self._rows.setdefault(cell.row, {})[cell.column] = cell
                self.max_row = max(self.max_row, cell.row)
                self.max_column = max(self.max_column, cell.column)
        self.merged = merged_ranges(wb, ws)

    def cell(self, row: int, column: int):
        return self._rows.get(row, {}).get(column) or _Blank(row, column)

    def rows(self, min_row: int, max_col: int):
        for r in range(min_row, self.max_row + 1):
            yield [self.cell(r, c) for c in range(1, max_col + 1)]


def _ref(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{get_column_letter(col)}{row}"


def _cell_kind(cell) -> str | None:
    """'formula', 'error' or None for a plain value."""
    if cell.data_type == "f" or type(cell.value).__name__ in ("ArrayFormula", "DataTableFormula"):
        return "formula"
    if cell.data_type == "e":
        return "error"
    return None


def _plain_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_roster_workbook(path: str | Path, scenario: Scenario, agents: pd.DataFrame, *,
                         read_coverage: bool = False) -> RosterWorkbook:
    """Read a roster workbook written by :func:`write_roster_workbook` (and edited by a supervisor).

    Raises :class:`WorkbookError` listing every problem with its cell (unknown code or agent, a
    formula where a code belongs, a date outside the horizon, moved or merged header cells, missing
    or extra sheets...). Nothing is evaluated: formulas are errors. ``read_coverage`` also reads the
    Coverage sheet's forecast and requirement (``coverage_input``; what ``check`` needs for service levels).
    """
    from scheduler.io.workbook_safety import open_workbook_safely

    path = Path(path)
    name = str(path)
    wb = open_workbook_safely(path, read_only=True)
    out = ProblemCollector(name, error_class=WorkbookError)
    notes = ProblemCollector(name)        # edits not read, reported as warnings
    try:
        sheets = {n: _Sheet(wb[n], wb) for n in (ROSTER, BREAKS, ORIGINAL) if n in wb.sheetnames}
        _check_sheets(wb.sheetnames, sheets, out)
        out.raise_if_any()
        catalogue = build_catalogue(scenario)
        agent_rows = {str(r.agent_id): r for r in agents.itertuples(index=False)}
        roster = _read_roster_sheet(sheets[ROSTER], scenario, catalogue, agent_rows, out, notes)
        original = _read_original_sheet(sheets[ORIGINAL], scenario, out)
        out.raise_if_any()
        grid, cells, agent_cells, day_cells, locked_agents = roster
        assignments = _assignments_from_grid(scenario, catalogue, agent_rows, grid)
        breaks, break_cells = _read_breaks_sheet(sheets[BREAKS], catalogue, agent_rows, grid, out, notes,
                                                 roster_cells=cells, original=original)
        coverage_input = _read_coverage_sheet(wb[COVERAGE], scenario, out) \
            if read_coverage and COVERAGE in wb.sheetnames else None
        out.raise_if_any()
    except (KeyError, OSError, ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, WorkbookError):
            raise
        raise WorkbookError(f"the workbook cannot be read ({type(exc).__name__}: {exc})", file=name) from None
    finally:
        wb.close()
    changes, locks = [], []
    for (agent_id, d), code in sorted(grid.items()):
        before = original.get((agent_id, d))
        changed = before is not None and before != code
        if changed:
            changes.append({C.AGENT_ID: agent_id, C.DATE: pd.Timestamp(d), "original": before, C.SHIFT: code,
                            "cell": cells[(agent_id, d)]})
        # leave the agents file does not know (typed in an earlier round, written back as LEAVE) stays leave
        leave = code == LEAVE and d not in (getattr(agent_rows[agent_id], C.UNAVAILABLE, None) or ())
        if changed or agent_id in locked_agents or leave:
            locks.append({C.AGENT_ID: agent_id, C.DATE: pd.Timestamp(d), C.SHIFT: code, "cell": cells[(agent_id, d)]})
    return RosterWorkbook(
        path=name, assignments=assignments, breaks=breaks,
        locks=pd.DataFrame(locks, columns=[C.AGENT_ID, C.DATE, C.SHIFT, "cell"]),
        changes=pd.DataFrame(changes, columns=[C.AGENT_ID, C.DATE, "original", C.SHIFT, "cell"]),
        roster_cells=cells, break_cells=break_cells, agent_cells=agent_cells, day_cells=day_cells,
        coverage_input=coverage_input, locked_agents=frozenset(locked_agents), original=original,
        codes=pd.DataFrame([{C.AGENT_ID: a, C.DATE: pd.Timestamp(d), C.SHIFT: code}
                            for (a, d), code in sorted(grid.items()) if code],
                           columns=[C.AGENT_ID, C.DATE, C.SHIFT]),
        warnings=notes.problems,
    )


def _check_sheets(names: list[str], sheets: dict[str, "_Sheet"], out: ProblemCollector) -> None:
    for s in names:
        if s not in ALL_SHEETS:
            out.add(f"sheet {s!r} is not part of a roster workbook; remove it (keep notes outside the file)",
                    sheet=s, cell=f"{s}!A1", expected=f"only the sheets {', '.join(VISIBLE_SHEETS)}")
    for s in (ROSTER, BREAKS, ORIGINAL):
        if s not in names:
            hint = (" (the hidden sheet that keeps the plan's original codes: export the roster again with "
                    "'scheduler export')") if s == ORIGINAL else ""
            out.add(f"the workbook has no sheet {s!r}{hint}", expected=f"sheets {', '.join(VISIBLE_SHEETS)}")
    for s in (ROSTER, BREAKS, ORIGINAL):
        if s in sheets:
            ws = sheets[s]
            if ws.max_row == 0:
                out.add(f"sheet {s!r} is empty", sheet=s, cell=f"{s}!A1",
                        expected="the header row in row 1 and one row per agent" if s != BREAKS
                        else "the header row " + ", ".join(BREAK_HEADERS))
                continue
            for coord in ws.merged:
                out.add(f"merged cells {coord}; unmerge them (every agent, day and code needs its own cell)",
                        sheet=s, cell=f"{s}!{coord}")


def _check_header(ws, sheet: str, expected: tuple[str, ...], out: ProblemCollector) -> bool:
    ok = True
    for j, label in enumerate(expected, start=1):
        cell = ws.cell(1, j)
        got = _plain_text(cell.value)
        if got.lower() != label.lower():
            out.add(f"expected the header {label!r} here; header cells were moved or renamed",
                    sheet=sheet, cell=_ref(sheet, 1, j), value=got, expected=f"row 1: {', '.join(expected)}")
            ok = False
    return ok


def _header_date(cell) -> date | None:
    v = cell.value
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            return None
    return None


def _read_roster_sheet(ws, scenario: Scenario, catalogue: dict[str, Shift], agent_rows: dict, out: ProblemCollector,
                       notes: ProblemCollector):
    sheet = ROSTER
    if not _check_header(ws, sheet, ROSTER_HEADERS, out):
        return {}, {}, {}, {}, set()
    horizon = scenario.horizon.dates()
    hset = set(horizon)
    day_cols: dict[int, date] = {}
    seen: dict[date, int] = {}
    outside: dict[int, date] = {}
    col = FIRST_DAY_COL
    max_col = ws.max_column
    week_cols: list[int] = []           # the weekly paid-hours columns (formulas)
    while col <= max_col:
        cell = ws.cell(1, col)
        text = _plain_text(cell.value)
        if text.startswith(WEEK_HOURS_PREFIX) or (cell.value is None and col > FIRST_DAY_COL + len(horizon) - 1):
            while _plain_text(ws.cell(1, col).value).startswith(WEEK_HOURS_PREFIX):
                week_cols.append(col)
                col += 1
            break
        if _cell_kind(cell):
            out.add("a formula in the header; expected a date", sheet=sheet, cell=_ref(sheet, 1, col), value=text)
            col += 1
            continue
        d = _header_date(cell)
        if d is None:
            out.add("not a date; expected one column per day of the horizon (header cells moved?)",
                    sheet=sheet, cell=_ref(sheet, 1, col), value=text, expected="a date such as 2026-11-02")
        elif d not in hset:
            outside[col] = d
        elif d in seen:
            out.add(f"date {d} appears twice (also in {_ref(sheet, 1, seen[d])})", sheet=sheet, cell=_ref(sheet, 1, col))
        else:
            seen[d] = col
            day_cols[col] = d
        col += 1
    if outside and not seen:
        first, last = min(outside.values()), max(outside.values())
        out.add(f"the roster's days {first}..{last} are not the scenario's horizon "
                f"{scenario.horizon.start}..{scenario.horizon.end}: give the scenario the roster was planned with",
                sheet=sheet, cell=_ref(sheet, 1, FIRST_DAY_COL))
        return {}, {}, {}, {}, set()
    for c, d in outside.items():
        out.add(f"date {d} is outside the horizon {scenario.horizon.start}..{scenario.horizon.end}",
                sheet=sheet, cell=_ref(sheet, 1, c), expected="only the horizon's days, in order")
    missing = [d for d in horizon if d not in seen]
    if missing:
        shown = ", ".join(str(d) for d in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        out.add(f"no column for the horizon's day(s) {shown}", sheet=sheet, cell=_ref(sheet, 1, FIRST_DAY_COL),
                expected=f"one column per day {scenario.horizon.start}..{scenario.horizon.end}")
    order = [seen[d] for d in horizon if d in seen]
    if order != sorted(order):
        out.add("the date columns are not in date order (moved columns?)", sheet=sheet,
                cell=_ref(sheet, 1, FIRST_DAY_COL), expected="the horizon's days from left to right")
    grid: dict[tuple[str, date], str] = {}
    cells: dict[tuple[str, date], str] = {}
    agent_cells: dict[str, str] = {}
    locked: set[str] = set()
    valid_families = ", ".join(sorted({t.code for t in scenario.shifts.values()}))
    for row in range(2, ws.max_row + 1):
        id_cell = ws.cell(row, 1)
        values = [ws.cell(row, c).value for c in range(1, FIRST_DAY_COL + len(horizon))]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if _cell_kind(id_cell):
            out.add("a formula where an agent id belongs", sheet=sheet, cell=_ref(sheet, row, 1), value=id_cell.value)
            continue
        agent_id = _plain_text(id_cell.value)
        if not agent_id:
            out.add("empty agent id in a row with codes", sheet=sheet, cell=_ref(sheet, row, 1),
                    expected="the agent's id from the agents file")
            continue
        agent = agent_rows.get(agent_id)
        if agent is None:
            out.add(f"unknown agent {agent_id!r}: not in the agents file", sheet=sheet, cell=_ref(sheet, row, 1),
                    expected="an agent id of the agents file")
            continue
        if agent_id in agent_cells:
            out.add(f"agent {agent_id} has a second row (first in {agent_cells[agent_id]})", sheet=sheet,
                    cell=_ref(sheet, row, 1))
            continue
        agent_cells[agent_id] = _ref(sheet, row, 1)
        _check_agent_columns(ws, row, agent, out, notes)
        for c in week_cols:
            _check_week_total(ws.cell(row, c), agent_id, notes)
        lock_cell = ws.cell(row, 6)
        lock_text = _plain_text(lock_cell.value).lower()
        if _cell_kind(lock_cell):
            out.add("a formula in the Lock column", sheet=sheet, cell=_ref(sheet, row, 6), value=lock_cell.value,
                    expected="yes or empty")
        elif lock_text in LOCK_YES:
            locked.add(agent_id)
        elif lock_text not in LOCK_NO:
            out.add("not a yes/no value in the Lock column", sheet=sheet, cell=_ref(sheet, row, 6),
                    value=lock_cell.value, expected="yes (keep the whole row) or empty")
        for c, d in day_cols.items():
            cell = ws.cell(row, c)
            ref = _ref(sheet, row, c)
            cells[(agent_id, d)] = ref
            kind = _cell_kind(cell)
            if kind == "formula":
                out.add(f"a formula where a shift code belongs ({agent_id}, {d}); formulas are not evaluated",
                        sheet=sheet, cell=ref, value=str(cell.value), expected="a shift code, OFF or LEAVE typed as text")
                continue
            if kind == "error":
                out.add(f"an error value where a shift code belongs ({agent_id}, {d})", sheet=sheet, cell=ref,
                        value=str(cell.value), expected="a shift code, OFF or LEAVE")
                continue
            v = cell.value
            if v is not None and not isinstance(v, str):
                out.add(f"not a shift code ({agent_id}, {d})", sheet=sheet, cell=ref, value=_plain_text(v),
                        expected="a shift code such as D0800, OFF or LEAVE")
                continue
            code = (v or "").strip().upper() or OFF
            if code not in catalogue and code not in NON_WORKING_CODES:
                out.add(f"unknown shift code ({agent_id}, {d})", sheet=sheet, cell=ref, value=v,
                        expected=f"a template code ({valid_families}) + an allowed start HHMM "
                                 f"(see the Rules sheet), OFF or LEAVE")
                continue
            grid[(agent_id, d)] = code
    missing_agents = [a for a in agent_rows if a not in agent_cells]
    if missing_agents and agent_cells:
        shown = ", ".join(missing_agents[:10]) + (f" and {len(missing_agents) - 10} more" if len(missing_agents) > 10 else "")
        out.add(f"agent(s) of the agents file without a row: {shown}", sheet=sheet,
                cell=_ref(sheet, ws.max_row + 1, 1), expected="one row per agent (OFF on days off)")
    elif not agent_cells:
        out.add("no agent rows under the header", sheet=sheet, cell=_ref(sheet, 2, 1), expected="one row per agent")
    day_cells = {d: _ref(sheet, 1, c) for c, d in day_cols.items()}
    return grid, cells, agent_cells, day_cells, locked


_AGENT_COLUMNS = ((2, "Name", C.AGENT_NAME), (3, "Team", C.TEAM), (4, "Seniority", C.SENIORITY),
                  (5, "Contract", C.CONTRACT))


def _agents_file_text(value) -> str:
    """An agents-file value as the workbook writes it (:func:`_text`) and reads it back."""
    return _plain_text(ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))


def _check_agent_columns(ws, row: int, agent, out: ProblemCollector, notes: ProblemCollector) -> None:
    """The Name, Team, Seniority and Contract cells of an agent's row are copies of the agents file, not read:
    an edited name is a warning; an edited team, seniority or contract is an error (the plan would not follow
    it: the agents file decides which shifts, queues and hours the agent has)."""
    agent_id = str(agent.agent_id)
    for col, label, column in _AGENT_COLUMNS:
        cell = ws.cell(row, col)
        got = str(cell.value) if _cell_kind(cell) else _plain_text(cell.value)
        want = _agents_file_text(getattr(agent, column, ""))
        if got == want or (col > 2 and got.lower() == want.lower()):
            continue
        where = dict(sheet=ROSTER, cell=_ref(ROSTER, row, col), value=got)
        if col == 2:
            notes.add(f"{agent_id}'s name differs from the agents file's {want!r}; names are not read from the "
                      f"workbook (the row is {agent_id}'s, by its Agent ID)", **where,
                      expected=f"{want!r}, or change the name in the agents file")
        else:
            out.add(f"{agent_id}'s {label.lower()} differs from the agents file's {want!r}; the workbook cannot change "
                    f"an agent's {label.lower()} (the agents file decides the agent's shifts, queues and hours)",
                    **where, expected=f"{want!r} (change it in the agents file and run again to plan it)")


def _check_week_total(cell, agent_id: str, notes: ProblemCollector) -> None:
    """A weekly paid-hours cell holds a formula over the row's codes; a value typed over it is not read."""
    if cell.value is None or _cell_kind(cell) == "formula" or not _plain_text(cell.value):
        return
    notes.add(f"a value typed over {agent_id}'s weekly paid hours; they are computed from the row's shift codes "
              f"and not read (edit the codes to change them)", sheet=ROSTER, cell=_ref(ROSTER, cell.row, cell.column),
              value=_plain_text(cell.value), expected="the formula, or an empty cell")


def _read_original_sheet(ws, scenario: Scenario, out: ProblemCollector) -> dict[tuple[str, date], str]:
    sheet = ORIGINAL
    cols: dict[int, date] = {}
    for c in range(2, ws.max_column + 1):
        d = _header_date(ws.cell(1, c))
        if d is not None:
            cols[c] = d
    if not cols:
        out.add("the hidden Original sheet has no dates: it was altered; export the roster again",
                sheet=sheet, cell=_ref(sheet, 1, 2))
        return {}
    grid: dict[tuple[str, date], str] = {}
    for row in range(2, ws.max_row + 1):
        agent_id = _plain_text(ws.cell(row, 1).value)
        if not agent_id:
            continue
        for c, d in cols.items():
            cell = ws.cell(row, c)
            grid[(agent_id, d)] = "" if _cell_kind(cell) else _plain_text(cell.value).upper()
    return grid


def _assignments_from_grid(scenario: Scenario, catalogue: dict[str, Shift], agent_rows: dict,
                           grid: dict[tuple[str, date], str]) -> pd.DataFrame:
    rows = []
    for (agent_id, d), code in sorted(grid.items()):
        if code in NON_WORKING_CODES:
            continue
        s = catalogue[code]
        rows.append({C.AGENT_ID: agent_id, C.TEAM: str(agent_rows[agent_id].team), C.DATE: pd.Timestamp(d),
                     C.SHIFT: code, C.SHIFT_START: pd.Timestamp(s.start_on(d)), C.SHIFT_END: pd.Timestamp(s.end_on(d)),
                     C.PAID_H: s.paid_h})
    frame = pd.DataFrame(rows, columns=list(C.ASSIGNMENT_COLUMNS))
    frame[C.PAID_H] = frame[C.PAID_H].astype(float)
    for c in (C.DATE, C.SHIFT_START, C.SHIFT_END):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def _cell_datetime(v) -> datetime | time | None:
    """A datetime, or a time of day (Excel time-only values), else None."""
    if isinstance(v, datetime):
        if v.year < 1901:       # Excel's day 0/1: a time typed without a date
            return v.time()
        return v
    if isinstance(v, time):
        return v
    if isinstance(v, str):
        text = v.strip()
        for fmt in (C.TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S", "%H:%M"):
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return parsed.time() if fmt == "%H:%M" else parsed
    return None


def _round_minute(t: datetime) -> datetime:
    """Excel stores times as day fractions: round to the nearest minute."""
    return (t + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _read_breaks_sheet(ws, catalogue: dict[str, Shift], agent_rows: dict, grid: dict[tuple[str, date], str],
                       out: ProblemCollector, notes: ProblemCollector, *, roster_cells: dict[tuple[str, date], str],
                       original: dict[tuple[str, date], str]) -> tuple[pd.DataFrame, dict[tuple[str, datetime], str]]:
    """The breaks (Agent ID, Kind, Start, End; Date places a time typed without a date). The Name, Date and
    Shift columns are checked against the agent and the Roster shift the break falls in: a stale name or
    shift code (the shift edited in the Roster) is a warning, a date or shift code that contradicts it an error."""
    sheet = BREAKS
    empty = pd.DataFrame(columns=list(C.BREAK_COLUMNS))
    if not _check_header(ws, sheet, BREAK_HEADERS, out):
        return empty, {}
    rows, cells = [], {}
    for values in ws.rows(2, len(BREAK_HEADERS)):
        row = values[0].row
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in values):
            continue
        bad = [c for c in values if _cell_kind(c)]
        for c in bad:
            out.add(f"a {_cell_kind(c)} in the Breaks sheet; formulas are not evaluated", sheet=sheet,
                    cell=_ref(sheet, row, c.column), value=str(c.value), expected="a plain value")
        if bad:
            continue
        agent_id = _plain_text(values[0].value)
        if agent_id not in agent_rows:
            out.add(f"unknown agent {agent_id!r}", sheet=sheet, cell=_ref(sheet, row, 1),
                    expected="an agent id of the agents file")
            continue
        kind = _plain_text(values[4].value).lower()
        if kind not in ("break", "meal"):
            out.add("unknown break kind", sheet=sheet, cell=_ref(sheet, row, 5), value=values[4].value,
                    expected="break | meal")
            continue
        shift_day = _header_date(values[2])
        if shift_day is None and _plain_text(values[2].value):
            out.add("not a date", sheet=sheet, cell=_ref(sheet, row, 3), value=_plain_text(values[2].value),
                    expected="the date of the break's shift such as 2026-11-11, or an empty cell")
            continue
        times = []
        for c in (values[5], values[6]):
            t = _cell_datetime(c.value)
            if t is None:
                out.add("not a date and time", sheet=sheet, cell=_ref(sheet, row, c.column), value=_plain_text(c.value),
                        expected="a date and time such as 2026-11-11 12:30 (or a time 12:30 with the Date column set)")
            times.append(t)
        if None in times:
            continue
        start, end = times
        if isinstance(start, time) or isinstance(end, time):
            if shift_day is None:
                out.add("a time without a date, and no Date in this row", sheet=sheet, cell=_ref(sheet, row, 3),
                        expected="the shift's date")
                continue
            code = grid.get((agent_id, shift_day), OFF)
            shift_start = catalogue[code].start_on(shift_day) if code in catalogue else datetime.combine(shift_day, time())
            # a time before the start is the next morning only in a shift past midnight (in a day shift it is a
            # typo, named on the shift's own day: '12:30 on 11-02' for a D1300, not '12:30 on 11-03')
            past_midnight = code in catalogue and catalogue[code].crosses_midnight

            def place(t: time) -> datetime:
                moment = datetime.combine(shift_day, t)
                return moment + timedelta(days=1) if moment < shift_start and past_midnight else moment

            start = place(start) if isinstance(start, time) else start
            end = place(end) if isinstance(end, time) else end
            if end <= start:
                end += timedelta(days=1)
        start, end = _round_minute(start), _round_minute(end)
        if not _check_break_row(values, agent_rows[agent_id], shift_day, start, catalogue, grid, roster_cells, original,
                                out, notes):
            continue
        rows.append({C.AGENT_ID: agent_id, C.SHIFT_START: pd.Timestamp(start), C.SHIFT_END: pd.Timestamp(end),
                     C.BREAK_KIND: kind})
        cells[(agent_id, start)] = _ref(sheet, row, 6)
    frame = pd.DataFrame(rows, columns=list(C.BREAK_COLUMNS))
    for c in (C.SHIFT_START, C.SHIFT_END):
        frame[c] = pd.to_datetime(frame[c])
    return frame, cells


def _home_shift(catalogue: dict[str, Shift], grid: dict[tuple[str, date], str], agent_id: str,
                moment: datetime, day: date | None = None) -> tuple[date, str] | None:
    """The day and code of the agent's Roster shift that ``moment`` falls in (the day before's or that day's).
    Where both shifts hold it (a night shift overlapping the next morning's) the row's ``day`` chooses, else
    the earlier shift, as the writer does (:func:`_break_rows`)."""
    found = []
    for d in (moment.date() - timedelta(days=1), moment.date()):
        s = catalogue.get(grid.get((agent_id, d), OFF))
        if s is not None and s.start_on(d) <= moment < s.end_on(d):
            found.append((d, s.code))
    return next((f for f in found if f[0] == day), found[0] if found else None)


def _check_break_row(values, agent, shift_day: date | None, start: datetime, catalogue: dict[str, Shift],
                     grid: dict[tuple[str, date], str], cells: dict[tuple[str, date], str],
                     original: dict[tuple[str, date], str], out: ProblemCollector, notes: ProblemCollector) -> bool:
    """The Breaks row's Name, Date and Shift against its agent and the Roster shift its Start falls in; False
    when the row contradicts the Roster (an error is added). A break outside every shift is left to the rule
    check (it names the break's cell)."""
    sheet, row = BREAKS, values[0].row
    agent_id = str(agent.agent_id)
    name, want = _plain_text(values[1].value), _agents_file_text(getattr(agent, C.AGENT_NAME, ""))
    if name and name != want:
        notes.add(f"the name differs from {agent_id}'s ({want!r}); names are not read: the break is {agent_id}'s "
                  f"(Agent ID, {_ref(sheet, row, 1)})", sheet=sheet, cell=_ref(sheet, row, 2), value=name,
                  expected=f"{want!r}, or another agent's id in {_ref(sheet, row, 1)} to give the break to that agent")
    home = _home_shift(catalogue, grid, agent_id, start, shift_day)
    at = f"the break starting {start:%Y-%m-%d %H:%M} ({_ref(sheet, row, 6)})"
    if home is None:
        if shift_day is not None and shift_day not in (start.date(), start.date() - timedelta(days=1)):
            out.add(f"the date is not the day of {at}", sheet=sheet, cell=_ref(sheet, row, 3), value=str(shift_day),
                    expected=f"{start.date()} (move a break by its Start and End)")
            return False
        return True
    day, code = home
    shift = f"{agent_id}'s {code} of {day} ({cells.get((agent_id, day), ROSTER)})"
    if shift_day is not None and shift_day != day:
        out.add(f"the date is not the day of the shift that {at} falls in: {shift}", sheet=sheet,
                cell=_ref(sheet, row, 3), value=str(shift_day),
                expected=f"{day} (move a break by its Start and End; a shift by its Roster cell)")
        return False
    typed = _plain_text(values[3].value).upper()
    if typed and typed != code:
        where = dict(sheet=sheet, cell=_ref(sheet, row, 4), value=typed)
        if original.get((agent_id, day)) == typed:
            notes.add(f"the row names the shift before its Roster cell was edited; {at} is read as a break of "
                      f"{shift}", **where, expected=code)
        else:
            out.add(f"the shift is not the Roster's: {at} falls in {shift}; shifts are changed in the Roster "
                    f"sheet, not here", **where, expected=f"{code} (or change {cells.get((agent_id, day), ROSTER)})")
            return False
    return True


def _read_coverage_sheet(ws, scenario: Scenario, out: ProblemCollector) -> pd.DataFrame | None:
    """Forecast volume and requirement per interval and queue, as the plan wrote them (read-only use)."""
    sheet = COVERAGE
    rows = ws.iter_rows(max_col=len(COVERAGE_HEADERS), values_only=False)
    header = [getattr(c, "value", None) for c in next(rows, ())]
    if not header or _plain_text(header[0]) != COVERAGE_HEADERS[0]:
        return None
    for j, label in enumerate(COVERAGE_HEADERS, start=1):
        got = _plain_text(header[j - 1] if j <= len(header) else None)
        if got.lower() != label.lower():
            out.add(f"expected the header {label!r} here; header cells were moved or renamed", sheet=sheet,
                    cell=_ref(sheet, 1, j), value=got, expected=f"row 1: {', '.join(COVERAGE_HEADERS)}")
            return None
    starts, queues, vols, reqs = [], [], [], []
    bad = 0
    for row_number, row in enumerate(rows, start=2):
        a, q, v, r = (list(row) + [None] * 4)[:4]
        values = [getattr(c, "value", None) for c in (a, q, v, r)]
        if values[0] is None and values[1] is None:
            continue
        kinds = [c is not None and hasattr(c, "data_type") and _cell_kind(c) for c in (a, v, r)]
        if any(kinds) or not isinstance(values[0], datetime) or not isinstance(values[2], (int, float)) \
                or not isinstance(values[3], (int, float)):
            bad += 1
            if bad <= 5:
                out.add("not an interval start, a volume and a requirement", sheet=sheet, cell=_ref(sheet, row_number, 1),
                        expected="a date-time and two numbers, as the plan wrote them")
            continue
        starts.append(_round_minute(values[0]))
        queues.append(_plain_text(values[1]))
        vols.append(float(values[2]))
        reqs.append(float(values[3]))
    return pd.DataFrame({C.INTERVAL_START: pd.to_datetime(starts), C.QUEUE_OR_GROUP: queues,
                         C.FORECAST_VOLUME: vols, C.REQUIRED: reqs})


# ------------------------------------------------------------------------------------------------
# a run's CSV outputs (for ``scheduler export``)


def _read_csv_frame(path: Path, columns: tuple[str, ...], times: tuple[str, ...], numbers: tuple[str, ...],
                    dates: tuple[str, ...] = ()) -> pd.DataFrame:
    from scheduler.errors import InputFileError
    from scheduler.io.tables import read_raw_table, require_columns

    raw = read_raw_table(path, what=path.stem)
    require_columns(raw, columns)
    out = ProblemCollector(raw.file, error_class=InputFileError)
    f = raw.frame
    frame = pd.DataFrame({c: f[c].str.strip() for c in columns})
    for c, fmt, expected in [(c, C.TIMESTAMP_FORMAT, "YYYY-MM-DD HH:MM") for c in times] + \
                            [(c, C.DATE_FORMAT, "YYYY-MM-DD") for c in dates]:
        frame[c] = pd.to_datetime(frame[c], format=fmt, errors="coerce")
        for i in np.flatnonzero(frame[c].isna().to_numpy())[:20]:
            out.add("cannot be read", row=raw.first_row + int(i), column=c, value=f[c].iat[i], expected=expected)
    for c in numbers:
        text = frame[c]
        frame[c] = pd.to_numeric(text, errors="coerce")
        for i in np.flatnonzero((frame[c].isna() & (text != "")).to_numpy())[:20]:
            out.add("not a number", row=raw.first_row + int(i), column=c, value=f[c].iat[i], expected="a number")
    out.raise_if_any()
    frame.attrs["file"] = str(path)        # so a later check of its values can name the file
    return frame


def read_run_outputs(outdir: str | Path) -> dict:
    """``assignments``, ``breaks``, ``coverage`` frames and the ``summary`` dict of a run's folder."""
    import json

    from scheduler.errors import InputFileError

    outdir = Path(outdir)
    if not outdir.is_dir():
        raise InputFileError("not a folder with a run's outputs", file=str(outdir))
    missing = [n for n in ("assignments.csv", "breaks.csv") if not (outdir / n).exists()]
    if missing:
        raise InputFileError(f"the run folder has no {', '.join(missing)}; run 'scheduler run' first",
                             file=str(outdir))
    assignments = _read_csv_frame(outdir / "assignments.csv", C.ASSIGNMENT_COLUMNS, (C.SHIFT_START, C.SHIFT_END),
                                  (C.PAID_H,), dates=(C.DATE,))
    breaks = _read_csv_frame(outdir / "breaks.csv", C.BREAK_COLUMNS, (C.SHIFT_START, C.SHIFT_END), ())
    coverage = None
    if (outdir / "coverage.csv").exists():
        coverage = _read_csv_frame(outdir / "coverage.csv", C.COVERAGE_COLUMNS, (C.INTERVAL_START,),
                                   (C.FORECAST_VOLUME, C.REQUIRED, C.SCHEDULED, C.SERVICE_LEVEL))
    summary: dict = {}
    if (outdir / "summary.json").exists():
        try:
            summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(f"not valid JSON: {exc}", file=str(outdir / "summary.json")) from None
        if not isinstance(summary, dict):
            raise InputFileError("expected a JSON object", file=str(outdir / "summary.json"))
    return {"assignments": assignments, "breaks": breaks, "coverage": coverage, "summary": summary}
