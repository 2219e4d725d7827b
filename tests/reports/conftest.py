from __future__ import annotations

from pathlib import Path

import pytest

from socialroi import Store
from tests.reports.fixture import AS_OF, tables

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="x',
)


def make_store(path: Path, **text: str) -> Path:
    """A store holding the fixture company, with meta as_of, company and currency."""
    with Store.open(path) as store:
        store.upsert_many(tables(**text))
        store.set_meta("as_of", AS_OF.isoformat())
        store.set_meta("company", text.get("company", "Acme Ltd"))
        store.set_meta("currency", "EUR")
    return path


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("store") / "s.duckdb")
