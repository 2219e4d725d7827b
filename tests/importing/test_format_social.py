"""The social platforms' own export files: Meta posts and page series, LinkedIn Page, X analytics.

Every expected value below is read off the fixture by hand (tests/fixtures/native, described in
SOURCES.md); ids and accounts are the ones the platform's pull writes for the same post.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from socialroi import Store
from socialroi.adapters import formats as fmts
from socialroi.adapters._raw import open_book
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats.linkedin import post_urn
from socialroi.adapters.formats.x import snowflake_time
from socialroi.adapters.linkedin import post_url
from socialroi.errors import DataError
from tests.importing.conftest import run_import

NATIVE = Path(__file__).parents[1] / "fixtures" / "native"
PAGE = "104857600012345"
IG = "17841400000000001"
ORG = "urn:li:organization:2414183"
FB_EN = NATIVE / f"meta-posts-fb-en_Sep-01-2026_Sep-30-2026_{PAGE}.csv"
IG_EN = NATIVE / f"meta-posts-ig-en_Sep-01-2026_Sep-30-2026_{IG}.csv"

MINE = ("meta-posts", "meta-page", "linkedin-page", "x-analytics")
FIXTURES = {
    FB_EN.name: "meta-posts",
    "meta-posts-fb-de.csv": "meta-posts",
    "meta-posts-fb-fr.csv": "meta-posts",
    "meta-posts-fb-es.csv": "meta-posts",
    "meta-posts-fb-pt.csv": "meta-posts",
    IG_EN.name: "meta-posts",
    "meta-posts-fb-2022-two-header.csv": "meta-posts",
    "meta-page-Follows.csv": "meta-page",
    "linkedin-page-content-en.xlsx": "linkedin-page",
    "linkedin-page-content-pt.xlsx": "linkedin-page",
    "linkedin-page-updates-en.xls": "linkedin-page",
    "linkedin-followers-en.xlsx": "linkedin-page",
    "linkedin-visitors-en.xlsx": "linkedin-page",
    "x-tweet-activity-legacy.csv": "x-analytics",
    "x-account-analytics-content.csv": "x-analytics",
    "x-account-overview.csv": "x-analytics",
}


def read(name: str | Path, **sets: str) -> Loaded:
    book = open_book(NATIVE / name)
    found = fmts.detect(book)
    assert found is not None
    return found.read(book, ReadOptions(sets=sets))


def rows(df: pl.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    return df.select(columns).rows()


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


@pytest.mark.parametrize(("name", "expected"), sorted(FIXTURES.items()))
def test_detect_picks_this_format_and_no_other(name: str, expected: str) -> None:
    book = open_book(NATIVE / name)
    scores = {n: f.score(book) for n, f in fmts.formats().items()}
    assert scores[expected] > 0
    assert {n: s for n, s in scores.items() if s > 0} == {expected: scores[expected]}
    found = fmts.detect(book)
    assert found is not None
    assert found.name == expected


@pytest.mark.parametrize("name", ["meta-ads-en.csv", "hubspot-deals.csv", "linkedin-ads-utf8.csv"])
def test_other_exports_are_not_mine(name: str) -> None:
    if not (NATIVE / name).exists():
        pytest.skip("fixture of another format not present")
    book = open_book(NATIVE / name)
    assert all(fmts.get(n).score(book) == 0 for n in MINE)


# -- meta-posts ---------------------------------------------------------------------------------
def test_facebook_en_posts_ids_as_the_graph_pull_writes_them() -> None:
    got = read(FB_EN)
    posts, metrics = got.tables["posts"], got.tables["post_metrics"]
    assert rows(posts, "platform", "post_id", "account_id", "created_at", "kind") == [
        ("facebook", f"{PAGE}_1234567890123456", PAGE, utc(2026, 9, 3, 14, 5), "broadcast"),
        ("facebook", f"{PAGE}_1234567890999999", PAGE, utc(2026, 9, 15, 9, 30), "share"),
    ]
    assert posts["url"][0] == f"https://www.facebook.com/{PAGE}/posts/1234567890123456"
    assert posts["text"][1] == "Shop open day"  # the title, the description being empty
    assert "link_url" not in posts.columns  # no link column: the pull's link is kept
    # Views "2,140" -> impressions; Reactions -> likes; Total clicks (not Link clicks) -> clicks.
    assert rows(
        metrics, "as_of", "impressions", "reach", "likes", "comments", "shares", "clicks"
    ) == [
        (utc(2026, 10, 1), 2140, 1800, 45, 6, 3, 120),
        (utc(2026, 10, 1), 512, 430, 12, 0, 1, 14),
    ]
    assert got.warnings == [
        "these are lifetime totals as of 2026-10-01; months before it will show no metric history"
    ]
    assert any("from the file name" in n for n in got.notes)
    assert got.mapping["Views"] == "post_metrics.impressions"
    assert "Link clicks" in got.ignored


def test_facebook_de_day_first_dates_and_dotted_thousands() -> None:
    got = read("meta-posts-fb-de.csv")
    posts, metrics = got.tables["posts"], got.tables["post_metrics"]
    assert rows(posts, "post_id", "created_at", "text") == [
        (f"{PAGE}_2222222222222222", utc(2026, 9, 3, 14, 5), "Neue Drehmomentschlüssel"),
        (f"{PAGE}_2222222222333333", utc(2026, 9, 15, 9, 30), "Tag der offenen Tür"),
    ]
    # "3.450" is three thousand four hundred fifty; the snapshot is the midnight after the
    # latest post, the file name giving no range.
    assert rows(metrics, "as_of", "impressions", "reach", "likes", "clicks") == [
        (utc(2026, 9, 16), 3450, 2980, 50, 210),
        (utc(2026, 9, 16), 880, 700, 8, 31),
    ]


def test_facebook_fr_ambiguous_dates_read_day_first_with_a_note() -> None:
    got = read("meta-posts-fb-fr.csv")
    assert rows(got.tables["posts"], "created_at") == [
        (utc(2026, 9, 3, 10),),
        (utc(2026, 9, 5, 16, 45),),
    ]
    assert any("ambiguous" in n and "day first" in n for n in got.notes)
    assert rows(
        got.tables["post_metrics"], "impressions", "reach", "likes", "shares", "clicks"
    ) == [
        (1234, 1010, 18, 1, 77),
        (640, 512, 6, 0, 12),
    ]


def test_facebook_fr_dates_given_month_first() -> None:
    book = open_book(NATIVE / "meta-posts-fb-fr.csv")
    got = fmts.get("meta-posts").read(book, ReadOptions(dates="mdy"))
    assert got.tables["posts"]["created_at"][0] == utc(2026, 3, 9, 10)


@pytest.mark.parametrize(
    ("name", "post", "created", "metrics"),
    [
        (
            "meta-posts-fb-es.csv",
            "4444444444444444",
            utc(2026, 9, 16, 18),
            (950, 800, 12, 2, 1, 33),
        ),
        (
            "meta-posts-fb-pt.csv",
            "5555555555555555",
            utc(2026, 9, 21, 11, 15),
            (1020, 890, 20, 4, 2, 41),
        ),
    ],
)
def test_facebook_es_pt(name: str, post: str, created: datetime, metrics: tuple[int, ...]) -> None:
    got = read(name)
    assert rows(got.tables["posts"], "post_id", "account_id", "created_at") == [
        (f"{PAGE}_{post}", PAGE, created)
    ]
    cols = ("impressions", "reach", "likes", "comments", "shares", "clicks")
    assert rows(got.tables["post_metrics"], *cols) == [metrics]


def test_instagram_posts_link_from_the_caption_as_the_pull_takes_it() -> None:
    got = read(IG_EN)
    posts, metrics = got.tables["posts"], got.tables["post_metrics"]
    assert rows(posts, "platform", "post_id", "account_id", "created_at") == [
        ("instagram", "17900000000000001", IG, utc(2026, 9, 4, 8)),
        ("instagram", "17900000000000002", IG, utc(2026, 9, 18, 17, 30)),
    ]
    assert rows(posts, "link_url", "utm_source", "utm_medium", "utm_campaign", "campaign") == [
        (
            "https://acme.example/fall?utm_source=instagram&utm_medium=social&utm_campaign=fall26",
            "instagram",
            "social",
            "fall26",
            "fall26",
        ),
        (None, None, None, None, None),
    ]
    cols = ("as_of", "impressions", "reach", "likes", "comments", "shares", "saves")
    assert rows(metrics, *cols) == [
        (utc(2026, 10, 1), 3980, 2410, 187, 9, 12, 31),
        (utc(2026, 10, 1), 12400, 8020, 402, 23, 55, 64),
    ]
    assert "clicks" not in metrics.columns


def test_pre_2023_export_skips_the_description_row() -> None:
    got = read("meta-posts-fb-2022-two-header.csv")
    assert rows(got.tables["posts"], "post_id", "account_id", "created_at", "text") == [
        (f"{PAGE}_987654321098765", PAGE, utc(2022, 4, 28, 14), "Spring sale starts today"),
        (f"{PAGE}_987654321011111", PAGE, utc(2022, 4, 14, 9, 15), "Workshop photos"),
    ]
    cols = ("as_of", "impressions", "reach", "likes", "comments", "shares", "clicks")
    assert rows(got.tables["post_metrics"], *cols) == [
        (utc(2022, 4, 29), 2100, 1500, 60, 8, 5, 130),
        (utc(2022, 4, 29), 900, 700, 30, 2, 0, 25),
    ]
    assert any("description row" in n for n in got.notes)


# -- meta-page ----------------------------------------------------------------------------------
def test_meta_page_follows_series() -> None:
    got = read("meta-page-Follows.csv", platform="Facebook", account_id=PAGE)
    assert got.tables["account_daily"].rows() == [
        ("facebook", PAGE, date(2026, 9, 1), 3),
        ("facebook", PAGE, date(2026, 9, 2), 0),
        ("facebook", PAGE, date(2026, 9, 3), 7),
        ("facebook", PAGE, date(2026, 9, 4), 2),
    ]
    assert got.tables["account_daily"].columns[-1] == "new_followers"


def test_meta_page_refuses_without_account() -> None:
    with pytest.raises(DataError, match="--set account_id="):
        read("meta-page-Follows.csv", platform="instagram")


# -- linkedin-page ------------------------------------------------------------------------------
def test_linkedin_content_en() -> None:
    got = read("linkedin-page-content-en.xlsx", account_id=ORG)
    daily = got.tables["account_daily"]
    # Organic, as the pull counts them: engagements = reactions + comments + reposts + clicks.
    assert rows(daily, "account_id", "date", "impressions", "engagements", "reach") == [
        (ORG, date(2026, 9, 1), 1200, 25 + 4 + 2 + 30, 800),
        (ORG, date(2026, 9, 2), 950, 20 + 3 + 1 + 18, 610),
        (ORG, date(2026, 9, 3), 2100, 52 + 9 + 6 + 61, 1400),
    ]
    posts, metrics = got.tables["posts"], got.tables["post_metrics"]
    assert rows(posts, "post_id", "account_id", "created_at", "url") == [
        (
            "urn:li:activity:7236000000000000001",
            ORG,
            utc(2026, 9, 2),
            "https://www.linkedin.com/feed/update/urn:li:activity:7236000000000000001",
        ),
        (
            "urn:li:activity:7236500000000000002",
            ORG,
            utc(2026, 9, 3),
            "https://www.linkedin.com/feed/update/urn:li:activity:7236500000000000002/",
        ),
    ]
    cols = ("as_of", "impressions", "clicks", "likes", "comments", "shares")
    assert rows(metrics, *cols) == [
        (utc(2026, 9, 4), 1430, 52, 33, 5, 4),
        (utc(2026, 9, 4), 2600, 73, 60, 11, 7),
    ]
    assert got.warnings == [
        "these are lifetime totals as of 2026-09-04; months before it will show no metric history"
    ]
    assert "Metrics › Impressions (total)" in got.ignored


def test_linkedin_content_pt_br() -> None:
    got = read("linkedin-page-content-pt.xlsx", account_id="2414183")
    assert rows(got.tables["account_daily"], "date", "impressions", "engagements", "reach") == [
        (date(2026, 9, 1), 310, 14 + 2 + 1 + 9, 220),
        (date(2026, 9, 2), 180, 6 + 0 + 0 + 4, 130),
    ]
    assert rows(got.tables["posts"], "post_id", "account_id", "text") == [
        ("urn:li:activity:7236100000000000003", ORG, "Planejamento tributário para 2027")
    ]
    cols = ("impressions", "clicks", "likes", "comments", "shares")
    assert rows(got.tables["post_metrics"], *cols) == [(490, 13, 20, 2, 1)]
    assert any("month first" in n for n in got.notes)


def test_linkedin_updates_xls_shares() -> None:
    got = read("linkedin-page-updates-en.xls", account_id=ORG)
    assert rows(got.tables["account_daily"], "date", "impressions", "engagements", "reach") == [
        (date(2022, 3, 14), 400, 9 + 1 + 2 + 11, 260),
        (date(2022, 3, 15), 520, 12 + 0 + 1 + 7, 330),
    ]
    assert rows(got.tables["post_metrics"], "post_id", "as_of", "likes", "shares") == [
        ("urn:li:activity:6909000000000000004", utc(2022, 3, 16), 21, 3)
    ]


def test_linkedin_followers_are_new_followers_not_the_total() -> None:
    got = read("linkedin-followers-en.xlsx", account_id=ORG)
    daily = got.tables["account_daily"]
    assert "followers" not in daily.columns
    assert rows(daily, "date", "new_followers") == [
        (date(2026, 9, 1), 2),
        (date(2026, 9, 2), 1),
        (date(2026, 9, 3), 4),
        (date(2026, 9, 4), None),  # -1: more unfollows than follows
    ]
    assert set(got.tables) == {"account_daily"}
    assert any("Location" in n for n in got.notes)


def test_linkedin_visitors() -> None:
    got = read("linkedin-visitors-en.xlsx", account_id=ORG)
    assert rows(got.tables["account_daily"], "date", "page_views", "visitors") == [
        (date(2026, 9, 1), 37, 21),
        (date(2026, 9, 2), 12, 9),
    ]


def test_linkedin_refuses_without_organization() -> None:
    with pytest.raises(DataError, match=r"--set account_id=urn:li:organization:"):
        read("linkedin-followers-en.xlsx")


def test_linkedin_post_urn_and_the_pulls_url_agree() -> None:
    assert post_urn("https://www.linkedin.com/feed/update/urn%3Ali%3Augcpost%3A42/") == (
        "urn:li:ugcPost:42"
    )
    assert post_urn("https://www.linkedin.com/company/acme/") is None
    for urn in ("urn:li:share:7", "urn:li:ugcPost:8", "urn:li:activity:9"):
        assert post_urn(post_url(urn)) == urn


def test_followers_file_keeps_the_content_files_impressions(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    for name in ("linkedin-page-content-en.xlsx", "linkedin-followers-en.xlsx"):
        res = run_import(store, NATIVE / name, "--set", f"account_id={ORG}")
        assert res.exit_code == 0, res.output
    with Store.open(store, read_only=True) as s:
        daily = s.read("account_daily").sort("date")
    assert rows(daily, "date", "impressions", "new_followers") == [
        (date(2026, 9, 1), 1200, 2),
        (date(2026, 9, 2), 950, 1),
        (date(2026, 9, 3), 2100, 4),
        (date(2026, 9, 4), None, None),
    ]


# -- x-analytics --------------------------------------------------------------------------------
def test_x_legacy_tweet_activity() -> None:
    got = read("x-tweet-activity-legacy.csv")
    posts, metrics = got.tables["posts"], got.tables["post_metrics"]
    assert "account_id" not in posts.columns
    # The ids' own time, to the second, as the pull's created_at (the file says 18:42).
    assert rows(posts, "platform", "post_id", "created_at") == [
        ("x", "649293202196533249", utc(2015, 9, 30, 18, 42, 17)),
        ("x", "648785720772661249", utc(2015, 9, 29, 9, 5, 44)),
    ]
    cols = ("as_of", "impressions", "likes", "comments", "shares", "clicks")
    assert rows(metrics, *cols) == [
        (utc(2015, 10, 1), 424, 5, 1, 2, 3),
        (utc(2015, 10, 1), 1180, 17, 4, 6, 9),
    ]
    assert any("@acmetools" in n and "--set account_id" in n for n in got.notes)


def test_x_content_export_with_account() -> None:
    got = read("x-account-analytics-content.csv", account_id="99887766")
    posts = got.tables["posts"]
    assert rows(posts, "post_id", "account_id", "created_at", "url") == [
        (
            "2063169768654901249",
            "99887766",
            utc(2026, 6, 6, 8, 2, 59),
            "https://x.com/acmetools/status/2063169768654901249",
        ),
        (
            "2062887206783029249",
            "99887766",
            utc(2026, 6, 5, 13, 20, 11),
            "https://x.com/acmetools/status/2062887206783029249",
        ),
    ]
    cols = ("as_of", "impressions", "likes", "comments", "shares", "saves", "clicks")
    assert rows(got.tables["post_metrics"], *cols) == [
        (utc(2026, 6, 7), 2310, 58, 7, 11, 9, 19),
        (utc(2026, 6, 7), 1045, 21, 3, 5, 4, 17),
    ]


def test_x_account_overview() -> None:
    got = read("x-account-overview.csv", account_id="99887766")
    daily = got.tables["account_daily"]
    cols = ("date", "impressions", "engagements", "new_followers", "profile_clicks")
    assert rows(daily, *cols) == [
        (date(2026, 6, 5), 1502, 80, 1, 4),
        (date(2026, 6, 6), 2950, 171, 5, 14),
        (date(2026, 6, 7), 880, 41, 3, 9),
    ]
    assert set(daily["account_id"]) == {"99887766"}
    with pytest.raises(DataError, match="--set account_id=USER_ID"):
        read("x-account-overview.csv")


def test_snowflake_time() -> None:
    assert snowflake_time("20") is None  # a pre-2010 id
    assert snowflake_time("1445078208190291968") == utc(2021, 10, 4, 17, 27, 47)
