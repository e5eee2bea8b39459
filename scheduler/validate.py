"""The independent roster checker: every hard labour rule, recomputed from the roster alone.

It shares no code with the optimizer: it reads only the scenario, the shift catalogue
(:func:`scheduler.shifts.build_catalogue`), the column names and the agents frame, so a bug in the
model cannot hide itself here. :func:`check_roster` returns a list of :class:`Violation` (empty when
the roster is clean); :func:`coverage_from_roster` recomputes who is on shift and not on break in
every interval.

Conventions (docs/workbook.md, "What `check` verifies", says the same for planners):

- A shift belongs to the day it starts; its times come from its code (``D0800``), not from the
  ``start``/``end`` columns, which must agree with the code (rule ``assignment_fields``).
- Weeks run Monday to Sunday. In a week only partly inside the horizon, the *minima* (paid hours,
  days off) are scaled by the share of its days inside the horizon, rounded down for days off, and
  two consecutive days off are asked only of whole weeks; the *maxima* (paid hours, nights) keep
  their weekly value and also count the ``previous`` period's shifts of that week.
- The weekly minimum of paid hours is further scaled by the agent's available days (days of leave
  and ``LEAVE`` locks do not count): ``min_hours × available days / 7``. Days on leave count as days
  off.
- Rest is measured from the end of one shift to the start of the next, across midnight and from the
  ``previous`` period's last shift. After a night shift the minimum is ``rest_after_night_h`` when
  the scenario gives it (rule ``rest_after_night``), else ``min_rest_h`` (rule ``min_rest``).
- Rules named in ``rules.soft`` are reported with severity ``soft``; ``stable_start`` is always soft.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.scenario import Scenario
from scheduler.shifts import LEAVE, OFF, Shift, build_catalogue

HARD = "hard"
SOFT = "soft"

#: Every rule the checker knows, with what it means (the names used in ``Violation.rule`` and in
#: the scenario's ``rules.soft``).
RULES: dict[str, str] = {
    "unknown_agent": "the roster names an agent that is not in the agents file",
    "outside_horizon": "a shift on a day outside the scenario's horizon",
    "unknown_shift": "a shift code that the scenario's shift templates do not define",
    "shift_team": "the agent's team may not work this shift",
    "assignment_fields": "team, start, end or paid hours of a row disagree with the agent and the shift code",
    "one_shift_per_day": "at most one shift starts per agent and day",
    "min_rest": "rest between the end of a shift and the start of the next (rules.min_rest_h)",
    "rest_after_night": "rest after a night shift (rules.rest_after_night_h)",
    "max_consecutive_days": "working days in a row (rules.max_consecutive_days)",
    "min_days_off_per_week": "days off per Monday-Sunday week (rules.min_days_off_per_week)",
    "consecutive_days_off": "two of the week's days off in a row (rules.consecutive_days_off)",
    "min_hours_per_week": "paid hours per week at least the contract's min_hours_per_week",
    "max_hours_per_week": "paid hours per week at most max_hours_per_week + overtime_h_per_week",
    "max_nights_per_week": "night shifts per week (rules.max_nights_per_week)",
    "unavailable": "no shift on a day of leave or unavailability",
    "lock": "locked cells (supervisor's edits) are kept",
    "night_eligibility": "night shifts only for agents with night_ok or of the night team",
    "max_agents_at_once": "a team's agents on shift at the same time (teams.<team>.max_agents)",
    "min_block": "a team's shifts last at least teams.<team>.min_block_h",
    "break_count": "each break rule of the shift is placed exactly once",
    "break_window": "a break starts within its window after the shift start",
    "break_length": "a break lasts its rule's length",
    "break_overlap": "an agent's breaks do not overlap",
    "break_outside_shift": "a break lies inside one of the agent's shifts",
    "stable_start": "soft: start times within a week differ by at most rules.stable_start_max_diff_h",
}
_ALWAYS_SOFT = frozenset({"stable_start"})
_EPS_H = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``agent_id``/``date`` are None for team-wide rules (``date`` is then the day).

    ``detail`` is the planner-readable text without the agent/date prefix; ``message`` adds it:
    ``A017 2026-11-11: D0700 after night shift L1600 on 2026-11-10 leaves 6 h rest, minimum 11 h``.
    ``when`` is the moment concerned where there is one (a break's start, the busiest interval).
    """

    rule: str
    severity: str
    agent_id: str | None
    date: date | None
    detail: str
    when: datetime | None = None

    @property
    def message(self) -> str:
        who = " ".join(x for x in (self.agent_id, self.date.isoformat() if self.date else None) if x)
        return f"{who}: {self.detail}" if who else self.detail

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "severity": self.severity, "agent_id": self.agent_id,
            "date": self.date.isoformat() if self.date else None,
            "when": self.when.strftime(C.TIMESTAMP_FORMAT) if self.when else None,
            "message": self.message, "detail": self.detail,
        }


