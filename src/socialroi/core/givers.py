"""Giver or broadcaster: does an account that replies to and shares others do better than one that
only promotes itself?

:func:`giver_accounts` gives, per account, its posts by kind (``broadcast`` is self-promotion,
``reply`` and ``share`` engage with others), the giver share (replies and shares ÷ posts), the
engagement its posts earned (likes, comments, shares and saves at each post's latest metrics) and
the leads credited to touches on its posts. :func:`giver_summary` relates the giver share to
engagement and leads per post across accounts with Spearman's rank correlation, with the number of
accounts, and says so plainly when there are too few to tell. A correlation, not a cause.

Pure: frames in, frames out.
"""

from __future__ import annotations

import math

import polars as pl

from socialroi.core.vocabulary import engagements, latest_snapshot

GIVING_KINDS: tuple[str, ...] = ("reply", "share")
#: Fewer accounts than this with posts and the correlation is not worth stating.
MIN_ACCOUNTS = 8
#: |ρ| below NO_RELATION reads "no clear relation", below WEAK "weakly".
NO_RELATION, WEAK = 0.1, 0.3

GIVERS_SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "account_id": pl.String(),
    "handle": pl.String(),
    "owner": pl.String(),
    "owner_name": pl.String(),
    "posts": pl.Int64(),
    "broadcasts": pl.Int64(),
    "replies": pl.Int64(),
    "shares": pl.Int64(),
    "giver_share": pl.Float64(),
    "impressions": pl.Int64(),
    "engagements": pl.Int64(),
    "engagement_per_post": pl.Float64(),
    "leads": pl.Float64(),
    "leads_per_post": pl.Float64(),
}
SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "measure": pl.String(),
    "n": pl.Int64(),
    "spearman": pl.Float64(),
    "note": pl.String(),
}
#: Per-post measures the giver share is related to, and how the note names them.
MEASURES: dict[str, str] = {
    "engagement_per_post": "engagement per post",
    "leads_per_post": "credited leads per post",
}


def giver_accounts(
    posts: pl.DataFrame,
    accounts: pl.DataFrame,
    post_metrics: pl.DataFrame,
    lead_credits: pl.DataFrame,
    employees: pl.DataFrame,
) -> pl.DataFrame:
    """One row per account with at least one post (GIVERS_SCHEMA), most posts first.

    `lead_credits` are credited touches of leads (platform, post_id, credit), e.g. one model's
    credits filtered to kind ``lead``."""
    key = ["platform", "post_id"]
    latest = latest_snapshot(post_metrics).select(
        *key, pl.col("impressions").fill_null(0), engagements()
    )
    leads = (
        lead_credits.filter(pl.col("post_id").is_not_null())
        .group_by(key)
        .agg(pl.col("credit").sum().alias("leads"))
    )
    kind = pl.col("kind")
    per_account = (
        posts.filter(pl.col("account_id").is_not_null())
        .select("platform", "post_id", "account_id", "kind")
        .join(latest, on=key, how="left")
        .join(leads, on=key, how="left")
        .group_by("platform", "account_id")
        .agg(
            pl.len().cast(pl.Int64).alias("posts"),
            (kind == "broadcast").sum().cast(pl.Int64).alias("broadcasts"),
            (kind == "reply").sum().cast(pl.Int64).alias("replies"),
            (kind == "share").sum().cast(pl.Int64).alias("shares"),
            pl.col("impressions").fill_null(0).sum().cast(pl.Int64),
            pl.col("engagements").fill_null(0).sum().cast(pl.Int64),
            pl.col("leads").fill_null(0.0).sum(),
        )
    )
    owners = accounts.select("platform", "account_id", "handle", "owner").unique(
        ["platform", "account_id"]
    )
    names = employees.select(
        pl.col("employee_id").alias("owner"), pl.col("name").alias("owner_name")
    )
    posts_n = pl.col("posts").cast(pl.Float64)
    out = (
        per_account.join(owners, on=["platform", "account_id"], how="left")
        .join(names.unique("owner"), on="owner", how="left")
        .with_columns(
            ((pl.col("replies") + pl.col("shares")) / posts_n).alias("giver_share"),
            (pl.col("engagements") / posts_n).alias("engagement_per_post"),
            (pl.col("leads") / posts_n).alias("leads_per_post"),
        )
    )
    return out.select([pl.col(c).cast(t) for c, t in GIVERS_SCHEMA.items()]).sort(
        ["posts", "platform", "account_id"], descending=[True, False, False]
    )


def _spearman(x: pl.Series, y: pl.Series) -> float | None:
    value = pl.DataFrame({"x": x, "y": y}).select(pl.corr("x", "y", method="spearman")).item()
    return None if value is None or not math.isfinite(value) else float(value)


def giver_summary(givers: pl.DataFrame, *, min_accounts: int = MIN_ACCOUNTS) -> pl.DataFrame:
    """measure, n, spearman, note: the giver share against each of MEASURES across the accounts
    of :func:`giver_accounts`. `spearman` is empty (and the note says why) when fewer than
    `min_accounts` accounts posted or when either side does not vary."""
    rows = []
    n = givers.height
    for column, label in MEASURES.items():
        rho: float | None = None
        if n < min_accounts:
            note = (
                f"Too few accounts to relate giving to {label}: {n} posted, "
                f"at least {min_accounts} are needed."
            )
        elif givers["giver_share"].n_unique() < 2 or givers[column].n_unique() < 2:
            varies = "giver share" if givers["giver_share"].n_unique() < 2 else label
            note = f"The {varies} is the same for every account, so there is nothing to relate."
        else:
            rho = _spearman(givers["giver_share"], givers[column])
            if rho is None:  # pragma: no cover - guarded by the checks above
                note = f"No correlation can be computed for {label}."
            else:
                if abs(rho) < NO_RELATION:
                    finding = f"Replying and sharing shows no clear relation to {label}"
                else:
                    strength = "weakly " if abs(rho) < WEAK else ""
                    way = "more" if rho > 0 else "less"
                    finding = f"Accounts that reply and share more get {strength}{way} {label}"
                note = f"{finding} (Spearman ρ = {rho:.2f}, n = {n}); a correlation, not a cause."
        rows.append({"measure": label, "n": n, "spearman": rho, "note": note})
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
