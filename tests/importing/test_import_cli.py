"""`socialroi import FILE...` recognition, --set, --dates, --dry-run, warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from socialroi import Store
from socialroi.adapters.formats import formats
from socialroi.cli import main
from tests.importing.conftest import assert_same, run_import, snapshot, write

FIRM = Path(__file__).parents[1] / "e2e" / "firm"  # downloads in USD


def _runs(store: Path) -> pl.DataFrame:
    with Store.open(store, read_only=True) as s:
        return s.runs()


def test_a_directory_is_a_usage_error(store: Path, tmp_path: Path) -> None:
    result = run_import(store, tmp_path)
    assert result.exit_code == 2
    assert "import [OPTIONS] [TABLE] FILE..." in result.stderr
    assert f"'{tmp_path}' is a directory" in result.stderr


def test_list_formats_names_every_format_and_what_it_fills() -> None:
    result = CliRunner().invoke(main, ["import", "--list-formats", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "format,what,fills"
    assert [line.split(",")[0] for line in lines[1:]] == list(formats())
    assert len(lines) == 1 + 12
    assert any(line.startswith("ga4,") and line.endswith(",sessions") for line in lines)


def test_set_fills_a_column_and_names_pass_through_the_vocabulary(
    store: Path, tmp_path: Path
) -> None:
    file = write(
        tmp_path / "spend.csv", "month,category,amount\n2026-09,tools,10\n2026-10,tools,12\n"
    )
    result = run_import(store, "costs", file, "--set", "platform=LinkedIn")
    assert result.exit_code == 0, result.output
    with Store.open(store, read_only=True) as s:
        assert s.read("costs").rows() == [
            (date(2026, 9, 1), "tools", "linkedin", "", 10.0),
            (date(2026, 10, 1), "tools", "linkedin", "", 12.0),
        ]
    bad = run_import(store, "costs", file, "--set", "nope=1")
    assert bad.exit_code == 1
    assert "--set nope=…: table 'costs' has no column 'nope'" in bad.stderr


def test_dates_option_decides_what_the_column_cannot(store: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "t.csv", "contact_id,ts,channel,ref\nc1,03/05/2026,LinkedIn,r1\n")
    refused = run_import(store, "touchpoints", file)
    assert refused.exit_code == 1
    assert "ambiguous date '03/05/2026'" in refused.stderr
    assert "--dates dmy" in refused.stderr
    assert run_import(store, "touchpoints", file, "--dates", "dmy").exit_code == 0
    with Store.open(store, read_only=True) as s:
        row = s.read("touchpoints").row(0, named=True)
    assert (row["ts"], row["channel"]) == (datetime(2026, 5, 3, tzinfo=UTC), "linkedin")


def test_a_plain_table_is_recognised_by_its_headers(store: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "t.csv", "contact_id,ts,channel,ref\nc1,2026-05-03,web,r1\n")
    result = run_import(store, file)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("touchpoints: 1 rows read from ")
    assert "read as table touchpoints" in result.stderr
    unknown = write(tmp_path / "u.csv", "colour,size\nred,4\n")
    result = run_import(store, unknown)
    assert result.exit_code == 1
    assert "not a known export file (its first row with several cells: colour, size)" in (
        result.stderr
    )


def test_dry_run_shows_the_mapping_and_rows_and_writes_nothing(store: Path) -> None:
    before, runs = snapshot(store), _runs(store)
    result = run_import(store, FIRM / "Campaign_report_2026-10-01.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(google-ads)" in out
    assert "costs: " in out
    assert " would be new, 0 updated, 0 unchanged" in out
    assert "Cost -> costs.amount" in out
    assert "not imported: " in out
    assert "first rows of costs:" in out
    assert "google_ads" in out
    assert "dry run: nothing was written" in out
    assert_same(before, snapshot(store))
    assert _runs(store).equals(runs)


def test_warnings_for_loads_that_are_probably_not_meant(store: Path, tmp_path: Path) -> None:
    sessions = write(
        tmp_path / "s.csv",
        "session_id,started_at,source,medium\ns1,2026-09-01,google,organic\n"
        "s2,2026-09-02,(direct),(none)\n",
    )
    result = run_import(store, "sessions", sessions)
    assert result.exit_code == 0, result.output
    assert "warning: 0 of 2 session rows come from social media" in result.stderr
    costs = write(tmp_path / "c.csv", "month,category,platform,amount\n2026-09,ad_spend,TikTok,5\n")
    result = run_import(store, "costs", costs)
    assert "warning: costs for platform(s) socialroi does not know: tiktok" in result.stderr
    metrics = write(
        tmp_path / "m.csv",
        "platform,post_id,as_of,impressions\nx,1,2026-09-30,10\nx,2,2026-09-30,20\n",
    )
    result = run_import(store, "post_metrics", metrics)
    assert "the post metrics are one snapshot (totals as of 2026-09-30)" in result.stderr


def test_a_deal_naming_its_contact_by_email_is_tied_to_the_stored_contact(
    store: Path, tmp_path: Path
) -> None:
    contacts = write(tmp_path / "contacts.csv", "contact_id,email\n501,jo@acme.test\n")
    assert run_import(store, "contacts", contacts).exit_code == 0
    deals = write(
        tmp_path / "deals.csv",
        "Record ID,Deal Name,Create Date,Associated Contact\n"
        "9001,Acme,2026-09-01,Jo Bloggs (Jo@Acme.test)\n"
        "9002,Other,2026-09-02,Ann Other (ann@else.test)\n",
    )
    result = run_import(store, "deals", deals)
    assert result.exit_code == 0, result.output
    assert "1 deals name their contact by an e-mail the store has no contact for" in (result.stderr)
    with Store.open(store, read_only=True) as s:
        got = s.read("deals").filter(pl.col("deal_id").is_in(["9001", "9002"]))
    assert got.select("deal_id", "contact_id").rows() == [
        ("9001", "501"),
        ("9002", "ann@else.test"),
    ]


def test_posts_tracked_link_parameters_are_split_as_pulls_split_them(
    store: Path, tmp_path: Path
) -> None:
    url = "https://acme.test/p?utm_source=linkedin&utm_medium=social&utm_campaign=autumn"
    file = write(tmp_path / "posts.csv", f"platform,post_id,link_url\nLinkedIn,p1,{url}\n")
    assert run_import(store, "posts", file).exit_code == 0
    with Store.open(store, read_only=True) as s:
        row = s.read("posts").row(0, named=True)
    assert (row["platform"], row["utm_source"], row["utm_medium"], row["utm_campaign"]) == (
        "linkedin",
        "linkedin",
        "social",
        "autumn",
    )


def test_files_are_all_read_before_any_is_loaded(store: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "c.csv", "contact_id,email\nc9,c9@x.test\n")
    bad = write(tmp_path / "d.csv", "deal_id,contact_id,created_at\nd9,c9,not a date\n")
    before = snapshot(store)
    result = run_import(store, good, bad)
    assert result.exit_code == 1
    assert "not a date-time: 'not a date'" in result.stderr
    assert_same(before, snapshot(store))
    last = _runs(store).row(-1, named=True)
    assert (last["status"], last["target"]) == ("error", f"import {bad}")
