"""Discrete-event simulation of a roster against random arrivals: what service the plan really gives.

``simulate_roster`` replays the roster (shifts, breaks, shrinkage) against non-homogeneous Poisson
arrivals that follow the forecast, routes contacts by the plan's activities (each agent's planned queues
first, its other skills when idle) or dynamically by team priority (overflow team after a waiting
threshold, chat concurrency, deferred work in idle time with deadlines), and reports
per interval, per day and overall, per queue: service level (the SLA's definition, named), ASA,
abandonment, overflow share, deferred work past its deadline; occupancy per team; break delays and
overtime. Replications use independent random streams derived from ``seed``; results are means with
95 % confidence half-widths. The model and its differences from the Erlang formulas: docs/simulation.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.errors import InputFileError, Problem
from scheduler.scenario import Scenario
from scheduler.simulate.engine import RepRaw, run_replication
from scheduler.simulate.inputs import OVERFLOW_MODES, ROUTINGS, SimInputs, build_inputs
from scheduler.simulate.report import build_frames, rep_sums, roster_effects

__all__ = ["SimulationResult", "simulate_roster", "simulate_inputs", "build_inputs", "SimInputs"]


@dataclass(frozen=True)
class SimulationResult:
    """Simulated service of a roster.

    Queue frames (``intervals``: per interval_start × queue; ``days``: per date × queue; ``overall``: per
    queue) hold the mean over replications of ``offered``, ``answered``, ``abandoned``, ``completed``,
    ``past_deadline`` (counts), and of the metrics ``service_level`` (the queue's SLA definition, named in
    ``sl_definition``), ``asa_s``, ``abandon_rate``, ``overflow_share`` (answered by the overflow team ÷
    answered), ``past_threshold_share`` (waited ``overflow_after_s`` or longer ÷ offered) for live queues
    and ``past_deadline_share``, ``past_deadline_h`` (handling hours of items
    finished late or still open after their deadline), ``mean_resolution_h`` for deferred queues, each
    with ``<metric>_ci95`` (95 % half-width; nan with one replication). Contacts are counted in the
    interval they arrive in. Team frames (``team_intervals``, ``team_days``, ``team_overall``):
    ``available_h``, ``busy_h``, ``occupancy`` (busy ÷ available) with ``occupancy_ci95``.
    ``replication_days`` / ``replication_team_days``: the daily counts and metrics of every replication
    (for pooling days differently, e.g. leaving out a warm-up day). ``roster_effects``: break delays
    and overtime. ``contacts_per_rep``: simulated arrivals of each replication.
    """

    intervals: pd.DataFrame
    days: pd.DataFrame
    overall: pd.DataFrame
    team_intervals: pd.DataFrame
    team_days: pd.DataFrame
    team_overall: pd.DataFrame
    replication_days: pd.DataFrame
    replication_team_days: pd.DataFrame
    roster_effects: dict
    reps: int
    seed: int
    contacts_per_rep: tuple[int, ...]
    wall_time_s: float
    settings: dict = field(default_factory=dict)

    @property
    def daily(self) -> pd.DataFrame:
        """Simulated SL per day and live queue, for a plan's summary beside the expected SL: ``date,
        queue, offered, service_level, service_level_lo, service_level_hi`` (95 % interval), ``asa_s``,
        ``abandon_rate``, ``overflow_share``, ``sl_definition``."""
        d = self.days[self.days["kind"] == "live"]
        out = d[["date", "queue", "offered", "service_level"]].copy()
        out["service_level_lo"] = (d["service_level"] - d["service_level_ci95"]).clip(lower=0.0)
        out["service_level_hi"] = (d["service_level"] + d["service_level_ci95"]).clip(upper=1.0)
        for c in ("asa_s", "abandon_rate", "overflow_share", "sl_definition"):
            out[c] = d[c]
        return out.reset_index(drop=True)

    @property
    def deferred_daily(self) -> pd.DataFrame:
        """Simulated deferred work per day and queue: ``date, queue, offered`` (items arrived that day),
        ``past_deadline_share`` (finished after their deadline or still open then ÷ offered) with
        ``past_deadline_share_lo``/``_hi`` (95 % interval), ``mean_resolution_h`` (arrival to completion)."""
        d = self.days[self.days["kind"] == "deferred"]
        out = d[["date", "queue", "offered", "past_deadline_share"]].copy()
        out["past_deadline_share_lo"] = (d["past_deadline_share"] - d["past_deadline_share_ci95"]).clip(lower=0.0)
        out["past_deadline_share_hi"] = (d["past_deadline_share"] + d["past_deadline_share_ci95"]).clip(upper=1.0)
        out["mean_resolution_h"] = d["mean_resolution_h"]
        return out.reset_index(drop=True)

    def summary(self) -> dict:
        """A JSON-ready summary: overall per queue and team, daily SL per live queue, roster effects."""
        def records(frame: pd.DataFrame) -> list[dict]:
            f = frame.copy()
            for c in f.columns:
                if c == "date":
                    f[c] = f[c].astype(str)
            f = f.astype(object).where(pd.notna(f), None)
            return f.to_dict(orient="records")

        live_days = self.days[self.days["kind"] == "live"][
            ["date", "queue", "offered", "service_level", "service_level_ci95", "sl_definition"]]
        return {
            "reps": self.reps,
            "seed": self.seed,
            "contacts_per_rep": list(self.contacts_per_rep),
            "wall_time_s": round(self.wall_time_s, 3),
            "settings": self.settings,
            "overall": records(self.overall),
            "teams": records(self.team_overall),
            "days": records(live_days),
            "roster_effects": {k: (None if v != v else v) for k, v in self.roster_effects.items()},
        }


def simulate_inputs(inp: SimInputs, *, reps: int, seed: int, overflow_mode: str = "expand", live_reserve: int = 1,
                    volume_uncertainty: bool = False, lognormal_cv: float = 1.0, routing: str = "dynamic",
                    progress: Callable[[str], None] | None = None) -> tuple[list[dict], list[RepRaw]]:
    """Run ``reps`` replications on prepared inputs; returns per-replication sums and raw outcomes.
    Replication r uses the random stream ``numpy.random.default_rng([seed, r])``."""
    sums, raws = [], []
    for r in range(reps):
        t0 = time.perf_counter()
        rng = np.random.default_rng([int(seed), r])
        raw = run_replication(inp, rng, overflow_mode=overflow_mode, live_reserve=live_reserve,
                              volume_uncertainty=volume_uncertainty, lognormal_cv=lognormal_cv, routing=routing)
        sums.append(rep_sums(inp, raw))
        raws.append(raw)
        if progress is not None:
            progress(f"simulation: replication {r + 1}/{reps}, {len(raw.arrival_s):,} contacts, "
                     f"{time.perf_counter() - t0:.1f} s")
    return sums, raws


def simulate_roster(scenario: Scenario, agents: pd.DataFrame, forecast_frame: pd.DataFrame,
                    assignments: pd.DataFrame, breaks: pd.DataFrame | None, *, reps: int, seed: int,
                    progress: Callable[[str], None] | None = None, overflow_mode: str | None = None,
                    live_reserve: int | None = None, volume_uncertainty: bool | None = None,
                    service_time: dict[str, str] | None = None, lognormal_cv: float | None = None,
                    patience_samples: dict | None = None, allocation: pd.DataFrame | None = None,
                    routing: str | None = None) -> SimulationResult:
    """Simulate ``assignments``/``breaks`` (architecture "Roster") against arrivals following
    ``forecast_frame`` (``ds, queue, volume[, volume_lo, volume_hi]``: the contacts agents handle, i.e.
    after scaling and bot deflection, as staffing receives them).

    ``reps`` replications, seeded from ``seed``. ``overflow_mode``: ``expand`` (after ``overflow_after_s``
    the overflow team may also take the contact) or ``transfer`` (the contact moves to the overflow team's
    queue). ``live_reserve``: deferred work is started only while this many other agents stay idle on
    each open live queue of the agent. ``volume_uncertainty``: draw each day's volume from the forecast's
    prediction interval. ``service_time``: queue → ``exponential`` | ``lognormal`` (default: the
    scenario's ``simulation.service_time``), lognormal with coefficient of variation ``lognormal_cv``.
    ``patience_samples``: queue → observed patience times (s), resampled instead of the exponential
    patience (e.g. from call records; an estimate that accounts for censoring by answered calls).
    ``routing``: ``plan`` (each agent serves the queues the plan gives it for the interval first — its
    primary queue, then its other planned queues by share — and its other skills only when idle; needs
    ``allocation``, the roster's ``agent_id, interval_start, queue, share``; without one the simulation
    routes dynamically and says so in ``settings``) or ``dynamic`` (team priority, longest-waiting first);
    ``primary``, a diagnostic, lets an agent with a planned queue serve that queue alone (the plan's own
    per-queue assumption, without pooling).
    ``progress`` receives one line per replication. Options left as None take the scenario's
    ``simulation`` settings (``service_time`` is merged over ``simulation.service_time_by_queue``).
    """
    sim = scenario.simulation
    overflow_mode = sim.overflow_mode if overflow_mode is None else overflow_mode
    live_reserve = sim.live_reserve if live_reserve is None else live_reserve
    volume_uncertainty = sim.volume_uncertainty if volume_uncertainty is None else volume_uncertainty
    lognormal_cv = sim.lognormal_cv if lognormal_cv is None else lognormal_cv
    service_time = {**sim.service_time_by_queue, **(service_time or {})}
    if reps < 1:
        raise InputFileError(Problem("reps must be at least 1", value=reps, expected="an integer >= 1"))
    if overflow_mode not in OVERFLOW_MODES:
        raise InputFileError(Problem("unknown overflow mode", value=overflow_mode, expected=" | ".join(OVERFLOW_MODES)))
    requested = sim.routing if routing is None else routing
    if requested not in ROUTINGS + ("primary",):
        raise InputFileError(Problem("unknown routing", value=requested, expected=" | ".join(ROUTINGS)))
    routing = requested if requested != "dynamic" and allocation is not None else "dynamic"
    if routing != requested and progress is not None:
        progress("simulation: no allocation given, routing dynamically (team priority)")
    t0 = time.perf_counter()
    inp = build_inputs(scenario, agents, forecast_frame, assignments, breaks, service_time=service_time,
                       patience_samples=patience_samples, allocation=allocation if routing != "dynamic" else None)
    sums, raws = simulate_inputs(inp, reps=reps, seed=seed, overflow_mode=overflow_mode, live_reserve=live_reserve,
                                 volume_uncertainty=volume_uncertainty, lognormal_cv=lognormal_cv, routing=routing,
                                 progress=progress)
    frames = build_frames(inp, sums)
    return SimulationResult(
        intervals=frames["intervals"], days=frames["days"], overall=frames["overall"],
        team_intervals=frames["team_intervals"], team_days=frames["team_days"], team_overall=frames["team_overall"],
        replication_days=frames["replication_days"], replication_team_days=frames["replication_team_days"],
        roster_effects=roster_effects(raws), reps=reps, seed=seed,
        contacts_per_rep=tuple(len(r.arrival_s) for r in raws), wall_time_s=time.perf_counter() - t0,
        settings={"routing": routing, "routing_requested": requested, "overflow_mode": overflow_mode,
                  "live_reserve": live_reserve,
                  "volume_uncertainty": volume_uncertainty,
                  "service_time": {q.name: q.service_time for q in inp.queues}, "lognormal_cv": lognormal_cv,
                  "patience_samples": {q.name: len(x) for q, x in zip(inp.queues, inp.patience_samples)
                                       if x is not None}},
    )
