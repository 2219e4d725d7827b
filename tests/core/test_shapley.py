"""Shapley attribution against games solved by hand and a brute-force Shapley value."""

from itertools import combinations, permutations
from math import factorial

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi.core.attribution.shapley import shapley
from socialroi.errors import DataError


def journeys(paths: list[tuple[str, bool, float]]) -> pl.DataFrame:
    rows = [
        {"journey_id": j, "step": s, "channel": c, "converted": conv, "value": value}
        for j, (chs, conv, value) in enumerate(paths)
        for s, c in enumerate(chs)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "journey_id": pl.Int64,
            "step": pl.Int64,
            "channel": pl.String,
            "converted": pl.Boolean,
            "value": pl.Float64,
        },
    )


def credits(result) -> dict[str, tuple[float, float]]:
    return {
        r["channel"]: (r["conversions"], r["value"]) for r in result.credits.iter_rows(named=True)
    }


def test_two_channels_by_hand():
    # p(A) = 1/2 (A converts once in two), p(B) = 0, p(AB) = 1; v = the same (already monotone).
    # {A} converts: A gets it. {A,B} converts: phi_A = (v(A) + v(AB) - v(B)) / 2 = 3/4,
    # phi_B = (v(B) + v(AB) - v(A)) / 2 = 1/4, over v(AB) = 1. Values 10 and 20.
    r = shapley(
        journeys([("A", True, 10.0), ("A", False, 0.0), ("B", False, 0.0), ("AB", True, 20.0)])
    )
    got = credits(r)
    assert got["A"] == pytest.approx((1.75, 25.0), abs=1e-12)
    assert got["B"] == pytest.approx((0.25, 5.0), abs=1e-12)
    assert r.exact


#: The game solved by hand in test_three_channels_by_hand: (channels in order, converted, value).
THREE_CHANNELS = [
    ("A", True, 10.0),
    ("A", False, 0.0),
    ("B", False, 0.0),
    ("BA", True, 20.0),
    ("C", True, 30.0),
    ("ABC", True, 40.0),
    ("CAB", False, 0.0),
]


def test_three_channels_by_hand():
    # p(A) = 1/2, p(B) = 0, p(C) = 1, p(AB) = 1, p(ABC) = 1/2; monotone cover v: v(A) = 1/2,
    # v(B) = 0, v(C) = v(AB) = v(AC) = v(BC) = v(ABC) = 1.
    # {A,B,C} (value 40), over the 6 orders: A adds 1/2 (first, twice) + 1 (after B) -> 1/3;
    # B adds 1/2 (after A) -> 1/12; C adds 1 (first, twice) + 1/2 (after A) + 1 (after B) -> 7/12.
    # {A,B} (20): 3/4, 1/4. {A} (10) and {C} (30) keep their own conversion.
    paths = THREE_CHANNELS
    got = credits(shapley(journeys(paths)))
    assert got["A"] == pytest.approx((1 + 3 / 4 + 1 / 3, 10 + 15 + 40 / 3), abs=1e-12)
    assert got["B"] == pytest.approx((1 / 4 + 1 / 12, 5 + 40 / 12), abs=1e-12)
    assert got["C"] == pytest.approx((1 + 7 / 12, 30 + 40 * 7 / 12), abs=1e-12)


def brute_force(paths: list[tuple[str, bool, float]]) -> dict[str, float]:
    """The definition, term by term: monotone cover, Shapley per conversion set, share phi/v(S)."""
    n: dict[frozenset[str], int] = {}
    conv: dict[frozenset[str], int] = {}
    for chs, c, _ in paths:
        s = frozenset(chs)
        n[s] = n.get(s, 0) + 1
        conv[s] = conv.get(s, 0) + int(c)

    def v(t: frozenset[str]) -> float:
        subsets = [frozenset(u) for k in range(1, len(t) + 1) for u in combinations(t, k)]
        return max([conv[u] / n[u] for u in subsets if u in n], default=0.0)

    out: dict[str, float] = {}
    for chs, c, _ in paths:
        if not c:
            continue
        s = frozenset(chs)
        players = sorted(s)
        for j in players:
            phi = 0.0
            for order in permutations(players):
                before = frozenset(order[: order.index(j)])
                phi += v(before | {j}) - v(before)
            out[j] = out.get(j, 0.0) + phi / factorial(len(players)) / v(s)
    return out


