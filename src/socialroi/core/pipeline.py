"""The first half of every analysis, built once: tables as of a date → identity → conversions →
journeys → credits.

`Pipeline(tables, as_of=...)` reads the canonical tables as they stood at ``as_of``
(`as_of_view`), resolves identity, fills each touch's employee and campaign from the post it
belongs to (`with_post_owner`) and lists the conversions (leads, won deals, open deals). Journeys
and each model's credits are computed when first asked for and kept, so the report, the policy
funnel and outcomes, ``attribute`` on the store and the exports all read the same numbers from one
object. `socialroi.core.kpis.compute` builds the rest of the analysis on it.

`data_as_of(tables)` is the default ``as_of``: the end of the last complete month that has data.

Pure: no files, no clock; ``as_of`` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl

from socialroi import schema
from socialroi.core.attribution import DATA_DRIVEN_MODELS, RULE_MODELS
from socialroi.core.conversions import (
    CONVERSION_KINDS,
    deal_conversions,
    lead_conversions,
    pipeline_conversions,
    sales_cycle_days,
)
from socialroi.core.identity import Identity, resolve_tables
from socialroi.core.journeys import assign_touches
from socialroi.core.model_compare import credit_compared
from socialroi.core.months import add_months, month_start
from socialroi.core.vocabulary import check_model
from socialroi.errors import DataError

__all__ = [
    "TABLES_USED",
    "Pipeline",
    "as_of_text",
    "as_of_view",
    "data_as_of",
    "end_of_day",
    "first_incomplete_month",
    "latest_data",
    "with_post_owner",
]

#: The canonical tables the analysis reads; others may be left out of its input.
TABLES_USED: tuple[str, ...] = (
    "employees",
    "accounts",
    "posts",
    "post_metrics",
    "sessions",
    "contacts",
    "touchpoints",
    "leads",
    "deals",
    "costs",
    "policy_periods",
)
#: The dated columns `latest_data` looks at: conversions, sessions, touches, metrics, costs.
DATED: tuple[tuple[str, str], ...] = (
    ("leads", "created_at"),
    ("deals", "created_at"),
    ("deals", "closed_at"),
    ("sessions", "started_at"),
    ("touchpoints", "ts"),
    ("post_metrics", "as_of"),
    ("costs", "month"),
)
_ONE_US = timedelta(microseconds=1)


def _table(tables: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame:
    df = tables.get(name)
    if df is None:
        return schema.empty(name)
    out = schema.conform(name, df, source=name)
    schema.check_amounts(name, out)
    return out


def as_of_view(tables: Mapping[str, pl.DataFrame], as_of: datetime) -> dict[str, pl.DataFrame]:
    """The tables the analysis reads as they stood at `as_of` (missing tables are empty): rows
    dated after it left out, deals closed after it open again, costs of later months left out."""
    t = {name: _table(tables, name) for name in TABLES_USED}
    month = date(as_of.year, as_of.month, 1)
    deals = t["deals"].filter(pl.col("created_at") <= as_of)
    later = pl.col("closed_at") > as_of
    t["deals"] = deals.with_columns(
        pl.when(later).then(None).otherwise(pl.col("closed_at")).alias("closed_at"),
        pl.when(later).then(None).otherwise(pl.col("won")).alias("won"),
    )
    t["leads"] = t["leads"].filter(pl.col("created_at") <= as_of)
    t["sessions"] = t["sessions"].filter(pl.col("started_at") <= as_of)
    t["touchpoints"] = t["touchpoints"].filter(pl.col("ts") <= as_of)
    t["posts"] = t["posts"].filter(pl.col("created_at").is_null() | (pl.col("created_at") <= as_of))
    t["post_metrics"] = t["post_metrics"].filter(pl.col("as_of") <= as_of)
    t["costs"] = t["costs"].filter(pl.col("month") <= month)
    t["policy_periods"] = t["policy_periods"].filter(pl.col("from") <= as_of.date())
    return t


def with_post_owner(
    touchpoints: pl.DataFrame, posts: pl.DataFrame, accounts: pl.DataFrame
) -> pl.DataFrame:
    """Fill a touch's employee from the account that published its post, when a person owns it,
    and its campaign from the post's."""
    owners = (
        posts.select("platform", "post_id", "account_id", pl.col("campaign").alias("_pc"))
        .join(accounts.select("platform", "account_id", "owner"), on=["platform", "account_id"])
        .select(
            "platform",
            "post_id",
            "_pc",
            pl.when(pl.col("owner") != "brand").then(pl.col("owner")).alias("_owner"),
        )
        .unique(["platform", "post_id"])
    )
    return (
        touchpoints.join(owners, on=["platform", "post_id"], how="left")
        .with_columns(
            pl.coalesce("employee_id", "_owner").alias("employee_id"),
            pl.coalesce("campaign", "_pc").alias("campaign"),
        )
        .select(touchpoints.columns)
    )


