"""Service-level maths: from forecast volume to required agents per queue and interval.

Data contract (see docs/architecture.md). Staffing is counted in *effective agents*: productive,
senior-equivalent agents on the queue. :func:`agent_efficiency` converts a rostered agent into
effective agents. The models and where each correction applies are written up in docs/staffing.md.

Layers of this module:

- queue maths, vectorised with numpy over any array shape (no Python loop per interval):
  :func:`erlang_b`, :func:`queue_metrics` (Erlang C, Erlang A, chat concurrency), :func:`service_grid`,
  :func:`required_agents`, :func:`overflow_metrics` (M/M/n + D(tau)), :func:`loss_overflow`
  (Riordan/Hayward), :func:`offered_load` (lagged offered load for ramps), :func:`deferred_capacity`;
- :func:`build_requirements`: a forecast frame + a scenario -> :class:`Requirements`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import digamma, gammainc, gammaincc, gammaln, ndtri

from scheduler import columns as C
from scheduler.errors import StaffingError
from scheduler.scenario import Queue, Scenario


@dataclass(frozen=True)
class LiveCurve:
    """Expected outcomes of one live queue for n = 0..n_max effective agents, per interval.

    Arrays have shape (len(interval_start), n_max + 1). ``lost`` = expected contacts of the interval
    not answered within the target (volume × (1 − SL)); it is the cost basis of under-staffing.
    """

    queue: str
    interval_start: pd.DatetimeIndex
    volume: np.ndarray
    service_level: np.ndarray
    lost: np.ndarray
    abandon_rate: np.ndarray
    asa_source: np.ndarray | Callable[[], np.ndarray] = field(repr=False, compare=False)
    occupancy: np.ndarray
    sl_definition: str = "offered"

    @property
    def n_max(self) -> int:
        return self.service_level.shape[1] - 1

    @cached_property
    def asa_s(self) -> np.ndarray:
        """Mean wait of answered contacts (s), same shape as ``service_level``. With abandonment it
        takes a series per cell (most of a curve's cost, and the optimizer does not need it), so
        :func:`build_requirements` computes it on first use."""
        src = self.asa_source
        return np.asarray(src() if callable(src) else src, dtype=float)


@dataclass(frozen=True)
class DeferredWork:
    """Deferred work of one queue: work arriving per interval must be done within the deadline.

    ``work_h[t]``: agent-hours (effective) of work arriving in interval t; ``deadline_intervals``: H in
    intervals (work of t is due by the end of interval t + H, counted in the queue's open intervals);
    ``min_capacity_h[t]``: the least capacity per interval that meets every deadline;
    ``backlog_h[t]``: work waiting at the end of t under that capacity.
    """

    queue: str
    interval_start: pd.DatetimeIndex
    work_h: np.ndarray
    deadline_intervals: int
    min_capacity_h: np.ndarray
    backlog_h: np.ndarray


@dataclass(frozen=True)
class Requirements:
    """What the optimizer needs: see docs/architecture.md."""

    table: pd.DataFrame
    curves: dict[str, LiveCurve] = field(default_factory=dict)
    deferred: dict[str, DeferredWork] = field(default_factory=dict)
    interval_min: int = 15


def agent_efficiency(scenario: Scenario, team: str, seniority: str, minute_of_day: int) -> float:
    """Effective agents contributed by one agent on shift and not on break at ``minute_of_day``:
    ``(1 − shrinkage) / (team AHT multiplier × seniority AHT multiplier)``."""
    shrink = scenario.shrinkage_for(team, minute_of_day)
    team_mult = scenario.teams[team].aht_multiplier if team in scenario.teams else 1.0
    sen = scenario.seniority.get(seniority)
    sen_mult = sen.aht_multiplier if sen is not None else 1.0
    return (1.0 - shrink) / (team_mult * sen_mult)


def scheduled_agents(required: np.ndarray | float, shrinkage: float) -> np.ndarray:
    """Rostered agents needed so that ``required`` effective agents remain after ``shrinkage``
    (``ceil(required / (1 - shrinkage))``, with a 1e-9 guard against float noise)."""
    if not 0.0 <= shrinkage < 1.0:
        raise StaffingError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    return np.ceil(np.asarray(required, dtype=float) / (1.0 - shrinkage) - 1e-9).astype(int)


# ==============================================================================================
# Special functions (vectorised, stable for loads of tens of thousands of Erlangs)

_TINY = 1e-280
SL_DEFINITIONS = ("offered", "answered", "no_wait_gt_t")


def _inv_erlang_b(n: np.ndarray, load: np.ndarray) -> np.ndarray:
    """``1 / B(n, load)`` for real n >= 0 (continuous Erlang B), elementwise.

    ``1/B = e^A Γ(n+1, A) / A^n``; where the upper incomplete gamma underflows (A much larger
    than n) the finite sum ``Σ_i Π_{l<i} (n-l)/A`` is used, which converges fast there.
    """
    n, load = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(load, dtype=float))
    out = np.ones(n.shape)
    pos = load > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = gammaincc(n + 1.0, np.where(pos, load, 1.0))
        logv = load + gammaln(n + 1.0) - n * np.log(np.where(pos, load, 1.0)) + np.log(q)
        val = np.exp(logv)
    good = pos & (q > _TINY) & np.isfinite(val)
    out[good] = val[good]
    bad = pos & ~good
    if bad.any():
        nb, ab = n[bad], load[bad]
        total = np.ones(nb.shape)
        term = np.ones(nb.shape)
        l = 0
        while True:
            with np.errstate(over="ignore"):
                term = term * np.clip(nb - l, 0.0, None) / ab
            total += term
            l += 1
            if not (term > 1e-17 * total).any():
                break
        out[bad] = total
    return out


def erlang_b(agents: np.ndarray | float, load_erlangs: np.ndarray | float) -> np.ndarray:
    """Erlang B blocking probability B(n, A) for real ``agents`` n >= 0 (continuous in n), elementwise.

    Stable for large loads (closed form through the regularised incomplete gamma function); for
    integer n it equals the recursion B(0)=1, B(k) = A·B(k-1) / (k + A·B(k-1)).
    """
    return 1.0 / _inv_erlang_b(agents, load_erlangs)


def _log_kummer(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``log M(s, a)`` with ``M(s, a) = Σ_{j>=0} a^j / Π_{i=1..j} (s+i)`` (= 1F1(1; s+1; a)), s, a >= 0.

    ``M = e^a Γ(s+1) P(s, a) / a^s`` (P: regularised lower incomplete gamma); the power series is
    used where P underflows (s much larger than a), where it converges geometrically.
    """
    s, a = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(a, dtype=float))
    out = np.zeros(s.shape)
    pos = a > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = gammainc(s, np.where(pos, a, 1.0))
        logv = a + gammaln(s + 1.0) - s * np.log(np.where(pos, a, 1.0)) + np.log(p)
    good = pos & (p > _TINY) & np.isfinite(logv)
    out[good] = logv[good]
    bad = pos & ~good
    if bad.any():
        out[bad] = np.log1p(_kummer_series_m1(s[bad], a[bad]))
    return out


def _kummer_series_m1(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``M(s, a) - 1`` by its power series; for a < s + 1 (fast convergence)."""
    total = np.zeros(s.shape)
    term = np.ones(s.shape)
    j = 1
    idx = np.arange(s.size)
    s_act, a_act, term_act, tot_act = s.copy(), a.copy(), term.copy(), total.copy()
    while idx.size:
        term_act = term_act * a_act / (s_act + j)
        tot_act = tot_act + term_act
        j += 1
        if j % 16 == 0 or j > 100000:
            done = ~(term_act > 1e-17 * np.maximum(tot_act, 1e-300))
            if done.any():
                total[idx[done]] = tot_act[done]
                keep = ~done
                idx, s_act, a_act, term_act, tot_act = idx[keep], s_act[keep], a_act[keep], term_act[keep], tot_act[keep]
    return total


def _kummer_m1(s: np.ndarray, a: np.ndarray, log_m: np.ndarray | None = None) -> np.ndarray:
    """``M(s, a) - 1`` accurate also for small a (no cancellation); ``log_m``: log M(s, a) if known."""
    s, a = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(a, dtype=float))
    out = np.empty(s.shape)
    use_series = (a < 0.5 * (s + 1.0)) | (a < s + 1.0 - 4.0 * np.sqrt(s + 1.0))
    if use_series.any():
        out[use_series] = _kummer_series_m1(s[use_series], a[use_series])
    rest = ~use_series
    if rest.any():
        out[rest] = np.expm1(_log_kummer(s[rest], a[rest]) if log_m is None else np.broadcast_to(log_m, s.shape)[rest])
    return out


def _queue_series(s: np.ndarray, a: np.ndarray, log_pi_c: np.ndarray, need_queue: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two sums over the queue length j ahead of an arrival (Erlang A, tagged customer), with
    ``u_j = a^j / Π_{i=1..j+1}(s+i)``:

    - ``Σ_j π_c u_j Σ_{i=1..j+1} 1/(s+i)`` (θ × mean wait of answered contacts × P(answered) / s);
    - ``Σ_j π_c j (s+j+1) u_j`` (mean queue length · θ/λ · a = P(abandon) · a), free of the
      cancellation that ``P(wait) − P(served after waiting)`` suffers when patience is long.

    Each sum is taken in both directions from its largest term (found in log space), so it neither
    overflows nor needs more than a few times sqrt(a) terms. ``need_queue=False`` skips the second.
    """
    s = np.asarray(s, dtype=float)
    a = np.asarray(a, dtype=float)
    out = np.zeros(s.shape)
    out_q = np.zeros(s.shape)
    flat_s, flat_a, flat_lp = s.ravel(), a.ravel(), log_pi_c.ravel()
    live = (flat_a > 0) & np.isfinite(flat_lp)
    if not live.any():
        return out, out_q
    idx = np.nonzero(live)[0]
    ss, aa, lp = flat_s[idx], flat_a[idx], flat_lp[idx]
    # term u_j = a^j / Π_{i=1..j+1}(s+i) is largest near j* = a - s - 1
    jstar = np.maximum(0.0, np.floor(aa - ss - 1.0))
    log_u = jstar * np.log(aa) - (gammaln(ss + jstar + 2.0) - gammaln(ss + 1.0))
    h_star = digamma(ss + jstar + 2.0) - digamma(ss + 1.0)  # Σ_{i=1..j*+1} 1/(s+i)
    # exact harmonic sum for small j* (digamma difference loses digits there)
    small = jstar < 64
    if small.any():
        hs = np.zeros(small.sum())
        js, s_small = jstar[small], ss[small]
        for i in range(1, 66):
            hs += np.where(i <= js + 1, 1.0 / (s_small + i), 0.0)
        h_star[small] = hs
    v0 = np.exp(lp + log_u)
    total = v0 * h_star
    total_q = v0 * jstar * (ss + jstar + 1.0)
    # terms fall like exp(−k²/2a) away from the mode (faster, geometrically, when s > a): a fixed
    # number of terms per element bounds the tail below 1e-17; elements sorted by that number so
    # the ones still running are a prefix (slices, no gather/scatter)
    # upward: log(term_{j*+k}/term_{j*}) <= −k·L − k²/(2(s + j* + k)) with L = ln((s+j*+2)/a) >= 0,
    # below −42 (1e-18) once k >= 84 / (L + sqrt(L² + 84/(s+j*+k))) — solved with s+j*+k <= 2(s+j*)+1+9√a
    gauss_k = 9.0 * np.sqrt(aa) + 12.0
    big = ss + jstar + 2.0
    lead = np.maximum(0.0, np.log(big / aa))
    k_up = np.ceil(np.minimum(gauss_k, 84.0 / (lead + np.sqrt(lead**2 + 84.0 / (2.0 * big + gauss_k))) + 12.0)).astype(np.int64)
    k_down = np.minimum(jstar, np.ceil(gauss_k)).astype(np.int64)
    for direction, kk in ((1, k_up), (-1, k_down)):
        order = np.argsort(-kk, kind="stable")
        A, K = aa[order], kk[order]
        inv_a = 1.0 / A
        base = ss[order] + jstar[order] + 1.0  # s + j* + 1
        j0 = jstar[order]
        v, h = v0[order].copy(), h_star[order].copy()
        tot, totq = np.zeros(A.size), np.zeros(A.size)
        neg_k = -K
        buf = np.empty(A.size)
        for i in range(1, int(K.max(initial=0)) + 1):
            cnt = int(np.searchsorted(neg_k, -i, side="right"))
            vv, hh, b = v[:cnt], h[:cnt], buf[:cnt]
            if direction == 1:  # u_{j+1} = u_j · a / (s+j+2), h_{j+1} = h_j + 1/(s+j+2), j = j* + i − 1
                np.add(base[:cnt], i, out=b)
                np.reciprocal(b, out=b)
                hh += b
                b *= A[:cnt]
                vv *= b
            else:  # u_{j-1} = u_j · (s+j+1) / a, h_{j-1} = h_j − 1/(s+j+1), j = j* − i + 1
                np.add(base[:cnt], 1 - i, out=b)
                np.reciprocal(b, out=b)
                hh -= b
                np.multiply(vv, inv_a[:cnt], out=vv)
                vv /= b
            np.multiply(vv, hh, out=b)
            tot[:cnt] += b
            if need_queue:  # Σ j (s+j+1) u_j at the new j
                jj = j0[:cnt] + direction * i
                totq[:cnt] += vv * jj * (base[:cnt] + direction * i)
        back = np.empty(A.size)
        back[order] = tot
        total += back
        back[order] = totq
        total_q += back
    flat_out = out.reshape(-1)
    flat_out[idx] = total
    flat_q = out_q.reshape(-1)
    flat_q[idx] = total_q
    return flat_out.reshape(s.shape), flat_q.reshape(s.shape)


# ==============================================================================================
# Queue metrics


@dataclass(frozen=True)
class ServiceMetrics:
    """Stationary outcomes of a live queue, elementwise over broadcast inputs.

    ``service_level`` follows ``sl_definition``; the three definitions are also given apart:
    ``sl_offered`` (answered within t ÷ all arrivals; abandons count as misses), ``sl_answered``
    (answered within t ÷ answered), ``sl_no_wait_gt_t`` (1 − P(wait > t), wait = time to answer or
    to abandon). ``asa_s``: mean wait of answered contacts; ``mean_wait_all_s``: of all contacts;
    ``p_wait``: P(wait > 0); ``abandon_rate``: share of arrivals that abandon; ``occupancy``: share
    of agent (chat: slot) capacity busy. Conventions: no arrivals -> p_wait 0, SL 1, ASA 0,
    occupancy 0; Erlang C with agents <= load -> p_wait 1, SL 0, ASA inf, occupancy 1; zero agents
    -> ASA, answered-basis SL and occupancy undefined (nan).
    """

    p_wait: np.ndarray
    service_level: np.ndarray
    sl_offered: np.ndarray
    sl_answered: np.ndarray
    sl_no_wait_gt_t: np.ndarray
    asa_s: np.ndarray
    abandon_rate: np.ndarray
    occupancy: np.ndarray
    mean_wait_all_s: np.ndarray
    sl_definition: str = "offered"


def _check_definition(definition: str) -> None:
    if definition not in SL_DEFINITIONS:
        raise StaffingError(f"unknown service-level definition {definition!r}; expected one of {', '.join(SL_DEFINITIONS)}")


def _server_side_single(lam: np.ndarray, mu: np.ndarray, n: np.ndarray):
    """M/M/n below the queue: (c, ν, R = P(fewer than c busy)/π_c) with c = n, ν = nμ."""
    inv_b = _inv_erlang_b(n, lam / mu)
    return n.astype(float), n * mu, inv_b - 1.0


def _server_side_chat(lam: np.ndarray, mu: np.ndarray, n: np.ndarray, k: int, growth: float):
    """Chat with concurrency k: birth-death over j chats in service among n agents (spread evenly).

    A chat's handling time at concurrency m (chats per agent) is aht·(1 + growth·(m − 1)); with j
    chats the departure rate is j·μ / (1 + growth·max(0, j/n − 1)), for j <= c = n·k slots. Returns
    (c, ν = departure rate with all slots busy, R = P(j < c)/π_c, mean j given j < c).
    The recursion b_j = x_j b_{j-1} / (1 + x_j b_{j-1}), x_j = λ/d_j, is Erlang B's, generalised.
    """
    shape = np.broadcast_shapes(lam.shape, mu.shape, n.shape)
    lam, mu, n = (np.broadcast_to(x, shape).astype(float) for x in (lam, mu, n))
    c = n * k
    # up to j = n every agent holds at most one chat: the chain is Erlang B's (closed form at n),
    # with mean A·(1 − B(n)) on {0..n}; then steps j = n+1 .. n·k, elements sorted by n so the
    # still-active ones are a prefix (slices, not masks).
    order = np.argsort(-n, axis=None, kind="stable")
    L, MU, N = lam.ravel()[order], mu.ravel()[order], n.ravel()[order]
    load = L / MU
    b = 1.0 / _inv_erlang_b(N, load)
    m = load * (1.0 - b)
    m_below = m.copy()
    steps = ((k - 1) * N).astype(np.int64)
    neg_steps = -steps  # ascending, for searchsorted
    i_max = int(steps.max()) if steps.size else 0
    for i in range(1, i_max + 1):
        cnt = int(np.searchsorted(neg_steps, -i, side="right"))
        sl = slice(0, cnt)
        nn = N[sl]
        j = nn + i
        d = j * MU[sl] / (1.0 + growth * (j / nn - 1.0))
        xb = (L[sl] / d) * b[sl]
        b_new = xb / (1.0 + xb)
        m_below[sl] = m[sl]
        m[sl] = (1.0 - b_new) * m[sl] + b_new * j
        b[sl] = b_new
    b_c = np.empty(b.size)
    b_c[order] = b
    mb = np.empty(b.size)
    mb[order] = np.where(N > 0, m_below, 0.0)
    b_c = b_c.reshape(shape)
    m_below = mb.reshape(shape)
    nu = c * mu / (1.0 + growth * (k - 1))
    with np.errstate(divide="ignore", over="ignore"):
        r = 1.0 / b_c - 1.0
    return c, nu, r, m_below


def _queue_side(lam, nu, theta, c, r, t, mean_busy_below, single_mu, need_asa=True):
    """Outcomes above the server side: contacts queue once all c servers are busy, the queue drains
    at ν (all busy) and each waiting contact abandons at rate θ (θ = 0: Erlang C).

    Virtual wait V (time to reach a server for an infinitely patient arrival) has an atom
    P(V=0) = R π_c and density ν π_c exp(λ H(x) − ν x), H(x) = (1 − e^{−θx})/θ, on x > 0.
    """
    shape = np.broadcast_shapes(lam.shape, nu.shape, theta.shape, c.shape, r.shape, t.shape)
    lam, nu, theta, c, r, t, mean_busy_below = (
        np.broadcast_to(np.asarray(x, dtype=float), shape) for x in (lam, nu, theta, c, r, t, mean_busy_below)
    )
    single_mu = np.broadcast_to(np.asarray(single_mu, dtype=float), shape)
    p_wait = np.zeros(shape)
    sl_off = np.ones(shape)
    sl_ans = np.ones(shape)
    p_w_gt_t = np.zeros(shape)
    asa = np.zeros(shape)
    ab = np.zeros(shape)
    occ = np.zeros(shape)
    wait_all = np.zeros(shape)

    arrivals = lam > 0
    # ---- Erlang C part (θ = 0)
    ec = arrivals & (theta <= 0)
    unstable = ec & (nu <= lam * (1.0 + 1e-12))  # n = A up to rounding counts as unstable
    p_wait[unstable] = 1.0
    sl_off[unstable] = 0.0
    sl_ans[unstable] = 0.0
    p_w_gt_t[unstable] = 1.0
    asa[unstable] = np.inf
    wait_all[unstable] = np.inf
    occ[unstable] = 1.0
    st = ec & ~unstable
    if st.any():
        gap = nu[st] - lam[st]
        g = nu[st] / gap
        pw = g / (r[st] + g)
        tail = pw * np.exp(-gap * t[st])
        p_wait[st] = pw
        sl_off[st] = 1.0 - tail
        sl_ans[st] = 1.0 - tail
        p_w_gt_t[st] = tail
        asa[st] = pw / gap
        wait_all[st] = pw / gap
        occ[st] = _occupancy(lam[st], single_mu[st], c[st], r[st], g, mean_busy_below[st], np.zeros(g.shape))

    # ---- Erlang A part (θ > 0)
    ea = arrivals & (theta > 0)
    # far above the load the queue is empty to double precision: with ν + θ >= 2λ the queue factor
    # M(s, a) <= 2, so P(wait) <= 2/R < 2e-18 — outcomes are their limits, no special functions needed
    empty = ea & (c > 0) & (r > 1e18) & (nu + theta >= 2.0 * lam)
    if empty.any():
        p_wait[empty] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            occ[empty] = np.where(single_mu[empty] > 0, lam[empty] / np.where(single_mu[empty] > 0, single_mu[empty], 1.0) / c[empty],
                                  mean_busy_below[empty] / c[empty])
    ea &= ~empty
    if ea.any():
        lm, nv, th, tt, rr, cc = lam[ea], nu[ea], theta[ea], t[ea], r[ea], c[ea]
        s = nv / th
        a = lm / th
        rr = np.where(cc > 0, np.maximum(rr, 0.0), 0.0)
        log_g = _log_kummer(s, a)
        # π_c = 1 / (R + G) in log space (G may be astronomically large when n << load)
        with np.errstate(divide="ignore"):
            log_r = np.log(rr)
        log_den = np.logaddexp(log_r, log_g)
        log_pi = -log_den
        pw = np.exp(log_g - log_den)  # P(V > 0)
        pv0 = 1.0 - pw
        zero = cc <= 0
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            y = a * np.exp(-th * tt)
            # e^{λH(t) − νt} = e^{a − y − ν t}
            log_e = a - y - nv * tt
            gm1_y = _kummer_m1(s, y)
            log_g_y = np.log1p(gm1_y)
            p_v_gt_t = np.exp(log_pi + log_e + log_g_y)
            served_gt_t = np.where(zero, 0.0, np.exp(log_pi + np.log(s) - np.log(a) + log_e) * gm1_y)
            # P(served after waiting) = π_c (s/a) (G − 1); P(abandon) = P(V > 0) − that
            served_q = np.where(zero, 0.0, np.exp(log_pi + np.log(s) - np.log(a)) * _kummer_m1(s, a, log_g))
        abandon = np.where(zero, 1.0, np.clip(pw - served_q, 0.0, 1.0))
        # the tagged-customer series gives the mean wait of answered contacts, and P(abandon)
        # without cancellation where abandonment is a tiny share of the waiting (long patience)
        # Where P(wait) < 1e-13 the answered contacts' mean wait is below 1e-13 × (a few handling
        # times), i.e. under a nanosecond: it is reported as 0 without the series.
        negligible = ~zero & (pw < 1e-13) & (nv + th >= 2.0 * lm)
        series = ~zero & ((need_asa & ~negligible) | (abandon < 1e-4 * pw))
        e_v_served = np.full(s.shape, np.nan)
        e_v_served[zero | negligible] = 0.0
        precise = series & (abandon < 1e-4 * pw)
        if series.any():
            wait_sum, queue_sum = _queue_series(s[series], a[series], log_pi[series], need_queue=bool(precise.any()))
            e_v_served[series] = s[series] / th[series] * wait_sum
            sub = precise[series]
            abandon[precise] = np.clip(queue_sum[sub] / a[precise], 0.0, 1.0)
        answered = 1.0 - abandon
        sl_o = np.clip(1.0 - abandon - served_gt_t, 0.0, 1.0)
        p_gt = np.clip(np.exp(-th * tt) * p_v_gt_t, 0.0, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            asa_a = np.where(answered > 0, e_v_served / answered, np.nan)
            sl_a = np.where(answered > 0, sl_o / answered, np.nan)
        p_wait[ea] = np.clip(pw, 0.0, 1.0)
        sl_off[ea] = sl_o
        sl_ans[ea] = np.where(np.isnan(sl_a), np.nan, np.clip(sl_a, 0.0, 1.0))
        p_w_gt_t[ea] = p_gt
        asa[ea] = asa_a
        ab[ea] = abandon
        wait_all[ea] = abandon / th
        with np.errstate(over="ignore"):
            occ[ea] = _occupancy(lm, single_mu[ea], cc, rr, np.exp(log_g), mean_busy_below[ea], abandon, pv0=pv0, pw=pw)
    return p_wait, sl_off, sl_ans, 1.0 - p_w_gt_t, asa, ab, occ, wait_all


def _occupancy(lam, single_mu, c, r, g, mean_busy_below, abandon, pv0=None, pw=None):
    """Share of server capacity busy. Single-skill agents (``single_mu`` > 0): carried load / n by
    Little's law; chat slots (``single_mu`` = 0): E[min(j, c)] / c from the birth-death chain."""
    out = np.empty(lam.shape)
    single = single_mu > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        carried = lam * (1.0 - abandon) / np.where(single, single_mu, 1.0)
        occ_single = np.where(c > 0, np.minimum(1.0, carried / c), np.nan)
        if pw is None:
            pw = g / (r + g)
            pv0 = 1.0 - pw
        occ_chat = np.where(c > 0, (pv0 * mean_busy_below + c * pw) / c, np.nan)
    out[:] = np.where(single, occ_single, occ_chat)
    return out


def _theta(patience_s) -> np.ndarray:
    """Abandonment rate per second from mean patience (None or inf -> 0: Erlang C)."""
    if patience_s is None:
        return np.zeros(())
    p = np.asarray(patience_s, dtype=float)
    if (p <= 0).any():
        raise StaffingError(f"patience_s must be > 0 (or None for no abandonment), got {patience_s!r}")
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(p), 0.0, 1.0 / p)


def _check_inputs(arrival_rate_per_h, aht_s, answer_within_s, concurrency, concurrency_aht_growth) -> None:
    if (np.asarray(arrival_rate_per_h, dtype=float) < 0).any() or not np.isfinite(arrival_rate_per_h).all():
        raise StaffingError(f"arrival rate must be finite and >= 0 contacts per hour, got {arrival_rate_per_h!r}")
    if (np.asarray(aht_s, dtype=float) <= 0).any():
        raise StaffingError(f"aht_s must be > 0 seconds, got {aht_s!r}")
    if (np.asarray(answer_within_s, dtype=float) < 0).any():
        raise StaffingError(f"answer_within_s must be >= 0 seconds, got {answer_within_s!r}")
    if int(concurrency) != concurrency or concurrency < 1:
        raise StaffingError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    if concurrency_aht_growth < 0:
        raise StaffingError(f"concurrency_aht_growth must be >= 0, got {concurrency_aht_growth!r}")


def _metrics(lam, mu, n, t, theta, concurrency, growth, definition, server=None, need_asa=True) -> ServiceMetrics:
    if concurrency == 1:
        if server is None:
            c, nu, r = _server_side_single(lam, mu, n)
        else:
            c, nu, r = server
        busy_below = np.zeros(())
        single_mu = mu
    else:
        c, nu, r, busy_below = _server_side_chat(lam, mu, n, int(concurrency), float(growth))
        single_mu = np.zeros(())
    shape = np.broadcast_shapes(np.shape(lam), np.shape(mu), np.shape(n), np.shape(t), np.shape(theta))
    b = lambda x: np.broadcast_to(np.asarray(x, dtype=float), shape)  # noqa: E731
    pw, sl_o, sl_a, sl_n, asa, ab, occ, wall = _queue_side(
        b(lam), b(nu), b(theta), b(c), b(r), b(t), b(busy_below), b(single_mu), need_asa
    )
    sl = {"offered": sl_o, "answered": sl_a, "no_wait_gt_t": sl_n}[definition]
    return ServiceMetrics(pw, sl, sl_o, sl_a, sl_n, asa, ab, occ, wall, definition)


def queue_metrics(
    arrival_rate_per_h,
    aht_s,
    agents,
    answer_within_s,
    patience_s=None,
    *,
    concurrency: int = 1,
    concurrency_aht_growth: float = 0.0,
    definition: str = "offered",
) -> ServiceMetrics:
    """Stationary service of a live queue with ``agents`` effective agents, elementwise (numpy
    broadcasting over every argument except the concurrency settings).

    ``patience_s`` None (or inf): Erlang C (M/M/n); a mean patience: Erlang A (M/M/n+M). With
    ``concurrency`` k > 1 each agent serves up to k chats, a chat taking
    ``aht_s·(1 + concurrency_aht_growth·(m − 1))`` at m chats per agent (docs/staffing.md).
    """
    _check_definition(definition)
    _check_inputs(arrival_rate_per_h, aht_s, answer_within_s, concurrency, concurrency_aht_growth)
    n = np.asarray(agents, dtype=float)
    if (n < 0).any() or (n != np.floor(n)).any():
        raise StaffingError(f"agents must be whole numbers >= 0, got {agents!r}")
    lam = np.asarray(arrival_rate_per_h, dtype=float) / 3600.0
    mu = 1.0 / np.asarray(aht_s, dtype=float)
    return _metrics(lam, mu, n, np.asarray(answer_within_s, dtype=float), _theta(patience_s),
                    concurrency, concurrency_aht_growth, definition)


def service_grid(
    arrival_rate_per_h,
    aht_s,
    n_lo,
    width: int,
    answer_within_s,
    patience_s=None,
    *,
    concurrency: int = 1,
    concurrency_aht_growth: float = 0.0,
    definition: str = "offered",
    need_asa: bool = True,
) -> ServiceMetrics:
    """Metrics for n = n_lo .. n_lo + width − 1 agents: arrays of shape (len(arrival_rate_per_h), width).

    ``arrival_rate_per_h`` is 1-D (one value per interval); the other per-interval arguments are
    scalars or 1-D of the same length. Erlang B is evaluated once at ``n_lo`` (closed form) and
    carried upward by its recursion, so a grid costs one pass over ``width``. With abandonment,
    ``need_asa=False`` skips the series behind ``asa_s`` (left nan where the queue is not empty).
    """
    _check_definition(definition)
    _check_inputs(arrival_rate_per_h, aht_s, answer_within_s, concurrency, concurrency_aht_growth)
    lam = np.atleast_1d(np.asarray(arrival_rate_per_h, dtype=float)) / 3600.0
    T = lam.shape[0]
    col = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (T,))[:, None]  # noqa: E731
    mu = col(1.0 / np.asarray(aht_s, dtype=float))
    t = col(answer_within_s)
    theta = col(_theta(patience_s))
    lo = col(n_lo)
    n = lo + np.arange(width)[None, :]
    lam2 = lam[:, None]
    if concurrency == 1:
        load = (lam2 / mu)[:, 0]
        inv = np.empty((T, width))
        inv[:, 0] = _inv_erlang_b(lo[:, 0], load)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            step = np.where(load > 0, 1.0 / np.where(load > 0, load, 1.0), np.inf)
            for j in range(1, width):
                inv[:, j] = 1.0 + (lo[:, 0] + j) * step * inv[:, j - 1]
        inv = np.where(np.isnan(inv), np.inf, inv)
        if not (theta > 0).any():
            return _erlang_c_grid(lam2, mu, n, inv, t, definition)
        server = (n, n * mu, inv - 1.0)
        return _metrics(lam2, mu, n, t, theta, 1, 0.0, definition, server=server, need_asa=need_asa)
    return _metrics(lam2, mu, n, t, theta, concurrency, concurrency_aht_growth, definition, need_asa=need_asa)


# ==============================================================================================
# Required agents (exact inversion)


@dataclass(frozen=True)
class Targets:
    """What a live queue must meet in each interval (None: no such target).

    ``service_level`` is P(answered within ``answer_within_s``) under ``definition``;
    ``asa_target_s`` caps the mean wait of answered contacts; ``max_abandon`` the share of arrivals
    that abandon; ``max_occupancy`` the share of capacity busy.
    """

    answer_within_s: float
    service_level: float
    definition: str = "offered"
    asa_target_s: float | None = None
    max_abandon: float | None = None
    max_occupancy: float | None = None


def meets_targets(m: ServiceMetrics, targets: Targets) -> np.ndarray:
    """Boolean array: where the metrics meet every target (float noise of 1e-12 forgiven)."""
    ok = m.service_level >= targets.service_level - 1e-12
    if targets.asa_target_s is not None:
        ok &= m.asa_s <= targets.asa_target_s * (1.0 + 1e-12)
    if targets.max_abandon is not None:
        ok &= m.abandon_rate <= targets.max_abandon + 1e-12
    if targets.max_occupancy is not None:
        ok &= m.occupancy <= targets.max_occupancy + 1e-12
    return ok


def _lower_bound(load_eff: np.ndarray, theta: float, targets: Targets, concurrency: int) -> np.ndarray:
    """A number of agents below which no target set can be met (load_eff: agents' worth of work at
    full concurrency). Erlang C must be stable (and, one chat per agent, has occupancy load/n);
    Erlang A serves at most n/load of arrivals."""
    if theta <= 0:
        lo = np.floor(load_eff)
        if targets.max_occupancy is not None and concurrency == 1:
            lo = np.maximum(lo, np.floor(load_eff / targets.max_occupancy) - 1)
    elif targets.definition == "offered":
        lo = np.floor(targets.service_level * load_eff) - 1
    else:
        lo = np.zeros(load_eff.shape)
    return np.maximum(lo, 0.0)


def required_agents(
    arrival_rate_per_h,
    aht_s,
    answer_within_s: float,
    target_sl: float,
    *,
    patience_s: float | None = None,
    definition: str = "offered",
    asa_target_s: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
    concurrency: int = 1,
    concurrency_aht_growth: float = 0.0,
) -> np.ndarray:
    """Smallest number of effective agents meeting every given target, elementwise over
    ``arrival_rate_per_h`` (and ``aht_s``). Zero arrivals need zero agents.

    Exact: the metrics are evaluated on a grid of n from a proven lower bound upward and the first
    n meeting all targets is returned (every metric is monotone in n). Raises StaffingError if no
    staffing up to 100 × (load + 10) meets the targets.
    """
    targets = Targets(float(answer_within_s), float(target_sl), definition, asa_target_s, max_abandon, max_occupancy)
    if (np.ndim(arrival_rate_per_h) == 0 and np.ndim(aht_s) == 0 and patience_s is None and concurrency == 1
            and definition in SL_DEFINITIONS and 0.0 < targets.service_level <= 1.0):
        return _required_erlang_c_scalar(float(arrival_rate_per_h), float(aht_s), targets)
    return _required(np.asarray(arrival_rate_per_h, dtype=float), aht_s, targets, patience_s,
                     int(concurrency), float(concurrency_aht_growth))


def _required_erlang_c_scalar(rate_per_h: float, aht_s: float, targets: Targets) -> np.int64:
    """One interval of Erlang C in plain floats (a loop over n costs less than numpy's per-call
    overhead); the same formulas, bound and tolerances as the vectorised path."""
    _check_inputs(rate_per_h, aht_s, targets.answer_within_s, 1, 0.0)
    load = rate_per_h * aht_s / 3600.0
    if load <= 0.0:
        return np.int64(0)
    n = int(_lower_bound(np.array([load]), 0.0, targets, 1)[0])
    inv = float(_inv_erlang_b(n, load))
    mu = 1.0 / aht_s
    cap = 100.0 * (load + 10.0)
    while n <= cap:
        if n > load * (1.0 + 1e-12):
            g = n / (n - load)
            c = g / (inv - 1.0 + g)
            gap = (n - load) * mu
            ok = 1.0 - c * np.exp(-gap * targets.answer_within_s) >= targets.service_level - 1e-12
            if ok and targets.asa_target_s is not None:
                ok = c / gap <= targets.asa_target_s * (1.0 + 1e-12)
            if ok and targets.max_occupancy is not None:
                ok = load / n <= targets.max_occupancy + 1e-12
            if ok:
                return np.int64(n)
        n += 1
        inv = 1.0 + n / load * inv
    raise StaffingError(f"no staffing up to {int(cap)} agents meets the targets {targets} at {rate_per_h:g} contacts/h "
                        f"and aht_s {aht_s:g}")


def _erlang_c_grid(lam, mu, n, inv_b, t, definition) -> ServiceMetrics:
    """Erlang C on a (T, width) grid in whole-array operations (the fast path of service_grid);
    same formulas and conventions as _queue_side."""
    load = lam / mu
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        arrivals = lam > 0
        stable = n > load * (1.0 + 1e-12)
        gap = (n - load) * mu
        g = n / (n - load)
        c = g / (inv_b - 1.0 + g)
        tail = c * np.exp(-gap * t)
        p_wait = np.where(arrivals, np.where(stable, c, 1.0), 0.0)
        sl = np.where(arrivals, np.where(stable, 1.0 - tail, 0.0), 1.0)
        asa = np.where(arrivals, np.where(stable, c / gap, np.inf), 0.0)
        occ = np.where(arrivals, np.where(stable, load / n, 1.0), 0.0)
    zero = np.zeros(sl.shape)
    return ServiceMetrics(p_wait, sl, sl, sl, sl, asa, zero, occ, asa, definition)


def _required(rate_per_h: np.ndarray, aht_s, targets: Targets, patience_s, concurrency: int, growth: float) -> np.ndarray:
    _check_definition(targets.definition)
    if not 0.0 < targets.service_level <= 1.0:
        raise StaffingError(f"target service level must be in (0, 1], got {targets.service_level!r}")
    shape = rate_per_h.shape
    rate = np.atleast_1d(rate_per_h).ravel()
    aht = np.broadcast_to(np.asarray(aht_s, dtype=float), shape).ravel() if np.ndim(aht_s) else np.full(rate.shape, float(aht_s))
    _check_inputs(rate, aht, targets.answer_within_s, concurrency, growth)
    theta = float(_theta(patience_s))
    load_eff = rate * aht / 3600.0 * (1.0 + growth * (concurrency - 1)) / concurrency
    out = np.zeros(rate.shape, dtype=np.int64)
    todo = np.nonzero(rate > 0)[0]
    floor_n = _lower_bound(load_eff, theta, targets, concurrency)
    cap = 100.0 * (load_eff + 10.0)
    # a window of agents around the square-root-staffing guess A + z·sqrt(A); rows move it left
    # while its first column already meets the targets (and the proven bound allows), right while
    # no column does: the first n meeting every target is then exact (the metrics are monotone)
    width = 8 if theta <= 0 and concurrency == 1 else 12
    z = float(max(0.0, ndtri(min(targets.service_level, 0.999))))
    start = np.maximum(floor_n, np.round(load_eff + z * np.sqrt(load_eff)) - width // 2)
    known_ok = np.full(rate.shape, -1.0)
    while todo.size:
        lo = start[todo]
        m = service_grid(rate[todo], aht[todo], lo, width, targets.answer_within_s, patience_s,
                         concurrency=concurrency, concurrency_aht_growth=growth, definition=targets.definition,
                         need_asa=targets.asa_target_s is not None)
        ok = meets_targets(m, targets)
        hit = ok.any(axis=1)
        first = np.argmax(ok, axis=1)
        go_left = hit & (first == 0) & (lo > floor_n[todo])
        done = hit & ~go_left
        answer = lo + first
        # a window left of one whose first column met the targets, itself meeting none: the answer
        # is that first column
        known = known_ok[todo]
        closed = ~hit & (known == lo + width)
        answer = np.where(closed, known, answer)
        done |= closed
        out[todo[done]] = answer[done].astype(np.int64)
        known_ok[todo[go_left]] = lo[go_left]
        start[todo[go_left]] = np.maximum(floor_n[todo[go_left]], lo[go_left] - width)
        right = ~hit & ~closed
        start[todo[right]] = lo[right] + width
        todo = todo[~done]
        over = start[todo] > cap[todo]
        if over.any():
            i = todo[over][0]
            raise StaffingError(
                f"no staffing up to {int(start[i])} agents meets the targets {targets} at {rate[i]:g} contacts/h "
                f"and aht_s {aht[i]:g}; check the SLA (a target of 1.0 with answer_within_s 0 cannot be met)"
            )
    return out.reshape(shape) if shape else out[0]


# ==============================================================================================
# Time-varying load: lagged offered load


def offered_load(arrival_rate_per_h, aht_s: float, interval_min: float) -> np.ndarray:
    """Mean number of contacts in service per interval in an infinite-server system fed by the
    piecewise-constant ``arrival_rate_per_h`` (exponential handling, mean ``aht_s``), starting in
    equilibrium with the first interval's rate.

    This is the *lagged offered load*: m' = λ(t) − m/aht. Per interval k, with q = e^{−Δ/aht},
    m_{k+1} = q·m_k + (1 − q)·λ_k·aht and the interval mean is
    λ_k·aht + (m_k − λ_k·aht)(1 − q)·aht/Δ. Stationary staffing uses λ_k·aht instead; the two
    differ when aht is not small against the interval (after a sharp rise the load still lags,
    after a drop contacts in progress linger). Computed with a linear filter (no Python loop).
    """
    rate = np.asarray(arrival_rate_per_h, dtype=float) / 3600.0
    if rate.size == 0:
        return rate.copy()
    x = rate * aht_s  # stationary load, Erlangs
    dt = interval_min * 60.0
    q = float(np.exp(-dt / aht_s))
    # m_k = (1 − q) Σ_{l>=0} q^l x_{k−1−l} with x_{i<0} = x_0 (equilibrium start): a convolution
    # with the kernel truncated where q^l < 1e-17
    taps = x.size + 1 if q >= 1.0 - 1e-12 else int(min(x.size + 1, np.ceil(np.log(1e-17) / np.log(q)) + 1)) if q > 0 else 1
    kernel = (1.0 - q) * q ** np.arange(taps)
    padded = np.concatenate([np.full(taps, x[0]), x[:-1]])
    m_start = np.convolve(padded, kernel, mode="full")[taps - 1 : taps - 1 + x.size]
    m_start += x[0] * q**taps  # the equilibrium start's weight beyond the kernel
    return x + (m_start - x) * (1.0 - q) * aht_s / dt


# ==============================================================================================
# Deferred work: deadlines in business hours


def deferred_capacity(work_h, open_mask, deadline_intervals: int) -> tuple[np.ndarray, np.ndarray]:
    """Least cumulative capacity that meets every deadline, and the backlog under it.

    ``work_h[t]``: agent-hours arriving in interval t; ``open_mask[t]``: the queue works in t;
    work of open interval t is due by the end of the open interval ``deadline_intervals`` later
    (counted in open intervals only); work arriving while closed counts as arriving at the next
    opening. Returns ``(min_capacity_h, backlog_h)``: ``min_capacity_h[t]`` is the work *due* in t
    (as-late-as-possible plan): every feasible plan has done at least its running sum by the end of
    t, and may do work earlier, in troughs. ``backlog_h[t]``: work arrived but not done at the end
    of t under that plan. Work due after the horizon stays in the final backlog.
    """
    work = np.asarray(work_h, dtype=float)
    open_ = np.asarray(open_mask, dtype=bool)
    if work.shape != open_.shape:
        raise StaffingError(f"work_h and open_mask differ in length ({work.size} vs {open_.size})")
    if deadline_intervals < 0:
        raise StaffingError(f"deadline_intervals must be >= 0, got {deadline_intervals}")
    n_open = int(open_.sum())
    min_cap = np.zeros(work.shape)
    if n_open == 0:
        return min_cap, np.cumsum(work)
    open_before = np.cumsum(open_) - open_  # open intervals strictly before t
    arrival_open_idx = open_before  # open-index of t if open, else of the next opening
    due_idx = arrival_open_idx + deadline_intervals
    due_per_open = np.bincount(due_idx[due_idx < n_open], weights=work[due_idx < n_open], minlength=n_open)
    min_cap[np.nonzero(open_)[0]] = due_per_open
    backlog = np.cumsum(work) - np.cumsum(min_cap)
    return min_cap, np.maximum(backlog, 0.0)


# ==============================================================================================
# build_requirements


def _targets_of(queue: Queue) -> Targets:
    sla = queue.sla
    return Targets(
        answer_within_s=float(sla.answer_within_s),
        service_level=float(sla.target),
        definition=sla.definition,
        asa_target_s=sla.asa_target_s,
        max_abandon=sla.max_abandon,
        max_occupancy=queue.max_occupancy,
    )


MAX_CURVE_CELLS = 20_000_000  # per live queue: intervals × (n_max + 1); six float arrays of this size ≈ 1 GB


def curve_margin(peak_required: int) -> int:
    """Agents above the peak requirement covered by the curves: max(10, 20 % of the peak)."""
    return int(max(10, np.ceil(0.2 * peak_required)))


def _open_mask(ds: pd.DatetimeIndex, hours: tuple[int, int]) -> np.ndarray:
    a, b = hours
    minute = ds.hour * 60 + ds.minute
    m = np.asarray(minute)
    return ((m >= a) & (m < b)) | ((m + 1440 >= a) & (m + 1440 < b))


def _validate_forecast(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    missing = [c for c in (C.DS, C.QUEUE, C.VOLUME) if c not in frame.columns]
    if missing:
        raise StaffingError(
            f"forecast frame lacks column(s) {', '.join(missing)}; expected columns {', '.join(C.FORECAST_COLUMNS)}"
        )
    df = frame[[C.DS, C.QUEUE, C.VOLUME]].copy()
    df[C.QUEUE] = df[C.QUEUE].astype(str)
    try:
        df[C.DS] = pd.to_datetime(df[C.DS])
    except (ValueError, TypeError) as exc:
        raise StaffingError(f"forecast column {C.DS!r}: not timestamps ({exc})") from None
    vol = pd.to_numeric(df[C.VOLUME], errors="coerce")
    bad = vol.isna() | (vol < 0) | ~np.isfinite(vol.fillna(0))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise StaffingError(
            f"forecast row {i + 1} (queue {df[C.QUEUE].iloc[i]!r}, {df[C.DS].iloc[i]}): column {C.VOLUME!r} "
            f"is {frame[C.VOLUME].iloc[i].item() if hasattr(frame[C.VOLUME].iloc[i], 'item') else frame[C.VOLUME].iloc[i]!r}; expected a number >= 0 ({int(bad.sum())} such rows)"
        )
    df[C.VOLUME] = vol.astype(float)
    present = set(pd.unique(df[C.QUEUE].astype(str)))
    unknown = sorted(present - set(scenario.queues))
    if unknown:
        raise StaffingError(
            f"forecast has queue(s) {', '.join(map(repr, unknown))} not defined in the scenario "
            f"(queues: {', '.join(scenario.queues)})"
        )
    absent = [q for q in scenario.queues if q not in present]
    if absent:
        raise StaffingError(f"forecast has no rows for queue(s) {', '.join(map(repr, absent))} of the scenario")
    dup = df.duplicated([C.DS, C.QUEUE])
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise StaffingError(f"forecast row {i + 1}: a second row for queue {df[C.QUEUE].iloc[i]!r} at {df[C.DS].iloc[i]}")
    return df


def build_requirements(forecast_frame: pd.DataFrame, scenario: Scenario) -> Requirements:
    """Required effective agents per queue × interval, service-level curves (live queues) and
    deadline capacity (deferred queues). See docs/architecture.md "Requirements" and docs/staffing.md.

    ``forecast_frame``: ``ds, queue, volume`` (+ ``volume_lo, volume_hi, model``), one row per queue ×
    interval, volume = contacts offered to humans in the interval. Every queue must cover the same
    regular grid of ``scenario.interval_min`` minutes.
    """
    df = _validate_forecast(forecast_frame, scenario)
    step = pd.Timedelta(minutes=scenario.interval_min)
    wide = df.pivot(index=C.DS, columns=C.QUEUE, values=C.VOLUME).sort_index()
    ds = pd.DatetimeIndex(wide.index)
    if len(ds) > 1:
        off = np.asarray(ds[1:] - ds[:-1] != step)
        if off.any():
            i = int(np.argmax(off))
            raise StaffingError(
                f"forecast intervals are not a regular {scenario.interval_min}-minute grid: {ds[i]} is followed by {ds[i + 1]}"
            )
    holes = wide.isna()
    if holes.any().any():
        q = holes.any().idxmax()
        t = holes[q].idxmax()
        raise StaffingError(f"forecast has no row for queue {q!r} at {t} (every queue needs every interval)")
    interval_h = scenario.interval_min / 60.0
    minute_of_day = np.asarray(ds.hour * 60 + ds.minute)
    tables, curves, deferred = [], {}, {}
    for qname, queue in scenario.queues.items():
        volume = wide[qname].to_numpy(dtype=float)
        rate = volume / interval_h
        first_team = queue.teams[0]
        shrink = np.array([scenario.shrinkage_for(first_team, int(m)) for m in np.unique(minute_of_day)])
        shrink_t = shrink[np.searchsorted(np.unique(minute_of_day), minute_of_day)]
        if queue.is_live:
            curve, req, rate_eff, asa_at = _live_queue(qname, queue, ds, volume, rate, scenario.interval_min)
            curves[qname] = curve
            rows = np.arange(len(ds))
            at = np.minimum(req, curve.n_max)
            table = pd.DataFrame({
                C.INTERVAL_START: ds,
                C.QUEUE: qname,
                C.VOLUME: volume,
                C.AHT_S: float(queue.aht_s),
                C.WORKLOAD: rate_eff * queue.aht_s / 3600.0,
                C.REQUIRED: req,
                C.SERVICE_LEVEL: curve.service_level[rows, at],
                "asa_s": asa_at,
                "abandon_rate": curve.abandon_rate[rows, at],
                "occupancy": curve.occupancy[rows, at],
                "kind": "live",
                "sl_definition": queue.sla.definition,
            })
        else:
            work_h = volume * queue.aht_s / 3600.0
            open_ = _open_mask(ds, queue.open_minutes)
            h_int = int(np.ceil(queue.sla.resolve_within_h * 60.0 / scenario.interval_min - 1e-9))
            min_cap, backlog = deferred_capacity(work_h, open_, h_int)
            deferred[qname] = DeferredWork(qname, ds, work_h, h_int, min_cap, backlog)
            table = pd.DataFrame({
                C.INTERVAL_START: ds,
                C.QUEUE: qname,
                C.VOLUME: volume,
                C.AHT_S: float(queue.aht_s),
                C.WORKLOAD: work_h / interval_h,
                C.REQUIRED: min_cap / interval_h,
                C.SERVICE_LEVEL: 1.0,
                "asa_s": np.nan,
                "abandon_rate": np.nan,
                "occupancy": np.nan,
                "kind": "deferred",
                "sl_definition": f"resolve_within_{queue.sla.resolve_within_h:g}h",
                "backlog_h": backlog,
            })
        table["rostered_estimate"] = table[C.REQUIRED] / (1.0 - shrink_t)
        tables.append(table)
    out = pd.concat(tables, ignore_index=True)
    return Requirements(table=out, curves=curves, deferred=deferred, interval_min=scenario.interval_min)


def _live_queue(qname: str, queue: Queue, ds: pd.DatetimeIndex, volume: np.ndarray, rate: np.ndarray, interval_min: int):
    targets = _targets_of(queue)
    k = int(queue.concurrency)
    growth = float(queue.concurrency_aht_growth) if k > 1 else 0.0
    rate_eff = rate.copy()
    if queue.lagged_load:
        handling_s = queue.aht_s * (1.0 + growth * (k - 1))
        lagged = offered_load(rate, handling_s, interval_min)
        rate_eff = np.where(volume > 0, lagged * 3600.0 / handling_s, 0.0)
    req = _required(rate_eff, queue.aht_s, targets, queue.patience_s, k, growth)
    peak = int(req.max()) if req.size else 0
    n_max = peak + curve_margin(peak)
    cells = len(rate_eff) * (n_max + 1)
    if cells > MAX_CURVE_CELLS:
        raise StaffingError(
            f"queue {qname!r}: service-level curves would hold {cells:,} cells ({len(rate_eff)} intervals × "
            f"{n_max + 1} agent counts, peak requirement {peak}); the limit is {MAX_CURVE_CELLS:,} (about 1 GB). "
            f"Plan a shorter horizon, or check the forecast volume and aht_s of this queue"
        )
    grid = functools.partial(service_grid, rate_eff, queue.aht_s, np.zeros(rate_eff.shape), n_max + 1,
                             targets.answer_within_s, queue.patience_s, concurrency=k, concurrency_aht_growth=growth,
                             definition=targets.definition)
    m = grid(need_asa=False)
    lost = volume[:, None] * (1.0 - m.sl_offered)
    curve = LiveCurve(
        queue=qname, interval_start=ds, volume=volume, service_level=m.service_level, lost=lost,
        abandon_rate=m.abandon_rate,
        # Erlang A skipped the ASA series above (need_asa=False): computed on first use; Erlang C has it
        asa_source=(lambda: grid().asa_s) if float(_theta(queue.patience_s)) > 0 else m.asa_s,
        occupancy=m.occupancy, sl_definition=targets.definition,
    )
    at = np.minimum(req, n_max)
    asa_at = service_grid(rate_eff, queue.aht_s, at, 1, targets.answer_within_s, queue.patience_s, concurrency=k,
                          concurrency_aht_growth=growth, definition=targets.definition).asa_s[:, 0]
    return curve, req, rate_eff, asa_at


def erlang_table(volume: float, interval_min: float, aht_s: float, targets: Targets, *, patience_s: float | None = None,
                 concurrency: int = 1, concurrency_aht_growth: float = 0.0, shrinkage: float = 0.0,
                 rows: int = 3) -> dict:
    """One interval, as ``scheduler erlang`` prints it: the required agents, the rostered agents
    after shrinkage and the metrics for ``rows`` agents either side of the answer (plain dict)."""
    if interval_min <= 0:
        raise StaffingError(f"interval_min must be > 0, got {interval_min!r}")
    rate = volume * 60.0 / interval_min
    growth = concurrency_aht_growth if concurrency > 1 else 0.0
    n = int(_required(np.asarray(float(rate)), aht_s, targets, patience_s, int(concurrency), float(growth)))
    answer_within_s, definition = targets.answer_within_s, targets.definition
    lo = max(0, n - rows)
    ns = np.arange(lo, n + rows + 1)
    m = queue_metrics(rate, aht_s, ns, answer_within_s, patience_s, concurrency=concurrency,
                      concurrency_aht_growth=growth, definition=definition)
    model = "Erlang A (M/M/n+M)" if patience_s else "Erlang C (M/M/n)"
    if concurrency > 1:
        model += f", chat concurrency {concurrency} (handling +{growth:g} per extra chat)"
    table = [
        {"agents": int(k), "service_level": float(m.service_level[i]), "asa_s": float(m.asa_s[i]),
         "abandon_rate": float(m.abandon_rate[i]), "occupancy": float(m.occupancy[i]), "p_wait": float(m.p_wait[i])}
        for i, k in enumerate(ns)
    ]
    return {
        "model": model,
        "load_erlangs": rate * aht_s / 3600.0,
        "sl_definition": definition,
        "required": n,
        "rostered": int(scheduled_agents(n, shrinkage)),
        "table": table,
    }


# ==============================================================================================
# Overflow


@dataclass(frozen=True)
class OverflowMetrics:
    """A primary team that passes a contact still waiting after ``overflow_after_s`` (τ) to a backup
    team (M/M/n + D(τ), no abandonment before τ), elementwise.

    ``p_wait``: P(a contact waits at all on the primary); ``p_overflow``: share of arrivals passed
    to the backup; ``answered_by_primary_within_t``: share answered by the primary within
    ``answer_within_s`` (for t >= τ: every contact not overflowed); ``overflow_rate_per_h`` and
    ``overflow_load_erlangs`` (at the backup's handling time) — the *mean* of a peaky stream;
    ``naive_backup_p_wait``: Erlang C for the backup team as if that stream were Poisson, which
    understates the backup's waiting badly (docs/staffing.md, "Overflow").
    """

    p_wait: np.ndarray
    p_overflow: np.ndarray
    answered_by_primary_within_t: np.ndarray
    overflow_rate_per_h: np.ndarray
    overflow_load_erlangs: np.ndarray
    naive_backup_p_wait: np.ndarray


def overflow_metrics(arrival_rate_per_h, aht_s, primary_agents, overflow_after_s, answer_within_s,
                     backup_agents=None, backup_aht_s=None) -> OverflowMetrics:
    """Exact time-threshold overflow, elementwise (see :class:`OverflowMetrics`).

    The primary's virtual wait V has an atom P(V = 0) = R π and density ν π e^{λ min(x, τ) − ν x}
    on x > 0 (ν = nμ; R = 1/B(n, A) − 1); so with δ = ν − λ, P(V > x) = π (ν (e^{−δx} − e^{−δτ})/δ
    + e^{−δτ}) for x <= τ and P(overflow) = P(V > τ) = π e^{−δτ}. Stable at any load: contacts
    beyond τ leave the primary.
    """
    lam = np.asarray(arrival_rate_per_h, dtype=float) / 3600.0
    aht = np.asarray(aht_s, dtype=float)
    n = np.asarray(primary_agents, dtype=float)
    tau = np.asarray(overflow_after_s, dtype=float)
    t = np.asarray(answer_within_s, dtype=float)
    if (tau < 0).any() or (t < 0).any() or (n < 0).any() or (lam < 0).any() or (aht <= 0).any():
        raise StaffingError("overflow_metrics: rates, agents and times must be >= 0 and aht_s > 0")
    nu = n / aht
    r = np.where(n > 0, _inv_erlang_b(n, lam * aht) - 1.0, 0.0)
    delta = nu - lam

    def tail(x):  # P(V > x) / π for x <= τ
        x = np.minimum(x, tau)
        with np.errstate(over="ignore", invalid="ignore"):
            span = np.where(np.abs(delta) * np.maximum(tau, 1e-300) < 1e-12, tau - x,
                            (np.exp(-delta * x) - np.exp(-delta * tau)) / np.where(delta == 0, 1.0, delta))
            return nu * span + np.exp(-delta * tau)

    g = tail(np.zeros_like(tau))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pi = 1.0 / (r + g)
        p_wait = np.where(lam > 0, np.clip(pi * g, 0.0, 1.0), 0.0)
        p_ovf = np.where(lam > 0, np.clip(pi * np.exp(-delta * tau), 0.0, 1.0), 0.0)
        within = np.where(t >= tau, 1.0 - p_ovf, 1.0 - np.where(lam > 0, pi * tail(t), 0.0))
    backup_aht = aht if backup_aht_s is None else np.asarray(backup_aht_s, dtype=float)
    ovf_rate = lam * p_ovf * 3600.0
    ovf_load = lam * p_ovf * backup_aht
    if backup_agents is None:
        naive = np.full(np.shape(ovf_load), np.nan)
    else:
        naive = queue_metrics(ovf_rate, backup_aht, backup_agents, 0.0).p_wait
    return OverflowMetrics(p_wait, p_ovf, np.clip(within, 0.0, 1.0), ovf_rate, ovf_load, naive)


@dataclass(frozen=True)
class LossOverflow:
    """Classic overflow from a loss group of n1 servers offered A Erlangs to a backup of n2.

    ``mean_erlangs`` = A·B(n1, A) and ``variance`` (Riordan) of the overflow traffic;
    ``peakedness`` z = variance / mean (> 1: burstier than Poisson); backup call congestion three
    ways: ``exact_congestion`` (sequential hunting = one group of n1 + n2),
    ``hayward_congestion`` (B(n2/z, m/z), continuous Erlang B) and ``naive_congestion``
    (Erlang B as if the overflow were Poisson).
    """

    mean_erlangs: np.ndarray
    variance: np.ndarray
    peakedness: np.ndarray
    exact_congestion: np.ndarray
    hayward_congestion: np.ndarray
    naive_congestion: np.ndarray


def loss_overflow(load_erlangs, primary_agents, backup_agents) -> LossOverflow:
    """Riordan moments and Hayward's approximation for overflow traffic (see :class:`LossOverflow`)."""
    a = np.asarray(load_erlangs, dtype=float)
    n1 = np.asarray(primary_agents, dtype=float)
    n2 = np.asarray(backup_agents, dtype=float)
    m = a * erlang_b(n1, a)
    v = m * (1.0 - m + a / (n1 + 1.0 - a + m))
    z = v / m
    exact = a * erlang_b(n1 + n2, a) / m
    hayward = erlang_b(n2 / z, m / z)
    naive = erlang_b(n2, m)
    return LossOverflow(m, v, z, exact, hayward, naive)
