"""Import batches: partial rows merge into the store, counts, dry runs, all-or-nothing, undo."""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from socialroi import DataError, Store
from socialroi.adapters import batches as batches_module
from socialroi.adapters.batches import TableCounts, batches, load_batch, undo

T0 = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
T1 = datetime(2024, 2, 1, tzinfo=UTC)
LI = {"platform": "linkedin", "account_id": "acme"}


def day(d: int, **values: int | None) -> dict[str, Any]:
    return {**LI, "date": date(2026, 3, d), **values}


def frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows with just the columns given, typed as the table's columns."""
    from socialroi import schema

    types_ = schema.TABLES[table].polars_schema
    names = {c: None for r in rows for c in r}
    return pl.DataFrame(rows, schema={c: types_[c] for c in names})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store holding deals d0 and d1 (names Acme and Beta)."""
    with Store.open(tmp_path / "s.duckdb") as s:
        s.upsert(
            "deals",
            pl.DataFrame(
                {
                    "deal_id": ["d0", "d1"],
                    "contact_id": ["c0", "c1"],
                    "name": ["Acme", "Beta"],
                    "created_at": [T0, T1],
                    "amount": [10.0, 20.0],
                }
            ),
        )
        yield s


def state(s: Store) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Every canonical table and the run log."""
    return s.read_all(), s.runs()


def assert_state(s: Store, before: tuple[dict[str, pl.DataFrame], pl.DataFrame]) -> None:
    tables, runs = state(s)
    for name, df in before[0].items():
        assert df.equals(tables[name]), name
    assert runs.equals(before[1])


def deal_rows(s: Store) -> list[tuple[Any, ...]]:
    return s.read("deals").select("deal_id", "contact_id", "name", "amount").rows()


# -- merging partial rows ------------------------------------------------------------------------


def test_partial_rows_keep_the_columns_the_file_lacks(store: Store) -> None:
    content = frame("account_daily", [day(1, impressions=100), day(2, impressions=200)])
    followers = frame("account_daily", [day(2, followers=10), day(3, followers=11)])
    load_batch(store, {"account_daily": content}, target="linkedin-page content.xls")
    res = load_batch(store, {"account_daily": followers}, target="linkedin-page followers.xls")
    got = store.read("account_daily").select("date", "followers", "impressions", "reach")
    assert got.rows() == [
        (date(2026, 3, 1), None, 100, None),
        (date(2026, 3, 2), 10, 200, None),  # followers added, impressions kept
        (date(2026, 3, 3), 11, None, None),
    ]
    assert res.tables == (TableCounts("account_daily", 2, 1, 1, 0),)
    assert res.rows_written == 2


def test_counts_new_updated_unchanged_and_empty_cells(store: Store) -> None:
    df = frame(
        "deals",
        [
            {"deal_id": "d0", "name": "Acme", "amount": 10.0},  # as stored: unchanged
            {"deal_id": "d1", "name": None, "amount": 25.0},  # an empty name clears it: updated
            {"deal_id": "d1", "name": None, "amount": 25.0},  # an exact repeat: unchanged
        ],
    )
    res = load_batch(store, {"deals": df}, target="deals a")
    assert res.tables == (TableCounts("deals", 3, 0, 1, 2),)
    assert res.rows_written == 1
    df = frame(
        "deals",
        [
            {"deal_id": "d2", "contact_id": "c2", "created_at": T1},  # new
            {"deal_id": "d0", "contact_id": "c0", "created_at": T0},  # as stored: unchanged
        ],
    )
    res = load_batch(store, {"deals": df}, target="deals b")
    assert res.tables == (TableCounts("deals", 2, 1, 0, 1),)
    assert deal_rows(store) == [
        ("d0", "c0", "Acme", 10.0),
        ("d1", "c1", None, 25.0),
        ("d2", "c2", None, None),
    ]
    assert store.runs().select("target", "rows").rows() == [("deals a", 1), ("deals b", 1)]


def test_unchanged_rows_are_not_rewritten_and_a_repeat_batch_writes_nothing(store: Store) -> None:
    df = frame("deals", [{"deal_id": "d0", "amount": 10.0}, {"deal_id": "d1", "amount": 20.0}])
    res = load_batch(store, {"deals": df}, target="same")
    assert res.tables == (TableCounts("deals", 2, 0, 0, 2),)
    assert res.rows_written == 0
    assert store.runs()["rows"].to_list() == [0]


