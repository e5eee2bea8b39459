"""The roster problem as plain indexed data: days, interval grid, shifts, agents, pools, demand.

Everything the model builders need is computed here once, from the scenario, the agents frame,
the requirements, the locks and the previous roster; the builders never look at frames again.

Index conventions (used in every module of the package):
- ``d``: day index 0..D-1 of the horizon; ``t``: global interval index ``d * per_day + i``;
- coverage of the horizon is ``t`` in 0..T-1 (a night shift of the last day covers intervals past T,
  which lie outside the plan and are ignored);
- capacity is counted in *centi-effective agents* (``CAP_SCALE`` = 100 units per effective agent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import InputFileError, Problem as InputProblem, ScenarioError, StaffingError
from scheduler.scenario import Scenario
from scheduler.shifts import LEAVE, NIGHT_MIN_OVERLAP_MIN, OFF, Shift, build_catalogue, night_overlap_min
from scheduler.staffing import Requirements, agent_efficiency

log = logging.getLogger(__name__)

CAP_SCALE = 100            # capacity units per effective agent
OBJ_SCALE = 400            # objective units per money unit (1 unit = a quarter cent)
LOST_SCALE = 10            # lost-contact variable units per contact

# rule names accepted in ``rules.soft`` (scenario keys, so a planner can find them)
# (the validator's rule names, so a soft rule is reported as soft there too, plus the service goal)
SOFTABLE_RULES = (
    "min_rest", "rest_after_night", "max_consecutive_days", "min_days_off_per_week",
    "consecutive_days_off", "max_nights_per_week", "min_hours_per_week", "max_hours_per_week",
    "daily_target",
)


VENDOR_TEAM = "overflow"     # the outsourced overflow team (scenario.TEAM_NAMES)


def vendor_in_target(queue) -> bool:
    """Whether the overflow (vendor) team's answers can count within a live queue's answer target.

    A contact reaches the vendor only after waiting ``overflow_after_s`` (τ); with τ ≥ the target t it
    has already missed the target, so vendor capacity adds nothing to the service level — nor to the
    model's lost contacts, which are the contacts *not answered within the target*
    (``staffing.LiveCurve.lost``; ``staffing.overflow_metrics`` likewise counts only the primary's
    answers within t once t ≥ τ). Such a queue is left out of the vendor agents' servable queues. No
    τ means the vendor serves at once (as the simulation routes it); deferred queues are unaffected.
    """
    tau, t = queue.overflow_after_s, queue.sla.answer_within_s
    return not (queue.is_live and tau is not None and t is not None and tau >= t)


@dataclass(frozen=True)
class BreakSlot:
    """One break rule of a shift type: where it may start (interval offsets from the shift start)."""

    kind: str
    length: int                    # intervals
    offsets: tuple[int, ...]       # allowed start offsets, intervals after the shift start
    paid: bool


@dataclass(frozen=True)
class ShiftType:
    """A concrete shift on the interval grid."""

    index: int
    code: str
    template: str
    start_min: int
    length_min: int
    paid_min: int
    is_night: bool
    is_late: bool                  # not night, ends after the night window opens
    night_min: int                 # minutes inside the night window (premium)
    teams: tuple[str, ...]
    start: int                     # interval offset from the start day's midnight
    length: int                    # intervals
    breaks: tuple[BreakSlot, ...]

    @property
    def end_min(self) -> int:
        return self.start_min + self.length_min


@dataclass
class AgentInfo:
    index: int
    agent_id: str
    team: str
    seniority: str
    contract: str
    queues: tuple[str, ...]        # queues it may serve (skills ∩ team allowed)
    night_ok: bool
    unavailable: frozenset[int]    # day indices on leave
    pool: int = -1
    shifts: tuple[int, ...] = ()   # shift type indices it may work (team, night_ok, block length)
    locked: dict[int, int | None] = field(default_factory=dict)   # day -> shift index, or None = off
    lock_cells: dict[int, str] = field(default_factory=dict)      # day -> where the lock was typed (Roster!H12)
    prev_end_min: int | None = None    # end of the last previous shift, minutes from day 0 midnight (<= ~600)
    prev_night: bool = False           # that last shift was a night shift (rest_after_night_h applies)
    prev_run_days: int = 0             # consecutive worked days ending the day before the horizon
    prev_week: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # week -> (days worked, paid min, nights)
    requests: list[tuple[int, tuple[int, ...] | None, bool, float]] = field(default_factory=list)  # (day, shifts or None=off, want, weight)
    reference: dict[int, int | None] = field(default_factory=dict)  # day -> shift index or None = off: the roster
    #                                  re-optimised (a supervisor's workbook); each day changed costs weights.roster_change
    reference_breaks: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = field(default_factory=dict)  # day ->
    #                                  (shift index, ((break rule k, offset), ...)): that workbook's breaks of the shift it
    #                                  shows that day, where they fit the shift's break windows; kept while it works that shift


@dataclass
class Pool:
    """Interchangeable agents: same team, seniority, servable queues and night permission."""

    index: int
    team: str
    seniority: str
    queues: tuple[str, ...]
    night_ok: bool
    members: list[int]
    shifts: tuple[int, ...]
    efficiency: np.ndarray         # capacity units per agent on duty, per interval of the day (length per_day)
    break_group: int = -1          # pools differing only in seniority share a break group
    contract: str = ""

    @property
    def label(self) -> str:
        night = ",night" if self.night_ok else ""
        return f"{self.team}/{self.seniority}/{self.contract}{night}:{'+'.join(self.queues) or '-'}"


@dataclass(frozen=True)
class Week:
    """A Monday–Sunday week meeting the horizon: its days inside the horizon."""

    index: int
    monday: date
    days: tuple[int, ...]

    @property
    def full(self) -> bool:
        return len(self.days) == 7


@dataclass
class LiveDemand:
    queue: str
    t: np.ndarray                  # global interval indices with volume > 0
    volume: np.ndarray             # contacts per interval
    required: np.ndarray           # effective agents per interval
    segments: list[LostSegments]   # per interval: lost contacts as a convex function of served capacity
    lost: np.ndarray               # (len(t), n_max+1) lost contacts by whole effective agents, for evaluation
    service_level: np.ndarray      # (len(t), n_max+1)
    daily_targets: tuple[float | None, ...]   # per horizon day: the daily SL target (service-goal mode) or None

    def target(self, d: int) -> float | None:
        """Daily service-level target of horizon day ``d`` (None: no daily target that day)."""
        return self.daily_targets[d] if 0 <= d < len(self.daily_targets) else None


@dataclass
class DeferredDemand:
    queue: str
    work: np.ndarray               # capacity-unit-intervals of work arriving in each horizon interval (length T)
    open_mask: np.ndarray          # bool per horizon interval: the queue is open
    due: list[tuple[int, int]]     # (u, a): work arrived up to interval a must be done by end of interval u
    work_h: np.ndarray             # effective agent-hours arriving per interval (report)
    required: np.ndarray           # min capacity per interval, effective agents (report)

    @cached_property
    def due_checks(self) -> tuple[np.ndarray, np.ndarray]:
        """``due`` as arrays: each check's interval ``u`` and the backlog allowed at its end (capacity-unit-
        intervals: the work arrived after the check's deadline interval, which is not yet due)."""
        arrived = np.concatenate([[0.0], np.cumsum(self.work)])
        u = np.array([u for u, _ in self.due], dtype=np.int64)
        last = np.array([a for _, a in self.due], dtype=np.int64)
        return u, arrived[u + 1] - arrived[last + 1]


