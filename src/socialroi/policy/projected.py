"""Projected outcomes of policy options: each option as the change from continuing today's policy.

`project` simulates, for every option and `draws` draws over `months` months, the *gain* over
today's policy (`Funnel.current`: the policy each employee is under on ``as_of``; see
`baseline_weights`): extra (or lost) social leads, the value of the won deals they bring, and the
changes in costs, work time, service and hiring. What every option gets anyway — the leads today's
policy brings, deals already in the pipeline, recorded costs no option changes — cancels out.

Uncertainty: every uncertain quantity has its own seeded stream (`stream`), shared by all options,
so changing one option's assumption leaves every other option's draws bit-identical (unless the
changed option is part of today's policy, which is every option's baseline). Parameters are drawn
by inverse CDF from one uniform per draw (each option at the same rank of the same input). On top,
month-to-month luck: a Gamma(mean 1) demand shock per month; counts drawn from their distributions
(Poisson leads and won deals by inverse CDF from one uniform per draw and month, so an option with
more expected extra leads gets at least as many in every draw; deal values as a Gamma sum). Ranges
and "chance best" come from these predictive draws; the central values shown are their means and
medians.

Pure: numpy and polars, no files, no clock.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy import special

from socialroi.errors import ConfigError, DataError
from socialroi.policy.funnel import (
    HOURS_PER_WORKDAY,
    RATE_KEYS,
    WEEKS_PER_MONTH,
    Funnel,
    check_enough,
    estimate_funnel,
    problems,
)
from socialroi.policy.options import (
    ASSUMPTIONS,
    Assumption,
    PolicyOption,
    default_options,
)

HOURS_PER_FTE_MONTH = 2080.0 / 12.0
#: Funnel rates that vary by draw (the rest of Funnel.rates are fixed: the wage).
FUNNEL_DRAWN: tuple[str, ...] = tuple(k for k in RATE_KEYS if k != "wage")
#: Lines of a projection, each (options, draws, months): changes from today's policy.
LINES: tuple[str, ...] = (
    "leads",
    "won",
    "revenue",
    "cost",
    "productivity",
    "service",
    "recruiting",
    "gain",
)
#: The policy assumed when no policy period covers the staff on ``as_of``.
FALLBACK_POLICY = "acceptable_use"
#: Options whose staff behave as under acceptable use when the data has no period of their own.
STAFF_LIKE: dict[str, str] = {"dedicated_manager": "acceptable_use"}
#: Assumptions a data estimate of the option's own policy may replace.
FROM_DATA: tuple[str, ...] = (
    "participation",
    "posts_per_week",
    "link_share",
    "reach_per_post",
    "service_social_share",
    "hires_social_share",
)
#: What data would replace a funnel rate that has none (for "cannot project").
NEEDED: dict[str, str] = {
    "reach_per_post": "post metrics (impressions) of at least 10 staff posts",
    "clicks_per_impression": "post metrics (impressions, clicks) of staff posts with a link",
    "leads_per_click": "tracked links on staff posts (`socialroi link`) with their clicks",
    "conversation_leads_per_impression": "post metrics (impressions) of staff posts",
    "value_per_won": "won deals with their amounts",
}


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one uncertain quantity: the same for every option and every set of
    options, so one option's inputs never move another's draws."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


#: Up to this mean, Poisson counts are found by summing the probabilities from 0.
_SMALL_MEAN = 12.0


def poisson_ppf(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The Poisson(`lam`) count at uniforms `u` (inverse CDF, elementwise; broadcast): the
    smallest k with P(X ≤ k) ≥ u. Small means sum the probabilities from 0; larger ones start
    from the Cornish–Fisher normal approximation and step to the exact answer with the CDF."""
    u, lam = np.broadcast_arrays(np.asarray(u, float), np.asarray(lam, float))
    flat_u, flat_lam = u.ravel(), lam.ravel()
    out = np.zeros(flat_lam.size)
    small = np.flatnonzero((flat_lam > 0) & (flat_lam <= _SMALL_MEAN))
    if small.size:
        out[small] = _ppf_from_zero(flat_u[small], flat_lam[small])
    big = np.flatnonzero(flat_lam > _SMALL_MEAN)
    if big.size:
        out[big] = _ppf_from_normal(flat_u[big], flat_lam[big])
    return out.reshape(lam.shape)


