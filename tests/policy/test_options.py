"""Policy options: sourced defaults, the file format, and errors that name file, option and key."""

from pathlib import Path

import numpy as np
import pytest

from socialroi.config import Settings, from_dict
from socialroi.errors import ConfigError
from socialroi.policy.options import (
    ASSUMPTIONS,
    OPTION_NAMES,
    Assumption,
    default_options,
    in_currency,
    parse_options,
    triangular,
)
from socialroi.policy_file import load_fx, load_policies

REPO = Path(__file__).resolve().parents[2]


def test_five_options_every_assumption_with_unit_range_and_source():
    options = default_options()
    assert tuple(options) == OPTION_NAMES
    for option in options.values():
        assert set(option.assumptions) == set(ASSUMPTIONS)
        for a in option.assumptions.values():
            assert a.low <= a.central <= a.high
            assert a.unit == ASSUMPTIONS[a.name][0]
            assert a.source.strip()


def test_ban_costs_work_time_as_the_randomised_study_found():
    ban = default_options()["blanket_ban"]
    assert ban["productivity_workdays"].central == -20.3
    assert "Chen & Chan" in ban["productivity_workdays"].source
    assert ban["participation"].central == 0.0
    # what nobody has researched is marked for the user to set
    assert "set this for your company" in default_options()["training"]["training_fee"].source


def test_a_number_fixes_a_value_and_a_table_sets_a_range():
    out = parse_options(
        {
            "training": {
                "fte": 0.5,
                "participation": {"central": 0.4, "low": 0.2, "high": 0.6, "source": "pilot"},
            }
        }
    )
    fte, part = out["training"]["fte"], out["training"]["participation"]
    assert (fte.central, fte.low, fte.high, fte.from_data) == (0.5, 0.5, 0.5, False)
    assert (part.central, part.low, part.high, part.source) == (0.4, 0.2, 0.6, "pilot")
    # untouched options and assumptions keep their defaults
    assert out["blanket_ban"] == default_options()["blanket_ban"]
    assert out["training"]["tools_per_month"] == default_options()["training"]["tools_per_month"]


def test_a_new_option_starts_from_the_one_it_is_based_on():
    out = parse_options({"advocacy_lite": {"based_on": "employee_advocacy", "tools_per_month": 0}})
    assert out["advocacy_lite"]["tools_per_month"].central == 0.0
    base = default_options()["employee_advocacy"]
    assert out["advocacy_lite"]["participation"] == base["participation"]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"training": {"particpation": 0.3}}, "[training] particpation: unknown assumption"),
        ({"training": {"fte": "one"}}, "[training] fte: must be a number"),
        ({"training": {"fte": True}}, "[training] fte: must be a number"),
        ({"training": {"fte": {"low": 1}}}, "[training] fte: needs 'central'"),
        ({"training": {"fte": {"central": 1, "low": 2}}}, "[training] fte: need low ≤ central"),
        ({"training": {"participation": 1.5}}, "[training] participation: a share"),
        ({"training": {"fte": -1}}, "[training] fte: must not be negative"),
        ({"training": {"fte": {"central": 1, "mode": 1}}}, "[training] fte: unknown field"),
        ({"trainig": {"fte": 1}}, "[trainig]: unknown option"),
        ({"x": {"based_on": "nope"}}, "[x] based_on: unknown option"),
        ({"training": 3}, "[training]: must be a table"),
    ],
)
def test_errors_name_the_file_the_option_and_the_key(raw, needle):
    with pytest.raises(ConfigError) as err:
        parse_options(raw, where="cfg/p.toml")
    assert str(err.value).startswith("cfg/p.toml: ")
    assert needle in str(err.value)


def test_triangular_quantiles():
    u = np.array([0.0, 0.25, 1.0])
    x = triangular(u, 1.0, 2.0, 5.0)
    assert x[0] == 1.0
    assert x[2] == 5.0
    # the mode sits at F = (mode - low) / (high - low) = 0.25
    assert x[1] == pytest.approx(2.0)
    many = triangular(np.random.default_rng(1).random(200_000), 1.0, 2.0, 5.0)
    assert many.mean() == pytest.approx((1 + 2 + 5) / 3, abs=0.01)


def test_a_fixed_assumption_draws_its_value():
    a = Assumption("fte", 0.7, 0.7, 0.7, "FTE", "s")
    assert set(a.draw(np.random.default_rng(0), 5)) == {0.7}
    with pytest.raises(ValueError, match="low ≤ central ≤ high"):
        Assumption("fte", 0.1, 0.2, 0.3, "FTE", "s")


