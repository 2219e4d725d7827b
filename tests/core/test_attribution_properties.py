"""Properties every model keeps on any data: each conversion's credits sum to 1 and to its value,
every credit row belongs to a conversion, order does not matter."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialroi.core.attribution import (
    DATA_DRIVEN_MODELS,
    RULE_MODELS,
    credit_touches,
    summarize,
)

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


@FAST
@given(
    tp=touch_rows,
    cv=conversion_rows,
    lookback=st.integers(min_value=0, max_value=120),
    order=st.integers(min_value=1, max_value=3),
)
def test_data_driven_credits_reconcile_per_conversion(tp, cv, lookback, order):
    conv = _conversions(cv)
    for model in DATA_DRIVEN_MODELS:
        _check_reconciles(_touches(tp), conv, model, lookback, order=order)


def _check_reconciles(
    tp: pl.DataFrame, conv: pl.DataFrame, model: str, lookback: int, *, order: int = 1
) -> None:
    credits = credit_touches(tp, conv, model, lookback_days=lookback, order=order)
    # every credit row belongs to a conversion, and has its month
    assert credits["conversion_id"].null_count() == 0
    assert credits["conv_ts"].null_count() == 0
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


@pytest.fixture(scope="module")
def demo_credits() -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The demo company's (seed 7, 24 months) conversions and every model's credits, each kind
    credited on its own as the analysis does, over a 120-day window (its sales cycle)."""
    from socialroi.core.attribution import model_names
    from socialroi.core.conversions import (
        deal_conversions,
        lead_conversions,
        pipeline_conversions,
    )
    from socialroi.core.identity import resolve_tables
    from socialroi.core.model_compare import credit_all
    from socialroi.demo import generate

    t = generate(seed=7).tables
    touches = resolve_tables(t).touchpoints
    conversions = pl.concat(
        [
            lead_conversions(t["leads"]),
            deal_conversions(t["deals"], t["leads"]),
            pipeline_conversions(t["deals"], t["leads"]),
        ]
    )
    models = list(model_names())
    credits = credit_all(touches, conversions, models, lookback_days=120, half_life_days=7.0)
    return conversions, credits


def test_every_models_credits_reconcile_per_conversion_on_the_demo(demo_credits):
    conversions, credits = demo_credits
    assert {"markov", "shapley", "linear"} <= set(credits)
    want = conversions.select("conversion_id", "kind", "value").sort("conversion_id", "kind")
    for model, c in credits.items():
        assert c["conversion_id"].null_count() == 0, model
        per = (
            c.group_by("conversion_id", "kind")
            .agg(pl.col("credit").sum(), pl.col("value_credit").sum())
            .sort("conversion_id", "kind")
        )
        assert (
            per.select("conversion_id", "kind").rows()
            == want.select("conversion_id", "kind").rows()
        ), model
        assert per["credit"].to_list() == pytest.approx([1.0] * per.height), model
        assert per["value_credit"].to_list() == pytest.approx(want["value"].to_list()), model


def test_any_slice_of_the_demo_sums_to_its_conversions(demo_credits):
    # 2026Q2: 487,900 of won revenue closed in the quarter (seed 7's world), credited in full
    # under every model (with the demo's earlier world, Markov gave 354,336 and Shapley 391,368
    # of 399,000 when credit could sit on non-converting touches).
    conversions, credits = demo_credits
    q2 = pl.col("ts").is_between(
        datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC), closed="left"
    )
    won = conversions.filter(pl.col("kind") == "deal")
    assert won.filter(q2)["value"].sum() == 487_900.0
    by_month = won.group_by(pl.col("ts").dt.month_start().dt.date().alias("month")).agg(
        pl.col("value").sum(), pl.len().cast(pl.Float64).alias("n")
    )
    for model, c in credits.items():
        deals = c.filter(pl.col("kind") == "deal")
        in_q2 = deals.filter(
            pl.col("conv_ts").is_between(
                datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC), closed="left"
            )
        )
        assert in_q2["value_credit"].sum() == pytest.approx(487_900.0), model
        got = summarize(deals, ("month",)).sort("month")
        want = by_month.sort("month")
        assert got["month"].to_list() == want["month"].to_list(), model
        assert got["value"].to_list() == pytest.approx(want["value"].to_list()), model
        assert got["conversions"].to_list() == pytest.approx(want["n"].to_list()), model
