"""The DuckDB engine out of core: every model's aggregates from generated parquet.

    .venv/bin/python benchmarks/engines.py --sizes 10M            # 10M touchpoints
    .venv/bin/python benchmarks/engines.py --sizes 100M --data /big/disk --temp /big/disk
    .venv/bin/python benchmarks/engines.py --sizes 300M --data /big/disk --temp /big/disk

Data is generated once per size under --data (default $TMPDIR/socialroi-engines-data): a tenth
as many contacts as touches, eight channels, a year of times, a conversion for 8% of the
contacts (half with a lead milestone); 100M touches are 1.2 GB of parquet. Each size runs in a
fresh process, so its peak RSS is its own. Every run is kept in benchmarks/engines-results.json
under its --label (the SQL it measured; a new run of the same size and label replaces the one
before), and benchmarks/engines-results.md is written from all of them plus
benchmarks/engines-notes.md. Per run: wall seconds, CPU seconds (user + system of the process:
what the run costs when the machine is shared), peak RSS, the load average, and the wall and CPU
seconds of each stage and output. The generated contact ids are integers' text, so the engine
keys contacts by them (no dictionary); --contact-keys dictionary measures what text ids cost.
--buckets N runs the journeys in N passes over disjoint buckets of contacts (default: the
engine's choice, a bucket per sixth of the memory limit; the run records how many it used).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).parent
CHANNELS = np.array(
    ["direct", "email", "linkedin", "facebook", "search", "paid_social", "referral", "x"]
)
CHUNK = 10_000_000
YEAR_US = 365 * 86_400 * 1_000_000
T0_US = 1_704_067_200_000_000  # 2024-01-01 UTC


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KMB")) * mult)


def generate(n: int, root: Path) -> Path:
    out = root / f"n{n}"
    if (out / "done").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    contacts = max(1, n // 10)
    for part, start in enumerate(range(0, n, CHUNK)):
        m = min(CHUNK, n - start)
        cid = rng.integers(0, contacts, m)
        ts = T0_US + rng.integers(0, YEAR_US, m)
        pl.DataFrame(
            {
                "contact_id": pl.Series(cid).cast(pl.String),
                "ts": pl.Series(ts).cast(pl.Datetime("us", "UTC")),
                "channel": CHANNELS[rng.integers(0, len(CHANNELS), m)],
                "ref": pl.Series(np.arange(start, start + m)).cast(pl.String),
            }
        ).write_parquet(out / f"touches-{part:04d}.parquet")
    k = max(1, int(contacts * 0.08))
    who = rng.choice(contacts, k, replace=False)
    ts = T0_US + rng.integers(YEAR_US // 4, YEAR_US, k)
    lead = np.where(rng.random(k) < 0.5, ts - rng.integers(0, 60 * 86_400_000_000, k), 0)
    pl.DataFrame(
        {
            "conversion_id": [f"d{i}" for i in range(k)],
            "contact_id": pl.Series(who).cast(pl.String),
            "ts": pl.Series(ts).cast(pl.Datetime("us", "UTC")),
            "value": rng.integers(1, 100, k) * 100.0,
            "lead_created_at": pl.Series(lead)
            .cast(pl.Datetime("us", "UTC"))
            .set(pl.Series(lead == 0), None),
        }
    ).write_parquet(out / "conversions.parquet")
    (out / "done").write_text("ok")
    return out


def one(
    n: int, data: Path, memory: str, temp: str | None, by: str, keys: str, buckets: int | None
) -> dict[str, object]:
    from socialroi.engines import ENGINE_MODELS, EngineSettings, finish, plan_for
    from socialroi.engines.duckdb_engine import run_plan, run_sql

    folder = generate(n, data)
    settings = EngineSettings(memory_limit=memory, temp_directory=temp, buckets=buckets)
    plan = plan_for(ENGINE_MODELS, lookback_days=90, by=tuple(by.split(",")))
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
    start = time.perf_counter()
    timings: dict[str, float] = {}
    cpu_s: dict[str, float] = {}
    details: dict[str, int] = {}
    sources = (f"parquet:{folder}/touches-*.parquet", f"parquet:{folder}/conversions.parquet")
    if keys == "auto":  # as the engine runs: integer ids as keys when they all are
        outputs, sql = run_plan(
            *sources, plan, settings, timings=timings, cpu=cpu_s, details=details
        )
    else:
        sql = plan.sql("duckdb", contact_keys=keys)
        outputs = run_sql(
            *sources, plan, settings, sql, timings=timings, cpu=cpu_s, details=details
        )
    results = finish(outputs, sql, ENGINE_MODELS)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # GiB (Linux: KiB)
    totals = {
        m: (float(f["conversions"].sum()), float(f["value"].sum())) for m, f in results.items()
    }
    top = {m: f.head(3).rows() for m, f in results.items()}
    return {
        "finished": time.time(),
        "n": n,
        "contact_keys": sql.contact_keys,
        "buckets": details.get("buckets", 1),
        "seconds": seconds,
        "cpu_s": cpu,
        "rss_gib": rss,
        "load": [load, os.getloadavg()[0]],
        "timings": timings,
        "cpu_timings": cpu_s,
        "totals": totals,
        "top": top,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10M")
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "socialroi-engines-data"))
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--temp", default=None)
    ap.add_argument("--by", default="channel")
    ap.add_argument(
        "--contact-keys",
        default="auto",
        choices=["auto", "dictionary", "integer"],
        help="auto: the engine's choice; dictionary: as for text contact ids",
    )
    ap.add_argument(
        "--buckets",
        type=int,
        default=None,
        help="passes over disjoint buckets of contacts (default: the engine's choice)",
    )
    ap.add_argument("--label", default="current", help="the SQL measured (kept per label)")
    ap.add_argument("--one", type=int, default=None)
    args = ap.parse_args()
    if args.one is not None:
        print(
            json.dumps(
                one(
                    args.one,
                    Path(args.data),
                    args.memory_limit,
                    args.temp,
                    args.by,
                    args.contact_keys,
                    args.buckets,
                )
            )
        )
        return
    store = HERE / "engines-results.json"
    measured = _load(store)
    for size in filter(None, args.sizes.split(",")):  # --sizes "": rewrite the report only
        n = _size(size)
        generate(n, Path(args.data))  # outside the measured process
        cmd = [sys.executable, __file__, "--one", str(n), "--data", args.data]
        cmd += ["--memory-limit", args.memory_limit, "--by", args.by]
        cmd += ["--contact-keys", args.contact_keys]
        if args.buckets:
            cmd += ["--buckets", str(args.buckets)]
        if args.temp:
            cmd += ["--temp", args.temp]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["command"] = f".venv/bin/python benchmarks/engines.py {shlex.join(sys.argv[1:])}"
        row["label"] = args.label
        measured = [r for r in measured if (r["n"], r["label"]) != (n, args.label)] + [row]
        store.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")
        print(json.dumps(row), flush=True)
    text = _report(measured, args.memory_limit, args.by)
    (HERE / "engines-results.md").write_text(text, encoding="utf-8")
    print(text)


#: The stages of each column of the report (older SQL had no sr_contacts, sr_grams).
COLUMNS: dict[str, tuple[str, ...]] = {
    "assignment": ("keys", "buckets", "sr_contacts", "sr_assigned"),
    "journeys": ("sr_grams", "grams"),
    "sets": ("sets",),
    "rules": ("rules",),
}


def _load(store: Path) -> list[dict[str, Any]]:
    """Every run kept so far (the first format held one run per size, of the SQL of c30b2c4)."""
    if not store.exists():
        return []
    data = json.loads(store.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return [{**row, "label": row.get("label", "c30b2c4")} for row in data.values()]
    return list(data)


def _split(t: dict[str, float]) -> list[float]:
    cols = [sum(t.get(k, 0.0) for k in keys) for keys in COLUMNS.values()]
    named = {k for keys in COLUMNS.values() for k in keys}
    return [*cols, sum(v for k, v in t.items() if k not in named)]


def _report(measured: list[dict[str, Any]], memory: str, by: str) -> str:
    rows = sorted(measured, key=lambda r: (r["n"], r.get("finished", 0)))
    heads = " | ".join(f"{c} s" for c in COLUMNS)
    lines = [
        "# DuckDB engine: every model from parquet, out of core",
        "",
        f"Machine: {platform.machine()} (2 cores), Python {platform.python_version()}, "
        f"memory_limit {memory}, by {by}; command per run below "
        "(each size in its own process; raw figures in engines-results.json).",
        "Time is one engine run computing all 13 models (11 rule models, Markov order 1, "
        "Shapley) including the input check and the Python finish; CPU is the process's "
        "user + system time (all threads); CPU/wall is the parallelism the run got; peak RSS "
        "of the run's process; load is the 1-minute load average at the start and end of the "
        "run. The per-stage columns are wall seconds (`assignment`: choosing the contact keys, "
        "writing the contact buckets (which checks the ids) when there are several, "
        "sr_contacts + sr_assigned; "
        "`journeys`: sr_grams + grams; rest: the input check and the small queries); the "
        "second table gives the same split in CPU seconds where it was recorded. SQL names "
        "the version measured: c30b2c4 is the SQL before the one-sort journeys.",
        "",
        f"| SQL | touchpoints | seconds | CPU s | CPU/wall | peak RSS (GiB) | load | {heads} "
        "| rest s | conversions (each model) | value (each model) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        totals = r["totals"]
        convs = {round(v[0], 3) for v in totals.values()}
        values = {round(v[1], 2) for v in totals.values()}
        lo, hi = r["load"]
        lines.append(
            f"| {r['label']} | {r['n']:,} | {r['seconds']:.1f} | {r['cpu_s']:.1f} "
            f"| {r['cpu_s'] / r['seconds']:.2f} | {r['rss_gib']:.2f} | {lo:.1f}→{hi:.1f} | "
            + " | ".join(f"{v:.1f}" for v in _split(r["timings"]))
            + f" | {', '.join(f'{c:,.0f}' for c in sorted(convs))} | "
            f"{', '.join(f'{v:,.2f}' for v in sorted(values))} |"
        )
    with_cpu = [r for r in rows if r.get("cpu_timings")]
    if with_cpu:
        lines += [
            "",
            "CPU seconds per stage:",
            "",
            f"| SQL | touchpoints | CPU s | {heads} | rest s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in with_cpu:
            lines.append(
                f"| {r['label']} | {r['n']:,} | {r['cpu_s']:.1f} | "
                + " | ".join(f"{v:.1f}" for v in _split(r["cpu_timings"]))
                + " |"
            )
    lines += ["", "Commands (one size per process):", ""]
    lines += [f"- {r['label']}, {r['n']:,}: `{r['command']}`" for r in rows]
    lines += ["", "Top three channels per model (channel, conversions, value), latest run:", ""]
    latest = {r["n"]: r for r in rows}
    for r in latest.values():
        lines.append(f"**{r['n']:,} touchpoints ({r['label']})**")
        lines.append("")
        for model, top in r["top"].items():
            cells = "; ".join(f"{c} {a:,.1f} / {v:,.0f}" for c, a, v in top)
            lines.append(f"- {model}: {cells}")
        lines.append("")
    notes = HERE / "engines-notes.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
