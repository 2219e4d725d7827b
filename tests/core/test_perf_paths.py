"""Fast paths give the same answers as the general ones.

credit_models keeps input order when each contact's touches are consecutive rows in time order;
journeys_from_touches numbers journeys from contact runs; markov skips its sort for ordered
journeys and counts transitions with bincounts; rule models compute role positions on arrays.
"""

from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import pairwise
from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from socialroi.core import journeys
from socialroi.core.attribution import (
    _JOURNEY_COLUMNS,
    MODELS,
    RULE_MODELS,
    MarkovResult,
    ModelParams,
    ShapleyResult,
    _with_unattributed,
    credit_models,
    fit,
    journeys_from_touches,
    markov,
)
from socialroi.core.attribution.datadriven import grouped_journeys
from socialroi.core.attribution.rules import (
    ROLE_WEIGHTS,
    _position_credit,
    rule_credits,
    rule_credits_all,
)
from socialroi.core.conversions import conform_conversions
from socialroi.core.journeys import (
    assign_in_input_order,
    assign_touches,
    conform_touches,
    contact_runs,
    group_touches,
    grouped_in_time,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHANNELS = ["direct", "email", "linkedin", "search", "x"]


def _data(seed: int, contacts: int = 300) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Touches grouped by contact in time order (contacts not sorted), with conversions."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 8, contacts)
    ids = rng.permutation(contacts)
    contact = np.repeat([f"c{i}" for i in ids], counts)
    days = np.concatenate([np.sort(rng.integers(0, 200, k)) for k in counts])
    touches = pl.DataFrame(
        {
            "contact_id": contact,
            "ts": [T0 + timedelta(days=int(d)) for d in days],
            "channel": rng.choice(CHANNELS, len(contact)),
            "post": rng.integers(0, 9, len(contact)),
        }
    )
    buyers = rng.choice(contacts, contacts // 3, replace=False)
    conv_days = rng.integers(0, 220, len(buyers))
    conversions = pl.DataFrame(
        {
            "conversion_id": [f"k{i}" for i in range(len(buyers))],
            "contact_id": [f"c{i}" for i in buyers],
            "ts": [T0 + timedelta(days=int(d)) for d in conv_days],
            "value": rng.integers(0, 1000, len(buyers)).astype(float),
            "lead_created_at": [T0 + timedelta(days=int(d) - 10) for d in conv_days],
            "deal_created_at": [T0 + timedelta(days=int(d) - 3) for d in conv_days],
        }
    )
    return touches, conversions


def _paths(journeys: pl.DataFrame) -> list[tuple[object, ...]]:
    """Every journey as (channels in step order, converted, value), sorted."""
    rows = (
        journeys.sort("journey_id", "step")
        .group_by("journey_id", maintain_order=True)
        .agg(
            pl.col("channel").cast(pl.String),
            pl.col("converted").first(),
            pl.col("value").first(),
        )
        .drop("journey_id")
    )
    return sorted((tuple(c), conv, v) for c, conv, v in rows.iter_rows())


def test_grouped_detection():
    touches, _ = _data(1)
    assert grouped_in_time(touches) is not None
    assert grouped_in_time(touches.sort("ts")) is None
    assert contact_runs(pl.Series(["a", "a", "b", "a"])) is None
    runs = contact_runs(pl.Series(["b", "b", "a", "c", "c"]))
    assert runs is not None
    assert runs.tolist() == [True, False, True, True, False]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_input_order_assignment_sorts_to_assign_touches(seed):
    touches, conversions = _data(seed)
    kept = assign_in_input_order(touches, conversions, carry=("value",))
    assert kept is not None
    expected = assign_touches(touches, conversions, carry=("value",))
    assert_frame_equal(kept.sort("ts", maintain_order=True), expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_credit_models_same_on_every_path(seed):
    touches, conversions = _data(seed)
    models = [*RULE_MODELS, "markov", "shapley"]
    fast = credit_models(touches, conversions, models)
    # The general path: every model on assign_touches' frame (rows by time, text-ranked journeys).
    convs = conform_conversions(conversions)
    assigned = assign_touches(touches, convs, carry=_JOURNEY_COLUMNS, keep_order=True)
    general = {
        m: _with_unattributed(MODELS[m](assigned, ModelParams()), convs, touches.columns)
        for m in models
    }
    for model in RULE_MODELS:
        assert_frame_equal(fast[model], general[model])
    for model in ("markov", "shapley"):
        assert_frame_equal(fast[model], general[model], check_exact=False, rel_tol=1e-12)


def test_journeys_by_contact_runs_match_ranked_journeys():
    touches, conversions = _data(4)
    kept = assign_in_input_order(touches, conversions, carry=("value",))
    assert kept is not None
    by_runs = journeys_from_touches(kept)
    assert by_runs["journey_id"].is_sorted()
    ranked = journeys_from_touches(assign_touches(touches, conversions, carry=("value",)))
    assert _paths(by_runs) == _paths(ranked)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_same_for_any_row_order_and_channel_type(order):
    touches, conversions = _data(5, contacts=600)
    journeys = journeys_from_touches(assign_touches(touches, conversions, carry=("value",)))
    ordered = markov(journeys.sort("journey_id", "step"), order=order)
    for variant in (
        journeys.sample(fraction=1.0, shuffle=True, seed=order),
        journeys.with_columns(pl.col("channel").cast(pl.Categorical)),
    ):
        other = markov(variant, order=order)
        assert_frame_equal(other.credits, ordered.credits, check_exact=False, rel_tol=1e-12)
        assert_frame_equal(other.transitions, ordered.transitions)
        assert other.conversion_probability == pytest.approx(ordered.conversion_probability)


def test_markov_weights_match_duplicated_journeys():
    touches, conversions = _data(6)
    journeys = journeys_from_touches(assign_touches(touches, conversions, carry=("value",)))
    doubled = pl.concat(
        [journeys, journeys.with_columns(pl.col("journey_id") + journeys["journey_id"].max())]
    )
    weighted = journeys.with_columns(pl.lit(2.0).alias("weight"))
    a, b = markov(doubled, order=2), markov(weighted, order=2)
    assert_frame_equal(a.credits, b.credits, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(a.transitions, b.transitions, check_exact=False, rel_tol=1e-12)


def test_markov_large_state_space_uses_pair_keys():
    # 60 channels at order 4: too many states for a dense pair table; same result when shuffled.
    rng = np.random.default_rng(7)
    n = 4_000
    jid = np.sort(rng.integers(0, 800, n))
    journeys = pl.DataFrame(
        {
            "journey_id": jid,
            "step": np.arange(n),
            "channel": [f"ch{i:02d}" for i in rng.integers(0, 60, n)],
            "converted": (jid % 7 == 0),
            "value": np.where(jid % 7 == 0, 10.0, 0.0),
        }
    )
    a = markov(journeys, order=4)
    b = markov(journeys.reverse(), order=4)
    assert_frame_equal(a.credits, b.credits, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(a.transitions, b.transitions)


@pytest.mark.parametrize("model", [m for m in RULE_MODELS if m != "time_decay"])
def test_rule_arrays_match_expressions(model):
    touches, conversions = _data(8)
    assigned = assign_touches(
        touches,
        conversions,
        carry=("kind", "value", "lead_created_at", "deal_created_at"),
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 5 == 0)
        .then(None)
        .otherwise(pl.col("lead_created_at"))
        .alias("lead_created_at"),
        pl.when(pl.int_range(pl.len()) % 7 == 0)
        .then(None)
        .otherwise(pl.col("channel"))
        .alias("channel"),
    )
    fast = rule_credits(assigned, model)
    converting = assigned.filter(pl.col("conversion_id").is_not_null())
    assert_frame_equal(fast, _position_credit(converting, ROLE_WEIGHTS[model]))


@pytest.mark.parametrize("codes", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_journeys_match_assigned_journeys(seed, codes):
    touches, conversions = _data(seed)
    convs = conform_conversions(conversions)
    fast = grouped_journeys(conform_touches(touches), convs, 90, codes=codes)
    assert fast is not None
    kept = assign_in_input_order(touches, convs, carry=("value",))
    assert kept is not None
    expected = journeys_from_touches(kept)
    assert_frame_equal(fast.with_columns(pl.col("channel").cast(pl.String)), expected)
    # Rows in any order give the same journeys.
    shuffled = grouped_journeys(conform_touches(touches.sample(fraction=1.0, seed=seed)), convs, 90)
    assert shuffled is not None
    assert _paths(shuffled) == _paths(expected)
    assert grouped_journeys(conform_touches(touches.clear()), convs, 90) is None


@pytest.mark.parametrize("order", [1, 4])
def test_fit_same_on_every_path(order):
    touches, conversions = _data(6, contacts=600)
    fast = fit(touches, conversions, "markov", order=order)
    general = markov(
        journeys_from_touches(assign_touches(touches, conversions, carry=("value",))),
        order=order,
    )
    assert isinstance(fast, MarkovResult)
    assert_frame_equal(fast.credits, general.credits, check_exact=False, rel_tol=1e-12)
    assert fast.conversion_probability == pytest.approx(general.conversion_probability, rel=1e-12)
    kept = assign_in_input_order(touches, conversions, carry=("value",))
    assert kept is not None
    before = markov(journeys_from_touches(kept), order=order)
    assert_frame_equal(fast.credits, before.credits)
    assert_frame_equal(fast.transitions, before.transitions)
    assert fast.conversion_probability == before.conversion_probability


def test_credit_models_fast_path_credit_off_converting_journeys():
    # x is only in a journey that does not convert, yet the order-1 chain routes walkers
    # through it (removal effects a 1, b 1/2, x 1/4): x's effect gets no credit, since no
    # conversion holds it; k2 (a, b) is shared 1 : 1/2. A custom model reads every touch.
    day = timedelta(days=1)
    touches = pl.DataFrame(
        {
            "contact_id": ["c1", "c1", "c1", "c2", "c3", "c3"],
            "ts": [T0, T0 + day, T0 + 2 * day, T0, T0, T0 + day],
            "channel": ["a", "x", "a", "a", "a", "b"],
        }
    )
    conversions = pl.DataFrame(
        {
            "conversion_id": ["k1", "k2"],
            "contact_id": ["c2", "c3"],
            "ts": [T0 + 3 * day, T0 + 3 * day],
            "value": [5.0, 7.0],
        }
    )
    MODELS["_every_touch"] = lambda frame, params: frame.with_columns(credit=pl.lit(1.0))
    try:
        models = ["markov", "shapley", "linear", "_every_touch"]
        fast = credit_models(touches, conversions, models)
        convs = conform_conversions(conversions)
        assigned = assign_touches(touches, convs, carry=_JOURNEY_COLUMNS, keep_order=True)
        for model in models:
            general = _with_unattributed(
                MODELS[model](assigned, ModelParams()), convs, touches.columns
            )
            assert_frame_equal(fast[model], general, check_exact=False, rel_tol=1e-12)
        got = fast["markov"].select("conversion_id", "channel", "credit", "value_credit").rows()
        assert got == [
            ("k1", "a", pytest.approx(1.0), pytest.approx(5.0)),
            ("k2", "a", pytest.approx(2 / 3), pytest.approx(14 / 3)),
            ("k2", "b", pytest.approx(1 / 3), pytest.approx(7 / 3)),
        ]
    finally:
        del MODELS["_every_touch"]


def test_rule_credits_all_match_one_at_a_time():
    touches, conversions = _data(7)
    assigned = assign_touches(touches, conversions, carry=_JOURNEY_COLUMNS)
    together = rule_credits_all(assigned, RULE_MODELS, half_life_days=3.0)
    for model in RULE_MODELS:
        assert_frame_equal(together[model], rule_credits(assigned, model, half_life_days=3.0))
    assert rule_credits_all(assigned, (), half_life_days=-1.0) == {}


@st.composite
def _touch_data(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Small touches (few contacts, days with ties) in one of four row layouts, conversions
    (some for contacts without touches, some at the same time) and a short lookback, so
    window edges and ties come up often."""
    contacts = draw(st.integers(1, 5))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, contacts - 1), st.integers(0, 12), st.sampled_from("abc")),
            max_size=30,
        )
    )
    milestone = st.one_of(st.none(), st.integers(0, 8))  # days before the conversion
    convs = draw(
        st.lists(
            st.tuples(st.integers(0, contacts), st.integers(0, 14), milestone, milestone),
            max_size=6,
        ),
    )
    touches = pl.DataFrame(
        {
            "contact_id": [f"c{c}" for c, _, _ in rows],
            "ts": [T0 + timedelta(days=d) for _, d, _ in rows],
            "channel": [ch for _, _, ch in rows],
            "ref": list(range(len(rows))),
        },
        schema={
            "contact_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "channel": pl.String,
            "ref": pl.Int64,
        },
    )
    layout = draw(st.sampled_from(["store", "grouped", "time", "shuffled"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if layout == "store":
        touches = touches.sort("contact_id", "ts", maintain_order=True)
    elif layout == "grouped":
        rank = {f"c{c}": int(r) for c, r in enumerate(rng.permutation(contacts))}
        key = pl.col("contact_id").replace_strict(rank, return_dtype=pl.Int64)
        touches = touches.sort(key, "ts", maintain_order=True)
    elif layout == "time":
        touches = touches.sort("ts", maintain_order=True)
    else:
        touches = touches[rng.permutation(touches.height)]

    def before(day: int, back: int | None) -> datetime | None:
        return None if back is None else T0 + timedelta(days=day - back)

    conversions = pl.DataFrame(
        {
            "conversion_id": [f"k{i}" for i in range(len(convs))],
            "contact_id": [f"c{c[0]}" for c in convs],
            "ts": [T0 + timedelta(days=c[1]) for c in convs],
            "value": [float(10 * i + 5) for i in range(len(convs))],
            # milestones move each conversion's window back (design §4)
            "lead_created_at": [before(c[1], c[2]) for c in convs],
            "deal_created_at": [before(c[1], c[3]) for c in convs],
        },
        schema={
            "conversion_id": pl.String,
            "contact_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "value": pl.Float64,
            "lead_created_at": pl.Datetime("us", "UTC"),
            "deal_created_at": pl.Datetime("us", "UTC"),
        },
    )
    return touches, conversions, draw(st.integers(0, 4))


@settings(max_examples=100, deadline=None)
@given(_touch_data())
def test_grouping_assigns_like_assign_touches(data):
    touches, conversions, lookback = data
    _assert_grouped_like_assign_touches(touches, conversions, lookback)


@settings(max_examples=80, deadline=None)
@given(_touch_data())
def test_order1_counts_match_markov_on_journeys(data):
    touches, conversions, lookback = data
    fast = fit(touches, conversions, "markov", lookback_days=lookback)
    assigned = assign_touches(touches, conversions, lookback_days=lookback, carry=("value",))
    general = markov(journeys_from_touches(assigned), order=1)
    assert isinstance(fast, MarkovResult)
    assert_frame_equal(fast.transitions, general.transitions)
    assert_frame_equal(fast.credits, general.credits, check_exact=False, rel_tol=1e-12)
    assert fast.conversion_probability == general.conversion_probability


@settings(max_examples=30, deadline=None)
@given(_touch_data())
def test_credit_models_in_any_row_order_match_the_general_path(data):
    touches, conversions, lookback = data
    models = ["first_touch", "linear", "time_decay", "w_shaped", "markov", "shapley"]
    fast = credit_models(touches, conversions, models, lookback_days=lookback)
    convs = conform_conversions(conversions)
    assigned = assign_touches(
        touches, convs, lookback_days=lookback, carry=_JOURNEY_COLUMNS, keep_order=True
    )
    params = ModelParams(lookback_days=lookback)
    for model in models:
        general = _with_unattributed(MODELS[model](assigned, params), convs, touches.columns)
        assert_frame_equal(fast[model], general, check_exact=False, rel_tol=1e-12)


def _top_bits_twins() -> tuple[str, str]:
    """Two contact ids whose hashes share their top 32 bits (found among 300k candidates)."""
    ids = pl.Series([f"p{i}" for i in range(300_000)])
    top = pl.DataFrame({"id": ids, "top": ids.hash().to_numpy() >> np.uint64(32)})
    twins = top.filter(pl.col("top").is_duplicated()).sort("top", "id").head(2)
    assert twins.height == 2
    return twins["id"][0], twins["id"][1]


def test_contacts_sharing_hash_bits_are_still_grouped_in_time():
    a, b = _top_bits_twins()
    # The two contacts' touches interleave in time, some at the same time, rows shuffled.
    days = [0, 1, 1, 2, 3, 3, 5, 8]
    touches = pl.DataFrame(
        {
            "contact_id": [a, b, a, b, a, a, b, a],
            "ts": [T0 + timedelta(days=d) for d in days],
            "channel": ["x", "y", "z", "x", "y", "x", "z", "z"],
            "ref": list(range(8)),
        }
    ).sample(fraction=1.0, shuffle=True, seed=3)
    conversions = pl.DataFrame(
        {"conversion_id": ["k1"], "contact_id": [a], "ts": [T0 + timedelta(days=3)]}
    )
    convs = conform_conversions(conversions)
    grouped = group_touches(conform_touches(touches), convs, lookback_days=90)
    assert grouped is not None
    assert grouped.order is not None
    rows = touches[grouped.order]
    assert rows["contact_id"].to_list() in ([a] * 5 + [b] * 3, [b] * 3 + [a] * 5)
    for contact, refs in ((a, [0, 2, 4, 5, 7]), (b, [1, 3, 6])):
        assert rows.filter(pl.col("contact_id") == contact)["ref"].to_list() == refs
    by_ref = dict(zip(rows["ref"], grouped.conversion.tolist(), strict=True))
    assert [by_ref[r] for r in range(8)] == [0, -1, 0, -1, 0, 0, -1, -1]


def _assert_grouped_like_assign_touches(
    touches: pl.DataFrame, conversions: pl.DataFrame, lookback: int
) -> None:
    """group_touches on `touches` (a `ref` column numbers them) assigns every touch as
    assign_touches does, and puts each contact's rows in one run, in (time, row) order."""
    convs = conform_conversions(conversions)
    grouped = group_touches(conform_touches(touches), convs, lookback_days=lookback)
    if touches.height == 0:
        assert grouped is None
        return
    assert grouped is not None
    expected = assign_touches(touches, convs, lookback_days=lookback)
    by_ref = dict(zip(expected["ref"], expected["conversion_id"], strict=True))
    ids = convs.get_column("conversion_id").to_list()
    got = [ids[k] if k >= 0 else None for k in grouped.in_input_order()]
    assert got == [by_ref[r] for r in touches["ref"]]
    order = np.arange(touches.height) if grouped.order is None else grouped.order
    assert sorted(order.tolist()) == list(range(touches.height))
    rows = touches.with_row_index("_row")[order]
    contact = rows.get_column("contact_id")
    starts = np.flatnonzero(grouped.runs)
    assert starts.tolist() == [0] + [
        i for i in range(1, rows.height) if contact[i] != contact[i - 1]
    ]
    assert contact.gather(starts).n_unique() == len(starts) == contact.n_unique()
    for _, part in rows.group_by("contact_id"):
        assert part.select("ts", "_row").rows() == sorted(part.select("ts", "_row").rows())


def test_grouping_when_every_contact_shares_a_hash(monkeypatch):
    # As if every contact had the same hash: all rows share one bucket of the packed key, so
    # they are sorted again exactly, by contact, time and row.
    touches, conversions = _data(9, contacts=40)
    touches = touches.with_row_index("ref").sample(fraction=1.0, shuffle=True, seed=1)
    monkeypatch.setattr(
        journeys, "_contact_hashes", lambda contact: np.zeros(contact.len(), dtype=np.uint64)
    )
    _assert_grouped_like_assign_touches(touches, conversions, 90)


@pytest.mark.parametrize(("hash_bits", "time_bits"), [(1, 0), (1, 1), (2, 2), (3, 40)])
@settings(max_examples=40, deadline=None)
@given(data=_touch_data())
def test_grouping_exact_when_the_packed_key_is_narrow(hash_bits, time_bits, data):
    # Few hash bits put several contacts in one bucket; few time bits put a contact's touches
    # in one time step: both are sorted again exactly.
    touches, conversions, lookback = data
    narrow = partial(journeys._hash_time_order, hash_bits=hash_bits, time_bits=time_bits)
    with mock.patch.object(journeys, "_hash_time_order", narrow):
        _assert_grouped_like_assign_touches(touches, conversions, lookback)


@pytest.mark.parametrize("seed", [0, 1])
def test_shuffled_rows_give_the_same_credits_as_sorted_rows(seed):
    # Many contacts (so some share hash bits), touches on whole hours plus a microsecond per
    # earlier touch of the contact (so some share a time step of the sort key, though no
    # contact has two touches at one time, where input order would decide), several
    # conversions per contact: the store's order and any other order give every model the
    # same credits and the same fitted chains.
    rng = np.random.default_rng(seed)
    contacts = 4000
    counts = rng.integers(1, 9, contacts)
    contact = np.repeat([f"c{i:05d}" for i in range(contacts)], counts)
    hours = np.concatenate([np.sort(rng.integers(0, 24 * 120, k)) for k in counts])
    nth = np.concatenate([np.arange(k) for k in counts])
    touches = pl.DataFrame(
        {
            "contact_id": contact,
            "ts": [
                T0 + timedelta(hours=int(h), microseconds=int(j))
                for h, j in zip(hours, nth, strict=True)
            ],
            "channel": rng.choice(CHANNELS, len(contact)),
            "ref": np.arange(len(contact)),
        }
    )
    buyers = rng.choice(contacts, 1500)  # repeats: several conversions per contact
    days = rng.integers(0, 130, len(buyers))
    conversions = pl.DataFrame(
        {
            "conversion_id": [f"k{i}" for i in range(len(buyers))],
            "contact_id": [f"c{i:05d}" for i in buyers],
            "ts": [T0 + timedelta(days=int(d)) for d in days],
            "value": rng.integers(0, 1000, len(buyers)).astype(float),
            "lead_created_at": [T0 + timedelta(days=int(d) - 9) for d in days],
            "deal_created_at": [T0 + timedelta(days=int(d) - 2) for d in days],
        }
    )
    shuffled = touches.sample(fraction=1.0, shuffle=True, seed=seed)
    models = [*RULE_MODELS, "markov", "shapley"]
    fitted_sorted: dict[str, MarkovResult | ShapleyResult] = {}
    fitted_shuffled: dict[str, MarkovResult | ShapleyResult] = {}
    in_order = credit_models(touches, conversions, models, lookback_days=30, fitted=fitted_sorted)
    out_of_order = credit_models(
        shuffled, conversions, models, lookback_days=30, fitted=fitted_shuffled
    )
    key = ["conversion_id", "ref"]
    for model in models:
        assert_frame_equal(
            out_of_order[model].sort(key, nulls_last=True),
            in_order[model].sort(key, nulls_last=True),
            check_exact=True,
        )
    for order in (1, 2, 4):
        a = fit(touches, conversions, "markov", lookback_days=30, order=order)
        b = fit(shuffled, conversions, "markov", lookback_days=30, order=order)
        assert isinstance(a, MarkovResult)
        assert isinstance(b, MarkovResult)
        assert_frame_equal(a.credits, b.credits, check_exact=True)
        assert_frame_equal(a.transitions, b.transitions, check_exact=True)
    for model in ("markov", "shapley"):
        assert repr(fitted_sorted[model]) == repr(fitted_shuffled[model])


def _chunked(values: list[str | None], cuts: list[int]) -> pl.Series:
    """`values` as a text column in several chunks, cut at `cuts`."""
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(values)}), len(values)]
    parts = [pl.Series(values[a:b], dtype=pl.String) for a, b in pairwise(bounds)]
    return pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "a-long-contact-id"]))),
    cuts=st.lists(st.integers(0, 40), max_size=5),
)
def test_run_starts_and_grouping_read_chunks_as_one_column(values, cuts):
    # Neighbours are compared chunk by chunk and across the seams between chunks.
    column = _chunked(values, cuts)
    starts = journeys._run_starts(column)
    assert starts.tolist() == [i == 0 or values[i] != values[i - 1] for i in range(len(values))]
    order = np.random.default_rng(len(values)).permutation(len(values))
    pieces = journeys._gathered_run_starts(column, order, piece=3)
    assert pieces.tolist() == journeys._run_starts(column.gather(order)).tolist()
    runs = journeys.contact_runs(column)
    heads = [values[i] for i in range(len(values)) if starts[i]]
    if len(set(heads)) == len(heads):
        assert runs is not None
        assert runs.tolist() == starts.tolist()
    else:
        assert runs is None


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.sampled_from(["x", "email", "organic_search", "é", ""]), min_size=1),
    cuts=st.lists(st.integers(0, 40), max_size=5),
)
def test_touch_channel_codes_rank_the_channels_in_any_chunks(values, cuts):
    from socialroi.core.attribution.transitions import _bincount, touch_channel_codes

    channels, code = touch_channel_codes(_chunked(list(values), cuts))
    assert channels == sorted(set(values))
    assert [channels[c] for c in code] == values
    # One-byte keys are counted two at a time; any length gives bincount's counts.
    key = code.astype(np.uint8)
    assert _bincount(key, 7).tolist() == np.bincount(key, minlength=7)[:7].tolist()


