"""`make bench`: socialroi's attribution from raw touchpoints against the peer libraries.

    benchmarks/run.py [--sizes 100k,1m,10m,30m] [--only ours|peers] [--timeout 600] [--no-caps]

Every contender runs in its own subprocess on the same cached parquet data (benchmarks/data.py),
so its peak memory is that process's peak RSS and a crash or timeout of one does not stop the
run. Contenders for one model run one after the other (ours, then each peer) so that a busy
machine slows them alike. The peers run on one core (the process pinned to one CPU, every
thread-count variable at 1); socialroi runs twice, on one core and on two. Prints a table and
writes benchmarks/results.md (see README.md), with a scaling section over the sizes run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import data  # noqa: E402

RESULTS = HERE / "results.md"
GIB = 1024.0
#: Thread-count variables of the libraries the contenders use (polars, BLAS, OpenMP, Arrow, …).
THREAD_VARS = (
    "POLARS_MAX_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


@dataclass(frozen=True)
class Spec:
    """One contender: who, which model, the function a worker calls and how to read it."""

    key: str
    contender: str
    model: str
    kind: str  # "ours" or "peers"
    primary: str  # which timing is the row's seconds
    reference: str | None = None  # key of our exact result to measure deviation against
    max_size: int | None = None  # default cap (skipped above, unless --no-caps)
    cap_reason: str = ""
    per_size: bool = True  # False: runs once, on its own synthetic data
    threads: tuple[int, ...] = (1, 2)  # one run per core count (peers: one core)
    sorts: bool = False  # sorts the touches (O(n log n)); the scaling text says so


def _timed_notes(timings: dict[str, float], notes: dict[str, Any]) -> tuple[Any, ...]:
    return timings, {}, notes


def _worker_fn(key: str) -> Callable[..., Any]:
    import ours
    import peers

    table: dict[str, Callable[..., Any]] = {
        "ours.rules_markov1": lambda tp, cv: (*ours.rules_and_markov(tp, cv), {}),
        "ours.rules_markov1_shuffled": lambda tp, cv: (
            *ours.rules_and_markov(ours.shuffled(tp), cv),
            {},
        ),
        "ours.markov1": lambda tp, cv: (*ours.markov_from_raw(tp, cv, 1), {}),
        "ours.markov4": lambda tp, cv: (*ours.markov_from_raw(tp, cv, 4), {}),
        "ours.shapley": lambda tp, cv: (*ours.shapley_from_raw(tp, cv), {}),
        "ours.exact_markov": lambda tp, cv: ({}, {}, ours.exactness(tp, cv)),
        "ours.exact_shapley": lambda tp, cv: (
            {},
            {},
            {"max_abs_diff_share": ours.shapley_exactness(tp, cv)},
        ),
        "ours.shapley15": lambda: _timed_notes(*ours.shapley_channels(15)),
        "ours.shapley20": lambda: _timed_notes(*ours.shapley_channels(20)),
        "ca.markov1": lambda tp, cv: peers.channelattribution_markov(tp, cv, 1),
        "ca.markov4": lambda tp, cv: peers.channelattribution_markov(tp, cv, 4),
        "mam.markov": peers.mam_markov,
        "mam.shapley": peers.mam_shapley,
        "mta.markov": peers.mta_markov,
        "mta.shapley": peers.mta_shapley,
    }
    return table[key]


_MTA_CAP = "constructor alone takes minutes at 10M (≈194 s in earlier notes); --no-caps runs it"
_MAM_CAP = "peak 8 GiB at 10M (its session frame in pandas); 30M would not fit; --no-caps runs it"
_ONE: dict[str, Any] = {"threads": (1,)}
SPECS: tuple[Spec, ...] = (
    Spec("ours.rules_markov1", "socialroi", "11 rule models + markov o1", "ours", "total"),
    Spec(
        "ours.rules_markov1_shuffled",
        "socialroi",
        "11 rule models + markov o1, rows shuffled",
        "ours",
        "total",
        sorts=True,
    ),
    Spec("ours.markov1", "socialroi", "markov o1", "ours", "total", "ours.markov1"),
    Spec("ca.markov1", "ChannelAttribution", "markov o1", "peers", "model", "ours.markov1", **_ONE),
    Spec(
        "mam.markov",
        "mam",
        "markov o1",
        "peers",
        "model",
        "ours.markov1",
        10_000_000,
        _MAM_CAP,
        **_ONE,
    ),
    Spec(
        "mta.markov",
        "mta",
        "markov (analytic)",
        "peers",
        "model",
        "ours.markov1",
        1_000_000,
        _MTA_CAP,
        **_ONE,
    ),
    Spec("ours.markov4", "socialroi", "markov o4", "ours", "total", "ours.markov4"),
    Spec("ca.markov4", "ChannelAttribution", "markov o4", "peers", "model", "ours.markov4", **_ONE),
    Spec("ours.shapley", "socialroi", "shapley", "ours", "total", "ours.shapley"),
    Spec(
        "mam.shapley",
        "mam",
        "shapley",
        "peers",
        "model",
        "ours.shapley",
        10_000_000,
        _MAM_CAP,
        **_ONE,
    ),
    Spec(
        "mta.shapley",
        "mta",
        "shapley",
        "peers",
        "model",
        "ours.shapley",
        1_000_000,
        _MTA_CAP,
        **_ONE,
    ),
    Spec(
        "ours.exact_markov",
        "socialroi",
        "check: markov o1 vs dense numpy",
        "ours",
        "",
        threads=(2,),
    ),
    Spec(
        "ours.exact_shapley",
        "socialroi",
        "check: shapley vs textbook formula",
        "ours",
        "",
        threads=(2,),
    ),
    Spec(
        "ours.shapley15",
        "socialroi",
        "shapley, 15 channels (1M synthetic journeys)",
        "ours",
        "model",
        per_size=False,
    ),
    Spec(
        "ours.shapley20",
        "socialroi",
        "shapley, 20 channels (1M synthetic journeys)",
        "ours",
        "model",
        per_size=False,
    ),
)
BY_KEY = {s.key: s for s in SPECS}


@dataclass
class Row:
    spec: Spec
    size: str
    threads: int = 1  # cores the process was allowed (CPU affinity and thread variables)
    status: str = "ok"  # ok, timeout, error, skipped
    seconds: float | None = None
    peak_mib: float | None = None
    loaded_mib: float | None = None  # peak RSS once the data was read
    timings: dict[str, float] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    deviation: float | None = None
    message: str = ""
    load: float | None = None  # 1-min load average when the run started
    usage: dict[str, float] = field(default_factory=dict)  # cpu_s, minflt, polars_threads, cpus

    @property
    def with_input(self) -> float | None:
        """Seconds including building the contender's input from the raw touchpoints."""
        if self.seconds is None:
            return None
        if self.spec.kind == "ours":
            return self.seconds  # ours starts from the raw touchpoints already
        return sum(self.timings.get(k, 0.0) for k in ("journeys", "prep", "model"))

    @property
    def busy(self) -> float | None:
        """CPU seconds per wall second over the whole call (1.0 = one core kept busy)."""
        wall, cpu = self.usage.get("wall_s"), self.usage.get("cpu_s")
        return cpu / wall if wall and cpu is not None else None