def end_of_day(day: date) -> datetime:
    """The last instant (µs) of `day` in UTC: ``--as-of 2026-09-30`` covers all of that day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) - _ONE_US


def as_of_text(as_of: datetime) -> str:
    """``2026-09-30`` for the end of a day (as the default and ``--as-of`` give), else
    ``2026-10-01 06:00 UTC``."""
    if (as_of + _ONE_US).time() == datetime.min.time():
        return f"{as_of:%Y-%m-%d}"
    return f"{as_of:%Y-%m-%d %H:%M} UTC"


def latest_data(tables: Mapping[str, pl.DataFrame]) -> date | None:
    """The latest day among conversions (lead and deal creation, deal close), sessions, touches,
    metric snapshots and costs (a month's cost counts as dated on the month's last day); None
    when none of them holds a date."""
    days: list[date] = []
    for name, col in DATED:
        df = tables.get(name)
        if df is None or df.height == 0 or col not in df.columns:
            continue
        value = df.get_column(col).max()
        if isinstance(value, datetime):
            value = value.astimezone(UTC).date() if value.tzinfo else value.date()
        if not isinstance(value, date):
            continue
        if name == "costs":
            value = add_months(month_start(value), 1) - timedelta(days=1)
        days.append(value)
    return max(days) if days else None


def data_as_of(tables: Mapping[str, pl.DataFrame]) -> datetime | None:
    """The end of the last complete month that has data (see `latest_data`): the end of the
    latest day's month when that day is the month's last, else the end of the month before.
    None when the tables hold no dated row."""
    last = latest_data(tables)
    if last is None:
        return None
    following = add_months(month_start(last), 1)
    complete = last == following - timedelta(days=1)
    end = following if complete else month_start(last)
    return end_of_day(end - timedelta(days=1))


def first_incomplete_month(as_of: datetime) -> date:
    """The first month not complete at `as_of`: `as_of`'s own month, or the next one when
    `as_of` is that month's last instant (as the default ``as_of`` is). "The complete months up
    to as_of" are the months before it."""
    return month_start(as_of + _ONE_US)


def _half_life_matters(model: str) -> bool:
    """Whether the half-life changes a model's credits (only time_decay among built-ins)."""
    return model == "time_decay" or model not in (*RULE_MODELS, *DATA_DRIVEN_MODELS)


