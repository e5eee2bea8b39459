"""Reading the planner's data files (history, calendar, agents) from CSV or Excel, with validation.

Every reader collects all problems of a file and raises one :class:`InputFileError` listing them,
each naming the file, the row (CSV line number, header = 1; or the sheet row and cell), the column,
the value and what was expected. Readers decide nothing about planning: they only turn files into
typed frames.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import InputFileError, Problem, ProblemCollector
from scheduler.timeutil import expand_dates, parse_date_ranges

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_LISTED = 20


@dataclass(frozen=True)
class RawTable:
    """A table of text cells as read from a file, with where each row came from."""

    frame: pd.DataFrame          # all cells as str ("" for empty)
    file: str
    sheet: str | None            # sheet name for Excel input
    first_row: int               # file row number of frame.iloc[0] (CSV line / sheet row)
    column_letters: dict[str, str]  # Excel column letter per header (empty for CSV)

    def where(self, i: int, column: str | None = None) -> dict:
        """Location keywords for a Problem about positional row ``i`` (and column)."""
        row = self.first_row + int(i)
        loc: dict = {"file": self.file, "row": row, "column": column}
        if self.sheet is not None:
            loc["sheet"] = self.sheet
            if column is not None and column in self.column_letters:
                loc["cell"] = f"{self.sheet}!{self.column_letters[column]}{row}"
        return loc


def read_raw_table(path: str | Path, sheet: str | None = None, what: str = "data") -> RawTable:
    """Read a CSV or xlsx file as text cells. ``sheet`` picks an Excel sheet (default: the first)."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputFileError(f"{what} file not found", file=name)
    if path.is_dir():
        raise InputFileError(f"expected a {what} file, found a folder", file=name)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel_table(path, sheet, what)
    if sheet is not None:
        raise InputFileError(f"a sheet ({sheet!r}) was named but the file is not an .xlsx workbook", file=name)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        if head[:2] == b"PK":
            raise InputFileError(
                "this looks like an Excel workbook but the name does not end in .xlsx; rename it", file=name
            )
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except InputFileError:
        raise
    except UnicodeDecodeError as exc:
        raise InputFileError(_not_utf8(path, exc)) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"the {what} file is empty; expected a header row and data rows", file=name) from None
    except pd.errors.ParserError as exc:
        raise InputFileError(f"not a well-formed CSV: {exc}", file=name) from None
    except csv.Error as exc:
        raise InputFileError(f"not a well-formed CSV: {exc}", file=name) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 1 and ";" in frame.columns[0]:
        raise InputFileError(Problem("the header is one column: this file separates its values with ';'", file=name,
                                     row=1, value=frame.columns[0],
                                     expected="values separated by commas (save as 'CSV UTF-8 (comma delimited)' or as .xlsx)"))
    # rows of empty cells at the end (Excel's ',,,' lines) are skipped, as they are in a workbook
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy() if len(frame.columns) else []
    end = len(frame)
    while end and blank[end - 1]:
        end -= 1
    return RawTable(frame=frame.iloc[:end], file=name, sheet=None, first_row=2, column_letters={})


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> Problem:
    """Where a CSV stops being UTF-8: its line and the byte (GBK and Latin-1 files from Excel are common)."""
    data = path.read_bytes()
    start = exc.start           # (pandas decodes in chunks: find the byte in the whole file)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as whole:
        start = whole.start
    line = data[:start].count(b"\n") + 1
    return Problem("not UTF-8 text", file=str(path), row=line, value=f"byte 0x{data[start]:02x}",
                   expected="a CSV saved as UTF-8 (Excel: 'CSV UTF-8'; this one may be GBK or Latin-1)")


