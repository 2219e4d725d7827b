"""Rule models against credits worked out by hand (design §4 weights)."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from socialroi.core.attribution import (
    RULE_MODELS,
    UNATTRIBUTED,
    attribute,
    credit_models,
    credit_touches,
    summarize,
)
from socialroi.errors import DataError


def day(d: int, hour: int = 0) -> datetime:
    return datetime(2025, 1, d, hour, tzinfo=UTC)


def touches(*rows: tuple[str, datetime, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "ts": [r[1] for r in rows],
            "channel": [r[2] for r in rows],
        },
        schema={"contact_id": pl.String, "ts": pl.Datetime("us", "UTC"), "channel": pl.String},
    )


def conversion(
    ts: datetime,
    *,
    contact: str = "c1",
    value: float = 1000.0,
    lead: datetime | None = None,
    deal: datetime | None = None,
    cid: str = "v1",
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "conversion_id": [cid],
            "contact_id": [contact],
            "ts": [ts],
            "value": [value],
            "lead_created_at": [lead],
            "deal_created_at": [deal],
        },
        schema_overrides={
            "lead_created_at": pl.Datetime("us", "UTC"),
            "deal_created_at": pl.Datetime("us", "UTC"),
        },
    )


def credits_of(tp: pl.DataFrame, conv: pl.DataFrame, model: str, **kw: float) -> list[float]:
    out = credit_touches(tp, conv, model, **kw)  # type: ignore[arg-type]
    return out.get_column("credit").to_list()


# One journey for every model: four touches, lead created after t2, deal created after t3.
#   t1 Jan 1 linkedin  (first)
#   t2 Jan 10 x        (lead: last touch at or before Jan 10 12:00)
#   t3 Jan 20 email    (deal: last touch at or before Jan 21)
#   t4 Jan 28 direct   (last)
JOURNEY = touches(
    ("c1", day(1), "linkedin"),
    ("c1", day(10), "x"),
    ("c1", day(20), "email"),
    ("c1", day(28), "direct"),
)
JOURNEY_CONV = conversion(day(31), lead=day(10, 12), deal=day(21))

EXPECTED = {
    "first_touch": [1.0, 0.0, 0.0, 0.0],
    "last_touch": [0.0, 0.0, 0.0, 1.0],
    # last touch that is not direct: t3 email
    "last_non_direct": [0.0, 0.0, 1.0, 0.0],
    "linear": [0.25, 0.25, 0.25, 0.25],
    # first .4, last .4, middle .2 shared by t2 and t3 -> .1 each
    "position_based": [0.4, 0.1, 0.1, 0.4],
    # first .4 (t1), lead .4 (t2), middle .2 shared by t3, t4 -> .1 each
    "u_shaped": [0.4, 0.4, 0.1, 0.1],
    # first .3, lead .3, deal .3 (t3), middle .1 to t4 alone
    "w_shaped": [0.3, 0.3, 0.3, 0.1],
    # first/lead/deal/last .225 each, no middle touch -> total .9 -> .225/.9 = .25 each
    "full_path": [0.25, 0.25, 0.25, 0.25],
    # first .2, last .6, middle .2 / 2
    "j_shaped": [0.2, 0.1, 0.1, 0.6],
    # first .6, last .2, middle .2 / 2
    "inverse_j": [0.6, 0.1, 0.1, 0.2],
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_every_position_model_on_one_journey(model):
    got = credit_touches(JOURNEY, JOURNEY_CONV, model)
    assert got.get_column("channel").to_list() == ["linkedin", "x", "email", "direct"]
    assert got.get_column("credit").to_list() == pytest.approx(EXPECTED[model])
    # value 1000 is split the same way
    assert got.get_column("value_credit").to_list() == pytest.approx(
        [1000 * c for c in EXPECTED[model]]
    )


def test_expected_table_covers_every_rule_model_but_time_decay():
    assert set(EXPECTED) | {"time_decay"} == set(RULE_MODELS)


def test_time_decay_halves_weight_per_half_life():
    # ages 0, 7 and 14 days with a 7-day half-life: weights 1, 1/2, 1/4; sum 7/4
    # -> credits 4/7, 2/7, 1/7 (the touch 7 days out gets half of the one at the conversion)
    tp = touches(("c1", day(1), "x"), ("c1", day(8), "linkedin"), ("c1", day(15), "email"))
    got = credits_of(tp, conversion(day(15)), "time_decay")
    assert got == pytest.approx([1 / 7, 2 / 7, 4 / 7])


def test_time_decay_half_life_option():
    # ages 0 and 14 days, half-life 14: weights 1 and 1/2 -> 1/3, 2/3
    tp = touches(("c1", day(1), "x"), ("c1", day(15), "email"))
    got = credits_of(tp, conversion(day(15)), "time_decay", half_life_days=14.0)
    assert got == pytest.approx([1 / 3, 2 / 3])


def test_time_decay_far_apart_touches_do_not_vanish():
    # ages 0 and 3650 days with a 1-day half-life: the old touch's weight is 2^-3650, the recent
    # one keeps (practically) everything instead of both collapsing to 0/0
    tp = pl.concat(
        [touches(("c1", day(1) - timedelta(days=3650), "x")), touches(("c1", day(1), "email"))]
    )
    got = credit_touches(tp, conversion(day(1)), "time_decay", lookback_days=4000, half_life_days=1)
    assert got.get_column("credit").to_list() == pytest.approx([0.0, 1.0])


def test_first_touch_is_also_the_lead_touch():
    # t1 Jan 1 is first and the last touch before the lead (Jan 2); t2 is the deal touch (Jan 6)
    tp = touches(("c1", day(1), "x"), ("c1", day(5), "linkedin"), ("c1", day(9), "email"))
    conv = conversion(day(10), lead=day(2), deal=day(6))
    # u_shaped: t1 first .4 + lead .4 = .8; middle .2 shared by t2, t3 -> .1 each
    assert credits_of(tp, conv, "u_shaped") == pytest.approx([0.8, 0.1, 0.1])
    # w_shaped: t1 .3 + .3 = .6; t2 deal .3; t3 middle .1
    assert credits_of(tp, conv, "w_shaped") == pytest.approx([0.6, 0.3, 0.1])
    # full_path: t1 .45, t2 .225, t3 last .225; no middle -> /.9 -> .5, .25, .25
    assert credits_of(tp, conv, "full_path") == pytest.approx([0.5, 0.25, 0.25])


def test_missing_milestones_rescale_the_remaining_roles():
    tp = touches(("c1", day(1), "x"), ("c1", day(5), "linkedin"), ("c1", day(9), "email"))
    conv = conversion(day(10))  # no lead_created_at, no deal_created_at
    # u_shaped: first .4 + middle .2 (t2, t3) = .6 -> t1 .4/.6 = 2/3, t2 = t3 = .1/.6 = 1/6
    assert credits_of(tp, conv, "u_shaped") == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    # w_shaped: first .3 + middle .1 = .4 -> .75, .125, .125
    assert credits_of(tp, conv, "w_shaped") == pytest.approx([0.75, 0.125, 0.125])
    # full_path: first .225 + last .225 + middle .1 (t2) = .55 -> 9/22, 4/22, 9/22
    assert credits_of(tp, conv, "full_path") == pytest.approx([9 / 22, 4 / 22, 9 / 22])


def test_a_milestone_before_every_touch_holds_no_touch():
    # the lead was created on Dec 31, before t1: the lead role drops out as if missing
    tp = touches(("c1", day(1), "x"), ("c1", day(5), "linkedin"), ("c1", day(9), "email"))
    conv = conversion(day(10), lead=datetime(2024, 12, 31, tzinfo=UTC))
    assert credits_of(tp, conv, "u_shaped") == pytest.approx([2 / 3, 1 / 6, 1 / 6])


@pytest.mark.parametrize("model", RULE_MODELS)
def test_one_touch_gets_everything(model):
    tp = touches(("c1", day(3), "x"))
    conv = conversion(day(5), lead=day(4), deal=day(4))
    assert credits_of(tp, conv, model) == pytest.approx([1.0])


def test_two_touches_under_position_based_split_evenly():
    # first .4 + last .4, no middle -> .4/.8 each
    tp = touches(("c1", day(1), "x"), ("c1", day(2), "linkedin"))
    assert credits_of(tp, conversion(day(3)), "position_based") == pytest.approx([0.5, 0.5])


def test_touches_at_the_same_time_keep_their_input_order():
    same = day(2)
    tp = touches(("c1", same, "x"), ("c1", same, "linkedin"))
    first = credit_touches(tp, conversion(day(3)), "first_touch")
    last = credit_touches(tp, conversion(day(3)), "last_touch")
    assert first.filter(pl.col("credit") == 1.0)["channel"].to_list() == ["x"]
    assert last.filter(pl.col("credit") == 1.0)["channel"].to_list() == ["linkedin"]
    swapped = credit_touches(tp.reverse(), conversion(day(3)), "first_touch")
    assert swapped.filter(pl.col("credit") == 1.0)["channel"].to_list() == ["linkedin"]


def test_unsorted_input_is_ordered_by_time():
    tp = touches(("c1", day(9), "email"), ("c1", day(1), "x"), ("c1", day(5), "linkedin"))
    got = credit_touches(tp, conversion(day(10)), "first_touch")
    assert got.filter(pl.col("credit") == 1.0)["channel"].to_list() == ["x"]


def test_last_non_direct_falls_back_to_the_last_touch_when_all_are_direct():
    tp = touches(("c1", day(1), "direct"), ("c1", day(2), "direct"))
    assert credits_of(tp, conversion(day(3)), "last_non_direct") == [0.0, 1.0]


def test_repeated_touches_each_count():
    # linear over x, x, linkedin: 1/3 each, so x earns 2/3
    tp = touches(("c1", day(1), "x"), ("c1", day(2), "x"), ("c1", day(3), "linkedin"))
    got = attribute(tp, conversion(day(4)), "linear")
    assert dict(zip(got["channel"], got["conversions"], strict=True)) == pytest.approx(
        {"x": 2 / 3, "linkedin": 1 / 3}
    )


def test_lookback_edge():
    conv_ts = day(31)
    inside = conv_ts - timedelta(days=90)  # exactly 90 days: counts
    outside = inside - timedelta(seconds=1)  # 90 days and 1 s: does not
    tp = touches(("c1", outside, "x"), ("c1", inside, "linkedin"))
    got = credit_touches(tp, conversion(conv_ts), "linear")
    assert got.select("channel", "credit").rows() == [("linkedin", 1.0)]
    # with a 91-day window both count: 1/2 each
    wider = credit_touches(tp, conversion(conv_ts), "linear", lookback_days=91)
    assert wider["credit"].to_list() == [0.5, 0.5]


def test_several_conversions_of_one_contact_split_the_touches():
    tp = touches(
        ("c1", day(1), "x"),
        ("c1", day(5), "linkedin"),
        ("c1", day(10), "email"),
        ("c1", day(12), "direct"),  # at the second conversion's time: belongs to it
        ("c1", day(20), "x"),  # after the last conversion: credits nothing
    )
    conv = pl.concat(
        [
            conversion(day(6), cid="first", value=100.0),
            conversion(day(12), cid="second", value=50.0),
        ]
    )
    got = credit_touches(tp, conv, "linear")
    # first: x, linkedin 1/2 each (value 50 each); second: email, direct 1/2 each (25 each)
    assert got.select("conversion_id", "channel", "credit", "value_credit").rows() == [
        ("first", "x", 0.5, 50.0),
        ("first", "linkedin", 0.5, 50.0),
        ("second", "email", 0.5, 25.0),
        ("second", "direct", 0.5, 25.0),
    ]


def test_conversion_without_touches_is_unattributed():
    tp = touches(("c1", day(1), "x"))
    conv = pl.concat([conversion(day(2)), conversion(day(2), contact="c9", cid="v2", value=70.0)])
    got = credit_touches(tp, conv, "position_based")
    lonely = got.filter(pl.col("conversion_id") == "v2")
    assert lonely.select("contact_id", "channel", "ts", "credit", "value_credit").rows() == [
        ("c9", UNATTRIBUTED, None, 1.0, 70.0)
    ]


def test_touch_kind_is_kept_next_to_the_conversion_kind():
    tp = touches(("c1", day(1), "x")).with_columns(pl.lit("post_click").alias("kind"))
    conv = conversion(day(2)).with_columns(pl.lit("deal").alias("kind"))
    got = credit_touches(tp, conv, "linear")
    assert got.select("touch_kind", "kind").rows() == [("post_click", "deal")]


def test_unknown_model_lists_the_models():
    with pytest.raises(DataError, match=r"unknown model 'nope'.*w_shaped"):
        credit_touches(JOURNEY, JOURNEY_CONV, "nope")


def test_summarize_by_channel_reconciles_with_conversions():
    # position_based on JOURNEY (1000): linkedin .4, direct .4, x .1, email .1;
    # plus a conversion of c9 (200) that no touch reached -> (unattributed) 1
    conv = pl.concat([JOURNEY_CONV, conversion(day(31), contact="c9", cid="v2", value=200.0)])
    got = attribute(JOURNEY, conv, "position_based")
    assert got.columns == ["channel", "conversions", "value"]
    assert got["channel"].to_list() == [UNATTRIBUTED, "direct", "linkedin", "email", "x"]
    assert got["conversions"].to_list() == pytest.approx([1.0, 0.4, 0.4, 0.1, 0.1])
    assert got["value"].to_list() == pytest.approx([200.0, 400.0, 400.0, 100.0, 100.0])
    assert got["conversions"].sum() == pytest.approx(2.0)


def test_summarize_by_month_and_platform():
    tp = touches(("c1", day(1), "x"), ("c1", day(2), "email")).with_columns(
        pl.Series("platform", ["x", None])
    )
    conv = pl.concat(
        [
            conversion(day(3)),
            conversion(datetime(2025, 2, 14, tzinfo=UTC), contact="c9", cid="v2"),
        ]
    )
    got = summarize(credit_touches(tp, conv, "linear"), by=["month", "platform"])
    # Jan: x .5 and (no platform) .5 of v1; Feb: v2 unattributed, labelled so under platform too
    assert got.rows() == [
        (datetime(2025, 2, 1).date(), UNATTRIBUTED, 1.0, 1000.0),
        (datetime(2025, 1, 1).date(), "x", 0.5, 500.0),
        (datetime(2025, 1, 1).date(), None, 0.5, 500.0),
    ]


def test_summarize_unknown_column():
    with pytest.raises(DataError, match="cannot group by nope"):
        summarize(credit_touches(JOURNEY, JOURNEY_CONV, "linear"), by=["nope"])


def test_a_touch_at_the_milestone_time_holds_it():
    # the lead is created by the visit at Jan 5 itself: that touch (t2) is the lead touch
    tp = touches(("c1", day(1), "x"), ("c1", day(5), "linkedin"), ("c1", day(9), "email"))
    conv = conversion(day(10), lead=day(5))
    # u_shaped: t1 first .4, t2 lead .4, t3 middle .2
    assert credits_of(tp, conv, "u_shaped") == pytest.approx([0.4, 0.4, 0.2])


def test_credit_models_matches_one_model_at_a_time():
    conv = pl.concat([JOURNEY_CONV, conversion(day(31), contact="c9", cid="v2", value=200.0)])
    together = credit_models(JOURNEY, conv, ("w_shaped", "time_decay"))
    assert list(together) == ["w_shaped", "time_decay"]
    for model, credits in together.items():
        assert credits.equals(credit_touches(JOURNEY, conv, model))
    with pytest.raises(DataError, match="unknown model"):
        credit_models(JOURNEY, conv, ("linear", "nope"))
