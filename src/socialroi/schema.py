"""The canonical data model (design §3): every table, its columns, types and key.

This module is the single source of truth for table shapes. The store builds its DDL from it,
imports validate against it, and core/ reads frames with these column names. All times are UTC
and tz-aware; money is in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from socialroi.errors import DataError

UTC_TS = pl.Datetime("us", "UTC")

#: The social platforms socialroi knows. A touch whose channel is one of these is social.
SOCIAL_PLATFORMS: tuple[str, ...] = (
    "x",
    "facebook",
    "instagram",
    "linkedin",
    "mastodon",
    "bluesky",
)

#: Touch kinds (design §3). Free text is allowed, these are the ones the core understands.
TOUCH_KINDS: tuple[str, ...] = (
    "post_click",
    "engagement",
    "dm",
    "mention",
    "referral",
    "event",
    "email",
    "paid",
    "direct",
    "search",
    "web",
)

POST_KINDS: tuple[str, ...] = ("broadcast", "reply", "share")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    nullable: bool = True
    nonnegative: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self._by_name]
        if missing:  # pragma: no cover - a programming error in this file
            raise ValueError(f"{self.name}: key columns {missing} are not columns")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Columns an input must provide: the key and every non-nullable column."""
        return [c.name for c in self.columns if c.name in self.key or not c.nullable]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}


def _c(
    name: str, dtype: pl.DataType, *, null: bool = True, nonneg: bool = False, doc: str = ""
) -> Column:
    return Column(name, dtype, nullable=null, nonnegative=nonneg, doc=doc)


