"""Order-blind baselines: logistic regression on a bag of words, in Keras.

Chapter 1 trains them and chapter 5 recomputes them, so that every sequence
model in the book is measured against the same yardstick. Three baselines:

* **majority class** (:func:`majority_class_accuracy`): always answer the label
  that is most frequent in the training part;
* **unigram multi-hot logistic regression**: ``TextVectorization(output_mode=
  "multi_hot")`` followed by ``Dense(1, activation="sigmoid")``;
* **TF-IDF bigram logistic regression**: ``TextVectorization(output_mode=
  "tf_idf", ngrams=2)`` (unigrams *and* bigrams) followed by the same ``Dense``.

By default the vectoriser's out-of-vocabulary slot (index 0, ``[UNK]``) is not
given to the ``Dense`` layer (``drop_oov=True``). In ``tf_idf`` mode that slot
holds the count of *all* n-grams outside the vocabulary times the mean IDF of the
vocabulary (Keras cannot know the IDF of n-grams it did not keep):
with bigrams, hundreds of rare n-grams per review, so one feature that is orders
of magnitude larger than the others and mostly measures review length. It makes
Adam's first steps overshoot and, on small training sets, stalls training.

A bag-of-words model keeps *which* words (or word pairs) occur and drops
*where*. A unigram model therefore gives exactly the same answer for every
reordering of a review's words; a bigram model sees the order of neighbouring
words but nothing beyond that window.

Typical use (the vectoriser is adapted on ``train_texts`` only)::

    from utils import evaluate_baseline, fit_baseline, load_imdb, train_validation_split
    part, val = train_validation_split(load_imdb("train"))
    result = fit_baseline(part.text, part.label, val.text, val.label, mode="tf_idf", ngrams=2)
    result.val_accuracy                                   # everything is chosen on validation
    test = load_imdb("test")
    evaluate_baseline(result.model, test.text, test.label)  # once, at the end

``result.model`` takes **raw review strings**: the project's standardisation
(:func:`utils.text.standardize`) runs inside it, so it can be saved and used on
new text as it is. For speed, :func:`fit_baseline` does not vectorise the
reviews again in every epoch: it vectorises them once, keeps the vectors in a
sparse in-memory cache, and trains the model's ``Dense`` layer on them. The
layer is shared with ``result.model``, so the end-to-end model is trained too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from utils._tf import keras, tf
from utils.config import book_seed
from utils.text import as_reviews, make_vectorizer

__all__ = ["BASELINES", "build_bow_baseline", "fit_baseline", "BaselineResult", "predict_baseline",
    "evaluate_baseline", "majority_class_accuracy", "feature_names"]

MODES = ("multi_hot", "count", "tf_idf")
"""Bag-of-words encodings a baseline can use (``TextVectorization`` output modes)."""

BASELINES = {
    "unigram multi-hot LR": {"mode": "multi_hot", "ngrams": 1, "max_tokens": 20000, "epochs": 30, "patience": 2},
    "TF-IDF bigram LR": {"mode": "tf_idf", "ngrams": 2, "max_tokens": 20000, "epochs": 30, "patience": 2},
}
"""The book's two logistic-regression baselines, as :func:`fit_baseline` options.

Chapter 1 trains them and chapter 5 retrains them with exactly these settings:
``fit_baseline(part.text, part.label, val.text, val.label, **BASELINES[name])``.
"""

VECTORIZER_NAME = "vectorizer"
DENSE_NAME = "logistic"


def _as_texts(texts, what: str) -> np.ndarray:
    """The reviews as a 1-D NumPy array of Python strings, or a clear error (:func:`utils.text.as_reviews`)."""
    return np.asarray(as_reviews(texts, what)[0], dtype=object)


def _string_tensor(texts: np.ndarray) -> tf.Tensor:
    """A ``tf.string`` tensor of the reviews.

    Not ``texts.astype(str)``: NumPy would store every review in a fixed-width
    unicode slot as long as the longest one (13,704 characters in IMDb), about
    1.4 GB for 25,000 reviews instead of 33 MB.
    """
    return tf.constant(texts.tolist(), dtype=tf.string)


def _as_labels(labels, n: int, what: str) -> np.ndarray:
    """A float32 array of 0/1 labels of length ``n``, or a clear error."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{what} must hold one label per review: expected {n}, got shape {arr.shape}.")
    if not np.isin(arr, (0, 1)).all():
        found = sorted(set(np.unique(arr).tolist()) - {0, 1})[:5]
        raise ValueError(f"{what} must be 0 (negative) or 1 (positive); found {found}. Drop unlabelled reviews first.")
    return arr.astype("float32")


