"""HubSpot's contacts and deals exports (CRM › Contacts/Deals › Export), read as the pull reads.

Each row becomes the record the HubSpot API would return (properties by internal name, dates
already read) and goes through the pull's own mapping (:mod:`socialroi.adapters.hubspot`), so a
file and a pull give the same contacts, leads, source touches and deals.

``hubspot-contacts``
    ``Record ID`` → contact id; ``First Name`` + ``Last Name``, ``Email``, ``Company Name`` (or
    ``Associated Company``), ``Create Date``, ``Twitter Username`` → the contact. ``Contact
    owner`` becomes ``owner_employee_id`` only where it holds an owner id (exports usually show
    the owner's name, which is not loaded). A lead comes from ``Became a … Date`` columns or a
    ``Lifecycle Stage`` at or after "Lead" (then at the create date). ``Original Source`` with
    its drill-downs is the first touch (at ``Time First Seen`` when exported, else the create
    date) and ``Latest Source`` with ``Latest Source Timestamp`` the latest one; labels
    (``Social media``, ``Paid social``, ``Organic search``…) and API names (``SOCIAL_MEDIA``) both
    read, and Drill-Down 1 names the network (``LinkedIn`` → channel and platform ``linkedin``).
``hubspot-deals``
    ``Record ID``, ``Deal Name``, ``Deal Stage`` (label or internal id), ``Amount``, ``Create
    Date``, ``Close Date`` (the close of a won or lost deal; on an open deal only the expected
    close). A stage label holding "won" (or gewonnen, gagné, ganado, ganho) is won, "lost" (or
    verloren, perdu, perdido) lost, anything else open. The contact is the first id of
    ``Associated Contact IDs``; without it, the e-mail in ``Associated Contact`` ("Jane Doe
    (jane@example.com)"), which the loader matches to a stored contact's e-mail. A deal with
    neither is not loaded (a warning names its row).

Dates follow the exporting user's HubSpot setting; each column is read with ``--dates`` or its own
unambiguous values (:mod:`socialroi.adapters._values`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from socialroi.adapters import hubspot as pull
from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats._common import header_rule, norm, pick, text, values
from socialroi.adapters.formats._crm import email_in
from socialroi.errors import DataError

#: Contact property → export header labels (current first, older after).
CONTACT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("Record ID", "Contact ID", "Record ID - Contact"),
    "firstname": ("First Name",),
    "lastname": ("Last Name",),
    "email": ("Email", "Email Address"),
    "company": ("Company Name", "Associated Company", "Associated Company (Primary)", "Company"),
    "createdate": ("Create Date", "Create date", "Created Date"),
    "hubspot_owner_id": ("Contact owner", "Contact Owner", "HubSpot Owner ID", "Owner ID"),
    "twitterhandle": ("Twitter Username", "Twitter Handle"),
    "lifecyclestage": ("Lifecycle Stage",),
    "hs_analytics_source": ("Original Source", "Original Source Type"),
    "hs_analytics_source_data_1": ("Original Source Drill-Down 1", "Original Source Data 1"),
    "hs_analytics_source_data_2": ("Original Source Drill-Down 2", "Original Source Data 2"),
    "hs_analytics_first_timestamp": ("Time First Seen", "First Seen", "Time of First Session"),
    "hs_analytics_first_url": ("First Page Seen", "First Page URL"),
    "hs_analytics_first_referrer": ("First Referring Site",),
    "hs_analytics_first_touch_converting_campaign": ("First Touch Converting Campaign",),
    "hs_latest_source": ("Latest Source", "Latest Traffic Source"),
    "hs_latest_source_data_1": (
        "Latest Source Drill-Down 1",
        "Latest Traffic Source Drill-Down 1",
        "Latest Source Data 1",
    ),
    "hs_latest_source_data_2": (
        "Latest Source Drill-Down 2",
        "Latest Traffic Source Drill-Down 2",
        "Latest Source Data 2",
    ),
    "hs_latest_source_timestamp": (
        "Latest Source Timestamp",
        "Latest Traffic Source Timestamp",
        "Latest Source Date",
        "Latest Traffic Source Date",
    ),
    "hs_lifecyclestage_lead_date": ("Became a Lead Date",),
    "hs_lifecyclestage_marketingqualifiedlead_date": (
        "Became a Marketing Qualified Lead Date",
        "Became an MQL Date",
    ),
    "hs_lifecyclestage_salesqualifiedlead_date": (
        "Became a Sales Qualified Lead Date",
        "Became an SQL Date",
    ),
    "hs_lifecyclestage_opportunity_date": ("Became an Opportunity Date",),
    "hs_lifecyclestage_customer_date": ("Became a Customer Date",),
}
#: What each contact property feeds, for the import's header → column report.
CONTACT_TARGETS: dict[str, str] = {
    "id": "contacts.contact_id, leads.lead_id, touchpoints.contact_id",
    "firstname": "contacts.name",
    "lastname": "contacts.name",
    "email": "contacts.email",
    "company": "contacts.company",
    "createdate": "contacts.created_at, leads.created_at, touchpoints.ts",
    "hubspot_owner_id": "contacts.owner_employee_id",
    "twitterhandle": "contacts.handle_x",
    "lifecyclestage": "leads.lead_id",
    "hs_analytics_source": "leads.source, touchpoints.channel, touchpoints.kind",
    "hs_analytics_source_data_1": "touchpoints.platform, touchpoints.channel",
    "hs_analytics_source_data_2": "touchpoints.platform",
    "hs_analytics_first_timestamp": "touchpoints.ts",
    "hs_analytics_first_url": "touchpoints.post_id, touchpoints.employee_id, touchpoints.campaign",
    "hs_analytics_first_referrer": "touchpoints.platform",
    "hs_analytics_first_touch_converting_campaign": "touchpoints.campaign",
    "hs_latest_source": "touchpoints.channel, touchpoints.kind",
    "hs_latest_source_data_1": "touchpoints.platform, touchpoints.channel",
    "hs_latest_source_data_2": "touchpoints.platform",
    "hs_latest_source_timestamp": "touchpoints.ts",
    **dict.fromkeys(pull.LEAD_DATES, "leads.created_at"),
}
#: contacts column → the properties that give it (the column is loaded when the file has one).
CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_id": ("id",),
    "name": ("firstname", "lastname"),
    "email": ("email",),
    "company": ("company",),
    "created_at": ("createdate",),
    "owner_employee_id": ("hubspot_owner_id",),
    "handle_x": ("twitterhandle",),
}
DATE_PROPERTIES = frozenset(
    {
        "createdate",
        "closedate",
        "hs_analytics_first_timestamp",
        "hs_latest_source_timestamp",
        *pull.LEAD_DATES,
    }
)

#: Deal property → export header labels.
DEAL_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("Record ID", "Deal ID", "Record ID - Deal"),
    "dealname": ("Deal Name",),
    "dealstage": ("Deal Stage",),
    "amount": ("Amount", "Amount in company currency"),
    "createdate": ("Create Date", "Created Date"),
    "closedate": ("Close Date",),
    "hs_is_closed_won": ("Is Closed Won",),
    "hs_is_closed": ("Is Closed", "Is closed"),
    "currency": ("Currency", "Deal Currency Code", "Currency Code"),
    "contact_ids": ("Associated Contact IDs", "Associated Contact ID", "Associated Contact IDs"),
    "contact": ("Associated Contact", "Associated Contacts"),
}
DEAL_TARGETS: dict[str, str] = {
    "id": "deals.deal_id",
    "dealname": "deals.name",
    "dealstage": "deals.stage, deals.won, deals.closed_at, deals.expected_close",
    "amount": "deals.amount",
    "createdate": "deals.created_at",
    "closedate": "deals.closed_at, deals.expected_close",
    "hs_is_closed_won": "deals.won",
    "hs_is_closed": "deals.closed_at, deals.expected_close",
    "currency": "(checked against the reporting currency)",
    "contact_ids": "deals.contact_id",
    "contact": "deals.contact_id",
}
_TRUE = frozenset({"true", "yes", "1", "y", "x", "wahr", "ja", "vrai", "oui", "si", "sim"})
_FALSE = frozenset({"false", "no", "0", "n", "falsch", "nein", "faux", "non", "falso", "nao"})


def _headers_of(book: Book) -> set[str]:
    """The normalised cells of the likeliest header row among the first rows of `book`."""
    best: set[str] = set()
    for row in book.peek(rows=15):
        cells = {norm(c) for c in row if c}
        if len(cells) > len(best):
            best = cells
    return best


def _has(cells: set[str], labels: Sequence[str]) -> bool:
    return any(norm(label) in cells for label in labels)


def _columns(
    raw: RawTable, headers: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], list[str]]:
    """property → the file's header feeding it, and the headers no property uses."""
    found: dict[str, str] = {}
    for prop, labels in headers.items():
        hit = pick(raw, *labels)
        if hit is not None and hit not in found.values():
            found[prop] = hit
    used = set(found.values())
    return found, [h for h in raw.header if h not in used]


