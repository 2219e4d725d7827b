"""policy/_fit.py against statsmodels (a test-only reference) and against hand-worked cases.

The reference functions below are the observed-effect estimators as they were written with
statsmodels (``sm.OLS`` with ``"HAC"`` / ``"hac-groupsum"`` covariances, ``sm.GLM`` Poisson with
``scale="X2"``, ``scipy.stats.t``); the numpy versions must give the same estimates, standard
errors, p-values and intervals to 1e-8 relative on the demo company's own inputs and on seeded
random series and panels.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import astuple
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from socialroi.policy import _fit, did, funnel, its
from socialroi.policy.observed import observe
from tests.demos import demo_company
from tests.lazy import lazy

if TYPE_CHECKING:
    import statsmodels.api as sm
    from scipy import stats
else:  # the references, imported by the first test that uses them
    sm = lazy("statsmodels.api")
    stats = lazy("scipy.stats")

RTOL = 1e-8


def close(actual: Any, expected: Any, *, rtol: float = RTOL) -> None:
    """Equal to `rtol` relative (an absolute floor of rtol × the largest magnitude, for entries
    that are zero up to rounding, such as the pre-switch half-widths of a band)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    floor = rtol * max(1.0, float(np.max(np.abs(e), initial=0.0)))
    np.testing.assert_allclose(a, e, rtol=rtol, atol=floor)


# --- the statsmodels reference -------------------------------------------------------------


def ref_its_segmented(
    y: np.ndarray,
    n_pre: int,
    month_of_year: np.ndarray,
    *,
    level: float = 0.90,
    model: its.Model = "poisson",
    control: np.ndarray | None = None,
) -> its.Fit:
    y = np.asarray(y, dtype=float)
    x, n_post_cols, note = its.design(len(y), n_pre, month_of_year, control)
    use_poisson = model == "poisson" and its.fits_poisson(y, n_pre)
    k = x.shape[1]
    x_cf = x.copy()
    x_cf[:, k - n_post_cols :] = 0.0
    if use_poisson:
        res = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
        beta, cov = np.asarray(res.params), np.asarray(res.cov_params())
        mu, mu_cf = np.exp(x @ beta), np.exp(x_cf @ beta)
        post = slice(n_pre, None)
        effect = float(np.mean(mu[post] - mu_cf[post]))
        grad = (mu[post, None] * x[post] - mu_cf[post, None] * x_cf[post]).mean(axis=0)
        q = float(stats.t.ppf(0.5 + level / 2, max(1.0, float(res.df_resid))))
        half = q * math.sqrt(max(0.0, float(grad @ cov @ grad)))
        g_cf = mu_cf[:, None] * x_cf
        cf = mu_cf
        cf_half = q * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", g_cf, cov, g_cf), 0.0))
    else:
        ols = sm.OLS(y, x)
        res = ols.fit()
        hac = ols.fit(
            cov_type="HAC",
            cov_kwds={"maxlags": its.newey_west_lags(len(y)), "use_correction": True},
        )
        covs = [np.asarray(res.cov_params()), np.asarray(hac.cov_params())]
        beta = np.asarray(res.params)
        contrast = np.zeros(k)
        contrast[k - n_post_cols :] = x[n_pre:, k - n_post_cols :].mean(axis=0)
        q = float(stats.t.ppf(0.5 + level / 2, max(1.0, float(res.df_resid))))
        effect = float(contrast @ beta)
        half = q * math.sqrt(float(its.larger_var(covs, contrast)[0]))
        cf = x_cf @ beta
        cf_half = q * np.sqrt(its.larger_var(covs, x_cf))
    return its.Fit(effect, effect - half, effect + half, cf, cf - cf_half, cf + cf_half, note)


