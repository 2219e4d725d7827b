"""The contract every platform adapter passes. Call it from the platform's test module:

    def test_contract(make_context, tmp_path):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            register_pages(rsps)                       # the platform's fixtures
            ctx = make_context("x", OPTIONS, SECRETS)
            counts = run_contract(lambda: x.create(ctx), tmp_path, secrets=SECRETS.values())
        assert counts["posts"] == 3

It checks that the adapter declares its streams; that every batch holds only declared canonical
tables whose rows conform to the schema with unique keys; that cursors are JSON and only move
forward; that metric snapshots are keyed by the run's day; that no secret lands in a row; and,
through the real sync engine and store, that state survives a restart (store closed and reopened,
adapter rebuilt) and that a re-run from the stored cursors adds no rows.

`create` is called once per phase; it must return a fresh adapter each time (a "restart").
`before_rerun` may register the replies the incremental re-run asks for (e.g. an empty page for
`since_id=...`); without it the same replies serve the re-run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.adapters import registry
from socialroi.adapters.base import Adapter, Batch, Stream
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.store import Store
from tests.adapters.conftest import AS_OF


def _ordered(value: Any) -> Any:
    """A cursor value as something ordered, or None when it is opaque (a page token)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def assert_not_behind(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, where: str):
    """Every cursor value that is a number, a numeric id or an ISO time must not decrease."""
    if not old:
        return
    assert new is not None, f"{where}: the cursor was dropped after it had been set"
    for key, before in old.items():
        if key not in new:
            continue
        a, b = _ordered(before), _ordered(new[key])
        if a is None or b is None or type(a) is not type(b):
            continue
        assert b >= a, f"{where}: cursor {key} moved backwards: {before!r} -> {new[key]!r}"


def check_streams(adapter: Adapter) -> tuple[Stream, ...]:
    assert adapter.platform in registry.PLATFORMS, adapter.platform
    streams = tuple(adapter.streams)
    assert streams, "an adapter declares at least one stream"
    names = [s.name for s in streams]
    assert len(names) == len(set(names)), f"stream names repeat: {names}"
    for s in streams:
        assert isinstance(s, Stream)
        assert s.tables, f"stream {s.name} declares no tables"
        unknown = set(s.tables) - set(schema.TABLES)
        assert not unknown, f"stream {s.name} declares non-canonical tables {unknown}"
    return streams


def check_batch(
    batch: Batch, stream: Stream, *, as_of: datetime, secrets: Sequence[str], where: str
) -> int:
    assert isinstance(batch, Batch), f"{where}: fetch yields Batch objects"
    assert set(batch.tables) <= set(stream.tables), f"{where}: undeclared tables {batch.tables}"
    if batch.cursor is not None:
        json.dumps(dict(batch.cursor))  # a cursor is stored as JSON
    assert all(isinstance(w, str) for w in batch.warnings)
    rows = 0
    for name, df in batch.tables.items():
        assert isinstance(df, pl.DataFrame), f"{where}: {name} is not a polars DataFrame"
        conformed = schema.conform(name, df, source=where)
        key = list(schema.table(name).key)
        assert conformed.select(key).n_unique() == conformed.height, f"{where}: {name} keys repeat"
        if name == "post_metrics" and conformed.height:
            day = registry.snapshot_time(as_of)
            assert conformed["as_of"].unique().to_list() == [day], (
                f"{where}: post_metrics.as_of must be the run's day at midnight UTC ({day})"
            )
        for col, dtype in conformed.schema.items():
            if dtype == pl.String and secrets:
                text = "\n".join(v for v in conformed[col].to_list() if v)
                leaked = [s for s in secrets if s and s in text]
                assert not leaked, f"{where}: a secret value is in {name}.{col}"
        rows += conformed.height
    return rows


def _counts(store: Store) -> dict[str, int]:
    return {name: store.count(name) for name in schema.TABLES}


def run_contract(
    create: Callable[[], Adapter],
    tmp_path: Path,
    *,
    as_of: datetime = AS_OF,
    secrets: Sequence[str] = (),
    min_rows: int = 1,
    before_rerun: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Run the whole contract; returns the rows per canonical table after the first sync."""
    secrets = tuple(secrets)
    streams = check_streams(create())

    # 1. Direct fetch: shapes, keys, cursors, snapshots, secrets.
    fetched = 0
    for stream in streams:
        adapter = create()
        previous: Mapping[str, Any] | None = None
        for i, batch in enumerate(adapter.fetch(stream.name, since=None, state=None)):
            where = f"{adapter.platform}/{stream.name} batch {i + 1}"
            fetched += check_batch(batch, stream, as_of=as_of, secrets=secrets, where=where)
            if batch.cursor is not None:
                assert_not_behind(previous, batch.cursor, where)
                previous = batch.cursor
    assert fetched >= min_rows, f"the fixtures gave {fetched} rows; the contract needs {min_rows}"

    # 2. Through the sync engine into a store.
    path = tmp_path / "contract.duckdb"
    with Store.open(path, wait_seconds=2) as store:
        adapter = create()
        for stream in streams:
            res = run_stream(store, adapter, stream, secrets=secrets)
            assert res.ok, f"{stream.name}: {res.error}"
        first = _counts(store)
        states = {s.name: store.get_state(adapter.platform, s.name) for s in streams}
    assert sum(first.values()) >= min_rows

    # 3. Restart: a new store handle and a new adapter see the same state; a re-run adds nothing.
    if before_rerun is not None:
        before_rerun()
    with Store.open(path, wait_seconds=2) as store:
        adapter = create()
        for stream in streams:
            assert store.get_state(adapter.platform, stream.name) == states[stream.name]
            res = run_stream(store, adapter, stream, secrets=secrets)
            assert res.ok, f"re-run {stream.name}: {res.error}"
            after = state_cursor(store.get_state(adapter.platform, stream.name))
            assert_not_behind(state_cursor(states[stream.name]), after, f"re-run {stream.name}")
        again = _counts(store)
    assert again == first, (
        f"a re-run from the stored cursors changed row counts: {first} -> {again}"
    )
    return {k: v for k, v in first.items() if v}


__all__ = ["assert_not_behind", "check_batch", "check_streams", "run_contract"]
