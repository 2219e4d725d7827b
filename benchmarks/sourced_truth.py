"""How much of the demo's social-origin revenue the "social-sourced" figure recovers, per seed.

    .venv/bin/python benchmarks/sourced_truth.py                 # seeds 1-10, 24 months
    .venv/bin/python benchmarks/sourced_truth.py --seeds 1,7 --months 12

Truth: the demo generator labels every lead with its origin (``leads.source``); a won deal is of
social origin when its contact's lead says ``organic_social`` (a click on a post, a conversation a
post started, an untagged social visit). The generator's expected figure (ground_truth.json,
``expected_monthly.total_social.revenue``) is printed beside it; it is an expectation, not the
sampled deals. "Social-sourced" reads only touches (the contact's first touch is social);
paid social, which the generator keeps apart, is left out of the comparison and shown alone.

"in data" restricts both sides to contacts created at least 45 days (the generator's longest
visit → contact lag) after the data's first day: their origin visit lies in the data. Contacts
created earlier may have come from a visit before the data begin, which no touch shows.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from socialroi.core.conversions import (
    deal_conversions,
    lead_conversions,
    pipeline_conversions,
    sales_cycle_days,
)
from socialroi.core.identity import resolve_tables
from socialroi.core.model_compare import credit_all
from socialroi.core.sourced import conversion_origins, social_credited, totals
from socialroi.demo import generate
from socialroi.demo.params import LAGS

#: Longest first visit → contact lag in the generator.
CONTACT_LAG = timedelta(days=LAGS["contact_web"].last)


@dataclass(frozen=True)
class Recovery:
    seed: int
    truth: float  # organic-social-origin won revenue, sampled
    truth_deals: int
    found: float  # of it, social-sourced (organic) revenue
    false_positive: float  # social-sourced (organic) revenue of deals of another origin
    truth_in_data: float
    found_in_data: float
    paid_social: float  # social-sourced revenue whose first touch is paid social
    expected: float  # ground_truth.json's expected social revenue
    lookback: int
    linear: float  # social-credited revenue under linear, sales-cycle lookback
    first_touch: float  # social-credited revenue under first_touch, sales-cycle lookback


def recovery(seed: int, months: int) -> Recovery:
    demo = generate(seed=seed, months=months)
    t = demo.tables
    touches = resolve_tables(t).touchpoints
    won = deal_conversions(t["deals"], t["leads"])
    label = t["leads"].sort("created_at").group_by("contact_id").agg(pl.col("source").first())
    start = datetime.fromisoformat(demo.truth["start"]).replace(tzinfo=UTC)
    created = t["contacts"].select("contact_id", pl.col("created_at").alias("_created"))
    origins = (
        conversion_origins(touches, won)
        .join(label, on="contact_id", how="left")
        .join(created, on="contact_id", how="left")
    )
    true = (pl.col("source") == "organic_social").fill_null(False)
    organic = pl.col("social") & (pl.col("origin_channel") != "paid_social")
    in_data = pl.col("_created") >= pl.lit(start) + CONTACT_LAG

    def revenue(cond: pl.Expr) -> float:
        return float(origins.filter(cond)["value"].sum())

    lookback = sales_cycle_days(t)
    conversions = pl.concat(
        [
            lead_conversions(t["leads"]),
            won,
            pipeline_conversions(t["deals"], t["leads"]),
        ]
    )
    credits = credit_all(
        touches, conversions, ["linear", "first_touch"], lookback_days=lookback, half_life_days=7.0
    )
    return Recovery(
        seed=seed,
        truth=revenue(true),
        truth_deals=origins.filter(true).height,
        found=revenue(true & organic),
        false_positive=revenue(~true & organic),
        truth_in_data=revenue(true & in_data),
        found_in_data=revenue(true & organic & in_data),
        paid_social=revenue(pl.col("social") & ~organic),
        expected=float(sum(demo.truth["expected_monthly"]["total_social"]["revenue"])),
        lookback=lookback,
        linear=totals(social_credited(credits["linear"])).revenue,
        first_touch=totals(social_credited(credits["first_touch"])).revenue,
    )


def _pct(a: float, b: float) -> str:
    return f"{a / b:.1%}" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8,9,10")
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    head = (
        "| seed | truth deals | truth $ | social-sourced $ | recovery | in data: truth $ | "
        "recovery | other origin $ | paid social $ | expected $ | lookback | linear $ | "
        "first touch $ |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for seed in (int(s) for s in args.seeds.split(",")):
        r = recovery(seed, args.months)
        print(
            f"| {r.seed} | {r.truth_deals} | {r.truth:,.0f} | {r.found:,.0f} | "
            f"{_pct(r.found, r.truth)} | {r.truth_in_data:,.0f} | "
            f"{_pct(r.found_in_data, r.truth_in_data)} | {r.false_positive:,.0f} | "
            f"{r.paid_social:,.0f} | {r.expected:,.0f} | {r.lookback} | {r.linear:,.0f} | "
            f"{r.first_touch:,.0f} |"
        )


if __name__ == "__main__":
    main()
