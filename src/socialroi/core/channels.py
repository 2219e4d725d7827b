"""Which channel a web session came through: GA4's default channel rules plus tracked-link codes.

A session's `source` and `medium` (case-insensitive) decide its channel:

========================================================  ==================================
rule (first that applies)                                 channel
========================================================  ==================================
social source and medium ``cpc``/``ppc``/``paid``         ``paid_social``
social source, or a social medium                         the platform (``linkedin``, ``x``…),
                                                          ``social_other`` when none is known
source ``(direct)`` (or empty) and medium                 ``direct``
``(none)``/``(not set)``/empty
medium ``organic``                                        ``organic_search``
medium ``cpc``/``ppc``/``paid``                           ``paid_search``
medium ``email``/``e-mail``/``newsletter``                ``email``
medium ``referral``                                       ``referral``
anything else                                             ``other``
========================================================  ==================================

A social medium is exactly one of ``social``, ``social-network``, ``social-media``, ``sm``,
``social network``, ``social media`` (GA4's list; a prefix match would make ``sms`` social).
A tracked-link code in `content` (:mod:`socialroi.core.links`) names the platform, the post and the
employee who shared it; it sets those columns and the touch kind ``post_click``, and its platform
wins over the one the source names because the post id belongs to it.
"""

from __future__ import annotations

import polars as pl

from socialroi.core.links import PREFIX, SEP

#: Session sources (lower case, without ``www.``) that name a social platform.
SOCIAL_SOURCES: dict[str, str] = {
    "x.com": "x",
    "twitter.com": "x",
    "t.co": "x",
    "twitter": "x",
    "x": "x",
    "linkedin.com": "linkedin",
    "lnkd.in": "linkedin",
    "linkedin": "linkedin",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "l.facebook.com": "facebook",
    "fb": "facebook",
    "facebook": "facebook",
    "instagram.com": "instagram",
    "l.instagram.com": "instagram",
    "instagram": "instagram",
    "mastodon.social": "mastodon",
    "mastodon": "mastodon",
    "bsky.app": "bluesky",
    "bluesky": "bluesky",
}

SOCIAL_MEDIUMS: tuple[str, ...] = (
    "social",
    "social-network",
    "social-media",
    "sm",
    "social network",
    "social media",
)
PAID_MEDIUMS: tuple[str, ...] = ("cpc", "ppc", "paid")
EMAIL_MEDIUMS: tuple[str, ...] = ("email", "e-mail", "newsletter")
DIRECT_MEDIUMS: tuple[str, ...] = ("(none)", "(not set)", "")

#: Channel of an organic social session whose platform nobody names.
SOCIAL_OTHER = "social_other"
PAID_SOCIAL = "paid_social"

_CODE_RE = rf"^{PREFIX}{SEP}([^{SEP}]+){SEP}([^{SEP}]+){SEP}([^{SEP}]*)$"

#: Columns classify_sessions adds.
ADDED_COLUMNS: tuple[str, ...] = ("channel", "platform", "kind", "post_id", "employee_id")


def link_code_parts(content: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Vectorised :func:`socialroi.core.links.parse_link_code`: (platform, post_id, employee_id).

    Each is null where `content` is not a code; employee_id is also null for ``brand``. The platform
    is lower-cased.
    """
    groups = content.str.strip_chars().str.extract_groups(_CODE_RE)
    platform = groups.struct.field("1").str.to_lowercase()
    post_id = groups.struct.field("2")
    employee = groups.struct.field("3")
    employee = pl.when(employee.is_in(["", "brand"])).then(None).otherwise(employee)
    return platform, post_id, employee


def _lower(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()


def classify_sessions(sessions: pl.DataFrame) -> pl.DataFrame:
    """`sessions` plus channel, platform, kind, post_id and employee_id (see the module doc).

    Only `source`, `medium` and `content` are read; any of them may be missing (taken as empty).
    Every input column is kept.
    """
    df = sessions.with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in ("source", "medium", "content")
        if c not in sessions.columns
    )
    src = _lower("source").str.strip_prefix("www.")
    med = _lower("medium").fill_null("")
    code_platform, code_post, code_employee = link_code_parts(pl.col("content").cast(pl.String))
    source_platform = src.replace_strict(SOCIAL_SOURCES, default=None, return_dtype=pl.String)

    social_source = source_platform.is_not_null()
    social_medium = med.is_in(SOCIAL_MEDIUMS)
    paid = med.is_in(PAID_MEDIUMS)
    has_code = code_platform.is_not_null()
    platform = pl.coalesce(code_platform, source_platform)

    direct = src.fill_null("").is_in(["(direct)", ""]) & med.is_in(DIRECT_MEDIUMS)
    channel = (
        pl.when(social_source & paid)
        .then(pl.lit(PAID_SOCIAL))
        .when(social_source | social_medium)
        .then(platform.fill_null(SOCIAL_OTHER))
        .when(direct)
        .then(pl.lit("direct"))
        .when(med == "organic")
        .then(pl.lit("organic_search"))
        .when(paid)
        .then(pl.lit("paid_search"))
        .when(med.is_in(EMAIL_MEDIUMS))
        .then(pl.lit("email"))
        .when(med == "referral")
        .then(pl.lit("referral"))
        .otherwise(pl.lit("other"))
    )
    kind_of_channel = (
        pl.when(pl.col("channel").is_in([PAID_SOCIAL, "paid_search"]))
        .then(pl.lit("paid"))
        .when(pl.col("channel") == "direct")
        .then(pl.lit("direct"))
        .when(pl.col("channel") == "organic_search")
        .then(pl.lit("search"))
        .when(pl.col("channel").is_in(["email", "referral"]))
        .then(pl.col("channel"))
        .otherwise(pl.lit("web"))
    )
    out = df.with_columns(
        channel.alias("channel"),
        platform.alias("platform"),
        has_code.alias("_has_code"),
        code_post.alias("post_id"),
        code_employee.alias("employee_id"),
    )
    return out.with_columns(
        pl.when(pl.col("_has_code"))
        .then(pl.lit("post_click"))
        .otherwise(kind_of_channel)
        .alias("kind")
    ).select(
        *[c for c in sessions.columns if c not in ADDED_COLUMNS],
        *ADDED_COLUMNS,
    )
