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
