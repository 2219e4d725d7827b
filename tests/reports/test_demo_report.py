"""The report on the demo company: it builds, reconciles and names the deals social brought in."""

from __future__ import annotations

import html

import pytest

from socialroi import Settings, Store
from socialroi.analysis import analyze
from socialroi.core.attribution import model_names
from socialroi.demo import generate, write_demo
from socialroi.reports import write_report
from socialroi.reports.html import SECTIONS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store.open(path) as store:
        write_demo(generate(seed=7, months=12), store)
    return path


def test_demo_report(demo_store, tmp_path):
    with Store.open(demo_store, read_only=True) as store:
        a = analyze(store, settings=Settings())
        out = write_report(analyze(store, settings=Settings()), tmp_path / "r.html")
    # every model hands out exactly the won-deal value there is
    assert set(a.models["model"]) == set(model_names())  # data-driven models included
    assert not a.skipped_models
    for m in a.models.partition_by("model"):
        assert m["deal_value"].sum() == pytest.approx(a.summary.all_revenue)
    assert 0 < a.summary.revenue <= a.summary.all_revenue
    assert a.traced.height > 0
    # referrals by past clients lead to won deals; staff are tied to converting contacts
    assert a.network.chains.height > 0
    assert (a.network.chains["network_revenue"] > 0).all()
    assert (a.network.influence["converting_reached"] > 0).any()
    assert a.network.giver_summary["spearman"].null_count() == 0
    assert out.stat().st_size < 6_000_000
    doc = out.read_text(encoding="utf-8")
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in doc
    assert html.escape(a.company) in doc
