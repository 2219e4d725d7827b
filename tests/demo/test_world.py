"""The demo's world is its own: read from world.toml, not from the policy comparison's defaults,
and replaceable for other worlds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from socialroi.demo import generate, params
from socialroi.policy.options import default_options

ROOT = Path(__file__).resolve().parents[2]
WEEKS_PER_MONTH = 52 / 12


def _central(option: str, name: str) -> float:
    return default_options()[option][name].central


def test_demo_parameters_are_not_the_policy_defaults() -> None:
    """Each pair names a number the policy comparison assumes and the demo's value for the
    same thing. Equal values would make the validation read its own defaults back."""
    w = params.DEFAULT_WORLD
    au, adv = w.mechanisms["acceptable_use"], w.mechanisms["employee_advocacy"]
    pairs = {
        "ban workdays": (
            _central("blanket_ban", "productivity_workdays"),
            w.costs.ban_productivity_workdays,
        ),
        "monitoring seat": (
            _central("blanket_ban", "monitoring_per_seat"),
            w.costs.monitoring_per_seat,
        ),
        "trainer fee": (
            _central("employee_advocacy", "training_fee"),
            w.costs.advocacy_trainer_fee,
        ),
        "acceptable-use link share": (_central("acceptable_use", "link_share"), au.link_share),
        "advocacy link share": (_central("employee_advocacy", "link_share"), adv.link_share),
        "acceptable-use participation": (
            _central("acceptable_use", "participation"),
            au.participation,
        ),
        "advocacy participation": (
            _central("employee_advocacy", "participation"),
            adv.participation,
        ),
        "acceptable-use posts a month": (
            _central("acceptable_use", "posts_per_week") * WEEKS_PER_MONTH,
            au.posts_per_active_month,
        ),
        "advocacy posts a month": (
            _central("employee_advocacy", "posts_per_week") * WEEKS_PER_MONTH,
            adv.posts_per_active_month,
        ),
        "advocacy lead multiplier": (
            _central("employee_advocacy", "lead_multiplier"),
            adv.identify_multiplier,
        ),
        "advocacy reach multiplier": (
            _central("employee_advocacy", "lead_multiplier"),
            adv.reach_multiplier,
        ),
        # sourced figures the defaults cite: LinkedIn 2× CTR and 10× reach, SHRM $4,700 a hire
        "staff CTR multiplier": (2.0, w.staff_ctr_multiplier),
        "staff network multiple": (10.0, w.staff_network_multiple),
        "cost of a job-board hire": (4700.0, w.hire_cost["job_board"]),
        "cost of a social hire": (1800.0, w.hire_cost["social"]),
        "ban social hires": (
            _central("blanket_ban", "hires_social_share"),
            w.hire_mix["blanket_ban"][0],
        ),
        "ban social service": (
            _central("blanket_ban", "service_social_share"),
            sum(w.service_mix["blanket_ban"][3:]),
        ),
        "loaded cost multiplier": (1.45, w.staff.loaded_multiplier),
        "advocacy training hours": (
            _central("employee_advocacy", "training_hours"),
            w.costs.advocacy_training_hours,
        ),
    }
    same = {k: v for k, v in pairs.items() if v[0] == pytest.approx(v[1], rel=0.02)}
    assert same == {}


def test_demo_world_shares_no_value_with_the_policies_file() -> None:
    """What config/policies.toml sets, the demo sets differently (matched by meaning)."""
    raw = tomllib.loads((ROOT / "config" / "policies.toml").read_text(encoding="utf-8"))
    w = params.DEFAULT_WORLD
    au, adv = w.mechanisms["acceptable_use"], w.mechanisms["employee_advocacy"]
    demo = {
        ("blanket_ban", "productivity_workdays"): w.costs.ban_productivity_workdays,
        ("blanket_ban", "monitoring_per_seat"): w.costs.monitoring_per_seat,
        ("acceptable_use", "participation"): au.participation,
        ("acceptable_use", "link_share"): au.link_share,
        ("acceptable_use", "minutes_per_post"): w.staff.minutes_per_post["broadcast"],
        ("employee_advocacy", "participation"): adv.participation,
        ("employee_advocacy", "link_share"): adv.link_share,
        ("employee_advocacy", "training_fee"): w.costs.advocacy_trainer_fee,
        ("employee_advocacy", "training_hours"): w.costs.advocacy_training_hours,
        ("employee_advocacy", "minutes_per_post"): w.staff.minutes_per_post["share"],
        ("employee_advocacy", "lead_multiplier"): adv.identify_multiplier,
    }
    checked, same = 0, []
    for option, body in raw.items():
        for key, value in body.items():
            if (option, key) not in demo or isinstance(value, str):
                continue
            central = float(value["central"] if isinstance(value, dict) else value)
            checked += 1
            if central == pytest.approx(demo[(option, key)], rel=0.02):
                same.append((option, key, central))
    assert checked >= 2  # the file sets at least the ban's two numbers
    assert same == []


def test_the_world_comes_from_world_toml() -> None:
    text = (ROOT / "src" / "socialroi" / "demo" / "world.toml").read_text(encoding="utf-8")
    assert params.load_world(text) == params.DEFAULT_WORLD
    changed = text.replace("monitoring_per_seat = 8.5", "monitoring_per_seat = 9.25")
    assert params.load_world(changed).costs.monitoring_per_seat == 9.25


def test_generate_takes_another_world_and_puts_the_default_back(demo12) -> None:
    other = generate(months=12, world={"participation": 0.3, "costs.monitoring_per_seat": 7.0})
    assert other.truth["parameters"]["mechanisms"]["employee_advocacy"]["participation"] == 0.3
    assert other.truth["parameters"]["costs"]["monitoring_per_seat"] == 7.0
    base = demo12.truth["switches"][1]["effect"]["total"]["leads"]
    assert other.truth["switches"][1]["effect"]["total"]["leads"] < base / 2
    monitoring = other.tables["costs"].filter(
        (other.tables["costs"]["category"] == "monitoring")
        & (other.tables["costs"]["employee_id"] == "")
    )
    seats = demo12.tables["costs"].filter(
        (demo12.tables["costs"]["category"] == "monitoring")
        & (demo12.tables["costs"]["employee_id"] == "")
    )
    assert monitoring["amount"].to_list() == [a / 8.5 * 7.0 for a in seats["amount"].to_list()]
    assert params.current() == params.DEFAULT_WORLD  # the module's world is back
    again = generate(months=12)
    assert again.truth == demo12.truth


def test_unknown_world_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown world parameter 'costs\.monitoring'"):
        generate(months=6, world={"costs.monitoring": 1.0})
    with pytest.raises(TypeError, match="must be a number"):
        params.DEFAULT_WORLD.override({"participation": "high"})
