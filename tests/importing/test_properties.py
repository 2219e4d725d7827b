"""Whatever polars writes as CSV, the importer reads back unchanged."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi import schema
from socialroi.adapters import _headers
from socialroi.adapters.files import read_table_file

text = (
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1)
    .map(str.strip)
    .filter(bool)
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
money = st.floats(min_value=0, max_value=1e12, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(text, moments, st.none() | money, st.none() | st.booleans()), max_size=8))
def test_csv_written_by_polars_reads_back_equal(
    rows: list[tuple[str, datetime, float | None, bool | None]],
) -> None:
    df = pl.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(len(rows))],
            "contact_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "created_at": [r[1] for r in rows],
            "won": [r[3] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema_overrides={"created_at": pl.Datetime("us", "UTC"), "amount": pl.Float64},
    )
    expected = schema.conform("deals", df)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "deals.csv"
        expected.write_csv(file)
        got = read_table_file("deals", file)
    assert got.equals(expected)


def test_documented_aliases_are_the_ones_used() -> None:
    doc = _headers.__doc__ or ""
    for name, columns in _headers.ALIASES.items():
        table = schema.table(name)
        canonical = {_headers.norm(c): c for c in table.names}
        assert len(canonical) == len(table.names), name
        for column, aliases in columns.items():
            assert column in table.names, (name, column)
            for alias in aliases:
                assert alias in doc, alias
                # an alias never reads as a canonical name, its own (redundant) or another's
                assert _headers.norm(alias) not in canonical, (name, alias)
