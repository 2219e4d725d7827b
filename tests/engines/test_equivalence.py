"""The DuckDB engine's SQL gives the in-memory path's numbers: transition counts of every order,
channel-set counts, and every model's credits (random data, lookback edges, ties, repeats)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from socialroi.core.attribution import attribute
from socialroi.core.attribution.datadriven import journeys_from_touches
from socialroi.core.attribution.markov import _encode, _ordered, _transition_counts, channel_codes
from socialroi.core.attribution.shapley import _channel_sets
from socialroi.core.journeys import assign_touches
from socialroi.engines import ENGINE_MODELS, EngineSettings, plan_for
from socialroi.engines.duckdb_engine import run
from socialroi.engines.finish import channel_bits, finish, transition_counts

pytestmark = pytest.mark.slow  # 3 × 25 DuckDB runs of every model

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HALF_DAY = timedelta(hours=12)
US = timedelta(microseconds=1)
CHANNELS = ("direct", "email", "linkedin", "search")
LOOKBACK = 1  # day: conversions on the half-day grid put touches right on the window's edge


@st.composite
def data(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    n_contacts = draw(st.integers(1, 4))
    # Contact ids as text, or as integers' text (then the engine keys contacts by them).
    integer_ids = draw(st.booleans())
    touches: list[dict[str, object]] = []
    convs: list[dict[str, object]] = []
    for c in range(n_contacts):
        contact = str(c * 10) if integer_ids else f"p{c}"
        for _ in range(draw(st.integers(0, 7))):
            slot = draw(st.integers(0, 6))
            # On the grid, or one µs before it: one µs beyond a window's start.
            nudge = draw(st.sampled_from([timedelta(0), timedelta(0), -US]))
            touches.append(
                {
                    "contact_id": contact,
                    "ts": T0 + slot * HALF_DAY + nudge,
                    "channel": draw(st.sampled_from(CHANNELS)),
                    "platform": draw(st.sampled_from(["x", "y", None])),
                }
            )
        for _ in range(draw(st.integers(0, 3))):
            slot = draw(st.integers(0, 14))
            ts = T0 + slot * HALF_DAY
            lead = draw(st.sampled_from([None, 1, 2]))
            convs.append(
                {
                    "contact_id": contact,
                    "ts": ts,
                    "value": float(draw(st.integers(0, 3)) * 100),
                    "lead_created_at": None if lead is None else ts - lead * HALF_DAY,
                }
            )
    tf = pl.DataFrame(
        touches,
        schema={
            "contact_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "channel": pl.String,
            "platform": pl.String,
        },
    )
    # Ties in time are broken by channel, then ref, on every engine: give the in-memory path
    # its rows in that order (it keeps input order for ties).
    # Refs run against the channels' order, so a tie order by ref alone would differ.
    tf = tf.with_row_index("ref").with_columns(
        (999 - pl.col("ref").cast(pl.Int64)).cast(pl.String).str.zfill(3).alias("ref")
    )
    tf = tf.sort("contact_id", "ts", "channel", "ref")
    cf = pl.DataFrame(
        convs,
        schema={
            "contact_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "value": pl.Float64,
            "lead_created_at": pl.Datetime("us", "UTC"),
        },
    ).with_row_index("conversion_id")
    return tf, cf.with_columns(pl.format("k{}", "conversion_id").alias("conversion_id"))


def _memory_counts(journeys: pl.DataFrame, order: int) -> dict[tuple[int, int], float]:
    channels, code = channel_codes(journeys.get_column("channel"))
    ordered = _ordered(journeys.with_columns(code))
    counts = _transition_counts(_encode(ordered, channels, order, unit=True))
    return {(f, t): n for f, t, n in counts.iter_rows()}


def _sets(journeys: pl.DataFrame) -> dict[tuple[frozenset[str], bool], tuple[int, float]]:
    channels, sets = _channel_sets(journeys)
    out: dict[tuple[frozenset[str], bool], tuple[int, float]] = {}
    for mask, n, conv, val in sets.select("mask", "n", "conv", "val").iter_rows():
        names = frozenset(ch for i, ch in enumerate(channels) if mask >> i & 1)
        if conv:
            out[(names, True)] = (int(conv), val)
        if n - conv:
            out[(names, False)] = (int(n - conv), 0.0)
    return out


def _close(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> None:
    assert a.columns == b.columns
    left = a.sort(keys, nulls_last=True)
    right = b.sort(keys, nulls_last=True)
    assert left.select(keys).equals(right.select(keys)), (left, right)
    for col in ("conversions", "value"):
        a_col = left.get_column(col).to_numpy()
        b_col = right.get_column(col).to_numpy()
        scale = max(1.0, float(abs(a_col).max(initial=0.0)))
        assert (abs(a_col - b_col) <= 1e-9 * scale).all(), (left, right)


@pytest.mark.parametrize("buckets", [1, 2, 3])  # passes over disjoint buckets of contacts
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure shows unshrunk, at once
)
@given(data())
def test_engine_matches_memory(buckets: int, frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    touches, convs = frames
    if touches.height == 0:
        return
    by = ["channel", "platform", "month"]
    plan = plan_for(ENGINE_MODELS, lookback_days=LOOKBACK, by=by)
    outputs, sql = run(touches, convs, plan, EngineSettings(threads=1, buckets=buckets))
    ids = pl.concat([touches.get_column("contact_id"), convs.get_column("contact_id")])
    assert sql.contact_keys == ("integer" if ids.str.contains(r"^\d+$").all() else "dictionary")

    assigned = assign_touches(touches, convs, lookback_days=LOOKBACK, carry=("value",))
    journeys = journeys_from_touches(assigned)
    channels, bits = channel_bits(outputs["channels"])
    for order in range(1, 5):
        counts, _total_conv, _ = transition_counts(outputs["grams"], channels, order, bits)
        engine = {(f, t): n for f, t, n in counts.iter_rows()}
        assert engine == _memory_counts(journeys, order), order
    sets: dict[tuple[frozenset[str], bool], tuple[int, float]] = {}
    for mask, converted, n, val in outputs["sets"].iter_rows():
        names = frozenset(ch for b, ch in bits.items() if mask >> b & 1)
        sets[(names, bool(converted))] = (n, val if converted else 0.0)
    memory = _sets(journeys)
    assert sets.keys() == memory.keys()
    for key, (n, val) in sets.items():
        assert n == memory[key][0]
        assert val == pytest.approx(memory[key][1], abs=1e-9)

    # The finest grouping: channel, platform and month totals all follow from it.
    grouped = finish(outputs, sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        expected = attribute(touches, convs, model, lookback_days=LOOKBACK, by=by)
        _close(grouped[model], expected, by)
