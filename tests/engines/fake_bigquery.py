"""A loopback BigQuery (REST API v2) that really runs the queries, for the bigquery engine's tests.

    with FakeBigQuery({"test-project.analytics.touches": frame, ...}) as bq:
        settings = EngineSettings(name="bigquery", options={"base_url": bq.url})

It binds 127.0.0.1 only (through tests/adapters/fakeserver.py) and speaks what the engine uses:

- ``POST /bigquery/v2/projects/{p}/queries`` (jobs.query): a QueryRequest (``query``,
  ``useLegacySql`` false, ``createSession`` / ``connectionProperties`` ``session_id``,
  ``maximumBytesBilled`` as an int64 string, ``location``, ``maxResults``, ``requestId``)
  answered by a QueryResponse (``jobReference``, ``jobComplete``, ``sessionInfo.sessionId``,
  ``schema.fields``, ``rows[].f[].v``, ``totalRows``, ``pageToken``);
- ``GET .../queries/{jobId}`` (jobs.getQueryResults: ``pageToken``, ``maxResults``,
  ``timeoutMs``, ``location``), ``GET .../jobs/{jobId}`` (jobs.get: ``status.state``,
  ``status.errorResult``, ``statistics.sessionInfo``), ``GET .../datasets/{d}/tables/{t}``
  (tables.get: ``schema.fields``);
- errors as ``{"error": {"code", "message", "errors": [ErrorProto], "status"}}``, ErrorProto
  being ``{"reason", "location", "message"}``.

Each session is a DuckDB connection holding a copy of the tables (``project.dataset.table`` as
catalog, schema, table; time zone UTC; day shards ``name_YYYYMMDD`` also as the wildcard table
``name_*`` with ``_TABLE_SUFFIX``); each BigQuery statement is transpiled by SQLGlot
(read="bigquery", write="duckdb") and run there, ``CALL BQ.ABORT_SESSION()`` closes it. Results
go back with BigQuery's legacy type names (INTEGER, FLOAT, STRING, DATE, TIMESTAMP as epoch
seconds text…) in pages of `page_rows`; every `slow_every`-th job answers ``jobComplete:
false`` at its first look. Every query bills at least 10 MB, as BigQuery does, so a
``maximumBytesBilled`` under that fails with BigQuery's bytesBilledLimitExceeded.

The shapes were checked against BigQuery's reference:
https://docs.cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query (QueryRequest,
QueryResponse), https://docs.cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults
(GetQueryResultsResponse), https://docs.cloud.google.com/bigquery/docs/reference/rest/v2/ErrorProto,
https://docs.cloud.google.com/bigquery/docs/reference/rest/v2/SessionInfo,
https://cloud.google.com/bigquery/docs/reference/rest/v2/ConnectionProperty (``session_id``),
https://docs.cloud.google.com/bigquery/docs/sessions (createSession; the session id in the
response's ``statistics.sessionInfo``), https://cloud.google.com/bigquery/docs/sessions-terminating
(``CALL BQ.ABORT_SESSION()``), https://cloud.google.com/bigquery/docs/error-messages (reasons
and their HTTP codes), https://cloud.google.com/bigquery/docs/troubleshoot-quotas
(quotaExceeded / rateLimitExceeded bodies).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Self

import duckdb
import polars as pl
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from tests.adapters.fakeserver import FakeServer, Reply, Seen

TOKEN = "ya29.fake-bigquery-token-0123456789abcdef"  # noqa: S105 - made up; hunted for in output
API = "/bigquery/v2"
#: BigQuery bills at least 10 MB for a query.
MIN_BYTES = 10 * 1024 * 1024
#: A day shard of a wildcard table (GA4's events_YYYYMMDD).
_SHARD = re.compile(r"^(.+_)(\d{8})$")
_ABORT = re.compile(r"^\s*CALL\s+BQ\.ABORT_SESSION\s*\(\s*\)\s*;?\s*$", re.IGNORECASE)
_HTTP_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
_HTTP_STATUS |= {404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE"}


def error_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """BigQuery's error payload."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": _HTTP_STATUS.get(code, "UNKNOWN"),
        }
    }


def bq_type(dtype: pl.DataType) -> str:
    """The legacy type name BigQuery's REST schemas use for a column of `dtype`."""
    if dtype.is_integer():
        return "INTEGER"
    if isinstance(dtype, pl.Decimal):
        return "INTEGER" if dtype.scale == 0 else "NUMERIC"
    if dtype.is_float():
        return "FLOAT"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP" if dtype.time_zone else "DATETIME"
    return "STRING"