# ------------------------------------------------------------------------------------------------
# normalising the inputs


@dataclass(frozen=True)
class _Work:
    """One worked shift of one agent, times taken from the code when the code is known."""

    agent_id: str
    day: date
    code: str
    start: datetime
    end: datetime
    paid_h: float
    shift: Shift | None
    row: int | None          # position in the assignments frame (None for previous shifts)
    given: tuple = (None, None, None, None)   # team, start, end, paid_h as the frame gives them

    @property
    def is_night(self) -> bool:
        return bool(self.shift is not None and self.shift.is_night)


def _as_date(v) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return pd.Timestamp(v).date()


def _hours(x: float) -> str:
    """8.0 -> '8', 7.5 -> '7.5', 7.25 -> '7.25'."""
    return f"{round(x, 2):g}"


def _column(frame: pd.DataFrame, name: str, kind: str) -> list:
    """A column as Python values (datetimes, floats or text); None where absent or missing."""
    if name not in frame.columns:
        return [None] * len(frame)
    col = frame[name]
    if kind == "datetime":
        ts = pd.to_datetime(col, errors="coerce")
        return [None if pd.isna(t) else t.to_pydatetime() for t in ts]
    if kind == "float":
        x = pd.to_numeric(col, errors="coerce")
        return [None if pd.isna(v) else float(v) for v in x]
    return [str(v) for v in col]


def _work_items(frame: pd.DataFrame | None, catalogue: dict[str, Shift], keep_rows: bool) -> list[_Work]:
    if frame is None or len(frame) == 0:
        return []
    days = [_as_date(v) for v in frame[C.DATE]]
    codes = [str(v).strip() for v in frame[C.SHIFT]]
    agents = [str(v) for v in frame[C.AGENT_ID]]
    teams = _column(frame, C.TEAM, "text")
    starts = _column(frame, C.SHIFT_START, "datetime")
    ends = _column(frame, C.SHIFT_END, "datetime")
    paids = _column(frame, C.PAID_H, "float")
    out: list[_Work] = []
    for i, (day, code) in enumerate(zip(days, codes)):
        shift = catalogue.get(code)
        given = (teams[i] if C.TEAM in frame.columns else None, starts[i], ends[i], paids[i])
        if shift is not None:
            start, end, paid = shift.start_on(day), shift.end_on(day), shift.paid_h
        else:
            start = starts[i] or datetime.combine(day, datetime.min.time())
            end = ends[i] or start
            paid = paids[i] or 0.0
        out.append(_Work(agents[i], day, code, start, end, paid, shift, i if keep_rows else None, given))
    return out


class _Report:
    def __init__(self, scenario: Scenario):
        self.soft = set(scenario.rules.soft) | _ALWAYS_SOFT
        self.items: list[Violation] = []

    def add(self, rule: str, agent_id: str | None, day: date | None, detail: str, when: datetime | None = None) -> None:
        severity = SOFT if rule in self.soft else HARD
        self.items.append(Violation(rule, severity, agent_id, day, detail, when))


def _weeks(days: list[date]) -> dict[date, list[date]]:
    """Horizon days grouped by the Monday of their week."""
    out: dict[date, list[date]] = defaultdict(list)
    for d in days:
        out[d - timedelta(days=d.weekday())].append(d)
    return dict(out)


