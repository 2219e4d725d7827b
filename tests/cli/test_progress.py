"""Progress bars: drawn on stderr only on a terminal and without --quiet; never on stdout."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from socialroi.cli import _progress, main
from socialroi.cli._progress import Bar
from tests.cli._platforms import (  # noqa: F401 - fixtures
    ENV,
    fake_platforms_fixture,
    serve_good,
    server_fixture,
    write_config,
)

DEALS = "deal_id,contact_id,created_at,amount\nd1,c1,2024-03-05,100\nd2,c2,2024-03-06,250.50\n"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _bar(total: int | None = None, unit: str = "") -> tuple[Bar, io.StringIO, FakeClock]:
    out, clock = io.StringIO(), FakeClock()
    return Bar("import posts", total, unit=unit, stream=out, clock=clock, columns=200), out, clock


def test_bar_shows_count_percent_elapsed_and_eta():
    bar, out, clock = _bar(12, unit="columns")
    clock.now += 3
    bar.update(6)
    line = out.getvalue()
    assert line.startswith("\r")
    assert line[1:] == (
        "import posts  [##########----------]  6/12 columns   50%  0:03 elapsed, ETA 0:03"
    )


def test_a_new_stage_has_its_own_eta():
    bar, out, clock = _bar(10, unit="rows")
    clock.now += 60
    bar.update(10)  # the first stage took a minute
    clock.now += 2
    bar.update(1, total=4, label="import posts: parsing", unit="columns")
    clock.now += 2
    bar.update(2)  # one column in the 2 s since the stage began: 4 s more for the last two
    assert out.getvalue().rsplit("\r", 1)[1].endswith("2/4 columns   50%  1:04 elapsed, ETA 0:04")


def test_bar_without_total_shows_count_and_elapsed():
    bar, out, clock = _bar(unit="rows")
    clock.now += 75
    bar.update(1240, note="x/posts")
    assert out.getvalue() == "\rimport posts: x/posts  1,240 rows  1:15 elapsed"


def test_bar_redraws_in_place_throttled_and_ends_the_line():
    bar, out, clock = _bar(4)
    bar.update(1)
    bar.update(2)  # same instant: skipped
    assert out.getvalue().count("\r") == 1
    bar.update(2, label="import posts: writing")  # a new stage is drawn at once
    assert out.getvalue().count("\r") == 2
    clock.now += 1
    bar.close()
    text = out.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    last = text.rstrip("\n").rsplit("\r", 1)[1]
    assert last.startswith("import posts: writing  [##########----------]  2/4")


def test_a_shorter_line_blanks_what_the_longer_one_left():
    bar, out, _ = _bar()
    bar.update(123456, label="a long label for the first stage")
    first = out.getvalue()
    bar.update(1, label="short")
    second = out.getvalue()[len(first) :]
    assert len(second) >= len(first)
    assert second.rstrip(" ").endswith("elapsed")


def test_a_line_is_cut_to_the_terminal_width():
    out = io.StringIO()
    bar = Bar("x" * 300, 10, stream=out, clock=FakeClock(), columns=60)
    bar.update(5)
    assert len(out.getvalue()) == 1 + 59


def test_a_disabled_bar_writes_nothing():
    out = io.StringIO()
    bar = Bar("pull", 3, enabled=False, stream=out)
    bar.update(1, label="pull x/posts")
    bar.close()
    assert out.getvalue() == ""


def _import(tmp_path, *args: str):
    f = tmp_path / "deals.csv"
    f.write_text(DEALS, encoding="utf-8")
    argv = ["import", "deals", str(f), "--store", str(tmp_path / "s.duckdb"), *args]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def test_import_draws_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    result = _import(tmp_path)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr
    assert "elapsed" not in result.stderr
    assert result.stdout.startswith("deals: 2 rows read from ")


@pytest.fixture
def terminal(monkeypatch):
    """stderr counts as a terminal."""
    monkeypatch.setattr(_progress, "stderr_is_terminal", lambda: True)


def test_import_on_a_terminal_draws_each_stage_on_stderr(tmp_path, terminal):
    result = _import(tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    for stage in ("import: reading deals.csv", "import deals.csv: writing"):
        assert stage in result.stderr
    assert "2/2 rows  100%" in result.stderr
    assert result.stderr.endswith("\n")
    (row,) = json.loads(result.stdout)  # the bar never reaches stdout
    assert row["rows_written"] == 2


def test_quiet_hides_the_bar_on_a_terminal(tmp_path, terminal):
    for flag in ("--quiet", "-q"):
        result = _import(tmp_path, flag)
        assert result.exit_code == 0, result.output
        assert "\r" not in result.stderr
        assert "elapsed" not in result.stderr


def test_pull_on_a_terminal_names_the_stream_and_counts_platforms(
    tmp_path, fake_platforms, server, terminal
):
    serve_good(server)
    cfg = write_config(tmp_path, fake={"base_url": server.url})
    argv = ["pull", "--config", str(cfg), "--store", str(tmp_path / "s.duckdb")]
    result = CliRunner().invoke(main, argv, env=ENV)
    assert result.exit_code == 0, result.output
    # Each stream is drawn when it starts (a new label always is; later redraws are throttled).
    assert "\rpull fake/posts: 0 rows, 0 pages  [" in result.stderr
    assert "\rpull fake/metrics: 0 rows, 0 pages  [" in result.stderr
    assert "pull: done  [####################]  1/1 platforms  100%" in result.stderr
    assert "pull" not in result.stdout.splitlines()[0]
    for flag in ("-q", "--quiet"):
        quiet = CliRunner().invoke(main, [*argv, flag], env=ENV)
        assert quiet.exit_code == 0, quiet.output
        assert "pull fake/" not in quiet.stderr
    debug = CliRunner().invoke(main, ["--debug", *argv], env=ENV)  # log lines, no bar
    assert debug.exit_code == 0, debug.output
    assert "socialroi.http: fake: GET /posts" in debug.stderr
    assert "\r" not in debug.stderr


@pytest.mark.slow  # the whole demo, twice
def test_demo_draws_its_stages_only_on_a_terminal(tmp_path, monkeypatch):
    argv = ["demo", "--months", "6", "--seed", "3", "--out", str(tmp_path / "d")]
    plain = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert plain.exit_code == 0, plain.output
    assert "demo:" not in plain.stderr
    monkeypatch.setattr(_progress, "stderr_is_terminal", lambda: True)
    shown = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    for stage in ("generating the company", "writing the store", "writing the report", "done"):
        assert f"demo: {stage}" in shown.stderr
    assert "3/3 steps  100%" in shown.stderr
    assert "demo:" not in shown.stdout


@pytest.mark.slow  # a demo store and policy compare, twice
def test_policy_compare_draws_its_steps_only_on_a_terminal(tmp_path, monkeypatch):
    from socialroi import Store
    from socialroi.demo import generate, write_demo

    store = tmp_path / "s.duckdb"
    with Store.open(store) as st:
        write_demo(generate(seed=5, months=6), st)
    argv = ["policy", "compare", "--draws", "200", "--store", str(store), "--format", "csv"]
    plain = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert plain.exit_code == 0, plain.output
    assert "policy compare:" not in plain.stderr
    monkeypatch.setattr(_progress, "stderr_is_terminal", lambda: True)
    shown = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    for step in ("estimating the funnel", "simulating the options", "done"):
        assert f"policy compare: {step}" in shown.stderr
    assert "3/3 steps  100%" in shown.stderr
    assert shown.stdout == plain.stdout


def test_the_pull_bar_shows_rows_and_pages_of_the_stream():
    from socialroi.cli.pull import _StreamProgress

    out = io.StringIO()
    clock = FakeClock()
    bar = Bar("pull", 2, unit="platforms", stream=out, clock=clock, columns=200)
    show = _StreamProgress(bar)
    show("x", "posts", 0, 0)
    clock.now += 1
    show("x", "posts", 1, 1)
    clock.now += 1
    show("x", "posts", 1_250, 13)
    assert bar.render().startswith("pull x/posts: 1,250 rows, 13 pages  [----------")
    assert "0/2 platforms" in bar.render()
    show("bluesky", "account", 0, 0)
    assert bar.render().startswith("pull bluesky/account: 0 rows, 0 pages  [##########")
    clock.now += 1
    show("bluesky", "account", 1, 1)
    assert bar.render().startswith("pull bluesky/account: 1 row, 1 page  [#")
    assert "1/2 platforms" in bar.render()