def test_touch_channel_codes_rank_channels_first_met_late():
    """Channels first met after the rows the coding starts from (in a later chunk, or later in
    the same chunk) get their sorted ranks all the same."""
    from socialroi.core.attribution.transitions import touch_channel_codes

    values: list[str | None] = ["zeta"] * 70_000
    values += ["alpha", "mid", "zeta", "alpha"]
    for cuts in ([], [70_001], [10, 69_999]):
        channels, code = touch_channel_codes(_chunked(values, cuts))
        assert channels == ["alpha", "mid", "zeta"]
        assert code[:70_000].tolist() == [2] * 70_000
        assert code[70_000:].tolist() == [0, 1, 2, 0]


def test_place_by_code_shares_like_place_by_channel():
    """Credit placed by conversion and channel numbers equals credit placed by their text: a
    conversion's channels share it by weight, a channel's touches share its part, and a
    conversion whose channels all weigh 0 is shared equally by channel."""
    from socialroi.core.attribution.datadriven import place_by_channel, place_by_code

    conv = pl.DataFrame(
        {
            "conversion_id": ["a", "a", "a", "b", "b", "c"],
            "channel": ["x", "y", "x", "z", "y", "z"],
            "value": [100.0, 100.0, 100.0, 10.0, 10.0, None],
        }
    )
    weights = {"x": 0.6, "y": 0.2, "z": 0.0}
    by_text = place_by_channel(
        conv, pl.DataFrame({"channel": list(weights), "weight": list(weights.values())})
    )
    key = np.array([0, 0, 0, 1, 1, 2])
    code = np.array([0, 1, 0, 2, 1, 2])
    by_code = place_by_code(conv, key, code, np.array(list(weights.values())))
    # a: x weighs 0.6 over two touches, y 0.2; b: only y weighs; c: z alone, weight 0.
    expected = [0.375, 0.25, 0.375, 0.0, 1.0, 1.0]
    assert by_code["credit"].to_list() == pytest.approx(expected, rel=1e-15)
    assert by_code["credit"].to_list() == by_text["credit"].to_list()
    assert by_code["value_credit"].to_list() == pytest.approx([37.5, 25.0, 37.5, 0.0, 10.0, 0.0])
    zero = place_by_code(conv, key, code, np.zeros(3))
    assert zero["credit"].to_list() == pytest.approx([0.25, 0.5, 0.25, 0.5, 0.5, 1.0])


