"""Policy estimates against the demo company's ground truth, over many seeds.

    .venv/bin/python benchmarks/policy_validation.py [--seeds 1-20] [--months 24] [--level 0.9]
        [--model linear|poisson] [--draws 2000] [--skip-projection]

For every seed: generate the demo company (socialroi.demo.generate), estimate the observed effect
of each policy switch (socialroi.policy.observed.observe) and compare each estimate with the
generator's expected effect (truth['switches']):

* a time-series row (teams '*', every team switched) is compared with ``effect.total``: the
  expected change in all social-sourced outcomes of the switching teams;
* a difference-in-differences row is compared with ``effect_identifiable.total``: the same for
  the outcomes the data can tie to a team (tracked links and conversations; an untagged click on
  an employee's post names nobody, so no team series can hold it).

Metrics: leads ↔ truth 'leads', deals (won, by close date) ↔ 'won', revenue ↔ 'revenue'. Net
value has no generator truth and is not scored. Rows with verdict 'too_thin' are counted but not
scored. Prints one line per scored estimate and the coverage of the intervals (target ≥ 80%).

`projection_coverage` backtests the projections (socialroi.policy.projected.project_from): from
the months before the advocacy switch only, for the option then adopted and the teams that
adopted it, is what the data show afterwards inside the 80% interval? It prints that coverage
(target ≥ 70%).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from socialroi.demo import generate
from socialroi.policy.observed import observe
from socialroi.policy.outcomes import monthly_outcomes, months_between

TRUTH_METRIC = {"leads": "leads", "deals": "won", "revenue": "revenue"}
TARGET_OBSERVED = 0.80
TARGET_PROJECTED = 0.70


@dataclass(frozen=True)
class Scored:
    seed: int
    switch: str
    method: str
    metric: str
    estimate: float
    low: float
    high: float
    truth: float

    @property
    def covered(self) -> bool:
        return self.low <= self.truth <= self.high


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


def truth_of(truth: dict[str, Any], switch_date: str, method: str, metric: str) -> float | None:
    """The generator's expected mean monthly effect matching an estimate row, if any."""
    key = TRUTH_METRIC.get(metric)
    if key is None:
        return None
    for s in truth["switches"]:
        if s["date"] == switch_date:
            part = "effect" if method == "its" else "effect_identifiable"
            return float(s[part]["total"][key])
    return None


def observed_for_seed(
    seed: int, *, months: int, level: float, model: str
) -> tuple[list[Scored], int]:
    """Scored estimates of one seed and the number of rows left unscored as too thin."""
    company = generate(seed=seed, months=months)
    effects = observe(company.tables, as_of=company.as_of, level=level, model=model)
    scored: list[Scored] = []
    thin = 0
    for row in effects.estimates.iter_rows(named=True):
        if row["metric"] not in TRUTH_METRIC:
            continue
        if row["verdict"] != "estimate":
            thin += row["method"] == "its" or row["teams"] != "*"
            continue
        date = row["switch_date"].isoformat()
        truth = truth_of(company.truth, date, row["method"], row["metric"])
        if truth is None:
            continue
        label = f"{date} {row['from_policy']}→{row['to_policy']} ({row['teams']})"
        scored.append(
            Scored(
                seed,
                label,
                row["method"],
                row["metric"],
                row["effect"],
                row["low"],
                row["high"],
                truth,
            )
        )
    return scored, thin


def coverage(rows: Sequence[Scored]) -> float:
    return sum(r.covered for r in rows) / len(rows) if rows else float("nan")


def print_observed(rows: Sequence[Scored], thin: int, level: float) -> float:
    print(
        f"{'seed':>4}  {'switch':<58} {'method':<6} {'metric':<8} "
        f"{'estimate':>11} {'interval':>25} {'truth':>11}  covered"
    )
    for r in rows:
        interval = f"[{r.low:,.2f}, {r.high:,.2f}]"
        print(
            f"{r.seed:>4}  {r.switch:<58} {r.method:<6} {r.metric:<8} {r.estimate:>11,.2f} "
            f"{interval:>25} {r.truth:>11,.2f}  {'yes' if r.covered else 'NO'}"
        )
    print()
    groups = sorted({(r.method, r.metric) for r in rows})
    for method, metric in groups:
        part = [r for r in rows if (r.method, r.metric) == (method, metric)]
        print(f"  {method:<4} {metric:<8} {coverage(part):6.1%} of {len(part)}")
    total = coverage(rows)
    print(
        f"observed: {level:.0%} intervals cover the true effect in {total:.1%} of {len(rows)} "
        f"estimates (target ≥ {TARGET_OBSERVED:.0%}); {thin} rows too thin to estimate"
    )
    return total


