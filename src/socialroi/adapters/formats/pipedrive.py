"""Pipedrive deals export (Deals › … › Export filter results), in the user's language.

Headers are ``<entity> - <field>``: ``Deal - Title``, ``Person - Email - Work``. The entity and
the field are translated into the user's language: the deal entity is ``Deal`` (English, German),
``Affaire`` (French), ``Trato`` (Spanish), ``Negócio`` (Portuguese); the person ``Person``,
``Personne``, ``Persona``, ``Pessoa``. :data:`DEAL_FIELDS` lists each field's names in these
languages (``Title``/``Titel``/``Titre``/``Título``, ``Status``/``Statut``/``Estado``, ``Deal
created``/``Deal erstellt``/``Affaire créée``/``Trato creado``/``Negócio criado em``…); a
person's e-mail is any of their columns starting with Email, E-Mail(-Adresse), Correo or
Courriel (work first). Where each name was seen: tests/fixtures/native/SOURCES.md.

Rows: ``deals`` (``deal_id`` = Deal ID; ``won``/``closed_at`` from the status: Won/Lost/Open and
Gewonnen/Verloren/Offen, Gagné/Perdu/Ouvert, Ganado/Perdido/Abierto, Ganho/Perdido/Aberto;
``closed_at`` = the won or lost time, else "closed on"; an open deal's expected close date is
``expected_close``; deleted deals are skipped). The contact is the person's e-mail, lower-cased:
``contact_id`` = the e-mail, and a ``contacts`` row with the e-mail, the person's name (``Person -
Name``, else the deal's contact person) and the organization. A deal whose person has no e-mail is
not loaded (a warning names its row). A deal source, when exported, is a source touch at the
deal's creation (through the vocabulary, as Salesforce lead sources). ``Deal - Currency`` must be
the reporting currency: money is never converted.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats._common import text, values
from socialroi.adapters.formats._crm import is_deleted, source_touch, stage_won
from socialroi.errors import DataError

DEAL_ENTITIES = ("Deal", "Affaire", "Trato", "Negócio", "Negocio", "Obchod")
PERSON_ENTITIES = ("Person", "Personne", "Persona", "Pessoa", "Osoba")

#: field → its names after "<Deal> - " in the export languages.
DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("ID",),
    "title": ("Title", "Titel", "Titre", "Título"),
    "value": ("Value", "Wert", "Valeur", "Valor", "Hodnota"),
    "currency": ("Currency", "Currency of Value", "Währung", "Devise", "Moneda", "Moeda", "Měna"),
    "organization": ("Organization", "Organisation", "Organización", "Organização", "Organizace"),
    "contact_person": (
        "Contact person",
        "Kontaktperson",
        "Personne à contacter",
        "Persona de contacto",
        "Pessoa de contato",
        "Kontaktní osoba",
    ),
    "stage": ("Stage", "Phase", "Étape", "Etapa", "Fáze"),
    "status": ("Status", "Statut", "Estado", "Stav"),
    "created": (
        "Deal created",
        "Deal created on",
        "Deal erstellt",
        "Affaire créée",
        "Trato creado",
        "Negócio criado em",
        "Negócio criado",
    ),
    "expected_close": (
        "Expected close date",
        "Erwartetes Abschlussdatum",
        "Voraussichtliches Abschlussdatum",
        "Date de clôture prévue",
        "Fecha de cierre prevista",
        "Fecha prevista de cierre",
        "Data de fechamento esperada",
        "Data prevista de fechamento",
    ),
    "won_time": (
        "Won time",
        "Datum des gewonnenen Deals",
        "Date de gain",
        "Fecha de ganado",
        "Hora de ganado",
        "Ganho em",
        "Data de ganho",
        "Datum výhry",
    ),
    "lost_time": (
        "Lost time",
        "Datum des verlorenen Deals",
        "Date de perte",
        "Heure de l'échec",
        "Fecha de pérdida",
        "Hora de pérdida",
        "Data de perda",
        "Datum prohry",
    ),
    "closed_on": (
        "Deal closed on",
        "Closed on",
        "Deal abgeschlossen am",
        "Affaire conclue le",
        "Affaire clôturée le",
        "Trato cerrado el",
        "Negócio fechado em",
        "Uzavřeno dne",
    ),
    "source": (
        "Source",
        "Lead source",
        "Source channel",
        "Quelle",
        "Lead-Quelle",
        "Source du lead",
        "Fuente",
        "Fuente del lead",
        "Origen",
        "Fonte do Lead",
        "Origem",
    ),
}
PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Nom", "Nombre", "Nome", "Jméno"),
}
#: A person's e-mail field starts with one of these (then "- Work", "- Büro"…).
EMAIL_WORDS = ("email", "e-mail", "e-mail-adresse", "correo", "correo electrónico", "courriel")
TARGETS: dict[str, str] = {
    "id": "deals.deal_id",
    "title": "deals.name",
    "value": "deals.amount",
    "currency": "(checked against the reporting currency)",
    "organization": "contacts.company",
    "contact_person": "contacts.name",
    "stage": "deals.stage",
    "status": "deals.won, deals.closed_at, deals.expected_close",
    "created": "deals.created_at, touchpoints.ts",
    "expected_close": "deals.expected_close",
    "won_time": "deals.closed_at",
    "lost_time": "deals.closed_at",
    "closed_on": "deals.closed_at",
    "source": "touchpoints.channel, touchpoints.platform, touchpoints.kind",
    "person_name": "contacts.name",
    "email": "deals.contact_id, contacts.contact_id, contacts.email, touchpoints.contact_id",
}


def _key(label: str) -> str:
    bare = unicodedata.normalize("NFKD", label.strip().lower())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", bare)


_DEAL_ENTITY = {_key(e) for e in DEAL_ENTITIES}
_PERSON_ENTITY = {_key(e) for e in PERSON_ENTITIES}
_DEAL_FIELD = {_key(n): field for field, names in DEAL_FIELDS.items() for n in names}
_PERSON_FIELD = {_key(n): field for field, names in PERSON_FIELDS.items() for n in names}
_EMAIL = tuple(_key(w) for w in EMAIL_WORDS)


def _field(header: str) -> str | None:
    """The field a header names ("email" for any of the person's e-mail columns), or None."""
    entity, sep, rest = header.partition(" - ")
    if not sep:
        return None
    e, r = _key(entity), _key(rest)
    if e in _DEAL_ENTITY:
        return _DEAL_FIELD.get(r)
    if e in _PERSON_ENTITY:
        if r in _PERSON_FIELD:
            return "person_" + _PERSON_FIELD[r]
        first = _key(rest.split(" - ")[0])
        if first in _EMAIL:
            return "email"
    return None


def _fields(header: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for h in header:
        if (f := _field(h)) is not None:
            out.setdefault(f, []).append(h)
    return out


def _is_header(cells: list[str] | tuple[str, ...]) -> bool:
    got = _fields([c for c in cells if c])
    return "title" in got and "status" in got


class PipedriveDeals:
    """Pipedrive deals export: deals, and their persons as contacts keyed by e-mail."""

    name = "pipedrive-deals"
    title = "Pipedrive deals export, any language (deals; persons as contacts by e-mail)"
    fills = ("deals", "contacts", "touchpoints")

    def score(self, book: Book) -> int:
        for row in book.peek(rows=15):
            if _is_header(row):
                return 2 + len(_fields([c for c in row if c]))
        return 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        raw = book.table(options.sheet, header=lambda cells: _is_header(list(cells)))
        found = _fields(raw.header)
        one = {f: hs[0] for f, hs in found.items() if f != "email"}
        for need in ("id", "created"):
            if need not in one:
                raise DataError(
                    f"a Pipedrive deals export needs its 'Deal - {DEAL_FIELDS[need][0]}' column",
                    file=raw.file,
                    row=raw.header_row,
                )
        rows = raw.frame.get_column(ROW).to_list()
        self._check_currency(raw, one.get("currency"), options, rows)
        ids = values(raw, one["id"], "text", required=True).to_list()
        dates = {
            f: values(raw, one.get(f), "datetime", dates=options.dates).to_list()
            for f in ("created", "expected_close", "won_time", "lost_time", "closed_on")
        }
        amount = values(raw, one.get("value"), "number").to_list()
        cols = {
            f: text(raw, one.get(f)).to_list()
            for f in ("title", "organization", "contact_person", "stage", "status", "source")
        }
        person_names = text(raw, one.get("person_name")).to_list()
        emails = self._emails(raw, found.get("email", []))
        deals: list[dict[str, Any]] = []
        people: dict[str, dict[str, Any]] = {}
        touches: list[dict[str, Any]] = []
        warnings: list[str] = []
        unknown: dict[str, int] = {}
        deleted = 0
        for i, did in enumerate(ids):
            status = cols["status"][i]
            if is_deleted(status):
                deleted += 1
                continue
            email = emails[i]
            if email is None:
                warnings.append(
                    f"Pipedrive deal {did} (row {rows[i]}): its person has no e-mail, "
                    "so it is not loaded"
                )
                continue
            created = dates["created"][i]
            if created is None:
                warnings.append(
                    f"Pipedrive deal {did} (row {rows[i]}): no creation time, so it is not loaded"
                )
                continue
            won = stage_won(status)
            closed = won is not None
            when = _closed_at(won, i, dates)
            deals.append(
                {
                    "deal_id": did,
                    "contact_id": email,
                    "name": cols["title"][i],
                    "created_at": created,
                    "closed_at": when,
                    "expected_close": None if closed else dates["expected_close"][i],
                    "stage": cols["stage"][i],
                    "won": won,
                    "amount": amount[i],
                }
            )
            people[email] = {
                "contact_id": email,
                "email": email,
                "name": person_names[i] or cols["contact_person"][i],
                "company": cols["organization"][i],
            }
            touch = source_touch(email, created, cols["source"][i], f"pipedrive:deal:{did}")
            if touch is not None:
                touches.append(touch)
            elif cols["source"][i] is not None:
                unknown[cols["source"][i]] = unknown.get(cols["source"][i], 0) + 1
        deal_cols, contact_cols = _loaded_columns(one)
        tables = {
            "deals": _frame("deals", deals, deal_cols),
            "contacts": _frame("contacts", list(people.values()), contact_cols),
        }
        if "source" in one:
            tables["touchpoints"] = _frame(
                "touchpoints", touches, list(schema.table("touchpoints").names)
            )
        notes = _notes(raw, one, deleted, unknown)
        if "email" not in found:
            warnings.append(
                "the export has no 'Person - Email' column: deals are tied to contacts by the "
                "person's e-mail, so none is loaded (add the person's e-mail to the export)"
            )
        mapping = {h: TARGETS[f] for f, hs in found.items() for h in hs}
        return Loaded(
            format=self.name,
            tables=tables,
            mapping=mapping,
            ignored=[h for h in raw.header if h not in mapping],
            notes=notes,
            warnings=warnings,
        )

    @staticmethod
    def _emails(raw: RawTable, headers: list[str]) -> list[str | None]:
        """The person's first e-mail per row (work, then the others), lower-cased."""
        out: list[str | None] = [None] * raw.frame.height
        for h in headers:
            for i, v in enumerate(text(raw, h).to_list()):
                if out[i] is None and v:
                    out[i] = v.split(",")[0].strip().lower() or None
        return out

    @staticmethod
    def _check_currency(
        raw: RawTable, header: str | None, options: ReadOptions, rows: list[int]
    ) -> None:
        for i, code in enumerate(text(raw, header).to_list()):
            if code and code.strip().upper() != options.currency.upper():
                raise DataError(
                    f"deal value in {code}, not the reporting currency {options.currency}; "
                    "money is never converted",
                    file=raw.file,
                    row=rows[i],
                    column=header,
                )


def _notes(raw: RawTable, one: dict[str, str], deleted: int, unknown: dict[str, int]) -> list[str]:
    notes = [*raw.notes, "Pipedrive deals export"]
    if deleted:
        notes.append(f"{deleted} deleted deals skipped")
    if unknown:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
        notes.append(f"sources that name no channel, so no touch: {listed}")
    if "status" not in one:
        notes.append("no status column: every deal is read as open")
    return notes


def _loaded_columns(one: dict[str, str]) -> tuple[list[str], list[str]]:
    """The deals and contacts columns the file gives (the store keeps the others)."""
    deal_cols = ["deal_id", "contact_id", "created_at", "won"]
    deal_cols += ["name"] if "title" in one else []
    deal_cols += ["stage"] if "stage" in one else []
    deal_cols += ["amount"] if "value" in one else []
    if {"won_time", "lost_time", "closed_on"} & one.keys():
        deal_cols.append("closed_at")
    if "expected_close" in one:
        deal_cols.append("expected_close")
    contact_cols = ["contact_id", "email"]
    contact_cols += ["name"] if {"person_name", "contact_person"} & one.keys() else []
    contact_cols += ["company"] if "organization" in one else []
    return deal_cols, contact_cols


def _closed_at(won: bool | None, i: int, dates: dict[str, list[Any]]) -> Any:
    """A closed deal's close: its won or lost time, else its "closed on" time."""
    if won is None:
        return None
    return (dates["won_time"] if won else dates["lost_time"])[i] or dates["closed_on"][i]


def _frame(table: str, rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    t = schema.table(table)
    return pl.DataFrame(
        [[r.get(c) for c in columns] for r in rows],
        schema={c: t.column(c).dtype for c in columns},
        orient="row",
    )


FORMATS = (PipedriveDeals(),)
