"""One vocabulary for platform and channel names: aliases, case, and what counts as social.

Imports, pulls, the core and the reports all spell platforms and channels through this module,
so ``LinkedIn``, ``linkedin.com``, ``lnkd.in`` and ``https://www.linkedin.com/feed/`` are the
same platform, ``linkedin``, wherever they come from.

Platforms
    :data:`PLATFORM_ALIASES` maps a lower-case alias (a name, a domain, a short-link host) to the
    canonical platform. The social ones are :data:`SOCIAL_PLATFORMS` (from :mod:`socialroi.schema`);
    ``google_ads``, ``ga4`` and ``hubspot`` are known but not social. :func:`platform_of` reads
    a name or a URL and returns the platform or None; :func:`platform_expr` does the same for a
    column and keeps unknown names lower-cased and trimmed (a cost for ``TikTok`` stays
    ``tiktok``: visible, but never social).

Channels
    A touch's channel is a social platform, ``social_other`` (organic social, platform unknown),
    ``paid_social``, ``organic_search``, ``paid_search``, ``email``, ``referral``, ``direct``,
    ``offline`` or ``other``. :func:`channel_of` / :func:`channel_expr` read the channel names CRMs
    and hand-made sheets write:

    ===========================================================  ====================
    written as (any case, ``_``/``-``/space alike)              channel
    ===========================================================  ====================
    a social platform alias (``LinkedIn``, ``lnkd.in``, ``FB``)  the platform
    HubSpot ``Social media`` / ``SOCIAL_MEDIA``; ``Social``,    ``social_other``
    ``Organic social``, ``Social network``
    HubSpot ``Paid social`` / ``PAID_SOCIAL``                   ``paid_social``
    HubSpot ``Organic search``; ``SEO``, ``Search``             ``organic_search``
    HubSpot ``Paid search``; ``PPC``, ``CPC``, ``SEM``,         ``paid_search``
    ``Google Ads``, ``AdWords``
    HubSpot ``Email marketing``; ``Email``, ``Newsletter``      ``email``
    HubSpot ``Referrals``, ``AI referrals``; Salesforce         ``referral``
    ``Partner Referral``, ``Employee Referral``, ``External
    Referral``, ``Partner``, ``Word of mouth``
    HubSpot ``Direct traffic``; ``Direct``                      ``direct``
    HubSpot ``Offline sources``; Salesforce ``Phone Inquiry``,  ``offline``
    ``Trade Show``, ``Seminar - Internal``, ``Seminar -
    Partner``; ``Event``, ``Phone``
    HubSpot ``Other campaigns``; Salesforce ``Web``,            ``other``
    ``Website``, ``Purchased List``, ``Advertisement``,
    ``Other``
    a canonical channel name                                    itself
    anything else                                               lower-cased, trimmed
    ===========================================================  ====================

    Salesforce's standard ``Lead Source`` picklist says how a lead arrived, not which site sent
    the visitor: ``Web`` is a web form whose origin is unknown, so it is ``other`` (not
    ``direct``, which would claim the visitor typed the address); ``Social`` / ``Social Media``
    is organic social with no platform named, ``social_other``.

What is social
    :func:`is_social` is the one definition: a channel that is a social platform,
    ``social_other`` or ``paid_social``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import polars as pl

from socialroi.schema import SOCIAL_PLATFORMS

#: Channel of an organic social touch or session whose platform nobody names.
SOCIAL_OTHER = "social_other"
#: Channel of a paid social touch or session (the platform, when known, is in ``platform``).
PAID_SOCIAL = "paid_social"

#: Platforms socialroi knows that are not social (ad, analytics and CRM systems).
OTHER_PLATFORMS: tuple[str, ...] = ("google_ads", "ga4", "hubspot")

#: Lower-case alias (name, domain or short-link host) → canonical platform.
PLATFORM_ALIASES: dict[str, str] = {
    # X (Twitter)
    "x": "x",
    "twitter": "x",
    "x.com": "x",
    "twitter.com": "x",
    "mobile.twitter.com": "x",
    "mobile.x.com": "x",
    "t.co": "x",
    "x (twitter)": "x",
    # LinkedIn
    "linkedin": "linkedin",
    "linked in": "linkedin",
    "linkedin.com": "linkedin",
    "lnkd.in": "linkedin",
    "linkedin ads": "linkedin",
    # Facebook
    "facebook": "facebook",
    "fb": "facebook",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "l.facebook.com": "facebook",
    "lm.facebook.com": "facebook",
    "fb.me": "facebook",
    "facebook ads": "facebook",
    # Instagram
    "instagram": "instagram",
    "ig": "instagram",
    "instagram.com": "instagram",
    "l.instagram.com": "instagram",
    # Mastodon
    "mastodon": "mastodon",
    "mastodon.social": "mastodon",
    # Bluesky
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "bsky.app": "bluesky",
    # not social
    "google_ads": "google_ads",
    "google ads": "google_ads",
    "adwords": "google_ads",
    "google adwords": "google_ads",
    "ga4": "ga4",
    "google analytics": "ga4",
    "google analytics 4": "ga4",
    "hubspot": "hubspot",
}

#: The aliases that name a social platform (a web session's source, a referrer host…).
SOCIAL_SOURCES: dict[str, str] = {
    alias: platform for alias, platform in PLATFORM_ALIASES.items() if platform in SOCIAL_PLATFORMS
}

#: The ``utm_source`` a tracked link for each social platform carries (its usual source name).
UTM_SOURCES: dict[str, str] = {
    "x": "x",
    "linkedin": "linkedin",
    "facebook": "facebook",
    "instagram": "instagram",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
}

#: Channels the core understands, besides the social platforms.
CHANNELS: tuple[str, ...] = (
    SOCIAL_OTHER,
    PAID_SOCIAL,
    "organic_search",
    "paid_search",
    "email",
    "referral",
    "direct",
    "offline",
    "other",
)

#: Channel names as CRMs and sheets write them (normalised: lower case, ``_``/``-`` as spaces,
#: spaces collapsed) → canonical channel. Platform aliases are looked up first.
CHANNEL_ALIASES: dict[str, str] = {
    # social, platform unknown
    "social media": SOCIAL_OTHER,
    "social": SOCIAL_OTHER,
    "organic social": SOCIAL_OTHER,
    "social network": SOCIAL_OTHER,
    "social other": SOCIAL_OTHER,
    # paid social
    "paid social": PAID_SOCIAL,
    "social ads": PAID_SOCIAL,
    "paid social media": PAID_SOCIAL,
    # search
    "organic search": "organic_search",
    "search": "organic_search",
    "seo": "organic_search",
    "paid search": "paid_search",
    "ppc": "paid_search",
    "cpc": "paid_search",
    "sem": "paid_search",
    # e-mail
    "email marketing": "email",
    "email": "email",
    "e mail": "email",
    "newsletter": "email",
    # referral
    "referrals": "referral",
    "referral": "referral",
    "ai referrals": "referral",
    "partner referral": "referral",
    "employee referral": "referral",
    "external referral": "referral",
    "partner": "referral",
    "word of mouth": "referral",
    # direct
    "direct traffic": "direct",
    "direct": "direct",
    # offline
    "offline sources": "offline",
    "offline": "offline",
    "phone inquiry": "offline",
    "phone": "offline",
    "trade show": "offline",
    "seminar internal": "offline",
    "seminar partner": "offline",
    "event": "offline",
    "events": "offline",
    # search ads (the ad system, as a channel, is paid search)
    "google ads": "paid_search",
    "google adwords": "paid_search",
    "adwords": "paid_search",
    # other
    "other campaigns": "other",
    "other": "other",
    "web": "other",
    "website": "other",
    "purchased list": "other",
    "advertisement": "other",
}

_URL_RE = r"^[a-z][a-z0-9+.\-]*://"


def _platform_key(text: str) -> str:
    """`text` as a key of PLATFORM_ALIASES: lower case, trimmed, URL host, no ``www.``/dot."""
    key = " ".join(text.strip().lower().split())
    if re.match(_URL_RE, key):
        try:
            key = urlsplit(key).hostname or ""
        except ValueError:
            key = ""
    elif "/" in key and " " not in key:  # a host and path without a scheme: linkedin.com/feed
        key = key.split("/", 1)[0]
    return key.removeprefix("www.").rstrip(".")


def platform_of(text: str | None) -> str | None:
    """The canonical platform `text` names (a name, a domain or a URL), or None when unknown.

    Case, surrounding and repeated spaces, ``www.``, a trailing dot and everything of a URL
    but its host are ignored: ``https://www.LinkedIn.com/feed/`` and ``linkedin.com/feed`` are
    ``linkedin``.
    """
    if text is None:
        return None
    return PLATFORM_ALIASES.get(_platform_key(text))


def _key_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`_platform_key`."""
    low = expr.cast(pl.String).str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
    host = low.str.extract(r"^[a-z][a-z0-9+.\-]*://(?:[^@/?#]*@)?([^/?#:]*)", 1)
    bare = pl.when(low.str.contains("/") & ~low.str.contains(" ")).then(
        low.str.split("/").list.first()
    )
    return (
        pl.when(low.str.contains(_URL_RE))
        .then(host.fill_null(""))
        .otherwise(pl.coalesce(bare, low))
        .str.strip_prefix("www.")
        .str.strip_suffix(".")
    )


