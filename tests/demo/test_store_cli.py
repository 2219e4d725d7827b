"""write_demo into a store, and the `socialroi demo` command."""

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from socialroi import schema
from socialroi.cli import main
from socialroi.demo import generate, write_demo
from socialroi.store import Store


def test_write_demo_round_trip(tmp_path, demo12):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.upsert(
            "leads",
            pl.DataFrame(
                {
                    "lead_id": ["stale"],
                    "contact_id": ["x"],
                    "created_at": [datetime(2020, 1, 1, tzinfo=UTC)],
                }
            ),
        )
        write_demo(demo12, store)
    with Store.open(path, read_only=True) as store:
        for name, df in demo12.tables.items():
            assert store.count(name) == df.height, name
        assert store.read("deals").equals(demo12.tables["deals"].sort("deal_id"))
        assert store.get_meta("company") == "Northwind IT Services"
        assert store.get_meta("currency") == "USD"
        assert store.get_meta("demo_seed") == "7"
        assert datetime.fromisoformat(store.get_meta("as_of") or "") == demo12.as_of
        assert json.loads(store.get_meta("ground_truth") or "{}") == demo12.truth


@pytest.mark.slow  # two demo companies written
def test_write_demo_replaces_a_previous_demo(tmp_path):
    first, other = generate(seed=2, months=6), generate(seed=3, months=6)
    with Store.open(tmp_path / "s.duckdb") as store:
        write_demo(first, store)
        write_demo(other, store)
        for name in schema.TABLES:
            assert store.count(name) == other.tables[name].height, name
        assert store.get_meta("demo_seed") == "3"


@pytest.fixture
def fake_report(monkeypatch):
    """Stand-in for the report writer, so these tests check the demo command alone."""
    import socialroi.reports

    calls = []

    def write_report(analysis, out, **_):
        calls.append((analysis.pipeline.tables["posts"].height, Path(out), None, analysis.as_of))
        Path(out).write_text("<html></html>", encoding="utf-8")
        return Path(out)

    monkeypatch.setattr(socialroi.reports, "write_report", write_report, raising=False)
    return calls


@pytest.mark.slow  # the whole demo through the CLI
def test_cli_writes_store_truth_and_report(tmp_path, fake_report):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--months", "6", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("socialroi.duckdb", "ground_truth.json", "report.html"):
        assert (out / name).exists()
        assert str(out / name) in result.output
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3
    assert truth["months"] == 6
    (posts, report_path, _, as_of) = fake_report[0]
    assert posts > 0
    assert report_path == out / "report.html"
    assert as_of == datetime(2026, 11, 1, tzinfo=UTC)
    summary = result.output.strip().splitlines()[-1]
    for word in ("employees", "posts", "sessions", "contacts", "leads", "won deals", "revenue"):
        assert word in summary
    # a second run replaces the store rather than adding to it
    again = CliRunner().invoke(main, ["demo", "--months", "6", "--seed", "3", "--out", str(out)])
    assert again.exit_code == 0, again.output
    with Store.open(out / "socialroi.duckdb", read_only=True) as store:
        assert store.count("posts") == posts


@pytest.mark.slow  # the whole demo through the CLI
def test_cli_end_month(tmp_path, fake_report):
    out = tmp_path / "demo"
    args = ["demo", "--months", "6", "--end", "2025-03", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert fake_report[0][3] == datetime(2025, 3, 1, tzinfo=UTC)
    assert "2024-09 to 2025-02" in result.output


@pytest.mark.parametrize("args", [["--months", "3"], ["--end", "2025-13"], ["--seed", "x"]])
def test_cli_usage_errors(tmp_path, args, fake_report):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert not fake_report


@pytest.mark.slow
def test_cli_with_the_real_report(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--months", "12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Northwind IT Services" in html
