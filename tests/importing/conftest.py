from __future__ import annotations

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


def snapshot(path: Path) -> dict[str, pl.DataFrame]:
    """Every canonical table of the store at `path`."""
    with Store.open(path, read_only=True) as store:
        return store.read_all()


def assert_same(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for name, df in before.items():
        assert df.equals(after[name]), name


def run_import(store: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["import", *map(str, args), "--store", str(store)], env=env, catch_exceptions=False
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding two deals."""
    path = tmp_path / "store.duckdb"
    with Store.open(path) as s:
        s.upsert("deals", SEED_DEALS)
    return path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
