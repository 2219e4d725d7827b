"""Placeholder: filled in by the part of the work that owns `importing`."""

from __future__ import annotations

import click


@click.command("import")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