def social_platform_of(text: str | None) -> str | None:
    """The social platform `text` names, or None (also for ``google_ads``, ``ga4``…)."""
    platform = platform_of(text)
    return platform if platform in SOCIAL_PLATFORMS else None


def social_platform_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`social_platform_of`: the social platform, or null."""
    return _key_expr(expr).replace_strict(SOCIAL_SOURCES, default=None, return_dtype=pl.String)


def platform_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`platform_of`; unknown names are kept lower-cased and trimmed.

    ``LinkedIn`` → ``linkedin``, ``lnkd.in`` → ``linkedin``, ``TikTok`` → ``tiktok``; null stays
    null. The result is named as `expr`.
    """
    low = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    known = _key_expr(expr).replace_strict(PLATFORM_ALIASES, default=None, return_dtype=pl.String)
    return pl.coalesce(known, low)


def _channel_key(text: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", text.strip().lower()).split())


_CANONICAL_CHANNELS: frozenset[str] = frozenset((*SOCIAL_PLATFORMS, *CHANNELS))


def channel_of(text: str | None) -> str | None:
    """The canonical channel `text` names (see the module doc); unknown text lower-cased.

    None and blank text give None.
    """
    if text is None or not text.strip():
        return None
    low = text.strip().lower()
    if low in _CANONICAL_CHANNELS:
        return low
    platform = social_platform_of(text)
    if platform is not None:
        return platform
    return CHANNEL_ALIASES.get(_channel_key(text), low)


def channel_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`channel_of` (named as `expr`); null stays null, blank text becomes null."""
    low = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    canonical = pl.when(low.is_in(list(_CANONICAL_CHANNELS))).then(low)
    platform = social_platform_expr(expr)
    key = low.str.replace_all(r"[_\-]", " ").str.replace_all(r"\s+", " ").str.strip_chars()
    alias = key.replace_strict(CHANNEL_ALIASES, default=None, return_dtype=pl.String)
    return pl.when(low != "").then(pl.coalesce(canonical, platform, alias, low))


#: The channels that are social: every social platform, ``social_other`` and ``paid_social``.
SOCIAL_CHANNELS: tuple[str, ...] = (*SOCIAL_PLATFORMS, SOCIAL_OTHER, PAID_SOCIAL)


def is_social(channel: pl.Expr) -> pl.Expr:
    """True where `channel` (a canonical channel) is social: a social platform, ``social_other``
    or ``paid_social``. Null channels are not social (False, not null)."""
    return channel.is_in(list(SOCIAL_CHANNELS)).fill_null(False)


__all__ = [
    "CHANNELS",
    "CHANNEL_ALIASES",
    "OTHER_PLATFORMS",
    "PAID_SOCIAL",
    "PLATFORM_ALIASES",
    "SOCIAL_CHANNELS",
    "SOCIAL_OTHER",
    "SOCIAL_PLATFORMS",
    "SOCIAL_SOURCES",
    "UTM_SOURCES",
    "channel_expr",
    "channel_of",
    "is_social",
    "platform_expr",
    "platform_of",
    "social_platform_expr",
    "social_platform_of",
]
