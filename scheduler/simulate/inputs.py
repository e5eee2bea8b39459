"""Turn the scenario, agents, forecast and roster frames into the plain arrays the engine runs on.

Times inside the simulation are seconds (float) from ``origin``, the midnight of the forecast's first
day (local wall clock, tz-naive, as every frame of the project).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler import columns as C
from scheduler.errors import InputFileError, Problem
from scheduler.scenario import Scenario

SERVICE_DISTRIBUTIONS = ("exponential", "lognormal")
OVERFLOW_MODES = ("expand", "transfer")
ROUTINGS = ("plan", "dynamic")
# the optimizer's allocation (architecture "Roster"): how each agent's time is split across queues
SHARE = "share"
ALLOCATION_COLUMNS = (C.AGENT_ID, C.INTERVAL_START, C.QUEUE, SHARE)


@dataclass(frozen=True)
class QueueSpec:
    """One queue as the engine sees it (durations in seconds)."""

    name: str
    live: bool
    aht_s: float
    answer_within_s: float          # live: SLA threshold; deferred: nan
    sl_definition: str
    patience_s: float               # inf = no abandonment (Erlang C)
    overflow_after_s: float         # 0 = the overflow team serves at once (or is not routed)
    concurrency: int
    concurrency_aht_growth: float
    service_time: str               # exponential | lognormal
    teams: tuple[str, ...]          # routing order
    resolve_within_h: float         # deferred: deadline; live: nan


@dataclass(frozen=True)
class SimInputs:
    """Everything one replication needs, as numpy arrays and small tuples."""

    origin: pd.Timestamp
    interval_s: float
    interval_starts: pd.DatetimeIndex      # the reporting intervals (forecast grid), length T
    queues: tuple[QueueSpec, ...]
    volume: np.ndarray                     # (Q, T) expected contacts per interval
    volume_lo: np.ndarray                  # (Q, T) 10 % quantile
    volume_hi: np.ndarray                  # (Q, T) 90 % quantile
    open_mask: np.ndarray                  # (Q, T) bool: the queue's opening hours
    deadline_s: np.ndarray                 # (Q, T) deferred: due time of work arriving in interval t
    teams: tuple[str, ...]
    overflow_team: int                     # index into teams, -1 when absent
    agent_ids: tuple[str, ...]
    agent_team: np.ndarray                 # (N,) team index
    agent_mult: np.ndarray                 # (N,) handling-time multiplier (team x seniority)
    agent_junior: np.ndarray               # (N,) bool
    eligible: np.ndarray                   # (N, Q) bool: may serve
    span_agent: np.ndarray                 # merged shift spans: agent, start_s, end_s (sorted by start)
    span_start: np.ndarray
    span_end: np.ndarray
    break_agent: np.ndarray                # breaks: agent, start_s, length_s (sorted by start)
    break_start: np.ndarray
    break_len: np.ndarray
    shrinkage: np.ndarray                  # (G, T) share of on-shift agent time unavailable
    on_duty: np.ndarray                    # (N, T) bool: on shift for the whole interval, no break in it
    patience_samples: tuple = ()           # per queue: observed patience times (s) to resample, or None
    # the plan's activities (routing "plan"): from plan_start[k] on, agent plan_agent[k] serves the queues
    # plan_orders[plan_order[k]] (queue indices) first, in that order; sorted by time
    plan_agent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    plan_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    plan_order: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    plan_orders: tuple[tuple[int, ...], ...] = ()

    @property
    def has_plan(self) -> bool:
        return len(self.plan_agent) > 0

    @property
    def n_intervals(self) -> int:
        return len(self.interval_starts)

    @property
    def horizon_end_s(self) -> float:
        return self.n_intervals * self.interval_s

    def queue_index(self, name: str) -> int:
        for i, q in enumerate(self.queues):
            if q.name == name:
                return i
        raise KeyError(name)


def _problem(what: str, message: str, *, row: int | None = None, column: str | None = None, value=None,
             expected: str | None = None) -> Problem:
    return Problem(message, file=what, row=row, column=column, value=value, expected=expected)


def _require(frame: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputFileError(_problem(what, f"missing column {missing[0]!r}", value=",".join(map(str, frame.columns)),
                                      expected="columns " + ", ".join(cols)))


def _timestamps(series: pd.Series, what: str, column: str) -> pd.Series:
    ts = pd.to_datetime(series, errors="coerce")
    bad = np.flatnonzero(ts.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InputFileError(_problem(what, "not a timestamp", row=i + 2, column=column, value=str(series.iat[i]),
                                      expected="'YYYY-MM-DD HH:MM' (local time)"))
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    return ts


def queue_specs(scenario: Scenario, service_time: dict[str, str] | None = None) -> tuple[QueueSpec, ...]:
    """The scenario's queues in file order, with the service-time distribution chosen per queue."""
    service_time = dict(service_time or {})
    for name, dist in service_time.items():
        if name not in scenario.queues:
            raise InputFileError(_problem("service_time", f"unknown queue {name!r}",
                                          expected=" | ".join(scenario.queues)))
        if dist not in SERVICE_DISTRIBUTIONS:
            raise InputFileError(_problem("service_time", f"unknown distribution for queue {name!r}", value=dist,
                                          expected=" | ".join(SERVICE_DISTRIBUTIONS)))
    out = []
    for name, q in scenario.queues.items():
        live = q.is_live
        out.append(QueueSpec(
            name=name, live=live, aht_s=float(q.aht_s),
            answer_within_s=float(q.sla.answer_within_s) if live else math.nan,
            sl_definition=q.sla.definition,
            patience_s=float(q.patience_s) if (live and q.patience_s is not None) else math.inf,
            overflow_after_s=float(q.overflow_after_s or 0.0),
            concurrency=int(q.concurrency) if q.channel == "chat" else 1,
            concurrency_aht_growth=float(q.concurrency_aht_growth),
            service_time=service_time.get(name, scenario.simulation.service_time),
            teams=tuple(q.teams),
            resolve_within_h=float(q.sla.resolve_within_h) if not live else math.nan,
        ))
    return tuple(out)


