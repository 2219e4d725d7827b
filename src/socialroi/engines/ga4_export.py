"""The GA4 BigQuery export (``events_*``) as a source of sessions and touchpoints.

GA4 writes one row per event, nested: ``event_params`` is an array of ``(key, value)`` structs,
the traffic source sits in three structs of different scope. What the journeys need is one touch
per session, so the export is reduced where it lives, in SQL, before the journey SQL runs:

Sessions
    A session is ``(user_pseudo_id, ga_session_id)`` (``ga_session_id``: the ``int_value`` of the
    event parameter of that name); its id is ``ga4x:<user_pseudo_id>:<ga_session_id>``, its start
    the earliest ``event_timestamp`` (µs since the epoch, UTC). Events without a pseudo-id or a
    session id belong to no session and are left out.

Traffic source (source, medium, campaign, content, term), from the first of these that names a
source or a medium, all five fields from the same one:

1. ``session_traffic_source_last_click.manual_campaign`` (session-scoped; exports from 2024 on);
2. ``collected_traffic_source`` (the raw UTM values an event carried; 2023 on);
3. the event parameters ``source``, ``medium``, ``campaign``, ``content``, ``term``.

Within a level the session's earliest event that carries it wins (ties in time: the smaller
values, compared field by field), so a session's first event decides when it carries one.
Values are cleaned as the GA4 pull cleans them (:func:`socialroi.adapters.ga4.clean_value`):
trimmed; empty, ``(not set)`` and ``(other)`` are empty; campaign, content and term that are a
parenthesised placeholder (``(direct)``, ``(organic)``…) are empty. The click id is the
earliest ``gclid`` (collected or parameter).

Giant pseudo-ids
    A pseudo-id with more than ``max_sessions_per_visitor`` sessions (default
    :data:`MAX_SESSIONS_PER_VISITOR`) is a bot, a shared kiosk or a consent placeholder, not a
    person: all its sessions are left out (they would make one huge window partition and one
    absurd journey). :func:`giant_visitors_sql` lists them, so a run can say what it dropped.

Touchpoints
    A session belongs to a contact through its ``user_id`` (the site sets it to the CRM's contact
    id at login: rule 1 of :mod:`socialroi.core.identity`), else through a contact whose
    ``visitor_id`` is the ``user_pseudo_id`` (rule 2; the smallest contact id when several
    share one). The borrowing rules 3–4 (another session of the same device or click id) need
    the nearest session in time and are not applied here: read the sessions
    (:func:`read_sessions`) and resolve them in memory when they matter. Each matched session
    becomes one touch with the channel, platform, kind, post and employee that
    :func:`socialroi.core.channels.classify_sessions` gives: the rules are rendered into SQL from
    the same vocabulary constants, and a test holds the two to the same answers.

As an engine source
    ``ga4:EVENTS#key=value,…`` is a touchpoints source of the ``duckdb`` and ``bigquery``
    engines (:func:`export_source` parses it): EVENTS is the events table
    (``project.dataset.events_*``, completed from ``[engine] project``/``dataset`` on BigQuery; a
    table, or ``parquet:GLOB`` for an export copied out, on DuckDB), the options ``since``,
    ``until`` (YYYYMMDD), ``contacts`` (a table with contact_id, visitor_id: rule 2),
    ``max_sessions``, ``last_click`` and ``collected`` (false for older exports). The touches
    carry :data:`TOUCH_COLUMNS` for grouping.

The SQL is written once in BigQuery's dialect (the export's home) and rendered with SQLGlot for
DuckDB (which holds the nested schema as structs and lists, and runs the tests), Spark and
Snowflake. Times come back as epoch microseconds, never through a session time zone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl
import sqlglot
from sqlglot import exp

from socialroi.core import channels, vocabulary
from socialroi.core.links import PREFIX, SEP
from socialroi.errors import ConfigError
from socialroi.schema import conform

#: The dialect the SQL is written in.
SOURCE_DIALECT = "bigquery"
#: Sessions per pseudo-id above which the pseudo-id is left out (a person rarely has this many
#: in a year; a bot or a consent placeholder easily has more).
MAX_SESSIONS_PER_VISITOR = 2000
#: Prefix of a session id made from the export.
SESSION_PREFIX = "ga4x"
#: The touch columns besides contact_id, ts, channel and ref (what ``by`` can name).
TOUCH_COLUMNS: tuple[str, ...] = ("platform", "kind", "post_id", "employee_id", "campaign")

_TRAFFIC_FIELDS: tuple[str, ...] = ("source", "medium", "campaign", "content", "term")
#: Fields where any parenthesised placeholder means "none" (as in the GA4 pull).
_PLACEHOLDER_FIELDS = frozenset({"campaign", "content", "term"})
#: Where each traffic field lives, per level: last click, collected, event parameter.
_LAST_CLICK: dict[str, str] = {
    "source": "e.session_traffic_source_last_click.manual_campaign.source",
    "medium": "e.session_traffic_source_last_click.manual_campaign.medium",
    "campaign": "e.session_traffic_source_last_click.manual_campaign.campaign_name",
    "content": "e.session_traffic_source_last_click.manual_campaign.content",
    "term": "e.session_traffic_source_last_click.manual_campaign.term",
}
_COLLECTED: dict[str, str] = {
    "source": "e.collected_traffic_source.manual_source",
    "medium": "e.collected_traffic_source.manual_medium",
    "campaign": "e.collected_traffic_source.manual_campaign_name",
    "content": "e.collected_traffic_source.manual_content",
    "term": "e.collected_traffic_source.manual_term",
}
# A table reference: project.dataset.table, table names may end in a wildcard (events_*).
_TABLE_RE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+){0,2}\*?$")
_DAY_RE = re.compile(r"^\d{8}$")
_URL_RE = r"^[a-z][a-z0-9+.\-]*://"
_HOST_RE = r"^[a-z][a-z0-9+.\-]*://(?:[^@/?#]*@)?([^/?#:]*)"


@dataclass(frozen=True)
class ExportSource:
    """Where the export is and how much of it to read.

    `events`: the events table (``project.dataset.events_*`` on BigQuery, a table or view
    elsewhere); `since`/`until`: ``YYYYMMDD`` bounds on ``event_date`` (both included; on
    BigQuery also on ``_TABLE_SUFFIX``, so only those days' tables are scanned); `last_click`
    and `collected`: whether the export has ``session_traffic_source_last_click`` (2024 on) and
    ``collected_traffic_source`` (2023 on).
    """

    events: str = "events"
    since: str | None = None
    until: str | None = None
    max_sessions_per_visitor: int = MAX_SESSIONS_PER_VISITOR
    last_click: bool = True
    collected: bool = True

    def __post_init__(self) -> None:
        if not _TABLE_RE.match(self.events):
            raise ConfigError(f"not a table name: {self.events!r}")
        for day in (self.since, self.until):
            if day is not None and not _DAY_RE.match(day):
                raise ConfigError(f"an export day is written YYYYMMDD, not {day!r}")
        if self.max_sessions_per_visitor < 1:
            raise ConfigError("max_sessions_per_visitor must be 1 or more")


# -- the ga4: source spec -------------------------------------------------------------------------
#: A touchpoints source spec naming the export starts so: ``ga4:EVENTS#key=value,…``.
SPEC_PREFIX = "ga4:"
#: The options after ``#``.
SPEC_OPTIONS = ("since", "until", "contacts", "max_sessions", "last_click", "collected")
#: Contacts read from files (the duckdb and spark engines): ``contacts=parquet:GLOB`` or
#: ``csv:GLOB``.
FILE_KINDS = ("parquet", "csv")
#: The optional structs of the export, by the option that says it has them.
OPTIONAL_STRUCTS = {
    "last_click": "session_traffic_source_last_click",
    "collected": "collected_traffic_source",
}
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def is_spec(source: object) -> bool:
    """Whether `source` is a ``ga4:`` spec."""
    return isinstance(source, str) and source.strip().lower().startswith(SPEC_PREFIX)


def split_spec(spec: str) -> tuple[str, str]:
    """(EVENTS, OPTIONS) of ``[ga4:]EVENTS[#OPTIONS]``, EVENTS as written (a table name, or
    ``parquet:GLOB`` for the duckdb and spark engines); a ConfigError when it names no events."""
    text = spec.strip()
    if text.lower().startswith(SPEC_PREFIX):
        text = text[len(SPEC_PREFIX) :]
    events, _, options = text.partition("#")
    if not events.strip():
        raise ConfigError(
            f"'{spec}' names no events table: give ga4:project.dataset.events_* "
            "(or, on the duckdb and spark engines, ga4:TABLE or ga4:parquet:GLOB)"
        )
    return events.strip(), options.strip()


def _option_day(key: str, value: str) -> str:
    if _DAY_RE.match(value):
        try:
            date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
        else:
            return value
    raise ConfigError(f"ga4 option {key}={value!r}: an export day is written YYYYMMDD")


def _option_bool(key: str, value: str) -> bool:
    found = _BOOLS.get(value.lower())
    if found is None:
        raise ConfigError(f"ga4 option {key}={value!r}: give true or false")
    return found


def _option_contacts(value: str) -> str:
    kind, sep, rest = value.partition(":")
    if sep and kind.lower() in FILE_KINDS and rest:
        return value
    if not _TABLE_RE.match(value) or value.endswith("*"):
        raise ConfigError(
            f"ga4 option contacts={value!r}: give a table with contact_id and visitor_id "
            "([project.]dataset.table; on the duckdb and spark engines also parquet:GLOB or "
            "csv:GLOB)"
        )
    return value


def check_structs(source: ExportSource, columns: Collection[str], spec: str) -> None:
    """A ConfigError when the export's `columns` lack a struct `source` expects (an older
    export), naming the option that turns it off."""
    for option, column in OPTIONAL_STRUCTS.items():
        if getattr(source, option) and column not in columns:
            raise ConfigError(
                f"the GA4 export {source.events} has no {column} (an older export): add "
                f"{option}=false to '{spec}'"
            )


def export_source(spec: str, *, events: str | None = None) -> tuple[ExportSource, str | None]:
    """The ExportSource and the contacts table (None without ``contacts=``) a spec
    ``[ga4:]EVENTS[#key=value,…]`` names; `events` in place of the spec's EVENTS (the engine's
    completed name, or its view of the files). Options: ``since``/``until`` (YYYYMMDD, both
    included), ``contacts`` (a table with contact_id, visitor_id), ``max_sessions`` (sessions
    per pseudo-id above which it is left out), ``last_click``/``collected`` (true/false: whether
    the export has those structs). A ConfigError names a bad option."""
    written, options = split_spec(spec)
    table = events if events is not None else written
    seen: dict[str, str] = {}
    for item in options.split(","):
        if not item.strip():
            continue
        key, eq, value = (part.strip() for part in item.partition("="))
        key = key.lower()
        if key not in SPEC_OPTIONS:
            raise ConfigError(
                f"unknown ga4 option {key!r} in '{spec}': options are {', '.join(SPEC_OPTIONS)}"
            )
        if not eq or not value:
            raise ConfigError(f"ga4 option {key!r} has no value: write {key}=VALUE")
        if key in seen:
            raise ConfigError(f"ga4 option {key!r} is given twice in '{spec}'")
        seen[key] = value
    since = _option_day("since", seen["since"]) if "since" in seen else None
    until = _option_day("until", seen["until"]) if "until" in seen else None
    if since is not None and until is not None and since > until:
        raise ConfigError(f"ga4 options since={since} and until={until}: since is after until")
    cap = MAX_SESSIONS_PER_VISITOR
    if "max_sessions" in seen:
        text = seen["max_sessions"].replace("_", "")
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(
                f"ga4 option max_sessions={seen['max_sessions']!r}: give a whole number, 1 or more"
            )
        cap = int(text)
    if not _TABLE_RE.match(table):
        raise ConfigError(
            f"'{spec}': the events are not a table name ({table!r}); give "
            "project.dataset.events_* (on the duckdb and spark engines also a table or "
            "parquet:GLOB)"
        )
    source = ExportSource(
        events=table,
        since=since,
        until=until,
        max_sessions_per_visitor=cap,
        last_click=_option_bool("last_click", seen["last_click"]) if "last_click" in seen else True,
        collected=_option_bool("collected", seen["collected"]) if "collected" in seen else True,
    )
    contacts = _option_contacts(seen["contacts"]) if "contacts" in seen else None
    return source, contacts


# -- SQL pieces (BigQuery dialect) ----------------------------------------------------------------
def _lit(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _in(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def _param(key: str, field: str = "string_value", dialect: str = SOURCE_DIALECT) -> str:
    if dialect == "spark":
        # Spark plans a correlated subquery over EXPLODE as joins on the whole array: the same
        # MAX (NULLs skipped; none: NULL), row by row with higher-order functions.
        return (
            f"ARRAY_MAX(TRANSFORM(FILTER(e.event_params, p -> p.key = {_lit(key)}), "
            f"p -> p.value.{field}))"
        )
    return (
        f"(SELECT MAX(p.value.{field}) FROM UNNEST(e.event_params) AS p WHERE p.key = {_lit(key)})"
    )


def _strip(expr: str) -> str:
    """`expr` without leading and trailing white space (TRIM strips spaces only on DuckDB)."""
    return f"REGEXP_REPLACE({expr}, r'^\\s+|\\s+$', '')"


def _clean(expr: str, field: str) -> str:
    """clean_value of the GA4 pull: placeholders and empty text are NULL."""
    v = _strip(expr)
    placeholder = f" OR REGEXP_CONTAINS({v}, r'^\\(.*\\)$')" if field in _PLACEHOLDER_FIELDS else ""
    return f"CASE WHEN {v} IN ('', '(not set)', '(other)'){placeholder} THEN NULL ELSE {v} END"


def _table(source: ExportSource, dialect: str) -> str:
    name = source.events
    if dialect == "bigquery":
        return f"`{name}`"
    return ".".join(f'"{part}"' for part in name.split("."))


def _event_filter(source: ExportSource, dialect: str) -> str:
    cond = ["e.user_pseudo_id IS NOT NULL"]
    wildcard = dialect == "bigquery" and source.events.endswith("*")
    if source.since is not None:
        cond.append(f"e.event_date >= {_lit(source.since)}")
        if wildcard:
            cond.append(f"_TABLE_SUFFIX >= {_lit(source.since)}")
    if source.until is not None:
        cond.append(f"e.event_date <= {_lit(source.until)}")
        if wildcard:
            cond.append(f"_TABLE_SUFFIX <= {_lit(source.until)}")
    return " AND ".join(cond)


def _sessions_ctes(source: ExportSource, dialect: str) -> str:
    """The CTEs ev, ranked, grouped and sessions (one row per kept session)."""
    levels: list[dict[str, str]] = []
    if source.last_click:
        levels.append(_LAST_CLICK)
    if source.collected:
        levels.append(_COLLECTED)
    levels.append({f: _param(f, dialect=dialect) for f in _TRAFFIC_FIELDS})
    raw = [
        "e.user_pseudo_id AS visitor_id",
        "e.user_id AS user_id",
        "e.event_timestamp AS t",
        f"{_param('ga_session_id', 'int_value', dialect)} AS ga_session_id",
    ]
    gclid = [_param("gclid", dialect=dialect)]
    if source.collected:
        gclid.insert(0, "e.collected_traffic_source.gclid")
    raw.append(f"COALESCE({', '.join(gclid)}) AS gclid")
    cleaned = [
        "visitor_id",
        f"{_clean('user_id', 'user_id')} AS user_id",
        "t",
        "ga_session_id",
        f"{_clean('gclid', 'gclid')} AS click_id",
    ]
    for i, level in enumerate(levels):
        raw += [f"{level[f]} AS r{i}_{f}" for f in _TRAFFIC_FIELDS]
        cleaned += [f"{_clean(f'r{i}_{f}', f)} AS l{i}_{f}" for f in _TRAFFIC_FIELDS]
    raw_cols = ",\n    ".join(raw)
    ev_cols = ",\n    ".join(cleaned)
    # The level each event offers: the first that names a source or a medium.
    level_of = "CASE " + " ".join(
        f"WHEN l{i}_source IS NOT NULL OR l{i}_medium IS NOT NULL THEN {i}"
        for i in range(len(levels))
    )
    level_of += f" ELSE {len(levels)} END"
    chosen = {
        f: "CASE " + " ".join(f"WHEN lvl = {i} THEN l{i}_{f}" for i in range(len(levels))) + " END"
        for f in _TRAFFIC_FIELDS
    }
    order = ", ".join(["lvl", "t", *(f"COALESCE({f}, '')" for f in _TRAFFIC_FIELDS)])
    picked = ",\n    ".join(f"MAX(IF(pick = 1, {f}, NULL)) AS {f}" for f in _TRAFFIC_FIELDS)
    return f"""raw AS (
  SELECT
    {raw_cols}
  FROM {_table(source, dialect)} AS e
  WHERE {_event_filter(source, dialect)}
),
ev AS (
  SELECT
    {ev_cols}
  FROM raw
),
leveled AS (
  SELECT visitor_id, user_id, t, ga_session_id, click_id, lvl,
    {", ".join(f"{chosen[f]} AS {f}" for f in _TRAFFIC_FIELDS)}
  FROM (SELECT ev.*, {level_of} AS lvl FROM ev WHERE ga_session_id IS NOT NULL) AS x
),
ranked AS (
  SELECT leveled.*,
    ROW_NUMBER() OVER (PARTITION BY visitor_id, ga_session_id ORDER BY {order}) AS pick
  FROM leveled
),
grouped AS (
  SELECT visitor_id, ga_session_id,
    MIN(t) AS started_us,
    MIN(user_id) AS user_id,
    MIN(click_id) AS click_id,
    {picked}
  FROM ranked
  GROUP BY visitor_id, ga_session_id
),
counted AS (
  SELECT grouped.*, COUNT(*) OVER (PARTITION BY visitor_id) AS visitor_sessions
  FROM grouped
),
sessions AS (
  SELECT
    CONCAT('{SESSION_PREFIX}:', visitor_id, ':', CAST(ga_session_id AS STRING)) AS session_id,
    started_us, {", ".join(_TRAFFIC_FIELDS)}, click_id, visitor_id, user_id AS contact_id
  FROM counted
  WHERE visitor_sessions <= {int(source.max_sessions_per_visitor)}
)"""


def _platform_case(key: str, aliases: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_lit(a)} THEN {_lit(p)}" for a, p in sorted(aliases.items()))
    return f"CASE {key} {whens} ELSE NULL END"


def _classify_ctes(sessions: str) -> str:
    """CTEs k1..classified: `sessions` plus channel, platform, kind, post_id and employee_id, as
    :func:`socialroi.core.channels.classify_sessions` gives them."""
    # One capturing group per extraction (BigQuery's REGEXP_EXTRACT returns that group).
    part, rest, tail = f"[^{SEP}]+", f"{SEP}[^{SEP}]+", f"{SEP}[^{SEP}]*$"
    code_platform = f"^{PREFIX}{SEP}({part}){rest}{tail}"
    code_post = f"^{PREFIX}{SEP}{part}{SEP}({part}){tail}"
    code_employee = f"^{PREFIX}{SEP}{part}{rest}{SEP}([^{SEP}]*)$"
    social_mediums = _in(channels.SOCIAL_MEDIUMS)
    direct_mediums = _in(channels.DIRECT_MEDIUMS)
    email_mediums = _in(channels.EMAIL_MEDIUMS)
    paid_mediums = _in(channels.PAID_MEDIUMS)
    lower_src = f"LOWER({_strip('source')})"
    return f"""k1 AS (
  SELECT s.*,
    CASE WHEN STARTS_WITH({lower_src}, 'www.') THEN SUBSTR({lower_src}, 5)
      ELSE {lower_src} END AS _src,
    COALESCE(LOWER({_strip("medium")}), '') AS _med,
    {_strip("content")} AS _content
  FROM {sessions} AS s
),
k2 AS (
  SELECT k1.*, REGEXP_REPLACE({_strip("_src")}, r'\\s+', ' ') AS _low FROM k1
),
k3 AS (
  SELECT k2.*,
    CASE WHEN REGEXP_CONTAINS(_low, r'{_URL_RE}')
        THEN COALESCE(REGEXP_EXTRACT(_low, r'{_HOST_RE}'), '')
      WHEN STRPOS(_low, '/') > 0 AND STRPOS(_low, ' ') = 0 THEN REGEXP_EXTRACT(_low, r'^([^/]*)')
      ELSE _low END AS _host
  FROM k2
),
k4 AS (
  SELECT k3.*,
    REGEXP_REPLACE(
      CASE WHEN STARTS_WITH(_host, 'www.') THEN SUBSTR(_host, 5) ELSE _host END, r'\\.$', ''
    ) AS _key,
    LOWER(REGEXP_EXTRACT(_content, r'{code_platform}')) AS _code_platform,
    REGEXP_EXTRACT(_content, r'{code_post}') AS post_id,
    REGEXP_EXTRACT(_content, r'{code_employee}') AS _code_employee
  FROM k3
),
k5 AS (
  SELECT k4.*, {_platform_case("_key", vocabulary.SOCIAL_SOURCES)} AS _src_platform FROM k4
),
k6 AS (
  SELECT k5.*,
    COALESCE(_code_platform, _src_platform) AS platform,
    CASE WHEN _code_employee IN ('', 'brand') THEN NULL ELSE _code_employee END AS employee_id
  FROM k5
),
k7 AS (
  SELECT k6.*,
    CASE
      WHEN _src_platform IS NOT NULL AND REGEXP_CONTAINS(_med, r'{channels.PAID_SOCIAL_MEDIUM_RE}')
        THEN '{vocabulary.PAID_SOCIAL}'
      WHEN _src_platform IS NOT NULL OR _med IN {social_mediums}
        THEN COALESCE(platform, '{vocabulary.SOCIAL_OTHER}')
      WHEN COALESCE(_src, '') IN ('(direct)', '') AND _med IN {direct_mediums} THEN 'direct'
      WHEN _med = 'organic' THEN 'organic_search'
      WHEN _med IN {paid_mediums} THEN 'paid_search'
      WHEN _med IN {email_mediums} THEN 'email'
      WHEN _med = 'referral' THEN 'referral'
      ELSE 'other'
    END AS channel
  FROM k6
),
classified AS (
  SELECT k7.*,
    CASE
      WHEN _code_platform IS NOT NULL THEN 'post_click'
      WHEN channel IN ('{vocabulary.PAID_SOCIAL}', 'paid_search') THEN 'paid'
      WHEN channel = 'direct' THEN 'direct'
      WHEN channel = 'organic_search' THEN 'search'
      WHEN channel IN ('email', 'referral') THEN channel
      ELSE 'web'
    END AS kind
  FROM k7
)"""


def _null_when_no_match(node: exp.Expression) -> exp.Expression:
    """Spark's REGEXP_EXTRACT gives '' where BigQuery's gives NULL (no match): NULL there too."""
    if not isinstance(node, exp.RegexpExtract):
        return node
    matches = exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy())
    return exp.Case().when(matches, node.copy())


def _render(sql: str, dialect: str) -> str:
    if dialect == SOURCE_DIALECT:
        return sql
    if dialect == "spark":
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT).transform(_null_when_no_match)
        return tree.sql(dialect, unsupported_level=sqlglot.ErrorLevel.RAISE, pretty=True)
    return sqlglot.transpile(
        sql,
        read=SOURCE_DIALECT,
        write=dialect,
        unsupported_level=sqlglot.ErrorLevel.RAISE,
        pretty=True,
    )[0]


def sessions_sql(source: ExportSource | None = None, *, dialect: str = "duckdb") -> str:
    """SQL giving one row per session: session_id, started_us (µs since the epoch, UTC),
    source, medium, campaign, content, term, click_id, visitor_id, contact_id (the user_id)."""
    src = source or ExportSource()
    sql = f"WITH {_sessions_ctes(src, dialect)}\nSELECT * FROM sessions"
    return _render(sql, dialect)


def classify_sql(sessions: str = "sessions", *, dialect: str = "duckdb") -> str:
    """SQL classifying the rows of table `sessions` (source, medium, content and any other
    columns, all kept) exactly as classify_sessions does: channel, platform, kind, post_id,
    employee_id added."""
    if not _TABLE_RE.match(sessions):
        raise ConfigError(f"not a table name: {sessions!r}")
    sql = f"WITH {_classify_ctes(sessions)}\nSELECT * FROM classified"
    return _render(sql, dialect)


def touchpoints_sql(
    source: ExportSource | None = None,
    *,
    contacts: str | None = "contacts",
    dialect: str = "duckdb",
) -> str:
    """SQL giving one touch per session tied to a contact: contact_id, ts_us (µs since the epoch,
    UTC), channel, ref (the session id), platform, kind, post_id, employee_id, campaign.

    `contacts` is a table with contact_id and visitor_id; None: only sessions with a user_id
    become touches (rule 1 alone).
    """
    src = source or ExportSource()
    if contacts is None:
        sql = f"""WITH {_sessions_ctes(src, dialect)},
