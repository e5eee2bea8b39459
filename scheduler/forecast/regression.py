"""The calendar regression: a quasi-Poisson GLM (log link) with a ridge prior per column.

``log E[y_t] = const + trend (piecewise linear: a global slope plus penalised per-segment
deviations) + day of week
+ yearly Fourier terms + calendar columns + external regressors``.

Fitted by iteratively reweighted least squares with a Gaussian prior (ridge) whose standard
deviation is set per column family: tight on event-specific deviations, loose on kind-level
effects, none on level and slope. The prior is applied on the quasi-likelihood scale
(information divided by the estimated dispersion), so it means the same at 5 or 50,000
contacts a day. Days flagged as outliers (robust Pearson residual beyond
``OUTLIER_Z``) get weight 0 and the model is refitted.

Regressors are matched by **name** and their dates checked to cover the prediction dates
(statsmodels' ``forecast(exog=...)`` checks only the shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.errors import ForecastError

YEAR_DAYS = 365.25
OUTLIER_Z = 4.5
OUTLIER_MIN_RATIO = 1.25
_EPOCH = pd.Timestamp("2000-01-01")

# prior standard deviations (log scale) by column family
PRIOR_SD = {
    "const": np.inf,
    "trend": np.inf,
    "hinge": 0.3,
    "dow": 3.0,
    "fourier": 1.0,
    "kind": 2.0,
    "key": 0.5,
    "exog": 3.0,
}


@dataclass(frozen=True)
class RegressionSpec:
    """Which structural terms the model has.

    ``weekly``: day-of-week columns (daily data); ``fourier_k``: yearly harmonics (0 = none);
    ``trend``: a slope at all (off for histories too short to tell a trend from noise);
    ``knot_every_days``/``knot_margin_days``: trend hinges every so many days, none in the last
    ``knot_margin_days`` of the history.
    """

    weekly: bool = True
    fourier_k: int = 4
    trend: bool = True
    knot_every_days: int = 91
    knot_margin_days: int = 56


def check_regressors(frame: object, names: list[str], index: pd.DatetimeIndex, what: str) -> pd.DataFrame:
    """Regressor values for ``index`` in the fitted column order, checked by name and date.

    Raises ForecastError when ``frame`` is not a named frame, a column is missing or unexpected,
    a date of ``index`` is not covered, or a value is missing/not finite.
    """
    if not names:
        return pd.DataFrame(index=index)
    if not isinstance(frame, pd.DataFrame):
        raise ForecastError(
            f"{what}: regressors must be a DataFrame with named columns indexed by date "
            f"(got {type(frame).__name__}); columns are matched by name, never by position"
        )
    cols = [str(c) for c in frame.columns]
    missing = [n for n in names if n not in cols]
    extra = [c for c in cols if c not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"unexpected {', '.join(map(repr, extra))}")
        raise ForecastError(f"{what}: regressor columns do not match the fitted model ({'; '.join(parts)}); expected {', '.join(map(repr, names))}")
    if frame.columns.duplicated().any():
        raise ForecastError(f"{what}: a regressor column name appears twice")
    idx = pd.DatetimeIndex(frame.index)
    if idx.has_duplicates:
        raise ForecastError(f"{what}: regressor dates repeat (e.g. {idx[idx.duplicated()][0].date()})")
    absent = index.difference(idx)
    if len(absent):
        raise ForecastError(
            f"{what}: regressor dates do not cover the forecast: {len(absent)} date(s) missing, "
            f"first {absent[0].date()}, last {absent[-1].date()} (regressors run {idx.min().date()} .. {idx.max().date()})"
        )
    sub = frame.set_axis(idx).loc[index, names]
    try:
        values = sub.to_numpy(dtype=float)
    except (TypeError, ValueError):
        values = sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    out = pd.DataFrame(values, index=index, columns=names)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ForecastError(f"{what}: regressor {names[c]!r} has no finite value on {index[r].date()} ({int(bad.sum())} such cells)")
    return out


def _family(name: str) -> str:
    if name.startswith("x:"):
        return "exog"
    if name in ("const", "trend"):
        return name
    if name.startswith("hinge"):
        return "hinge"
    if name.startswith("dow"):
        return "dow"
    if name.startswith("year_"):
        return "fourier"
    if "[*]" in name:
        return "kind"
    if "[" in name:
        return "key"
    return "exog"


def fit_penalised_poisson(
    X: np.ndarray, y: np.ndarray, weight: np.ndarray, prior_sd: np.ndarray, *, max_iter: int = 60, tol: float = 1e-7
) -> tuple[np.ndarray, float]:
    """Penalised quasi-Poisson IRLS. Returns (coefficients, dispersion)."""
    prec = np.where(np.isfinite(prior_sd), 1.0 / np.square(prior_sd), 0.0)
    use = weight > 0
    Xu, yu, wu = X[use], y[use], weight[use]
    # columns without any data are pinned at 0 by their prior; give infinite-variance ones a small prior
    active = np.abs(Xu).sum(axis=0) > 0
    prec = np.where(active, prec, np.maximum(prec, 1e4))
    prec = prec + 1e-8
    beta = np.zeros(X.shape[1])
    mean_y = max(float(np.average(yu, weights=wu)) if wu.sum() > 0 else 1.0, 1e-3)
    phi = 1.0
    for outer in range(2):
        eta = np.log(yu + 0.1 * mean_y + 1e-3) if outer == 0 else Xu @ beta
        for _ in range(max_iter):
            mu = np.exp(np.clip(eta, -30, 30))
            z = eta + (yu - mu) / mu
            W = wu * mu / phi
            A = Xu.T @ (W[:, None] * Xu) + np.diag(prec)
            b = Xu.T @ (W * z)
            new = np.linalg.solve(A, b)
            step = np.max(np.abs(new - beta))
            beta = new
            eta = Xu @ beta
            if step < tol:
                break
        mu = np.exp(np.clip(eta, -30, 30))
        n_eff = float(np.count_nonzero(wu))
        p_eff = float(np.count_nonzero(active))
        pearson = float(np.sum(wu * np.square(yu - mu) / np.maximum(mu, 1e-9)))
        phi = max(pearson / max(n_eff - p_eff, 1.0), 1e-3)
    return beta, phi


@dataclass
class CalendarRegression:
    """Daily (or weekly) level model with named regressors. See the module docstring."""

    spec: RegressionSpec = field(default_factory=RegressionSpec)
    columns: list[str] = field(default_factory=list)
    beta: np.ndarray | None = None
    phi: float = 1.0
    t0: pd.Timestamp | None = None
    knots: list[float] = field(default_factory=list)
    regressor_names: list[str] = field(default_factory=list)
    reg_scale: np.ndarray | None = None
    outliers: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    fitted: pd.Series | None = None
    dows: list[int] = field(default_factory=list)
    dow_map: dict = field(default_factory=dict)   # day -> weekday its level is modelled as

    def weekdays(self, index: pd.DatetimeIndex, use_map: bool = True) -> np.ndarray:
        dow = index.day_of_week.to_numpy().copy()
        if use_map and self.dow_map:
            for i, d in enumerate(index):
                if d in self.dow_map:
                    dow[i] = self.dow_map[d]
        return dow

    # -- design ------------------------------------------------------------------------------
    def _structural(self, index: pd.DatetimeIndex, use_map: bool = True) -> tuple[list[str], np.ndarray]:
        t = ((index - self.t0).days.to_numpy() / YEAR_DAYS)
        names = ["const", "trend"] if self.spec.trend else ["const"]
        cols = [np.ones(len(index)), t] if self.spec.trend else [np.ones(len(index))]
        # slope deviations per segment between knots (the last runs on): each penalised toward
        # the global slope, so a segment the data say little about (e.g. one covered by events)
        # keeps the global slope instead of a free one
        edges = [0.0, *self.knots, np.inf] if self.knots else []
        for j in range(len(edges) - 1):
            names.append(f"hinge{j}")
            cols.append(np.clip(t - edges[j], 0.0, edges[j + 1] - edges[j]))
        if self.spec.weekly:
            dow = self.weekdays(index, use_map)
            for d in self.dows[1:]:
                names.append(f"dow[{d}]")
                cols.append((dow == d).astype(float))
        if self.spec.fourier_k:
            ang = 2 * np.pi * (index - _EPOCH).days.to_numpy() / YEAR_DAYS
            for k in range(1, self.spec.fourier_k + 1):
                names += [f"year_sin{k}", f"year_cos{k}"]
                cols += [np.sin(k * ang), np.cos(k * ang)]
        return names, np.column_stack(cols)

    def design(self, index: pd.DatetimeIndex, regressors: pd.DataFrame | None, what: str = "predict") -> np.ndarray:
        """Design matrix for ``index`` (regressors checked by name and date)."""
        _, S = self._structural(index)
        R = check_regressors(regressors, self.regressor_names, index, what).to_numpy()
        if R.shape[1]:
            R = R / self.reg_scale
        return np.hstack([S, R]) if R.shape[1] else S

    # -- fit / predict -----------------------------------------------------------------------
    def fit(self, y: pd.Series, regressors: pd.DataFrame | None = None, weight: pd.Series | None = None,
            prior_sd: dict[str, float] | None = None) -> "CalendarRegression":
        """Fit on ``y`` (indexed by date; NaN = not observed). ``regressors``: frame indexed by
        date with one named column per regressor, covering y's dates."""
        if not isinstance(y, pd.Series) or not isinstance(y.index, pd.DatetimeIndex):
            raise ForecastError("the level model needs a Series of volumes indexed by date")
        index = y.index
        obs = y.notna().to_numpy()
        if not obs.any():
            raise ForecastError("the level model has no observed values to fit")
        w = np.where(obs, 1.0 if weight is None else weight.reindex(index).fillna(0.0).to_numpy(), 0.0)
        first, last = index[obs][0], index[obs][-1]
        self.t0 = first
        span = (last - first).days
        self.knots = [
            k / YEAR_DAYS for k in range(self.spec.knot_every_days, span - self.spec.knot_margin_days + 1, self.spec.knot_every_days)
        ] if self.spec.trend else []
        self.dows = sorted(set(index[obs].day_of_week)) if self.spec.weekly else []
        if regressors is None:
            regressors = pd.DataFrame(index=index)
        self.regressor_names = [str(c) for c in regressors.columns]
        R = check_regressors(regressors, self.regressor_names, index, "fit").to_numpy()
        scale = np.ones(R.shape[1])
        for j in range(R.shape[1]):
            if _family(self.regressor_names[j]) == "exog":
                s = float(np.std(R[obs, j]))
                scale[j] = s if s > 0 else 1.0
        self.reg_scale = scale
        names, _ = self._structural(index[:1])
        self.columns = names + self.regressor_names
        X = self.design(index, regressors, "fit")
        sd = dict(PRIOR_SD, **(prior_sd or {}))
        prior = np.array([sd[_family(c)] for c in self.columns])
        yv = np.nan_to_num(y.to_numpy(dtype=float))
        flagged = np.zeros(len(index), dtype=bool)
        # days explained by an event-specific column are never outliers (their effect is free)
        key_cols = [j for j, c in enumerate(self.columns) if _family(c) == "key"]
        exempt = (np.abs(X[:, key_cols]).sum(axis=1) > 0) if key_cols else np.zeros(len(index), dtype=bool)
        for _ in range(4):
            beta, phi = fit_penalised_poisson(X, yv, w * ~flagged, prior)
            mu = np.exp(X @ beta)
            new = self._flag_outliers(yv, mu, w * ~flagged) & ~flagged & ~exempt
            if not new.any():
                break
            flagged |= new
        self.beta, self.phi = beta, phi
        self.outliers = index[flagged]
        self.fitted = pd.Series(mu, index=index)
        return self

    @staticmethod
    def _flag_outliers(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
        use = w > 0
        if use.sum() < 20:
            return np.zeros(len(y), dtype=bool)
        r2 = np.square(y - mu) / np.maximum(mu, 1e-9)
        phi_rob = max(float(np.median(r2[use])) / 0.4549, 1.0)
        z = (y - mu) / np.sqrt(phi_rob * np.maximum(mu, 1e-9))
        ratio = np.abs(np.log((y + 1.0) / (mu + 1.0)))
        return use & (np.abs(z) > OUTLIER_Z) & (ratio > np.log(OUTLIER_MIN_RATIO))

    def linear_predictor(self, index: pd.DatetimeIndex, regressors: pd.DataFrame | None = None) -> np.ndarray:
        if self.beta is None:
            raise ForecastError("the level model is not fitted")
        return self.design(index, regressors) @ self.beta

    def predict(self, index: pd.DatetimeIndex, regressors: pd.DataFrame | None = None) -> pd.Series:
        """Expected volume per date of ``index``."""
        return pd.Series(np.exp(self.linear_predictor(index, regressors)), index=index)

    def effect(self, names: list[str], values: pd.DataFrame) -> np.ndarray:
        """Log-scale contribution of the named regressor columns (``values``: same names)."""
        out = np.zeros(len(values))
        for n in names:
            if n in self.regressor_names:
                j = self.columns.index(n)
                out += values[n].to_numpy() / self.reg_scale[self.regressor_names.index(n)] * self.beta[j]
        return out

    def coefficient(self, name: str) -> float:
        """Fitted coefficient of a column (per unit of the regressor, log scale)."""
        j = self.columns.index(name)
        if name in self.regressor_names:
            return float(self.beta[j] / self.reg_scale[self.regressor_names.index(name)])
        return float(self.beta[j])

    def observed_columns(self, regressors: pd.DataFrame, weight_mask: np.ndarray) -> set[str]:
        """Regressor columns that are non-zero on some fitted (weighted) day."""
        vals = regressors.to_numpy()[weight_mask]
        return {c for j, c in enumerate(regressors.columns) if np.any(vals[:, j] != 0)}
