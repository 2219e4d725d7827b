"""CRM exports as HubSpot and Salesforce write them, imported without --map."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from socialroi import Store
from socialroi.adapters.files import read_table_file
from tests.importing.conftest import run_import, write

FIXTURES = Path(__file__).parent / "fixtures"
HUBSPOT_DEALS = FIXTURES / "hubspot-deals.csv"  # HubSpot "Export deals", default columns
SALESFORCE_OPPORTUNITIES = FIXTURES / "salesforce-opportunities.csv"  # Data Loader, API names


def test_hubspot_deals_export() -> None:
    df = read_table_file("deals", HUBSPOT_DEALS)
    assert df.rows() == [
        (
            "9001",
            "501",  # the first associated contact
            "Acme renewal",
            datetime(2024, 3, 5, 14, 22, tzinfo=UTC),
            datetime(2024, 4, 2, 9, 15, tzinfo=UTC),
            None,  # closed: no expected close
            "closedwon",
            True,  # from the stage: the export has no won column
            12500.0,
        ),
        (
            "9002",
            "503",
            "Beta pilot",
            datetime(2024, 3, 6, 8, tzinfo=UTC),
            datetime(2024, 4, 10, tzinfo=UTC),
            None,
            "closedlost",
            False,
            900.0,
        ),
        (
            "9003",
            "504",
            "Gamma",
            datetime(2024, 3, 7, 10, 30, tzinfo=UTC),
            None,
            None,  # open and no close date in the file
            "appointmentscheduled",
            None,
            None,
        ),
    ]


def test_salesforce_opportunities_export() -> None:
    df = read_table_file("deals", SALESFORCE_OPPORTUNITIES)
    assert df.rows() == [
        (
            "0065g00000AbCdEAAV",
            "0035g00000QwErTAAV",
            "Acme - 50 seats",
            datetime(2024, 3, 5, 14, 22, tzinfo=UTC),
            datetime(2024, 5, 31, tzinfo=UTC),
            None,
            "Closed Won",
            True,
            50000.0,
        ),
        (
            "0065g00000AbCdFAAV",
            "0035g00000QwErUAAV",
            "Beta - pilot",
            datetime(2024, 3, 6, 7, tzinfo=UTC),  # +0200 converted to UTC
            datetime(2024, 7, 1, tzinfo=UTC),
            None,  # the file's IsWon column decides, so the close date stays as given
            "Prospecting",
            False,  # IsWon wins over the stage
            1200.0,
        ),
    ]


def test_salesforce_report_labels_and_stage_won(tmp_path: Path) -> None:
    text = (
        "Opportunity ID,Opportunity Name,Contact ID,Stage,Created Date,Close Date,Amount\n"
        "o1,A,c1,Closed Won,2024-01-02,2024-02-01,10\n"
        "o2,B,c2,Closed Lost,2024-01-03,2024-02-02,20\n"
    )
    df = read_table_file("deals", write(tmp_path / "report.csv", text))
    assert df.select("deal_id", "contact_id", "name", "won").rows() == [
        ("o1", "c1", "A", True),
        ("o2", "c2", "B", False),
    ]


def test_hubspot_contacts_join_first_and_last_name(tmp_path: Path) -> None:
    text = (
        "Record ID,First Name,Last Name,Email,Company Name,Create Date,"
        "Lead Status,Original Source\n"
        "501,Jo,Bloggs,jo@acme.test,Acme,2024-03-01 10:00,NEW,SOCIAL_MEDIA\n"
        "502,,Solo,solo@acme.test,Acme,2024-03-01 11:00,OPEN,ORGANIC_SEARCH\n"
        "503,,,x@y.test,,2024-03-01 12:00,,\n"
    )
    df = read_table_file("contacts", write(tmp_path / "hubspot-contacts.csv", text))
    assert df.select("contact_id", "name", "email", "company", "created_at").rows() == [
        ("501", "Jo Bloggs", "jo@acme.test", "Acme", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("502", "Solo", "solo@acme.test", "Acme", datetime(2024, 3, 1, 11, tzinfo=UTC)),
        ("503", None, "x@y.test", None, datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ]


def test_salesforce_contacts_and_leads(tmp_path: Path) -> None:
    contacts = (
        "Id,FirstName,LastName,Email,CreatedDate,OwnerId\n"
        "c1,Ann,Lee,a@x.test,2024-01-01T00:00:00.000+0000,u1\n"
    )
    df = read_table_file("contacts", write(tmp_path / "Contact.csv", contacts))
    assert df.select("contact_id", "name", "owner_employee_id").rows() == [("c1", "Ann Lee", "u1")]
    leads = (
        "Id,ConvertedContactId,CreatedDate,LeadSource,Status\n"
        "l1,c1,2024-01-01T00:00:00.000+0000,LinkedIn,Converted\n"
    )
    df = read_table_file("leads", write(tmp_path / "Lead.csv", leads))
    assert df.rows() == [("l1", "c1", datetime(2024, 1, 1, tzinfo=UTC), "LinkedIn")]


def test_hubspot_deals_import_through_the_cli(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    result = run_import(store, "deals", HUBSPOT_DEALS)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("deals: 3 rows read from ")
    assert "3 written (3 new, 0 updated)" in result.stdout
    with Store.open(store, read_only=True) as s:
        assert s.read("deals")["deal_id"].to_list() == ["9001", "9002", "9003"]
