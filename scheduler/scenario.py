"""The scenario file: schema, defaults, ``extends:`` inheritance, ``--set`` overrides, validation.

A scenario is YAML (documented in docs/scenario.md). Unknown keys are errors; every error names
the file, the key path, the value and the valid choices. Paths under ``data:`` are relative to the
file that writes them (so a scenario that ``extends:`` another keeps the other's data paths).

The validated result is a frozen :class:`Scenario` (pydantic model). Clock times are stored as
minutes after midnight (``"22:00"`` -> 1320); durations carry their unit in the name.
"""

from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, field_validator,
                      model_validator)

from scheduler.errors import ScenarioError
from scheduler.timeutil import format_clock, parse_clock, parse_clock_range

# ----------------------------------------------------------------------------------------------
# YAML loading: YAML 1.1 reads 22:00 as the base-60 integer 1320 and yes/no/on/off as booleans.
# Our loader keeps clock times as text, keeps only true/false as booleans, and rejects duplicate keys.


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first, _resolvers in list(_Loader.yaml_implicit_resolvers.items()):
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, regexp) for tag, regexp in _resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:bool")
    ]
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    """A date that only looks like one (``2026-02-30``) is a YAML error at its line, not a ValueError."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date ({exc}); expected YYYY-MM-DD", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path) -> dict:
    """Read one YAML mapping; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: scenario file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: {_not_utf8(exc)}; expected a YAML scenario saved as UTF-8") from None
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}:{where}: not valid YAML: {problem}") from None
    if doc is None:
        raise ScenarioError(f"{path}: the scenario file is empty; expected a mapping with at least 'name'")
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: expected a mapping of keys at the top level, got {type(doc).__name__}")
    return doc