matched AS (
  SELECT sessions.*, sessions.contact_id AS _contact
  FROM sessions
  WHERE sessions.contact_id IS NOT NULL
),
{_classify_ctes("matched")}
SELECT _contact AS contact_id, started_us AS ts_us, channel, session_id AS ref, platform, kind,
  post_id, employee_id, campaign
FROM classified"""
        return _render(sql, dialect)
    if not _TABLE_RE.match(contacts):
        raise ConfigError(f"not a table name: {contacts!r}")
    contacts_ref = _table(ExportSource(events=contacts), dialect)
    sql = f"""WITH {_sessions_ctes(src, dialect)},
by_visitor AS (
  SELECT visitor_id AS v_visitor, MIN(contact_id) AS v_contact
  FROM {contacts_ref}
  WHERE visitor_id IS NOT NULL
  GROUP BY visitor_id
),
matched AS (
  SELECT sessions.*, COALESCE(sessions.contact_id, b.v_contact) AS _contact
  FROM sessions LEFT JOIN by_visitor AS b ON sessions.visitor_id = b.v_visitor
  WHERE COALESCE(sessions.contact_id, b.v_contact) IS NOT NULL
),
{_classify_ctes("matched")}
SELECT _contact AS contact_id, started_us AS ts_us, channel, session_id AS ref, platform, kind,
  post_id, employee_id, campaign
