"""The data-driven models counted from arrays give what plain Python counts on the journeys.

Markov (any order) counts its transitions and Shapley its channel sets from integer arrays (each
touch's channel code, conversion and contact run), with no journey rows. These tests rebuild the
journeys by hand from assign_touches' rows (a contact's non-converting touches are one journey,
each conversion's touches another, in time order) and count in Python, on random touches with
ties in time, repeated channels, window edges and contacts with several conversions.
"""

import sys
from collections import Counter, defaultdict

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from socialroi.core.attribution import (
    _JOURNEY_COLUMNS,
    RULE_MODELS,
    MarkovResult,
    ShapleyResult,
    credit_models,
    fit,
    journeys_from_touches,
    markov,
    shapley,
)
from socialroi.core.attribution.datadriven import (
    journey_arrays,
    journeys_from_grouped,
    place_by_channel,
)
from socialroi.core.attribution.markov import (
    _encode,
    _ordered,
    _transition_counts,
    channel_codes,
    encode_arrays,
)
from socialroi.core.attribution.rules import rule_credits_all
from socialroi.core.attribution.shapley import (
    MAX_EXACT,
    _channel_sets,
    channel_sets_from_arrays,
)
from socialroi.core.attribution.transitions import touch_channel_codes
from socialroi.core.conversions import conform_conversions
from socialroi.core.journeys import assign_touches, conform_touches, group_touches
from tests.core.test_perf_paths import _data, _touch_data

Journey = tuple[tuple[str, ...], bool, float]


def _naive_journeys(
    touches: pl.DataFrame, conversions: pl.DataFrame, lookback: int
) -> list[Journey]:
    """Every journey as (channels in time order, converted, value), from assign_touches' rows
    (sorted by time, ties in input order) with plain Python."""
    assigned = assign_touches(touches, conversions, lookback_days=lookback, carry=("value",))
    paths: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    values: dict[str, float] = {}
    for contact, channel, cid, value in assigned.select(
        "contact_id", "channel", "conversion_id", "value"
    ).iter_rows():
        paths[(contact, cid)].append(channel)
        if cid is not None:
            values[cid] = value or 0.0
    return [
        (tuple(chs), cid is not None, values[cid] if cid is not None else 0.0)
        for (_, cid), chs in paths.items()
    ]


def _naive_transitions(journeys: list[Journey], order: int) -> Counter[tuple[str, str]]:
    """(from, to) label counts of the order-`order` chain: repeats merged, a state the last
    `order` channels joined by ' > '."""
    counts: Counter[tuple[str, str]] = Counter()
    for path, converted, _ in journeys:
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        prev = "(start)"
        for i in range(len(merged)):
            state = " > ".join(merged[max(0, i - order + 1) : i + 1])
            counts[(prev, state)] += 1
            prev = state
        counts[(prev, "(conversion)" if converted else "(null)")] += 1
    return counts


