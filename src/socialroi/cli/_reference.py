"""The CLI reference (docs/cli.md), generated from the commands' own help.

`python -m socialroi.cli._reference > docs/cli.md` (or `make docs`) rewrites it; a test fails when
the committed file differs from what the code would write.
"""

from __future__ import annotations

import click

HEADER = """\
# Command reference

Every `socialroi` command, its options and its help, as `socialroi COMMAND --help` prints them.
This page is generated from the code (`make docs`); a test fails when it is out of date.

Exit codes (every command): 0 ok, 1 user, config or data error, 2 usage error, 3 a platform API
failed after retries, 4 partial success (some work committed, some failed).
Data goes to stdout; messages, logs and progress bars go to stderr.
"""


def _walk(
    cmd: click.Command, name: str, parent: click.Context | None
) -> list[tuple[click.Context, click.Command]]:
    """Every command under `cmd` (itself first), each with the context its help is shown in."""
    settings = {**cmd.context_settings, "terminal_width": 100, "max_content_width": 100}
    ctx = click.Context(cmd, info_name=name, parent=parent, **settings)
    out = [(ctx, cmd)]
    if isinstance(cmd, click.Group):
        for sub in sorted(cmd.commands):
            out.extend(_walk(cmd.commands[sub], sub, ctx))
    return out


def render(root: click.Command | None = None) -> str:
    """The whole reference as Markdown."""
    if root is None:
        from socialroi.cli import main

        root = main
    parts = [HEADER]
    for ctx, cmd in _walk(root, "socialroi", None):
        title = ctx.command_path
        level = "##" if title.count(" ") <= 1 else "###"
        parts.append(f"{level} `{title}`\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover - `make docs`
    click.echo(render(), nl=False)
