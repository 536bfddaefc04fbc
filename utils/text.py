"""From raw review strings to tokens: the book's one text standardisation.

IMDb reviews are raw HTML-ish text: line breaks are written as ``<br />``.
:func:`standardize` is used by every ``TextVectorization`` layer in the book,
and lives *inside* the saved models, so a model given a raw review string at
inference time cleans it exactly as it was cleaned in training:

1. lowercase;
2. ``<br />`` (and ``<br>``, ``<br/>``) become spaces;
3. every character other than ``a-z``, ``0-9`` and the apostrophe becomes a
   space, so ``"Great!!"`` gives ``great`` and ``"don't"`` stays one token.

It is registered with Keras (``lstm_book>standardize``) so that saved models
containing it can be loaded again after ``import utils.text``.
"""

from __future__ import annotations

from utils._tf import keras, tf
from utils.config import book_seed

__all__ = ["standardize", "make_vectorizer", "encode_texts", "sequence_dataset", "length_sorted_dataset",
           "padding_fraction", "as_reviews"]

def as_reviews(texts, what: str = "texts", *, single: bool = False) -> tuple[list[str], bool]:
    """Check that ``texts`` holds reviews; return them as a list of ``str`` and whether one string was given.

    ``texts`` is a list, tuple, 1-D NumPy array or pandas Series of strings, or,
    with ``single=True``, one string. Anything else gets a ``TypeError`` or
    ``ValueError`` that names ``what`` and says what to pass instead.
    """
    import numpy as np

    if isinstance(texts, str):
        if not single:
            raise TypeError(f"{what} must be a sequence of strings (one review each), not a single string: "
                            f"wrap it in a list, [review].")
        return [texts], True
    if isinstance(texts, np.ndarray) and texts.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional (one review per entry), got shape {texts.shape}.")
    if isinstance(texts, (list, tuple)):
        items = list(texts)
    elif isinstance(texts, np.ndarray) or type(texts).__name__ == "Series":
        items = texts.tolist()
    else:
        raise TypeError(f"{what} must be {'a string or ' if single else ''}a list of strings, not "
                        f"{type(texts).__name__}. Example: ['A wonderful film.', 'Two hours I will not get back.']")
    if not items:
        raise ValueError(f"{what} is empty: pass at least one review.")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{what} must contain only strings; {what}[{i}] is a {type(item).__name__}.")
    return [str(item) for item in items], False


BR_PATTERN = r"<br\s*/?>"
KEEP_PATTERN = r"[^a-z0-9']+"


@keras.saving.register_keras_serializable(package="lstm_book", name="standardize")
def standardize(text):
    """Lowercase, drop ``<br />`` markup and punctuation (apostrophes kept). Works on string tensors."""
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, BR_PATTERN, " ")
    text = tf.strings.regex_replace(text, KEEP_PATTERN, " ")
    return text


def make_vectorizer(
    max_tokens: int | None = 20000,
    *,
    output_mode: str = "int",
    ngrams: int | None = None,
    sequence_length: int | None = None,
    name: str | None = None,
) -> keras.layers.TextVectorization:
    """A ``TextVectorization`` layer that uses :func:`standardize` (call ``.adapt`` on training text).

    ``output_mode`` is ``"int"`` for sequences (index 0 is padding, 1 is the
    out-of-vocabulary token) or ``"multi_hot"`` / ``"count"`` / ``"tf_idf"`` for
    bags of words; ``ngrams=2`` adds bigrams.
    """
    return keras.layers.TextVectorization(
        max_tokens=max_tokens,
        standardize=standardize,
        split="whitespace",
        ngrams=ngrams,
        output_mode=output_mode,
        output_sequence_length=sequence_length,
        name=name,
    )


def _bucket_of(lengths, boundaries):
    import numpy as np

    return np.searchsorted(np.asarray(boundaries), np.asarray(lengths), side="right")


def encode_texts(texts, vectorizer, *, max_length: int | None = None, batch_size: int = 512) -> list:
    """Token ids of each text, without padding, cut to the first ``max_length`` (a list of 1-D int64 arrays).

    Texts are vectorised in batches (much faster than one at a time); the
    padding a batch adds is then removed again, which is exact because id 0 is
    only ever padding.
    """
    import numpy as np

    texts = [str(t) for t in texts]
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths per batch: little padding
    out: list = [None] * len(texts)
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        ids = vectorizer(tf.constant([texts[i] for i in idx])).numpy()
        for i, row in zip(idx, ids):
            row = row[: int((row != 0).sum())]
            out[i] = np.asarray(row if max_length is None else row[:max_length], dtype=np.int64)
    return out


