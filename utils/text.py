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
