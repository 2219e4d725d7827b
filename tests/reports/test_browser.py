"""The report in headless Chromium: every figure draws, no console message, nothing fetched.

`make test` installs Debian's `chromium` when it can; without it the test is skipped, except
under CI, where a missing browser fails the run. The page's Content-Security-Policy blocks
every request, and a blocked request is logged to the console, so a silent console means the
report made no network request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from socialroi import Settings, Store
from socialroi.reports import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("CI") != "true", reason="chromium is not installed"
    ),
]


def test_report_renders_offline_without_console_messages(fixture_store: Path, tmp_path: Path):
    with Store.open(fixture_store, read_only=True) as store:
        out = write_report(store, tmp_path / "r.html", settings=Settings())
    assert CHROMIUM is not None, "CI needs Debian's chromium: scripts/ensure-chromium installs it"
    res = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert res.stdout.count('class="main-svg"') >= 5  # every figure drew
