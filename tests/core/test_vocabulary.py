"""One vocabulary for platform and channel names, and the one definition of social."""

from collections.abc import Sequence

import polars as pl
import pytest

from socialroi import schema
from socialroi.core import channels, vocabulary
from socialroi.core.vocabulary import (
    PLATFORM_ALIASES,
    SOCIAL_SOURCES,
    channel_expr,
    channel_of,
    is_social,
    platform_expr,
    platform_of,
    social_platform_of,
)


def column(expr_fn, values: Sequence[str | None]) -> list[object]:
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return df.select(expr_fn(pl.col("v")))["v"].to_list()


PLATFORMS = [
    ("x", "x"),
    ("Twitter", "x"),
    ("twitter.com", "x"),
    ("X.com", "x"),
    ("t.co", "x"),
    ("mobile.twitter.com", "x"),
    ("LinkedIn", "linkedin"),
    ("linkedin.com", "linkedin"),
    ("lnkd.in", "linkedin"),
    ("Linked In", "linkedin"),
    ("LinkedIn Ads", "linkedin"),
    ("Facebook", "facebook"),
    ("FB", "facebook"),
    ("facebook.com", "facebook"),
    ("m.facebook.com", "facebook"),
    ("l.facebook.com", "facebook"),
    ("lm.facebook.com", "facebook"),
    ("fb.me", "facebook"),
    ("Instagram", "instagram"),
    ("IG", "instagram"),
    ("instagram.com", "instagram"),
    ("l.instagram.com", "instagram"),
    ("Mastodon", "mastodon"),
    ("mastodon.social", "mastodon"),
    ("Bluesky", "bluesky"),
    ("bsky", "bluesky"),
    ("bsky.app", "bluesky"),
    ("google_ads", "google_ads"),
    ("Google Ads", "google_ads"),
    ("AdWords", "google_ads"),
    ("Google AdWords", "google_ads"),
    ("GA4", "ga4"),
    ("Google Analytics", "ga4"),
    ("HubSpot", "hubspot"),
    # spelling noise: spaces, www., a trailing dot, a URL (its host)
    ("  LinkedIn  ", "linkedin"),
    ("Google   Ads", "google_ads"),
    ("www.LinkedIn.com", "linkedin"),
    ("linkedin.com.", "linkedin"),
    ("www.facebook.com.", "facebook"),
    ("https://www.linkedin.com/feed/update/urn:li:activity:7712/", "linkedin"),
    ("http://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com", "facebook"),
    ("HTTPS://T.CO/abc123", "x"),
    ("lnkd.in/abc", "linkedin"),
    ("www.facebook.com/ourpage/", "facebook"),
]


@pytest.mark.parametrize(("text", "platform"), PLATFORMS)
def test_platform_of_reads_names_domains_and_urls(text, platform):
    assert platform_of(text) == platform


@pytest.mark.parametrize(
    "text", [None, "", "tiktok", "example.com", "https://example.com/x", "xx", "n/a"]
)
def test_platform_of_is_none_for_unknown_text(text):
    assert platform_of(text) is None


def test_platform_expr_agrees_and_keeps_unknown_names_lower_cased():
    texts = [t for t, _ in PLATFORMS]
    assert column(platform_expr, texts) == [p for _, p in PLATFORMS]
    assert column(platform_expr, [" TikTok ", "Reddit", None, "https://Example.com/"]) == [
        "tiktok",
        "reddit",
        None,
        "https://example.com/",
    ]


def test_every_alias_is_lower_case_and_names_a_known_platform():
    known = {*schema.SOCIAL_PLATFORMS, *vocabulary.OTHER_PLATFORMS}
    assert all(a == a.lower().strip() for a in PLATFORM_ALIASES)
    assert set(PLATFORM_ALIASES.values()) == known
    assert vocabulary.SOCIAL_PLATFORMS is schema.SOCIAL_PLATFORMS