# --- worker ---------------------------------------------------------------------------------


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def worker(key: str, size: str, out: str) -> None:
    import polars as pl

    fn = _worker_fn(key)
    read_s = 0.0
    loaded_mib = 0.0
    args: tuple[Any, ...] = ()
    if BY_KEY[key].per_size:
        t0 = time.perf_counter()
        args = data.load(size)
        read_s = time.perf_counter() - t0
        loaded_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    timings, shares, notes = fn(*args)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "timings": {**timings, "read": read_s},
        "shares": shares,
        "notes": notes,
        "peak_mib": after.ru_maxrss / 1024.0,
        "loaded_mib": loaded_mib,
        "usage": {  # over the whole call, building a peer's input included
            "wall_s": wall,
            "cpu_s": _cpu(after) - _cpu(before),
            "minflt": float(after.ru_minflt - before.ru_minflt),
            "polars_threads": float(pl.thread_pool_size()),
            "cpus": float(len(os.sched_getaffinity(0))),
        },
    }
    Path(out).write_text(json.dumps(result))


# --- parent ---------------------------------------------------------------------------------


def cores(threads: int) -> set[int]:
    """The CPUs a run on `threads` cores is pinned to (the first of those this process may use)."""
    allowed = sorted(os.sched_getaffinity(0))
    return set(allowed[: max(1, threads)])


