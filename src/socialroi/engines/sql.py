"""The attribution SQL, written once (Spark dialect) and transpiled by SQLGlot to each engine.

Only window functions, joins, UNION ALL and GROUP BY: no ASOF join, no ordered list aggregation
(both fail to transpile or lose their order on some engine). What the SQL computes follows
docs/attribution.md exactly:

- a touch belongs to the first conversion of its contact at or after it — the conversion
  after the ones that precede it in the contact's time order (a running count over one sort of
  the contact's touches and conversions; conversions ranked by (ts, conversion_id) and sorted
  after touches of the same instant) — when it lies in that conversion's window,
  ``lookback_days`` (exact microseconds, as BIGINT) before the conversion's first milestone (the
  earliest of ts, lead_created_at and deal_created_at) up to its ts, both ends included;
- the touches no conversion takes form one non-converting journey per contact;
- within a journey touches are ordered by (ts, channel, ref): ties in time are broken by the
  channel, then the ref, on every engine. Ref is read only when a group key is a touch column:
  otherwise touches of one contact, instant and channel are interchangeable (same journey,
  same credit per group) and ordering them costs a string sort for nothing.

Contacts are BIGINTs (``cid``: from the ``sr_contacts`` dictionary, or, for ids that are all
integers' text, the integer plus one — :data:`CONTACT_KEYS`) and channels small integers
(``bit``, in the order of their names, from ``sr_channels``), so no sort key past the first
stages is a string. The one sort by contact numbers each touch (``pos``), finds its
conversion, and looks at the row before it, which settles for all but a few touches whether it
repeats the previous channel of its journey (``run``). Each touch leaves it with one journey key
(``jid``: the conversion's ``gid``, or minus the contact's ``cid`` for the non-converting walk);
the merged journeys then need one window (in ``sr_grams``), and the conversion's columns are
joined by gid only where needed (journey ends, converting touches).

Inputs (relations named by the caller, columns as named here; times are TIMESTAMP in UTC):

- touches: ``contact_id``, ``ts``, ``channel``, ``ref`` (may be NULL) and the ``by`` columns;
- conversions: ``conversion_id``, ``contact_id``, ``ts``, ``value``, ``lead_created_at``,
  ``deal_created_at`` (the last three may be NULL).

The runner materialises the :attr:`AttributionSQL.stages` in order, each under its name (a
temporary table or view), then runs the :attr:`AttributionSQL.outputs`, whose results are small
(bounded by the channels, their sets and the groups, not by the rows) and are all that comes
back to Python. :mod:`socialroi.engines.finish` turns them into the models' results.

Outputs and their columns:

- ``channels``: ``channel``, ``bit`` — each channel's bit in the set masks;
- ``grams``: ``kind`` (0 a merged step, 1 a converting journey's end, 2 a non-converting
  journey's end), ``c0`` (the step's channel bit; an end's last channel), ``c1``..``c4`` (the
  channels before it in the journey, repeats merged; NULL before the journey's start; ``c4`` is
  NULL on ends), ``n`` (how many) and ``value`` (the converting ends' value);
- ``sets``: ``mask`` (the journey's distinct channels as bits), ``converted`` (0/1),
  ``journeys``, ``value``;
- ``placement``: ``mask``, ``channel``, ``g0``.. (the ``by`` keys), ``conversions`` and
  ``value``: over the converting touches of that set, channel and group, Σ 1/n and Σ value/n
  with n the conversion's touches of that channel — how a per-conversion channel share lands on
  groups (data-driven models only);
- ``rules``: ``g0``.. and ``<model>_conversions``, ``<model>_value`` per rule model;
- ``unattributed``: ``conv_month`` (date), ``conversions``, ``value`` — conversions no touch
  reached.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from socialroi.core.attribution.rules import DIRECT, ROLE_WEIGHTS, RULE_MODELS
from socialroi.errors import DataError

#: The dialect the SQL is written in.
SOURCE_DIALECT = "spark"
#: Dialects the SQL is checked for (golden files) and run on (duckdb, spark).
DIALECTS: tuple[str, ...] = ("duckdb", "spark", "bigquery", "snowflake", "databricks")
#: Microseconds in one day of 24 hours.
US_PER_DAY = 86_400 * 1_000_000
#: Names of the materialised stages, in order.
STAGES: tuple[str, ...] = (
    "sr_channels",
    "sr_contacts",
    "sr_conversions",
    "sr_assigned",
    "sr_grams",
)
#: The most channels a set mask holds (a signed 64-bit integer).
MAX_CHANNELS = 63
#: How touches of one journey are ordered: by time, ties by channel, then ref.
TIE_ORDER = "ts_us, channel, ref"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"contact_id", "ts", "ref", "conversion_id", "value"}


@dataclass(frozen=True)
class Query:
    """One SELECT: its name (the stage's table, or the output's) and its SQL text."""

    name: str
    sql: str


@dataclass(frozen=True)
class AttributionSQL:
    """The SQL of one attribution run in one dialect: stages to materialise in order, then the
    outputs to fetch. `by` are the group keys the outputs name g0, g1…; `models` the rule
    models in ``rules``; `data_driven` whether ``placement`` is there."""

    dialect: str
    stages: tuple[Query, ...]
    outputs: tuple[Query, ...]
    by: tuple[str, ...]
    models: tuple[str, ...]
    data_driven: bool
    contact_keys: str = "dictionary"

    def output(self, name: str) -> Query:
        for q in self.outputs:
            if q.name == name:
                return q
        raise KeyError(name)

    def script(self) -> str:
        """Every stage as ``CREATE TEMPORARY TABLE name AS …`` then every output, ``;``-ended
        (for reading, and for the golden files)."""
        parts = [f"-- stage {q.name}\n{q.sql};" for q in self.stages]
        parts += [f"-- output {q.name}\n{q.sql};" for q in self.outputs]
        return "\n\n".join(parts) + "\n"


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise DataError(f"cannot group by '{name}': a column name is letters, digits and _")
    return f"`{name}`"


def _table(name: str) -> str:
    parts = name.split(".")
    if not all(_NAME.match(p) or re.match(r"^[A-Za-z0-9_-]+$", p) for p in parts):
        raise DataError(f"'{name}' is not a table name")
    return ".".join(f"`{p}`" for p in parts)


def _f(x: float) -> str:
    """A DOUBLE literal (a bare 0.4 is a DECIMAL in Spark and DuckDB)."""
    return f"CAST({float(x)!r} AS DOUBLE)"


def _us(col: str) -> str:
    return f"UNIX_MICROS({col})"


#: How contacts become the BIGINT ``cid``: a dictionary of their text (any ids), or their own
#: value plus one when every contact id, of touches and conversions, is the decimal text of an
#: integer 0 ≤ id < 2⁶³ − 1 without sign or leading zero (the runner checks; text equality is
#: then integer equality, and no dictionary is built or joined).
CONTACT_KEYS: tuple[str, ...] = ("dictionary", "integer")
#: The largest integer id that is a key (its ``cid``, the id plus one, still fits a BIGINT).
MAX_INTEGER_ID = 2**63 - 2


def integer_id(dialect: str = "duckdb") -> str:
    """SQL in `dialect` that is true when ``contact_id`` is the decimal text of an integer key
    0 ≤ id ≤ :data:`MAX_INTEGER_ID` (no sign, blank, leading zero, fraction or exponent: it
    parses as a BIGINT in range and prints back as the same text); FALSE for NULL, and never an
    error for text ids (TRY_CAST, also under Spark's ANSI mode). The runners' check of the
    integer keys."""
    sql = (
        f"COALESCE(TRY_CAST(contact_id AS BIGINT) BETWEEN 0 AND {MAX_INTEGER_ID}"
        " AND CAST(TRY_CAST(contact_id AS BIGINT) AS VARCHAR) = contact_id, FALSE)"
    )
    if dialect == "duckdb":
        return sql
    (rendered,) = sqlglot.transpile(
        sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE
    )
    return rendered


def _cid(col: str) -> str:
    """A contact's ``cid`` from its id `col`, with integer keys (0 is left for no contact)."""
    return f"CAST({col} AS BIGINT) + 1"


def _contacts_sql(touches: str) -> str:
    # A dense BIGINT per contact that has touches: every later sort and partition key is an
    # integer (a contact with no touch cannot be reached, so needs none).
    return f"""
SELECT contact_id, ROW_NUMBER() OVER (ORDER BY contact_id) AS cid
FROM (SELECT DISTINCT CAST(contact_id AS STRING) AS contact_id FROM {_table(touches)}) AS d
"""


def _conversions_sql(conversions: str, lookback_days: int, contact_keys: str) -> str:
    lookback_us = lookback_days * US_PER_DAY
    ts = _us("ts")
    first = f"LEAST({ts}, COALESCE({_us('lead_created_at')}, {ts}), " + (
        f"COALESCE({_us('deal_created_at')}, {ts}))"
    )
    # conv_rank: the conversion's place among its contact's, by (ts, conversion_id);
    # gid: one BIGINT per conversion, the key every later join and partition uses; cid: the
    # contact's (NULL when the contact has no touch and the keys are a dictionary).
    if contact_keys == "integer":
        cid, join = f"{_cid('c.contact_id')} AS cid", ""
    else:
        cid, join = "k.cid", "\nLEFT JOIN sr_contacts AS k ON c.contact_id = k.contact_id"
    return f"""
SELECT
  c.conversion_id, c.contact_id, {cid}, conv_us, win_us, lead_us, deal_us, value, conv_month,
  ROW_NUMBER() OVER (PARTITION BY c.contact_id ORDER BY conv_us, c.conversion_id) AS conv_rank,
  ROW_NUMBER() OVER (ORDER BY c.conversion_id) AS gid
FROM (
  SELECT
    CAST(conversion_id AS STRING) AS conversion_id,
    CAST(contact_id AS STRING) AS contact_id,
    {ts} AS conv_us,
    {first} - CAST({lookback_us} AS BIGINT) AS win_us,
    {_us("lead_created_at")} AS lead_us,
    {_us("deal_created_at")} AS deal_us,
    COALESCE(CAST(value AS DOUBLE), CAST(0 AS DOUBLE)) AS value,
    CAST(DATE_TRUNC('MONTH', ts) AS DATE) AS conv_month
  FROM {_table(conversions)}
) AS c{join}
"""


def _channels_sql(touches: str) -> str:
    return f"""
SELECT channel, CAST(ROW_NUMBER() OVER (ORDER BY channel) - 1 AS INT) AS bit
FROM (SELECT DISTINCT CAST(channel AS STRING) AS channel FROM {_table(touches)}) AS d
"""


#: The sort key of a conversion row in the assignment: above every channel bit (a SMALLINT).
_CONVERSION_ROW = "CAST(32767 AS SMALLINT)"


def _assigned_sql(touches: str, extra: Sequence[str], contact_keys: str) -> str:
    cols = "".join(f", {_ident(c)}" for c in extra)
    nulls = "".join(f", CAST(NULL AS STRING) AS {_ident(c)}" for c in extra)
    picked = "".join(f", e.{_ident(c)}" for c in extra)
    tcols = "".join(f", x.{_ident(c)}" for c in extra)
    # The contact's rows in journey order: time, conversions after touches of the same
    # instant, ties by channel (its bit follows the channel's name). Touches of one contact,
    # instant and channel are interchangeable unless a group key is a touch column: only
    # then does ref break the tie (a string sort key costs more than the rest together).
    ref, ref_null, ref_key = (
        (", CAST(x.ref AS STRING) AS ref", ", CAST(NULL AS STRING) AS ref", ", ref")
        if extra
        else ("", "", "")
    )
    # One small sort key after the contact and time: the channel's bit for a touch,
    # _CONVERSION_ROW (above every bit) for a conversion, which so sorts after the touches of
    # its instant.
    order = f"PARTITION BY cid ORDER BY ts_us, ch{ref_key}"
    # One sort per contact serves every window: how many conversions come before the row
    # (its next conversion is the one after them), its position (pos), which orders every
    # journey from here on, and its neighbours, which say whether the touch repeats the
    # channel of the touch before it in its journey (run).
    #
    # A conversion's journey is a run of consecutive rows (its window's touches since the
    # conversion before); touches out of every window precede them. So the row before a touch
    # is the touch before it in its journey when it is a touch (a conversion row's ch is
    # _CONVERSION_ROW) on the same side of the same window (no conversion row lies between).
    # Otherwise the touch starts its journey, unless it is a non-converting touch right after
    # a conversion row: the touch before it in the non-converting walk lies before that
    # conversion's window, or an earlier one's (run 2, settled in `sr_grams` among the few
    # rows marked cut: the touches before a conversion's window).
    conv = _CONVERSION_ROW
    if contact_keys == "integer":
        cid, join = f"{_cid('x.contact_id')} AS cid", ""
    else:
        cid = "k.cid"
        join = "\n  JOIN sr_contacts AS k ON CAST(x.contact_id AS STRING) = k.contact_id"
    return f"""
WITH t AS (
  SELECT {cid}, {_us("x.ts")} AS ts_us, ch.bit AS ch{ref}{tcols}
  FROM {_table(touches)} AS x
  JOIN sr_channels AS ch ON CAST(x.channel AS STRING) = ch.channel{join}
),
e AS (
  SELECT cid, ts_us, CAST(ch AS SMALLINT) AS ch{ref_key}{cols}
  FROM t
  UNION ALL
  SELECT cid, conv_us AS ts_us, {conv} AS ch{ref_null}{nulls}
  FROM sr_conversions
  WHERE cid IS NOT NULL
),
n AS (
  SELECT e.*,
    COUNT(CASE WHEN ch = {conv} THEN 1 END) OVER (
      {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS n_before,
    ROW_NUMBER() OVER ({order}) AS pos,
    LAG(ch) OVER ({order}) AS p_ch,
    LAG(ts_us) OVER ({order}) AS p_us
  FROM e
),
w AS (
  SELECT e.*, c.gid,
    COALESCE(e.ts_us >= c.win_us, FALSE) AS in_w,
    COALESCE(e.p_us >= c.win_us, FALSE) AS p_in
  FROM n AS e
  LEFT JOIN sr_conversions AS c ON c.cid = e.cid AND c.conv_rank = e.n_before + 1
  WHERE e.ch < {conv}
)
SELECT
  CASE WHEN e.in_w THEN e.gid ELSE -e.cid END AS jid,
  e.pos, e.ts_us, e.ch{picked},
  CAST(CASE
    WHEN e.p_ch < {conv} AND e.p_in = e.in_w THEN CASE WHEN e.p_ch = e.ch THEN 0 ELSE 1 END
    WHEN e.in_w OR e.pos = 1 THEN 1
    ELSE 2
  END AS TINYINT) AS run,
  CAST(CASE WHEN NOT e.in_w AND e.gid IS NOT NULL THEN 1 ELSE 0 END AS TINYINT) AS cut
FROM w AS e
"""


_JOURNEY = "PARTITION BY jid ORDER BY pos"

# The journeys with repeats merged: the rows that start a run, and the unsettled ones (run 2)
# decided by the touch before them in the non-converting walk, which is the last cut row
# before them (touches before a conversion's window are cut). Then one window gives each step
# the steps before it and finds each journey's end; the aggregate is small (a stage, so Spark
# runs the windows once), and both the steps and the ends are read from it.
_GRAMS_STAGE = f"""
WITH f AS (
  SELECT jid, pos, ch, run, LAG(ch) OVER ({_JOURNEY}) AS prev
  FROM sr_assigned
  WHERE run = 2 OR cut = 1
),
s AS (
  SELECT jid, pos, ch FROM sr_assigned WHERE run = 1
  UNION ALL
  SELECT jid, pos, ch FROM f WHERE run = 2 AND (prev IS NULL OR prev <> ch)
),
k AS (
  SELECT
    jid, ch AS c0,
    LAG(ch, 1) OVER ({_JOURNEY}) AS c1,
    LAG(ch, 2) OVER ({_JOURNEY}) AS c2,
    LAG(ch, 3) OVER ({_JOURNEY}) AS c3,
    LAG(ch, 4) OVER ({_JOURNEY}) AS c4,
    LEAD(ch, 1) OVER ({_JOURNEY}) AS next_ch
  FROM s
),
x AS (
  SELECT c0, c1, c2, c3, c4,
    CASE WHEN next_ch IS NOT NULL THEN 0 WHEN jid > 0 THEN 1 ELSE 2 END AS e,
    CASE WHEN next_ch IS NULL AND jid > 0 THEN jid END AS end_gid
  FROM k
)
SELECT x.c0, x.c1, x.c2, x.c3, x.c4, x.e, COUNT(*) AS n,
  SUM(COALESCE(c.value, CAST(0 AS DOUBLE))) AS value
FROM x
LEFT JOIN sr_conversions AS c ON x.end_gid = c.gid
GROUP BY x.c0, x.c1, x.c2, x.c3, x.c4, x.e
"""

_GRAMS_SQL = """
SELECT 0 AS kind, c0, c1, c2, c3, c4, SUM(n) AS n, CAST(0 AS DOUBLE) AS value
FROM sr_grams
GROUP BY c0, c1, c2, c3, c4
UNION ALL
SELECT e AS kind, c0, c1, c2, c3, CAST(NULL AS INT) AS c4, SUM(n) AS n, SUM(value) AS value
FROM sr_grams
WHERE e > 0
GROUP BY e, c0, c1, c2, c3
"""

_SETS_SQL = """
WITH j AS (
  SELECT jid, BIT_OR(CAST(POWER(2, ch) AS BIGINT)) AS mask
  FROM sr_assigned
  GROUP BY jid
)
SELECT j.mask, CASE WHEN j.jid > 0 THEN 1 ELSE 0 END AS converted, COUNT(*) AS journeys,
  SUM(COALESCE(c.value, CAST(0 AS DOUBLE))) AS value
FROM j
LEFT JOIN sr_conversions AS c ON j.jid = c.gid
GROUP BY j.mask, CASE WHEN j.jid > 0 THEN 1 ELSE 0 END
"""


def _group_exprs(by: Sequence[str], alias: str) -> list[str]:
    out = []
    for key in by:
        if key == "month":
            out.append(f"{alias}.conv_month")
        elif key == "channel":
            out.append(f"{alias}.channel")
        else:
            out.append(f"{alias}.{_ident(key)}")
    return out


#: The converting touches with their conversion's columns and their channel's name.
_CONVERTING = """
  SELECT a.*, c.gid, c.lead_us, c.deal_us, c.value, c.conv_month, ch.channel
  FROM sr_assigned AS a
  JOIN sr_conversions AS c ON a.jid = c.gid
  JOIN sr_channels AS ch ON a.ch = ch.bit
"""


def _placement_sql(by: Sequence[str]) -> str:
    groups = _group_exprs(by, "a")
    sel = "".join(f", {g} AS g{i}" for i, g in enumerate(groups))
    grp = "".join(f", {g}" for g in groups)
    return f"""
WITH a AS ({_CONVERTING}),
cc AS (
  SELECT jid AS gid, ch, COUNT(*) AS n_c
  FROM sr_assigned
  WHERE jid > 0
  GROUP BY jid, ch
),
cm AS (
  SELECT gid, CAST(SUM(CAST(POWER(2, ch) AS BIGINT)) AS BIGINT) AS mask
  FROM cc
  GROUP BY gid
)
SELECT cm.mask, a.channel{sel},
  SUM(CAST(1 AS DOUBLE) / cc.n_c) AS conversions, SUM(a.value / cc.n_c) AS value
FROM a
JOIN cc ON a.gid = cc.gid AND a.ch = cc.ch
JOIN cm ON a.gid = cm.gid
GROUP BY cm.mask, a.channel{grp}
"""


def _position(role: str) -> str:
    return {
        "first": "CAST(0 AS BIGINT)",
        "last": "n - 1",
        "lead": "at_lead",
        "deal": "at_deal",
        "last_non_direct": "at_lnd",
    }[role]


def _rule_credit(model: str, half_life_days: float) -> str:
    """The SQL expression of one touch's credit under a rule model (row of the ``x`` CTE)."""
    if model == "time_decay":
        return "tw / tw_sum"
    weights = ROLE_WEIGHTS[model]
    roles = [r for r in weights if r != "middle"]
    pos = [_position(r) for r in roles]
    holds = [f"COALESCE(rk = {p}, FALSE)" for p in pos]
    # Touches holding a role: the distinct non-null role positions.
    distinct = []
    for i, p in enumerate(pos):
        earlier = "".join(f" AND ({q} IS NULL OR {q} <> {p})" for q in pos[:i])
        distinct.append(f"CASE WHEN {p} IS NOT NULL{earlier} THEN 1 ELSE 0 END")
    n_mid = f"(n - ({' + '.join(distinct)}))" if distinct else "n"
    mid = f"NOT ({' OR '.join(holds)})" if holds else "TRUE"
    raw = [
        f"CASE WHEN {h} THEN {_f(weights[r])} ELSE {_f(0)} END"
        for r, h in zip(roles, holds, strict=True)
    ]
    total = [
        f"CASE WHEN {p} IS NOT NULL THEN {_f(weights[r])} ELSE {_f(0)} END"
        for r, p in zip(roles, pos, strict=True)
    ]
    w_mid = weights.get("middle", 0.0)
    if w_mid > 0:
        raw.append(f"CASE WHEN {mid} THEN {_f(w_mid)} / NULLIF({n_mid}, 0) ELSE {_f(0)} END")
        total.append(f"CASE WHEN {n_mid} > 0 THEN {_f(w_mid)} ELSE {_f(0)} END")
    return f"({' + '.join(raw)}) / ({' + '.join(total)})"


def _rules_sql(by: Sequence[str], models: Sequence[str], half_life_days: float) -> str:
    groups = _group_exprs(by, "x")
    sel = "".join(f"{g} AS g{i}, " for i, g in enumerate(groups))
    grp = ", ".join(f"g{i}" for i in range(len(groups)))
    credits = "".join(f",\n    {_rule_credit(m, half_life_days)} AS cr_{m}" for m in models)
    sums = ",\n  ".join(
        f"SUM(cr_{m}) AS {m}_conversions, SUM(cr_{m} * value) AS {m}_value" for m in models
    )
    per = "PARTITION BY gid"
    return f"""
WITH a AS ({_CONVERTING}),
r AS (
  SELECT a.*,
    ROW_NUMBER() OVER ({per} ORDER BY pos) - 1 AS rk,
    COUNT(*) OVER ({per}) AS n
  FROM a
),
p AS (
  SELECT r.*,
    MAX(CASE WHEN ts_us <= lead_us THEN rk END) OVER ({per}) AS at_lead,
    MAX(CASE WHEN ts_us <= deal_us THEN rk END) OVER ({per}) AS at_deal,
    COALESCE(MAX(CASE WHEN channel <> '{DIRECT}' THEN rk END) OVER ({per}), n - 1)
      AS at_lnd,
    POWER(CAST(2 AS DOUBLE),
      -((CAST(MAX(ts_us) OVER ({per}) - ts_us AS DOUBLE)) / {_f(US_PER_DAY)})
      / {_f(half_life_days)}) AS tw
  FROM r
),
x AS (
  SELECT p.*, SUM(tw) OVER ({per}) AS tw_sum
  FROM p
),
y AS (
  SELECT {sel}value{credits}
  FROM x
)
SELECT {grp},
  {sums}
FROM y
GROUP BY {grp}
"""


_UNATTRIBUTED_SQL = """
SELECT c.conv_month, COUNT(*) AS conversions, SUM(c.value) AS value
FROM sr_conversions AS c
LEFT JOIN (
  SELECT DISTINCT jid AS gid FROM sr_assigned WHERE jid > 0
) AS d ON c.gid = d.gid
WHERE d.gid IS NULL
GROUP BY c.conv_month
"""


def _transpile(sql: str, dialect: str) -> str:
    """`sql` (Spark dialect) in `dialect`; anything the dialect cannot express raises."""
    try:
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
        if dialect == "snowflake":
            # Snowflake has no UNIX_MICROS: DATE_PART(EPOCH_MICROSECOND, ts).
            tree = tree.transform(
                lambda node: (
                    exp.Anonymous(
                        this="DATE_PART", expressions=[exp.var("EPOCH_MICROSECOND"), node.this]
                    )
                    if isinstance(node, exp.UnixMicros)
                    else node
                )
            )
        return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, pretty=True)
    except SqlglotError as err:  # pragma: no cover - the SQL is fixed and tested per dialect
        raise DataError(f"the attribution SQL does not translate to {dialect}: {err}") from err


