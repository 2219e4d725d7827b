"""Deals traced to social contacts: each won deal with a social touch in its window, and its path.

Built from one model's credit rows for won deals. A deal is traced when any touch credited to it is
social. Its path is every touch in its window, oldest first. The employee and post behind it are
those of the social touch with the most credit under the model (the earliest one on a tie).
"""

from __future__ import annotations

import polars as pl

from socialroi.core.roi import is_social, touch_platform
from socialroi.schema import UTC_TS

ARROW = " → "

_PATH_STRUCT: dict[str, pl.DataType] = {
    "ts": UTC_TS,
    "channel": pl.String(),
    "platform": pl.String(),
    "post_id": pl.String(),
    "employee_id": pl.String(),
    "employee_name": pl.String(),
    "campaign": pl.String(),
    "social": pl.Boolean(),
    "credit": pl.Float64(),
}
#: The ``path`` column: one struct per touch, oldest first.
PATH_DTYPE = pl.List(pl.Struct(_PATH_STRUCT))
PATH_FIELDS: tuple[str, ...] = tuple(_PATH_STRUCT)

TRACED_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "deal_name": pl.String(),
    "amount": pl.Float64(),
    "closed_at": UTC_TS,
    "contact_id": pl.String(),
    "contact_name": pl.String(),
    "company": pl.String(),
    "touches": pl.UInt32(),
    "social_touches": pl.UInt32(),
    "social_value": pl.Float64(),
    "employee_id": pl.String(),
    "employee_name": pl.String(),
    "post_platform": pl.String(),
    "post_id": pl.String(),
    "post_text": pl.String(),
    "campaign": pl.String(),
    "path_text": pl.String(),
}


def _step_text() -> pl.Expr:
    """One touch as text: ``2025-03-02 linkedin · post 77 · Ana Diaz · spring``."""

    def part(label: str, col: pl.Expr) -> pl.Expr:
        return pl.when(col.is_not_null()).then(pl.concat_str(pl.lit(label), col)).otherwise(None)

    platform = pl.when(pl.col("platform") != pl.col("channel")).then(pl.col("platform"))
    return pl.concat_str(
        pl.col("ts").dt.strftime("%Y-%m-%d"),
        pl.concat_str(pl.lit(" "), pl.col("channel")),
        part(" · ", platform),
        part(" · post ", pl.col("post_id")),
        part(" · ", pl.col("employee_name")),
        part(" · ", pl.col("campaign")),
        ignore_nulls=True,
    )


def traced_deals(
    deal_credits: pl.DataFrame,
    *,
    deals: pl.DataFrame,
    contacts: pl.DataFrame,
    employees: pl.DataFrame,
    posts: pl.DataFrame,
    unattributed: str,
) -> pl.DataFrame:
    """Won deals with any social touch, biggest first: TRACED_SCHEMA plus a ``path`` list column.

    `deal_credits` are credit rows of kind ``deal`` (conversion ids ``deal:<deal_id>``); the
    canonical tables supply names, amounts and post text.
    """
    names = employees.select("employee_id", pl.col("name").alias("employee_name"))
    touches = (
        deal_credits.filter(pl.col("channel") != unattributed)
        .with_columns(
            pl.col("conversion_id").str.strip_prefix("deal:").alias("deal_id"),
            touch_platform().alias("platform"),
            is_social().alias("social"),
        )
        .join(names, on="employee_id", how="left")
    )
    traced_ids = touches.group_by("deal_id").agg(pl.col("social").any()).filter("social")
    touches = touches.join(traced_ids.select("deal_id"), on="deal_id", how="semi")
    if touches.height == 0:
        return pl.DataFrame(schema={**TRACED_SCHEMA, "path": PATH_DTYPE})

    paths = (
        touches.sort("deal_id", "ts")
        .with_columns(_step_text().alias("_step"))
        .group_by("deal_id", maintain_order=True)
        .agg(
            pl.struct(*PATH_FIELDS).alias("path"),
            pl.col("_step").str.join(ARROW).alias("path_text"),
            pl.len().alias("touches"),
            pl.col("social").sum().cast(pl.UInt32).alias("social_touches"),
            pl.col("value_credit").filter("social").sum().alias("social_value"),
        )
    )
    post_info = posts.select(
        pl.col("platform").alias("post_platform"),
        "post_id",
        pl.col("text").alias("post_text"),
        pl.col("campaign").alias("_post_campaign"),
    )
    behind = (
        touches.filter("social")
        .sort(["deal_id", "credit", "ts"], descending=[False, True, False])
        .group_by("deal_id", maintain_order=True)
        .first()
        .select(
            "deal_id",
            "employee_id",
            "employee_name",
            pl.col("platform").alias("post_platform"),
            "post_id",
            "campaign",
        )
        .join(post_info, on=["post_platform", "post_id"], how="left")
        .with_columns(pl.coalesce("campaign", "_post_campaign").alias("campaign"))
        .drop("_post_campaign")
    )
    deal_info = deals.select(
        "deal_id", pl.col("name").alias("deal_name"), "amount", "closed_at", "contact_id"
    ).join(
        contacts.select("contact_id", pl.col("name").alias("contact_name"), "company"),
        on="contact_id",
        how="left",
    )
    out = (
        paths.join(deal_info, on="deal_id", how="left")
        .join(behind, on="deal_id", how="left")
        .sort(["amount", "closed_at", "deal_id"], descending=[True, True, False], nulls_last=True)
    )
    return out.select(*TRACED_SCHEMA, "path").cast(TRACED_SCHEMA)  # type: ignore[arg-type]