def _open_minutes_mask(hours: tuple[int, int], minutes: np.ndarray) -> np.ndarray:
    a, b = hours
    m = np.where(minutes >= a, minutes, minutes + 1440)
    return (m >= a) & (m < b)


def _deadlines(open_ext: np.ndarray, n: int, interval_s: float, resolve_h: float, interval_min: int) -> np.ndarray:
    """Due time (s) of work arriving in each of the first ``n`` intervals: the end of the interval that is
    ``resolve_h`` hours of the queue's open time after the arrival interval (architecture: deferred work)."""
    h_int = int(math.ceil(resolve_h * 60.0 / interval_min - 1e-9))
    open_idx = np.flatnonzero(open_ext)
    out = np.full(n, np.inf)
    if len(open_idx) == 0:
        return out
    # position among open intervals of the first open interval at or after t
    pos = np.searchsorted(open_idx, np.arange(n))
    # work arriving in open interval t (position p among open intervals) is due by the end of the open
    # interval p + H ("by the end of interval t + H, counted in the queue's open intervals"); work of a
    # closed interval counts from the next opening.
    target = pos + h_int
    ok = target < len(open_idx)
    out[ok] = (open_idx[target[ok]] + 1) * interval_s
    return out


def _patience_samples(specs: tuple[QueueSpec, ...], samples: dict | None) -> tuple:
    out = [None] * len(specs)
    names = [q.name for q in specs]
    for name, values in (samples or {}).items():
        if name not in names or not specs[names.index(name)].live:
            raise InputFileError(_problem("patience_samples", f"not a live queue of the scenario: {name!r}",
                                          expected=" | ".join(q.name for q in specs if q.live)))
        x = np.asarray(values, dtype=float).ravel()
        if len(x) == 0 or not np.all(np.isfinite(x)) or np.any(x < 0):
            raise InputFileError(_problem("patience_samples", f"queue {name!r}: patience times must be finite "
                                          "seconds >= 0", value=f"{len(x)} values", expected="a non-empty list"))
        out[names.index(name)] = x
    return tuple(out)


