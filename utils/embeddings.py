"""Word vectors pre-trained on unlabelled reviews, by factorising a co-occurrence matrix.

IMDb ships 50,000 unlabelled reviews (Maas et al., 2011) precisely so that a
model can learn about words without labels. This module turns them into word
vectors in about a minute on a CPU, with no extra dependency:

1. count how often word ``w`` appears within ``window`` tokens of context word
   ``c`` (closer words count more: weight ``1/distance``);
2. turn counts into positive pointwise mutual information,
   ``PPMI(w, c) = max(0, log P(w, c) / (P(w) P_α(c)))`` with the context
   distribution smoothed by ``α = 0.75`` (Levy, Goldberg & Dagan, 2015);
3. keep the top ``dim`` singular directions (randomised SVD, Halko et al., 2011):
   the vectors are ``U_d · sqrt(S_d)``.

Words that occur in similar contexts ("great", "excellent") end up with similar
vectors. The result initialises an ``Embedding`` layer, row ``i`` for token id
``i`` of the vectoriser (rows 0, padding, and 1, out-of-vocabulary, are zero).

Pure NumPy except for tokenisation, which reuses the model's own
``TextVectorization`` so that ids match.
"""

from __future__ import annotations

import numpy as np

from utils.config import book_seed
from utils.text import encode_texts

__all__ = ["ppmi_svd_embeddings", "nearest_words"]