def _check_options(mode: str, ngrams: int, max_tokens: int) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}.")
    if isinstance(ngrams, bool) or not isinstance(ngrams, (int, np.integer)) or ngrams < 1:
        raise ValueError(
            f"ngrams must be a positive integer (1 = single words, 2 = words and word pairs), not {ngrams!r}."
        )
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or max_tokens < 3:
        raise ValueError(
            f"max_tokens must be an integer of at least 3 (two slots are reserved), not {max_tokens!r}."
        )


def majority_class_accuracy(train_labels, eval_labels) -> float:
    """Accuracy on ``eval_labels`` of always predicting the most frequent label of ``train_labels``.

    Ties (IMDb is exactly balanced) go to the smaller label, 0 (negative), so
    the result is deterministic.
    """
    train = np.asarray(train_labels)
    evaluation = np.asarray(eval_labels)
    if train.size == 0 or evaluation.size == 0:
        raise ValueError("majority_class_accuracy needs at least one training label and one evaluation label.")
    values, counts = np.unique(train, return_counts=True)
    majority = values[np.argmax(counts)]  # argmax takes the first (smallest) label on a tie
    return float(np.mean(evaluation == majority))


def build_bow_baseline(
    train_texts,
    *,
    mode: str = "multi_hot",
    ngrams: int = 1,
    max_tokens: int = 20000,
    learning_rate: float = 1e-3,
    drop_oov: bool = True,
    name: str | None = None,
) -> keras.Model:
    """A compiled bag-of-words logistic regression that takes raw review strings.

    The model is ``string → TextVectorization → Dense(1, sigmoid)``:

    .. math:: p(\\text{positive} \\mid \\text{review}) = \\sigma(\\mathbf{w}^\\top \\mathbf{x} + b),

    where ``x`` is the review's bag of words, shape ``(max_tokens - 1,)`` (the
    vocabulary without its out-of-vocabulary slot; ``(max_tokens,)`` with
    ``drop_oov=False``), and ``w`` (same shape) and ``b`` (a scalar) are learned.
    If the training texts hold fewer distinct n-grams than ``max_tokens``, the
    vocabulary, and ``x``, are correspondingly smaller.

    Parameters
    ----------
    train_texts:
        Raw training reviews. The vectoriser's vocabulary (the out-of-vocabulary
        slot ``[UNK]`` and the ``max_tokens - 1`` most frequent n-grams) and,
        for ``"tf_idf"``, its document frequencies are computed from these texts
        only: never pass validation or test reviews here.
    mode:
        ``"multi_hot"`` (1 if the n-gram occurs), ``"count"`` (how often) or
        ``"tf_idf"`` (count times ``log(1 + N / (1 + df))``, Keras's inverse
        document frequency).
    ngrams:
        ``1`` for single words; ``2`` for single words *and* pairs of adjacent
        words (Keras ``ngrams=2`` produces both).
    max_tokens:
        Size of the vocabulary, ``[UNK]`` included.
    learning_rate:
        Adam's learning rate.
    drop_oov:
        Leave the out-of-vocabulary slot out of ``x`` (see the module notes).

    The layers are named ``"vectorizer"`` and ``"logistic"``
    (:data:`VECTORIZER_NAME`, :data:`DENSE_NAME`) so callers can look at the
    vectors (``model.get_layer("vectorizer")(texts)``, ``[UNK]`` slot included)
    or the weights (:func:`feature_names` labels the rows of the kernel).
    """
    _check_options(mode, ngrams, max_tokens)
    texts = _as_texts(train_texts, "train_texts")
    vectorizer = make_vectorizer(
        int(max_tokens), output_mode=mode, ngrams=None if ngrams == 1 else int(ngrams), name=VECTORIZER_NAME
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(_string_tensor(texts)).batch(1024))
    inputs = keras.Input(shape=(), dtype="string", name="review")
    x = vectorizer(inputs)
    if drop_oov:
        x = x[:, 1:]  # slot 0 is [UNK]
    outputs = keras.layers.Dense(1, activation="sigmoid", name=DENSE_NAME)(x)
    label = f"{ngrams}gram_{mode}"
    model = keras.Model(inputs, outputs, name=name or f"bow_{label}_logreg")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def feature_names(model: keras.Model) -> list[str]:
    """The n-gram behind each row of the ``Dense`` kernel of a model from :func:`build_bow_baseline`."""
    vocabulary = model.get_layer(VECTORIZER_NAME).get_vocabulary()
    width = model.get_layer(DENSE_NAME).input.shape[-1]
    return vocabulary[len(vocabulary) - width:]  # without [UNK] when it was dropped


