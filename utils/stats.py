"""Comparing classifiers on the same reviews: accuracies with intervals, paired differences, McNemar's test.

Two models scored on the *same* validation (or test) reviews are not two
independent samples: most reviews are easy for both. What decides between
them is the reviews on which they disagree, ``b`` (only the first is right) and
``c`` (only the second is right). This module implements what the book uses:

* :func:`accuracy_interval`: an accuracy with its 95% Wilson score interval;
* :func:`paired_difference`: the difference of two accuracies on the same
  reviews with its 95% interval, from the per-review differences. Given
  several seeds per model (rows), each review's correctness is first averaged
  over the seeds, so the interval reflects the reviews; the seeds are for the
  decision rule (:func:`paired_decision`);
* :func:`unpaired_difference`: the difference of two accuracies on two
  *different* (independent) samples of reviews, e.g. validation against test;
* :func:`difference_of_differences`: whether one paired difference is larger
  than another measured on an independent sample of reviews;
* :func:`mcnemar`: McNemar's test with continuity correction
  (Dietterich 1998), and the exact binomial (sign) test on ``b`` and ``c``;
* :func:`describe_comparison`: a paired difference and McNemar's test put
  into words for the prose, the same way in every chapter.

Pure NumPy and the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["accuracy", "accuracy_interval", "McNemar", "mcnemar", "Difference", "paired_difference",
           "unpaired_difference", "difference_of_differences", "paired_decision", "describe_comparison"]

Z95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval


def _correct(x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype != bool:
        raise TypeError(f"expected boolean 'correct' flags (prediction == label), got dtype {arr.dtype}")
    return arr


def accuracy(probabilities, labels, threshold: float = 0.5) -> float:
    """Share of reviews where ``probabilities > threshold`` matches the 0/1 ``labels``."""
    p, y = np.asarray(probabilities, dtype=float).reshape(-1), np.asarray(labels).reshape(-1)
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f"need one probability per label, got {p.shape} and {y.shape}")
    return float(np.mean((p > threshold) == (y == 1)))


def accuracy_interval(correct, z: float = Z95) -> tuple[float, float, float]:
    """``(accuracy, low, high)``: the share of ``True`` in ``correct`` and its Wilson score interval (95%)."""
    correct = _correct(correct).reshape(-1)
    n = correct.size
    if n == 0:
        raise ValueError("no reviews")
    p = float(correct.mean())
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, centre - half, centre + half


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two classifiers on the same reviews.

    ``b``: reviews only the first gets right; ``c``: only the second.
    ``statistic`` = ``(|b - c| - 1)² / (b + c)`` (continuity-corrected, ~χ² with
    one degree of freedom if both are equally good), ``p_value`` its p-value,
    ``exact_p_value`` the two-sided binomial test of ``b`` out of ``b + c``.
    """

    b: int
    c: int
    statistic: float
    p_value: float
    exact_p_value: float

    def significant(self, level: float = 0.05) -> bool:
        """Whether the two differ at ``level`` (continuity-corrected test)."""
        return self.p_value < level


def _binomial_two_sided(k: int, n: int) -> float:
    """P(X <= min(k, n - k)) * 2 for X ~ Binomial(n, 1/2), capped at 1."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    log_terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)
                 for i in range(k + 1)]
    top = max(log_terms)
    return min(1.0, 2 * math.exp(top) * sum(math.exp(t - top) for t in log_terms))


def mcnemar(correct_a, correct_b) -> McNemar:
    """McNemar's test for two classifiers' ``correct`` flags on the same reviews (1-D boolean arrays)."""
    a, b_ = _correct(correct_a).reshape(-1), _correct(correct_b).reshape(-1)
    if a.shape != b_.shape:
        raise ValueError(f"both models must be scored on the same reviews: {a.shape} vs {b_.shape}")
    b, c = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    if b + c == 0:
        return McNemar(b, c, 0.0, 1.0, 1.0)
    statistic = max(abs(b - c) - 1, 0) ** 2 / (b + c)
    p_value = math.erfc(math.sqrt(statistic / 2))  # upper tail of chi-square with 1 dof
    return McNemar(b, c, float(statistic), float(p_value), _binomial_two_sided(b, b + c))


@dataclass(frozen=True)
class Difference:
    """A difference of accuracies (A minus B) with its standard error and 95% normal-approximation interval.

    ``low`` and ``high`` are ``difference ∓ z · standard_error`` for the ``z`` it was
    made with (:data:`Z95` by default).
    """

    difference: float
    standard_error: float
    low: float
    high: float

    @classmethod
    def from_standard_error(cls, difference: float, standard_error: float, z: float = Z95) -> Difference:
        difference, standard_error = float(difference), float(standard_error)
        return cls(difference, standard_error, difference - z * standard_error, difference + z * standard_error)

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of zero."""
        return self.low > 0 or self.high < 0


