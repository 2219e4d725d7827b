from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from socialroi import Store
from socialroi.cli import main

#: What the seeded store holds before each import under test.
SEED_DEALS = pl.DataFrame(
    {
        "deal_id": ["d0", "d1"],
        "contact_id": ["c0", "c1"],
        "created_at": [datetime(2024, 1, 2, 3, 4, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)],
        "amount": [10.0, 20.0],
    }
)


#: Tables by the SHA-256 of the store file they were read from (the last few contents).
_SNAPSHOTS: dict[bytes, dict[str, pl.DataFrame]] = {}


def snapshot(path: Path) -> dict[str, pl.DataFrame]:
    """Every canonical table of the store at `path`.

    Read once per distinct content: equal bytes (the file and any write-ahead log beside it) are
    equal tables, and most tests start from a byte-for-byte copy of `seeded_store`."""
    wal = path.with_name(path.name + ".wal")
    digest = hashlib.sha256(
        path.read_bytes() + b"|" + (wal.read_bytes() if wal.exists() else b"")
    ).digest()
    if digest not in _SNAPSHOTS:
        if len(_SNAPSHOTS) >= 16:
            _SNAPSHOTS.clear()
        with Store.open(path, read_only=True) as store:
            _SNAPSHOTS[digest] = store.read_all()
    return dict(_SNAPSHOTS[digest])


def assert_same(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for name, df in before.items():
        assert df.equals(after[name]), name


def run_import(store: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["import", *map(str, args), "--store", str(store)], env=env, catch_exceptions=False
    )


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding two deals, built once: `store` hands each test its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "store.duckdb"
    with Store.open(path) as s:
        s.upsert("deals", SEED_DEALS)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # closed: one file, no WAL
    return path


@pytest.fixture
def store(seeded_store: Path, tmp_path: Path) -> Path:
    """A store holding two deals (a copy of `seeded_store`, the test's own)."""
    path = tmp_path / "store.duckdb"
    shutil.copyfile(seeded_store, path)
    return path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
