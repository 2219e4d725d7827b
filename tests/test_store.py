"""The embedded store: idempotent upserts, all-or-nothing writes, the run log, two writers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from socialroi import DataError, Store, StoreError, schema
from socialroi.cli import main
from socialroi.store import STORE_ENV, default_path

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def deals(amounts: dict[str, float]) -> pl.DataFrame:
    ids = list(amounts)
    return pl.DataFrame(
        {
            "deal_id": ids,
            "contact_id": [f"c-{i}" for i in ids],
            "created_at": [T0] * len(ids),
            "amount": list(amounts.values()),
        }
    )


def costs(amount: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [date(2025, 1, 1)],
            "category": ["tools"],
            "platform": [""],
            "employee_id": [""],
            "amount": [amount],
        }
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "s.duckdb"
    with Store.open(p) as store:
        store.upsert_many({"deals": deals({"d1": 100.0, "d2": 250.0}), "costs": costs(5.0)})
    return p


def contents(p: Path) -> dict[str, pl.DataFrame]:
    with Store.open(p, read_only=True) as store:
        return store.read_all()


def assert_unchanged(before: dict[str, pl.DataFrame], p: Path) -> None:
    after = contents(p)
    for name, df in before.items():
        assert df.equals(after[name]), name


def test_loading_the_same_rows_twice_changes_nothing(path: Path) -> None:
    before = contents(path)
    with Store.open(path) as store:
        written = store.upsert_many({"deals": deals({"d1": 100.0, "d2": 250.0}), "costs": costs(5)})
        assert written == 3
        assert (store.count("deals"), store.count("costs")) == (2, 1)
    assert_unchanged(before, path)


def test_changed_content_for_a_key_updates_it(path: Path) -> None:
    with Store.open(path) as store:
        store.upsert("deals", deals({"d2": 300.0, "d3": 1.0}))
        got = store.read("deals")
    assert got.select("deal_id", "amount").rows() == [("d1", 100.0), ("d2", 300.0), ("d3", 1.0)]


def test_one_bad_frame_leaves_every_table_unchanged(path: Path) -> None:
    before = contents(path)
    with Store.open(path) as store, pytest.raises(DataError, match="must not be negative"):
        store.upsert_many({"deals": deals({"d9": 9.0}), "costs": costs(-1.0)})
    assert_unchanged(before, path)


def test_a_failure_inside_a_transaction_rolls_back_earlier_writes(path: Path) -> None:
    def write_then_fail(store: Store) -> None:
        with store.transaction():
            store.upsert("deals", deals({"d1": 1.0, "d9": 9.0}))
            store.set_state("hubspot", "deals", {"after": "d9"})
            store.upsert("costs", costs(-1.0))

    before = contents(path)
    with Store.open(path) as store:
        with pytest.raises(DataError):
            write_then_fail(store)
        assert store.get_state("hubspot", "deals") is None
    assert_unchanged(before, path)


def test_duplicate_key_with_different_content_names_the_row(path: Path) -> None:
    batch = pl.concat([deals({"d5": 1.0, "d6": 2.0}), deals({"d5": 3.0})])
    before = contents(path)
    with Store.open(path) as store, pytest.raises(DataError) as err:
        store.upsert("deals", batch, source="batch.parquet")
    assert (err.value.file, err.value.row, err.value.column) == ("batch.parquet", 3, "deal_id")
    assert "duplicate key deal_id with different content" in str(err.value)
    assert_unchanged(before, path)


def test_exact_repeats_in_one_batch_collapse(path: Path) -> None:
    with Store.open(path) as store:
        assert store.upsert("deals", pl.concat([deals({"d7": 7.0})] * 3)) == 1
        assert store.count("deals") == 3


def test_run_log_records_ok_and_error_runs(path: Path) -> None:
    with Store.open(path) as store:
        with store.run("import", "deals a.csv") as rec:
            rec.rows = store.upsert("deals", deals({"d8": 8.0}))
        with pytest.raises(DataError), store.run("pull", "hubspot") as rec:
            store.upsert("costs", costs(-1.0))
        runs = store.runs()
    assert runs.select("kind", "target", "status", "rows").rows() == [
        ("import", "deals a.csv", "ok", 1),
        ("pull", "hubspot", "error", 0),
    ]
    assert runs["error"][0] is None
    assert "must not be negative" in runs["error"][1]
    assert runs["ended_at"].is_not_null().all()


def test_sync_state_round_trips(path: Path) -> None:
    with Store.open(path) as store:
        assert store.get_state("x", "posts") is None
        store.set_state("x", "posts", {"since_id": "123", "pages": 2})
        store.set_state("x", "posts", {"since_id": "456", "pages": 3})
        store.set_state("x", "metrics", {"as_of": "2025-01-01"})
    with Store.open(path, read_only=True) as store:
        assert store.get_state("x", "posts") == {"since_id": "456", "pages": 3}
        assert store.get_state("x", "metrics") == {"as_of": "2025-01-01"}


def test_read_only_refuses_a_missing_store_and_writes(tmp_path: Path, path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with pytest.raises(StoreError, match="no store at"), Store.open(missing, read_only=True):
        pass
    assert not missing.exists()
    with Store.open(path, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        store.upsert("deals", deals({"d9": 9.0}))


def test_unusable_paths_are_store_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("hello")
    with pytest.raises(StoreError, match="cannot open store"), Store.open(junk):
        pass
    under_a_file = junk / "s.duckdb"
    expected = f"cannot create store {under_a_file}: no folder {junk} (a file has that name)"
    with pytest.raises(StoreError) as err, Store.open(under_a_file):
        pass
    assert str(err.value) == expected


# -- two writers ---------------------------------------------------------------------------------
WRITER = """
import json, sys, time
from datetime import UTC, datetime
import polars as pl
from socialroi import Store, StoreLocked
path, wait = sys.argv[1], float(sys.argv[2])
row = {"deal_id": ["w1"], "contact_id": ["cw"], "created_at": [datetime(2025, 2, 1, tzinfo=UTC)]}
print("opening", flush=True)
start = time.monotonic()
try:
    with Store.open(path, wait_seconds=wait) as store:
        waited = time.monotonic() - start
        store.upsert("deals", pl.DataFrame(row))
    print(json.dumps({"ok": True, "waited": waited}))