def _not_utf8(exc: UnicodeDecodeError) -> str:
    """Where a file stops being UTF-8: its line and column (1-based), the byte and its offset."""
    data = bytes(exc.object)
    if data[:4] == b"PK\x03\x04":
        return "this is an Excel workbook (or another zip file), not a scenario"
    line = data.count(b"\n", 0, exc.start) + 1
    column = len(data[data.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")) + 1   # characters
    return f"line {line}, column {column}: not UTF-8 text (byte 0x{data[exc.start]:02x}, byte position {exc.start})"


# ----------------------------------------------------------------------------------------------
# Field types


def _clock(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        raise ValueError(f"expected a clock time 'HH:MM' in quotes, got {v!r}")
    return parse_clock(v)


Clock = Annotated[int, BeforeValidator(_clock), PlainSerializer(format_clock, return_type=str, when_used="json")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
# the forecaster's models (scheduler.forecast.models.MODEL_NAMES) and auto, the best backtest per queue
ForecastModel = Literal["auto", "seasonal_naive", "ets", "calendar_regression", "combined"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ----------------------------------------------------------------------------------------------
# Sections


class Horizon(_Strict):
    """The planned period: whole days from ``start`` (local dates)."""

    start: date
    days: int = Field(ge=1, le=366, strict=True)    # strict: 'true' is not one day

    @property
    def end(self) -> date:
        """Last day of the horizon (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


class DataFile(_Strict):
    """A data file (CSV, or xlsx with an optional sheet name). Written as a path or as a mapping."""

    path: str
    sheet: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"path": v}
        return v


class SampleSpec(_Strict):
    """Generate the bundled sample data into the data paths' folder when they are missing."""

    seed: int = 2026
    end: date = date(2026, 10, 31)
    years: int = Field(default=2, ge=1, le=5)


class DataSection(_Strict):
    history: DataFile
    calendar: DataFile | None = None
    agents: DataFile
    previous_roster: DataFile | None = Field(
        default=None, description="assignments.csv of the previous period (rest rules at the horizon's start; "
                                  "its shifts running into the horizon cover its first hours)"
    )
    generate_sample: SampleSpec | None = None
    missing_intervals: Literal["closed", "zero"] = "closed"


SL_DEFINITIONS = ("offered", "answered", "no_wait_gt_t")


class SLA(_Strict):
    """Service target of a queue: live (answer within t seconds) or deferred (resolve within H hours)."""

    answer_within_s: NonNegFloat | None = None
    target: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    definition: Literal["offered", "answered", "no_wait_gt_t"] = "offered"
    asa_target_s: PositiveFloat | None = None
    max_abandon: Fraction | None = None
    resolve_within_h: PositiveFloat | None = None
    daily_target: Annotated[float, Field(gt=0.0, le=1.0)] | None = Field(
        default=None, description="service-goal mode: volume-weighted SL over each day instead of per interval"
    )
    daily_target_by_date: dict[date, Annotated[float, Field(gt=0.0, le=1.0)]] | None = Field(
        default=None, description="service-goal mode: the daily target of particular dates (YYYY-MM-DD: fraction), "
                                  "overriding daily_target on those dates (e.g. a lower target on the peak day)"
    )

    @model_validator(mode="after")
    def _live_or_deferred(self) -> "SLA":
        live = self.answer_within_s is not None or self.target is not None
        if live and self.resolve_within_h is not None:
            raise ValueError("give either answer_within_s + target (live queue) or resolve_within_h (deferred), not both")
        if not live and self.resolve_within_h is None:
            raise ValueError("missing target: give answer_within_s + target (live queue) or resolve_within_h (deferred)")
        if live and (self.answer_within_s is None or self.target is None):
            raise ValueError("a live SLA needs both answer_within_s and target")
        if self.daily_target_by_date and not live:
            raise ValueError("daily_target_by_date is for live queues (answer_within_s + target)")
        return self

    def daily_target_on(self, day: date) -> float | None:
        """The daily service-level target on ``day`` (service-goal mode), or None (per-interval SL curve)."""
        if self.daily_target_by_date and day in self.daily_target_by_date:
            return self.daily_target_by_date[day]
        return self.daily_target

    @property
    def is_deferred(self) -> bool:
        return self.resolve_within_h is not None


CHANNELS = ("voice", "chat", "email", "ticket", "social", "complaint")
LIVE_CHANNELS = ("voice", "chat")


class Queue(_Strict):
    channel: Literal["voice", "chat", "email", "ticket", "social", "complaint"]
    aht_s: PositiveFloat
    sla: SLA
    patience_s: PositiveFloat | None = Field(default=None, description="mean patience (Erlang A); none = Erlang C")
    concurrency: int = Field(default=1, ge=1, le=10, description="chats an agent handles at once")
    concurrency_aht_growth: NonNegFloat = Field(
        default=0.15, description="each extra simultaneous chat lengthens every chat's handling time by this fraction"
    )
    max_occupancy: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    teams: tuple[str, ...] = Field(min_length=1, description="teams that may serve the queue, in priority order")
    hours: str = Field(default="00:00-24:00", description="opening hours 'HH:MM-HH:MM' (local)")
    deflection: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        default=0.0, description="share of volume answered by the bot/self-service"
    )
    overflow_after_s: PositiveFloat | None = Field(
        default=None, description="a contact waiting this long may pass to the overflow team"
    )
    forecast_model: ForecastModel | None = Field(default=None, description="this queue's model, overriding forecast.model")
    late_work_hour: NonNegFloat | None = Field(
        default=None, description="deferred queues: cost of one hour of this queue's work past its deadline, per "
        "hour late (default: weights.late_work_hour); raise it where the deadline is a promise (major complaints)",
    )
    lagged_load: bool = Field(
        default=True,
        description="staff live queues on the lagged offered load (contacts in progress) rather than each "
        "interval's own arrivals; matters when aht_s is not small against the interval (docs/staffing.md)",
    )

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_clock_range(v)
        return v

    @property
    def open_minutes(self) -> tuple[int, int]:
        return parse_clock_range(self.hours)

    @property
    def is_live(self) -> bool:
        return not self.sla.is_deferred

    @model_validator(mode="after")
    def _late_work_only_deferred(self) -> "Queue":
        if self.late_work_hour is not None and not self.sla.is_deferred:
            raise ValueError("late_work_hour applies to deferred queues (sla.resolve_within_h); "
                             "a live queue's shortfall is priced by weights.lost_contact")
        return self


class Shrinkage(_Strict):
    """Share of paid time not available for contacts (meetings, training, absence).

    ``default`` applies everywhere; ``by_team`` replaces it for a team; ``by_hour`` (keys
    ``"HH:MM-HH:MM"``) replaces it for those times of day. Breaks placed by the roster are *not*
    shrinkage: they are modelled explicitly.
    """

    default: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    by_team: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(default_factory=dict)
    by_hour: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"default": v}
        return v

    @field_validator("by_hour")
    @classmethod
    def _hour_keys(cls, v: dict[str, float]) -> dict[str, float]:
        for key in v:
            parse_clock_range(key)
        return v


TEAM_NAMES = ("tier1", "tier2", "night", "overflow")


class Team(_Strict):
    cost_per_hour: NonNegFloat
    night_premium: float = Field(default=0.0, ge=0.0, le=3.0,
                                 description="extra fraction of cost_per_hour in the night window (0.3 = 30 %)")
    aht_multiplier: PositiveFloat = Field(default=1.0, description="handling time of this team relative to the queue's aht_s")
    min_block_h: PositiveFloat | None = Field(default=None, description="overflow: bought in blocks of at least this")
    max_agents: int | None = Field(default=None, ge=0, description="most agents of this team at once")
    priority: int = Field(default=0, description="routing priority; lower serves first")


class Seniority(_Strict):
    aht_multiplier: PositiveFloat = 1.0


class Contract(_Strict):
    min_hours_per_week: NonNegFloat = 0.0
    max_hours_per_week: PositiveFloat = 40.0
    overtime_h_per_week: NonNegFloat = Field(default=0.0, description="paid hours allowed above max, at overtime cost")
    overtime_cost_multiplier: PositiveFloat = 1.5

    @model_validator(mode="after")
    def _order(self) -> "Contract":
        if self.min_hours_per_week > self.max_hours_per_week:
            raise ValueError(
                f"min_hours_per_week ({self.min_hours_per_week}) is above max_hours_per_week ({self.max_hours_per_week})"
            )
        return self


class StartTimes(_Strict):
    earliest: Clock
    latest: Clock
    every_min: int = Field(default=30, ge=5, le=1440)

    @model_validator(mode="after")
    def _order(self) -> "StartTimes":
        if self.latest < self.earliest:
            raise ValueError("latest start is before earliest start")
        return self

    def minutes(self) -> list[int]:
        return list(range(self.earliest, self.latest + 1, self.every_min))


class BreakRule(_Strict):
    """A break placed by the optimizer inside a shift, within a window measured from the shift start."""

    kind: Literal["break", "meal"] = "break"
    length_min: int = Field(ge=5, le=120)
    earliest_after_min: int = Field(ge=0)
    latest_after_min: int = Field(ge=0)
    paid: bool = True

    @model_validator(mode="after")
    def _order(self) -> "BreakRule":
        if self.latest_after_min < self.earliest_after_min:
            raise ValueError("latest_after_min is before earliest_after_min")
        return self


class ShiftTemplate(_Strict):
    """A family of shifts: same length and break rules, several allowed start times.

    A shift is named by ``code`` + start ``HHMM`` (``D0800``); it belongs to the day it starts.
    """

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,2}$")
    teams: tuple[str, ...] = Field(min_length=1)
    starts: StartTimes | tuple[Clock, ...]
    length_h: Annotated[float, Field(gt=0.0, le=16.0)]
    breaks: tuple[BreakRule, ...] = ()

    def start_minutes(self) -> list[int]:
        if isinstance(self.starts, StartTimes):
            return self.starts.minutes()
        return sorted(set(self.starts))

    @property
    def length_min(self) -> int:
        return int(round(self.length_h * 60))

    @property
    def paid_min(self) -> int:
        return self.length_min - sum(b.length_min for b in self.breaks if not b.paid)

    @model_validator(mode="after")
    def _breaks_fit(self) -> "ShiftTemplate":
        for b in self.breaks:
            if b.latest_after_min + b.length_min > self.length_min:
                raise ValueError(
                    f"a {b.kind} of {b.length_min} min starting {b.latest_after_min} min after the start "
                    f"does not fit in a {self.length_h} h shift"
                )
        return self


class NightWindow(_Strict):
    start: Clock = 22 * 60
    end: Clock = 6 * 60


class Rules(_Strict):
    min_rest_h: NonNegFloat = 11.0
    max_consecutive_days: int = Field(default=6, ge=1)
    min_days_off_per_week: int = Field(default=2, ge=0, le=7)
    consecutive_days_off: bool = Field(default=False, description="the weekly days off must include two in a row")
    max_nights_per_week: int = Field(default=5, ge=0, le=7)
    night_window: NightWindow = NightWindow()
    rest_after_night_h: NonNegFloat | None = Field(
        default=None, description="no quick return: rest after a night shift (defaults to min_rest_h)"
    )
    stable_start_max_diff_h: NonNegFloat | None = Field(
        default=None, description="soft: start times within a week differ by at most this"
    )
    soft: tuple[str, ...] = Field(default=(), description="rule names made soft (penalised instead of hard)")


class Weights(_Strict):
    """Objective weights (money units unless said otherwise)."""

    lost_contact: NonNegFloat = Field(default=20.0, description="cost of one contact answered late or abandoned")
    late_work_hour: NonNegFloat = Field(default=50.0, description="cost of one hour of deferred work past its deadline")
    overstaff_agent_hour: NonNegFloat = Field(default=1.0, description="cost of an idle agent-hour beyond requirement")
    fairness: NonNegFloat = Field(default=5.0, description="per unit of spread in nights/weekends/lates across a team")
    preference: NonNegFloat = Field(default=2.0, description="per unmet agent preference")
    stability: NonNegFloat = Field(default=1.0, description="per hour of start-time change within a week")
    soft_rule: NonNegFloat = Field(default=1000.0, description="per unit of a soft-made labour rule violation")
    roster_change: NonNegFloat = Field(
        default=20.0, description="per agent-day changed from the workbook when re-optimising around its locked "
                                 "edits (run --lock): keeps the rest of the roster as it was unless a change pays")


class Solver(_Strict):
    time_limit_s: PositiveFloat = 120.0
    workers: int = Field(default=8, ge=1, le=64)
    seed: int = 0
    deterministic: bool = Field(default=False, description="one worker, fixed seed: the same roster every run")
    log: bool = False
    per_interval: Literal["curves", "soft", "hard"] = Field(
        default="curves",
        description="curves: each live interval priced on its service-level curve (lost contacts); soft: every "
                    "interval's required agents (its SLA target) met wherever the agents allow, then the cost; hard: "
                    "a roster short of any interval's requirement is an error that names the weeks and queue-days")

    @field_validator("per_interval", mode="before")
    @classmethod
    def _per_interval_bool(cls, v):
        # per_interval: true / false
        return {False: "curves", True: "hard"}.get(v, v) if isinstance(v, bool) else v

    @property
    def per_interval_hard(self) -> bool | str:
        """The optimizer's ``per_interval_hard`` argument for this setting."""
        return {"curves": False, "soft": "soft", "hard": True}[self.per_interval]


class ForecastSettings(_Strict):
    model: ForecastModel = Field(default="auto", description="auto | seasonal_naive | ets | calendar_regression | combined")
    history_days: int | None = Field(default=None, ge=28, description="use at most this many days of history")
    uplift: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="promotion name -> volume multiplier overriding the learned effect"
    )
    scale: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="queue name -> multiplier on the whole forecast (what-if)"
    )
    quantiles: tuple[float, float] = Field(default=(0.1, 0.9), description="[low, high], 0 < low < high < 1")
    backtest_folds: int = Field(default=4, ge=1, le=20)

    @field_validator("uplift", mode="before")
    @classmethod
    def _number_names(cls, v: Any) -> Any:
        # a promotion named by a number (618) is an integer key in YAML unless quoted
        if isinstance(v, dict):
            return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: x for k, x in v.items()}
        return v

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 < v[0] < v[1] < 1.0:   # NaN fails too
            raise ValueError(f"expected [low, high] with 0 < low < high < 1, e.g. [0.1, 0.9] (got {list(v)})")
        return v


