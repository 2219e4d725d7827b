"""Report periods: the parser by hand, and the figures a period covers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from socialroi.cli import main
from socialroi.core.kpis import compute
from socialroi.core.period import Period, check_syntax, month_share, parse_period
from socialroi.errors import ConfigError, DataError
from tests.reports.fixture import AS_OF, tables

NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def _d(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("last-month", _d(2026, 10, 1), _d(2026, 11, 1), "October 2026"),
        ("2026-02", _d(2026, 2, 1), _d(2026, 3, 1), "February 2026"),
        ("2025Q4", _d(2025, 10, 1), _d(2026, 1, 1), "2025 Q4"),
        ("2026q1", _d(2026, 1, 1), _d(2026, 4, 1), "2026 Q1"),
        ("2026-01..2026-03", _d(2026, 1, 1), _d(2026, 4, 1), "2026 Q1"),
        ("2026-01-15..2026-02-14", _d(2026, 1, 15), _d(2026, 2, 15), "2026-01-15 to 2026-02-14"),
        (" 2026-10-01..2026-10-31 ", _d(2026, 10, 1), _d(2026, 11, 1), "October 2026"),
    ],
)
def test_parse(text, start, end, label):
    p = parse_period(text, as_of=NOW)
    assert p == Period(start, end)
    assert p.label() == label


def test_last_month_in_january_is_december():
    assert parse_period("last-month", as_of=_d(2026, 1, 3)) == Period(
        _d(2025, 12, 1), _d(2026, 1, 1)
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026Q5",
        "last month",
        "2026-03..2026-01",
        "2026-02-30..2026-03-01",
        "9999-12",
    ],
)
def test_bad_text_is_a_config_error(text):
    with pytest.raises(ConfigError, match="is not a period"):
        parse_period(text, as_of=NOW)
    with pytest.raises(ConfigError):
        check_syntax(text)


def test_a_period_after_the_data_is_a_data_error():
    with pytest.raises(DataError, match="starts after"):
        parse_period("2026-12", as_of=NOW)
    assert check_syntax("2030-01") == "2030-01"  # syntax alone is fine


def test_month_share_spreads_a_month_over_its_days():
    p = parse_period("2026-01-15..2026-02-14", as_of=NOW)
    months = pl.DataFrame({"m": [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]})
    shares = months.select(month_share("m", p))["m"].to_list()
    assert shares == pytest.approx([0.0, 17 / 31, 14 / 28])


def test_february_on_the_fixture_by_hand():
    # February: D1 (1,000, half LinkedIn) won; L2 (Facebook) and L3 (LinkedIn) leads; costs:
    # 200 Facebook ads + 100 tools (Ana's January hours are outside). Revenue 500, cost 300.
    a = compute(tables(), as_of=AS_OF, period=parse_period("2025-02", as_of=AS_OF))
    s = a.summary
    assert (s.revenue, s.cost, s.leads, s.deals) == (500.0, 300.0, 2.0, 0.5)
    assert s.roi == pytest.approx(200 / 300)
    assert (s.all_revenue, s.all_leads, s.all_deals) == (1000.0, 2, 1)
    assert a.traced["deal_id"].to_list() == ["D1"]
    # the trend keeps every month for context
    assert a.monthly["month"].to_list() == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


def test_half_a_month_carries_half_its_cost():
    a = compute(tables(), as_of=AS_OF, period=parse_period("2025-01-01..2025-01-16", as_of=AS_OF))
    assert a.summary.cost == pytest.approx(150 * 16 / 31)  # Ana's 3 hours at 50, half of January


def test_cli_period(fixture_store, tmp_path):
    r = CliRunner()
    bad = r.invoke(main, ["report", "--store", str(fixture_store), "--period", "2025-13"])
    assert bad.exit_code == 2
    assert "is not a period" in bad.stderr
    late = r.invoke(
        main,
        ["report", "--store", str(fixture_store), "--period", "2026-01", "--out", str(tmp_path)],
    )
    assert late.exit_code == 1
    assert "starts after" in late.stderr
    out = tmp_path / "feb.html"
    ok = r.invoke(
        main, ["report", "--store", str(fixture_store), "--period", "2025-02", "--out", str(out)]
    )
    assert ok.exit_code == 0, ok.output
    doc = out.read_text(encoding="utf-8")
    assert "February 2025" in doc
    assert "€500" in doc
    assert "€2,500" not in doc  # the whole-history revenue is not the headline


def test_the_trend_shades_the_period():
    from socialroi.reports.figures import make_monthly_trend

    a = compute(tables(), as_of=AS_OF, period=parse_period("2025-02", as_of=AS_OF))
    assert a.period is not None
    fig = make_monthly_trend(
        a.monthly, a.policy_periods, currency="EUR", period=(a.period.start, a.period.end)
    )
    (rect,) = [s for s in fig.layout.shapes if s.type == "rect"]
    # the February bar sits on 2025-02-01; the shade spans it, in dates plotly.js can read
    assert (rect.x0, rect.x1) == ("2025-01-17", "2025-02-14")


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 400))
def test_month_shares_add_up_to_the_days_of_the_period(first, length):
    last = first + timedelta(days=length)
    p = parse_period(f"{first:%Y-%m-%d}..{last:%Y-%m-%d}", as_of=datetime(2031, 1, 1, tzinfo=UTC))
    assert (p.end - p.start).days == length + 1
    months = pl.DataFrame(
        {"m": pl.date_range(date(first.year, first.month, 1), last, "1mo", eager=True)}
    )
    days = months.select(
        month_share("m", p) * (pl.col("m").dt.offset_by("1mo") - pl.col("m")).dt.total_days()
    )["m"]
    assert float(days.sum()) == pytest.approx(length + 1)