PROJECTED_LINES = {"leads": "leads", "won": "deals", "revenue": "revenue"}


def projection_coverage(seeds: Sequence[int], *, months: int, draws: int) -> float | None:
    """Share of seeds in which a projection made only from the months before the advocacy switch,
    for the option then adopted (employee_advocacy, for the teams that adopted it), holds what
    the generator produced afterwards inside its 80% interval. Target ≥ 70%.

    "Produced afterwards" is the switching teams' social leads over the window as the data show
    them (policy.outcomes: leads whose first touch names one of their employees), the measure
    the projection's funnel is estimated on. Won deals and revenue are printed alongside; the
    coverage is that of leads. Uses ``socialroi.policy.projected.project_from`` (the backtest
    API of policy comparison); returns None, with a message, when it is not available.
    """
    try:
        from socialroi.policy.projected import project_from
    except ImportError as exc:
        print(f"projection: socialroi.policy.projected.project_from is not available ({exc})")
        return None
    hits: dict[str, list[bool]] = {line: [] for line in PROJECTED_LINES}
    print(f"{'seed':>4}  {'line':<8} {'80% interval':>27} {'produced':>11}  held")
    for seed in seeds:
        company = generate(seed=seed, months=months)
        switch = next(s for s in company.truth["switches"] if s["to"] == "employee_advocacy")
        cut = datetime.fromisoformat(switch["date"]).replace(tzinfo=UTC)
        teams = tuple(switch["teams"])
        projection = project_from(
            company.tables,
            as_of=cut,
            option_name="employee_advocacy",
            months=int(switch["months_in_window"]),
            draws=draws,
            seed=seed,
            teams=teams,
        )
        produced = _produced(company.tables, company.as_of, cut, teams)
        for line, metric in PROJECTED_LINES.items():
            low, high = projection.interval(line, level=0.80)
            held = low <= produced[metric] <= high
            hits[line].append(held)
            interval = f"[{low:,.0f}, {high:,.0f}]"
            print(
                f"{seed:>4}  {line:<8} {interval:>27} {produced[metric]:>11,.0f}  "
                f"{'yes' if held else 'NO'}"
            )
    for line, got in hits.items():
        print(f"  {line:<8} {sum(got) / len(got):6.1%} of {len(got)} seeds")
    share = sum(hits["leads"]) / len(hits["leads"]) if seeds else float("nan")
    print(
        f"projection: 80% intervals hold the switching teams' leads in {share:.1%} of "
        f"{len(seeds)} seeds (target ≥ {TARGET_PROJECTED:.0%})"
    )
    return share


def _produced(
    tables: dict[str, pl.DataFrame], as_of: datetime, cut: datetime, teams: tuple[str, ...]
) -> dict[str, float]:
    """The teams' social leads, won deals and revenue from `cut` to `as_of`, as the data show."""
    months = months_between(cut.date(), as_of.date())
    frame = monthly_outcomes(tables, as_of=as_of, months=months)
    sums = frame.filter(pl.col("unit").is_in(teams)).group_by("metric").agg(pl.col("value").sum())
    return {str(m): float(v) for m, v in sums.iter_rows()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-20", help="e.g. 1-20 or 1,4,9 (default 1-20)")
    parser.add_argument("--months", type=int, default=24, help="demo months (default 24)")
    parser.add_argument("--level", type=float, default=0.90, help="interval level (default 0.9)")
    parser.add_argument("--model", default="linear", choices=("linear", "poisson"))
    parser.add_argument("--draws", type=int, default=2000, help="projection draws")
    parser.add_argument("--skip-projection", action="store_true")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    rows: list[Scored] = []
    thin = 0
    for seed in seeds:
        scored, n_thin = observed_for_seed(
            seed, months=args.months, level=args.level, model=args.model
        )
        rows.extend(scored)
        thin += n_thin
    observed = print_observed(rows, thin, args.level)
    projected = (
        None
        if args.skip_projection
        else projection_coverage(seeds, months=args.months, draws=args.draws)
    )
    print()
    print(f"observed coverage:   {observed:.1%} (target ≥ {TARGET_OBSERVED:.0%})")
    shown = "not run" if projected is None else f"{projected:.1%}"
    print(f"projection coverage: {shown} (target ≥ {TARGET_PROJECTED:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
