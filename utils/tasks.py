"""A synthetic long-lag task: report the sign of a marked input after ``lag`` more noisy steps.

Every sequence has ``length = max_lag + 1`` time steps and two input features
per step:

* **value** ``v_t``: ``+1`` or ``-1``, uniformly at random at every step;
* **marker** ``m_t``: ``1`` at exactly one step, ``0`` elsewhere.

The label is ``1`` if the value at the marked step is ``+1`` and ``0`` if it is
``-1``. The *lag* of a sequence is the number of steps after the marked one,
so the marked step is at distance ``lag`` from the output (``lag = 0``: it is
the last step). Every other value is noise, independent of the label, and keeps
arriving after the marked step: a model must notice the marker, store one bit,
and then protect it from ``lag`` further inputs of the very same kind. Chance
is 50 % (the classes are balanced exactly).

Two kinds (``make_lag_task(kind=...)``):

``"marked"`` (default, the book's experiment)
    Training sequences have their marked step at a uniformly random lag in
    ``0 ... max_lag`` (short, easy examples and long, hard ones, in equal
    numbers); the validation and test sequences all have lag exactly
    ``max_lag``, the hardest case. A model is asked: *after training on lags up
    to N, can you bridge N steps?*
``"first"``
    The marked step is always the first one (lag ``max_lag`` in every split):
    the classic "remember the first symbol" task (Hochreiter & Schmidhuber,
    1997, experiment 2, with a binary label).

It is the adding problem of Hochreiter & Schmidhuber (1997, experiment 4)
reduced to one marked input and a binary label. Chapter 3 trains a
``SimpleRNN`` and an LSTM on it for a range of lags; chapter 4 reuses it for the
forget-gate ablation.

Public API (stable):

* :func:`make_lag_task` → :class:`LagTask`: train / validation / test arrays,
  each split from its own random stream, deterministic in ``seed``.
* :func:`build_lag_model` → a compiled classifier: one recurrent layer on the
  two input features, sigmoid read-out.
* :func:`train_lag_model` → trains one model for a fixed budget, evaluates it
  once on validation and test, returns a :class:`LagRun`.
* :func:`lag_sweep` → :func:`train_lag_model` over lags × models × seeds, as a
  ``pandas.DataFrame``.
* :func:`recurrent_param_count` / :func:`units_for_params` → sizes for a fair
  comparison (equal parameter counts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from utils.config import book_seed

__all__ = ["LagTask", "LagRun", "make_lag_task", "build_lag_model", "train_lag_model", "lag_sweep",
    "recurrent_param_count", "units_for_params"]

N_FEATURES = 2
"""Input features per step: the value (±1) and the marker (0/1)."""

VALUE, MARKER = 0, 1
"""Indices of the two features in the last axis of ``x``."""

KINDS = ("marked", "first")
SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class LagTask:
    """One instance of the long-lag task.

    ``x_*`` are ``float32`` arrays ``(n, max_lag + 1, 2)`` (value, marker);
    ``y_*`` are ``float32`` labels ``(n,)`` in ``{0, 1}``; ``lag_*`` are the
    ``int64`` lags ``(n,)`` (steps after the marked one).
    """

    max_lag: int
    kind: str
    seed: int
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    lag_train: np.ndarray = field(repr=False)
    x_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    lag_val: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    lag_test: np.ndarray = field(repr=False)

    @property
    def length(self) -> int:
        """Time steps per sequence: ``max_lag + 1``."""
        return self.max_lag + 1

    @property
    def vocab_size(self):
        """Not defined: the inputs are two float features per step, not token ids (this is explained below)."""
        raise AttributeError(
            "LagTask has no vocab_size: its inputs x are floats of shape (n, max_lag + 1, 2) (value ±1, marker 0/1), "
            "not token ids, so no Embedding is needed. Build a model with build_lag_model(cell, units=...) and "
            "measure gradients with gradient_norms_by_distance(model.get_layer(cell), task.x_val)."
        )

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, lags)`` of ``"train"``, ``"validation"`` or ``"test"``."""
        if name not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, not {name!r}")
        key = {"train": "train", "validation": "val", "test": "test"}[name]
        return getattr(self, f"x_{key}"), getattr(self, f"y_{key}"), getattr(self, f"lag_{key}")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def lag_sequences(lags, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of ``length`` steps whose marked step is ``lags[i]`` steps before the end, and their labels.

    Exactly half of the labels are 1 (for an odd count, the last one is drawn
    at random). Returns ``x`` ``(n, length, 2)`` float32 and ``y`` ``(n,)`` float32.
    """
    lags = np.asarray(lags, dtype=np.int64)
    n = len(lags)
    if n and (lags.min() < 0 or lags.max() >= length):
        raise ValueError(f"every lag must be in 0 ... {length - 1} for sequences of {length} steps")
    labels = (np.arange(n) < n // 2).astype(np.float32)
    if n % 2:
        labels[-1] = rng.integers(0, 2)
    labels = rng.permutation(labels)
    values = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(n, length))
    position = length - 1 - lags
    rows = np.arange(n)
    values[rows, position] = 2.0 * labels - 1.0  # the marked value carries the label
    x = np.zeros((n, length, N_FEATURES), dtype=np.float32)
    x[..., VALUE] = values
    x[rows, position, MARKER] = 1.0
    return x, labels


def make_lag_task(
    max_lag: int,
    *,
    kind: str = "marked",
    n_train: int = 4000,
    n_val: int = 500,
    n_test: int = 1000,
    seed: int | None = None,
) -> LagTask:
    """Generate the long-lag task with sequences of ``max_lag + 1`` steps (see the module docstring).

    ``kind="marked"``: training lags spread evenly over ``0 ... max_lag``
    (each lag equally often, in random order), validation and test lags all
    equal to ``max_lag``. ``kind="first"``: every lag is ``max_lag``.

    The three splits come from three independent random streams derived from
    ``(seed, max_lag, kind)`` with ``numpy.random.SeedSequence``: the same
    arguments always give the same arrays, and changing ``n_train`` does not
    change the test set. Choose settings on the validation split; the test
    split is for the final report only.
    """
    max_lag = _check_int("max_lag", max_lag, 0)
    seed = _check_int("seed", book_seed(seed), 0)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    sizes = [_check_int(name, n, 1) for name, n in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test))]
    streams = np.random.SeedSequence([seed, max_lag, KINDS.index(kind)]).spawn(len(SPLIT_NAMES))
    length = max_lag + 1
    arrays = []
    for split, n, stream in zip(SPLIT_NAMES, sizes, streams):
        rng = np.random.default_rng(stream)
        if kind == "marked" and split == "train":
            lags = rng.permutation(np.arange(n) % length)
        else:
            lags = np.full(n, max_lag)
        x, y = lag_sequences(lags, length, rng)
        arrays += [x, y, lags.astype(np.int64)]
    return LagTask(max_lag, kind, seed, *arrays)


# --------------------------------------------------------------------------- models

_GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per cell (the cells of models.RECURRENT_LAYERS)


def recurrent_param_count(cell: str, units: int, input_dim: int = N_FEATURES) -> int:
    """Weights of one Keras recurrent layer: ``gates · units · (input_dim + units + 1)``.

    ``gates`` is 1 for ``SimpleRNN``, 4 for ``LSTM`` and 3 for ``GRU`` (whose
    Keras default ``reset_after=True`` adds another ``3 · units`` biases).
    """
    if cell not in _GATES:
        raise ValueError(f"cell must be one of {sorted(_GATES)}, not {cell!r}")
    units = _check_int("units", units, 1)
    count = _GATES[cell] * units * (input_dim + units + 1)
    return count + (3 * units if cell == "gru" else 0)


def units_for_params(cell: str, target: int, input_dim: int = N_FEATURES) -> int:
    """The number of units whose recurrent layer has the parameter count closest to ``target``."""
    target = _check_int("target", target, 1)
    return min(range(1, 4097), key=lambda u: (abs(recurrent_param_count(cell, u, input_dim) - target), u))


def build_lag_model(
    cell: str,
    *,
    units: int,
    learning_rate: float = 1e-3,
    clipnorm: float | None = 1.0,
    decay_steps: int | None = None,
    n_features: int = N_FEATURES,
    global_clipnorm: float | None = None,
    **cell_kwargs,
):
    """``(batch, time, 2)`` → one recurrent layer (named ``cell``) → ``Dense(1, sigmoid)`` (named ``readout``).

    Compiled with Adam (``learning_rate``, gradient clipping ``clipnorm`` per
    weight tensor), binary cross-entropy and accuracy. ``global_clipnorm``
    clips the whole gradient instead (all weight tensors rescaled by one
    factor when their joint norm exceeds it, as in Pascanu et al., 2013);
    Keras allows only one of the two, so pass ``clipnorm=None`` with it.
    With ``decay_steps``, the learning rate follows a cosine from
    ``learning_rate`` down to 0 over that many optimizer steps
    (``keras.optimizers.schedules.CosineDecay``).
    ``cell_kwargs`` go to the recurrent layer (e.g. ``unit_forget_bias=False``
    for an LSTM). Call ``keras.utils.set_random_seed`` first for reproducible
    initial weights (:func:`train_lag_model` does).
    """
    from utils._tf import keras
    from utils.models import _recurrent_layer, _sigmoid_readout, compile_classifier

    recurrent = _recurrent_layer(cell, units, **cell_kwargs)
    inputs = keras.Input(shape=(None, n_features), name="inputs")
    model = keras.Model(inputs, _sigmoid_readout(recurrent(inputs)), name=f"{cell}_lag_model")
    if decay_steps is not None:
        decay_steps = _check_int("decay_steps", decay_steps, 1)
    return compile_classifier(model, learning_rate, schedule="constant" if decay_steps is None else "cosine",
                              decay_steps=decay_steps, final_fraction=0.0, clipnorm=clipnorm,
                              global_clipnorm=global_clipnorm)


@dataclass
class LagRun:
    """The outcome of :func:`train_lag_model` for one (model, lag, seed).

    ``n_params`` counts the recurrent layer, ``n_params_total`` adds the
    read-out. ``val_accuracy`` and ``test_accuracy`` are those of the weights
    after the last epoch.
    """

    cell: str
    max_lag: int
    seed: int
    units: int
    n_params: int
    n_params_total: int
    val_accuracy: float
    test_accuracy: float
    seconds: float
    history: dict = field(repr=False)
    model: object = field(default=None, repr=False)

    def as_row(self) -> dict:
        """The scalar fields, for a ``pandas.DataFrame``."""
        keys = ("cell", "max_lag", "seed", "units", "n_params", "n_params_total", "val_accuracy",
                "test_accuracy", "seconds")
        return {k: getattr(self, k) for k in keys}


def train_lag_model(
    task: LagTask,
    cell: str,
    *,
    units: int,
    epochs: int = 15,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    clipnorm: float | None = 1.0,
    cosine_decay: bool = True,
    seed: int | None = None,
    keep_model: bool = False,
    callbacks=None,
    global_clipnorm: float | None = None,
    **cell_kwargs,
) -> LagRun:
    """Train one model on ``task``'s training split for a fixed budget; evaluate it once.

    The budget is identical for every model: ``epochs`` passes over the
    training split in shuffled mini-batches of ``batch_size`` (hence the same
    number of optimizer steps), Adam with gradient clipping (``clipnorm`` per
    weight tensor, or ``global_clipnorm`` on the whole gradient with
    ``clipnorm=None``: see :func:`build_lag_model`) and a
    learning rate that starts at ``learning_rate`` and, with ``cosine_decay``
    (the default), falls along a cosine to 0 at the last step. The weights
    after the last epoch are evaluated on the validation and the test split (no
    early stopping; nothing is chosen on the test split). The decay is a design
    choice that follows from this: since the last weights are the ones scored,
    the last updates are kept small, so that a late large step cannot undo what
    a model has learned just before it is evaluated.
    ``keras.utils.set_random_seed(seed)`` is called first, so a run is
    reproducible whatever ran before it. ``keep_model=True`` keeps the trained
    model in the result (for later measurements).
    """
    from utils._tf import keras

    epochs = _check_int("epochs", epochs, 1)
    seed = book_seed(seed)
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    steps = epochs * -(-len(task.x_train) // batch_size)
    model = build_lag_model(cell, units=units, learning_rate=learning_rate, clipnorm=clipnorm,
                            global_clipnorm=global_clipnorm,
                            decay_steps=steps if cosine_decay else None, **cell_kwargs)
    history = model.fit(task.x_train, task.y_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                        validation_data=(task.x_val, task.y_val), verbose=0, callbacks=callbacks)
    _, test_acc = model.evaluate(task.x_test, task.y_test, batch_size=500, verbose=0)
    seconds = time.perf_counter() - start
    return LagRun(
        cell=cell, max_lag=task.max_lag, seed=seed, units=units,
        n_params=int(model.get_layer(cell).count_params()), n_params_total=int(model.count_params()),
        val_accuracy=float(history.history["val_accuracy"][-1]), test_accuracy=float(test_acc),
        seconds=seconds, history={k: list(map(float, v)) for k, v in history.history.items()},
        model=model if keep_model else None,
    )


def lag_sweep(
    lags,
    models: dict,
    *,
    seeds=None,
    task_kwargs: dict | None = None,
    keep_models_at=None,
    log=print,
    **train_kwargs,
):
    """Train every model of ``models`` on :func:`make_lag_task` for every lag and seed.

    ``models`` maps a display name to the keyword arguments of
    :func:`train_lag_model` that define it, e.g.
    ``{"SimpleRNN": {"cell": "simple_rnn", "units": 33}, "LSTM": {"cell": "lstm", "units": 16}}``;
    ``train_kwargs`` (the shared budget: ``epochs``, ``batch_size``, ...) apply
    to all of them. The task for ``(lag, seed)`` is
    ``make_lag_task(lag, seed=seed, **task_kwargs)`` and the same task is given
    to every model. The models trained at the lags in ``keep_models_at`` are kept.

    Returns ``(table, runs)``: a ``pandas.DataFrame`` with one row per run
    (column ``model`` holds the display name) and the list of :class:`LagRun`.
    ``log`` (default ``print``; ``None`` for silence) receives one line per run.
    """
    import pandas as pd

    keep = set(keep_models_at or ())
    rows, runs = [], []
    seeds = (book_seed(),) if seeds is None else tuple(seeds)
    for seed in seeds:
        for lag in lags:
            task = make_lag_task(lag, seed=seed, **(task_kwargs or {}))
            for name, spec in models.items():
                run = train_lag_model(task, seed=seed, keep_model=lag in keep, **{**train_kwargs, **spec})
                runs.append(run)
                rows.append({"model": name, **run.as_row()})
                if log is not None:
                    log(f"lag {lag:3d} · seed {seed} · {name:<10} · test accuracy {run.test_accuracy:.3f} · "
                        f"{run.seconds:.0f} s")
    return pd.DataFrame(rows), runs
