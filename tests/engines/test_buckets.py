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


def _same(got: pl.DataFrame, want: pl.DataFrame, by: tuple[str, ...] = BY) -> None:
    keys = list(by)
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
    # A touch made to weigh 20 MB under a 256 MB limit, of which a bucket takes a sixth: 12
    # touches need 6 buckets.
    monkeypatch.setattr(duckdb_engine, "BYTES_PER_TOUCH", 20_000_000)
    details: dict[str, int] = {}
    touches, convs = _frames()
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel",))
    settings = EngineSettings(memory_limit="256MB", threads=1)
    outputs, sql = run_plan(touches, convs, plan, settings, details=details)
    # 12 × 20 MB / (256 MB / 6) (DuckDB holds the limit as 244.1 MiB) = 5.6 -> 6.
    assert details == {"touches": 12, "buckets": 6}
    one, one_sql = run_plan(touches, convs, plan, EngineSettings(buckets=1, threads=1))
    got, want = finish(outputs, sql, ENGINE_MODELS), finish(one, one_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        _same(got[model], want[model], ("channel",))


def test_bucket_count() -> None:
    plan = plan_for(("linear",))
    # 72 bytes a touch, a bucket at most a sixth of 8 GB: 18,518,518 touches (1.33 GB).
    assert bucket_count(10_000_000, 8e9, plan) == 1
    assert bucket_count(18_518_518, 8e9, plan) == 1
    assert bucket_count(18_518_519, 8e9, plan) == 2
    assert bucket_count(100_000_000, 8e9, plan) == 6  # 7.2 GB
    assert bucket_count(300_000_000, 8e9, plan) == 17  # 21.6 GB
    assert bucket_count(10**12, 8e9, plan) == 64  # at most
    assert bucket_count(10**9, None, plan) == 1  # no limit known
    # A group column read from the touches, and ref with it: 72 + 2 × 32 bytes.
    wide = plan_for(("linear",), by=("channel", "platform"))
    assert bucket_count(100_000_000, 8e9, wide) == 11  # 13.6 GB
    assert bucket_count(9_000_000, 8e9, wide) == 1  # 1.22 GB


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


def _late_text_id(late: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    # 10,000 touches of integer ids (all the first look at the ids reads), then one whose id
    # is `late` (which does not convert: the conversions' ids are all looked at first).
    n = 10_000
    channels = ("email", "search", "x", "linkedin")
    touches = pl.DataFrame(
        {
            "contact_id": [str(i % 40) for i in range(n)] + [late],
            "ts": [T0 + (i % 23) * H for i in range(n)] + [T0 + 2 * H],
            "channel": [channels[i % 4] for i in range(n)] + ["x"],
        }
    )
    convs = pl.DataFrame(
        {
            "conversion_id": ["k7", "late", "k3"],
            "contact_id": ["7", "8", "3"],
            "ts": [T0 + 30 * H, T0 + 3 * H, T0 + 5 * H],
            "value": [10.0, 5.0, 2.0],
        }
    )
    return touches, convs


@pytest.mark.parametrize("late", ["07", "+7", "x9"])
def test_a_late_text_id_stages_the_buckets_again_with_text_keys(
    late: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Staged as integers, the late id is no integer's text: the touches are staged again with
    # text ids, and the credits are the one pass's, where "07" is not contact 7 (whose journey
    # would otherwise gain its x touch).
    staged: list[str] = []
    stage = duckdb_engine._stage

    def spy(con: object, plan: object, keys: str, buckets: int) -> Path:
        staged.append(keys)
        return stage(con, plan, keys, buckets)  # type: ignore[arg-type]

    monkeypatch.setattr(duckdb_engine, "_stage", spy)
    touches, convs = _late_text_id(late)
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel",))
    spill = tmp_path / "spill"
    spill.mkdir()
    details: dict[str, int] = {}
    settings = EngineSettings(buckets=3, threads=1, temp_directory=str(spill))
    outputs, sql = run_plan(touches, convs, plan, settings, details=details)
    assert (sql.contact_keys, details["buckets"], staged) == (
        "dictionary",
        3,
        ["integer", "dictionary"],
    )
    assert list(spill.iterdir()) == []
    one, one_sql = run_plan(touches, convs, plan, EngineSettings(buckets=1, threads=1))
    assert one_sql.contact_keys == "dictionary"
    got, want = finish(outputs, sql, ENGINE_MODELS), finish(one, one_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        _same(got[model], want[model], ("channel",))


def test_integer_keys_refuse_a_late_text_id_in_buckets() -> None:
    touches, convs = _late_text_id("07")
    plan = plan_for(("linear",), lookback_days=30)
    sql = plan.sql("duckdb", contact_keys="integer")
    with pytest.raises(DataError, match="integer contact keys need every contact id"):
        duckdb_engine.run_sql(touches, convs, plan, EngineSettings(buckets=2, threads=1), sql)


@pytest.mark.parametrize("buckets", [1, 2])
def test_a_missing_contact_among_integer_ids_is_refused(buckets: int, tmp_path: Path) -> None:
    # From a file (frames are checked by core first).
    touches, convs = _late_text_id(None)
    touches.write_parquet(tmp_path / "t.parquet")
    convs.write_parquet(tmp_path / "c.parquet")
    plan = plan_for(("linear",), lookback_days=30)
    with pytest.raises(DataError, match=r"^1 touch row\(s\) have no time, contact or channel"):
        run_plan(
            f"parquet:{tmp_path}/t.parquet",
            f"parquet:{tmp_path}/c.parquet",
            plan,
            EngineSettings(buckets=buckets, threads=1),
        )


@pytest.mark.parametrize("buckets", [1, 3])
@pytest.mark.parametrize(
    ("dtype", "extra", "keys"),
    [
        (pl.Int64, 99, "integer"),
        (pl.Int32, -5, "dictionary"),  # "-5" is text, not a key
        (pl.UInt64, 2**63 - 1, "dictionary"),  # past the keys' range
    ],
)
def test_ids_stored_as_integers(
    dtype: type[pl.DataType], extra: int, keys: str, buckets: int, tmp_path: Path
) -> None:
    # A source holding the ids as numbers is checked on the numbers (the extra id comes after
    # the 10,000 the first look reads); the credits are those of the same ids as text.
    touches, convs = _late_text_id(str(extra))
    touches.with_columns(pl.col("contact_id").cast(dtype)).write_parquet(tmp_path / "t.parquet")
    convs.write_parquet(tmp_path / "c.parquet")
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel",))
    settings = EngineSettings(buckets=buckets, threads=1)
    outputs, sql = run_plan(
        f"parquet:{tmp_path}/t.parquet", f"parquet:{tmp_path}/c.parquet", plan, settings
    )
    assert sql.contact_keys == keys
    text, text_sql = run_plan(touches, convs, plan, EngineSettings(buckets=1, threads=1))
    assert text_sql.contact_keys == keys
    got, want = finish(outputs, sql, ENGINE_MODELS), finish(text, text_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        _same(got[model], want[model], ("channel",))