except StoreLocked as exc:
    print(json.dumps({"ok": False, "waited": time.monotonic() - start, "error": str(exc)}))
"""


def _second_writer(path: Path, wait: float, hold: float) -> dict[str, object]:
    """Run a writer in another process while this one holds the store for `hold` seconds."""
    with Store.open(path) as store:
        store.upsert("deals", deals({"d3": 3.0}))
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(wait)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "opening"
        time.sleep(hold)
        store.upsert("deals", deals({"d4": 4.0}))  # the holder still writes while the other waits
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    result: dict[str, object] = json.loads(out)
    return result


@pytest.mark.slow  # two processes, waits on the lock in real time
def test_second_writer_waits_for_the_first_then_writes(path: Path) -> None:
    result = _second_writer(path, wait=30, hold=1.0)
    assert result["ok"] is True
    assert isinstance(result["waited"], float)
    assert result["waited"] >= 0.5
    got = contents(path)["deals"]
    assert got["deal_id"].to_list() == ["d1", "d2", "d3", "d4", "w1"]


@pytest.mark.slow  # two processes, waits on the lock in real time
def test_second_writer_gives_up_with_a_clear_message(path: Path) -> None:
    result = _second_writer(path, wait=0.2, hold=1.5)
    assert result["ok"] is False
    assert result["error"] == (
        f"store {path} is in use by another socialroi process; waited 0.2s. "
        "Try again when it has finished."
    )
    got = contents(path)
    assert got["deals"]["deal_id"].to_list() == ["d1", "d2", "d3", "d4"]
    assert got["costs"].height == 1


# -- where the store is --------------------------------------------------------------------------
def test_socialroi_store_is_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env" / "s.duckdb"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STORE_ENV, str(target))
    assert default_path() == target
    csv = tmp_path / "deals.csv"
    csv.write_text("deal_id,contact_id,created_at\nd1,c1,2025-01-01\n")
    result = CliRunner().invoke(main, ["import", "deals", str(csv)])
    assert result.exit_code == 0, result.output
    assert f"store {target}" in result.stdout
    assert contents(target)["deals"]["deal_id"].to_list() == ["d1"]
    assert not (tmp_path / "data").exists()


def test_an_older_store_gains_new_columns_and_tables(tmp_path):
    """A store written before a column or table existed still opens, reads and takes new rows."""
    import duckdb

    path = tmp_path / "old.duckdb"
    with Store.open(path) as store:
        store.upsert("employees", pl.DataFrame({"employee_id": ["e1"], "name": ["Ann"]}))
    con = duckdb.connect(str(path))
    con.execute('ALTER TABLE employees DROP COLUMN "team"')
    con.execute("DROP TABLE hires")
    con.close()
    with Store.open(path, read_only=True) as store:
        old = store.read("employees")
        assert old["name"].to_list() == ["Ann"]
        assert old["team"].to_list() == [None]
        assert store.read("hires").height == 0
    with Store.open(path) as store:
        store.upsert("employees", pl.DataFrame({"employee_id": ["e2"], "team": ["Sales"]}))
        assert store.read("employees")["team"].to_list() == [None, "Sales"]


def test_an_older_store_with_key_indexes_opens_and_keeps_its_keys_unique(tmp_path):
    """Stores created when canonical tables had a PRIMARY KEY lose the index on the first
    writable open, keep their rows, and a second load of a key still replaces its row."""
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(  # also without the newer "won" column, which the rebuild copies
        "CREATE TABLE deals (deal_id VARCHAR NOT NULL, contact_id VARCHAR NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, amount DOUBLE, PRIMARY KEY (deal_id))"
    )
    con.execute("INSERT INTO deals VALUES ('d2', 'c2', '2024-01-02 00:00:00+00', 2.0)")
    con.execute("INSERT INTO deals VALUES ('d1', 'c1', '2024-01-01 00:00:00+00', 1.0)")
    con.close()
    with Store.open(path, read_only=True) as store:
        assert store.read("deals")["amount"].to_list() == [1.0, 2.0]
    with Store.open(path) as store:
        keyed = store.query(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        )["table_name"].to_list()
        assert "deals" not in keyed
        assert store.read("deals").select("deal_id", "amount").rows() == [("d1", 1.0), ("d2", 2.0)]
        assert store.read("deals")["won"].to_list() == [None, None]
        store.upsert(
            "deals",
            pl.DataFrame(
                {
                    "deal_id": ["d1"],
                    "contact_id": ["c1"],
                    "created_at": [datetime(2024, 1, 1, tzinfo=UTC)],
                    "amount": [5.0],
                }
            ),
        )
        assert store.read("deals").select("deal_id", "amount").rows() == [("d1", 5.0), ("d2", 2.0)]


def test_creating_and_reopening_a_store_loads_neither_pyarrow_nor_pandas(tmp_path: Path) -> None:
    """Opening for writing binds no parameters (creating the tables, closing interrupted runs),
    so a new store costs neither import; every table and column is there."""
    path = tmp_path / "new.duckdb"
    code = (
        "import json, sys\n"
        "from socialroi import Store\n"
        f"with Store.open({str(path)!r}) as s:\n"
        "    pass\n"
        f"with Store.open({str(path)!r}) as s:\n"
        "    cols = {n: s.read(n).columns for n in ('deals', 'sessions')}\n"
        "    runs = s.runs().height\n"
        "loaded = sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules)\n"
        "print(json.dumps([cols, runs, loaded]))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    want = {n: list(schema.table(n).names) for n in ("deals", "sessions")}
    assert json.loads(run.stdout) == [want, 0, []]
    with Store.open(path, read_only=True) as store:
        assert store.has_table("run_log")
        assert store.has_table("import_batches")
        assert all(store.has_table(name) for name in schema.TABLES)


def test_reading_a_store_loads_neither_pyarrow_nor_pandas(path: Path) -> None:
    """Tables, meta, the run log and parameter-free queries reach polars through Arrow's C stream
    and bind no parameters (DuckDB imports pandas, and with it pyarrow, to bind one when pandas is
    installed): a report does not pay for either. Quotes in values survive the literal."""
    with Store.open(path) as store:
        store.set_meta("company", "O'Brien & Co")
        with store.run("import", "deals a.csv") as rec:
            rec.rows = 2
    code = (
        "import json, sys\n"
        "from socialroi import Store\n"
        f"with Store.open({str(path)!r}, read_only=True) as s:\n"
        "    out = [s.read_all()['deals']['amount'].sum(), s.runs()['rows'].to_list(),\n"
        "           s.get_meta('company'), s.get_meta(\"it's\"),\n"
        "           s.query('SELECT count(*) AS n FROM costs')['n'][0]]\n"
        "print(json.dumps([out, sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules)]))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == [[350.0, [2], "O'Brien & Co", None, 1], []]


def test_a_small_store_is_read_by_one_thread_unless_told(path: Path) -> None:
    """Reading a small store splits no work across threads (it costs more than it saves); a
    writable open keeps DuckDB's default unless `threads` says otherwise."""
    import duckdb

    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchall()[0]
    with Store.open(path) as store:
        store.upsert("deals", deals({"d1": 1.0}))
        written = store.read("deals")
        assert store.query("SELECT current_setting('threads') AS n")["n"][0] == default[0]
    with Store.open(path, threads=2) as store:
        assert store.query("SELECT current_setting('threads') AS n")["n"][0] == 2
    with Store.open(path, read_only=True) as store:
        assert store.query("SELECT current_setting('threads') AS n")["n"][0] == 1
        assert store.read("deals").equals(written)