S, F, INT, B, D = pl.String(), pl.Float64(), pl.Int64(), pl.Boolean(), pl.Date()

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "employees",
            (
                _c("employee_id", S, null=False),
                _c("name", S),
                _c("team", S),
                _c(
                    "loaded_hourly_cost", F, nonneg=True, doc="wage × overheads, reporting currency"
                ),
                _c("start_date", D),
                _c("end_date", D),
                _c("advocate", B),
            ),
            key=("employee_id",),
        ),
        Table(
            "accounts",
            (
                _c("platform", S, null=False),
                _c("account_id", S, null=False),
                _c("handle", S),
                _c("owner", S, doc="'brand' or an employee_id"),
            ),
            key=("platform", "account_id"),
        ),
        Table(
            "account_daily",
            (
                _c("platform", S, null=False),
                _c("account_id", S, null=False),
                _c("date", D, null=False),
                _c("followers", INT, nonneg=True, doc="the follower total that day"),
                _c("impressions", INT, nonneg=True),
                _c("engagements", INT, nonneg=True),
                _c("profile_clicks", INT, nonneg=True),
                _c("new_followers", INT, nonneg=True, doc="followers gained that day"),
                _c("reach", INT, nonneg=True, doc="unique accounts reached that day"),
                _c("page_views", INT, nonneg=True),
                _c("visitors", INT, nonneg=True, doc="unique page visitors that day"),
            ),
            key=("platform", "account_id", "date"),
        ),
        Table(
            "posts",
            (
                _c("platform", S, null=False),
                _c("post_id", S, null=False),
                _c("account_id", S),
                _c("created_at", UTC_TS),
                _c("text", S),
                _c("kind", S, doc="broadcast / reply / share"),
                _c("link_url", S),
                _c("utm_source", S),
                _c("utm_medium", S),
                _c("utm_campaign", S),
                _c("utm_content", S),
                _c("utm_term", S),
                _c("campaign", S),
                _c("url", S, doc="the post's web address"),
            ),
            key=("platform", "post_id"),
        ),
        Table(
            "post_metrics",
            (
                _c("platform", S, null=False),
                _c("post_id", S, null=False),
                _c("as_of", UTC_TS, null=False),
                _c("impressions", INT, nonneg=True),
                _c("reach", INT, nonneg=True),
                _c("likes", INT, nonneg=True),
                _c("comments", INT, nonneg=True),
                _c("shares", INT, nonneg=True),
                _c("saves", INT, nonneg=True),
                _c("clicks", INT, nonneg=True),
            ),
            key=("platform", "post_id", "as_of"),
        ),
        Table(
            "sessions",
            (
                _c("session_id", S, null=False),
                _c("started_at", UTC_TS, null=False),
                _c("source", S),
                _c("medium", S),
                _c("campaign", S),
                _c("content", S),
                _c("term", S),
                _c("landing_page", S),
                _c("click_id", S),
                _c("visitor_id", S),
                _c("contact_id", S),
                _c(
                    "count",
                    INT,
                    nonneg=True,
                    doc="sessions this row stands for; empty = 1 (one row per session); "
                    "GA4 rows are daily aggregates",
                ),
            ),
            key=("session_id",),
        ),
        Table(
            "contacts",
            (
                _c("contact_id", S, null=False),
                _c("name", S),
                _c("email", S, doc="an address or its sha256 hash"),
                _c("company", S),
                _c("created_at", UTC_TS),
                _c("referred_by", S, doc="contact_id of the contact who referred this one"),
                _c("owner_employee_id", S),
                _c("handle_x", S),
                _c("handle_linkedin", S),
                _c("handle_facebook", S),
                _c("handle_instagram", S),
                _c("handle_mastodon", S),
                _c("handle_bluesky", S),
                _c("visitor_id", S, doc="web analytics visitor id once known (form fill, login)"),
            ),
            key=("contact_id",),
        ),
        Table(
            "touchpoints",
            (
                _c("contact_id", S, null=False),
                _c("ts", UTC_TS, null=False),
                _c("channel", S, null=False),
                _c(
                    "ref",
                    S,
                    null=False,
                    doc="what the touch was: a session, post, event or mail id",
                ),
                _c("platform", S),
                _c("kind", S),
                _c("post_id", S),
                _c("employee_id", S),
                _c("campaign", S),
            ),
            key=("contact_id", "ts", "channel", "ref"),
        ),
        Table(
            "leads",
            (
                _c("lead_id", S, null=False),
                _c("contact_id", S, null=False),
                _c("created_at", UTC_TS, null=False),
                _c("source", S),
            ),
            key=("lead_id",),
        ),
        Table(
            "deals",
            (
                _c("deal_id", S, null=False),
                _c("contact_id", S, null=False),
                _c("name", S),
                _c("created_at", UTC_TS, null=False),
                _c("closed_at", UTC_TS, doc="only when the deal is closed (won or lost)"),
                _c("expected_close", UTC_TS, doc="an open deal's expected close date"),
                _c("stage", S),
                _c("won", B),
                _c("amount", F, nonneg=True),
            ),
            key=("deal_id",),
        ),
        Table(
            "costs",
            (
                _c("month", D, null=False, doc="first day of the month"),
                _c("category", S, null=False, doc="ad_spend, tools, agency, staff_time, training…"),
                _c("platform", S, null=False, doc="a platform, or '' for costs not tied to one"),
                _c(
                    "employee_id", S, null=False, doc="an employee, or '' for costs not tied to one"
                ),
                _c("amount", F, null=False, nonneg=True),
            ),
            key=("month", "category", "platform", "employee_id"),
        ),
        Table(
            "service_cases",
            (
                _c("case_id", S, null=False),
                _c("opened_at", UTC_TS, null=False),
                _c("channel", S),
                _c("minutes_handled", F, nonneg=True),
                _c("contact_id", S),
            ),
            key=("case_id",),
        ),
        Table(
            "hires",
            (
                _c("hire_id", S, null=False),
                _c("hired_at", UTC_TS, null=False),
                _c("source", S),
                _c("cost", F, nonneg=True),
                _c("referred_by_employee_id", S),
            ),
            key=("hire_id",),
        ),
        Table(
            "policy_periods",
            (
                _c("team", S, null=False, doc="a team name, or '*' for the whole company"),
                _c("from", D, null=False),
                _c("to", D, doc="exclusive end; empty while in force"),
                _c("policy", S, null=False),
                _c("params", S, doc="JSON object of the policy's parameters"),
            ),
            key=("team", "from"),
        ),
    )
}

POLICIES: tuple[str, ...] = (
    "blanket_ban",
    "acceptable_use",
    "dedicated_manager",
    "employee_advocacy",
    "training",
)


def table(name: str) -> Table:
    """The table called `name`, or a DataError listing the tables there are."""
    try:
        return TABLES[name]
    except KeyError:
        raise DataError(
            f"unknown table '{name}'; tables are: {', '.join(sorted(TABLES))}"
        ) from None


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the table's exact schema."""
    return pl.DataFrame(schema=table(name).polars_schema)


