"""A store holding an absurd amount (written by the Python API, not an import) gives a one-line
error or a report, never a traceback."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from socialroi import Store
from socialroi.cli import main
from tests.reports.fixture import AS_OF, tables


@pytest.fixture(scope="module")
def absurd_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("absurd") / "s.duckdb"
    t = tables()
    won = pl.col("won").fill_null(False)
    t["deals"] = t["deals"].with_columns(
        pl.when(won).then(pl.lit(1e308)).otherwise(pl.col("amount")).alias("amount")
    )
    with Store.open(path) as store:
        store.upsert_many(t)
        store.set_meta("as_of", AS_OF.isoformat())
    return path


def test_policy_compare_says_which_estimate_broke(absurd_store: Path) -> None:
    res = CliRunner().invoke(main, ["policy", "compare", "--store", str(absurd_store)])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert res.stderr.startswith(
        "error: deals (deal_id=D1): amount 1e+308 is beyond the largest amount socialroi accepts"
    )
    assert not isinstance(res.exception, ValueError)


def test_report_does_not_print_a_traceback(absurd_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", "--store", str(absurd_store), "--out", str(out)])
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 1), res.output
    if res.exit_code == 1:
        assert res.stderr.startswith("error: ")
    else:
        assert out.exists()