def build_inputs(scenario: Scenario, agents: pd.DataFrame, forecast_frame: pd.DataFrame,
                 assignments: pd.DataFrame, breaks: pd.DataFrame, *,
                 service_time: dict[str, str] | None = None, patience_samples: dict | None = None,
                 allocation: pd.DataFrame | None = None) -> SimInputs:
    """Check and convert the inputs. Errors name the frame, row (header = 1), column and value.
    ``patience_samples``: queue -> observed patience times (s); each contact's patience is drawn from
    them (with replacement) instead of the exponential with mean ``patience_s``. ``allocation``: the
    optimizer's split of agents' time across queues (``agent_id, interval_start, queue, share``), turned
    into planned activities for routing "plan" (:func:`plan_from_allocation`)."""
    interval_min = scenario.interval_min
    interval_s = interval_min * 60.0
    specs = queue_specs(scenario, service_time)
    qnames = [q.name for q in specs]
    patience = _patience_samples(specs, patience_samples)

    # forecast --------------------------------------------------------------------------------
    what = "forecast"
    _require(forecast_frame, (C.DS, C.QUEUE, C.VOLUME), what)
    if len(forecast_frame) == 0:
        raise InputFileError(_problem(what, "no rows", expected="one row per queue and interval"))
    ds = _timestamps(forecast_frame[C.DS], what, C.DS)
    fq = forecast_frame[C.QUEUE].astype(str).to_numpy()
    unknown = ~np.isin(fq, qnames)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputFileError(_problem(what, "unknown queue", row=i + 2, column=C.QUEUE, value=fq[i],
                                      expected=" | ".join(qnames) + " (queues of the scenario)"))
    vol = pd.to_numeric(forecast_frame[C.VOLUME], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(vol) | (vol < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(_problem(what, "volume is not a number >= 0", row=i + 2, column=C.VOLUME,
                                      value=forecast_frame[C.VOLUME].iat[i], expected="contacts per interval >= 0"))
    lo = (pd.to_numeric(forecast_frame[C.VOLUME_LO], errors="coerce").to_numpy(float)
          if C.VOLUME_LO in forecast_frame.columns else vol.copy())
    hi = (pd.to_numeric(forecast_frame[C.VOLUME_HI], errors="coerce").to_numpy(float)
          if C.VOLUME_HI in forecast_frame.columns else vol.copy())
    lo = np.where(np.isfinite(lo), lo, vol)
    hi = np.where(np.isfinite(hi), hi, vol)
    # quantiles of a small count may both lie below its mean (e.g. 0 .. 0 around 0.07): only order is checked
    bad = (lo > hi + 1e-9) | (lo < 0) | (hi < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(_problem(what, "prediction interval is not an interval of counts", row=i + 2,
                                      column=C.VOLUME_LO, value=f"{lo[i]} .. {hi[i]}",
                                      expected="0 <= volume_lo <= volume_hi"))
    ds_ns = ds.to_numpy()
    origin = pd.Timestamp(ds.min()).normalize()
    off_s = (ds_ns - origin.to_datetime64()) / np.timedelta64(1, "s")
    if np.any(np.mod(off_s, interval_s) != 0):
        i = int(np.flatnonzero(np.mod(off_s, interval_s) != 0)[0])
        raise InputFileError(_problem(what, f"timestamp is not on the {interval_min}-minute grid", row=i + 2,
                                      column=C.DS, value=str(ds.iat[i]), expected=f"interval starts every {interval_min} min"))
    t_idx = (off_s // interval_s).astype(np.int64)
    n_days = int(t_idx.max() // (1440 // interval_min)) + 1
    n_int = n_days * (1440 // interval_min)
    q_idx = pd.Index(qnames).get_indexer(fq)
    key = q_idx * n_int + t_idx
    if len(np.unique(key)) != len(key):
        dup = pd.Series(key).duplicated().to_numpy()
        i = int(np.flatnonzero(dup)[0])
        raise InputFileError(_problem(what, "queue and interval appear twice", row=i + 2, column=C.DS,
                                      value=f"{fq[i]} {ds.iat[i]}", expected="one row per queue and interval"))
    Q = len(specs)
    volume = np.zeros((Q, n_int))
    volume_lo = np.zeros((Q, n_int))
    volume_hi = np.zeros((Q, n_int))
    volume[q_idx, t_idx] = vol
    volume_lo[q_idx, t_idx] = lo
    volume_hi[q_idx, t_idx] = hi
    interval_starts = pd.date_range(origin, periods=n_int, freq=f"{interval_min}min")

    # opening hours and deferred deadlines --------------------------------------------------------
    ipd = 1440 // interval_min
    # deadlines may fall after the horizon: extend the opening-hours calendar far enough for every queue
    extra_days = 2 + max([math.ceil(q.resolve_within_h * 60.0 / max(min(b - a, 1440), interval_min))
                          for q, (a, b) in zip(specs, (sq.open_minutes for sq in scenario.queues.values()))
                          if not q.live] + [0])
    minutes_ext = (np.arange(n_int + extra_days * ipd) % ipd) * interval_min
    open_mask = np.zeros((Q, n_int), bool)
    deadline_s = np.full((Q, n_int), np.inf)
    for qi, (name, q) in enumerate(scenario.queues.items()):
        ext = _open_minutes_mask(q.open_minutes, minutes_ext)
        open_mask[qi] = ext[:n_int]
        if not specs[qi].live:
            deadline_s[qi] = _deadlines(ext, n_int, interval_s, specs[qi].resolve_within_h, interval_min)

    # teams and agents ---------------------------------------------------------------------------
    teams = tuple(scenario.teams)
    what = "agents"
    _require(agents, (C.AGENT_ID, C.TEAM, C.SKILLS, C.SENIORITY), what)
    agent_rows = {str(a): i for i, a in enumerate(agents[C.AGENT_ID].astype(str))}

    what = assignments.attrs.get("file", "assignments")        # the CSV's path when read from a run folder
    _require(assignments, (C.AGENT_ID, C.SHIFT_START, C.SHIFT_END), what)
    a_ids = assignments[C.AGENT_ID].astype(str).to_numpy()
    problems: list[Problem] = []
    for i, a in enumerate(a_ids):
        if a not in agent_rows:
            problems.append(_problem(what, "agent not in the agents table", row=i + 2, column=C.AGENT_ID, value=a,
                                     expected="an agent_id of agents.csv"))
            if len(problems) >= 20:
                break
    if problems:
        raise InputFileError(problems)
    used = sorted(set(a_ids), key=lambda x: agent_rows[x])
    agent_index = {a: i for i, a in enumerate(used)}
    N = len(used)
    team_of = []
    mult = np.ones(N)
    junior = np.zeros(N, bool)
    eligible = np.zeros((N, Q), bool)
    for i, a in enumerate(used):
        r = agents.iloc[agent_rows[a]]
        team = str(r[C.TEAM])
        if team not in teams:
            raise InputFileError(_problem("agents", "team not defined in the scenario", row=agent_rows[a] + 2,
                                          column=C.TEAM, value=team, expected=" | ".join(teams)))
        team_of.append(teams.index(team))
        sen = str(r[C.SENIORITY])
        sen_spec = scenario.seniority.get(sen)
        mult[i] = scenario.teams[team].aht_multiplier * (sen_spec.aht_multiplier if sen_spec is not None else 1.0)
        junior[i] = sen == "junior"
        skills = r[C.SKILLS]
        skills = tuple(skills) if not isinstance(skills, str) else tuple(s.strip() for s in skills.split(";"))
        for qi, q in enumerate(specs):
            eligible[i, qi] = (q.name in skills) and (team in q.teams)
    if C.TEAM in assignments.columns:
        at = assignments[C.TEAM].astype(str).to_numpy()
        for i, (a, t) in enumerate(zip(a_ids, at)):
            if t != teams[team_of[agent_index[a]]]:
                raise InputFileError(_problem(what, "team differs from the agent's team in the agents table",
                                              row=i + 2, column=C.TEAM, value=t,
                                              expected=teams[team_of[agent_index[a]]]))
    starts = _timestamps(assignments[C.SHIFT_START], what, C.SHIFT_START)
    ends = _timestamps(assignments[C.SHIFT_END], what, C.SHIFT_END)
    s_s = ((starts.to_numpy() - origin.to_datetime64()) / np.timedelta64(1, "s")).astype(float)
    e_s = ((ends.to_numpy() - origin.to_datetime64()) / np.timedelta64(1, "s")).astype(float)
    bad = e_s <= s_s
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(_problem(what, "shift ends before it starts", row=i + 2, column=C.SHIFT_END,
                                      value=str(ends.iat[i]), expected=f"after {starts.iat[i]}"))
    ag = np.array([agent_index[a] for a in a_ids], dtype=np.int64)
    span_agent, span_start, span_end = _merge_spans(ag, s_s, e_s, used, assignments.attrs.get("file", "assignments"))

    # breaks -------------------------------------------------------------------------------------
    what = breaks.attrs.get("file", "breaks") if breaks is not None else "breaks"
    if breaks is None or len(breaks) == 0:
        b_ag = np.zeros(0, np.int64)
        b_s = np.zeros(0)
        b_len = np.zeros(0)
    else:
        _require(breaks, (C.AGENT_ID, C.SHIFT_START, C.SHIFT_END), what)
        b_ids = breaks[C.AGENT_ID].astype(str).to_numpy()
        for i, a in enumerate(b_ids):
            if a not in agent_index:
                raise InputFileError(_problem(what, "agent has no shift in the assignments", row=i + 2,
                                              column=C.AGENT_ID, value=a, expected="an agent_id of assignments"))
        bs = _timestamps(breaks[C.SHIFT_START], what, C.SHIFT_START)
        be = _timestamps(breaks[C.SHIFT_END], what, C.SHIFT_END)
        b_s = ((bs.to_numpy() - origin.to_datetime64()) / np.timedelta64(1, "s")).astype(float)
        b_e = ((be.to_numpy() - origin.to_datetime64()) / np.timedelta64(1, "s")).astype(float)
        b_ag = np.array([agent_index[a] for a in b_ids], dtype=np.int64)
        bad = b_e <= b_s
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputFileError(_problem(what, "break ends before it starts", row=i + 2, column=C.SHIFT_END,
                                          value=str(be.iat[i]), expected=f"after {bs.iat[i]}"))
        order = np.argsort(b_s, kind="stable")
        # a break must lie inside one of the agent's shifts
        inside = np.zeros(len(b_s), bool)
        for k in range(len(span_agent)):
            m = (b_ag == span_agent[k]) & (b_s >= span_start[k]) & (b_e <= span_end[k])
            inside |= m
        if not inside.all():
            i = int(np.flatnonzero(~inside)[0])
            raise InputFileError(_problem(what, "break outside the agent's shifts", row=i + 2, column=C.SHIFT_START,
                                          value=f"{b_ids[i]} {bs.iat[i]}", expected="a time inside one of the agent's shifts"))
        b_ag, b_s, b_len = b_ag[order], b_s[order], (b_e - b_s)[order]

    # shrinkage per team and interval, duty mask -------------------------------------------------------
    shr_day = np.array([[scenario.shrinkage_for(t, int(m)) for m in range(0, 1440, interval_min)] for t in teams])
    shrinkage = np.tile(shr_day, (1, n_days)) if len(teams) else np.zeros((0, n_int))
    on_duty = _duty_mask(N, n_int, interval_s, span_agent, span_start, span_end, b_ag, b_s, b_len)

    overflow_team = teams.index("overflow") if "overflow" in teams else -1
    plan = (plan_from_allocation(allocation, origin=origin, interval_s=interval_s, n_int=n_int,
                                 agent_index=agent_index, qnames=qnames, eligible=eligible)
            if allocation is not None else (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64), ()))
    return SimInputs(
        origin=origin, interval_s=interval_s, interval_starts=interval_starts, queues=specs,
        volume=volume, volume_lo=volume_lo, volume_hi=volume_hi, open_mask=open_mask, deadline_s=deadline_s,
        teams=teams, overflow_team=overflow_team, agent_ids=tuple(used), agent_team=np.array(team_of, np.int64),
        agent_mult=mult, agent_junior=junior, eligible=eligible,
        span_agent=span_agent, span_start=span_start, span_end=span_end,
        break_agent=b_ag, break_start=b_s, break_len=b_len, shrinkage=shrinkage, on_duty=on_duty,
        patience_samples=patience, plan_agent=plan[0], plan_start=plan[1], plan_order=plan[2], plan_orders=plan[3],
    )


def _merge_spans(ag: np.ndarray, s: np.ndarray, e: np.ndarray, used: list[str], what: str = "assignments"):
    """Merge each agent's shifts that touch or overlap into one span (an agent working 24 h a day in
    back-to-back shifts is one span). Returned sorted by start. ``s``, ``e``, ``ag``: per row of ``what``."""
    order = np.lexsort((s, ag))
    out_a, out_s, out_e = [], [], []
    last = -1                       # the row of the shift that ends the current span last
    for k in order:
        a, st, en = int(ag[k]), float(s[k]), float(e[k])
        if out_a and out_a[-1] == a and st <= out_e[-1]:
            if st < out_e[-1] - 1e-9:
                raise InputFileError(Problem(f"this shift of {used[a]} overlaps the one on row {last + 2}", file=what,
                                             row=int(k) + 2, column=C.SHIFT_START, value=used[a],
                                             expected="shifts of an agent that do not overlap"))
            if en > out_e[-1]:
                last = int(k)
            out_e[-1] = max(out_e[-1], en)
        else:
            out_a.append(a)
            out_s.append(st)
            out_e.append(en)
            last = int(k)
    out_a, out_s, out_e = np.array(out_a, np.int64), np.array(out_s), np.array(out_e)
    o = np.argsort(out_s, kind="stable")
    return out_a[o], out_s[o], out_e[o]


def _duty_mask(N: int, n_int: int, interval_s: float, span_agent, span_start, span_end, b_ag, b_s, b_len) -> np.ndarray:
    """(N, T) True where the agent is on shift for the whole interval and has no break in it."""
    mask = np.zeros((N, n_int), bool)
    for a, s, e in zip(span_agent, span_start, span_end):
        i0 = max(0, int(math.ceil(s / interval_s - 1e-9)))
        i1 = min(n_int, int(math.floor(e / interval_s + 1e-9)))
        if i1 > i0:
            mask[a, i0:i1] = True
    for a, s, ln in zip(b_ag, b_s, b_len):
        i0 = max(0, int(math.floor(s / interval_s + 1e-9)))
        i1 = min(n_int, int(math.ceil((s + ln) / interval_s - 1e-9)))
        if i1 > i0:
            mask[a, i0:i1] = False
    return mask


def _apportion(k: int, shares: np.ndarray) -> tuple[np.ndarray, int]:
    """Whole agents per queue for ``k`` agents splitting their time by ``shares`` (largest remainder);
    the unallocated rest (1 − Σ shares) is apportioned too, as agents without a planned primary queue.
    Returns (agents per queue, agents without one)."""
    quota = k * shares
    slack = max(k - float(quota.sum()), 0.0)
    base = np.floor(quota + 1e-9).astype(np.int64)
    slack_base = int(math.floor(slack + 1e-9))
    left = k - int(base.sum()) - slack_base
    if left > 0:
        frac = np.append(quota - base, slack - slack_base)
        weight = np.append(shares, 1.0 - float(shares.sum()))
        # largest remainder, then largest share, then queue order (the unallocated rest last)
        rank = sorted(range(len(frac)), key=lambda i: (-round(frac[i], 9), -round(weight[i], 9), i))[:left]
        for i in rank:
            if i < len(base):
                base[i] += 1
            else:
                slack_base += 1
    return base, slack_base


def plan_from_allocation(allocation: pd.DataFrame, *, origin: pd.Timestamp, interval_s: float, n_int: int,
                         agent_index: dict[str, int], qnames: list[str], eligible: np.ndarray):
    """The planned activities of each agent per interval, from the optimizer's ``allocation``
    (``agent_id, interval_start, queue, share``: the share of the agent's time planned on the queue).

    In an interval the agents with the same shares (the optimizer splits a skill group's time, so all its
    members get the same shares) are given whole primary queues in those proportions (largest remainder;
    an agent keeps its previous primary queue while that queue still needs agents), as a workforce tool
    publishes activities: ``round(k × share)`` of k such agents are planned on a queue. An agent's order is
    its primary queue, then its other planned queues by share (largest first); the agents left over when
    the shares sum to less than 1 have no primary queue. A change of order takes effect at the interval's
    start; an interval without rows (a break) keeps the order in force.

    Returns ``(agent, start_s, order, orders)``: change events sorted by time, and the distinct orders as
    tuples of queue indices. Errors name ``allocation.attrs["file"]`` (else "allocation"), row and column."""
    what = str(allocation.attrs.get("file", "allocation"))
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64), ())
    _require(allocation, ALLOCATION_COLUMNS, what)
    if len(allocation) == 0:
        return empty
    ids = allocation[C.AGENT_ID].astype(str).to_numpy()
    a_idx = pd.Series(ids).map(agent_index).to_numpy()
    qs = allocation[C.QUEUE].astype(str).to_numpy()
    q_idx = pd.Index(qnames).get_indexer(qs)
    share = pd.to_numeric(allocation[SHARE], errors="coerce").to_numpy(float)
    problems: list[Problem] = []

    def add(message: str, i: int, column: str, value, expected: str) -> None:
        if len(problems) < 20:
            problems.append(_problem(what, message, row=i + 2, column=column, value=value, expected=expected))

    for i in np.flatnonzero(pd.isna(a_idx)):
        add("agent has no shift in the assignments", int(i), C.AGENT_ID, ids[i], "an agent_id of assignments")
    for i in np.flatnonzero(q_idx < 0):
        add("unknown queue", int(i), C.QUEUE, qs[i], " | ".join(qnames) + " (queues of the scenario)")
    for i in np.flatnonzero(~np.isfinite(share) | (share < 0) | (share > 1 + 1e-9)):
        add("share is not a number in [0, 1]", int(i), SHARE, allocation[SHARE].iat[i],
            "the share of the agent's time in the interval, 0 .. 1")
    ok = ~pd.isna(a_idx) & (q_idx >= 0)
    a_int = np.where(ok, np.nan_to_num(a_idx.astype(float), nan=0.0), 0).astype(np.int64)
    for i in np.flatnonzero(ok & ~eligible[a_int, np.maximum(q_idx, 0)]):
        add("the agent may not serve this queue (skills and the queue's teams)", int(i), C.QUEUE, f"{ids[i]} {qs[i]}",
            "a queue in the agent's skills whose teams include the agent's team")
    if problems:
        raise InputFileError(problems)
    ts = _timestamps(allocation[C.INTERVAL_START], what, C.INTERVAL_START)
    off_s = (ts.to_numpy() - origin.to_datetime64()) / np.timedelta64(1, "s")
    off_grid = np.mod(off_s, interval_s) != 0
    if off_grid.any():
        i = int(np.flatnonzero(off_grid)[0])
        raise InputFileError(_problem(what, "timestamp is not on the interval grid", row=i + 2, column=C.INTERVAL_START,
                                      value=str(ts.iat[i]), expected=f"interval starts every {interval_s / 60:g} min"))
    t = np.floor(off_s / interval_s).astype(np.int64)
    keep = (t >= 0) & (t < n_int) & (share > 1e-9)       # the plan may reach past the simulated horizon
    rows = np.flatnonzero(keep)
    Q = len(qnames)
    key = a_int[rows] * n_int + t[rows]
    cell, inv = np.unique(key, return_inverse=True)
    wide = np.zeros((len(cell), Q))
    flat = inv * Q + q_idx[rows]
    if len(np.unique(flat)) != len(flat):
        dup = pd.Series(flat).duplicated().to_numpy()
        i = int(rows[np.flatnonzero(dup)[0]])
        raise InputFileError(_problem(what, "agent, interval and queue appear twice", row=i + 2, column=C.QUEUE,
                                      value=f"{ids[i]} {ts.iat[i]} {qs[i]}", expected="one row per agent, interval and queue"))
    wide.reshape(-1)[flat] = share[rows]
    total = wide.sum(axis=1)
    over = total > 1 + 1e-4              # shares written with 6 decimals may add up to a little over 1
    if np.any(over):
        c = int(np.flatnonzero(over)[0])
        i = int(rows[np.flatnonzero(inv == c)[-1]])
        raise InputFileError(_problem(what, "shares of one agent and interval add up to more than 1", row=i + 2,
                                      column=SHARE, value=f"{ids[i]} {ts.iat[i]}: {total[c]:.6f}",
                                      expected="at most 1 (an agent's time is split, not duplicated)"))
    c_agent = cell // n_int
    c_t = cell % n_int
    # intervals in time order; in each, groups of agents with the same shares
    order_rows = np.lexsort((c_agent, c_t))
    # shares to 6 decimals, as allocation.csv holds them: the plan read back from a run's files gives the
    # same activities as the plan in memory
    rounded = np.round(wide, 6)
    orders: dict[tuple[int, ...], int] = {}
    last = {}                    # agent -> order index emitted last
    primary_prev = {}            # agent -> primary queue last interval (-1: none)
    ev_a, ev_t, ev_o = [], [], []
    bounds = np.flatnonzero(np.diff(c_t[order_rows])) + 1
    for block in np.split(order_rows, bounds):
        groups: dict[bytes, list[int]] = {}
        for r in block:
            groups.setdefault(rounded[r].tobytes(), []).append(int(r))
        for members in groups.values():
            s = rounded[members[0]]
            planned = sorted(np.flatnonzero(s > 0).tolist(), key=lambda q: (-s[q], q))
            need, free = _apportion(len(members), s)
            need = need.copy()
            chosen: dict[int, int] = {}
            for r in members:                   # an agent keeps its activity while that queue still needs agents
                p = primary_prev.get(int(c_agent[r]), -2)
                if p >= 0 and need[p] > 0:
                    need[p] -= 1
                    chosen[r] = p
                elif p == -1 and free > 0:
                    free -= 1
                    chosen[r] = -1
            slots = [q for q in planned for _ in range(int(need[q]))] + [-1] * free
            k = 0
            for r in members:
                if r not in chosen:
                    chosen[r] = slots[k]
                    k += 1
            for r in members:
                a = int(c_agent[r])
                p = chosen[r]
                primary_prev[a] = p
                seq = tuple(planned) if p < 0 else (p,) + tuple(q for q in planned if q != p)
                o = orders.setdefault(seq, len(orders))
                if last.get(a) != o:
                    last[a] = o
                    ev_a.append(a)
                    ev_t.append(float(c_t[r]) * interval_s)
                    ev_o.append(o)
    return (np.array(ev_a, np.int64), np.array(ev_t), np.array(ev_o, np.int64), tuple(orders))