def thread_env(threads: int) -> dict[str, str]:
    """This environment with every library's thread count set to `threads`."""
    return {
        **os.environ,
        **dict.fromkeys(THREAD_VARS, str(threads)),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }


def run_one(spec: Spec, size: str, timeout: float, threads: int = 2) -> Row:
    row = Row(spec, size, threads=threads, load=os.getloadavg()[0])
    pinned = cores(threads)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", spec.key, size, str(out)]
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=thread_env(threads),
            start_new_session=True,
            preexec_fn=lambda: os.sched_setaffinity(0, pinned),  # noqa: PLW1509
        )
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            row.status = "timeout"
            row.message = f"> {timeout:.0f} s"
            return row
        if proc.returncode != 0 or not out.exists():
            lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
            row.status = "error"
            row.message = lines[-1][:160] if lines else f"exit code {proc.returncode}"
            return row
        result = json.loads(out.read_text())
    row.timings = result["timings"]
    row.shares = result["shares"]
    row.notes = result["notes"]
    row.peak_mib = result["peak_mib"]
    row.loaded_mib = result["loaded_mib"]
    row.usage = result["usage"]
    row.seconds = row.timings.get(spec.primary) if spec.primary else None
    return row


def max_deviation(shares: dict[str, float], exact: dict[str, float]) -> float:
    """Largest per-channel |share − exact share| / exact share, in %."""
    channels = set(shares) | set(exact)
    worst = 0.0
    for c in channels:
        ref = exact.get(c, 0.0)
        got = shares.get(c, 0.0)
        if ref == 0.0:
            if got != 0.0:
                return float("inf")
            continue
        worst = max(worst, abs(got - ref) / ref * 100.0)
    return worst


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _note(row: Row) -> str:
    if row.status != "ok":
        return f"{row.status}: {row.message}" if row.message else row.status
    t, n = row.timings, row.notes
    parts: list[str] = []
    key = row.spec.key
    if key == "ours.rules_markov1":
        parts.append("one credit_models call; markov's credit placed per conversion")
    elif key == "ours.rules_markov1_shuffled":
        parts.append("same, touch rows in random order (shuffle not counted)")
    elif key == "ours.markov1":
        parts.append("fit(): assign touches, count transitions from touch arrays, solve")
    elif key.startswith("ours.markov"):
        parts.append("fit(): assign touches, count order-k states from touch code arrays, solve")
    elif key == "ours.shapley":
        parts.append("fit(): assign touches, channel-set bitmasks from code arrays, solve")
    elif key.startswith("ca."):
        prep = t.get("journeys", 0.0) + t.get("prep", 0.0)
        parts.append(f"{_fmt_s(prep)} s to build its {n.get('paths', 0):,} paths")
    elif key.startswith("mam."):
        parts.append(f"{_fmt_s(t.get('journeys'))} s to build its session rows")
        if "removal_effect_shares" in n and "exact" in n:
            parts.append(f"its removal effects alone: {n['exact']:.2g}% off")
        if n.get("negative_channels"):
            parts.append(f"{n['negative_channels']} channel(s) get negative credit")
    elif key.startswith("mta."):
        prep = t.get("journeys", 0.0) + t.get("prep", 0.0)
        parts.append(
            f"constructor {_fmt_s(n.get('constructor_s'))} s incl.; {_fmt_s(prep)} s to build paths"
        )
    elif key == "ours.exact_markov":
        parts.append(
            f"max |Δ removal effect| {n['max_abs_diff_removal_effect']:.1e}, "
            f"|Δ P(conversion)| {n['abs_diff_conversion_probability']:.1e}"
        )
    elif key == "ours.exact_shapley":
        parts.append(f"max |Δ share| {n['max_abs_diff_share']:.1e}")
    elif key.startswith("ours.shapley") and "exact" in n:
        parts.append(f"exact={n['exact']}, Σ credit − conversions {n['sum_minus_conversions']:.1e}")
        if "max_abs_diff_vs_formula" in n:
            parts.append(f"vs formula (100k journeys) {n['max_abs_diff_vs_formula']:.1e}")
    if row.spec.per_size and t.get("read"):
        parts.append(f"read {_fmt_s(t['read'])} s, {row.loaded_mib or 0:,.0f} MiB (not counted)")
    return "; ".join(parts)


