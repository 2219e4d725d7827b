"""--format table|csv|json on every command that prints data: the same rows in each, JSON alone
on stdout (no message, no progress), CSV readable back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from socialroi import Store
from socialroi.cli import main
from socialroi.demo import generate, write_demo
from tests.cli._platforms import (  # noqa: F401 - fixtures
    ENV,
    fake_platforms_fixture,
    serve_good,
    server_fixture,
    write_config,
)

TOUCHES = "contact_id,ts,channel\nc1,2025-01-01,x\nc1,2025-01-05,linkedin\nc2,2025-01-02,x\n"
CONVERSIONS = "contact_id,ts,value\nc1,2025-01-10,100\nc2,2025-01-03,50\n"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("formats")
    path = folder / "socialroi.duckdb"
    with Store.open(path) as store:
        write_demo(generate(seed=5, months=6), store)
    cfg = folder / "socialroi.toml"
    cfg.write_text('[company]\nname = "Acme"\ncurrency = "EUR"\n', encoding="utf-8")
    return path, cfg


def _run(*argv: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(argv), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _same_rows_in_every_format(*argv: str, env: dict[str, str] | None = None) -> None:
    """JSON, CSV and the table show the same rows; JSON and CSV the same columns and keys."""
    as_json = json.loads(_run(*argv, "--format", "json", env=env).stdout)
    as_csv = _csv(_run(*argv, "--format", "csv", env=env).stdout)
    table = _run(*argv, "--format", "table", env=env).stdout.splitlines()
    assert as_json, "no rows to compare"
    assert [list(r) for r in as_json] == [list(r) for r in as_csv]
    key = next(iter(as_json[0]))
    assert [str(r[key]) for r in as_json] == [r[key] for r in as_csv]
    assert table[0].split()[0] == next(iter(as_json[0]))
    assert set(table[1]) <= {"-", " "}
    assert len(table) == 2 + len(as_json)


@pytest.mark.slow  # many CLI runs on a demo store
def test_roi(demo_store):
    store, cfg = demo_store
    argv = ("roi", "--store", str(store), "--config", str(cfg))
    _same_rows_in_every_format(*argv)
    months = json.loads(_run(*argv, "--by", "month", "--format", "json").stdout)
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)


def test_attribute_on_files(tmp_path):
    t, c = tmp_path / "t.csv", tmp_path / "c.csv"
    t.write_text(TOUCHES, encoding="utf-8")
    c.write_text(CONVERSIONS, encoding="utf-8")
    argv = ("attribute", "--touchpoints", str(t), "--conversions", str(c), "--model", "linear")
    _same_rows_in_every_format(*argv)
    rows = json.loads(_run(*argv, "--format", "json").stdout)
    # c1's 100 split over x and linkedin, c2's 50 to x
    assert {r["channel"]: r["value"] for r in rows} == {"x": 100.0, "linkedin": 50.0}


def test_import_summary(tmp_path):
    f = tmp_path / "deals.csv"
    f.write_text("deal_id,contact_id,created_at,amount\nd1,c1,2024-03-05,100\n", encoding="utf-8")
    base = ("import", "deals", str(f), "--store", str(tmp_path / "s.duckdb"))
    (first,) = json.loads(_run(*base, "--format", "json").stdout)
    batch = first.pop("batch_id")
    assert len(batch) == 32
    assert first == {
        "file": str(f),
        "format": "table:deals",
        "table": "deals",
        "rows_read": 1,
        "rows_new": 1,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_written": 1,
        "dry_run": False,
        "store": str(tmp_path / "s.duckdb"),
    }
    (again,) = _csv(_run(*base, "--format", "csv").stdout)
    assert (again["rows_read"], again["rows_written"], again["rows_unchanged"]) == ("1", "0", "1")
    table = _run(*base, "--format", "table").stdout.splitlines()
    assert table[0].split()[:3] == ["file", "format", "table"]


def test_doctor(tmp_path, fake_platforms):
    cfg = write_config(tmp_path, fake={"base_url": "http://127.0.0.1:9"})
    _same_rows_in_every_format("doctor", "--no-call", "--config", str(cfg), env=ENV)


def test_pull(tmp_path, fake_platforms, server):
    serve_good(server)
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    store = tmp_path / "s.duckdb"
    argv = ("pull", "--config", str(cfg), "--store", str(store))
    as_json = json.loads(_run(*argv, "--format", "json", env=ENV).stdout)
    assert [(s["stream"], s["rows"]) for s in as_json] == [("posts", 4), ("metrics", 1)]
    assert as_json[1]["warnings"] == ["post 3: insights not ready"]
    again = _run(*argv, "--format", "csv", env=ENV)
    assert [r["stream"] for r in _csv(again.stdout)] == ["posts", "metrics"]
    assert "insights not ready" in again.stderr  # warnings stay off stdout in CSV


@pytest.mark.slow  # many CLI runs on a demo store
def test_policy_compare(demo_store):
    store, cfg = demo_store
    argv = ("policy", "compare", "--draws", "200", "--store", str(store), "--config", str(cfg))
    doc = json.loads(_run(*argv, "--format", "json").stdout)
    rows = _csv(_run(*argv, "--format", "csv").stdout)
    assert [o["option"] for o in doc["options"]] == [r["option"] for r in rows]
    # a EUR company without [policy] fx: the USD defaults are refused, not used as euros
    assert doc["status"] == "cannot project"
    assert any("USD" in r for r in doc["reasons"])
    assert doc["recommendation"]
