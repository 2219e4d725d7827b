"""DuckDB in passes over disjoint buckets of contacts: the outputs added up are the one pass's
outputs, whatever the number of buckets (empty ones too), and the automatic choice follows the
touches and the memory limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from socialroi.engines import (
    ENGINE_MODELS,
    EngineSettings,
    attribute,
    duckdb_engine,
    engine_settings,
    plan_for,
)
from socialroi.engines.duckdb_engine import bucket_count, run_plan
from socialroi.engines.finish import combine, finish
from socialroi.errors import ConfigError, DataError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = timedelta(hours=1)
BY = ("channel", "month", "platform")


def _frames(integer: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    # Five contacts: a converts twice (the second journey repeats email), b once, c's touch is
    # outside its window (unattributed), d never converts, e converts with no touch at all.
    ids = {"a": "10", "b": "0", "c": "2", "d": "7", "e": "31"} if integer else None

    def cid(names: list[str]) -> list[str]:
        return [ids[n] for n in names] if ids else names

    touches = pl.DataFrame(
        {
            "contact_id": cid(["a", "a", "a", "a", "a", "a", "b", "b", "c", "d", "d", "d"]),
            "ts": [T0 + k * H for k in (0, 1, 1, 3, 10, 11, 0, 2, 0, 0, 1, 2)],
            "channel": [
                *("email", "search", "linkedin", "linkedin", "email", "email"),
                *("direct", "search", "email", "x", "x", "search"),
            ],
            "ref": [str(i) for i in range(12)],
            "platform": ["x", "y", "z", "z", "x", None, None, "y", "x", "y", "y", "z"],
        }
    )
    convs = pl.DataFrame(
        {
            "conversion_id": ["d1", "d2", "d3", "d4", "d5"],
            "contact_id": cid(["a", "a", "b", "c", "e"]),
            "ts": [T0 + 5 * H, T0 + 12 * H, T0 + 2 * H, T0 + 40 * 24 * H, T0 + H],
            "value": [100.0, 30.0, 50.0, 7.0, 3.0],
        }
    )
    return touches, convs


def _models(settings: EngineSettings, integer: bool = False) -> dict[str, pl.DataFrame]:
    touches, convs = _frames(integer)
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY)
    outputs, sql = run_plan(touches, convs, plan, settings)
    return finish(outputs, sql, ENGINE_MODELS)


def _same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    keys = list(BY)
    got, want = got.sort(keys, nulls_last=True), want.sort(keys, nulls_last=True)
    assert got.select(keys).equals(want.select(keys))
    for col in ("conversions", "value"):
        diff = (got.get_column(col) - want.get_column(col)).abs().max()
        assert diff is not None
        assert float(diff) <= 1e-12, col  # type: ignore[arg-type]


@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("buckets", [2, 3, 7])
def test_buckets_give_the_one_pass_credits(buckets: int, integer: bool) -> None:
    # 7 buckets for 5 contacts: some buckets are empty.
    details: dict[str, int] = {}
    touches, convs = _frames(integer)
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY)
    outputs, sql = run_plan(
        touches, convs, plan, EngineSettings(buckets=buckets, threads=1), details=details
    )
    assert details == {"touches": 12, "buckets": buckets}
    assert sql.contact_keys == ("integer" if integer else "dictionary")
    got = finish(outputs, sql, ENGINE_MODELS)
    want = _models(EngineSettings(buckets=1, threads=1), integer)
    for model in ENGINE_MODELS:
        _same(got[model], want[model])


@pytest.mark.parametrize("buckets", [1, 3])
def test_hand_computed_credits_in_buckets(buckets: int) -> None:
    touches, convs = _frames()
    got = attribute(
        touches, convs, model="last_touch", lookback_days=30, engine_options={"buckets": buckets}
    )
    # d1 ends with linkedin (a, +3h), d2 with email (a, +11h), d3 with search (b); d4's touch
    # is 40 days back and e has no touch: unattributed. d never converts.
    assert got.filter(pl.col("conversions") > 0).rows() == [
        ("(unattributed)", 2.0, 10.0),
        ("email", 1.0, 30.0),
        ("linkedin", 1.0, 100.0),
        ("search", 1.0, 50.0),
    ]


def test_automatic_buckets_follow_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # A touch made to weigh 100 MB under a 256 MB limit: 12 touches need 5 buckets.
    monkeypatch.setattr(duckdb_engine, "BYTES_PER_TOUCH", 100_000_000)
    details: dict[str, int] = {}
    touches, convs = _frames()
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel",))
    settings = EngineSettings(memory_limit="256MB", threads=1)
    outputs, sql = run_plan(touches, convs, plan, settings, details=details)
    # 12 × 100 MB / 256 MB (DuckDB holds it as 244.1 MiB) = 4.7 -> 5.
    assert details == {"touches": 12, "buckets": 5}
    one, one_sql = run_plan(touches, convs, plan, EngineSettings(buckets=1, threads=1))
    got, want = finish(outputs, sql, ENGINE_MODELS), finish(one, one_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        a, b = got[model].sort("channel"), want[model].sort("channel")
        assert a.get_column("channel").equals(b.get_column("channel"))
        assert (a.get_column("conversions") - b.get_column("conversions")).abs().max() <= 1e-12  # type: ignore[operator]


def test_bucket_count() -> None:
    plan = plan_for(("linear",))
    # 72 bytes a touch: 100M touches take 7.2 GB; 8 GB hold 111,111,111 of them.
    assert bucket_count(100_000_000, 8e9, plan) == 1
    assert bucket_count(111_111_111, 8e9, plan) == 1
    assert bucket_count(111_111_112, 8e9, plan) == 2
    assert bucket_count(300_000_000, 8e9, plan) == 3  # 21.6 GB
    assert bucket_count(10**12, 8e9, plan) == 64  # at most
    assert bucket_count(10**9, None, plan) == 1  # no limit known
    # A group column read from the touches, and ref with it: 72 + 2 × 32 bytes.
    wide = plan_for(("linear",), by=("channel", "platform"))
    assert bucket_count(100_000_000, 8e9, wide) == 2  # 13.6 GB
    assert bucket_count(50_000_000, 8e9, wide) == 1  # 6.8 GB


def test_combine_adds_up_by_key() -> None:
    channels = pl.DataFrame({"channel": ["email", "search"], "bit": [0, 1]})
    part1 = {
        "channels": channels,
        "sets": pl.DataFrame(
            {"mask": [1, 3], "converted": [1, 0], "journeys": [2, 1], "value": [10.0, 0.0]}
        ),
        "rules": pl.DataFrame(
            {"g0": ["email", None], "linear_conversions": [0.5, 1.0], "linear_value": [5.0, 1.0]}
        ),
    }
    part2 = {
        "sets": pl.DataFrame(
            {"mask": [1, 1], "converted": [0, 1], "journeys": [4, 3], "value": [0.0, 2.5]}
        ),
        "rules": pl.DataFrame(
            {"g0": [None, "search"], "linear_conversions": [0.25, 2.0], "linear_value": [1.0, 4.0]}
        ),
    }
    out = combine([part1, part2])
    assert out["channels"].equals(channels)
    assert out["sets"].sort("mask", "converted").rows() == [
        (1, 0, 4, 0.0),
        (1, 1, 5, 12.5),
        (3, 0, 1, 0.0),
    ]
    assert out["rules"].sort("g0", nulls_last=True).rows() == [
        ("email", 0.5, 5.0),
        ("search", 2.0, 4.0),
        (None, 1.25, 2.0),
    ]
    with pytest.raises(DataError, match="no outputs"):
        combine([])


def test_buckets_setting() -> None:
    assert engine_settings({"buckets": 4}).buckets == 4
    assert engine_settings(None).buckets is None
    for wrong in (0, "2", 1.5, True):
        with pytest.raises(ConfigError, match="buckets must be a whole number"):
            engine_settings({"buckets": wrong})


@pytest.mark.parametrize("keys", ["integer", "dictionary"])
def test_buckets_from_files_with_either_keys(keys: str, tmp_path: Path) -> None:
    # Integer ids read from parquet, keyed as integers or by a dictionary (the SQL of another
    # dialect takes the dictionary): the touches, written once per bucket into the spill
    # directory, give the one pass's rows, and nothing is left in the directory afterwards.
    touches, convs = _frames(integer=True)
    touches.write_parquet(tmp_path / "touches.parquet")
    convs.write_parquet(tmp_path / "conversions.parquet")
    spill = tmp_path / "spill"
    spill.mkdir()
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY)
    sql = plan.sql("duckdb", contact_keys=keys)
    sources = (f"parquet:{tmp_path}/touches.parquet", f"parquet:{tmp_path}/conversions.parquet")

    def outputs(buckets: int) -> dict[str, pl.DataFrame]:
        settings = EngineSettings(buckets=buckets, threads=1, temp_directory=str(spill))
        return duckdb_engine.run_sql(*sources, plan, settings, sql)

    one, three = outputs(1), outputs(3)
    assert list(spill.iterdir()) == []
    assert set(three) == set(one)
    for name in ("grams", "sets", "unattributed"):
        a, b = (f.sort(f.columns, nulls_last=True) for f in (three[name], one[name]))
        assert a.rows() == b.rows(), name
    got, want = finish(three, sql, ENGINE_MODELS), finish(one, sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        _same(got[model], want[model])