def ref_its_pre_trend_p(
    y_pre: np.ndarray, month_of_year: np.ndarray, *, model: its.Model = "poisson"
) -> float | None:
    y = np.asarray(y_pre, dtype=float)
    n = len(y)
    if n < 6 or float(np.ptp(y)) == 0.0:
        return None
    half = n // 2
    t = np.arange(n, dtype=float)
    season, _ = its.seasonal_terms(month_of_year[:n], n)
    x = np.column_stack([np.ones(n), t, season, np.where(t >= half, t - half, 0.0)])
    if model == "poisson" and bool(np.all(y >= 0)):
        res = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
        se = math.sqrt(max(0.0, float(np.asarray(res.cov_params())[-1, -1])))
    else:
        ols = sm.OLS(y, x)
        res = ols.fit()
        hac = ols.fit(
            cov_type="HAC", cov_kwds={"maxlags": its.newey_west_lags(n), "use_correction": True}
        )
        se = math.sqrt(max(0.0, float(res.cov_params()[-1, -1]), float(hac.cov_params()[-1, -1])))
    if se == 0.0 or not math.isfinite(se):
        return None
    tstat = float(np.asarray(res.params)[-1]) / se
    return float(2 * stats.t.sf(abs(tstat), max(1.0, float(res.df_resid))))


def _ref_did_fit(
    y: np.ndarray, extra: np.ndarray, *, larger: bool = False
) -> tuple[np.ndarray, float, np.ndarray]:
    n_units, n_months = y.shape
    unit = np.repeat(np.arange(n_units), n_months)
    month = np.tile(np.arange(n_months), n_units)
    cols = [np.ones(y.size)]
    cols += [(unit == u).astype(float) for u in range(1, n_units)]
    cols += [(month == m).astype(float) for m in range(1, n_months)]
    x = np.column_stack([*cols, extra])
    model = sm.OLS(y.ravel(), x)
    dk = model.fit(
        cov_type="hac-groupsum",
        cov_kwds={
            "time": month,
            "maxlags": its.newey_west_lags(n_months),
            "use_correction": "cluster",
        },
    )
    var = float(np.asarray(dk.cov_params())[-1, -1])
    if larger:
        var = max(var, float(np.asarray(model.fit().cov_params())[-1, -1]))
    return np.asarray(dk.params), max(0.0, var), x


def ref_did_twfe(panel: did.Panel, *, level: float = 0.90) -> did.DidFit:
    y = np.vstack([panel.treated, panel.controls]).astype(float)
    n_treated, n_months = panel.treated.shape[0], y.shape[1]
    d = np.zeros_like(y)
    d[:n_treated, panel.n_pre :] = 1.0
    beta, var, x = _ref_did_fit(y, d.ravel())
    q = float(stats.t.ppf(0.5 + level / 2, max(1, n_months - 2)))
    delta, se = float(beta[-1]), math.sqrt(var)
    effect, half = delta * n_treated, q * se * n_treated
    fitted = (x @ beta).reshape(y.shape)
    cf = fitted[:n_treated].sum(axis=0) - d[:n_treated].sum(axis=0) * delta
    band = np.where(np.arange(n_months) >= panel.n_pre, half, 0.0)
    return did.DidFit(effect, effect - half, effect + half, cf, cf - band, cf + band, "")


def ref_did_pre_trend_p(panel: did.Panel) -> float | None:
    if panel.n_pre < 3:
        return None
    pre = slice(0, panel.n_pre)
    if not np.any(panel.treated[:, pre]) or not np.any(panel.controls[:, pre]):
        return None
    y = np.vstack([panel.treated, panel.controls])[:, : panel.n_pre].astype(float)
    trend = np.zeros_like(y)
    trend[: panel.treated.shape[0]] = np.arange(panel.n_pre) - (panel.n_pre - 1) / 2
    beta, var, _ = _ref_did_fit(y, trend.ravel(), larger=True)
    se = math.sqrt(var)
    if se == 0.0:
        return None
    return float(2 * stats.t.sf(abs(float(beta[-1]) / se), max(1, panel.n_pre - 2)))


def same_fit(actual: its.Fit | did.DidFit, expected: its.Fit | did.DidFit) -> None:
    for a, e in zip(astuple(actual)[:6], astuple(expected)[:6], strict=True):
        close(a, e)


def same_p(actual: float | None, expected: float | None) -> None:
    assert (actual is None) == (expected is None)
    if expected is not None:
        close(actual, expected)


# --- the demo company's own inputs -----------------------------------------------------------


