"""A small firm's month of downloaded files, imported as they come, to the numbers on the report.

tests/e2e/firm/ holds what "Nordlicht Consulting" downloads at the start of October 2026: HubSpot
contacts and deals, a Meta Ads Manager and a LinkedIn Campaign Manager campaign report, a Google
Ads campaign report and a GA4 traffic acquisition report, each in the platform's own layout
(title lines, comment preamble, footer rows, byte-order mark, "4,500" amounts). No file was
edited and no option names a format.

Hand counts (every contact has one touch, its HubSpot original source, made at its create date;
every deal closes within 90 days of it, so every model credits that one touch in full):

=========  =======================  ============  =========================================
contact    original source          deal          counts as
=========  =======================  ============  =========================================
101 Anna   Social media / LinkedIn  9001 won      linkedin revenue 12,000
102 Ben    Social media / Facebook  9002 won      facebook revenue 4,500 (written "4,500")
103 Cara   Paid social / LinkedIn   9003 open     linkedin pipeline 8,000 (close date = expected)
104 Dan    Organic search           9004 won      revenue 3,000, not social
105 Eve    Direct traffic           9005 lost     nothing
=========  =======================  ============  =========================================

Social cost: LinkedIn Campaign Manager 400 + 500 + 350 = 1,250 and Meta Ads Manager 300.00 +
150.50 = 450.50; Google Ads' 800 is a cost but not a social one.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from socialroi import Store
from socialroi.cli import main

pytestmark = pytest.mark.e2e

FIRM = Path(__file__).parent / "firm"
FILES = sorted(FIRM.iterdir())


def _run(tmp_path: Path, *args: str) -> Result:
    config = tmp_path / "socialroi.toml"
    if not config.exists():
        config.write_text(
            '[company]\nname = "Nordlicht Consulting"\ncurrency = "USD"\n'
            '[attribution]\nmodel = "linear"\nlookback_days = 90\n',
            encoding="utf-8",
        )
    argv = [*args, "--store", str(tmp_path / "s.duckdb"), "--config", str(config)]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


@pytest.fixture
def imported(tmp_path: Path) -> Result:
    result = _run(tmp_path, "import", *map(str, FILES))
    assert result.exit_code == 0, result.output
    return result


def test_every_file_is_recognised_by_itself(imported: Result) -> None:
    for name, fmt in [
        ("hubspot-crm-exports-all-contacts-2026-10-01.csv", "hubspot-contacts"),
        ("hubspot-crm-exports-all-deals-2026-10-01.csv", "hubspot-deals"),
        ("Nordlicht-Campaigns-Sep-1-2026-Sep-30-2026.csv", "meta-ads"),
        ("account_508123456_campaign_performance_report.csv", "linkedin-ads"),
        ("Campaign_report_2026-10-01.csv", "google-ads"),
        ("Traffic_acquisition_Session_source_medium.csv", "ga4"),
    ]:
        line = next(x for x in imported.stdout.splitlines() if x.startswith(str(FIRM / name)))
        assert line.endswith(f"({fmt})"), line
    # contacts are loaded before the deals that name them, whatever the order on the command line
    assert imported.stdout.index("all-contacts") < imported.stdout.index("all-deals")


def test_social_revenue_pipeline_and_cost_by_hand(tmp_path: Path, imported: Result) -> None:
    result = _run(tmp_path, "roi", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["platform"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"linkedin", "facebook"}  # google_ads is not a social platform
    linkedin, facebook = rows["linkedin"], rows["facebook"]
    assert (linkedin["revenue"], linkedin["pipeline"], linkedin["cost"]) == (12_000, 8_000, 1_250)
    assert (facebook["revenue"], facebook["pipeline"], facebook["cost"]) == (4_500, 0, 450.5)
    assert linkedin["roi"] == pytest.approx((12_000 - 1_250) / 1_250)
    assert facebook["roi"] == pytest.approx((4_500 - 450.5) / 450.5)


def test_stored_rows_are_the_files_meaning(tmp_path: Path, imported: Result) -> None:
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        deals = store.read("deals").sort("deal_id")
        costs = store.read("costs").sort("platform")
        touches = store.read("touchpoints").sort("contact_id")
        sessions = store.read("sessions")
    open_deal = deals.row(2, named=True)
    assert (open_deal["deal_id"], open_deal["won"], open_deal["closed_at"]) == ("9003", None, None)
    assert open_deal["expected_close"].date().isoformat() == "2026-11-15"
    assert deals["contact_id"].to_list() == ["101", "102", "103", "104", "105"]
    assert costs.select("platform", "amount").rows() == [
        ("facebook", 450.5),
        ("google_ads", 800.0),
        ("linkedin", 1250.0),
    ]
    assert touches.select("contact_id", "channel").rows() == [
        ("101", "linkedin"),
        ("102", "facebook"),
        ("103", "paid_social"),
        ("104", "organic_search"),
        ("105", "direct"),
    ]
    assert sessions["count"].sum() == 14 + 6 + 9 + 40 + 25


def test_importing_the_same_downloads_again_changes_nothing(
    tmp_path: Path, imported: Result
) -> None:
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        before = store.read_all()
    again = _run(tmp_path, "import", *map(str, FILES), "--format", "json")
    assert again.exit_code == 0, again.output
    rows = json.loads(again.stdout)
    assert {r["rows_written"] for r in rows} == {0}
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        after = store.read_all()
    for name, df in before.items():
        assert df.equals(after[name]), name


def test_report_shows_the_social_revenue(tmp_path: Path, imported: Result) -> None:
    out = tmp_path / "report.html"
    result = _run(tmp_path, "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "16,500" in html  # 12,000 LinkedIn + 4,500 Facebook


def _batches(stdout: str) -> dict[str, str]:
    """File name -> the batch id its import printed."""
    out: dict[str, str] = {}
    current = ""
    for line in stdout.splitlines():
        if line.startswith(str(FIRM)):
            current = Path(line.split(":")[0]).name
        elif "socialroi imports undo " in line:
            out[current] = line.split("socialroi imports undo ")[1].rstrip(")")
    return out


def test_undoing_the_deals_import_takes_the_revenue_away(tmp_path: Path, imported: Result) -> None:
    batches = _batches(imported.stdout)
    assert len(batches) == len(FILES)
    undone = _run(
        tmp_path, "imports", "undo", batches["hubspot-crm-exports-all-deals-2026-10-01.csv"]
    )
    assert undone.exit_code == 0, undone.output
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.count("deals") == 0
        assert store.count("contacts") == 5  # the other batches stand
    roi = json.loads(_run(tmp_path, "roi", "--format", "json").stdout)
    assert pl.DataFrame(roi)["revenue"].sum() == 0
