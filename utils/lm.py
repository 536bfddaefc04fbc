"""The LSTM as a language model (chapter 6): token streams, truncated BPTT, sampled softmax, fine-tuning.

A language model reads a text and, at every step, predicts the next token:

.. math:: p(v_{t+1} \\mid v_1, \\dots, v_t) = \\operatorname{softmax}(E\\,(W_p h_t + b_p) + b_o)_{v_{t+1}}

with the LSTM state ``h_t``, a projection ``W_p, b_p`` to the size of the word
vectors and the embedding matrix ``E`` used again as the output layer (tied
weights), plus an output bias ``b_o``. This module holds the pieces chapter 6
builds it from:

* :func:`make_lm_vectorizer` marks the start of every review with the token
  ``xxbos`` (inside the vectoriser, so a saved classifier does it too);
* :func:`token_stream` and :class:`BPTTBatches` turn reviews into one long
  stream of token ids, cut into ``batch_size`` parallel rows and then into
  chunks of ``seq_len`` steps whose state is carried from one chunk to the next
  (truncated backpropagation through time);
* :class:`LanguageModel` and :func:`train_language_model`: the network and its
  training loop with a *sampled* softmax (the full one over 20,000 words costs
  more than the LSTM on a CPU); :func:`perplexity` evaluates with the full softmax;
* :func:`generate` samples text at a temperature;
* :func:`build_lm_classifier` turns the pretrained embedding and LSTM into a
  sentiment classifier with "concat pooling" (Howard & Ruder 2018).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from utils._tf import keras, tf
from utils.config import book_seed
from utils.text import encode_texts, standardize

__all__ = ["BOS", "standardize_with_bos", "make_lm_vectorizer", "token_stream", "BPTTBatches", "LanguageModel",
           "train_language_model", "LMHistory", "perplexity", "unigram_perplexity", "softmax_step_seconds",
           "generate", "build_lm_classifier"]

BOS = "xxbos"
"""The token that starts every review (a word no review contains)."""


@keras.saving.register_keras_serializable(package="lstm_book", name="standardize_with_bos")
def standardize_with_bos(text):
    """The book's :func:`utils.text.standardize`, then ``"xxbos "`` in front: every review starts with ``xxbos``."""
    return tf.strings.join([BOS + " ", standardize(text)])


def make_lm_vectorizer(max_tokens: int = 20000, name: str | None = None) -> keras.layers.TextVectorization:
    """A ``TextVectorization`` layer (ids, no padding length) whose every review starts with the id of ``xxbos``."""
    return keras.layers.TextVectorization(max_tokens=max_tokens, standardize=standardize_with_bos,
                                          split="whitespace", output_mode="int", name=name)


def token_stream(texts, vectorizer, *, shuffle: bool = True, seed: int | None = None) -> np.ndarray:
    """All reviews as one int32 stream of token ids, each review starting with ``xxbos``.

    With ``shuffle`` the reviews are concatenated in a random order (``seed``;
    default ``$BOOK_SEED``), so that neighbouring reviews are unrelated.
    """
    texts = list(texts)
    if shuffle:
        order = np.random.default_rng(book_seed(seed)).permutation(len(texts))
        texts = [texts[i] for i in order]
    ids = encode_texts(texts, vectorizer)
    return np.concatenate(ids).astype(np.int32) if ids else np.zeros(0, np.int32)


class BPTTBatches:
    """A token stream cut for truncated backpropagation through time.

    The stream is split into ``batch_size`` contiguous rows of equal length
    (the tail that does not fit is dropped). Chunk ``k`` holds columns
    ``k*seq_len ... (k+1)*seq_len - 1`` of every row as inputs and the same
    columns shifted by one as targets, so row ``b`` of chunk ``k + 1``
    continues exactly where row ``b`` of chunk ``k`` stopped: the LSTM state at
    the end of one chunk is the right initial state for the next.
    """

    def __init__(self, stream, batch_size: int, seq_len: int):
        stream = np.asarray(stream, dtype=np.int32)
        if batch_size < 1 or seq_len < 1:
            raise ValueError("batch_size and seq_len must be at least 1")
        row = len(stream) // batch_size
        if row < seq_len + 1:
            raise ValueError(f"a stream of {len(stream)} tokens is too short for {batch_size} rows of "
                             f"at least {seq_len + 1} tokens")
        self.rows = stream[: row * batch_size].reshape(batch_size, row)
        self.batch_size, self.seq_len = batch_size, seq_len

    def __len__(self) -> int:
        return (self.rows.shape[1] - 1) // self.seq_len

    @property
    def tokens_per_chunk(self) -> int:
        return self.batch_size * self.seq_len

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= k < len(self):
            raise IndexError(k)
        start = k * self.seq_len
        return self.rows[:, start:start + self.seq_len], self.rows[:, start + 1:start + self.seq_len + 1]


