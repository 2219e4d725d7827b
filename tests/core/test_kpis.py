"""The analysis on the hand-made company of tests/reports/fixture.py (linear model unless named)."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from socialroi.core.attribution import MODELS, RULE_MODELS, UNATTRIBUTED, model_names
from socialroi.core.kpis import Analysis, compute
from socialroi.errors import ConfigError, DataError
from tests.reports.fixture import AS_OF, tables


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return compute(tables(), as_of=AS_OF, company="Acme", currency="EUR")


def test_summary_cards_by_hand(analysis):
    s = analysis.summary
    assert s.model == "linear"
    assert s.revenue == pytest.approx(2500.0)
    assert s.cost == pytest.approx(450.0)
    assert s.staff_cost == pytest.approx(150.0)
    assert s.roi == pytest.approx((2500 - 450) / 450)
    assert s.leads == pytest.approx(2.5)
    assert s.deals == pytest.approx(1.5)
    assert s.pipeline == pytest.approx(800.0)
    assert s.cost_per_lead == pytest.approx(180.0)
    assert s.cost_per_deal == pytest.approx(300.0)
    assert (s.all_revenue, s.all_leads, s.all_deals) == (3700.0, 3, 3)
    assert (analysis.company, analysis.currency) == ("Acme", "EUR")


def test_first_touch_moves_the_direct_half_to_linkedin():
    s = compute(tables(), as_of=AS_OF, model="first_touch", compare=()).summary
    assert s.revenue == pytest.approx(3000.0)
    assert s.leads == pytest.approx(3.0)


def test_deal_closed_after_as_of_is_open_pipeline(analysis):
    pipeline = analysis.conversions.filter(pl.col("kind") == "pipeline")
    assert sorted(pipeline["conversion_id"]) == ["deal:D3", "deal:D5"]


def test_roi_by_platform_and_employee(analysis):
    plat = {r["platform"]: r for r in analysis.roi_platform.iter_rows(named=True)}
    assert plat["facebook"]["roi"] == pytest.approx(9.0)
    assert plat["linkedin"]["roi"] == pytest.approx(350 / 150)
    emp = {r["employee"]: r for r in analysis.roi_employee.iter_rows(named=True)}
    assert emp["e1"]["name"] == "Ana Diaz"
    assert emp["e1"]["revenue"] == pytest.approx(500.0)
    assert emp["e1"]["pipeline"] == pytest.approx(500.0)  # Eve's session came from Ana's link
    assert emp["e1"]["leads"] == pytest.approx(1.5)


def test_models_side_by_side(analysis):
    m = analysis.models
    # every registered model, rule and data-driven, hands out every lead and all won value
    assert set(m["model"]) == set(model_names()) >= set(RULE_MODELS)
    assert not analysis.skipped_models
    totals = m.group_by("model").agg(pl.col("deal_value").sum(), pl.col("leads").sum())
    assert totals["deal_value"].to_list() == pytest.approx([3700.0] * totals.height)
    assert totals["leads"].to_list() == pytest.approx([3.0] * totals.height)
    linear = {r["channel"]: r for r in m.filter(pl.col("model") == "linear").iter_rows(named=True)}
    assert linear["linkedin"]["deal_value"] == pytest.approx(500.0)
    assert linear[UNATTRIBUTED]["deal_value"] == pytest.approx(700.0)


def test_monthly_trend(analysis):
    mo = analysis.monthly
    assert mo["month"].to_list() == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert mo["leads"].to_list() == [1, 2, 0]
    assert mo["deals"].to_list() == [0, 1, 2]
    assert mo["revenue"].to_list() == [0.0, 1000.0, 2700.0]
    assert mo["social_revenue"].to_list() == [0.0, 500.0, 2000.0]
    assert mo["cost"].to_list() == [150.0, 300.0, 0.0]
    assert analysis.policy_periods["policy"].to_list() == ["acceptable_use", "employee_advocacy"]


def test_traced_deals_have_paths_and_who_is_behind_them(analysis):
    tr = analysis.traced
    assert tr["deal_id"].to_list() == ["D2", "D1"]  # biggest first; D4 had no social touch
    d1 = tr.row(1, named=True)
    assert d1["contact_name"] == "Carla Ruiz"
    assert d1["company"] == "Globex"
    assert d1["employee_name"] == "Ana Diaz"
    assert (d1["post_platform"], d1["post_id"]) == ("linkedin", "p1")
    assert d1["post_text"] == "Our new product is out"
    assert d1["social_value"] == pytest.approx(500.0)
    assert [s["channel"] for s in d1["path"]] == ["linkedin", "direct"]
    assert d1["path_text"] == (
        "2025-01-06 linkedin · post p1 · Ana Diaz · spring → 2025-01-20 direct"
    )
    d2 = tr.row(0, named=True)
    assert d2["employee_id"] is None
    assert d2["path_text"] == "2025-02-10 paid_social · facebook · post p2 · promo"


def test_data_quality(analysis):
    q = analysis.quality
    rate = {r["platform"]: r["match_rate"] for r in q.match_rate.iter_rows(named=True)}
    assert rate["(all social)"] == pytest.approx(0.25)
    assert dict(q.anonymous.iter_rows()) == {"linkedin": 2, "facebook": 1}
    missing = dict(q.missing.iter_rows())
    assert missing["won deals with no touch in their window"] == 1
    assert missing["contacts with no touch at all"] == 1


def test_as_of_hides_later_data():
    a = compute(tables(), as_of=datetime(2025, 1, 31, tzinfo=UTC), compare=())
    assert a.summary.all_deals == 0
    assert a.summary.cost == pytest.approx(150.0)
    assert a.traced.height == 0


def test_empty_tables():
    a = compute({}, as_of=AS_OF, compare=())
    assert a.summary.revenue == 0.0
    assert a.summary.roi is None
    assert a.traced.height == 0
    assert a.models.height == 0


def test_unknown_model_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown attribution model 'nope'"):
        compute(tables(), as_of=AS_OF, model="nope")


def test_rule_models_only_when_asked():
    a = compute(tables(), as_of=AS_OF, compare=RULE_MODELS)
    assert list(dict.fromkeys(a.models["model"])) == list(RULE_MODELS)


def test_a_model_that_cannot_run_is_skipped_with_its_reason(monkeypatch):
    def broken(journeys: pl.DataFrame, params: object) -> pl.DataFrame:
        raise DataError("too many channels for this model")

    monkeypatch.setitem(MODELS, "broken", broken)
    a = compute(tables(), as_of=AS_OF)
    assert a.skipped_models == {"broken": "too many channels for this model"}
    assert "broken" not in set(a.models["model"])
    assert set(RULE_MODELS) <= set(a.models["model"])
    with pytest.raises(DataError, match="model 'broken' cannot run"):
        compute(tables(), as_of=AS_OF, model="broken", compare=())


def test_referral_chain_and_influence_in_the_analysis(analysis):
    net = analysis.network
    (chain,) = net.chains.rows(named=True)
    assert (chain["root_id"], chain["root_name"]) == ("c1", "Carla Ruiz")
    assert (chain["employee_id"], chain["employee_name"], chain["met_on"]) == (
        "e1",
        "Ana Diaz",
        "linkedin",
    )
    assert chain["deal_ids"] == ["D2"]  # D5 is still open at AS_OF
    assert chain["network_revenue"] == pytest.approx(1000.0)
    assert chain["own_revenue"] == pytest.approx(1000.0)
    assert net.chain_employees.select("employee_id", "network_revenue").rows() == [("e1", 1000.0)]
    infl = {r["node"]: r for r in net.influence.iter_rows(named=True)}
    assert set(infl) == {"c1", "c2", "c3", "e1", "e2"}  # mention, reply and the referral
    assert infl["c1"]["betweenness"] > 0  # between Ana and Dan
    assert infl["c2"]["betweenness"] == 0
    assert infl["e1"]["converting_reached"] == 1
    assert infl["e2"]["converting_reached"] == 1
    assert net.givers["posts"].sum() == 2
    assert "Too few accounts" in net.giver_summary["note"][0]


def test_decay_reaches_the_chains():
    a = compute(tables(), as_of=AS_OF, compare=(), decay=0.25)
    assert a.network.chains["network_revenue"].to_list() == [pytest.approx(500.0)]
    assert a.network.decay == 0.25
