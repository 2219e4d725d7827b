"""The ``[engine]`` config table: which engine runs attribution at scale, and its settings.

.. code-block:: toml

    [engine]
    name = "duckdb"              # duckdb (default), spark, bigquery
    memory_limit = "8GB"         # DuckDB: spills to temp_directory beyond it
    temp_directory = "/scratch"  # DuckDB: where it spills (a fresh directory inside, removed after)
    threads = 2                  # DuckDB
    buckets = 3                  # DuckDB: contacts in 3 passes (default: a sixth of memory each)
    database = "warehouse.duckdb"  # DuckDB: a database file whose tables `table:NAME` reads
    connection = "sc://host:15002" # Spark: master URL or Spark Connect address
    project = "my-project"       # BigQuery: where the queries run and are billed
    dataset = "analytics_123"    # BigQuery: the dataset of `table:NAME`
    location = "EU"              # BigQuery: where the session runs (default: the tables')
    maximum_bytes_billed = 50_000_000_000  # BigQuery: no query of the run bills more

Credentials are never read from here: each engine's client reads its own environment
(``SOCIALROI_BIGQUERY_ACCESS_TOKEN``, ``SNOWFLAKE_PASSWORD``…).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from socialroi.errors import ConfigError

_TEXT = (
    "name",
    "memory_limit",
    "temp_directory",
    "database",
    "connection",
    "project",
    "dataset",
    "location",
)
_WHOLE = ("threads", "buckets", "maximum_bytes_billed")
_SECRET = ("password", "token", "key", "secret", "credentials")


@dataclass(frozen=True)
class EngineSettings:
    """An engine and its settings; `options` holds keys an engine reads on its own."""

    name: str = "duckdb"
    memory_limit: str | None = None
    temp_directory: str | None = None
    threads: int | None = None
    #: DuckDB: run the journeys in this many passes, each over a disjoint bucket of contacts
    #: (None: as many as the touches need to fit in ``memory_limit``; 1: one pass).
    buckets: int | None = None
    database: str | None = None
    connection: str | None = None
    project: str | None = None
    dataset: str | None = None
    #: BigQuery: the location the session's queries run in (None: BigQuery's choice).
    location: str | None = None
    #: BigQuery: the most bytes any one query may bill (it fails instead; None: no cap).
    maximum_bytes_billed: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def with_options(self, options: Mapping[str, Any] | None) -> EngineSettings:
        """These settings with `options` (the same keys as the table) laid over them."""
        if not options:
            return self
        merged = engine_settings({**self.as_dict(), **options}, source="engine_options")
        return merged

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in (*_TEXT, *_WHOLE)}
        out.update(self.options)
        return {k: v for k, v in out.items() if v is not None}


def engine_settings(table: Mapping[str, Any] | None, *, source: str = "config") -> EngineSettings:
    """The ``[engine]`` table (``settings.raw.get("engine")``) as EngineSettings; a wrong value
    is a ConfigError naming `source` and the key. A key that looks like a secret is refused:
    credentials come from the environment."""
    if table is None:
        return EngineSettings()
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [engine] must be a table, not {table!r}")
    values: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in table.items():
        if any(s in key.lower() for s in _SECRET):
            raise ConfigError(
                f"{source}: [engine] {key}: credentials are read from the environment, "
                "not from the config"
            )
        if key in _TEXT:
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"{source}: [engine] {key} must be text, not {value!r}")
            values[key] = value.strip() if isinstance(value, str) else None
        elif key in _WHOLE:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(
                    f"{source}: [engine] {key} must be a whole number ≥ 1, not {value!r}"
                )
            values[key] = value
        else:
            options[key] = value
    out = replace(EngineSettings(), **values, options=options)
    if not out.name:
        raise ConfigError(f"{source}: [engine] name must be text")
    return out