@dataclass
class RosterProblem:
    scenario: Scenario
    days: list[date]
    per_day: int
    interval_min: int
    shifts: list[ShiftType]
    agents: list[AgentInfo]
    pools: list[Pool]
    weeks: list[Week]
    live: dict[str, LiveDemand]
    deferred: dict[str, DeferredDemand]
    queue_sets: list[tuple[str, ...]]          # distinct servable queue sets (capacity groups)
    soft: frozenset[str]
    service_goal: bool
    per_interval_hard: bool | str         # True: hard; "soft": as far as agents allow; False: SL curves only
    shift_cost: dict[tuple[str, int], int]      # (team, shift index) -> objective units
    overtime_cost_per_min: dict[str, int]       # contract -> extra objective units per overtime minute (per team rate below)
    requirements_table: pd.DataFrame
    # the previous period's shifts still running after the horizon starts (a night shift of the day before):
    # capacity group -> capacity units per horizon interval (on duty, not on break)
    carry_in: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    carry_end: int = 0          # the interval where the last of those shifts has ended (0: none)

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def horizon_intervals(self) -> int:
        return self.n_days * self.per_day

    @property
    def interval_h(self) -> float:
        return self.interval_min / 60.0

    def timestamp(self, t: int) -> pd.Timestamp:
        return pd.Timestamp(self.days[0]) + pd.Timedelta(minutes=int(t) * self.interval_min)

    def label_t(self, t: int) -> str:
        """``Wed 11-11 09:15`` — for variable names and messages."""
        return self.timestamp(t).strftime("%a %m-%d %H:%M")

    def label_day(self, d: int) -> str:
        return self.days[d].strftime("%a %Y-%m-%d")

    def shift_intervals(self, d: int, s: ShiftType) -> range:
        """Global intervals covered by shift ``s`` started on day ``d`` (clipped to the horizon)."""
        a = d * self.per_day + s.start
        return range(max(0, a), min(self.horizon_intervals, a + s.length))

    @cached_property
    def overtime_limits(self) -> dict[int, tuple[float, list[tuple[tuple[int, ...], int]]]]:
        """Agents whose contract allows overtime: agent -> (objective units per overtime minute, [(a week's
        days, its regular maximum paid minutes)]), worked out once (every evaluation of a roster prices it)."""
        from scheduler.optimize.limits import week_limits      # (limits imports this module)

        sc = self.scenario
        out = {}
        for a, info in enumerate(self.agents):
            c = sc.contracts[info.contract]
            if c.overtime_h_per_week <= 0:
                continue
            rate = (c.overtime_cost_multiplier - 1.0) * sc.teams[info.team].cost_per_hour / 60 * OBJ_SCALE
            out[a] = (rate, [(wk.days, week_limits(self, info, wk).regular_max_min) for wk in self.weeks])
        return out

    def week_of_day(self, d: int) -> int:
        for w in self.weeks:
            if d in w.days:
                return w.index
        raise KeyError(d)


# ------------------------------------------------------------------------------------------------
# building


