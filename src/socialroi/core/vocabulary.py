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
    ``social_other`` or ``paid_social``. A web session with a social medium from a site that
    names no known platform (``reddit.com`` / ``social``) is ``social_other``, so it is social in
    ROI, identity, data quality and the funnels alike.

Post metrics
    :data:`ENGAGEMENT_COLUMNS` are the metrics that count as engagement (likes, comments, shares,
    saves; :func:`engagements` sums them); :func:`latest_snapshot` keeps each post's latest metrics.

Money
    :func:`money` (``$12,345``, ``CHF 12,345``) and :func:`short_money` (``+$38k``) write amounts in
    the reporting currency; :func:`currency_symbol` is the symbol shown for a currency code.

Attribution models
    :func:`check_model` is the one check of a model name: a ConfigError naming the models there are.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import polars as pl

from socialroi.errors import ConfigError
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


def is_organic_social(channel: pl.Expr) -> pl.Expr:
    """:func:`is_social` without ``paid_social``: a social platform or ``social_other``."""
    return is_social(channel) & (channel != PAID_SOCIAL).fill_null(False)


#: Post metrics that count as engagement.
ENGAGEMENT_COLUMNS: tuple[str, ...] = ("likes", "comments", "shares", "saves")


def engagements() -> pl.Expr:
    """Likes + comments + shares + saves of a post_metrics row (missing counts as 0), Int64,
    named ``engagements``."""
    return (
        pl.sum_horizontal(pl.col(c).fill_null(0) for c in ENGAGEMENT_COLUMNS)
        .cast(pl.Int64)
        .alias("engagements")
    )


def latest_snapshot(post_metrics: pl.DataFrame) -> pl.DataFrame:
    """Each post's latest metrics: one post_metrics row per (platform, post_id), the one with the
    greatest ``as_of`` (of rows with equal ``as_of``, the last in the input). All columns kept."""
    return (
        post_metrics.sort("as_of", nulls_last=False, maintain_order=True)
        .group_by("platform", "post_id", maintain_order=True)
        .last()
    )


_CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def currency_symbol(currency: str) -> str | None:
    """The symbol shown for `currency` (``$`` for USD), or None to show the code itself."""
    return _CURRENCY_SYMBOLS.get(currency.upper())


def _with_currency(amount: str, currency: str) -> str:
    symbol = currency_symbol(currency)
    return f"{symbol}{amount}" if symbol else f"{currency} {amount}"


def money(value: float | None, currency: str, *, decimals: int = 0) -> str:
    """``$12,345`` for known currencies, ``CHF 12,345`` otherwise, ``−$5`` below zero; an en
    dash for no value (None, NaN, infinity)."""
    if value is None or not math.isfinite(value):
        return "–"
    amount = f"{abs(value):,.{decimals}f}"
    sign = "−" if value < 0 and float(amount.replace(",", "")) > 0 else ""
    return sign + _with_currency(amount, currency)


def short_money(value: float | None, currency: str, *, sign: bool = False) -> str:
    """``+$38k``, ``−$5k``, ``$1.2M``, ``CHF 900``: money for one line of text (``+`` only with
    `sign`); an en dash for no value."""
    if value is None or not math.isfinite(value):
        return "–"
    a = abs(value)
    if a >= 1e6:
        body = f"{a / 1e6:.1f}M"
    elif a >= 1e4:
        body = f"{a / 1e3:.0f}k"
    elif a >= 1e3:
        body = f"{a / 1e3:.1f}k"
    else:
        body = f"{a:.0f}"
    body = _with_currency(body, currency)
    if round(a) == 0:
        return body
    if value < 0:
        return f"−{body}"
    return f"+{body}" if sign else body


def check_model(model: object, *, source: str | None = None, key: str = "model") -> str:
    """`model` if it names a registered attribution model, else a ConfigError naming the models.

    `source` (a config file) and `key` say where the name was written:
    ``config/socialroi.toml: [attribution] model: unknown attribution model 'linaer'; models
    are: first_touch, …``.
    """
    from socialroi.core.attribution import model_names  # the registry; imported late (cycle)

    names = model_names()
    if isinstance(model, str) and model in names:
        return model
    where = f"{source}: {key}: " if source else ""
    raise ConfigError(
        f"{where}unknown attribution model {str(model)!r}; models are: {', '.join(names)}"
    )


__all__ = [
    "CHANNELS",
    "CHANNEL_ALIASES",
    "ENGAGEMENT_COLUMNS",
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
    "check_model",
    "currency_symbol",
    "engagements",
    "is_organic_social",
    "is_social",
    "latest_snapshot",
    "money",
    "platform_expr",
    "platform_of",
    "short_money",
    "social_platform_expr",
    "social_platform_of",
]
