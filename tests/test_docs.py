"""Docs that are generated from the code stay in step with it."""

from pathlib import Path

import click
import pytest

from socialroi import schema

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_current():
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == schema.markdown(), "regenerate docs/data-model.md (its header says how)"


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


@pytest.mark.slow  # the README's example on a demo store
def test_readme_python_example_runs(tmp_path, monkeypatch):
    import re

    import socialroi as sr

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    store_path = tmp_path / "socialroi.duckdb"
    with sr.Store.open(store_path) as store:
        sr.write_demo(sr.generate_demo(seed=5, months=6), store)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOCIALROI_CONFIG", str(ROOT / "config" / "socialroi.example.toml"))
    exec(code.replace("reports/demo/socialroi.duckdb", str(store_path)), {})  # noqa: S102


def _commands() -> list[tuple[click.Context, click.Command]]:
    from socialroi.cli import main
    from socialroi.cli._reference import _walk

    return _walk(main, "socialroi", None)


def test_every_command_and_option_has_help():
    import click

    missing = []
    for ctx, cmd in _commands():
        text = (cmd.help or "").strip()
        if not text:
            missing.append(ctx.command_path)
        for param in cmd.params:
            if isinstance(param, click.Option):
                if "--help" not in param.opts and not (param.help or "").strip():
                    missing.append(f"{ctx.command_path} {'/'.join(param.opts)}")
            elif param.human_readable_name not in text:  # arguments are explained in the text
                missing.append(f"{ctx.command_path} {param.human_readable_name}")
    assert len(_commands()) >= 12  # the group, eleven commands and `policy compare`
    assert missing == [], f"no help for: {missing}"


def test_cli_reference_is_current():
    from socialroi.cli._reference import render

    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert doc == render(), "docs/cli.md is out of date: run `make docs`"
    for ctx, _ in _commands():
        assert f"`{ctx.command_path}`" in doc


def test_command_table_is_current():
    from socialroi.cli import discover
    from socialroi.cli._commands import COMMANDS

    assert discover() == COMMANDS, "src/socialroi/cli/_commands.py is out of date: `make docs`"


def test_help_imports_no_command_and_no_data_library():
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from socialroi.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m.startswith('socialroi.cli.') "
        "or m in ('polars', 'duckdb', 'plotly')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['socialroi.cli._commands']"
