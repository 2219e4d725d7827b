"""Interrupted time series: segmented regression of a monthly series around one switch.

Regressors: intercept, linear trend, seasonality, optionally a control series, and after the
switch a level change plus, when the window has at least ``MIN_SLOPE_MONTHS`` months, a change
of slope. Seasonality uses month-of-year dummies when the pre-period covers two years, one annual
Fourier pair (sine, cosine) when it covers one, and none when shorter (then the notes say so).
The control series (e.g. the leads no social channel brought, which follow the same demand) enters
as log(1 + control), centred, with its own coefficient: it absorbs demand swings the switch did not
cause.

Two models:

* ``poisson`` (for counts, and for non-negative amounts such as revenue): a quasi-Poisson GLM
  (Poisson family, log link, fitted as statsmodels' GLM is: policy/_fit.py) whose dispersion is
  estimated from the Pearson χ² (``scale="X2"``), so over- or under-dispersed series get wider or
  narrower intervals. Intervals use t quantiles with the residual degrees of freedom (the
  dispersion is estimated).
* ``linear`` (for amounts that can be negative, such as net value): OLS; the variance of each
  quantity is the larger of the model-based and the Newey–West one (in series this short
  Newey–West alone is too small), with t quantiles.

The counterfactual is the fit with the post-switch terms set to zero; the effect is the mean over
the window of (fitted − counterfactual), which equals the mean of (actual − counterfactual) (the
post-switch level term makes the fit reproduce the window's mean). Its interval comes from the
coefficients' covariance by the delta method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from socialroi.policy._fit import OLS, QuasiPoisson, ols, t_ppf, t_sf
from socialroi.policy._fit import quasi_poisson as _quasi_poisson

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


def covariances(y: np.ndarray, x: np.ndarray) -> tuple[OLS, list[np.ndarray]]:
    """The OLS fit of `y` on `x` with its model-based and its Newey–West covariance.

    Newey–West errors alone are too small in series this short; the model-based ones ignore
    autocorrelation. Callers take, for each quantity, the larger of the two variances.
    """
    res = ols(y, x)
    return res, [res.cov(), res.cov_hac(newey_west_lags(len(y)))]


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


def control_term(control: np.ndarray | None, n_pre: int) -> tuple[np.ndarray, str]:
    """The control series as a regressor (centred log(1 + control)), or none when it is missing
    or does not vary before the switch."""
    if control is None:
        return np.empty((0, 0)), ""
    c = np.log1p(np.maximum(np.asarray(control, dtype=float), 0.0))
    if len(c) == 0 or float(np.std(c[:n_pre])) == 0.0:
        return np.empty((len(c), 0)), ""
    return (c - c[:n_pre].mean())[:, None], "control series"


def design(
    n: int, n_pre: int, month_of_year: np.ndarray, control: np.ndarray | None = None
) -> tuple[np.ndarray, int, str]:
    """Regressors and the number of post-switch columns (last in the matrix)."""
    t = np.arange(n, dtype=float)
    season, note = seasonal_terms(month_of_year, n_pre)
    ctrl, ctrl_note = control_term(control, n_pre)
    post = (t >= n_pre).astype(float)
    cols = [np.ones(n), t - n_pre, season]
    if ctrl.size:
        cols.append(ctrl)
        note = f"{note}, {ctrl_note}"
    cols.append(post)
    n_post_cols = 1
    if n - n_pre >= MIN_SLOPE_MONTHS:
        cols.append(post * (t - n_pre))
        n_post_cols = 2
    x = np.column_stack(cols)
    return x, n_post_cols, note


def _t(level: float, df: float) -> float:
    return t_ppf(0.5 + level / 2, max(1.0, df))


def _ols(
    y: np.ndarray, x: np.ndarray, n_post_cols: int, n_pre: int, level: float
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(effect, half-width, counterfactual, its half-width) by OLS, the larger of the
    model-based and the Newey–West variance."""
    res, covs = covariances(y, x)
    beta = res.params
    k = x.shape[1]
    contrast = np.zeros(k)
    contrast[k - n_post_cols :] = x[n_pre:, k - n_post_cols :].mean(axis=0)
    q = _t(level, float(res.df_resid))
    effect = float(contrast @ beta)
    half = q * math.sqrt(float(larger_var(covs, contrast)[0]))
    x_cf = x.copy()
    x_cf[:, k - n_post_cols :] = 0.0
    cf = x_cf @ beta
    cf_half = q * np.sqrt(larger_var(covs, x_cf))
    return effect, half, cf, cf_half