@pytest.mark.parametrize("layout", ["sorted", "shuffled"])
def test_group_touches_reports_its_grouping_before_matching(layout):
    """on_grouped sees the rows' order and contact runs once, the same arrays the result
    holds, before any conversion is matched (so work on them can run meanwhile)."""
    touches, conversions = _data(4, contacts=60)
    if layout == "sorted":
        touches = touches.sort("contact_id", "ts")
    else:
        touches = touches.sample(fraction=1.0, shuffle=True, seed=2)
    convs = conform_conversions(conversions)
    events: list[str] = []
    seen: list[tuple[np.ndarray | None, np.ndarray, np.ndarray]] = []
    matched = journeys._conversion_rows

    def matching(*args: object, **kwargs: object) -> object:
        events.append("matched")
        return matched(*args, **kwargs)  # type: ignore[arg-type]

    def on_grouped(order: np.ndarray | None, runs: np.ndarray, starts: np.ndarray) -> None:
        events.append("grouped")
        seen.append((None if order is None else order.copy(), runs.copy(), starts.copy()))

    with mock.patch.object(journeys, "_conversion_rows", matching):
        grouped = group_touches(
            conform_touches(touches), convs, lookback_days=90, on_grouped=on_grouped
        )
    assert grouped is not None
    assert events == ["grouped", "matched"]
    order, runs, starts = seen[0]
    assert (order is None) == (layout == "sorted") == (grouped.order is None)
    if order is not None and grouped.order is not None:
        assert order.tolist() == grouped.order.tolist()
    assert runs.tolist() == grouped.runs.tolist()
    assert starts.tolist() == np.flatnonzero(grouped.runs).tolist()


