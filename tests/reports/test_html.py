"""The report file: one plotly.js, nothing fetched, the numbers and sections there, data escaped."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from socialroi import Settings, Store
from socialroi.analysis import analyze
from socialroi.config import from_dict
from socialroi.errors import ConfigError
from socialroi.reports import REPORT_NAME, write_report
from socialroi.reports._plotly_js import plotly_js
from socialroi.reports.html import SECTIONS, write_html
from tests.reports.conftest import PAYLOADS, make_store

BUNDLE_MARK = plotly_js()[:200]


@pytest.fixture(scope="module")
def report(fixture_store: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "r.html"
    with Store.open(fixture_store, read_only=True) as store:
        written = write_report(analyze(store, settings=Settings()), out)
    assert written == out
    return out.read_text(encoding="utf-8")


def _without_bundle(doc: str) -> str:
    return doc.replace(plotly_js(), "")


def test_plotly_js_inlined_exactly_once(report):
    assert report.count(BUNDLE_MARK) == 1
    ids = re.findall(r'<div id="fig-([\w-]+)"', report)
    assert len(ids) == len(set(ids)) == report.count('class="plotly-graph-div"')
    assert {"models", "platforms", "campaigns", "funnel", "trend", "quality"} <= set(ids)


def test_nothing_is_fetched(report):
    page = _without_bundle(report)
    for pattern in ('src="http', "src='http", 'href="http', "href='http", "@import", "url(http"):
        assert pattern not in page, pattern
    assert "<link" not in page
    assert "cdn" not in page.lower()
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page


def test_summary_numbers_and_sections(report):
    # linear model on the fixture: 2,500 revenue, 450 cost, ROI 456% (cost is all the cost, so
    # material), 2,500 / 450 = €5.56 back per €1, 2.5 leads, 1.5 deals; the model in words
    for text in ("€2,500", "€450", "456%", "€5.56 back per €1", ">2.5<", ">1.5<", "Equal shares"):
        assert text in report, text
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in report
    assert "Acme Ltd" in report  # store meta names the company
    assert "Initech rollout" in report
    assert "Globex renewal" in report


def _section(doc: str, sid: str) -> str:
    start = doc.index(f'<section id="{sid}">')
    return doc[start : doc.index("</section>", start)]


def test_referral_and_influence_section(report):
    net = _section(report, "network")
    # Dan, whom Carla referred, won 2,000: Carla's chain, met on LinkedIn via Ana, earns 1,000
    assert "Carla Ruiz (Globex), met on linkedin via Ana Diaz, led to one more deal worth" in net
    assert "€2,000" in net
    assert "€1,000" in net
    assert "D2" in net
    assert "× 0.5" in net
    assert 'id="fig-influence"' in net
    assert 'id="fig-givers"' in net
    assert "Too few accounts" in net


def test_network_decay_from_config(fixture_store, tmp_path):
    settings = from_dict({"network": {"decay": 0.25}})
    with Store.open(fixture_store, read_only=True) as store:
        doc = write_report(analyze(store, settings=settings), tmp_path / "d.html").read_text()
    assert "€500" in _section(doc, "network")
    assert "× 0.25" in doc


@pytest.mark.parametrize(
    "network", [{"decay": 2}, {"decay": "half"}, {"max_depth": -1}, {"max_depth": 1.5}]
)
def test_bad_network_config_is_a_config_error(fixture_store, tmp_path, network):
    with Store.open(fixture_store, read_only=True) as store, pytest.raises(ConfigError):
        write_report(analyze(store, settings=from_dict({"network": network})), tmp_path / "x.html")


def test_models_section_notes_the_data_driven_models(report):
    models = _section(report, "models")
    assert "models learn the shares from the journeys" in models
    for label in ("Learned from journeys (removal)", "Learned from journeys (fair shares)"):
        assert f"<b>{label}</b></span>:" in models


def test_no_code_names_or_test_names_in_visible_text(report):
    """Plain words: what a reader sees (tags, hover titles and scripts left out) names no model
    or rate by its code name and no statistical test by its name."""
    body = report[report.index("<main>") : report.index("</main>")]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    visible = html.unescape(re.sub(r"<[^>]+>", " ", body))
    for word in (
        "j_shaped",
        "won_per_lead",
        "time_decay",
        "pre-trend p",
        "placebo",
        "Spearman",
        "PageRank",
        "betweenness",
    ):
        assert word not in visible, word
    assert "Glossary" in report
    assert "Social-sourced revenue" in visible


def test_config_company_wins_over_store_meta(fixture_store, tmp_path):
    settings = from_dict({"company": {"name": "Config Co", "currency": "USD"}})
    with Store.open(fixture_store, read_only=True) as store:
        out = write_report(analyze(store, settings=settings), tmp_path)
    assert out == tmp_path / REPORT_NAME
    doc = out.read_text(encoding="utf-8")
    assert "Config Co" in doc
    assert "$2,500" in doc
    assert "Acme Ltd" not in doc


def test_model_changes_the_numbers(fixture_store, tmp_path):
    settings = from_dict({"attribution": {"model": "first_touch"}})
    with Store.open(fixture_store, read_only=True) as store:
        doc = write_report(analyze(store, settings=settings), tmp_path / "f.html").read_text()
    assert "€3,000" in doc  # the direct half of Globex goes to LinkedIn


def test_untrusted_text_is_escaped_everywhere(tmp_path):
    store_path = make_store(
        tmp_path / "evil.duckdb",
        post=PAYLOADS[0],
        contact=PAYLOADS[1],
        deal=PAYLOADS[2],
        campaign=PAYLOADS[0] + "&" + PAYLOADS[2],
        employee=PAYLOADS[1],
        handle=PAYLOADS[2],
        company=PAYLOADS[0],
    )
    with Store.open(store_path, read_only=True) as store:
        doc = write_report(analyze(store, settings=Settings()), tmp_path / "r.html").read_text()
    page = _without_bundle(doc)
    for payload in PAYLOADS:
        assert payload not in doc, payload
        assert html.escape(payload) in page, payload
    assert "alert(1)</script>" not in page
    assert not re.search(r"<img\b", page)
    quoted = page.replace("&quot; onmouseover=&quot;", "").replace("&#34; onmouseover=&#34;", "")
    assert " onmouseover=" not in quoted
    # the referral chain names the contact and employee, escaped
    net = _section(page, "network")
    assert (
        f"{html.escape(PAYLOADS[1])} (Globex), met on linkedin via {html.escape(PAYLOADS[1])}"
        in net
    )
    assert PAYLOADS[1] not in net


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    out.write_text("old report")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        write_html("<html>new</html>", out)
    assert out.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