def _read_excel_table(path: Path, sheet: str | None, what: str) -> RawTable:
    from openpyxl.utils import get_column_letter

    from scheduler.io.workbook_safety import merged_ranges, open_workbook_safely

    wb = open_workbook_safely(path)
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputFileError(
                f"no sheet named {sheet!r}; sheets in this workbook: {', '.join(wb.sheetnames)}", file=str(path)
            )
        merged = merged_ranges(wb, ws)
        if merged:
            # only a merged range's first cell holds its value: the rest would read as empty cells
            raise InputFileError([Problem(f"merged cells {ref}; unmerge them and fill each cell (every row of a table "
                                          "needs its own value; only a merged range's first cell holds one)",
                                          file=str(path), sheet=ws.title, cell=f"{ws.title}!{ref}") for ref in merged],
                                 file=str(path))
        # a date-time cell's number format tells a date (a calendar's start) from a time of day at 00:00
        rows = [[(c.value, getattr(c, "number_format", None)) for c in r] for r in ws.iter_rows()]
    finally:
        wb.close()
    if not rows or all(v is None for v, _ in rows[0]):
        raise InputFileError(f"sheet {ws.title!r} is empty; expected a header row in row 1", file=str(path))
    header = ["" if v is None else str(v).strip() for v, _ in rows[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [[_cell_text(v, fmt) for v, fmt in (list(r) + [(None, None)] * width)[:width]] for r in rows[1:]]
    while body and all(c == "" for c in body[-1]):
        body.pop()
    frame = pd.DataFrame(body, columns=header, dtype=str) if body else pd.DataFrame(columns=header, dtype=str)
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(header)}
    return RawTable(frame=frame, file=str(path), sheet=ws.title, first_row=2, column_letters=letters)


def _cell_text(v: object, number_format: str | None = None) -> str:
    """A cell as the text a CSV would hold. A date-time cell is a timestamp 'YYYY-MM-DD HH:MM' (00:00
    included), unless its number format shows only a date and its time is 00:00: then 'YYYY-MM-DD'."""
    import datetime as dt

    from openpyxl.styles.numbers import is_datetime

    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        date_only = v.time() == dt.time(0) and number_format is not None and is_datetime(number_format) == "date"
        return v.strftime(C.DATE_FORMAT) if date_only else v.strftime(C.TIMESTAMP_FORMAT)
    if isinstance(v, dt.date):
        return v.strftime(C.DATE_FORMAT)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def require_columns(raw: RawTable, required: tuple[str, ...], optional: tuple[str, ...] = (), what: str = "data") -> None:
    """Raise when a required column is missing or a column name is unknown or repeated."""
    cols = list(raw.frame.columns)
    problems = ProblemCollector(raw.file)
    seen = set()
    for c in cols:
        if c in seen:
            problems.add(f"column {c!r} appears twice in the header", column=c, row=1, sheet=raw.sheet)
        seen.add(c)
    for c in required:
        if c not in cols:
            problems.add(
                f"missing column {c!r}",
                row=1,
                sheet=raw.sheet,
                expected=f"a header with {', '.join(required)}" + (f" (optional: {', '.join(optional)})" if optional else ""),
                value=",".join(cols),
            )
    problems.raise_if_any()


def _bad_rows(raw: RawTable, mask: np.ndarray, column: str, message: str, expected: str, out: ProblemCollector) -> None:
    idx = np.flatnonzero(mask)
    for i in idx[:MAX_LISTED]:
        out.add(message, value=raw.frame[column].iat[i], expected=expected, **{k: v for k, v in raw.where(i, column).items() if k != "file"})
    if len(idx) > MAX_LISTED:
        out.add(f"... {len(idx) - MAX_LISTED} more rows with the same problem in column {column!r}", column=column)


def _parse_timestamps(raw: RawTable, column: str, out: ProblemCollector) -> pd.Series:
    text = raw.frame[column].str.strip()
    ts = pd.to_datetime(text, format=C.TIMESTAMP_FORMAT, errors="coerce")
    # also accept seconds (":00") which spreadsheets like to add
    missing = ts.isna() & (text != "")
    if missing.any():
        ts2 = pd.to_datetime(text[missing], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        ts.loc[missing] = ts2
    bad = ts.isna().to_numpy()
    _bad_rows(raw, bad, column, "not a timestamp", "'YYYY-MM-DD HH:MM' (local time of the centre)", out)
    return ts


def _parse_dates(raw: RawTable, column: str, out: ProblemCollector, required: bool = True) -> pd.Series:
    text = raw.frame[column].str.strip()
    if raw.sheet is not None:
        # a workbook's date-time cell at midnight (formatted with a time) is that day
        text = text.str.replace(r" 00:00(:00)?$", "", regex=True)
    d = pd.to_datetime(text, format=C.DATE_FORMAT, errors="coerce")
    bad = d.isna() & ((text != "") | required)
    _bad_rows(raw, bad.to_numpy(), column, "not a date" if required else "not a date", "a date 'YYYY-MM-DD'", out)
    return d


def _parse_numbers(raw: RawTable, column: str, out: ProblemCollector, minimum: float | None = 0.0,
                   required: bool = True, strict_min: bool = False, what: str = "a number") -> pd.Series:
    text = raw.frame[column].str.strip()
    x = pd.to_numeric(text, errors="coerce")
    empty = text == ""
    bad_text = x.isna() & (~empty | required)
    if required:
        _bad_rows(raw, (bad_text & empty).to_numpy(), column, "empty cell", what, out)
    _bad_rows(raw, (bad_text & ~empty).to_numpy(), column, "not a number", what, out)
    finite_bad = ~np.isfinite(x.fillna(0.0).to_numpy())
    _bad_rows(raw, finite_bad, column, "not a finite number", what, out)
    if minimum is not None:
        below = (x <= minimum) if strict_min else (x < minimum)
        _bad_rows(raw, below.fillna(False).to_numpy(), column, "out of range", what, out)
    return x.astype(float)


# ----------------------------------------------------------------------------------------------
# history


def read_history(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Contact history: columns ``ds`` (datetime64, local), ``queue`` (str), ``volume`` (float),
    ``aht_s`` (float, NaN where not given). A file without ``queue`` is one queue named ``all``.

    Rows repeating the same (ds, queue) are an error. Rows are sorted by queue, then ds.
    Intervals with no row are *closed* (not zero) unless the scenario says otherwise.
    """
    raw = read_raw_table(path, sheet, what="history")
    require_columns(raw, (C.DS, C.VOLUME), (C.QUEUE, C.AHT_S), what="history")
    out = ProblemCollector(raw.file)
    ds = _parse_timestamps(raw, C.DS, out)
    vol = _parse_numbers(raw, C.VOLUME, out, minimum=0.0, what="a number of contacts >= 0")
    if C.QUEUE in raw.frame.columns:
        queue = raw.frame[C.QUEUE].str.strip()
        _bad_rows(raw, (queue == "").to_numpy(), C.QUEUE, "empty queue name", "a queue name", out)
    else:
        queue = pd.Series("all", index=raw.frame.index)
    if C.AHT_S in raw.frame.columns:
        aht = _parse_numbers(raw, C.AHT_S, out, minimum=0.0, required=False, strict_min=True,
                             what="a handling time in seconds > 0, or empty")
    else:
        aht = pd.Series(np.nan, index=raw.frame.index)
    if len(raw.frame) == 0:
        out.add("no data rows", row=2, expected="one row per queue and interval")
    out.raise_if_any()
    frame = pd.DataFrame({C.DS: ds, C.QUEUE: queue.astype(str), C.VOLUME: vol, C.AHT_S: aht})
    dup = frame.duplicated([C.DS, C.QUEUE], keep="first").to_numpy()
    if dup.any():
        _bad_rows(raw, dup, C.DS, "repeats an interval already given for this queue", "one row per queue and interval", out)
        out.raise_if_any()
    _implausible_volumes(raw, frame, out)
    return frame.sort_values([C.QUEUE, C.DS], kind="stable").reset_index(drop=True)


MAX_UPLIFT = 20.0           # the largest volume multiplier a calendar row may give its peak
OUTLIER_FACTOR = 50.0       # a history volume this many times its queue's 99th percentile ...
OUTLIER_MIN = 1000.0        # ... and at least this many contacts is a typo, not a peak
OUTLIER_MIN_ROWS = 100      # (queues with at least this many intervals with contacts)


def _implausible_volumes(raw: RawTable, frame: pd.DataFrame, out: ProblemCollector) -> None:
    """Rows whose volume is ``OUTLIER_FACTOR`` times the 99th percentile of their queue's other intervals: a
    typo (extra zeros, a daily total in one interval) the forecast would carry into thousands of required
    agents (a 25,000-chat quarter hour made the roster's cost NaN). The sample's 11.11 midnight peak is ~3 times
    the chat percentile; real peaks stay far below 50."""
    for queue, vol in frame.groupby(C.QUEUE, sort=False)[C.VOLUME]:
        positive = vol[vol > 0]
        if len(positive) < OUTLIER_MIN_ROWS:
            continue
        p99 = float(np.percentile(positive, 99))
        limit = max(OUTLIER_FACTOR * p99, OUTLIER_MIN)
        mask = np.zeros(len(frame), bool)
        mask[vol.index[vol.to_numpy() > limit]] = True
        if mask.any():
            _bad_rows(raw, mask, C.VOLUME, f"more than {OUTLIER_FACTOR:g} times the 99th percentile of queue "
                      f"{queue!r} ({p99:g} contacts an interval)", "contacts in this interval (a typo, or a total?)", out)
    out.raise_if_any()


# ----------------------------------------------------------------------------------------------
# forecast (a plan's forecast.csv, or one written by hand for `scheduler requirements`)


def read_forecast(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """A forecast file: ``ds, queue, volume`` (+ optional ``volume_lo, volume_hi, model``), one row per
    queue × interval; volume = contacts per interval. Rows repeating (ds, queue) are an error."""
    raw = read_raw_table(path, sheet, what="forecast")
    require_columns(raw, (C.DS, C.QUEUE, C.VOLUME), (C.VOLUME_LO, C.VOLUME_HI, C.MODEL), what="forecast")
    out = ProblemCollector(raw.file)
    ds = _parse_timestamps(raw, C.DS, out)
    cols = {C.DS: ds, C.QUEUE: raw.frame[C.QUEUE].str.strip()}
    _bad_rows(raw, (cols[C.QUEUE] == "").to_numpy(), C.QUEUE, "empty queue name", "a queue name", out)
    for c in (C.VOLUME, C.VOLUME_LO, C.VOLUME_HI):
        if c in raw.frame.columns:
            cols[c] = _parse_numbers(raw, c, out, minimum=0.0, required=c == C.VOLUME,
                                     what="a number of contacts >= 0")
    cols[C.MODEL] = raw.frame[C.MODEL] if C.MODEL in raw.frame.columns else ""
    if len(raw.frame) == 0:
        out.add("no data rows", row=2, expected="one row per queue and interval")
    out.raise_if_any()
    frame = pd.DataFrame(cols)
    dup = frame.duplicated([C.DS, C.QUEUE], keep="first").to_numpy()
    if dup.any():
        _bad_rows(raw, dup, C.DS, "repeats an interval already given for this queue", "one row per queue and interval", out)
        out.raise_if_any()
    return frame


# ----------------------------------------------------------------------------------------------
# calendar


def read_calendar(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Promotion/holiday calendar: ``name``, ``kind``, ``start``, ``end`` (dates, inclusive),
    ``peak`` (date or NaT), ``uplift`` (planner's volume multiplier or NaN)."""
    raw = read_raw_table(path, sheet, what="calendar")
    require_columns(raw, C.CALENDAR_COLUMNS, C.CALENDAR_OPTIONAL, what="calendar")
    out = ProblemCollector(raw.file)
    name = raw.frame[C.NAME].str.strip()
    _bad_rows(raw, (name == "").to_numpy(), C.NAME, "empty name", "the event's name, e.g. double11", out)
    kind = raw.frame[C.KIND].str.strip().str.lower()
    _bad_rows(raw, (~kind.isin(C.CALENDAR_KINDS)).to_numpy(), C.KIND, "unknown kind", " | ".join(C.CALENDAR_KINDS), out)
    start = _parse_dates(raw, C.START, out)
    end = _parse_dates(raw, C.END, out)
    order = (end < start).fillna(False).to_numpy()
    _bad_rows(raw, order, C.END, "ends before it starts", f"a date on or after {C.START}", out)
    if C.PEAK in raw.frame.columns:
        peak = _parse_dates(raw, C.PEAK, out, required=False)
    else:
        peak = pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[ns]")
    if C.UPLIFT in raw.frame.columns:
        uplift = _parse_numbers(raw, C.UPLIFT, out, minimum=0.0, required=False, strict_min=True,
                                what="a volume multiplier > 0 (1.0 = no change), or empty")
        # a percentage typed as a multiplier (150 for +50 %) made service-level curves of 161 M cells
        _bad_rows(raw, (uplift > MAX_UPLIFT).fillna(False).to_numpy(), C.UPLIFT, "out of range",
                  f"a volume multiplier up to {MAX_UPLIFT:g} (1.5 = +50 %; 150 reads as 150 times the volume)", out)
    else:
        uplift = pd.Series(np.nan, index=raw.frame.index)
    out.raise_if_any()
    outside = peak.notna() & ((peak < start) | (peak > end))
    _bad_rows(raw, outside.to_numpy(), C.PEAK, "peak day lies outside start..end", "a date between start and end", out)
    _repeated_events(raw, name, start, end, out)
    out.raise_if_any()
    return pd.DataFrame({C.NAME: name, C.KIND: kind, C.START: start, C.END: end, C.PEAK: peak, C.UPLIFT: uplift})


def _repeated_events(raw: RawTable, name: pd.Series, start: pd.Series, end: pd.Series, out: ProblemCollector) -> None:
    """A row repeating an event (same name, case aside, and dates) or overlapping another occurrence of the
    same name: each row's effect is added, so the event would count twice. Each later row is named with the
    first earlier row it clashes with."""
    rows: dict[str, list[int]] = {}
    for i, n in enumerate(name.str.lower()):
        rows.setdefault(n, []).append(i)
    for n, idx in rows.items():
        for k, j in enumerate(idx[1:], start=1):
            for i in idx[:k]:
                if start.iat[j] > end.iat[i] or start.iat[i] > end.iat[j]:
                    continue
                first = f"row {raw.first_row + i} ({name.iat[i]} {start.iat[i]:%Y-%m-%d}..{end.iat[i]:%Y-%m-%d})"
                loc = {k2: v for k2, v in raw.where(j, C.NAME).items() if k2 != "file"}
                if start.iat[j] == start.iat[i] and end.iat[j] == end.iat[i]:
                    out.add(f"the same event as {first}", value=name.iat[j],
                            expected="each event once (its effect would count twice); delete one of the rows", **loc)
                else:
                    loc = {k2: v for k2, v in raw.where(j, C.START).items() if k2 != "file"}
                    out.add(f"overlaps {first} of the same name", value=raw.frame[C.START].iat[j].strip(),
                            expected="occurrences of one event on days apart (its effect would count twice); "
                                     "merge the rows or rename one", **loc)
                break


# ----------------------------------------------------------------------------------------------
# agents


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    team: str
    skills: tuple[str, ...]
    contract: str
    seniority: str
    unavailable: frozenset[date] = frozenset()
    night_ok: bool = False


_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def read_agents(path: str | Path, sheet: str | None = None, *, teams: set[str] | None = None,
                contracts: set[str] | None = None, queues: set[str] | None = None) -> pd.DataFrame:
    """Agents, one row each. ``skills`` become tuples of queue names, ``unavailable`` a frozenset of dates.

    When ``teams``, ``contracts`` or ``queues`` are given (from the scenario), values are checked
    against them and every mismatch is reported with its row.
    """
    raw = read_raw_table(path, sheet, what="agents")
    require_columns(raw, C.AGENT_COLUMNS, C.AGENT_OPTIONAL, what="agents")
    out = ProblemCollector(raw.file)
    f = raw.frame
    ids = f[C.AGENT_ID].str.strip()
    _bad_rows(raw, (ids == "").to_numpy(), C.AGENT_ID, "empty agent id", "a unique id such as A001", out)
    dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
    _bad_rows(raw, dup, C.AGENT_ID, "agent id used twice", "a unique id per row", out)
    team = f[C.TEAM].str.strip().str.lower()
    valid_teams = sorted(teams) if teams is not None else list(C.TEAMS)
    _bad_rows(raw, (~team.isin(valid_teams)).to_numpy(), C.TEAM, "unknown team",
              " | ".join(valid_teams) + (" (teams defined in the scenario)" if teams is not None else ""), out)
    seniority = f[C.SENIORITY].str.strip().str.lower()
    _bad_rows(raw, (~seniority.isin(C.SENIORITIES)).to_numpy(), C.SENIORITY, "unknown seniority", "senior | junior", out)
    contract = f[C.CONTRACT].str.strip()
    if contracts is not None:
        _bad_rows(raw, (~contract.isin(sorted(contracts))).to_numpy(), C.CONTRACT, "unknown contract",
                  " | ".join(sorted(contracts)) + " (contracts defined in the scenario)", out)
    skills: list[tuple[str, ...]] = []
    unavailable: list[frozenset[date]] = []
    night_ok: list[bool] = []
    has_unavail = C.UNAVAILABLE in f.columns
    has_night = C.NIGHT_OK in f.columns
    for i in range(len(f)):
        sk = tuple(s.strip() for s in f[C.SKILLS].iat[i].split(";") if s.strip())
        if not sk:
            out.add("no skills", value=f[C.SKILLS].iat[i], expected="';'-separated queue names",
                    **{k: v for k, v in raw.where(i, C.SKILLS).items() if k != "file"})
        elif queues is not None:
            unknown = [s for s in sk if s not in queues]
            if unknown:
                out.add(f"unknown queue {unknown[0]!r} in skills", value=f[C.SKILLS].iat[i],
                        expected=" | ".join(sorted(queues)) + " (queues defined in the scenario)",
                        **{k: v for k, v in raw.where(i, C.SKILLS).items() if k != "file"})
        skills.append(sk)
        days: frozenset[date] = frozenset()
        if has_unavail:
            try:
                days = frozenset(expand_dates(parse_date_ranges(f[C.UNAVAILABLE].iat[i])))
            except ValueError as exc:
                out.add(f"bad unavailable dates: {exc}", value=f[C.UNAVAILABLE].iat[i],
                        expected="';'-separated dates YYYY-MM-DD or ranges YYYY-MM-DD..YYYY-MM-DD",
                        **{k: v for k, v in raw.where(i, C.UNAVAILABLE).items() if k != "file"})
        unavailable.append(days)
        ok = False
        if has_night:
            text = f[C.NIGHT_OK].iat[i].strip().lower()
            if text in _TRUE:
                ok = True
            elif text not in _FALSE:
                out.add("not a yes/no value", value=f[C.NIGHT_OK].iat[i], expected="true | false (or empty = false)",
                        **{k: v for k, v in raw.where(i, C.NIGHT_OK).items() if k != "file"})
        night_ok.append(ok)
    if len(f) == 0:
        out.add("no agents", row=2, expected="one row per agent")
    out.raise_if_any()
    return pd.DataFrame({
        C.AGENT_ID: ids, C.AGENT_NAME: f[C.AGENT_NAME].str.strip(), C.TEAM: team, C.SKILLS: skills,
        C.CONTRACT: contract, C.SENIORITY: seniority, C.UNAVAILABLE: unavailable, C.NIGHT_OK: night_ok,
    })


def agents_from_frame(frame: pd.DataFrame) -> list[Agent]:
    """Typed :class:`Agent` records from a frame returned by :func:`read_agents`."""
    return [
        Agent(agent_id=r.agent_id, name=r.name, team=r.team, skills=tuple(r.skills), contract=r.contract,
              seniority=r.seniority, unavailable=frozenset(r.unavailable), night_ok=bool(r.night_ok))
        for r in frame.itertuples(index=False)
    ]


def problem_list_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)