class SimulationSettings(_Strict):
    enabled: bool = True
    reps: int = Field(default=3, ge=1, le=200)
    seed: int = 0
    service_time: Literal["exponential", "lognormal"] = "exponential"
    service_time_by_queue: dict[str, Literal["exponential", "lognormal"]] = Field(
        default_factory=dict, description="queue name -> service-time distribution (replaces service_time)")
    lognormal_cv: PositiveFloat = Field(default=1.0, description="coefficient of variation of lognormal service times")
    overflow_mode: Literal["expand", "transfer"] = Field(
        default="expand", description="after overflow_after_s the overflow team joins the queue or takes it over")
    live_reserve: int = Field(default=1, ge=0, description="deferred work starts only while this many others stay idle")
    volume_uncertainty: bool = Field(default=False, description="draw each day's volume from the forecast interval")
    routing: Literal["plan", "dynamic"] = Field(
        default="plan", description="agents serve the plan's queues first (needs the roster's allocation) or "
                                    "route by team priority")


class Hiring(_Strict):
    """Extra agents of a team available from a date (what-if lever)."""

    team: str
    count: int = Field(ge=1, le=1000)
    start: date
    contract: str
    seniority: Literal["senior", "junior"] = "junior"
    skills: tuple[str, ...]
    night_ok: bool = False


