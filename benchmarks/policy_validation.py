"""Observed policy effects against known truth, over demo worlds whose true parameters differ.

    .venv/bin/python benchmarks/policy_validation.py                 # 6 worlds × 20 seeds
    .venv/bin/python benchmarks/policy_validation.py --quick         # 3 worlds × 1 seed
    .venv/bin/python benchmarks/policy_validation.py --seeds 1-5 --worlds W1,W4 --jobs 2

Each world is the demo company (socialroi.demo.generate) with some of its true parameters
replaced (WORLDS below): advocacy participation 0.1–0.5, how much better advocacy posts turn
visits into contacts (the "lead multiplier", 0.8–1.5), the ban's productivity effect (0 to −25
workdays a year) and, in some worlds, acceptable-use participation. None of them is the policy
comparison's default (config/policies.toml, socialroi.policy.options): the demo reads its world
from its own file, so this check is not circular. (The ban's productivity effect is not in any
table the estimators read; it is varied for the projections' benchmark and recorded here.)

For every world and seed: generate the company, estimate the observed effect of each switch
(socialroi.policy.observed.observe) and compare each estimate with the generator's expected
effect (truth['switches']): a time-series row (every team switched) with ``effect.total``, a
difference-in-differences row with ``effect_identifiable.total`` (only the outcomes the data can
tie to a team: tracked links and conversations). Leads ↔ 'leads', won deals ↔ 'won', revenue ↔
'revenue'; net value has no generator truth.

Per method and metric it prints: rows shown (estimated) and too thin; coverage of the 90%
intervals (target 85–95%: calibrated, not merely wide); the median interval width relative to
the true effect; the detection rate (interval excludes zero, on the side of the truth); and the
bias of the rows shown (sum of estimates ÷ sum of truths − 1: a rule that shows rows because
they came out high shows up here). ``--no-control`` runs the time series without its control
series for comparison. Projections have their own check: benchmarks/projection_validation.py.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from socialroi.demo import generate
from socialroi.policy.observed import observe

TRUTH_METRIC = {"leads": "leads", "deals": "won", "revenue": "revenue"}
TARGET = (0.85, 0.95)

#: The worlds: overrides of the demo's own world (socialroi/demo/world.toml). W0 is that world
#: unchanged (advocacy participation 0.9, lead multiplier 1.1, ban −11.5 workdays).
WORLDS: dict[str, dict[str, float]] = {
    "W0": {},
    "W1": {
        "participation": 0.1,
        "lead_multiplier": 0.8,
        "ban_workdays": 0.0,
        "mechanisms.acceptable_use.participation": 0.2,
    },
    "W2": {"participation": 0.1, "lead_multiplier": 1.5, "ban_workdays": -25.0},
    "W3": {
        "participation": 0.3,
        "lead_multiplier": 1.15,
        "ban_workdays": -12.0,
        "mechanisms.acceptable_use.participation": 0.5,
    },
    "W4": {"participation": 0.5, "lead_multiplier": 0.8, "ban_workdays": -25.0},
    "W5": {
        "participation": 0.5,
        "lead_multiplier": 1.5,
        "ban_workdays": 0.0,
        "mechanisms.acceptable_use.participation": 0.2,
    },
}
QUICK_WORLDS = ("W0", "W2", "W5")


@dataclass(frozen=True)
class Scored:
    world: str
    seed: int
    switch: str
    method: str
    metric: str
    verdict: str
    estimate: float | None
    low: float | None
    high: float | None
    truth: float

    @property
    def shown(self) -> bool:
        return self.verdict == "estimate" and self.estimate is not None

    @property
    def covered(self) -> bool:
        return self.shown and self.low <= self.truth <= self.high  # type: ignore[operator]

    @property
    def detected(self) -> bool:
        """The interval excludes zero on the side of the true effect."""
        if not self.shown:
            return False
        return (self.low > 0) if self.truth > 0 else (self.high < 0)  # type: ignore[operator]


def parse_seeds(text: str) -> list[int]:
    """'1-20', '1,2,5' or '3-5,9' → the seed numbers."""
    out: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def truth_of(truth: Mapping[str, Any], switch_date: str, method: str, metric: str) -> float | None:
    """The generator's expected mean monthly effect matching an estimate row, if any."""
    key = TRUTH_METRIC.get(metric)
    if key is None:
        return None
    for s in truth["switches"]:
        if s["date"] == switch_date:
            part = "effect" if method == "its" else "effect_identifiable"
            return float(s[part]["total"][key])
    return None


def score_world(
    world: str, seed: int, *, months: int = 24, level: float = 0.90, control: bool = True
) -> list[Scored]:
    """Every scorable estimate row (shown or too thin) of one company."""
    company = generate(seed=seed, months=months, world=WORLDS[world])
    effects = observe(company.tables, as_of=company.as_of, level=level, control=control)
    out: list[Scored] = []
    for row in effects.estimates.iter_rows(named=True):
        if row["method"] == "did" and row["teams"] == "*":
            continue  # every team switched: the time series answers it
        date = row["switch_date"].isoformat()
        truth = truth_of(company.truth, date, row["method"], row["metric"])
        if truth is None:
            continue
        out.append(
            Scored(
                world,
                seed,
                f"{date} {row['from_policy']}→{row['to_policy']}",
                row["method"],
                row["metric"],
                row["verdict"],
                row["effect"],
                row["low"],
                row["high"],
                truth,
            )
        )
    return out