class Pipeline:
    """Tables as of a date, identity, conversions; journeys and credits on demand, cached.

    * ``tables``: the canonical tables as they stood at ``as_of`` (`as_of_view`), plus any other
      table given (service cases, hires) as it was given;
    * ``identity``: identity resolution of those tables (`socialroi.core.identity`);
    * ``touchpoints``: the resolved touches, employee and campaign filled from the post;
    * ``conversions``: leads, won deals and open deals (`socialroi.core.conversions`);
    * `journeys` (kind): each touch with the conversion of that kind it belongs to;
    * `credits` (model): a model's credit rows for every conversion kind; `compared` for several.

    The lookback and half-life are the pipeline's unless a call names others (the policy funnel
    keeps its own lookback); each (model, lookback, half-life) is credited once.
    """

    def __init__(
        self,
        tables: Mapping[str, pl.DataFrame],
        *,
        as_of: datetime,
        lookback_days: int | None = None,
        half_life_days: float = 7.0,
    ) -> None:
        if as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware (UTC)")
        self.as_of = as_of.astimezone(UTC)
        self.half_life_days = half_life_days
        view = as_of_view(tables, self.as_of)
        #: True when the lookback is the sales cycle measured from the won deals (none was given).
        self.lookback_measured = lookback_days is None
        self.lookback_days: int = sales_cycle_days(view) if lookback_days is None else lookback_days
        extra = {n: df for n, df in tables.items() if n not in view}
        self.tables: Mapping[str, pl.DataFrame] = {**view, **extra}
        self.identity: Identity = resolve_tables(view)
        self.touchpoints = with_post_owner(
            self.identity.touchpoints, view["posts"], view["accounts"]
        )
        self.conversions = pl.concat(
            [
                lead_conversions(view["leads"]),
                deal_conversions(view["deals"], view["leads"]),
                pipeline_conversions(view["deals"], view["leads"]),
            ]
        )
        self._credits: dict[tuple[str, int, float | None], pl.DataFrame] = {}
        self._skipped: dict[tuple[str, int, float | None], str] = {}
        self._journeys: dict[tuple[str, int], pl.DataFrame] = {}

    @classmethod
    def of(
        cls,
        data: Pipeline | Mapping[str, pl.DataFrame],
        as_of: datetime | None,
        *,
        lookback_days: int | None = None,
    ) -> Pipeline:
        """`data` itself when it is a pipeline (`as_of`, if given, must be its date), else a
        pipeline on the tables `data` at `as_of` (which must then be given)."""
        if isinstance(data, Pipeline):
            if as_of is not None and as_of != data.as_of:
                raise ValueError(f"as_of {as_of} differs from the pipeline's {data.as_of}")
            return data
        if as_of is None:
            raise ValueError("give as_of with tables")
        return cls(data, as_of=as_of, lookback_days=lookback_days)

    def _key(
        self, model: str, lookback_days: int | None, half_life_days: float | None
    ) -> tuple[str, int, float | None]:
        lookback = self.lookback_days if lookback_days is None else lookback_days
        half = self.half_life_days if half_life_days is None else half_life_days
        return model, lookback, half if _half_life_matters(model) else None

    def compared(
        self,
        models: Sequence[str],
        *,
        lookback_days: int | None = None,
        half_life_days: float | None = None,
    ) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
        """(credits by model, model → why it cannot run on this data), as
        `socialroi.core.model_compare.credit_compared`; models credited before are not again."""
        wanted = [check_model(m) for m in dict.fromkeys(models)]
        keys = {m: self._key(m, lookback_days, half_life_days) for m in wanted}
        todo = [m for m in wanted if keys[m] not in self._credits and keys[m] not in self._skipped]
        if todo:
            lookback = self.lookback_days if lookback_days is None else lookback_days
            half = self.half_life_days if half_life_days is None else half_life_days
            credits, skipped = credit_compared(
                self.touchpoints,
                self.conversions,
                todo,
                lookback_days=lookback,
                half_life_days=half,
            )
            for m, c in credits.items():
                self._credits[keys[m]] = c
            for m, why in skipped.items():
                self._skipped[keys[m]] = why
        found = {m: self._credits[keys[m]] for m in wanted if keys[m] in self._credits}
        missing = {m: self._skipped[keys[m]] for m in wanted if keys[m] in self._skipped}
        return found, missing

    def credits(
        self,
        model: str,
        *,
        lookback_days: int | None = None,
        half_life_days: float | None = None,
    ) -> pl.DataFrame:
        """`model`'s credit rows (every conversion kind; ``kind`` says which). DataError when the
        model cannot run on this data."""
        found, skipped = self.compared(
            (model,), lookback_days=lookback_days, half_life_days=half_life_days
        )
        if model in skipped:
            raise DataError(f"model '{model}' cannot run on this data: {skipped[model]}")
        return found[model]

    def journeys(self, kind: str = "deal", *, lookback_days: int | None = None) -> pl.DataFrame:
        """Every touch with the `kind` conversion it belongs to (conversion_id, conv_ts and the
        conversion's value; null for a touch no conversion took), in time order. The touch's own
        ``kind`` column is the touch kind."""
        if kind not in CONVERSION_KINDS:
            raise ValueError(f"kind must be one of {CONVERSION_KINDS}, not {kind!r}")
        lookback = self.lookback_days if lookback_days is None else lookback_days
        key = (kind, lookback)
        if key not in self._journeys:
            self._journeys[key] = assign_touches(
                self.touchpoints,
                self.conversions.filter(pl.col("kind") == kind),
                lookback_days=lookback,
                carry=("value",),
            )
        return self._journeys[key]

    def __repr__(self) -> str:
        credited = sorted({k[0] for k in self._credits})
        return (
            f"Pipeline(as_of={self.as_of:%Y-%m-%d}, touchpoints={self.touchpoints.height}, "
            f"conversions={self.conversions.height}, credited={credited})"
        )