def test_observed_effects_on_the_demo_equal_statsmodels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fit `observe` runs on the demo company (the store `socialroi report` reads) gives
    statsmodels' numbers: effects, intervals, counterfactual bands and pre-trend p-values."""
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []
    wrapped = {
        "its_fit": (its, "segmented"),
        "its_trend": (its, "pre_trend_p"),
        "did_fit": (did, "twfe"),
        "did_trend": (did, "pre_trend_p"),
    }
    for key, (module, name) in wrapped.items():
        real = getattr(module, name)

        def record(*args: Any, _real: Any = real, _key: str = key, **kwargs: Any) -> Any:
            out = _real(*args, **kwargs)
            calls.append((_key, args, kwargs, out))
            return out

        monkeypatch.setattr(module, name, record)
    company = demo_company()
    result = observe(dict(company.tables), as_of=company.as_of)
    assert result.estimates["effect"].is_not_null().sum() >= 2
    reference: dict[str, Callable[..., Any]] = {
        "its_fit": ref_its_segmented,
        "its_trend": ref_its_pre_trend_p,
        "did_fit": ref_did_twfe,
        "did_trend": ref_did_pre_trend_p,
    }
    kinds = {key for key, *_ in calls}
    assert kinds == set(reference)  # every estimator ran on the demo
    for key, args, kwargs, out in calls:
        expected = reference[key](*args, **kwargs)
        if key.endswith("trend"):
            same_p(out, expected)
        else:
            same_fit(out, expected)
    models = {kw.get("model") for key, _, kw, _ in calls if key == "its_fit"}
    assert "poisson" in models  # the GLM path ran on real inputs


# --- seeded random series and panels ---------------------------------------------------------


def _random_series(seed: int) -> tuple[np.ndarray, int, np.ndarray, np.ndarray | None, str]:
    rng = np.random.default_rng(seed)
    n_pre = int(rng.integers(6, 30))
    n_post = int(rng.integers(1, 10))
    n = n_pre + n_post
    moy = (np.arange(n) + int(rng.integers(0, 12))) % 12 + 1
    base = rng.uniform(0.5, 60.0)
    rate = base * np.exp(0.02 * rng.normal() * np.arange(n) + 0.2 * np.sin(moy / 2.0))
    rate[n_pre:] *= rng.uniform(0.5, 2.0)
    kind = ["poisson", "overdispersed", "normal"][seed % 3]
    if kind == "poisson":
        y = rng.poisson(rate).astype(float)
    elif kind == "overdispersed":
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + rate)).astype(float)
    else:
        y = rate + rng.normal(0, base / 3, n) - base / 2  # can be negative
    control = rng.poisson(rate * 3).astype(float) if seed % 2 else None
    return y, n_pre, moy, control, kind


@pytest.mark.parametrize("seed", range(30))
def test_its_on_random_series_equals_statsmodels(seed: int) -> None:
    y, n_pre, moy, control, _ = _random_series(seed)
    for model in ("poisson", "linear"):
        for level in (0.5, 0.9):
            kw: dict[str, Any] = {"level": level, "model": model, "control": control}
            same_fit(its.segmented(y, n_pre, moy, **kw), ref_its_segmented(y, n_pre, moy, **kw))
        same_p(
            its.pre_trend_p(y[:n_pre], moy[:n_pre], model=model),
            ref_its_pre_trend_p(y[:n_pre], moy[:n_pre], model=model),
        )


def _random_panel(seed: int) -> did.Panel:
    rng = np.random.default_rng(1000 + seed)
    n_treated, n_controls = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    n_pre, n_post = int(rng.integers(3, 12)), int(rng.integers(1, 9))
    n = n_pre + n_post
    common = rng.normal(0, 2, n).cumsum()
    level = rng.uniform(1, 30, (n_treated + n_controls, 1))
    y = level + common + rng.normal(0, 1.5, (n_treated + n_controls, n))
    if seed % 2:
        y = rng.poisson(np.maximum(y, 0.1)).astype(float)
    y[:n_treated, n_pre:] += rng.normal(0, 3)
    return did.Panel(y[:n_treated], y[n_treated:], n_pre)


@pytest.mark.parametrize("seed", range(30))
def test_did_on_random_panels_equals_statsmodels(seed: int) -> None:
    panel = _random_panel(seed)
    for level in (0.5, 0.9):
        same_fit(did.twfe(panel, level=level), ref_did_twfe(panel, level=level))
    same_p(did.pre_trend_p(panel), ref_did_pre_trend_p(panel))