# ------------------------------------------------------------------------------------------------
# the checks


def check_roster(scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame, breaks: pd.DataFrame,
                 *, locks: pd.DataFrame | None = None, previous: pd.DataFrame | None = None) -> list[Violation]:
    """Every rule of :data:`RULES` checked on the roster; violations sorted by day, agent, rule.

    ``assignments``: ``agent_id, team, date, shift, start, end, paid_h``; ``breaks``: ``agent_id,
    start, end, kind``; ``locks``: ``agent_id, date, shift`` (a code, ``OFF`` or ``LEAVE``);
    ``previous``: assignments of the period before the horizon (rest, consecutive days, weekly maxima).
    """
    catalogue = build_catalogue(scenario)
    rep = _Report(scenario)
    horizon = scenario.horizon.dates()
    horizon_set = set(horizon)
    agent_rows = {str(r.agent_id): r for r in agents.itertuples(index=False)}

    work = _work_items(assignments, catalogue, keep_rows=True)
    prev = [w for w in _work_items(previous, catalogue, keep_rows=False) if w.day < scenario.horizon.start]

    lock_map: dict[tuple[str, date], str] = {}
    if locks is not None and len(locks):
        for r in locks.itertuples(index=False):
            lock_map[(str(getattr(r, C.AGENT_ID)), _as_date(getattr(r, C.DATE)))] = str(getattr(r, C.SHIFT)).strip()

    by_agent: dict[str, list[_Work]] = defaultdict(list)
    for w in work:
        agent = agent_rows.get(w.agent_id)
        if agent is None:
            rep.add("unknown_agent", w.agent_id, w.day, f"{w.code}: agent {w.agent_id!r} is not in the agents file")
            continue
        if w.day not in horizon_set:
            rep.add("outside_horizon", w.agent_id, w.day,
                    f"{w.code} on a day outside the horizon {scenario.horizon.start}..{scenario.horizon.end}")
            continue
        _check_shift_row(scenario, assignments, w, agent, rep)
        by_agent[w.agent_id].append(w)
    prev_by_agent: dict[str, list[_Work]] = defaultdict(list)
    for w in prev:
        prev_by_agent[w.agent_id].append(w)

    weeks = _weeks(horizon)
    for agent_id, agent in agent_rows.items():
        mine = sorted(by_agent.get(agent_id, []), key=lambda w: (w.start, w.day))
        before = sorted(prev_by_agent.get(agent_id, []), key=lambda w: (w.start, w.day))
        leave_days = set(getattr(agent, C.UNAVAILABLE, frozenset()) or frozenset())
        leave_days |= {d for (a, d), code in lock_map.items() if a == agent_id and code == LEAVE}
        _check_one_per_day(mine, rep)
        _check_rest(scenario, before, mine, rep)
        _check_consecutive(scenario, before, mine, rep)
        _check_weeks(scenario, agent, weeks, before, mine, leave_days, rep)
        _check_leave(agent, mine, rep)
        _check_stable_start(scenario, weeks, mine, rep)
    _check_locks(lock_map, by_agent, agent_rows, horizon_set, rep)
    _check_team_limits(scenario, by_agent, agent_rows, rep)
    _check_breaks(scenario, by_agent, breaks, rep)
    rep.items.sort(key=lambda v: (v.date or date.min, v.agent_id or "", v.rule, v.when or datetime.min))
    return rep.items


