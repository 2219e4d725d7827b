"""Ad-cost reports (Meta Ads Manager, LinkedIn Campaign Manager, Google Ads) and GA4 CSV exports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from socialroi.adapters import ga4 as pull
from socialroi.adapters._raw import open_book
from socialroi.adapters.formats import Loaded, ReadOptions, detect, formats, get
from socialroi.adapters.formats.ga4 import split_source_medium
from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import OTHER_PLATFORMS, is_social, social_platform_of
from socialroi.errors import DataError

NATIVE = Path(__file__).parents[1] / "fixtures" / "native"
PROPERTY = "412345678"
SEP, OCT, AUG = date(2026, 9, 1), date(2026, 10, 1), date(2026, 8, 1)


def read(path: Path, fmt: str, **options: Any) -> Loaded:
    book = open_book(path)
    return get(fmt).read(book, ReadOptions(**{"currency": "EUR", **options}))


def cost_rows(loaded: Loaded) -> list[tuple[date, str, str, str, float]]:
    assert list(loaded.tables) == ["costs"]
    df = loaded.tables["costs"]
    assert df.columns == ["month", "category", "platform", "employee_id", "amount"]
    return [(m, c, p, e, round(a, 2)) for m, c, p, e, a in df.sort("month", "platform").rows()]


# -- recognition ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("meta-ads-en.csv", "meta-ads"),
        ("meta-ads-en-platform.csv", "meta-ads"),
        ("meta-ads-de.csv", "meta-ads"),
        ("meta-ads-fr.csv", "meta-ads"),
        ("meta-ads-es.csv", "meta-ads"),
        ("meta-ads-pt.csv", "meta-ads"),
        ("linkedin-ads-utf8.csv", "linkedin-ads"),
        ("linkedin-ads-utf16.csv", "linkedin-ads"),
        ("google-ads-month.csv", "google-ads"),
        ("google-ads-range.csv", "google-ads"),
        ("ga4-traffic-acquisition.csv", "ga4"),
        ("ga4-exploration.csv", "ga4"),
    ],
)
def test_detect_picks_the_format_and_no_other_ties(name: str, fmt: str) -> None:
    book = open_book(NATIVE / name)
    found = detect(book)
    assert found is not None
    assert found.name == fmt
    mine = found.score(book)
    others = {f.name: f.score(book) for f in formats().values() if f.name != fmt}
    assert all(score < mine for score in others.values()), others


def test_ad_formats_do_not_claim_each_other_or_plain_tables(tmp_path: Path) -> None:
    plain = tmp_path / "costs.csv"
    plain.write_text("month,category,platform,employee_id,amount\n2026-09,ad_spend,x,,10\n")
    book = open_book(plain)
    for name in ("meta-ads", "linkedin-ads", "google-ads", "ga4"):
        assert get(name).score(book) == 0, name


# -- Meta Ads Manager -----------------------------------------------------------------------------
def test_meta_ads_en_campaigns_summed_and_account_total_skipped() -> None:
    got = read(NATIVE / "meta-ads-en.csv", "meta-ads")
    # 703.00 + 412.06 + 119.50; the first row (1,234.56, no campaign name) is the account total.
    assert cost_rows(got) == [(SEP, "ad_spend", "facebook", "", 1234.56)]
    assert got.mapping == {
        "Amount spent (EUR)": "costs.amount",
        "Reporting starts": "costs.month",
        "Reporting ends": "costs.month",
    }
    assert "Campaign name" in got.ignored
    assert "Impressions" in got.ignored
    assert any("total row" in n for n in got.notes)
    assert any("all spend counted as facebook" in n for n in got.notes)
    assert got.warnings == []  # a whole month


@pytest.mark.parametrize(
    ("name", "currency", "amount", "spend_header"),
    [
        ("meta-ads-de.csv", "EUR", 1234.50, "Ausgegebener Betrag (EUR)"),  # 400 + 534.50 + 300
        ("meta-ads-fr.csv", "EUR", 1150.25, "Montant dépensé (EUR)"),  # 650.25 + 500
        ("meta-ads-es.csv", "EUR", 980.40, "Importe gastado (EUR)"),  # 780.40 + 200
        ("meta-ads-pt.csv", "BRL", 2345.67, "Valor usado (BRL)"),  # 1,845.67 + 500
    ],
)
def test_meta_ads_localised(name: str, currency: str, amount: float, spend_header: str) -> None:
    got = read(NATIVE / name, "meta-ads", currency=currency)
    assert cost_rows(got) == [(SEP, "ad_spend", "facebook", "", amount)]
    assert got.mapping[spend_header] == "costs.amount"


def test_meta_ads_daily_rows_use_the_day_column() -> None:
    got = read(NATIVE / "meta-ads-de.csv", "meta-ads")
    assert got.mapping["Tag"] == "costs.month"


def test_meta_ads_other_currency_is_refused_not_converted() -> None:
    with pytest.raises(DataError) as err:
        read(NATIVE / "meta-ads-en.csv", "meta-ads", currency="USD")
    e = err.value
    assert e.column == "Amount spent (EUR)"
    assert e.row == 1
    assert "the report is in EUR but the reporting currency is USD" in e.message
    assert "never converted" in e.message


def test_meta_ads_platform_breakdown_and_pro_rata_split() -> None:
    got = read(NATIVE / "meta-ads-en-platform.csv", "meta-ads")
    # 21 Sep - 10 Oct is 20 days, 10 in each month: every row splits in half.
    # facebook: 300 + messenger 20 + audience_network 60 = 380; instagram 240.
    assert cost_rows(got) == [
        (SEP, "ad_spend", "facebook", "", 190.0),
        (SEP, "ad_spend", "instagram", "", 120.0),
        (OCT, "ad_spend", "facebook", "", 190.0),
        (OCT, "ad_spend", "instagram", "", 120.0),
    ]
    assert got.mapping["Platform"] == "costs.platform"
    assert any("split between the months by days" in n for n in got.notes)
    assert any("audience_network, messenger" in n and "80.00 EUR" in n for n in got.notes)
    assert len(got.warnings) == 2
    assert "2026-09-21 to 2026-09-30" in got.warnings[0]
    assert "10 of 30 days" in got.warnings[0]
    assert "2026-10-01 to 2026-10-10" in got.warnings[1]


def test_meta_ads_uneven_split(tmp_path: Path) -> None:
    f = tmp_path / "acct-Campaigns.csv"
    f.write_text(
        '"Reporting starts","Reporting ends","Campaign name","Amount spent (EUR)"\n'
        '"2026-09-28","2026-10-03","Launch","60.00"\n'  # 3 days in Sep, 3 in Oct
        '"2026-09-29","2026-10-02","Retarget","40.00"\n'  # 2 and 2
        '"2026-10-01","2026-10-01","Boost","5.50"\n'
    )
    assert cost_rows(read(f, "meta-ads")) == [
        (SEP, "ad_spend", "facebook", "", 50.0),
        (OCT, "ad_spend", "facebook", "", 55.5),
    ]


# -- LinkedIn Campaign Manager --------------------------------------------------------------------
def test_linkedin_ads_september_spend_summed() -> None:
    got = read(NATIVE / "linkedin-ads-utf8.csv", "linkedin-ads")
    # 45.20 + 30.00 + 50.10 + 80.35 + 60.00 + 34.35 over two campaigns
    assert cost_rows(got) == [(SEP, "ad_spend", "linkedin", "", 300.0)]
    assert got.mapping == {"Total Spent": "costs.amount", "Start Date (in UTC)": "costs.month"}
    assert "Currency" not in got.ignored
    assert "Campaign Name" in got.ignored
    assert any("row 7" in n for n in got.notes)  # the five report lines and a blank skipped


def test_linkedin_ads_utf16_tab_monthly() -> None:
    got = read(NATIVE / "linkedin-ads-utf16.csv", "linkedin-ads")
    assert cost_rows(got) == [
        (AUG, "ad_spend", "linkedin", "", 1400.0),  # 1,210.40 + 189.60
        (SEP, "ad_spend", "linkedin", "", 1400.25),  # 1,305.00 + 95.25
    ]


def test_linkedin_ads_currency_checked() -> None:
    with pytest.raises(DataError) as err:
        read(NATIVE / "linkedin-ads-utf8.csv", "linkedin-ads", currency="USD")
    assert err.value.column == "Currency"
    assert err.value.row == 8
    assert "the report is in EUR but the reporting currency is USD" in err.value.message


def test_linkedin_ads_without_time_breakdown_spans_the_report(tmp_path: Path) -> None:
    f = tmp_path / "account_508812345_campaign_performance_report.csv"
    f.write_text(
        "Campaign Performance Report (in UTC)\n"
        "Report Start: 9/16/2026\n"
        "Report End: 10/15/2026\n"
        "\n"
        "Start Date (in UTC),Account Name,Campaign Name,Currency,Total Spent\n"
        "9/16/2026,Example GmbH,TL,EUR,150.00\n"
        "9/16/2026,Example GmbH,Webinar,EUR,90.00\n"
    )
    got = read(f, "linkedin-ads")
    # 30 days: 15 in September, 15 in October.
    assert cost_rows(got) == [
        (SEP, "ad_spend", "linkedin", "", 120.0),
        (OCT, "ad_spend", "linkedin", "", 120.0),
    ]
    assert any("spans the report range" in n for n in got.notes)


# -- Google Ads -----------------------------------------------------------------------------------
def test_google_ads_by_month_total_rows_skipped() -> None:
    got = read(NATIVE / "google-ads-month.csv", "google-ads")
    assert cost_rows(got) == [
        (AUG, "ad_spend", "google_ads", "", 1379.32),  # 189.24 + 1,190.08
        (SEP, "ad_spend", "google_ads", "", 1245.31),  # 210.76 + 0.00 + 1,034.55
    ]
    assert got.mapping == {"Cost": "costs.amount", "Month": "costs.month"}
    assert any("Total: Account" in n for n in got.notes)


def test_google_ads_is_not_social() -> None:
    assert "google_ads" in OTHER_PLATFORMS
    assert social_platform_of("google_ads") is None
    assert not pl.select(is_social(pl.lit("google_ads"))).item()


def test_google_ads_range_decides_the_month() -> None:
    got = read(NATIVE / "google-ads-range.csv", "google-ads")
    assert cost_rows(got) == [(SEP, "ad_spend", "google_ads", "", 1245.31)]
    assert got.mapping == {"Cost": "costs.amount"}


def test_google_ads_range_over_months_without_segment_is_refused(tmp_path: Path) -> None:
    text = (NATIVE / "google-ads-range.csv").read_text()
    f = tmp_path / "campaigns.csv"
    f.write_text(text.replace('"September 1, 2026 - ', '"August 1, 2026 - '))
    with pytest.raises(DataError) as err:
        read(f, "google-ads")
    assert "2026-08-01 to 2026-09-30" in err.value.message
    assert "segmented by day or month" in err.value.message


def test_google_ads_by_day_and_other_currency(tmp_path: Path) -> None:
    f = tmp_path / "campaigns.csv"
    f.write_text(
        "Campaign report\n"
        '"1 September 2026 - 30 September 2026"\n'
        "Day,Campaign,Currency code,Impr.,Clicks,Cost\n"
        "2026-09-01,Search - Brand,EUR,100,10,12.40\n"
        "2026-09-30,Search - Brand,EUR,90,8,7.60\n"
    )
    assert cost_rows(read(f, "google-ads")) == [(SEP, "ad_spend", "google_ads", "", 20.0)]
    with pytest.raises(DataError) as err:
        read(f, "google-ads", currency="GBP")
    assert err.value.column == "Currency code"
    assert err.value.row == 4


# -- GA4 ------------------------------------------------------------------------------------------
def pull_frame(rows: list[tuple[str, ...]]) -> pl.DataFrame:
    """What the GA4 pull stores for runReport rows (values of DIMENSIONS, then sessions)."""
    report = {
        "dimensionHeaders": [{"name": d} for d in pull.DIMENSIONS],
        "metricHeaders": [{"name": "sessions"}],
        "rows": [
            {
                "dimensionValues": [{"value": v} for v in r[:-1]],
                "metricValues": [{"value": r[-1]}],
            }
            for r in rows
        ],
        "rowCount": len(rows),
        "metadata": {"timeZone": "Etc/UTC"},
    }
    df, _ = pull.report_rows(report, PROPERTY)
    return df.drop("_group")


def test_ga4_exploration_ids_equal_the_pulls() -> None:
    got = read(NATIVE / "ga4-exploration.csv", "ga4")
    df = got.tables["sessions"]
    # The same rows as the Data API returns them: GA4 writes "(not set)" where the export's
    # cell is empty (the manual term of the second row).
    expected = pull_frame(
        [
            ("20260903", "linkedin.com", "referral", "(referral)", "(not set)", "(not set)",
             "/blog/social-roi-guide", "Referral", "12"),
            ("20260903", "linkedin", "social", "webinar-oct", "sr~linkedin~7234567890~e17",
             "(not set)", "/webinar", "Organic Social", "9"),
            ("20260904", "google", "organic", "(organic)", "(not set)", "(not set)", "/",
             "Organic Search", "30"),
            ("20260904", "(direct)", "(none)", "(direct)", "(not set)", "(not set)", "/pricing",
             "Direct", "7"),
        ]
    )  # fmt: skip
    assert df.columns == expected.columns
    assert df.rows() == expected.rows()
    assert df.get_column("session_id")[0] == pull.session_id(
        PROPERTY,
        date(2026, 9, 3),
        ["linkedin.com", "referral", "(referral)", "(not set)", "(not set)",
         "/blog/social-roi-guide", "Referral"],
    )  # fmt: skip
    # The grand total row is skipped; the second table (August) is not read, with a warning.
    assert int(df.get_column("count").sum()) == 58
    assert any("total row" in n for n in got.notes)
    assert any("more than one table" in w and "row 20" in w for w in got.warnings)
    assert got.mapping["Session default channel group"] == "sessions.session_id"
    # Stable across re-downloads.
    again = read(NATIVE / "ga4-exploration.csv", "ga4").tables["sessions"]
    assert again.get_column("session_id").to_list() == df.get_column("session_id").to_list()


def test_ga4_traffic_acquisition_combined_source_medium() -> None:
    got = read(NATIVE / "ga4-traffic-acquisition.csv", "ga4", sets={"property": PROPERTY})
    df = got.tables["sessions"]
    assert df.columns == ["session_id", "started_at", "count", "source", "medium"]
    first = df.row(0, named=True)
    assert first["source"] == "linkedin.com"
    assert first["medium"] == "referral"
    assert first["count"] == 12
    assert first["started_at"] == datetime(2026, 9, 3, tzinfo=UTC)
    assert int(df.get_column("count").sum()) == 104
    assert got.mapping["Session source / medium"] == "sessions.source, sessions.medium"
    # The export lacks the pull's other dimensions: ids of its own, never a pulled row's.
    pulled = pull_frame(
        [("20260903", "linkedin.com", "referral", "(referral)", "(not set)", "(not set)",
          "(not set)", "Referral", "12")]
    )  # fmt: skip
    assert first["session_id"].startswith(f"ga4:{PROPERTY}:2026-09-03:")
    assert first["session_id"] not in pulled.get_column("session_id").to_list()
    assert any("lacks Session campaign" in n for n in got.notes)
    assert got.warnings == []

    channels = classify_sessions(df)
    by_source = dict(zip(channels["source"], channels["channel"], strict=True))
    assert by_source["linkedin.com"] == "linkedin"
    assert by_source["lnkd.in"] == "linkedin"
    assert by_source["l.facebook.com"] == "facebook"
    assert by_source["t.co"] == "x"
    assert by_source["google"] == "organic_search"


def test_ga4_property_id_is_required() -> None:
    with pytest.raises(DataError) as err:
        read(NATIVE / "ga4-traffic-acquisition.csv", "ga4")
    assert "--set property=" in err.value.message
    with pytest.raises(DataError, match="is a number"):
        read(NATIVE / "ga4-traffic-acquisition.csv", "ga4", sets={"property": "Example GA4"})


def test_ga4_no_social_sessions_warns(tmp_path: Path) -> None:
    f = tmp_path / "ga4.csv"
    f.write_text(
        "# Traffic acquisition: Session source / medium\n"
        "# Start date: 20260901\n"
        "# End date: 20260930\n"
        "Session source / medium,Date,Sessions\n"
        "google / organic,20260903,40\n"
        "(direct) / (none),20260903,25\n"
    )
    got = read(f, "ga4", sets={"property": PROPERTY})
    assert got.warnings == ["0 of 65 sessions are social; is the source column right? " + (
        "(social sessions come from sources such as linkedin.com, t.co or l.facebook.com, or "
        "carry utm_medium=social)")]  # fmt: skip


def test_ga4_without_date_is_one_row_per_source_on_the_start_date(tmp_path: Path) -> None:
    f = tmp_path / "ga4.csv"
    f.write_text(
        "# Property: Example GmbH - GA4 (412345678)\n"
        "# Start date: 20260901\n"
        "# End date: 20260930\n"
        "Session source / medium,Sessions\n"
        "linkedin.com / referral,120\n"
    )
    got = read(f, "ga4")
    df = got.tables["sessions"]
    assert df.select("started_at", "count", "source").rows() == [
        (datetime(2026, 9, 1, tzinfo=UTC), 120, "linkedin.com")
    ]
    daily = f.with_name("daily.csv")
    daily.write_text(
        "# Property: Example GmbH - GA4 (412345678)\n"
        "Session source / medium,Date,Sessions\n"
        "linkedin.com / referral,20260901,4\n"
    )
    # A whole-range row never takes the id of the same source's row for the start day.
    assert read(daily, "ga4").tables["sessions"]["session_id"][0] != df["session_id"][0]
    assert any("no Date column" in n and "2026-09-30" in n for n in got.notes)


def test_ga4_landing_page_with_query_string_and_time_zone(tmp_path: Path) -> None:
    f = tmp_path / "ga4.csv"
    f.write_text(
        "Date,Session source,Session medium,Landing page + query string,Sessions\n"
        "20260903,linkedin.com,referral,/blog?utm_source=linkedin,2\n"
        "20260903,linkedin.com,referral,/blog?ref=x,3\n"
    )
    got = read(f, "ga4", sets={"property": PROPERTY, "time_zone": "Europe/Berlin"})
    df = got.tables["sessions"]
    # Both rows are GA4's landing page /blog: one row of 5 sessions.
    assert df.select("landing_page", "count").rows() == [("/blog", 5)]
    assert df["started_at"][0] == datetime(2026, 9, 2, 22, tzinfo=UTC)


def test_split_source_medium() -> None:
    source, medium = split_source_medium(
        pl.Series(["linkedin.com / referral", "(direct) / (none)", "newsletter", None, " / cpc"])
    )
    assert source.to_list() == ["linkedin.com", "(direct)", "newsletter", None, None]
    assert medium.to_list() == ["referral", "(none)", None, None, "cpc"]
