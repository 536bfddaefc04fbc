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


def sequence_dataset(
    texts,
    labels=None,
    *,
    vectorizer: keras.layers.TextVectorization,
    max_length: int | None = None,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    bucket_boundaries: list[int] | None = None,
) -> tf.data.Dataset:
    """A cached, prefetched ``tf.data`` pipeline of integer sequences (and labels).

    Each review is vectorised once (then cached in memory), cut to its first
    ``max_length`` tokens, and batched with padding (id 0) only up to the
    longest review *in its batch*. With ``bucket_boundaries`` (e.g.
    ``[100, 200, 400]``), reviews of similar length are batched together, so
    very little computation is spent on padding: a large saving for RNNs on a
    CPU. ``shuffle`` reshuffles every epoch, deterministically from ``seed``.

    The dataset reports its true number of batches (``cardinality``), so Keras
    knows the epoch length even with bucketing.
    """
    import numpy as np

    texts = [str(t) for t in texts]
    items = tf.data.Dataset.from_tensor_slices(texts)
    if labels is not None:
        labels = np.asarray(labels, dtype="float32")
        if len(labels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        items = tf.data.Dataset.zip(items, tf.data.Dataset.from_tensor_slices(labels))

    def encode(text, *label):
        ids = vectorizer(text)
        if max_length is not None:
            ids = ids[:max_length]
        return (ids, *label) if label else ids

    ds = items.map(encode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).cache()
    if shuffle:
        ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    if bucket_boundaries:
        # Count the batches the buckets will produce (independent of order).
        lengths = np.array(
            [n for n in ds.map(lambda x, *y: tf.shape(x)[0]).as_numpy_iterator()], dtype=np.int64
        )
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


def padding_fraction(lengths, batch_size: int, bucket_boundaries: list[int] | None = None, seed: int = 0) -> float:
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
    order = np.random.default_rng(seed).permutation(lengths.size)
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
