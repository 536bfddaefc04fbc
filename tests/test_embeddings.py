"""utils.embeddings: co-occurrence counting, PPMI, randomised SVD, and the word vectors they give."""

from __future__ import annotations

import numpy as np
import pytest

from utils import make_vectorizer
from utils.embeddings import cooccurrence_matrix, nearest_words, ppmi, ppmi_svd_embeddings, randomized_svd


def test_cooccurrence_counts_by_distance_and_never_across_texts():
    counts = cooccurrence_matrix([[2, 3, 4], [5, 2]], vocab_size=6, window=2)
    assert counts[2, 3] == counts[3, 2] == 1.0  # adjacent
    assert counts[2, 4] == 0.5  # distance 2 counts one half
    assert counts[4, 5] == 0.0 and counts[5, 4] == 0.0  # 4 ends text one, 5 starts text two
    assert counts[5, 2] == 1.0
    np.testing.assert_array_equal(counts, counts.T)


def test_cooccurrence_counted_in_chunks_equals_a_direct_count(monkeypatch):
    """Counting a few texts at a time (to bound memory) gives the counts of a plain double loop."""
    import utils.embeddings as emb

    rng = np.random.default_rng(0)
    texts = [rng.integers(0, 12, size=rng.integers(1, 30)) for _ in range(40)]
    expected = np.zeros((12, 12))
    for t in texts:
        for i, w in enumerate(t):
            for j in range(max(0, i - 3), min(len(t), i + 4)):
                if j != i and w > 1 and t[j] > 1:
                    expected[w, t[j]] += 1 / abs(i - j)
    monkeypatch.setattr(emb, "_CHUNK_TOKENS", 50)  # many chunks
    np.testing.assert_allclose(cooccurrence_matrix(texts, vocab_size=12, window=3), expected, rtol=1e-6)


def test_cooccurrence_with_fewer_contexts_keeps_the_first_columns():
    full = cooccurrence_matrix([[2, 3, 4, 5, 2, 4]], vocab_size=6, window=3)
    small = cooccurrence_matrix([[2, 3, 4, 5, 2, 4]], vocab_size=6, window=3, context_size=4)
    assert small.shape == (6, 4)
    np.testing.assert_array_equal(small, full[:, :4])


def test_cooccurrence_ignores_padding_and_unknown_and_checks_ids():
    counts = cooccurrence_matrix([[2, 1, 3, 0, 2]], vocab_size=4, window=1)
    assert counts.sum() == 0.0
    with pytest.raises(ValueError, match="outside the vocabulary"):
        cooccurrence_matrix([[2, 9]], vocab_size=4)
    with pytest.raises(ValueError, match="window"):
        cooccurrence_matrix([[2, 3]], vocab_size=4, window=0)


def test_ppmi_matches_the_definition():
    counts = np.array([[0, 4, 0], [4, 0, 2], [0, 2, 0]], dtype=np.float32)
    out = ppmi(counts, alpha=1.0)
    total = counts.sum()
    expected = np.log(counts[0, 1] * total / (counts[0].sum() * counts[:, 1].sum()))
    assert out[0, 1] == pytest.approx(max(expected, 0.0), rel=1e-5)
    assert (out >= 0).all() and out[0, 0] == 0.0
    with pytest.raises(ValueError, match="empty"):
        ppmi(np.zeros((3, 3)))


def test_ppmi_of_every_cell_with_a_word_and_a_context_that_never_occur():
    counts = np.array([[3, 1, 0, 2], [0, 0, 0, 0], [1, 5, 0, 1]], dtype=np.float32)  # row 1, column 2 empty
    alpha = 0.75
    p_wc = counts / counts.sum()
    p_w = counts.sum(1, keepdims=True) / counts.sum()
    p_c = counts.sum(0, keepdims=True) ** alpha / (counts.sum(0) ** alpha).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.nan_to_num(np.maximum(np.log(p_wc / (p_w * p_c)), 0), nan=0.0, posinf=0.0)
    out = ppmi(counts, alpha)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_randomized_svd_recovers_a_low_rank_matrix():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((60, 4)) @ rng.standard_normal((4, 50))).astype(np.float64)
    u, s, vt = randomized_svd(a, 4)
    np.testing.assert_allclose(u @ np.diag(s) @ vt, a, atol=1e-8)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False)[:4], rtol=1e-8)


def test_words_in_the_same_contexts_get_similar_vectors():
    rng = np.random.default_rng(0)
    good, bad = ["great", "superb", "wonderful"], ["awful", "dreadful", "terrible"]
    texts = []
    for _ in range(300):
        texts.append(f"a {rng.choice(good)} movie with {rng.choice(good)} acting loved it")
        texts.append(f"an {rng.choice(bad)} film with {rng.choice(bad)} plot hated it")
    vec = make_vectorizer(None)
    vec.adapt(texts)
    vectors = ppmi_svd_embeddings(texts, vec, dim=4, window=3)
    vocab = vec.get_vocabulary()
    assert vectors.shape == (len(vocab), 4) and np.all(vectors[:2] == 0)
    assert vectors[2:].std() == pytest.approx(0.05, rel=1e-3)
    neighbours = [w for w, _ in nearest_words(vectors, vocab, "great", k=2)]
    assert set(neighbours) <= set(good), neighbours
    with pytest.raises(KeyError):
        nearest_words(vectors, vocab, "zzz")
    with pytest.raises(ValueError, match="smaller than the vocabulary"):
        ppmi_svd_embeddings(texts, vec, dim=len(vocab))


def test_ppmi_copies_unless_told_to_overwrite():
    counts = np.array([[1, 4, 0], [4, 0, 2], [0, 2, 3]], dtype=np.float32)
    kept = counts.copy()
    out = ppmi(counts)
    np.testing.assert_array_equal(counts, kept)
    in_place = ppmi(counts, overwrite=True)
    assert in_place is counts or np.shares_memory(in_place, counts)
    np.testing.assert_allclose(in_place, out)