def test_costs_platform_and_employee_default_to_blank(store: Store) -> None:
    df = frame("costs", [{"month": date(2026, 3, 1), "category": "tools", "amount": 49.0}])
    load_batch(store, {"costs": df}, target="costs")
    assert store.read("costs").rows() == [(date(2026, 3, 1), "tools", "", "", 49.0)]


def test_required_column_missing_for_a_new_key_is_refused(store: Store) -> None:
    df = frame("deals", [{"deal_id": "d0", "amount": 1.0}, {"deal_id": "d9", "amount": 2.0}])
    with pytest.raises(DataError) as err:
        load_batch(store, {"deals": df}, target="deals")
    assert (err.value.row, err.value.column) == (2, "contact_id")
    assert "store holds no such row" in str(err.value)
    assert deal_rows(store)[0] == ("d0", "c0", "Acme", 10.0)


def test_same_key_different_content_names_table_and_position(store: Store) -> None:
    df = frame(
        "deals",
        [
            {"deal_id": "d0", "amount": 1.0},
            {"deal_id": "d1", "amount": 2.0},
            {"deal_id": "d0", "amount": 1.0},  # an exact repeat is harmless
            {"deal_id": "d0", "amount": 3.0},
        ],
    )
    with pytest.raises(DataError) as err:
        load_batch(store, {"deals": df}, target="deals")
    assert (err.value.row, err.value.column) == (4, "deal_id")
    assert "in table 'deals'" in str(err.value)
    assert "the same key as row 1" in str(err.value)


def test_bad_frames_are_refused(store: Store) -> None:
    with pytest.raises(DataError, match="has no column"):
        load_batch(
            store, {"deals": pl.DataFrame({"deal_id": ["d0"], "colour": ["red"]})}, target="x"
        )
    with pytest.raises(DataError, match="missing key column"):
        load_batch(store, {"deals": pl.DataFrame({"amount": [1.0]})}, target="x")
    with pytest.raises(DataError) as err:
        load_batch(
            store, {"deals": frame("deals", [{"deal_id": "d0", "amount": -1.0}])}, target="x"
        )
    assert (err.value.row, err.value.column) == (1, "amount")
    with pytest.raises(DataError, match="unknown table"):
        load_batch(store, {"nope": pl.DataFrame({"a": [1]})}, target="x")


def test_dry_run_counts_and_writes_nothing(store: Store) -> None:
    before = state(store)
    df = frame("deals", [{"deal_id": "d0", "amount": 11.0}, {"deal_id": "d1", "amount": 20.0}])
    dry = load_batch(store, {"deals": df}, target="deals", dry_run=True)
    assert dry.batch_id == ""
    assert dry.tables == (TableCounts("deals", 2, 0, 1, 1),)
    assert_state(store, before)
    real = load_batch(store, {"deals": df}, target="deals")
    assert real.tables == dry.tables


def test_progress_hears_rows_written(store: Store) -> None:
    heard: list[tuple[int, int]] = []
    df = frame("deals", [{"deal_id": "d0", "amount": 11.0}, {"deal_id": "d1", "amount": 20.0}])
    costs = frame("costs", [{"month": date(2026, 3, 1), "category": "tools", "amount": 1.0}])
    load_batch(
        store, {"deals": df, "costs": costs}, target="x", progress=lambda d, t: heard.append((d, t))
    )
    assert heard == [(0, 2), (1, 2), (2, 2)]


# -- all or nothing ----------------------------------------------------------------------------


def test_an_error_in_the_second_table_leaves_nothing(store: Store) -> None:
    tables = state(store)[0]
    good = frame("deals", [{"deal_id": "d0", "amount": 99.0}])
    bad = frame("costs", [{"month": date(2026, 3, 1), "category": "tools", "amount": -5.0}])
    with pytest.raises(DataError, match="must not be negative"):
        load_batch(store, {"deals": good, "costs": bad}, target="two tables")
    assert_state(store, (tables, store.runs()))
    (run,) = store.runs().iter_rows(named=True)
    assert (run["kind"], run["status"], run["target"]) == ("import", "error", "two tables")
    assert store.query("SELECT count(*) AS n FROM import_batches")["n"][0] == 0