def _ppf_from_zero(uu: np.ndarray, mm: np.ndarray) -> np.ndarray:
    pmf = np.exp(-mm)
    cdf = pmf.copy()
    k = np.zeros(mm.size)
    todo = np.flatnonzero(cdf < uu)
    step = 0
    while todo.size and step < 400:
        step += 1
        pmf_t = pmf[todo] * (mm[todo] / step)
        pmf[todo] = pmf_t
        cdf_t = cdf[todo] + pmf_t
        cdf[todo] = cdf_t
        k[todo] = step
        todo = todo[(cdf_t < uu[todo]) & (pmf_t > 0)]
    return k


def _ppf_from_normal(uu: np.ndarray, mm: np.ndarray) -> np.ndarray:
    z = special.ndtri(uu)
    k = np.maximum(0.0, np.floor(mm + np.sqrt(mm) * z + (z * z - 1) / 6 + 0.5))
    cdf = special.pdtr(k, mm)
    pmf = np.exp(special.xlogy(k, mm) - mm - special.gammaln(k + 1))
    todo = np.flatnonzero(cdf < uu)
    for _ in range(400):  # up while P(X ≤ k) < u
        if not todo.size:
            break
        k[todo] += 1
        pmf[todo] *= mm[todo] / k[todo]
        cdf[todo] += pmf[todo]
        todo = todo[(cdf[todo] < uu[todo]) & (pmf[todo] > 0)]
    todo = np.flatnonzero((k > 0) & (cdf - pmf >= uu))
    for _ in range(400):  # down while P(X ≤ k − 1) ≥ u
        if not todo.size:
            break
        cdf[todo] -= pmf[todo]
        pmf[todo] *= k[todo] / mm[todo]
        k[todo] -= 1
        todo = todo[(k[todo] > 0) & (cdf[todo] - pmf[todo] >= uu[todo])]
    return np.asarray(k)


def gamma_sum(won: np.ndarray, cv: float, z: np.ndarray) -> np.ndarray:
    """Sum of `won` deal values of mean 1 and coefficient of variation `cv`, at standard normals
    `z` (Wilson–Hilferty quantile of Gamma(won/cv², cv²)); 0 where `won` is 0."""
    k = np.maximum(won, 0.0) / (cv * cv)
    safe = np.where(k > 0, k, 1.0)
    x = safe * np.maximum(0.0, 1 - 1 / (9 * safe) + z / (3 * np.sqrt(safe))) ** 3 * cv * cv
    return np.where(k > 0, x, 0.0)


def calibrate(option: PolicyOption, funnel: Funnel) -> PolicyOption:
    """`option` with its data-estimable assumptions replaced by the funnel's estimates.

    An assumption the user set (``from_data`` False) is kept. Participation, posting rate and
    reach come from periods under the option's own policy (dedicated_manager: acceptable use's);
    reach falls back to all staff posts; the service and hiring shares come from the option's
    own policy only. A ban keeps zero posting unless the data shows staff posting under it.
    """
    own = funnel.by_policy.get(option.name, {})
    staff_like = funnel.by_policy.get(STAFF_LIKE.get(option.name, option.name), {})
    new: dict[str, Assumption] = {}
    for key in FROM_DATA:
        current = option.assumptions[key]
        if not current.from_data:
            continue
        if key in ("service_social_share", "hires_social_share"):
            est = own.get(key)
        else:
            est = staff_like.get(key)
        if est is None and key == "reach_per_post":
            est = funnel.rates.get("reach_per_post")
            if est is not None and est.basis != "data":
                est = None
        if est is not None:
            new[key] = est
    mult = option.assumptions["lead_multiplier"]
    if own.get("participation") is not None and mult.from_data and mult.fixed is False:
        # the funnel's rates are measured on staff posts, this policy's among them: a
        # multiplier on top would count its difference twice
        new["lead_multiplier"] = Assumption(
            "lead_multiplier",
            1.0,
            1.0,
            1.0,
            mult.unit,
            f"your data: staff posts under {option.name} are in the rates measured on your staff's "
            "posts (set lead_multiplier to override)",
            basis="data",
        )
    return option.replace(**new) if new else option


