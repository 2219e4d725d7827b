"""`socialroi attribute` with the data-driven models, on files and on the store."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialroi.cli import main
from socialroi.store import Store
from tests.cli.test_attribute import TOUCHPOINTS, run
from tests.reports.fixture import tables


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_json_fits_the_model_once(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialroi.core import attribution

    calls: list[str] = []
    for name in ("markov_grouped", "shapley_of_sets"):
        real = getattr(attribution, name)

        def counted(*args: object, _real=real, _name=name, **kw: object) -> object:
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(attribution, name, counted)
    result = run("--model", model, "--format", "json")
    assert result.exit_code == 0, result.output
    assert calls == ["markov_grouped" if model == "markov" else "shapley_of_sets"]


def test_markov_json_has_the_chain():
    # c1: linkedin > email > direct converts (900), c2: x converts (300), c3 (100) no touch.
    # Order 1: START -> linkedin 1/2, x 1/2; every path converts, so P = 1 and removing any
    # channel loses its half: removal effects 1/2 each. Each conversion is shared by its own
    # channels' effects: c1's three 1/3 each (300 each), c2's x the whole of it.
    result = run("--model", "markov", "--order", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"] == "markov"
    assert out["order"] == 1
    assert out["conversion_probability"] == pytest.approx(1.0)
    assert {r["channel"]: r["removal_effect"] for r in out["removal_effects"]} == pytest.approx(
        {"direct": 0.5, "email": 0.5, "linkedin": 0.5, "x": 0.5}
    )
    t = {(r["from_state"], r["to_state"]): r["probability"] for r in out["transitions"]}
    assert t[("(start)", "linkedin")] == pytest.approx(0.5)
    assert t[("linkedin", "email")] == pytest.approx(1.0)
    assert t[("direct", "(conversion)")] == pytest.approx(1.0)
    credits = {r["channel"]: (r["conversions"], r["value"]) for r in out["credits"]}
    assert credits["(unattributed)"] == (1.0, 100.0)
    assert credits["x"] == (1.0, 300.0)
    assert credits["linkedin"] == pytest.approx((1 / 3, 300.0))


def test_shapley_csv_totals():
    # Every journey converts: p = 1 for every observed set, so c1's three channels split its
    # conversion by symmetry (1/3 each, 300 each) and x keeps c2's.
    result = run("--model", "shapley", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "channel,conversions,value\n"
        "(unattributed),1.0,100.0\n"
        "x,1.0,300.0\n"
        "direct,0.333333,300.0\n"
        "email,0.333333,300.0\n"
        "linkedin,0.333333,300.0\n"
    )
    result = run("--model", "shapley", "--format", "json")
    out = json.loads(result.stdout)
    assert out["exact"] is True
    assert {r["channel"]: r["std_error"] for r in out["channels"]}["x"] == 0.0


def test_order_out_of_range_is_a_usage_error():
    result = run("--model", "markov", "--order", "5")
    assert result.exit_code == 2


def test_one_file_without_the_other_is_a_usage_error():
    result = CliRunner().invoke(main, ["attribute", "--touchpoints", str(TOUCHPOINTS)])
    assert result.exit_code == 2
    assert "both" in result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "s.duckdb"
    with Store.open(path) as s:
        s.upsert_many(tables())
    return path


def test_store_deals_by_platform(store: Path):
    # Won deals, all data (no as-of cut): D1 (Carla, 1000) after a LinkedIn click then a direct
    # visit -> 0.5 and 500 each; D2 (2000), D4 (700), D5 (300) are the other won deals.
    result = CliRunner().invoke(
        main,
        [
            "attribute",
            "--store",
            str(store),
            "--model",
            "linear",
            "--by",
            "platform",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r.split(",")[0]: r for r in result.stdout.splitlines()[1:]}
    assert rows["linkedin"] == "linkedin,0.5,500.0"
    assert rows[""] == ",0.5,500.0"
    total = [tuple(map(float, r.split(",")[1:])) for r in rows.values()]
    assert sum(c for c, _ in total) == pytest.approx(4.0)
    assert sum(v for _, v in total) == pytest.approx(4000.0)


def test_store_markov_leads_by_platform(store: Path):
    result = CliRunner().invoke(
        main,
        [
            "attribute",
            "--store",
            str(store),
            "--model",
            "markov",
            "--kind",
            "lead",
            "--by",
            "platform",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    assert sum(float(r[1]) for r in rows) == pytest.approx(3.0)  # L1, L2, L3
    assert {r[0] for r in rows} >= {"linkedin", "facebook"}


def test_store_rejects_other_groupings(store: Path):
    result = CliRunner().invoke(main, ["attribute", "--store", str(store), "--by", "region"])
    assert result.exit_code == 2
