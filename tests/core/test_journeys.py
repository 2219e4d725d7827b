"""Which conversion each touch belongs to."""

from datetime import UTC, datetime, timedelta

import polars as pl

from socialroi.core.journeys import assign_touches

T = datetime(2025, 6, 1, tzinfo=UTC)


def test_touches_go_to_the_first_conversion_at_or_after_them_within_the_window():
    tp = pl.DataFrame(
        {
            "contact_id": ["a", "a", "a", "a", "a", "b"],
            "ts": [
                T - timedelta(days=91),  # before the window of conversion 1
                T - timedelta(days=90),  # exactly 90 days before conversion 1
                T,  # at conversion 1
                T + timedelta(days=1),  # before conversion 2
                T + timedelta(days=10),  # after the last conversion
                T,  # contact b converts never
            ],
            "channel": ["x", "linkedin", "email", "direct", "x", "x"],
            "ref": ["r1", "r2", "r3", "r4", "r5", "r6"],
        }
    )
    conv = pl.DataFrame(
        {
            "conversion_id": ["one", "two"],
            "contact_id": ["a", "a"],
            "ts": [T, T + timedelta(days=2)],
        }
    )
    got = assign_touches(tp, conv)
    # in time order; r3 and r6 share a time and keep their input order
    assert got.select("ref", "conversion_id").rows() == [
        ("r1", None),
        ("r2", "one"),
        ("r3", "one"),
        ("r6", None),
        ("r4", "two"),
        ("r5", None),
    ]
    assert got.filter(pl.col("ref") == "r4")["conv_ts"].to_list() == [T + timedelta(days=2)]


def test_a_touch_out_of_its_next_conversions_window_does_not_jump_ahead():
    # the touch is 100 days before the first conversion and later ones are further away
    tp = pl.DataFrame({"contact_id": ["a"], "ts": [T - timedelta(days=100)], "channel": ["x"]})
    conv = pl.DataFrame(
        {"conversion_id": ["one", "two"], "contact_id": ["a", "a"], "ts": [T, T + timedelta(1)]}
    )
    got = assign_touches(tp, conv, lookback_days=90)
    assert got["conversion_id"].to_list() == [None]
    assert assign_touches(tp, conv, lookback_days=100)["conversion_id"].to_list() == ["one"]


def test_keep_order_keeps_input_sorted_by_contact_then_time():
    tp = pl.DataFrame(
        {
            "contact_id": ["a", "a", "b", "b"],
            "ts": [T - timedelta(days=3), T, T - timedelta(days=5), T + timedelta(days=1)],
            "channel": ["x", "y", "x", "z"],
        }
    )
    conv = pl.DataFrame(
        {"conversion_id": ["ca", "cb"], "contact_id": ["a", "b"], "ts": [T, T + timedelta(days=1)]}
    )
    got = assign_touches(tp, conv, keep_order=True)
    assert assign_touches(tp, conv)["channel"].to_list() == ["x", "x", "y", "z"]  # by time
    assert got.select("contact_id", "channel", "conversion_id").rows() == [
        ("a", "x", "ca"),
        ("a", "y", "ca"),
        ("b", "x", "cb"),
        ("b", "z", "cb"),
    ]


def test_a_deals_window_reaches_back_from_its_first_milestone_not_its_close():
    # Lead on day 0, deal created on day 30, won on day 300; 90-day lookback. The window runs
    # from day -90 (90 days before the lead) to the close, both ends included.
    lead, created, closed = T, T + timedelta(days=30), T + timedelta(days=300)
    edge = lead - timedelta(days=90)
    tp = pl.DataFrame(
        {
            "contact_id": ["a"] * 4,
            "ts": [edge - timedelta(microseconds=1), edge, T + timedelta(days=100), closed],
            "channel": ["x", "linkedin", "email", "direct"],
        }
    )
    deal = pl.DataFrame(
        {
            "conversion_id": ["d"],
            "contact_id": ["a"],
            "ts": [closed],
            "value": [1000.0],
            "lead_created_at": [lead],
            "deal_created_at": [created],
        }
    )
    got = assign_touches(tp, deal, lookback_days=90)
    assert got["conversion_id"].to_list() == [None, "d", "d", "d"]
    # Without milestones the window counts back from the close: only the last 90 days.
    bare = assign_touches(tp, deal.drop("lead_created_at", "deal_created_at"), lookback_days=90)
    assert bare["conversion_id"].to_list() == [None, None, None, "d"]
    # The deal's creation alone (no lead) anchors the window at day 30.
    no_lead = assign_touches(tp, deal.drop("lead_created_at"), lookback_days=90)
    assert no_lead["conversion_id"].to_list() == [None, None, "d", "d"]
    # A milestone after the conversion (bad data) does not move the window past the close.
    late = deal.with_columns(pl.lit(closed + timedelta(days=5)).alias("lead_created_at"))
    late = late.drop("deal_created_at")
    assert assign_touches(tp, late, lookback_days=0)["conversion_id"].to_list() == [
        None,
        None,
        None,
        "d",
    ]