def _naive_sets(journeys: list[Journey]) -> dict[frozenset[str], list[float]]:
    """Per channel set: [journeys, conversions, value]."""
    sets: dict[frozenset[str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for path, converted, value in journeys:
        entry = sets[frozenset(path)]
        entry[0] += 1
        entry[1] += converted
        entry[2] += value if converted else 0.0
    return dict(sets)


def _grouped(touches: pl.DataFrame, conversions: pl.DataFrame, lookback: int):
    convs = conform_conversions(conversions)
    conformed = conform_touches(touches)
    grouped = group_touches(conformed, convs, lookback_days=lookback)
    value = convs.get_column("value").to_numpy()
    return grouped, conformed.get_column("channel"), value


@settings(max_examples=120, deadline=None)
@given(_touch_data())
def test_journey_arrays_are_the_journeys_frame(data):
    touches, conversions, lookback = data
    grouped, channel, value = _grouped(touches, conversions, lookback)
    if grouped is None:
        return
    channels, code = touch_channel_codes(channel)
    codes, new, converted, journey_value = journey_arrays(grouped, code, value)
    frame = journeys_from_grouped(grouped, channel, value)
    jid = frame.get_column("journey_id").to_numpy()
    starts = np.flatnonzero(np.diff(jid, prepend=0) != 0)
    assert [channels[c] for c in codes] == frame.get_column("channel").to_list()
    assert np.flatnonzero(new).tolist() == starts.tolist()
    assert converted.tolist() == frame.get_column("converted").to_numpy()[starts].tolist()
    assert journey_value.tolist() == frame.get_column("value").to_numpy()[starts].tolist()


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@settings(max_examples=60, deadline=None)
@given(data=_touch_data())
def test_markov_from_arrays_counts_like_python(order, data):
    touches, conversions, lookback = data
    result = fit(touches, conversions, "markov", lookback_days=lookback, order=order)
    assert isinstance(result, MarkovResult)
    journeys = _naive_journeys(touches, conversions, lookback)
    counts = _naive_transitions(journeys, order)
    out: Counter[str] = Counter()
    for (frm, _), n in counts.items():
        out[frm] += n
    expected = {(f, t): n / out[f] for (f, t), n in counts.items()}
    got = {(f, t): p for f, t, p in result.transitions.iter_rows()}
    assert got == expected
    # The same chain as markov on the journeys frame, to the last bit.
    assigned = assign_touches(touches, conversions, lookback_days=lookback, carry=("value",))
    general = markov(journeys_from_touches(assigned), order=order)
    assert_frame_equal(result.transitions, general.transitions, check_exact=True)
    assert_frame_equal(result.credits, general.credits, check_exact=True)
    assert result.conversion_probability == general.conversion_probability


@pytest.mark.parametrize("order", [2, 3, 4])
def test_successor_counts_match_dense_and_grouped_counts(order, monkeypatch):
    touches, conversions = _data(11, contacts=800)
    assigned = assign_touches(touches, conversions, carry=("value",))
    journeys = journeys_from_touches(assigned)
    channels, code = channel_codes(journeys.get_column("channel"))
    ordered = _ordered(journeys.with_columns(code))
    states = _encode(ordered, channels, order, unit=True)
    by_successor = _transition_counts(states, len(channels))
    by_pairs = _transition_counts(states)  # dense (from, to) table
    assert_frame_equal(by_successor, by_pairs, check_exact=True)
    # (the package's `markov` is the function; the module is taken from sys.modules)
    markov_module = sys.modules["socialroi.core.attribution.markov"]
    monkeypatch.setattr(markov_module, "_DENSE_CODES", 0)  # every table too large: group-by
    assert_frame_equal(_transition_counts(states), by_pairs, check_exact=True)
    assert_frame_equal(_transition_counts(states, len(channels)), by_pairs, check_exact=True)


def test_encoding_arrays_equals_encoding_the_frame():
    touches, conversions = _data(12, contacts=400)
    journeys = journeys_from_touches(assign_touches(touches, conversions, carry=("value",)))
    channels, code = channel_codes(journeys.get_column("channel"))
    ordered = _ordered(journeys.with_columns(code))
    jid = ordered.get_column("journey_id").to_numpy()
    new = np.diff(jid, prepend=-1) != 0
    converted = ordered.get_column("converted").to_numpy()[new]
    value = ordered.get_column("value").to_numpy()[new]
    for order in (1, 2, 3, 4):
        framed = _encode(ordered, channels, order, unit=True)
        arrays = encode_arrays(
            ordered.get_column("code").to_numpy(),
            new,
            converted,
            value,
            n_channels=len(channels),
            order=order,
        )
        assert arrays.state.tolist() == framed.state.tolist()
        assert arrays.first.tolist() == framed.first.tolist()


@settings(max_examples=120, deadline=None)
@given(_touch_data())
def test_shapley_sets_from_arrays_count_like_python(data):
    touches, conversions, lookback = data
    grouped, channel, value = _grouped(touches, conversions, lookback)
    if grouped is None:
        return
    channels, code = touch_channel_codes(channel)
    sets = channel_sets_from_arrays(*journey_arrays(grouped, code, value), len(channels))
    got = {
        frozenset(channels[b] for b in range(len(channels)) if mask >> b & 1): [n, conv, val]
        for mask, n, conv, val in sets.iter_rows()
    }
    assert got == _naive_sets(_naive_journeys(touches, conversions, lookback))
    assert sets.get_column("mask").is_sorted()
    # The same frame _channel_sets counts on the journeys frame.
    assert_frame_equal(
        sets, _channel_sets(journeys_from_grouped(grouped, channel, value))[1], check_exact=True
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 63).flatmap(
        lambda c: st.tuples(
            st.just(c),
            st.lists(st.tuples(st.integers(0, c - 1), st.booleans()), min_size=1, max_size=60),
            st.integers(0, 2**32 - 1),
        )
    )
)
def test_channel_sets_from_arrays_any_channel_count(case):
    # Up to 16, 32 and 63 channels the bits sit in 16-, 32- and 64-bit words; above MAX_EXACT
    # the sets are counted over the distinct ones rather than in a table of all of them.
    n_channels, rows, seed = case
    rng = np.random.default_rng(seed)
    code = np.array([c for c, _ in rows], dtype=np.int32)
    new = np.array([True] + [s for _, s in rows[1:]])
    starts = np.flatnonzero(new)
    converted = rng.random(len(starts)) < 0.5
    value = np.where(converted, rng.integers(1, 100, len(starts)).astype(float), 0.0)
    sets = channel_sets_from_arrays(code, new, converted, value, n_channels)
    journey = np.cumsum(new) - 1
    names = [f"ch{i:02d}" for i in range(n_channels)]
    frame = pl.DataFrame(
        {
            "journey_id": journey,
            "channel": [names[c] for c in code],
            "converted": converted[journey],
            "value": value[journey],
        }
    )
    used, expected = _channel_sets(frame)
    # _channel_sets numbers only the channels used: map its bits back onto all of them.
    remap = np.array([names.index(c) for c in used], dtype=np.int64)
    masks = [
        sum(1 << int(remap[b]) for b in range(len(used)) if m >> b & 1)
        for m in expected.get_column("mask")
    ]
    expected = expected.with_columns(pl.Series("mask", masks, dtype=pl.Int64)).sort("mask")
    assert_frame_equal(sets, expected, check_exact=True)
    assert (n_channels > MAX_EXACT) or sets.height <= 1 << n_channels


@settings(max_examples=60, deadline=None)
@given(_touch_data())
def test_shapley_from_arrays_is_shapley_on_journeys(data):
    touches, conversions, lookback = data
    result = fit(touches, conversions, "shapley", lookback_days=lookback)
    assert isinstance(result, ShapleyResult)
    assigned = assign_touches(touches, conversions, lookback_days=lookback, carry=("value",))
    general = shapley(journeys_from_touches(assigned))
    assert_frame_equal(result.credits, general.credits, check_exact=True)
    assert result.exact


@pytest.mark.parametrize("order", [2, 4])
def test_credit_models_markov_of_higher_order_from_arrays(order):
    touches, conversions = _data(13, contacts=500)
    fitted: dict[str, MarkovResult | ShapleyResult] = {}
    credits = credit_models(touches, conversions, ["markov"], order=order, fitted=fitted)
    assigned = assign_touches(touches, conversions, carry=("value",))
    general = markov(journeys_from_touches(assigned), order=order)
    chain = fitted["markov"]
    assert isinstance(chain, MarkovResult)
    assert_frame_equal(chain.transitions, general.transitions, check_exact=True)
    assert_frame_equal(chain.credits, general.credits, check_exact=True)
    per_conversion = credits["markov"].group_by("conversion_id").agg(pl.col("credit").sum())
    assert per_conversion.get_column("credit").to_numpy() == pytest.approx(1.0, abs=1e-12)
    assert per_conversion.height == conform_conversions(conversions).height


def test_rule_models_grouped_by_a_conversion_number_credit_alike():
    touches, conversions = _data(14, contacts=400)
    assigned = assign_touches(touches, conversions, carry=_JOURNEY_COLUMNS)
    converting = assigned.filter(pl.col("conversion_id").is_not_null())
    # Any numbering of the conversions will do, in any order of the numbers.
    ids = converting.get_column("conversion_id")
    number = {cid: i for i, cid in enumerate(reversed(ids.unique(maintain_order=True)))}
    key = np.array([number[c] for c in ids], dtype=np.int64)
    by_text = rule_credits_all(converting, RULE_MODELS, half_life_days=3.0)
    by_number = rule_credits_all(converting, RULE_MODELS, half_life_days=3.0, conversion_key=key)
    for model in RULE_MODELS:
        assert_frame_equal(by_number[model], by_text[model], check_exact=True)
    with pytest.raises(ValueError, match="one entry per converting row"):
        rule_credits_all(converting, RULE_MODELS, conversion_key=key[1:])


def test_place_by_channel_keeps_the_touch_columns_and_shares_by_weight():
    touches, conversions = _data(15, contacts=300)
    assigned = assign_touches(touches, conversions, carry=("value",))
    channels = sorted(set(touches.get_column("channel")))
    weight = {c: float(i) / 7.0 for i, c in enumerate(channels)}  # the first channel weighs 0
    weights = pl.DataFrame({"channel": list(weight), "weight": list(weight.values())})
    placed = place_by_channel(assigned, weights)
    converting = assigned.filter(pl.col("conversion_id").is_not_null())
    assert_frame_equal(placed.select(assigned.columns), converting, check_exact=True)
    rows = converting.select("conversion_id", "channel", "value").rows()
    per_pair = Counter((cid, ch) for cid, ch, _ in rows)
    share = [weight[ch] / per_pair[(cid, ch)] for cid, ch, _ in rows]
    total: dict[str, float] = defaultdict(float)
    for (cid, _, _), s in zip(rows, share, strict=True):
        total[cid] += s
    expected = [
        s / total[cid]
        if total[cid] > 0
        else 1.0 / per_pair[(cid, ch)] / len({c for k, c in per_pair if k == cid})
        for (cid, ch, _), s in zip(rows, share, strict=True)
    ]
    assert placed.get_column("credit").to_list() == pytest.approx(expected, rel=1e-14)
    values = [v for _, _, v in rows]
    assert placed.get_column("value_credit").to_list() == pytest.approx(
        [c * v for c, v in zip(expected, values, strict=True)], rel=1e-14
    )