def test_social_sources_are_the_social_aliases_and_core_channels_shares_them():
    assert channels.SOCIAL_SOURCES is SOCIAL_SOURCES
    assert SOCIAL_SOURCES["lnkd.in"] == "linkedin"
    assert SOCIAL_SOURCES["t.co"] == "x"
    assert "google ads" not in SOCIAL_SOURCES
    assert "hubspot" not in SOCIAL_SOURCES
    assert social_platform_of("Google Ads") is None
    assert social_platform_of("https://lnkd.in/abc") == "linkedin"


CHANNELS = [
    # platform aliases
    ("LinkedIn", "linkedin"),
    ("lnkd.in", "linkedin"),
    ("Twitter", "x"),
    ("FB", "facebook"),
    ("https://www.instagram.com/p/abc", "instagram"),
    # HubSpot source labels and enums
    ("Social media", "social_other"),
    ("SOCIAL_MEDIA", "social_other"),
    ("Paid social", "paid_social"),
    ("PAID_SOCIAL", "paid_social"),
    ("Organic search", "organic_search"),
    ("ORGANIC_SEARCH", "organic_search"),
    ("Paid search", "paid_search"),
    ("PAID_SEARCH", "paid_search"),
    ("Email marketing", "email"),
    ("EMAIL_MARKETING", "email"),
    ("Referrals", "referral"),
    ("AI referrals", "referral"),
    ("AI_REFERRALS", "referral"),
    ("Direct traffic", "direct"),
    ("DIRECT_TRAFFIC", "direct"),
    ("Other campaigns", "other"),
    ("OTHER_CAMPAIGNS", "other"),
    ("Offline sources", "offline"),
    ("OFFLINE", "offline"),
    # Salesforce lead sources
    ("Web", "other"),
    ("Social", "social_other"),
    ("Social Media", "social_other"),
    ("Phone Inquiry", "offline"),
    ("Partner Referral", "referral"),
    ("Employee Referral", "referral"),
    ("Purchased List", "other"),
    ("Trade Show", "offline"),
    ("Seminar - Internal", "offline"),
    ("Other", "other"),
    # an ad system as a channel is paid search
    ("Google Ads", "paid_search"),
    # canonical names unchanged, whatever their case
    ("social_other", "social_other"),
    ("paid_social", "paid_social"),
    ("Organic_Search", "organic_search"),
    ("email", "email"),
    ("x", "x"),
    # unknown: lower-cased, trimmed
    ("  Podcast Ads ", "podcast ads"),
    ("TikTok", "tiktok"),
]


@pytest.mark.parametrize(("text", "channel"), CHANNELS)
def test_channel_of_reads_crm_and_sheet_spellings(text, channel):
    assert channel_of(text) == channel


def test_channel_expr_agrees_with_channel_of():
    texts = [t for t, _ in CHANNELS]
    assert column(channel_expr, [*texts, None, "  "]) == [c for _, c in CHANNELS] + [None, None]
    assert channel_of(None) is None
    assert channel_of("  ") is None


def test_is_social_is_platforms_social_other_and_paid_social():
    values = [
        "linkedin",
        "x",
        "facebook",
        "instagram",
        "mastodon",
        "bluesky",
        "social_other",
        "paid_social",
        "organic_search",
        "paid_search",
        "email",
        "referral",
        "direct",
        "offline",
        "other",
        "google_ads",
        "tiktok",
        "LinkedIn",  # not canonical: normalise first
        None,
    ]
    assert column(lambda e: is_social(e).alias("v"), values) == [True] * 8 + [False] * 11


def test_is_social_after_channel_expr_counts_crm_spellings():
    got = column(
        lambda e: is_social(channel_expr(e)).alias("v"),
        ["LinkedIn", "Social media", "PAID_SOCIAL", "Organic search", "Web", "Google Ads"],
    )
    assert got == [True, True, True, False, False, False]
