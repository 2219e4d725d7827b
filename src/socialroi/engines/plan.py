"""What one engine run computes, independent of the engine: the arguments of the SQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from socialroi.engines.config import EngineSettings
from socialroi.engines.sql import AttributionSQL, build_sql
from socialroi.errors import DataError

#: A touchpoints or conversions source: a frame, a file path, or a text spec —
#: ``parquet:GLOB``, ``csv:GLOB``, ``table:NAME`` (a table the engine can read),
#: ``store:PATH`` (a socialroi store; conversions: ``store:PATH`` reads its won deals,
#: ``store:PATH#lead`` / ``#pipeline`` the other kinds).
Source = pl.DataFrame | str | Path


@dataclass(frozen=True)
class Plan:
    """The arguments of :func:`~socialroi.engines.sql.build_sql` but the input names and the
    dialect, which each runner chooses."""

    lookback_days: int = 90
    half_life_days: float = 7.0
    by: tuple[str, ...] = ("channel",)
    rule_models: tuple[str, ...] = ()
    data_driven: bool = True
    #: Touch columns besides contact_id, ts, channel and ref the sources must give (the by keys).
    touch_columns: tuple[str, ...] = ()

    def sql(
        self,
        dialect: str,
        *,
        touches: str = "sr_input_touches",
        conversions: str = "sr_input_conversions",
        contact_keys: str = "dictionary",
    ) -> AttributionSQL:
        """The SQL in `dialect`, reading the normalised inputs named `touches`, `conversions`
        (`contact_keys`: :data:`~socialroi.engines.sql.CONTACT_KEYS`)."""
        return build_sql(
            touches=touches,
            conversions=conversions,
            lookback_days=self.lookback_days,
            half_life_days=self.half_life_days,
            by=self.by,
            models=self.rule_models,
            data_driven=self.data_driven,
            dialect=dialect,
            contact_keys=contact_keys,
        )


class Runner(Protocol):
    """An engine: runs `plan`'s SQL on the two sources and returns every output (by name) as a
    polars frame, plus the SQL it ran (for finish). Connections it opens, it closes."""

    def __call__(
        self, touchpoints: Source, conversions: Source, plan: Plan, settings: EngineSettings
    ) -> tuple[dict[str, pl.DataFrame], AttributionSQL]: ...


def refuse_inputs(*, conversions: int = 0, touches: int = 0, repeated: object = None) -> None:
    """The DataError every engine raises for inputs core refuses, from what its checks found:
    `conversions` rows with no time or contact, `touches` rows with no time, contact or
    channel, a `repeated` conversion id (None: none)."""
    if conversions:
        raise DataError(f"{conversions} conversion row(s) have no time or contact")
    if touches:
        raise DataError(f"{touches} touch row(s) have no time, contact or channel")
    if repeated is not None:
        raise DataError(f"conversion_id '{repeated}' repeats an earlier row")


__all__ = ["Plan", "Runner", "Source", "refuse_inputs"]
