"""`socialroi import` end to end: XLSX, --map, re-imports, and round trips for every table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from socialroi import Store, schema
from socialroi.adapters.files import import_file
from socialroi.adapters.importer import normalise
from tests.importing.conftest import SEED_DEALS, run_import, snapshot, write

DEALS = "deal_id,contact_id,created_at,amount\nd1,c1,2024-02-01,25\nd2,c2,2024-02-02,30\n"


def test_xlsx_first_sheet_with_real_and_text_dates(store: Path, tmp_path: Path) -> None:
    file = tmp_path / "deals.xlsx"
    wb = xlsxwriter.Workbook(file)
    ws = wb.add_worksheet("Deals")
    when = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws.write_row(0, 0, ["Deal ID", "Contact ID", "Create Date", "Close Date", "Amount", "IsWon"])
    ws.write_row(1, 0, [12345, "c5", None, "2024-04-01", 1234.5, True])
    ws.write_datetime(1, 2, datetime(2024, 3, 5, 14, 22), when)
    ws.write_row(2, 0, ["d6", "c6", "2024-03-06T08:00:00+01:00", None, 0, False])
    wb.add_worksheet("Notes").write_row(0, 0, ["not", "deals"])
    wb.close()
    result = run_import(store, "deals", file)
    assert result.exit_code == 0, result.output
    with Store.open(store, read_only=True) as s:
        got = s.read("deals").filter(pl.col("deal_id").is_in(["12345", "d6"]))
    assert got.select("deal_id", "created_at", "closed_at", "won", "amount").rows() == [
        (
            "12345",  # a number cell used as an id keeps no ".0"
            datetime(2024, 3, 5, 14, 22, tzinfo=UTC),
            datetime(2024, 4, 1, tzinfo=UTC),
            True,
            1234.5,
        ),
        ("d6", datetime(2024, 3, 6, 7, tzinfo=UTC), None, False, 0.0),
    ]


def test_xlsx_sheet_option(store: Path, tmp_path: Path) -> None:
    file = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(file)
    wb.add_worksheet("Summary").write_row(0, 0, ["nothing here"])
    ws = wb.add_worksheet("Costs")
    ws.write_row(0, 0, ["Month", "Category", "Platform", "Spend"])
    ws.write_row(1, 0, ["2024-03", "ad_spend", "linkedin", 1500])
    wb.close()
    result = run_import(store, "costs", file, "--sheet", "Costs")
    assert result.exit_code == 0, result.output
    with Store.open(store, read_only=True) as s:
        assert s.read("costs").rows() == [(date(2024, 3, 1), "ad_spend", "linkedin", "", 1500.0)]


def test_map_names_other_headers(store: Path, tmp_path: Path) -> None:
    text = "Opp,Person,Opened,Value ($)\nq1,p1,2024-05-01,70\n"
    file = write(tmp_path / "custom.csv", text)
    args = ("--map", "opp=deal_id", "--map", "PERSON=Contact ID", "--map", "Opened=created_at")
    result = run_import(store, "deals", file, *args, "--map", "Value ($)=amount")
    assert result.exit_code == 0, result.output
    with Store.open(store, read_only=True) as s:
        row = s.read("deals").filter(pl.col("deal_id") == "q1").row(0, named=True)
    assert (row["contact_id"], row["amount"]) == ("p1", 70.0)
    assert row["created_at"] == datetime(2024, 5, 1, tzinfo=UTC)


def test_bad_map_syntax_is_a_usage_error(store: Path, tmp_path: Path) -> None:
    result = run_import(store, "deals", write(tmp_path / "d.csv", DEALS), "--map", "deal_id")
    assert result.exit_code == 2
    assert "'deal_id' is not SOURCE=TARGET" in result.stderr


def test_reimport_changes_nothing_and_an_edit_updates(store: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", DEALS)
    first = run_import(store, "deals", file)
    assert "2 rows read" in first.stdout
    assert "2 written (1 new, 1 updated)" in first.stdout  # d1 was seeded with other content
    after_first = snapshot(store)
    again = run_import(store, "deals", file)
    assert again.exit_code == 0
    assert "0 written (0 new, 0 updated); the store already held the rest" in again.stdout
    for name, df in snapshot(store).items():
        assert df.equals(after_first[name]), name
    write(file, DEALS.replace(",30\n", ",31\n"))
    edit = run_import(store, "deals", file)
    assert "1 written (0 new, 1 updated)" in edit.stdout
    with Store.open(store, read_only=True) as s:
        deals = s.read("deals")
        runs = s.runs()
    assert deals.height == 3
    assert deals.filter(pl.col("deal_id") == "d2")["amount"].item() == 31.0
    assert runs.select("kind", "status", "rows").rows() == [
        ("import", "ok", 2),
        ("import", "ok", 0),
        ("import", "ok", 1),
    ]


def test_import_file_result(tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", DEALS + "d2,c2,2024-02-02,30\n")
    with Store.open(tmp_path / "s.duckdb") as s:
        s.upsert("deals", SEED_DEALS)
        res = import_file(s, "deals", file)
        assert (res.rows_read, res.rows_written, res.rows_new, res.rows_updated) == (3, 2, 1, 1)
        assert s.count("deals") == 3


def _sample(name: str) -> pl.DataFrame:
    """Three rows for any table, with awkward text, nulls and every type."""
    t = schema.table(name)
    awkward = 'Acme, "Ltd" – Zoë\nline two'
    cols: dict[str, list[object]] = {}
    for c in t.columns:
        required = c.name in t.required
        blank = (name, c.name) in {("costs", "platform"), ("costs", "employee_id")}
        if c.name in ("platform", "channel"):  # names the vocabulary spells one way
            values: list[object] = ["linkedin", "x", "" if blank else "mastodon"]
        elif isinstance(c.dtype, pl.String):
            third = "" if blank else f"{c.name}-3"  # '' means "not tied to one" for costs
            values = [f"{c.name}-1", awkward, third]
        elif isinstance(c.dtype, pl.Float64):
            values = [0.0, 1234.56, 0.1]
        elif isinstance(c.dtype, pl.Int64):
            values = [0, 7, 1_000_000]
        elif isinstance(c.dtype, pl.Boolean):
            values = [True, False, None]
        elif isinstance(c.dtype, pl.Date):
            values = [date(2024, 1, 1), date(2024, 2, 1), date(2023, 12, 1)]
        else:
            values = [
                datetime(2024, 3, 5, 14, 22, 5, 123000, tzinfo=UTC),
                datetime(2024, 3, 6, tzinfo=UTC),
                datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
            ]
        if not required and values[2] is not None:
            values[2] = None
        cols[c.name] = values
    return pl.DataFrame(cols, schema=t.polars_schema)


@pytest.mark.parametrize("name", sorted(schema.TABLES))
def test_round_trip_every_table_through_csv(tmp_path: Path, name: str) -> None:
    with Store.open(tmp_path / "a.duckdb") as a:
        a.upsert(name, _sample(name))
        original = a.read(name)
    file = tmp_path / f"{name}.csv"
    original.write_csv(file)
    result = run_import(tmp_path / "b.duckdb", name, file)
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "b.duckdb", read_only=True) as b:
        back = b.read(name)
    assert back.equals(original), (original, back)


@pytest.mark.parametrize("name", ["deals", "employees", "account_daily", "costs"])
def test_round_trip_through_xlsx(tmp_path: Path, name: str) -> None:
    with Store.open(tmp_path / "a.duckdb") as a:
        a.upsert(name, _sample(name))
        original = a.read(name)
    file = tmp_path / f"{name}.xlsx"
    naive = original.with_columns(pl.col(pl.Datetime).dt.replace_time_zone(None))
    naive.write_excel(file, worksheet=name)  # real Excel dates, numbers and booleans
    result = run_import(tmp_path / "b.duckdb", name, file)
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "b.duckdb", read_only=True) as b:
        assert b.read(name).equals(original)


def test_delimiter_and_encoding_options(store: Path, tmp_path: Path) -> None:
    file = tmp_path / "deals.txt"
    file.write_bytes(
        "deal_id\tcontact_id\tname\tcreated_at\nd8\tc8\tSociété\t2024-02-08\n".encode("cp1252")
    )
    result = run_import(store, "deals", file, "--delimiter", "tab", "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    with Store.open(store, read_only=True) as s:
        assert s.read("deals").filter(pl.col("deal_id") == "d8")["name"].item() == "Société"
    bad = run_import(store, "deals", file, "--encoding", "klingon")
    assert bad.exit_code == 2
    assert "unknown encoding 'klingon'" in bad.stderr


def test_platform_and_channel_names_are_spelled_as_the_vocabulary_spells_them() -> None:
    df = pl.DataFrame(
        {
            "platform": ["LinkedIn", "linkedin", "", None, "Twitter", "myspace"],
            "channel": ["LinkedIn", "email", "E-mail", "Paid Social", None, "linkedin"],
        }
    )
    assert normalise("touchpoints", df).rows() == [
        ("linkedin", "linkedin"),
        ("linkedin", "email"),
        ("", "email"),
        (None, "paid_social"),
        ("x", None),
        ("myspace", "linkedin"),
    ]
    spelled = df.slice(1, 1)  # already as the vocabulary spells it: the same rows back
    assert normalise("touchpoints", spelled).rows() == [("linkedin", "email")]
