"""`socialroi report`, `roi` and `export`: exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from socialroi.cli import main
from socialroi.reports.export import TABLES as EXPORT_TABLES
from socialroi.reports.pdf import find_chromium


@pytest.fixture
def runner():
    return CliRunner()


def test_report_on_missing_store_is_one_line_exit_1(runner, tmp_path):
    res = runner.invoke(
        main, ["report", "--store", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 1
    assert res.stderr.strip().count("\n") == 0
    assert "no store at" in res.stderr
    assert not (tmp_path / "r").exists()


def test_report_writes_the_file(runner, fixture_store, tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(main, ["report", "--store", str(fixture_store), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(out)
    assert "€2,500" in out.read_text(encoding="utf-8")


def test_report_pdf_without_chromium_writes_the_html_and_says_how_to_get_it(
    runner, fixture_store, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("SOCIALROI_CHROMIUM", raising=False)
    out = tmp_path / "r.html"
    res = runner.invoke(main, ["report", "--store", str(fixture_store), "--out", str(out), "--pdf"])
    assert res.exit_code == 1
    assert out.exists()
    assert not out.with_suffix(".pdf").exists()
    assert res.stdout.strip() == str(out)  # the HTML was written
    assert "no Chromium to print the PDF with" in res.stderr
    assert "apt-get install chromium" in res.stderr


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")
def test_report_pdf_prints_beside_the_html(runner, fixture_store, tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(main, ["report", "--store", str(fixture_store), "--out", str(out), "--pdf"])
    assert res.exit_code == 0, res.output
    pdf = out.with_suffix(".pdf")
    assert res.stdout.split() == [str(out), str(pdf)]
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_unknown_model_is_a_usage_error(runner, fixture_store, tmp_path):
    res = runner.invoke(
        main, ["report", "--store", str(fixture_store), "--model", "nope", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "linear" in res.stderr


def test_roi_json_parses(runner, fixture_store):
    res = runner.invoke(main, ["roi", "--store", str(fixture_store), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["platform"]: r for r in json.loads(res.stdout)}
    assert rows["facebook"]["roi"] == pytest.approx(9.0)
    assert rows["(shared)"]["cost_per_lead"] is None


@pytest.mark.parametrize("by", ["platform", "employee", "month"])
def test_roi_by(runner, fixture_store, by):
    res = runner.invoke(main, ["roi", "--store", str(fixture_store), "--by", by, "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith(by + ",")


def test_roi_table_with_model(runner, fixture_store):
    res = runner.invoke(main, ["roi", "--store", str(fixture_store), "--model", "first_touch"])
    assert res.exit_code == 0, res.output
    assert "linkedin" in res.stdout
    assert "1,000.00" in res.stdout


def test_export_csv_and_parquet(runner, fixture_store, tmp_path):
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        res = runner.invoke(
            main, ["export", "--store", str(fixture_store), "--format", fmt, "--out", str(out)]
        )
        assert res.exit_code == 0, res.output
        assert len(res.stdout.splitlines()) == len(EXPORT_TABLES)
        assert (out / f"referral_chains.{fmt}").exists()
    summary = pl.read_parquet(tmp_path / "parquet" / "summary.parquet")
    assert summary["company"][0] == "Acme Ltd"


def test_export_missing_store(runner, tmp_path):
    res = runner.invoke(main, ["export", "--store", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 1
    assert "no store at" in res.stderr


@pytest.mark.slow  # many CLI exports
def test_export_redacted_for_a_period(runner, tmp_path):
    """--redact hides contacts in every exported file; --period limits the figures to it."""
    from tests.reports.conftest import make_store

    store = make_store(tmp_path / "s.duckdb")

    def export(*args: str) -> Path:
        out: Path = tmp_path / "-".join(args or ("all",))
        res = runner.invoke(
            main, ["export", "--store", str(store), "--out", str(out), "--format", "csv", *args]
        )
        assert res.exit_code == 0, res.output
        return out

    plain, redacted = export(), export("--redact")
    assert "Carla Ruiz" in (plain / "deals_traced.csv").read_text(encoding="utf-8")
    for path in redacted.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert "Carla Ruiz" not in text, path.name
        assert "Eve Stone" not in text, path.name
    again = export("--redact", "--period", "2025-01..2025-04")
    assert (again / "deals_traced.csv").read_text(encoding="utf-8") == (
        redacted / "deals_traced.csv"
    ).read_text(encoding="utf-8"), "the same store gives the same pseudonyms"
    february = pl.read_csv(export("--period", "2025-02") / "summary.csv")
    whole = pl.read_csv(plain / "summary.csv")
    assert february["all_leads"][0] < whole["all_leads"][0]


def test_export_bad_period_is_a_usage_error(runner, fixture_store, tmp_path):
    res = runner.invoke(
        main,
        ["export", "--store", str(fixture_store), "--period", "last-year", "--out", str(tmp_path)],
    )
    assert res.exit_code == 2


@pytest.mark.parametrize("given", [None, "dirty_decay_ms:5000"])
def test_report_has_polars_return_freed_memory_soon_unless_the_user_chose(given):
    """`socialroi report` sets polars' allocator to hand freed memory back within 0.1 s (its peak
    stays lower) before polars loads; a setting already in the environment is kept."""
    from socialroi.cli import ALLOCATOR_ENV, ALLOCATOR_RETURN_SOON

    code = (
        "import os, sys\n"
        "from socialroi.cli import main\n"
        "try:\n"
        "    main(['report', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(os.environ.get({ALLOCATOR_ENV!r}), file=sys.stderr)"
    )
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    if given is not None:
        env[ALLOCATOR_ENV] = given
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    # polars puts its own defaults first and the setting found after them (the last one counts).
    effective = run.stderr.strip()
    assert effective.endswith("," + (given or ALLOCATOR_RETURN_SOON))
    assert (ALLOCATOR_RETURN_SOON in effective) == (given is None)
    assert "Write one HTML file" in run.stdout
