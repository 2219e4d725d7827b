"""`socialroi doctor`: config, secrets and one cheap call per platform; never a secret value."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from socialroi.cli import main
from tests.adapters.fakeserver import Reply
from tests.cli._platforms import ENV, TOKEN, serve_good, write_config


def doctor(cfg, *args: str, env=ENV):
    return CliRunner().invoke(main, ["doctor", "--config", str(cfg), *args], env=env)


def rows(result: Result) -> Any:
    return json.loads(result.stdout)


def test_all_good_exits_0(tmp_path, fake_platforms, server):
    serve_good(server)
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    result = doctor(cfg, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(r["check"], r["status"], r["detail"]) for r in rows(result)] == [
        ("secret token", "ok", "set (SOCIALROI_FAKE_TOKEN)"),
        ("call", "ok", "@acme"),
    ]
    assert server.calls("/me")[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_missing_secret_and_option_exit_1_without_calling(
    tmp_path, fake_platforms, server, monkeypatch
):
    from tests.adapters import fakeplatform

    monkeypatch.setitem(fakeplatform.DEFAULTS, "account", "")  # an option without a default
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    env = {"SOCIALROI_FAKE_TOKEN": "", "SOCIALROI_SECRETS": str(tmp_path / "none.toml")}
    result = doctor(cfg, env=env)
    assert result.exit_code == 1
    out = result.stdout
    assert "option account  missing  set account under [platforms.fake]" in out
    assert "secret token    missing  set SOCIALROI_FAKE_TOKEN" in out
    assert "call            skipped" in out
    assert server.calls() == []


def test_a_failing_call_exits_3_and_never_shows_the_secret(tmp_path, fake_platforms, server):
    server.script("GET", "/me", Reply(401, {"message": f"bad token {TOKEN}"}))
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    result = doctor(cfg)
    assert result.exit_code == 3
    assert "failed" in result.stdout
    assert "HTTP 401" in result.stdout
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr


def test_unknown_platform_and_key_exit_1(tmp_path, fake_platforms, server):
    cfg = write_config(
        tmp_path, myspace={"user": "tom"}, fake={"base_url": server.url, "acount": "x"}
    )
    result = doctor(cfg, "--no-call")
    assert result.exit_code == 1
    assert "unknown platform 'myspace'" in result.stdout
    assert "has unknown key 'acount'" in result.stdout


def test_no_platforms_configured_exits_1(tmp_path):
    cfg = write_config(tmp_path)
    result = doctor(cfg)
    assert result.exit_code == 1
    assert "socialroi init" in result.stdout