paths_strategy = st.lists(
    st.tuples(
        st.text(alphabet="ABCDE", min_size=1, max_size=5),
        st.booleans(),
        st.floats(min_value=0, max_value=1000, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(paths_strategy)
def test_matches_the_definition_and_reconciles(paths):
    paths = [(p, c, v if c else 0.0) for p, c, v in paths]
    r = shapley(journeys(paths))
    got = credits(r)
    want = brute_force(paths)
    for ch, (conv, _) in got.items():
        assert conv == pytest.approx(want.get(ch, 0.0), abs=1e-9)
        assert conv >= 0
    n_conv = sum(c for _, c, _ in paths)
    value = sum(v for _, c, v in paths if c)
    assert sum(c for c, _ in got.values()) == pytest.approx(n_conv, abs=1e-9)
    assert sum(v for _, v in got.values()) == pytest.approx(value, rel=1e-9, abs=1e-9)
    # a channel in no converting journey is a null player
    converting = {ch for p, c, _ in paths if c for ch in p}
    assert all(conv == 0 for ch, (conv, _) in got.items() if ch not in converting)
    # per-set solving (the path for many channels) gives the same credits
    widest = max(len(set(p)) for p, _, _ in paths)
    if widest == len(got):
        return
    per_set = credits(shapley(journeys(paths), max_exact=widest))
    for ch, (conv, val) in got.items():
        assert per_set[ch] == pytest.approx((conv, val), abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(paths_strategy, st.permutations("ABCDE"))
def test_relabelling_permutes_and_duplicating_keeps_shares(paths, perm):
    got = credits(shapley(journeys(paths)))
    rename = dict(zip("ABCDE", perm, strict=True))
    relabelled = [("".join(rename[c] for c in p), conv, v) for p, conv, v in paths]
    moved = credits(shapley(journeys(relabelled)))
    doubled = credits(shapley(journeys(paths + paths)))
    for ch, (conv, val) in got.items():
        assert moved[rename[ch]] == pytest.approx((conv, val), abs=1e-9)
        assert doubled[ch] == pytest.approx((2 * conv, 2 * val), abs=1e-9)


def test_sampled_when_a_journey_is_too_broad():
    # {A,B,C} is solved from random orderings when at most 2 channels may be solved exactly;
    # exact answer (test_three_channels_by_hand) within a few standard errors.
    paths = THREE_CHANNELS
    r = shapley(journeys(paths), max_exact=2, samples=4000, seed=1)
    assert not r.exact
    assert r.samples == 4000
    rows = {row["channel"]: row for row in r.credits.iter_rows(named=True)}
    want = {"A": 1 + 3 / 4 + 1 / 3, "B": 1 / 4 + 1 / 12, "C": 1 + 7 / 12}
    for ch, w in want.items():
        se = rows[ch]["std_error"]
        assert 0 < se < 0.02
        assert abs(rows[ch]["conversions"] - w) < 5 * se
    assert sum(row["conversions"] for row in rows.values()) == pytest.approx(4.0)


def test_twenty_channels_exact():
    chans = [chr(ord("a") + i) for i in range(20)]
    paths = [(chans[i % 20] + chans[(i * 7 + 3) % 20], i % 3 != 0, float(i)) for i in range(60)]
    paths += [(c, False, 0.0) for c in chans]
    r = shapley(journeys(paths))
    assert r.exact
    assert r.credits["conversions"].sum() == pytest.approx(40.0)
    assert (r.credits["conversions"] >= 0).all()


def test_bad_arguments():
    with pytest.raises(DataError, match="max_exact"):
        shapley(journeys([("A", True, 1.0)]), max_exact=30)
    with pytest.raises(DataError, match="column"):
        shapley(pl.DataFrame({"channel": ["A"]}))
