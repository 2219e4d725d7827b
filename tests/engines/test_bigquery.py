"""The bigquery engine against a loopback BigQuery that runs the queries on DuckDB
(tests/engines/fake_bigquery.py): the outputs and credits are the duckdb engine's, through the
library and the CLI; one session per run, ended also after a failure; BigQuery's refusals
become the error hierarchy's, naming the fix and never the token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from socialroi.adapters._http import HttpStatusError
from socialroi.cli import main
from socialroi.engines import ENGINE_MODELS, EngineSettings, attribute, plan_for, runner
from socialroi.engines import bigquery as bq
from socialroi.engines.duckdb_engine import run_plan
from socialroi.engines.sql import AttributionSQL
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    DataError,
    PermissionDenied,
    RateLimited,
    UnknownObject,
    UpstreamError,
)
from tests.adapters.fakeserver import Reply
from tests.engines.compare import same_frame, same_run
from tests.engines.fake_bigquery import TOKEN, FakeBigQuery, error_body
from tests.engines.test_buckets import BY, _frames
from tests.engines.test_ga4_export import CONVERSIONS as GA4_CONVERSIONS
from tests.engines.test_ga4_export import fill_generated

PROJECT = "test-project"
DATASET = "analytics"
TOUCHES = f"table:{DATASET}.touches"
CONVERSIONS = f"table:{PROJECT}.{DATASET}.conversions"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bq.TOKEN_ENV, TOKEN)
    monkeypatch.setattr(bq, "BACKOFF", 0.05)


def _tables(touches: pl.DataFrame, convs: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {
        f"{PROJECT}.{DATASET}.touches": touches,
        f"{PROJECT}.{DATASET}.conversions": convs,
    }


@pytest.fixture
def fake() -> Iterator[FakeBigQuery]:
    with FakeBigQuery(_tables(*_frames())) as server:
        yield server


def _settings(server: FakeBigQuery, **kw: object) -> EngineSettings:
    values: dict[str, object] = {
        "name": "bigquery",
        "project": PROJECT,
        "dataset": DATASET,
        "maximum_bytes_billed": 10**12,
        "options": {"base_url": server.url},
    }
    values.update(kw)
    return EngineSettings(**values)  # type: ignore[arg-type]


def _run(
    server: FakeBigQuery, touches: str = TOUCHES, **kw: Any
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY)
    return bq.run(touches, CONVERSIONS, plan, _settings(server, **kw))


@pytest.mark.parametrize("variant", ["text", "integer", "datetime"])
def test_outputs_and_credits_are_the_duckdb_engines(
    variant: str, caplog: pytest.LogCaptureFixture
) -> None:
    touches, convs = _frames(integer=variant == "integer")
    if variant == "datetime":  # naive DATETIME times (UTC), conversion ids generated
        convs = convs.with_columns(pl.col("ts").dt.replace_time_zone(None)).drop("conversion_id")
    caplog.set_level(logging.DEBUG)
    # The session id read from jobs.get's statistics when the response has none.
    with FakeBigQuery(
        _tables(touches, convs), session_info_in_response=variant != "integer"
    ) as server:
        outputs, sql = _run(server)
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=BY)
    native, native_sql = run_plan(touches, convs, plan, EngineSettings())
    assert sql.dialect == "bigquery"
    assert sql.contact_keys == "dictionary"
    same_run(outputs, sql, native, native_sql)
    # One session, ended; jobs waited for and results paged; the cap on every query.
    assert len(server.ended) == 1
    assert not server.sessions
    session = server.ended[0]
    assert server.waits > 0
    assert server.pages > 0
    first, *rest = server.bodies
    assert first["createSession"] is True
    assert "connectionProperties" not in first
    for body in rest:
        assert body["connectionProperties"] == [{"key": "session_id", "value": session}]
    assert all(b["maximumBytesBilled"] == str(10**12) for b in server.bodies)
    assert all(b["useLegacySql"] is False for b in server.bodies)
    assert server.statements[-1] == "CALL BQ.ABORT_SESSION()"
    stages = [s.split(" AS")[0] for s in server.statements if s.startswith("CREATE TEMP TABLE")]
    assert stages == [
        f"CREATE TEMP TABLE {n}"
        for n in ("sr_input_touches", "sr_input_conversions", *(q.name for q in sql.stages))
    ]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.server.requests)
    assert TOKEN not in caplog.text
    assert not server.crashes


def test_registered_lazily_and_through_the_library(fake: FakeBigQuery) -> None:
    assert runner("bigquery") is bq.run
    touches, convs = _frames()
    got = attribute(
        TOUCHES,
        CONVERSIONS,
        engine="bigquery",
        model="shapley",
        lookback_days=30,
        engine_options={"project": PROJECT, "dataset": DATASET, "base_url": fake.url},
    )
    want = attribute(touches, convs, model="shapley", lookback_days=30)
    same_frame(got, want, "shapley")


def test_cli_attribute_on_bigquery(fake: FakeBigQuery, tmp_path: Path) -> None:
    config = tmp_path / "socialroi.toml"
    config.write_text(
        "[engine]\n"
        'name = "bigquery"\n'
        f'project = "{PROJECT}"\n'
        f'dataset = "{DATASET}"\n'
        'location = "US"\n'
        "maximum_bytes_billed = 50_000_000_000\n"
        f'base_url = "{fake.url}"\n',
        encoding="utf-8",
    )
    args = ["attribute", "--touchpoints", TOUCHES, "--conversions", CONVERSIONS]
    args += ["--model", "linear", "--lookback-days", "30", "--by", "channel,month"]
    result = CliRunner().invoke(
        main, [*args, "--engine", "bigquery", "--config", str(config), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    got = pl.read_csv(result.stdout.encode(), try_parse_dates=True)
    touches, convs = _frames()
    want = attribute(touches, convs, model="linear", lookback_days=30, by=("channel", "month"))
    keys = ["channel", "month"]
    got, want = got.sort(keys, nulls_last=True), want.sort(keys, nulls_last=True)
    assert got.select(keys).equals(want.select(keys))
    for col in ("conversions", "value"):
        assert got.get_column(col).to_list() == pytest.approx(
            want.get_column(col).round(6).to_list(), abs=1e-9
        )
    assert all(b["location"] == "US" for b in fake.bodies)
    assert all(b["maximumBytesBilled"] == "50000000000" for b in fake.bodies)
    assert len(fake.ended) == 1
    assert not fake.sessions


def _refused(server: FakeBigQuery, kind: type[Exception], **kw: Any) -> str:
    with pytest.raises(kind) as caught:
        _run(server, **kw)
    text = str(caught.value)
    assert TOKEN not in text
    return text


def test_wrong_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "ya29.an-expired-token-abcdefghijklmnop"
    monkeypatch.setenv(bq.TOKEN_ENV, wrong)
    with FakeBigQuery(_tables(*_frames())) as server, pytest.raises(AuthFailed) as caught:
        _run(server)
    text = str(caught.value)
    assert "HTTP 401" in text
    assert bq.TOKEN_ENV in text
    assert "gcloud auth print-access-token" in text
    assert wrong not in text


def test_access_denied_names_the_roles(fake: FakeBigQuery) -> None:
    message = (
        "Access Denied: Project test-project: User does not have bigquery.jobs.create "
        "permission in project test-project."
    )
    fake.fail_next(Reply(403, error_body(403, "accessDenied", message)), statement="sr_input")
    text = _refused(fake, PermissionDenied)
    assert message in text
    assert "roles/bigquery.jobUser on project test-project" in text
    assert "roles/bigquery.dataViewer on test-project.analytics" in text
    assert not fake.sessions
    assert not fake.ended


def test_missing_table_is_not_found(fake: FakeBigQuery) -> None:
    text = _refused(fake, UnknownObject, touches=f"table:{DATASET}.nope")
    assert "Not found: Table test-project:analytics.nope" in text
    assert "check the table names" in text
    assert not fake.bodies  # found out before any query


def test_server_error_is_retried_with_the_same_request_id(fake: FakeBigQuery) -> None:
    boom = error_body(500, "backendError", "An internal error occurred.")
    fake.fail_next(Reply(500, boom), statement="CREATE TEMP TABLE sr_assigned")
    outputs, _ = _run(fake)
    assert set(outputs) >= {"channels", "grams", "sets"}
    tries = [r for r in fake.server.requests if b"CREATE TEMP TABLE sr_assigned" in r.body]
    assert len(tries) == 2
    assert tries[0].body == tries[1].body
    assert sum("CREATE TEMP TABLE sr_assigned" in s for s in fake.statements) == 1
    assert len(fake.ended) == 1


def test_bytes_billed_cap_fails_with_bigquerys_message(fake: FakeBigQuery) -> None:
    text = _refused(fake, ConfigError, maximum_bytes_billed=1000)
    assert "Query exceeded limit for bytes billed: 1000. 10485760 or higher required." in text
    assert "raise [engine] maximum_bytes_billed" in text


def test_failed_job_ends_the_session(fake: FakeBigQuery) -> None:
    fake.fail_job(
        "CREATE TEMP TABLE sr_grams",
        reason="resourcesExceeded",
        message="Resources exceeded during query execution: The query could not be executed "
        "in the allotted memory.",
    )
    text = _refused(fake, UpstreamError)
    assert "stage sr_grams: Resources exceeded during query execution" in text
    assert len(fake.ended) == 1
    assert not fake.sessions
    assert fake.statements[-1] == "CALL BQ.ABORT_SESSION()"


def test_input_checks_are_the_duckdb_engines() -> None:
    touches, convs = _frames()
    no_channel = touches.with_columns(
        pl.when(pl.col("ref") == "3").then(None).otherwise(pl.col("channel")).alias("channel")
    )
    with FakeBigQuery(_tables(no_channel, convs)) as server:
        assert "1 touch row(s) have no time, contact or channel" in _refused(server, DataError)
        assert len(server.ended) == 1
    repeated = pl.concat([convs, convs.head(1)])
    with FakeBigQuery(_tables(touches, repeated)) as server:
        assert "conversion_id 'd1' repeats" in _refused(server, DataError)
    with FakeBigQuery(_tables(touches.drop("channel"), convs)) as server:
        assert "no column 'channel'" in _refused(server, DataError)
        assert not server.bodies


def test_missing_token_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bq.TOKEN_ENV)
    with FakeBigQuery(_tables(*_frames())) as server:
        text = _refused(server, ConfigError)
        assert not server.server.requests
    assert bq.TOKEN_ENV in text
    assert "gcloud auth print-access-token" in text


@pytest.mark.parametrize(
    "source", ["parquet:/data/touches/*.parquet", "csv:t.csv", "store:x.duckdb", "t.parquet"]
)
def test_other_sources_are_refused(source: str) -> None:
    settings = EngineSettings(name="bigquery", project=PROJECT, dataset=DATASET)
    with pytest.raises(DataError, match=r"load them into BigQuery .* duckdb"):
        bq.table_of(source, settings, what="touchpoints")
    with pytest.raises(DataError, match="BigQuery tables"):
        bq.table_of(_frames()[0], settings, what="touchpoints")


def test_table_names_are_completed_from_the_config() -> None:
    s = EngineSettings(project="p-1", dataset="ds")
    assert str(bq.table_of("table:t", s, what="x")) == "p-1.ds.t"
    assert str(bq.table_of("table:other.t", s, what="x")) == "p-1.other.t"
    assert str(bq.table_of("table:q.d.t", EngineSettings(), what="x")) == "q.d.t"
    with pytest.raises(ConfigError, match=r"\[engine\] dataset"):
        bq.table_of("table:t", EngineSettings(project="p"), what="x")
    with pytest.raises(DataError, match="not a BigQuery table"):
        bq.table_of("table:a.b.c.d", s, what="x")


@pytest.mark.parametrize(
    ("reason", "status", "kind", "fix"),
    [
        ("accessDenied", 403, PermissionDenied, "roles/bigquery.jobUser"),
        ("notFound", 404, UnknownObject, "check the table names"),
        ("invalidQuery", 400, DataError, "columns the engine reads"),
        ("quotaExceeded", 403, UpstreamError, "IAM & Admin > Quotas"),
        ("rateLimitExceeded", 403, RateLimited, "slow down"),
        ("billingTierLimitExceeded", 400, UpstreamError, "billing tier"),
        ("bytesBilledLimitExceeded", 400, ConfigError, "maximum_bytes_billed"),
        ("backendError", 400, UpstreamError, ""),
    ],
)
def test_refusals_map_to_the_hierarchy(
    reason: str, status: int, kind: type[Exception], fix: str
) -> None:
    error = error_body(status, reason, f"{reason} happened for Bearer {TOKEN}")["error"]
    for got in (
        bq.refusal(error, what="stage x", project="p", status=status, secrets=(TOKEN,)),
        bq.refusal(error["errors"][0], what="stage x", project="p", secrets=(TOKEN,)),
    ):
        assert isinstance(got, kind), (reason, type(got))
        assert f"bigquery: stage x: {reason} happened" in str(got)
        assert fix in str(got)
        assert TOKEN not in str(got)
    assert isinstance(bq.refusal(error, what="q", project="p", status=400), HttpStatusError) or (
        reason != "backendError"
    )
    disabled = {"message": "BigQuery API has not been used in project 123 before or it is disabled"}
    got = bq.refusal(disabled, what="q", project="p", status=403)
    assert isinstance(got, PermissionDenied)
    assert "enable the BigQuery API in project p" in str(got)


def test_cells_are_converted_by_their_type() -> None:
    fields = [
        {"name": "i", "type": "INTEGER"},
        {"name": "f", "type": "FLOAT"},
        {"name": "b", "type": "BOOLEAN"},
        {"name": "s", "type": "STRING"},
        {"name": "d", "type": "DATE"},
        {"name": "t", "type": "TIMESTAMP"},
    ]
    rows: list[dict[str, Any]] = [
        {
            "f": [
                {"v": "9007199254740993"},
                {"v": "0.1"},
                {"v": "true"},
                {"v": "x"},
                {"v": "2024-02-01"},
                {"v": "1.7040672000000011E9"},
            ]
        },
        {"f": [{"v": None}] * 6},
    ]
    frame = bq.to_frame(fields, rows)
    assert frame.schema == pl.Schema(
        {
            "i": pl.Int64(),
            "f": pl.Float64(),
            "b": pl.Boolean(),
            "s": pl.String(),
            "d": pl.Date(),
            "t": pl.Datetime("us", "UTC"),
        }
    )
    first = frame.row(0, named=True)
    assert first["i"] == 9007199254740993
    assert first["f"] == 0.1
    assert first["b"] is True
    assert str(first["t"]) == "2024-01-01 00:00:00.000001+00:00"
    assert frame.row(1) == (None,) * 6
    assert bq.to_frame(fields, []).height == 0
    with pytest.raises(UpstreamError, match="GEOGRAPHY"):
        bq.to_frame([{"name": "g", "type": "GEOGRAPHY"}], [])


# -- the GA4 export (ga4:events_*) ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ga4_tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, pl.DataFrame], Path]:
    """The synthetic nested export as BigQuery holds it, one table per day (events_YYYYMMDD),
    with the contacts and conversions; and a DuckDB file with the same events as one table."""
    path = tmp_path_factory.mktemp("ga4-bigquery") / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        fill_generated(con)
        days = [r[0] for r in con.execute("SELECT DISTINCT event_date FROM events").fetchall()]
        tables = {
            f"{PROJECT}.{DATASET}.events_{day}": con.execute(
                "SELECT * FROM events WHERE event_date = ?", [day]
            ).pl()
            for day in days
        }
        tables[f"{PROJECT}.{DATASET}.contacts"] = con.execute("SELECT * FROM contacts").pl()
    tables[f"{PROJECT}.{DATASET}.conversions"] = GA4_CONVERSIONS
    assert len(days) >= 7
    return tables, path


@pytest.mark.parametrize(
    "options",
    ["contacts=contacts", "since=20240502,until=20240505,contacts=analytics.contacts", ""],
)
def test_ga4_export_gives_the_duckdb_engines_credits(
    ga4_tables: tuple[dict[str, pl.DataFrame], Path], options: str
) -> None:
    tables, warehouse = ga4_tables
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel", "kind"))
    suffix = f"#{options}" if options else ""
    with FakeBigQuery(tables, page_rows=50) as server:
        outputs, sql = bq.run(
            f"ga4:events_*{suffix}", CONVERSIONS, plan, _settings(server, dataset=DATASET)
        )
    native, native_sql = run_plan(
        f"ga4:events{suffix.replace(f'={DATASET}.', '=')}",
        GA4_CONVERSIONS,
        plan,
        EngineSettings(database=str(warehouse)),
    )
    got = same_run(outputs, sql, native, native_sql)
    assert got["linear"].height > 3
    # The export is read in the session's first query, by its wildcard table, never looked up
    # with tables.get; the contacts first when given. Only the days asked for are scanned.
    reads = [s for s in server.statements if "events_*" in s]
    assert len(reads) == 1
    assert reads[0].startswith(f"CREATE TEMP TABLE {bq.TOUCHES_TABLE} AS")
    assert f"`{PROJECT}.{DATASET}.events_*`" in reads[0]
    first = server.statements[0]
    if "contacts=" in options:
        assert first.startswith(f"CREATE TEMP TABLE {bq.GA4_CONTACTS_TABLE} AS")
        assert f"`{PROJECT}`.`{DATASET}`.`contacts`" in first
    else:
        assert first is reads[0]
    if "since" in options:
        assert "_TABLE_SUFFIX >= '20240502'" in reads[0]
        assert "_TABLE_SUFFIX <= '20240505'" in reads[0]
    else:
        assert "_TABLE_SUFFIX" not in reads[0]
    looked_up = [
        r.path for r in server.server.requests if r.method == "GET" and "/tables/" in r.path
    ]
    assert looked_up == [f"{bq.API}/projects/{PROJECT}/datasets/{DATASET}/tables/conversions"]
    assert len(server.ended) == 1
    assert not server.crashes


def test_ga4_sources_the_bigquery_engine_refuses() -> None:
    settings = EngineSettings(name="bigquery", project=PROJECT, dataset=DATASET)
    plan = plan_for(("linear",), by=("channel", "kind"))
    with pytest.raises(ConfigError, match="contacts"):
        bq.ga4_input_sql("ga4:events_*#contacts=parquet:/x.parquet", settings, plan)
    with pytest.raises(DataError, match="duckdb"):
        bq.ga4_input_sql("ga4:parquet:/x/*.parquet", settings, plan)
    with pytest.raises(DataError, match="'landing_page'"):
        bq.ga4_input_sql("ga4:events_*", settings, plan_for(("linear",), by=("landing_page",)))
    with pytest.raises(ConfigError, match="until"):
        bq.ga4_input_sql("ga4:events_*#until=2024", settings, plan)
    with pytest.raises(ConfigError, match="dataset"):
        bq.ga4_input_sql("ga4:events_*", EngineSettings(name="bigquery", project=PROJECT), plan)
    steps, read = bq.ga4_input_sql("ga4:other.events_*#since=20240101", settings, plan)
    assert [str(t) for t in read] == [f"{PROJECT}.other.events_*"]
    assert len(steps) == 1
    assert "TIMESTAMP_MICROS(ts_us) AS ts, channel, ref, kind FROM (" in steps[0][0]
