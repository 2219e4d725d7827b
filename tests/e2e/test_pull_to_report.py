"""All eight platforms through the CLI as a user runs it: init → doctor → pull → pull → report.

One loopback server (tests/e2e/platforms.py) answers every platform's API from the adapter
fixtures; a config written by `socialroi init` points every `base_url` at it and the secrets come
from environment variables. The run's clock is fixed at 2026-11-22 15:30 UTC, the day the
fixtures were captured against.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from socialroi import clock
from socialroi.adapters import registry
from socialroi.adapters.secrets import env_var
from socialroi.cli import main
from socialroi.config import load
from socialroi.store import Store
from tests.adapters.conftest import load_fixture
from tests.adapters.fakeserver import Reply
from tests.e2e import platforms as fake
from tests.e2e.loopback import Loopback

pytestmark = pytest.mark.e2e

AS_OF = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
PLATFORMS = ("x", "facebook", "instagram", "linkedin", "mastodon", "bluesky", "ga4", "hubspot")
SECRETS = {
    "SOCIALROI_X_BEARER_TOKEN": "AAAA-x-bearer-e2e-secret-0001",
    "SOCIALROI_FACEBOOK_ACCESS_TOKEN": "EAAB-fb-e2e-secret-0002",
    "SOCIALROI_INSTAGRAM_ACCESS_TOKEN": "IGQ-ig-e2e-secret-0003",
    "SOCIALROI_LINKEDIN_ACCESS_TOKEN": "AQV-li-e2e-secret-0004",
    "SOCIALROI_MASTODON_ACCESS_TOKEN": "mstdn-e2e-secret-0005",
    "SOCIALROI_GA4_ACCESS_TOKEN": "ya29.ga4-e2e-secret-0006",
    "SOCIALROI_HUBSPOT_ACCESS_TOKEN": "pat-na1-hs-e2e-secret-0007",
}
#: What each [platforms.*] table gets on top of what `init` wrote (besides base_url). Every
#: platform retries a 5xx once (one short real backoff), so the fault runs stay fast.
OPTIONS = {
    "x": 'accounts = ["acme"]',
    "facebook": f'page_id = "{fake.PAGE_ID}"\nlookback_days = 3',
    "instagram": f'ig_user_id = "{fake.IG_USER}"\nlookback_days = 3',
    "linkedin": f'organization_id = "{fake.ORG_ID}"\nlookback_days = 3\npage_size = 2',
    "mastodon": 'accounts = ["acme"]',
    "bluesky": f'accounts = ["{fake.BSKY_HANDLE}"]',
    "ga4": f'property_id = "{fake.GA4_PROPERTY}"\nlookback_days = 3\npage_size = 3',
    "hubspot": "",
}
SOCIAL = ("x", "facebook", "instagram", "linkedin", "mastodon", "bluesky")

# Rows per platform, counted by hand from tests/adapters/fixtures/<platform>/ (run day 2026-11-22,
# lookback 90 days unless the config above says 3):
#   X: tweets_page1 (3) + tweets_page2 (1) = 4 posts; metrics for the 3 within metrics_days (30).
#   Facebook: posts_page1 (2) + posts_page2 (1) = 3 posts and 3 snapshots (2003's refusal leaves
#     its snapshot empty, with a warning); page_insights gives the 3 days of the 3-day lookback.
#   Instagram: media_page1 (3) + media_page2 (1) = 4 posts; 3 insight calls (one empty, one
#     refused for too few viewers); account_insights has values for 11-19 and 11-21, not 11-20.
#   LinkedIn: posts_page1 (2) + posts_page2 (1) = 3 posts, share stats for 2 (shares + ugcPosts),
#     share_stats_daily's 2 days.
#   Mastodon: statuses pages hold 5: one is a reblog and one (2026-07-01) is before the lookback,
#     so 3 posts. Bluesky: feed pages hold 5: a repost and a 2026-08-01 post drop, so 3.
#   Each social platform: one account; one follower snapshot for the run's day (2026-11-22, a row
#   of its own: the insights end the day before), plus the daily insights rows above. Post
#   snapshot counts as in each adapter's test_contract.
EXPECTED: dict[str, dict[str, int]] = {
    "posts": {"x": 4, "facebook": 3, "instagram": 4, "linkedin": 3, "mastodon": 3, "bluesky": 3},
    "post_metrics": {
        "x": 3,
        "facebook": 3,
        "instagram": 3,
        "linkedin": 2,
        "mastodon": 3,
        "bluesky": 3,
    },
    "accounts": dict.fromkeys(SOCIAL, 1),
    "account_daily": {
        "x": 1,
        "facebook": 3 + 1,
        "instagram": 2 + 1,
        "linkedin": 2 + 1,
        "mastodon": 1,
        "bluesky": 1,
    },
}
# GA4: page1 (3 rows) + page2 (3 rows) = 6 aggregate session rows standing for 67 sessions.
# HubSpot: contacts_page1 (2) + contacts_page2 (3) = 5 contacts, 3 of them leads; 5 source
# touches (504 is OFFLINE: none; 501's latest source adds one); deals pages hold 4, and 9003
# has no associated contact, so 3 deals.
EXPECTED_CRM = {"sessions": 6, "contacts": 5, "leads": 3, "touchpoints": 5, "deals": 3}
#: The canonical tables a pull fills (the run log and stream state are compared separately).
TABLES = (*EXPECTED, *EXPECTED_CRM)


def cli(*args: Any, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def everything(result: Result) -> str:
    return result.stdout + result.stderr


def read(store_path: Path) -> dict[str, pl.DataFrame]:
    """Every canonical table a pull fills, read in one opening of the store."""
    with Store.open(store_path, read_only=True) as store:
        return {table: store.read(table) for table in TABLES}


def snapshot(store_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table's rows, sorted, for comparing two stores."""
    return {table: sorted(df.rows(), key=repr) for table, df in read(store_path).items()}


