"""ROI on a hand-made credits frame: every number here is worked out by hand."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from socialroi.core import roi
from socialroi.schema import conform


def _credits(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    cols = ["kind", "channel", "platform", "employee_id", "conv_ts", "credit", "value_credit"]
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows]).cast(
        {"conv_ts": pl.Datetime("us", "UTC"), "credit": pl.Float64, "value_credit": pl.Float64}
    )


JAN = datetime(2025, 1, 20, tzinfo=UTC)
FEB = datetime(2025, 2, 10, tzinfo=UTC)

CREDITS = _credits(
    [
        # one won deal of 1,000: half to a LinkedIn post shared by e1, half to direct
        ("deal", "linkedin", "linkedin", "e1", FEB, 0.5, 500.0),
        ("deal", "direct", None, None, FEB, 0.5, 500.0),
        # another won deal of 1,000 fully on paid social (Facebook), no employee
        ("deal", "paid_social", "facebook", None, FEB, 1.0, 1000.0),
        # two leads: one from e1's LinkedIn touch, one split LinkedIn (e2) / search
        ("lead", "linkedin", None, "e1", JAN, 1.0, 0.0),
        ("lead", "linkedin", None, "e2", JAN, 0.5, 0.0),
        ("lead", "search", None, None, JAN, 0.5, 0.0),
        # an open deal of 400 on X
        ("pipeline", "x", "x", "e2", FEB, 1.0, 400.0),
        # an unattributed deal is not social
        ("deal", "(unattributed)", None, None, FEB, 1.0, 700.0),
    ]
)

EMPLOYEES = conform(
    "employees",
    pl.DataFrame({"employee_id": ["e1", "e2"], "loaded_hourly_cost": [50.0, 40.0]}),
)

COSTS = conform(
    "costs",
    pl.DataFrame(
        {
            "month": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 1)],
            "category": ["staff_hours", "ad_spend", "tools", "ad_spend"],
            "platform": ["linkedin", "facebook", "", "google"],
            "employee_id": ["e1", "", "", ""],
            "amount": [3.0, 200.0, 100.0, 999.0],
        }
    ),
)


def test_staff_hours_are_priced_at_loaded_wage():
    priced = roi.price_costs(COSTS, EMPLOYEES)
    staff = priced.filter(pl.col("category") == "staff_time")
    assert staff["amount"].to_list() == [150.0]  # 3 h × 50
    assert staff["hours"].to_list() == [3.0]


def test_hours_of_unknown_employee_have_no_amount():
    costs = conform(
        "costs",
        pl.DataFrame(
            {
                "month": [date(2025, 1, 1)],
                "category": ["staff_hours"],
                "platform": ["x"],
                "employee_id": ["ghost"],
                "amount": [2.0],
            }
        ),
    )
    assert roi.price_costs(costs, EMPLOYEES)["amount"].to_list() == [None]


def test_totals_by_hand():
    priced = roi.price_costs(COSTS, EMPLOYEES)
    t = roi.roi_totals(CREDITS, priced)
    # cost: 150 staff + 200 Facebook ads + 100 tools; Google ads are not social
    assert t["cost"] == 450.0
    assert t["staff_cost"] == 150.0
    assert t["revenue"] == 1500.0  # 500 LinkedIn + 1000 paid social
    assert t["pipeline"] == 400.0
    assert t["leads"] == 1.5
    assert t["deals"] == 1.5
    assert t["roi"] == pytest.approx((1500 - 450) / 450)
    assert t["cost_per_lead"] == pytest.approx(300.0)
    assert t["cost_per_deal"] == pytest.approx(300.0)


def test_roi_staff_time_plus_ad_spend():
    # the example: 3 h × $50 + $200 ads = $350 cost, $1,000 revenue → ROI 1.857…
    credits = _credits([("deal", "linkedin", "linkedin", "e1", FEB, 1.0, 1000.0)])
    costs = COSTS.filter(pl.col("category").is_in(["staff_hours", "ad_spend"]))
    t = roi.roi_totals(credits, roi.price_costs(costs, EMPLOYEES))
    assert t["cost"] == 350.0
    assert t["roi"] == pytest.approx(650 / 350)
    assert t["cost_per_deal"] == 350.0
    assert t["cost_per_lead"] is None


def test_by_platform():
    tbl = roi.roi_table(CREDITS, roi.price_costs(COSTS, EMPLOYEES), "platform")
    rows = {r["platform"]: r for r in tbl.iter_rows(named=True)}
    assert set(rows) == {"facebook", "linkedin", "x", roi.SHARED}
    assert rows["facebook"]["revenue"] == 1000.0
    assert rows["facebook"]["cost"] == 200.0
    assert rows["facebook"]["roi"] == pytest.approx(4.0)
    assert rows["linkedin"]["revenue"] == 500.0
    assert rows["linkedin"]["cost"] == 150.0
    assert rows["linkedin"]["leads"] == 1.5
    assert rows["linkedin"]["cost_per_lead"] == pytest.approx(100.0)
    assert rows["x"]["pipeline"] == 400.0
    assert rows["x"]["roi"] is None  # no cost
    assert rows[roi.SHARED]["cost"] == 100.0
    assert tbl["cost"].sum() == 450.0
    assert tbl["platform"][0] == "facebook"  # biggest revenue first


def test_by_employee():
    tbl = roi.roi_table(CREDITS, roi.price_costs(COSTS, EMPLOYEES), "employee")
    rows = {r["employee"]: r for r in tbl.iter_rows(named=True)}
    assert rows["e1"]["revenue"] == 500.0
    assert rows["e1"]["cost"] == 150.0
    assert rows["e1"]["staff_cost"] == 150.0
    assert rows["e1"]["roi"] == pytest.approx(350 / 150)
    assert rows["e2"]["leads"] == 0.5
    assert rows[roi.NO_EMPLOYEE]["revenue"] == 1000.0
    assert rows[roi.NO_EMPLOYEE]["cost"] == 300.0


def test_by_month():
    tbl = roi.roi_table(CREDITS, roi.price_costs(COSTS, EMPLOYEES), "month")
    assert tbl["month"].to_list() == [date(2025, 1, 1), date(2025, 2, 1)]
    assert tbl["cost"].to_list() == [150.0, 300.0]
    assert tbl["revenue"].to_list() == [0.0, 1500.0]
    assert tbl["leads"].to_list() == [1.5, 0.0]
    assert tbl["roi"].to_list()[0] == pytest.approx(-1.0)


def test_empty_inputs_give_zero_totals():
    credits = CREDITS.clear()
    t = roi.roi_totals(credits, roi.price_costs(COSTS.clear(), EMPLOYEES))
    assert t["cost"] == 0.0
    assert t["roi"] is None
    assert roi.roi_table(credits, roi.price_costs(COSTS.clear(), EMPLOYEES), "platform").height == 0
