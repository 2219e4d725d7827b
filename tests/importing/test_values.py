"""read_table_file: how text becomes typed values, and how headers are matched."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from socialroi import DataError, schema
from socialroi.adapters.files import read_table_file
from tests.importing.conftest import write


def _one_column(
    tmp_path: Path, table: str, header: str, column: str, values: list[str]
) -> list[object]:
    body = "".join(f"{line}\n" for line in values)
    file = write(tmp_path / f"{table}.csv", f"{header}\n{body}")
    return read_table_file(table, file)[column].to_list()


def test_datetimes_iso_with_and_without_offset_naive_is_utc(tmp_path: Path) -> None:
    values = [
        "2024-03-05T14:22:00Z",
        "2024-03-05T14:22:00+01:00",
        "2024-03-05T14:22:00.000+0000",  # Salesforce
        "2024-03-05T14:22:00-05",
        "2024-03-05 14:22",  # HubSpot export
        "2024-03-05 14:22:05.250",
        "2024-03-05T14:22",
        "2024-03-05",
        "2024/03/05 14:22",
        "5 Mar 2024",
        '"March 5, 2024"',
        " 2024-03-05 14:22:00 ",
    ]
    rows = [f"c1,{v},web,r{i}" for i, v in enumerate(values)]
    got = _one_column(tmp_path, "touchpoints", "contact_id,ts,channel,ref", "ts", rows)
    d = datetime
    assert got == [
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
        d(2024, 3, 5, 13, 22, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
        d(2024, 3, 5, 19, 22, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, 5, 250000, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
        d(2024, 3, 5, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
        d(2024, 3, 5, tzinfo=UTC),
        d(2024, 3, 5, tzinfo=UTC),
        d(2024, 3, 5, 14, 22, tzinfo=UTC),
    ]


def test_values_are_trimmed_of_any_white_space(tmp_path: Path) -> None:
    rows = ["c1,2024-03-05T14:22:00Z,web,r1", "c2 ,\u00a02024-03-05 14:22\u202f,\tweb , r2"]
    file = write(tmp_path / "t.csv", "contact_id,ts,channel,ref\n" + "\n".join(rows) + "\n")
    got = read_table_file("touchpoints", file).select("contact_id", "ts", "channel", "ref")
    at = datetime(2024, 3, 5, 14, 22, tzinfo=UTC)
    assert got.rows() == [("c1", at, "web", "r1"), ("c2", at, "web", "r2")]


@pytest.mark.parametrize("value", ["03/05/2024", "5.3.2024", "05-03-24"])
def test_day_month_order_dates_are_refused(tmp_path: Path, value: str) -> None:
    file = write(tmp_path / "t.csv", f"contact_id,ts,channel,ref\nc1,{value},web,r\n")
    with pytest.raises(DataError, match="ambiguous date") as err:
        read_table_file("touchpoints", file)
    assert (err.value.row, err.value.column) == (2, "ts")


def test_day_first_column_is_read_from_its_unambiguous_dates(tmp_path: Path) -> None:
    rows = ["c1,13/05/2024,web,r1", "c1,03/05/2024,web,r2"]  # 13 decides: day first
    got = _one_column(tmp_path, "touchpoints", "contact_id,ts,channel,ref", "ts", rows)
    assert got == [datetime(2024, 5, 13, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)]


def test_dates_accept_excel_midnight_but_not_a_time(tmp_path: Path) -> None:
    header = "employee_id,start_date"
    got = _one_column(
        tmp_path, "employees", header, "start_date", ["e1,2024-03-05", "e2,2024-03-05 00:00:00"]
    )
    assert got == [date(2024, 3, 5)] * 2
    file = write(tmp_path / "e.csv", f"{header}\ne1,2024-03-05 09:30:00\n")
    with pytest.raises(DataError, match="not a date: '2024-03-05 09:30:00'"):
        read_table_file("employees", file)


def test_numbers_thousands_and_currency_signs(tmp_path: Path) -> None:
    rows = ['d1,c1,2024-01-01,"$1,234.50"', "d2,c2,2024-01-01,€99", "d3,c3,2024-01-01,99 £"]
    rows += ['d4,c4,2024-01-01,"1,000,000"', "d5,c5,2024-01-01,0.5", "d6,c6,2024-01-01,"]
    got = _one_column(tmp_path, "deals", "deal_id,contact_id,created_at,amount", "amount", rows)
    assert got == [1234.5, 99.0, 99.0, 1_000_000.0, 0.5, None]


@pytest.mark.parametrize(
    ("value", "number"),
    [("1.234,56", 1234.56), ("1,23", 1.23), ("USD 10", 10.0), ("1.200 €", 1200.0)],
)
def test_locale_numbers_and_currency_codes(tmp_path: Path, value: str, number: float) -> None:
    row = f'd1,c1,2024-01-01,"{value}"'
    assert _one_column(
        tmp_path, "deals", "deal_id,contact_id,created_at,amount", "amount", [row]
    ) == [number]


@pytest.mark.parametrize("value", ["ten", "nan", "inf"])
def test_unclear_numbers_are_refused(tmp_path: Path, value: str) -> None:
    file = write(
        tmp_path / "d.csv", f'deal_id,contact_id,created_at,amount\nd1,c1,2024-01-01,"{value}"\n'
    )
    with pytest.raises(DataError, match="not a number") as err:
        read_table_file("deals", file)
    assert (err.value.row, err.value.column) == (2, "amount")


def test_counts_must_be_whole(tmp_path: Path) -> None:
    header = "platform,account_id,date,followers"
    rows = ['x,a,2024-01-01,"1,200"', "x,a,2024-01-02,12.0"]
    assert _one_column(tmp_path, "account_daily", header, "followers", rows) == [1200, 12]
    file = write(tmp_path / "a.csv", f"{header}\nx,a,2024-01-01,12.5\n")
    with pytest.raises(DataError, match=r"not a whole number: '12\.5'"):
        read_table_file("account_daily", file)


def test_booleans(tmp_path: Path) -> None:
    words = ["true", "FALSE", "Yes", "no", "1", "0", "y", "N", "t", "f", ""]
    rows = [f"e{i},{w}" for i, w in enumerate(words)]
    got = _one_column(tmp_path, "employees", "employee_id,advocate", "advocate", rows)
    assert got == [True, False, True, False, True, False, True, False, True, False, None]


def test_headers_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    file = write(
        tmp_path / "d.csv",
        " Deal ID ,CONTACT_ID,Created-At,closed at,AMOUNT\nd1, c1 ,2024-01-01,,5\n",
    )
    df = read_table_file("deals", file)
    assert df.row(0, named=True) == {
        "deal_id": "d1",
        "contact_id": "c1",
        "name": None,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "closed_at": None,
        "expected_close": None,
        "stage": None,
        "won": None,
        "amount": 5.0,
    }


def test_blank_lines_are_skipped_but_keep_their_row_numbers(tmp_path: Path) -> None:
    text = 'deal_id,contact_id,name,created_at\nd1,c1,"two\nlines",2024-01-01\n\n,,,\nd2,c2,x,bad\n'
    file = write(tmp_path / "d.csv", text)
    with pytest.raises(DataError) as err:
        read_table_file("deals", file)
    # row 2 spans two lines but is one row; rows 3 and 4 are blank
    assert (err.value.row, err.value.column) == (5, "created_at")
    ok = write(tmp_path / "ok.csv", text.replace("bad", "2024-01-02"))
    assert read_table_file("deals", ok)["name"].to_list() == ["two\nlines", "x"]


def test_exact_repeats_are_harmless(tmp_path: Path) -> None:
    line = "d1,c1,2024-01-01,5\n"
    file = write(tmp_path / "d.csv", "deal_id,contact_id,created_at,amount\n" + line * 3)
    assert read_table_file("deals", file).height == 3


def test_byte_order_mark_crlf_and_other_encodings(tmp_path: Path) -> None:
    text = "employee_id,name\r\ne1,Zoë Müller\r\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_table_file("employees", bom)["name"].to_list() == ["Zoë Müller"]
    latin = write(tmp_path / "latin.csv", text, encoding="cp1252")
    df = read_table_file("employees", latin, encoding="cp1252")
    assert df["name"].to_list() == ["Zoë Müller"]
    utf16 = write(tmp_path / "u16.csv", text, encoding="utf-16")  # with its byte-order mark
    assert read_table_file("employees", utf16)["name"].to_list() == ["Zoë Müller"]


def test_delimiters(tmp_path: Path) -> None:
    tsv = write(tmp_path / "e.tsv", "employee_id\tname\ne1\tAnn, B.\n")
    assert read_table_file("employees", tsv)["name"].to_list() == ["Ann, B."]
    semi = write(tmp_path / "e.csv", "employee_id;name\ne1;Ann, B.\n")
    assert read_table_file("employees", semi, delimiter=";")["name"].to_list() == ["Ann, B."]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", "deal_id,contact_id,created_at\n")
    assert read_table_file("deals", file).height == 0


def test_a_header_twice_is_refused(tmp_path: Path) -> None:
    file = write(
        tmp_path / "d.csv", "deal_id,contact_id,created_at,amount,amount\nd1,c1,2024-01-01,1,2\n"
    )
    with pytest.raises(DataError, match="names column 'amount' twice"):
        read_table_file("deals", file)


def test_costs_month_and_blank_platform(tmp_path: Path) -> None:
    file = write(
        tmp_path / "c.csv",
        "month,category,platform,amount\n2024-03,tools,,10\n2024-04-01,ads,x,5\n",
    )
    df = read_table_file("costs", file)
    assert df.rows() == [
        (date(2024, 3, 1), "tools", "", "", 10.0),
        (date(2024, 4, 1), "ads", "x", "", 5.0),
    ]
    bad = write(tmp_path / "bad.csv", "month,category,amount\n2024-03-15,tools,10\n")
    with pytest.raises(DataError, match="first day of a month") as err:
        read_table_file("costs", bad)
    assert (err.value.row, err.value.column) == (2, "month")


def test_mapping_one_header_to_two_columns(tmp_path: Path) -> None:
    file = write(
        tmp_path / "l.csv", "Record ID,Create Date,Original Source\n42,2024-01-01,SOCIAL_MEDIA\n"
    )
    df = read_table_file("leads", file, mapping={"record id": "contact_id"})
    assert df.rows() == [("42", "42", datetime(2024, 1, 1, tzinfo=UTC), "SOCIAL_MEDIA")]


def test_result_has_the_table_schema(tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", "deal_id,contact_id,created_at,extra\nd1,c1,2024-01-01,x\n")
    df = read_table_file("deals", file)
    assert df.schema == pl.Schema(schema.table("deals").polars_schema)
    assert df.columns == [
        "deal_id",
        "contact_id",
        "name",
        "created_at",
        "closed_at",
        "expected_close",
        "stage",
        "won",
        "amount",
    ]