def test_loader_reads_the_file_and_names_it_in_errors(tmp_path):
    good = tmp_path / "p.toml"
    good.write_text("[blanket_ban]\nmonitoring_per_seat = 9.5\n", encoding="utf-8")
    options = load_policies(good, Settings())
    assert options["blanket_ban"]["monitoring_per_seat"].central == 9.5

    bad = tmp_path / "bad.toml"
    bad.write_text("[training]\nfte = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: \[training\] fte: must be a number"):
        load_policies(bad, Settings())
    broken = tmp_path / "broken.toml"
    broken.write_text("[training\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_policies(broken, Settings())
    with pytest.raises(ConfigError, match=r"missing\.toml does not exist"):
        load_policies(tmp_path / "missing.toml", Settings())


def test_loader_follows_the_config_then_the_default_file(tmp_path, monkeypatch):
    named = tmp_path / "mine.toml"
    named.write_text("[training]\nfte = 0.25\n", encoding="utf-8")
    settings = from_dict({"policy": {"file": str(named)}})
    assert load_policies(None, settings)["training"]["fte"].central == 0.25
    monkeypatch.chdir(tmp_path)  # no config/policies.toml here: built-in defaults
    assert load_policies(None, Settings()) == default_options()
    with pytest.raises(ConfigError, match=r"\[policy\] file"):
        load_policies(None, from_dict({"policy": {"file": str(tmp_path / "gone.toml")}}))


def test_the_example_file_parses():
    options = load_policies(REPO / "config" / "policies.toml", Settings())
    assert set(OPTION_NAMES) <= set(options)
    ban = options["blanket_ban"]["productivity_workdays"]
    assert ban.central == -20.3
    assert ban.basis == "cited"
    assert "not a company-wide ban" in ban.evidence
    assert options["training"]["training_hours"].basis == "default"


def test_sourced_defaults_state_their_evidence_and_money_its_currency():
    options = default_options()
    ban = options["blanket_ban"]["productivity_workdays"]
    assert ban.basis == "cited"
    assert "not a company-wide ban" in ban.evidence
    assert options["training"]["training_fee"].basis == "default"
    assert options["training"]["training_fee"].currency == "USD"
    assert options["blanket_ban"]["participation"].basis == "definition"
    assert options["training"]["participation"].currency is None
    assert options["employee_advocacy"].label == "Employee advocacy"
    # the mean the simulation draws around, not the triangular's mode
    assert options["acceptable_use"]["productivity_workdays"].mean == pytest.approx(3.2 / 3)


def test_values_from_the_file_are_the_users_in_the_reporting_currency_unless_named():
    out = parse_options(
        {
            "training": {
                "training_fee": {"central": 2000, "currency": "eur", "evidence": "our quote"},
                "tools_per_month": 50,
            }
        }
    )
    fee, tools = out["training"]["training_fee"], out["training"]["tools_per_month"]
    assert (fee.basis, fee.currency, fee.evidence) == ("cited", "EUR", "our quote")
    assert (tools.basis, tools.currency) == ("user", None)
    with pytest.raises(ConfigError, match=r"fte\.currency: fte is not an amount of money"):
        parse_options({"training": {"fte": {"central": 1, "currency": "EUR"}}})


def test_in_currency_converts_with_a_rate_or_refuses():
    fee = default_options()["training"]["training_fee"]
    assert in_currency(fee, "USD", {}) is fee
    assert in_currency(fee, "JPY", {}) is None
    yen = in_currency(fee, "JPY", {"USD": 150.0})
    assert yen is not None
    assert (yen.central, yen.low, yen.high, yen.currency) == (
        450_000.0,
        150_000.0,
        900_000.0,
        "JPY",
    )


def test_fx_rates_from_the_config():
    assert load_fx(from_dict({"policy": {"fx": {"usd": 0.92}}})) == {"USD": 0.92}
    assert load_fx(Settings()) == {}
    with pytest.raises(ConfigError, match=r"\[policy\] fx USD: must be a positive number"):
        load_fx(from_dict({"policy": {"fx": {"USD": "0.9"}}}))
    with pytest.raises(ConfigError, match=r"\[policy\] fx must be a table"):
        load_fx(from_dict({"policy": {"fx": 0.9}}))


def test_advocacy_participation_rests_on_cited_figures_with_its_evidence_stated():
    part = default_options()["employee_advocacy"]["participation"]
    # the range runs from the share who share company content unprompted (LinkedIn: 3%) to the
    # share who say they ever post about their employer (Weber Shandwick: 50%)
    assert (part.low, part.central, part.high) == (0.03, 0.2, 0.5)
    for figure in ("3%", "50%", "Pew", "24%"):
        assert figure in part.source
    assert part.basis == "cited"
    assert part.evidence.startswith("weak and indirect")
    # a programme is not assumed to work: the simulation's mean is below a third of staff
    assert part.mean == pytest.approx(0.73 / 3)


def test_advocacy_lead_multiplier_does_not_reuse_the_staff_versus_brand_claim():
    mult = default_options()["employee_advocacy"]["lead_multiplier"]
    # LinkedIn's 2x compares staff shares with the company page; the funnel's rates are measured
    # on staff posts already (and its no-metrics fallback is twice the brand's rate)
    assert mult.central == 1.0
    assert mult.low < 1.0 < mult.high
    assert mult.basis == "default"
    assert mult.evidence == ""
    assert "set this for your company" in mult.source