def _fmt_dev(x: float | None) -> str:
    if x is None:
        return "—"
    if x < 1e-6:
        return f"{x:.0e}" if x else "0"
    return f"{x:.2f}"


def _fmt_cores(r: Row) -> str:
    busy = r.busy
    return f"{r.threads} ({busy:.2f})" if busy is not None else str(r.threads)


def table(rows: list[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append(
            [
                r.spec.contender,
                r.spec.model,
                r.size,
                _fmt_cores(r),
                _fmt_s(r.seconds) if r.status == "ok" else r.status,
                _fmt_s(r.with_input) if r.status == "ok" else "—",
                f"{r.peak_mib:,.0f}" if r.peak_mib is not None else "—",
                _fmt_dev(r.deviation),
                f"{r.load:.2f}" if r.load is not None else "—",
                _note(r),
            ]
        )
    return out


HEADER = [
    "contender",
    "model",
    "size",
    "cores (busy)",
    "seconds",
    "with input s",
    "peak MiB",
    "max dev %",
    "load",
    "notes",
]


def print_table(rows: list[Row]) -> None:
    body = table(rows)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(HEADER[:-1])]
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER[:-1], widths, strict=True))
    print(line + "  notes")
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b[:-1], widths, strict=True)) + "  " + b[-1])


def _find(
    rows: list[Row], key: str, size: str | None = None, threads: int | None = None
) -> Row | None:
    """The ok row of `key` (at `size`, on `threads` cores; by default the most cores run)."""
    found = [
        r
        for r in rows
        if r.spec.key == key
        and (size is None or r.size == size)
        and (threads is None or r.threads == threads)
        and r.status == "ok"
    ]
    return max(found, key=lambda r: r.threads) if found else None


def _ca_ratio(rows: list[Row], order: int, size: str) -> tuple[float | None, str]:
    """ChannelAttribution's seconds ÷ ours for Markov of `order` at `size`, and the evidence."""
    ours_r, ca_r = _find(rows, f"ours.markov{order}", size), _find(rows, f"ca.markov{order}", size)
    if not (ours_r and ca_r and ours_r.seconds and ca_r.seconds):
        return None, f"needs ours and ChannelAttribution at {size}"
    ratio = ca_r.seconds / ours_r.seconds
    evidence = (
        f"at {size}: ours {ours_r.seconds:.2f} s from raw touchpoints on {ours_r.threads} "
        f"core(s) vs CA {ca_r.seconds:.2f} s from its paths on {ca_r.threads} = {ratio:.2f}×"
    )
    one = _find(rows, f"ours.markov{order}", size, threads=1)
    if one is not None and one is not ours_r and one.seconds:
        evidence += f"; ours on 1 core {one.seconds:.2f} s = {ca_r.seconds / one.seconds:.2f}×"
    if ca_r.with_input:
        evidence += (
            f"; CA with building its paths {ca_r.with_input:.2f} s = "
            f"{ca_r.with_input / ours_r.seconds:.2f}×"
        )
    return ratio, evidence


