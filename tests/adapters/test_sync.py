"""The sync engine: a batch commits with its cursor; a failed run resumes, nothing lost."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from socialroi import config
from socialroi.adapters import sync
from socialroi.adapters._http import HttpStatusError
from socialroi.adapters.base import Batch, Stream
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    DataError,
    PermissionDenied,
    SocialROIError,
    StoreError,
    StoreLocked,
    UpstreamError,
)
from socialroi.store import INTERRUPTED, Store
from tests.adapters.conftest import AS_OF
from tests.adapters.fakepages import PAGE_2, serve_pages
from tests.adapters.fakeserver import FakeServer, Reply

TOKEN = "fake-token-0123456789"  # noqa: S105 - made up
ENV = {"SOCIALROI_FAKE_TOKEN": TOKEN, "SOCIALROI_FAKE2_TOKEN": TOKEN}


def posts(*ids: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "platform": ["fake"] * len(ids),
            "post_id": [str(i) for i in ids],
            "created_at": [AS_OF - timedelta(days=i) for i in ids],
        }
    )


class Scripted:
    """Three batches of posts; `fail_at` makes fetching that batch (1-based) raise."""

    platform = "fake"
    streams: tuple[Stream, ...] = (Stream("posts", ("posts",)),)
    pages = ((1, 2), (3, 4), (5,))

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.started_from: int | None = None

    def check(self) -> str:
        return "ok"

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        start = int(state["page"]) if state else 0
        self.started_from = start
        for n in range(start, len(self.pages)):
            if self.fail_at == n + 1:
                raise UpstreamError(f"fake: GET /posts?page={n + 1}: HTTP 503; gave up")
            yield Batch({"posts": posts(*self.pages[n])}, cursor={"page": n + 1})


def ids(store: Store) -> list[str]:
    return store.read("posts")["post_id"].to_list()


def test_a_failed_batch_keeps_the_earlier_ones_and_a_rerun_resumes(store):
    stream = Scripted.streams[0]
    res = sync.run_stream(store, Scripted(fail_at=2), stream)
    assert res.status == "failed"
    assert "HTTP 503" in (res.error or "")
    assert ids(store) == ["1", "2"]  # batch 1 landed, batch 2 did not
    assert sync.state_cursor(store.get_state("fake", "posts")) == {"page": 1}

    again = Scripted()
    res = sync.run_stream(store, again, stream)
    assert res.ok
    assert again.started_from == 1  # resumed from the committed cursor
    assert ids(store) == ["1", "2", "3", "4", "5"]
    assert store.query("select count(*) as n from posts")["n"][0] == 5


def test_killed_between_upsert_and_commit_leaves_nothing_of_that_batch(store, monkeypatch):
    calls = {"n": 0}
    real = store.set_state

    def dies_on_second(*args: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process is killed after batch 2's rows were written
        real(*args, **kw)

    monkeypatch.setattr(store, "set_state", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        sync.run_stream(store, Scripted(), Scripted.streams[0])
    assert ids(store) == ["1", "2"]
    assert sync.state_cursor(store.get_state("fake", "posts")) == {"page": 1}

    monkeypatch.setattr(store, "set_state", real)
    assert sync.run_stream(store, Scripted(), Scripted.streams[0]).ok
    assert ids(store) == ["1", "2", "3", "4", "5"]


def test_full_refetches_without_doubling(store):
    stream = Scripted.streams[0]
    assert sync.run_stream(store, Scripted(), stream).ok
    again = Scripted()
    res = sync.run_stream(store, again, stream, full=True)
    assert again.started_from == 0
    assert res.rows == 5
    assert store.count("posts") == 5


# -- through pull(), the HTTP layer and the loopback server ---------------------------------------

METRICS = {"items": [{"id": 1, "likes": 4}, {"id": 2, "likes": 1}], "warnings": ["post 3: no data"]}


def serve(srv: FakeServer, *page_2: Reply) -> None:
    serve_pages(srv, METRICS, *page_2)


def settings(**platforms: str) -> config.Settings:
    tables = {name: {"base_url": url} for name, url in platforms.items()}
    return config.from_dict({"platforms": tables}, source="test.toml")


def pull(store: Store, cfg: config.Settings, **kw: Any) -> sync.PullResult:
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("environ", ENV)
    kw.setdefault("sleep", lambda s: None)
    return sync.pull(store, cfg, **kw)


def test_pull_commits_rows_state_warnings_and_the_run_log(store, fake_platform, fake_server):
    serve(fake_server)
    seen: list[tuple[str, str, int, int]] = []
    result = pull(store, settings(fake=fake_server.url), progress=lambda *a: seen.append(a))
    assert [(s.stream, s.rows, s.status) for s in result.streams] == [
        ("posts", 4, "ok"),
        ("metrics", 2, "ok"),
    ]
    assert result.warnings == ["fake/metrics: post 3: no data"]
    assert store.count("posts") == 3
    assert sync.state_cursor(store.get_state("fake", "posts")) == {"since_id": 3}
    # (platform, stream, rows, pages): at the start, after each page answered, after each batch.
    assert seen == [
        ("fake", "posts", 0, 0),
        ("fake", "posts", 1, 0),  # the account row, before any call
        ("fake", "posts", 1, 1),  # page 1 answered
        ("fake", "posts", 3, 1),  # its 2 posts committed
        ("fake", "posts", 3, 2),
        ("fake", "posts", 4, 2),
        ("fake", "metrics", 0, 0),
        ("fake", "metrics", 0, 1),
        ("fake", "metrics", 2, 1),
    ]
    runs = store.runs()
    assert runs["kind"].to_list() == ["pull"]
    assert runs["status"].to_list() == ["ok"]
    assert runs["rows"].to_list() == [6]
    sent = fake_server.calls("/posts")[0]
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"

    # The next run asks only for what is newer than the stored cursor.
    pull(store, settings(fake=fake_server.url))
    assert fake_server.calls("/posts")[-1].query["since_id"] == "3"
    assert store.count("posts") == 3


def test_a_connection_dropped_mid_pagination_loses_and_doubles_nothing(
    store, fake_platform, fake_server
):
    serve(fake_server, Reply(200, PAGE_2, drop="mid-body"), Reply(200, PAGE_2))
    pull(store, settings(fake=fake_server.url))
    assert store.read("posts")["post_id"].to_list() == ["1", "2", "3"]
    assert len(fake_server.calls("/posts")) == 3  # page 2 was asked twice


def test_one_platform_failing_is_partial_success_with_the_other_committed(
    store, fake_platform, fake_server, monkeypatch
):
    from socialroi.adapters import registry

    monkeypatch.setitem(registry.PLATFORMS, "fake2", "tests.adapters.fakeplatform")
    serve(fake_server)
    with FakeServer() as broken:
        broken.script("GET", "/posts", Reply(503, {"message": "down"}))
        broken.script("GET", "/metrics", Reply(503, {"message": "down"}))
        with pytest.raises(sync.PullPartial) as err:
            pull(store, settings(fake=fake_server.url, fake2=broken.url))
    assert err.value.exit_code == 4
    msg = str(err.value)
    assert "fake2/posts: fake2: GET /posts: HTTP 503 (down); gave up after 5 attempts" in msg
    assert "(1 rows committed before it failed)" in msg  # its account row
    assert "Committed: fake/posts (4 rows), fake/metrics (2 rows)" in msg
    assert store.read("posts")["platform"].unique().to_list() == ["fake"]
    assert store.count("post_metrics") == 2
    runs = store.runs().sort("target")
    assert runs["status"].to_list() == ["ok", "error"]
    assert "HTTP 503" in runs["error"][1]


def test_everything_failing_raises_the_upstream_error(store, fake_platform, fake_server):
    fake_server.script("GET", "/posts", Reply(500))
    fake_server.script("GET", "/metrics", Reply(500))
    with pytest.raises(UpstreamError) as err:
        pull(store, settings(fake=fake_server.url), as_of=AS_OF)
    assert err.value.exit_code == 3
    assert store.count("posts") == 0


def test_auth_failure_skips_the_platforms_other_streams(store, fake_platform, fake_server):
    fake_server.script("GET", "/posts", Reply(401, {"error": "invalid_token"}))
    with pytest.raises(AuthFailed) as err:
        pull(store, settings(fake=fake_server.url))
    assert "SOCIALROI_FAKE_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)
    assert fake_server.calls("/metrics") == []


def test_a_missing_secret_is_a_config_error_naming_the_variable(store, fake_platform, fake_server):
    serve(fake_server)
    with pytest.raises(ConfigError) as err:
        pull(store, settings(fake=fake_server.url), environ={})
    assert err.value.exit_code == 1
    assert "SOCIALROI_FAKE_TOKEN" in str(err.value)


def test_metric_snapshots_keep_one_row_per_post_and_day(store, fake_platform, fake_server):
    serve(fake_server)
    cfg = settings(fake=fake_server.url)
    pull(store, cfg, platforms=["fake"])
    pull(store, cfg, as_of=AS_OF + timedelta(hours=5))  # same day: replaces
    assert store.count("post_metrics") == 2
    pull(store, cfg, as_of=AS_OF + timedelta(days=1))  # next day: adds history
    days = store.read("post_metrics")["as_of"].unique().sort().to_list()
    assert days == [datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)]
    assert store.count("post_metrics") == 4


def test_unknown_or_unconfigured_platforms_are_config_errors(store, fake_platform, fake_server):
    with pytest.raises(ConfigError, match=r"no \[platforms"):
        pull(store, config.from_dict({}, source="test.toml"))
    with pytest.raises(ConfigError, match="unknown platform 'myspace'"):
        pull(store, settings(fake=fake_server.url), platforms=["myspace"])
    with pytest.raises(ConfigError, match="'x' is not configured"):
        pull(store, settings(fake=fake_server.url), platforms=["x"])
    bad = config.from_dict({"platforms": {"fake": {"acount": "typo"}}}, source="test.toml")
    with pytest.raises(
        ConfigError, match=r"test.toml: \[platforms.fake\] has unknown key 'acount'"
    ):
        pull(store, bad)


def test_a_retried_page_is_one_page_in_the_progress(store, fake_platform, fake_server):
    serve(fake_server, Reply(503), Reply(200, PAGE_2))
    seen: list[tuple[str, str, int, int]] = []
    pull(store, settings(fake=fake_server.url), progress=lambda *a: seen.append(a))
    assert len(fake_server.calls("/posts")) == 3
    assert max(p for _, stream, _, p in seen if stream == "posts") == 2


# -- failures keep their kind ---------------------------------------------------------------------

DUPLICATES = {
    "items": [
        {"id": 7, "text": "first", "created_at": "2026-11-01T10:00:00+00:00"},
        {"id": 7, "text": "edited", "created_at": "2026-11-01T10:00:00+00:00"},
    ]
}


def test_data_errors_of_every_stream_stay_a_data_error(store, fake_platform, fake_server):
    fake_server.script("GET", "/posts", Reply(200, DUPLICATES))
    fake_server.script(
        "GET", "/metrics", Reply(200, {"items": [{"id": 7, "likes": 1}, {"id": 7, "likes": 2}]})
    )
    with pytest.raises(SocialROIError) as err:
        pull(store, settings(fake=fake_server.url))
    assert type(err.value) is DataError  # was a ConfigError ("check the config") before
    assert err.value.exit_code == 1
    lines = str(err.value).split("; ")
    assert lines[0].startswith("fake/posts: fake/posts, row 2, column 'platform': duplicate key")
    assert lines[0].endswith("(1 rows committed before it failed)")  # the account row
    assert lines[1].startswith("fake/metrics: fake/metrics, row 2, column 'platform': duplicate")
    assert store.count("posts") == 0


def _failed(*errors: BaseException) -> sync.PullResult:
    return sync.PullResult(
        [
            sync.StreamResult("fake", f"s{i}", status="failed", error=str(e), exception=e)
            for i, e in enumerate(errors)
        ]
    )


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ((StoreError("disk full"), StoreLocked("in use")), StoreError),
        ((DataError("bad row"), DataError("bad cell")), DataError),
        ((ConfigError("no key"), ConfigError("typo")), ConfigError),
        ((DataError("bad row"), ConfigError("typo")), SocialROIError),
        ((AuthFailed("401"), AuthFailed("401 again")), AuthFailed),
        ((AuthFailed("401"), PermissionDenied("no scope")), UpstreamError),
        ((DataError("bad row"), UpstreamError("503")), UpstreamError),
        (
            (
                HttpStatusError("HTTP 404", status=404),
                HttpStatusError("HTTP 400", status=400),
            ),
            UpstreamError,
        ),
    ],
)
def test_several_failures_are_raised_as_the_kind_they_share(errors, expected):
    with pytest.raises(SocialROIError) as err:
        sync.outcome(_failed(*errors))
    assert type(err.value) is expected
    assert str(err.value) == "; ".join(f"fake/s{i}: {e}" for i, e in enumerate(errors))


def test_one_store_error_is_raised_as_it_is(store):
    class Broken(Scripted):
        def fetch(self, stream: str, **kw: Any) -> Iterator[Batch]:
            raise StoreError("store data/s.duckdb was opened read-only")

    res = sync.run_stream(store, Broken(), Scripted.streams[0])
    with pytest.raises(StoreError, match="opened read-only") as err:
        sync.outcome(sync.PullResult([res]))
    assert type(err.value) is StoreError


# -- a pull killed mid-way ------------------------------------------------------------------------

_KILLED = """
import sys, time
from socialroi.store import Store
with Store.open(sys.argv[1]) as s, s.run("pull", "fake"):
    print("started", flush=True)
    time.sleep(60)
