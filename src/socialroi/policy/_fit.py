"""The few regression fits the observed-effects estimates need, in numpy.

Each one follows statsmodels' (0.14/0.15) computation step by step, so the numbers are those of
``sm.OLS(y, x).fit()`` with its model-based, ``"HAC"`` and ``"hac-groupsum"`` covariances and of
``sm.GLM(y, x, family=Poisson()).fit(scale="X2")``; tests/policy/test_fit.py checks them against
statsmodels itself. Distribution functions come from ``scipy.special`` (what scipy.stats calls).

* least squares by the pseudo-inverse (SVD, singular values below 1e-15 × the largest dropped);
  the residual degrees of freedom are n − rank;
* model-based covariance: (X'X)⁺ · RSS / (n − rank);
* Newey–West: (X'X)⁺ S (X'X)⁺ with S = Σ_l w_l (Γ_l + Γ_l'), Γ_l = Σ_t u_t u_{t−l}',
  u_t = x_t e_t, Bartlett weights w_l = 1 − l/(L + 1); corrected by n/(n − k);
* Driscoll–Kraay: the same on the sums of u_t over the rows of each period, corrected by
  G/(G − 1) · (n − 1)/(n − k) (G periods);
* quasi-Poisson: iteratively reweighted least squares from μ₀ = (y + ȳ)/2, stopped when the
  deviance (divided by the current Pearson dispersion) changes by less than 1e-8 (at most 100
  steps); the covariance is the last weighted fit's (X'WX)⁺ times the Pearson χ² / (n − rank).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

#: Singular values below this fraction of the largest are treated as zero.
RCOND = 1e-15
_EPS = float(np.finfo(float).eps)


def t_ppf(p: float, df: float) -> float:
    """Quantile `p` of Student's t with `df` degrees of freedom."""
    return float(special.stdtrit(df, p))


def t_sf(x: float, df: float) -> float:
    """P(T > x) for Student's t with `df` degrees of freedom."""
    return float(special.stdtr(df, -x))


