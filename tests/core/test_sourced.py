"""The two headline figures: social-sourced (origin, in full) and social-credited (the model's
share), on hand-made data and against the demo generator's truth."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from socialroi.core import roi
from socialroi.core.attribution import credit_touches
from socialroi.core.conversions import deal_conversions
from socialroi.core.identity import resolve_tables
from socialroi.core.model_compare import credit_all
from socialroi.core.sourced import (
    FIGURE_COLUMNS,
    SOCIAL_CREDITED,
    SOCIAL_SOURCED,
    conversion_origins,
    social_credited,
    social_sourced,
    totals,
)
from socialroi.demo.params import LAGS
from tests.demos import demo_company

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


TOUCHES = pl.DataFrame(
    {
        "contact_id": ["c1", "c1", "c2", "c2", "c3", "c4", "c6", "c6"],
        "ts": [at(0), at(5), at(0), at(2), at(1), at(10), at(4), at(4)],
        "channel": [
            "linkedin",
            "direct",
            "direct",
            "x",
            "paid_social",
            "x",
            "direct",
            "x",
        ],
        "platform": ["linkedin", None, None, "x", "facebook", "x", None, "x"],
    }
)
CONVERSIONS = pl.DataFrame(
    {
        "conversion_id": ["l1", "d1", "d1b", "d2", "p3", "l4", "d5", "l6"],
        "contact_id": ["c1", "c1", "c1", "c2", "c3", "c4", "c5", "c6"],
        "kind": ["lead", "deal", "deal", "deal", "pipeline", "lead", "deal", "lead"],
        "ts": [at(3), at(30), at(400), at(20), at(4), at(3), at(9), at(6)],
        "value": [0.0, 1000.0, 200.0, 500.0, 700.0, 0.0, 300.0, 0.0],
    }
)


def test_origin_is_the_contacts_first_touch_at_or_before_the_conversion():
    got = conversion_origins(TOUCHES, CONVERSIONS).select(
        "conversion_id", "origin_channel", "origin_platform", "social"
    )
    assert got.rows() == [
        ("l1", "linkedin", "linkedin", True),
        ("d1", "linkedin", "linkedin", True),
        # a later deal of the same client keeps its origin, with no lookback
        ("d1b", "linkedin", "linkedin", True),
        ("d2", "direct", "direct", False),
        ("p3", "paid_social", "facebook", True),
        # c4's only touch comes after its lead; c5 has none: no known origin
        ("l4", None, None, False),
        ("d5", None, None, False),
        # two touches at the same time: the first in input order
        ("l6", "direct", "direct", False),
    ]


def test_tied_first_touches_are_taken_in_input_order():
    swapped = TOUCHES.with_columns(
        pl.when(pl.col("contact_id") == "c6")
        .then(pl.col("channel").reverse().over("contact_id"))
        .otherwise(pl.col("channel"))
        .alias("channel")
    )
    got = conversion_origins(swapped, CONVERSIONS).filter(pl.col("conversion_id") == "l6")
    assert got.select("origin_channel", "social").row(0) == ("x", True)


def test_social_sourced_counts_whole_conversions_by_origin_platform():
    got = social_sourced(TOUCHES, CONVERSIONS)
    assert got.columns == list(FIGURE_COLUMNS)
    assert got.rows() == [
        ("linkedin", 1.0, 2.0, 1200.0, 0.0),
        ("facebook", 0.0, 0.0, 0.0, 700.0),
    ]
    t = totals(got)
    assert (t.leads, t.deals, t.revenue, t.pipeline) == (1.0, 2.0, 1200.0, 700.0)


def test_social_credited_is_the_models_social_share():
    # linear, each kind credited on its own (as the analysis does), 90-day windows: l1 has
    # linkedin; l6 direct and x (1/2 to x); d1 linkedin and direct (1/2 social, $500); d2 direct
    # and x ($250 to x); d1b's touches are long gone; p3 is paid social on facebook.
    credits = credit_all(TOUCHES, CONVERSIONS, ["linear"], lookback_days=90, half_life_days=7.0)[
        "linear"
    ]
    got = social_credited(credits)
    assert sorted(got.rows()) == [
        ("facebook", 0.0, 0.0, 0.0, 700.0),
        ("linkedin", 1.0, 0.5, 500.0, 0.0),
        ("x", 0.5, 0.5, 250.0, 0.0),
    ]
    assert totals(got).revenue == 750.0
    assert SOCIAL_SOURCED != SOCIAL_CREDITED


def test_no_touches_and_no_conversions_give_empty_figures():
    empty = social_sourced(TOUCHES.clear(), CONVERSIONS)
    assert empty.height == 0
    assert empty.columns == list(FIGURE_COLUMNS)
    assert totals(empty).revenue == 0.0
    assert social_sourced(TOUCHES, CONVERSIONS.clear()).height == 0


# --- the demo generator's truth -------------------------------------------------------------

#: Seeds the truth test runs (24 months each, about a second apiece).
TRUTH_SEEDS = (1, 2, 3, 4, 5, 7)
#: Longest first visit → CRM contact lag in the generator.
CONTACT_LAG = timedelta(days=LAGS["contact_web"].last)


def _recovery(seed: int) -> dict[str, float]:
    """Won revenue of social origin by the generator's label (leads.source organic_social),
    how much of it social-sourced finds, and the social-sourced revenue of other deals; "in
    data" keeps contacts created CONTACT_LAG or more after the data begin (their origin visit
    lies in the data)."""
    demo = demo_company(seed=seed)
    t = demo.tables
    won = deal_conversions(t["deals"], t["leads"])
    label = t["leads"].sort("created_at").group_by("contact_id").agg(pl.col("source").first())
    start = datetime.fromisoformat(demo.truth["start"]).replace(tzinfo=UTC)
    created = t["contacts"].select("contact_id", pl.col("created_at").alias("_created"))
    touches = resolve_tables(t).touchpoints
    origins = (
        conversion_origins(touches, won)
        .join(label, on="contact_id", how="left")
        .join(created, on="contact_id", how="left")
    )
    true = (pl.col("source") == "organic_social").fill_null(False)
    # paid social is a channel of its own in the generator's truth
    found = pl.col("social") & (pl.col("origin_channel") != "paid_social")
    in_data = pl.col("_created") >= pl.lit(start + CONTACT_LAG)

    def revenue(cond: pl.Expr) -> float:
        return float(origins.filter(cond)["value"].sum())

    sourced = totals(social_sourced(touches, won)).revenue
    assert sourced == pytest.approx(revenue(pl.col("social")))
    return {
        "truth": revenue(true),
        "found": revenue(true & found),
        "other": revenue(~true & found),
        "truth_in_data": revenue(true & in_data),
        "found_in_data": revenue(true & found & in_data),
    }


@pytest.mark.slow  # several whole demo companies
def test_social_sourced_recovers_the_generators_social_origin_revenue():
    for seed in TRUTH_SEEDS:
        r = _recovery(seed)
        assert r["truth_in_data"] > 200_000, seed
        assert r["found_in_data"] >= 0.95 * r["truth_in_data"], (seed, r)
        # seed 3 loses two deals whose origin visit came before the data begin (91%)
        assert r["found"] >= 0.90 * r["truth"], (seed, r)
        assert r["other"] <= 0.05 * r["truth"], (seed, r)


def test_seed_7_figures():
    # 21 won deals worth $605,500 came from organic social in the demo's own world
    # (src/socialroi/demo/world.toml); all found.
    r = _recovery(7)
    assert r["truth"] == 605_500.0
    assert r["found"] == 605_500.0
    assert r["other"] == 0.0


def test_social_credited_matches_roi_totals_on_the_demo():
    demo = demo_company(months=12)
    t = demo.tables
    touches = resolve_tables(t).touchpoints
    won = deal_conversions(t["deals"], t["leads"])
    credits = credit_touches(touches, won, "linear", lookback_days=120)
    mine = totals(social_credited(credits))
    theirs = roi.roi_totals(credits, t["costs"].clear())
    assert mine.revenue == pytest.approx(theirs["revenue"])
    assert mine.deals == pytest.approx(theirs["deals"])
    assert mine.revenue > 0