def counts(store_path: Path) -> dict[str, dict[str, int]]:
    """Rows per platform of the social tables, and rows of the GA4 and HubSpot tables."""
    tables = read(store_path)
    out = {t: dict(tables[t].group_by("platform").len().iter_rows()) for t in EXPECTED}
    out["crm"] = {t: tables[t].height for t in EXPECTED_CRM}
    return out


def secrets_in_store(store_path: Path) -> list[str]:
    """Any secret value found in any text of any table (canonical, run log, sync state, meta)."""
    found = []
    with Store.open(store_path, read_only=True) as store:
        names = store.query("SELECT table_name FROM information_schema.tables")["table_name"]
        for name in names.to_list():
            df = store.query(f'SELECT * FROM "{name}"')
            text = df.select(pl.all().cast(pl.String)).write_csv()
            found += [f"{name}: {v}" for v in SECRETS.values() if v in text]
    return found


# -- the run's world: one server, a fixed clock, the secrets in the environment -------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Loopback]:
    with Loopback(fake.route) as srv:
        yield srv


@pytest.fixture(scope="module", autouse=True)
def fixed_clock() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: AS_OF)
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # No secrets file: every secret comes from the environment, and any other secret variable
    # of the platforms (e.g. X's OAuth 1.0a keys) set where the tests run is blanked.
    missing = tmp_path_factory.mktemp("nosecrets") / "secrets.toml"
    others = {
        env_var(p, name): "" for p in PLATFORMS for name in registry.secret_names(registry.load(p))
    }
    return {**others, **SECRETS, "SOCIALROI_SECRETS": str(missing)}


@pytest.fixture(scope="module")
def init_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("config") / "socialroi.toml"
    return cli("init", *PLATFORMS, "--out", out), out


def fill_in(text: str, base_url: str) -> str:
    """What a user does after `init`: set the ids (and here the base URLs) under each table."""
    text = text.replace('property_id = ""\n', "")  # the GA4 table's placeholder
    for name in PLATFORMS:
        header = f"[platforms.{name}]\n"
        assert header in text, name
        lines = f'base_url = "{base_url}"\nmax_retries = 1\n{OPTIONS[name]}\n'
        text = text.replace(header, header + lines, 1)
    return text


