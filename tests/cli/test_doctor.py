"""`socialroi doctor`: config, secrets and one cheap call per platform; never a secret value."""

from __future__ import annotations

import json
from datetime import datetime
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


# -- doctor --record ------------------------------------------------------------------------------

EMAIL = "jane.doe@example.com"
PHONE = "+44 20 7946 0958"
COOKIE = "sid=c00kie-77aa88bb99"
DEBUG_TOKEN = "dbg-5ecret-31415"  # noqa: S105 - made up


def serve_planted(srv, metrics: Reply | None = None) -> None:
    """The fake platform's answers with secrets, an e-mail, a phone number and names planted in
    bodies and headers, as a real account's answers may hold them."""
    srv.script(
        "GET",
        "/me",
        Reply(
            200,
            {
                "handle": "acme",
                "name": "Jane Doe",
                "email": EMAIL,
                "phone": PHONE,
                "access_token": TOKEN,
                "owner": {"firstname": "Jane", "lastname": "Doe", "id": "u-42"},
            },
            headers={
                "Set-Cookie": COOKIE,
                "X-Debug-Token": DEBUG_TOKEN,
                "X-Fake-Remaining": "41",
                "Server": "fake/1.0",
            },
        ),
    )
    page_1 = {
        "items": [
            {
                "id": 1,
                "text": f"Thanks @jdoe! Mail {EMAIL} or call {PHONE}",
                "created_at": "2026-11-01T10:00:00+00:00",
            },
            {"id": 2, "text": "Jane Doe joins acme", "created_at": "2026-11-02T10:00:00+00:00"},
        ],
        "next": "2",
        "paging": {
            "next": f"https://graph.example/v1/posts?access_token={TOKEN}&appsecret_proof=5eed"
            "&after=QVFI"
        },
    }
    srv.script(
        "GET",
        "/posts",
        Reply(200, page_1, headers={"Link": f"<{srv.url}/posts?page=2&access_token={TOKEN}>"}),
        query={"page": "1"},
    )
    srv.script("GET", "/metrics", metrics or Reply(200, {"items": [{"id": 1, "likes": 4}]}))


def record(tmp_path, server, *args: str):
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    out = tmp_path / "bug"
    result = doctor(cfg, "--record", str(out), "--format", "json", *args)
    return result, out


