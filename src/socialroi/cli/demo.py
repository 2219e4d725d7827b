"""`socialroi demo`: build the synthetic demo company, its ground truth and its report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from socialroi.cli._options import config_option
from socialroi.cli._progress import progress, quiet_option
from socialroi.demo import params

DEFAULT_OUT = Path("reports/demo")
STORE_NAME = "socialroi.duckdb"
TRUTH_NAME = "ground_truth.json"
REPORT_NAME = "report.html"


@click.command("demo")
@click.option(
    "--seed",
    type=int,
    default=params.DEFAULT_SEED,
    show_default=True,
    help="Random seed; the same seed gives the same company.",
)
@click.option(
    "--months",
    type=click.IntRange(params.MIN_MONTHS, params.MAX_MONTHS),
    default=params.DEFAULT_MONTHS,
    show_default=True,
    help="Months of history to generate, ending just before --end.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help=f"Folder for {STORE_NAME}, {TRUTH_NAME} and {REPORT_NAME}.",
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m"]),
    default=None,
    metavar="YYYY-MM",
    help=f"The data stops just before this month [default: {params.DEFAULT_END:%Y-%m}].",
)
@quiet_option
@config_option
def command(  # noqa: PLR0917 - click passes every option
    seed: int,
    months: int,
    out_dir: Path,
    end: datetime | None,
    quiet: bool,
    config_path: Path | None,
) -> None:
    """Build the demo company: a seeded, synthetic 40-person IT-services firm (no credentials,
    no network) that banned social media at work, then allowed it, then ran employee advocacy in
    two teams. Writes a fresh store, the ground truth of each policy switch, and the report, then
    prints the three paths and a one-line summary of the company (plain text: no --format)."""
    from socialroi.analysis import analyze_read, read_for_analysis
    from socialroi.config import load
    from socialroi.demo import generate, truth_json, write_demo
    from socialroi.policy_file import load_policies
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = load(config_path)
    with progress("demo", 3, unit="steps", quiet=quiet) as bar:
        bar.update(0, label="demo: generating the company")
        company = generate(seed=seed, months=months, end=end.date() if end else None)
        out_dir.mkdir(parents=True, exist_ok=True)
        store_path = out_dir / STORE_NAME
        for old in (store_path, store_path.with_name(STORE_NAME + ".wal")):
            old.unlink(missing_ok=True)
        truth_path = out_dir / TRUTH_NAME
        # One DuckDB thread: on a store this small, splitting the work costs more than it saves.
        with Store.open(store_path, threads=1) as store:
            bar.update(1, label="demo: writing the store")
            write_demo(company, store)
            truth_path.write_text(truth_json(company), encoding="utf-8")
            bar.update(2, label="demo: writing the report")
            read = read_for_analysis(store, settings=settings, as_of=company.as_of)
        analysis = analyze_read(read, settings=settings)  # the store closed, its memory freed
        del read
        report = write_report(
            analysis, out_dir / REPORT_NAME, options=load_policies(None, settings)
        )
        bar.update(3, label="demo: done")

    s = company.summary()
    first, last = (
        company.truth["expected_monthly"]["months"][0],
        company.truth["expected_monthly"]["months"][-1],
    )
    click.echo(f"store:        {store_path}")
    click.echo(f"ground truth: {truth_path}")
    click.echo(f"report:       {report}")
    click.echo(
        f"{company.company} ({first[:7]} to {last[:7]}, "
        f"seed {seed}): {s['employees']:,} employees, {s['posts']:,} posts, "
        f"{s['sessions']:,} sessions, {s['contacts']:,} contacts, {s['leads']:,} leads, "
        f"{s['won_deals']:,} won deals, {company.currency} {s['revenue']:,.0f} revenue"
    )