def _check_shift_row(scenario: Scenario, assignments: pd.DataFrame, w: _Work, agent, rep: _Report) -> None:
    team = str(agent.team)
    if w.shift is None:
        families = ", ".join(sorted({t.code for t in scenario.shifts.values()}))
        rep.add("unknown_shift", w.agent_id, w.day,
                f"{w.code!r} is not a shift code of this scenario; expected a template code ({families}) "
                f"followed by an allowed start HHMM, e.g. {next(iter(build_catalogue(scenario)))}")
        return
    if team not in w.shift.teams:
        rep.add("shift_team", w.agent_id, w.day,
                f"team {team} may not work {w.code} (shift '{w.shift.template}' is for {', '.join(w.shift.teams)})")
    if w.shift.is_night and not (bool(getattr(agent, C.NIGHT_OK, False)) or team == "night"):
        rep.add("night_eligibility", w.agent_id, w.day,
                f"{w.code} is a night shift but the agent is not night_ok and not in the night team")
    given_team, given_start, given_end, given_paid = w.given
    problems = []
    if C.TEAM in assignments.columns and given_team != team:
        problems.append(f"team {given_team!r} but the agent is in {team}")
    for col, got, expect in ((C.SHIFT_START, given_start, w.start), (C.SHIFT_END, given_end, w.end)):
        if col in assignments.columns and got != expect:
            problems.append(f"{col} {got:%Y-%m-%d %H:%M} but {w.code} on {w.day} {col}s "
                            f"{expect:%Y-%m-%d %H:%M}" if got else f"{col} missing")
    if C.PAID_H in assignments.columns:
        if given_paid is None or abs(given_paid - w.paid_h) > 1e-6:
            problems.append(f"paid_h {given_paid} but {w.code} pays {_hours(w.paid_h)} h")
    if problems:
        rep.add("assignment_fields", w.agent_id, w.day, f"{w.code}: " + "; ".join(problems))


def _check_one_per_day(mine: list[_Work], rep: _Report) -> None:
    per_day: dict[date, list[str]] = defaultdict(list)
    for w in mine:
        per_day[w.day].append(w.code)
    for day, codes in sorted(per_day.items()):
        if len(codes) > 1:
            rep.add("one_shift_per_day", mine[0].agent_id, day,
                    f"{len(codes)} shifts start on this day ({', '.join(codes)}), at most 1")


def _check_rest(scenario: Scenario, before: list[_Work], mine: list[_Work], rep: _Report) -> None:
    rules = scenario.rules
    seq = ([before[-1]] if before else []) + mine
    for prev, nxt in zip(seq, seq[1:]):
        if prev.day == nxt.day:
            continue  # reported by one_shift_per_day
        rest_h = (nxt.start - prev.end).total_seconds() / 3600.0
        if prev.is_night and rules.rest_after_night_h is not None:
            rule, minimum = "rest_after_night", rules.rest_after_night_h
        else:
            rule, minimum = "min_rest", rules.min_rest_h
        if rest_h < minimum - _EPS_H:
            what = f"leaves {_hours(rest_h)} h rest" if rest_h >= 0 else f"starts {_hours(-rest_h)} h before it ends"
            night = " night shift" if prev.is_night else ""
            rep.add(rule, nxt.agent_id, nxt.day,
                    f"{nxt.code} after{night} {prev.code} on {prev.day} {what}, minimum {_hours(minimum)} h",
                    when=nxt.start)


def _check_consecutive(scenario: Scenario, before: list[_Work], mine: list[_Work], rep: _Report) -> None:
    limit = scenario.rules.max_consecutive_days
    days = sorted({w.day for w in before} | {w.day for w in mine})
    start = scenario.horizon.start
    run_first: date | None = None
    run_len = 0
    reported_run: date | None = None
    prev_day: date | None = None
    for d in days:
        if prev_day is not None and d == prev_day + timedelta(days=1):
            run_len += 1
        else:
            run_first, run_len = d, 1
        prev_day = d
        if run_len > limit and d >= start and reported_run != run_first:
            reported_run = run_first
            # length of the whole run, for the message
            end = d
            while end + timedelta(days=1) in days:
                end += timedelta(days=1)
            total = (end - run_first).days + 1
            rep.add("max_consecutive_days", mine[0].agent_id if mine else None, d,
                    f"{total} working days in a row ({run_first}..{end}), maximum {limit}")


