"""The `socialroi` command. Thin: parse options, call the library, print.

One error handler (SocialROIGroup.invoke) turns library errors into one line on stderr and the exit
codes of design §9: 0 ok, 1 user/config/data error, 2 usage, 3 upstream failure, 4 partial success.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from socialroi.errors import SocialROIError


class SocialROIGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SocialROIError as exc:
            if ctx.find_root().params.get("debug"):
                traceback.print_exc()
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=SocialROIGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="socialroi")
def main(debug: bool) -> None:
    """socialroi: which deals did our social contacts bring in, what did it cost,
    and which social-media policy pays."""


def _register() -> None:
    """Every public module in this package that defines `command` is a subcommand."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register()


def run() -> None:  # pragma: no cover - console entry for `python -m socialroi`
    sys.exit(main())
