"""Leads, won deals and open deals as conversions."""

from datetime import UTC, datetime

import polars as pl
import pytest

from socialroi.core.conversions import (
    CONVERSIONS_SCHEMA,
    conform_conversions,
    deal_conversions,
    lead_conversions,
    pipeline_conversions,
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