def baseline_weights(funnel: Funnel, names: Sequence[str]) -> tuple[dict[str, float], str]:
    """Today's policy as option weights (share of staff under each on ``as_of``) and a sentence
    that states it. Staff no policy period covers, or under a policy that is not among the
    options, count as acceptable use (said so)."""
    counts = {k: v for k, v in funnel.current.items() if v > 0}
    total = sum(counts.values())
    day = f"{funnel.as_of - timedelta(microseconds=1):%Y-%m-%d}"
    if total == 0:
        if FALLBACK_POLICY not in names:
            raise ConfigError(f"today's policy is unknown and {FALLBACK_POLICY} is not an option")
        return {FALLBACK_POLICY: 1.0}, (
            f"No policy period covers your staff on {day}: today's policy is taken to be "
            f"{FALLBACK_POLICY} (set it in table policy_periods)."
        )
    weights: dict[str, float] = {}
    notes = []
    for policy, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        target = policy if policy in names else FALLBACK_POLICY
        if target not in names:
            raise ConfigError(f"today's policy {policy!r} is not among the options")
        weights[target] = weights.get(target, 0.0) + n / total
        if policy == target:
            notes.append(f"{policy} ({n} of {total} staff)")
        else:
            notes.append(f"{policy} ({n} of {total} staff; counted as {target})")
    return weights, (
        f"Today's policy (policy_periods on {day}, each employee's team row, else the "
        f"company's): {', '.join(notes)}. Every gain is the change from continuing it."
    )


@dataclass(frozen=True)
class Projection:
    """Simulated changes from today's policy: ``lines[name]`` is an (options, draws, months)
    array, month-to-month luck included (unless ``luck`` was off). ``baseline[name]`` ('leads',
    'won', 'revenue': (draws, months)) is what today's policy itself brings, by the month the
    lead is created or the deal closes (deals already in the pipeline included). ``weights``
    are today's policy as option shares."""

    options: tuple[PolicyOption, ...]
    months: int
    draws: int
    seed: int
    weights: Mapping[str, float]
    lines: Mapping[str, np.ndarray]
    baseline: Mapping[str, np.ndarray]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def index(self, option: str) -> int:
        return self.names.index(option)

    def total(self, line: str) -> np.ndarray:
        """(options, draws): `line` summed over the months."""
        return np.asarray(self.lines[line].sum(axis=2))

    def interval(
        self, line: str, *, level: float = 0.8, months: slice | None = None
    ) -> tuple[float, float]:
        """The central `level` interval of today's policy's own `line` ('leads', 'won',
        'revenue') summed over `months` (default: all): what to hold an outcome against."""
        x = self.baseline[line][:, months if months is not None else slice(None)].sum(axis=1)
        tail = (1 - level) / 2 * 100
        lo, hi = np.percentile(x, [tail, 100 - tail])
        return float(lo), float(hi)


def _weights(options: Sequence[PolicyOption], baseline: Mapping[str, float]) -> np.ndarray:
    names = [o.name for o in options]
    unknown = sorted(set(baseline) - set(names))
    if unknown:
        raise ConfigError(f"today's policy names unknown options: {', '.join(unknown)}")
    w = np.array([float(baseline.get(n, 0.0)) for n in names])
    if w.min() < 0 or abs(w.sum() - 1.0) > 1e-9:
        raise ConfigError(f"today's policy weights must be ≥ 0 and sum to 1, not {baseline}")
    return w


