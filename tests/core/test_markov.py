"""Markov attribution against chains solved by hand."""

import subprocess
import sys
from fractions import Fraction

import polars as pl
import pytest

from socialroi.core.attribution.markov import markov
from socialroi.errors import DataError


def journeys(paths: list[tuple[list[str], bool, float]]) -> pl.DataFrame:
    rows = [
        {"journey_id": j, "step": s, "channel": c, "converted": conv, "value": value}
        for j, (chs, conv, value) in enumerate(paths)
        for s, c in enumerate(chs)
    ]
    return pl.DataFrame(rows)


# A -> conv (value 10), A -> B -> conv (value 30), B -> null.
THREE = journeys([(["A"], True, 10.0), (["A", "B"], True, 30.0), (["B"], False, 0.0)])


def test_order_1_by_hand():
    # START->A 2/3, START->B 1/3; A->conv 1/2, A->B 1/2; B->conv 1/2, B->null 1/2.
    # P(B) = 1/2; P(A) = 1/2 + 1/2 * 1/2 = 3/4; P = 2/3 * 3/4 + 1/3 * 1/2 = 2/3.
    # Without A: 1/3 * 1/2 = 1/6 -> RE_A = 1 - (1/6)/(2/3) = 3/4.
    # Without B: 2/3 * 1/2 = 1/3 -> RE_B = 1/2. Shares 3/5 and 2/5 of 2 conversions, of value 40.
    r = markov(THREE, order=1)
    assert r.conversion_probability == pytest.approx(2 / 3, abs=1e-14)
    got = {row["channel"]: row for row in r.credits.iter_rows(named=True)}
    assert got["A"]["removal_effect"] == pytest.approx(0.75, abs=1e-14)
    assert got["B"]["removal_effect"] == pytest.approx(0.5, abs=1e-14)
    assert got["A"]["conversions"] == pytest.approx(1.2, abs=1e-12)
    assert got["B"]["conversions"] == pytest.approx(0.8, abs=1e-12)
    assert got["A"]["value"] == pytest.approx(24.0, abs=1e-12)
    assert got["B"]["value"] == pytest.approx(16.0, abs=1e-12)


def test_order_2_by_hand():
    # States A, A>B, B. START->A 2/3 (A->conv 1/2, A->A>B 1/2, A>B->conv 1), START->B 1/3 (B->null).
    # P = 2/3. Without A (drops A and A>B): 0 -> RE_A = 1. Without B (drops A>B and B):
    # 2/3 * 1/2 = 1/3 -> RE_B = 1/2. Shares 2/3 and 1/3 of 2 conversions.
    r = markov(THREE, order=2)
    got = dict(r.credits.select("channel", "conversions").iter_rows())
    assert got["A"] == pytest.approx(4 / 3, abs=1e-12)
    assert got["B"] == pytest.approx(2 / 3, abs=1e-12)


def test_consecutive_repeats_are_merged():
    repeated = journeys(
        [(["A", "A"], True, 10.0), (["A", "B", "B"], True, 30.0), (["B"], False, 0.0)]
    )
    assert markov(repeated, order=1).credits.equals(markov(THREE, order=1).credits)


@pytest.mark.parametrize("solve", ["iteration", "sparse LU"])
def test_loop_between_channels_is_solved_exactly(solve: str, monkeypatch: pytest.MonkeyPatch):
    if solve == "sparse LU":
        # No fixed-point sweeps allowed: every solve goes through the sparse LU of (I - Q) x = r
        # (its import is deferred to that branch).
        monkeypatch.setattr(sys.modules[markov.__module__], "_MAX_SWEEPS", 0)
    # A -> B -> A -> conv and B -> null: A->B 1/2 (of 2 exits), A->conv 1/2; B->A 1/2, B->null 1/2.
    # START->A 1/2, START->B 1/2. P(A) = 1/2 + 1/2 P(B); P(B) = 1/2 P(A) -> P(A) = 2/3, P(B) = 1/3.
    # P = 1/2 * 2/3 + 1/2 * 1/3 = 1/2.
    looped = journeys([(["A", "B", "A"], True, 1.0), (["B"], False, 0.0)])
    r = markov(looped, order=1)
    assert r.conversion_probability == pytest.approx(0.5, abs=1e-14)
    # Without A nothing converts: RE_A = 1. Without B: START->A 1/2, A->conv 1/2 -> 1/4,
    # RE_B = 1 - (1/4)/(1/2) = 1/2. So A gets 2/3 of the one conversion and B 1/3.
    got = {row["channel"]: row for row in r.credits.iter_rows(named=True)}
    assert got["A"]["removal_effect"] == pytest.approx(1.0, abs=1e-14)
    assert got["B"]["removal_effect"] == pytest.approx(0.5, abs=1e-14)
    assert got["A"]["conversions"] == pytest.approx(2 / 3, abs=1e-12)


def test_credits_sum_to_conversions_and_value():
    r = markov(THREE, order=3)
    assert r.credits["conversions"].sum() == pytest.approx(2.0)
    assert r.credits["value"].sum() == pytest.approx(40.0)


def test_order_out_of_range():
    with pytest.raises(DataError, match="order must be 1 to 4"):
        markov(THREE, order=5)