def _check_weeks(scenario: Scenario, agent, weeks: dict[date, list[date]], before: list[_Work], mine: list[_Work],
                 leave_days: set[date], rep: _Report) -> None:
    rules = scenario.rules
    agent_id = str(agent.agent_id)
    contract = scenario.contracts.get(str(agent.contract))
    worked = defaultdict(list)
    for w in before + mine:
        worked[w.day - timedelta(days=w.day.weekday())].append(w)
    for monday, days in weeks.items():
        n = len(days)
        ws = worked.get(monday, [])
        in_horizon = [w for w in ws if w.row is not None]
        worked_days = {w.day for w in in_horizon}
        first = days[0]
        label = f"week {monday}..{monday + timedelta(days=6)}"
        # days off
        off = [d for d in days if d not in worked_days]
        need_off = rules.min_days_off_per_week if n == 7 else math.floor(rules.min_days_off_per_week * n / 7)
        if len(off) < need_off:
            rep.add("min_days_off_per_week", agent_id, first,
                    f"{label}: {len(off)} day(s) off, minimum {need_off}")
        if rules.consecutive_days_off and n == 7 and rules.min_days_off_per_week >= 2:
            pairs = any(d + timedelta(days=1) in off for d in off)
            if not pairs and len(off) >= 2:
                rep.add("consecutive_days_off", agent_id, first,
                        f"{label}: days off {', '.join(d.strftime('%a %d') for d in off)} include no two in a row")
            elif not pairs and len(off) < 2 and len(off) >= need_off:
                rep.add("consecutive_days_off", agent_id, first, f"{label}: no two days off in a row")
        # paid hours
        if contract is not None:
            paid = sum(w.paid_h for w in ws)
            maximum = contract.max_hours_per_week + contract.overtime_h_per_week
            if paid > maximum + _EPS_H:
                extra = f" ({_hours(contract.max_hours_per_week)} + {_hours(contract.overtime_h_per_week)} overtime)" \
                    if contract.overtime_h_per_week else ""
                rep.add("max_hours_per_week", agent_id, first,
                        f"{label}: {_hours(paid)} paid h, maximum {_hours(maximum)} h{extra} for contract {agent.contract}")
            available = sum(1 for d in days if d not in leave_days)
            minimum = contract.min_hours_per_week * available / 7.0
            paid_in = sum(w.paid_h for w in in_horizon)
            if paid_in < minimum - _EPS_H:
                scaled = "" if available == 7 else f" ({_hours(contract.min_hours_per_week)} h × {available}/7 available days)"
                rep.add("min_hours_per_week", agent_id, first,
                        f"{label}: {_hours(paid_in)} paid h, minimum {_hours(minimum)} h{scaled} for contract {agent.contract}")
        # nights
        nights = [w for w in ws if w.is_night]
        if len(nights) > rules.max_nights_per_week:
            rep.add("max_nights_per_week", agent_id, first,
                    f"{label}: {len(nights)} night shifts, maximum {rules.max_nights_per_week}")


def _check_leave(agent, mine: list[_Work], rep: _Report) -> None:
    leave = getattr(agent, C.UNAVAILABLE, frozenset()) or frozenset()
    for w in mine:
        if w.day in leave:
            rep.add("unavailable", w.agent_id, w.day, f"{w.code} on a day of leave/unavailability")


def _check_stable_start(scenario: Scenario, weeks: dict[date, list[date]], mine: list[_Work], rep: _Report) -> None:
    limit_h = scenario.rules.stable_start_max_diff_h
    if limit_h is None:
        return
    starts = defaultdict(list)
    for w in mine:
        starts[w.day - timedelta(days=w.day.weekday())].append(w)
    for monday, ws in starts.items():
        minutes = [w.start.hour * 60 + w.start.minute for w in ws]
        spread_h = (max(minutes) - min(minutes)) / 60.0
        if spread_h > limit_h + _EPS_H:
            rep.add("stable_start", ws[0].agent_id, min(w.day for w in ws),
                    f"week {monday}..{monday + timedelta(days=6)}: start times spread over {_hours(spread_h)} h "
                    f"({min(ws, key=lambda w: w.start.time()).code} to {max(ws, key=lambda w: w.start.time()).code}), "
                    f"at most {_hours(limit_h)} h")