def paired_difference(correct_a, correct_b, z: float = Z95) -> Difference:
    """``acc(A) - acc(B)`` on the same reviews, with a normal-approximation interval from the per-review differences.

    Each argument is a boolean array of shape ``(reviews,)`` or ``(seeds, reviews)``;
    with seeds, each review's correctness is averaged over them first.
    """
    a = _correct(correct_a).reshape(-1, np.shape(correct_a)[-1]).mean(axis=0)
    b = _correct(correct_b).reshape(-1, np.shape(correct_b)[-1]).mean(axis=0)
    if a.shape != b.shape:
        raise ValueError(f"both models must be scored on the same reviews: {a.shape} vs {b.shape}")
    d = a - b
    if d.size < 2:
        raise ValueError("need at least two reviews")
    return Difference.from_standard_error(d.mean(), d.std(ddof=1) / math.sqrt(d.size), z)


def unpaired_difference(correct_a, correct_b, z: float = Z95) -> Difference:
    """``acc(A) - acc(B)`` for accuracies on two independent samples of reviews (1-D boolean arrays).

    The standard error is ``sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b)``, exact
    for samples that share no reviews. On the *same* reviews use the paired
    interval (:func:`paired_difference`), which is much narrower. Samples that
    share some reviews (two random validation splits of one training set) make
    this interval conservative, i.e. too wide, as long as a review that is hard
    for one model tends to be hard for the other (positively correlated
    correctness, the usual case): the covariance it leaves out would shrink the
    standard error. An accuracy of exactly 0 or 1 in both samples gives a zero
    standard error.
    """
    a, b = _correct(correct_a), _correct(correct_b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"expected one flag per review (1-D arrays), got shapes {a.shape} and {b.shape}; for "
                         "several seeds, average each review's correctness first or compare seed by seed")
    if a.size < 2 or b.size < 2:
        raise ValueError(f"need at least two reviews in each sample, got {a.size} and {b.size}")
    p_a, p_b = float(a.mean()), float(b.mean())
    return Difference.from_standard_error(p_a - p_b, math.sqrt(p_a * (1 - p_a) / a.size + p_b * (1 - p_b) / b.size), z)


def difference_of_differences(first: Difference, second: Difference, z: float = Z95) -> Difference:
    """``first - second`` for two differences measured on independent samples of reviews.

    E.g. how much more model A leads model B on one split than on another: the
    standard errors add in quadrature, which is exact if the two samples share
    no reviews and conservative (too wide) if shared reviews make the two
    differences agree, as in :func:`unpaired_difference`.
    """
    return Difference.from_standard_error(first.difference - second.difference,
                                          math.hypot(first.standard_error, second.standard_error), z)


def paired_decision(correct_variant, correct_reference, level: float = 0.05) -> bool:
    """Adopt the variant only if it beats the reference significantly at *every* seed.

    Both arguments have shape ``(seeds, reviews)``; row ``s`` of each was trained
    with the same seed ``s``. At each seed McNemar's test (continuity-corrected)
    must reject equality at ``level`` with the variant ahead (``b > c``): a win that
    one seed shows and another does not is seed noise, not a better design.
    """
    variant, reference = np.atleast_2d(_correct(correct_variant)), np.atleast_2d(_correct(correct_reference))
    if variant.shape != reference.shape:
        raise ValueError(f"need the same seeds and reviews for both: {variant.shape} vs {reference.shape}")
    return all((t := mcnemar(v, r)).b > t.c and t.significant(level) for v, r in zip(variant, reference))


def describe_comparison(difference: Difference, test: McNemar, a: str, b: str, level: float = 0.05) -> str:
    """One clause for the prose saying what a paired comparison of ``a`` and ``b`` shows.

    ``difference`` is ``acc(a) - acc(b)`` on the same reviews (:func:`paired_difference`)
    and ``test`` McNemar's test on them (:func:`mcnemar`). The wording follows the numbers:

    * McNemar significant at ``level``: "<winner> is ahead of <loser>, significantly (McNemar p = …)";
    * the interval excludes zero but McNemar does not reach ``level`` (they can disagree near the
      line): "<winner> is ahead of <loser> by a borderline margin (… ; McNemar p = …)";
    * otherwise: "<a> and <b> are not distinguishable (McNemar p = …)".

    The winner is whichever the difference favours; a tie that is still "significant" cannot occur
    (McNemar needs ``b != c``).
    """
    p_text = f"McNemar p = {test.p_value:.3g}"
    winner, loser = (a, b) if difference.difference > 0 else (b, a)
    if test.significant(level):
        return f"{winner} is ahead of {loser}, significantly ({p_text})"
    if difference.excludes_zero():
        return (f"{winner} is ahead of {loser} by a borderline margin (the 95% interval of the difference just "
                f"excludes zero, but McNemar's test with continuity correction does not reach the "
                f"{level:.0%} level; {p_text})")
    return f"{a} and {b} are not distinguishable ({p_text})"