@pytest.fixture(scope="module")
def config(init_result: tuple[Result, Path], server: Loopback) -> Path:
    _, path = init_result
    path.write_text(fill_in(path.read_text(encoding="utf-8"), server.url), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean(
    config: Path, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Result, Result, dict[str, Any]]:
    """A store pulled twice: (store, first result, second result, the rows after the first)."""
    store = tmp_path_factory.mktemp("clean") / "socialroi.duckdb"
    first = cli("pull", "--quiet", "--config", config, "--store", store, env=env)
    after_first = snapshot(store)
    second = cli("pull", "--quiet", "--config", config, "--store", store, env=env)
    return store, first, second, after_first


# -- init and doctor ------------------------------------------------------------------------------
def test_init_writes_every_platform_and_names_the_variables(init_result, config) -> None:
    result, _ = init_result
    assert result.exit_code == 0, everything(result)
    for var in SECRETS:
        if var != "SOCIALROI_MASTODON_ACCESS_TOKEN":
            assert f"  {var}\n" in result.stdout
    assert "  SOCIALROI_MASTODON_ACCESS_TOKEN  (optional)" in result.stdout
    assert "  bluesky: none needed (public API)" in result.stdout
    # filled in, it loads with all eight platforms pointing at the loopback server
    tables = load(config).platforms()
    assert tuple(tables) == PLATFORMS
    assert {t["base_url"] for t in tables.values()} == {
        tomllib.loads(config.read_text())["platforms"]["x"]["base_url"]
    }


def test_doctor_reaches_every_platform_and_shows_no_secret(config, env, server) -> None:
    result = cli("doctor", "--format", "json", "--config", config, env=env)
    assert result.exit_code == 0, everything(result)
    checks = json.loads(result.stdout)
    calls = {c["platform"]: c for c in checks if c["check"] == "call"}
    assert sorted(calls) == sorted(PLATFORMS)
    assert {c["platform"]: c["status"] for c in calls.values()} == dict.fromkeys(PLATFORMS, "ok")
    assert {c["status"] for c in checks} <= {"ok", "skipped"}
    # the one cheap call of each platform answered from the fixtures
    assert "1,204 contacts" in calls["hubspot"]["detail"]
    assert f"property {fake.GA4_PROPERTY}" in calls["ga4"]["detail"]
    for value in SECRETS.values():
        assert value not in everything(result)
    # the table a user reads: one working call line per platform, still no secret
    table = cli("doctor", "--config", config, env=env)
    assert table.exit_code == 0, everything(table)
    assert len(re.findall(r"^\S+ +call +ok ", table.stdout, flags=re.M)) == len(PLATFORMS)
    for value in SECRETS.values():
        assert value not in everything(table)
    # a missing secret is a config problem named by its variable
    without = {**env, "SOCIALROI_HUBSPOT_ACCESS_TOKEN": ""}
    missing = cli("doctor", "--config", config, env=without)
    assert missing.exit_code == 1, everything(missing)
    assert "set SOCIALROI_HUBSPOT_ACCESS_TOKEN" in missing.stdout
    assert re.search(r"^hubspot +call +skipped ", missing.stdout, flags=re.M)


# -- pull -----------------------------------------------------------------------------------------
def test_pull_fills_every_table_with_exactly_the_fixtures_rows(clean) -> None:
    store, first, _, _ = clean
    assert first.exit_code == 0, everything(first)
    got = counts(store)
    assert {t: got[t] for t in EXPECTED} == EXPECTED
    assert got["crm"] == EXPECTED_CRM
    with Store.open(store, read_only=True) as s:
        sessions = s.read("sessions")
        posts = s.read("posts")
        runs = s.runs()
    assert sessions["count"].sum() == 67  # page1 12+4+30 and page2 7+5+9
    # a post text from the fixtures, verbatim
    first_tweet = load_fixture("x", "tweets_page1")["data"][0]
    assert first_tweet["text"] in posts.filter(pl.col("platform") == "x")["text"].to_list()
    # one logged pull per platform, none failed
    pulls = runs.filter(pl.col("kind") == "pull")
    assert pulls.height == 2 * len(PLATFORMS)  # two runs
    for value in SECRETS.values():
        assert value not in everything(first)


def test_a_second_pull_doubles_nothing_and_replaces_the_days_snapshots(clean) -> None:
    store, _, second, after_first = clean
    assert second.exit_code == 0, everything(second)
    assert snapshot(store) == after_first  # every row as the first pull left it
    got = counts(store)
    assert {t: got[t] for t in EXPECTED} == EXPECTED
    assert got["crm"] == EXPECTED_CRM
    with Store.open(store, read_only=True) as s:
        metrics = s.read("post_metrics")
    # snapshots are keyed by the run's day: the same-day re-run replaced them
    assert metrics["as_of"].unique().to_list() == [datetime(2026, 11, 22, tzinfo=UTC)]


# -- faults ---------------------------------------------------------------------------------------
def test_a_platform_failing_past_its_retries_is_partial_and_the_next_pull_repairs_it(
    clean, config, env, server, tmp_path
) -> None:
    store = tmp_path / "socialroi.duckdb"
    deals = "/crm/v3/objects/deals"
    server.fail(deals, Reply(500, {"status": "error", "message": "internal error"}))
    try:
        before = len(server.paths(deals))
        broken = cli("pull", "--quiet", "--config", config, "--store", store, env=env)
        tries = len(server.paths(deals)) - before
    finally:
        server.clear()
    assert broken.exit_code == 4, everything(broken)
    assert tries == 2  # max_retries = 1: the call and one retry
    assert "hubspot/deals" in broken.stderr
    assert "gave up after 2 attempts" in broken.stderr
    got = counts(store)
    # every other stream committed, HubSpot's contacts too; no deal, and no deals cursor
    assert {t: got[t] for t in EXPECTED} == EXPECTED
    assert got["crm"] == {**EXPECTED_CRM, "deals": 0}
    with Store.open(store, read_only=True) as s:
        assert s.get_state("hubspot", "deals") is None
        assert s.get_state("hubspot", "contacts") is not None
    for value in SECRETS.values():
        assert value not in everything(broken)
    assert secrets_in_store(store) == []

    repaired = cli("pull", "--quiet", "--config", config, "--store", store, env=env)
    assert repaired.exit_code == 0, everything(repaired)
    assert snapshot(store) == snapshot(clean[0])  # nothing lost, nothing doubled


@pytest.mark.parametrize(
    ("platform", "path", "page2"),
    [
        ("linkedin", "/rest/posts", {"start": "2"}),
        ("mastodon", fake.STATUSES, {"max_id": "115570000000000001"}),
        ("x", f"/2/users/{fake.X_UID}/tweets", {"pagination_token": fake.X_NEXT}),
    ],
)
def test_a_connection_failing_on_the_second_page_loses_and_doubles_nothing(
    platform, path, page2, clean, config, env, server, tmp_path
) -> None:
    store = tmp_path / "socialroi.duckdb"
    args = ("pull", platform, "--quiet", "--config", config, "--store", store)
    # page 2 answers 503 to the first try and the one retry
    server.fail(path, Reply(503, {"error": "unavailable"}), query=page2)
    try:
        broken = cli(*args, "--format", "json", env=env)
    finally:
        server.clear()
    assert broken.exit_code == 4, everything(broken)  # page 1 and the other streams landed
    posts = next(s for s in json.loads(broken.stdout) if s["stream"] == "posts")
    assert posts["status"] == "failed"
    assert 0 < read(store)["posts"].height < EXPECTED["posts"][platform]

    repaired = cli(*args, env=env)
    assert repaired.exit_code == 0, everything(repaired)
    want, got = read(clean[0]), read(store)
    for table in EXPECTED:
        mine = pl.col("platform") == platform
        assert got[table].filter(mine).rows() == want[table].filter(mine).rows(), table


def test_a_rate_limit_with_fail_on_rate_limit_exits_3_naming_the_reset(
    config, env, server, tmp_path
) -> None:
    # Mastodon's own signal: 429 with X-RateLimit-Reset as ISO time (the HTTP layer reads the
    # wall clock, so the reset is an hour from now, on a whole second).
    reset = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    headers = {"X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")}
    server.fail("/api/v1/", Reply(429, {"error": "Too many requests"}, headers))
    try:
        result = cli(
            "pull",
            "mastodon",
            "--fail-on-rate-limit",
            "--quiet",
            "--config",
            config,
            "--store",
            tmp_path / "s.duckdb",
            env=env,
        )
    finally:
        server.clear()
    assert result.exit_code == 3, everything(result)
    assert f"resets at {reset:%Y-%m-%d %H:%M:%S}Z" in result.stderr
    assert "--fail-on-rate-limit" in result.stderr