def _option_values(options: Sequence[PolicyOption], seed: int, draws: int) -> dict[str, np.ndarray]:
    """key → (options, draws): each option's draws of each assumption, all at one uniform per
    key and draw (the key's own stream)."""
    out: dict[str, np.ndarray] = {}
    for key in ASSUMPTIONS:
        u = stream(seed, f"option:{key}").random(draws)
        seen: dict[Assumption, np.ndarray] = {}
        rows = []
        for opt in options:
            a = opt.assumptions[key]
            if a not in seen:
                seen[a] = a.quantile(u)
            rows.append(seen[a])
        out[key] = np.vstack(rows)
    return out


def _funnel_values(funnel: Funnel, seed: int, draws: int) -> dict[str, np.ndarray]:
    return {
        k: funnel.rates[k].quantile(stream(seed, f"funnel:{k}").random(draws)) for k in FUNNEL_DRAWN
    }


@dataclass(frozen=True)
class _Luck:
    """Month-to-month luck: standard uniforms and normals (draws, months) per outcome."""

    leads: np.ndarray
    won: np.ndarray
    value: np.ndarray
    base_leads: np.ndarray
    base_won: np.ndarray
    base_value: np.ndarray

    @staticmethod
    def make(seed: int, draws: int, months: int) -> _Luck:
        def u(name: str) -> np.ndarray:
            return stream(seed, f"luck:{name}").random((draws, months))

        def z(name: str) -> np.ndarray:
            return stream(seed, f"luck:{name}").standard_normal((draws, months))

        return _Luck(
            u("leads"), u("won"), z("value"), u("base_leads"), u("base_won"), z("base_value")
        )


def _pipeline(lag: np.ndarray, history: np.ndarray, months: int) -> np.ndarray:
    """Per projected month: the leads of the months before the projection that close then
    (weighted by the lag), the same for every option and draw."""
    h = len(history)
    out = np.zeros(months)
    for m in range(months):
        for k in range(m + 1, min(len(lag), h + m + 1)):
            out[m] += lag[k] * history[h + m - k]
    return out


