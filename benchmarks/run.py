"""`make bench`: socialroi's attribution from raw touchpoints against the peer libraries.

    benchmarks/run.py [--sizes 100k,1m,10m] [--only ours|peers] [--timeout 600] [--no-caps]

Every contender runs in its own subprocess on the same cached parquet data (benchmarks/data.py),
so its peak memory is that process's peak RSS and a crash or timeout of one does not stop the
run. Contenders for one model run one after the other (ours, then each peer) so that a busy
machine slows them alike. Prints a table and writes benchmarks/results.md (see README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
SPECS: tuple[Spec, ...] = (
    Spec("ours.rules_markov1", "socialroi", "11 rule models + markov o1", "ours", "total"),
    Spec(
        "ours.rules_markov1_shuffled",
        "socialroi",
        "11 rule models + markov o1, rows shuffled",
        "ours",
        "total",
    ),
    Spec("ours.markov1", "socialroi", "markov o1", "ours", "total", "ours.markov1"),
    Spec("ca.markov1", "ChannelAttribution", "markov o1", "peers", "model", "ours.markov1"),
    Spec("mam.markov", "mam", "markov o1", "peers", "model", "ours.markov1"),
    Spec(
        "mta.markov",
        "mta",
        "markov (analytic)",
        "peers",
        "model",
        "ours.markov1",
        1_000_000,
        _MTA_CAP,
    ),
    Spec("ours.markov4", "socialroi", "markov o4", "ours", "total", "ours.markov4"),
    Spec("ca.markov4", "ChannelAttribution", "markov o4", "peers", "model", "ours.markov4"),
    Spec("ours.shapley", "socialroi", "shapley", "ours", "total", "ours.shapley"),
    Spec("mam.shapley", "mam", "shapley", "peers", "model", "ours.shapley"),
    Spec("mta.shapley", "mta", "shapley", "peers", "model", "ours.shapley", 1_000_000, _MTA_CAP),
    Spec(
        "ours.exact_markov",
        "socialroi",
        "check: markov o1 vs dense numpy",
        "ours",
        "",
    ),
    Spec(
        "ours.exact_shapley",
        "socialroi",
        "check: shapley vs textbook formula",
        "ours",
        "",
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
    status: str = "ok"  # ok, timeout, error, skipped
    seconds: float | None = None
    peak_mib: float | None = None
    loaded_mib: float | None = None  # peak RSS once the data was read
    timings: dict[str, float] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    deviation: float | None = None
    message: str = ""


# --- worker ---------------------------------------------------------------------------------


def worker(key: str, size: str, out: str) -> None:
    fn = _worker_fn(key)
    read_s = 0.0
    loaded_mib = 0.0
    if BY_KEY[key].per_size:
        t0 = time.perf_counter()
        tp, cv = data.load(size)
        read_s = time.perf_counter() - t0
        loaded_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        timings, shares, notes = fn(tp, cv)
    else:
        timings, shares, notes = fn()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result = {
        "timings": {**timings, "read": read_s},
        "shares": shares,
        "notes": notes,
        "peak_mib": peak,
        "loaded_mib": loaded_mib,
    }
    Path(out).write_text(json.dumps(result))


# --- parent ---------------------------------------------------------------------------------


def run_one(spec: Spec, size: str, timeout: float) -> Row:
    row = Row(spec, size)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", spec.key, size, str(out)]
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
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
        parts.append("one credit_models call; markov's credit spread over touches")
    elif key == "ours.rules_markov1_shuffled":
        parts.append("same, touch rows in random order (shuffle not counted)")
    elif key == "ours.markov1":
        parts.append("fit(): assign touches, count transitions from touch arrays, solve")
    elif key.startswith("ours.markov") or key == "ours.shapley":
        parts.append("fit(): assign touches, build journeys, solve")
    elif key.startswith("ca."):
        prep = t.get("journeys", 0.0) + t.get("prep", 0.0)
        parts.append(f"+ {_fmt_s(prep)} s to build its {n.get('paths', 0):,} paths (not counted)")
    elif key.startswith("mam."):
        parts.append(f"+ {_fmt_s(t.get('journeys'))} s journeys (not counted)")
        if "removal_effect_shares" in n and "exact" in n:
            parts.append(f"its removal effects alone: {n['exact']:.2g}% off")
        if n.get("negative_channels"):
            parts.append(f"{n['negative_channels']} channel(s) get negative credit")
    elif key.startswith("mta."):
        prep = t.get("journeys", 0.0) + t.get("prep", 0.0)
        parts.append(
            f"constructor {_fmt_s(n.get('constructor_s'))} s incl.; + {_fmt_s(prep)} s paths"
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


def table(rows: list[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append(
            [
                r.spec.contender,
                r.spec.model,
                r.size,
                _fmt_s(r.seconds) if r.status == "ok" else r.status,
                f"{r.peak_mib:,.0f}" if r.peak_mib is not None else "—",
                _fmt_dev(r.deviation),
                _note(r),
            ]
        )
    return out


HEADER = ["contender", "model", "size", "seconds", "peak MiB", "max dev %", "notes"]


def print_table(rows: list[Row]) -> None:
    body = table(rows)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(HEADER[:-1])]
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER[:-1], widths, strict=True))
    print(line + "  notes")
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b[:-1], widths, strict=True)) + "  " + b[-1])


def _find(rows: list[Row], key: str, size: str | None = None) -> Row | None:
    for r in rows:
        if r.spec.key == key and (size is None or r.size == size) and r.status == "ok":
            return r
    return None


def targets(rows: list[Row], sizes: list[str]) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/not measured, evidence)."""
    out: list[tuple[str, str, str]] = []
    big = max(sizes, key=data.parse_size)
    r = _find(rows, "ours.rules_markov1", "10m")
    name = "all rule models + Markov o1 on 10M touchpoints: < 5 s and < 2 GiB peak"
    if r is None or r.seconds is None or r.peak_mib is None:
        out.append((name, "not measured", "10m not run (or failed)"))
    else:
        ok = r.seconds < 5 and r.peak_mib < 2 * GIB
        out.append((name, _pf(ok), f"{r.seconds:.2f} s, {r.peak_mib / GIB:.2f} GiB"))
    for order in (1, 4):
        name = f"Markov o{order} ≥ 5× faster than ChannelAttribution o{order} (default settings)"
        ours_r, ca_r = (
            _find(rows, f"ours.markov{order}", big),
            _find(rows, f"ca.markov{order}", big),
        )
        if not (ours_r and ca_r and ours_r.seconds and ca_r.seconds):
            out.append((name, "not measured", f"needs both at {big}"))
            continue
        ratio = ca_r.seconds / ours_r.seconds
        out.append(
            (
                name,
                _pf(ratio >= 5),
                f"at {big}: ours {ours_r.seconds:.2f} s from raw touchpoints vs CA "
                f"{ca_r.seconds:.2f} s from its paths = {ratio:.2f}×",
            )
        )
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


