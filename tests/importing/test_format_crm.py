"""CRM export formats: HubSpot contacts/deals, Salesforce reports, Pipedrive deals (5 languages)."""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from socialroi.adapters import hubspot
from socialroi.adapters._raw import open_book
from socialroi.adapters.formats import Loaded, ReadOptions, detect
from socialroi.errors import DataError

NATIVE = Path(__file__).parent.parent / "fixtures" / "native"


def t(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def load(name: str, expected: str, **options: str) -> Loaded:
    book = open_book(NATIVE / name)
    fmt = detect(book)
    assert fmt is not None
    assert fmt.name == expected
    return fmt.read(book, ReadOptions(**options))  # type: ignore[arg-type]


def rows(df: pl.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    return df.select(columns).rows()


def test_hubspot_contacts_give_contacts_leads_and_labelled_source_touches() -> None:
    got = load("hubspot-contacts.csv", "hubspot-contacts")
    contacts = got.tables["contacts"]
    # "Contact owner" holds names, not ids: the column is not loaded, and said so
    assert contacts.columns == ["contact_id", "name", "email", "company", "created_at", "handle_x"]
    assert "Contact owner" in got.ignored
    assert rows(contacts.head(2), "contact_id", "name", "company", "created_at", "handle_x") == [
        ("1001", "Ada Lovelace", "Analytical Ltd", t(9, 3, 14, 22), "ada_l"),
        ("1002", "Grace Hopper", "Hopper Inc", t(9, 4, 9), None),
    ]
    # leads: Became a Lead Date, else a stage at/after lead at the create date; the source enum
    assert got.tables["leads"].rows() == [
        ("1001", "1001", t(9, 15, 10, 5), "SOCIAL_MEDIA"),
        ("1002", "1002", t(9, 4, 9), "PAID_SOCIAL"),  # MQL, no date
        ("1004", "1004", t(9, 12, 8), "SOCIAL_MEDIA"),
        ("1005", "1005", t(9, 7, 17, 30), "OFFLINE"),
    ]
    touches = got.tables["touchpoints"]
    assert rows(touches, "contact_id", "ts", "channel", "ref", "platform", "kind") == [
        # "Social media" / "LinkedIn" at the create date: LinkedIn revenue is social
        ("1001", t(9, 3, 14, 22), "linkedin", "hubspot:first:1001", "linkedin", "web"),
        ("1002", t(9, 4, 9), "paid_social", "hubspot:first:1002", "facebook", "paid"),
        ("1002", t(9, 20, 16, 30), "direct", "hubspot:latest:1002", None, "direct"),
        ("1003", t(9, 5, 11, 45), "organic_search", "hubspot:first:1003", None, "search"),
        ("1004", t(9, 6, 8), "x", "hubspot:first:1004", "x", "web"),
        ("1004", t(9, 25, 7, 10), "email", "hubspot:latest:1004", None, "email"),
        # 1005 is "Offline sources": no touch
        ("1006", t(9, 18, 12), "instagram", "hubspot:first:1006", "instagram", "web"),
    ]
    assert got.mapping["Original Source Drill-Down 1"].startswith("touchpoints.platform")


def test_hubspot_deals_close_date_is_expected_close_on_open_deals() -> None:
    got = load("hubspot-deals.csv", "hubspot-deals")
    deals = got.tables["deals"]
    cols = ("deal_id", "contact_id", "created_at", "closed_at", "expected_close", "won", "amount")
    assert rows(deals, *cols) == [
        ("2001", "1001", t(9, 20, 9), t(10, 20, 12), None, True, 12500.0),  # first of "1001;1002"
        # open: Close Date is only the expected close; the contact named by e-mail
        ("2002", "grace@hopper.example", t(9, 22, 10, 30), None, t(12, 15), None, 4000.0),
        ("2003", "1004", t(9, 10, 8, 15), t(10, 5, 16, 45), None, False, 900.0),
        # a customised German stage label: won
        ("2005", "1006", t(9, 28, 11), t(10, 28, 9, 30), None, True, 3200.5),
    ]
    assert got.warnings == [
        "HubSpot deal 2004 (row 5): no associated contact, so it is not loaded",
        "1 deals name their contact by e-mail (rows 3); "
        "they are matched to stored contacts on load",
    ]


def test_salesforce_opportunities_report() -> None:
    got = load("salesforce-opportunities-report.csv", "salesforce-report")
    cols = ("deal_id", "contact_id", "created_at", "closed_at", "expected_close", "won", "amount")
    assert rows(got.tables["deals"], *cols) == [
        ("0065g00000AbCd1", "0035g00000QwEr1", t(8, 14), t(9, 28), None, True, 50000.0),
        ("0065g00000AbCd2", "0035g00000QwEr2", t(9, 2), None, t(12, 15), None, 1200.0),
        ("0065g00000AbCd3", "0035g00000QwEr3", t(7, 21), t(9, 30), None, False, 8000.0),
        ("0065g00000AbCd5", "0035g00000QwEr5", t(9, 11), t(10, 3), None, True, 2500.0),
    ]
    assert got.warnings == [
        "Salesforce opportunity 0065g00000AbCd4 (row 5): no Contact ID, so it is not loaded"
    ]
    assert rows(got.tables["touchpoints"], "contact_id", "ts", "channel", "platform", "kind") == [
        ("0035g00000QwEr1", t(8, 14), "linkedin", "linkedin", "web"),
        ("0035g00000QwEr2", t(9, 2), "social_other", None, "web"),
        ("0035g00000QwEr3", t(7, 21), "referral", None, "referral"),
        ("0035g00000QwEr5", t(9, 11), "other", None, "web"),
    ]
    assert got.tables["contacts"].row(0) == ("0035g00000QwEr1", "Acme Corp")
    assert any("Grand Totals" in n for n in got.notes)


def test_salesforce_leads_report_with_day_first_dates() -> None:
    got = load("salesforce-leads-report.csv", "salesforce-report")
    assert got.tables["leads"].rows() == [
        ("00Q5g000004Ab01", "00Q5g000004Ab01", t(9, 28), "Social Media"),
        ("00Q5g000004Ab02", "0035g00000QwEr9", t(9, 3), "LinkedIn"),  # converted: its contact
        ("00Q5g000004Ab03", "00Q5g000004Ab03", t(10, 15), "Phone Inquiry"),
        ("00Q5g000004Ab04", "00Q5g000004Ab04", t(10, 1), "Hackathon"),
    ]
    assert rows(got.tables["contacts"].head(1), "contact_id", "name", "email", "company") == [
        ("00Q5g000004Ab01", "Jane Doe", "jane@doe.example", "Doe Ltd")
    ]
    assert rows(got.tables["touchpoints"], "contact_id", "channel", "kind") == [
        ("00Q5g000004Ab01", "social_other", "web"),
        ("0035g00000QwEr9", "linkedin", "web"),
        ("00Q5g000004Ab03", "offline", "event"),
    ]
    assert "Lead Source values that name no channel, so no touch: Hackathon (1)" in got.notes


PIPEDRIVE = {
    # language: (file, currency, [(deal_id, won, closed_at, expected_close, amount)])
    "en": ("pipedrive-deals-en.csv", "USD", [
        ("101", True, t(3, 2, 10), None, 15000.0),
        ("102", None, None, t(4, 30), 4200.5),
        ("103", False, t(2, 28, 17, 30), None, 900.0),
    ]),
    "de": ("pipedrive-deals-de.csv", "EUR", [
        ("201", True, t(3, 10, 9), None, 12500.5),  # "Gewonnen", value "12500,50"
        ("202", False, t(2, 25, 16), None, 800.0),  # "Verloren"
        ("203", None, None, t(4, 30), 3400.0),  # "Offen"
    ]),
    "fr": ("pipedrive-deals-fr.csv", "EUR", [
        ("301", True, t(2, 20, 15), None, 12500.5),
        ("302", False, t(2, 27, 11), None, 8000.0),
        ("303", None, None, t(4, 15), 2300.0),
    ]),
    "es": ("pipedrive-deals-es.csv", "EUR", [
        ("401", True, t(2, 10, 18), None, 9900.0),
        ("402", False, t(2, 20, 13), None, 1500.0),
        ("403", None, None, t(5, 10), 4800.0),
    ]),
    "pt": ("pipedrive-deals-pt.csv", "EUR", [
        ("501", True, t(2, 26, 9, 15), None, 7000.0),
        ("502", False, t(2, 19, 17), None, 1200.0),
        ("503", None, None, t(4, 30), 5600.0),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(PIPEDRIVE))
def test_pipedrive_deals_in_each_language(language: str) -> None:
    name, currency, expected = PIPEDRIVE[language]
    got = load(name, "pipedrive-deals", currency=currency)
    deals = got.tables["deals"]
    assert rows(deals, "deal_id", "won", "closed_at", "expected_close", "amount") == expected
    # the contact is the person's e-mail, lower-cased, with a contacts row
    contacts = got.tables["contacts"]
    assert deals["contact_id"].is_in(contacts["contact_id"]).all()
    assert (contacts["contact_id"] == contacts["email"]).all()


def test_pipedrive_english_details() -> None:
    got = load("pipedrive-deals-en.csv", "pipedrive-deals", currency="USD")
    assert got.tables["contacts"].row(0) == (
        "jane.doe@acme.example",
        "jane.doe@acme.example",
        "Jane Doe",
        "Acme Corp",
    )
    assert rows(got.tables["touchpoints"], "contact_id", "ts", "channel", "platform") == [
        ("jane.doe@acme.example", t(1, 30, 15, 55, 37), "linkedin", "linkedin"),
        ("tom@berg.example", t(2, 10, 9, 12), "social_other", None),
    ]
    assert "1 deleted deals skipped" in got.notes
    assert got.warnings == [
        "Pipedrive deal 105 (row 6): its person has no e-mail, so it is not loaded"
    ]


def test_pipedrive_money_in_another_currency_is_refused() -> None:
    with pytest.raises(DataError) as err:
        load("pipedrive-deals-de.csv", "pipedrive-deals", currency="USD")
    assert err.value.row == 2
    assert err.value.column == "Deal - Währung"


def test_the_hubspot_pull_reads_export_labels_like_api_names() -> None:
    label = {"id": "7", "properties": {"createdate": "2026-09-03T14:22:00Z",
             "hs_analytics_source": "Social media", "hs_analytics_source_data_1": "LinkedIn",
             "lifecyclestage": "Marketing Qualified Lead"}}  # fmt: skip
    enum = {
        "id": "7",
        "properties": {
            **label["properties"],  # type: ignore[dict-item]
            "hs_analytics_source": "SOCIAL_MEDIA",
            "lifecyclestage": "marketingqualifiedlead",
        },
    }
    a, b = hubspot.contact_tables([label]), hubspot.contact_tables([enum])
    for name in ("leads", "touchpoints"):
        assert a[name].equals(b[name])
    assert a["touchpoints"].select("channel", "platform").row(0) == ("linkedin", "linkedin")
    assert hubspot.source_key("Offline sources") == "OFFLINE"
    assert hubspot.source_key("AI referrals") == "AI_REFERRALS"
