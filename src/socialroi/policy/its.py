"""Interrupted time series: segmented regression of a monthly series around one switch.

Model (statsmodels OLS, Newey–West HAC standard errors with small-sample t quantiles, or a
Poisson GLM for counts): intercept, linear trend, seasonality, and after the switch a level
change plus, when the window has at least ``MIN_SLOPE_MONTHS`` months, a change of slope.
Seasonality uses month-of-year dummies when the pre-period covers two years, one annual Fourier
pair (sine, cosine) when it covers one, and none when shorter (then it is said in the notes).

The counterfactual is the fitted series with the post-switch terms set to zero; the effect is
the mean over the window of (actual − counterfactual), which for OLS equals level change +
slope change × mean months since the switch. Its interval comes from the coefficients'
HAC covariance (delta method for the GLM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import statsmodels.api as sm
from scipy import stats

Model = Literal["linear", "poisson"]
MIN_SLOPE_MONTHS = 4


@dataclass(frozen=True)
class Fit:
    effect: float
    low: float
    high: float
    counterfactual: np.ndarray  # every month of the series
    cf_low: np.ndarray
    cf_high: np.ndarray
    notes: str


def newey_west_lags(n: int) -> int:
    """The usual automatic lag length floor(4 (n/100)^(2/9)), at least 1."""
    return max(1, int(4 * (n / 100) ** (2 / 9)))


def covariances(model: Any, n: int) -> tuple[Any, list[np.ndarray]]:
    """The fit of a statsmodels model with its model-based and its Newey–West covariance.

    Newey–West errors alone are too small in series this short (coverage near 70% for nominal
    90% in the demo company's 14-month windows); the model-based ones ignore autocorrelation.
    Callers take, for each quantity, the larger of the two variances.
    """
    res = model.fit()
    hac = model.fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(n), "use_correction": True}
    )
    return res, [np.asarray(res.cov_params()), np.asarray(hac.cov_params())]


def larger_var(covs: list[np.ndarray], g: np.ndarray) -> np.ndarray:
    """max over `covs` of g' C g, for one gradient (1-d) or one per row (2-d)."""
    g2 = np.atleast_2d(g)
    out = np.max([np.einsum("ij,jk,ik->i", g2, c, g2) for c in covs], axis=0)
    return np.asarray(np.maximum(out, 0.0))


def seasonal_terms(month_of_year: np.ndarray, n_pre: int) -> tuple[np.ndarray, str]:
    """Seasonal regressors for the series, chosen by the pre-period's length, and a description."""
    moy = np.asarray(month_of_year, dtype=np.int64)
    if n_pre >= 24:
        cols = [(moy == m).astype(float) for m in range(2, 13) if (moy[:n_pre] == m).any()]
        return np.column_stack(cols) if cols else np.empty((len(moy), 0)), "month-of-year dummies"
    if n_pre >= 12:
        angle = 2 * np.pi * (moy - 1) / 12
        return np.column_stack([np.sin(angle), np.cos(angle)]), "one annual Fourier pair"
    return np.empty((len(moy), 0)), f"no seasonality ({n_pre} months before; 12 needed)"


def design(n: int, n_pre: int, month_of_year: np.ndarray) -> tuple[np.ndarray, int, str]:
    """Regressors and the number of post-switch columns (last in the matrix)."""
    t = np.arange(n, dtype=float)
    season, note = seasonal_terms(month_of_year, n_pre)
    post = (t >= n_pre).astype(float)
    cols = [np.ones(n), t - n_pre, season, post]
    n_post_cols = 1
    if n - n_pre >= MIN_SLOPE_MONTHS:
        cols.append(post * (t - n_pre))
        n_post_cols = 2
    x = np.column_stack(cols)
    return x, n_post_cols, note


def _ols(
    y: np.ndarray, x: np.ndarray, n_post_cols: int, n_pre: int, level: float
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(effect, half-width, counterfactual, its half-width) by OLS with HAC errors."""
    res, covs = covariances(sm.OLS(y, x), len(y))
    beta = np.asarray(res.params)
    k = x.shape[1]
    contrast = np.zeros(k)
    contrast[k - n_post_cols :] = x[n_pre:, k - n_post_cols :].mean(axis=0)
    df = max(1.0, float(res.df_resid))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    effect = float(contrast @ beta)
    half = q * math.sqrt(float(larger_var(covs, contrast)[0]))
    x_cf = x.copy()
    x_cf[:, k - n_post_cols :] = 0.0
    cf = x_cf @ beta
    cf_half = q * np.sqrt(larger_var(covs, x_cf))
    return effect, half, cf, cf_half


def _poisson(
    y: np.ndarray, x: np.ndarray, n_post_cols: int, n_pre: int, level: float
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The same with a Poisson GLM (log link): effect by the delta method."""
    res, covs = covariances(sm.GLM(y, x, family=sm.families.Poisson()), len(y))
    beta = np.asarray(res.params)
    k = x.shape[1]
    x_cf = x.copy()
    x_cf[:, k - n_post_cols :] = 0.0
    mu, mu_cf = np.exp(x @ beta), np.exp(x_cf @ beta)
    post = slice(n_pre, None)
    effect = float(np.mean(mu[post] - mu_cf[post]))
    grad = (mu[post, None] * x[post] - mu_cf[post, None] * x_cf[post]).mean(axis=0)
    q = float(stats.norm.ppf(0.5 + level / 2))
    half = q * math.sqrt(float(larger_var(covs, grad)[0]))
    cf_half = q * np.sqrt(larger_var(covs, mu_cf[:, None] * x_cf))
    return effect, half, mu_cf, cf_half


def segmented(
    y: np.ndarray,
    n_pre: int,
    month_of_year: np.ndarray,
    *,
    level: float = 0.90,
    model: Model = "linear",
) -> Fit:
    """Fit the segmented regression to `y` (pre-period first, then the window)."""
    y = np.asarray(y, dtype=float)
    x, n_post_cols, note = design(len(y), n_pre, month_of_year)
    use_poisson = model == "poisson" and bool(np.all(y >= 0)) and float(y[:n_pre].sum()) > 0
    fitter = _poisson if use_poisson else _ols
    effect, half, cf, cf_half = fitter(y, x, n_post_cols, n_pre, level)
    terms = "level change" + (" and slope change" if n_post_cols == 2 else "")
    how = "Poisson GLM" if use_poisson else "OLS"
    notes = f"{how}, trend, {note}, {terms}; Newey–West errors ({newey_west_lags(len(y))} lags)"
    return Fit(effect, effect - half, effect + half, cf, cf - cf_half, cf + cf_half, notes)


def pre_trend_p(y_pre: np.ndarray, month_of_year: np.ndarray) -> float | None:
    """p-value of a change of slope halfway through the pre-period (HAC); None below 6 months.

    A small value means the series was already bending before the switch, so the straight-line
    counterfactual is doubtful.
    """
    n = len(y_pre)
    if n < 6:
        return None
    half = n // 2
    t = np.arange(n, dtype=float)
    season, _ = seasonal_terms(month_of_year[:n], n)
    x = np.column_stack([np.ones(n), t, season, np.where(t >= half, t - half, 0.0)])
    res, covs = covariances(sm.OLS(np.asarray(y_pre, dtype=float), x), n)
    g = np.zeros(x.shape[1])
    g[-1] = 1.0
    se = math.sqrt(float(larger_var(covs, g)[0]))
    if se == 0.0 or not math.isfinite(se):
        return None
    tstat = float(np.asarray(res.params)[-1]) / se
    return float(2 * stats.t.sf(abs(tstat), max(1.0, float(res.df_resid))))
