"""One pipeline, the same numbers everywhere: `roi`, `attribute` on the store, `export` (CSV and
XLSX) and the HTML report agree to the cent, for the chosen model and for periods (a quarter is
the sum of its months), on the hand-made firm of tests/reports/fixture.py and on the demo."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from socialroi import Store
from socialroi.cli import main
from socialroi.core.vocabulary import money
from socialroi.demo import DemoCompany, write_demo
from tests.demo.conftest import demo  # noqa: F401 - the session demo company, built once

pytestmark = pytest.mark.slow  # many CLI runs on the whole demo

CENT = 0.005


def _run(*argv: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in argv])
    assert result.exit_code == 0, result.output
    return result


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _roi(store: Path, *args: str) -> dict[str, dict[str, float]]:
    out = _run("roi", "--store", store, "--format", "csv", *args).stdout
    return {
        r["platform"]: {k: float(v or 0) for k, v in r.items() if k != "platform"}
        for r in _rows(out)
    }


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, demo: DemoCompany) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("consistency") / "demo.duckdb"
    with Store.open(path) as store:
        write_demo(demo, store)
    return path


@pytest.fixture(params=["fixture", "demo"])
def store(request: pytest.FixtureRequest) -> Path:
    name = "fixture_store" if request.param == "fixture" else "demo_store"
    path: Path = request.getfixturevalue(name)
    return path


@pytest.mark.parametrize("model", ["linear", "first_touch"])
def test_roi_attribute_export_and_report_agree(store, model, tmp_path):
    roi = _roi(store, "--model", model)
    credited = sum(r["revenue"] for r in roi.values())
    # attribute on the store: the same credits, per platform, as roi's
    attributed = _rows(
        _run(
            "attribute", "--store", store, "--model", model, "--by", "platform", "--format", "csv"
        ).stdout
    )
    by_platform = {r["platform"]: float(r["value"]) for r in attributed}
    for platform, row in roi.items():
        if platform != "(shared)":
            assert by_platform.get(platform, 0.0) == pytest.approx(row["revenue"], abs=CENT), (
                platform
            )
    # the stderr total line of the table format names both figures
    table = _run("roi", "--store", store, "--model", model)
    assert f"social-credited revenue {money(credited, _currency(store))}" in table.stderr
    assert "social-sourced revenue" in table.stderr
    assert table.stderr.startswith("as of ")
    # export: the summary's figures are roi's
    out = tmp_path / "export"
    _run("export", "--store", store, "--model", model, "--out", out, "--format", "csv")
    (summary,) = _rows((out / "summary.csv").read_text(encoding="utf-8"))
    assert float(summary["social_credited"]) == pytest.approx(credited, abs=CENT)
    assert float(summary["revenue"]) == pytest.approx(credited, abs=CENT)
    assert float(summary["cost"]) == pytest.approx(sum(r["cost"] for r in roi.values()), abs=CENT)
    platforms = {
        r["platform"]: float(r["revenue"])
        for r in _rows((out / "roi_platform.csv").read_text("utf-8"))
    }
    assert platforms == pytest.approx({p: r["revenue"] for p, r in roi.items()}, abs=CENT)
    _run("export", "--store", store, "--model", model, "--out", out, "--format", "xlsx")
    from openpyxl import load_workbook

    book = load_workbook(out / "socialroi-export.xlsx", read_only=True)
    head, values = list(book["summary"].iter_rows(values_only=True))[:2]
    row = dict(zip(head, values, strict=False))
    assert float(row["social_credited"]) == pytest.approx(credited, abs=CENT)
    # the report's summary cards show both figures, rounded as money
    doc = _run(
        "report", "--store", store, "--model", model, "--out", tmp_path / "r.html"
    ).stdout.strip()
    html = Path(doc).read_text(encoding="utf-8")
    cards = html[html.index('<section id="summary">') : html.index('<section id="deals">')]
    assert "Social-credited revenue" in cards
    assert "Social-sourced revenue" in cards
    assert money(credited, _currency(store)) in cards
    assert money(float(summary["social_sourced"]), _currency(store)) in cards


def _currency(store: Path) -> str:
    with Store.open(store, read_only=True) as s:
        return s.get_meta("currency") or "USD"


def _quarter_of(store: Path) -> tuple[str, list[str]]:
    """The last quarter whose three months all hold data, and its months."""
    rows = json.loads(_run("roi", "--store", store, "--by", "month", "--format", "json").stdout)
    have = {m["month"][:7] for m in rows}
    for year in sorted({int(m[:4]) for m in have}, reverse=True):
        for q in (3, 2, 1, 0):
            months = [f"{year}-{3 * q + k:02d}" for k in (1, 2, 3)]
            if set(months) <= have:
                return f"{year}Q{q + 1}", months
    pytest.fail("no complete quarter")


def test_a_quarter_is_the_sum_of_its_months(store):
    quarter, months = _quarter_of(store)
    whole = _roi(store, "--period", quarter)
    parts = [_roi(store, "--period", m) for m in months]
    for column in ("revenue", "cost", "leads", "deals", "pipeline"):
        total = sum(r[column] for r in whole.values())
        summed = sum(r[column] for part in parts for r in part.values())
        assert total == pytest.approx(summed, abs=CENT), column
    # roi --by month with --period: the period's months, the same numbers
    by_month = json.loads(
        _run(
            "roi", "--store", store, "--by", "month", "--period", quarter, "--format", "json"
        ).stdout
    )
    assert [m["month"][:7] for m in by_month] == [
        m for m in months if m in {b["month"][:7] for b in by_month}
    ]
    assert sum(m["revenue"] for m in by_month) == pytest.approx(
        sum(r["revenue"] for r in whole.values()), abs=CENT
    )


def test_a_period_without_data_is_an_error(store):
    result = CliRunner().invoke(main, ["roi", "--store", str(store), "--period", "2001-01"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no data in period January 2001")
    later = CliRunner().invoke(
        main, ["roi", "--store", str(store), "--as-of", "2040-06-30", "--period", "last-month"]
    )
    assert later.exit_code == 1
    # at the end of June, June is the last complete month
    assert "no data in period June 2040" in later.stderr