def _simulate(
    funnel: Funnel,
    v: Mapping[str, np.ndarray],
    f: Mapping[str, np.ndarray],
    w: np.ndarray,
    shock: np.ndarray,
    *,
    months: int,
    luck: _Luck | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(lines, baseline): lines (options, S, months) as changes from the baseline mix `w`;
    baseline lines (S, months). `v`: option values (options, S); `f`: funnel values (S,);
    `shock`: (S, months). Without `luck`, expected values."""
    staff, wage = float(funnel.staff), funnel.rates["wage"].central
    cv = max(funnel.value_cv, 0.05)

    def vs_today(x: np.ndarray) -> np.ndarray:
        """(options, S): each option's value minus today's (the mix `w` of them)."""
        return np.asarray(x - np.tensordot(w, x, axes=1)[None, :])

    posts = staff * v["participation"] * v["posts_per_week"] * WEEKS_PER_MONTH  # (O, S)
    per_click = f["clicks_per_impression"] * f["leads_per_click"]
    per_post = v["reach_per_post"] * (
        v["link_share"] * per_click + f["conversation_leads_per_impression"]
    )
    rate = posts * per_post * v["lead_multiplier"]
    rate = rate + f["brand_leads_per_month"] * v["brand_posts_multiplier"]
    today_rate = np.tensordot(w, rate, axes=1)  # (S,)
    lam = vs_today(rate)[:, :, None] * shock[None, :, :]  # (O, S, M)
    wpl, value = f["won_per_lead"][None, :, None], f["value_per_won"][None, :, None]
    if luck is not None:
        sign = np.sign(lam)
        leads = sign * poisson_ppf(luck.leads[None], np.abs(lam))
        won = sign * poisson_ppf(luck.won[None], wpl * np.abs(leads))
        revenue = sign * value * gamma_sum(np.abs(won), cv, luck.value[None])
    else:
        leads = lam
        won = wpl * leads
        revenue = won * value

    monthly_cost = (
        posts * v["minutes_per_post"] / 60 * wage
        + v["fte"] * HOURS_PER_FTE_MONTH * wage
        + v["tools_per_month"]
        + v["monitoring_per_seat"] * staff
    )
    # switching costs: training for the staff not already under the option
    once = (v["training_hours"] * staff * wage + v["training_fee"]) * (1 - w)[:, None]
    productivity = v["productivity_workdays"] * HOURS_PER_WORKDAY * wage * staff / 12
    service = (
        f["service_cases_per_month"] * v["service_social_share"] * f["service_saving_per_case"]
    )
    recruiting = f["hires_per_month"] * v["hires_social_share"] * f["hire_saving"]
    shape = lam.shape

    def monthly(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(vs_today(x)[:, :, None], shape)

    cost = np.repeat(vs_today(monthly_cost)[:, :, None], months, axis=2)
    cost[:, :, 0] += once
    other = vs_today(productivity + service + recruiting)
    gain = revenue + other[:, :, None] - cost
    lines = {
        "leads": leads,
        "won": won,
        "revenue": revenue,
        "cost": cost,
        "productivity": monthly(productivity),
        "service": monthly(service),
        "recruiting": monthly(recruiting),
        "gain": gain,
    }

    # today's policy itself: its leads, and the deals that close in the horizon (pipeline too)
    b_lam = today_rate[:, None] * shock
    b_leads = poisson_ppf(luck.base_leads, b_lam) if luck is not None else b_lam
    lagged = np.broadcast_to(_pipeline(funnel.lag, funnel.history_leads, months), b_lam.shape)
    lagged = lagged.copy()
    for k, share in enumerate(funnel.lag[:months]):
        if share > 0:
            lagged[:, k:] += share * b_leads[:, : months - k]
    b_mean = f["won_per_lead"][:, None] * lagged
    if luck is not None:
        b_won = poisson_ppf(luck.base_won, b_mean)
        b_rev = f["value_per_won"][:, None] * gamma_sum(b_won, cv, luck.base_value)
    else:
        b_won = b_mean
        b_rev = b_mean * f["value_per_won"][:, None]
    return lines, {"leads": b_leads, "won": b_won, "revenue": b_rev}


def _check(options: Sequence[PolicyOption], months: int, draws: int) -> None:
    if not options:
        raise ConfigError("no policy options to project")
    if months < 1:
        raise ConfigError(f"months must be at least 1, not {months}")
    if draws < 1:
        raise ConfigError(f"draws must be at least 1, not {draws}")
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise ConfigError(f"option names repeat: {names}")


def project(
    funnel: Funnel,
    options: Sequence[PolicyOption],
    *,
    months: int = 12,
    draws: int = 10_000,
    seed: int = 0,
    baseline: Mapping[str, float] | None = None,
    luck: bool = True,
) -> Projection:
    """Simulate every option's change from today's policy over `months` months, `draws` times
    (options as given: call `calibrate` first to use the data's estimates).

    `baseline` is today's policy as option shares (default: `baseline_weights` of the funnel).
    ``luck=False`` leaves out month-to-month luck (parameter uncertainty only)."""
    _check(options, months, draws)
    names = [o.name for o in options]
    weights = dict(baseline) if baseline is not None else baseline_weights(funnel, names)[0]
    w = _weights(options, weights)
    v = _option_values(options, seed, draws)
    f = _funnel_values(funnel, seed, draws)
    cv = funnel.month_cv
    if luck and cv > 0:
        shock = stream(seed, "luck:demand").gamma(1 / cv**2, cv**2, (draws, months))
    else:
        shock = np.ones((draws, months))
    noise = _Luck.make(seed, draws, months) if luck else None
    lines, base = _simulate(funnel, v, f, w, shock, months=months, luck=noise)
    return Projection(tuple(options), months, draws, seed, weights, lines, base)


def sensitivity_frame(
    funnel: Funnel,
    options: Sequence[PolicyOption],
    *,
    months: int,
    baseline: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """The tornado: per option and input, the expected gain over today's policy with that input
    at its low and at its high value, every other input at its mean (the simulation's own
    centre); sorted by swing (widest first) per option.

    An option's own assumption moves today's policy too when the option is part of it. Columns:
    option, assumption, kind ('option' | 'funnel'), basis, unit, low, high, gain_central,
    gain_low, gain_high, swing.
    """
    names = [o.name for o in options]
    weights = dict(baseline) if baseline is not None else baseline_weights(funnel, names)[0]
    w = _weights(options, weights)
    keys_o, keys_f = list(ASSUMPTIONS), list(FUNNEL_DRAWN)
    n = 1 + 2 * (len(keys_o) + len(keys_f))
    rows = []
    for i, opt in enumerate(options):
        v = {
            k: np.array([[o.assumptions[k].mean] * n for o in options], dtype=float) for k in keys_o
        }
        f = {k: np.full(n, funnel.rates[k].mean) for k in keys_f}
        col = 1
        where: list[tuple[str, str, Assumption, int]] = []
        for k in keys_o:
            a = opt.assumptions[k]
            v[k][i, col], v[k][i, col + 1] = a.low, a.high
            where.append((k, "option", a, col))
            col += 2
        for k in keys_f:
            a = funnel.rates[k]
            f[k][col], f[k][col + 1] = a.low, a.high
            where.append((k, "funnel", a, col))
            col += 2
        lines, _ = _simulate(funnel, v, f, w, np.ones((n, months)), months=months, luck=None)
        total = lines["gain"][i].sum(axis=1)
        for k, kind, a, c in where:
            lo, hi = float(total[c]), float(total[c + 1])
            rows.append(
                {
                    "option": opt.name,
                    "assumption": k,
                    "kind": kind,
                    "basis": a.basis,
                    "unit": a.unit,
                    "low": a.low,
                    "high": a.high,
                    "gain_central": float(total[0]),
                    "gain_low": lo,
                    "gain_high": hi,
                    "swing": abs(hi - lo),
                }
            )
    df = pl.DataFrame(rows, schema=SENSITIVITY_SCHEMA)
    order = {o.name: i for i, o in enumerate(options)}
    return (
        df.with_columns(pl.col("option").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort(["_o", "swing", "assumption"], descending=[False, True, False])
        .drop("_o")
    )


SENSITIVITY_SCHEMA: dict[str, type[pl.DataType]] = {
    "option": pl.String,
    "assumption": pl.String,
    "kind": pl.String,
    "basis": pl.String,
    "unit": pl.String,
    "low": pl.Float64,
    "high": pl.Float64,
    "gain_central": pl.Float64,
    "gain_low": pl.Float64,
    "gain_high": pl.Float64,
    "swing": pl.Float64,
}


def project_from(
    tables: Mapping[str, pl.DataFrame],
    *,
    as_of: datetime,
    option_name: str,
    months: int = 12,
    draws: int = 10_000,
    seed: int = 0,
    options: Mapping[str, PolicyOption] | None = None,
    teams: Sequence[str] | None = None,
    model: str = "first_touch",
) -> Projection:
    """A projection made only from the data before `as_of`, for one option: the backtest.

    The funnel and the option's data estimates come from the complete months before `as_of`
    (nothing dated on or after it is read); the option is then simulated as if it were today's
    policy over the `months` months from `as_of`, so ``Projection.interval('leads' | 'won' |
    'revenue', level=0.8)`` is the predictive interval of what it brings. With `teams`, only
    those teams' staff, posts and leads (the brand's leads, service and hiring are left out).
    Raises DataError when the data before `as_of` cannot support a projection.
    """
    opts = dict(options) if options is not None else default_options()
    if option_name not in opts:
        raise ConfigError(f"unknown option '{option_name}'; options are: {', '.join(opts)}")
    funnel = check_enough(estimate_funnel(tables, as_of=as_of, teams=teams, model=model))
    issues = problems(funnel)
    if issues:
        raise DataError("cannot project: " + "; ".join(reason for reason, _ in issues))
    option = calibrate(opts[option_name], funnel)
    return project(
        funnel, [option], months=months, draws=draws, seed=seed, baseline={option_name: 1.0}
    )
