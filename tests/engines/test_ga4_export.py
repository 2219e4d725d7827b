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
from typing import Any

import duckdb
import polars as pl
import pytest
import sqlglot

from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import SOCIAL_SOURCES
from socialroi.engines import ga4_export as g
from socialroi.errors import ConfigError
from tests.engines.compare import same_frame, same_run

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


def _fill(c: duckdb.DuckDBPyConnection, events: list[tuple[Any, ...]] = EVENTS) -> None:
    """The events table holding `events`, and the contacts table."""
    c.execute(EVENTS_DDL)
    rows = []
    for pseudo, user, ts, name, params, collected, last in events:
        day = datetime.fromtimestamp(ts / 1e6, tz=UTC).strftime("%Y%m%d")
        rows.append(
            f"('{day}', {ts}, '{name}', {params}, {_q(user)}, {_q(pseudo)}, NULL, {collected}, "
            f"{last})"
        )
    c.execute("INSERT INTO events VALUES " + ", ".join(rows))
    c.execute(
        "CREATE TABLE contacts AS SELECT * FROM (VALUES ('c1', NULL), ('c2', 'pB'), ('c9', 'pB'))"
        " AS t(contact_id, visitor_id)"
    )


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    _fill(c)
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


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb", "spark"])
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


# -- the export as an engine source (ga4:EVENTS#options) ------------------------------------------
#: Traffic the generated sessions carry: (source, medium, campaign, content).
TRAFFIC = [
    ("linkedin", "social", "spring", "sr~linkedin~p1~e7"),
    ("lnkd.in", "social", "spring", "sr~linkedin~p2~brand"),
    ("google", "cpc", "brand-search", None),
    ("google", "organic", None, None),
    ("(direct)", "(none)", "(direct)", None),
    ("newsletter", "email", "may", None),
    ("l.facebook.com", "referral", "(referral)", None),
    ("t.co", "social", None, "sr~x~p3~e2"),
    ("partner.example", "referral", None, None),
]


def _generated(seed: int = 7, visitors: int = 40) -> list[tuple[Any, ...]]:
    """Random sessions over 2024-05-01..07: each visitor logs in (user_id c<i>) in some
    sessions, carries its traffic in the last click struct, the collected values or the event
    parameters; the contacts table knows some visitors (v<i> with i % 3 == 0, as k<i>)."""
    import random

    rnd = random.Random(seed)
    out: list[tuple[Any, ...]] = []
    for v in range(visitors):
        pseudo = f"v{v}"
        for s in range(rnd.randint(1, 4)):
            sid = v * 100 + s
            start = _us(2024, 5, rnd.randint(1, 7), rnd.randint(0, 23), rnd.randint(0, 59))
            source, medium, campaign, content = rnd.choice(TRAFFIC)
            where = rnd.choice(["last", "collected", "params"])
            user = f"c{v}" if v % 2 == 0 and rnd.random() < 0.7 else None
            for e in range(rnd.randint(1, 3)):
                ts = start + e * 60_000_000
                params: dict[str, object] = {"ga_session_id": sid}
                collected, last = "NULL", "NULL"
                if where == "params" and e == 0:
                    params |= {"source": source, "medium": medium}
                    if campaign:
                        params["campaign"] = campaign
                    if content:
                        params["content"] = content
                elif where == "collected" and e == 0:
                    collected = _collected(source, medium, campaign, content)
                elif where == "last":
                    last = _last_click(source, medium, campaign, content)
                out.append(
                    (
                        pseudo,
                        user if e else None,
                        ts,
                        "page_view",
                        _params(**params),
                        collected,
                        last,
                    )
                )
    return out


def fill_generated(c: duckdb.DuckDBPyConnection) -> None:
    """The events table with the hand-written and the generated events, and the contacts
    table with the generated visitors' contacts too."""
    _fill(c, EVENTS + _generated())
    c.execute(
        "INSERT INTO contacts SELECT 'k' || i, 'v' || i FROM range(0, 40, 3) AS t(i) "
        "UNION ALL SELECT 'c10', 'v10'"
    )


