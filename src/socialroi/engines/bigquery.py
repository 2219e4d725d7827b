"""The BigQuery engine: the attribution SQL run in BigQuery through its REST API (v2).

The same SQL as every engine (:mod:`socialroi.engines.sql`, rendered for BigQuery) runs where
the tables are; only the bounded outputs come back, as polars frames with the columns and types
the duckdb engine gives, and :mod:`socialroi.engines.finish` solves the models from them.

Sources are BigQuery tables: ``table:project.dataset.table``, or ``table:dataset.table`` and
``table:table`` completed from ``[engine] project`` and ``dataset``; the touchpoints may also be
the GA4 export, ``ga4:[[project.]dataset.]events_*#options`` (:mod:`socialroi.engines.ga4_export`:
one touch per session, made in the session from the nested events, :func:`ga4_input_sql`).
Anything else (files, a store, frames) is refused: load it into BigQuery first, or use the
duckdb or spark engine.

One run is one BigQuery session (``jobs.query`` with ``createSession``, then the session id as
the ``session_id`` connection property of every later query): two temporary tables normalise
the sources as the other engines do (contact_id and channel as STRING, times as TIMESTAMP in
UTC — DATETIME, DATE and text read as UTC —, value FLOAT64, 0 when missing, conversion_id
generated when missing), one query checks them (rows with no time, contact or channel, a
repeated conversion id), each stage becomes ``CREATE TEMP TABLE <name> AS …``, then each output
is fetched, page by page (``pageToken``), polling ``jobs.getQueryResults`` while a job runs. The
session is ended with ``CALL BQ.ABORT_SESSION()``, also on error, which drops its temporary
tables (BigQuery would end it itself after 24 idle hours).

Contacts are keyed by a dictionary, never by their integer ids: choosing integer keys needs a
scan of every contact id (one more query, billed for the whole column) before the run, and
would only save the dictionary's aggregation and join, which BigQuery spreads over its slots;
the dictionary gives the same numbers for any ids.

Settings (the ``[engine]`` table): ``project`` (where the queries run and are billed, and the
project of ``table:dataset.table``; default: the touchpoints table's), ``dataset``,
``location`` (the session's; default: BigQuery's choice from the tables), and
``maximum_bytes_billed``, sent with every query: a query that would bill more fails with
BigQuery's own message and bills nothing. ``base_url`` points the client elsewhere (a proxy,
the loopback test server).

Authentication is an OAuth access token in ``SOCIALROI_BIGQUERY_ACCESS_TOKEN``, sent as a
bearer token (``gcloud auth print-access-token``; it lasts an hour); never read from the
config, never written to logs or messages. The account needs ``roles/bigquery.jobUser`` on
the project and ``roles/bigquery.dataViewer`` on the datasets read. All HTTP goes through
:class:`socialroi.adapters._http.Http` (timeouts, retries on 5xx with the same ``requestId``,
so a retried query is not run twice, and the error hierarchy); BigQuery's error reasons are
mapped by :func:`refusal`.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import polars as pl

from socialroi.adapters._http import Http, HttpStatusError, scrub
from socialroi.adapters.secrets import env_var
from socialroi.engines import ga4_export
from socialroi.engines.config import EngineSettings
from socialroi.engines.plan import Plan, Source, refuse_inputs
from socialroi.engines.sql import AttributionSQL
from socialroi.errors import (
    ConfigError,
    DataError,
    PermissionDenied,
    RateLimited,
    SocialROIError,
    UnknownObject,
    UpstreamError,
)

log = logging.getLogger("socialroi.engines.bigquery")

PLATFORM = "bigquery"
#: The dialect SQLGlot renders for this engine.
DIALECT = "bigquery"
#: BigQuery's REST origin; ``[engine] base_url`` replaces it.
BASE_URL = "https://bigquery.googleapis.com"
API = "/bigquery/v2"
#: The environment variable holding the OAuth access token.
TOKEN_ENV = env_var(PLATFORM, "access_token")
#: The session's temporary tables the SQL reads (the normalised sources).
TOUCHES_TABLE = "sr_input_touches"
CONVERSIONS_TABLE = "sr_input_conversions"
#: Rows asked for per page (BigQuery also cuts a page at about 10 MB).
PAGE_ROWS = 100_000
#: How long one jobs.query or getQueryResults call waits for its job, in ms (BigQuery answers
#: ``jobComplete: false`` after it, and the call is made again).
WAIT_MS = 10_000
#: Seconds the first retry after a 5xx waits (doubled each time, with jitter).
BACKOFF = 0.5
_TOKEN_HINT = (
    f'{TOKEN_ENV} (an OAuth access token: export {TOKEN_ENV}="$(gcloud auth print-access-token)"'
    "; it lasts an hour)"
)
_PART = re.compile(r"^[A-Za-z0-9_-]+$")

#: The duckdb engine's type of each fixed output column (the group keys g0… keep BigQuery's
#: type; the rule columns ``<model>_conversions`` / ``_value`` are Float64). BigQuery has only
#: INT64 and FLOAT64; the frames are cast so that finish sees what it sees from DuckDB
#: (``grams.n`` is DuckDB's sum of BIGINTs, a DECIMAL(38,0)).
OUTPUT_TYPES: dict[str, dict[str, pl.DataType]] = {
    "channels": {"channel": pl.String(), "bit": pl.Int32()},
    "grams": {
        "kind": pl.Int32(),
        "c0": pl.Int16(),
        "c1": pl.Int16(),
        "c2": pl.Int16(),
        "c3": pl.Int16(),
        "c4": pl.Int32(),
        "n": pl.Decimal(38, 0),
        "value": pl.Float64(),
    },
    "sets": {
        "mask": pl.Int64(),
        "converted": pl.Int32(),
        "journeys": pl.Int64(),
        "value": pl.Float64(),
    },
    "unattributed": {"conv_month": pl.Date(), "conversions": pl.Int64(), "value": pl.Float64()},
    "placement": {
        "mask": pl.Int64(),
        "channel": pl.String(),
        "conversions": pl.Float64(),
        "value": pl.Float64(),
    },
}


# -- sources ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A BigQuery table: project, dataset, table."""

    project: str
    dataset: str
    table: str

    def sql(self) -> str:
        return f"`{self.project}`.`{self.dataset}`.`{self.table}`"

    def __str__(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


def table_of(source: Source, settings: EngineSettings, *, what: str) -> Table:
    """`source` as a BigQuery table: ``table:project.dataset.table``, ``table:dataset.table`` or
    ``table:table`` (completed from ``[engine] project`` / ``dataset``); anything else is a
    DataError saying to load it into BigQuery or to use another engine."""
    spec = "a frame" if isinstance(source, pl.DataFrame) else str(source).strip()
    kind, sep, rest = spec.partition(":")
    if isinstance(source, pl.DataFrame | Path) or not sep or kind.lower() != "table":
        raise DataError(
            f"the bigquery engine reads BigQuery tables (table:project.dataset.table), not "
            f"{what} from '{spec}': load them into BigQuery (bq load) and name the table, or "
            "use --engine duckdb (files, a store) or spark"
        )
    return _complete(rest, settings, spec)


def _complete(name: str, settings: EngineSettings, spec: str, *, wildcard: bool = False) -> Table:
    """`name` (``project.dataset.table``, ``dataset.table`` or ``table``) completed from
    ``[engine] project`` / ``dataset``; with `wildcard` the table may end in ``*``."""
    parts = name.strip().split(".")
    if len(parts) == 2:
        parts = [_needed(settings.project, "project", spec), *parts]
    elif len(parts) == 1:
        parts = [
            _needed(settings.project, "project", spec),
            _needed(settings.dataset, "dataset", spec),
            *parts,
        ]
    if wildcard and len(parts) == 3 and parts[2].endswith("*"):
        parts[2] = parts[2][:-1]
        last = "*"
    else:
        last = ""
    if len(parts) != 3 or not all(_PART.match(p) for p in parts):
        raise DataError(
            f"'{spec}' is not a BigQuery table: give table:project.dataset.table "
            "(letters, digits, _ and -)"
        )
    return Table(parts[0], parts[1], parts[2] + last)


def _needed(value: str | None, key: str, spec: str) -> str:
    if not value:
        raise ConfigError(
            f"'{spec}' names no {key}: write it out (table:project.dataset.table) or set "
            f"[engine] {key}"
        )
    return value


def access_token(environ: Mapping[str, str] | None = None) -> str:
    """The OAuth access token from the environment; a ConfigError saying how to get one."""
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(
            f"the bigquery engine needs an OAuth access token in {TOKEN_ENV}: "
            f'export {TOKEN_ENV}="$(gcloud auth print-access-token)" (it lasts an hour; the '
            "account needs roles/bigquery.jobUser on the project and roles/bigquery.dataViewer "
            "on the datasets). It is never read from the config."
        )
    return token


# -- errors ----------------------------------------------------------------------------------------
def _first(error: Mapping[str, Any]) -> tuple[str, str]:
    """(reason, message) of an error payload's ``error`` or of an ErrorProto."""
    reason = str(error.get("reason") or "")
    errors = error.get("errors")
    if not reason and isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        reason = str(errors[0].get("reason") or "")
    message = str(error.get("message") or "")
    if not message and isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        message = str(errors[0].get("message") or "")
    return reason, message


#: What each of BigQuery's error reasons becomes: the error class, and the fix the message names
#: ({project}, {datasets}, {names} and {now} filled in). ``apiDisabled`` stands for a 403 saying
#: the API is not enabled.
_FIXES: dict[str, tuple[type[SocialROIError], str]] = {
    "bytesBilledLimitExceeded": (
        ConfigError,
        "raise [engine] maximum_bytes_billed ({now}) to let this run bill more (the refused "
        "query billed nothing; BigQuery bills at least 10 MB a query)",
    ),
    "apiDisabled": (
        PermissionDenied,
        "enable the BigQuery API in project {project} "
        "(console.cloud.google.com/apis/library/bigquery.googleapis.com)",
    ),
    "billingNotEnabled": (PermissionDenied, "enable billing for project {project}"),
    "accessDenied": (
        PermissionDenied,
        f"grant the account behind {TOKEN_ENV} roles/bigquery.jobUser on project {{project}} "
        "(to run queries) and roles/bigquery.dataViewer on {datasets} (to read the tables)",
    ),
    "notFound": (
        UnknownObject,
        "check the table names ({names}: table:project.dataset.table, or [engine] project and "
        "dataset) and [engine] location (a dataset is found only in its own location)",
    ),
    "invalidQuery": (
        DataError,
        "check that the tables have the columns the engine reads, with usable types "
        "(docs/scale.md)",
    ),
    "rateLimitExceeded": (RateLimited, "BigQuery asks to slow down: run again in a minute"),
    "quotaExceeded": (
        UpstreamError,
        "a BigQuery quota ran out: wait for it to return (most are daily) or ask for more in "
        "IAM & Admin > Quotas",
    ),
    "billingTierLimitExceeded": (
        UpstreamError,
        "the query needs more compute than the project's billing tier allows: run it in a "
        "project on capacity (slot) pricing, or ask BigQuery support",
    ),
}


def _reason(reason: str, status: int | None, message: str) -> str:
    """The key of :data:`_FIXES` for an error: its reason, or what its HTTP status says."""
    low = message.lower()
    if status == 403 and ("has not been used" in low or "is disabled" in low):
        return "apiDisabled"
    if not reason and status in (403, 404):
        return "accessDenied" if status == 403 else "notFound"
    return reason


def refusal(
    error: Mapping[str, Any],
    *,
    what: str,
    project: str,
    tables: Sequence[Table] = (),
    status: int | None = None,
    max_bytes: int | None = None,
    secrets: Sequence[str] = (),
) -> SocialROIError:
    """BigQuery's error (an error payload's ``error`` object, or a job's ``status.errorResult``
    ErrorProto) as the error hierarchy's class, with a message naming the fix (:data:`_FIXES`);
    `secrets` are masked in it."""
    reason, message = _first(error)
    said = message or reason or (f"HTTP {status}" if status else "failed")
    kind, fix = _FIXES.get(_reason(reason, status, message), (UpstreamError, ""))
    fix = fix.format(
        project=project,
        datasets=", ".join(sorted({f"{t.project}.{t.dataset}" for t in tables})) or "the datasets",
        names=", ".join(str(t) for t in tables) or "the tables",
        now=f"now {max_bytes}" if max_bytes is not None else "unset: the project's default",
    )
    text = scrub(f"bigquery: {what}: {said}" + (f"; {fix}" if fix else ""), secrets)
    if kind is UpstreamError and status is not None:
        return HttpStatusError(text, status=status, payload={"error": dict(error)})
    return kind(text)


# -- the client ------------------------------------------------------------------------------------
def _session_of(reply: Mapping[str, Any]) -> str | None:
    """The session id of a QueryResponse (``sessionInfo``) or a Job (``statistics.sessionInfo``)."""
    for holder in (reply, reply.get("statistics") or {}):
        info = holder.get("sessionInfo") if isinstance(holder, Mapping) else None
        if isinstance(info, Mapping) and info.get("sessionId"):
            return str(info["sessionId"])
    return None


class Client:
    """BigQuery's REST API for one run: table schemas, and queries in one session."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        token: str,
        project: str,
        tables: Sequence[Table] = (),
        base_url: str | None = None,
    ) -> None:
        base = str(base_url or settings.options.get("base_url") or BASE_URL)
        self.project = project
        self.location = settings.location
        self.max_bytes = settings.maximum_bytes_billed
        self.tables = tuple(tables)
        self.token = token
        self.http = Http(
            PLATFORM,
            base,
            secrets=(token,),
            rewrite_hosts={BASE_URL: base},
            auth_hint=_TOKEN_HINT,
            backoff=BACKOFF,
        )
        self.http.headers["Authorization"] = f"Bearer {token}"
        #: The session every query after the first runs in (None until it is created).
        self.session_id: str | None = None

    # requests
    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            if method == "POST":
                got = self.http.post_json(API + path, json=dict(body or {}), params=params)
            else:
                got = self.http.get_json(API + path, params=params)
        except HttpStatusError as exc:
            payload = exc.payload.get("error") if isinstance(exc.payload, Mapping) else None
            raise self._refusal(
                payload if isinstance(payload, Mapping) else {"message": str(exc)},
                what=what,
                status=exc.status,
            ) from None
        if not isinstance(got, dict):
            raise UpstreamError(f"bigquery: {what}: {method} {path} did not answer a JSON object")
        return got

    def _refusal(
        self, error: Mapping[str, Any], *, what: str, status: int | None = None
    ) -> SocialROIError:
        return refusal(
            error,
            what=what,
            project=self.project,
            tables=self.tables,
            status=status,
            max_bytes=self.max_bytes,
            secrets=(self.token,),
        )

    def fields(self, table: Table) -> dict[str, tuple[str, str]]:
        """The table's columns, by lower-cased name (BigQuery's names ignore case): (name, type)."""
        got = self._call(
            "GET",
            f"/projects/{table.project}/datasets/{table.dataset}/tables/{table.table}",
            what=f"table {table}",
        )
        fields = (got.get("schema") or {}).get("fields") or []
        return {
            str(f["name"]).lower(): (str(f["name"]), str(f.get("type") or "").upper())
            for f in fields
            if isinstance(f, Mapping) and f.get("name")
        }

    def _params(self, location: str | None, **more: Any) -> dict[str, Any]:
        params = {k: v for k, v in more.items() if v is not None}
        if location:
            params["location"] = location
        return params

    def query(
        self, sql: str, *, what: str, create_session: bool = False
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Run `sql` in the session (creating it with `create_session`) and wait for it: the
        result's schema fields and every row (all pages)."""
        body: dict[str, Any] = {
            "query": sql,
            "useLegacySql": False,
            "maxResults": PAGE_ROWS,
            "timeoutMs": WAIT_MS,
            "requestId": uuid.uuid4().hex,
        }
        if self.location:
            body["location"] = self.location
        if self.max_bytes is not None:
            body["maximumBytesBilled"] = str(self.max_bytes)
        if create_session:
            body["createSession"] = True
        elif self.session_id:
            body["connectionProperties"] = [{"key": "session_id", "value": self.session_id}]
        reply = self._call("POST", f"/projects/{self.project}/queries", what=what, body=body)
        if create_session:
            self.session_id = _session_of(reply)
        ref = reply.get("jobReference") or {}
        job_id = str(ref.get("jobId") or "")
        location = ref.get("location") or self.location
        if not job_id:
            raise UpstreamError(f"bigquery: {what}: the answer names no job")
        results = f"/projects/{self.project}/queries/{job_id}"
        waited = False
        while not reply.get("jobComplete"):
            waited = True
            reply = self._call(
                "GET",
                results,
                what=what,
                params=self._params(location, timeoutMs=WAIT_MS, maxResults=PAGE_ROWS),
            )
        if waited or reply.get("errors") or (create_session and not self.session_id):
            job = self._call(
                "GET",
                f"/projects/{self.project}/jobs/{job_id}",
                what=what,
                params=self._params(location),
            )
            if create_session and not self.session_id:
                self.session_id = _session_of(job)
            failed = (job.get("status") or {}).get("errorResult")
            if isinstance(failed, Mapping):
                raise self._refusal(failed, what=what)
        fields = list((reply.get("schema") or {}).get("fields") or [])
        rows = list(reply.get("rows") or [])
        token = reply.get("pageToken")
        while token:
            page = self._call(
                "GET",
                results,
                what=what,
                params=self._params(
                    location, pageToken=token, maxResults=PAGE_ROWS, timeoutMs=WAIT_MS
                ),
            )
            fields = fields or list((page.get("schema") or {}).get("fields") or [])
            rows += page.get("rows") or []
            token = page.get("pageToken")
        return fields, rows

    def frame(self, sql: str, *, what: str, name: str) -> pl.DataFrame:
        """The result of `sql` as a frame (in output `name`'s duckdb types, when it has them)."""
        fields, rows = self.query(sql, what=what)
        return typed(name, to_frame(fields, rows))

    def end(self) -> None:
        """End the session (its temporary tables go with it); a failure is only logged."""
        if self.session_id is None:
            return
        try:
            self.query("CALL BQ.ABORT_SESSION()", what="ending the session")
        except SocialROIError as err:
            log.warning(
                "bigquery: the session was not ended (BigQuery ends it after 24 idle hours): %s",
                err,
            )
        finally:
            self.session_id = None

    def close(self) -> None:
        try:
            self.end()
        finally:
            self.http.close()