FROM classified"""
    return _render(sql, dialect)


def giant_visitors_sql(source: ExportSource | None = None, *, dialect: str = "duckdb") -> str:
    """SQL listing the pseudo-ids left out for having too many sessions: visitor_id, sessions."""
    src = source or ExportSource()
    ctes = _sessions_ctes(src, dialect)
    sql = (
        f"WITH {ctes}\nSELECT visitor_id, COUNT(*) AS sessions FROM grouped "
        f"GROUP BY visitor_id HAVING COUNT(*) > {int(src.max_sessions_per_visitor)} "
        "ORDER BY sessions DESC, visitor_id"
    )
    return _render(sql, dialect)


# -- running on DuckDB ----------------------------------------------------------------------------
def _micros_to_utc(df: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
    return df.with_columns(
        pl.col(column)
        .cast(pl.Int64)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .alias(name)
    )


def read_sessions(
    con: duckdb.DuckDBPyConnection, source: ExportSource | None = None
) -> pl.DataFrame:
    """The export's sessions as a canonical sessions frame (one row per session)."""
    df = con.sql(sessions_sql(source, dialect="duckdb")).pl()
    return conform("sessions", _micros_to_utc(df, "started_us", "started_at"))


def read_touchpoints(
    con: duckdb.DuckDBPyConnection,
    source: ExportSource | None = None,
    *,
    contacts: str | None = "contacts",
) -> pl.DataFrame:
    """The export's sessions that belong to a contact, as canonical touchpoints in time order
    (ties by contact, then session id); `contacts` None: only sessions with a user_id."""
    df = con.sql(touchpoints_sql(source, contacts=contacts, dialect="duckdb")).pl()
    out = conform("touchpoints", _micros_to_utc(df, "ts_us", "ts"))
    return out.sort("ts", "contact_id", "ref")


def read_giant_visitors(
    con: duckdb.DuckDBPyConnection, source: ExportSource | None = None
) -> pl.DataFrame:
    """The pseudo-ids left out for having more sessions than the cap, with their counts."""
    return con.sql(giant_visitors_sql(source, dialect="duckdb")).pl()


__all__ = [
    "MAX_SESSIONS_PER_VISITOR",
    "SPEC_OPTIONS",
    "SPEC_PREFIX",
    "TOUCH_COLUMNS",
    "ExportSource",
    "check_structs",
    "classify_sql",
    "export_source",
    "giant_visitors_sql",
    "is_spec",
    "read_giant_visitors",
    "read_sessions",
    "read_touchpoints",
    "sessions_sql",
    "split_spec",
    "touchpoints_sql",
]
