"""Projection backtest: are the 80% intervals of `project_from` calibrated in worlds whose true
parameters are not the policy defaults?

    .venv/bin/python benchmarks/projection_validation.py [--worlds 20] [--months 24]
        [--draws 2000] [--level 0.8] [--measure projection|attributable] [--policies FILE]

For each world i (seed i): the demo company is generated (socialroi.demo.generate) with true
parameters drawn away from the policy defaults — advocacy participation 0.1–0.5 and posting
2–6 posts a month, acceptable-use participation 0.1–0.5, the click-to-lead rate of social visits
× 0.8–1.5 (the "lead multiplier"), when the generator takes a world (else the demo's own, said
so). Then, from the complete months *before* the advocacy switch only
(`socialroi.policy.projected.project_from`, nothing dated later is read):

* **continue**: the teams that stayed on acceptable use, projected under acceptable use — the
  funnel and the option come from the data;
* **switch**: the teams that moved to advocacy, projected under employee_advocacy — no
  advocacy period precedes the switch, so its participation, posting, link share and lead
  multiplier are the built-in defaults (the case the defaults' ranges must cover).

Each projection's interval for the teams' social leads (by creation month), won deals and
revenue (by close month, deals already in the pipeline included) over the months from the switch
to the end of the data is held against what the data show, counted as the projection counts
them (``--measure projection``, the default: `socialroi.policy.funnel.team_outcomes` — the
funnel's credits whose touch names one of the teams' employees, with the leads of their
untracked clicks added as the funnel adds them to its history). ``--measure attributable`` holds
it instead against the outcomes the data tie to the teams (socialroi.policy.outcomes, the
measure the observed effects use), which leave out the leads of the teams' untracked clicks that
the projection includes. Prints one line per world and the coverage per case and line (target:
70–90% for 80% intervals). ``--policies FILE`` projects with a policies file's options over
the built-in defaults (as ``socialroi policy compare --policies`` does) instead of the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from socialroi.demo import generate
from socialroi.errors import DataError
from socialroi.policy.funnel import team_outcomes
from socialroi.policy.options import PolicyOption, parse_options
from socialroi.policy.outcomes import monthly_outcomes, months_between
from socialroi.policy.projected import project_from

LINES = {"leads": "leads", "won": "deals", "revenue": "revenue"}
TARGET = (0.70, 0.90)


def world_for(i: int) -> tuple[Any, dict[str, float]]:
    """A world whose true parameters differ from the defaults, and what was drawn (None when the
    generator takes no world: the demo's own)."""
    rng = np.random.default_rng(1000 + i)
    drawn = {
        "advocacy participation": float(rng.uniform(0.1, 0.5)),
        "advocacy posts a month": float(rng.uniform(2.0, 6.0)),
        "acceptable-use participation": float(rng.uniform(0.1, 0.5)),
        "lead multiplier": float(rng.uniform(0.8, 1.5)),
    }
    try:
        from socialroi.demo import params
    except ImportError:
        return None, {}
    found = getattr(params, "DEFAULT_WORLD", None)
    if found is None or not dataclasses.is_dataclass(found) or isinstance(found, type):
        return None, {}
    base: Any = found
    mech = dict(base.mechanisms)
    mech["employee_advocacy"] = dataclasses.replace(
        mech["employee_advocacy"],
        participation=drawn["advocacy participation"],
        posts_per_active_month=drawn["advocacy posts a month"],
    )
    mech["acceptable_use"] = dataclasses.replace(
        mech["acceptable_use"], participation=drawn["acceptable-use participation"]
    )
    funnels = dict(base.funnels)
    for key in ("social_click", "social_other", "conversation"):
        f = funnels[key]
        funnels[key] = dataclasses.replace(f, p_lead=min(1.0, f.p_lead * drawn["lead multiplier"]))
    return dataclasses.replace(base, mechanisms=mech, funnels=funnels), drawn


def produced(
    tables: dict[str, pl.DataFrame],
    as_of: datetime,
    cut: datetime,
    teams: Sequence[str],
    *,
    measure: str = "projection",
) -> dict[str, float]:
    """The teams' social leads, won deals and revenue from `cut` to `as_of`: counted as the
    projection counts them (``projection``), or as the data tie them to the teams
    (``attributable``)."""
    months = months_between(cut.date(), as_of.date())
    if measure == "projection":
        frame = team_outcomes(tables, as_of=as_of, teams=teams, months=months)
        return {
            "leads": float(frame["leads"].sum()),
            "deals": float(frame["won"].sum()),
            "revenue": float(frame["revenue"].sum()),
        }
    frame = monthly_outcomes(tables, as_of=as_of, months=months)
    sums = (
        frame.filter(pl.col("unit").is_in(list(teams)))
        .group_by("metric")
        .agg(pl.col("value").sum())
    )
    return {str(m): float(v) for m, v in sums.iter_rows()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--level", type=float, default=0.8)
    parser.add_argument(
        "--measure",
        choices=("projection", "attributable"),
        default="projection",
        help="count outcomes as the projection does (default), or only what the data tie to "
        "the teams",
    )
    parser.add_argument("--policies", help="a policies file (TOML) over the built-in defaults")
    args = parser.parse_args(argv)
    options: dict[str, PolicyOption] | None = None
    if args.policies:
        with open(args.policies, "rb") as fh:
            options = parse_options(tomllib.load(fh), where=args.policies)
    hits: dict[tuple[str, str], list[bool]] = {}
    print(f"{'world':>5}  {'case':<9} {'line':<8} {'interval':>25} {'produced':>11}  held")
    own_world = False
    for i in range(1, args.worlds + 1):
        world, drawn = world_for(i)
        if world is None:
            own_world = True
            company = generate(seed=i, months=args.months)
        else:
            company = generate(seed=i, months=args.months, world=world)
        switch = next(s for s in company.truth["switches"] if s["to"] == "employee_advocacy")
        cut = datetime.fromisoformat(switch["date"]).replace(tzinfo=UTC)
        window = int(switch["months_in_window"])
        if drawn:
            print("       " + ", ".join(f"{k} {v:.2f}" for k, v in drawn.items()))
        cases = (
            ("continue", "acceptable_use", tuple(switch["controls"])),
            ("switch", "employee_advocacy", tuple(switch["teams"])),
        )
        for case, option, teams in cases:
            try:
                p = project_from(
                    company.tables,
                    as_of=cut,
                    option_name=option,
                    months=window,
                    draws=args.draws,
                    seed=i,
                    teams=teams,
                    options=options,
                )
            except DataError as exc:
                print(f"{i:>5}  {case:<9} cannot project: {exc}")
                continue
            got = produced(company.tables, company.as_of, cut, teams, measure=args.measure)
            for line, metric in LINES.items():
                low, high = p.interval(line, level=args.level)
                held = low <= got.get(metric, 0.0) <= high
                hits.setdefault((case, line), []).append(held)
                interval = f"[{low:,.0f}, {high:,.0f}]"
                print(
                    f"{i:>5}  {case:<9} {line:<8} {interval:>25} {got.get(metric, 0.0):>11,.0f}  "
                    f"{'yes' if held else 'NO'}"
                )
    print()
    if own_world:
        print("note: the generator takes no world here; every world is the demo's own")
    lo, hi = TARGET
    print(
        f"coverage of {args.level:.0%} intervals (target {lo:.0%}–{hi:.0%}), outcomes measured "
        f"as {args.measure}:"
    )
    for (case, line), held_list in sorted(hits.items()):
        share = sum(held_list) / len(held_list)
        mark = "ok" if lo <= share <= hi else "OFF"
        print(f"  {case:<9} {line:<8} {share:6.1%} of {len(held_list):>3}  {mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