def test_order1_start_counts_each_contact_as_one_journey():
    """The part counted before conversions are known: every contact one journey, a merged
    repeat counted as a step to itself (dropped later), each contact ending in NULL."""
    from socialroi.core.attribution.transitions import order1_start

    # Input rows: B z | A x, A y, A y (channels x=0, y=1, z=2), grouped as A's rows then B's.
    code = np.array([2, 0, 1, 1], dtype=np.uint8)
    order = np.array([1, 2, 3, 0])
    runs = np.array([True, False, False, True])
    start = order1_start(code, 3, order, runs)
    assert start is not None
    state, counts = start
    assert state.tolist() == [3, 4, 4, 5]  # dense states: NULL 0, CONV 1, START 2, channel c 3 + c
    n = 6
    expected = np.zeros(n * n, dtype=np.int64)
    for a, b in [(2, 3), (3, 4), (4, 4), (4, 0), (2, 5), (5, 0)]:
        expected[a * n + b] += 1
    assert counts.tolist() == expected.tolist()
    # Too many channels for a table of every pair: left to the journeys path.
    assert order1_start(code, 5000, order, runs) is None


@pytest.mark.parametrize("shuffle", [False, True])
def test_order1_chain_with_the_first_row_converting(shuffle):
    """The first grouped row opens a conversion's journey and the last one closes one: the
    chain counted from the arrays (with and without the early start) is markov's on the
    journeys frame."""
    from socialroi.core.attribution.transitions import markov_order1, touch_channel_codes

    day = [T0 + timedelta(days=d) for d in range(6)]
    touches = pl.DataFrame(
        {
            "contact_id": ["a", "a", "a", "b", "b", "c", "c"],
            "ts": [day[0], day[1], day[3], day[0], day[2], day[1], day[4]],
            "channel": ["x", "y", "y", "z", "x", "y", "z"],
        }
    )
    if shuffle:
        touches = touches.sample(fraction=1.0, shuffle=True, seed=5)
    conversions = pl.DataFrame(
        {
            "conversion_id": ["k1", "k2", "k3"],
            "contact_id": ["a", "c", "c"],
            "ts": [day[1], day[1], day[5]],
            "value": [10.0, 20.0, 40.0],
        }
    )
    conformed, convs = conform_touches(touches), conform_conversions(conversions)
    grouped = group_touches(conformed, convs, lookback_days=90)
    assert grouped is not None
    value = convs.get_column("value").to_numpy()
    channel = conformed.get_column("channel")
    plain = markov_order1(grouped, channel, value, touch_channel_codes(channel))
    fitted = fit(touches, conversions, "markov")
    assigned = assign_touches(touches, conversions, lookback_days=90, carry=("value",))
    general = markov(journeys_from_touches(assigned), order=1)
    for result in (plain, fitted):
        assert isinstance(result, MarkovResult)
        assert_frame_equal(result.transitions, general.transitions)
        assert_frame_equal(result.credits, general.credits, check_exact=False, rel_tol=1e-12)
        assert result.conversion_probability == general.conversion_probability
    # Journeys: a: [x, y] converts (k1), [y] does not; b: [z, x] does not; c: [y] converts
    # (k2), [z] converts (k3). So y converts 2 of 3 times, x goes on to y 1 of 2, z converts
    # 1 of 2 and goes on to x otherwise: P = 0.2 · 1/3 + 0.4 · 2/3 + 0.4 · 2/3 = 0.6.
    expected = [
        ("(start)", "x", 0.2),
        ("(start)", "y", 0.4),
        ("(start)", "z", 0.4),
        ("x", "(null)", 0.5),
        ("x", "y", 0.5),
        ("y", "(conversion)", 2 / 3),
        ("y", "(null)", 1 / 3),
        ("z", "(conversion)", 0.5),
        ("z", "x", 0.5),
    ]
    got = sorted(plain.transitions.rows())
    assert [row[:2] for row in got] == [row[:2] for row in expected]
    assert [row[2] for row in got] == pytest.approx([row[2] for row in expected], rel=1e-12)
    assert plain.conversion_probability == pytest.approx(0.6, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from(["a", "b", "c", "a-long-contact-id", "é"]), min_size=1),
    cuts=st.lists(st.integers(0, 40), max_size=6),
    ordered=st.booleans(),
)
def test_sorted_contacts_told_from_their_runs_in_any_chunks(values, cuts, ordered):
    # Sortedness is read from each run's first contact, chunk by chunk and across the seams
    # (a run may span a seam, a chunk may hold no run's start): the same as the whole column's.
    values = sorted(values) if ordered else values
    column = _chunked(list(values), cuts)
    starts = np.flatnonzero(journeys._run_starts(column))
    assert journeys._heads_ascend(column, starts) == (values == sorted(values))