def build_problem(scenario: Scenario, agents: pd.DataFrame, requirements: Requirements, *,
                  locks: pd.DataFrame | None = None, previous: pd.DataFrame | None = None,
                  per_interval_hard: bool | str = False, requests: pd.DataFrame | None = None,
                  reference: pd.DataFrame | None = None, reference_breaks: pd.DataFrame | None = None,
                  cut_points: int = 10) -> RosterProblem:
    """Index every input of the roster model. Raises ScenarioError / InputFileError / StaffingError
    for inputs the model cannot use (each message says what is wrong and what was expected).

    ``reference``: ``agent_id, date, shift`` (a shift code, ``OFF`` or ``LEAVE``), the roster being
    re-optimised: the search starts from it and each agent-day that ends up different costs
    ``weights.roster_change``; ``reference_breaks``: ``agent_id, start, end, kind``, that roster's breaks (the
    workbook's Breaks sheet): a shift worked as the reference shows it keeps them where they fit its break
    windows (:attr:`AgentInfo.reference_breaks`), so an unedited roster is priced as it was written."""
    soft = frozenset(scenario.rules.soft)
    unknown = sorted(soft - set(SOFTABLE_RULES))
    if unknown:
        raise ScenarioError(
            f"{scenario.source or '<scenario>'}: rules.soft: unknown rule {unknown[0]!r}; "
            f"rules that can be made soft: {', '.join(SOFTABLE_RULES)}"
        )
    days = scenario.horizon.dates()
    per_day = scenario.intervals_per_day
    shifts = _shift_types(scenario)
    agent_infos = _agents(scenario, agents, days, shifts)
    _apply_locks(agent_infos, locks, days, shifts)
    _apply_requests(agent_infos, requests, days, shifts)
    _apply_reference(agent_infos, reference, days, shifts)
    _apply_reference_breaks(agent_infos, reference, reference_breaks, days, shifts, scenario.interval_min)
    weeks = _weeks(days)
    _apply_previous(agent_infos, previous, days, weeks, scenario)
    pools = _pools(scenario, agent_infos, shifts, per_day)
    live, deferred = _demand(scenario, requirements, days, per_day, cut_points)
    queue_sets = sorted({p.queues for p in pools if p.queues})
    shift_cost = {}
    for team, spec in scenario.teams.items():
        for s in shifts:
            if team in s.teams:
                money = spec.cost_per_hour * (s.paid_min / 60.0 + spec.night_premium * s.night_min / 60.0)
                shift_cost[(team, s.index)] = int(round(money * OBJ_SCALE))
    overtime = {name: c.overtime_cost_multiplier - 1.0 for name, c in scenario.contracts.items()}
    # service-goal mode when a live queue has a daily target on a day of the horizon (a by-date table for other
    # months, reused with this horizon, used to switch the whole plan to daily targets)
    service_goal = any(q.sla.daily_target is not None or any(q.sla.daily_target_on(d) is not None for d in days)
                       for q in scenario.queues.values() if q.is_live)
    return RosterProblem(
        scenario=scenario, days=days, per_day=per_day, interval_min=scenario.interval_min, shifts=shifts,
        agents=agent_infos, pools=pools, weeks=weeks, live=live, deferred=deferred, queue_sets=queue_sets,
        soft=soft, service_goal=service_goal, per_interval_hard=per_interval_hard, shift_cost=shift_cost,
        overtime_cost_per_min={k: v for k, v in overtime.items()}, requirements_table=requirements.table,
        **_carry_in(scenario, previous, per_day, len(days) * per_day, agent_infos, pools),
    )