def targets(rows: list[Row], sizes: list[str]) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/not measured, evidence): issue 14's targets at 10M, then exactness."""
    out: list[tuple[str, str, str]] = []
    at = "10m"

    def timed(name: str, key: str, limit_s: float, limit_gib: float | None = None) -> None:
        r = _find(rows, key, at)
        if r is None or r.seconds is None:
            out.append((name, "not measured", f"{at} not run (or failed)"))
            return
        ok = r.seconds <= limit_s
        evidence = f"{r.seconds:.2f} s on {r.threads} core(s)"
        if limit_gib is not None and r.peak_mib is not None:
            ok = ok and r.peak_mib <= limit_gib * GIB
            evidence += f", {r.peak_mib / GIB:.2f} GiB"
        one = _find(rows, key, at, threads=1)
        if one is not None and one is not r and one.seconds:
            evidence += f"; on 1 core {one.seconds:.2f} s"
        out.append((name, _pf(ok), evidence))

    ratio1, ev1 = _ca_ratio(rows, 1, at)
    r1 = _find(rows, "ours.markov1", at)
    name = "Markov o1, 10M touchpoints from raw rows: ≤ 0.5 s and ≥ 10× ChannelAttribution"
    if r1 is None or r1.seconds is None or ratio1 is None:
        out.append((name, "not measured", ev1))
    else:
        out.append((name, _pf(r1.seconds <= 0.5 and ratio1 >= 10), ev1))
    ratio4, ev4 = _ca_ratio(rows, 4, at)
    name = "Markov o4 ≥ 10× ChannelAttribution o4 (default settings)"
    out.append((name, "not measured" if ratio4 is None else _pf(ratio4 >= 10), ev4))
    timed("Shapley, 10M touchpoints from raw rows: ≤ 1.5 s", "ours.shapley", 1.5)
    timed("11 rule models + Markov o1: ≤ 1.2 s, ≤ 1 GiB", "ours.rules_markov1", 1.2, 1.0)
    name = "same, rows shuffled: ≤ 1.5× the sorted time"
    rs, rsh = _find(rows, "ours.rules_markov1", at), _find(rows, "ours.rules_markov1_shuffled", at)
    if not (rs and rsh and rs.seconds and rsh.seconds):
        out.append((name, "not measured", f"needs both at {at}"))
    else:
        k = rsh.seconds / rs.seconds
        out.append((name, _pf(k <= 1.5), f"{rsh.seconds:.2f} s vs {rs.seconds:.2f} s = {k:.2f}×"))
    ex = _find(rows, "ours.exact_markov")
    name = "zero simulation error (Markov solved exactly)"
    if ex is None:
        out.append((name, "not measured", "run with 100k in --sizes"))
    else:
        d = ex.notes["max_abs_diff_removal_effect"]
        ca_dev = [
            f"{r.size} {r.deviation:.1f}%"
            for r in rows
            if r.spec.key == "ca.markov1" and r.deviation
        ]
        evidence = f"max |Δ removal effect| vs dense numpy solve {d:.1e}"
        if ca_dev:
            evidence += "; ChannelAttribution o1 off by " + ", ".join(ca_dev)
        out.append((name, _pf(d <= 1e-9), evidence))
    s15, s20 = _find(rows, "ours.shapley15"), _find(rows, "ours.shapley20")
    name = "Shapley exact for ≥ 15 channels"
    if s15 is None:
        out.append((name, "not measured", "shapley 15-channel run missing or failed"))
    else:
        n15 = s15.notes
        ok = bool(n15.get("exact")) and n15.get("max_abs_diff_vs_formula", 1.0) <= 1e-9
        evidence = (
            f"15 channels: {s15.seconds:.2f} s, exact, |Δ| vs formula "
            f"{n15.get('max_abs_diff_vs_formula', float('nan')):.1e}"
        )
        if s20 is not None:
            ok = ok and bool(s20.notes.get("exact"))
            evidence += f"; 20 channels: {s20.seconds:.2f} s, exact={s20.notes.get('exact')}"
        out.append((name, _pf(ok), evidence))
    return out


# --- scaling --------------------------------------------------------------------------------

LINEAR = (0.9, 1.1)  # growth exponents inside this band read as linear


def _exponent(y1: float, y2: float, n1: int, n2: int) -> float:
    """e in y ∝ n^e between two sizes (1 = linear)."""
    return math.log(y2 / y1) / math.log(n2 / n1) if y1 > 0 and y2 > 0 and n2 != n1 else math.nan


def _added(r: Row) -> float | None:
    """MiB the model added on top of the data it read."""
    if r.peak_mib is None:
        return None
    return max(r.peak_mib - (r.loaded_mib or 0.0), 0.0)


