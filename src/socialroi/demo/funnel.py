"""The funnel from an origin event to revenue: lags, sampling, and the same thing in expectation.

Every origin event (a click on a post, a conversation, a search visit…) walks the same chain:
contact (p_session × p_identify × the policy's identify multiplier, after a contact lag), lead
(p_lead, lead lag), deal (p_deal, deal lag), close (close lag; won with p_won, amount lognormal with
the funnel's mean). Lags are whole days drawn from fixed pmfs, so the expected number of leads,
deals and won revenue on each day is the origin intensity convolved with those pmfs and scaled by
the probabilities — exactly what :func:`expected_outcomes` computes and the sampler draws from.
Anything that would fall on or after the end of the period does not happen (yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from socialroi.demo import params

SECONDS_PER_DAY = 86_400.0
OUTCOMES: tuple[str, ...] = ("contacts", "leads", "deals", "won", "revenue")


@cache
def lag_pmf(name: str) -> np.ndarray:
    """Probability of each whole-day lag 0..last for the lag called `name`."""
    lag = params.LAGS[name]
    pmf = np.zeros(lag.last + 1)
    k = np.arange(lag.first, lag.last + 1)
    w = (1 - lag.q) ** (k - lag.first)
    pmf[k] = (1 - lag.p0) * w / w.sum()
    pmf[0] += lag.p0
    pmf.setflags(write=False)
    return pmf


def mean_lag(name: str) -> float:
    pmf = lag_pmf(name)
    return float(np.arange(len(pmf)) @ pmf)


def sample_lag(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    pmf = lag_pmf(name)
    return rng.choice(len(pmf), size=n, p=pmf)


def business_tod(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the (UTC) day, around US business hours."""
    return np.clip(rng.normal(17.5 * 3600, 2.6 * 3600, n), 0, SECONDS_PER_DAY - 1)


def later_tod(rng: np.random.Generator, prev: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Time of a follow-on event: later the same day when the lag is 0, else business hours."""
    same_day = prev + (SECONDS_PER_DAY - prev) * rng.uniform(0.05, 0.6, len(prev))
    return np.where(lag == 0, same_day, business_tod(rng, len(prev)))


@dataclass(frozen=True)
class Chain:
    """What became of each origin event (arrays aligned with the origins)."""

    session: np.ndarray  # a web session was recorded
    contact: np.ndarray  # a contact was created before the end
    contact_lag: np.ndarray
    contact_day: np.ndarray
    contact_tod: np.ndarray
    lead: np.ndarray
    lead_day: np.ndarray
    lead_tod: np.ndarray
    deal: np.ndarray
    deal_day: np.ndarray
    deal_tod: np.ndarray
    closed: np.ndarray  # the deal closed before the end
    won: np.ndarray  # closed and won
    close_day: np.ndarray
    close_tod: np.ndarray
    amount: np.ndarray


def _param(funnels: list[params.Funnel], idx: np.ndarray, attr: str) -> np.ndarray:
    values: np.ndarray = np.array([getattr(f, attr) for f in funnels], dtype=float)
    return np.asarray(values[idx])


def sample_chain(
    rng: np.random.Generator,
    funnel: np.ndarray,
    day: np.ndarray,
    tod: np.ndarray,
    *,
    identify_multiplier: np.ndarray,
    n_days: int,
) -> Chain:
    """Sample the funnel for origins named by `funnel` (FUNNELS keys) on `day` at `tod`."""
    names = sorted(set(funnel.tolist()))
    funnels = [params.FUNNELS[n] for n in names]
    idx = np.searchsorted(np.array(names), funnel)
    n = len(day)
    web = np.array([f.web for f in funnels], dtype=bool)[idx]
    session = web & (rng.random(n) < _param(funnels, idx, "p_session"))
    p_id = _param(funnels, idx, "p_identify") * identify_multiplier
    identified = (session | ~web) & (rng.random(n) < p_id)

    c_lag = np.zeros(n, dtype=np.int64)
    for i, f in enumerate(funnels):
        rows = idx == i
        c_lag[rows] = sample_lag(rng, f.contact_lag, int(rows.sum()))
    c_day = day + c_lag
    c_tod = later_tod(rng, tod, c_lag)
    contact = identified & (c_day < n_days)

    l_lag = sample_lag(rng, "lead", n)
    l_day, l_tod = c_day + l_lag, later_tod(rng, c_tod, l_lag)
    lead = contact & (rng.random(n) < _param(funnels, idx, "p_lead")) & (l_day < n_days)

    d_lag = sample_lag(rng, "deal", n)
    d_day, d_tod = l_day + d_lag, later_tod(rng, l_tod, d_lag)
    deal = lead & (rng.random(n) < _param(funnels, idx, "p_deal")) & (d_day < n_days)

    w_lag = sample_lag(rng, "close", n)
    w_day, w_tod = d_day + w_lag, later_tod(rng, d_tod, w_lag)
    closed = deal & (w_day < n_days)
    won = closed & (rng.random(n) < _param(funnels, idx, "p_won"))

    sigma = _param(funnels, idx, "amount_sigma")
    mu = np.log(_param(funnels, idx, "mean_amount")) - sigma**2 / 2
    amount = np.round(rng.lognormal(mu, sigma), -2).clip(min=1000.0)
    return Chain(
        session,
        contact,
        c_lag,
        c_day,
        c_tod,
        lead,
        l_day,
        l_tod,
        deal,
        d_day,
        d_tod,
        closed,
        won,
        w_day,
        w_tod,
        amount,
    )


def _convolve(x: np.ndarray, pmf: np.ndarray) -> np.ndarray:
    return np.convolve(x, pmf)[: len(x)]


def expected_outcomes(
    origins: np.ndarray, funnel: params.Funnel, pre_lag: str | None = None
) -> dict[str, np.ndarray]:
    """Expected contacts, leads, deals, won deals and won revenue on each day.

    `origins` is the expected number of origin events per day, already scaled by any identify
    multiplier; `pre_lag` delays them first (e.g. from a post to its clicks). Leads and deals fall
    on their creation day, won deals and revenue on the close day; nothing after the last day.
    The rounding of amounts to hundreds (and the $1,000 floor) is ignored: well under 0.1%.
    """
    x = origins if pre_lag is None else _convolve(origins, lag_pmf(pre_lag))
    contacts = _convolve(x * funnel.p_session * funnel.p_identify, lag_pmf(funnel.contact_lag))
    leads = _convolve(contacts * funnel.p_lead, lag_pmf("lead"))
    deals = _convolve(leads * funnel.p_deal, lag_pmf("deal"))
    won = _convolve(deals * funnel.p_won, lag_pmf("close"))
    return {
        "contacts": contacts,
        "leads": leads,
        "deals": deals,
        "won": won,
        "revenue": won * funnel.mean_amount,
    }


def cohort_outcomes(origins: np.ndarray, funnel: params.Funnel) -> dict[str, np.ndarray]:
    """Expected outcomes counted on the origin's day, whenever they happen (no lags, no end)."""
    contacts = origins * funnel.p_session * funnel.p_identify
    leads = contacts * funnel.p_lead
    deals = leads * funnel.p_deal
    won = deals * funnel.p_won
    return {
        "contacts": contacts,
        "leads": leads,
        "deals": deals,
        "won": won,
        "revenue": won * funnel.mean_amount,
    }