def _cell(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind == "INTEGER":
        return str(int(value))
    if kind in ("FLOAT", "NUMERIC"):
        x = float(value)
        return "NaN" if x != x else "Infinity" if x == float("inf") else repr(x)
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "TIMESTAMP":  # epoch seconds, as BigQuery writes them (1.7040672E9)
        assert isinstance(value, datetime)
        micros = (value - datetime(1970, 1, 1, tzinfo=UTC)) // _MICRO
        return format(Decimal(micros).scaleb(-6).normalize(), "E").replace("E+", "E")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Job:
    project: str
    job_id: str
    location: str
    session: str | None
    result: pl.DataFrame | None = None
    error: dict[str, Any] | None = None
    #: Looks that still answer jobComplete: false.
    pending: int = 0

    def reference(self) -> dict[str, str]:
        return {"projectId": self.project, "jobId": self.job_id, "location": self.location}


class FakeBigQuery:
    """The fake (see the module doc). `tables`: frames by ``project.dataset.table``."""

    def __init__(
        self,
        tables: Mapping[str, pl.DataFrame],
        *,
        token: str = TOKEN,
        page_rows: int = 3,
        slow_every: int = 2,
        session_info_in_response: bool = True,
    ) -> None:
        self.tables = dict(tables)
        self.token = token
        self.page_rows = page_rows
        self.slow_every = slow_every
        self.session_info_in_response = session_info_in_response
        self.server = FakeServer(route=self._route, max_requests=5000, lifetime=120.0)
        self.sessions: dict[str, duckdb.DuckDBPyConnection] = {}
        #: Sessions ended with CALL BQ.ABORT_SESSION(), in order.
        self.ended: list[str] = []
        self.jobs: dict[str, Job] = {}
        #: Every jobs.query body received, and every statement run (in order).
        self.bodies: list[dict[str, Any]] = []
        self.statements: list[str] = []
        #: Looks at a job that answered jobComplete: false; pages served after the first.
        self.waits = 0
        self.pages = 0
        self._answers: dict[str, Reply] = {}
        self._faults: list[tuple[Callable[[Seen, str], bool], Reply]] = []
        self._job_errors: list[tuple[str, dict[str, Any]]] = []
        #: Exceptions the fake raised while answering (a test expects none).
        self.crashes: list[str] = []
        self._count = 0
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------------
    def fail_next(self, reply: Reply, *, statement: str = "", method: str = "POST") -> None:
        """Answer `reply` (once) to the next `method` request whose query contains `statement`."""
        self._faults.append((lambda seen, sql: seen.method == method and statement in sql, reply))

    def fail_job(self, statement: str, *, reason: str, message: str) -> None:
        """The next job whose query contains `statement` runs, then completes with its
        ``status.errorResult`` set (reason, message)."""
        self._job_errors.append((statement, {"reason": reason, "message": message}))

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> Self:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)
        for con in self.sessions.values():
            con.close()
        self.sessions.clear()

    # -- serving ---------------------------------------------------------------------------------
    def _route(self, seen: Seen) -> Reply:
        with self._lock:
            try:
                return self._answer(seen)
            except Exception as err:  # a bug of the fake: fail the test fast, not by retries
                self.crashes.append(repr(err))
                return Reply(400, error_body(400, "fakeCrashed", f"the fake crashed: {err!r}"))

    def _answer(self, seen: Seen) -> Reply:
        body = json.loads(seen.body) if seen.body else {}
        statement = str(body.get("query", "")) if isinstance(body, dict) else ""
        for i, (match, reply) in enumerate(self._faults):
            if match(seen, statement):
                del self._faults[i]
                return reply
        if seen.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401,
                error_body(
                    401,
                    "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
            )
        parts = seen.path.removeprefix(API).strip("/").split("/")
        if seen.method == "POST" and len(parts) == 3 and parts[2] == "queries":
            self.bodies.append(body)
            return self._query(parts[1], body)
        if seen.method == "GET" and len(parts) == 4 and parts[2] == "queries":
            return self._results(parts[1], parts[3], seen.query)
        if seen.method == "GET" and len(parts) == 4 and parts[2] == "jobs":
            return self._job(parts[1], parts[3], seen.query)
        if seen.method == "GET" and len(parts) == 6 and parts[2] == "datasets":
            return self._table(parts[1], parts[3], parts[5])
        return Reply(404, error_body(404, "notFound", f"Not found: URL {seen.path}"))

    def _table(self, project: str, dataset: str, table: str) -> Reply:
        frame = self.tables.get(f"{project}.{dataset}.{table}")
        if frame is None:
            return Reply(
                404, error_body(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
            )
        return Reply(
            200,
            {
                "kind": "bigquery#table",
                "id": f"{project}:{dataset}.{table}",
                "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
                "schema": {"fields": self._fields(frame)},
                "numRows": str(frame.height),
                "location": "US",
            },
        )

    def _fields(self, frame: pl.DataFrame) -> list[dict[str, str]]:
        return [
            {"name": name, "type": bq_type(dtype), "mode": "NULLABLE"}
            for name, dtype in frame.schema.items()
        ]

    def _connect(self) -> duckdb.DuckDBPyConnection:
        # DuckDB's time zone is UTC here (no ICU): TIMESTAMPTZ behaves as BigQuery's TIMESTAMP.
        con = duckdb.connect(":memory:", config={"threads": 1})
        attached: set[str] = set()
        for key, frame in self.tables.items():
            project, dataset, table = key.split(".")
            if project not in attached:
                attached.add(project)
                con.execute(f"ATTACH ':memory:' AS \"{project}\"")
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{project}"."{dataset}"')
            con.register("sr_fake_source", frame.to_arrow())
            con.execute(f'CREATE TABLE "{project}"."{dataset}"."{table}" AS FROM sr_fake_source')
            con.unregister("sr_fake_source")
        self._wildcards(con)
        return con

    def _wildcards(self, con: duckdb.DuckDBPyConnection) -> None:
        """Day-sharded tables (``name_YYYYMMDD``) also as BigQuery's wildcard table
        ``name_*``: a view (named so, quoted) of their union with the ``_TABLE_SUFFIX`` column,
        which the transpiled SQL names as it names the wildcard table."""
        shards: dict[tuple[str, str, str], list[str]] = {}
        for key in self.tables:
            project, dataset, table = key.split(".")
            match = _SHARD.match(table)
            if match:
                shards.setdefault((project, dataset, match.group(1)), []).append(match.group(2))
        for (project, dataset, prefix), days in shards.items():
            union = " UNION ALL BY NAME ".join(
                f'SELECT *, \'{day}\' AS _TABLE_SUFFIX FROM "{project}"."{dataset}"."{prefix}{day}"'
                for day in sorted(days)
            )
            con.execute(f'CREATE VIEW "{project}"."{dataset}"."{prefix}*" AS {union}')

    def _query(self, project: str, body: dict[str, Any]) -> Reply:
        request_id = body.get("requestId")
        if request_id and request_id in self._answers:  # a retry: the same job's answer
            return self._answers[request_id]
        reply = self._new_query(project, body)
        if request_id and reply.status == 200:
            self._answers[request_id] = reply
        return reply

    def _new_query(self, project: str, body: dict[str, Any]) -> Reply:
        sql = str(body.get("query") or "")
        if body.get("useLegacySql") is not False:
            return Reply(400, error_body(400, "invalidQuery", "Legacy SQL: set useLegacySql"))
        cap = body.get("maximumBytesBilled")
        if cap is not None and (not isinstance(cap, str) or not cap.isdigit()):
            return Reply(400, error_body(400, "invalid", f"Invalid maximumBytesBilled: {cap!r}"))
        if cap is not None and int(cap) < MIN_BYTES:
            message = (
                f"Query exceeded limit for bytes billed: {cap}. {MIN_BYTES} or higher required."
            )
            return Reply(400, error_body(400, "bytesBilledLimitExceeded", message))
        props = {p["key"]: p["value"] for p in body.get("connectionProperties") or []}
        if body.get("createSession"):
            session: str | None = f"session-{uuid.uuid4().hex[:12]}"
            con = self._connect()
            self.sessions[str(session)] = con
        elif "session_id" in props:
            session = props["session_id"]
            if session not in self.sessions:
                return Reply(400, error_body(400, "invalidQuery", f"Session {session} has ended"))
            con = self.sessions[session]
        else:
            session, con = None, self._connect()
        self._count += 1
        job = Job(project, f"job_{self._count}", str(body.get("location") or "US"), session)
        self.jobs[job.job_id] = job
        self.statements.append(sql)
        failed = self._run(job, con, sql)
        if failed is not None:
            return failed
        if job.error is None and self.slow_every and self._count % self.slow_every == 0:
            job.pending = 1
        answer: dict[str, Any] = {"kind": "bigquery#queryResponse", "jobReference": job.reference()}
        if session and self.session_info_in_response:
            answer["sessionInfo"] = {"sessionId": session}
        if job.pending or job.error:
            job.pending = max(job.pending, 1)
            return Reply(200, {**answer, "jobComplete": False})
        return Reply(200, {**answer, **self._page(job, 0, body.get("maxResults"))})

    def _run(self, job: Job, con: duckdb.DuckDBPyConnection, sql: str) -> Reply | None:
        """Run `sql` for `job`: None when it ran (or will fail as a job), else the HTTP error."""
        for i, (needle, error) in enumerate(self._job_errors):
            if needle in sql:
                del self._job_errors[i]
                job.error = error
                return None
        if _ABORT.match(sql):
            if job.session is not None:
                self.sessions.pop(job.session).close()
                self.ended.append(job.session)
            return None
        try:
            tree = sqlglot.parse_one(sql, read="bigquery")
            text = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as err:
            return Reply(400, error_body(400, "invalidQuery", f"Syntax error: {err}"))
        try:
            if isinstance(tree, exp.Query):
                job.result = con.execute(text).pl()
            else:
                con.execute(text)
        except duckdb.CatalogException as err:
            return Reply(404, error_body(404, "notFound", f"Not found: {str(err).splitlines()[0]}"))
        except duckdb.Error as err:
            return Reply(400, error_body(400, "invalidQuery", str(err).splitlines()[0]))
        return None

    def _page(self, job: Job, start: int, max_results: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"jobComplete": True}
        if job.result is None:
            return out
        size = min(int(max_results or self.page_rows), self.page_rows)
        fields = self._fields(job.result)
        kinds = [f["type"] for f in fields]
        rows = [
            {"f": [{"v": _cell(v, k)} for v, k in zip(row, kinds, strict=True)]}
            for row in job.result.slice(start, size).iter_rows()
        ]
        out |= {"schema": {"fields": fields}, "totalRows": str(job.result.height)}
        if rows:
            out["rows"] = rows
        if start + size < job.result.height:
            out["pageToken"] = f"{job.job_id}@{start + size}"
        return out

    def _lookup(self, project: str, job_id: str, query: Mapping[str, str]) -> Job | Reply:
        job = self.jobs.get(job_id)
        if job is None or job.project != project or query.get("location", "US") != job.location:
            return Reply(404, error_body(404, "notFound", f"Not found: Job {project}:{job_id}"))
        return job

    def _results(self, project: str, job_id: str, query: Mapping[str, str]) -> Reply:
        job = self._lookup(project, job_id, query)
        if isinstance(job, Reply):
            return job
        head = {"kind": "bigquery#getQueryResultsResponse", "jobReference": job.reference()}
        if job.pending:
            job.pending -= 1
            self.waits += 1
            return Reply(200, {**head, "jobComplete": False})
        if job.error is not None:
            return Reply(200, {**head, "jobComplete": True, "errors": [job.error]})
        token = query.get("pageToken")
        start = int(query.get("startIndex") or 0)
        if token:
            owner, _, at = token.partition("@")
            if owner != job_id:
                return Reply(400, error_body(400, "invalid", "Invalid page token"))
            start = int(at)
            self.pages += 1
        return Reply(200, {**head, **self._page(job, start, query.get("maxResults"))})

    def _job(self, project: str, job_id: str, query: Mapping[str, str]) -> Reply:
        job = self._lookup(project, job_id, query)
        if isinstance(job, Reply):
            return job
        status: dict[str, Any] = {"state": "RUNNING" if job.pending else "DONE"}
        if job.error is not None and not job.pending:
            status |= {"errorResult": job.error, "errors": [job.error]}
        out: dict[str, Any] = {
            "kind": "bigquery#job",
            "id": f"{project}:{job.location}.{job_id}",
            "jobReference": job.reference(),
            "status": status,
            "statistics": {},
        }
        if job.session:
            out["statistics"]["sessionInfo"] = {"sessionId": job.session}
        return Reply(200, out)