def scaling_groups(rows: list[Row]) -> list[list[Row]]:
    """Per contender, model and core count, its ok timed rows at ≥ 2 sizes, smallest first."""
    groups: dict[tuple[str, int], list[Row]] = {}
    for r in rows:
        if r.spec.per_size and r.spec.primary and r.status == "ok" and r.seconds:
            groups.setdefault((r.spec.key, r.threads), []).append(r)
    return [
        sorted(g, key=lambda r: data.parse_size(r.size)) for g in groups.values() if len(g) >= 2
    ]


def _fixed_part(
    a: Row, group: list[Row], value: Callable[[Row], float | None], unit: str
) -> str | None:
    """The intercept of the line through the group's two largest runs, if a is below them."""
    big = group[-2:]
    if a in big:
        return None
    (n1, n2), (y1, y2) = (
        [data.parse_size(r.size) for r in big],
        [value(r) or 0.0 for r in big],
    )
    fixed = y1 - (y2 - y1) / (n2 - n1) * n1
    own = value(a) or 0.0
    if fixed <= 0 or own <= 0:
        return None
    return (
        f"a fixed part of ≈ {fixed:,.3g} {unit} (where the line through the {big[0].size} and "
        f"{big[1].size} runs meets zero rows) is {min(fixed / own, 1.0):.0%} of the {a.size} run"
    )


def _why_time(spec: Spec, a: Row, b: Row, e: float, group: list[Row]) -> str:
    """Measured facts behind a non-linear step in time from row a to row b."""
    n1, n2 = data.parse_size(a.size), data.parse_size(b.size)
    t1, t2 = a.seconds or 0.0, b.seconds or 0.0
    facts = [f"{t1 / n1 * 1e9:.0f} → {t2 / n2 * 1e9:.0f} ns per touch"]
    cpu1, cpu2 = a.usage.get("cpu_s"), b.usage.get("cpu_s")
    if e < LINEAR[0]:
        fixed = _fixed_part(a, group, lambda r: r.seconds, "s")
        if fixed:
            facts.append(fixed)
        if a.busy and b.busy and b.busy > a.busy * 1.1:
            facts.append(f"the larger run kept more cores busy ({a.busy:.2f} → {b.busy:.2f})")
        return "; ".join(facts)
    if cpu1 and cpu2:
        per_touch = (cpu2 / n2) / (cpu1 / n1)
        if per_touch > 1.1:
            facts.append(f"CPU seconds per touch ×{per_touch:.2f}: more work per touch")
            if spec.sorts:
                expected = math.log(n2) / math.log(n1)
                facts.append(f"its sort is O(n log n), ×{expected:.2f} per touch by itself")
        else:
            facts.append(
                f"CPU seconds per touch ×{per_touch:.2f}, so the extra wall time is waiting, "
                "not work"
            )
    if a.busy and b.busy and b.busy < a.busy * 0.9:
        facts.append(f"cores busy {a.busy:.2f} → {b.busy:.2f}")
    f1, f2 = a.usage.get("minflt"), b.usage.get("minflt")
    if f1 and f2 and (f2 / n2) / (f1 / n1) > 1.2:
        facts.append(
            f"page faults per touch ×{(f2 / n2) / (f1 / n1):.2f} (fresh memory from the OS)"
        )
    if a.load is not None and b.load is not None and b.load > a.load + 0.5:
        facts.append(f"machine load {a.load:.2f} → {b.load:.2f}")
    return "; ".join(facts)


