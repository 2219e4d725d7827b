"""`socialroi link`: tracked links for employees (and brand accounts) to share."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi.cli._options import config_option, store_option

if TYPE_CHECKING:
    import polars as pl

#: Platforms `--all` makes links for when no --platform is given.
DEFAULT_PLATFORMS: tuple[str, ...] = ("linkedin", "x", "facebook")
_COLUMNS: tuple[str, ...] = ("employee_id", "name", "platform", "url")


def _today() -> date:
    from socialroi import clock

    return clock.now().date()


def _platforms(names: tuple[str, ...]) -> list[str]:
    """The social platforms `names` spell, in order, without repeats (else a usage error)."""
    from socialroi.core.links import link_platform

    out: list[str] = []
    for name in names:
        try:
            platform = link_platform(name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--platform'") from None
        if platform not in out:
            out.append(platform)
    return out


def _advocates(store_path: Path | None, config_path: Path | None, today: date) -> pl.DataFrame:
    """employee_id, name of the advocates; every current employee when nobody is flagged."""
    import polars as pl

    from socialroi.cli._analysis import store_path_for
    from socialroi.config import load
    from socialroi.errors import DataError
    from socialroi.store import Store

    path = store_path_for(store_path, load(config_path))
    with Store.open(path, read_only=True) as store:
        employees = store.read("employees")
    if employees.height == 0:
        raise DataError(
            "the store has no employees: import them (socialroi import employees FILE) "
            "or make one link with --employee ID",
            file=str(path),
        )
    flagged = employees.filter(pl.col("advocate").fill_null(False))
    if flagged.height:
        return flagged.select("employee_id", "name")
    current = employees.filter(
        (pl.col("start_date").is_null() | (pl.col("start_date") <= today))
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= today))
    )
    click.echo(
        f"no employee is flagged as an advocate (employees.advocate): making links for all "
        f"{current.height} current employees",
        err=True,
    )
    if current.height == 0:
        raise DataError("the store has no current employees", file=str(path))
    return current.select("employee_id", "name")


@click.command("link")
@click.argument("url")
@click.option(
    "--employee",
    "employee",
    metavar="ID",
    default=None,
    help="Employee id of whoever shares the link (as in the employees table); 'brand' for a post "
    "on the company's own account. Required unless --all.",
)
@click.option(
    "--platform",
    "platforms",
    metavar="P",
    multiple=True,
    help="Social platform the link is shared on (linkedin, x, facebook, instagram, mastodon, "
    "bluesky; aliases such as LinkedIn or twitter work). One without --all; with --all, "
    "repeat it for several [default with --all: linkedin, x, facebook].",
)
@click.option(
    "--all",
    "all_",
    is_flag=True,
    help="One link per advocate and platform, advocates read from the store's employees table "
    "(advocate = true; every current employee when nobody is flagged).",
)
@click.option("--campaign", metavar="C", default=None, help="utm_campaign value (optional).")
@click.option(
    "--post-id",
    metavar="ID",
    default=None,
    help="The post's id, which ties the clicks to the post. Without it a short stable id is made "
    "(the day and a hash of URL, platform, employee and campaign): use that when the platform's "
    "id is not known yet, before the post is written. Not with --all.",
)
@click.option(
    "--source",
    metavar="S",
    default=None,
    help="utm_source value [default: the platform's usual source name, e.g. linkedin].",
)
@click.option("--medium", metavar="M", default=None, help="utm_medium value [default: social].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "table", "csv", "json"]),
    default=None,
    help="How links are printed on stdout; text: the bare URL(s), one per line; table: aligned "
    "columns employee_id, name, platform, url; csv: those columns with a header row; json: rows "
    "as objects [default: text, table with --all].",
)
@store_option
@config_option
def command(  # noqa: PLR0917 - click passes every option
    url: str,
    employee: str | None,
    platforms: tuple[str, ...],
    all_: bool,
    campaign: str | None,
    post_id: str | None,
    source: str | None,
    medium: str | None,
    fmt: str | None,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Print URL as a tracked link to share on social media: URL with utm_source (the platform),
    utm_medium=social, utm_campaign and utm_content=sr~PLATFORM~POST~EMPLOYEE. Its query
    parameters and fragment are kept; utm_* parameters it had are replaced. When someone clicks
    the link, the report credits the post and the employee who shared it.

    With --all, one link per advocate and platform from the store's employees table.
    Exit 2 for a URL that is not http(s), an unknown platform or a bad option; 1 when the
    store has no employees for --all."""
    import polars as pl

    from socialroi.cli._output import emit
    from socialroi.core.links import link_post_id, tracked_url

    url = _check(url, employee, post_id)
    today = _today()
    chosen, people = _targets(
        all_,
        employee=employee,
        platforms=platforms,
        post_id=post_id,
        store_path=store_path,
        config_path=config_path,
        today=today,
    )
    rows = []
    for person in people:
        emp = person["employee_id"]
        for platform in chosen:
            post = post_id.strip() if post_id else link_post_id(url, platform, emp, campaign, today)
            try:
                link = tracked_url(
                    url,
                    platform=platform,
                    post_id=post,
                    employee_id=emp,
                    campaign=campaign,
                    source=source,
                    medium=medium,
                )
            except ValueError as exc:  # an employee id from the store that holds '~'
                raise click.BadParameter(str(exc), param_hint="'--employee'") from None
            rows.append((emp, person["name"], platform, link))
    fmt = fmt or ("table" if all_ else "text")
    if fmt == "text":
        for row in rows:
            click.echo(row[3])
        return
    emit(pl.DataFrame(rows, schema=dict.fromkeys(_COLUMNS, pl.String), orient="row"), fmt)


def _check(url: str, employee: str | None, post_id: str | None) -> str:
    """The URL, stripped; a usage error for a URL that is not http(s) or an id holding '~'."""
    from socialroi.core.links import SEP, check_link_url

    try:
        url = check_link_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'URL'") from None
    for value, hint in ((employee, "'--employee'"), (post_id, "'--post-id'")):
        if value is not None and (SEP in value or not value.strip()):
            raise click.BadParameter(
                f"{value!r}: an id must not be empty nor hold '{SEP}'", param_hint=hint
            )
    return url


def _targets(
    all_: bool,
    *,
    employee: str | None,
    platforms: tuple[str, ...],
    post_id: str | None,
    store_path: Path | None,
    config_path: Path | None,
    today: date,
) -> tuple[list[str], list[dict[str, str | None]]]:
    """The platforms and the people (employee_id, name) to make links for."""
    if not all_:
        if employee is None:
            raise click.UsageError("--employee ID is required (or 'brand', or --all)")
        if len(platforms) != 1:
            raise click.UsageError("give one --platform (several need --all)")
        return _platforms(platforms), [{"employee_id": employee.strip(), "name": None}]
    if employee is not None:
        raise click.UsageError("--all makes links for every advocate: leave out --employee")
    if post_id is not None:
        raise click.UsageError("--post-id names one post: leave it out with --all")
    chosen = _platforms(platforms) or list(DEFAULT_PLATFORMS)
    return chosen, _advocates(store_path, config_path, today).to_dicts()
