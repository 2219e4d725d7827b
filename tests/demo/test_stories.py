"""The demo tells the seeds' story: referral chains that start at a client met on LinkedIn, in
the ground truth and as the core's referral chains find them in the data."""

from __future__ import annotations

from typing import Any

import polars as pl

from socialroi.core import network
from socialroi.core.pipeline import Pipeline
from socialroi.demo import DemoCompany


def _stories(demo: DemoCompany) -> list[dict[str, Any]]:
    stories: list[dict[str, Any]] = demo.truth["referral_stories"]
    return stories


def test_truth_records_multi_hop_chains_from_linkedin_contacts(demo: DemoCompany) -> None:
    stories = _stories(demo)
    assert len(stories) == 2
    for story in stories:
        root = story["root"]
        assert root["met_on"] == "linkedin"
        assert root["via"] in ("conversation", "tracked_link")
        assert root["deal_id"] is not None  # the client's own deal was won
        assert not root["planted_win"]  # … by the sampled funnel, not planted
        hops = sorted(x["hop"] for x in story["introduced"])
        assert hops == [1, 1, 2, 3]  # two firms; one of them introduces a third, and so on
        assert story["depth"] == 3
        assert story["downstream_won"] == 4
        won = [x for x in story["introduced"] if x["deal_id"]]
        assert story["downstream_value"] == sum(x["amount"] for x in won)
        # each firm is introduced after the firm introducing it won
        by_id = {x["contact_id"]: x for x in story["introduced"]} | {root["contact_id"]: root}
        for x in story["introduced"]:
            assert by_id[x["referred_by"]]["won_at"] < x["won_at"]


def test_story_contacts_and_deals_are_in_the_tables(demo: DemoCompany) -> None:
    contacts, deals = demo.tables["contacts"], demo.tables["deals"]
    for story in _stories(demo):
        for x in story["introduced"]:
            row = contacts.filter(pl.col("contact_id") == x["contact_id"]).row(0, named=True)
            assert row["referred_by"] == x["referred_by"]
            deal = deals.filter(pl.col("deal_id") == x["deal_id"]).row(0, named=True)
            assert (deal["contact_id"], deal["won"], deal["amount"]) == (
                x["contact_id"],
                True,
                x["amount"],
            )
        leads = demo.tables["leads"].filter(
            pl.col("contact_id").is_in([x["contact_id"] for x in story["introduced"]])
        )
        assert set(leads["source"]) == {"referral"}  # never counted as social-sourced


def test_core_referral_chains_show_the_stories(demo: DemoCompany) -> None:
    """socialroi.core.network finds each story as one chain: met on LinkedIn, three hops deep,
    led to four more won deals worth the story's value."""
    t = demo.tables
    touches = Pipeline(t, as_of=demo.as_of).touchpoints
    credits = network.referral_credits(t["contacts"], t["deals"])
    chains = network.referral_chains(credits, t["contacts"], touches, t["employees"])
    for story in _stories(demo):
        root = story["root"]
        chain = chains.filter(pl.col("root_id") == root["contact_id"]).row(0, named=True)
        assert chain["met_on"] == "linkedin"
        assert chain["depth"] == 3
        assert chain["downstream_deals"] == 4
        assert chain["downstream_value"] == story["downstream_value"]
        assert chain["own_revenue"] == root["amount"]
        assert sorted(chain["deal_ids"]) == sorted(x["deal_id"] for x in story["introduced"])
    # the two stories lead the chains by the revenue they bring back to their root
    top = chains.head(2)["root_id"].to_list()
    assert set(top) == {s["root"]["contact_id"] for s in _stories(demo)}