def conform(name: str, df: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """Return `df` with exactly the table's columns, in order, with its types.

    Missing nullable columns are added as nulls; extra columns are dropped. Raises DataError for a
    missing required column, a null in a required column, or a negative amount. `source` names the
    origin in messages. Values are expected to be of the right type already (imports parse text
    first); integers are widened to floats and naive datetimes are taken as UTC.
    """
    t = table(name)
    missing = [c for c in t.required if c not in df.columns]
    if missing:
        raise DataError(
            f"missing required column(s) {missing} for table '{name}'",
            file=source,
            column=missing[0],
        )
    exprs: list[pl.Expr] = []
    for col in t.columns:
        if col.name not in df.columns:
            exprs.append(pl.lit(None, dtype=col.dtype).alias(col.name))
            continue
        have = df.schema[col.name]
        if have == col.dtype:
            exprs.append(pl.col(col.name))
        elif isinstance(col.dtype, pl.Datetime) and isinstance(have, pl.Datetime):
            e = pl.col(col.name)
            e = (
                e.dt.replace_time_zone("UTC")
                if have.time_zone is None
                else e.dt.convert_time_zone("UTC")
            )
            exprs.append(e.dt.cast_time_unit("us"))
        else:
            exprs.append(pl.col(col.name).cast(col.dtype, strict=True))
    try:
        out = df.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"columns do not match table '{name}': {exc}", file=source) from None
    for col in t.columns:
        if col.name in t.key or not col.nullable:
            nulls = out.get_column(col.name).is_null()
            if nulls.any():
                row = int(nulls.arg_true()[0])
                raise DataError(
                    "required value is empty", file=source, row=row + 1, column=col.name
                )
        if col.nonnegative:
            neg = out.get_column(col.name) < 0
            if neg.any():
                row = int(neg.arg_true()[0])
                raise DataError("must not be negative", file=source, row=row + 1, column=col.name)
    return out


#: The largest amount any money column may hold, in the reporting currency: anything larger is a
#: typo or a unit mix-up, and sums of such values overflow. Imports refuse it with row and column.
MAX_AMOUNT = 1e12
#: The money columns of each table.
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "deals": ("amount",),
    "costs": ("amount",),
    "hires": ("cost",),
    "employees": ("loaded_hourly_cost",),
}


def check_amounts(name: str, df: pl.DataFrame) -> None:
    """Refuse money beyond MAX_AMOUNT (or not finite) in a table the analysis reads, naming the row
    by its key: such a value reached the store before imports refused it, or through the API."""
    t = table(name)
    for col in MONEY_COLUMNS.get(name, ()):
        if col not in df.columns:
            continue
        v = df.get_column(col)
        bad = v.is_not_null() & (~v.is_finite() | (v.abs() > MAX_AMOUNT))
        if bad.any():
            i = int(bad.arg_true()[0])
            key = ", ".join(f"{k}={df[k][i]}" for k in t.key)
            raise DataError(
                f"{name} ({key}): {col} {v[i]:.3g} is beyond the largest amount socialroi accepts "
                f"({MAX_AMOUNT:,.0f}); correct it and import the table again"
            )


def first_clash(name: str, df: pl.DataFrame) -> tuple[int, int] | None:
    """The first key repeated with different content (exact repeats are harmless): the 0-based
    positions in `df` of the earlier row and of the clashing later one, or None.

    The table's columns that `df` holds are compared, so frames with only some columns work."""
    t = table(name)
    key = list(t.key)
    if df.height == 0 or df.select(key).n_unique() == df.height:
        return None
    cols = [c for c in t.names if c in df.columns]
    distinct = (
        df.select(cols)
        .with_row_index("_row")
        .unique(subset=cols, keep="first", maintain_order=True)
    )
    clash = distinct.filter(pl.len().over(key) > 1)
    if not clash.height:
        return None
    first, second = (
        clash.with_columns(pl.col("_row").first().over(key).alias("_first"))
        .filter(pl.int_range(pl.len()).over(key) == 1)
        .sort("_row")
        .select("_first", "_row")
        .row(0)
    )
    return int(first), int(second)


def markdown() -> str:
    """The data model as Markdown: docs/data-model.md is this text (a test keeps them equal)."""
    names = {
        pl.String: "text",
        pl.Float64: "number",
        pl.Int64: "integer",
        pl.Boolean: "true/false",
        pl.Date: "date",
        pl.Datetime: "timestamp (UTC)",
    }
    lines = [
        "# Data model",
        "",
        "The canonical tables socialroi stores, imports (`socialroi import TABLE FILE`) and",
        "analyses. Key columns identify a row: loading a row whose key exists replaces it, so",
        "loading the same file twice changes nothing. Required columns must be present and",
        "non-empty. Timestamps without an offset are read as UTC. Money is in the reporting",
        "currency set in the config.",
        "",
        "This page is generated by `socialroi.schema.markdown()`; a test fails when it is stale.",
    ]
    for t in TABLES.values():
        lines += ["", f"## {t.name}", "", f"Key: {', '.join(t.key)}.", ""]
        lines += ["| column | type | required | notes |", "|---|---|---|---|"]
        for c in t.columns:
            required = "yes" if (c.name in t.key or not c.nullable) else ""
            notes = "; ".join(x for x in (c.doc, "not negative" if c.nonnegative else "") if x)
            lines.append(f"| {c.name} | {names[type(c.dtype)]} | {required} | {notes} |")
    return "\n".join(lines) + "\n"
