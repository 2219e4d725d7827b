"""Data-driven models on raw touches: journeys, credit placed on each conversion's touches."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given

from socialroi.core.attribution import (
    UNATTRIBUTED,
    credit_touches,
    journeys_from_touches,
    markov,
    place_by_channel,
    place_by_set,
    shapley,
    shapley_shares,
    summarize,
)
from socialroi.core.journeys import assign_touches
from tests.core.test_attribution_properties import (
    FAST,
    _conversions,
    _touches,
    conversion_rows,
    touch_rows,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


TOUCHES = pl.DataFrame(
    {
        "contact_id": ["c1", "c1", "c1", "c1", "c2", "c2", "c3"],
        "ts": [at(0), at(1), at(3), at(20), at(2), at(4), at(1)],
        "channel": ["A", "B", "A", "C", "B", "A", "C"],
        "platform": ["p", None, "p", None, None, "q", None],
    }
)
CONVERSIONS = pl.DataFrame(
    {
        "conversion_id": ["k1", "k2", "k3"],
        "contact_id": ["c1", "c2", "c4"],
        "ts": [at(5), at(4), at(6)],
        "value": [100.0, 300.0, 50.0],
    }
)


def test_journeys_from_touches():
    # k1: A, B, A (c1's touch on day 20 is after its conversion); k2: B, A; c1's and c3's
    # unassigned touches are one non-converting journey each (C, C).
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    j = journeys_from_touches(assigned)
    paths = (
        j.sort("step")
        .group_by("journey_id", maintain_order=True)
        .agg(pl.col("channel").str.join(""), pl.col("converted").first(), pl.col("value").first())
        .select("channel", "converted", "value")
        .rows()
    )
    assert sorted(paths) == [
        ("ABA", True, 100.0),
        ("BA", True, 300.0),
        ("C", False, 0.0),
        ("C", False, 0.0),
    ]


def _placed(out: pl.DataFrame) -> list[tuple[object, ...]]:
    return out.sort("ts", "conversion_id").select("conversion_id", "channel").rows()


def test_place_by_channel_shares_each_conversion_by_its_channels_weights():
    # k1 holds A twice and B once, k2 B and A. With weights A 2, B 1 each conversion gives A 2/3
    # and B 1/3; k1's two A touches share A's part. C weighs 5 but no conversion holds it: it
    # gets nothing, and no row is off a conversion.
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    weights = pl.DataFrame({"channel": ["A", "B", "C"], "weight": [2.0, 1.0, 5.0]})
    out = place_by_channel(assigned, weights).sort("ts", "conversion_id")
    assert _placed(out) == [("k1", "A"), ("k1", "B"), ("k2", "B"), ("k1", "A"), ("k2", "A")]
    assert out["credit"].to_list() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3])
    assert out["value_credit"].to_list() == pytest.approx([100 / 3, 100 / 3, 100, 100 / 3, 200])
    assert out["conversion_id"].null_count() == 0


def test_place_by_channel_all_zero_weights_share_equally_by_channel():
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    weights = pl.DataFrame({"channel": ["A"], "weight": [0.0]})  # B has no weight at all
    out = place_by_channel(assigned, weights).sort("ts", "conversion_id")
    assert out["credit"].to_list() == pytest.approx([0.25, 0.5, 0.5, 0.25, 0.5])
    assert out["value_credit"].to_list() == pytest.approx([25.0, 50.0, 150.0, 25.0, 150.0])


def test_place_by_set_reads_the_conversions_own_channel_set():
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    shares = pl.DataFrame(
        {"set_key": ["A\x1fB", "A\x1fB", "A"], "channel": ["A", "B", "A"], "share": [0.9, 0.1, 1.0]}
    )
    out = place_by_set(assigned, shares).sort("ts", "conversion_id")
    assert _placed(out) == [("k1", "A"), ("k1", "B"), ("k2", "B"), ("k1", "A"), ("k2", "A")]
    assert out["credit"].to_list() == pytest.approx([0.45, 0.1, 0.1, 0.45, 0.9])
    assert out["value_credit"].to_list() == pytest.approx([45.0, 10.0, 30.0, 45.0, 270.0])


def test_markov_places_removal_effects_per_conversion():
    # Walks: A B A → conv, B A → conv, C → null twice. P = 1/2; without A 0, without B 1/6:
    # removal effects A 1, B 2/3, C 0. Each of k1, k2 gives A 1 / (5/3) = 3/5 and B 2/5.
    credits = credit_touches(TOUCHES, CONVERSIONS, "markov")
    got = (
        credits.group_by("conversion_id", "channel")
        .agg(pl.col("credit").sum(), pl.col("value_credit").sum())
        .sort("conversion_id", "channel")
        .rows()
    )
    assert got == [
        ("k1", "A", pytest.approx(0.6), pytest.approx(60.0)),
        ("k1", "B", pytest.approx(0.4), pytest.approx(40.0)),
        ("k2", "A", pytest.approx(0.6), pytest.approx(180.0)),
        ("k2", "B", pytest.approx(0.4), pytest.approx(120.0)),
        ("k3", UNATTRIBUTED, 1.0, 50.0),
    ]


def test_markov_channel_totals_follow_the_conversions_not_the_chain():
    # One contact walks A → conv, another B → A → null. P = 1/2 · 1/2 + 1/2 · 1/2 = 1/2, and
    # without B 1/4: B's removal effect is 1/2 (it routes walkers into A), yet no conversion
    # holds B, so A takes the whole conversion.
    touches = pl.DataFrame(
        {"contact_id": ["c1", "c2", "c2"], "ts": [at(0), at(0), at(1)], "channel": ["A", "B", "A"]}
    )
    conversions = pl.DataFrame({"contact_id": ["c1"], "ts": [at(2)], "value": [80.0]})
    chain = markov(journeys_from_touches(assign_touches(touches, conversions)), order=1)
    effects = dict(chain.credits.select("channel", "removal_effect").iter_rows())
    assert effects == {"A": pytest.approx(1.0), "B": pytest.approx(0.5)}
    credits = credit_touches(touches, conversions, "markov")
    assert credits.select("channel", "credit", "value_credit").rows() == [("A", 1.0, 80.0)]


def test_shapley_shares_sum_to_one_per_set_and_to_the_models_credits():
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    journeys = journeys_from_touches(assigned)
    shares = shapley_shares(journeys)
    assert shares.group_by("set_key").agg(pl.col("share").sum())["share"].to_list() == [
        pytest.approx(1.0)
    ]
    # both conversions have the set {A, B}; p({A, B}) = 1 and no journey has A or B alone,
    # so v({A}) = v({B}) = 0 and A and B split it evenly
    assert sorted(shares.select("channel", "share").rows()) == [("A", 0.5), ("B", 0.5)]


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_channel_totals_and_everything_reconciles(model):
    # Here both conversions hold the same channel set, so per-conversion placement gives the
    # chain's own channel shares too.
    credits = credit_touches(TOUCHES, CONVERSIONS, model)
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    fitted = (markov if model == "markov" else shapley)(journeys_from_touches(assigned))
    by_channel = summarize(credits).filter(pl.col("channel") != UNATTRIBUTED).sort("channel")
    want = fitted.credits.filter(pl.col("conversions") > 0).sort("channel")
    assert by_channel["channel"].to_list() == want["channel"].to_list()
    assert by_channel["conversions"].to_list() == pytest.approx(want["conversions"].to_list())
    assert by_channel["value"].to_list() == pytest.approx(want["value"].to_list())
    # k3 (no touch) is unattributed; 3 conversions worth 450 in all, under any grouping
    for by in (("channel",), ("platform",), ("month",)):
        s = summarize(credits, by)
        assert s["conversions"].sum() == pytest.approx(3.0)
        assert s["value"].sum() == pytest.approx(450.0)
    un = credits.filter(pl.col("channel") == UNATTRIBUTED)
    assert un["conversion_id"].to_list() == ["k3"]


@FAST
@given(tp=touch_rows, cv=conversion_rows)
def test_data_driven_totals_reconcile(tp, cv):
    conv = _conversions(cv)
    for model in ("markov", "shapley"):
        credits = credit_touches(_touches(tp), conv, model, order=2 if model == "markov" else 1)
        assert (credits["credit"] >= 0).all()
        s = summarize(credits, ("channel",))
        assert s["conversions"].sum() == pytest.approx(conv.height)
        assert s["value"].sum() == pytest.approx(conv["value"].sum(), rel=1e-9, abs=1e-6)
        # every conversion without a touch is unattributed, and only those
        assigned = assign_touches(_touches(tp), conv)
        touched = set(assigned["conversion_id"].drop_nulls())
        un = set(credits.filter(pl.col("channel") == UNATTRIBUTED)["conversion_id"])
        assert un == set(conv["conversion_id"]) - touched