def test_a_failure_after_the_first_table_is_written_rolls_everything_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = state(store)[0]
    write = batches_module._write
    calls: list[str] = []

    def failing(s: Store, plan: Any, batch_id: str) -> None:
        calls.append(plan.table.name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        write(s, plan, batch_id)

    monkeypatch.setattr(batches_module, "_write", failing)
    good = frame("deals", [{"deal_id": "d0", "amount": 99.0}])
    costs = frame("costs", [{"month": date(2026, 3, 1), "category": "tools", "amount": 5.0}])
    with pytest.raises(RuntimeError):
        load_batch(store, {"deals": good, "costs": costs}, target="x")
    assert calls == ["deals", "costs"]
    assert_state(store, (tables, store.runs()))
    assert store.query("SELECT count(*) AS n FROM import_undo_parts")["n"][0] == 0
    assert store.query("SELECT count(*) AS n FROM import_batches")["n"][0] == 0


# -- undo -----------------------------------------------------------------------------------------


def test_undo_restores_updated_rows_exactly_and_removes_added_ones(store: Store) -> None:
    seed = {"month": date(2026, 2, 1), "category": "ads", "platform": "", "employee_id": ""}
    store.upsert("costs", frame("costs", [{**seed, "amount": 7.0}]))
    before = store.read_all()
    deals = frame(
        "deals",
        [
            {"deal_id": "d0", "contact_id": "c0", "created_at": T0, "name": None, "amount": 11.5},
            # unchanged: not recorded, not restored
            {"deal_id": "d1", "contact_id": "c1", "created_at": T1, "name": "Beta", "amount": 20.0},
            {"deal_id": "d2", "contact_id": "c2", "created_at": T1, "name": "Gamma", "amount": 3.0},
        ],
    )
    costs = frame(
        "costs",
        [
            {"month": date(2026, 2, 1), "category": "ads", "amount": 8.0},
            {"month": date(2026, 3, 1), "category": "ads", "amount": 9.0},
        ],
    )
    res = load_batch(store, {"deals": deals, "costs": costs}, target="both")
    assert deal_rows(store)[0] == ("d0", "c0", None, 11.5)
    assert store.count("deals") == 3
    back = undo(store, res.batch_id)
    assert back.batch_id == res.batch_id
    assert back.tables == (
        TableCounts("deals", 2, 0, 1, 0, rows_removed=1),
        TableCounts("costs", 2, 0, 1, 0, rows_removed=1),
    )
    after = store.read_all()
    for name, df in before.items():
        assert df.equals(after[name]), name
    assert deal_rows(store) == [("d0", "c0", "Acme", 10.0), ("d1", "c1", "Beta", 20.0)]
    runs = store.runs()
    assert runs.select("kind", "target", "status", "rows").rows() == [
        ("import", "both", "ok", 4),
        ("undo", res.batch_id, "ok", 4),
    ]
    listed = batches(store)
    assert listed.select("batch_id", "status", "rows").rows() == [(res.batch_id, "undone", 4)]
    assert listed["undone_at"][0] is not None


def test_undo_refused_after_a_later_batch_changed_a_row(store: Store) -> None:
    first = load_batch(
        store, {"deals": frame("deals", [{"deal_id": "d1", "amount": 21.0}])}, target="a"
    )
    second = load_batch(
        store, {"deals": frame("deals", [{"deal_id": "d1", "amount": 22.0}])}, target="b"
    )
    before = state(store)
    with pytest.raises(DataError) as err:
        undo(store, first.batch_id)
    assert "deals row (deal_id=d1)" in str(err.value)
    assert "undo the later import" in str(err.value)
    assert_state(store, before)  # nothing changed, not even the run log
    undo(store, second.batch_id)
    assert deal_rows(store)[1] == ("d1", "c1", "Beta", 21.0)
    undo(store, first.batch_id)  # the later one undone, the first can go too
    assert deal_rows(store)[1] == ("d1", "c1", "Beta", 20.0)


def test_undo_refused_after_a_pull_changed_a_row_the_batch_added(store: Store) -> None:
    new = frame("deals", [{"deal_id": "d5", "contact_id": "c5", "created_at": T0, "amount": 1.0}])
    res = load_batch(store, {"deals": new}, target="a")
    store.upsert("deals", new.with_columns(pl.lit(2.0).alias("amount")))  # as a pull writes
    with pytest.raises(DataError, match=r"deals row \(deal_id=d5\) changed"):
        undo(store, res.batch_id)
    assert store.count("deals") == 3


def test_undo_after_a_later_identical_write_is_allowed(store: Store) -> None:
    new = frame("deals", [{"deal_id": "d5", "contact_id": "c5", "created_at": T0, "amount": 1.0}])
    res = load_batch(store, {"deals": new}, target="a")
    load_batch(store, {"deals": new}, target="again")  # unchanged: writes nothing
    undo(store, res.batch_id)
    assert [r[0] for r in deal_rows(store)] == ["d0", "d1"]


def test_undo_twice_and_unknown_batches_are_refused(store: Store) -> None:
    res = load_batch(
        store, {"deals": frame("deals", [{"deal_id": "d1", "amount": 21.0}])}, target="a"
    )
    undo(store, res.batch_id)
    before = state(store)
    with pytest.raises(DataError, match="already undone"):
        undo(store, res.batch_id)
    with pytest.raises(DataError, match="no import batch 'ffffffffff'"):
        undo(store, "ffffffffff")
    assert_state(store, before)


def test_undo_of_a_failed_import_is_refused(store: Store) -> None:
    bad = frame("deals", [{"deal_id": "d1", "amount": -1.0}])
    with pytest.raises(DataError):
        load_batch(store, {"deals": bad}, target="bad")
    run_id = store.runs()["run_id"][0]
    with pytest.raises(DataError, match="status 'error': it wrote nothing"):
        undo(store, run_id)


def test_undo_accepts_a_unique_prefix_of_six_or_more(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abcdef0000000001", "abcdef1100000002", "abcdef1100000003"])
    fake = types.SimpleNamespace(uuid4=lambda: types.SimpleNamespace(hex=next(ids)))
    monkeypatch.setattr("socialroi.store.uuid", fake)
    for amount in (21.0, 22.0):
        load_batch(
            store, {"deals": frame("deals", [{"deal_id": "d1", "amount": amount}])}, target="x"
        )
    with pytest.raises(DataError, match="too short"):
        undo(store, "abcde")
    with pytest.raises(DataError, match="ambiguous: it starts abcdef000000, abcdef110000"):
        undo(store, "abcdef")
    res = undo(store, "ABCDEF11")
    assert res.batch_id == "abcdef1100000002"
    assert deal_rows(store)[1][3] == 21.0


def test_batches_newest_first_with_status(store: Store) -> None:
    a = load_batch(
        store, {"deals": frame("deals", [{"deal_id": "d1", "amount": 21.0}])}, target="a"
    )
    b = load_batch(
        store, {"deals": frame("deals", [{"deal_id": "d0", "amount": 11.0}])}, target="b"
    )
    with store.run("pull", "hubspot"):
        pass
    undo(store, a.batch_id)
    listed = batches(store)
    assert listed.columns == ["batch_id", "started_at", "target", "status", "rows", "undone_at"]
    assert listed.select("batch_id", "target", "status", "rows").rows() == [
        (b.batch_id, "b", "ok", 1),
        (a.batch_id, "a", "undone", 1),
    ]


# -- store helpers and older stores ---------------------------------------------------------------


@pytest.mark.parametrize("n_delete", [1, 100])
def test_delete_keys_removes_exactly_those_rows(store: Store, n_delete: int) -> None:
    rows = [
        {"deal_id": f"x{i:03d}", "contact_id": "c", "created_at": T0, "amount": float(i)}
        for i in range(200)
    ]
    store.upsert("deals", frame("deals", rows))
    keys = pl.DataFrame({"deal_id": [f"x{i:03d}" for i in range(0, 2 * n_delete, 2)]})
    assert store.delete_keys("deals", keys) == n_delete
    left = store.read("deals")
    assert left.height == 202 - n_delete
    assert not left["deal_id"].is_in(keys["deal_id"].to_list()).any()
    assert left.filter(pl.col("deal_id") == "x001")["amount"].to_list() == [1.0]
    store.upsert("deals", frame("deals", [{**rows[2], "amount": 99.0}]))  # keys stay unique
    assert store.read("deals").filter(pl.col("deal_id") == "x002")["amount"].to_list() == [99.0]


def test_a_datetime_key_merges_with_the_stored_row(store: Store) -> None:
    touch = {"contact_id": "c0", "ts": T0, "channel": "linkedin", "ref": "s1"}
    load_batch(
        store, {"touchpoints": frame("touchpoints", [{**touch, "kind": "post_click"}])}, target="a"
    )
    res = load_batch(
        store, {"touchpoints": frame("touchpoints", [{**touch, "campaign": "spring"}])}, target="b"
    )
    assert res.tables == (TableCounts("touchpoints", 1, 0, 1, 0),)
    got = store.read("touchpoints").select("ts", "kind", "campaign").rows()
    assert got == [(T0, "post_click", "spring")]
    undo(store, res.batch_id)
    assert store.read("touchpoints").select("ts", "kind", "campaign").rows() == [
        (T0, "post_click", None)
    ]


def test_undo_reads_the_row_records_of_an_older_version(tmp_path: Path) -> None:
    """A batch an older version loaded kept its undo records as rows in import_undo_deals
    (since then the schema gained expected_close): it is undone all the same."""
    path = tmp_path / "old.duckdb"
    with Store.open(path) as s:
        s.upsert("deals", frame("deals", [{"deal_id": "d0", "contact_id": "c0", "created_at": T0}]))
        with s.run("import", "deals old.csv") as rec:
            s.upsert(
                "deals",
                frame(
                    "deals",
                    [
                        {"deal_id": "d0", "contact_id": "c0", "created_at": T0, "amount": 5.0},
                        {"deal_id": "d9", "contact_id": "c9", "created_at": T1},
                    ],
                ),
            )
            table = s.undo_table("deals")
            for deal, amount, op in (("d0", None, "before"), ("d0", 5.0, "after")):
                s.execute(
                    f"INSERT INTO {table} (deal_id, contact_id, created_at, amount, _batch, _op) "
                    "VALUES (?, 'c0', ?, ?, ?, ?)",
                    [deal, T0, amount, rec.run_id, op],
                )
            s.execute(
                f"INSERT INTO {table} (deal_id, contact_id, created_at, _batch, _op) "
                "VALUES ('d9', 'c9', ?, ?, 'added')",
                [T1, rec.run_id],
            )
            s.execute("INSERT INTO import_batches (batch_id) VALUES (?)", [rec.run_id])
            s.execute(f"ALTER TABLE {table} DROP COLUMN expected_close")
        batch = rec.run_id
    with Store.open(path) as s:
        assert "expected_close" in s.query("SELECT * FROM import_undo_deals LIMIT 0").columns
        res = undo(s, batch)
        assert res.tables == (TableCounts("deals", 2, 0, 1, 0, rows_removed=1),)
        assert s.read("deals").select("deal_id", "amount", "expected_close").rows() == [
            ("d0", None, None)
        ]


def test_a_batch_larger_than_one_record_part_is_undone_exactly(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches_module, "PART_ROWS", 2)
    before = store.read("deals")
    rows = [
        {"deal_id": f"n{i}", "contact_id": "c", "created_at": T0, "amount": float(i)}
        for i in range(5)
    ]
    changed = [
        {"deal_id": "d0", "contact_id": "c0", "created_at": T0, "amount": 11.0},
        {"deal_id": "d1", "contact_id": "c1", "created_at": T1, "amount": 21.0},
    ]
    res = load_batch(store, {"deals": frame("deals", rows + changed)}, target="big")
    assert res.tables == (TableCounts("deals", 7, 5, 2, 0),)
    parts = store.query(
        "SELECT op, count(*) AS parts, sum(n_rows) AS n FROM import_undo_parts GROUP BY op "
        "ORDER BY op"
    ).rows()
    assert parts == [("added", 3, 5), ("after", 1, 2), ("before", 1, 2)]
    assert store.read("deals").height == 7
    undo(store, res.batch_id)
    assert store.read("deals").equals(before)


def test_batches_of_a_read_only_store_without_the_batch_table(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store.open(path) as s:
        with s.run("import", "deals old.csv") as rec:
            rec.rows = 3
        s.execute("DROP TABLE import_batches")
    with Store.open(path, read_only=True) as s:
        listed = batches(s)
    assert listed.select("target", "status", "rows", "undone_at").rows() == [
        ("deals old.csv", "ok", 3, None)
    ]
    # Opened for writing, the table is back; the old import kept no undo records.
    with Store.open(path) as s, pytest.raises(DataError, match="kept no undo records"):
        undo(s, listed["batch_id"][0])