def _check_locks(lock_map: dict[tuple[str, date], str], by_agent: dict[str, list[_Work]], agent_rows: dict,
                 horizon: set[date], rep: _Report) -> None:
    for (agent_id, day), code in sorted(lock_map.items()):
        if agent_id not in agent_rows or day not in horizon:
            continue
        have = [w.code for w in by_agent.get(agent_id, []) if w.day == day]
        if code in (OFF, LEAVE):
            if have:
                rep.add("lock", agent_id, day, f"locked as {code} but the roster has {', '.join(have)}")
        elif code not in have:
            rep.add("lock", agent_id, day, f"locked to {code} but the roster has {', '.join(have) or 'no shift (OFF)'}")


def _check_team_limits(scenario: Scenario, by_agent: dict[str, list[_Work]], agent_rows: dict, rep: _Report) -> None:
    by_team: dict[str, list[_Work]] = defaultdict(list)
    for agent_id, ws in by_agent.items():
        by_team[str(agent_rows[agent_id].team)].extend(ws)
    for team, spec in scenario.teams.items():
        ws = by_team.get(team, [])
        if spec.min_block_h is not None:
            for w in ws:
                length_h = (w.end - w.start).total_seconds() / 3600.0
                if length_h < spec.min_block_h - _EPS_H:
                    rep.add("min_block", w.agent_id, w.day,
                            f"{w.code} lasts {_hours(length_h)} h; team {team} is booked in blocks of at least "
                            f"{_hours(spec.min_block_h)} h")
        if spec.max_agents is not None and ws:
            events = sorted([(w.start, 1) for w in ws] + [(w.end, -1) for w in ws], key=lambda e: (e[0], e[1]))
            worst: dict[date, tuple[int, datetime]] = {}
            count = 0
            for t, step in events:
                count += step
                if step > 0 and count > spec.max_agents:
                    day = t.date()
                    if day not in worst or count > worst[day][0]:
                        worst[day] = (count, t)
            for day, (count, t) in sorted(worst.items()):
                rep.add("max_agents_at_once", None, day,
                        f"team {team}: {count} agents on shift at once at {t:%Y-%m-%d %H:%M}, maximum {spec.max_agents}",
                        when=t)


def _check_breaks(scenario: Scenario, by_agent: dict[str, list[_Work]], breaks: pd.DataFrame | None,
                  rep: _Report) -> None:
    per_agent: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    if breaks is not None and len(breaks):
        kinds = [k.strip() for k in _column(breaks, C.BREAK_KIND, "text")]
        for a, s, e, kind in zip(_column(breaks, C.AGENT_ID, "text"), _column(breaks, C.SHIFT_START, "datetime"),
                                 _column(breaks, C.SHIFT_END, "datetime"), kinds):
            per_agent[a].append((s, e, kind))
    agents = set(per_agent) | set(by_agent)
    for agent_id in sorted(agents):
        shifts = by_agent.get(agent_id, [])
        mine = sorted(per_agent.get(agent_id, []), key=lambda b: (b[0] or datetime.min))
        owned: dict[int, list[tuple[datetime, datetime, str]]] = defaultdict(list)
        for s, e, kind in mine:
            if s is None or e is None or e <= s:
                rep.add("break_length", agent_id, s.date() if s else None,
                        f"{kind} with start {s} and end {e}: the end must come after the start", when=s)
                continue
            home = next((i for i, w in enumerate(shifts) if w.start <= s < w.end), None)
            if home is None:
                rep.add("break_outside_shift", agent_id, s.date(),
                        f"{kind} {s:%H:%M}-{e:%H:%M} on {s:%Y-%m-%d} is not inside any of the agent's shifts", when=s)
                continue
            w = shifts[home]
            if e > w.end:
                rep.add("break_outside_shift", agent_id, w.day,
                        f"{kind} {s:%H:%M}-{e:%H:%M} runs past the end of {w.code} ({w.end:%H:%M})", when=s)
            owned[home].append((s, e, kind))
        for s_prev, s_next in zip(mine, mine[1:]):
            if s_prev[0] is None or s_next[0] is None or s_prev[1] is None:
                continue
            if s_next[0] < s_prev[1]:
                rep.add("break_overlap", agent_id, s_next[0].date(),
                        f"{s_next[2]} at {s_next[0]:%H:%M} overlaps the {s_prev[2]} "
                        f"{s_prev[0]:%H:%M}-{s_prev[1]:%H:%M}", when=s_next[0])
        for i, w in enumerate(shifts):
            if w.shift is None:
                continue
            _check_shift_breaks(agent_id, w, owned.get(i, []), rep)