def quasi_poisson(y: np.ndarray, x: np.ndarray) -> QuasiPoisson:
    """Quasi-Poisson GLM fit: Poisson mean model, dispersion from the Pearson χ²."""
    return _quasi_poisson(y, x)


def _poisson(
    y: np.ndarray, x: np.ndarray, n_post_cols: int, n_pre: int, level: float
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The same with a quasi-Poisson GLM (log link): effect by the delta method."""
    res = quasi_poisson(y, x)
    beta, cov = res.params, res.cov
    k = x.shape[1]
    x_cf = x.copy()
    x_cf[:, k - n_post_cols :] = 0.0
    mu, mu_cf = np.exp(x @ beta), np.exp(x_cf @ beta)
    post = slice(n_pre, None)
    effect = float(np.mean(mu[post] - mu_cf[post]))
    grad = (mu[post, None] * x[post] - mu_cf[post, None] * x_cf[post]).mean(axis=0)
    q = _t(level, float(res.df_resid))
    half = q * math.sqrt(max(0.0, float(grad @ cov @ grad)))
    g_cf = mu_cf[:, None] * x_cf
    cf_half = q * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", g_cf, cov, g_cf), 0.0))
    return effect, half, mu_cf, cf_half


def fits_poisson(y: np.ndarray, n_pre: int) -> bool:
    """Whether the quasi-Poisson model can be fitted: no negative values, and something (not all
    zeros) in the pre-period and in the window."""
    return bool(np.all(y >= 0)) and float(y[:n_pre].sum()) > 0 and float(y[n_pre:].sum()) > 0


def segmented(
    y: np.ndarray,
    n_pre: int,
    month_of_year: np.ndarray,
    *,
    level: float = 0.90,
    model: Model = "poisson",
    control: np.ndarray | None = None,
) -> Fit:
    """Fit the segmented regression to `y` (pre-period first, then the window). `control` is a
    series over the same months that the switch did not touch (None: no control). A ``poisson``
    fit on a series it cannot take (negative values, nothing before or after) falls back to
    ``linear``, and the notes say which model ran."""
    y = np.asarray(y, dtype=float)
    x, n_post_cols, note = design(len(y), n_pre, month_of_year, control)
    use_poisson = model == "poisson" and fits_poisson(y, n_pre)
    fitter = _poisson if use_poisson else _ols
    effect, half, cf, cf_half = fitter(y, x, n_post_cols, n_pre, level)
    terms = "level change" + (" and slope change" if n_post_cols == 2 else "")
    how = (
        "quasi-Poisson GLM (dispersion from Pearson χ²)"
        if use_poisson
        else f"OLS (Newey–West, {newey_west_lags(len(y))} lags, or model-based if larger)"
    )
    notes = f"{how}; trend, {note}, {terms}"
    return Fit(effect, effect - half, effect + half, cf, cf - cf_half, cf + cf_half, notes)


def pre_trend_p(
    y_pre: np.ndarray, month_of_year: np.ndarray, *, model: Model = "poisson"
) -> float | None:
    """p-value of a change of slope halfway through the pre-period; None below 6 months or when
    the series cannot carry the test (all zeros, a constant).

    A small value means the series was already bending before the switch, so the straight-line
    counterfactual is doubtful.
    """
    y = np.asarray(y_pre, dtype=float)
    n = len(y)
    if n < 6 or float(np.ptp(y)) == 0.0:
        return None
    half = n // 2
    t = np.arange(n, dtype=float)
    season, _ = seasonal_terms(month_of_year[:n], n)
    x = np.column_stack([np.ones(n), t, season, np.where(t >= half, t - half, 0.0)])
    if model == "poisson" and bool(np.all(y >= 0)):
        glm = quasi_poisson(y, x)
        coef, df = float(glm.params[-1]), glm.df_resid
        se = math.sqrt(max(0.0, float(glm.cov[-1, -1])))
    else:
        res, covs = covariances(y, x)
        coef, df = float(res.params[-1]), res.df_resid
        g = np.zeros(x.shape[1])
        g[-1] = 1.0
        se = math.sqrt(float(larger_var(covs, g)[0]))
    if se == 0.0 or not math.isfinite(se):
        return None
    return 2 * t_sf(abs(coef / se), max(1.0, float(df)))
