"""What counts as social is stated once here, and every consumer is checked against it.

One contact per web channel, each with a session matched to them (by contact id), a lead the
next day and a deal won two days later for 1,000; plus one anonymous session per channel. So for
every consumer the social figures are "1 per social channel" and the others nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from socialroi import schema
from socialroi.core import vocabulary
from socialroi.core.kpis import Analysis, compute
from socialroi.core.vocabulary import is_organic_social, is_social

#: THE definition: the social platforms, organic social with no platform named, paid social.
SOCIAL = {
    "x",
    "linkedin",
    "facebook",
    "instagram",
    "mastodon",
    "bluesky",
    "social_other",
    "paid_social",
}
NOT_SOCIAL = {"organic_search", "paid_search", "email", "referral", "direct", "offline", "other"}

#: A web session for each channel, as analytics tools write source / medium.
SESSIONS: dict[str, tuple[str, str]] = {
    "linkedin": ("lnkd.in", "referral"),
    "x": ("t.co", "referral"),
    "facebook": ("l.facebook.com", "referral"),
    "instagram": ("instagram.com", "referral"),
    "mastodon": ("mastodon.social", "referral"),
    "bluesky": ("bsky.app", "referral"),
    "social_other": ("reddit.com", "social"),  # a social medium from a site with no platform
    "paid_social": ("facebook", "cpc"),
    "organic_search": ("google", "organic"),
    "paid_search": ("google", "cpc"),
    "email": ("newsletter", "email"),
    "referral": ("partner.example", "referral"),
    "direct": ("(direct)", "(none)"),
    "other": ("qr-flyer", "print"),
}
WEB_SOCIAL = SOCIAL & set(SESSIONS)
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


def test_the_definition_is_the_vocabulary_s():
    assert set(vocabulary.SOCIAL_CHANNELS) == SOCIAL
    assert set(vocabulary.CHANNELS) | set(schema.SOCIAL_PLATFORMS) == SOCIAL | NOT_SOCIAL
    channels = [*sorted(SOCIAL | NOT_SOCIAL), None]
    got = pl.DataFrame({"c": channels}, schema={"c": pl.String}).select(
        is_social(pl.col("c")).alias("s"), is_organic_social(pl.col("c")).alias("o")
    )
    assert dict(zip(channels, got["s"], strict=True)) == {c: c in SOCIAL for c in channels}
    assert dict(zip(channels, got["o"], strict=True)) == {
        c: c in SOCIAL and c != "paid_social" for c in channels
    }


def _firm() -> dict[str, pl.DataFrame]:
    contacts: list[dict[str, object]] = []
    sessions: list[dict[str, object]] = []
    leads: list[dict[str, object]] = []
    deals: list[dict[str, object]] = []
    for i, (channel, (source, medium)) in enumerate(sorted(SESSIONS.items())):
        at = T0 + timedelta(days=i)
        cid = f"c-{channel}"
        contacts.append({"contact_id": cid, "name": f"Person {i}"})
        sessions.append(
            {"session_id": f"s-{channel}", "started_at": at, "source": source, "medium": medium,
             "contact_id": cid}
        )  # fmt: skip
        sessions.append(
            {"session_id": f"a-{channel}", "started_at": at, "source": source, "medium": medium,
             "visitor_id": f"v-{channel}"}
        )  # fmt: skip
        leads.append(
            {"lead_id": f"L-{channel}", "contact_id": cid, "created_at": at + timedelta(days=1)}
        )
        deals.append(
            {"deal_id": f"D-{channel}", "contact_id": cid, "created_at": at + timedelta(days=1),
             "closed_at": at + timedelta(days=3), "won": True, "amount": 1000.0}
        )  # fmt: skip
    frames: dict[str, list[dict[str, object]]] = {
        "contacts": contacts,
        "sessions": sessions,
        "leads": leads,
        "deals": deals,
    }
    return {name: schema.conform(name, pl.DataFrame(rows)) for name, rows in frames.items()}


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return compute(_firm(), as_of=AS_OF, model="first_touch", compare=("first_touch",))


def test_every_session_is_classified_as_the_definition_expects(analysis):
    touches = analysis.identity.touchpoints
    got = dict(zip(touches["ref"], touches["channel"], strict=True))
    assert got == {f"s-{c}": c for c in SESSIONS}


def test_roi_counts_revenue_leads_and_deals_of_social_channels_only(analysis):
    s = analysis.summary
    assert s.revenue == pytest.approx(1000.0 * len(WEB_SOCIAL))
    assert s.leads == pytest.approx(len(WEB_SOCIAL))
    assert s.deals == pytest.approx(len(WEB_SOCIAL))
    assert s.all_revenue == pytest.approx(1000.0 * len(SESSIONS))


def test_the_identity_match_rate_counts_social_sessions_only(analysis):
    rate = analysis.identity.match_rate
    total = rate.filter(pl.col("platform") == "(all social)").row(0, named=True)
    assert (total["sessions"], total["matched"]) == (2 * len(WEB_SOCIAL), len(WEB_SOCIAL))
    per = rate.filter(pl.col("platform") != "(all social)")
    # a paid social session from facebook counts under facebook
    assert dict(zip(per["platform"], per["sessions"], strict=True)) == {
        **dict.fromkeys(WEB_SOCIAL - {"paid_social", "facebook"}, 2),
        "facebook": 4,
    }


def test_the_quality_table_shows_social_anonymous_sessions_only(analysis):
    q = analysis.quality
    assert q.match_rate.equals(analysis.identity.match_rate)
    assert int(q.anonymous["sessions"].sum()) == len(WEB_SOCIAL)
    assert "social_other" in set(q.anonymous["platform"])


def test_the_funnel_counts_social_sessions_contacts_leads_and_deals(analysis):
    funnel = dict(zip(analysis.funnel["stage"], analysis.funnel["count"], strict=True))
    n = len(WEB_SOCIAL)
    assert funnel["social web sessions"] == 2 * n
    assert funnel["contacts with a social touch"] == n
    assert funnel["leads with a social touch"] == n
    assert funnel["won deals with a social touch"] == n
    assert funnel["revenue of those deals"] == 1000.0 * n


def test_traced_deals_are_the_social_ones(analysis):
    assert set(analysis.traced["deal_id"]) == {f"D-{c}" for c in WEB_SOCIAL}


def test_a_crm_spelling_of_a_channel_is_the_same_channel():
    t = _firm()
    t["touchpoints"] = schema.conform(
        "touchpoints",
        pl.DataFrame(
            {
                "contact_id": ["c-direct"],
                "ts": [T0 - timedelta(days=1)],
                "channel": ["LinkedIn"],  # as HubSpot writes it
                "ref": ["hs-1"],
                "platform": ["LinkedIn"],
                "kind": ["engagement"],
            }
        ),
    )
    a = compute(t, as_of=AS_OF, model="first_touch", compare=("first_touch",))
    assert a.summary.revenue == pytest.approx(1000.0 * (len(WEB_SOCIAL) + 1))
    linkedin = a.roi_platform.filter(pl.col("platform") == "linkedin").row(0, named=True)
    assert linkedin["revenue"] == pytest.approx(2000.0)


def test_the_policy_funnel_uses_the_organic_part_of_the_definition(analysis):
    from socialroi.policy import funnel

    credits = analysis.credits["first_touch"]
    rows = funnel._social_credits(credits)
    assert set(rows["channel"]) == WEB_SOCIAL - {"paid_social"}