def _check_shift_breaks(agent_id: str, w: _Work, placed: list[tuple[datetime, datetime, str]], rep: _Report) -> None:
    rules_by_kind: dict[str, list] = defaultdict(list)
    for rule in sorted(w.shift.breaks, key=lambda b: b.earliest_after_min):
        rules_by_kind[rule.kind].append(rule)
    placed_by_kind: dict[str, list] = defaultdict(list)
    for b in sorted(placed):
        placed_by_kind[b[2]].append(b)
    for kind in sorted(set(rules_by_kind) | set(placed_by_kind)):
        want, got = rules_by_kind.get(kind, []), placed_by_kind.get(kind, [])
        if len(want) != len(got):
            names = {"break": "break(s)", "meal": "meal(s)"}.get(kind, f"{kind!r} break(s)")
            rep.add("break_count", agent_id, w.day,
                    f"{w.code} has {len(got)} {names}, expected {len(want)}",
                    when=got[len(want)][0] if len(got) > len(want) else w.start)
        for rule, (s, e, _) in zip(want, got):
            length = int(round((e - s).total_seconds() / 60))
            if length != rule.length_min:
                rep.add("break_length", agent_id, w.day,
                        f"{kind} {s:%H:%M}-{e:%H:%M} in {w.code} lasts {length} min, expected {rule.length_min} min",
                        when=s)
            after = (s - w.start).total_seconds() / 60
            if not rule.earliest_after_min <= after <= rule.latest_after_min:
                lo = w.start + timedelta(minutes=rule.earliest_after_min)
                hi = w.start + timedelta(minutes=rule.latest_after_min)
                rep.add("break_window", agent_id, w.day,
                        f"{kind} at {s:%H:%M} in {w.code}: must start between {lo:%H:%M} and {hi:%H:%M}", when=s)


# ------------------------------------------------------------------------------------------------
# coverage


def horizon_intervals(scenario: Scenario) -> pd.DatetimeIndex:
    """Interval starts of the horizon (local wall clock)."""
    start = pd.Timestamp(scenario.horizon.start)
    return pd.date_range(start, periods=scenario.horizon.days * scenario.intervals_per_day,
                         freq=f"{scenario.interval_min}min")


def skill_group(team: str, skills) -> str:
    """The coverage group of an agent: ``team:skill1+skill2`` (skills sorted)."""
    return f"{team}:{'+'.join(sorted(skills))}"


