"""Bad input: one line naming file, row and column; exit code 1; no traceback; store untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from socialroi import Store
from tests.importing.conftest import assert_same, run_import, snapshot, write

HEADER = "deal_id,contact_id,name,created_at,amount\n"
GOOD = "d5,c5,Five,2024-03-05,5\n"


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "Deals") -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(sheet)
    for r, values in enumerate(rows):
        ws.write_row(r, 0, values)
    wb.close()
    return path


# name, file content (str, or bytes as written), extra args, row, column, words in the message
CASES: list[tuple[str, str | bytes, tuple[str, ...], int | None, str | None, str]] = [
    (
        "missing column",
        "deal_id,name,created_at\nd5,Five,2024-03-05\n",
        (),
        1,
        "contact_id",
        "missing required column 'contact_id'",
    ),
    (
        "unparseable date",
        HEADER + GOOD + GOOD.replace("d5", "d6") + "d7,c7,Seven,yesterday,7\n",
        (),
        4,
        "created_at",
        "not a date-time: 'yesterday'",
    ),
    (
        "ambiguous date",
        HEADER + GOOD + "d6,c6,Six,03/05/2024,6\n",
        (),
        3,
        "created_at",
        "ambiguous date '03/05/2024'",
    ),
    (
        "impossible date",
        HEADER + "d6,c6,Six,2024-02-30,6\n",
        (),
        2,
        "created_at",
        "not a date-time: '2024-02-30'",
    ),
    (
        "negative amount",
        HEADER + GOOD + "d6,c6,Six,2024-03-05,-6\n",
        (),
        3,
        "amount",
        "must not be negative: -6.0",
    ),
    (
        "not a number",
        HEADER + GOOD + 'd6,c6,Six,2024-03-05,"12,5"\n',
        (),
        3,
        "amount",
        "'12,5': decimal comma or thousands? write 12.5 or 125",
    ),
    (
        "empty required value",
        HEADER + GOOD + "d6,,Six,2024-03-05,6\n",
        (),
        3,
        "contact_id",
        "required value is empty",
    ),
    (
        "duplicate key with different content",
        HEADER + GOOD + "d6,c6,Six,2024-03-05,6\n" + GOOD + GOOD.replace(",5\n", ",50\n"),
        (),
        5,
        "deal_id",
        "duplicate key (deal_id=d5) with different content than row 2",
    ),
    (
        "unclosed quote",
        HEADER + GOOD + 'd6,c6,"Six,2024-03-05,6\n' + GOOD.replace("d5", "d7"),
        (),
        3,
        "name",
        "broken quoting: a quote opened in this value is never closed",
    ),
    (
        "text after a closing quote",
        HEADER + GOOD + 'd6,c6,"Six" Ltd,2024-03-05,6\n',
        (),
        3,
        "name",
        "broken quoting: a closing quote must be followed by the delimiter",
    ),
    (
        "unquoted delimiter in a value",
        HEADER + GOOD + "d6,c6,Six, Inc,2024-03-05,6\n",
        (),
        3,
        None,
        "6 values but the header has 5 columns",
    ),
    (
        "latin-1 file read as UTF-8",
        (HEADER + GOOD + "d6,c6,Société,2024-03-05,6\n").encode("latin-1"),
        (),
        3,
        "name",
        "not valid utf-8 text (byte 0xe9); if it was saved by Excel",
    ),
    (
        "wrong delimiter",
        HEADER.replace(",", ";") + GOOD.replace(",", ";"),
        ("--delimiter", ","),
        1,
        None,
        "column 'deal_id;contact_id;name;created_at;am...': the whole header is one column: "
        "the file seems to be separated by ';', not ','; use --delimiter ';'",
    ),
    ("empty file", "", (), None, None, "the file is empty"),
    ("blank file", "\n  \n", (), None, None, "the file is empty"),
    (
        "--map to a column the table lacks",
        HEADER + GOOD,
        ("--map", "name=title"),
        None,
        None,
        "table 'deals' has no column 'title'",
    ),
    (
        "--map from a header the file lacks",
        HEADER + GOOD,
        ("--map", "Deal Title=name"),
        1,
        None,
        "the file has no column 'Deal Title'",
    ),
    (
        "not a boolean",
        "deal_id,contact_id,created_at,won\nd5,c5,2024-03-05,maybe\n",
        (),
        2,
        "won",
        "not true/false: 'maybe'",
    ),
]


@pytest.mark.parametrize(
    ("content", "args", "row", "column", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_csv_is_one_clear_error_and_changes_nothing(
    store: Path,
    tmp_path: Path,
    content: str | bytes,
    args: tuple[str, ...],
    row: int | None,
    column: str | None,
    words: str,
) -> None:
    file = tmp_path / "deals.csv"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        write(file, content)
    before = snapshot(store)
    result = run_import(store, "deals", file, *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert "Traceback" not in result.output
    assert message.startswith(f"error: {file}")
    assert words in message
    if row is not None:
        assert f", row {row}" in message
    if row is not None and row > 1:
        assert "the file's first line is row 1" in message
    if column is not None:
        assert f"column '{column}'" in message
    assert_same(before, snapshot(store))


def test_failed_import_is_in_the_run_log(store: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", HEADER + "d6,c6,Six,2024-03-05,-6\n")
    assert run_import(store, "deals", file).exit_code == 1
    with Store.open(store, read_only=True) as s:
        runs = s.runs()
    last = runs.row(-1, named=True)
    assert (last["kind"], last["target"], last["status"]) == ("import", f"deals {file}", "error")
    assert "must not be negative" in last["error"]


def test_unknown_table_lists_tables(store: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "d.csv", HEADER + GOOD)
    result = run_import(store, "dealz", file)
    assert result.exit_code == 1
    assert "unknown table 'dealz'; tables are: account_daily, accounts, contacts" in result.stderr


def test_missing_file(store: Path, tmp_path: Path) -> None:
    before = snapshot(store)
    result = run_import(store, "deals", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: no such file"
    assert_same(before, snapshot(store))


def test_xlsx_bad_date_names_the_excel_row(store: Path, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Deal ID", "Contact ID", "Create Date", "Amount"],
        ["d5", "c5", "2024-03-05", 5],
        [],
        ["d6", "c6", "05/03/2024", 6],
    ]
    file = _xlsx(tmp_path / "deals.xlsx", rows)
    before = snapshot(store)
    result = run_import(store, "deals", file)
    assert result.exit_code == 1
    assert ", row 4, column 'Create Date': ambiguous date '05/03/2024'" in result.stderr
    assert_same(before, snapshot(store))


def test_xlsx_unknown_sheet_lists_sheets(store: Path, tmp_path: Path) -> None:
    file = _xlsx(tmp_path / "deals.xlsx", [["deal_id"], ["d1"]])
    result = run_import(store, "deals", file, "--sheet", "Nope")
    assert result.exit_code == 1
    assert "no sheet 'Nope'; the sheets are: Deals" in result.stderr


def test_debug_shows_the_traceback(store: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from socialroi.cli import main

    file = write(tmp_path / "d.csv", HEADER + "d6,c6,Six,2024-03-05,-6\n")
    args = ["--debug", "import", "deals", str(file), "--store", str(store)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "must not be negative" in result.stderr