def write_results(
    rows: list[Row], sizes: list[str], command: str, started: dt.datetime, load: list[str]
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
    lines += ["", "## Targets (issue 3)", "", "| target | result | evidence |", "|---|---|---|"]
    for name, res, evidence in targets(rows, sizes):
        lines.append(f"| {name} | **{res}** | {evidence} |")
    lines += [
        "",
        "## Results",
        "",
        "Seconds from raw touchpoints for socialroi (reading parquet not counted); for peers, their"
        " own call on their preferred input (building that input is in the notes, not counted)."
        " Max dev % = largest per-channel relative deviation of the channel's share of"
        " conversions from socialroi's exact result of the same model on the same data.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for b in table(rows):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in b) + " |")
    lines.append("")
    RESULTS.write_text("\n".join(lines))


def plan(sizes: list[str], only: str | None) -> list[tuple[Spec, str]]:
    """Per size (smallest first), every contender in SPECS order; then the size-free runs."""
    smallest = min(sizes, key=data.parse_size)
    tasks: list[tuple[Spec, str]] = []
    for size in sorted(sizes, key=data.parse_size):
        for spec in SPECS:
            if not spec.per_size or (only and spec.kind != only):
                continue
            if spec.key.startswith("ours.exact") and size != smallest:
                continue
            tasks.append((spec, size))
    if only != "peers":
        tasks += [(s, "—") for s in SPECS if not s.per_size]
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m,10m", help="comma-separated: 100k,1m,10m")
    parser.add_argument("--only", choices=("ours", "peers"), help="run only ours or only peers")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per contender")
    parser.add_argument("--no-caps", action="store_true", help="run capped peers at every size")
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
    for spec, size in plan(sizes, args.only):
        if spec.max_size and not args.no_caps and data.parse_size(size) > spec.max_size:
            row = Row(spec, size, status="skipped", message=spec.cap_reason)
        else:
            print(f"… {spec.contender} / {spec.model} / {size}", flush=True)
            row = run_one(spec, size, args.timeout)
        if row.status == "ok" and spec.reference == spec.key:
            exact[(spec.key, size)] = row.shares
        rows.append(row)
        print("   " + " | ".join(table([row])[0][3:]), flush=True)

    for row in rows:
        ref = exact.get((row.spec.reference or "", row.size))
        if ref is not None and row.status == "ok" and row.spec.reference != row.spec.key:
            row.deviation = max_deviation(row.shares, ref)
            alt = row.notes.get("removal_effect_shares")
            if alt:
                row.notes["exact"] = max_deviation(alt, ref)
    for row in rows:  # our combined call against our markov o1 on its own
        if row.spec.key.startswith("ours.rules_markov1") and row.status == "ok":
            ref = exact.get(("ours.markov1", row.size))
            if ref is not None:
                row.deviation = max_deviation(row.shares, ref)

    load.append(f"{os.getloadavg()[0]:.2f}")
    print()
    print_table(rows)
    print()
    for name, res, evidence in targets(rows, sizes):
        print(f"{res:>12}  {name}: {evidence}")
    command = "benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(rows, sizes, command.strip(), started, load)
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
