"""`socialroi run-monthly`: the cron job — lock, idempotent re-runs, log file, exit codes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialroi.cli import main
from socialroi.demo import generate, write_demo
from socialroi.monthly import previous_month, run_lock
from socialroi.store import Store

MONTH = "2026-10"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monthly") / "socialroi.duckdb"
    with Store.open(path) as store:
        write_demo(generate(seed=5, months=6), store)
    return path


def _config(tmp_path: Path, platforms: str = "") -> Path:
    cfg = tmp_path / "socialroi.toml"
    cfg.write_text(f'[company]\nname = "Acme"\ncurrency = "EUR"\n{platforms}', encoding="utf-8")
    return cfg


def _run(store: Path, out: Path, cfg: Path, *args: str):
    return CliRunner().invoke(
        main,
        ["run-monthly", "--store", str(store), "--config", str(cfg), "--out", str(out), *args],
    )


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_previous_month_rolls_over_the_year():
    from datetime import UTC, datetime

    assert previous_month(datetime(2026, 1, 15, tzinfo=UTC)) == "2025-12"
    assert previous_month(datetime(2026, 11, 1, tzinfo=UTC)) == "2026-10"


@pytest.mark.slow  # the monthly run on a demo store, twice
def test_writes_report_and_exports_and_a_log_and_reruns_replace(demo_store, tmp_path):
    out = tmp_path / "monthly"
    cfg = _config(tmp_path)
    first = _run(demo_store, out, cfg, "--month", MONTH)
    assert first.exit_code == 0, first.output
    report = out / MONTH / "socialroi-report.html"
    assert report.is_file()
    assert "Acme" in report.read_text(encoding="utf-8")
    printed = first.stdout.splitlines()
    assert printed[0] == str(report)
    assert any(p.endswith(".xlsx") for p in printed)
    assert any(p.endswith(".csv") for p in printed)
    assert "pull skipped: no [platforms.*] in the config" in first.stderr
    files = _files(out)

    second = _run(demo_store, out, cfg, "--month", MONTH, "--quiet")
    assert second.exit_code == 0, second.output
    assert second.stdout == ""
    assert _files(out) == files, "a re-run replaces the month's files, it adds none"
    log = (out / "run-monthly.log").read_text(encoding="utf-8")
    assert log.count(f"run-monthly {MONTH} started") == 2
    assert log.count(f"run-monthly {MONTH} finished: exit 0") == 2


def test_second_run_while_one_holds_the_lock_exits_1(demo_store, tmp_path):
    lock = demo_store.with_name(demo_store.name + ".run-monthly.lock")
    with run_lock(lock):
        res = _run(demo_store, tmp_path / "m", _config(tmp_path), "--month", MONTH)
    assert res.exit_code == 1
    assert "another run-monthly" in res.stderr
    assert not (tmp_path / "m" / MONTH).exists()
    with run_lock(lock):
        pass  # released when its holder ended: taking it again works


@pytest.mark.slow  # the monthly run on a demo store
def test_failed_pull_still_reports_and_exits_3(demo_store, tmp_path):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    platforms = (
        "[platforms.mastodon]\n"
        f'base_url = "http://127.0.0.1:{port}"\n'
        'accounts = ["acme"]\n'
        "max_retries = 0\n"
    )
    out = tmp_path / "m"
    res = _run(demo_store, out, _config(tmp_path, platforms), "--month", MONTH)
    assert res.exit_code == 3, res.output
    assert "error: pull:" in res.stderr
    assert (out / MONTH / "socialroi-report.html").is_file()
    log = (out / "run-monthly.log").read_text(encoding="utf-8")
    assert "pull failed; the report uses the stored data" in log
    assert "finished: exit 3" in log


def test_bad_month_is_a_usage_error(demo_store, tmp_path):
    res = _run(demo_store, tmp_path / "m", _config(tmp_path), "--month", "2026Q3")
    assert res.exit_code == 2
    assert "YYYY-MM" in res.stderr