def vectorize(model: keras.Model, texts, labels=None, *, batch_size: int = 256, seed: int | None = None):
    """Compute the ``Dense`` layer's inputs once, into a cached ``tf.data.Dataset`` of sparse batches.

    Each element is a batch of ``tf.SparseTensor`` rows, exactly what ``model``
    feeds its ``Dense`` layer (and the labels). With ``seed``, the reviews are put
    in a random order first, so that every batch mixes both classes (IMDb files
    are sorted by label); the order of the batches is then reshuffled each epoch.
    """
    texts = _as_texts(texts, "texts")
    features = keras.Model(model.inputs, model.get_layer(DENSE_NAME).input)
    items = [texts]
    if labels is not None:
        items.append(_as_labels(labels, len(texts), "labels"))
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(texts))
        items = [item[order] for item in items]
    items[0] = _string_tensor(items[0])
    ds = tf.data.Dataset.from_tensor_slices(tuple(items) if len(items) > 1 else items[0]).batch(batch_size)

    def encode(x, *y):
        x = tf.sparse.from_dense(tf.cast(features(x), "float32"))
        return (x, *y) if y else x

    ds = ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).cache()
    if seed is not None:
        n_batches = -(-len(texts) // batch_size)
        ds = ds.shuffle(n_batches, seed=seed, reshuffle_each_iteration=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _string_dataset(texts, labels=None, batch_size: int = 256) -> tf.data.Dataset:
    texts = _string_tensor(_as_texts(texts, "texts"))
    if labels is None:
        return tf.data.Dataset.from_tensor_slices(texts).batch(batch_size)
    labels = _as_labels(labels, len(texts), "labels")
    return tf.data.Dataset.from_tensor_slices((texts, labels)).batch(batch_size)


def predict_baseline(model: keras.Model, texts, *, batch_size: int = 256) -> np.ndarray:
    """Probabilities of "positive", shape ``(len(texts),)``, from a model that takes raw strings."""
    return model.predict(_string_dataset(texts, batch_size=batch_size), verbose=0).reshape(-1)


def evaluate_baseline(model: keras.Model, texts, labels, *, batch_size: int = 256) -> dict:
    """``{"loss": ..., "accuracy": ...}`` of a raw-string model on labelled reviews (e.g. the test split, once)."""
    values = model.evaluate(_string_dataset(texts, labels, batch_size), verbose=0, return_dict=True)
    return {k: float(v) for k, v in values.items()}


@dataclass
class BaselineResult:
    """What :func:`fit_baseline` returns.

    ``model`` takes raw strings; ``history`` is the Keras history dict of the
    ``Dense`` layer's training (with ``val_loss`` and ``val_accuracy``);
    ``best_epoch`` (from 1) is the epoch whose weights were kept;
    ``val_loss``/``val_accuracy`` are measured with those weights;
    ``seconds`` times the steps (``adapt``, ``vectorize``, ``fit``).
    """

    model: keras.Model
    history: dict
    best_epoch: int
    val_loss: float
    val_accuracy: float
    seconds: dict = field(default_factory=dict)


def fit_baseline(
    train_texts,
    train_labels,
    val_texts,
    val_labels,
    *,
    epochs: int = 20,
    patience: int = 2,
    batch_size: int = 256,
    seed: int | None = None,
    callbacks: list | None = None,
    **model_options,
) -> BaselineResult:
    """Build (:func:`build_bow_baseline`), train on ``train_*`` and choose the epoch on ``val_*``.

    ``model_options`` are :func:`build_bow_baseline`'s keyword arguments (``mode``,
    ``ngrams``, ``max_tokens``, ``learning_rate``, ``drop_oov``, ``name``); the
    vectoriser is adapted on ``train_texts`` only. Training stops when the
    validation loss has not improved for ``patience`` epochs (at most
    ``epochs``), and the weights of the epoch with the lowest validation loss are
    restored. The test split must not be passed here: score it afterwards,
    once, with ``evaluate_baseline(result.model, test_texts, test_labels)``.
    ``seed`` fixes the order of the training batches; ``callbacks`` (e.g.
    ``[utils.EpochLogger()]``) are added to Keras's ``fit``.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs and patience must be at least 1, got epochs={epochs}, patience={patience}.")
    train_texts = _as_texts(train_texts, "train_texts")
    val_texts = _as_texts(val_texts, "val_texts")
    train_y = _as_labels(train_labels, len(train_texts), "train_labels")
    val_y = _as_labels(val_labels, len(val_texts), "val_labels")
    if len(np.unique(train_y)) < 2:
        raise ValueError("train_labels hold a single class: a classifier needs positive and negative reviews.")

    seed = book_seed(seed)
    seconds = {}
    start = time.perf_counter()
    model = build_bow_baseline(train_texts, **model_options)
    seconds["adapt"] = time.perf_counter() - start

    start = time.perf_counter()
    train_ds = vectorize(model, train_texts, train_y, batch_size=batch_size, seed=seed)
    val_ds = vectorize(model, val_texts, val_y, batch_size=batch_size)
    for _ in train_ds:  # fill the caches now, so that "fit" times training alone
        pass
    for _ in val_ds:
        pass
    seconds["vectorize"] = time.perf_counter() - start

    # The Dense layer of `model`, trained on the cached vectors: same weights, no string work per epoch.
    width = model.get_layer(DENSE_NAME).input.shape[-1]
    vectors = keras.Input(shape=(width,), sparse=True, name="bag_of_words")
    head = keras.Model(vectors, model.get_layer(DENSE_NAME)(vectors), name=f"{model.name}_head")
    # Same optimizer object as `model`: its state (Adam's moments) then belongs to the shared Dense
    # weights, so `model` can be saved, loaded and trained further as if it had been fitted itself.
    head.compile(optimizer=model.optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    fit = head.fit(train_ds, validation_data=val_ds, epochs=epochs, shuffle=False,  # train_ds shuffles itself
                   verbose=0, callbacks=[stop, *(callbacks or [])])
    seconds["fit"] = time.perf_counter() - start

    history = {k: [float(v) for v in values] for k, values in fit.history.items()}
    val_loss, val_accuracy = head.evaluate(val_ds, verbose=0)
    return BaselineResult(
        model=model,
        history=history,
        best_epoch=int(stop.best_epoch) + 1,
        val_loss=float(val_loss),
        val_accuracy=float(val_accuracy),
        seconds=seconds,
    )
