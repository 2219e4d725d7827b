"""From a store to results: read the tables, resolve names and dates, run the core.

The company name and currency come from the user's config when it sets them in [company], else
from the store's meta ('company', 'currency'), else the defaults. ``as_of`` is the one given, else
the store's meta 'as_of' (the demo company sets it), else the end of the last complete month that
has data (`socialroi.core.pipeline.data_as_of`) — never the wall clock. The referral chains'
decay per hop and depth come from config [network] (``decay``, ``max_depth``).

`analyze` returns the whole `Analysis`; `prepare` only its first half, the `Pipeline` (what
``policy compare`` and ``attribute`` on the store need). Both read the store once.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import polars as pl

from socialroi.config import Settings
from socialroi.core.kpis import Analysis, compute
from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
from socialroi.core.period import Period, parse_period
from socialroi.core.pipeline import TABLES_USED, Pipeline, data_as_of, end_of_day
from socialroi.core.redact import redact_result, redact_tables
from socialroi.errors import ConfigError, DataError, StoreError
from socialroi.store import Store

DEFAULT_COMPANY = Settings().company
DEFAULT_CURRENCY = Settings().currency
#: The store's meta key holding the secret salt for `--redact` pseudonyms (hex).
SALT_KEY = "redact_salt"
SALT_BYTES = 32


def company_and_currency(store: Store, settings: Settings) -> tuple[str, str]:
    """The name and currency to show: config [company], then store meta, then defaults."""
    section = settings.raw.get("company")
    given = section if isinstance(section, dict) else {}
    company = settings.company if "name" in given else store.get_meta("company")
    currency = settings.currency if "currency" in given else store.get_meta("currency")
    return company or DEFAULT_COMPANY, currency or DEFAULT_CURRENCY


def network_settings(settings: Settings) -> tuple[float, int]:
    """(decay per hop, max depth) from config [network]; the defaults where not set."""
    section = settings.raw.get("network", {})
    if not isinstance(section, dict):
        raise ConfigError("config: [network] must be a table")
    decay, depth = section.get("decay", DEFAULT_DECAY), section.get("max_depth", DEFAULT_MAX_DEPTH)
    if isinstance(decay, bool) or not isinstance(decay, int | float) or not 0 <= decay <= 1:
        raise ConfigError(f"config: [network] decay must be a number from 0 to 1, not {decay!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ConfigError(f"config: [network] max_depth must be a whole number ≥ 0, not {depth!r}")
    return float(decay), depth


#: How ``as_of`` was chosen (`AsOf.source`), as the report header and the CLI state it.
AS_OF_GIVEN = "given"
AS_OF_STORE = "the store's date"
AS_OF_DATA = "end of the last complete month with data"


class AsOf(NamedTuple):
    """The date the analysis stands at, and how it was chosen (one of the AS_OF_* texts)."""

    when: datetime
    source: str


def _utc(as_of: datetime | date) -> datetime:
    if not isinstance(as_of, datetime):
        return end_of_day(as_of)
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)


def choose_as_of(
    store: Store, as_of: datetime | date | None, tables: Mapping[str, pl.DataFrame] | None = None
) -> AsOf:
    """`as_of` when given (a date means the end of that day; a naive time is UTC), else the
    store's meta 'as_of', else the end of the last complete month that has data in `tables` (read
    from the store when not given). DataError when the store holds no dated data at all."""
    if as_of is not None:
        return AsOf(_utc(as_of), AS_OF_GIVEN)
    meta = store.get_meta("as_of")
    if meta is not None:
        try:
            return AsOf(_utc(datetime.fromisoformat(meta)), AS_OF_STORE)
        except ValueError:
            raise DataError(f"store meta 'as_of' is not an ISO date-time: {meta!r}") from None
    when = data_as_of(tables if tables is not None else read_tables(store))
    if when is None:
        raise DataError(
            f"the store at {store.path} holds no dated data yet (no lead, deal, session, touch, "
            "metric or cost): import or pull first"
        )
    return AsOf(when, AS_OF_DATA)


def resolve_as_of(
    store: Store, as_of: datetime | date | None, tables: Mapping[str, pl.DataFrame] | None = None
) -> datetime:
    """The date of `choose_as_of`."""
    return choose_as_of(store, as_of, tables).when


def period_of(period: str | Period | None, as_of: datetime) -> Period | None:
    """`period` parsed against `as_of`. ``last-month`` is the last complete month at `as_of`:
    when `as_of` is the last instant of a month (the default), that month itself."""
    if period is None or isinstance(period, Period):
        return period
    return parse_period(period, as_of=as_of + timedelta(microseconds=1))


def redaction_salt(store: Store) -> bytes:
    """The store's secret salt for pseudonyms, created on first use (so pseudonyms stay the same
    across runs on the same store). A read-only store without one is a StoreError."""
    value = store.get_meta(SALT_KEY)
    if value is None:
        if store.read_only:
            raise StoreError(
                f"the store at {store.path} has no redaction salt yet and is open read-only; "
                "open it writable once (`socialroi report --redact` does)"
            )
        value = secrets.token_hex(SALT_BYTES)
        store.set_meta(SALT_KEY, value)
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise DataError(f"store meta '{SALT_KEY}' is not hex") from None


def read_tables(
    store: Store, *, redact: bool = False, extra: Sequence[str] = ()
) -> dict[str, pl.DataFrame]:
    """The canonical tables the analysis reads (and the `extra` ones), with contacts
    pseudonymised when `redact`."""
    tables = {name: store.read(name) for name in (*TABLES_USED, *extra)}
    return redact_tables(tables, salt=redaction_salt(store)) if redact else tables


def prepare(
    store: Store,
    *,
    settings: Settings,
    as_of: datetime | date | None = None,
    redact: bool = False,
    tables: Mapping[str, pl.DataFrame] | None = None,
) -> Pipeline:
    """The first half of the analysis of `store` (tables as of the date, identity, conversions;
    credits on demand), with the lookback and half-life of ``settings.attribution``. Service
    cases and hires come along for the policy funnel."""
    if tables is None:
        tables = read_tables(store, redact=redact, extra=("service_cases", "hires"))
    att = settings.attribution
    return Pipeline(
        tables,
        as_of=resolve_as_of(store, as_of, tables),
        lookback_days=att.lookback_days,
        half_life_days=att.half_life_days,
    )


@dataclasses.dataclass
class StoreRead:
    """Everything `analyze` reads from a store, so the store can be closed (and DuckDB's memory
    freed) before the figures are computed: see `read_for_analysis` and `analyze_read`.

    `tables` is handed to the analysis and dropped from here when it starts (`analyze_read`), so
    the raw tables do not outlive the pipeline's own view of them."""

    company: str
    currency: str
    as_of: AsOf
    tables: Mapping[str, pl.DataFrame] | None
    failed_runs: pl.DataFrame
    sync_state: pl.DataFrame
    salt: bytes | None