@keras.saving.register_keras_serializable(package="lstm_book")
class LanguageModel(keras.Model):
    """Embedding → LSTM → projection; the output layer is the embedding matrix again (tied weights).

    ``call(ids, state)`` returns the projected outputs ``z`` of shape
    ``(batch, time, embed_dim)`` and the final ``[h, c]``; :meth:`logits`
    turns ``z`` into scores over the whole vocabulary.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 128, units: int = 256, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.embed_dim, self.units = vocab_size, embed_dim, units
        self.embedding = keras.layers.Embedding(vocab_size, embed_dim, name="embedding")
        self.lstm = keras.layers.LSTM(units, return_sequences=True, return_state=True, name="lstm")
        self.projection = keras.layers.Dense(embed_dim, name="projection")
        self.output_bias = self.add_weight(shape=(vocab_size,), initializer="zeros", name="output_bias")

    def initial_state(self, batch_size: int):
        return [tf.zeros((batch_size, self.units)), tf.zeros((batch_size, self.units))]

    def call(self, ids, state=None, training=False):
        if state is None:
            state = self.initial_state(tf.shape(ids)[0])
        outputs, h, c = self.lstm(self.embedding(ids), initial_state=state, training=training)
        return self.projection(outputs), [h, c]

    def logits(self, z):
        """Scores for every word of the vocabulary: ``z Eᵀ + b_o``."""
        return tf.matmul(z, self.embedding.embeddings, transpose_b=True) + self.output_bias

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "units": self.units}


@dataclass
class LMHistory:
    """What :func:`train_language_model` measured: the training loss per logged step, the validation
    perplexity at each checkpoint (tokens seen → perplexity), and the time."""

    steps: list = field(default_factory=list)
    tokens: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    val_tokens: list = field(default_factory=list)
    val_perplexity: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens[-1] / self.seconds if self.tokens and self.seconds else float("nan")


def _cosine_with_warmup(step: int, total: int, peak: float, warmup: int, floor: float = 0.1) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def train_language_model(
    model: LanguageModel,
    batches: BPTTBatches,
    *,
    steps: int,
    learning_rate: float = 3e-3,
    warmup: int = 200,
    num_sampled: int = 1024,
    clip_norm: float = 1.0,
    val_stream=None,
    eval_every: int | None = None,
    log_every: int = 100,
    seed: int | None = None,
    verbose: bool = True,
) -> LMHistory:
    """Train ``model`` for ``steps`` chunks of ``batches`` (wrapping around the stream), with a sampled softmax.

    At every step the loss is the mean, over the ``batch × seq_len`` positions,
    of a sampled-softmax cross-entropy: the correct next token is scored
    against ``num_sampled`` words drawn from a Zipfian proposal (frequent words
    more often; ``tf.nn.sampled_softmax_loss``), instead of against all the
    vocabulary. The LSTM state is carried from chunk to chunk (and reset at
    the start of each pass over the stream); gradients stop at chunk borders.
    Gradients are clipped to a global norm of ``clip_norm``. The learning rate
    rises linearly for ``warmup`` steps, then follows a cosine down to 10%.
    With ``val_stream`` and ``eval_every``, the full-softmax perplexity on it is
    measured every ``eval_every`` steps and at the end.
    """
    keras.utils.set_random_seed(book_seed(seed))
    optimizer = keras.optimizers.Adam(learning_rate)
    ids = tf.zeros((batches.batch_size, batches.seq_len), tf.int32)
    model(ids)  # build the weights
    weights = model.trainable_variables
    embed_dim, vocab = model.embed_dim, model.vocab_size
    spec = tf.TensorSpec((batches.batch_size, batches.seq_len), tf.int32)
    state_spec = [tf.TensorSpec((batches.batch_size, model.units), tf.float32)] * 2

    @tf.function(input_signature=[spec, spec, state_spec])
    def train_step(x, y, state):
        with tf.GradientTape() as tape:
            z, new_state = model(x, state, training=True)
            loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(
                weights=model.embedding.embeddings, biases=model.output_bias,
                labels=tf.reshape(tf.cast(y, tf.int64), (-1, 1)), inputs=tf.reshape(z, (-1, embed_dim)),
                num_sampled=num_sampled, num_classes=vocab))
        grads = tape.gradient(loss, weights)
        grads, _ = tf.clip_by_global_norm(grads, clip_norm)
        optimizer.apply_gradients(zip(grads, weights))
        return loss, new_state

    history = LMHistory()
    state = model.initial_state(batches.batch_size)
    start, recent = time.perf_counter(), []
    for step in range(steps):
        k = step % len(batches)
        if k == 0:
            state = model.initial_state(batches.batch_size)  # a new pass over the stream
        optimizer.learning_rate.assign(_cosine_with_warmup(step, steps, learning_rate, warmup))
        x, y = batches[k]
        loss, state = train_step(x, y, state)
        recent.append(float(loss))
        if (step + 1) % log_every == 0 or step + 1 == steps:
            history.steps.append(step + 1)
            history.tokens.append((step + 1) * batches.tokens_per_chunk)
            history.loss.append(float(np.mean(recent)))
            recent = []
        if val_stream is not None and eval_every and ((step + 1) % eval_every == 0 or step + 1 == steps):
            elapsed = time.perf_counter() - start
            history.val_tokens.append((step + 1) * batches.tokens_per_chunk)
            history.val_perplexity.append(perplexity(model, val_stream))
            start += time.perf_counter() - start - elapsed  # evaluation time is not training time
            if verbose:
                print(f"step {step + 1:,}/{steps:,} · {history.tokens[-1] / 1e6:.1f}M tokens · "
                      f"training loss (sampled) {history.loss[-1]:.3f} · "
                      f"validation perplexity {history.val_perplexity[-1]:.0f}", flush=True)
    history.seconds = time.perf_counter() - start
    return history


def perplexity(model: LanguageModel, stream, *, batch_size: int = 32, seq_len: int = 100) -> float:
    """``exp`` of the mean full-softmax cross-entropy of predicting each next token of ``stream``.

    The stream is read as ``batch_size`` rows (fewer if it is short) in chunks of ``seq_len`` steps, the state
    carried across chunks; the tokens that do not fill a whole chunk at the end are left out.
    """
    batch_size = max(1, min(batch_size, (len(stream) - 1) // (seq_len + 1)))
    batches = BPTTBatches(stream, batch_size, seq_len)
    spec = tf.TensorSpec((batch_size, seq_len), tf.int32)
    state_spec = [tf.TensorSpec((batch_size, model.units), tf.float32)] * 2

    @tf.function(input_signature=[spec, spec, state_spec])
    def loss_sum(x, y, state):
        z, new_state = model(x, state)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model.logits(z))
        return tf.reduce_sum(losses), new_state

    state, total = model.initial_state(batch_size), 0.0
    for k in range(len(batches)):
        loss, state = loss_sum(*batches[k], state)
        total += float(loss)
    return float(math.exp(total / (len(batches) * batches.tokens_per_chunk)))


def unigram_perplexity(train_stream, eval_stream, vocab_size: int) -> float:
    """Perplexity of the model that ignores context: each token's frequency in ``train_stream`` (add-one smoothed)."""
    counts = np.bincount(np.asarray(train_stream), minlength=vocab_size).astype(np.float64) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(np.exp(-np.mean(log_p[np.asarray(eval_stream)])))