def _one(args: tuple[str, int, int, float, bool]) -> list[Scored]:
    world, seed, months, level, control = args
    return score_world(world, seed, months=months, level=level, control=control)


def run(
    worlds: Sequence[str],
    seeds: Sequence[int],
    *,
    months: int = 24,
    level: float = 0.90,
    control: bool = True,
    jobs: int = 1,
) -> list[Scored]:
    tasks = [(w, s, months, level, control) for w in worlds for s in seeds]
    if jobs <= 1:
        return [r for t in tasks for r in _one(t)]
    with ProcessPoolExecutor(jobs) as pool:
        return [r for part in pool.map(_one, tasks) for r in part]


def summary(rows: Sequence[Scored]) -> pl.DataFrame:
    """Per method, switch and metric: rows shown and too thin, coverage, median relative width,
    detection rate, bias of the rows shown, mean true effect."""
    df = pl.DataFrame(
        [
            {
                "method": r.method,
                "switch": r.switch.split(" ", 1)[1],
                "metric": r.metric,
                "shown": r.shown,
                "covered": r.covered,
                "detected": r.detected,
                "rel_width": (r.high - r.low) / abs(r.truth)  # type: ignore[operator]
                if r.shown and r.truth != 0
                else None,
                "estimate": r.estimate if r.shown else None,
                "truth": r.truth,
            }
            for r in rows
        ]
    )
    shown = pl.col("shown")
    return (
        df.group_by("method", "switch", "metric")
        .agg(
            shown.sum().alias("shown"),
            (~shown).sum().alias("too_thin"),
            (pl.col("covered").sum() / shown.sum()).alias("coverage"),
            pl.col("rel_width").median().alias("median_width_rel"),
            (pl.col("detected").sum() / shown.sum()).alias("detection"),
            (pl.col("estimate").sum() / pl.col("truth").filter(shown).sum() - 1).alias("bias"),
            pl.col("truth").filter(shown).mean().alias("mean_truth"),
        )
        .sort("method", "switch", "metric")
    )


def _pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def markdown(table: pl.DataFrame) -> str:
    lines = [
        "| method | switch | metric | shown | too thin | coverage of 90% | median width ÷ truth "
        "| detection | bias of shown | mean truth / month |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.iter_rows(named=True):
        width, truth = r["median_width_rel"], r["mean_truth"]
        lines.append(
            f"| {r['method']} | {r['switch']} | {r['metric']} | {r['shown']} | {r['too_thin']} "
            f"| {_pct(r['coverage'])} | {'–' if width is None else f'{width:.1f}×'} "
            f"| {_pct(r['detection'])} | {_pct(r['bias']) if r['shown'] else '–'} "
            f"| {'–' if truth is None else f'{truth:,.2f}'} |"
        )
    return "\n".join(lines)


def overall(rows: Sequence[Scored]) -> dict[str, float]:
    shown = [r for r in rows if r.shown]
    return {
        "shown": len(shown),
        "too_thin": len(rows) - len(shown),
        "coverage": sum(r.covered for r in shown) / len(shown) if shown else float("nan"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", default="1-20", help="e.g. 1-20 or 1,4,9 (default 1-20)")
    parser.add_argument("--worlds", default=",".join(WORLDS), help="e.g. W0,W3")
    parser.add_argument("--months", type=int, default=24, help="demo months (default 24)")
    parser.add_argument("--level", type=float, default=0.90, help="interval level (default 0.9)")
    parser.add_argument("--no-control", action="store_true", help="ITS without control series")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--quick", action="store_true", help=f"worlds {QUICK_WORLDS}, seed 1")
    args = parser.parse_args(argv)
    worlds = list(QUICK_WORLDS) if args.quick else args.worlds.split(",")
    seeds = [1] if args.quick else parse_seeds(args.seeds)
    unknown = sorted(set(worlds) - set(WORLDS))
    if unknown:
        parser.error(f"unknown world(s) {', '.join(unknown)}; worlds are {', '.join(WORLDS)}")
    started = time.perf_counter()
    rows = run(
        worlds,
        seeds,
        months=args.months,
        level=args.level,
        control=not args.no_control,
        jobs=args.jobs,
    )
    print(f"worlds {', '.join(worlds)}; seeds {args.seeds if not args.quick else '1'}; ")
    for name in worlds:
        print(f"  {name}: {WORLDS[name] or 'the demo world as world.toml sets it'}")
    print()
    print(markdown(summary(rows)))
    total = overall(rows)
    print()
    print(
        f"all shown rows: {args.level:.0%} intervals cover the true effect in "
        f"{_pct(total['coverage'])} of {total['shown']:.0f} (target {TARGET[0]:.0%}–"
        f"{TARGET[1]:.0%}); {total['too_thin']:.0f} rows too thin; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
