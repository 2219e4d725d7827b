"""Config validation: a wrong value is a ConfigError naming the file and the key, never coerced."""

from pathlib import Path

import pytest

from socialroi import config
from socialroi.config import NetworkSettings, Settings, from_dict, load
from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
from socialroi.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "socialroi.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ("lookback_days = 30.9", "[attribution] lookback_days", "whole number, not 30.9"),
        ("lookback_days = 0", "[attribution] lookback_days", "> 0"),
        ("lookback_days = -5", "[attribution] lookback_days", "not -5"),
        ('lookback_days = "90"', "[attribution] lookback_days", "not '90'"),
        ("lookback_days = true", "[attribution] lookback_days", "not True"),
        ("lookback_days = 100000", "[attribution] lookback_days", "at most 36500"),
        ("half_life_days = true", "[attribution] half_life_days", "a number, not True"),
        ("half_life_days = 0", "[attribution] half_life_days", "> 0"),
        ("half_life_days = -1.5", "[attribution] half_life_days", "not -1.5"),
        ("half_life_days = nan", "[attribution] half_life_days", "not nan"),
        ("half_life_days = inf", "[attribution] half_life_days", "not inf"),
        ('model = "linaer"', "[attribution] model", "unknown attribution model 'linaer'"),
        ("model = 3", "[attribution] model", "unknown attribution model '3'"),
    ],
)
def test_a_wrong_attribution_value_names_the_file_and_key(tmp_path, line, key, says):
    p = write(tmp_path, f"[attribution]\n{line}\n")
    with pytest.raises(ConfigError) as exc:
        load(p)
    message = str(exc.value)
    assert message.startswith(f"{p}: {key}")
    assert says in message


def test_an_unknown_model_lists_the_models_there_are(tmp_path):
    p = write(tmp_path, '[attribution]\nmodel = "nope"\n')
    with pytest.raises(ConfigError, match=r"models are: first_touch, .*markov, shapley"):
        load(p)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[network]\ndecay = 1.5\n", "[network] decay"),
        ("[network]\ndecay = -0.1\n", "[network] decay"),
        ("[network]\ndecay = false\n", "[network] decay"),
        ("[network]\nmax_depth = 2.5\n", "[network] max_depth"),
        ("[network]\nmax_depth = -1\n", "[network] max_depth"),
        ('[company]\ncurrency = "dollars"\n', "[company] currency"),
        ("[company]\ncurrency = 840\n", "[company] currency"),
        ("[company]\nname = 7\n", "[company] name"),
        ("[store]\npath = 3\n", "[store] path"),
        ('attribution = "linear"\n', "[attribution] must be a table"),
    ],
)
def test_other_wrong_values_name_the_file_and_key(tmp_path, text, key):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{p}: {key}".replace("[", r"\[").replace("]", r"\]")):
        load(p)


def test_good_values_are_read_exactly(tmp_path):
    p = write(
        tmp_path,
        '[company]\nname = "Acme"\ncurrency = "chf"\n[store]\npath = "x/s.duckdb"\n'
        '[attribution]\nmodel = "time_decay"\nlookback_days = 30.0\nhalf_life_days = 3\n'
        "[network]\ndecay = 0\nmax_depth = 0\n",
    )
    s = load(p)
    assert (s.company, s.currency, s.store) == ("Acme", "CHF", Path("x/s.duckdb"))
    assert (s.attribution.model, s.attribution.lookback_days) == ("time_decay", 30)
    assert isinstance(s.attribution.lookback_days, int)
    assert s.attribution.half_life_days == 3.0
    assert s.network == NetworkSettings(decay=0.0, max_depth=0)
    assert s.source == str(p)


def test_defaults_are_the_documented_ones():
    assert from_dict({}) == Settings(raw={})
    assert Settings().network == NetworkSettings(DEFAULT_DECAY, DEFAULT_MAX_DEPTH)
    assert Settings().attribution.lookback_days is None  # the measured sales cycle
    assert from_dict({"attribution": {"lookback_days": 120}}).attribution.lookback_days == 120


def test_a_message_without_a_file_says_config():
    with pytest.raises(ConfigError, match=r"^config: \[attribution\] lookback_days"):
        from_dict({"attribution": {"lookback_days": 1.5}})


def test_the_example_config_loads():
    example = Path(__file__).parent.parent / "config" / "socialroi.example.toml"
    s = config.load(example)
    assert s.attribution.model == "linear"