def softmax_step_seconds(model: LanguageModel, x, y, *, num_sampled: int | None, repeats: int = 3) -> float:
    """Seconds for one training step (forward and backward, no update) on the chunk ``x, y``.

    ``num_sampled=None`` scores every word of the vocabulary (full softmax);
    otherwise the sampled softmax of :func:`train_language_model`. The best of
    ``repeats`` timed runs (after one untimed run that builds the graph).
    """
    x, y = tf.constant(x, tf.int32), tf.constant(y, tf.int32)
    state = model.initial_state(x.shape[0])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            z, _ = model(x, state, training=True)
            z = tf.reshape(z, (-1, model.embed_dim))
            labels = tf.reshape(y, (-1,))
            if num_sampled is None:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, model.logits(z)))
            else:
                loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(
                    model.embedding.embeddings, model.output_bias, tf.cast(labels[:, None], tf.int64), z,
                    num_sampled=num_sampled, num_classes=model.vocab_size))
        grads = tape.gradient(loss, model.trainable_variables)
        return [tf.convert_to_tensor(g) for g in grads if g is not None]

    step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        [g.numpy() for g in step()]
        best = min(best, time.perf_counter() - start)
    return best


def generate(model: LanguageModel, vectorizer, *, n_tokens: int = 60, temperature: float = 1.0,
             prompt: str = "", seed: int | None = None) -> str:
    """Sample a review: start from ``xxbos`` (and ``prompt``), then draw each next token from the softmax / T.

    ``temperature`` below 1 sharpens the distribution (safer, more repetitive
    text), above 1 flattens it. Padding and ``[UNK]`` are never drawn.
    """
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    vocabulary = vectorizer.get_vocabulary()
    rng = np.random.default_rng(book_seed(seed))
    ids = [int(i) for i in vectorizer(tf.constant([prompt])).numpy()[0] if i != 0]
    z, state = model(tf.constant([ids], tf.int32))
    out = []
    for _ in range(n_tokens):
        scores = model.logits(z[:, -1]).numpy()[0].astype(np.float64) / temperature
        scores[:2] = -np.inf  # padding and [UNK]
        p = np.exp(scores - scores.max())
        token = int(rng.choice(len(p), p=p / p.sum()))
        if vocabulary[token] == BOS:
            break  # the model ends the review
        out.append(token)
        z, state = model(tf.constant([[token]], tf.int32), state)
    words = [vocabulary[i] for i in ids[1:] + out]
    return " ".join(words)


