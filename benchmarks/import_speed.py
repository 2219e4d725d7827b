"""Importing a 1M-row touchpoints CSV: into a new store, then a second batch into that store.

    .venv/bin/python benchmarks/import_speed.py                # 1M rows; prints a table
    .venv/bin/python benchmarks/import_speed.py --rows 200k --write "after the change"

The file has every touchpoints column (docs/data-model.md) and is seeded: about 3.5 touches per
contact over weeks; social touches (a platform, a post, sometimes an employee) and web, mail,
search and event touches; a third with a campaign; timestamps as ISO text with a ``Z``. The
second file has as many rows: a quarter are rows of the first file unchanged, a quarter the same
keys with another campaign (updated), half new keys.

Each case runs ``socialroi import touchpoints FILE --store STORE`` in its own process (timed
end to end, interpreter start included) and, separately, the library call
``read_export`` then ``load_export`` (what ``import_file`` does) in this process, reading and
writing timed apart. The CSVs are written once to ``benchmarks/.cache/import/``.
``--write TITLE`` appends the table to ``benchmarks/import-results.md`` under that heading.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "import"
RESULTS = HERE / "import-results.md"
SEED = 20240917
_US_PER_DAY = 86_400 * 1_000_000
_START_US = 1_704_067_200 * 1_000_000  # 2024-01-01 UTC

#: channel -> (share, platform, kind, ref prefix)
_CHANNELS: dict[str, tuple[float, str | None, str, str]] = {
    "linkedin": (0.22, "linkedin", "engagement", "urn:li:activity:"),
    "organic_search": (0.16, None, "session", "s"),
    "direct": (0.14, None, "session", "s"),
    "email": (0.12, None, "mail", "mail-"),
    "x": (0.07, "x", "engagement", "x-"),
    "paid_search": (0.07, None, "session", "s"),
    "paid_social": (0.06, "facebook", "session", "s"),
    "facebook": (0.05, "facebook", "engagement", "fb-"),
    "referral": (0.04, None, "session", "s"),
    "instagram": (0.03, "instagram", "engagement", "ig-"),
    "event": (0.02, None, "event", "ev-"),
    "social_other": (0.02, None, "session", "s"),
}


def _parse_rows(text: str) -> int:
    low = text.strip().lower()
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if low.endswith(suffix):
            return int(float(low[:-1]) * factor)
    return int(low)


def touchpoints(n_rows: int, seed: int, first_contact: int = 0) -> pl.DataFrame:
    """`n_rows` touchpoints (text columns, as a CSV holds them) of contacts numbered from
    `first_contact`, grouped by contact in time order."""
    rng = np.random.default_rng(seed)
    counts = rng.geometric(1 / 3.5, n_rows)  # more contacts than needed; cut to n_rows below
    counts = counts[: int(np.searchsorted(np.cumsum(counts), n_rows)) + 1]
    contact = np.repeat(np.arange(len(counts)), counts)[:n_rows] + first_contact
    names = list(_CHANNELS)
    share = np.array([v[0] for v in _CHANNELS.values()])
    channel = rng.choice(len(names), size=n_rows, p=share / share.sum())
    start = _START_US + rng.integers(0, 365 * _US_PER_DAY, len(counts))
    gaps = rng.exponential(5.0 * _US_PER_DAY, n_rows).astype(np.int64)
    number = rng.integers(1, 50_000_000, n_rows)
    post = rng.integers(1, 4_000, n_rows)
    employee = rng.integers(1, 60, n_rows)
    campaign = rng.integers(1, 25, n_rows)
    ch = pl.Series("channel", np.asarray(names)[channel])
    plat = pl.Series("platform", [v[1] for v in _CHANNELS.values()], dtype=pl.String)
    kind = pl.Series("kind", [v[2] for v in _CHANNELS.values()])
    prefix = pl.Series("prefix", [v[3] for v in _CHANNELS.values()])
    lookup = pl.DataFrame({"channel": names}).with_columns(plat, kind, prefix)
    frame = pl.DataFrame(
        {
            "contact_id": contact,
            "start": start[contact - first_contact],
            "gap": gaps,
            "channel": ch,
            "number": number,
            "post": post,
            "employee": employee,
            "campaign": campaign,
            "with_campaign": rng.random(n_rows) < 0.35,
            "with_employee": rng.random(n_rows) < 0.4,
        }
    ).join(lookup, on="channel", how="left", maintain_order="left")
    frame = frame.with_columns(
        (pl.col("start") + pl.col("gap").cum_sum().over("contact_id")) // 1_000_000 * 1_000_000
    ).rename({"start": "ts"})  # whole seconds, as exports write them
    social_post = pl.col("kind") == "engagement"
    post_id = pl.col("platform") + pl.lit("-post-") + pl.col("post").cast(pl.String)
    return frame.select(
        (pl.lit("c") + pl.col("contact_id").cast(pl.String).str.zfill(8)).alias("contact_id"),
        pl.col("ts").cast(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("ts"),
        "channel",
        pl.when(social_post)
        .then(post_id)
        .otherwise(pl.col("prefix") + pl.col("number").cast(pl.String))
        .alias("ref"),
        "platform",
        "kind",
        pl.when(social_post).then(post_id).alias("post_id"),
        pl.when(social_post & pl.col("with_employee"))
        .then(pl.lit("e") + pl.col("employee").cast(pl.String).str.zfill(3))
        .alias("employee_id"),
        pl.when(pl.col("with_campaign"))
        .then(
            pl.lit("2024-q")
            + (pl.col("campaign") % 4 + 1).cast(pl.String)
            + "-"
            + pl.col("campaign").cast(pl.String)
        )
        .alias("campaign"),
    ).unique(subset=["contact_id", "ts", "channel", "ref"], keep="first", maintain_order=True)


def second_batch(first: pl.DataFrame, seed: int) -> pl.DataFrame:
    """As many rows as `first`: a quarter of its rows unchanged, a quarter with another
    campaign, half new contacts."""
    n = first.height
    rng = np.random.default_rng(seed + 1)
    picked = first[np.sort(rng.choice(n, n // 2, replace=False))]
    same, changed = picked[: n // 4], picked[n // 4 :]
    changed = changed.with_columns(pl.lit("2025-q1-relaunch").alias("campaign"))
    fresh = touchpoints(n - same.height - changed.height, seed + 2, first_contact=90_000_000)
    return pl.concat([same, changed, fresh])


def ensure(n_rows: int) -> tuple[Path, Path]:
    """The two CSVs for `n_rows`, written once."""
    folder = CACHE / str(n_rows)
    one, two = folder / "touchpoints-1.csv", folder / "touchpoints-2.csv"
    if one.exists() and two.exists():
        return one, two
    folder.mkdir(parents=True, exist_ok=True)
    first = touchpoints(n_rows, SEED)
    first.write_csv(one.with_suffix(".tmp"))
    second_batch(first, SEED).write_csv(two.with_suffix(".tmp"))
    one.with_suffix(".tmp").rename(one)
    two.with_suffix(".tmp").rename(two)
    return one, two


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _cli(store: Path, csv: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the import command in its own process."""
    exe = Path(sys.executable).with_name("socialroi")
    cmd = [str(exe), "import", "touchpoints", str(csv), "--store", str(store)]
    t0, c0 = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - t0, _cpu(resource.RUSAGE_CHILDREN) - c0


