"""The plotly.js the report embeds: a partial bundle (scripts/build-plotly-bundle) that knows every
trace type the demo report's figures use, is the file its plotly-bundle.json describes, is the
plotly.js the installed Python plotly was made for, carries its licence, and keeps the demo
company's report at most 2.5 MB."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from socialroi import Settings, Store
from socialroi.analysis import analyze
from socialroi.demo import generate, write_demo
from socialroi.reports import write_report
from socialroi.reports._plotly_js import ASSETS, bundle_info, plotly_js
from socialroi.reports.html import render_report

MAX_REPORT_BYTES = 2_500_000


def newplot_traces(doc: str) -> dict[str, list[dict[str, Any]]]:
    """Chart id → the traces its `Plotly.newPlot(id, traces, ...)` call in `doc` passes."""
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"([\w-]+)",\s*', doc):
        traces, _ = decoder.raw_decode(doc, m.end())
        out[m.group(1)] = traces
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory, monkeypatch_module) -> tuple[dict[str, go.Figure], Path]:
    """The figures the demo company's report is rendered from, and the report written."""
    tmp = tmp_path_factory.mktemp("demo")
    with Store.open(tmp / "demo.duckdb") as store:
        write_demo(generate(seed=7, months=12), store)
    seen: dict[str, go.Figure] = {}

    def keep(a, figures, *args, **kwargs):
        seen.update(figures)
        return render_report(a, figures, *args, **kwargs)

    monkeypatch_module.setattr("socialroi.reports.render_report", keep)
    with Store.open(tmp / "demo.duckdb", read_only=True) as store:
        out = write_report(analyze(store, settings=Settings()), tmp / "report.html")
    return seen, out


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.slow
def test_the_bundle_knows_every_trace_type_of_the_demo_report(demo):
    figures, out = demo
    used = {trace.type for fig in figures.values() for trace in fig.data}
    assert {"bar", "heatmap", "scatter"} <= used  # the report's three kinds of chart
    assert used <= set(bundle_info()["traces"])
    # and what the written page asks plotly.js to draw is the same
    drawn = newplot_traces(out.read_text(encoding="utf-8"))
    assert set(drawn) == {f"fig-{name}" for name in figures}
    assert {t.get("type", "scatter") for traces in drawn.values() for t in traces} == used


@pytest.mark.slow
def test_the_demo_report_is_at_most_2_5_mb_with_one_plotly_js(demo):
    _, out = demo
    assert out.stat().st_size <= MAX_REPORT_BYTES
    doc = out.read_text(encoding="utf-8")
    assert doc.count(plotly_js()) == 1
    assert "plotly.js v" in doc[: doc.index("<body>")]  # in the head, before any chart


def test_the_bundle_knows_every_trace_type_of_a_small_report(fixture_store, tmp_path):
    """The same check as on the demo company, fast: the fixture company's written report."""
    with Store.open(fixture_store, read_only=True) as store:
        out = write_report(analyze(store, settings=Settings()), tmp_path / "r.html")
    drawn = newplot_traces(out.read_text(encoding="utf-8"))
    assert len(drawn) >= 9
    used = {t.get("type", "scatter") for traces in drawn.values() for t in traces}
    assert {"bar", "scatter"} <= used
    assert used <= set(bundle_info()["traces"])


def test_the_asset_is_the_file_plotly_bundle_json_describes():
    info = bundle_info()
    data = (ASSETS / info["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == info["sha256"]
    assert len(data) == info["bytes"]
    assert info["file"] == f"plotly-{'-'.join(info['traces'])}.min.js"
    assert plotly_js().encode("utf-8") == data
    header = plotly_js()[:300]
    assert f"plotly.js v{info['plotly.js']} (partial bundle: {', '.join(info['traces'])})" in header
    assert "</script" not in plotly_js().lower()  # safe to inline in a <script> element
    assert len(data) < len(get_plotlyjs()) / 3


def test_the_bundle_is_the_plotly_js_the_installed_plotly_was_made_for():
    full = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", get_plotlyjs()[:300])
    assert full is not None
    assert bundle_info()["plotly.js"] == full.group(1)


def test_the_bundle_ships_its_licence():
    licence = (ASSETS / "PLOTLY_LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert "Plotly" in licence
    assert bundle_info()["license"].startswith("MIT")