def _flag(value: Any) -> bool | None:
    v = (str(value).strip().lower() if value is not None else "") or None
    return True if v in _TRUE else False if v in _FALSE else None


def _cells(
    raw: RawTable, found: Mapping[str, str], options: ReadOptions, *, numbers: frozenset[str]
) -> dict[str, list[Any]]:
    """Each found property's cells: dates and numbers read, the rest as text."""
    out: dict[str, list[Any]] = {}
    for prop, header in found.items():
        if prop in DATE_PROPERTIES:
            out[prop] = values(raw, header, "datetime", dates=options.dates).to_list()
        elif prop in numbers:
            out[prop] = values(raw, header, "number").to_list()
        else:
            out[prop] = text(raw, header).to_list()
    return out


def _owner_ids(cells: dict[str, list[Any]], found: dict[str, str]) -> str | None:
    """Keep the owner column's ids (names are not ids); its header when it holds none."""
    owners = cells.get("hubspot_owner_id")
    if owners is None:
        return None
    as_ids = [v if isinstance(v, str) and v.isdigit() else None for v in owners]
    if any(as_ids):
        cells["hubspot_owner_id"] = as_ids
        return None
    del cells["hubspot_owner_id"]
    return found.pop("hubspot_owner_id")


class HubSpotContacts:
    """HubSpot contacts export: contacts, leads and their original/latest source touches."""

    name = "hubspot-contacts"
    title = "HubSpot contacts export (contacts, leads, original/latest source touches)"
    fills = ("contacts", "leads", "touchpoints")

    def score(self, book: Book) -> int:
        cells = _headers_of(book)
        if not _has(cells, CONTACT_HEADERS["id"]) or _has(cells, ("Deal Stage", "Deal Name")):
            return 0
        signs = (
            "hs_analytics_source",
            "hs_analytics_source_data_1",
            "lifecyclestage",
            "hs_lifecyclestage_lead_date",
            "createdate",
            "firstname",
            "email",
            "hubspot_owner_id",
        )
        hits = sum(_has(cells, CONTACT_HEADERS[p]) for p in signs)
        return 1 + hits if hits >= 2 else 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        labels = [lab for labs in CONTACT_HEADERS.values() for lab in labs]
        raw = book.table(options.sheet, header=header_rule(labels, at_least=2))
        found, ignored = _columns(raw, CONTACT_HEADERS)
        if "id" not in found:
            raise DataError("a HubSpot contacts export needs its 'Record ID' column", file=raw.file)
        notes = list(raw.notes)
        ids = values(raw, found["id"], "text", required=True).to_list()
        cells = _cells(raw, found, options, numbers=frozenset())
        if (header := _owner_ids(cells, found)) is not None:
            ignored.append(header)
            notes.append(f"'{header}' holds owner names, not owner ids: contacts' owner not loaded")
        records = [
            {
                "id": cid,
                "properties": {p: col[i] for p, col in cells.items() if p != "id"},
            }
            for i, cid in enumerate(ids)
        ]
        tables = pull.contact_tables(records)
        keep = [c for c, props in CONTACT_COLUMNS.items() if any(p in found for p in props)]
        tables["contacts"] = tables["contacts"].select(keep)
        if "hs_analytics_source" not in found:
            tables["leads"] = tables["leads"].drop("source")
        mapping = {h: CONTACT_TARGETS[p] for p, h in found.items()}
        return Loaded(
            format=self.name,
            tables=tables,
            mapping=mapping,
            ignored=ignored,
            notes=notes,
        )


