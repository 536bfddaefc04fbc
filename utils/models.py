"""Keras model builders shared by the chapters.

Chapters 2 to 4 use :func:`build_recurrent_classifier` (the smallest honest
sequence classifier: embedding, one recurrent layer, a sigmoid read-out).
Chapter 5 adds the final IMDb model below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from utils._tf import keras
from utils.config import book_seed

__all__ = ["build_recurrent_classifier", "LSTMConfig", "build_lstm_classifier", "compile_classifier", "fit_classifier",
           "FitResult", "train_classifier", "TrainResult", "predict_probabilities", "export_text_model",
           "average_text_models", "BUCKET_BOUNDARIES"]

RECURRENT_LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def _check_cell(cell: str) -> None:
    if cell not in RECURRENT_LAYERS:
        raise ValueError(f"cell must be one of {sorted(RECURRENT_LAYERS)}, not {cell!r}")


def _recurrent_layer(cell: str, units: int, **cell_kwargs) -> keras.layers.Layer:
    """``SimpleRNN``, ``LSTM`` or ``GRU`` (``cell`` = ``"simple_rnn"``, ``"lstm"``, ``"gru"``), named ``cell``."""
    _check_cell(cell)
    return RECURRENT_LAYERS[cell](units, name=cell, **cell_kwargs)


def _sigmoid_readout(x):
    """The probability that the sequence is positive: ``σ(w·x + b)``, a ``Dense`` layer named ``readout``."""
    return keras.layers.Dense(1, activation="sigmoid", name="readout")(x)


def build_recurrent_classifier(
    vocab_size: int,
    *,
    cell: str = "simple_rnn",
    units: int = 32,
    embed_dim: int = 32,
    name: str | None = None,
    **cell_kwargs,
) -> keras.Model:
    """Token ids ``(batch, time)`` → ``Embedding`` (0 = padding, masked) → one recurrent layer → ``σ(w·h_T + b)``.

    ``cell`` is ``"simple_rnn"``, ``"lstm"`` or ``"gru"``; ``cell_kwargs`` go to
    the recurrent layer (e.g. ``unit_forget_bias=False``). The model is
    compiled with Adam (learning rate 1e-3) and binary cross-entropy and reports accuracy.
    """
    _check_cell(cell)  # before any layer is made (making one draws from the random streams)
    inputs = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    x = _recurrent_layer(cell, units, **cell_kwargs)(x)
    model = keras.Model(inputs, _sigmoid_readout(x), name=name or f"{cell}_classifier")
    return compile_classifier(model, 1e-3, schedule="constant")


# --- chapter 5: the final IMDb classifier (below) ---


@keras.saving.register_keras_serializable(package="lstm_book")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over time that ignores padded steps.

    Keras' ``GlobalMaxPooling1D`` drops the mask (and warns), so padding would
    take part in the max: the backward half of a bidirectional LSTM outputs zeros
    on padding, and a zero can beat every real (negative) value of a unit. Here
    padded steps are set to a very low value before the max; a sequence that is
    all padding (an empty review) pools to zeros.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.max(inputs, axis=1)
        valid = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
        pooled = keras.ops.max(keras.ops.where(valid, inputs, -1e9), axis=1)
        any_valid = keras.ops.any(valid, axis=1)
        return keras.ops.where(any_valid, pooled, keras.ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="lstm_book")
class TruncateSequence(keras.layers.Layer):
    """Keep the first ``max_length`` token ids, plus one padding column.

    The extra padding step (id 0, masked downstream) guarantees at least one
    time step, so an empty string still gives a prediction instead of a
    zero-length tensor.
    """

    def __init__(self, max_length: int | None, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def call(self, ids):
        if self.max_length is not None:
            ids = ids[:, : self.max_length]
        pad = keras.ops.zeros((keras.ops.shape(ids)[0], 1), dtype=ids.dtype)
        return keras.ops.concatenate([ids, pad], axis=1)

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length}


POOLINGS = ("last", "max", "mean", "max+mean")


@dataclass(frozen=True)
class LSTMConfig:
    """Every choice that defines the chapter-5 classifier (and each ablation of it).

    ``max_length``: reviews are cut to their first ``max_length`` tokens (None:
    keep everything). ``pooling``: how the sequence of LSTM outputs becomes one
    vector: the final state (``"last"``), the element-wise max or mean over
    time, or both concatenated. ``dropout`` is applied to whole embedding
    channels (``SpatialDropout1D``) and before the read-out. ``pretrained``:
    initialise the embedding with word vectors learnt from unlabelled reviews.
    ``epochs`` is the training budget; with ``lr_schedule="cosine"`` the
    learning rate decays from ``learning_rate`` to 5% of it along a cosine over
    exactly that budget, so the last epochs take small, careful steps.
    """

    vocab_size: int = 20000
    max_length: int | None = 800
    embed_dim: int = 128
    units: int = 64
    bidirectional: bool = True
    pooling: str = "max"
    dropout: float = 0.3
    pretrained: bool = True
    learning_rate: float = 1e-3
    lr_schedule: str = "cosine"
    epochs: int = 3
    batch_size: int = 64

    def __post_init__(self):
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"max_length must be positive or None, got {self.max_length}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', not {self.lr_schedule!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")

    def replace(self, **changes) -> LSTMConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def build_lstm_classifier(
    config: LSTMConfig, embeddings=None, steps_per_epoch: int | None = None, name: str = "lstm_sentiment"
) -> keras.Model:
    """Token ids ``(batch, time)`` → probability that the review is positive, compiled with Adam.

    ``embeddings``: optional ``(vocab_size, embed_dim)`` array that initialises
    the (trainable) embedding; required iff ``config.pretrained``.
    ``steps_per_epoch`` (batches per epoch) is needed for the cosine schedule.
    ``name`` must differ between the members of an ensemble.
    """
    if config.pretrained != (embeddings is not None):
        raise ValueError("pass embeddings exactly when config.pretrained is True")
    if embeddings is not None and tuple(embeddings.shape) != (config.vocab_size, config.embed_dim):
        raise ValueError(f"embeddings must have shape {(config.vocab_size, config.embed_dim)}, got {embeddings.shape}")
    layers = keras.layers
    inputs = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    init = keras.initializers.Constant(embeddings) if embeddings is not None else "uniform"
    x = layers.Embedding(config.vocab_size, config.embed_dim, mask_zero=True, embeddings_initializer=init,
                         name="embedding")(inputs)
    if config.dropout:
        x = layers.SpatialDropout1D(config.dropout, name="embedding_dropout")(x)
    lstm = layers.LSTM(config.units, return_sequences=config.pooling != "last", name="lstm")
    x = layers.Bidirectional(lstm, name="bidirectional")(x) if config.bidirectional else lstm(x)
    if config.pooling == "max":
        x = MaskedGlobalMaxPooling1D(name="max_over_time")(x)
    elif config.pooling == "mean":
        x = layers.GlobalAveragePooling1D(name="mean_over_time")(x)
    elif config.pooling == "max+mean":
        x = layers.Concatenate(name="max_and_mean")(
            [MaskedGlobalMaxPooling1D(name="max_over_time")(x), layers.GlobalAveragePooling1D(name="mean_over_time")(x)]
        )
    if config.dropout:
        x = layers.Dropout(config.dropout, name="dropout")(x)
    model = keras.Model(inputs, _sigmoid_readout(x), name=name)
    compile_classifier(model, config.learning_rate, schedule=config.lr_schedule,
                       decay_steps=config.epochs * int(steps_per_epoch) if steps_per_epoch else None)
    return model


def compile_classifier(model: keras.Model, learning_rate: float, *, schedule: str = "cosine",
                       decay_steps: int | None = None, final_fraction: float = 0.05, clipnorm: float | None = None,
                       global_clipnorm: float | None = None) -> keras.Model:
    """Compile a probability-output classifier: Adam, binary cross-entropy, accuracy.

    ``schedule="cosine"`` decays the learning rate from ``learning_rate`` to
    ``final_fraction`` of it along a cosine over ``decay_steps`` optimizer steps
    (the whole budget), so the last steps are small and careful; ``"constant"``
    keeps it. ``clipnorm`` clips each weight tensor's gradient to that norm;
    ``global_clipnorm`` rescales the whole gradient when its joint norm exceeds it
    (Pascanu et al., 2013). Keras allows only one of the two.
    """
    if clipnorm is not None and global_clipnorm is not None:
        raise ValueError(
            f"clipnorm={clipnorm!r} (per weight tensor) and global_clipnorm={global_clipnorm!r} (whole gradient) "
            "cannot be combined: pass clipnorm=None to clip the whole gradient")
    if schedule == "cosine":
        if not decay_steps:
            raise ValueError("the cosine schedule needs decay_steps (or steps_per_epoch): the length of the budget")
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=int(decay_steps),
                                                               alpha=final_fraction)
    elif schedule != "constant":
        raise ValueError(f"schedule must be 'cosine' or 'constant', not {schedule!r}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm, global_clipnorm=global_clipnorm),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def export_text_model(classifiers, vectorizer, max_length: int | None, *, bag_of_words=None) -> keras.Model:
    """Wrap token-id classifier(s) so the result takes raw review strings.

    vectoriser → truncation to ``max_length`` tokens → classifier. Given a list
    of classifiers (an ensemble), their probabilities are averaged.

    ``bag_of_words``: optionally a model that itself takes raw strings (e.g. a
    baseline from :func:`utils.baselines.fit_baseline`). The result is then the
    mean of two probabilities, the LSTM (ensemble)'s and the bag of words':
    ``(p_lstm + p_bow) / 2``.
    """
    if isinstance(classifiers, keras.Model):
        classifiers = [classifiers]
    if not classifiers:
        raise ValueError("export_text_model needs at least one classifier")
    names = [model.name for model in classifiers] + ([bag_of_words.name] if bag_of_words is not None else [])
    if len(set(names)) != len(names):
        raise ValueError(f"ensemble members need distinct names (build them with name=...), got {names}")
    # Uncompiled models over the same layers: the saved file holds weights but no (unused) optimizer state.
    classifiers = [keras.Model(model.input, model.output, name=model.name) for model in classifiers]
    if bag_of_words is not None:
        bag_of_words = keras.Model(bag_of_words.input, bag_of_words.output, name=bag_of_words.name)
    inputs = keras.Input(shape=(), dtype="string", name="review")
    ids = TruncateSequence(max_length, name="first_tokens")(vectorizer(inputs))
    outputs = [model(ids) for model in classifiers]
    output = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="ensemble_mean")(outputs)
    if bag_of_words is not None:
        bow = keras.layers.Reshape((1,), name="bag_of_words_probability")(bag_of_words(inputs))
        output = keras.layers.Average(name="lstm_and_bag_of_words")([output, bow])
    return keras.Model(inputs, output, name="imdb_lstm")


def average_text_models(models: dict, name: str = "imdb_lstm") -> keras.Model:
    """One model, raw review strings in, that returns the mean of the probabilities of ``models``.

    ``models`` maps a distinct name to a model that itself takes raw strings (its
    vectoriser inside), e.g. a file saved by :func:`utils.inference.save_model`
    and read with :func:`utils.inference.load_model`, or the result of
    :func:`export_text_model`. The members may use different vocabularies and
    truncations: each reads the review its own way, and only their probabilities
    meet, ``(p_1 + ... + p_k) / k``.
    """
    if len(models) < 2:
        raise ValueError(f"average_text_models needs at least two models, got {len(models)}")
    inputs = keras.Input(shape=(), dtype="string", name="review")
    # Renamed copies over the same layers: members saved under one name ("imdb_lstm") can sit side by side.
    outputs = [keras.layers.Reshape((1,), name=f"{key}_probability")(keras.Model(model.input, model.output,
                                                                                  name=key)(inputs))
               for key, model in models.items()]
    return keras.Model(inputs, keras.layers.Average(name="ensemble_mean")(outputs), name=name)


BUCKET_BOUNDARIES = [64, 128, 192, 256, 320, 400, 512, 640, 800]
"""Length buckets (in tokens) for batching reviews of similar length together."""


def predict_probabilities(model: keras.Model, texts, vectorizer, *, max_length: int | None = None,
                          batch_size: int = 256):
    """P(positive) of a token-id classifier for each raw text, in the order of ``texts`` (NumPy float array).

    Texts are vectorised with ``vectorizer``, cut to ``max_length`` tokens and
    batched by length (little padding); the predictions are put back in order.
    """
    import numpy as np

    from utils.text import length_sorted_dataset

    texts = list(texts)
    if not texts:
        return np.zeros(0)
    ds, order = length_sorted_dataset(texts, vectorizer, max_length=max_length, batch_size=batch_size)
    probs = np.empty(len(texts), dtype=np.float64)
    probs[order] = np.asarray(model.predict(ds, verbose=0), dtype=np.float64).reshape(-1)
    return probs


@dataclass
class FitResult:
    """What :func:`fit_classifier` returns: the model (with the kept epoch's weights), Keras' history,
    the seconds of every epoch and the kept epoch (from 1)."""

    model: keras.Model
    history: dict
    epoch_seconds: list
    best_epoch: int

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))


def fit_classifier(model: keras.Model, train_ds, val_ds=None, *, epochs: int, learning_rate: float | None = None,
                   patience: int | None = 1, batch_log: bool = False, verbose: bool = True) -> FitResult:
    """Train a classifier on ``train_ds`` for at most ``epochs`` epochs: the book's one training loop.

    With ``learning_rate``, the model is (re)compiled by :func:`compile_classifier`
    with a cosine decay over exactly this budget; otherwise it keeps its own
    compilation. With ``patience`` and ``val_ds``, the validation loss is measured
    after every epoch, training stops when it has not improved for ``patience``
    epochs, and the best epoch's weights are restored (Keras ``EarlyStopping``,
    the book's one early-stopping rule). ``patience=None`` trains for exactly
    ``epochs`` epochs (``val_ds`` may then be ``None``). With ``batch_log``, the
    history also holds ``batch_loss``: Keras' running mean of the training loss
    after every batch, for learning curves within an epoch. One line per epoch
    is printed unless ``verbose=False``.
    """
    import numpy as np

    from utils.training import EpochLogger

    if learning_rate is not None:
        compile_classifier(model, learning_rate, decay_steps=epochs * int(train_ds.cardinality().numpy()))
    logger = EpochLogger(quiet=not verbose)
    callbacks = [logger]
    batch_loss: list[float] = []
    if batch_log:
        callbacks.append(keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: batch_loss.append(float(logs["loss"]))))
    if patience is not None:
        if val_ds is None:
            raise ValueError("early stopping (patience) needs val_ds")
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                       restore_best_weights=True))
    history = model.fit(train_ds, validation_data=val_ds if patience is not None else None, epochs=epochs,
                        verbose=0, callbacks=callbacks).history
    best = int(np.argmin(history["val_loss"])) + 1 if patience is not None else len(history["loss"])
    if batch_log:
        history["batch_loss"] = batch_loss
    return FitResult(model, history, logger.epoch_seconds, best)


@dataclass
class TrainResult(FitResult):
    """What :func:`train_classifier` returns: a :class:`FitResult` plus the configuration and the validation
    probabilities of the returned weights, in the order of the validation texts (for paired comparisons)."""

    config: LSTMConfig = None
    val_accuracy: float = float("nan")
    val_probs: object = None


def train_classifier(
    config: LSTMConfig,
    train_texts,
    train_labels,
    val_texts,
    val_labels,
    *,
    vectorizer,
    embeddings=None,
    patience: int | None = 1,
    seed: int | None = None,
    name: str = "lstm_sentiment",
    verbose: bool = True,
) -> TrainResult:
    """Build the classifier of ``config`` and train it with :func:`fit_classifier` on bucketed batches.

    The model is seeded with ``seed`` (default ``$BOOK_SEED``) right before it is
    built, so every configuration starts from the same random state whatever
    ran before it. ``patience=None`` trains for exactly ``config.epochs`` and
    scores the validation reviews once, at the end (cheaper: for ablations).
    ``val_accuracy``/``val_probs`` are always those of the returned weights.
    """
    import numpy as np

    from utils.text import sequence_dataset

    seed = book_seed(seed)
    train_ds = sequence_dataset(train_texts, train_labels, vectorizer=vectorizer, max_length=config.max_length,
                                batch_size=config.batch_size, shuffle=True, seed=seed,
                                bucket_boundaries=BUCKET_BOUNDARIES)
    val_ds = None
    if patience is not None:
        val_ds = sequence_dataset(val_texts, val_labels, vectorizer=vectorizer, max_length=config.max_length,
                                  batch_size=256, bucket_boundaries=BUCKET_BOUNDARIES)
    keras.utils.set_random_seed(seed)
    model = build_lstm_classifier(config, embeddings if config.pretrained else None,
                                  steps_per_epoch=int(train_ds.cardinality().numpy()), name=name)
    fit = fit_classifier(model, train_ds, val_ds, epochs=config.epochs, patience=patience, verbose=verbose)
    probs = predict_probabilities(model, val_texts, vectorizer, max_length=config.max_length)
    accuracy = float(np.mean((probs > 0.5) == (np.asarray(val_labels) == 1)))
    return TrainResult(model, fit.history, fit.epoch_seconds, fit.best_epoch, config, accuracy, probs)