def cooccurrence_matrix(sequences, vocab_size: int, window: int = 5, context_size: int | None = None) -> np.ndarray:
    """Distance-weighted co-occurrence counts ``(vocab_size, context_size)``, float32.

    Entry ``[w, c]`` adds ``1/d`` each time context word ``c`` occurs ``d <= window``
    tokens before or after word ``w``. Contexts are the ``context_size`` most
    frequent ids (default: the whole vocabulary, giving a symmetric matrix);
    limiting them keeps the matrix small for a large vocabulary. Ids 0 (padding)
    and 1 (out-of-vocabulary) are ignored; pairs never cross from one text into
    the next.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    context_size = vocab_size if context_size is None else min(context_size, vocab_size)
    gap = np.zeros(window, dtype=np.int64)  # separates texts: a pair with a 0 is dropped
    counts = np.zeros(vocab_size * context_size, dtype=np.float32)
    for chunk in _chunks(sequences, _CHUNK_TOKENS):  # whole texts at a time: the temporaries stay small
        flat = np.concatenate([np.concatenate([np.asarray(s, dtype=np.int64), gap]) for s in chunk])
        if flat.size and flat.max() >= vocab_size:
            raise ValueError(f"token id {flat.max()} is outside the vocabulary of size {vocab_size}")
        for distance in range(1, window + 1):
            left, right = flat[:-distance], flat[distance:]
            known = (left > 1) & (right > 1)
            for word, context in ((left, right), (right, left)):  # both directions
                keep = known & (context < context_size)
                _add_counts(counts, word[keep] * context_size + context[keep], 1.0 / distance)
    return counts.reshape(vocab_size, context_size)


_CHUNK_TOKENS = 1 << 21  # tokens counted per pass: temporaries of a few tens of MB, however long the corpus


def _chunks(sequences, tokens: int):
    """Consecutive groups of ``sequences`` holding about ``tokens`` ids each (a long text forms its own group)."""
    chunk, size = [], 0
    for s in sequences:
        chunk.append(s)
        size += len(s)
        if size >= tokens:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _add_counts(counts: np.ndarray, cells: np.ndarray, weight: float) -> None:
    """``counts[c] += weight`` for every flat index ``c`` in ``cells`` (repeats add up), in place.

    ``np.bincount`` over the whole matrix would build an int64 temporary twice
    its size; counting the distinct cells first needs memory only in proportion
    to ``cells``.
    """
    cells, repeats = np.unique(cells, return_counts=True)
    counts[cells] += repeats.astype(np.float32) * np.float32(weight)


def ppmi(counts: np.ndarray, alpha: float = 0.75, *, overwrite: bool = False) -> np.ndarray:
    """Positive pointwise mutual information of a co-occurrence matrix (rows: words, columns: contexts).

    ``overwrite=True`` computes it in the memory of ``counts`` (float32), which
    is then lost; otherwise a float32 copy is made. No other temporary of the
    matrix's size is created.
    """
    counts = np.array(counts, dtype=np.float32, copy=not overwrite)
    total = float(counts.sum(dtype=np.float64))
    if total <= 0:
        raise ValueError("the co-occurrence matrix is empty: no two known words ever appear together")
    word = counts.sum(axis=1, keepdims=True, dtype=np.float64)
    context = counts.sum(axis=0, keepdims=True, dtype=np.float64) ** alpha
    normaliser = context.sum()
    # A word or context that never occurs has only zero cells: log 0 = -inf there, clipped to 0 below. Using
    # 1 for its (zero) total keeps NaN and +inf out without a pass over the whole matrix.
    word[word == 0] = 1.0
    context[context == 0] = 1.0
    with np.errstate(divide="ignore"):
        # log P(w,c) - log P(w) - log P_alpha(c); the total count cancels between the first two terms
        pmi = np.log(counts, out=counts)  # log 0 = -inf: those cells end up at 0 below
    pmi -= np.log(word).astype(np.float32)
    pmi -= (np.log(context) - np.log(normaliser)).astype(np.float32)
    return np.maximum(pmi, 0.0, out=pmi)


def randomized_svd(matrix: np.ndarray, rank: int, *, oversample: int = 20, n_iter: int = 2,
                   seed: int | None = None):
    """Top-``rank`` singular triplets ``(U, S, Vt)`` of ``matrix`` by randomised range finding."""
    rng = np.random.default_rng(book_seed(seed))
    k = min(rank + oversample, min(matrix.shape))
    q, _ = np.linalg.qr(matrix @ rng.standard_normal((matrix.shape[1], k)).astype(matrix.dtype))
    for _ in range(n_iter):  # power iterations sharpen the spectrum
        q, _ = np.linalg.qr(matrix.T @ q)
        q, _ = np.linalg.qr(matrix @ q)
    u_small, s, vt = np.linalg.svd(q.T @ matrix, full_matrices=False)
    return (q @ u_small)[:, :rank], s[:rank], vt[:rank]


def ppmi_svd_embeddings(
    texts,
    vectorizer,
    dim: int = 128,
    *,
    window: int = 5,
    context_size: int | None = 10000,
    alpha: float = 0.75,
    scale: float = 0.05,
    seed: int | None = None,
) -> np.ndarray:
    """Word vectors ``(vocab_size, dim)`` for ``vectorizer``'s vocabulary, learnt from ``texts`` without labels.

    The vectors are rescaled so their entries have standard deviation
    ``scale`` (similar to Keras' default embedding initialisation), which keeps
    the first updates of a network that fine-tunes them well-behaved. Contexts
    are limited to the ``context_size`` most frequent words (memory grows as
    ``vocab_size * context_size``).
    """
    vocab_size = vectorizer.vocabulary_size()
    if dim >= vocab_size - 2:
        raise ValueError(f"dim={dim} must be smaller than the vocabulary ({vocab_size} ids)")
    counts = cooccurrence_matrix(encode_texts(texts, vectorizer), vocab_size, window, context_size)
    u, s, _ = randomized_svd(ppmi(counts, alpha, overwrite=True), dim, seed=seed)
    vectors = u * np.sqrt(s)
    vectors[:2] = 0.0  # padding and out-of-vocabulary carry no meaning
    std = vectors[2:].std()
    return (vectors * (scale / std if std > 0 else 1.0)).astype(np.float32)


def nearest_words(vectors: np.ndarray, vocabulary: list[str], word: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the highest cosine similarity with ``word``'s."""
    index = {w: i for i, w in enumerate(vocabulary)}
    if word not in index:
        raise KeyError(f"{word!r} is not in the vocabulary")
    norms = np.linalg.norm(vectors, axis=1) + 1e-12
    sims = vectors @ vectors[index[word]] / (norms * norms[index[word]])
    sims[index[word]] = -np.inf
    sims[:2] = -np.inf
    best = np.argsort(-sims)[:k]
    return [(vocabulary[i], float(sims[i])) for i in best]