def _library(store_path: Path, csv: Path) -> tuple[float, float, float, str]:
    """(read seconds, write seconds, CPU seconds, counts) of the library import."""
    from socialroi.adapters.importer import load_export, read_export
    from socialroi.store import Store

    t0, c0 = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    read = read_export(csv, table="touchpoints")
    t1 = time.perf_counter()
    with Store.open(store_path) as store:
        res = load_export(store, read, csv)
    t2 = time.perf_counter()
    counts = f"{res.rows_new:,} new, {res.rows_updated:,} updated, {res.rows_unchanged:,} unchanged"
    return t1 - t0, t2 - t1, _cpu(resource.RUSAGE_SELF) - c0, counts


def run(n_rows: int, repeat: int) -> list[dict[str, str]]:
    one, two = ensure(n_rows)
    rows: list[dict[str, str]] = []
    for label, how in (("CLI", "cli"), ("library", "lib")):
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                store = Path(tmp) / "bench.duckdb"
                for case, csv in (("new store", one), ("2nd batch, 50% overlap", two)):
                    load = _load()
                    if how == "cli":
                        (total, cpu), read_s, write_s, counts = _cli(store, csv), "", "", ""
                    else:
                        r, w, cpu, counts = _library(store, csv)
                        total, read_s, write_s = r + w, f"{r:.2f}", f"{w:.2f}"
                    rows.append(
                        {
                            "case": case,
                            "how": label,
                            "total s": f"{total:.2f}",
                            "CPU s": f"{cpu:.2f}",
                            "read s": read_s,
                            "write s": write_s,
                            "load": load,
                            "result": counts,
                        }
                    )
                    print(" | ".join(rows[-1].values()), flush=True)
    return rows


def table(rows: list[dict[str, str]]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for r in rows]
    return "\n".join(lines)


_INTRO = """# Import speed

`benchmarks/import_speed.py` (see its docstring): a 1M-row touchpoints CSV imported into a new
store, then a second 1M-row file (a quarter unchanged rows, a quarter updated, half new) into that
store. `load` is the 1-minute load average when the case started: other work shares the machine,
so times are upper bounds. `CPU s` is the import's CPU time over all its threads, which a busy
machine inflates less. A CLI run is its own process (interpreter start and imports included);
`read s` is reading and checking the CSV, `write s` merging it into the store as one undoable
batch.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1m", help="rows per file (1m, 200k, 5000)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--write", metavar="TITLE", help=f"append the table to {RESULTS.name} under ## TITLE"
    )
    args = parser.parse_args()
    n_rows = _parse_rows(args.rows)
    rows = run(n_rows, args.repeat)
    text = table(rows)
    print(text)
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        head = RESULTS.read_text() if RESULTS.exists() else _INTRO
        RESULTS.write_text(
            f"{head.rstrip()}\n\n## {args.write}\n\n"
            f"`.venv/bin/python benchmarks/import_speed.py --rows {args.rows}` on {when}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, polars {pl.__version__}."
            f"\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
