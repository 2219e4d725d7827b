"""Top posts, campaigns, the funnel and the data-quality additions, worked out by hand on the
fixture company (see tests/reports/fixture.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import polars as pl
import pytest

from socialroi import Settings, Store
from socialroi.analysis import analyze
from socialroi.core.content import campaign_table
from socialroi.core.kpis import compute
from socialroi.core.quality import metric_gaps
from socialroi.reports import write_report
from tests.reports.fixture import AS_OF, tables


@pytest.fixture(scope="module")
def analysis():
    return compute(tables(), as_of=AS_OF)


def test_posts(analysis):
    rows = analysis.posts.select("post_id", "author", "leads", "deals", "revenue", "pipeline")
    # p2 (brand, Facebook): Dan's lead and D2 (2,000), D5 (300) open. p1 (Ana's): half of Carla's
    # lead and D1 (500), Eve's lead via the tracked link, and Eve's open D3 (500).
    assert rows.rows() == [
        ("p2", "brand", 1.0, 1.0, 2000.0, 300.0),
        ("p1", "Ana Diaz", 1.5, 0.5, 500.0, 500.0),
    ]


def test_campaigns(analysis):
    got = analysis.campaigns.select("campaign", "posts", "revenue", "pipeline").rows()
    assert got == [("promo", 1, 2000.0, 300.0), ("spring", 1, 500.0, 500.0)]


def test_campaigns_that_tie_are_listed_by_name_on_every_run(analysis):
    # No credit at all and one post each: every sort key ties, so the name decides.
    one = tables()["posts"].head(1)
    posts = pl.concat([one, one, one]).with_columns(
        post_id=pl.Series(["x1", "x2", "x3"]), campaign=pl.Series(["zeta", "alpha", "mid"])
    )
    credits = analysis.pipeline.credits("linear").clear()
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        out = campaign_table(credits, posts[order])
        assert out["campaign"].to_list() == ["alpha", "mid", "zeta"]
        assert out["posts"].to_list() == [1, 1, 1]


def test_funnel(analysis):
    f = dict(analysis.funnel.iter_rows())
    assert f["impressions"] == 0  # the fixture has no post metrics
    assert f["social web sessions"] == 4  # 3 LinkedIn, 1 Facebook
    assert f["contacts with a social touch"] == 3  # Carla, Dan, Eve
    assert f["leads with a social touch"] == 3
    assert f["won deals with a social touch"] == 2  # D1, D2
    assert f["revenue of those deals"] == 3000.0


def test_metric_gaps_by_month():
    posts = pl.DataFrame(
        {
            "platform": ["x", "x"],
            "created_at": [datetime(2025, 1, 5, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)],
        }
    )
    metrics = pl.DataFrame({"platform": ["x"], "as_of": [datetime(2025, 2, 10, tzinfo=UTC)]})
    gaps = metric_gaps(posts, metrics, datetime(2025, 4, 15, tzinfo=UTC))
    # January to March (April is not over): February has metrics
    assert gaps.rows() == [("x", 2, date(2025, 1, 1), [date(2025, 1, 1), date(2025, 3, 1)])]


def test_report_lists_metric_gaps_and_failed_runs(fixture_store, tmp_path):
    path = tmp_path / "s.duckdb"
    shutil.copy(fixture_store, path)
    with Store.open(path) as store:
        with store.run("pull", "linkedin") as rec:
            rec.error = "linkedin: token <b>expired</b>"
        store.set_state("linkedin", "posts", {"cursor": "abc"})
    with Store.open(path, read_only=True) as store:
        doc = write_report(analyze(store, settings=Settings()), tmp_path / "r.html").read_text(
            "utf-8"
        )
    quality = doc[doc.index('<section id="quality">') : doc.index('<section id="method">')]
    assert "no post metrics for 3 months (2025-01, 2025-02, 2025-03)" in quality
    assert "1 run failed" in quality
    assert "linkedin: token &lt;b&gt;expired&lt;/b&gt;" in quality
    assert "Assumptions" in quality
    # the cursor moved "now", long after the fixture's report date: not stale
    assert "<td>linkedin</td><td>posts</td>" in quality