@pytest.mark.parametrize("seed", range(20))
def test_fits_equal_statsmodels_coefficient_by_coefficient(seed: int) -> None:
    """Coefficients, every covariance entry, residual degrees of freedom and the number of IRLS
    steps, on random designs (some with more lags than the default, some with dummies)."""
    rng = np.random.default_rng(2000 + seed)
    n, k = int(rng.integers(8, 60)), int(rng.integers(1, 6))
    x = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = x @ rng.normal(size=k) + rng.standard_t(4, n)
    mine, model = _fit.ols(y, x), sm.OLS(y, x)
    res = model.fit()
    close(mine.params, res.params)
    close(mine.cov(), res.cov_params())
    assert mine.df_resid == res.df_resid
    lags = int(rng.integers(1, 5))
    hac = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    close(mine.cov_hac(lags), hac.cov_params())
    periods = int(rng.integers(3, 8))
    time = np.sort(rng.integers(0, periods, n))
    time = np.unique(time, return_inverse=True)[1]
    dk = model.fit(
        cov_type="hac-groupsum",
        cov_kwds={"time": time, "maxlags": lags, "use_correction": "cluster"},
    )
    close(mine.cov_driscoll_kraay(time, lags), dk.cov_params())

    counts = rng.poisson(np.exp(1.0 + 0.3 * x[:, 1:].sum(axis=1))).astype(float)
    glm_res = sm.GLM(counts, x, family=sm.families.Poisson()).fit(scale="X2")
    glm = _fit.quasi_poisson(counts, x)
    close(glm.params, glm_res.params)
    close(glm.cov, glm_res.cov_params())
    close(glm.scale, glm_res.scale)
    assert glm.df_resid == glm_res.df_resid
    assert glm.iterations == glm_res.fit_history["iteration"]
    assert glm.converged == glm_res.converged

    for df in (1, 2.5, float(n - k)):
        for p in (0.55, 0.75, 0.95, 0.995):
            close(_fit.t_ppf(p, df), stats.t.ppf(p, df))
        for tval in (0.0, 0.3, 1.7, 4.0):
            close(_fit.t_sf(tval, df), stats.t.sf(tval, df))


def test_rank_deficient_design_gives_the_minimum_norm_solution_as_statsmodels() -> None:
    x = np.column_stack([np.ones(6), np.arange(6.0), np.arange(6.0)])  # a repeated column
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 7.0])
    mine = _fit.ols(y, x)
    with pytest.warns(Warning, match="rank"):  # statsmodels warns; the numbers are what count
        res = sm.OLS(y, x).fit()
    close(mine.params, res.params)
    assert mine.params[1] == pytest.approx(mine.params[2], rel=1e-12)
    assert mine.df_resid == 4.0  # 6 rows − rank 2
    close(mine.cov(), res.cov_params())


# --- hand-worked cases -----------------------------------------------------------------------


def test_ols_by_hand() -> None:
    # y = 1, 2, 4 on (1, t), t = 0, 1, 2: slope Sxy/Sxx = 3/2, intercept 7/3 − 3/2 = 5/6,
    # residuals 1/6, −1/3, 1/6, RSS 1/6 on 1 degree of freedom, var(slope) = (1/6) / 2.
    fit = _fit.ols(np.array([1.0, 2.0, 4.0]), np.column_stack([np.ones(3), np.arange(3.0)]))
    close(fit.params, [5 / 6, 3 / 2], rtol=1e-14)
    close(fit.resid, [1 / 6, -1 / 3, 1 / 6], rtol=1e-14)
    assert fit.df_resid == 1.0
    assert fit.cov()[1, 1] == pytest.approx(1 / 12, rel=1e-13)


def test_newey_west_by_hand() -> None:
    # The mean of 1, 3, 2, 6: residuals −2, 0, −1, 3; Γ0 = 14, Γ1 = 0·(−2) + (−1)·0 + 3·(−1) = −3;
    # one lag (Bartlett weight 1/2): S = 14 + ½·2·(−3) = 11; (X'X)⁻¹ = 1/4, so 11/16; times
    # n/(n − k) = 4/3: 11/12. Model-based: RSS 14 / 3 × 1/4 = 7/6.
    fit = _fit.ols(np.array([1.0, 3.0, 2.0, 6.0]), np.ones((4, 1)))
    assert fit.cov_hac(1)[0, 0] == pytest.approx(11 / 12, rel=1e-13)
    assert fit.cov()[0, 0] == pytest.approx(7 / 6, rel=1e-13)


