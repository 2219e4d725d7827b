"""Data-driven models on raw touches: journeys, spreading channel credit over touches, totals."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given

from socialroi.core.attribution import (
    UNATTRIBUTED,
    credit_touches,
    journeys_from_touches,
    markov,
    shapley,
    spread_credits,
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


def test_spread_equal_per_conversion_value_by_conversion_value():
    # A holds k1 twice and k2 once: each conversion gets 0.6 of A's 1.2 and k1's two touches
    # 0.3 each; A's value 240 goes 100:300 -> 60 to k1 (30 a touch) and 180 to k2.
    # B is in k1 and k2: 0.4 each; value 160 -> 40 and 120.
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    channel = pl.DataFrame(
        {"channel": ["A", "B"], "conversions": [1.2, 0.8], "value": [240.0, 160.0]}
    )
    out = spread_credits(assigned, channel).sort("ts")
    assert out.select("conversion_id", "channel").rows() == [
        ("k1", "A"),
        ("k1", "B"),
        ("k2", "B"),
        ("k1", "A"),
        ("k2", "A"),
    ]
    assert out["credit"].to_list() == pytest.approx([0.3, 0.4, 0.4, 0.3, 0.6])
    assert out["value_credit"].to_list() == pytest.approx([30.0, 40.0, 120.0, 30.0, 180.0])


def test_channel_credited_without_converting_touch_keeps_it_on_its_own_touches():
    # C has no converting touch: its 0.5 sits on its two non-converting touches, no conversion.
    assigned = assign_touches(TOUCHES, CONVERSIONS, carry=("value",))
    channel = pl.DataFrame(
        {"channel": ["A", "C"], "conversions": [1.5, 0.5], "value": [300.0, 100.0]}
    )
    out = spread_credits(assigned, channel)
    c = out.filter(pl.col("channel") == "C")
    assert c["credit"].to_list() == [0.25, 0.25]
    assert c["value_credit"].to_list() == [50.0, 50.0]
    assert c["conversion_id"].null_count() == 2
    assert out["credit"].sum() == pytest.approx(2.0)


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_channel_totals_are_the_models_and_everything_reconciles(model):
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