def test_contacts_out_of_order_only_across_a_seam_are_not_sorted():
    column = _chunked(["b", "b", "c", "a", "a", "d"], [3])
    starts = np.flatnonzero(journeys._run_starts(column))
    assert not journeys._heads_ascend(column, starts)
    # A chunk holding no run's start (the run of "b" spans it) is passed over.
    column = _chunked(["a", "b", "b", "b", "b", "c"], [2, 4])
    starts = np.flatnonzero(journeys._run_starts(column))
    assert journeys._heads_ascend(column, starts)
    column = _chunked(["c", "b", "b", "b", "b", "a"], [2, 4])
    assert not journeys._heads_ascend(column, np.flatnonzero(journeys._run_starts(column)))


def test_rule_credits_all_follow_a_given_conversion_order():
    # Rows by time, so conversions interleave: the rows listed conversion by conversion (each
    # conversion's rows ascending, conversions in any order) group them as the sort would.
    touches, conversions = _data(5)
    assigned = assign_touches(touches, conversions, carry=_JOURNEY_COLUMNS)
    converting = assigned.filter(pl.col("conversion_id").is_not_null())
    ids = converting["conversion_id"].to_list()
    number = {c: i for i, c in enumerate(dict.fromkeys(reversed(ids)))}  # last met first
    key = np.array([number[c] for c in ids])
    listed = np.array(sorted(range(len(ids)), key=lambda i: (-number[ids[i]], i)))
    assert (np.diff(key) != 0).sum() > len(number)  # conversions interleave in row order
    by_sort = rule_credits_all(converting, RULE_MODELS, half_life_days=3.0, conversion_key=key)
    given_order = rule_credits_all(
        converting, RULE_MODELS, half_life_days=3.0, conversion_key=key, conversion_order=listed
    )
    for model in RULE_MODELS:
        assert_frame_equal(given_order[model], by_sort[model], check_exact=True)
    with pytest.raises(ValueError, match="conversion_order"):
        rule_credits_all(converting, RULE_MODELS, conversion_order=listed)
    with pytest.raises(ValueError, match="conversion_order"):
        rule_credits_all(converting, RULE_MODELS, conversion_key=key, conversion_order=listed[1:])


