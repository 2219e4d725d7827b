"""From a store to results: read the tables, resolve names and dates, run the core.

The company name and currency come from the user's config when it sets them in [company], else
from the store's meta ('company', 'currency'), else the defaults. ``as_of`` defaults to the store's
meta 'as_of' (the demo company sets it) and then to now. The referral chains' decay per hop and
depth come from config [network] (``decay``, ``max_depth``).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import polars as pl

from socialroi import clock
from socialroi.config import Settings
from socialroi.core.kpis import TABLES_USED, Analysis, compute
from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
from socialroi.core.period import Period, parse_period
from socialroi.core.redact import redact_tables
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


def resolve_as_of(store: Store, as_of: datetime | None) -> datetime:
    """`as_of` (naive taken as UTC), else the store's meta 'as_of', else now."""
    if as_of is None:
        meta = store.get_meta("as_of")
        if meta is None:
            return clock.now()
        try:
            as_of = datetime.fromisoformat(meta)
        except ValueError:
            raise DataError(f"store meta 'as_of' is not an ISO date-time: {meta!r}") from None
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)


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


def read_tables(store: Store, *, redact: bool = False) -> dict[str, pl.DataFrame]:
    """The canonical tables the analysis reads, with contacts pseudonymised when `redact`."""
    tables = {name: store.read(name) for name in TABLES_USED}
    return redact_tables(tables, salt=redaction_salt(store)) if redact else tables


def analyze(
    store: Store,
    *,
    settings: Settings,
    as_of: datetime | None = None,
    compare: Sequence[str] | None = None,
    period: str | Period | None = None,
    redact: bool = False,
    tables: Mapping[str, pl.DataFrame] | None = None,
) -> Analysis:
    """Everything the report shows, for the data in `store` as it stood at `as_of`.

    The model, lookback and half-life come from ``settings.attribution``; `compare` limits the
    models set side by side (default: every registered model). `period` (``last-month``,
    ``2026-10``, ``2026Q3``, ``2026-01-01..2026-03-31``, or a `Period`) limits conversions and
    costs to that range; see `socialroi.core.period`. `redact` replaces contacts' names, emails,
    handles and ids with pseudonyms keyed by the store's salt (`redaction_salt`) before anything
    is computed, so no table or figure built from the result holds them. `tables` are the ones
    `read_tables(store, redact=redact)` returns, when the caller has read them already.
    """
    company, currency = company_and_currency(store, settings)
    decay, max_depth = network_settings(settings)
    att = settings.attribution
    when = resolve_as_of(store, as_of)
    if isinstance(period, str):
        period = parse_period(period, as_of=when)
    if tables is None:
        tables = read_tables(store, redact=redact)
    result = compute(
        tables,
        as_of=when,
        period=period,
        model=att.model,
        lookback_days=att.lookback_days,
        half_life_days=att.half_life_days,
        company=company,
        currency=currency,
        compare=compare,
        decay=decay,
        max_depth=max_depth,
    )
    runs = store.runs()
    failed = runs.filter(pl.col("status") == "error").select(
        "kind", "target", "started_at", "error"
    )
    synced = store.query("SELECT adapter, stream, updated_at FROM sync_state ORDER BY 1, 2")
    quality = dataclasses.replace(result.quality, failed_runs=failed, sync_state=synced)
    return dataclasses.replace(result, redacted=redact, quality=quality)
