"""Redaction that cannot merge people: 64-bit pseudonyms, applied to a finished result only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pytest

from socialroi.core import redact
from socialroi.core.kpis import Analysis, compute
from socialroi.core.redact import (
    CODE_BITS,
    pseudonym,
    pseudonyms,
    redact_result,
    redact_run_log,
)
from socialroi.errors import DataError
from tests.reports.fixture import AS_OF, tables

SALT = bytes.fromhex("5a" * 32)
CONTACT_NAMES = {"Carla Ruiz", "Dan Wu", "Eve Stone", "Fay Lin"}
CONTACT_IDS = {"c1", "c2", "c3", "c4"}


def test_pseudonyms_carry_64_bits():
    assert CODE_BITS >= 64
    p = pseudonym("c1", field="contact_id", salt=SALT)
    assert p.startswith("c-")
    assert len(p) == 2 + 16
    int(p[2:], 16)  # hex


@pytest.mark.slow  # 300,000 pseudonyms
def test_300k_contacts_get_300k_pseudonyms_where_32_bits_collide():
    ids = [f"contact-{i:07d}" for i in range(300_000)]
    mapping = pseudonyms(ids, field="contact_id", salt=SALT)
    assert len(set(mapping.values())) == 300_000
    # the same ids cut to 32 bits (the old pseudonym) do collide: about n²/2³³ ≈ 10 pairs
    short = {v[: 2 + 8] for v in mapping.values()}
    assert 0 < 300_000 - len(short) < 40


def test_a_shared_pseudonym_is_an_error_not_a_merge(monkeypatch):
    monkeypatch.setattr(redact, "CODE_CHARS", 1)  # 16 pseudonyms for 100 ids
    with pytest.raises(DataError, match="share a pseudonym"):
        pseudonyms([f"c{i}" for i in range(100)], field="contact_id", salt=SALT)


def frames(obj: object, path: str = "a") -> Iterator[tuple[str, pl.DataFrame]]:
    if isinstance(obj, pl.DataFrame):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from frames(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from frames(v, f"{path}[{k}]")


def text_cells(df: pl.DataFrame) -> set[str]:
    out: set[str] = set()
    for c, dtype in df.schema.items():
        if dtype == pl.String:
            out |= set(df[c].drop_nulls().to_list())
    return out


@pytest.fixture(scope="module")
def plain() -> Analysis:
    return compute(tables(), as_of=AS_OF, model="linear", currency="EUR")


@pytest.fixture(scope="module")
def redacted(plain: Analysis) -> Analysis:
    return redact_result(plain, tables(), salt=SALT)


def test_the_figures_of_a_redacted_result_are_the_plain_ones(plain, redacted):
    assert redacted.redacted
    assert not plain.redacted
    assert redacted.summary == plain.summary
    assert redacted.summary.revenue == pytest.approx(2500.0)
    for name in ("roi_platform", "roi_employee", "roi_month", "monthly", "models", "funnel"):
        assert getattr(redacted, name).equals(getattr(plain, name)), name
    assert redacted.network.chains["network_revenue"].to_list() == [1000.0]
    assert redacted.traced["amount"].to_list() == plain.traced["amount"].to_list()


def test_no_contact_name_or_id_is_left_in_any_frame(plain, redacted):
    shown = {
        path: text_cells(df) for path, df in frames(redacted) if not path.startswith("a.pipeline")
    }
    assert shown  # frames were found
    before = set().union(*(text_cells(df) for _, df in frames(plain)))
    assert before >= CONTACT_NAMES  # the check can fail
    assert before >= CONTACT_IDS
    for path, cells in shown.items():
        assert not cells & CONTACT_NAMES, path
        assert not cells & CONTACT_IDS, path


def test_one_person_has_one_pseudonym_everywhere_and_staff_keep_their_names(redacted):
    carla = pseudonym("Carla Ruiz", field="name", salt=SALT)
    c1 = pseudonym("c1", field="contact_id", salt=SALT)
    assert carla in set(redacted.traced["contact_name"])
    assert redacted.network.chains["root_name"].to_list() == [carla]
    assert redacted.network.chains["root_id"].to_list() == [c1]
    assert c1 in set(redacted.credits["linear"]["contact_id"])
    influence = redacted.network.influence
    staff = influence.filter(pl.col("kind") == "employee")
    assert "Ana Diaz" in set(staff["name"])  # employees are not redacted
    assert set(staff["node"]) <= {"e1", "e2"}
    people = influence.filter(pl.col("kind") == "contact")
    assert all(n.startswith("c-") for n in people["node"])
    assert "Ana Diaz" in set(redacted.roi_employee["name"])


def test_the_run_log_keeps_no_path_or_cell_value():
    runs = pl.DataFrame(
        {
            "kind": ["import", "pull", "import"],
            "target": ["/home/ann/exports/deals 2025.csv", "linkedin", "C:\\Users\\ann\\a.xlsx"],
            "started_at": [datetime(2025, 3, 1, tzinfo=UTC)] * 3,
            "error": [
                "/home/ann/exports/deals 2025.csv, row 12, column 'amount': '1e308' is beyond "
                "the ceiling of 1e12",
                "linkedin: HTTP 403 for https://api.linkedin.com/rest/x?q=Carla",
                None,
            ],
        }
    )
    out = redact_run_log(runs)
    assert out["target"].to_list() == ["file", "linkedin", "file"]
    assert out["error"].to_list() == [
        "row 12, column 'amount': details hidden in a redacted report",
        "details hidden in a redacted report",
        None,
    ]
    assert out["started_at"].equals(runs["started_at"])


def test_the_run_log_of_a_result_is_redacted(plain):
    runs = pl.DataFrame(
        {
            "kind": ["import"],
            "target": ["/srv/data/contacts.csv"],
            "started_at": [AS_OF],
            "error": ["/srv/data/contacts.csv, row 3, column 'email': 'dan@wu.example' bad"],
        }
    )
    a = dataclasses.replace(plain, quality=dataclasses.replace(plain.quality, failed_runs=runs))
    shown = redact_result(a, tables(), salt=SALT).quality.failed_runs
    assert shown.row(0) == (
        "import",
        "file",
        AS_OF,
        "row 3, column 'email': details hidden in a redacted report",
    )


def test_a_redacted_report_shows_no_path_or_cell_value_of_the_run_log(plain):
    from socialroi.reports._quality_section import quality_section

    runs = pl.DataFrame(
        {
            "kind": ["import"],
            "target": ["/home/ann/crm/deals.csv"],
            "started_at": [AS_OF],
            "error": ["/home/ann/crm/deals.csv, row 9, column 'amount': '1e308' is too big"],
        }
    )
    quality = dataclasses.replace(plain.quality, failed_runs=runs)
    shown = quality_section(dataclasses.replace(plain, quality=quality, redacted=True), "")
    assert "/home/ann" not in shown
    assert "1e308" not in shown
    assert "row 9, column &#x27;amount&#x27;: details hidden in a redacted report" in shown
    unredacted = quality_section(dataclasses.replace(plain, quality=quality), "")
    assert "/home/ann/crm/deals.csv" in unredacted  # not redacted: shown as it is
