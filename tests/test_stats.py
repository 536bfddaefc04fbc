"""utils.stats: intervals, paired differences and McNemar's test against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from utils.stats import accuracy, accuracy_interval, mcnemar, paired_decision, paired_difference


def flags(pattern: str) -> np.ndarray:
    return np.array([ch == "1" for ch in pattern])


def test_accuracy_thresholds_probabilities():
    assert accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]) == 0.75
    with pytest.raises(ValueError):
        accuracy([0.5], [1, 0])


def test_wilson_interval_matches_the_formula_and_contains_the_estimate():
    correct = np.array([True] * 90 + [False] * 10)
    p, low, high = accuracy_interval(correct)
    z = 1.959963984540054
    centre = (0.9 + z**2 / 200) / (1 + z**2 / 100)
    half = z * math.sqrt(0.9 * 0.1 / 100 + z**2 / 40000) / (1 + z**2 / 100)
    assert p == 0.9 and low == pytest.approx(centre - half) and high == pytest.approx(centre + half)
    assert low < p < high
    assert accuracy_interval(np.ones(10, bool))[2] == pytest.approx(1.0)
    with pytest.raises(TypeError):
        accuracy_interval(np.array([1, 0]))  # flags, not labels


def test_mcnemar_counts_disagreements_and_applies_the_continuity_correction():
    a = flags("1111110000" * 10)
    b = flags("1100001100" * 10)
    t = mcnemar(a, b)
    assert (t.b, t.c) == (40, 20)
    assert t.statistic == pytest.approx((abs(40 - 20) - 1) ** 2 / 60)
    assert t.p_value == pytest.approx(math.erfc(math.sqrt(t.statistic / 2)))
    assert t.significant() and not mcnemar(b, a).b > mcnemar(b, a).c


def test_exact_binomial_p_value_small_case():
    # b = 1, c = 5: P(X <= 1) for Bin(6, 1/2) = 7/64, two-sided 14/64
    a = flags("100000" + "1111")
    b = flags("011111" + "1111")
    assert mcnemar(a, b).exact_p_value == pytest.approx(14 / 64)
    assert mcnemar(a, a).p_value == 1.0 and mcnemar(a, a).exact_p_value == 1.0


def test_paired_difference_interval():
    rng = np.random.default_rng(0)
    a, b = rng.random(2000) < 0.9, rng.random(2000) < 0.85
    d = paired_difference(a, b)
    diffs = a.astype(float) - b.astype(float)
    assert d.difference == pytest.approx(diffs.mean())
    assert d.high - d.difference == pytest.approx(1.959963984540054 * diffs.std(ddof=1) / math.sqrt(2000))
    assert d.excludes_zero() == (d.low > 0 or d.high < 0)


def test_paired_difference_averages_seeds_per_review():
    a = np.array([flags("1100"), flags("1010")])
    b = flags("0000")[None].repeat(2, axis=0)
    d = paired_difference(a, b)
    assert d.difference == pytest.approx(0.5) and d.n == 4
    with pytest.raises(ValueError, match="same reviews"):
        paired_difference(flags("101"), flags("10"))


def test_paired_decision_needs_a_significant_win_at_every_seed():
    ref = flags("1" * 500 + "0" * 500)
    better = flags("1" * 600 + "0" * 400)  # b = 100, c = 0 at this seed
    assert paired_decision(np.stack([better, better]), np.stack([ref, ref]))
    assert not paired_decision(np.stack([better, ref]), np.stack([ref, ref]))  # one seed shows nothing
    assert not paired_decision(np.stack([ref, ref]), np.stack([better, better]))  # the variant is worse
