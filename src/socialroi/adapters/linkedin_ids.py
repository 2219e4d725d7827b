"""One LinkedIn post, whether it came from the Page export or from the API.

The Page content export names a post by its activity (``urn:li:activity:N``, the URN in its
``Post link``); ``/rest/posts`` names the same post ``urn:li:share:M`` or ``urn:li:ugcPost:M``.
The only API that maps one to the other (the Data Portability Activities resolver) is not open to
page administrators, so socialroi matches them by time instead:

- LinkedIn ids are time-ordered: the top 41 bits (``id >> 22``) are the creation time in Unix
  milliseconds (`created_ms`). An activity is created with the share or ugcPost it wraps, within
  about a second: LinkedIn's own example pair, activity 6422861848709726123 and share
  6422861848344821123, decode to 1531329595735 and 1531329595648 ms, 87 ms apart.
- `match_activities` pairs each activity with the share/ugcPost created within `tolerance_ms`
  of it (same organization when both rows name one), but only when the pair is unambiguous:
  exactly one share/ugcPost within the tolerance, and no other activity as near or nearer to
  it. Two posts of one page created within the same two seconds cannot be told apart by their
  ids, and a wrong merge would silently add one post's figures to another's (and move its
  clicks and credits), while a missed match only leaves a visible duplicate. So a doubtful pair
  is left alone.

Two ways to apply the matches:

- `rekey_linkedin_posts(store)` merges stored activity posts into their stored share/ugcPost:
  the sync engine runs it after each committed LinkedIn batch of posts; it can also run after an
  import. One transaction; running it again changes nothing.
- `rekey_import(store, tables)` rewrites an import's frames (``linkedin-page``) before they load,
  so activities whose share/ugcPost is already stored load straight under the share's id: the
  import then never writes the duplicate, and it stays undoable (a post-load merge deletes the
  rows the import added, and an import whose rows changed cannot be undone).

Merging: the share/ugcPost row keeps its values; its empty ones are filled from the activity
(the link and its UTM fields as one group, so they stay consistent; text, campaign, url and the
rest column by column). The activity's metric snapshots move to the share's id, except one whose
``as_of`` the share already has (the share's snapshot is kept). Touchpoints naming the activity
in ``post_id`` name the share. A post-load merge then deletes the activity's rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.store import Store

__all__ = [
    "ACTIVITY",
    "TOLERANCE_MS",
    "created_ms",
    "match_activities",
    "rekey_import",
    "rekey_linkedin_posts",
]

log = logging.getLogger("socialroi.linkedin_ids")

PLATFORM = "linkedin"
ACTIVITY = "activity"
#: Kinds of post URN the API's /rest/posts returns.
POST_KINDS = ("share", "ugcPost")
#: An activity and its share/ugcPost are created within about a second of each other.
TOLERANCE_MS = 2000
#: 2010-01-01 UTC: a smaller decoded time is an old id that carries no time.
MIN_MS = 1_262_304_000_000
TIME_SHIFT = 22

_URN = re.compile(r"urn:li:(activity|share|ugcPost):([0-9]{1,20})")
#: The link and the fields parsed from it: filled from the activity together or not at all.
_LINK = ("link_url", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def _kind(urn: str) -> str | None:
    m = _URN.fullmatch(urn.strip())
    return m.group(1) if m else None


def created_ms(urn: str | None) -> int | None:
    """The creation time, in Unix milliseconds, carried by a LinkedIn activity, share or ugcPost
    URN (its number's top 41 bits, ``N >> 22``); None for any other text, or a number too small
    to carry a time."""
    if not urn:
        return None
    m = _URN.fullmatch(urn.strip())
    if m is None:
        return None
    ms = int(m.group(2)) >> TIME_SHIFT
    return ms if ms >= MIN_MS else None


def _timed(df: pl.DataFrame, kinds: tuple[str, ...], prefix: str) -> pl.DataFrame:
    """`prefix`id, `prefix`account, `prefix`t: the rows of `df` whose post_id is one of `kinds`."""
    ids = df.get_column("post_id").cast(pl.String).to_list()
    accounts = (
        df.get_column("account_id").cast(pl.String).to_list()
        if "account_id" in df.columns
        else [None] * len(ids)
    )
    rows: dict[str, list[Any]] = {f"{prefix}id": [], f"{prefix}account": [], f"{prefix}t": []}
    for post_id, account in zip(ids, accounts, strict=True):
        if post_id is None or _kind(post_id) not in kinds:
            continue
        t = created_ms(post_id)
        if t is None:
            continue
        rows[f"{prefix}id"].append(post_id.strip())
        rows[f"{prefix}account"].append(account or None)
        rows[f"{prefix}t"].append(t)
    schema_ = {f"{prefix}id": pl.String, f"{prefix}account": pl.String, f"{prefix}t": pl.Int64}
    return pl.DataFrame(rows, schema=schema_).unique(f"{prefix}id", keep="first")


def match_activities(
    activities: pl.DataFrame, posts: pl.DataFrame, *, tolerance_ms: int = TOLERANCE_MS
) -> dict[str, str]:
    """Activity URN → the share/ugcPost URN it wraps, for the unambiguous pairs.

    `activities` and `posts` carry ``post_id`` and optionally ``account_id``; rows of other kinds
    are ignored (an activity in `posts` or a share in `activities` plays no part). A pair is an
    activity and a share/ugcPost whose id times are at most `tolerance_ms` apart, of the same
    account unless one of them names none. An activity is matched only when it has exactly one
    such share/ugcPost and that one has no other activity as near or nearer: when two posts were
    created within the tolerance their ids cannot say which is which, and a wrong merge would
    mix two posts' figures silently, so the activity stays as it is.
    """
    acts = _timed(activities, (ACTIVITY,), "a_")
    shares = _timed(posts, POST_KINDS, "p_")
    if acts.height == 0 or shares.height == 0:
        return {}
    acts = acts.with_columns(
        (pl.col("a_t") - tolerance_ms).alias("a_lo"), (pl.col("a_t") + tolerance_ms).alias("a_hi")
    )
    pairs = (
        acts.join_where(shares, pl.col("p_t") >= pl.col("a_lo"), pl.col("p_t") <= pl.col("a_hi"))
        .filter(
            pl.col("a_account").is_null()
            | pl.col("p_account").is_null()
            | (pl.col("a_account") == pl.col("p_account"))
        )
        .with_columns((pl.col("a_t") - pl.col("p_t")).abs().alias("d"))
    )
    chosen = pairs.filter(
        (pl.len().over("a_id") == 1)  # the activity's only candidate
        & (pl.col("d") == pl.col("d").min().over("p_id"))  # no activity nearer to the share
        & ((pl.col("d") == pl.col("d").min().over("p_id")).sum().over("p_id") == 1)  # nor as near
    )
    return dict(zip(chosen["a_id"].to_list(), chosen["p_id"].to_list(), strict=True))


# --- the store ------------------------------------------------------------------------------


def _sql(store: Store, sql: str, params: list[Any]) -> None:
    """A writing statement inside the store's current transaction."""
    # Deletes and repoints have no Store method; the statement joins the open transaction.
    store._con.execute(sql, params)


def _rows(store: Store, table: str, where: str, params: list[Any]) -> pl.DataFrame:
    """The rows of a canonical table matching `where`, with the table's schema."""
    t = schema.table(table)
    cols = ", ".join(f'"{c}"' for c in t.names)
    got = store.query(f'SELECT {cols} FROM "{t.name}" WHERE {where}', params)
    if got.height == 0:
        return schema.empty(table)
    return got.cast(t.polars_schema)  # type: ignore[arg-type]


def _typed(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """`df`'s columns cast to the table's types (naive date-times taken as UTC)."""
    t = schema.table(table)
    exprs: list[pl.Expr] = []
    for name in df.columns:
        if name not in t.names:  # (the load refuses it, naming the column)
            exprs.append(pl.col(name))
            continue
        want, have, e = t.column(name).dtype, df.schema[name], pl.col(name)
        if isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime):
            e = e.dt.replace_time_zone("UTC") if have.time_zone is None else e
            exprs.append(e.dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        else:
            exprs.append(e.cast(want))
    return df.select(exprs)


def _stored_posts(store: Store) -> pl.DataFrame:
    """The stored LinkedIn activity, share and ugcPost posts."""
    return _rows(
        store,
        "posts",
        "platform = ? AND regexp_full_match(post_id, ?)",
        [PLATFORM, _URN.pattern],
    )


def _merge_posts(
    activities: pl.DataFrame, shares: pl.DataFrame, pairs: pl.DataFrame
) -> pl.DataFrame:
    """Each share's row with its empty values filled from its activity's (columns of both)."""
    key = {"platform", "post_id"}
    cols = [c for c in shares.columns if c in activities.columns and c not in key]
    act = activities.rename({c: f"_a_{c}" for c in cols}).join(
        pairs, left_on="post_id", right_on="activity", how="inner"
    )
    joined = shares.join(
        act.drop("post_id", "platform"), left_on="post_id", right_on="share", how="inner"
    )
    link = [c for c in _LINK if c in cols]
    take_link = pl.col("link_url").is_null() if "link_url" in cols else pl.lit(value=False)
    exprs = [pl.when(take_link).then(pl.col(f"_a_{c}")).otherwise(pl.col(c)).alias(c) for c in link]
    exprs += [pl.coalesce(c, f"_a_{c}").alias(c) for c in cols if c not in _LINK]
    return joined.with_columns(exprs).select(shares.columns)


def _pairs(mapping: Mapping[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"activity": list(mapping), "share": list(mapping.values())},
        schema={"activity": pl.String, "share": pl.String},
    )


def _moved_metrics(
    activity_metrics: pl.DataFrame, share_metrics: pl.DataFrame, pairs: pl.DataFrame
) -> pl.DataFrame:
    """The activities' snapshots under their share's id, but for an ``as_of`` the share has."""
    cols = activity_metrics.columns
    moved = (
        activity_metrics.join(pairs, left_on="post_id", right_on="activity", how="inner")
        .with_columns(pl.col("share").alias("post_id"))
        .select(cols)
    )
    return moved.join(
        share_metrics.select("platform", "post_id", "as_of"),
        on=["platform", "post_id", "as_of"],
        how="anti",
    )


def rekey_linkedin_posts(store: Store, *, tolerance_ms: int = TOLERANCE_MS) -> int:
    """Merge every stored LinkedIn activity post into the stored share/ugcPost it wraps.

    In one transaction: the share's row takes the activity's values where it has none, the
    activity's metric snapshots move to the share (one whose ``as_of`` the share has is dropped),
    touchpoints naming the activity name the share, and the activity's posts and post_metrics
    rows are deleted. Returns the number of posts merged; a second run finds none.
    """
    with store.transaction():
        posts = _stored_posts(store)
        is_act = pl.col("post_id").str.starts_with(f"urn:li:{ACTIVITY}:")
        mapping = match_activities(
            posts.filter(is_act), posts.filter(~is_act), tolerance_ms=tolerance_ms
        )
        if not mapping:
            return 0
        pairs = _pairs(mapping)
        acts, shares = list(mapping), list(mapping.values())
        merged = _merge_posts(
            posts.filter(pl.col("post_id").is_in(acts)),
            posts.filter(pl.col("post_id").is_in(shares)),
            pairs,
        )
        store.upsert("posts", merged, source="linkedin activity merge")
        in_list = "platform = ? AND post_id IN (SELECT unnest(?::VARCHAR[]))"
        metrics = _rows(store, "post_metrics", in_list, [PLATFORM, acts + shares])
        moved = _moved_metrics(
            metrics.filter(pl.col("post_id").is_in(acts)),
            metrics.filter(pl.col("post_id").is_in(shares)),
            pairs,
        )
        if moved.height:
            store.upsert("post_metrics", moved, source="linkedin activity merge")
        _sql(store, f"DELETE FROM post_metrics WHERE {in_list}", [PLATFORM, acts])
        _sql(
            store,
            "UPDATE touchpoints SET post_id = m.share FROM "
            "(SELECT unnest(?::VARCHAR[]) AS activity, unnest(?::VARCHAR[]) AS share) m "
            "WHERE touchpoints.post_id = m.activity",
            [acts, shares],
        )
        _sql(store, f"DELETE FROM posts WHERE {in_list}", [PLATFORM, acts])
    log.info("merged %d LinkedIn activity post(s) into their shares", len(mapping))
    return len(mapping)


def rekey_import(
    store: Store, tables: Mapping[str, pl.DataFrame], *, tolerance_ms: int = TOLERANCE_MS
) -> dict[str, pl.DataFrame]:
    """An import's frames with its LinkedIn activities renamed to their stored share/ugcPost.

    For each activity in ``tables["posts"]`` that matches a share/ugcPost the store holds (among
    the stored and incoming posts, see `match_activities`): its posts row becomes the share's
    row with the share's stored values first (the frame's fill the share's empty ones, in the
    frame's own columns), its ``post_metrics`` rows take the share's id (a row whose ``as_of``
    the share already has is dropped, so the stored one stays), and touchpoints naming it name
    the share. A share the frames themselves hold is not a target. Reads only; the other tables
    and rows come back as they are, and so do frames whose values do not fit the tables (the
    load then says what is wrong with them).
    """
    out = dict(tables)
    posts = out.get("posts")
    if posts is None or posts.height == 0 or "post_id" not in posts.columns:
        return out
    try:
        typed = {
            name: _typed(name, df)
            for name, df in out.items()
            if name in ("posts", "post_metrics", "touchpoints")
        }
    except pl.exceptions.PolarsError:
        return out
    mapping = _import_matches(store, typed["posts"], tolerance_ms)
    if not mapping:
        return out
    pairs = _pairs(mapping)
    acts, shares = list(mapping), list(mapping.values())
    incoming = typed["posts"]
    mine = _linkedin(incoming) & pl.col("post_id").is_in(acts)
    ours = incoming.filter(mine)
    share_rows = _stored_posts(store).filter(pl.col("post_id").is_in(shares))
    other = [c for c in ours.columns if c not in ("platform", "post_id")]
    merged = _merge_posts(
        ours.with_columns(pl.lit(PLATFORM).alias("platform")),
        share_rows.select("platform", "post_id", *other),
        pairs,
    ).select(ours.columns)
    out["posts"] = pl.concat([incoming.filter(~mine), merged])
    metrics = typed.get("post_metrics")
    if metrics is not None and {"post_id", "as_of"} <= set(metrics.columns):
        m_mine = _linkedin(metrics) & pl.col("post_id").is_in(acts)
        have = _rows(
            store,
            "post_metrics",
            "platform = ? AND post_id IN (SELECT unnest(?::VARCHAR[]))",
            [PLATFORM, shares],
        )
        ours_m = metrics.filter(m_mine)
        renamed = (
            ours_m.join(pairs, left_on="post_id", right_on="activity", how="inner")
            .with_columns(pl.col("share").alias("post_id"))
            .select(ours_m.columns)
        )
        keep = renamed.join(have.select("post_id", "as_of"), on=["post_id", "as_of"], how="anti")
        out["post_metrics"] = pl.concat([metrics.filter(~m_mine), keep])
    touches = typed.get("touchpoints")
    if touches is not None and "post_id" in touches.columns:
        out["touchpoints"] = touches.with_columns(pl.col("post_id").replace(mapping))
    return out


def _linkedin(df: pl.DataFrame) -> pl.Expr:
    """True for LinkedIn rows (every row when the frame has no platform column)."""
    return pl.col("platform") == PLATFORM if "platform" in df.columns else pl.lit(value=True)


def _import_matches(store: Store, incoming: pl.DataFrame, tolerance_ms: int) -> dict[str, str]:
    """The frame's activities → stored shares/ugcPosts, matched among stored and incoming posts."""
    li = incoming.filter(_linkedin(incoming))
    stored = _stored_posts(store)
    is_act = pl.col("post_id").str.starts_with(f"urn:li:{ACTIVITY}:")
    cols = ["post_id", *(["account_id"] if "account_id" in li.columns else [])]
    both = pl.concat([li.select(cols), stored.select(cols)], how="diagonal")
    frame_ids = set(li.get_column("post_id").to_list())
    stored_ids = set(stored.get_column("post_id").to_list())
    found = match_activities(both.filter(is_act), both.filter(~is_act), tolerance_ms=tolerance_ms)
    return {
        a: s for a, s in found.items() if a in frame_ids and s in stored_ids and s not in frame_ids
    }
