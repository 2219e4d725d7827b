"""A tiny company whose numbers can be worked out by hand (used by tests/core and tests/reports).

Under the linear model at AS_OF:

* Carla (c1): LinkedIn click on Ana's post p1, then a direct visit; lead L1; deal D1 won 1,000.
  Half of each goes to LinkedIn: 500 revenue, 0.5 deal, 0.5 lead, all Ana's.
* Dan (c2): a paid Facebook click; lead L2; deal D2 won 2,000 → all Facebook. D5 (300) closes
  after AS_OF, so at AS_OF it is open pipeline, credited to Facebook.
* Eve (c3): a web session from Ana's tracked link to p1 (session s4); lead L3; open deal D3 (500)
  → pipeline on LinkedIn.
* Fay (c4): no touch; deal D4 won 700 → unattributed.
* Costs: 3 staff hours of Ana at 50 (150, LinkedIn), 200 Facebook ads, 100 tools (no platform);
  999 of Google ads are not social and a May bill is after AS_OF.

So: social revenue 2,500; social cost 450; ROI (2500 − 450) / 450 = 4.5556; social leads 2.5;
social deals 1.5; cost per lead 180; cost per deal 300; social pipeline 800.
Sessions: LinkedIn 3 (1 matched), Facebook 1 (0 matched).

Network: Carla referred Dan, and Ana met Carla on LinkedIn, so with decay 0.5 Dan's won D2 (2,000)
gives Carla 1,000 of network revenue: one chain, root Carla, employee Ana. After their last
conversions Carla mentions Ana and Eve replies to Ben: ties for the influence graph that credit
nothing under the rule models.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from socialroi.schema import conform

AS_OF = datetime(2025, 4, 1, tzinfo=UTC)


def _ts(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def _frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return conform(name, pl.DataFrame(rows, infer_schema_length=None))


def tables(**text: str) -> dict[str, pl.DataFrame]:
    """The fixture tables. Keyword overrides set free text: post, contact, deal, campaign,
    employee, handle."""
    post = text.get("post", "Our new product is out")
    contact = text.get("contact", "Carla Ruiz")
    deal = text.get("deal", "Globex renewal")
    campaign = text.get("campaign", "spring")
    employee = text.get("employee", "Ana Diaz")
    handle = text.get("handle", "@ana")
    return {
        "employees": _frame(
            "employees",
            [
                {
                    "employee_id": "e1",
                    "name": employee,
                    "team": "sales",
                    "loaded_hourly_cost": 50.0,
                },
                {
                    "employee_id": "e2",
                    "name": "Ben Okafor",
                    "team": "marketing",
                    "loaded_hourly_cost": 40.0,
                },
            ],
        ),
        "accounts": _frame(
            "accounts",
            [
                {"platform": "linkedin", "account_id": "a1", "handle": handle, "owner": "e1"},
                {"platform": "facebook", "account_id": "a2", "handle": "acme", "owner": "brand"},
            ],
        ),
        "posts": _frame(
            "posts",
            [
                {
                    "platform": "linkedin",
                    "post_id": "p1",
                    "account_id": "a1",
                    "created_at": _ts(2025, 1, 5),
                    "text": post,
                    "kind": "broadcast",
                    "campaign": campaign,
                },
                {
                    "platform": "facebook",
                    "post_id": "p2",
                    "account_id": "a2",
                    "created_at": _ts(2025, 1, 10),
                    "text": "Winter sale",
                    "kind": "broadcast",
                    "campaign": "promo",
                },
            ],
        ),
        "contacts": _frame(
            "contacts",
            [
                {"contact_id": "c1", "name": contact, "company": "Globex"},
                {
                    "contact_id": "c2",
                    "name": "Dan Wu",
                    "company": "Initech",
                    "referred_by": "c1",
                },
                {"contact_id": "c3", "name": "Eve Stone", "company": "Umbrella"},
                {"contact_id": "c4", "name": "Fay Lin", "company": "Hooli"},
            ],
        ),
        "sessions": _frame(
            "sessions",
            [
                {
                    "session_id": "s1",
                    "started_at": _ts(2025, 1, 7),
                    "source": "linkedin.com",
                    "medium": "social",
                },
                {
                    "session_id": "s2",
                    "started_at": _ts(2025, 1, 8),
                    "source": "linkedin.com",
                    "medium": "social",
                },
                {
                    "session_id": "s3",
                    "started_at": _ts(2025, 1, 11),
                    "source": "facebook.com",
                    "medium": "social",
                },
                {
                    "session_id": "s4",
                    "started_at": _ts(2025, 2, 1),
                    "source": "linkedin.com",
                    "medium": "social",
                    "content": "sr~linkedin~p1~e1",
                    "contact_id": "c3",
                },
            ],
        ),
        "touchpoints": _frame(
            "touchpoints",
            [
                {
                    "contact_id": "c1",
                    "ts": _ts(2025, 1, 6),
                    "channel": "linkedin",
                    "ref": "t1",
                    "platform": "linkedin",
                    "kind": "post_click",
                    "post_id": "p1",
                    "employee_id": "e1",
                    "campaign": campaign,
                },
                {
                    "contact_id": "c1",
                    "ts": _ts(2025, 1, 20),
                    "channel": "direct",
                    "ref": "t2",
                    "kind": "direct",
                },
                {
                    "contact_id": "c2",
                    "ts": _ts(2025, 2, 10),
                    "channel": "paid_social",
                    "ref": "t3",
                    "platform": "facebook",
                    "kind": "paid",
                    "post_id": "p2",
                    "campaign": "promo",
                },
                {
                    "contact_id": "c1",
                    "ts": _ts(2025, 3, 1),
                    "channel": "linkedin",
                    "ref": "t4",
                    "platform": "linkedin",
                    "kind": "mention",
                    "employee_id": "e1",
                },
                {
                    "contact_id": "c3",
                    "ts": _ts(2025, 3, 20),
                    "channel": "facebook",
                    "ref": "t5",
                    "platform": "facebook",
                    "kind": "reply",
                    "employee_id": "e2",
                },
            ],
        ),
        "leads": _frame(
            "leads",
            [
                {"lead_id": "L1", "contact_id": "c1", "created_at": _ts(2025, 1, 21)},
                {"lead_id": "L2", "contact_id": "c2", "created_at": _ts(2025, 2, 11)},
                {"lead_id": "L3", "contact_id": "c3", "created_at": _ts(2025, 2, 2)},
            ],
        ),
        "deals": _frame(
            "deals",
            [
                {
                    "deal_id": "D1",
                    "contact_id": "c1",
                    "name": deal,
                    "created_at": _ts(2025, 2, 1),
                    "closed_at": _ts(2025, 2, 15),
                    "stage": "won",
                    "won": True,
                    "amount": 1000.0,
                },
                {
                    "deal_id": "D2",
                    "contact_id": "c2",
                    "name": "Initech rollout",
                    "created_at": _ts(2025, 2, 20),
                    "closed_at": _ts(2025, 3, 10),
                    "stage": "won",
                    "won": True,
                    "amount": 2000.0,
                },
                {
                    "deal_id": "D3",
                    "contact_id": "c3",
                    "name": "Umbrella pilot",
                    "created_at": _ts(2025, 3, 1),
                    "stage": "proposal",
                    "amount": 500.0,
                },
                {
                    "deal_id": "D4",
                    "contact_id": "c4",
                    "name": "Hooli order",
                    "created_at": _ts(2025, 3, 5),
                    "closed_at": _ts(2025, 3, 20),
                    "stage": "won",
                    "won": True,
                    "amount": 700.0,
                },
                {
                    "deal_id": "D5",
                    "contact_id": "c2",
                    "name": "Initech add-on",
                    "created_at": _ts(2025, 3, 15),
                    "closed_at": _ts(2025, 4, 15),
                    "stage": "won",
                    "won": True,
                    "amount": 300.0,
                },
            ],
        ),
        "costs": _frame(
            "costs",
            [
                {
                    "month": date(2025, 1, 1),
                    "category": "staff_hours",
                    "platform": "linkedin",
                    "employee_id": "e1",
                    "amount": 3.0,
                },
                {
                    "month": date(2025, 2, 1),
                    "category": "ad_spend",
                    "platform": "facebook",
                    "employee_id": "",
                    "amount": 200.0,
                },
                {
                    "month": date(2025, 2, 1),
                    "category": "tools",
                    "platform": "",
                    "employee_id": "",
                    "amount": 100.0,
                },
                {
                    "month": date(2025, 3, 1),
                    "category": "ad_spend",
                    "platform": "google",
                    "employee_id": "",
                    "amount": 999.0,
                },
                {
                    "month": date(2025, 5, 1),
                    "category": "ad_spend",
                    "platform": "facebook",
                    "employee_id": "",
                    "amount": 5000.0,
                },
            ],
        ),
        "policy_periods": _frame(
            "policy_periods",
            [
                {
                    "team": "*",
                    "from": date(2025, 1, 1),
                    "to": date(2025, 3, 1),
                    "policy": "acceptable_use",
                },
                {"team": "*", "from": date(2025, 3, 1), "policy": "employee_advocacy"},
            ],
        ),
    }
