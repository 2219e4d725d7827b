"""Properties every rule model keeps on any data: credits reconcile, order does not matter."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialroi.core.attribution import RULE_MODELS, credit_touches, summarize

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHANNELS = ["x", "linkedin", "email", "direct", "organic_search"]
CONTACTS = ["c1", "c2", "c3"]

touch_rows = st.lists(
    st.tuples(
        st.sampled_from(CONTACTS),
        st.integers(min_value=0, max_value=200 * 24),  # hours after T0
        st.sampled_from(CHANNELS),
    ),
    max_size=25,
)
conversion_rows = st.lists(
    st.tuples(
        st.sampled_from([*CONTACTS, "c4"]),
        st.integers(min_value=0, max_value=200 * 24),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
        st.one_of(st.none(), st.integers(min_value=-2000, max_value=0)),  # lead, hours before
        st.one_of(st.none(), st.integers(min_value=-2000, max_value=0)),  # deal, hours before
    ),
    min_size=1,
    max_size=8,
)


def _touches(rows: list[tuple[str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "ts": [T0 + timedelta(hours=r[1]) for r in rows],
            "channel": [r[2] for r in rows],
        },
        schema={"contact_id": pl.String, "ts": pl.Datetime("us", "UTC"), "channel": pl.String},
    )


def _conversions(rows: list[tuple[str, int, float, int | None, int | None]]) -> pl.DataFrame:
    def at(base: int, delta: int | None) -> datetime | None:
        return None if delta is None else T0 + timedelta(hours=base + delta)

    return pl.DataFrame(
        {
            "conversion_id": [f"v{i}" for i in range(len(rows))],
            "contact_id": [r[0] for r in rows],
            "ts": [T0 + timedelta(hours=r[1]) for r in rows],
            "value": [r[2] for r in rows],
            "lead_created_at": [at(r[1], r[3]) for r in rows],
            "deal_created_at": [at(r[1], r[4]) for r in rows],
        },
        schema_overrides={
            "lead_created_at": pl.Datetime("us", "UTC"),
            "deal_created_at": pl.Datetime("us", "UTC"),
        },
    )


FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tp=touch_rows, cv=conversion_rows, lookback=st.integers(min_value=0, max_value=120))
def test_credits_reconcile_per_conversion(tp, cv, lookback):
    conv = _conversions(cv)
    for model in RULE_MODELS:
        _check_reconciles(_touches(tp), conv, model, lookback)


def _check_reconciles(tp: pl.DataFrame, conv: pl.DataFrame, model: str, lookback: int) -> None:
    credits = credit_touches(tp, conv, model, lookback_days=lookback)
    per = credits.group_by("conversion_id").agg(
        pl.col("credit").sum(), pl.col("value_credit").sum(), pl.col("value").first()
    )
    # every conversion appears, and nothing else
    assert sorted(per["conversion_id"]) == sorted(conv["conversion_id"])
    for _, credit, value_credit, value in per.iter_rows():
        assert credit == pytest.approx(1.0)
        assert value_credit == pytest.approx(value, rel=1e-9, abs=1e-6)
    assert (credits["credit"] >= 0).all()
    summary = summarize(credits, ("channel",))
    assert summary["conversions"].sum() == pytest.approx(conv.height)
    assert summary["value"].sum() == pytest.approx(conv["value"].sum(), rel=1e-9, abs=1e-6)


@FAST
@given(
    hours=st.lists(st.integers(min_value=0, max_value=100 * 24), unique=True, max_size=12),
    cv=conversion_rows,
    seed=st.randoms(use_true_random=False),
)
def test_touch_order_does_not_matter_when_times_differ(hours, cv, seed):
    rows = [(CONTACTS[h % 3], h, CHANNELS[h % 5]) for h in hours]
    shuffled = list(rows)
    seed.shuffle(shuffled)
    conv = _conversions(cv)

    def by_touch(rows: list[tuple[str, int, str]], model: str) -> list[tuple[object, ...]]:
        got = credit_touches(_touches(rows), conv, model)
        return sorted(got.select("conversion_id", "ts", "channel", "credit").rows(), key=str)

    for model in RULE_MODELS:
        a, b = by_touch(rows, model), by_touch(shuffled, model)
        assert [r[:3] for r in a] == [r[:3] for r in b], model
        assert [r[3] for r in a] == pytest.approx([r[3] for r in b]), model
