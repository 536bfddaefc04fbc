"""Keras model builders shared by the chapters.

Chapters 2 to 4 use :func:`build_recurrent_classifier` (the smallest honest
sequence classifier: embedding, one recurrent layer, a sigmoid read-out).
Chapter 5 adds the final IMDb model below.
"""

from __future__ import annotations

from utils._tf import keras

RECURRENT_LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


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
    compiled with Adam and binary cross-entropy and reports accuracy.
    """
    if cell not in RECURRENT_LAYERS:
        raise ValueError(f"cell must be one of {sorted(RECURRENT_LAYERS)}, not {cell!r}")
    inputs = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    x = RECURRENT_LAYERS[cell](units, name=cell, **cell_kwargs)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="readout")(x)
    model = keras.Model(inputs, outputs, name=name or f"{cell}_classifier")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


# --- chapter 5: the final IMDb classifier (below) ---
