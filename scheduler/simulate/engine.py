"""The event loop: one replication of a roster against random arrivals.

Three time-ordered streams are merged: the **arrivals** (drawn up front, vectorised, sorted), the
**roster events** (shift starts/ends, breaks and shrinkage blocks, known before the run, sorted) and a
binary **heap** of the events the run creates (service ends, overflow timers, ends of delayed blocks).
State lives in flat lists indexed by agent, contact and queue; no object per contact or event.

Abandonment is lazy: a waiting contact is never touched until an agent looks at its queue; a head whose
``arrival + patience`` has passed is then marked abandoned (at that time). Queues are first come, first
served, so this gives exactly the outcomes of an eager abandonment event.

Routing (see docs/simulation.md) is ``dynamic`` (below) or ``plan``: with the roster's allocation turned
into planned activities (``SimInputs.plan_*``), an agent's queues are ranked for the interval — its
primary queue, its other planned queues by share, then the rest of its skills — and routing classes are
these ranks instead of teams: a new contact goes to an idle agent whose highest-ranked queue it is (the
longest idle), and a free agent works down its ranks. The overflow team still waits ``overflow_after_s``.

Dynamic routing:
- a new live contact goes to an idle agent of the first team, in the queue's team order, that has one
  (the longest idle); a new chat first to an idle agent who serves no other live queue, then to a
  chatting agent with a free slot (fewest chats first), then to an idle agent who also takes calls —
  chats spread evenly over chat agents as staffing assumes, and blended agents stay free for calls;
  the overflow team only once the contact has waited ``overflow_after_s`` (a timer event);
- chat slow-down is dynamic: with m chats in hand every chat progresses at rate 1/(1 + growth·(m − 1)),
  so its remaining time is rescheduled whenever m changes (stale heap entries are skipped);
- an agent who becomes free works down its plan: the longest-waiting live contact of its *own* queues
  (those whose first team is its team), then deferred work of its own queues (earliest deadline first,
  when at least ``live_reserve`` other agents stay idle on each of its own open live queues), then live
  contacts of queues it helps on, then their deferred work; a chatting agent takes only more chats.
  So tier-2 works its complaints first and takes tier-1 calls when they are covered;
- ``overflow_mode="expand"``: after the threshold the overflow team joins the queue's own teams;
  ``"transfer"``: the contact leaves the primary teams' queue for the overflow team's (M/M/n+D(τ)).
- a break (or shrinkage block) due while the agent is busy starts when the work in hand ends and keeps
  its full length; the delay is recorded. At shift end work in hand is finished (overtime recorded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np

from scheduler.simulate.inputs import SimInputs

# roster event kinds, in the order they are processed at equal times (a plan change first, so an agent
# starting its shift starts with the interval's plan)
PLAN, SHIFT_START, BLOCK_START, SHIFT_END = 0, 1, 2, 3
# heap event kinds
END, OVERFLOW, BLOCK_END, CHAT_END = 0, 1, 2, 3
# contact status
WAITING, SERVED, ABANDONED, UNSERVED = 0, 1, 2, 3


@dataclass(frozen=True)
class RepRaw:
    """Raw outcome of one replication (times in seconds from the origin)."""

    arrival_s: np.ndarray        # (n,) sorted
    queue: np.ndarray            # (n,) queue index
    status: np.ndarray           # (n,) SERVED | ABANDONED | UNSERVED
    wait_s: np.ndarray           # (n,) served: wait to answer; abandoned: patience; unserved: wait until the end
    team: np.ndarray             # (n,) team index of the serving agent, -1 if not served
    agent: np.ndarray            # (n,) index of the serving agent (SimInputs.agent_ids), -1 if not served
    done_s: np.ndarray           # (n,) end of handling (nan if not served)
    handle_s: np.ndarray         # (n,) handling time (nan if not served)
    deadline_s: np.ndarray       # (n,) deferred: due time; live: nan
    busy: tuple[np.ndarray, np.ndarray, np.ndarray]    # agent, start, end of periods with work in hand
    avail: tuple[np.ndarray, np.ndarray, np.ndarray]   # agent, start, end of periods available for work
    break_delay_s: np.ndarray    # delay of each break / meal start (0 = on time)
    overtime_s: np.ndarray       # per shift end: time worked past it (0 = none)
    end_s: float                 # time the run ended (last event)
    shrink_h: float              # agent-hours of shrinkage blocks planned


def draw_arrivals(inp: SimInputs, rng: np.random.Generator, volume_uncertainty: bool):
    """Non-homogeneous Poisson arrivals (piecewise constant rate per interval), sorted by time.

    With ``volume_uncertainty`` each day gets one standard-normal draw z shared by every queue and
    interval of the day; an interval's mean becomes ``volume + z/1.2816 × (volume_hi − volume)`` for
    z ≥ 0 and ``volume + z/1.2816 × (volume − volume_lo)`` for z < 0 (a two-piece normal matching the
    10 %/90 % quantiles; a quantile on the wrong side of a small, skewed mean gives no spread on
    that side), floored at 0.
    """
    Q, T = inp.volume.shape
    lam = inp.volume
    if volume_uncertainty:
        ipd = int(round(86400 / inp.interval_s))
        z = np.repeat(rng.standard_normal(T // ipd + 1), ipd)[:T] / 1.2815515655446004
        up = np.maximum(inp.volume_hi - lam, 0.0)    # a skewed count's 90 % quantile may lie below its mean
        down = np.maximum(lam - inp.volume_lo, 0.0)
        lam = np.where(z >= 0, lam + z * up, lam + z * down)
        lam = np.maximum(lam, 0.0)
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(Q * T), counts)
    q = cell // T
    t = (cell % T + rng.random(len(cell))) * inp.interval_s
    order = np.argsort(t, kind="stable")
    return t[order], q[order]


def draw_service_units(inp: SimInputs, q: np.ndarray, rng: np.random.Generator, lognormal_cv: float) -> np.ndarray:
    """Unit-mean handling-time factors per contact: exponential or lognormal (coefficient of variation cv)."""
    out = rng.exponential(1.0, len(q))
    s2 = math.log1p(lognormal_cv ** 2)
    for qi, spec in enumerate(inp.queues):
        if spec.service_time == "lognormal":
            m = q == qi
            out[m] = rng.lognormal(-s2 / 2.0, math.sqrt(s2), int(m.sum()))
    return out


def draw_shrinkage_blocks(inp: SimInputs, rng: np.random.Generator):
    """Blocks of time agents are unavailable (shrinkage): in each interval, among a team's agents on duty,
    ``floor(share × n + U)`` chosen at random (so the expected unavailable share is exactly the shrinkage).
    Consecutive chosen intervals of an agent form one block. Returns agent, start_s, length_s."""
    N, T = inp.on_duty.shape
    if N == 0 or T == 0 or not np.any(inp.shrinkage > 0):
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    aux = np.zeros((N, T), bool)
    keys = rng.random((N, T))
    u = rng.random((len(inp.teams), T))
    for g in range(len(inp.teams)):
        rows = np.flatnonzero(inp.agent_team == g)
        if len(rows) == 0 or not np.any(inp.shrinkage[g] > 0):
            continue
        duty = inp.on_duty[rows]
        k = np.floor(inp.shrinkage[g] * duty.sum(axis=0) + u[g]).astype(np.int64)
        kk = np.where(duty, keys[rows], 2.0)
        rank = np.argsort(np.argsort(kk, axis=0, kind="stable"), axis=0, kind="stable")
        aux[rows] = duty & (rank < k[None, :])
    padded = np.zeros((N, T + 2), np.int8)
    padded[:, 1:-1] = aux
    d = np.diff(padded, axis=1)
    sa, st = np.nonzero(d == 1)
    ea, et = np.nonzero(d == -1)
    # nonzero walks row by row, so starts and ends pair up in order
    return sa.astype(np.int64), st * inp.interval_s, (et - st) * inp.interval_s


def run_replication(inp: SimInputs, rng: np.random.Generator, *, overflow_mode: str = "expand",
                    live_reserve: int = 1, volume_uncertainty: bool = False, lognormal_cv: float = 1.0,
                    routing: str = "dynamic") -> RepRaw:
    """Simulate the roster once. See the module docstring for the rules. ``routing="plan"`` follows the
    planned activities in ``inp`` (``plan_*``; agents without any have no planned queue); ``"primary"``
    (a diagnostic) lets an agent with a planned queue serve only its primary queue, as the plan's
    per-queue arithmetic assumes."""
    plan_mode = routing in ("plan", "primary")
    primary_only = routing == "primary"
    w = inp.interval_s
    T = inp.n_intervals
    Q = len(inp.queues)
    N = len(inp.agent_ids)
    G = len(inp.teams)
    INF = math.inf

    # ---- contacts -----------------------------------------------------------------------------
    arr_np, cq_np = draw_arrivals(inp, rng, volume_uncertainty)
    n = len(arr_np)
    base_np = draw_service_units(inp, cq_np, rng, lognormal_cv)
    pat_mean = np.array([s.patience_s for s in inp.queues])
    pm = pat_mean[cq_np]
    pat_np = np.full(n, INF)
    fin = np.isfinite(pm)
    pat_np[fin] = rng.exponential(1.0, int(fin.sum())) * pm[fin]
    for qi, sample in enumerate(inp.patience_samples):
        if sample is not None:
            m = cq_np == qi
            pat_np[m] = rng.choice(sample, size=int(m.sum()))
    t_int = np.minimum((arr_np // w).astype(np.int64), T - 1) if n else np.zeros(0, np.int64)
    dl_np = inp.deadline_s[cq_np, t_int] if n else np.zeros(0)
    live_np = np.array([s.live for s in inp.queues], bool)
    dl_np = np.where(live_np[cq_np], np.nan, dl_np) if n else dl_np

    arr = arr_np.tolist()
    cq = cq_np.tolist()
    base = base_np.tolist()
    pat = pat_np.tolist()
    deadline = dl_np.tolist()
    status = [WAITING] * n
    ans_t = [math.nan] * n
    done_t = [math.nan] * n
    hdl = [math.nan] * n
    ans_team = [-1] * n
    ans_agent = [-1] * n

    # ---- roster events ----------------------------------------------------------------------------
    sh_a, sh_s, sh_l = draw_shrinkage_blocks(inp, rng)
    n_plan = len(inp.plan_agent) if plan_mode else 0
    ev_t = np.concatenate([inp.span_start, inp.span_end, inp.break_start, sh_s, inp.plan_start[:n_plan]])
    ev_k = np.concatenate([np.full(len(inp.span_start), SHIFT_START), np.full(len(inp.span_end), SHIFT_END),
                           np.full(len(inp.break_start) + len(sh_s), BLOCK_START), np.full(n_plan, PLAN)])
    ev_a = np.concatenate([inp.span_agent, inp.span_agent, inp.break_agent, sh_a, inp.plan_agent[:n_plan]])
    # block length (s), or for a plan change the index of the agent's new order
    ev_l = np.concatenate([np.zeros(2 * len(inp.span_start)), inp.break_len, sh_l, inp.plan_order[:n_plan]])
    ev_b = np.concatenate([np.zeros(2 * len(inp.span_start), bool), np.ones(len(inp.break_start), bool),
                           np.zeros(len(sh_s) + n_plan, bool)])
    ev_order = np.lexsort((ev_a, ev_k, ev_t))
    s_t = ev_t[ev_order].tolist()
    s_k = ev_k[ev_order].tolist()
    s_a = ev_a[ev_order].tolist()
    s_l = ev_l[ev_order].tolist()
    s_b = ev_b[ev_order].tolist()
    ns = len(s_t)

    # ---- queues -----------------------------------------------------------------------------------
    q_live = [s.live for s in inp.queues]
    q_conc = [s.concurrency for s in inp.queues]
    q_growth = [s.concurrency_aht_growth for s in inp.queues]
    q_aht = [s.aht_s for s in inp.queues]
    ovf = inp.overflow_team
    transfer = overflow_mode == "transfer"
    q_tau = [s.overflow_after_s if ovf >= 0 else 0.0 for s in inp.queues]
    open_now = [row.tolist() for row in inp.open_mask]
    ql: list[list[int]] = [[] for _ in range(Q)]
    hp = [0] * Q
    fp = [0] * Q
    idle_count = [0] * Q

    # Routing classes. Dynamic routing: one class per team (a queue's teams in its order). Plan routing:
    # one class per rank of the queue in the agent's planned order (0 = its primary queue, ..., UNPLANNED = not
    # planned), and as many again for the overflow team on queues it joins only after overflow_after_s.
    # Per queue and class: the idle agents, the chatting agents with a free slot by number of chats in
    # hand (level m = 1 .. concurrency - 1), and for chat queues the idle agents who serve no other live
    # queue ("solo"); dicts used as insertion-ordered sets (longest idle first)
    UNPLANNED = max((len(o) for o in inp.plan_orders), default=0)     # the rank of a queue not planned
    NC = 2 * (UNPLANNED + 1) if plan_mode else G
    idle_d = [[{} for _ in range(NC)] for _ in range(Q)]
    solo_d = [[{} for _ in range(NC)] for _ in range(Q)]
    part_d = [[[{} for _ in range(max(q_conc[qi] - 1, 0))] for _ in range(NC)] for qi in range(Q)]
    team_names = inp.teams
    # per queue, the classes in routing order: (idle, partial by chats in hand, solo)
    route_now: list[list[tuple[dict, list[dict] | None, dict | None]]] = []
    route_ovf: list[list[tuple[dict, list[dict] | None, dict | None]]] = []
    def_route: list[list[dict]] = []
    eligible = inp.eligible
    team_has = [[bool(np.any(eligible[inp.agent_team == g, qi])) for g in range(G)] for qi in range(Q)]

    def entry(qi: int, c: int) -> tuple[dict, list[dict] | None, dict | None]:
        chat = q_conc[qi] > 1
        return idle_d[qi][c], part_d[qi][c] if chat else None, solo_d[qi][c] if chat else None

    for qi, spec in enumerate(inp.queues):
        now_l, ovf_l, def_l = [], [], []
        if plan_mode:
            delayed_team = ovf >= 0 and spec.live and q_tau[qi] > 0 and team_has[qi][ovf]
            for lv in range(UNPLANNED + 1):
                if not spec.live:
                    def_l.append(idle_d[qi][lv])
                    continue
                now_l.append(entry(qi, lv))
                if delayed_team:
                    ovf_l.append(entry(qi, UNPLANNED + 1 + lv))
        else:
            for name in spec.teams:
                g = team_names.index(name)
                if not team_has[qi][g]:
                    continue
                if not spec.live:
                    def_l.append(idle_d[qi][g])
                elif g == ovf and q_tau[qi] > 0:
                    ovf_l.append(entry(qi, g))
                else:
                    now_l.append(entry(qi, g))
        route_now.append(now_l)
        route_ovf.append(ovf_l)
        def_route.append(def_l)
    has_ovf = [bool(x) for x in route_ovf]

    # ---- agents -----------------------------------------------------------------------------------
    a_team = inp.agent_team.tolist()
    a_mult = inp.agent_mult.tolist()

    def make_profile(g: int, elig: tuple[bool, ...], order: tuple[int, ...] | None) -> tuple:
        """What an agent of team ``g`` serving the queues ``elig`` looks at: its idle and partial dicts,
        its chat queues, its live queues, its work plan and the reserve of each deferred queue.

        The work plan lists steps in priority order, each ``(live, entries, reserve_queues)``; a deferred
        step is taken only while ``live_reserve`` other agents stay idle on each open queue of
        ``reserve_queues``. Dynamic (``order`` None): live contacts of its *own* queues (its team is the
        queue's first team), deferred items of its own queues (reserve: its own live queues), live contacts
        of queues it helps on, deferred items of those (reserve: all its live queues). Plan: each queue of
        ``order`` in turn, where the first planned deferred queue brings all the agent's deferred queues in
        as one step (earliest deadline first; reserve: the live queues planned above), then its other live
        queues."""
        rank = None if order is None else {q: i for i, q in enumerate(order)}
        # routing "primary" (a diagnostic): an agent with a planned queue serves nothing else
        only = set(order[:1]) if (primary_only and order) else None

        def cls(qi: int) -> int:
            if rank is None:
                return g
            lv = rank.get(qi, UNPLANNED)
            return UNPLANNED + 1 + lv if (q_live[qi] and g == ovf and q_tau[qi] > 0) else lv

        dl, pl, ch, lq, concs = [], [], [], [], []
        live_entry: dict[int, tuple[int, float, bool]] = {}
        deferred_qs = []
        n_live = n_chat = 0
        for qi in range(Q):
            if not elig[qi]:
                continue
            if q_live[qi]:
                n_live += 1
                if q_conc[qi] > 1:
                    n_chat += 1
                    concs.append(q_conc[qi])      # the concurrency limit holds whatever the plan says
            if only is not None and qi not in only:
                continue
            dl.append(idle_d[qi][cls(qi)])
            if q_live[qi]:
                lq.append(qi)
                delayed = g == ovf and q_tau[qi] > 0
                e = (qi, q_tau[qi] if delayed else 0.0, transfer and not delayed and has_ovf[qi])
                live_entry[qi] = e
                if q_conc[qi] > 1:
                    pl.append(qi)
                    ch.append(e)
            else:
                deferred_qs.append(qi)
        if n_chat and n_chat == n_live:      # chats are its only live work: a "solo" chat agent
            dl.extend(solo_d[qi][cls(qi)] for qi in pl)
        lim = min(concs) if concs else 1
        pdicts = [[part_d[qi][cls(qi)][m - 1] for qi in pl] for m in range(1, lim)]
        if rank is None:
            own = [inp.queues[qi].teams[0] == team_names[g] for qi in range(Q)]
            own_live = [live_entry[qi] for qi in lq if own[qi]]
            help_live = [live_entry[qi] for qi in lq if not own[qi]]
            own_def = [qi for qi in deferred_qs if own[qi]]
            help_def = [qi for qi in deferred_qs if not own[qi]]
            own_lq = [e[0] for e in own_live]
            steps = [(True, own_live, []), (False, own_def, own_lq), (True, help_live, []), (False, help_def, lq)]
            def_res = {**{q: own_lq for q in own_def}, **{q: lq for q in help_def}}
        else:
            steps, def_res, above = [], {}, []
            # deferred work planned at all is one activity: the agent takes the item due first among all its
            # deferred queues (a specialist planned on normal complaints picks up an urgent major one)
            pooled = [qi for qi in deferred_qs if only is None or qi in only]
            for qi in order:
                if only is not None and qi not in only:
                    continue
                if q_live[qi]:
                    steps.append((True, [live_entry[qi]], []))
                    above.append(qi)
                elif not any(qi in step[1] for step in steps if not step[0]):
                    steps.append((False, list(pooled), list(above)))
                    def_res.update({q: list(above) for q in pooled})
            rest_def = [qi for qi in deferred_qs if qi not in def_res]
            steps += [(True, [live_entry[qi] for qi in lq if qi not in rank], []), (False, rest_def, lq)]
            def_res.update({q: lq for q in rest_def})
        return dl, pdicts, ch, lq, [s for s in steps if s[1]], def_res, lim

    profiles: dict[tuple, tuple] = {}

    def profile(a: int, order: tuple[int, ...] | None) -> tuple:
        key = (a_team[a], elig_key[a], order)
        p = profiles.get(key)
        if p is None:
            p = profiles[key] = make_profile(a_team[a], elig_key[a], order)
        return p

    elig_key = [tuple(bool(x) for x in eligible[a]) for a in range(N)]
    plan_orders = inp.plan_orders
    ag_prof: list[tuple] = [None] * N  # type: ignore[list-item]
    ag_dicts: list[list[dict]] = [None] * N  # type: ignore[list-item]
    ag_pdicts: list[list[list[dict]]] = [None] * N  # type: ignore[list-item]
    ag_chat: list[list[tuple[int, float, bool]]] = [None] * N  # type: ignore[list-item]
    ag_liveq: list[list[int]] = [None] * N  # type: ignore[list-item]
    ag_plan: list[list[tuple[bool, list, list[int]]]] = [None] * N  # type: ignore[list-item]
    ag_def_res: list[dict[int, list[int]]] = [None] * N  # type: ignore[list-item]
    ag_conc = [1] * N

    def set_profile(a: int, p: tuple) -> None:
        ag_prof[a] = p
        ag_dicts[a], ag_pdicts[a], ag_chat[a], ag_liveq[a], ag_plan[a], ag_def_res[a], ag_conc[a] = p

    for a in range(N):
        # plan routing: until its first planned interval an agent has no planned queue
        set_profile(a, profile(a, () if plan_mode else None))

    on_shift = [False] * N
    avail = [False] * N
    inblock = [False] * N
    leaving = [False] * N
    token = [0] * N
    excl = [0] * N
    nchat = [0] * N
    where = [0] * N          # 0 none, 1 idle dicts, 2 partial dicts (at level wlevel)
    wlevel = [0] * N
    chats: list[list[int]] = [[] for _ in range(N)]
    chat_upd = [0.0] * N     # time the remaining work of the agent's chats was last brought up to date
    work_left = [0.0] * n    # chat: remaining handling time at concurrency 1 (s)
    chat_end = [0.0] * n     # chat: currently scheduled end (stale heap entries differ)
    pend = [0.0] * N
    pend_brk_at = [-1.0] * N  # planned start of the first pending break or meal (-1: none pending)
    busy_since = [-1.0] * N
    avail_since = [0.0] * N
    shift_end_at = [0.0] * N

    seg_a: list[int] = []
    seg_s: list[float] = []
    seg_e: list[float] = []
    bus_a: list[int] = []
    bus_s: list[float] = []
    bus_e: list[float] = []
    brk_delay: list[float] = []
    overtime: list[float] = []

    heap: list = []
    reserve = int(live_reserve)

    # ---- helpers ------------------------------------------------------------------------------------
    def clear(a: int) -> None:
        wh = where[a]
        if wh == 1:
            for d in ag_dicts[a]:
                del d[a]
            for q in ag_liveq[a]:
                idle_count[q] -= 1
        elif wh == 2:
            for d in ag_pdicts[a][wlevel[a] - 1]:
                del d[a]
        where[a] = 0

    def set_idle(a: int) -> None:
        for d in ag_dicts[a]:
            d[a] = None
        for q in ag_liveq[a]:
            idle_count[q] += 1
        where[a] = 1

    def set_partial(a: int) -> None:
        m = nchat[a]
        for d in ag_pdicts[a][m - 1]:
            d[a] = None
        where[a] = 2
        wlevel[a] = m

    def chat_progress(a: int, t: float) -> None:
        """Bring the remaining work of the agent's chats up to time t (rate 1/(1 + growth·(m − 1)))."""
        lst = chats[a]
        dt = t - chat_upd[a]
        if dt > 0.0 and lst:
            m1 = len(lst) - 1
            for c in lst:
                work_left[c] -= dt / (1.0 + q_growth[cq[c]] * m1)
        chat_upd[a] = t

    def chat_schedule(a: int, t: float) -> None:
        lst = chats[a]
        m1 = len(lst) - 1
        for c in lst:
            e = t + work_left[c] * (1.0 + q_growth[cq[c]] * m1)
            if e != chat_end[c]:
                chat_end[c] = e
                heappush(heap, (e, CHAT_END, a, c))

    def pick_agent(d_idle: dict, levels: list[dict] | None, d_solo: dict | None) -> int:
        """The class's agent for a new contact: the longest idle. A chat goes first to an idle agent who
        serves no other live queue, then to a chatting agent with a free slot (fewest chats first), and
        only then to an idle agent who could take calls: chats spread evenly over chat agents, and
        blended agents stay free for calls as long as possible."""
        if levels is None:
            return next(iter(d_idle)) if d_idle else -1
        if d_solo:
            return next(iter(d_solo))
        for d in levels:
            if d:
                return next(iter(d))
        return next(iter(d_idle)) if d_idle else -1

    def head_any(q: int, t: float) -> int:
        L = ql[q]
        i = hp[q]
        m = len(L)
        while i < m:
            c = L[i]
            if status[c] == WAITING:
                if arr[c] + pat[c] > t:
                    break
                status[c] = ABANDONED
            i += 1
        hp[q] = i
        return L[i] if i < m else -1

    def head_fresh(q: int, t: float) -> int:
        L = ql[q]
        i = fp[q]
        if i < hp[q]:
            i = hp[q]
        m = len(L)
        limit = t - q_tau[q]
        while i < m:
            c = L[i]
            if status[c] == WAITING:
                if arr[c] + pat[c] <= t:
                    status[c] = ABANDONED
                elif arr[c] > limit:
                    break
            i += 1
        fp[q] = i
        return L[i] if i < m else -1

    def start(a: int, c: int, q: int, t: float) -> None:
        status[c] = SERVED
        ans_t[c] = t
        ans_team[c] = a_team[a]
        ans_agent[c] = a
        d = base[c] * q_aht[q] * a_mult[a]
        if q_conc[q] > 1:
            chat_progress(a, t)
            chats[a].append(c)
            nchat[a] += 1
            work_left[c] = d
            chat_end[c] = -1.0
            chat_schedule(a, t)
        else:
            excl[a] = 1
            hdl[c] = d
            heappush(heap, (t + d, END, a, c))

    def pick(entries, t: float) -> tuple[int, int]:
        best = -1
        bq = -1
        ba = INF
        for q, minw, fresh in entries:
            c = head_fresh(q, t) if fresh else head_any(q, t)
            if c >= 0:
                ac = arr[c]
                if ac < ba and t - ac >= minw:
                    best, bq, ba = c, q, ac
        return best, bq

    def fill_chats(a: int, t: float) -> None:
        lim = ag_conc[a]
        while nchat[a] < lim:
            c, q = pick(ag_chat[a], t)
            if c < 0:
                break
            start(a, c, q, t)
        if nchat[a] < lim:
            set_partial(a)

    def reserve_ok(t: float, self_idle: bool, live_qs: list[int]) -> bool:
        """At least ``reserve`` agents other than this one idle on each open queue of ``live_qs``."""
        if reserve <= 0 or not live_qs:
            return True
        ti = int(t // w)
        ti = 0 if ti < 0 else (T - 1 if ti >= T else ti)
        need = reserve + (1 if self_idle else 0)
        for q in live_qs:
            if open_now[q][ti] and idle_count[q] < need:
                return False
        return True

    def begin_block(a: int, t: float, length: float, break_planned: float) -> None:
        """Unavailable from t for ``length`` s; ``break_planned`` >= 0: a break planned then starts now."""
        if avail[a]:
            seg_a.append(a)
            seg_s.append(avail_since[a])
            seg_e.append(t)
        avail[a] = False
        inblock[a] = True
        token[a] += 1
        heappush(heap, (t + length, BLOCK_END, a, token[a]))
        if break_planned >= 0.0:
            brk_delay.append(t - break_planned)

    def agent_free(a: int, t: float) -> None:
        """The agent's work in hand decreased (or it became available): give it new work or park it."""
        if nchat[a] > 0:
            if leaving[a] or pend[a] > 0.0 or not avail[a]:
                return
            fill_chats(a, t)
            return
        if excl[a]:
            return
        if busy_since[a] >= 0.0:
            bus_a.append(a)
            bus_s.append(busy_since[a])
            bus_e.append(t)
            busy_since[a] = -1.0
        if leaving[a]:
            leaving[a] = False
            avail[a] = False
            seg_a.append(a)
            seg_s.append(avail_since[a])
            seg_e.append(t)
            overtime.append(t - shift_end_at[a])
            return
        if pend[a] > 0.0:
            begin_block(a, t, pend[a], pend_brk_at[a])
            pend[a] = 0.0
            pend_brk_at[a] = -1.0
            return
        if not avail[a]:
            return
        for is_live, entries, res_qs in ag_plan[a]:
            if is_live:
                c, q = pick(entries, t)
                if c >= 0:
                    busy_since[a] = t
                    start(a, c, q, t)
                    if q_conc[q] > 1:
                        fill_chats(a, t)
                    return
            elif reserve_ok(t, False, res_qs):
                best = -1
                bq = -1
                bd = INF
                for q in entries:
                    c = head_any(q, t)
                    if c >= 0 and (best < 0 or deadline[c] < bd):
                        best, bq, bd = c, q, deadline[c]
                if best >= 0:
                    busy_since[a] = t
                    start(a, best, bq, t)
                    return
        set_idle(a)

    # ---- main loop -----------------------------------------------------------------------------------
    ia = 0
    isx = 0
    ta = arr[0] if n else INF
    ts = s_t[0] if ns else INF
    t = 0.0
    while True:
        th = heap[0][0] if heap else INF
        if ts <= th and ts <= ta:
            if ts == INF:
                break
            t = ts
            k = s_k[isx]
            a = s_a[isx]
            if k == SHIFT_START:
                on_shift[a] = True
                if leaving[a]:
                    leaving[a] = False
                elif not inblock[a]:
                    avail[a] = True
                    avail_since[a] = t
                    agent_free(a, t)
            elif k == PLAN:
                p = profile(a, plan_orders[int(s_l[isx])])
                if p is not ag_prof[a]:
                    wh = where[a]
                    if wh:
                        clear(a)
                    set_profile(a, p)
                    if wh == 1:          # idle: the new plan may have work for it (e.g. a planned e-mail)
                        agent_free(a, t)
                    elif wh == 2:
                        set_partial(a)
            elif k == BLOCK_START:
                if on_shift[a]:
                    if inblock[a] or excl[a] or nchat[a]:
                        if s_b[isx] and pend_brk_at[a] < 0.0:
                            pend_brk_at[a] = t
                        pend[a] += s_l[isx]
                        clear(a)
                    elif avail[a]:
                        clear(a)
                        begin_block(a, t, s_l[isx], t if s_b[isx] else -1.0)
            else:  # SHIFT_END
                on_shift[a] = False
                pend[a] = 0.0
                pend_brk_at[a] = -1.0
                shift_end_at[a] = t
                if inblock[a]:
                    inblock[a] = False
                    token[a] += 1
                elif avail[a]:
                    clear(a)
                    if excl[a] or nchat[a]:
                        leaving[a] = True
                    else:
                        avail[a] = False
                        seg_a.append(a)
                        seg_s.append(avail_since[a])
                        seg_e.append(t)
                        overtime.append(0.0)
            isx += 1
            ts = s_t[isx] if isx < ns else INF
        elif th <= ta:
            t, kind, x, y = heappop(heap)
            if kind == END:
                a = x
                done_t[y] = t
                excl[a] = 0
                agent_free(a, t)
            elif kind == CHAT_END:
                a = x
                if t != chat_end[y]:
                    continue        # rescheduled since
                chat_progress(a, t)
                chats[a].remove(y)
                chat_end[y] = -1.0  # a duplicate entry of the same time is now stale too
                nchat[a] -= 1
                done_t[y] = t
                hdl[y] = t - ans_t[y]
                chat_schedule(a, t)
                clear(a)
                agent_free(a, t)
            elif kind == OVERFLOW:
                q = x
                c = y
                if status[c] != WAITING or arr[c] + pat[c] <= t:
                    continue
                for d_idle, levels, d_solo in route_ovf[q]:
                    a = pick_agent(d_idle, levels, d_solo)
                    if a < 0:
                        continue
                    h = head_any(q, t)
                    clear(a)
                    if nchat[a] == 0:
                        busy_since[a] = t
                    start(a, h, q, t)
                    if q_conc[q] > 1:
                        fill_chats(a, t)
                    break
            else:  # BLOCK_END
                a = x
                if y != token[a] or not inblock[a]:
                    continue
                inblock[a] = False
                if pend[a] > 0.0:
                    avail[a] = False
                    begin_block(a, t, pend[a], pend_brk_at[a])
                    pend[a] = 0.0
                    pend_brk_at[a] = -1.0
                elif on_shift[a]:
                    avail[a] = True
                    avail_since[a] = t
                    agent_free(a, t)
        else:
            t = ta
            c = ia
            q = cq[c]
            ia += 1
            ta = arr[ia] if ia < n else INF
            if q_live[q]:
                for d_idle, levels, d_solo in route_now[q]:
                    a = pick_agent(d_idle, levels, d_solo)
                    if a < 0:
                        continue
                    clear(a)
                    if nchat[a] == 0:
                        busy_since[a] = t
                    start(a, c, q, t)
                    if q_conc[q] > 1 and nchat[a] < ag_conc[a]:
                        set_partial(a)
                    break
                else:
                    ql[q].append(c)
                    if has_ovf[q] and pat[c] > q_tau[q]:
                        heappush(heap, (t + q_tau[q], OVERFLOW, q, c))
            else:
                chosen = -1
                for d_idle in def_route[q]:
                    for a in d_idle:
                        if reserve_ok(t, True, ag_def_res[a][q]):
                            chosen = a
                            break
                    if chosen >= 0:
                        break
                if chosen >= 0:
                    clear(chosen)
                    busy_since[chosen] = t
                    start(chosen, c, q, t)
                else:
                    ql[q].append(c)

    end_s = max(t, T * w)
    for a in range(N):
        if avail[a]:
            seg_a.append(a)
            seg_s.append(avail_since[a])
            seg_e.append(end_s)
        if busy_since[a] >= 0.0:
            bus_a.append(a)
            bus_s.append(busy_since[a])
            bus_e.append(end_s)

    status_np = np.array(status, np.int8)
    ans_np = np.array(ans_t)
    waiting = status_np == WAITING
    abandoned_late = waiting & np.isfinite(pat_np)
    status_np[abandoned_late] = ABANDONED
    status_np[waiting & ~np.isfinite(pat_np)] = UNSERVED
    wait = np.where(status_np == SERVED, ans_np - arr_np,
                    np.where(status_np == ABANDONED, pat_np, end_s - arr_np))
    return RepRaw(
        arrival_s=arr_np, queue=cq_np, status=status_np, wait_s=wait, team=np.array(ans_team, np.int64),
        agent=np.array(ans_agent, np.int64),
        done_s=np.array(done_t), handle_s=np.array(hdl), deadline_s=dl_np,
        busy=(np.array(bus_a, np.int64), np.array(bus_s), np.array(bus_e)),
        avail=(np.array(seg_a, np.int64), np.array(seg_s), np.array(seg_e)),
        break_delay_s=np.array(brk_delay), overtime_s=np.array(overtime), end_s=float(end_s),
        shrink_h=float(sh_l.sum() / 3600.0),
    )