def scaling(rows: list[Row]) -> list[str]:
    """Markdown: time and peak memory per size for each contender, and where growth is not
    linear, the measured numbers that say why."""
    groups = scaling_groups(rows)
    if not groups:
        return ["Fewer than two sizes ran: no scaling to show."]
    sizes = sorted({r.size for g in groups for r in g}, key=data.parse_size)
    lines = [
        "Seconds / peak MiB per size; growth is e in time ∝ rows^e between neighbouring sizes"
        f" (linear: {LINEAR[0]}–{LINEAR[1]}); memory growth is of what the model added on top"
        " of the data it read.",
        "",
        "| contender | model | cores | " + " | ".join(sizes) + " | time growth | memory growth |",
        "|" + "---|" * (len(sizes) + 5),
    ]
    remarks: list[str] = []
    for g in groups:
        spec = g[0].spec
        cells = {r.size: f"{_fmt_s(r.seconds)} / {r.peak_mib or 0:,.0f}" for r in g}
        t_growth, m_growth = [], []
        for a, b in itertools.pairwise(g):
            n1, n2 = data.parse_size(a.size), data.parse_size(b.size)
            e = _exponent(a.seconds or 0.0, b.seconds or 0.0, n1, n2)
            t_growth.append(f"{a.size}→{b.size} {e:.2f}")
            ma, mb = _added(a), _added(b)
            em = _exponent(ma or 0.0, mb or 0.0, n1, n2)
            m_growth.append(f"{a.size}→{b.size} {em:.2f}" if not math.isnan(em) else "—")
            where = f"{spec.contender} {spec.model} ({g[0].threads} core(s)), {a.size}→{b.size}"
            if not LINEAR[0] <= e <= LINEAR[1]:
                kind = "sub" if e < LINEAR[0] else "super"
                remarks.append(
                    f"- {where}: time ×{(b.seconds or 0) / (a.seconds or 1):.2f} for ×{n2 / n1:g}"
                    f" rows ({kind}linear, e = {e:.2f}): {_why_time(spec, a, b, e, g)}."
                )
            if ma and mb and not math.isnan(em) and not LINEAR[0] <= em <= LINEAR[1]:
                kind = "sub" if em < LINEAR[0] else "super"
                fixed = _fixed_part(a, g, _added, "MiB") if em < LINEAR[0] else None
                remarks.append(
                    f"- {where}: memory added {ma:,.0f} → {mb:,.0f} MiB ({kind}linear, e = "
                    f"{em:.2f}; {ma * 2**20 / n1:.0f} → {mb * 2**20 / n2:.0f} bytes per touch"
                    + (f"; {fixed}" if fixed else "")
                    + ")."
                )
        lines.append(
            f"| {spec.contender} | {spec.model} | {g[0].threads} | "
            + " | ".join(cells.get(s, "—") for s in sizes)
            + f" | {', '.join(t_growth)} | {', '.join(m_growth)} |"
        )
    lines += ["", "Where growth is not linear:", ""]
    lines += remarks or ["- nowhere: every step is inside the linear band."]
    return lines


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def _pools(rows: list[Row]) -> list[str]:
    """What each worker measured of its own cores and polars thread pool, per core count."""
    seen: dict[int, set[tuple[int, int]]] = {}
    for r in rows:
        if r.usage:
            pool = (int(r.usage.get("cpus", 0)), int(r.usage.get("polars_threads", 0)))
            seen.setdefault(r.threads, set()).add(pool)
    return [
        f"- runs on {n} core(s): measured in the worker, CPUs allowed / polars threads "
        + ", ".join(f"{c} / {t}" for c, t in sorted(pools))
        for n, pools in sorted(seen.items())
    ] + ([""] if seen else [])