@pytest.mark.parametrize("scratch", [False, True])
def test_reordered_rows_credit_like_the_general_path(scratch):
    # Rows in random order, with touches of different contacts at the same time (input order
    # decides among them): the converting touches are gathered in time order straight from
    # the grouping, as assign_touches orders them. A touch column named like credit_models'
    # scratch column takes the filter-and-sort path instead; both give the general answer.
    touches, conversions = _data(4)
    touches = touches.with_columns(
        pl.col("ts").dt.truncate("1w"), pl.int_range(pl.len()).alias("ref")
    ).sample(fraction=1.0, shuffle=True, seed=4)
    if scratch:
        touches = touches.with_columns(pl.col("post").alias("__conversion_row"))
    assert grouped_in_time(conform_touches(touches)) is None
    models = [*RULE_MODELS, "markov", "shapley"]
    fast = credit_models(touches, conversions, models)
    convs = conform_conversions(conversions)
    assigned = assign_touches(touches, convs, carry=_JOURNEY_COLUMNS, keep_order=True)
    assert assigned.select(
        pl.col("ts").is_duplicated().any() & pl.col("ref").is_sorted().not_()
    ).item()
    for model in models:
        general = _with_unattributed(MODELS[model](assigned, ModelParams()), convs, touches.columns)
        exact = model in RULE_MODELS
        assert_frame_equal(fast[model], general, check_exact=exact, rel_tol=1e-12)


