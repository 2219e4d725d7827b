"""The GA4 BigQuery export as a source: nested events → sessions → touchpoints.

The events table is built in DuckDB in the export's real nested schema (event_params as an array of
key/value structs, traffic_source, collected_traffic_source and
session_traffic_source_last_click as structs), and the expected sessions and touches are written
by hand.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot

from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import SOCIAL_SOURCES
from socialroi.engines import ga4_export as g
from socialroi.errors import ConfigError

GOLDEN = Path(__file__).parent / "golden"

PARAM_VALUE = (
    "STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, double_value DOUBLE)"
)
EVENTS_DDL = f"""
CREATE TABLE events (
  event_date VARCHAR,
  event_timestamp BIGINT,
  event_name VARCHAR,
  event_params STRUCT(key VARCHAR, value {PARAM_VALUE})[],
  user_id VARCHAR,
  user_pseudo_id VARCHAR,
  traffic_source STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR),
  collected_traffic_source STRUCT(
    manual_campaign_id VARCHAR, manual_campaign_name VARCHAR, manual_source VARCHAR,
    manual_medium VARCHAR, manual_term VARCHAR, manual_content VARCHAR,
    manual_source_platform VARCHAR, manual_creative_format VARCHAR,
    manual_marketing_tactic VARCHAR, gclid VARCHAR, dclid VARCHAR, srsltid VARCHAR),
  session_traffic_source_last_click STRUCT(
    manual_campaign STRUCT(
      campaign_id VARCHAR, campaign_name VARCHAR, source VARCHAR, medium VARCHAR, term VARCHAR,
      content VARCHAR, source_platform VARCHAR, creative_format VARCHAR,
      marketing_tactic VARCHAR),
    google_ads_campaign STRUCT(
      customer_id VARCHAR, account_name VARCHAR, campaign_id VARCHAR, campaign_name VARCHAR,
      ad_group_id VARCHAR, ad_group_name VARCHAR))
)
"""


def _us(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1_000_000)


def _params(**kv: object) -> str:
    items = []
    rest = "'float_value': NULL, 'double_value': NULL"
    for key, value in kv.items():
        if isinstance(value, int):
            val = f"{{'string_value': NULL, 'int_value': {value}, {rest}}}"
        else:
            val = f"{{'string_value': '{value}', 'int_value': NULL, {rest}}}"
        items.append(f"{{'key': '{key}', 'value': {val}}}")
    return "[" + ", ".join(items) + "]"


def _collected(source=None, medium=None, campaign=None, content=None, gclid=None) -> str:
    def q(v: str | None) -> str:
        return "NULL" if v is None else f"'{v}'"

    return (
        f"{{'manual_campaign_id': NULL, 'manual_campaign_name': {q(campaign)}, "
        f"'manual_source': {q(source)}, 'manual_medium': {q(medium)}, 'manual_term': NULL, "
        f"'manual_content': {q(content)}, 'manual_source_platform': NULL, "
        f"'manual_creative_format': NULL, 'manual_marketing_tactic': NULL, 'gclid': {q(gclid)}, "
        f"'dclid': NULL, 'srsltid': NULL}}"
    )


def _last_click(source=None, medium=None, campaign=None, content=None) -> str:
    def q(v: str | None) -> str:
        return "NULL" if v is None else f"'{v}'"

    return (
        f"{{'manual_campaign': {{'campaign_id': NULL, 'campaign_name': {q(campaign)}, "
        f"'source': {q(source)}, 'medium': {q(medium)}, 'term': NULL, 'content': {q(content)}, "
        f"'source_platform': NULL, 'creative_format': NULL, 'marketing_tactic': NULL}}, "
        "'google_ads_campaign': NULL}"
    )


# (pseudo id, user id, µs, event, params, collected, last click)
LI = _last_click("linkedin", "social", "spring", "sr~linkedin~p1~e7")
DIRECT = _last_click("(direct)", "(none)", "(direct)")
EVENTS = [
    # pA session 1001: a LinkedIn tracked link. first_visit carries no source; the page_view
    # carries the collected UTM values, and every event the session's last click. The user logs
    # in on a later event (user_id c1).
    ("pA", None, _us(2024, 5, 1, 10), "first_visit", _params(ga_session_id=1001), "NULL", LI),
    (
        "pA",
        None,
        _us(2024, 5, 1, 10),
        "page_view",
        _params(ga_session_id=1001, page_location="https://ex.com/?utm_source=linkedin"),
        _collected("linkedin", "social", "spring", "sr~linkedin~p1~e7"),
        LI,
    ),
    ("pA", "c1", _us(2024, 5, 1, 10, 5), "login", _params(ga_session_id=1001), "NULL", LI),
    # pA session 1002: direct (last click says so), user known.
    ("pA", "c1", _us(2024, 5, 3, 9), "page_view", _params(ga_session_id=1002), "NULL", DIRECT),
    # pB session 2001: google/cpc from collected values (no last-click struct: older export);
    # the event parameters name bing, which the collected values outrank.
    (
        "pB",
        None,
        _us(2024, 5, 2, 8, 30),
        "page_view",
        _params(ga_session_id=2001, source="bing", medium="cpc"),
        _collected("google", "cpc", "brand-search", gclid="Cj0KCQ"),
        "NULL",
    ),
    # pB session 2002: only the event parameters: a Facebook referral (social source wins).
    (
        "pB",
        None,
        _us(2024, 5, 4, 12),
        "page_view",
        _params(
            ga_session_id=2002, source="l.facebook.com", medium="referral", campaign="(referral)"
        ),
        "NULL",
        "NULL",
    ),
    # pC session 3001: organic search, nobody knows the visitor: a session but no touch.
    (
        "pC",
        None,
        _us(2024, 5, 5, 7),
        "page_view",
        _params(ga_session_id=3001, source="google", medium="organic"),
        "NULL",
        "NULL",
    ),
    # An event without a session id and one without a pseudo-id (consent mode) belong to none.
    ("pC", None, _us(2024, 5, 5, 8), "page_view", _params(source="x"), "NULL", "NULL"),
    (None, None, _us(2024, 5, 5, 9), "page_view", _params(ga_session_id=1), "NULL", "NULL"),
]
# A bot pseudo-id with four sessions on another day.
EVENTS += [
    ("pBot", None, _us(2024, 5, 6, h), "page_view", _params(ga_session_id=9000 + h), "NULL", "NULL")
    for h in range(4)
]


def _q(v: str | None) -> str:
    return "NULL" if v is None else f"'{v}'"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute(EVENTS_DDL)
    for pseudo, user, ts, name, params, collected, last in EVENTS:
        day = datetime.fromtimestamp(ts / 1e6, tz=UTC).strftime("%Y%m%d")
        c.execute(
            f"INSERT INTO events VALUES ('{day}', {ts}, '{name}', {params}, {_q(user)}, "
            f"{_q(pseudo)}, NULL, {collected}, {last})"
        )
    c.execute(
        "CREATE TABLE contacts AS SELECT * FROM (VALUES ('c1', NULL), ('c2', 'pB'), ('c9', 'pB'))"
        " AS t(contact_id, visitor_id)"
    )
    yield c
    c.close()


def _ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_sessions_one_row_per_session_with_the_right_source(con):
    got = g.read_sessions(con, g.ExportSource(max_sessions_per_visitor=3)).sort("session_id")
    cols = ["session_id", "started_at", "source", "medium", "campaign", "content", "click_id"]
    expected = [
        (
            "ga4x:pA:1001",
            _ts(2024, 5, 1, 10),
            "linkedin",
            "social",
            "spring",
            "sr~linkedin~p1~e7",
            None,
        ),
        ("ga4x:pA:1002", _ts(2024, 5, 3, 9), "(direct)", "(none)", None, None, None),
        ("ga4x:pB:2001", _ts(2024, 5, 2, 8, 30), "google", "cpc", "brand-search", None, "Cj0KCQ"),
        ("ga4x:pB:2002", _ts(2024, 5, 4, 12), "l.facebook.com", "referral", None, None, None),
        ("ga4x:pC:3001", _ts(2024, 5, 5, 7), "google", "organic", None, None, None),
    ]
    assert got.select(cols).rows() == expected
    assert got.get_column("visitor_id").to_list() == ["pA", "pA", "pB", "pB", "pC"]
    # user_id set on a later event of session 1001 still names the session's contact.
    assert got.get_column("contact_id").to_list() == ["c1", "c1", None, None, None]


def test_giant_pseudo_ids_are_left_out_and_listed(con):
    capped = g.ExportSource(max_sessions_per_visitor=3)
    assert g.read_giant_visitors(con, capped).rows() == [("pBot", 4)]
    assert "pBot" not in g.read_sessions(con, capped).get_column("visitor_id").to_list()
    # At the default cap the bot's four sessions are kept.
    assert g.read_sessions(con).filter(pl.col("visitor_id") == "pBot").height == 4
    assert g.read_giant_visitors(con).height == 0


def test_touchpoints_by_user_id_or_visitor_id_with_the_pull_vocabulary(con):
    got = g.read_touchpoints(con, g.ExportSource(max_sessions_per_visitor=3))
    cols = [
        "contact_id",
        "ts",
        "channel",
        "ref",
        "platform",
        "kind",
        "post_id",
        "employee_id",
        "campaign",
    ]
    assert got.columns == cols
    assert got.rows() == [
        (
            "c1",
            _ts(2024, 5, 1, 10),
            "linkedin",
            "ga4x:pA:1001",
            "linkedin",
            "post_click",
            "p1",
            "e7",
            "spring",
        ),
        (
            "c2",
            _ts(2024, 5, 2, 8, 30),
            "paid_search",
            "ga4x:pB:2001",
            None,
            "paid",
            None,
            None,
            "brand-search",
        ),
        ("c1", _ts(2024, 5, 3, 9), "direct", "ga4x:pA:1002", None, "direct", None, None, None),
        (
            "c2",
            _ts(2024, 5, 4, 12),
            "facebook",
            "ga4x:pB:2002",
            "facebook",
            "web",
            None,
            None,
            None,
        ),
    ]


def test_day_bounds_keep_only_those_days(con):
    src = g.ExportSource(since="20240502", until="20240504", max_sessions_per_visitor=3)
    ids = g.read_sessions(con, src).get_column("session_id").sort().to_list()
    assert ids == ["ga4x:pA:1002", "ga4x:pB:2001", "ga4x:pB:2002"]


def test_an_export_before_2023_has_neither_source_struct():
    c = duckdb.connect()
    c.execute(
        f"CREATE TABLE events (event_date VARCHAR, event_timestamp BIGINT, event_name VARCHAR, "
        f"event_params STRUCT(key VARCHAR, value {PARAM_VALUE})[], user_id VARCHAR, "
        "user_pseudo_id VARCHAR)"
    )
    params = _params(
        ga_session_id=5, source="lnkd.in", medium="social", content="sr~linkedin~p9~brand"
    )
    c.execute(
        f"INSERT INTO events VALUES ('20240101', {_us(2024, 1, 1)}, 'page_view', {params}, "
        "'c5', 'p5')"
    )
    c.execute("CREATE TABLE contacts (contact_id VARCHAR, visitor_id VARCHAR)")
    src = g.ExportSource(last_click=False, collected=False)
    got = g.read_touchpoints(c, src)
    assert got.select(
        "contact_id", "channel", "platform", "kind", "post_id", "employee_id"
    ).rows() == [("c5", "linkedin", "linkedin", "post_click", "p9", None)]
    c.close()


SOURCES = [
    None,
    "",
    "(direct)",
    "google",
    "bing",
    "Google",
    "reddit.com",
    "newsletter-tool",
    "https://www.LinkedIn.com/feed/",
    "linkedin.com/feed",
    "  t.co ",
    "WWW.Facebook.com.",
    "http://user@m.facebook.com:443/x",
    "linked  in",
    "X (Twitter)",
    "tiktok",
    *sorted(SOCIAL_SOURCES),
]
MEDIUMS = [
    None,
    "",
    "(none)",
    "(not set)",
    "organic",
    "CPC",
    "ppc",
    "paid",
    "paid-social",
    "retargeting",
    "cpm",
    "social",
    "Social Media",
    "sms",
    "Email",
    "e-mail",
    "newsletter",
    "referral",
    "display",
]
CONTENTS = [None, "sr~LinkedIn~p1~brand", " sr~x~9~ ", "sr~x~~e1", "sr~facebook~p2~e3", "banner"]


def test_sql_channels_match_classify_sessions_on_every_combination():
    rows = list(itertools.product(SOURCES, MEDIUMS, CONTENTS))
    sessions = pl.DataFrame(
        {
            "session_id": [str(i) for i in range(len(rows))],
            "source": [r[0] for r in rows],
            "medium": [r[1] for r in rows],
            "content": [r[2] for r in rows],
        },
        schema=dict.fromkeys(("session_id", "source", "medium", "content"), pl.String),
    )
    c = duckdb.connect()
    c.register("sessions", sessions.to_arrow())
    added = ["channel", "platform", "kind", "post_id", "employee_id"]
    got = c.sql(g.classify_sql("sessions")).pl().select("session_id", *added)
    want = classify_sessions(sessions).select("session_id", *added)
    c.close()
    joined = want.join(got, on="session_id", suffix="_sql")
    assert joined.height == len(rows) > 2000
    for col in added:
        bad = joined.filter(pl.col(col).ne_missing(pl.col(f"{col}_sql")))
        assert bad.height == 0, (col, bad.head(5).to_dicts())
    # The grid reaches every channel the rules give.
    assert set(want.get_column("channel")) >= {
        "linkedin",
        "x",
        "facebook",
        "paid_social",
        "social_other",
        "direct",
        "organic_search",
        "paid_search",
        "email",
        "referral",
        "other",
    }


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
def test_golden_sql(dialect):
    """The rendered SQL is what the golden file holds (update with SOCIALROI_UPDATE_GOLDEN=1)."""
    sql = g.touchpoints_sql(
        g.ExportSource("my-project.analytics_123.events_*", since="20240101", until="20240131"),
        contacts="my-project.crm.contacts",
        dialect=dialect,
    )
    path = GOLDEN / f"ga4_touchpoints.{dialect}.sql"
    if os.environ.get("SOCIALROI_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(sql + "\n", encoding="utf-8")
    assert sql + "\n" == path.read_text(encoding="utf-8")
    # The text parses back in its own dialect.
    assert sqlglot.parse_one(sql, read=dialect) is not None


def test_bigquery_sql_scans_only_the_days_asked_for():
    sql = g.sessions_sql(
        g.ExportSource("p.d.events_*", since="20240101", until="20240131"), dialect="bigquery"
    )
    assert "_TABLE_SUFFIX >= '20240101'" in sql
    assert "_TABLE_SUFFIX <= '20240131'" in sql
    assert "`p.d.events_*`" in sql


@pytest.mark.parametrize(
    "kwargs",
    [
        {"events": "events; DROP TABLE x"},
        {"since": "2024-01-01"},
        {"max_sessions_per_visitor": 0},
    ],
)
def test_bad_source_settings_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        g.ExportSource(**kwargs)