def test_three_channels_order_1_by_hand():
    # A>B>C converts, B converts, A>C does not.
    # START->A 2/3, START->B 1/3; A->B 1/2, A->C 1/2; B->C 1/2, B->conv 1/2; C->conv 1/2, null 1/2.
    # P(C) = 1/2, P(B) = 1/2 + 1/2 * 1/2 = 3/4, P(A) = 1/2 * 3/4 + 1/2 * 1/2 = 5/8,
    # P = 2/3 * 5/8 + 1/3 * 3/4 = 2/3.
    # Without A: 1/3 * 3/4 = 1/4 -> RE 5/8. Without B: P(A) = 1/4, P = 1/6 -> RE 3/4.
    # Without C: P(B) = 1/2, P(A) = 1/4, P = 1/3 -> RE 1/2. Sum 15/8: shares 1/3, 2/5, 4/15.
    paths = journeys([(["A", "B", "C"], True, 60.0), (["B"], True, 30.0), (["A", "C"], False, 0.0)])
    r = markov(paths, order=1)
    assert r.conversion_probability == pytest.approx(2 / 3, abs=1e-14)
    got = {row["channel"]: row for row in r.credits.iter_rows(named=True)}
    for ch, effect, share in [("A", 5 / 8, 1 / 3), ("B", 3 / 4, 2 / 5), ("C", 1 / 2, 4 / 15)]:
        assert got[ch]["removal_effect"] == pytest.approx(effect, abs=1e-14)
        assert got[ch]["conversions"] == pytest.approx(2 * share, abs=1e-12)
        assert got[ch]["value"] == pytest.approx(90 * share, abs=1e-12)


def test_transition_matrix_rows_are_probabilities():
    r = markov(THREE, order=1)
    t = {(a, b): p for a, b, p in r.transitions.iter_rows()}
    assert t[("(start)", "A")] == pytest.approx(2 / 3)
    assert t[("A", "(conversion)")] == pytest.approx(1 / 2)
    assert t[("B", "(null)")] == pytest.approx(1 / 2)
    sums = r.transitions.group_by("from_state").agg(pl.col("probability").sum())
    assert sums["probability"].to_list() == pytest.approx([1.0] * sums.height)


# Recorded from an exact rational solve (fractions.Fraction, Gaussian elimination) of these
# ten journeys; every removal effect and credit below is the exact rational.
RECORDED_PATHS = [
    ("ABCA", True),
    ("BD", False),
    ("CAB", True),
    ("DDA", True),
    ("ACD", False),
    ("BA", False),
    ("DCBA", True),
    ("C", False),
    ("ADB", False),
    ("BCB", True),
]
RECORDED = {
    1: {
        "A": (Fraction(76, 101), Fraction(11331600, 6204007)),
        "B": (Fraction(46, 71), Fraction(9756600, 6204007)),
        "C": (Fraction(11, 28), Fraction(5916075, 6204007)),
        "D": (Fraction(4, 15), Fraction(4015760, 6204007)),
    },
    2: {
        "A": (Fraction(17, 20), Fraction(17, 10)),
        "B": (Fraction(7, 10), Fraction(7, 5)),
        "C": (Fraction(3, 5), Fraction(6, 5)),
        "D": (Fraction(7, 20), Fraction(7, 10)),
    },
    3: {
        "A": (Fraction(4, 5), Fraction(10, 7)),
        "B": (Fraction(4, 5), Fraction(10, 7)),
        "C": (Fraction(4, 5), Fraction(10, 7)),
        "D": (Fraction(2, 5), Fraction(5, 7)),
    },
}


@pytest.mark.parametrize("order", [1, 2, 3])
def test_regression_against_exact_rationals(order):
    paths = journeys([(list(p), conv, 1.0 if conv else 0.0) for p, conv in RECORDED_PATHS])
    r = markov(paths, order=order)
    assert r.conversion_probability == pytest.approx(0.5, abs=1e-14)
    got = {row["channel"]: row for row in r.credits.iter_rows(named=True)}
    for ch, (effect, credit) in RECORDED[order].items():
        assert got[ch]["removal_effect"] == pytest.approx(float(effect), abs=1e-13)
        assert got[ch]["conversions"] == pytest.approx(float(credit), abs=1e-13)


def test_a_chain_solved_by_iteration_loads_no_sparse_lu() -> None:
    """scipy.sparse.linalg (with scipy.linalg and LAPACK under it) cost the report about 0.2 s of
    CPU to import; only the LU fallback needs it."""
    code = (
        "import sys\n"
        "import polars as pl\n"
        "from socialroi.core.attribution import markov\n"
        "paths = pl.DataFrame({'journey_id': [0, 0, 1], 'step': [0, 1, 0],\n"
        "    'channel': ['A', 'B', 'B'], 'converted': [True, True, False],\n"
        "    'value': [1.0, 1.0, 0.0]})\n"
        "p = markov(paths, order=1).conversion_probability\n"
        "print(p, [m for m in ('scipy.sparse.linalg', 'scipy.linalg') if m in sys.modules])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    probability, loaded = run.stdout.split(maxsplit=1)
    # START->A 1/2, START->B 1/2; A->B 1; B->conv 1/2, B->null 1/2: P = 1/2.
    assert float(probability) == pytest.approx(0.5, abs=1e-14)
    assert loaded.strip() == "[]"
