"""`socialroi policy compare`: what each social-media policy would bring, with its uncertainty."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
import polars as pl

from socialroi.cli._analysis import as_of_line, as_of_option, settings_for, store_path_for
from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._output import emit, json_rows, render_table
from socialroi.cli._progress import progress, quiet_option

#: Columns of the summary the CSV shows, in order (the table shows them formatted).
TABLE_COLUMNS: tuple[str, ...] = (
    "option",
    "label",
    "status",
    "chance_best",
    "gain_mean",
    "gain_p5",
    "gain_p95",
    "cost_incremental_mean",
    "roi",
    "roi_note",
    "plausible",
    "reason",
)


@click.group("policy")
def command() -> None:
    """Compare social-media policies: ban, acceptable use, a dedicated manager, employee
    advocacy, training."""


@command.command("compare")
@click.option(
    "--months",
    type=click.IntRange(1, 120),
    default=12,
    show_default=True,
    help="Months to project ahead from the last month of data.",
)
@click.option(
    "--draws",
    type=click.IntRange(100, 1_000_000),
    default=10_000,
    show_default=True,
    help="Monte Carlo draws per option (more: steadier percentiles, slower).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed and data give the same numbers.",
)
@click.option(
    "--policies",
    "policies_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Policy options file [default: config [policy] file, else config/policies.toml when "
    "present, else built-in defaults].",
)
@as_of_option
@format_option("table", "json", "csv")
@quiet_option
@store_option
@config_option
def compare_command(  # noqa: PLR0917 (click passes every option)
    months: int,
    draws: int,
    seed: int,
    policies_path: Path | None,
    as_of: date | None,
    fmt: str,
    quiet: bool,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Project every policy option over the next MONTHS months from your own funnel, as the
    change from continuing today's policy: gain (mean and 90% range), incremental cost, ROI (when
    the cost is material) and the chance each option is best, then the recommendation with its
    uncertainty. When the store cannot support a projection, says so, why, and what data would
    (exit 0). JSON adds today's baseline, the sensitivity, the assumptions with their basis,
    sources and evidence, and the observed effects."""
    from socialroi.analysis import choose_as_of, company_and_currency, prepare, read_tables
    from socialroi.policy import compare
    from socialroi.policy_file import load_fx, load_policies
    from socialroi.store import Store

    settings = settings_for(config_path, None)
    options = load_policies(policies_path, settings)
    fx = load_fx(settings)
    with Store.open(store_path_for(store_path, settings), read_only=True) as store:
        _, currency = company_and_currency(store, settings)
        tables = read_tables(store, extra=("service_cases", "hires"))
        when, source = choose_as_of(store, as_of, tables)
        pipeline = prepare(store, settings=settings, as_of=when, tables=tables)
    with progress("policy compare", unit="steps", quiet=quiet) as bar:
        result = compare(
            pipeline,
            options=options,
            months=months,
            draws=draws,
            seed=seed,
            currency=currency,
            fx=fx,
            observed=fmt == "json",
            progress=(lambda step, done, total: bar.update(done, total=total, label=_STEPS[step]))
            if bar.enabled
            else None,
        )
    if fmt == "table":
        click.echo(as_of_line(pipeline.as_of, source), err=True)
    if fmt == "json":
        click.echo(json.dumps(_json(result), indent=2))
    elif fmt == "csv":
        emit(result.summary.select(TABLE_COLUMNS), "csv")
    else:
        click.echo(render_table(_display(result)))
        click.echo("")
        for line in _notes(result):
            click.echo(line)
        click.echo(result.recommendation)


_STEPS = {
    "funnel": "policy compare: estimating the funnel",
    "simulate": "policy compare: simulating the options",
    "summarise": "policy compare: summarising",
    "observed": "policy compare: observed effects of past switches",
    "done": "policy compare: done",
}


def _display(result: Any) -> pl.DataFrame:
    """The summary as people read it: money rounded, ROI or "n/a", status with its reason."""
    from socialroi.core.vocabulary import short_money

    cur = result.currency

    def money(v: float | None) -> str:
        return "" if v is None else short_money(v, cur, sign=True)

    rows = []
    for r in result.summary.iter_rows(named=True):
        ok = r["status"] == "ok"
        rows.append(
            {
                "option": r["label"],
                "status": r["status"] if ok else f"cannot project: {r['reason']}",
                "chance best": "" if r["chance_best"] is None else f"{r['chance_best']:.0%}",
                "gain (mean)": money(r["gain_mean"]),
                "90% range": f"{money(r['gain_p5'])} to {money(r['gain_p95'])}" if ok else "",
                "extra cost": money(r["cost_incremental_mean"]),
                "ROI": ("n/a" if r["roi"] is None else f"{r['roi']:.0%}") if ok else "",
                "check": "" if r["plausible"] in (None, True) else "implausible: see below",
            }
        )
    return pl.DataFrame(rows)


def _notes(result: Any) -> list[str]:
    """What the table rests on: today's policy, its revenue, the scale, ROI's threshold, flags."""
    from socialroi.core.vocabulary import short_money

    cur = result.currency
    if result.status != "ok":
        return []
    out = [result.baseline_text]
    if result.baseline_revenue is not None:
        mean, lo, hi = result.baseline_revenue
        out.append(
            f"Today's policy brings {short_money(mean, cur)} of social revenue over "
            f"{result.months} months (90% range {short_money(lo, cur)} to "
            f"{short_money(hi, cur)}); your data show "
            f"{short_money(result.social_sourced_revenue, cur)} of social-sourced revenue over "
            "as long a period."
        )
    out.append(
        f"ROI = gain ÷ extra cost, shown when the extra cost is at least "
        f"{short_money(result.material_cost, cur)} (2% of recorded costs, at least one workday)."
    )
    for r in result.summary.filter(pl.col("plausible").not_()).iter_rows(named=True):
        out.append(f"Check {r['label']}: {r['plausibility_note']}.")
    return out


def _json(result: Any) -> dict[str, Any]:
    observed = None
    if result.observed is not None:
        observed = json_rows(result.observed.estimates)
    return {
        "as_of": result.as_of.isoformat(),
        "months": result.months,
        "draws": result.draws,
        "seed": result.seed,
        "currency": result.currency,
        "status": result.status,
        "reasons": list(result.reasons),
        "needed": list(result.needed),
        "recommendation": result.recommendation,
        "baseline": {
            "text": result.baseline_text,
            "shares": dict(result.baseline),
            "revenue": None
            if result.baseline_revenue is None
            else dict(zip(("mean", "p5", "p95"), result.baseline_revenue, strict=True)),
            "social_sourced_revenue": result.social_sourced_revenue,
            "recorded_costs": result.recorded_costs,
        },
        "material_cost": result.material_cost,
        "plausible_multiple": result.plausible_multiple,
        "options": json_rows(result.summary),
        "sensitivity": json_rows(result.sensitivity),
        "assumptions": json_rows(result.assumptions),
        "observed": observed,
    }