def _deal_columns(found: Mapping[str, str]) -> list[str]:
    """The deals columns a deals export gives (the store keeps the others)."""
    keep = ["deal_id", "contact_id", "created_at"]
    if "dealname" in found:
        keep.append("name")
    if "closedate" in found:
        keep += ["closed_at", "expected_close"]
    if "dealstage" in found:
        keep.append("stage")
    if {"dealstage", "hs_is_closed_won"} & found.keys():
        keep.append("won")
    if "amount" in found:
        keep.append("amount")
    return keep


class HubSpotDeals:
    """HubSpot deals export: deals with their outcome and first associated contact."""

    name = "hubspot-deals"
    title = "HubSpot deals export (deals; stage labels → won/lost/open, expected close)"
    fills = ("deals",)

    def score(self, book: Book) -> int:
        cells = _headers_of(book)
        if not (_has(cells, ("Deal Stage",)) and _has(cells, ("Deal Name",))):
            return 0
        signs = ("id", "amount", "createdate", "closedate", "contact_ids", "contact")
        return 2 + sum(_has(cells, DEAL_HEADERS[p]) for p in signs)

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        labels = [lab for labs in DEAL_HEADERS.values() for lab in labs]
        raw = book.table(options.sheet, header=header_rule(labels, at_least=2))
        found, ignored = _columns(raw, DEAL_HEADERS)
        for prop, what in (("id", "Record ID"), ("createdate", "Create Date")):
            if prop not in found:
                raise DataError(f"a HubSpot deals export needs its '{what}' column", file=raw.file)
        ids = values(raw, found["id"], "text", required=True).to_list()
        cells = _cells(raw, found, options, numbers=frozenset({"amount"}))
        rows = raw.frame.get_column(ROW).to_list()
        self._check_currency(raw, found, cells, options, rows)
        links: dict[str, list[str]] = {}
        where: dict[str, str] = {}
        by_email: list[int] = []
        warnings: list[str] = []
        records: list[dict[str, Any]] = []
        listed = cells.get("contact_ids") or [None] * len(ids)
        named = cells.get("contact") or [None] * len(ids)
        for i, did in enumerate(ids):
            where[did] = f"row {rows[i]}"
            first = next((p.strip() for p in (listed[i] or "").split(";") if p.strip()), None)
            if first is None and (email := email_in(named[i])) is not None:
                first = email
                by_email.append(rows[i])
            if first is None:
                said = f" (it names only '{named[i]}')" if named[i] else ""
                warnings.append(
                    f"HubSpot deal {did} (row {rows[i]}): no associated contact{said}, "
                    "so it is not loaded"
                )
                continue
            links[did] = [first]
            props = {
                p: col[i] for p, col in cells.items() if p not in ("contact_ids", "contact", "id")
            }
            for flag in ("hs_is_closed_won", "hs_is_closed"):
                if flag in props:
                    props[flag] = _flag(props[flag])
            records.append({"id": did, "properties": props})
        if by_email:
            shown = ", ".join(str(r) for r in by_email[:5]) + (", …" if len(by_email) > 5 else "")
            warnings.append(
                f"{len(by_email)} deals name their contact by e-mail (rows {shown}); "
                "they are matched to stored contacts on load"
            )
        deals, more = pull.deal_rows(records, links, where=where)
        warnings.extend(more)
        keep = _deal_columns(found)
        deals = deals.select([c for c in deals.columns if c in keep])
        return Loaded(
            format=self.name,
            tables={"deals": deals},
            mapping={h: DEAL_TARGETS[p] for p, h in found.items()},
            ignored=ignored,
            notes=list(raw.notes),
            warnings=warnings,
        )

    @staticmethod
    def _check_currency(
        raw: RawTable,
        found: Mapping[str, str],
        cells: Mapping[str, list[Any]],
        options: ReadOptions,
        rows: list[int],
    ) -> None:
        for i, code in enumerate(cells.get("currency") or []):
            if code and str(code).strip().upper() != options.currency.upper():
                raise DataError(
                    f"amount in {code}, not the reporting currency {options.currency}; "
                    "money is never converted",
                    file=raw.file,
                    row=rows[i],
                    column=found["currency"],
                )


FORMATS = (HubSpotContacts(), HubSpotDeals())
