"""utils.stats: intervals, paired differences and McNemar's test against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from utils.stats import (
    Difference,
    accuracy,
    accuracy_interval,
    describe_comparison,
    difference_of_differences,
    mcnemar,
    paired_decision,
    paired_difference,
    unpaired_difference,
)


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
    assert d.standard_error == pytest.approx(diffs.std(ddof=1) / math.sqrt(2000))
    assert d.high - d.difference == pytest.approx(1.959963984540054 * d.standard_error)
    assert d.difference - d.low == pytest.approx(d.high - d.difference)


def test_an_interval_excludes_zero_only_when_it_lies_on_one_side():
    assert Difference.from_standard_error(0.03, 0.01).excludes_zero()  # [+1.04, +4.96] points
    assert Difference.from_standard_error(-0.03, 0.01).excludes_zero()
    assert not Difference.from_standard_error(0.01, 0.01).excludes_zero()  # [-0.96, +2.96] points
    assert not Difference.from_standard_error(0.0, 0.0).excludes_zero()


def test_paired_difference_averages_seeds_per_review():
    a = np.array([flags("1100"), flags("1010")])
    b = flags("0000")[None].repeat(2, axis=0)
    d = paired_difference(a, b)
    assert d.difference == pytest.approx(0.5)
    # per-review means 1, 0.5, 0.5, 0 minus 0: standard deviation sqrt(1/6), over sqrt(4) reviews
    assert d.standard_error == pytest.approx(math.sqrt(1 / 6) / 2)
    with pytest.raises(ValueError, match="same reviews"):
        paired_difference(flags("101"), flags("10"))


def test_paired_decision_needs_a_significant_win_at_every_seed():
    ref = flags("1" * 500 + "0" * 500)
    better = flags("1" * 600 + "0" * 400)  # b = 100, c = 0 at this seed
    assert paired_decision(np.stack([better, better]), np.stack([ref, ref]))
    assert not paired_decision(np.stack([better, ref]), np.stack([ref, ref]))  # one seed shows nothing
    assert not paired_decision(np.stack([ref, ref]), np.stack([better, better]))  # the variant is worse


def test_unpaired_difference_adds_the_two_binomial_variances():
    a, b = flags("1" * 90 + "0" * 10), flags("1" * 160 + "0" * 40)  # 0.9 on 100 reviews, 0.8 on 200
    d = unpaired_difference(a, b)
    se = math.sqrt(0.9 * 0.1 / 100 + 0.8 * 0.2 / 200)
    assert d.difference == pytest.approx(0.1) and d.standard_error == pytest.approx(se)
    assert (d.low, d.high) == (pytest.approx(0.1 - 1.959963984540054 * se), pytest.approx(0.1 + 1.959963984540054 * se))
    assert d.excludes_zero()  # 0.1 ± 0.083
    # the paired interval on the same reviews is narrower when the models agree on most of them
    same = flags("1" * 80 + "0" * 20)
    assert paired_difference(a, same).standard_error < unpaired_difference(a, same).standard_error
    with pytest.raises(ValueError, match="two reviews"):
        unpaired_difference(flags("1"), b)
    with pytest.raises(ValueError, match="1-D"):  # seeds x reviews would pass for a larger sample
        unpaired_difference(np.stack([a, a]), b)


def test_difference_of_differences_adds_standard_errors_in_quadrature():
    first, second = Difference.from_standard_error(0.02, 0.003), Difference.from_standard_error(-0.01, 0.004)
    d = difference_of_differences(first, second)
    assert d.difference == pytest.approx(0.03) and d.standard_error == pytest.approx(0.005)
    assert d.low == pytest.approx(0.03 - 1.959963984540054 * 0.005) and d.excludes_zero()
    assert not difference_of_differences(first, Difference.from_standard_error(0.015, 0.004)).excludes_zero()


def test_overlapping_samples_make_the_unpaired_interval_conservative():
    # Reviews have a difficulty shared by both models; two validation samples of 1,000 drawn from 2,500
    # reviews share about 40% of them. Over many draws the spread of acc(A on sample 1) - acc(B on sample 2)
    # is smaller than the standard error the independent-samples formula gives, as the docstring says.
    rng = np.random.default_rng(0)
    easy = rng.random(2500)
    diffs, ses = [], []
    for _ in range(400):
        one, two = rng.choice(2500, 1000, replace=False), rng.choice(2500, 1000, replace=False)
        a = easy[one] + 0.15 * rng.random(1000) > 0.2
        b = easy[two] + 0.15 * rng.random(1000) > 0.25
        d = unpaired_difference(a, b)
        diffs.append(d.difference)
        ses.append(d.standard_error)
    assert np.std(diffs) < 0.9 * np.mean(ses)


def test_describe_comparison_words_follow_the_numbers():
    ahead = Difference.from_standard_error(0.02, 0.005)  # [+1.02, +2.98] points
    behind = Difference.from_standard_error(-0.02, 0.005)
    borderline = Difference.from_standard_error(0.0102, 0.005)  # [+0.04, +2.00] points
    unclear = Difference.from_standard_error(0.005, 0.005)
    significant = mcnemar(flags("1" * 60 + "0" * 40), flags("1" * 40 + "0" * 60))  # b = 20, c = 0
    not_significant = mcnemar(flags("11" + "0" * 8), flags("01" + "0" * 8))  # b = 1, c = 0
    assert significant.significant() and not not_significant.significant()
    assert describe_comparison(ahead, significant, "A", "B").startswith("A is ahead of B, significantly (McNemar p = ")
    assert describe_comparison(behind, significant, "A", "B").startswith("B is ahead of A, significantly")
    text = describe_comparison(borderline, not_significant, "A", "B")
    assert text.startswith("A is ahead of B by a borderline margin (") and text.endswith("5% level; McNemar p = 1)")
    assert ":" not in text  # one clause: it is glued after colons in the prose
    assert describe_comparison(unclear, not_significant, "A", "B") == (
        "A and B are not distinguishable (McNemar p = 1)")
    # the interval decides nothing when McNemar is significant, and McNemar's p-value is always quoted
    assert "significantly" in describe_comparison(unclear, significant, "A", "B")
    assert "10% level" in describe_comparison(borderline, not_significant, "A", "B", level=0.1)
