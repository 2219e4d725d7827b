"""The `socialroi` command. Thin: parse options, call the library, print.

One error handler (SocialROIGroup.invoke) turns library errors into one line on stderr and the exit
codes of design §9: 0 ok, 1 user/config/data error, 2 usage, 3 upstream failure, 4 partial success.
Every public module of this package that defines `command` is a subcommand; it is imported only
when that command runs, so `socialroi --help` stays quick (the list it prints comes from the
generated table in cli/_commands.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from socialroi.cli._commands import COMMANDS
from socialroi.errors import SocialROIError

#: Commands for which polars' allocator (jemalloc, where polars is built with it) hands freed
#: memory back to the system after 0.1 s rather than polars' default 0.5 s (then 1 s more for
#: pages already marked free): `socialroi report` peaks about 20 MB lower on the demo store, at
#: no measurable cost. Set before polars loads, which adds it after its own defaults; a value the
#: user set is kept.
RETURN_MEMORY_COMMANDS = frozenset({"report"})
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
ALLOCATOR_RETURN_SOON = "dirty_decay_ms:100,muzzy_decay_ms:0"


def command_of(module: str) -> click.Command:
    """The `command` that module `module` of this package defines."""
    found = getattr(importlib.import_module(f"{__name__}.{module}"), "command", None)
    if not isinstance(found, click.Command):
        raise TypeError(f"socialroi.cli.{module} defines no click command")
    return found


def discover() -> dict[str, tuple[str, str]]:
    """Every public module of this package that defines `command`: name -> (module, short help).

    `make docs` writes this into cli/_commands.py; a test fails when that file is stale.
    """
    import pkgutil

    out: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            cmd = command_of(info.name)
        except TypeError:
            continue
        out[str(cmd.name)] = (info.name, cmd.get_short_help_str(limit=10_000))
    return out


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, '...' marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 0)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


class SocialROIGroup(click.Group):
    """The `socialroi` group: commands imported when used, library errors as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        if cmd_name in RETURN_MEMORY_COMMANDS and "polars" not in sys.modules:
            os.environ.setdefault(ALLOCATOR_ENV, ALLOCATOR_RETURN_SOON)
        return command_of(COMMANDS[cmd_name][0])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the generated table: listing imports no command."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, _shorten(COMMANDS[n][1], limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


def run() -> None:  # pragma: no cover - console entry for `python -m socialroi`
    sys.exit(main())