CONVERSIONS = pl.DataFrame(
    {
        "conversion_id": [f"d{i}" for i in range(12)],
        "contact_id": ["c1", "c2", "c9", "c0", "c4", "k3", "k9", "c10", "k12", "c20", "k30", "zz"],
        "ts": [
            _ts(2024, 5, d, h)
            for d, h in [
                *((3, 10), (5, 1), (6, 0), (4, 0), (8, 0), (7, 12), (6, 6), (8, 23)),
                *((5, 5), (7, 7), (8, 8), (3, 3)),
            ]
        ],
        "value": [100.0, 50.0, 10.0, 7.0, 0.0, 30.0, 20.0, 5.0, 1.0, 2.0, 3.0, 9.0],
    }
)
BY_KIND = ("channel", "kind")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the hand-written and the generated events (one events table), the
    contacts table (with the generated visitors' contacts), and the events as parquet beside it."""
    folder = tmp_path_factory.mktemp("ga4")
    path = folder / "wh.duckdb"
    c = duckdb.connect(str(path))
    fill_generated(c)
    c.execute(f"COPY events TO '{folder / 'events.parquet'}' (FORMAT parquet)")
    c.close()
    return path


def _expected_touches(warehouse: Path, spec: str) -> pl.DataFrame:
    source, contacts = g.export_source(spec)
    with duckdb.connect(str(warehouse), read_only=True) as c:
        return g.read_touchpoints(c, source, contacts=contacts)


@pytest.mark.parametrize(
    "options",
    [
        "contacts=contacts",
        "contacts=contacts,since=20240502,until=20240505",
        "",
        "since=20240503, max_sessions=3",
        "parquet,contacts=contacts",
    ],
)
def test_the_duckdb_engine_reads_the_export_as_read_touchpoints_gives_it(
    warehouse: Path, options: str
) -> None:
    from socialroi.engines import ENGINE_MODELS, EngineSettings, plan_for
    from socialroi.engines.duckdb_engine import run_plan

    events = "events"
    if options.startswith("parquet"):
        events, options = f"parquet:{warehouse.parent}/*.parquet", options.removeprefix("parquet,")
    spec = f"ga4:{events}#{options}" if options else f"ga4:{events}"
    source, contacts = g.export_source(f"ga4:events#{options}")
    with duckdb.connect(str(warehouse), read_only=True) as c:
        touches = g.read_touchpoints(c, source, contacts=contacts)
    assert touches.height > 10
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY_KIND)
    outputs, sql = run_plan(spec, CONVERSIONS, plan, EngineSettings(database=str(warehouse)))
    native, native_sql = run_plan(touches, CONVERSIONS, plan, EngineSettings())
    same_run(outputs, sql, native, native_sql)
    # Contacts known by visitor only (k…) are reached with contacts= alone.
    reached = set(touches.get_column("contact_id"))
    assert ("k3" in reached) == ("contacts=" in options)