# -- results ---------------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _timestamp(text: str) -> datetime:
    """BigQuery's TIMESTAMP cell: epoch seconds as text (``1.7040672E9``), exact to the µs."""
    try:
        micros = int((Decimal(text) * 1_000_000).to_integral_value())
    except InvalidOperation as err:
        raise UpstreamError(f"bigquery: a TIMESTAMP cell is not epoch seconds: {text!r}") from err
    return _EPOCH + timedelta(microseconds=micros)


_CELLS: dict[str, tuple[Callable[[str], Any], pl.DataType]] = {
    "INTEGER": (int, pl.Int64()),
    "INT64": (int, pl.Int64()),
    "FLOAT": (float, pl.Float64()),
    "FLOAT64": (float, pl.Float64()),
    "NUMERIC": (float, pl.Float64()),
    "BIGNUMERIC": (float, pl.Float64()),
    "BOOLEAN": (lambda v: v.lower() == "true", pl.Boolean()),
    "BOOL": (lambda v: v.lower() == "true", pl.Boolean()),
    "STRING": (str, pl.String()),
    "DATE": (date.fromisoformat, pl.Date()),
    "DATETIME": (datetime.fromisoformat, pl.Datetime("us")),
    "TIMESTAMP": (_timestamp, pl.Datetime("us", "UTC")),
}