def _carry_in(scenario: Scenario, previous: pd.DataFrame | None, per_day: int, T: int, agents: list[AgentInfo],
              pools: list[Pool]) -> dict:
    """The previous period's shifts that run past the horizon's start (:func:`scheduler.carry.carry_in_shifts`:
    breaks at their windows' middles) as fixed capacity of the agents' groups
    (:attr:`RosterProblem.carry_in`). Agents not in this period's file are left out."""
    from scheduler.carry import carry_in_shifts

    cap: dict[tuple[str, ...], np.ndarray] = {}
    end = 0
    step = pd.Timedelta(minutes=scenario.interval_min)
    by_id = {a.agent_id: a for a in agents}
    h0 = pd.Timestamp(scenario.horizon.start)
    for c in carry_in_shifts(scenario, previous):
        a = by_id.get(c.agent_id)
        if a is None or a.pool < 0 or not a.queues:
            continue
        n = min(T, -int(-(c.end - h0) // step))
        on = np.ones(n)
        for b0, b1, _ in c.breaks:
            if b1 > h0:
                on[max(0, int((b0 - h0) // step)): -int(-(b1 - h0) // step)] = 0.0
        p = pools[a.pool]
        cap.setdefault(p.queues, np.zeros(T))[:n] += on * p.efficiency[np.arange(n) % per_day]
        end = max(end, n)
    return {"carry_in": cap, "carry_end": end}


def _shift_types(scenario: Scenario) -> list[ShiftType]:
    step = scenario.interval_min
    nw = scenario.rules.night_window
    out: list[ShiftType] = []
    catalogue: dict[str, Shift] = build_catalogue(scenario)
    for s in catalogue.values():
        slots = []
        for b in s.breaks:
            first = -(-b.earliest_after_min // step)       # first grid offset at or after the earliest
            last = b.latest_after_min // step
            offsets = tuple(range(first, last + 1))
            if not offsets:
                raise ScenarioError(
                    f"shifts.{s.template}.breaks: the {b.kind} window {b.earliest_after_min}-{b.latest_after_min} min "
                    f"holds no start on the {step}-minute grid; widen the window"
                )
            slots.append(BreakSlot(kind=b.kind, length=b.length_min // step, offsets=offsets, paid=b.paid))
        slots.sort(key=lambda x: x.offsets[0])
        for a, b in zip(slots, slots[1:]):
            if a.offsets[-1] + a.length > b.offsets[0]:
                raise ScenarioError(
                    f"shifts.{s.template}.breaks: the windows of the {a.kind} and the {b.kind} overlap, so one agent "
                    f"could get both at once; make each break's window end before the next one's starts"
                )
        night_min = night_overlap_min(s.start_min, s.end_min, nw.start, nw.end)
        is_late = (not s.is_night) and s.end_min > nw.start
        out.append(ShiftType(
            index=len(out), code=s.code, template=s.template, start_min=s.start_min, length_min=s.length_min,
            paid_min=s.paid_min, is_night=s.is_night, is_late=is_late, night_min=night_min, teams=s.teams,
            start=s.start_min // step, length=s.length_min // step, breaks=tuple(slots),
        ))
    return out


def _agents(scenario: Scenario, agents: pd.DataFrame, days: list[date], shifts: list[ShiftType]) -> list[AgentInfo]:
    missing = [c for c in C.AGENT_COLUMNS if c not in agents.columns]
    if missing:
        raise InputFileError(f"the agents frame lacks column(s) {', '.join(missing)}; expected the frame of io.tables.read_agents")
    problems: list[InputProblem] = []
    day_index = {d: i for i, d in enumerate(days)}
    out: list[AgentInfo] = []
    for row in agents.itertuples(index=False):
        team = getattr(row, C.TEAM)
        aid = str(getattr(row, C.AGENT_ID))
        if team not in scenario.teams:
            problems.append(InputProblem(f"agent {aid}: team {team!r} is not defined in the scenario", column=C.TEAM,
                                         value=team, expected=" | ".join(scenario.teams)))
            continue
        contract = getattr(row, C.CONTRACT)
        if contract not in scenario.contracts:
            problems.append(InputProblem(f"agent {aid}: contract {contract!r} is not defined in the scenario",
                                         column=C.CONTRACT, value=contract, expected=" | ".join(scenario.contracts)))
            continue
        skills = tuple(getattr(row, C.SKILLS))
        queues = tuple(q for q in scenario.queues if q in skills and team in scenario.queues[q].teams
                       and not (team == VENDOR_TEAM and not vendor_in_target(scenario.queues[q])))
        unavailable = getattr(row, C.UNAVAILABLE, frozenset()) if C.UNAVAILABLE in agents.columns else frozenset()
        night_ok = bool(getattr(row, C.NIGHT_OK, False)) if C.NIGHT_OK in agents.columns else False
        team_spec = scenario.teams[team]
        allowed = []
        for s in shifts:
            if team not in s.teams:
                continue
            if s.is_night and not (night_ok or team == "night"):
                continue
            if team_spec.min_block_h is not None and s.length_min < team_spec.min_block_h * 60 - 1e-9:
                continue
            if team_spec.max_agents == 0:
                continue
            allowed.append(s.index)
        out.append(AgentInfo(
            index=len(out), agent_id=aid, team=team, seniority=getattr(row, C.SENIORITY), contract=contract,
            queues=queues, night_ok=night_ok,
            unavailable=frozenset(day_index[d] for d in (unavailable or ()) if d in day_index),
            shifts=tuple(allowed),
        ))
    if problems:
        raise InputFileError(problems)
    return out


def _apply_locks(agents: list[AgentInfo], locks: pd.DataFrame | None, days: list[date], shifts: list[ShiftType]) -> None:
    """Locks: ``agent_id, date, shift`` (a shift code, ``OFF`` or ``LEAVE``; optional ``cell``: the workbook cell
    it comes from, named where a lock conflicts with a rule). Unknown agents, dates outside the horizon and
    unknown codes are input errors; a lock that breaks a rule is left for the model to explain (it becomes
    infeasible with the rule named)."""
    if locks is None or len(locks) == 0:
        return
    for col in (C.AGENT_ID, C.DATE, C.SHIFT):
        if col not in locks.columns:
            raise InputFileError(f"locks lack column {col!r}; expected agent_id, date, shift")
    by_id = {a.agent_id: a for a in agents}
    code = {s.code: s.index for s in shifts}
    day_index = {d: i for i, d in enumerate(days)}
    problems: list[InputProblem] = []
    for i, row in enumerate(locks.itertuples(index=False)):
        aid, day, sh = str(getattr(row, C.AGENT_ID)), getattr(row, C.DATE), str(getattr(row, C.SHIFT))
        if isinstance(day, (pd.Timestamp, datetime)):
            day = day.date()
        if aid not in by_id:
            problems.append(InputProblem("lock names an unknown agent", row=i + 1, column=C.AGENT_ID, value=aid,
                                         expected="an agent_id of the agents file"))
            continue
        if day not in day_index:
            continue        # outside the horizon: nothing to lock
        cell = getattr(row, "cell", None)
        if isinstance(cell, str) and cell:
            by_id[aid].lock_cells[day_index[day]] = cell
        if sh in (OFF, LEAVE):
            by_id[aid].locked[day_index[day]] = None
            if sh == LEAVE:
                by_id[aid].unavailable = by_id[aid].unavailable | {day_index[day]}
        elif sh in code:
            by_id[aid].locked[day_index[day]] = code[sh]
        else:
            problems.append(InputProblem("lock names an unknown shift", row=i + 1, column=C.SHIFT, value=sh,
                                         expected=f"a shift code of the scenario ({', '.join(list(code)[:6])}, ...), OFF or LEAVE"))
    if problems:
        raise InputFileError(problems, file="locks")


def _apply_requests(agents: list[AgentInfo], requests: pd.DataFrame | None, days: list[date],
                    shifts: list[ShiftType]) -> None:
    """Wishes: ``agent_id, date, shift, want`` (+ ``weight``, default 1): ``shift`` is a shift code, a
    template code (any of its start times, e.g. ``N``) or ``OFF``; ``want`` true = wants it, false = not."""
    if requests is None or len(requests) == 0:
        return
    for col in (C.AGENT_ID, C.DATE, C.SHIFT, "want"):
        if col not in requests.columns:
            raise InputFileError(f"requests lack column {col!r}; expected agent_id, date, shift, want (weight optional)")
    by_id = {a.agent_id: a for a in agents}
    codes = {s.code: [s.index] for s in shifts}
    for s in shifts:
        prefix = s.code.rstrip("0123456789")
        codes.setdefault(prefix, []).append(s.index)
    day_index = {d: i for i, d in enumerate(days)}
    problems: list[InputProblem] = []
    for i, row in enumerate(requests.itertuples(index=False)):
        aid, day, sh = str(getattr(row, C.AGENT_ID)), getattr(row, C.DATE), str(getattr(row, C.SHIFT))
        want = bool(getattr(row, "want"))
        weight = float(getattr(row, "weight", 1.0)) if "weight" in requests.columns else 1.0
        if isinstance(day, (pd.Timestamp, datetime)):
            day = day.date()
        if aid not in by_id:
            problems.append(InputProblem("request names an unknown agent", row=i + 1, column=C.AGENT_ID, value=aid,
                                         expected="an agent_id of the agents file"))
            continue
        if day not in day_index:
            continue
        if sh == OFF:
            by_id[aid].requests.append((day_index[day], None, want, weight))
        elif sh in codes:
            by_id[aid].requests.append((day_index[day], tuple(codes[sh]), want, weight))
        else:
            problems.append(InputProblem("request names an unknown shift", row=i + 1, column=C.SHIFT, value=sh,
                                         expected="a shift code, a template code or OFF"))
    if problems:
        raise InputFileError(problems, file="requests")


def _apply_reference(agents: list[AgentInfo], reference: pd.DataFrame | None, days: list[date],
                     shifts: list[ShiftType]) -> None:
    """The roster being re-optimised (``agent_id, date, shift``: a shift code, ``OFF`` or ``LEAVE``), per agent
    and day; locked days and leave are left out (they hold anyway), as are agents, days and codes the scenario
    does not know (the workbook reader reports those)."""
    if reference is None or len(reference) == 0:
        return
    by_id = {a.agent_id: a for a in agents}
    code = {s.code: s.index for s in shifts}
    day_index = {d: i for i, d in enumerate(days)}
    for row in reference.itertuples(index=False):
        info = by_id.get(str(getattr(row, C.AGENT_ID)))
        day = getattr(row, C.DATE)
        day = day.date() if isinstance(day, (pd.Timestamp, datetime)) else day
        d = day_index.get(day)
        sh = str(getattr(row, C.SHIFT))
        if info is None or d is None or d in info.locked or d in info.unavailable:
            continue
        if sh in (OFF, LEAVE):
            info.reference[d] = None
        elif sh in code:
            info.reference[d] = code[sh]


def _apply_reference_breaks(agents: list[AgentInfo], reference: pd.DataFrame | None, breaks: pd.DataFrame | None,
                            days: list[date], shifts: list[ShiftType], step_min: int) -> None:
    """The reference roster's breaks (``agent_id, start, end, kind``) per agent and day of the shift that holds
    them (the reference's shift that day or the day before, locked days included), as ``(break rule, offset)``
    where every break rule of the shift gets exactly one break of its kind and length at an allowed offset;
    a shift whose breaks do not fit (moved by hand outside a window, off the grid, one missing or extra, a
    shift edited without its breaks) is left out and gets breaks placed afresh."""
    if reference is None or breaks is None or len(reference) == 0:
        return
    by_id = {a.agent_id: a for a in agents}
    code = {s.code: s for s in shifts}
    day_index = {d: i for i, d in enumerate(days)}
    worked: dict[tuple[str, int], ShiftType] = {}
    for row in reference.itertuples(index=False):
        day = getattr(row, C.DATE)
        d = day_index.get(day.date() if isinstance(day, (pd.Timestamp, datetime)) else day)
        s = code.get(str(getattr(row, C.SHIFT)))
        if d is not None and s is not None:
            worked[(str(getattr(row, C.AGENT_ID)), d)] = s
    found: dict[tuple[str, int], list[tuple[str, float, float]]] = {}
    bad: set[tuple[str, int]] = set()
    origin = datetime.combine(days[0], datetime.min.time())
    for row in breaks.itertuples(index=False):
        aid = str(getattr(row, C.AGENT_ID))
        b0, b1 = pd.Timestamp(getattr(row, C.SHIFT_START)), pd.Timestamp(getattr(row, C.SHIFT_END))
        at = (b0.to_pydatetime().replace(tzinfo=None) - origin).total_seconds() / 60.0     # minutes from day 0
        day = int(at // (24 * 60))
        for d in (day, day - 1):
            s = worked.get((aid, d))
            if s is None:
                continue
            offset = at - d * 24 * 60 - s.start_min
            if 0 <= offset < s.length_min:
                found.setdefault((aid, d), []).append((str(getattr(row, C.BREAK_KIND)), offset,
                                                       (b1 - b0).total_seconds() / 60.0))
                break
        else:
            bad.update({(aid, day), (aid, day - 1)})         # a break outside any shift: both days afresh
    for (aid, d), s in worked.items():
        info = by_id.get(aid)
        if info is None or (aid, d) in bad:
            continue
        chosen = _fit_breaks(s, found.get((aid, d), []), step_min)
        if chosen is not None:
            info.reference_breaks[d] = (s.index, chosen)


def _fit_breaks(s: ShiftType, items: list[tuple[str, float, float]], step_min: int) -> tuple[tuple[int, int], ...] | None:
    """``(break rule, offset)`` of shift ``s`` for breaks ``(kind, minutes after the shift start, length min)``,
    one per break rule at one of its offsets on the interval grid, or None when they do not fit."""
    if len(items) != len(s.breaks):
        return None
    chosen = []
    for k, slot in enumerate(s.breaks):
        fits = [(kind, o, n) for kind, o, n in items
                if kind == slot.kind and n == slot.length * step_min and o % step_min == 0 and o // step_min in slot.offsets]
        if len(fits) != 1:
            return None
        chosen.append((k, int(fits[0][1] // step_min)))
    return tuple(chosen)


def _weeks(days: list[date]) -> list[Week]:
    weeks: dict[date, list[int]] = {}
    for i, d in enumerate(days):
        monday = d - timedelta(days=d.weekday())
        weeks.setdefault(monday, []).append(i)
    return [Week(index=k, monday=m, days=tuple(v)) for k, (m, v) in enumerate(sorted(weeks.items()))]


def _apply_previous(agents: list[AgentInfo], previous: pd.DataFrame | None, days: list[date], weeks: list[Week],
                    scenario: Scenario) -> None:
    """Boundary facts from the previous period: last shift end, trailing run of worked days, and what
    was already worked in the week that straddles the horizon's first day."""
    if previous is None or len(previous) == 0:
        return
    start = datetime.combine(days[0], datetime.min.time())
    by_id = {a.agent_id: a for a in agents}
    nw = scenario.rules.night_window
    first_monday = weeks[0].monday
    for aid, g in previous.groupby(C.AGENT_ID):
        a = by_id.get(str(aid))
        if a is None:
            continue
        g = g[pd.to_datetime(g[C.SHIFT_START]) < pd.Timestamp(start)]
        if g.empty:
            continue
        ends = pd.to_datetime(g[C.SHIFT_END])
        last = int(np.argmax(ends.to_numpy()))
        a.prev_end_min = int((ends.max() - pd.Timestamp(start)).total_seconds() // 60)
        s0 = pd.to_datetime(g[C.SHIFT_START]).iloc[last]
        m0 = s0.hour * 60 + s0.minute
        a.prev_night = night_overlap_min(m0, m0 + int((ends.iloc[last] - s0).total_seconds() // 60), nw.start, nw.end) >= NIGHT_MIN_OVERLAP_MIN
        worked = {pd.Timestamp(x).date() for x in g[C.DATE]}
        run, d = 0, days[0] - timedelta(days=1)
        while d in worked:
            run += 1
            d -= timedelta(days=1)
        a.prev_run_days = run
        if weeks[0].monday < days[0]:
            in_week = g[[first_monday <= pd.Timestamp(x).date() < days[0] for x in g[C.DATE]]]
            if len(in_week):
                nights = 0
                for s, e in zip(pd.to_datetime(in_week[C.SHIFT_START]), pd.to_datetime(in_week[C.SHIFT_END])):
                    m0 = s.hour * 60 + s.minute
                    m1 = m0 + int((e - s).total_seconds() // 60)
                    nights += night_overlap_min(m0, m1, nw.start, nw.end) >= NIGHT_MIN_OVERLAP_MIN
                a.prev_week[0] = (len({pd.Timestamp(x).date() for x in in_week[C.DATE]}),
                                  int(round(float(in_week[C.PAID_H].sum()) * 60)), int(nights))


def _pools(scenario: Scenario, agents: list[AgentInfo], shifts: list[ShiftType], per_day: int) -> list[Pool]:
    keys: dict[tuple, list[int]] = {}
    for a in agents:
        keys.setdefault((a.team, a.seniority, a.queues, a.night_ok, a.shifts, a.contract), []).append(a.index)
    pools = []
    step = scenario.interval_min
    for (team, seniority, queues, night_ok, allowed, contract), members in sorted(keys.items(), key=lambda kv: kv[1][0]):
        eff = np.array([
            int(round(CAP_SCALE * agent_efficiency(scenario, team, seniority, i * step))) for i in range(per_day)
        ], dtype=np.int64)
        p = Pool(index=len(pools), team=team, seniority=seniority, queues=queues, night_ok=night_ok,
                 members=members, shifts=allowed, efficiency=eff, contract=contract)
        for m in members:
            agents[m].pool = p.index
        pools.append(p)
    groups: dict[tuple, int] = {}
    for p in pools:
        p.break_group = groups.setdefault((p.team, p.queues, p.night_ok, p.shifts), len(groups))
    return pools


# ------------------------------------------------------------------------------------------------
# demand


def _horizon_positions(index: pd.DatetimeIndex, days: list[date], per_day: int, interval_min: int) -> np.ndarray:
    """Global interval index of each timestamp (-1 outside the horizon or off the grid)."""
    t0 = pd.Timestamp(days[0])
    minutes = (pd.DatetimeIndex(index) - t0).total_seconds().to_numpy() / 60.0
    pos = np.floor(minutes / interval_min + 1e-9).astype(np.int64)
    ok = (minutes >= 0) & (pos < len(days) * per_day) & (np.abs(minutes - pos * interval_min) < 1e-6)
    return np.where(ok, pos, -1)


def deferred_value(prob: "RosterProblem", queue: str) -> float:
    """What a capacity unit-interval of planned deferred work is worth (objective units): work not done
    when planned stays late for about a deadline's length, at ``late_work_hour`` per work-hour and hour."""
    sc = prob.scenario
    hours = sc.queues[queue].sla.resolve_within_h or 1.0
    return sc.late_work_hour_for(queue) * max(hours, 1.0) * prob.interval_h * OBJ_SCALE / CAP_SCALE


def could_work(prob: "RosterProblem", agent: AgentInfo) -> np.ndarray:
    """Per horizon interval: whether some shift the agent may work on a day it is available covers it."""
    cover = np.zeros(prob.horizon_intervals, dtype=bool)
    for d in range(prob.n_days):
        if d in agent.unavailable:
            continue
        for s in agent.shifts:
            r = prob.shift_intervals(d, prob.shifts[s])
            cover[r.start:r.stop] = True
    return cover


def interp_rows(x: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """``np.interp(x[k], range(G), curves[k])`` for every row ``k`` of ``curves`` (G columns: a curve on the
    integer grid 0..G-1, held flat outside it) at once, with the same values (same formula as numpy's)."""
    x = np.asarray(x, dtype=float)
    G = curves.shape[1]
    if G < 2:
        return curves[:, 0].astype(float) if G else np.full(len(x), np.nan)
    rows = np.arange(len(x))
    j = np.clip(np.floor(x), 0, G - 2).astype(np.int64)
    lo, hi = curves[rows, j].astype(float), curves[rows, j + 1].astype(float)
    out = (hi - lo) * (x - j) + lo
    out = np.where(x >= G - 1, curves[:, G - 1].astype(float), out)
    return np.where(x < 0, curves[:, 0].astype(float), out)


def daily_service_levels(prob: RosterProblem, served: dict[str, np.ndarray]) -> dict[tuple[str, int], float]:
    """Volume-weighted expected service level per live queue and day, from the curves themselves."""
    out = {}
    for q, dem in prob.live.items():
        days = dem.t // prob.per_day
        e = served[q][dem.t] / CAP_SCALE
        sl = interp_rows(e, dem.service_level)
        for d in np.unique(days):
            m = days == d
            vol = dem.volume[m].sum()
            if vol > 0:
                out[(q, int(d))] = float((sl[m] * dem.volume[m]).sum() / vol)
    return out


HARD_VALUE = 1e7          # objective units per capacity unit-interval below a hard per-interval requirement


def marginal_values(prob: "RosterProblem", weight: dict[tuple[str, int], float] | None = None,
                    require: bool = False) -> dict[str, list]:
    """Per live queue and interval: ``(ends, values)`` — the value of one more served capacity unit
    (objective units: lost contacts avoided, less the over-staffing price above the requirement) on
    each piece of the convex lost-contact envelope, pieces ending at ``ends`` (capacity units).

    ``weight[(queue, day)]`` multiplies the lost-contact price (the service-goal mode's multipliers);
    capacity below the requirement is worth ``HARD_VALUE`` more in the per-interval mode (or with ``require``)."""
    w = prob.scenario.weights
    over_w = w.overstaff_agent_hour * prob.interval_h * OBJ_SCALE / CAP_SCALE
    out: dict[str, list] = {}
    for q, dem in prob.live.items():
        table: list = [None] * prob.horizon_intervals
        for k, t in enumerate(dem.t):
            seg = dem.segments[k]
            req = dem.required[k] * CAP_SCALE
            price = w.lost_contact * OBJ_SCALE * (weight.get((q, int(t) // prob.per_day), 1.0) if weight else 1.0)
            hard = HARD_VALUE if prob.per_interval_hard or require else 0.0
            ends, values, at = [], [], 0.0
            for length, slope in zip(seg.lengths, seg.slopes):
                end = at + length if length >= 0 else float("inf")
                if at < req < end:                          # over-staffing starts at the requirement
                    ends.append(req)
                    values.append(-price * slope + hard)
                    at = req
                ends.append(end)
                values.append(-price * slope - (over_w if at >= req else -hard))
                at = end
            table[int(t)] = (tuple(ends), tuple(values))
        out[q] = table
    return out


def lower_hull(y: np.ndarray) -> list[int]:
    """Vertices (indices) of the lower convex hull of the points (n, y[n]), n = 0..len-1."""
    hull: list[int] = []
    for n in range(len(y)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # remove b if it lies on or above the segment a-n
            if (y[b] - y[a]) * (n - a) >= (y[n] - y[a]) * (b - a) - 1e-12:
                hull.pop()
            else:
                break
        hull.append(n)
    return hull


@dataclass(frozen=True)
class LostSegments:
    """A convex, decreasing piecewise-linear under-estimate of lost contacts as a function of served
    capacity E (capacity units): ``lost(E) = lost0 + sum_k slope_k * seg_k`` with
    ``0 <= seg_k <= length_k`` filled in order (convexity makes an optimum fill them in order);
    the last segment has slope 0 and no length limit (length −1)."""

    lost0: float                    # contacts lost with nobody serving
    lengths: tuple[int, ...]        # capacity units per segment (−1 = unbounded)
    slopes: tuple[float, ...]       # contacts per capacity unit (<= 0, increasing)


def lost_segments(lost: np.ndarray, required: float, max_segments: int) -> LostSegments:
    """Supporting lines of the lower convex hull of ``lost[n]`` (n effective agents), chosen around the
    requirement (every hull segment within −20 %/+25 % of it; a few farther out), turned into the
    segments of their upper envelope. Any subset of supporting lines under-estimates the hull, so the
    lost-contact term stays a valid relaxation; near the requirement it is exact interpolation."""
    lost = np.asarray(lost, dtype=float)
    hull = lower_hull(lost)
    segs = [(hull[k], hull[k + 1]) for k in range(len(hull) - 1) if lost[hull[k]] - lost[hull[k + 1]] > 1e-9]
    if not segs:
        return LostSegments(float(lost[0]), (-1,), (0.0,))
    req = max(float(required), 1.0)
    wanted = set(range(int(np.floor(0.8 * req)), int(np.ceil(1.25 * req)) + 2))
    wanted |= {int(round(req * f)) for f in (0.3, 0.5, 0.65, 1.45, 1.7, 2.0)}
    chosen = [(a, b) for a, b in segs if (a, b) == segs[0] or any(a <= n < b for n in wanted)]
    if len(chosen) > max_segments:
        first = chosen[0]
        rest = sorted(chosen[1:], key=lambda ab: abs((ab[0] + ab[1]) / 2 - req))[: max_segments - 1]
        chosen = [first] + sorted(rest)
    # lines y = c + s n, slopes increasing (steepest first)
    lines = [((lost[b] - lost[a]) / (b - a), lost[a] - (lost[b] - lost[a]) / (b - a) * a) for a, b in chosen]
    lost0 = lines[0][1]
    lengths, slopes = [], []
    at = 0                                                 # capacity units
    for k, (sl, c) in enumerate(lines):
        if k + 1 < len(lines):
            s2, c2 = lines[k + 1]
            nxt = (c2 - c) / (sl - s2)
        else:
            nxt = -c / sl                                  # where the last line reaches zero lost
        # breakpoints rounded up: the steeper line runs a little longer, staying under the envelope
        end = max(int(np.ceil(nxt * CAP_SCALE - 1e-9)), at)
        if end > at:
            lengths.append(end - at)
            slopes.append(sl / CAP_SCALE)
            at = end
    lengths.append(-1)
    slopes.append(0.0)
    return LostSegments(float(lost0), tuple(lengths), tuple(slopes))


def _open_mask(scenario: Scenario, queue: str, days: list[date], per_day: int) -> np.ndarray:
    a, b = scenario.queues[queue].open_minutes
    step = scenario.interval_min
    minute = (np.arange(per_day) * step)
    day_mask = ((minute >= a) & (minute < b)) | ((minute + 1440 >= a) & (minute + 1440 < b))
    return np.tile(day_mask, len(days))


def _demand(scenario: Scenario, req: Requirements, days: list[date], per_day: int,
            cut_points: int) -> tuple[dict[str, LiveDemand], dict[str, DeferredDemand]]:
    if req.interval_min != scenario.interval_min:
        raise StaffingError(
            f"the requirements are on a {req.interval_min}-minute grid but the scenario plans {scenario.interval_min}-minute "
            "intervals; build the requirements from the same scenario"
        )
    T = len(days) * per_day
    step = scenario.interval_min
    table = req.table
    live: dict[str, LiveDemand] = {}
    deferred: dict[str, DeferredDemand] = {}
    for qname, q in scenario.queues.items():
        if q.is_live:
            curve = req.curves.get(qname)
            if curve is None:
                raise StaffingError(f"the requirements have no service-level curve for live queue {qname!r}")
            pos = _horizon_positions(curve.interval_start, days, per_day, step)
            keep = (pos >= 0) & (np.asarray(curve.volume) > 1e-9)
            if not (pos >= 0).any():
                raise StaffingError(
                    f"the requirements of queue {qname!r} do not cover the horizon {days[0]}..{days[-1]} "
                    f"(they run {curve.interval_start.min()}..{curve.interval_start.max()})"
                )
            idx = np.flatnonzero(keep)
            required = _required_for(table, qname, curve.interval_start[idx])
            lost = np.asarray(curve.lost, dtype=float)[idx]
            sl = np.asarray(curve.service_level, dtype=float)[idx]
            segments = [lost_segments(lost[k], required[k], cut_points) for k in range(len(idx))]
            live[qname] = LiveDemand(queue=qname, t=pos[idx], volume=np.asarray(curve.volume, dtype=float)[idx],
                                     required=required, segments=segments, lost=lost, service_level=sl,
                                     daily_targets=tuple(q.sla.daily_target_on(day) for day in days))
        else:
            work = req.deferred.get(qname)
            if work is None:
                raise StaffingError(f"the requirements have no deferred-work entry for queue {qname!r}")
            pos = _horizon_positions(work.interval_start, days, per_day, step)
            work_h = np.zeros(T)
            mincap = np.zeros(T)
            ok = pos >= 0
            np.add.at(work_h, pos[ok], np.asarray(work.work_h, dtype=float)[ok])
            np.add.at(mincap, pos[ok], np.asarray(work.min_capacity_h, dtype=float)[ok] / (step / 60.0))
            open_mask = _open_mask(scenario, qname, days, per_day)
            units = np.round(work_h / (step / 60.0) * CAP_SCALE).astype(np.int64)
            open_idx = np.flatnonzero(open_mask)
            rank = np.full(T, -1)
            rank[open_idx] = np.arange(len(open_idx))
            due: dict[int, int] = {}
            H = int(work.deadline_intervals)
            for t in np.flatnonzero(units > 0):
                # work arriving in a closed interval waits for the next open one
                r = rank[t] if rank[t] >= 0 else np.searchsorted(open_idx, t)
                k = r + H
                if k < len(open_idx):
                    u = int(open_idx[k])
                    due[u] = max(due.get(u, -1), int(t))
            deferred[qname] = DeferredDemand(queue=qname, work=units, open_mask=open_mask,
                                             due=sorted(due.items()), work_h=work_h, required=mincap)
    return live, deferred


def _required_for(table: pd.DataFrame, queue: str, stamps: pd.DatetimeIndex) -> np.ndarray:
    if table is None or len(table) == 0 or C.REQUIRED not in table.columns:
        return np.zeros(len(stamps))
    sub = table[table[C.QUEUE] == queue]
    s = pd.Series(sub[C.REQUIRED].to_numpy(dtype=float), index=pd.DatetimeIndex(sub[C.INTERVAL_START]))
    s = s[~s.index.duplicated()]
    return s.reindex(pd.DatetimeIndex(stamps)).fillna(0.0).to_numpy()
