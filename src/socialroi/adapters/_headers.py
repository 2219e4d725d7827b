"""Which column of an imported file feeds which column of a canonical table.

Headers match case- and space-insensitively: "Deal ID", "deal_id", "DealId" and "deal-id" are the
same header. For each table column the first rule that finds a header wins:

1. ``--map SOURCE=TARGET`` (``mapping=`` in Python);
2. the canonical column name itself;
3. the CRM export headers below, in the order listed.

Recognised CRM headers (HubSpot export labels and Salesforce API names / report labels):

=============  ==================  ==========================================================
table          column              headers
=============  ==================  ==========================================================
deals          deal_id             Record ID, Id, Opportunity ID
deals          contact_id          Associated Contact IDs*, Associated Contact ID*,
                                   Associated Contact*
deals          name                Deal Name, Opportunity Name
deals          created_at          Create Date, CreatedDate, Created Date
deals          closed_at           Close Date, CloseDate
deals          stage               Deal Stage, StageName
deals          won                 IsWon, Is Closed Won
contacts       contact_id          Record ID, Id
contacts       name                Full Name; else First Name + Last Name (*)
contacts       email               Email Address
contacts       company             Company Name, Account Name
contacts       created_at          Create Date, CreatedDate, Created Date
contacts       owner_employee_id   Contact Owner ID, HubSpot Owner ID, OwnerId, Owner ID
contacts       handle_x            Twitter Username, Twitter Handle
leads          lead_id             Record ID, Id
leads          contact_id          ConvertedContactId, Associated Contact IDs*,
                                   Associated Contact ID*, Associated Contact*
leads          created_at          Create Date, CreatedDate, Created Date
leads          source              Original Source, LeadSource, Lead Source
employees      employee_id         User ID, Id
employees      name                Full Name; else First Name + Last Name (*)
employees      start_date          Hire Date
employees      end_date            Termination Date
employees      loaded_hourly_cost  Hourly Cost
touchpoints    ts                  Timestamp, Time, Occurred At
costs          amount              Spend, Cost
=============  ==================  ==========================================================

Marked ``*``: HubSpot association columns may list several records ("101;102"); the first one is
used. ``(*)``: First Name / FirstName / Given Name and Last Name / LastName / Surname / Family
Name, joined with a space; either may be empty. Headers that differ from a canonical column only
in case, spaces or underscores need no rule and come first: "Deal ID", "Contact ID", "ContactId",
"Lead ID", "Employee ID", "Amount", "Email", "Stage", "Won", "Company", "Start Date", "End Date".
Not imported, because no canonical column holds them: HubSpot "Lead Status" (a lead is a row of
``leads``; its status is not modelled) and every other unlisted header. For deals, when the file
has no won column, the stage decides: HubSpot ``closedwon`` / Salesforce "Closed Won" set won,
``closedlost`` / "Closed Lost" clear it, any other stage leaves it empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

import polars as pl

from socialroi import schema
from socialroi.errors import DataError

_A = tuple[str, ...]

#: table → column → alias headers, best first. Kept in step with the module docstring.
ALIASES: dict[str, dict[str, _A]] = {
    "deals": {
        "deal_id": ("Record ID", "Id", "Opportunity ID"),
        "contact_id": ("Associated Contact IDs", "Associated Contact ID", "Associated Contact"),
        "name": ("Deal Name", "Opportunity Name"),
        "created_at": ("Create Date", "CreatedDate", "Created Date"),
        "closed_at": ("Close Date", "CloseDate"),
        "stage": ("Deal Stage", "StageName"),
        "won": ("IsWon", "Is Closed Won"),
    },
    "contacts": {
        "contact_id": ("Record ID", "Id"),
        "name": ("Full Name",),
        "email": ("Email Address",),
        "company": ("Company Name", "Account Name"),
        "created_at": ("Create Date", "CreatedDate", "Created Date"),
        "owner_employee_id": ("Contact Owner ID", "HubSpot Owner ID", "OwnerId", "Owner ID"),
        "handle_x": ("Twitter Username", "Twitter Handle"),
    },
    "leads": {
        "lead_id": ("Record ID", "Id"),
        "contact_id": (
            "ConvertedContactId",
            "Associated Contact IDs",
            "Associated Contact ID",
            "Associated Contact",
        ),
        "created_at": ("Create Date", "CreatedDate", "Created Date"),
        "source": ("Original Source", "LeadSource", "Lead Source"),
    },
    "employees": {
        "employee_id": ("User ID", "Id"),
        "name": ("Full Name",),
        "start_date": ("Hire Date",),
        "end_date": ("Termination Date",),
        "loaded_hourly_cost": ("Hourly Cost",),
    },
    "touchpoints": {"ts": ("Timestamp", "Time", "Occurred At")},
    "costs": {"amount": ("Spend", "Cost")},
}

#: Alias headers whose cells may hold a ';'-separated list of record ids; the first is used.
LIST_HEADERS = frozenset({"associatedcontactids", "associatedcontactid", "associatedcontact"})
_FIRST_NAMES = ("firstname", "givenname")
_LAST_NAMES = ("lastname", "surname", "familyname")
#: Required text columns where '' is a real value ("not tied to one"): empty or absent means ''.
DEFAULT_EMPTY: dict[str, frozenset[str]] = {"costs": frozenset({"platform", "employee_id"})}
_WON_STAGES = {"closedwon": True, "won": True, "closedlost": False, "lost": False}
#: Tables whose `name` may be built from first and last name columns.
_NAME_TABLES = frozenset({"contacts", "employees"})


def check_header(headers: Sequence[str], delimiter: str, file: str) -> None:
    """Refuse a CSV header naming a column twice, or read with the wrong delimiter."""
    twice = [h for h in headers if re.search(r"_duplicated_\d+$", h)]  # the CSV reader's rename
    if twice:
        first = re.sub(r"_duplicated_\d+$", "", twice[0])
        raise DataError(f"the header names column '{first}' twice", file=file, row=1, column=first)
    if len(headers) == 1:
        seen = [d for d in (",", ";", "\t", "|") if d != delimiter and d in headers[0]]
        if seen:
            shown = "\\t" if seen[0] == "\t" else seen[0]
            raise DataError(
                f"the whole header is one column: the file seems to be separated by '{shown}', "
                f"not '{delimiter}'; use --delimiter '{shown}'",
                file=file,
                row=1,
                column=headers[0] if len(headers[0]) <= 40 else headers[0][:37] + "...",
            )


def norm(header: str) -> str:
    """A header reduced for matching: lower case, without spaces, '_', '-' and '.'."""
    return re.sub(r"[\s_.\-]+", "", header.strip().lower())


@dataclass(frozen=True)
class Source:
    """Where one table column comes from: one file column, or first + last name joined."""

    target: str
    headers: tuple[str, ...]
    first_of_list: bool = False

    @property
    def label(self) -> str:
        """The file's header as the user wrote it, for messages."""
        return " + ".join(self.headers)

    def expr(self) -> pl.Expr:
        """The column's text: trimmed, empty as null; names joined; a list's first id."""
        if len(self.headers) > 1:
            parts = [_cleaned(h) for h in self.headers]
            return _cleaned(pl.concat_str(parts, separator=" ", ignore_nulls=True))
        e = _cleaned(self.headers[0])
        return e.str.split(";").list.first().str.strip_chars() if self.first_of_list else e