def write_results(
    rows: list[Row],
    sizes: list[str],
    command: str,
    started: dt.datetime,
    load: list[str],
    out: Path = RESULTS,
) -> None:
    import peers

    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC. How to read this: README.md.",
        "",
        "## Machine",
        "",
    ]
    for k, v in machine().items():
        lines.append(f"- {k}: {v}")
    lines.append(f"- load average (1 min) at start / end: {load[0]} / {load[1]}")
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in peers.versions().items()))
    lines += ["", "## Targets (issue 14)", "", "| target | result | evidence |", "|---|---|---|"]
    for name, res, evidence in targets(rows, sizes):
        lines.append(f"| {name} | **{res}** | {evidence} |")
    lines += [
        "",
        "## Cores",
        "",
        "Each run is pinned to its cores (CPU affinity) with every thread-count variable"
        f" ({', '.join(THREAD_VARS)}) set to the same number. The peers run on 1 core;"
        " socialroi runs on 1 and on 2. `cores (busy)` gives the cores allowed and, in brackets,"
        " CPU seconds per wall second over the call (1.00 = one core kept busy).",
        "",
        *_pools(rows),
        "## Results",
        "",
        "`seconds`: from raw touchpoints for socialroi (reading parquet not counted); for peers,"
        " their own call on their preferred input. `with input s`: the same plus building that"
        " input from the raw touchpoints (for socialroi the two are the same). Max dev % ="
        " largest per-channel relative deviation of the channel's share of conversions from"
        " socialroi's exact result of the same model on the same data (for socialroi on 2 cores:"
        " from its own result on 1 core). `load`: 1-minute load average when the run started.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for b in table(rows):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in b) + " |")
    lines += ["", "## Scaling", "", *scaling(rows), ""]
    out.write_text("\n".join(lines))


def plan(sizes: list[str], only: str | None) -> list[tuple[Spec, str, int]]:
    """Per size (smallest first), every contender in SPECS order, each on each of its core
    counts (fewest first); then the size-free runs."""
    smallest = min(sizes, key=data.parse_size)
    tasks: list[tuple[Spec, str, int]] = []
    for size in sorted(sizes, key=data.parse_size):
        for spec in SPECS:
            if not spec.per_size or (only and spec.kind != only):
                continue
            if spec.key.startswith("ours.exact") and size != smallest:
                continue
            tasks += [(spec, size, n) for n in spec.threads]
    if only != "peers":
        tasks += [(s, "—", n) for s in SPECS if not s.per_size for n in s.threads]
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100k,1m,10m,30m", help="comma-separated: 100k,1m,10m,30m"
    )
    parser.add_argument("--only", choices=("ours", "peers"), help="run only ours or only peers")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per contender")
    parser.add_argument("--no-caps", action="store_true", help="run capped peers at every size")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--worker", nargs=3, metavar=("KEY", "SIZE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    started = dt.datetime.now(dt.UTC)
    load = [f"{os.getloadavg()[0]:.2f}"]
    for size in sizes:
        t0 = time.perf_counter()
        data.ensure(size)
        print(f"data {size}: ready ({time.perf_counter() - t0:.1f} s)", flush=True)

    rows: list[Row] = []
    exact: dict[tuple[str, str], dict[str, float]] = {}
    reference_rows: set[int] = set()
    for spec, size, threads in plan(sizes, args.only):
        if spec.max_size and not args.no_caps and data.parse_size(size) > spec.max_size:
            row = Row(spec, size, threads, status="skipped", message=spec.cap_reason)
        else:
            print(f"… {spec.contender} / {spec.model} / {size} / {threads} core(s)", flush=True)
            row = run_one(spec, size, args.timeout, threads)
        if row.status == "ok" and spec.reference == spec.key and (spec.key, size) not in exact:
            exact[(spec.key, size)] = row.shares  # the first run (one core) is the reference
            reference_rows.add(id(row))
        rows.append(row)
        print("   " + " | ".join(table([row])[0][3:]), flush=True)

    for row in rows:
        ref = exact.get((row.spec.reference or "", row.size))
        if ref is not None and row.status == "ok" and id(row) not in reference_rows:
            row.deviation = max_deviation(row.shares, ref)  # ours on 2 cores: vs ours on 1
            alt = row.notes.get("removal_effect_shares")
            if alt:
                row.notes["exact"] = max_deviation(alt, ref)
    # The combined call places Markov per conversion (each conversion's credit split over its own
    # channels by removal effect), so its channel totals are not markov o1's aggregate shares: its
    # other runs (2 cores, rows shuffled) are measured against its first run (1 core, sorted).
    combined: dict[str, Row] = {}
    for row in rows:
        if row.spec.key.startswith("ours.rules_markov1") and row.status == "ok":
            first = combined.setdefault(row.size, row)
            if first is not row:
                row.deviation = max_deviation(row.shares, first.shares)

    load.append(f"{os.getloadavg()[0]:.2f}")
    print()
    print_table(rows)
    print()
    for name, res, evidence in targets(rows, sizes):
        print(f"{res:>12}  {name}: {evidence}")
    print()
    print("\n".join(scaling(rows)))
    command = "benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(rows, sizes, command.strip(), started, load, args.out)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