"""


@pytest.mark.slow  # a demo store and a child process killed mid-pull
def test_a_pull_killed_mid_way_is_a_failed_run_on_the_next_open(tmp_path):
    import signal
    import subprocess
    import sys

    from socialroi.analysis import analyze
    from socialroi.demo import generate, write_demo
    from socialroi.reports._quality_section import _runs

    path = tmp_path / "s.duckdb"
    with Store.open(path) as s:
        write_demo(generate(seed=5, months=6), s)
        ours = s.runs().height
    argv = [sys.executable, "-c", _KILLED, str(path)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "started"
        finally:
            child.send_signal(signal.SIGKILL)  # cron's timeout, the OOM killer
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with Store.open(path, read_only=True) as s:  # not yet rewritten: shown failed all the same
        (killed,) = s.runs().filter(pl.col("target") == "fake").iter_rows(named=True)
        assert (killed["status"], killed["error"]) == ("error", INTERRUPTED)
        assert s.query("SELECT status FROM run_log WHERE target = 'fake'")["status"][0] == "running"
        assert killed["pid"] == child.pid
        report = analyze(s, settings=config.from_dict({}, source="t.toml"))
    failed = report.quality.failed_runs
    assert failed.select("kind", "target", "error").rows() == [("pull", "fake", INTERRUPTED)]
    html = _runs(report)
    assert "1 run failed" in html
    assert "interrupted (the process ended before the run finished)" in html

    with Store.open(path) as s:  # the next writable open records it in the log
        logged = s.query("SELECT status, error, ended_at FROM run_log WHERE target = 'fake'")
        assert logged.rows() == [("error", INTERRUPTED, None)]
        assert s.runs().height == ours + 1


def test_a_run_of_this_process_stays_running_while_it_runs(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as s, s.run("pull", "fake"):
        with Store.open(path) as again:  # the same process opens the store again
            assert again.runs()["status"].to_list() == ["running"]
        assert s.runs()["status"].to_list() == ["running"]
    with Store.open(path) as s:
        assert s.runs()["status"].to_list() == ["ok"]


def test_a_days_empty_cells_keep_what_another_call_stored(store):
    day = date(2026, 11, 22)
    store.upsert(
        "account_daily",
        pl.DataFrame({"platform": ["x"], "account_id": ["a"], "date": [day], "followers": [3870]}),
    )
    later = pl.DataFrame(
        {
            "platform": ["x", "x"],
            "account_id": ["a", "a"],
            "date": [day, date(2026, 11, 23)],
            "followers": [None, None],
            "impressions": [100, 7],
        },
        schema_overrides={"followers": pl.Int64},
    )
    merged = sync.keep_measured(store, {"account_daily": later})["account_daily"]
    store.upsert("account_daily", merged)
    got = store.read("account_daily").select("date", "followers", "impressions").rows()
    assert got == [(day, 3870, 100), (date(2026, 11, 23), None, 7)]
