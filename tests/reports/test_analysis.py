"""Store → analysis: the report date and the company name come from the right place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialroi import DataError, Settings, Store
from socialroi.analysis import analyze, company_and_currency, resolve_as_of
from socialroi.config import from_dict
from tests.reports.fixture import AS_OF


def test_as_of_from_store_meta(fixture_store):
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings(), compare=())
    assert a.as_of == AS_OF
    assert a.summary.revenue == pytest.approx(2500.0)


def test_as_of_falls_back_to_the_clock(tmp_path, monkeypatch):
    now = datetime(2030, 1, 2, tzinfo=UTC)
    monkeypatch.setattr("socialroi.clock.now", lambda: now)
    with Store.open(tmp_path / "s.duckdb") as store:
        assert resolve_as_of(store, None) == now
        assert resolve_as_of(store, datetime(2025, 1, 1)) == datetime(2025, 1, 1, tzinfo=UTC)
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
