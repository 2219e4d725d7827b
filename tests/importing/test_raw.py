"""The raw reader: any CSV/XLSX/XLS into text cells, preamble and footer skipped, rows numbered."""

from __future__ import annotations

import codecs
import io
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from socialroi.adapters._raw import ROW, RawTable, open_book
from socialroi.errors import DataError

NATIVE = Path(__file__).parents[1] / "fixtures" / "native"


def _write(tmp_path: Path, data: str | bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _table(tmp_path: Path, data: str | bytes, **kw: str) -> RawTable:
    return open_book(_write(tmp_path, data), **kw).table()


def _rows(raw: RawTable) -> list[tuple[object, ...]]:
    return raw.frame.rows()


def _error(tmp_path: Path, data: str | bytes, **kw: str) -> DataError:
    with pytest.raises(DataError) as info:
        _table(tmp_path, data, **kw)
    return info.value


def _xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


# -- plain CSV ------------------------------------------------------------------------------------
def test_canonical_csv_rows_numbered_blank_rows_dropped(tmp_path: Path) -> None:
    raw = _table(tmp_path, "deal_id, amount ,stage\nd1,10,won\n\nd2,,open\n,,\nd3,7.5,lost\n")
    assert raw.header == ("deal_id", "amount", "stage")
    assert raw.header_row == 1
    assert raw.notes == ()
    assert raw.frame.columns == ["deal_id", "amount", "stage", ROW]
    assert raw.frame.schema[ROW] == pl.Int64
    assert _rows(raw) == [
        ("d1", "10", "won", 2),
        ("d2", None, "open", 4),
        ("d3", "7.5", "lost", 6),
    ]


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    raw = _table(tmp_path, codecs.BOM_UTF8 + "Name,Città\r\nAnna,Milano\r\n".encode())
    assert raw.header == ("Name", "Città")
    assert _rows(raw) == [("Anna", "Milano", 2)]


def test_old_mac_cr_line_ends(tmp_path: Path) -> None:
    raw = _table(tmp_path, "a,b\r1,2\r3,4\r")
    assert raw.header == ("a", "b")
    assert _rows(raw) == [("1", "2", 2), ("3", "4", 3)]


@pytest.mark.parametrize(
    ("delimiter", "text"),
    [
        (";", "Datum;Betrag;Notiz\n01.02.2026;1,5;a, b\n02.02.2026;2,25;c\n"),
        ("\t", "Datum\tBetrag\tNotiz\n01.02.2026\t1,5\ta, b\n02.02.2026\t2,25\tc\n"),
        ("|", "Datum|Betrag|Notiz\n01.02.2026|1,5|a, b\n02.02.2026|2,25|c\n"),
    ],
)
def test_delimiter_sniffed(tmp_path: Path, delimiter: str, text: str) -> None:
    raw = _table(tmp_path, text)
    assert raw.header == ("Datum", "Betrag", "Notiz")
    assert _rows(raw) == [("01.02.2026", "1,5", "a, b", 2), ("02.02.2026", "2,25", "c", 3)]


def test_delimiter_given_wins(tmp_path: Path) -> None:
    raw = _table(tmp_path, "a;b,c\n1;2,3\n", delimiter=";")
    assert raw.header == ("a", "b,c")
    assert _rows(raw) == [("1", "2,3", 2)]


def test_wrong_delimiter_given_names_the_right_one(tmp_path: Path) -> None:
    err = _error(tmp_path, "a;b;c\n1;2;3\n", delimiter=",")
    assert err.row == 1
    assert "separated by ';', not ','; use --delimiter ';'" in err.message


def test_quoted_multiline_cell_rows_count_records(tmp_path: Path) -> None:
    raw = _table(tmp_path, 'id,text\n1,"two\nlines"\n2,"say ""hi"""\n')
    assert _rows(raw) == [("1", "two\nlines", 2), ("2", 'say "hi"', 3)]


# -- encodings and binary files -------------------------------------------------------------------
def test_utf16_le_bom_with_sep_line_meta_page_series(tmp_path: Path) -> None:
    text = (
        'sep=,\n"Follows"\n"Date","Primary"\n"2026-09-01T00:00:00","3"\n"2026-09-02T00:00:00","0"\n'
    )
    book = open_book(_write(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    assert book.peek()[:3] == [["sep=,"], ["Follows"], ["Date", "Primary"]]
    raw = book.table()
    assert raw.header_row == 3
    assert raw.header == ("Date", "Primary")
    assert raw.notes == ("the table starts at row 3 (2 lines above it skipped)",)
    assert _rows(raw) == [("2026-09-01T00:00:00", "3", 4), ("2026-09-02T00:00:00", "0", 5)]


def test_utf16_be_bom_tab_separated(tmp_path: Path) -> None:
    text = "Campaign\tTotal Spent\nBrand\t12.50\n"
    raw = _table(tmp_path, codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert _rows(raw) == [("Brand", "12.50", 2)]


def test_cp1252_refused_with_hint_then_read_when_named(tmp_path: Path) -> None:
    data = "id,name\n1,Ana\n2,Société\n".encode("cp1252")
    err = _error(tmp_path, data)
    assert err.message == (
        "not valid utf-8 text (byte 0xe9); if it was saved by Excel or another Windows "
        "program, try --encoding cp1252"
    )
    assert (err.row, err.column) == (3, "name")
    raw = _table(tmp_path, data, encoding="cp1252")
    assert _rows(raw) == [("1", "Ana", 2), ("2", "Société", 3)]


def test_undecodable_header_names_no_column(tmp_path: Path) -> None:
    err = _error(tmp_path, "Città,b\n1,2\n".encode("cp1252"))
    assert (err.row, err.column) == (1, None)


def test_utf16_without_bom_gets_a_hint(tmp_path: Path) -> None:
    data = "a,b\n1,2\n".encode("utf-16-le")
    err = _error(tmp_path, data)
    assert "UTF-16 text without a byte-order mark; use --encoding utf-16-le" in err.message
    assert err.column is None
    assert _rows(_table(tmp_path, data, encoding="utf-16-le")) == [("1", "2", 2)]


def _zip(names: Sequence[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (_zip(["data.csv"]), "a ZIP archive"),
        (_zip(["word/document.xml"]), "a Word document"),
        (b"id,x\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03", "binary data"),
    ],
)
def test_binary_files_refused(tmp_path: Path, data: bytes, what: str) -> None:
    err = _error(tmp_path, data)
    assert err.message == f"not a text table (looks like {what})"
    assert (err.row, err.column) == (None, None)


def test_nul_byte_in_a_cell_refused_where_it_is(tmp_path: Path) -> None:
    err = _error(tmp_path, b"id,name,amount\n1,Ana,3\n2,Bo\x00b,4\n")
    assert (err.row, err.column) == (3, "name")
    assert "NUL byte" in err.message


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        open_book(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="the file is empty"):
        open_book(_write(tmp_path, " \n\n"))
    with pytest.raises(DataError, match="the file is empty"):
        open_book(_write(tmp_path, codecs.BOM_UTF16_LE))
    with pytest.raises(DataError, match="is a directory"):
        open_book(tmp_path)


# -- header, preamble, footer ---------------------------------------------------------------------
GOOGLE_ADS = (
    "Campaign report\n"
    '"September 1, 2026 - September 30, 2026"\n'
    "Campaign status,Campaign,Currency code,Cost\n"
    "Enabled,Brand,EUR,12.50\n"
    "Paused,Hiring,EUR,3.00\n"
    "Total: Account,--,EUR,15.50\n"
    "Total: Campaigns,--,EUR,15.50\n"
)


def test_title_lines_and_total_footer(tmp_path: Path) -> None:
    raw = _table(tmp_path, GOOGLE_ADS)
    assert raw.header_row == 3
    assert raw.header == ("Campaign status", "Campaign", "Currency code", "Cost")
    assert _rows(raw) == [
        ("Enabled", "Brand", "EUR", "12.50", 4),
        ("Paused", "Hiring", "EUR", "3.00", 5),
    ]
    assert raw.notes == (
        "the table starts at row 3 (2 lines above it skipped)",
        "2 footer lines skipped (Total: Account …)",
    )


def test_title_lines_padded_by_excel(tmp_path: Path) -> None:
    raw = _table(tmp_path, "Report,,\nGenerated 2026-09-30,,\n,,\nid,name,n\n1,a,2\n")
    assert (raw.header_row, raw.header) == (4, ("id", "name", "n"))
    assert _rows(raw) == [("1", "a", "2", 5)]


SALESFORCE = (
    '"Opportunity ID","Opportunity Name","Amount","Close Date"\n'
    '"006A1","Acme renewal","1,200.00","9/28/2026"\n'
    '"006A2","Total Recall Ltd","300.00","9/29/2026"\n'
    "\n\n"
    '"Grand Totals (2 records)"\n'
    "\n"
    '"Confidential Information - Do Not Distribute"\n'
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
)


def test_salesforce_footer(tmp_path: Path) -> None:
    raw = _table(tmp_path, SALESFORCE)
    assert raw.header_row == 1
    assert _rows(raw) == [
        ("006A1", "Acme renewal", "1,200.00", "9/28/2026", 2),
        ("006A2", "Total Recall Ltd", "300.00", "9/29/2026", 3),
    ]
    assert raw.notes == ("3 footer lines skipped (Grand Totals (2 records) …)",)


def test_footer_words_only_count_at_the_end(tmp_path: Path) -> None:
    raw = _table(tmp_path, "name,n\nTotal,1\nTotals,2\nreal,3\n")
    assert _rows(raw) == [("Total", "1", 2), ("Totals", "2", 3), ("real", "3", 4)]
    assert raw.notes == ()


GA4 = (
    "# ----------------------------------------\n"
    "# Traffic acquisition: Session source / medium\n"
    "# Account: Example, Inc\n"
    "# Start date: 20260901\n"
    "# End date: 20260930\n"
    "# ----------------------------------------\n"
    "\n"
    "Session source / medium,Date,Sessions\n"
    "linkedin.com / referral,20260901,5\n"
    "google / organic,20260901,7\n"
    "\n"
    "# ----------------------------------------\n"
    "# Date range: 20260801-20260831\n"
    "Session source / medium,Date,Sessions\n"
    "t.co / referral,20260801,2\n"
)


def test_ga4_comment_preamble_and_second_block(tmp_path: Path) -> None:
    book = open_book(_write(tmp_path, GA4))
    peek = book.peek(rows=8)
    assert peek[2] == ["# Account: Example, Inc"]
    assert peek[6] == []
    assert peek[7] == ["Session source / medium", "Date", "Sessions"]
    raw = book.table()
    assert raw.header_row == 8
    assert _rows(raw) == [
        ("linkedin.com / referral", "20260901", "5", 9),
        ("google / organic", "20260901", "7", 10),
    ]
    assert raw.notes == (
        "the table starts at row 8 (7 lines above it skipped)",
        "a second block after row 11 was not read",
    )


def test_header_rule_picks_the_row(tmp_path: Path) -> None:
    text = "Report: Leads,all\nfrom,to\n2026-01-01,2026-01-31\nLead ID,Source\nL1,Web\n"
    book = open_book(_write(tmp_path, text))
    raw = book.table(header=lambda cells: "Lead ID" in cells)
    assert (raw.header_row, raw.header) == (4, ("Lead ID", "Source"))
    assert _rows(raw) == [("L1", "Web", 5)]


def test_no_header_found_says_where_it_looked(tmp_path: Path) -> None:
    book = open_book(_write(tmp_path, "a,b\n1,2\n3,4\n"))
    with pytest.raises(DataError) as info:
        book.table(header=lambda cells: "Deal ID" in cells)
    assert info.value.message.startswith("no header row found: looked at rows 1–3 for ")


def test_two_header_rows(tmp_path: Path) -> None:
    text = "Post ID,Lifetime Post Reach\nThe post id,The number of people reached\n11_22,40\n"
    raw = open_book(_write(tmp_path, text)).table(two_header_rows=True)
    assert raw.header == ("Post ID", "Lifetime Post Reach")
    assert _rows(raw) == [("11_22", "40", 3)]


# -- row width and header names -------------------------------------------------------------------
def test_row_with_too_many_values(tmp_path: Path) -> None:
    err = _error(tmp_path, "a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n")
    assert err.row == 3
    assert err.message == (
        "4 values but the header has 3 columns (a ',' inside a value that is not quoted?)"
    )
    err = _error(tmp_path, "a;b;c\n1;2;3\n4;5;6;7\n8;9;10\n")
    assert (err.row, err.message) == (3, "4 values but the header has 3 columns")


def test_row_with_too_few_values(tmp_path: Path) -> None:
    err = _error(tmp_path, "a,b,c,d,e\n1,2,3,4,5\n\n6,7,8\n")
    assert (err.row, err.message) == (4, "3 values but the header has 5 columns")


def test_row_too_short_in_a_file_with_multiline_cells(tmp_path: Path) -> None:
    err = _error(tmp_path, 'a,b,c\n1,"x\ny",3\n4,5\n')
    assert (err.row, err.message) == (3, "2 values but the header has 3 columns")


def test_table_below_title_lines_to_the_end_of_the_file(tmp_path: Path) -> None:
    # no quotes, no footer: the rows are read where they are in the file
    raw = _table(tmp_path, "Deals report\n\nid,n,m\n1,2,3\n4,5,6")
    assert (raw.header_row, raw.header) == (3, ("id", "n", "m"))
    assert _rows(raw) == [("1", "2", "3", 4), ("4", "5", "6", 5)]
    assert raw.spaced is False
    err = _error(tmp_path, "Deals report\nid,n,m\n1,2,3\n4,5\n7,8,9\n")
    assert (err.row, err.message) == (4, "2 values but the header has 3 columns")
    # one value short and one too many: as many delimiters as expected, still both found
    err = _error(tmp_path, "a,b,c\n1,2\n3,4,5,6\n")
    assert (err.row, err.message) == (2, "2 values but the header has 3 columns")
    err = _error(tmp_path, "a,b,c\n1,2,3,4\n5,6\n")
    assert err.row == 2
    assert err.message.startswith("4 values but the header has 3 columns")


@pytest.mark.parametrize(
    ("text", "spaced", "cells"),
    [
        ("a,b\n1,2\n", False, ("1", "2")),
        ("a,b\n1, 2\n", True, ("1", " 2")),
        ("a,b\n1,2\t\n", True, ("1", "2\t")),
        ('a,b\n1,"2"\n', True, ("1", "2")),
        ("a,b\n1,\u00a02\n", True, ("1", "\u00a02")),
        ("a,b\r\n1,2\r\n", True, ("1", "2")),
    ],
)
def test_cells_are_as_written_and_spaced_says_if_one_may_need_trimming(
    tmp_path: Path, text: str, spaced: bool, cells: tuple[str, str]
) -> None:
    raw = _table(tmp_path, text)
    assert raw.spaced is spaced
    assert _rows(raw) == [(*cells, 2)]


def test_broken_quoting_located(tmp_path: Path) -> None:
    err = _error(tmp_path, 'id,name,n\n1,ok,2\n2,"open,3\n4,x,5\n')
    assert (err.row, err.column) == (3, "name")
    assert err.message == "broken quoting: a quote opened in this value is never closed"


def test_empty_header_cells(tmp_path: Path) -> None:
    raw = _table(tmp_path, "a,,b,\n1,,2,\n3,,4,\n")
    assert raw.header == ("a", "b")
    assert _rows(raw) == [("1", "2", 2), ("3", "4", 3)]
    err = _error(tmp_path, "a,,b\n1,,2\n3,x,4\n")
    assert err.row == 1
    assert err.message.startswith("column 2 has values (the first at row 3)")


def test_duplicate_header_csv(tmp_path: Path) -> None:
    err = _error(tmp_path, "Amount,Stage, Amount\n1,won,2\n")
    assert (err.row, err.column) == (1, "Amount")
    assert err.message.startswith("the header names column 'Amount' twice")


# -- workbooks ------------------------------------------------------------------------------------
def test_xlsx_preamble_footer_sheets(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "b.xlsx",
        {
            "Campaigns": [
                ["Campaign Performance Report"],
                ["Report Start:", "9/1/2026"],
                [],
                ["Campaign Name", "Total Spent", "Impressions"],
                ["Brand", 12.5, 1200],
                ["Hiring", 3, None],
                [],
                ["Grand Total", 15.5, 1200],
            ],
            "Other": [["x"], [1]],
        },
    )
    book = open_book(path)
    assert (book.kind, book.sheet_names) == ("excel", ["Campaigns", "Other"])
    assert book.peek(rows=3) == [
        ["Campaign Performance Report", "", ""],
        ["Report Start:", "9/1/2026", ""],
        [],
    ]
    raw = book.table()
    assert (raw.sheet, raw.header_row) == ("Campaigns", 4)
    assert raw.header == ("Campaign Name", "Total Spent", "Impressions")
    assert _rows(raw) == [("Brand", "12.5", "1200", 5), ("Hiring", "3", None, 6)]
    assert raw.notes == (
        "the table starts at row 4 (3 lines above it skipped)",
        "1 footer line skipped (Grand Total …)",
    )
    assert _rows(book.table("Other")) == [("1", 2)]
    with pytest.raises(DataError, match="no sheet 'Nope'; the sheets are: Campaigns, Other"):
        book.table("Nope")
    with pytest.raises(DataError, match="no sheet 'Nope'; the sheets are: Campaigns, Other"):
        open_book(path, sheet="Nope")
    assert open_book(path, sheet="Other").table().header == ("x",)


def test_duplicate_header_xlsx(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "d.xlsx", {"Deals": [["Deal ID", "Amount", "Amount "], ["d1", 1, 2]]})
    with pytest.raises(DataError) as info:
        open_book(path).table()
    assert (info.value.row, info.value.column) == (1, "Amount")
    assert "names column 'Amount' twice" in info.value.message


def test_xls_workbook(tmp_path: Path) -> None:
    book = open_book(NATIVE / "raw_workbook.xls")
    assert (book.kind, book.sheet_names) == ("excel", ["Metrics", "All posts"])
    metrics = book.table("Metrics")
    assert metrics.header_row == 2
    assert metrics.header == (
        "Date",
        "Impressions (total)",
        "Clicks (total)",
        "Engagement rate (total)",
    )
    assert _rows(metrics) == [
        ("09/01/2026", "1200", "31", "0.0638", 3),
        ("2026-09-02 00:00:00", "980", "12", "0.05", 4),
    ]
    posts = book.table("All posts")
    assert _rows(posts)[0][1] == (
        "https://www.linkedin.com/feed/update/urn:li:activity:7240000000000000001"
    )


def test_csv_has_no_sheets(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n")
    with pytest.raises(DataError, match="--sheet applies to Excel workbooks"):
        open_book(path, sheet="Deals")
    with pytest.raises(DataError, match="read as CSV"):
        open_book(path).table("Deals")


# -- speed ----------------------------------------------------------------------------------------
def test_200k_rows_read_fast(tmp_path: Path) -> None:
    n = 200_000
    df = pl.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(n)],
            "contact_id": [f"c{i % 977}" for i in range(n)],
            "created_at": ["2026-03-05 14:22:05"] * n,
            "amount": [f"{i % 1000}.25" for i in range(n)],
        }
    )
    path = tmp_path / "big.csv"
    df.write_csv(path)
    start = time.perf_counter()
    raw = open_book(path).table()
    assert time.perf_counter() - start < 3
    assert raw.frame.height == n
    assert raw.frame.row(n - 1) == ("d199999", "c691", "2026-03-05 14:22:05", "999.25", n + 1)


# -- awkward text ---------------------------------------------------------------------------------
def test_cells_with_control_characters_and_crlf_inside_quotes(tmp_path: Path) -> None:
    raw = _table(tmp_path, 'id,note\r\n1,"a\r\nb"\r\n2,x\x01y\r\n3,"c\rd"\r\n')
    assert _rows(raw) == [("1", "a\r\nb", 2), ("2", "x\x01y", 3), ("3", "c\rd", 4)]


def test_whitespace_only_rows_are_blank(tmp_path: Path) -> None:
    raw = _table(tmp_path, "a,b\n1,2\n  , \n\t,\n3,4\n")
    assert _rows(raw) == [("1", "2", 2), ("3", "4", 5)]


def test_sep_tab_line(tmp_path: Path) -> None:
    book = open_book(_write(tmp_path, "sep=\t\na,b\tc\n1,5\t2\n"))
    assert book.peek()[0] == ["sep=\t"]
    raw = book.table()
    assert (raw.header_row, raw.header) == (2, ("a,b", "c"))
    assert _rows(raw) == [("1,5", "2", 3)]


def test_undecodable_header_below_title_lines_names_no_column(tmp_path: Path) -> None:
    data = 'Campaign report\n"Sept 1 - 30"\nCampaign status,Campaña,Cost\nOn,Brand,1\n'
    err = _error(tmp_path, data.encode("cp1252"))
    assert (err.row, err.column) == (3, None)
    data = 'Campaign report\n"Sept 1 - 30"\nCampaign status,Campaign,Cost\nOn,España,1\n'
    err = _error(tmp_path, data.encode("cp1252"))
    assert (err.row, err.column) == (4, "Campaign")
