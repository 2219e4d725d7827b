"""Time to every chart drawn: the demo company's report in headless Chromium.

    .venv/bin/python benchmarks/report_timing.py [--runs 5]

Builds the demo company (seed 7, 12 months) and its report, and a copy of that report with the
full plotly.js in place of the partial bundle (what the report embedded before). Each run opens
one of them in a fresh headless Chromium at 1366 × 768 and measures, from navigation start, the
moment every chart has drawn (every `Plotly.newPlot` promise settled): the measurement of the
browser test (`tests/reports/_cdp.py`, `Browser.time_charts`). The two reports alternate so a
busy machine slows them alike. Writes benchmarks/report-timing.md with the median, the range and
the load average at start and end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from plotly.offline import get_plotlyjs  # noqa: E402
from tests.reports._cdp import browser  # noqa: E402

from socialroi import Settings, Store  # noqa: E402
from socialroi.analysis import analyze  # noqa: E402
from socialroi.demo import generate, write_demo  # noqa: E402
from socialroi.reports import write_report  # noqa: E402
from socialroi.reports._plotly_js import bundle_info, plotly_js  # noqa: E402

RESULTS = HERE / "report-timing.md"
TARGET_S = 1.5
MB = 1_000_000


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def time_once(chromium: str, report: Path, profile: Path) -> tuple[float, float]:
    """Seconds from navigation start to every chart drawn, and the page's main-thread CPU
    seconds by then."""
    with browser(chromium, profile) as b:
        b.viewport(1366, 768)
        timing = b.time_charts(report.as_uri())
        console = b.console()
    assert timing["errors"] == [], timing["errors"]
    assert timing["calls"] == timing["divs"] == timing["drawn"] >= 13, timing
    assert console == [], console
    return float(timing["ms"]) / 1000, float(timing["cpu_ms"]) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (scripts/ensure-chromium installs it)")
    version = subprocess.run(  # noqa: S603
        [chromium, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        with Store.open(tmp / "demo.duckdb") as store:
            write_demo(generate(seed=7, months=12), store)
        with Store.open(tmp / "demo.duckdb", read_only=True) as store:
            partial = write_report(analyze(store, settings=Settings()), tmp / "report.html")
        full = tmp / "report-full-plotly.html"
        doc = partial.read_text(encoding="utf-8")
        assert doc.count(plotly_js()) == 1
        full.write_text(doc.replace(plotly_js(), get_plotlyjs()), encoding="utf-8")
        reports = {"partial bundle": partial, "full plotly.js": full}
        times: dict[str, list[float]] = {name: [] for name in reports}
        cpu: dict[str, list[float]] = {name: [] for name in reports}
        start_load, start = loadavg(), dt.datetime.now(dt.UTC)
        for run in range(args.runs):
            for name, path in reports.items():
                seconds, used = time_once(chromium, path, tmp / f"profile-{run}-{name[:4]}")
                times[name].append(seconds)
                cpu[name].append(used)
                print(f"{name}: {seconds:.3f} s, CPU {used:.3f} s (load {loadavg()})", flush=True)
        end_load = loadavg()
        sizes = {name: path.stat().st_size for name, path in reports.items()}

    info = bundle_info()
    rows = []
    for name, got in times.items():
        med = statistics.median(got)
        runs = ", ".join(f"{t:.2f}" for t in got)
        rows.append(
            f"| {name} | {sizes[name] / MB:.2f} MB | **{med:.2f} s** | {min(got):.2f}–"
            f"{max(got):.2f} s | {statistics.median(cpu[name]):.2f} s | {runs} |"
        )
    median = statistics.median(times["partial bundle"])
    cpu_median = statistics.median(cpu["partial bundle"])
    verdict = "meets" if median <= TARGET_S else "misses"
    text = f"""# Report: time to every chart drawn

`.venv/bin/python benchmarks/report_timing.py --runs {args.runs}` ({start:%Y-%m-%d %H:%M} UTC,
{os.cpu_count()} cores, load average {start_load} at start and {end_load} at end; {version}).

The demo company's report (seed 7, 12 months) in a fresh headless Chromium per run at
1366 × 768, from navigation start to the moment every one of its charts has drawn (every
`Plotly.newPlot` promise settled; the browser test's measurement, `tests/reports/_cdp.py`).
"full plotly.js" is the same report with the complete plotly.js v{info["plotly.js"]} inlined
instead of the partial bundle ({", ".join(info["traces"])}: {info["bytes"] / MB:.2f} MB, see
src/socialroi/reports/assets/plotly-bundle.json); the two alternate run by run.

| report | size | median | range | main-thread CPU (median) | runs (s) |
|---|---|---|---|---|---|
{chr(10).join(rows)}

"main-thread CPU" is the CPU time the page's main thread had spent by the time every chart had
drawn (Chromium's TaskDuration in thread time: parsing, compiling and running plotly.js, style,
layout): what the drawing costs, which a busy machine inflates far less than the wall-clock time.

Target ≤ {TARGET_S} s from navigation to every chart drawn: the partial bundle's median
{median:.2f} s {verdict} it on this run (main-thread CPU {cpu_median:.2f} s). Wall-clock timings
on a loaded machine are upper bounds.
"""
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