# -- report ---------------------------------------------------------------------------------------
def test_the_report_shows_pulled_posts_escaped_and_the_pulled_sessions(
    clean, config, env, tmp_path
) -> None:
    store, _, _, _ = clean
    out = tmp_path / "report.html"
    # the pull ran mid-November: by default the report stands at the end of October (the last
    # complete month), so ask for the day of the pull to see what it brought
    as_of = f"{AS_OF:%Y-%m-%d}"
    result = cli(
        "report", "--config", config, "--store", store, "--out", out, "--as-of", as_of, env=env
    )
    assert result.exit_code == 0, everything(result)
    html = out.read_text(encoding="utf-8")
    # Facebook post 2001's message (posts_page1.json), its '&'s escaped, truncated by the table
    message = next(
        p["message"]
        for p in load_fixture("facebook", "posts_page1")["data"]
        if p["id"] == f"{fake.PAGE_ID}_2001"
    )
    assert "&utm_medium=social" in message
    assert html_lib.escape(message[:90], quote=False) in html
    assert "?utm_source=facebook&amp;utm_medium=social&amp;" in html
    assert "?utm_source=facebook&utm_medium" not in html  # never raw
    # and the other platforms' pulled posts are listed too
    for platform in ("x", "instagram", "bluesky"):
        assert f"<td>{platform}</td><td>brand</td>" in html
    # data quality counts the pulled GA4 sessions by their `count`: social are linkedin.com /
    # social (12), t.co / referral (7) and l.facebook.com / paid_social (5); reddit.com /
    # referral (4), direct (30) and the (other) row (9) are not. GA4 rows name no contact.
    assert "0.0% of 24 social web sessions were matched to a contact" in html
    assert "24 sessions stay anonymous reach" in html  # GA4's aggregate rows weigh in full
    for value in SECRETS.values():
        assert value not in html