def agent_presence(scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame, breaks: pd.DataFrame,
                   intervals: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Share of each interval each agent is on shift and not on break (0..1 per shift; an agent with two
    overlapping shifts can exceed 1), recomputed from the roster: ``{agent_id: array(len(intervals))}``.
    Shifts take their times from the code; unknown agents and codes are left out."""
    step = scenario.interval_min
    grid0 = intervals[0].to_pydatetime() if len(intervals) else datetime(2000, 1, 1)
    n = len(intervals)
    # minute offsets of the interval starts (the grid may be irregular only if the caller passes one)
    starts_min = ((intervals - pd.Timestamp(grid0)) / pd.Timedelta(minutes=1)).to_numpy(dtype=float)
    ends_min = starts_min + step
    catalogue = build_catalogue(scenario)
    agent_rows = {str(r.agent_id): r for r in agents.itertuples(index=False)}

    def overlap(a: float, b: float) -> np.ndarray:
        lo = np.searchsorted(ends_min, a, side="right")
        hi = np.searchsorted(starts_min, b, side="left")
        out = np.zeros(n)
        if hi > lo:
            out[lo:hi] = np.clip(np.minimum(ends_min[lo:hi], b) - np.maximum(starts_min[lo:hi], a), 0, None) / step
        return out

    def minutes(t: datetime) -> float:
        return (t - grid0).total_seconds() / 60.0

    presence: dict[str, np.ndarray] = {}
    breaks_by_agent: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    if breaks is not None and len(breaks):
        for a, s, e in zip(_column(breaks, C.AGENT_ID, "text"), _column(breaks, C.SHIFT_START, "datetime"),
                           _column(breaks, C.SHIFT_END, "datetime")):
            if s is not None and e is not None and e > s:
                breaks_by_agent[a].append((s, e))
    for w in _work_items(assignments, catalogue, keep_rows=True):
        if w.agent_id not in agent_rows or w.shift is None:
            continue
        on = overlap(minutes(w.start), minutes(w.end))
        for s, e in breaks_by_agent.get(w.agent_id, []):
            # only the part of a break inside this shift removes presence
            a, b = max(s, w.start), min(e, w.end)
            if b > a:
                on -= overlap(minutes(a), minutes(b))
        acc = presence.setdefault(w.agent_id, np.zeros(n))
        acc += np.clip(on, 0.0, None)
    return presence


def agent_efficiency_table(scenario: Scenario, agents: pd.DataFrame, intervals: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Each agent's efficiency (effective agents per agent present) per interval:
    :func:`scheduler.staffing.agent_efficiency` at the interval's start time of day."""
    from scheduler.staffing import agent_efficiency

    minute_of_day = (intervals.hour * 60 + intervals.minute).to_numpy()
    cache: dict[tuple[str, str], np.ndarray] = {}
    out = {}
    for a in agents.itertuples(index=False):
        key = (str(a.team), str(a.seniority))
        if key not in cache:
            by_minute = {m: agent_efficiency(scenario, key[0], key[1], int(m)) for m in np.unique(minute_of_day)}
            cache[key] = np.array([by_minute[m] for m in minute_of_day], dtype=float)
        out[str(a.agent_id)] = cache[key]
    return out


def coverage_from_roster(scenario: Scenario, agents: pd.DataFrame, assignments: pd.DataFrame, breaks: pd.DataFrame,
                         intervals: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Agents on shift and not on break per interval and team/skill group, recomputed from the roster.

    Returns ``interval_start, team, group, skills, agents, effective_agents``: ``agents`` is the
    head count present (fractional where a shift or break covers part of an interval), and
    ``effective_agents`` weights each by :func:`scheduler.staffing.agent_efficiency` at the
    interval's start. Shifts take their times from the code. Rows are sorted by interval, group.
    Unknown agents and codes are left out (``check_roster`` reports them).
    """
    if intervals is None:
        intervals = horizon_intervals(scenario)
    n = len(intervals)
    presence = agent_presence(scenario, agents, assignments, breaks, intervals)
    agent_rows = {str(r.agent_id): r for r in agents.itertuples(index=False)}
    efficiency = agent_efficiency_table(scenario, agents, intervals)
    groups: dict[tuple[str, str], list] = {}
    for agent_id, p in presence.items():
        a = agent_rows[agent_id]
        team = str(a.team)
        skills = tuple(sorted(getattr(a, C.SKILLS, ()) or ()))
        g = groups.setdefault((team, skill_group(team, skills)), [skills, np.zeros(n), np.zeros(n)])
        g[1] += np.minimum(p, 1.0)
        g[2] += np.minimum(p, 1.0) * efficiency[agent_id]
    frames = []
    for (team, name), (skills, heads, eff) in sorted(groups.items()):
        frames.append(pd.DataFrame({
            C.INTERVAL_START: intervals, C.TEAM: team, "group": name, C.SKILLS: [skills] * n,
            "agents": heads, "effective_agents": eff,
        }))
    if not frames:
        return pd.DataFrame(columns=[C.INTERVAL_START, C.TEAM, "group", C.SKILLS, "agents", "effective_agents"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values([C.INTERVAL_START, "group"], kind="stable").reset_index(drop=True)