def test_engine_credits_match_the_in_memory_path(warehouse: Path) -> None:
    from socialroi.core.attribution import attribute as in_memory
    from socialroi.engines import attribute

    spec = "ga4:events#contacts=contacts"
    touches = _expected_touches(warehouse, spec)
    for model in ("linear", "markov"):
        got = attribute(
            spec,
            CONVERSIONS,
            model=model,
            lookback_days=30,
            engine_options={"database": str(warehouse)},
        )
        want = in_memory(touches, CONVERSIONS, model=model, lookback_days=30)
        same_frame(got, want.select(got.columns), model)


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("ga4:events#since=2024-05-01", "since"),
        ("ga4:events#until=20241301", "until"),
        ("ga4:events#since=20240505,until=20240501", "since"),
        ("ga4:events#max_sessions=0", "max_sessions"),
        ("ga4:events#max_sessions=many", "max_sessions"),
        ("ga4:events#last_click=maybe", "last_click"),
        ("ga4:events#collected", "collected"),
        ("ga4:events#since=20240501,since=20240502", "since"),
        ("ga4:events#bogus=1", "bogus"),
        ("ga4:events#contacts=a;drop", "contacts"),
        ("ga4:events; DROP TABLE x", "events"),
        ("ga4:#since=20240501", "events"),
    ],
)
def test_bad_ga4_options_are_config_errors_naming_them(
    warehouse: Path, spec: str, named: str
) -> None:
    from socialroi.engines import attribute

    with pytest.raises(ConfigError, match=named):
        g.export_source(spec)
    with pytest.raises(ConfigError, match=named):
        attribute(spec, CONVERSIONS, engine_options={"database": str(warehouse)})


def test_an_older_export_needs_its_options(tmp_path: Path) -> None:
    from socialroi.engines import attribute

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as c:
        c.execute(
            "CREATE TABLE events (event_date VARCHAR, event_timestamp BIGINT, event_name VARCHAR, "
            f"event_params STRUCT(key VARCHAR, value {PARAM_VALUE})[], user_id VARCHAR, "
            "user_pseudo_id VARCHAR)"
        )
        params = _params(ga_session_id=5, source="lnkd.in", medium="social")
        c.execute(
            f"INSERT INTO events VALUES ('20240501', {_us(2024, 5, 1)}, 'page_view', {params}, "
            "'c1', 'p5')"
        )
    options = {"database": str(path)}
    with pytest.raises(ConfigError, match="last_click=false"):
        attribute("ga4:events", CONVERSIONS, engine_options=options)
    got = attribute(
        "ga4:events#last_click=false,collected=false", CONVERSIONS, engine_options=options
    )
    assert got.filter(pl.col("channel") == "linkedin").get_column("conversions").to_list() == [1.0]


def test_cli_attribute_on_the_duckdb_engine_reads_the_export(
    warehouse: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from socialroi.cli import main
    from socialroi.engines import attribute

    convs = tmp_path / "conversions.parquet"
    CONVERSIONS.write_parquet(convs)
    config = tmp_path / "socialroi.toml"
    config.write_text(f'[engine]\ndatabase = "{warehouse}"\n', encoding="utf-8")
    spec = "ga4:events#contacts=contacts,since=20240501"
    args = ["attribute", "--engine", "duckdb", "--touchpoints", spec]
    args += ["--conversions", f"parquet:{convs}", "--model", "linear", "--lookback-days", "30"]
    args += ["--by", "channel,kind", "--config", str(config), "--format", "csv"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    got = pl.read_csv(result.stdout.encode())
    want = attribute(
        spec,
        CONVERSIONS,
        model="linear",
        lookback_days=30,
        by=BY_KIND,
        engine_options={"database": str(warehouse)},
    )
    keys = list(BY_KIND)
    got, want = got.sort(keys, nulls_last=True), want.sort(keys, nulls_last=True)
    assert got.height > 3
    assert got.select(keys).equals(want.select(keys))
    for col in ("conversions", "value"):
        assert got.get_column(col).to_list() == pytest.approx(
            want.get_column(col).round(6).to_list(), abs=1e-9
        )


def test_a_missing_events_or_contacts_table_is_named(warehouse: Path) -> None:
    from socialroi.engines import attribute
    from socialroi.errors import DataError

    options = {"database": str(warehouse)}
    with pytest.raises(DataError, match="contacts=nope"):
        attribute("ga4:events#contacts=nope", CONVERSIONS, engine_options=options)
    with pytest.raises(DataError, match="ga4:nothere"):
        attribute("ga4:nothere", CONVERSIONS, engine_options=options)
    with pytest.raises(DataError, match="touchpoints source"):
        attribute("ga4:events", "ga4:events", engine_options=options)
