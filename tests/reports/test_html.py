"""The report file: one plotly.js, nothing fetched, the numbers and sections there, data escaped."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from socialroi import Settings, Store
from socialroi.config import from_dict
from socialroi.reports import REPORT_NAME, write_report
from socialroi.reports.html import SECTIONS, write_html
from tests.reports.conftest import PAYLOADS, make_store

BUNDLE_MARK = get_plotlyjs()[:200]


@pytest.fixture(scope="module")
def report(fixture_store: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "r.html"
    with Store.open(fixture_store, read_only=True) as store:
        written = write_report(store, out, settings=Settings())
    assert written == out
    return out.read_text(encoding="utf-8")


def _without_bundle(doc: str) -> str:
    return doc.replace(get_plotlyjs(), "")


def test_plotly_js_inlined_exactly_once(report):
    assert report.count(BUNDLE_MARK) == 1
    assert report.count('class="plotly-graph-div"') == 5


def test_nothing_is_fetched(report):
    page = _without_bundle(report)
    for pattern in ('src="http', "src='http", 'href="http', "href='http", "@import", "url(http"):
        assert pattern not in page, pattern
    assert "<link" not in page
    assert "cdn" not in page.lower()
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page


def test_summary_numbers_and_sections(report):
    # linear model on the fixture: 2,500 revenue, 450 cost, ROI 455.6%, 2.5 leads, 1.5 deals
    for text in ("€2,500", "€450", "455.6%", ">2.5<", ">1.5<", "linear"):
        assert text in report, text
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in report
    assert "Acme Ltd" in report  # store meta names the company
    assert "Initech rollout" in report
    assert "Globex renewal" in report


def test_config_company_wins_over_store_meta(fixture_store, tmp_path):
    settings = from_dict({"company": {"name": "Config Co", "currency": "USD"}})
    with Store.open(fixture_store, read_only=True) as store:
        out = write_report(store, tmp_path, settings=settings)
    assert out == tmp_path / REPORT_NAME
    doc = out.read_text(encoding="utf-8")
    assert "Config Co" in doc
    assert "$2,500" in doc
    assert "Acme Ltd" not in doc


def test_model_changes_the_numbers(fixture_store, tmp_path):
    settings = from_dict({"attribution": {"model": "first_touch"}})
    with Store.open(fixture_store, read_only=True) as store:
        doc = write_report(store, tmp_path / "f.html", settings=settings).read_text()
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
        doc = write_report(store, tmp_path / "r.html", settings=Settings()).read_text()
    page = _without_bundle(doc)
    for payload in PAYLOADS:
        assert payload not in doc, payload
        assert html.escape(payload) in page, payload
    assert "alert(1)</script>" not in page
    assert not re.search(r"<img\b", page)
    assert " onmouseover=" not in page.replace("&quot; onmouseover=&quot;", "")


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