def _cleaned(e: str | pl.Expr) -> pl.Expr:
    e = (pl.col(e) if isinstance(e, str) else e).str.strip_chars()
    return pl.when(e.str.len_bytes() > 0).then(e)


def derive(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Fill columns the CRM exports imply: a deal's won flag from its stage when it has none.

    A deal whose stage is neither won nor lost is open, so its close date (HubSpot sets one on
    open deals too) is the expected close, not a closing.
    """
    if table != "deals" or "stage" not in df.columns or "won" in df.columns:
        return df
    stage = df.get_column("stage").str.to_lowercase().str.replace_all(r"[\s_\-]", "")
    won = stage.replace_strict(_WON_STAGES, default=None, return_dtype=pl.Boolean)
    out = df.with_columns(won.alias("won"))
    if "closed_at" in df.columns and "expected_close" not in df.columns:
        open_ = pl.col("won").is_null()
        out = out.with_columns(
            pl.when(open_).then(pl.col("closed_at")).alias("expected_close"),
            pl.when(~open_).then(pl.col("closed_at")).alias("closed_at"),
        )
    return out


def _find(headers: Sequence[str], wanted: str, file: str) -> str | None:
    key = norm(wanted)
    hits = [h for h in headers if norm(h) == key]
    if len(hits) > 1:
        raise DataError(
            f"the header has {len(hits)} columns that all read as '{wanted}': "
            f"{', '.join(repr(h) for h in hits)}; rename or remove one",
            file=file,
            row=1,
            column=hits[1],
        )
    return hits[0] if hits else None


def resolve(
    table: schema.Table,
    headers: Sequence[str],
    mapping: Mapping[str, str] | None,
    file: str,
    *,
    provided: Set[str] = frozenset(),
) -> dict[str, Source]:
    """Map each table column that the file provides to its source column(s).

    Raises DataError for a --map naming an unknown header or column, or for a missing required
    column (with the headers the file has and how to map one) that `provided` (--set) lacks too.
    """
    names = table.names
    found: dict[str, Source] = {}
    for src, wanted in (mapping or {}).items():
        target = next((n for n in names if norm(n) == norm(wanted)), wanted)
        if target not in names:
            raise DataError(
                f"--map {src}={target}: table '{table.name}' has no column '{target}'; "
                f"its columns are: {', '.join(names)}",
                file=file,
            )
        header = _find(headers, src, file)
        if header is None:
            raise DataError(
                f"--map {src}={target}: the file has no column '{src}'; "
                f"its columns are: {', '.join(headers)}",
                file=file,
                row=1,
            )
        found[target] = Source(target, (header,))
    for col in names:
        if col not in found and (header := _find(headers, col, file)) is not None:
            found[col] = Source(col, (header,))
    for col, aliases in ALIASES.get(table.name, {}).items():
        for alias in aliases:
            if col in found:
                break
            if (header := _find(headers, alias, file)) is not None:
                found[col] = Source(col, (header,), first_of_list=norm(alias) in LIST_HEADERS)
    if table.name in _NAME_TABLES and "name" not in found:
        parts = [h for key in (_FIRST_NAMES, _LAST_NAMES) for h in headers if norm(h) in key]
        if parts:
            found["name"] = Source("name", tuple(parts))
    needed = [c for c in table.required if c not in DEFAULT_EMPTY.get(table.name, ())]
    missing = [c for c in needed if c not in found and c not in provided]
    if missing:
        raise DataError(
            f"missing required column '{missing[0]}' for table '{table.name}' "
            f"(required: {', '.join(needed)}); the file's columns are: {', '.join(headers)}; "
            f"name one with --map HEADER={missing[0]}",
            file=file,
            row=1,
            column=missing[0],
        )
    return found
