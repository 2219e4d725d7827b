"""The network block of the analysis: referral chains, influence, givers and broadcasters.

`network_kpis` runs :mod:`socialroi.core.network` and :mod:`socialroi.core.givers` on the tables
as they stood at the report date and bundles the results in a `NetworkKpis`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from socialroi.core import givers, network

#: Conversion kinds that make a contact "converting" for the influence ranking.
CONVERTING_KINDS: tuple[str, ...] = ("lead", "deal")


@dataclass(frozen=True)
class NetworkKpis:
    """decay and max_depth as used; the frames as built by the functions named."""

    decay: float
    max_depth: int
    referral_credits: pl.DataFrame  # network.referral_credits: per (won deal, contact up its chain)
    referral_contacts: pl.DataFrame  # network.contact_referral_credit
    chains: pl.DataFrame  # network.referral_chains: per original contact
    chain_employees: pl.DataFrame  # network.referral_employees
    influence: pl.DataFrame  # network.influence
    givers: pl.DataFrame  # givers.giver_accounts
    giver_summary: pl.DataFrame  # givers.giver_summary


def network_kpis(
    tables: Mapping[str, pl.DataFrame],
    *,
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    credits: pl.DataFrame,
    decay: float = network.DEFAULT_DECAY,
    max_depth: int = network.DEFAULT_MAX_DEPTH,
) -> NetworkKpis:
    """`tables` holds contacts, deals, employees, posts, accounts and post_metrics (missing ones
    count as empty); `touchpoints` are the resolved touches with their employees filled in;
    `conversions` the analysis' conversions; `credits` one model's credits (its leads feed the
    giver table)."""
    contacts, deals, employees = tables["contacts"], tables["deals"], tables["employees"]
    ref = network.referral_credits(contacts, deals, decay=decay, max_depth=max_depth)
    chains = network.referral_chains(ref, contacts, touchpoints, employees)
    converting = (
        conversions.filter(pl.col("kind").is_in(CONVERTING_KINDS)).get_column("contact_id").unique()
    )
    accounts = givers.giver_accounts(
        tables["posts"],
        tables["accounts"],
        tables["post_metrics"],
        credits.filter(pl.col("kind") == "lead"),
        employees,
    )
    return NetworkKpis(
        decay=decay,
        max_depth=max_depth,
        referral_credits=ref,
        referral_contacts=network.contact_referral_credit(ref, contacts),
        chains=chains,
        chain_employees=network.referral_employees(chains),
        influence=network.influence(touchpoints, contacts, employees, converting),
        givers=accounts,
        giver_summary=givers.giver_summary(accounts),
    )
