"""`socialroi policy compare` on a small demo store: exit codes and output shapes."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialroi import Store
from socialroi.cli import main
from socialroi.demo import generate, write_demo
from socialroi.policy.options import OPTION_NAMES


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "s.duckdb"
    with Store.open(path) as s:
        write_demo(generate(months=12), s)
    return path


def run(store: Path, *args: str):
    argv = ["policy", "compare", "--store", str(store), "--draws", "500", *args]
    return CliRunner().invoke(main, argv)


def test_json_has_every_option_the_recommendation_and_the_sources(store):
    result = run(store, "--format", "json", "--months", "6", "--seed", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["months"] == 6
    assert data["draws"] == 500
    assert data["status"] == "ok"
    # the demo's teams are under two policies today: a "keep today's policies" row (gain 0)
    assert [o["option"] for o in data["options"]] == [*OPTION_NAMES, "current_policy"]
    assert sum(o["chance_best"] for o in data["options"]) == pytest.approx(1.0)
    assert "best in" in data["recommendation"]
    assert set(data["baseline"]["shares"]) == {"acceptable_use", "employee_advocacy"}
    assert data["baseline"]["revenue"]["p5"] <= data["baseline"]["revenue"]["mean"]
    assert {"assumption", "source", "low", "high", "basis", "evidence"} <= set(
        data["assumptions"][0]
    )
    assert data["sensitivity"][0]["swing"] >= data["sensitivity"][1]["swing"]
    assert data["observed"] is None or isinstance(data["observed"], list)


def test_table_and_csv(store):
    table = run(store)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["option", "status", "chance"]
    assert any(line.startswith("Employee advocacy") for line in lines)
    assert any(line.startswith("Today's policy (policy_periods on") for line in lines)
    assert "best in" in lines[-1]
    csv = run(store, "--format", "csv")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0].startswith("option,label,status,chance_best,gain_mean")
    assert len(csv.stdout.splitlines()) == 1 + len(OPTION_NAMES) + 1


def test_a_bad_policies_file_is_a_one_line_error_naming_file_option_and_key(store, tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("[training]\nparticipation = 2\n", encoding="utf-8")
    result = run(store, "--policies", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: [training] participation: a share" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = run(store, "--policies", str(tmp_path / "none.toml"))
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr


def test_usage_errors_and_a_missing_store(store, tmp_path):
    assert run(store, "--draws", "0").exit_code == 2
    assert run(store, "--format", "xml").exit_code == 2
    result = run(tmp_path / "nothing.duckdb")
    assert result.exit_code == 1
    assert "no store" in result.stderr
