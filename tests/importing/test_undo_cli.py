"""`socialroi imports` lists the import batches; `socialroi imports undo ID` takes one back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from socialroi import Store
from socialroi.adapters.batches import BatchResult, load_batch
from socialroi.cli import main

T0 = datetime(2024, 1, 2, tzinfo=UTC)


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def deals(rows: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "deal_id": list(rows),
            "contact_id": [f"c-{d}" for d in rows],
            "created_at": [T0] * len(rows),
            "amount": list(rows.values()),
        }
    )


def amounts(path: Path) -> dict[str, float]:
    with Store.open(path, read_only=True) as s:
        return dict(s.read("deals").select("deal_id", "amount").iter_rows())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as s:
        s.upsert("deals", deals({"d1": 10.0}))
    return path


def load(path: Path, frame: pl.DataFrame, target: str) -> BatchResult:
    with Store.open(path) as s:
        return load_batch(s, {"deals": frame}, target=target)


def test_list_newest_first_with_short_ids(store: Path) -> None:
    first = load(store, deals({"d1": 11.0, "d2": 5.0}), "deals first.csv")
    second = load(store, deals({"d3": 7.0}), "deals second.csv")
    res = cli("imports", "--store", store)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["id", "when", "what", "rows", "status"]
    assert lines[2].startswith(second.batch_id[:12] + "  ")
    assert second.batch_id[:13] not in lines[2]
    assert lines[2].split()[3:] == ["deals", "second.csv", "1", "ok"]
    assert lines[3].startswith(first.batch_id[:12])
    assert lines[3].split()[3:] == ["deals", "first.csv", "2", "ok"]
    assert len(lines) == 4

    res = cli("imports", "--store", store, "--format", "json")
    got = json.loads(res.stdout)
    assert [(r["id"], r["what"], r["rows"], r["status"]) for r in got] == [
        (second.batch_id, "deals second.csv", 1, "ok"),
        (first.batch_id, "deals first.csv", 2, "ok"),
    ]
    assert got[0]["when"].endswith("+00:00")

    res = cli("imports", "--store", store, "--format", "csv")
    assert res.stdout.splitlines()[0] == "id,when,what,rows,status"
    assert res.stdout.splitlines()[1].startswith(second.batch_id + ",")


def test_list_of_an_empty_store(store: Path) -> None:
    res = cli("imports", "--store", store)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "id  when  what  rows  status",
        "--  ----  ----  ----  ------",
    ]
    assert "no imports yet" in res.stderr


def test_list_without_a_store_is_an_error(tmp_path: Path) -> None:
    res = cli("imports", "--store", tmp_path / "none.duckdb")
    assert res.exit_code == 1
    assert "no store at" in res.stderr


def test_undo_by_prefix_prints_what_it_restored(store: Path) -> None:
    batch = load(store, deals({"d1": 11.0, "d2": 5.0}), "deals a.csv")
    assert amounts(store) == {"d1": 11.0, "d2": 5.0}
    res = cli("imports", "undo", batch.batch_id[:8], "--store", store)
    assert res.exit_code == 0, res.output
    assert res.stdout == (
        f"undid import {batch.batch_id[:12]}:\n  deals: 1 row restored, 1 row removed\n"
    )
    assert amounts(store) == {"d1": 10.0}
    listed = cli("imports", "--store", store).stdout.splitlines()
    assert listed[2].split()[-2:] == ["2", "undone"]


def test_undo_refused_exits_1_and_changes_nothing(store: Path) -> None:
    first = load(store, deals({"d1": 11.0}), "deals a.csv")
    load(store, deals({"d1": 12.0}), "deals b.csv")
    res = cli("imports", "undo", first.batch_id, "--store", store)
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "cannot undo import" in res.stderr
    assert "deals row (deal_id=d1)" in res.stderr
    assert amounts(store) == {"d1": 12.0}
    assert [ln.split()[-1] for ln in cli("imports", "--store", store).stdout.splitlines()[2:]] == [
        "ok",
        "ok",
    ]


def test_undo_twice_exits_1(store: Path) -> None:
    batch = load(store, deals({"d1": 11.0}), "deals a.csv")
    assert cli("imports", "undo", batch.batch_id, "--store", store).exit_code == 0
    res = cli("imports", "undo", batch.batch_id, "--store", store)
    assert res.exit_code == 1
    assert "already undone" in res.stderr


def test_undo_with_the_store_given_to_the_group_and_json_output(store: Path) -> None:
    batch = load(store, deals({"d2": 5.0}), "deals a.csv")
    res = cli("imports", "--store", store, "undo", batch.batch_id[:6], "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [
        {"batch_id": batch.batch_id, "table": "deals", "restored": 0, "removed": 1}
    ]
    assert amounts(store) == {"d1": 10.0}
