"""Leads, won deals and open deals as conversions."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from socialroi.core.conversions import (
    CONVERSIONS_SCHEMA,
    conform_conversions,
    deal_conversions,
    first_milestone,
    lead_conversions,
    pipeline_conversions,
    sales_cycle,
    sales_cycle_days,
    window_start,
)
from socialroi.errors import DataError


def at(month: int, d: int) -> datetime:
    return datetime(2025, month, d, tzinfo=UTC)


LEADS = pl.DataFrame(
    {
        "lead_id": ["l1", "l2", "l3"],
        "contact_id": ["c1", "c1", "c2"],
        "created_at": [at(1, 1), at(3, 1), at(2, 1)],
    }
)
DEALS = pl.DataFrame(
    {
        "deal_id": ["d1", "d2", "d3", "d4", "d5"],
        "contact_id": ["c1", "c2", "c1", "c2", "c3"],
        "created_at": [at(1, 10), at(2, 5), at(1, 20), at(2, 10), at(1, 2)],
        "closed_at": [at(2, 1), None, at(2, 2), None, None],
        "won": [True, True, False, None, None],
        "amount": [500.0, None, 900.0, 250.0, 80.0],
    }
)


def test_one_conversion_per_lead():
    got = lead_conversions(LEADS)
    assert got.schema == pl.Schema(CONVERSIONS_SCHEMA)
    assert got.select("conversion_id", "kind", "ts", "value", "lead_created_at").rows() == [
        ("lead:l1", "lead", at(1, 1), 0.0, at(1, 1)),
        ("lead:l2", "lead", at(3, 1), 0.0, at(3, 1)),
        ("lead:l3", "lead", at(2, 1), 0.0, at(2, 1)),
    ]


def test_won_deals_convert_at_close_with_their_amount():
    got = deal_conversions(DEALS, LEADS)
    assert got.schema == pl.Schema(CONVERSIONS_SCHEMA)
    assert got.rows() == [
        # d1 closed Feb 1: c1's latest lead by then is l1 (Jan 1); l2 (Mar 1) comes later
        ("deal:d1", "c1", "deal", at(2, 1), 500.0, at(1, 1), at(1, 10)),
        # d2 won but not closed: at its creation (Feb 5); no amount -> 0; c2's lead Feb 1
        ("deal:d2", "c2", "deal", at(2, 5), 0.0, at(2, 1), at(2, 5)),
    ]


def test_open_deals_are_pipeline_at_creation():
    got = pipeline_conversions(DEALS, LEADS)
    # d4 and d5 are open (won empty, not closed); d5's contact has no lead
    assert got.rows() == [
        ("deal:d4", "c2", "pipeline", at(2, 10), 250.0, at(2, 1), at(2, 10)),
        ("deal:d5", "c3", "pipeline", at(1, 2), 80.0, None, at(1, 2)),
    ]


def test_conform_fills_ids_kinds_and_values():
    got = conform_conversions(
        pl.DataFrame(
            {
                "contact_id": ["a", "b"],
                "ts": [datetime(2025, 1, 1), datetime(2025, 1, 2)],  # naive: UTC
                "value": [None, 40],
            }
        )
    )
    assert got.rows() == [
        ("c1", "a", "lead", at(1, 1), 0.0, None, None),
        ("c2", "b", "deal", at(1, 2), 40.0, None, None),
    ]


def test_conform_rejects_repeated_ids_and_missing_columns():
    with pytest.raises(DataError, match=r"row 3.*repeats"):
        conform_conversions(
            pl.DataFrame(
                {"conversion_id": ["a", "b", "a"], "contact_id": ["x"] * 3, "ts": [at(1, 1)] * 3}
            )
        )
    with pytest.raises(DataError, match="column 'ts'"):
        conform_conversions(pl.DataFrame({"contact_id": ["x"]}))


def test_first_milestone_and_window_start():
    convs = conform_conversions(
        pl.DataFrame(
            {
                "contact_id": ["a", "b", "c"],
                "ts": [at(6, 1), at(6, 1), at(6, 1)],
                "lead_created_at": [at(3, 1), None, at(6, 5)],
                "deal_created_at": [at(4, 1), at(5, 1), None],
            }
        )
    )
    got = convs.select(first_milestone(), window_start(10))
    assert got["first_milestone"].to_list() == [at(3, 1), at(5, 1), at(6, 1)]
    assert got["window_start"].to_list() == [at(2, 19), at(4, 21), at(5, 22)]
    with pytest.raises(DataError, match="lookback_days"):
        window_start(-1)


def _cycle_tables(days: list[int]) -> dict[str, pl.DataFrame]:
    """Won deals closed `days` after their lead (the deal created 3 days after the lead)."""
    n, t0 = len(days), datetime(2025, 1, 1, tzinfo=UTC)
    lead = [t0 + timedelta(days=i) for i in range(n)]
    return {
        "leads": pl.DataFrame(
            {
                "lead_id": [f"l{i}" for i in range(n)],
                "contact_id": [f"c{i}" for i in range(n)],
                "created_at": lead,
            }
        ),
        "deals": pl.DataFrame(
            {
                "deal_id": [f"d{i}" for i in range(n)] + ["open", "lost"],
                "contact_id": [f"c{i}" for i in range(n)] + ["c0", "c1"],
                "created_at": [t + timedelta(days=3) for t in lead] + [t0, t0],
                "closed_at": [t + timedelta(days=d) for t, d in zip(lead, days, strict=True)]
                + [None, t0 + timedelta(days=900)],
                "won": [True] * n + [None, False],
                "amount": [100.0] * n + [5.0, 5.0],
            }
        ),
    }


def test_sales_cycle_is_the_90th_percentile_rounded_up_to_30_days():
    # Ten won deals, 10..100 days from lead to close (open and lost deals do not count): the
    # 90th percentile (the 9th of ten, taken upward) is 100 days -> 120.
    tables = _cycle_tables([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    cycle = sales_cycle(tables)
    assert (cycle.deals, cycle.quantile_days, cycle.lookback_days) == (10, 100.0, 120)
    assert sales_cycle_days(tables) == 120
    # A short cycle keeps the 90-day floor; exactly 150 days stays 150.
    assert sales_cycle_days(_cycle_tables([5, 7, 20])) == 90
    assert sales_cycle_days(_cycle_tables([150] * 3)) == 150
    assert sales_cycle_days(_cycle_tables([150] * 3 + [151] * 7)) == 180
    # No won deal: the floor, and nothing measured.
    none = sales_cycle(_cycle_tables([]))
    assert (none.deals, none.quantile_days, none.lookback_days) == (0, None, 90)
    assert sales_cycle(tables, floor=0, step=7).lookback_days == 105
