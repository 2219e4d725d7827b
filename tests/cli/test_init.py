"""`socialroi init`: a commented config that loads, for any platforms chosen."""

from __future__ import annotations

from click.testing import CliRunner

from socialroi import config
from socialroi.adapters import registry
from socialroi.cli import main


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args])


def test_every_platform_template_loads_with_its_defaults(tmp_path):
    out = tmp_path / "c.toml"
    result = init(*registry.PLATFORMS, "--out", str(out))
    assert result.exit_code == 0, result.output
    settings = config.load(out)
    platforms = settings.platforms()
    assert list(platforms) == list(registry.PLATFORMS)
    for name, options in platforms.items():
        assert options == registry.defaults(registry.load(name)), name
    assert settings.company == "Our company"
    text = out.read_text(encoding="utf-8")
    assert "[network]" in text
    assert "SOCIALROI_X_BEARER_TOKEN" in result.stdout
    assert "SOCIALROI_HUBSPOT_ACCESS_TOKEN" in result.stdout


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "c.toml"
    out.write_text("# mine\n", encoding="utf-8")
    result = init("linkedin", "--out", str(out))
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "# mine\n"
    assert init("linkedin", "--out", str(out), "--force").exit_code == 0
    assert list(config.load(out).platforms()) == ["linkedin"]


def test_no_platform_writes_the_shared_tables_only(tmp_path):
    out = tmp_path / "sub" / "c.toml"
    result = init("--out", str(out))
    assert result.exit_code == 0
    assert config.load(out).platforms() == {}
    assert "no platforms chosen" in result.stdout


def test_unknown_platform_is_a_usage_error(tmp_path):
    result = init("myspace", "--out", str(tmp_path / "c.toml"))
    assert result.exit_code == 2
    assert "unknown platform 'myspace'" in result.output
    assert not (tmp_path / "c.toml").exists()


def test_the_example_config_shows_every_platform_commented():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "config" / "socialroi.example.toml"
    text = example.read_text(encoding="utf-8")
    for name in registry.PLATFORMS:
        assert f"# [platforms.{name}]" in text, name
    assert config.load(example).platforms() == {}  # all commented: nothing is pulled by default
