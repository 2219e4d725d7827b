"""Store → analysis: the report date and the company name come from the right place."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from socialroi import DataError, Settings, Store
from socialroi.analysis import (
    AS_OF_DATA,
    AS_OF_STORE,
    analyze,
    analyze_read,
    choose_as_of,
    company_and_currency,
    read_for_analysis,
    resolve_as_of,
)
from socialroi.config import from_dict
from tests.reports.fixture import AS_OF


def test_as_of_from_store_meta(fixture_store):
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings(), compare=())
    assert a.as_of == AS_OF
    assert a.summary.revenue == pytest.approx(2500.0)


def test_as_of_comes_from_the_data_never_the_clock(tmp_path, monkeypatch):
    monkeypatch.setattr("socialroi.clock.now", lambda: datetime(2030, 1, 2, tzinfo=UTC))

    def end_of(y: int, m: int, d: int) -> datetime:
        return datetime(y, m, d, 23, 59, 59, 999_999, tzinfo=UTC)

    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(DataError, match="no dated data"):
            resolve_as_of(store, None)
        # the latest data is mid-month (a lead on 2025-03-14): the last complete month is February
        store.upsert(
            "leads",
            pl.DataFrame(
                {
                    "lead_id": ["l1"],
                    "contact_id": ["c1"],
                    "created_at": [datetime(2025, 3, 14, tzinfo=UTC)],
                }
            ),
        )
        assert choose_as_of(store, None) == (end_of(2025, 2, 28), AS_OF_DATA)
        # a cost for March dates the data to March's last day: March is complete
        store.upsert(
            "costs",
            pl.DataFrame(
                {
                    "month": [date(2025, 3, 1)],
                    "category": ["tools"],
                    "platform": [""],
                    "employee_id": [""],
                    "amount": [10.0],
                }
            ),
        )
        assert choose_as_of(store, None) == (end_of(2025, 3, 31), AS_OF_DATA)
        # --as-of: a date is the end of that day, a naive time is UTC
        assert resolve_as_of(store, date(2025, 1, 1)) == end_of(2025, 1, 1)
        assert resolve_as_of(store, datetime(2025, 1, 1)) == datetime(2025, 1, 1, tzinfo=UTC)
        # the store's own date (the demo sets one) wins over the data's
        store.set_meta("as_of", "2025-06-01T00:00:00+00:00")
        assert choose_as_of(store, None) == (datetime(2025, 6, 1, tzinfo=UTC), AS_OF_STORE)
        store.set_meta("as_of", "yesterday")
        with pytest.raises(DataError, match="as_of"):
            resolve_as_of(store, None)


def test_company_and_currency_precedence(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        assert company_and_currency(store, Settings()) == ("Our company", "USD")
        store.set_meta("company", "Meta Co")
        store.set_meta("currency", "GBP")
        assert company_and_currency(store, Settings()) == ("Meta Co", "GBP")
        only_name = from_dict({"company": {"name": "Cfg"}})
        assert company_and_currency(store, only_name) == ("Cfg", "GBP")


def test_the_store_can_be_closed_between_reading_and_analysing(fixture_store):
    """`report` reads what it needs, closes the store, then analyses: the same figures as an
    analysis on the open store, failed runs and sync state included. A read is analysed once."""
    with Store.open(fixture_store, read_only=True) as store:
        whole = analyze(store, settings=Settings())
        read = read_for_analysis(store, settings=Settings())
    apart = analyze_read(read, settings=Settings())
    assert (apart.as_of, apart.as_of_source, apart.company) == (
        whole.as_of,
        whole.as_of_source,
        whole.company,
    )
    assert apart.summary == whole.summary
    assert apart.models.equals(whole.models)
    assert apart.network.influence.equals(whole.network.influence)
    assert apart.quality.failed_runs.equals(whole.quality.failed_runs)
    assert apart.quality.sync_state.equals(whole.quality.sync_state)
    with pytest.raises(ValueError, match="analysed already"):
        analyze_read(read, settings=Settings())