def test_an_import_batch_and_its_undo_load_neither_pyarrow_nor_pandas(tmp_path: Path) -> None:
    """Writing a batch (the rows, their undo records, the run log) and undoing it bind no
    parameter and hand DuckDB the rows as an Arrow C stream: `socialroi import` and `imports
    undo` pay for neither pandas nor pyarrow (about half a second). A quote in the file name
    survives the run log's literal."""
    csv = tmp_path / "o'brien deals.csv"
    csv.write_text(
        "deal_id,contact_id,created_at,amount\nd1,c1,2025-01-02,10\nd2,c2,2025-01-03,5\n"
    )
    store = tmp_path / "s.duckdb"
    code = (
        "import json, sys\n"
        "from socialroi import Store\n"
        "from socialroi.adapters.batches import batches, undo\n"
        "from socialroi.cli import main\n"
        "def loaded(): return sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules)\n"
        f"main(['import', 'deals', {str(csv)!r}, '--store', {str(store)!r}, '-q'],\n"
        "     standalone_mode=False)\n"
        "after_import = loaded()\n"
        f"with Store.open({str(store)!r}) as s:\n"
        "    deals = s.read('deals').select('deal_id', 'amount').rows()\n"
        "    runs = s.runs().select('kind', 'target', 'status', 'rows').rows()\n"
        "    done = undo(s, batches(s)['batch_id'][0][:8])\n"
        "    removed, left = done.tables[0].rows_removed, s.count('deals')\n"
        "print(json.dumps([after_import, deals, runs, removed, left, loaded()]))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(run.stdout.splitlines()[-1])
    assert got == [
        [],
        [["d1", 10.0], ["d2", 5.0]],
        [["import", f"deals {csv}", "ok", 2]],
        2,
        0,
        [],
    ]
    with Store.open(store, read_only=True) as s:
        assert s.runs().select("kind", "status").rows() == [("import", "ok"), ("undo", "ok")]


@pytest.mark.parametrize(
    "value",
    [
        'it\'s "quoted" \\ and ünïcode ✓',
        "",
        0,
        -(2**62),
        None,
        datetime(2025, 3, 30, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2025, 3, 30, 3, 2, 3, 1, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_an_inlined_literal_reads_back_as_the_value(value: object) -> None:
    """`sql_literal` (used instead of binding parameters) keeps text, whole numbers, NULL and a
    tz-aware time to the microsecond exactly."""
    import duckdb

    from socialroi.store import sql_literal

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    literal = sql_literal(value)  # type: ignore[arg-type]
    got = pl.DataFrame(con.sql(f"SELECT {literal} AS v"))["v"][0]
    assert got == value
    if isinstance(value, datetime):
        assert got.utcoffset() == timedelta(0)


def test_an_inlined_literal_refuses_what_it_cannot_say_exactly() -> None:
    from socialroi.store import sql_literal

    with pytest.raises(ValueError, match="time zone"):
        sql_literal(datetime(2025, 1, 1))
    with pytest.raises(TypeError):
        sql_literal(True)
