"""`socialroi pull` through the loopback server: output, exit codes 0/1/3/4, no secret shown."""

from __future__ import annotations

import json

from click.testing import CliRunner

from socialroi.cli import main
from socialroi.store import Store
from tests.adapters.fakeserver import Reply
from tests.cli._platforms import ENV, TOKEN, serve_good, write_config


def run(tmp_path, cfg, *args: str, debug: bool = False):
    argv = ["pull", "--config", str(cfg), "--store", str(tmp_path / "s.duckdb"), *args]
    return CliRunner().invoke(main, ["--debug", *argv] if debug else argv, env=ENV)


def test_pull_prints_rows_cursor_and_warnings(tmp_path, fake_platforms, server):
    serve_good(server)
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    result = run(tmp_path, cfg)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["platform", "stream", "status", "rows", "cursor", "warnings"]
    assert lines[2].split() == ["fake", "posts", "ok", "4", '{"since_id":', "3}", "0"]
    assert lines[3].split() == ["fake", "metrics", "ok", "1", "1"]
    assert "warning: fake/metrics: post 3: insights not ready" in result.stderr
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.read("posts")["post_id"].to_list() == ["1", "2", "3"]


def test_pull_json_and_full_refetch_without_doubling(tmp_path, fake_platforms, server):
    serve_good(server)
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    assert run(tmp_path, cfg).exit_code == 0
    result = run(tmp_path, cfg, "--full", "--format", "json", "fake")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(r["stream"], r["rows"], r["cursor"]) for r in out] == [
        ("posts", 4, {"since_id": 3}),
        ("metrics", 1, None),
    ]
    assert server.calls("/posts")[-2].query["since_id"] == "0"  # --full ignored the cursor
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.count("posts") == 3


def test_one_platform_failing_exits_4_with_the_other_committed(tmp_path, fake_platforms, server):
    serve_good(server)
    broken = {"base_url": server.url + "/broken", "max_retries": 0}
    cfg = write_config(tmp_path, fake={"base_url": server.url}, fake2=broken)
    result = run(tmp_path, cfg)
    assert result.exit_code == 4, result.output
    assert "fake2/posts: fake2: GET /broken/posts: HTTP 404" in result.stderr
    assert "Committed: fake/posts (4 rows), fake/metrics (1 rows)" in result.stderr
    rows = [line.split()[:3] for line in result.stdout.splitlines()[2:]]
    assert ["fake2", "posts", "failed"] in rows
    assert ["fake", "posts", "ok"] in rows


def test_upstream_failure_exits_3(tmp_path, fake_platforms, server):
    server.script("GET", "/posts", Reply(502))
    cfg = write_config(tmp_path, fake={"base_url": server.url, "max_retries": 1})
    result = run(tmp_path, cfg, "--quiet")
    assert result.exit_code == 3
    assert "HTTP 502; gave up after 2 attempts" in result.stderr


def test_fail_on_rate_limit_exits_3_with_the_reset_time(tmp_path, fake_platforms, server):
    server.script("GET", "/posts", Reply(429, headers={"X-Fake-Reset": "600"}))
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    result = run(tmp_path, cfg, "--fail-on-rate-limit")
    assert result.exit_code == 3
    assert "rate limited (fake: 429, resets in 600s); resets at" in result.stderr
    assert len(server.calls("/posts")) == 1


def test_missing_secret_exits_1_naming_the_variable(tmp_path, fake_platforms, server):
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    argv = ["pull", "--config", str(cfg), "--store", str(tmp_path / "s.duckdb")]
    result = CliRunner().invoke(
        main,
        argv,
        env={"SOCIALROI_FAKE_TOKEN": "", "SOCIALROI_SECRETS": str(tmp_path / "none.toml")},
    )
    assert result.exit_code == 1
    assert "SOCIALROI_FAKE_TOKEN" in result.stderr


def test_a_refused_token_is_never_printed(tmp_path, fake_platforms, server):
    server.script(
        "GET",
        "/posts",
        Reply(401, {"error": "invalid_token", "error_description": f"token {TOKEN} expired"}),
    )
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    result = run(tmp_path, cfg, debug=True)
    assert result.exit_code == 3
    assert "socialroi.http: fake: GET /posts -> 401" in result.stderr  # the call log is on
    assert "HTTP 401" in result.stderr
    assert "SOCIALROI_FAKE_TOKEN" in result.stderr
    assert TOKEN not in result.output
    assert TOKEN not in result.stderr
