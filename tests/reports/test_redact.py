"""--redact: contacts under stable pseudonyms everywhere, the numbers unchanged."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from socialroi import Settings, Store
from socialroi.analysis import SALT_KEY, analyze
from socialroi.cli import main
from socialroi.core.redact import pseudonym, redact_tables
from socialroi.errors import StoreError
from tests.reports.fixture import tables

NAMES = ("Carla Ruiz", "Dan Wu", "Eve Stone", "Fay Lin")


@given(st.text(min_size=1), st.binary(min_size=1, max_size=8))
def test_pseudonym_is_stable_and_keyed(value, salt):
    p = pseudonym(value, field="name", salt=salt)
    assert p == pseudonym(value, field="name", salt=salt)
    assert p.startswith("Contact ")
    assert len(p) == len("Contact ") + 16  # 64 bits
    assert p != pseudonym(value, field="name", salt=salt + b"!")


def test_redact_tables_keeps_joins():
    t = tables()
    r = redact_tables(t, salt=b"k")
    contacts = r["contacts"]
    assert not set(NAMES) & set(contacts["name"])
    assert all(n.startswith("Contact ") for n in contacts["name"])
    ids = set(contacts["contact_id"])
    assert set(r["deals"]["contact_id"].drop_nulls()) <= ids
    assert set(r["touchpoints"]["contact_id"].drop_nulls()) <= ids
    assert set(contacts["referred_by"].drop_nulls()) <= ids
    assert r["posts"].equals(t["posts"])


@pytest.fixture
def store_copy(fixture_store, tmp_path):
    path = tmp_path / "s.duckdb"
    shutil.copy(fixture_store, path)
    return path


@pytest.mark.slow  # two whole reports
def test_report_redacted_twice_same_pseudonyms_same_numbers(store_copy, tmp_path):
    r = CliRunner()
    docs = []
    for i in (1, 2):
        out = tmp_path / f"r{i}.html"
        res = r.invoke(main, ["report", "--store", str(store_copy), "--redact", "--out", str(out)])
        assert res.exit_code == 0, res.output
        docs.append(out.read_text(encoding="utf-8"))
    assert docs[0] == docs[1]
    for name in NAMES:
        assert name not in docs[0]
    assert "Contact " in docs[0]
    assert "€2,500" in docs[0]  # the numbers do not change
    with Store.open(store_copy, read_only=True) as store:
        salt = store.get_meta(SALT_KEY)
        a = analyze(store, settings=Settings(), redact=True)
        plain = analyze(store, settings=Settings())
    assert salt is not None
    assert len(salt) == 64
    assert a.redacted
    assert a.summary == plain.summary
    assert sorted(a.traced["contact_name"]) == sorted(
        pseudonym(n, field="name", salt=bytes.fromhex(salt)) for n in plain.traced["contact_name"]
    )


def test_read_only_store_without_salt_says_so(fixture_store):
    with (
        Store.open(fixture_store, read_only=True) as store,
        pytest.raises(StoreError, match="salt"),
    ):
        analyze(store, settings=Settings(), redact=True)
