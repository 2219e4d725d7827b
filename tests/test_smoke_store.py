from datetime import UTC, datetime

import polars as pl

from socialroi import Store


def test_upsert_twice_changes_nothing(tmp_path):
    df = pl.DataFrame(
        {
            "deal_id": ["d1", "d2"],
            "contact_id": ["c1", "c2"],
            "created_at": [datetime(2025, 1, 1, tzinfo=UTC)] * 2,
            "amount": [100.0, 250.0],
        }
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        store.upsert("deals", df)
        store.upsert("deals", df)
        got = store.read("deals")
    assert got.height == 2
    assert got["amount"].to_list() == [100.0, 250.0]