def pinv(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moore–Penrose pseudo-inverse of `x` and its singular values."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    s_orig = s.copy()
    cutoff = RCOND * np.maximum.reduce(s)
    s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    return np.dot(vt.T, s[:, None] * u.T), s_orig


@dataclass(frozen=True)
class OLS:
    """An ordinary least-squares fit of `y` on the columns of `x`."""

    x: np.ndarray
    params: np.ndarray
    resid: np.ndarray
    xtx_pinv: np.ndarray  # (X'X)⁺
    df_resid: float

    @property
    def scale(self) -> float:
        """Residual variance RSS / (n − rank)."""
        return float(np.dot(self.resid, self.resid) / self.df_resid)

    def cov(self) -> np.ndarray:
        """Model-based covariance of the coefficients."""
        return self.xtx_pinv * self.scale

    def _sandwich(self, scores: np.ndarray, maxlags: int) -> np.ndarray:
        """(X'X)⁺ S (X'X)⁺ with S the Bartlett-weighted autocovariances of the score rows."""
        weights = 1 - np.arange(maxlags + 1) / (maxlags + 1.0)
        s = weights[0] * np.dot(scores.T, scores)
        for lag in range(1, maxlags + 1):
            g = np.dot(scores[lag:].T, scores[:-lag])
            s += weights[lag] * (g + g.T)
        cov: np.ndarray = np.dot(np.dot(self.xtx_pinv, s), self.xtx_pinv.T)
        return cov

    def cov_hac(self, maxlags: int) -> np.ndarray:
        """Newey–West covariance (Bartlett kernel, `maxlags` lags), corrected by n / (n − k)."""
        scores = self.x * self.resid[:, None]
        cov = self._sandwich(scores, maxlags)
        nobs, k = scores.shape
        cov *= nobs / float(nobs - k)
        return cov

    def cov_driscoll_kraay(self, time: np.ndarray, maxlags: int) -> np.ndarray:
        """Driscoll–Kraay covariance: Newey–West over the periods `time` (integer codes 0, 1, …)
        of the scores summed within each period, corrected by G/(G − 1) · (n − 1)/(n − k)."""
        scores = self.x * self.resid[:, None]
        codes = np.asarray(time).squeeze()
        sums = np.array(
            [np.bincount(codes, weights=scores[:, j]) for j in range(scores.shape[1])]
        ).T
        cov = self._sandwich(sums, maxlags)
        nobs, k = scores.shape
        n_groups = len(np.unique(codes))
        cov *= n_groups / (n_groups - 1.0)
        cov *= (nobs - 1.0) / float(nobs - k)
        return cov


def ols(y: np.ndarray, x: np.ndarray) -> OLS:
    """Least squares of `y` on `x` (no intercept added)."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    x_pinv, singular = pinv(x)
    rank = int(np.linalg.matrix_rank(np.diag(singular)))
    params = np.dot(x_pinv, y)
    resid = y - np.dot(x, params)
    return OLS(x, params, resid, np.dot(x_pinv, x_pinv.T), float(len(y) - rank))


@dataclass(frozen=True)
class QuasiPoisson:
    """A Poisson GLM (log link) with the dispersion estimated from the Pearson χ²."""

    params: np.ndarray
    cov: np.ndarray
    scale: float  # Pearson χ² / (n − rank)
    df_resid: float
    iterations: int
    converged: bool


def _pearson_scale(y: np.ndarray, mu: np.ndarray, df_resid: float) -> float:
    return float(np.sum(np.power(y - mu, 2) / np.power(np.fabs(mu), 1.0)) / df_resid)


def _deviance(y: np.ndarray, mu: np.ndarray, scale: float) -> float:
    ratio = np.clip(y / mu, _EPS, np.inf)
    resid_dev = 2 * (y * np.log(ratio) - (y - mu))
    return float(np.sum(resid_dev / scale))


def quasi_poisson(
    y: np.ndarray, x: np.ndarray, *, maxiter: int = 100, tol: float = 1e-8
) -> QuasiPoisson:
    """Fit log E[y] = x β by iteratively reweighted least squares; Pearson χ² dispersion."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    df_resid = float(x.shape[0] - (np.linalg.matrix_rank(x) - 1) - 1)
    mu = (y + y.mean()) / 2.0
    lin_pred = np.log(np.clip(mu, _EPS, np.inf))
    scale = _pearson_scale(y, mu, df_resid)
    deviances = [np.inf, _deviance(y, mu, scale)]
    if np.isnan(deviances[-1]):
        raise ValueError("the deviance of the starting values is not a number")
    converged = False
    iteration = 0
    weights = wls_y = np.empty(0)
    for iteration in range(maxiter):  # noqa: B007 (the count is reported)
        deriv = 1.0 / np.clip(mu, _EPS, np.inf)
        weights = 1.0 / (deriv**2 * np.power(np.fabs(mu), 1.0))
        wls_y = lin_pred + deriv * (y - mu)
        w_half = np.sqrt(weights)
        if not (np.all(np.isfinite(w_half)) and np.all(np.isfinite(wls_y))):
            raise ValueError("non-finite weights or working response: the fit diverged")
        beta = np.linalg.lstsq(w_half[:, None] * x, w_half * wls_y, rcond=-1)[0]
        lin_pred = np.dot(x, beta)
        mu = np.exp(lin_pred)
        deviances.append(_deviance(y, mu, scale))
        scale = _pearson_scale(y, mu, df_resid)
        converged = bool(np.allclose(deviances[-2], deviances[-1], atol=tol, rtol=0.0))
        if converged:
            break
    w_half = np.sqrt(weights)
    x_pinv, _ = pinv(w_half[:, None] * x)
    params = np.dot(x_pinv, wls_y * w_half)
    cov = np.dot(x_pinv, x_pinv.T) * scale
    return QuasiPoisson(params, cov, scale, df_resid, iteration + 1, converged)
