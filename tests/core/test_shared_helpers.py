"""Months, the latest metrics snapshot, engagement, money and model names: defined once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from socialroi.core.months import add_months, month_label, month_start, months_between
from socialroi.core.vocabulary import (
    check_model,
    currency_symbol,
    engagements,
    latest_snapshot,
    money,
    short_money,
)
from socialroi.errors import ConfigError
from socialroi.store import STORE_ENV, default_path, resolve_path


def test_month_start_on_a_column_and_on_a_value():
    df = pl.DataFrame(
        {
            "ts": [datetime(2024, 3, 31, 23, 30, tzinfo=UTC), None],
            "d": [date(2024, 12, 15), date(2024, 1, 1)],
        }
    )
    got = df.select(month_start(pl.col("ts")), month_start(pl.col("d")))
    assert got["ts"].to_list() == [date(2024, 3, 1), None]
    assert got["d"].to_list() == [date(2024, 12, 1), date(2024, 1, 1)]
    assert got.schema == pl.Schema({"ts": pl.Date, "d": pl.Date})
    assert month_start(datetime(2024, 2, 29, 12, tzinfo=UTC)) == date(2024, 2, 1)


def test_add_months_and_months_between_cross_years():
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 1)
    assert add_months(date(2024, 1, 15), -1) == date(2023, 12, 1)
    assert add_months(date(2024, 1, 15), -13) == date(2022, 12, 1)
    assert months_between(date(2024, 11, 15), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]
    assert months_between(date(2024, 11, 15), datetime(2024, 12, 1, 0, 1, tzinfo=UTC)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
    ]
    assert months_between(date(2024, 3, 1), date(2024, 3, 1)) == []
    assert month_label(date(2024, 3, 9)) == "2024-03"


def test_latest_snapshot_keeps_the_newest_row_of_each_post():
    t = [datetime(2025, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
    metrics = pl.DataFrame(
        {
            "platform": ["x", "x", "x", "linkedin"],
            "post_id": ["1", "1", "1", "1"],
            "as_of": [t[2], t[0], t[1], t[0]],
            "impressions": [300, 100, 200, 50],
            "likes": [3, 1, None, 5],
            "comments": [1, 0, 0, None],
            "shares": [0, 0, 0, 2],
            "saves": [None, None, None, 1],
        }
    )
    latest = latest_snapshot(metrics).sort("platform")
    assert latest.select("platform", "impressions").rows() == [("linkedin", 50), ("x", 300)]
    assert latest.columns == metrics.columns
    assert latest.select(engagements())["engagements"].to_list() == [8, 4]


def test_money_and_short_money():
    assert money(12345.4, "usd") == "$12,345"
    assert money(-1234.5, "CHF", decimals=2) == "−CHF 1,234.50"
    assert money(-0.3, "EUR") == "€0"  # no minus on a zero that rounding made
    assert money(None, "USD") == money(float("nan"), "USD") == "–"
    assert short_money(38_000, "USD", sign=True) == "+$38k"
    assert short_money(-5_000, "EUR") == "−€5.0k"
    assert short_money(1_230_000, "GBP") == "£1.2M"
    assert short_money(900, "CHF") == "CHF 900"
    assert short_money(0.2, "USD", sign=True) == "$0"
    assert currency_symbol("jpy") == "¥"
    assert currency_symbol("CHF") is None


def test_check_model_is_one_config_error_naming_the_models():
    assert check_model("markov") == "markov"
    with pytest.raises(
        ConfigError, match=r"^unknown attribution model 'nope'; models are: first_touch"
    ):
        check_model("nope")
    with pytest.raises(ConfigError, match=r"^c\.toml: \[attribution\] model: unknown .* '7'"):
        check_model(7, source="c.toml", key="[attribution] model")


def test_store_path_resolution(monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert resolve_path(None) == default_path() == Path("data/socialroi.duckdb")
    assert resolve_path(None, Path("cfg.duckdb")) == Path("cfg.duckdb")
    assert resolve_path("cli.duckdb", Path("cfg.duckdb")) == Path("cli.duckdb")
    monkeypatch.setenv(STORE_ENV, "env.duckdb")
    assert resolve_path(None) == Path("env.duckdb")