def sequence_dataset(
    texts,
    labels=None,
    *,
    vectorizer: keras.layers.TextVectorization,
    max_length: int | None = None,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int | None = None,
    bucket_boundaries: list[int] | None = None,
) -> tf.data.Dataset:
    """An in-memory, prefetched ``tf.data`` pipeline of integer sequences (and labels).

    Every review is vectorised once, up front, cut to its first ``max_length``
    tokens, and batched with padding (id 0) only up to the longest review *in
    its batch*. With ``bucket_boundaries`` (e.g. ``[100, 200, 400]``), reviews of
    similar length are batched together, so very little computation is spent
    on padding: a large saving for RNNs on a CPU. ``shuffle`` reshuffles every
    epoch, deterministically from ``seed``.

    The dataset reports its true number of batches (``cardinality``), so Keras
    knows the epoch length even with bucketing.
    """
    sequences = encode_texts(texts, vectorizer, max_length=max_length)
    return _pipeline(sequences, labels, batch_size=batch_size, shuffle=shuffle, seed=seed,
                     bucket_boundaries=bucket_boundaries)


def length_sorted_dataset(texts, vectorizer, *, max_length: int | None = None, batch_size: int = 256):
    """``(dataset, order)``: the texts' token ids in batches of similar length, for fast prediction.

    Batch ``k`` holds the texts ``order[k * batch_size:(k + 1) * batch_size]``, shortest first, padded
    only to the longest of them. Undo the sorting with ``result[order] = predictions``.
    """
    import numpy as np

    sequences = encode_texts(texts, vectorizer, max_length=max_length)
    order = np.argsort([len(s) for s in sequences], kind="stable")
    return _pipeline([sequences[i] for i in order], None, batch_size=batch_size), order


def _pipeline(sequences, labels=None, *, batch_size, shuffle=False, seed=None, bucket_boundaries=None):
    import numpy as np

    n = len(sequences)
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if labels is not None:
        labels = np.asarray(labels, dtype="float32")
        if len(labels) != n:
            raise ValueError(f"{n} texts but {len(labels)} labels")
    # All ids in one flat tensor; element i is values[splits[i]:splits[i + 1]].
    values = tf.constant(np.concatenate(sequences) if n else np.zeros(0, np.int64))
    splits = tf.constant(np.concatenate([[0], np.cumsum(lengths)]))
    label_values = tf.constant(labels) if labels is not None else None

    def element(i):
        ids = values[splits[i] : splits[i + 1]]
        return ids if label_values is None else (ids, label_values[i])

    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=book_seed(seed), reshuffle_each_iteration=True)
    ds = ds.map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if bucket_boundaries:
        # The number of batches the buckets produce does not depend on the order: count it.
        buckets = _bucket_of(np.maximum(lengths, 1), bucket_boundaries)
        n_batches = int(sum(-(-np.sum(buckets == b) // batch_size) for b in np.unique(buckets)))
        ds = ds.bucket_by_sequence_length(
            lambda x, *y: tf.maximum(tf.shape(x)[0], 1),
            bucket_boundaries=list(bucket_boundaries),
            bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
        )
        ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    else:
        ds = ds.padded_batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def padding_fraction(lengths, batch_size: int, bucket_boundaries: list[int] | None = None,
                     seed: int | None = None) -> float:
    """Share of the time steps in an epoch that are padding, for a shuffled epoch of sequences.

    Without buckets, each batch of ``batch_size`` random sequences is padded to
    its longest one; with ``bucket_boundaries``, sequences are first grouped by
    length bucket (as :func:`sequence_dataset` does), so batches mix only
    similar lengths. The RNN computes every padded step too (then masks it), so
    this is roughly the share of the CPU time spent on nothing.
    """
    import numpy as np

    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0 or batch_size < 1:
        raise ValueError("need at least one sequence and batch_size >= 1")
    order = np.random.default_rng(book_seed(seed)).permutation(lengths.size)
    groups = [lengths[order]]
    if bucket_boundaries:
        buckets = _bucket_of(np.maximum(lengths[order], 1), bucket_boundaries)
        groups = [lengths[order][buckets == b] for b in np.unique(buckets)]
    padded = total = 0
    for group in groups:
        for start in range(0, group.size, batch_size):
            batch = group[start : start + batch_size]
            padded += int(batch.max()) * batch.size - int(batch.sum())
            total += int(batch.max()) * batch.size
    return padded / total if total else 0.0
