"""The Spark engine in local mode: the same aggregates as DuckDB and the in-memory path, timed.

    .venv/bin/python benchmarks/engines_spark.py --sizes 1M          # 1M touchpoints
    .venv/bin/python benchmarks/engines_spark.py --sizes 1M,10M      # and 10M
    .venv/bin/python benchmarks/engines_spark.py --sizes 1M --plan   # and the physical plans

Data: benchmarks/engines.py's generator (the same parquet files the DuckDB benchmark reads).
Per size: one Spark run (local[2]) and one DuckDB run of the same SQL on the parquet glob; their
raw outputs (channels, grams, sets, unattributed: counts) must be identical, and every model's
credits equal to 1e-9; then the in-memory path (core) on the same rows for a few models, also to
1e-9. Local mode on 2 cores is not the point (a cluster is): correctness and the plan are.
Results go to benchmarks/engines-spark-results.md; with --plan Spark's formatted physical plans
go to benchmarks/engines-spark-plan.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import polars as pl

from engines import _size, generate  # benchmarks/engines.py (the script folder is on the path)

HERE = Path(__file__).parent
CORE_MODELS = ("last_touch", "linear", "markov")


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in frame.columns if frame.schema[c] != pl.Float64]
    return frame.sort(cols, nulls_last=True)


def _max_diff(a: pl.DataFrame, b: pl.DataFrame) -> float:
    joined = a.join(b, on="channel", how="full", coalesce=True, suffix="_b")
    worst = 0.0
    for col in ("conversions", "value"):
        diff = (joined[col] - joined[f"{col}_b"]).abs() / joined[col].abs().clip(lower_bound=1.0)
        worst = max(worst, float(diff.fill_null(float("inf")).max() or 0.0))  # type: ignore[arg-type]
    return worst


def one(n: int, data: Path, partitions: int, plan_file: Path | None) -> dict[str, object]:
    from socialroi.core.attribution import attribute as core_attribute
    from socialroi.engines import ENGINE_MODELS, EngineSettings, duckdb_engine, finish, plan_for
    from socialroi.engines import spark as spark_engine

    folder = generate(n, data)
    touches = f"parquet:{folder}/touches-*.parquet"
    convs = f"parquet:{folder}/conversions.parquet"
    plan = plan_for(ENGINE_MODELS, lookback_days=90)

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    spark = spark_engine.session(
        spark_engine.SparkSettings(
            master="local[2]",
            shuffle_partitions=partitions,
            conf={"spark.driver.memory": "6g"},
        )
    )
    start_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    s_out, s_sql = spark_engine.run(touches, convs, plan, EngineSettings(name="spark"))
    spark_s = time.perf_counter() - t0
    if plan_file is not None:
        spark_engine.normalise(spark, touches, convs, plan)
        plan_file.write_text(spark_engine.explain(spark, s_sql), encoding="utf-8")
    spark.stop()

    t0 = time.perf_counter()
    d_out, d_sql = duckdb_engine.run(touches, convs, plan, EngineSettings(memory_limit="6GB"))
    duck_s = time.perf_counter() - t0

    same_counts = all(
        _sorted(s_out[k]).rows() == _sorted(d_out[k]).rows()
        for k in ("channels", "grams", "sets", "unattributed")
    )
    s_models = finish(s_out, s_sql, ENGINE_MODELS)
    d_models = finish(d_out, d_sql, ENGINE_MODELS)
    vs_duck = max(_max_diff(s_models[m], d_models[m]) for m in ENGINE_MODELS)

    t_frame = pl.read_parquet(f"{folder}/touches-*.parquet")
    c_frame = pl.read_parquet(f"{folder}/conversions.parquet")
    # Ties in time in the engines' order (channel, then ref); core keeps input order.
    t_frame = t_frame.sort("ts", "channel", "ref")
    t0 = time.perf_counter()
    core = {m: core_attribute(t_frame, c_frame, m, lookback_days=90) for m in CORE_MODELS}
    core_s = time.perf_counter() - t0
    vs_core = max(_max_diff(s_models[m], core[m]) for m in CORE_MODELS)
    return {
        "n": n,
        "start_s": start_s,
        "spark_s": spark_s,
        "duckdb_s": duck_s,
        "core_s": core_s,
        "same_counts": same_counts,
        "vs_duckdb": vs_duck,
        "vs_core": vs_core,
        "grams": s_out["grams"].height,
        "load": [load, os.getloadavg()[0]],
        "sets": s_out["sets"].height,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1M")
    ap.add_argument("--data", default=str(HERE / ".engines-data"))
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--plan", action="store_true")
    args = ap.parse_args()
    rows = []
    for size in args.sizes.split(","):
        plan_file = HERE / "engines-spark-plan.txt" if args.plan and not rows else None
        rows.append(one(_size(size), Path(args.data), args.partitions, plan_file))
        print(rows[-1], flush=True)
    lines = [
        "# Spark engine (local[2]) against DuckDB and the in-memory path",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"shuffle partitions {args.partitions}; command: "
        f"`.venv/bin/python benchmarks/engines_spark.py {' '.join(sys.argv[1:])}`.",
        "Spark and DuckDB compute all 13 models in one run each (seconds include reading "
        "the parquet and the Python finish); core runs "
        f"{', '.join(CORE_MODELS)} in memory. Differences are the largest relative gap in any "
        "channel's conversions or value.",
        "",
        "Load is the 1-minute load average at the start and end of the size's runs (2 cores).",
        "",
        "| touchpoints | session start s | Spark s | DuckDB s | core s (3 models) "
        "| counts identical | max diff vs DuckDB | max diff vs core | grams rows | sets rows "
        "| load |",
        "|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['start_s']:.1f} | {r['spark_s']:.1f} | {r['duckdb_s']:.1f} "
            f"| {r['core_s']:.1f} | {'yes' if r['same_counts'] else 'NO'} "
            f"| {r['vs_duckdb']:.1e} | {r['vs_core']:.1e} | {r['grams']:,} | {r['sets']:,} "
            f"| {r['load'][0]:.1f}→{r['load'][1]:.1f} |"
        )
    notes = HERE / "engines-spark-notes.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").rstrip()]
    (HERE / "engines-spark-results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
