"""Policy changes marked on the monthly trend: one mark per real change, grouped by date."""

from datetime import date

import polars as pl

from socialroi.reports.figures import _trend


def periods(rows: list[tuple[str, date, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["team", "from", "policy"], orient="row")


def test_team_rows_that_continue_the_company_policy_are_not_changes():
    pp = periods(
        [
            ("*", date(2024, 1, 1), "blanket_ban"),
            ("*", date(2024, 9, 1), "acceptable_use"),
            ("Sales", date(2025, 3, 1), "employee_advocacy"),
            ("Marketing", date(2025, 3, 1), "employee_advocacy"),
            ("Support", date(2025, 3, 1), "acceptable_use"),
        ]
    )
    assert _trend._policy_changes(pp) == [
        (date(2024, 1, 1), "Ban social media at work"),
        (date(2024, 9, 1), "Acceptable use"),
        (date(2025, 3, 1), "Employee advocacy: Marketing, Sales"),
    ]


def test_two_policies_on_one_date_share_one_label_and_team_names_are_escaped():
    pp = periods(
        [
            ("*", date(2024, 1, 1), "acceptable_use"),
            ("<b>Ops</b>", date(2024, 6, 1), "training"),
            ("Sales", date(2024, 6, 1), "employee_advocacy"),
        ]
    )
    (_, label) = _trend._policy_changes(pp)[1]
    assert label == "Employee advocacy: Sales; Training: &lt;b&gt;Ops&lt;/b&gt;"
    fig = _trend.make_monthly_trend(
        pl.DataFrame(
            {
                "month": [date(2024, 5, 1), date(2024, 6, 1)],
                "social_revenue": [1.0, 2.0],
                "cost": [1.0, 1.0],
                "social_leads": [1.0, 1.0],
                "leads": [2.0, 2.0],
                "social_deals": [0.0, 1.0],
            }
        ),
        pp,
        currency="USD",
    )
    # the change on Jun 2024 is drawn (a line and its legend entry); the one before the first
    # month is only listed under the chart, so it cannot stretch the axis
    assert len(fig.layout.shapes) == 1
    legend = [t.name.replace("<br>", " ") for t in fig.data if t.x == (None,)]
    assert legend == ["Jun 2024: Employee advocacy: Sales; Training: &lt;b&gt;Ops&lt;/b&gt;"]
    assert not fig.layout.annotations
