"""`socialroi policy compare`: what each social-media policy would bring, with its uncertainty."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from socialroi.cli._analysis import as_of_line, as_of_option, settings_for, store_path_for
from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._output import emit, json_rows, render_table
from socialroi.cli._progress import progress, quiet_option

#: Columns of the summary the table and CSV show, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "option",
    "prob_best",
    "net_mean",
    "net_p5",
    "net_p50",
    "net_p95",
    "roi_p50",
    "revenue_mean",
    "cost_mean",
    "productivity_mean",
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
    """Project every policy option over the next MONTHS months from your own funnel and print
    net value (mean and 90% range), ROI and the probability that each option is best, then the
    recommendation with its uncertainty. JSON adds the sensitivity and the assumptions with their
    sources."""
    from socialroi.analysis import choose_as_of, company_and_currency, prepare, read_tables
    from socialroi.policy import compare
    from socialroi.policy_file import load_policies
    from socialroi.store import Store

    settings = settings_for(config_path, None)
    options = load_policies(policies_path, settings)
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
            observed=fmt == "json",
            progress=(lambda step, done, total: bar.update(done, total=total, label=_STEPS[step]))
            if bar.enabled
            else None,
        )
    if fmt == "table":
        click.echo(as_of_line(pipeline.as_of, source), err=True)
    table = result.summary.select(TABLE_COLUMNS)
    if fmt == "json":
        click.echo(json.dumps(_json(result), indent=2))
    elif fmt == "csv":
        emit(table, "csv")
    else:
        click.echo(render_table(table))
        click.echo("")
        click.echo(result.recommendation)


_STEPS = {
    "funnel": "policy compare: estimating the funnel",
    "simulate": "policy compare: simulating the options",
    "summarise": "policy compare: summarising",
    "observed": "policy compare: observed effects of past switches",
    "done": "policy compare: done",
}


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
        "recommendation": result.recommendation,
        "options": json_rows(result.summary),
        "sensitivity": json_rows(result.sensitivity),
        "assumptions": json_rows(result.assumptions),
        "observed": observed,
    }
