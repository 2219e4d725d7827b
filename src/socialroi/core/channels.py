"""Which channel a web session came through: GA4's default channel rules plus tracked-link codes.

A session's `source` and `medium` (case-insensitive) decide its channel. A source is social when
:mod:`socialroi.core.vocabulary` names a social platform for it (``lnkd.in``, ``l.facebook.com``,
``t.co``, ``IG``, a referrer URL…):

========================================================  ==================================
rule (first that applies)                                 channel
========================================================  ==================================
social source and a paid medium (below)                   ``paid_social``
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

A paid medium matches GA4's ``^(.*cp.*|ppc|retargeting|paid.*)$`` (so ``cpc``, ``cpm``,
``paid``, ``paid_social``, ``paid-social`` and ``retargeting`` are paid on a social source).
A social medium is exactly one of ``social``, ``social-network``, ``social-media``, ``sm``,
``social network``, ``social media`` (GA4's list; a prefix match would make ``sms`` social).
A tracked-link code in `content` (:mod:`socialroi.core.links`) names the platform, the post and the
employee who shared it; it sets those columns and the touch kind ``post_click``, and its platform
wins over the one the source names because the post id belongs to it.
"""

from __future__ import annotations

import polars as pl

from socialroi.core import vocabulary
from socialroi.core.links import PREFIX, SEP

#: Session sources (lower case, without ``www.``) that name a social platform (the vocabulary's).
SOCIAL_SOURCES: dict[str, str] = vocabulary.SOCIAL_SOURCES
#: Channel of an organic social session whose platform nobody names (the vocabulary's).
SOCIAL_OTHER = vocabulary.SOCIAL_OTHER
PAID_SOCIAL = vocabulary.PAID_SOCIAL

SOCIAL_MEDIUMS: tuple[str, ...] = (
    "social",
    "social-network",
    "social-media",
    "sm",
    "social network",
    "social media",
)
PAID_MEDIUMS: tuple[str, ...] = ("cpc", "ppc", "paid")
#: GA4's Paid Social medium rule (matched against the lower-cased medium).
PAID_SOCIAL_MEDIUM_RE = r"^(.*cp.*|ppc|retargeting|paid.*)$"
EMAIL_MEDIUMS: tuple[str, ...] = ("email", "e-mail", "newsletter")
DIRECT_MEDIUMS: tuple[str, ...] = ("(none)", "(not set)", "")

_CODE_RE = rf"^{PREFIX}{SEP}([^{SEP}]+){SEP}([^{SEP}]+){SEP}([^{SEP}]*)$"

#: Columns classify_sessions adds.
ADDED_COLUMNS: tuple[str, ...] = ("channel", "platform", "kind", "post_id", "employee_id")


def _code_struct(content: pl.Expr) -> pl.Expr:
    """The regex groups of a tracked-link code (fields "1", "2", "3"); all null when not a code."""
    return content.str.strip_chars().str.extract_groups(_CODE_RE)


def _code_fields(groups: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    platform = groups.struct.field("1").str.to_lowercase()
    post_id = groups.struct.field("2")
    employee = groups.struct.field("3")
    employee = pl.when(employee.is_in(["", "brand"])).then(None).otherwise(employee)
    return platform, post_id, employee


def link_code_parts(content: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Vectorised :func:`socialroi.core.links.parse_link_code`: (platform, post_id, employee_id).

    Each is null where `content` is not a code; employee_id is also null for ``brand``. The platform
    is lower-cased.
    """
    return _code_fields(_code_struct(content))


def _lower(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()


def _channel() -> pl.Expr:
    """The channel from the scratch columns _src, _med, _src_platform and platform."""
    src, med = pl.col("_src"), pl.col("_med")
    social_source = pl.col("_src_platform").is_not_null()
    paid = med.is_in(PAID_MEDIUMS)
    paid_social = med.str.contains(PAID_SOCIAL_MEDIUM_RE)
    direct = src.fill_null("").is_in(["(direct)", ""]) & med.is_in(DIRECT_MEDIUMS)
    return (
        pl.when(social_source & paid_social)
        .then(pl.lit(PAID_SOCIAL))
        .when(social_source | med.is_in(SOCIAL_MEDIUMS))
        .then(pl.col("platform").fill_null(SOCIAL_OTHER))
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


def _kind() -> pl.Expr:
    channel = pl.col("channel")
    return (
        pl.when(pl.col("_code_platform").is_not_null())
        .then(pl.lit("post_click"))
        .when(channel.is_in([PAID_SOCIAL, "paid_search"]))
        .then(pl.lit("paid"))
        .when(channel == "direct")
        .then(pl.lit("direct"))
        .when(channel == "organic_search")
        .then(pl.lit("search"))
        .when(channel.is_in(["email", "referral"]))
        .then(channel)
        .otherwise(pl.lit("web"))
    )


def classify_sessions(sessions: pl.DataFrame) -> pl.DataFrame:
    """`sessions` plus channel, platform, kind, post_id and employee_id (see the module doc).

    Only `source`, `medium` and `content` are read; any of them may be missing (taken as empty).
    Every input column is kept. Each distinct (source, medium, content) is classified once and
    the result joined back (a site has a few hundred of them across its sessions).
    """
    df = sessions.with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in ("source", "medium", "content")
        if c not in sessions.columns
    )
    keys = ["source", "medium", "content"]
    classes = _classify(df.select(keys).unique())
    kept = [c for c in sessions.columns if c not in ADDED_COLUMNS]
    return (
        df.select(*dict.fromkeys([*kept, *keys]))
        .join(classes, on=keys, how="left", nulls_equal=True, maintain_order="left")
        .select(*kept, *ADDED_COLUMNS)
    )


def _classify(df: pl.DataFrame) -> pl.DataFrame:
    """Distinct `df` (source, medium, content) plus the ADDED_COLUMNS."""
    # Built in steps so each intermediate is computed once.
    df = df.with_columns(
        _lower("source").str.strip_prefix("www.").alias("_src"),
        _lower("medium").fill_null("").alias("_med"),
        _code_struct(pl.col("content").cast(pl.String)).alias("_code"),
    )
    code_platform, code_post, code_employee = _code_fields(pl.col("_code"))
    df = df.with_columns(
        vocabulary.social_platform_expr(pl.col("_src")).alias("_src_platform"),
        code_platform.alias("_code_platform"),
        code_post.alias("post_id"),
        code_employee.alias("employee_id"),
    )
    df = df.with_columns(pl.coalesce("_code_platform", "_src_platform").alias("platform"))
    df = df.with_columns(_channel().alias("channel"))
    df = df.with_columns(_kind().alias("kind"))
    return df.select("source", "medium", "content", *ADDED_COLUMNS)