def read_for_analysis(
    store: Store,
    *,
    settings: Settings,
    as_of: datetime | date | None = None,
    redact: bool = False,
    tables: Mapping[str, pl.DataFrame] | None = None,
) -> StoreRead:
    """What `analyze` needs from `store` (arguments as there), read in one go."""
    network_settings(settings)  # a bad [network] section fails before anything is read
    company, currency = company_and_currency(store, settings)
    if tables is None:
        tables = read_tables(store, extra=("service_cases", "hires"))
    when = choose_as_of(store, as_of, tables)
    runs = store.runs()
    failed = runs.filter(pl.col("status") == "error").select(
        "kind", "target", "started_at", "error"
    )
    synced = store.query("SELECT adapter, stream, updated_at FROM sync_state ORDER BY 1, 2")
    salt = redaction_salt(store) if redact else None
    return StoreRead(company, currency, when, tables, failed, synced, salt)


def analyze_read(
    read: StoreRead,
    *,
    settings: Settings,
    compare: Sequence[str] | None = None,
    period: str | Period | None = None,
) -> Analysis:
    """`analyze` on what `read_for_analysis` read (redacted when it read the salt). Takes the
    tables out of `read`: call once per read."""
    decay, max_depth = network_settings(settings)
    att = settings.attribution
    tables, read.tables = read.tables, None
    if tables is None:
        raise ValueError("this StoreRead was analysed already")
    when, source = read.as_of
    pipeline = Pipeline(
        tables, as_of=when, lookback_days=att.lookback_days, half_life_days=att.half_life_days
    )
    if read.salt is None:
        del tables  # the pipeline holds what it needs
    result = compute(
        pipeline,
        period=period_of(period, when),
        model=att.model,
        company=read.company,
        currency=read.currency,
        compare=compare,
        decay=decay,
        max_depth=max_depth,
        as_of_source=source,
    )
    quality = dataclasses.replace(
        result.quality, failed_runs=read.failed_runs, sync_state=read.sync_state
    )
    result = dataclasses.replace(result, quality=quality)
    if read.salt is not None:
        result = redact_result(result, tables, salt=read.salt)
    return result


def analyze(
    store: Store,
    *,
    settings: Settings,
    as_of: datetime | date | None = None,
    compare: Sequence[str] | None = None,
    period: str | Period | None = None,
    redact: bool = False,
    tables: Mapping[str, pl.DataFrame] | None = None,
) -> Analysis:
    """Everything the report shows, for the data in `store` as it stood at `as_of` (default: see
    `choose_as_of`).

    The model, lookback and half-life come from ``settings.attribution``; `compare` limits the
    models set side by side (default: every registered model). `period` (``last-month``,
    ``2026-10``, ``2026Q3``, ``2026-01-01..2026-03-31``, or a `Period`) limits conversions and
    costs to that range (see `period_of`); a period with no data is a DataError. `redact`
    replaces contacts' names, emails, handles and ids in every frame of the result with
    pseudonyms keyed by the store's salt (`redaction_salt`), after the figures are computed on
    the real ids, so two people never merge. `tables` are the ones `read_tables(store)` returns,
    when the caller has read them already. The result's ``pipeline`` (which holds the real
    tables) serves the policy comparison too; show only the result's frames.

    Same as `analyze_read` on `read_for_analysis`, which lets the caller close the store between
    the two.
    """
    read = read_for_analysis(store, settings=settings, as_of=as_of, redact=redact, tables=tables)
    return analyze_read(read, settings=settings, compare=compare, period=period)
