"""Secrets come from the environment or the secrets file, and errors never show a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialroi.adapters.secrets import Secrets, env_var, read_secrets_file, secrets_path
from socialroi.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "secrets.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_env_var_names():
    assert env_var("x", "bearer_token") == "SOCIALROI_X_BEARER_TOKEN"
    assert env_var("ga4", "service-account.json") == "SOCIALROI_GA4_SERVICE_ACCOUNT_JSON"


def test_environment_wins_over_the_file(tmp_path):
    path = write(tmp_path, '[x]\nbearer_token = "from-file"\nuser_token = "file-only"\n')
    env = {"SOCIALROI_X_BEARER_TOKEN": "from-env"}
    s = Secrets.load("x", ["bearer_token", "user_token"], environ=env, path=path)
    assert s.get("bearer_token") == "from-env"
    assert s.get("user_token") == "file-only"
    assert set(s.values()) == {"from-env", "file-only"}


def test_secrets_file_from_its_environment_variable(tmp_path):
    path = write(tmp_path, '[hubspot]\naccess_token = "pat-na1-abc"\n')
    env = {"SOCIALROI_SECRETS": str(path)}
    assert secrets_path(env) == path
    assert Secrets.load("hubspot", ["access_token"], environ=env).get("access_token") == (
        "pat-na1-abc"
    )
    assert secrets_path({}) == Path("config/secrets.toml")


def test_missing_secret_names_the_variable_and_the_file(tmp_path):
    path = write(tmp_path, '[x]\nother = "s3cr3t-other"\n')
    s = Secrets.load("x", ["bearer_token", "other"], environ={}, path=path)
    assert not s.has("bearer_token")
    with pytest.raises(ConfigError) as err:
        s.get("bearer_token")
    msg = str(err.value)
    assert "SOCIALROI_X_BEARER_TOKEN" in msg
    assert str(path) in msg
    assert "s3cr3t-other" not in msg
    assert "s3cr3t-other" not in repr(s)


def test_an_empty_variable_counts_as_missing(tmp_path):
    s = Secrets.load(
        "x", ["bearer_token"], environ={"SOCIALROI_X_BEARER_TOKEN": ""}, path=tmp_path / "none.toml"
    )
    assert not s.has("bearer_token")


def test_a_broken_secrets_file_is_named_without_its_content(tmp_path):
    path = write(tmp_path, '[x]\nbearer_token = "abc-secret\n')
    with pytest.raises(ConfigError) as err:
        read_secrets_file(path)
    assert str(path) in str(err.value)
    assert "abc-secret" not in str(err.value)


def test_secret_values_must_be_text(tmp_path):
    path = write(tmp_path, "[x]\nbearer_token = 12345\n")
    with pytest.raises(ConfigError, match=r"\[x\] bearer_token must be a quoted string"):
        read_secrets_file(path)