def check_by(by: Sequence[str]) -> tuple[str, ...]:
    """`by` as a tuple of valid, distinct group keys (``channel``, ``month`` or a touch column)."""
    keys = tuple(by)
    if not keys:
        raise DataError("name at least one column to group by")
    if len(set(keys)) != len(keys):
        raise DataError(f"a group key repeats: {', '.join(keys)}")
    for key in keys:
        _ident(key)
        if key in _RESERVED - {"ref"}:
            raise DataError(f"cannot group by '{key}'")
    return keys


def build_sql(
    *,
    touches: str = "sr_input_touches",
    conversions: str = "sr_input_conversions",
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    by: Sequence[str] = ("channel",),
    models: Sequence[str] = RULE_MODELS,
    data_driven: bool = True,
    dialect: str = "duckdb",
    contact_keys: str = "dictionary",
) -> AttributionSQL:
    """The attribution SQL for `dialect` (one of :data:`DIALECTS`, or any SQLGlot writes).

    `touches` and `conversions` name the input relations (module doc for their columns; a
    dotted name such as ``project.dataset.table`` is quoted part by part). `models` are the
    rule models whose credits ``rules`` returns (none: no ``rules`` output); `data_driven`
    adds ``placement`` (Markov and Shapley credit by group). ``grams``, ``sets``, ``channels``
    and ``unattributed`` are always there. `contact_keys` (:data:`CONTACT_KEYS`): ``integer``
    only for inputs whose every contact id is the text of a non-negative integer, as the
    caller has checked (then there is no ``sr_contacts`` dictionary stage).
    """
    if contact_keys not in CONTACT_KEYS:
        raise DataError(f"contact keys are {' or '.join(CONTACT_KEYS)}, not '{contact_keys}'")
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    if not half_life_days > 0:
        raise DataError(f"half-life must be more than 0 days, not {half_life_days}")
    keys = check_by(by)
    rule_models = tuple(models)
    for model in rule_models:
        if model not in RULE_MODELS:
            raise DataError(
                f"unknown rule model '{model}'; rule models are: {', '.join(RULE_MODELS)}"
            )
    extra = [k for k in keys if k not in ("channel", "month")]
    stages = tuple(
        q
        for q in (
            Query("sr_channels", _channels_sql(touches)),
            Query("sr_contacts", _contacts_sql(touches)),
            Query("sr_conversions", _conversions_sql(conversions, lookback_days, contact_keys)),
            Query("sr_assigned", _assigned_sql(touches, extra, contact_keys)),
            Query("sr_grams", _GRAMS_STAGE),
        )
        if not (q.name == "sr_contacts" and contact_keys == "integer")
    )
    outputs = [
        Query("channels", "SELECT channel, bit FROM sr_channels"),
        Query("grams", _GRAMS_SQL),
        Query("sets", _SETS_SQL),
        Query("unattributed", _UNATTRIBUTED_SQL),
    ]
    if data_driven:
        outputs.append(Query("placement", _placement_sql(keys)))
    if rule_models:
        outputs.append(Query("rules", _rules_sql(keys, rule_models, half_life_days)))
    return AttributionSQL(
        dialect=dialect,
        stages=tuple(Query(q.name, _transpile(q.sql, dialect)) for q in stages),
        outputs=tuple(Query(q.name, _transpile(q.sql, dialect)) for q in outputs),
        by=keys,
        models=rule_models,
        data_driven=data_driven,
        contact_keys=contact_keys,
    )