def to_frame(
    fields: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> pl.DataFrame:
    """``rows[].f[].v`` as a polars frame, each column converted by its ``schema.fields[].type``
    (INTEGER → Int64, FLOAT → Float64, BOOLEAN, STRING, DATE, DATETIME, TIMESTAMP → UTC)."""
    columns = []
    for i, field in enumerate(fields):
        name, kind = str(field.get("name")), str(field.get("type") or "").upper()
        if kind not in _CELLS or field.get("mode") == "REPEATED":
            raise UpstreamError(
                f"bigquery: column {name} is {kind}, which the engine does not read"
            )
        convert, dtype = _CELLS[kind]
        values = []
        for row in rows:
            cell = row["f"][i].get("v") if isinstance(row["f"][i], Mapping) else None
            values.append(None if cell is None else convert(str(cell)))
        columns.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(columns)


def typed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Output `name` in the duckdb engine's types (:data:`OUTPUT_TYPES`; rule credits Float64)."""
    types = OUTPUT_TYPES.get(name, {})
    casts = []
    for col in frame.columns:
        dtype = types.get(col)
        if dtype is None and name == "rules" and col.endswith(("_conversions", "_value")):
            dtype = pl.Float64()
        if dtype is not None and frame.schema[col] != dtype:
            casts.append(pl.col(col).cast(dtype))
    return frame.with_columns(casts) if casts else frame


# -- the run ---------------------------------------------------------------------------------------
_TIME_TYPES = ("TIMESTAMP", "DATETIME", "DATE", "STRING")


def _column(fields: Mapping[str, tuple[str, str]], col: str) -> str | None:
    found = fields.get(col.lower())
    return f"`{found[0]}`" if found else None


def _utc(fields: Mapping[str, tuple[str, str]], col: str, what: str) -> str:
    """Column `col` as a TIMESTAMP in UTC (DATETIME, DATE and text read as UTC); NULL when
    missing."""
    found = fields.get(col.lower())
    if found is None:
        return "CAST(NULL AS TIMESTAMP)"
    name, kind = found
    if kind == "TIMESTAMP":
        return f"`{name}`"
    if kind in _TIME_TYPES:
        return f"TIMESTAMP(`{name}`)"
    raise DataError(
        f"{what} column '{name}' is {kind}: give a TIMESTAMP, DATETIME, DATE or ISO 8601 text",
        column=name,
    )


def input_sql(
    touches: Table,
    t_fields: Mapping[str, tuple[str, str]],
    conversions: Table,
    c_fields: Mapping[str, tuple[str, str]],
    plan: Plan,
) -> tuple[str, str]:
    """The two statements that make the normalised input tables (the duckdb engine's views,
    column for column)."""
    for col in ("contact_id", "ts", "channel", *plan.touch_columns):
        if col.lower() not in t_fields:
            raise DataError(f"touchpoints ({touches}) have no column '{col}'", column=col)
    ref = _column(t_fields, "ref")
    extra = "".join(f", {_column(t_fields, c)} AS `{c}`" for c in plan.touch_columns)
    t_sql = (
        f"CREATE TEMP TABLE {TOUCHES_TABLE} AS SELECT "
        f"CAST({_column(t_fields, 'contact_id')} AS STRING) AS contact_id, "
        f"{_utc(t_fields, 'ts', 'touchpoints')} AS ts, "
        f"CAST({_column(t_fields, 'channel')} AS STRING) AS channel, "
        f"CAST({ref or 'NULL'} AS STRING) AS ref{extra} FROM {touches.sql()}"
    )
    return t_sql, conversions_input_sql(conversions, c_fields)


def conversions_input_sql(conversions: Table, c_fields: Mapping[str, tuple[str, str]]) -> str:
    """The statement that makes the normalised conversions table."""
    for col in ("contact_id", "ts"):
        if col.lower() not in c_fields:
            raise DataError(f"conversions ({conversions}) have no column '{col}'", column=col)
    conv_id = _column(c_fields, "conversion_id")
    cid = (
        f"CAST({conv_id} AS STRING)"
        if conv_id
        else "CONCAT('c', CAST(ROW_NUMBER() OVER () AS STRING))"
    )
    value = _column(c_fields, "value")
    val = (
        f"COALESCE(CAST({value} AS FLOAT64), CAST(0 AS FLOAT64))" if value else "CAST(0 AS FLOAT64)"
    )
    return (
        f"CREATE TEMP TABLE {CONVERSIONS_TABLE} AS SELECT {cid} AS conversion_id, "
        f"CAST({_column(c_fields, 'contact_id')} AS STRING) AS contact_id, "
        f"{_utc(c_fields, 'ts', 'conversions')} AS ts, {val} AS value, "
        f"{_utc(c_fields, 'lead_created_at', 'conversions')} AS lead_created_at, "
        f"{_utc(c_fields, 'deal_created_at', 'conversions')} AS deal_created_at "
        f"FROM {conversions.sql()}"
    )


#: The session's table of the ``contacts=`` of a ``ga4:`` source (ids as STRING).
GA4_CONTACTS_TABLE = "sr_ga4_contacts"


def ga4_input_sql(
    spec: str, settings: EngineSettings, plan: Plan
) -> tuple[list[tuple[str, str]], tuple[Table, ...]]:
    """The statements, each with what it does (for errors), that make the touches table from
    the GA4 export a ``ga4:EVENTS#options`` `spec` names (:func:`ga4_export.export_source`;
    EVENTS ``[[project.]dataset.]events_*``, completed as ``table:`` sources are): the
    ``contacts=`` table with its ids as STRING, when given, then the touches (one per session
    tied to a contact, ts from the session's first event); and the tables read (the events, the
    contacts). ``since``/``until`` also bound ``_TABLE_SUFFIX``: only those days' tables are
    scanned and billed."""
    for col in plan.touch_columns:
        if col not in ga4_export.TOUCH_COLUMNS:
            raise DataError(
                f"touchpoints from the GA4 export have no column '{col}' (they have "
                f"{', '.join(ga4_export.TOUCH_COLUMNS)})",
                column=col,
            )
    written, _ = ga4_export.split_spec(spec)
    if written.partition(":")[0].lower() in ga4_export.FILE_KINDS:
        raise DataError(
            f"the bigquery engine reads the GA4 export from BigQuery, not from '{written}': "
            "give ga4:project.dataset.events_*, or use --engine duckdb for files"
        )
    events = _complete(written, settings, spec, wildcard=True)
    source, contacts = ga4_export.export_source(spec, events=str(events))
    steps: list[tuple[str, str]] = []
    read = [events]
    name: str | None = None
    if contacts is not None:
        if contacts.partition(":")[0].lower() in ga4_export.FILE_KINDS:
            raise ConfigError(
                f"ga4 option contacts={contacts}: the bigquery engine reads the contacts from a "
                "BigQuery table ([[project.]dataset.]table)"
            )
        table = _complete(contacts, settings, spec)
        read.append(table)
        name = GA4_CONTACTS_TABLE
        steps.append(
            (
                f"CREATE TEMP TABLE {name} AS SELECT CAST(contact_id AS STRING) AS contact_id, "
                f"CAST(visitor_id AS STRING) AS visitor_id FROM {table.sql()}",
                f"reading the ga4 contacts ({table})",
            )
        )
    body = ga4_export.touchpoints_sql(source, contacts=name, dialect=DIALECT)
    extra = "".join(f", {c}" for c in plan.touch_columns)
    steps.append(
        (
            f"CREATE TEMP TABLE {TOUCHES_TABLE} AS SELECT contact_id, "
            f"TIMESTAMP_MICROS(ts_us) AS ts, channel, ref{extra} FROM (\n{body}\n)",
            f"reading the touchpoints from the GA4 export ({events})",
        )
    )
    return steps, tuple(read)


#: One query for the DataErrors core raises on the same input (the duckdb engine's checks).
CHECK_SQL = f"""
SELECT
  (SELECT COUNT(*) FROM {CONVERSIONS_TABLE} WHERE ts IS NULL OR contact_id IS NULL)
    AS conversions,
  (SELECT COUNT(*) FROM {TOUCHES_TABLE}
    WHERE ts IS NULL OR contact_id IS NULL OR channel IS NULL) AS touches,
  (SELECT conversion_id FROM {CONVERSIONS_TABLE}
    GROUP BY conversion_id HAVING COUNT(*) > 1 LIMIT 1) AS repeated
"""


def _check(client: Client) -> None:
    found = client.frame(CHECK_SQL, what="checking the inputs", name="check").row(0, named=True)
    refuse_inputs(
        conversions=found["conversions"], touches=found["touches"], repeated=found["repeated"]
    )


def run(
    touchpoints: Source, conversions: Source, plan: Plan, settings: EngineSettings
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """Every output of `plan`'s SQL run in BigQuery (the Runner protocol), in one session that
    is ended when the run ends, also on error."""
    sql = plan.sql(DIALECT, touches=TOUCHES_TABLE, conversions=CONVERSIONS_TABLE)
    steps: list[tuple[str, str]] | None = None
    if ga4_export.is_spec(touchpoints):
        steps, read = ga4_input_sql(str(touchpoints), settings, plan)
    else:
        read = (table_of(touchpoints, settings, what="touchpoints"),)
    c_table = table_of(conversions, settings, what="conversions")
    client = Client(
        settings,
        token=access_token(),
        project=settings.project or read[0].project,
        tables=(*read, c_table),
    )
    try:
        if steps is None:
            t_sql, c_sql = input_sql(
                read[0], client.fields(read[0]), c_table, client.fields(c_table), plan
            )
            steps = [(t_sql, f"reading the touchpoints ({read[0]})")]
        else:
            c_sql = conversions_input_sql(c_table, client.fields(c_table))
        for i, (statement, what) in enumerate(steps):
            client.query(statement, what=what, create_session=not i)
        client.query(c_sql, what=f"reading the conversions ({c_table})")
        _check(client)
        for stage in sql.stages:
            client.query(
                f"CREATE TEMP TABLE {stage.name} AS\n{stage.sql}", what=f"stage {stage.name}"
            )
        outputs = {
            q.name: client.frame(q.sql, what=f"output {q.name}", name=q.name) for q in sql.outputs
        }
        return outputs, sql
    finally:
        client.close()


__all__ = [
    "BASE_URL",
    "CONVERSIONS_TABLE",
    "DIALECT",
    "GA4_CONTACTS_TABLE",
    "OUTPUT_TYPES",
    "TOKEN_ENV",
    "TOUCHES_TABLE",
    "Client",
    "Table",
    "access_token",
    "conversions_input_sql",
    "ga4_input_sql",
    "input_sql",
    "refusal",
    "run",
    "table_of",
    "to_frame",
    "typed",
]
