"""Salesforce report exports (Reports › Export › Details Only, CSV or XLSX): opportunities, leads.

A report export quotes every field, uses the report's column labels, writes dates in the user's
locale (``9/28/2026`` en-US, ``28/09/2026``, ``28.09.2026``) and ends with a footer ("Grand Totals
(N records)", "Confidential Information - Do Not Distribute", "Copyright (c) 2000-2026
salesforce.com, inc. …") that the raw reader skips.

Opportunities report → ``deals``
    ``Opportunity ID`` (else ``Opportunity Name``) is the deal id; ``Opportunity Name``,
    ``Stage``, ``Amount``, ``Created Date``. ``Won`` / ``Closed`` (when the report has them)
    decide the outcome, else the stage does ("Closed Won" won, "Closed Lost" lost, anything else
    open). ``Close Date`` is ``closed_at`` for a closed deal and ``expected_close`` for an open
    one. The contact is ``Contact ID``; an opportunity without one is not loaded (a warning
    names its row). ``Account Name`` becomes the contact's company, and ``Lead Source`` a source
    touch of the contact at the opportunity's creation (``ref`` ``salesforce:opportunity:<id>``).
Leads report → ``leads``, ``contacts``, ``touchpoints``
    ``Lead ID``, ``Created Date`` (or ``Create Date``), ``Lead Source``. The lead's contact is
    its ``Converted Contact ID``, else the lead itself (its id); that contact gets the lead's
    name, e-mail and company. ``Lead Source`` is also a touch at the lead's creation
    (``ref`` ``salesforce:lead:<id>``).

``Lead Source`` values are read through the vocabulary
(:func:`socialroi.core.vocabulary.channel_of`):
``Social Media`` → ``social_other``, ``LinkedIn`` → ``linkedin``, ``Web`` → ``other``, ``Partner
Referral`` → ``referral``, ``Trade Show`` → ``offline``; a value it does not know makes no touch
and is noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats._common import header_rule, norm, pick, text, values
from socialroi.adapters.formats._crm import source_touch, stage_won
from socialroi.adapters.hubspot import deal_close
from socialroi.errors import DataError

OPPORTUNITY_HEADERS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Opportunity ID", "Opportunity: Opportunity ID", "Opportunity 18 Digit ID"),
    "name": ("Opportunity Name", "Opportunity: Opportunity Name"),
    "account": ("Account Name", "Account: Account Name"),
    "stage": ("Stage", "Opportunity Stage", "Stage Name"),
    "amount": ("Amount", "Opportunity Amount"),
    "currency": ("Opportunity Currency", "Amount Currency", "Currency"),
    "close": ("Close Date",),
    "created": ("Created Date", "Create Date", "Opportunity Created Date"),
    "source": ("Lead Source", "Opportunity Lead Source"),
    "contact": ("Contact ID", "Contact: Contact ID", "Primary Contact ID"),
    "won": ("Won",),
    "closed": ("Closed",),
}
OPPORTUNITY_TARGETS: dict[str, str] = {
    "deal_id": "deals.deal_id, touchpoints.ref",
    "name": "deals.name",
    "account": "contacts.company",
    "stage": "deals.stage, deals.won",
    "amount": "deals.amount",
    "currency": "(checked against the reporting currency)",
    "close": "deals.closed_at, deals.expected_close",
    "created": "deals.created_at, touchpoints.ts",
    "source": "touchpoints.channel, touchpoints.platform, touchpoints.kind",
    "contact": "deals.contact_id, contacts.contact_id, touchpoints.contact_id",
    "won": "deals.won",
    "closed": "deals.closed_at, deals.expected_close",
}
LEAD_HEADERS: dict[str, tuple[str, ...]] = {
    "lead_id": ("Lead ID", "Lead: Lead ID", "Lead 18 Digit ID"),
    "first": ("First Name",),
    "last": ("Last Name",),
    "full": ("Name", "Full Name", "Lead Name"),
    "email": ("Email", "Email Address"),
    "company": ("Company / Account", "Company", "Company/Account"),
    "source": ("Lead Source",),
    "created": ("Created Date", "Create Date", "Lead Created Date"),
    "converted_contact": ("Converted Contact ID", "Converted Contact: Contact ID"),
}
LEAD_TARGETS: dict[str, str] = {
    "lead_id": "leads.lead_id, touchpoints.ref",
    "first": "contacts.name",
    "last": "contacts.name",
    "full": "contacts.name",
    "email": "contacts.email",
    "company": "contacts.company",
    "source": "leads.source, touchpoints.channel, touchpoints.platform, touchpoints.kind",
    "created": "leads.created_at, contacts.created_at, touchpoints.ts",
    "converted_contact": "leads.contact_id, contacts.contact_id, touchpoints.contact_id",
}
_TRUE = frozenset({"1", "true", "yes", "wahr", "ja", "vrai", "oui", "verdadero", "verdadeiro"})
_FALSE = frozenset({"0", "false", "no", "falsch", "nein", "faux", "non", "falso"})


def _cells(book: Book) -> set[str]:
    best: set[str] = set()
    for row in book.peek(rows=15):
        got = {norm(c) for c in row if c}
        if len(got) > len(best):
            best = got
    return best


def _has(cells: set[str], labels: tuple[str, ...]) -> bool:
    return any(norm(lab) in cells for lab in labels)


def _found(raw: RawTable, headers: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, labels in headers.items():
        hit = pick(raw, *labels)
        if hit is not None and hit not in out.values():
            out[key] = hit
    return out


def _frame(table: str, rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    t = schema.table(table)
    return pl.DataFrame(
        [[r.get(c) for c in columns] for r in rows],
        schema={c: t.column(c).dtype for c in columns},
        orient="row",
    )


def _outcome(
    stage: str | None, won: bool | None, closed: bool | None, close: Any
) -> dict[str, Any]:
    """won, closed_at, expected_close from the Won/Closed columns, else from the stage."""
    by_stage = stage_won(stage)
    closed_flag = closed if closed is not None else bool(won) or by_stage is not None
    won_flag = won
    if won is None or (won is False and closed is None):
        won_flag = by_stage if closed_flag else None
    return deal_close(stage, won_flag, closed_flag, close)


def _deal_columns(f: Mapping[str, str]) -> list[str]:
    """The deals columns an opportunities report gives (the store keeps the others)."""
    cols = ["deal_id", "contact_id", "created_at"]
    cols += ["name"] if "name" in f else []
    cols += ["closed_at", "expected_close"] if "close" in f else []
    cols += ["stage"] if "stage" in f else []
    cols += ["won"]
    cols += ["amount"] if "amount" in f else []
    return cols


def _opportunity_notes(raw: RawTable, f: Mapping[str, str], unknown: dict[str, int]) -> list[str]:
    notes = [*raw.notes, "Salesforce opportunities report"]
    if unknown:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
        notes.append(f"Lead Source values that name no channel, so no touch: {listed}")
    if "deal_id" not in f:
        notes.append("no 'Opportunity ID' column: the opportunity name is the deal id")
    return notes


def _check_currency(
    raw: RawTable, header: str | None, options: ReadOptions, rows: list[int]
) -> None:
    for i, code in enumerate(text(raw, header).to_list()):
        if code and code.upper() != options.currency.upper():
            raise DataError(
                f"amount in {code}, not the reporting currency {options.currency}; "
                "money is never converted",
                file=raw.file,
                row=rows[i],
                column=header,
            )


def _flags(raw: RawTable, header: str | None) -> list[bool | None]:
    out: list[bool | None] = []
    for v in text(raw, header).to_list():
        low = (v or "").lower()
        out.append(True if low in _TRUE else False if low in _FALSE else None)
    return out


class SalesforceReport:
    """A Salesforce opportunities or leads report."""

    name = "salesforce-report"
    title = "Salesforce report export (opportunities → deals; leads → leads and contacts)"
    fills = ("deals", "leads", "contacts", "touchpoints")

    def score(self, book: Book) -> int:
        cells = _cells(book)
        opportunity = _has(cells, OPPORTUNITY_HEADERS["deal_id"]) or _has(
            cells, OPPORTUNITY_HEADERS["name"]
        )
        if opportunity and _has(cells, OPPORTUNITY_HEADERS["stage"]):
            signs = ("deal_id", "name", "account", "amount", "close", "created", "source")
            return 1 + sum(_has(cells, OPPORTUNITY_HEADERS[k]) for k in signs)
        if _has(cells, LEAD_HEADERS["lead_id"]) and (
            _has(cells, ("Lead Source",)) or _has(cells, ("Lead Status",))
        ):
            lead_signs = ("lead_id", "source", "created", "email", "converted_contact")
            return 1 + sum(_has(cells, LEAD_HEADERS[k]) for k in lead_signs)
        return 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        labels = [
            lab for h in (OPPORTUNITY_HEADERS, LEAD_HEADERS) for labs in h.values() for lab in labs
        ]
        raw = book.table(options.sheet, header=header_rule(labels, at_least=2))
        opp = _found(raw, OPPORTUNITY_HEADERS)
        if "stage" in opp and ("deal_id" in opp or "name" in opp):
            return self._opportunities(raw, opp, options)
        leads = _found(raw, LEAD_HEADERS)
        if "lead_id" in leads:
            return self._leads(raw, leads, options)
        raise DataError(
            "not a Salesforce opportunities or leads report: no 'Opportunity ID'/'Stage' or "
            "'Lead ID' column",
            file=raw.file,
            row=raw.header_row,
        )

    # -- opportunities ---------------------------------------------------------------------------
    def _opportunities(self, raw: RawTable, f: dict[str, str], options: ReadOptions) -> Loaded:
        rows = raw.frame.get_column(ROW).to_list()
        id_header = f.get("deal_id", f.get("name"))
        ids = values(raw, id_header, "text", required=True).to_list()
        if "created" not in f:
            raise DataError(
                "a Salesforce opportunities report needs its 'Created Date' column",
                file=raw.file,
                row=raw.header_row,
            )
        created = values(raw, f["created"], "datetime", dates=options.dates).to_list()
        close = values(raw, f.get("close"), "datetime", dates=options.dates).to_list()
        amount = values(raw, f.get("amount"), "number").to_list()
        names = text(raw, f.get("name")).to_list()
        stages = text(raw, f.get("stage")).to_list()
        contacts = text(raw, f.get("contact")).to_list()
        accounts = text(raw, f.get("account")).to_list()
        sources = text(raw, f.get("source")).to_list()
        won_flags = _flags(raw, f.get("won"))
        closed_flags = _flags(raw, f.get("closed"))
        _check_currency(raw, f.get("currency"), options, rows)
        warnings: list[str] = []
        deals: list[dict[str, Any]] = []
        people: dict[str, dict[str, Any]] = {}
        touches: list[dict[str, Any]] = []
        unknown: dict[str, int] = {}
        if "contact" not in f:
            warnings.append(
                "the report has no 'Contact ID' column: no opportunity can be tied to a contact, "
                "so none is loaded (add Contact ID to the report)"
            )
        for i, did in enumerate(ids):
            cid = contacts[i]
            if cid is None:
                if "contact" in f:
                    warnings.append(
                        f"Salesforce opportunity {did} (row {rows[i]}): no Contact ID, "
                        "so it is not loaded"
                    )
                continue
            if created[i] is None:
                warnings.append(
                    f"Salesforce opportunity {did} (row {rows[i]}): no Created Date, "
                    "so it is not loaded"
                )
                continue
            outcome = _outcome(stages[i], won_flags[i], closed_flags[i], close[i])
            deals.append(
                {
                    "deal_id": did,
                    "contact_id": cid,
                    "name": names[i],
                    "created_at": created[i],
                    "stage": stages[i],
                    "amount": amount[i],
                    **outcome,
                }
            )
            if accounts[i] is not None or cid not in people:
                people[cid] = {"contact_id": cid, "company": accounts[i]}
            touch = source_touch(cid, created[i], sources[i], f"salesforce:opportunity:{did}")
            if touch is not None:
                touches.append(touch)
            elif sources[i] is not None:
                unknown[sources[i]] = unknown.get(sources[i], 0) + 1
        deal_cols = _deal_columns(f)
        tables = {"deals": _frame("deals", deals, deal_cols)}
        if "account" in f:
            tables["contacts"] = _frame(
                "contacts", list(people.values()), ["contact_id", "company"]
            )
        if "source" in f:
            tables["touchpoints"] = _frame(
                "touchpoints", touches, list(schema.table("touchpoints").names)
            )
        notes = _opportunity_notes(raw, f, unknown)
        return Loaded(
            format=self.name,
            tables=tables,
            mapping={h: OPPORTUNITY_TARGETS[k] for k, h in f.items()},
            ignored=[h for h in raw.header if h not in f.values()],
            notes=notes,
            warnings=warnings,
        )

    # -- leads -----------------------------------------------------------------------------------
    def _leads(self, raw: RawTable, f: dict[str, str], options: ReadOptions) -> Loaded:
        rows = raw.frame.get_column(ROW).to_list()
        ids = values(raw, f["lead_id"], "text", required=True).to_list()
        if "created" not in f:
            raise DataError(
                "a Salesforce leads report needs its 'Created Date' column",
                file=raw.file,
                row=raw.header_row,
            )
        created = values(raw, f["created"], "datetime", dates=options.dates).to_list()
        converted = text(raw, f.get("converted_contact")).to_list()
        first = text(raw, f.get("first")).to_list()
        last = text(raw, f.get("last")).to_list()
        full = text(raw, f.get("full")).to_list()
        emails = text(raw, f.get("email")).to_list()
        companies = text(raw, f.get("company")).to_list()
        sources = text(raw, f.get("source")).to_list()
        leads: list[dict[str, Any]] = []
        people: dict[str, dict[str, Any]] = {}
        touches: list[dict[str, Any]] = []
        warnings: list[str] = []
        unknown: dict[str, int] = {}
        for i, lid in enumerate(ids):
            if created[i] is None:
                warnings.append(
                    f"Salesforce lead {lid} (row {rows[i]}): no Created Date, so it is not loaded"
                )
                continue
            cid = converted[i] or lid
            name = full[i] or " ".join(x for x in (first[i], last[i]) if x) or None
            leads.append(
                {"lead_id": lid, "contact_id": cid, "created_at": created[i], "source": sources[i]}
            )
            # a contact several leads converted into: its earliest lead describes it
            if cid not in people or created[i] < people[cid]["created_at"]:
                people[cid] = {
                    "contact_id": cid,
                    "name": name,
                    "email": emails[i],
                    "company": companies[i],
                    "created_at": created[i],
                }
            touch = source_touch(cid, created[i], sources[i], f"salesforce:lead:{lid}")
            if touch is not None:
                touches.append(touch)
            elif sources[i] is not None:
                unknown[sources[i]] = unknown.get(sources[i], 0) + 1
        lead_cols = ["lead_id", "contact_id", "created_at"] + (["source"] if "source" in f else [])
        contact_cols = ["contact_id", "created_at"]
        contact_cols += ["name"] if {"first", "last", "full"} & f.keys() else []
        contact_cols += ["email"] if "email" in f else []
        contact_cols += ["company"] if "company" in f else []
        tables = {
            "leads": _frame("leads", leads, lead_cols),
            "contacts": _frame("contacts", list(people.values()), contact_cols),
        }
        if "source" in f:
            tables["touchpoints"] = _frame(
                "touchpoints", touches, list(schema.table("touchpoints").names)
            )
        notes = [*raw.notes, "Salesforce leads report"]
        if "converted_contact" not in f:
            notes.append("no 'Converted Contact ID' column: each lead is its own contact")
        if unknown:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
            notes.append(f"Lead Source values that name no channel, so no touch: {listed}")
        return Loaded(
            format=self.name,
            tables=tables,
            mapping={h: LEAD_TARGETS[k] for k, h in f.items()},
            ignored=[h for h in raw.header if h not in f.values()],
            notes=notes,
            warnings=warnings,
        )


FORMATS = (SalesforceReport(),)