class WorkforceLever(_Strict):
    """What-if change to a team's people (applied to the agents file when the scenario is loaded)."""

    junior_share: Fraction | None = Field(
        default=None, description="re-label agents so this share of the team is junior (highest ids first)"
    )


class Scenario(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    timezone: str = "Asia/Shanghai"
    interval_min: Literal[15, 30]
    horizon: Horizon
    data: DataSection
    queues: dict[str, Queue] = Field(min_length=1)
    shrinkage: Shrinkage = Shrinkage()
    teams: dict[str, Team] = Field(min_length=1)
    seniority: dict[Literal["senior", "junior"], Seniority] = Field(default_factory=dict)
    contracts: dict[str, Contract] = Field(min_length=1)
    shifts: dict[str, ShiftTemplate] = Field(min_length=1)
    rules: Rules = Rules()
    weights: Weights = Weights()
    solver: Solver = Solver()
    forecast: ForecastSettings = ForecastSettings()
    simulation: SimulationSettings = SimulationSettings()
    hiring: tuple[Hiring, ...] = ()
    workforce: dict[str, WorkforceLever] = Field(default_factory=dict)
    source: str | None = Field(default=None, description="the file this scenario was read from (set by the loader)")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; expected an IANA name such as 'Asia/Shanghai'") from None
        return v

    @field_validator("teams")
    @classmethod
    def _team_names(cls, v: dict[str, Team]) -> dict[str, Team]:
        for name in v:
            if name not in TEAM_NAMES:
                raise ValueError(f"unknown team {name!r}; valid teams: {', '.join(TEAM_NAMES)}")
        return v

    @model_validator(mode="after")
    def _cross_references(self) -> "Scenario":
        problems: list[str] = []
        teams = set(self.teams)
        for qname, q in self.queues.items():
            for t in q.teams:
                if t not in teams:
                    problems.append(f"queues.{qname}.teams: team {t!r} is not defined under 'teams' ({', '.join(sorted(teams))})")
            if q.is_live and q.channel not in LIVE_CHANNELS:
                problems.append(
                    f"queues.{qname}.sla: channel {q.channel!r} is deferred work; give resolve_within_h, not answer_within_s"
                )
            if not q.is_live and q.channel in LIVE_CHANNELS:
                problems.append(f"queues.{qname}.sla: channel {q.channel!r} is a live queue; give answer_within_s + target")
        for sname, s in self.shifts.items():
            if not s.start_minutes():
                problems.append(f"shifts.{sname}.starts: no start time; expected a list of times (e.g. [08:00, 09:00]) "
                                "or {earliest, latest, every_min}")
            for t in s.teams:
                if t not in teams:
                    problems.append(f"shifts.{sname}.teams: team {t!r} is not defined under 'teams' ({', '.join(sorted(teams))})")
            for m in s.start_minutes():
                if m % self.interval_min:
                    problems.append(
                        f"shifts.{sname}.starts: start {m // 60:02d}:{m % 60:02d} is not on the {self.interval_min}-minute grid"
                    )
                    break
            if s.length_min % self.interval_min:
                problems.append(f"shifts.{sname}.length_h: {s.length_h} h is not a whole number of {self.interval_min}-minute intervals")
            for b in s.breaks:
                if b.length_min % self.interval_min:
                    problems.append(
                        f"shifts.{sname}.breaks: a {b.length_min}-minute {b.kind} is not a whole number of "
                        f"{self.interval_min}-minute intervals"
                    )
        codes: dict[str, str] = {}
        for sname, s in self.shifts.items():
            if s.code in codes:
                problems.append(f"shifts.{sname}.code: code {s.code!r} is also used by shifts.{codes[s.code]}")
            codes[s.code] = sname
        for team in self.shrinkage.by_team:
            if team not in teams:
                problems.append(f"shrinkage.by_team: team {team!r} is not defined under 'teams'")
        for i, h in enumerate(self.hiring):
            if h.start > self.horizon.end:
                problems.append(f"hiring[{i}].start: {h.start} is after the horizon's last day {self.horizon.end}: these "
                                f"{h.count} agents would not work in this plan")
            if h.team not in teams:
                problems.append(f"hiring[{i}].team: team {h.team!r} is not defined under 'teams'")
            if h.contract not in self.contracts:
                problems.append(f"hiring[{i}].contract: contract {h.contract!r} is not defined under 'contracts'")
            for s in h.skills:
                if s not in self.queues:
                    problems.append(f"hiring[{i}].skills: queue {s!r} is not defined under 'queues'")
        for team in self.workforce:
            if team not in teams:
                problems.append(f"workforce: team {team!r} is not defined under 'teams'")
        for qname in self.forecast.scale:
            if qname not in self.queues:
                problems.append(f"forecast.scale: queue {qname!r} is not defined under 'queues'")
        for qname in self.simulation.service_time_by_queue:
            if qname not in self.queues:
                problems.append(f"simulation.service_time_by_queue: queue {qname!r} is not defined under 'queues'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # convenience -------------------------------------------------------------------------------
    @property
    def intervals_per_day(self) -> int:
        return 1440 // self.interval_min

    def late_work_hour_for(self, queue: str) -> float:
        """Cost of one work-hour of ``queue`` one hour past its deadline (the queue's own, else the weight)."""
        own = self.queues[queue].late_work_hour
        return self.weights.late_work_hour if own is None else own

    def shrinkage_for(self, team: str, minute_of_day: int) -> float:
        """Shrinkage that applies to ``team`` at ``minute_of_day`` (by_hour wins over by_team over default)."""
        for key, value in self.shrinkage.by_hour.items():
            a, b = parse_clock_range(key)
            m = minute_of_day if minute_of_day >= a else minute_of_day + 1440
            if a <= m < b:
                return value
        return self.shrinkage.by_team.get(team, self.shrinkage.default)

    def data_path(self, key: str) -> Path | None:
        f = getattr(self.data, key)
        return None if f is None else Path(f.path)


# ----------------------------------------------------------------------------------------------
# Loading


def _deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _absolutise_data_paths(doc: dict, base_dir: Path) -> None:
    data = doc.get("data")
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if key in ("generate_sample", "missing_intervals"):
            continue
        if isinstance(value, str):
            data[key] = str((base_dir / value).resolve()) if not Path(value).is_absolute() else value
        elif isinstance(value, dict) and isinstance(value.get("path"), str):
            p = value["path"]
            value["path"] = str((base_dir / p).resolve()) if not Path(p).is_absolute() else p


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{path}: 'extends' forms a cycle: {cycle}")
    doc = load_yaml(path)
    _absolutise_data_paths(doc, path.parent)
    parent = doc.pop("extends", None)
    if parent is None:
        return doc
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: expected the path of another scenario file, got {parent!r}")
    parent_path = (path.parent / parent)
    if not parent_path.exists():
        raise ScenarioError(f"{path}: extends: {parent!r} not found (looked for {parent_path.resolve()})")
    base = _load_raw(parent_path, (*chain, path))
    return _deep_merge(base, doc)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"queues.chat.deflection=0.15"`` -> (['queues', 'chat', 'deflection'], 0.15). The value is YAML."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected key.path=value, e.g. solver.time_limit_s=60")
    key, _, raw = text.partition("=")
    keys = [k for k in key.strip().split(".")]
    if not all(keys):
        raise ScenarioError(f"--set {text!r}: empty part in key path {key!r}")
    try:
        value = yaml.load(raw, Loader=_Loader) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return keys, value


def apply_overrides(doc: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    doc = copy.deepcopy(doc)
    for text in overrides:
        keys, value = parse_override(text)
        node = doc
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = value
    return doc


def _valid_keys_at(loc: tuple) -> list[str] | None:
    """Field names of the model that owns ``loc[-1]`` (for 'unknown key' messages)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return None
        if part not in fields:
            # a dict key (queue, team, shift name): its value type is the dict's value annotation
            continue
        ann = fields[part].annotation
        model = _model_in(ann)
        if model is None:
            return None
        if isinstance(model, tuple):  # dict[str, Model]: next loc part is the key
            model = model[0]
    fields = getattr(model, "model_fields", None)
    return sorted(k for k in fields if k != "source") if fields else None


def _model_in(ann: Any) -> Any:
    import typing

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is dict and len(args) == 2:
        inner = _model_in(args[1])
        return (inner,) if inner is not None and not isinstance(inner, tuple) else inner
    for a in args:
        m = _model_in(a)
        if m is not None:
            return m
    return None


_UNION_MEMBER = ("function-", "tuple[", "StartTimes")
_TYPE_ERRORS = ("model_type", "tuple_type", "dict_type", "list_type")


def _format_validation_error(exc: ValidationError, source: str) -> str:
    lines = []
    errors = exc.errors()
    # a value of a union (shifts.*.starts: a list or a mapping) that fails gets an error from each member;
    # where one member got past its type check (a bad clock time inside the list), the others' "Input
    # should be a valid dictionary" only confuses
    deeper = {tuple(e["loc"][:i]) for e in errors for i, p in enumerate(e["loc"][:-1])
              if isinstance(p, str) and p.startswith(_UNION_MEMBER)}
    for err in errors:
        member = err["loc"][-1] if err["loc"] else None
        if (err["type"] in _TYPE_ERRORS and isinstance(member, str) and member.startswith(_UNION_MEMBER)
                and tuple(err["loc"][:-1]) in deeper):
            continue
        loc = tuple(p for p in err["loc"] if p not in ("function-after[_order(), StartTimes]",))
        # pydantic puts union member names in loc; drop anything that is not a real key
        loc = tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(_UNION_MEMBER))
        path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            valid = _valid_keys_at(loc)
            msg = f"unknown key {loc[-1]!r}"
            if valid:
                msg += f"; valid keys here: {', '.join(valid)}"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "literal_error":
            msg = f"{value!r} is not allowed; expected {err['ctx']['expected']}"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            # (the value is named even where the bound looks like it: 'greater than 0' for a 0)
            if value is not None and not isinstance(value, (dict, list)) and f"got {value!r}" not in msg:
                msg += f" (got {value!r})"
        lines.append(f"{source}: {path or '(top level)'}: {msg}")
    # de-duplicate while keeping order
    seen: set[str] = set()
    uniq = [x for x in lines if not (x in seen or seen.add(x))]
    return "\n".join(uniq)


def scenario_from_dict(doc: dict, source: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping (already merged, data paths already absolute)."""
    try:
        return Scenario.model_validate({**doc, "source": source})
    except ValidationError as exc:
        raise ScenarioError(_format_validation_error(exc, source)) from None


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge (``extends:``), override (``--set``) and validate a scenario file."""
    path = Path(path)
    doc = _load_raw(path)
    if overrides:
        doc = apply_overrides(doc, overrides)
        _absolutise_data_paths(doc, Path.cwd())
    try:
        return scenario_from_dict(doc, source=str(path))
    except ScenarioError as exc:
        # a value given with --set is named as such, not only as a key of the file
        given = [o for o in overrides if o.split("=", 1)[0].strip() and o.split("=", 1)[0].strip() in str(exc)]
        if given:
            raise ScenarioError(f"{exc} (given on the command line: --set {', --set '.join(given)})") from None
        raise


def scenario_to_dict(scenario: Scenario) -> dict:
    """A plain, YAML-able mapping of the validated scenario (clock minutes written back as 'HH:MM',
    data paths absolute): :func:`load_scenario` reads it back to an equal scenario."""
    return scenario.model_dump(mode="json", exclude={"source"})


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario (``extends:`` merged, ``--set`` applied) as YAML text."""
    header = f"# resolved scenario {scenario.name!r} (from {scenario.source}); every key explicit\n"
    return header + yaml.safe_dump(scenario_to_dict(scenario), sort_keys=False, allow_unicode=True, width=110)