def test_driscoll_kraay_by_hand() -> None:
    # Two teams × three months, intercept only: y = (1, 2, 3 | 3, 2, 7), mean 3, residuals
    # (−2, −1, 0 | 0, −1, 4); month sums −2, −2, 4; Γ0 = 24, Γ1 = (−2)(−2) + 4·(−2) = −4;
    # S = 24 + ½·2·(−4) = 20; (X'X)⁻¹ = 1/6: 20/36; × G/(G−1) = 3/2 × (n−1)/(n−k) = 5/5: 5/6.
    y = np.array([1.0, 2.0, 3.0, 3.0, 2.0, 7.0])
    time = np.tile(np.arange(3), 2)
    assert _fit.ols(y, np.ones((6, 1))).cov_driscoll_kraay(time, 1)[0, 0] == pytest.approx(
        5 / 6, rel=1e-13
    )


def test_quasi_poisson_by_hand() -> None:
    # Two groups, log link: exp(β0) is group A's mean 5 (2, 4, 6, 8), exp(β0 + β1) group B's
    # mean 10 (9, 11). Pearson χ² = (9 + 1 + 1 + 9)/5 + (1 + 1)/10 = 4.2 on 6 − 2 = 4 degrees of
    # freedom: dispersion 1.05; var(β1) = φ (1/(4·5) + 1/(2·10)) = 1.05 · 0.1.
    y = np.array([2.0, 4.0, 6.0, 8.0, 9.0, 11.0])
    x = np.column_stack([np.ones(6), [0, 0, 0, 0, 1, 1]])
    fit = _fit.quasi_poisson(y, x)
    assert fit.converged
    close(fit.params, [math.log(5), math.log(2)], rtol=1e-9)
    assert fit.scale == pytest.approx(1.05, rel=1e-9)
    assert fit.df_resid == 4.0
    assert fit.cov[1, 1] == pytest.approx(1.05 * 0.1, rel=1e-9)
    assert fit.cov[0, 0] == pytest.approx(1.05 / 20, rel=1e-9)


def test_t_distribution_by_hand() -> None:
    # 1 degree of freedom (Cauchy): quantile tan(π(p − ½)), upper tail ½ − atan(x)/π;
    # 2 degrees of freedom: quantile (2p − 1)/√(2p(1 − p)).
    assert _fit.t_ppf(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-13)
    assert _fit.t_sf(1.0, 1) == pytest.approx(0.25, rel=1e-13)
    assert _fit.t_ppf(0.95, 2) == pytest.approx(0.9 / math.sqrt(1.9 * 0.05), rel=1e-13)


def test_posterior_percentiles_by_hand_and_as_scipy_stats() -> None:
    # Gamma(1, s) is exponential: percentile −s·ln(1 − q); Beta(a, 1): q^(1/a).
    lo, hi = funnel._gamma_ppf(1.0, 2.0)
    assert (lo, hi) == pytest.approx((-2 * math.log(0.95), -2 * math.log(0.05)), rel=1e-13)
    lo, hi = funnel._beta_ppf(3.0, 1.0)
    assert (lo, hi) == pytest.approx((0.05 ** (1 / 3), 0.95 ** (1 / 3)), rel=1e-13)
    assert all(math.isnan(v) for v in funnel._gamma_ppf(2.0, 0.0))  # a zero mean: no interval
    assert all(math.isnan(v) for v in funnel._beta_ppf(0.0, 1.0))
    rng = np.random.default_rng(5)
    for a, b in rng.uniform(0.2, 400.0, (200, 2)):
        assert funnel._gamma_ppf(a, 1 / b) == tuple(stats.gamma.ppf([0.05, 0.95], a, scale=1 / b))
        assert funnel._beta_ppf(a, b) == tuple(stats.beta.ppf([0.05, 0.95], a, b))


def test_the_policy_estimators_load_neither_statsmodels_nor_scipy_stats() -> None:
    """statsmodels (with pandas and patsy) is a test-only reference; scipy.stats is not needed
    either: importing them cost a report about 1.5 s and 140 MB."""
    code = (
        "import sys\n"
        "import socialroi.policy, socialroi.policy.observed, socialroi.policy.funnel\n"
        "print(sorted(m for m in ('statsmodels', 'pandas', 'patsy', 'scipy.stats')"
        " if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