def test_record_saves_every_exchange_with_nothing_personal_or_secret(
    tmp_path, fake_platforms, server, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    serve_planted(server)
    result, out = record(tmp_path, server)
    assert result.exit_code == 0, result.output
    path = out / "fake.json"
    assert [(r["check"], r["status"], r["detail"]) for r in rows(result)] == [
        ("secret token", "ok", "set (SOCIALROI_FAKE_TOKEN)"),
        ("call", "ok", "@acme"),
        ("stream posts", "ok", "3 rows in 2 batches"),  # the account row, then page 1's posts
        ("stream metrics", "ok", "1 rows in 1 batch"),
        ("recording", "ok", f"{path}: 3 responses"),
    ]
    assert len(server.calls("/posts")) == 1  # one page of each stream
    assert list(tmp_path.rglob("*.duckdb")) == []  # nothing written to a store

    text = path.read_text(encoding="utf-8")
    for planted in (
        TOKEN,
        "5eed",
        EMAIL,
        "jane",
        "Jane",
        "Doe",
        "7946",
        "c00kie",
        DEBUG_TOKEN,
        "jdoe",
        "acme",
    ):
        assert planted.lower() not in text.lower(), planted
    doc = json.loads(text)
    assert doc["format"] == "socialroi-recording/1"
    assert doc["options"] == {**doc["options"], "account": "user1", "base_url": server.url}
    me, posts, metrics = doc["responses"]
    assert [e["stream"] for e in doc["responses"]] == ["check", "posts", "metrics"]
    assert me["request"]["headers"]["Authorization"] == "***"
    assert me["response"]["headers"] == {
        "Content-Type": "application/json",
        "X-Fake-Remaining": "41",
    }
    assert json.loads(me["response"]["body"]) == {
        "handle": "user1",
        "name": "Name 1",
        "email": "person1@example.invalid",
        "phone": "[phone]",
        "access_token": "***",
        "owner": {"firstname": "Name 2", "lastname": "Name 3", "id": "u-42"},
    }
    body = json.loads(posts["response"]["body"])
    assert [i["text"] for i in body["items"]] == [
        "Thanks @user2! Mail person1@example.invalid or call [phone]",
        "Name 1 joins user1",
    ]
    assert body["paging"]["next"] == (
        "https://graph.example/v1/posts?access_token=***&appsecret_proof=***&after=QVFI"
    )
    assert posts["response"]["headers"]["Link"] == f"<{server.url}/posts?page=2&access_token=***>"
    assert posts["response"]["url"] == f"{server.url}/posts?since_id=0&page=1"
    assert json.loads(metrics["response"]["body"]) == {"items": [{"id": 1, "likes": 4}]}


def test_a_recording_replays_through_responses_and_the_loopback_server(
    tmp_path, fake_platforms, server
):
    import responses

    from socialroi import config
    from socialroi.adapters import recording
    from tests.adapters.fakeserver import FakeServer
    from tests.adapters.replay import serve_recording

    serve_planted(server)
    result, out = record(tmp_path, server)
    assert result.exit_code == 0, result.output
    original = recording.load(out / "fake.json")

    # `responses` reads the file as it is (the fake platform sends no secret in a URL).
    with responses.RequestsMock() as rsps:
        rsps._add_from_file(out / "fake.json")
        cfg = config.from_dict({"platforms": {"fake": original["options"]}}, source="r.toml")
        again = recording.record(
            cfg,
            tmp_path / "again",
            as_of=datetime.fromisoformat(original["as_of"]),
            environ={"SOCIALROI_FAKE_TOKEN": "another-token-1234"},
        )
    assert [(c.item, c.status, c.detail) for c in again][1:4] == [
        ("call", "ok", "@user1"),
        ("stream posts", "ok", "3 rows in 2 batches"),
        ("stream metrics", "ok", "1 rows in 1 batch"),
    ]
    replayed = recording.load(tmp_path / "again" / "fake.json")
    # The same requests, the same answers (the recorded Set-Cookie is scrubbed, so the replay's
    # requests carry no Cookie header where the real ones did: masked in the recording).
    assert [e["response"] for e in replayed["responses"]] == [
        e["response"] for e in original["responses"]
    ]
    assert original["responses"][1]["request"]["headers"]["Cookie"] == "***"
    assert "Cookie" not in replayed["responses"][1]["request"]["headers"]

    # The loopback server, with the recorded options on its own base_url.
    with FakeServer() as srv:
        doc = serve_recording(srv, out / "fake.json")
        options = {**doc["options"], "base_url": srv.url}
        cfg = config.from_dict({"platforms": {"fake": options}}, source="r.toml")
        checks = recording.record(
            cfg,
            tmp_path / "loop",
            as_of=datetime.fromisoformat(doc["as_of"]),
            environ={"SOCIALROI_FAKE_TOKEN": "another-token-1234"},
        )
        assert [c.status for c in checks] == ["ok"] * 5
        assert [s.path for s in srv.requests] == ["/me", "/posts", "/metrics"]
    looped = recording.load(tmp_path / "loop" / "fake.json")
    assert [json.loads(e["response"]["body"]) for e in looped["responses"]] == [
        json.loads(e["response"]["body"]) for e in original["responses"]
    ]


def test_record_names_the_failing_stream_and_keeps_its_answer(tmp_path, fake_platforms, server):
    serve_planted(server, Reply(403, {"message": f"token {TOKEN} lacks read_insights"}))
    result, out = record(tmp_path, server)
    assert result.exit_code == 3
    checks = {r["check"]: (r["status"], r["detail"]) for r in rows(result)}
    assert checks["stream metrics"] == (
        "failed",
        "fake: GET /metrics: HTTP 403: token *** lacks read_insights",
    )
    doc = json.loads((out / "fake.json").read_text(encoding="utf-8"))
    last = doc["responses"][-1]["response"]
    assert (last["status"], json.loads(last["body"])) == (
        403,
        {"message": "token *** lacks read_insights"},
    )


def test_record_cannot_go_with_no_call(tmp_path, fake_platforms, server):
    result, out = record(tmp_path, server, "--no-call")
    assert result.exit_code == 2
    assert not out.exists()