def build_lm_classifier(vocab_size: int, *, embed_dim: int = 128, units: int = 256, language_model=None,
                        dropout: float = 0.3, seed: int | None = None, name: str = "lm_classifier") -> keras.Model:
    """Token ids → P(positive): embedding → LSTM → [max, mean, last] over time → dropout → sigmoid.

    The embedding and LSTM have the shapes of a :class:`LanguageModel`'s; with
    ``language_model`` their weights are copied from it (pretrained), otherwise
    they start from Keras' random initialisation (seeded with ``seed``, default
    ``$BOOK_SEED``, right before the layers are made). Id 0 is padding (masked);
    the pooling skips padded steps and "last" is the state after the last real
    token ("concat pooling", Howard & Ruder 2018).
    """
    from utils.models import MaskedGlobalMaxPooling1D

    keras.utils.set_random_seed(book_seed(seed))
    inputs = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")
    lstm = keras.layers.LSTM(units, return_sequences=True, return_state=True, name="lstm")
    outputs, h, _ = lstm(embedding(inputs))
    pooled = keras.layers.Concatenate(name="max_mean_last")([
        MaskedGlobalMaxPooling1D(name="max_over_time")(outputs),
        keras.layers.GlobalAveragePooling1D(name="mean_over_time")(outputs),
        h,
    ])
    pooled = keras.layers.Dropout(dropout, name="dropout")(pooled)
    prob = keras.layers.Dense(1, activation="sigmoid", name="readout")(pooled)
    model = keras.Model(inputs, prob, name=name)
    if language_model is not None:
        sizes = (language_model.vocab_size, language_model.embed_dim, language_model.units)
        if sizes != (vocab_size, embed_dim, units):
            raise ValueError("the language model's sizes differ from the classifier's")
        embedding.set_weights(language_model.embedding.get_weights())
        lstm.set_weights(language_model.lstm.get_weights())
    return model
