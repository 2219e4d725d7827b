"""The report as a PDF, printed by headless Chromium when it is on the machine.

`find_chromium` looks for ``chromium``, ``chromium-browser``, ``google-chrome`` and
``google-chrome-stable`` on the PATH (or the browser named by ``SOCIALROI_CHROMIUM``);
`write_pdf` prints the HTML report beside itself (``report.html`` → ``report.pdf``), A4 or
Letter by the page size Chromium uses for the locale, with the report's print stylesheet: charts
redrawn at the page's width, no chart, card or table row split across pages. Only this module
runs the browser, with no network (the report's Content-Security-Policy forbids requests too).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from socialroi.errors import ConfigError, SocialROIError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: How to get Chromium, said when it is missing.
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install "
    "--cask chromium) or set SOCIALROI_CHROMIUM to a Chrome or Chromium binary"
)
TIMEOUT_S = 180


class ChromiumMissing(ConfigError):
    """No Chromium or Chrome to print with."""


#: How socialroi starts Chromium without a window: no sandbox (root in containers), no GPU, and
#: none of its own background requests. The browser tests start it the same way.
HEADLESS_FLAGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
)


def find_chromium() -> str | None:
    named = os.environ.get("SOCIALROI_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_path(html: Path) -> Path:
    return html.with_suffix(".pdf")


def write_pdf(html: Path, out: Path | None = None, *, chromium: str | None = None) -> Path:
    """Print `html` to `out` (default: beside it, .pdf) and return the path. Raises
    ChromiumMissing without a browser, SocialROIError when printing fails."""
    browser = chromium or find_chromium()
    if browser is None:
        raise ChromiumMissing(f"no Chromium to print the PDF with: {INSTALL_HINT}")
    target = out or pdf_path(html)
    with tempfile.TemporaryDirectory(prefix="socialroi-pdf-") as profile:
        tmp = Path(profile) / "report.pdf"
        cmd = [
            browser,
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            # the window is as wide as a printed page, so the charts are drawn at that width
            # even before the print stylesheet redraws them
            "--window-size=760,1100",
            "--virtual-time-budget=8000",
            f"--print-to-pdf={tmp}",
            html.resolve().as_uri(),
        ]
        try:
            res = subprocess.run(  # noqa: S603 (a browser found on the PATH)
                cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SocialROIError(f"Chromium could not print the PDF: {exc}") from exc
        if res.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            tail = (res.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise SocialROIError(f"Chromium could not print the PDF: {tail[0]}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), target)
    return target