def test_contact_texts_compared_in_pieces_on_several_threads(monkeypatch):
    # Every contact with one hash (one bucket for all), the texts compared in pieces of 5 rows
    # shared by three threads: contacts are still told apart by their text alone.
    touches, conversions = _data(11, contacts=60)
    touches = touches.with_row_index("ref").sample(fraction=1.0, shuffle=True, seed=2)
    monkeypatch.setattr(
        journeys, "_contact_hashes", lambda contact: np.zeros(contact.len(), dtype=np.uint64)
    )
    monkeypatch.setattr(pl, "thread_pool_size", lambda: 3)
    pieces = partial(journeys._gathered_run_starts, piece=5)
    monkeypatch.setattr(journeys, "_gathered_run_starts", pieces)
    contact = touches.get_column("contact_id")
    order = np.argsort(contact.to_numpy(), kind="stable")
    expected = [True] + [contact[int(a)] != contact[int(b)] for a, b in pairwise(order)]
    assert pieces(contact, order).tolist() == expected
    _assert_grouped_like_assign_touches(touches, conversions, 90)


@settings(max_examples=80, deadline=None)
@given(data=_touch_data())
def test_grouping_exact_when_keys_are_packed_in_small_pieces(data):
    # The sort keys are packed a few rows at a time: every piece's hash bits, time steps and
    # row numbers land on its own rows.
    touches, conversions, lookback = data
    narrow = partial(journeys._hash_time_order, hash_bits=3, time_bits=3)
    with (
        mock.patch.object(journeys, "_PACK_PIECE", 4),
        mock.patch.object(journeys, "_hash_time_order", narrow),
    ):
        _assert_grouped_like_assign_touches(touches, conversions, lookback)
