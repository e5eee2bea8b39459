"""Exception hierarchy.

Library code raises these; only the CLI turns them into one-line messages (exit 1).
Input errors carry every problem found in a file, each naming file, sheet, row/cell,
column, the offending value and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SchedulerError(Exception):
    """Base class of every error the library reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    ``row`` is the 1-based line number in a CSV (header = line 1) or the row in a sheet;
    ``cell`` is an Excel reference such as ``Roster!H12`` when the input is a workbook.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    expected: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.cell:
            where.append(self.cell)
        else:
            if self.sheet:
                where.append(f"sheet {self.sheet!r}")
            if self.row is not None:
                where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.value is not None and self.value != "":
            text += f" (got {self.value!r})"
        elif self.value == "":
            text += " (got an empty cell)"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class InputFileError(SchedulerError):
    """A data file (CSV or workbook) is missing, unreadable or has invalid content."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str | None = None, max_listed: int = 20):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.file = file or (self.problems[0].file if self.problems else None)
        lines = [str(p) for p in self.problems[:max_listed]]
        if len(self.problems) > max_listed:
            lines.append(f"... and {len(self.problems) - max_listed} more problems in this file")
        super().__init__("\n".join(lines))


class ScenarioError(SchedulerError):
    """The scenario file is invalid: unknown key, wrong type, value out of range."""


class ForecastError(SchedulerError):
    """The forecast cannot be produced from the given history and calendar."""


class StaffingError(SchedulerError):
    """Requirements cannot be computed (e.g. a target that no staffing can meet)."""


class InfeasibleError(SchedulerError):
    """The roster rules cannot all hold together. ``explanation`` lists what conflicts."""

    def __init__(self, message: str, explanation: list[str] | None = None):
        self.explanation = list(explanation or [])
        text = message
        if self.explanation:
            text += "\n" + "\n".join(f"  - {line}" for line in self.explanation)
        super().__init__(text)


class NoSolutionError(SchedulerError):
    """The solver found no roster within its time limit (not proven infeasible)."""


class OutputError(SchedulerError):
    """An output file or folder cannot be written (a file open in another program, a read-only folder);
    what was there before is left as it was."""


class WorkbookError(InputFileError):
    """A roster workbook cannot be read (not an xlsx, too large, wrong layout, bad cells)."""


@dataclass
class ProblemCollector:
    """Collects problems while scanning a file, then raises them all at once."""

    file: str | None = None
    problems: list[Problem] = field(default_factory=list)
    error_class: type[InputFileError] = InputFileError

    def add(self, message: str, **where) -> None:
        where.setdefault("file", self.file)
        self.problems.append(Problem(message, **where))

    def raise_if_any(self) -> None:
        if self.problems:
            raise self.error_class(self.problems, file=self.file)
