"""Measure how gradients shrink or grow with the distance to the output (backpropagation through time).

Chapter 3 uses these functions to show vanishing and exploding gradients;
chapter 4 reuses them to compare the LSTM with the tanh RNN. What is measured,
exactly:

* :func:`gradient_norms_by_distance` (float inputs ``x`` of shape
  ``(batch, time, features)``) and :func:`embedding_gradient_norms_by_distance`
  (token ids; the derivative is taken with respect to the *embedded* inputs
  ``e_t = E[token_t]``) compute, with :class:`tf.GradientTape`, for every example
  ``i`` and every real (not padded) time step ``t``, the Euclidean norm

  .. math:: \\lVert \\partial \\ell_i / \\partial x_{i,t} \\rVert_2

  of the gradient of that example's objective ``ℓ_i`` with respect to its own
  input vector at step ``t``. ``ℓ_i`` is the example's loss
  ``loss(y_i, f(x_i))`` when targets are given, otherwise the sum of the
  model's outputs for that example (for a recurrent layer that returns its last
  state this is ``1ᵀ h_T``). The objectives are *summed* over the batch before
  differentiating, so row ``i`` of the gradient is exactly ``∂ℓ_i/∂x_i``
  (examples do not interact in these models), never divided by the batch size.
* The step ``t`` is then re-indexed by its **distance to the output**
  ``k = (number of real steps after t)``: ``k = 0`` is the last real step (the
  one just before the read-out), ``k = T-1`` the first. With padding (mask or
  token id 0) each example is aligned on its own last real token, and padded
  steps are left out.
* The norms are reduced over the examples at each distance (``reduce="mean"``
  by default; ``"geometric"`` = exp of the mean log, robust when norms span many
  orders of magnitude; ``"median"``; ``None`` returns the aligned per-example
  array). The result is a NumPy array indexed by distance: ``norms[k]``.

:func:`rnn_state_jacobian_norms` is the from-scratch counterpart for the tanh
RNN: the spectral norm ``‖∂h_T/∂h_t‖₂`` of the product of Jacobians in the
chapter's derivation, computed in NumPy from :mod:`utils.scratch` weights.

:func:`set_spectral_radius` rescales the recurrent kernel of a ``SimpleRNN``
(or any square matrix) to a chosen spectral radius, and
:func:`fit_with_gradient_log` trains a model while recording the loss and the
global gradient norm at every step (for the clipping experiment).
"""

from __future__ import annotations

import inspect

import numpy as np

from utils._tf import keras, tf
from utils.config import book_seed

__all__ = ["spectral_radius", "spectral_norm", "set_spectral_radius", "gradient_norms_by_distance",
    "embedding_gradient_norms_by_distance", "rnn_state_jacobian_norms", "fit_with_gradient_log", "cell_path_decay"]

REDUCTIONS = ("mean", "geometric", "median", None)


# --------------------------------------------------------------------------- spectral radius


def spectral_radius(matrix) -> float:
    """Largest absolute eigenvalue ``ρ(W) = max |λ_i(W)|`` of a square matrix."""
    matrix = _square(matrix)
    return float(np.max(np.abs(np.linalg.eigvals(matrix.astype(np.float64)))))


def spectral_norm(matrix) -> float:
    """Largest singular value ``σ_max(W) = ‖W‖₂`` of a matrix (``≥ ρ(W)``; equal for normal matrices)."""
    return float(np.linalg.norm(np.asarray(matrix, dtype=np.float64), ord=2))


def _square(matrix) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    return matrix


def _find_simple_rnn(target):
    """The SimpleRNN layer in ``target`` (the layer itself, or a model holding exactly one)."""
    if isinstance(target, keras.layers.SimpleRNN):
        return target
    if isinstance(target, keras.Model):
        found = [layer for layer in target._flatten_layers() if isinstance(layer, keras.layers.SimpleRNN)]
        if len(found) != 1:
            raise ValueError(
                f"the model {target.name!r} holds {len(found)} SimpleRNN layers; pass the layer itself"
            )
        return found[0]
    return None


def set_spectral_radius(target, radius: float) -> np.ndarray:
    """Rescale a recurrent matrix so that its spectral radius is ``radius``; return the new matrix.

    ``target`` is a built ``keras.layers.SimpleRNN`` (its ``recurrent_kernel``
    ``W_hh`` is overwritten in place), a model holding exactly one ``SimpleRNN``,
    or a square NumPy array (returned rescaled, the input is not modified).

    The matrix is multiplied by ``radius / ρ(W)``, so its eigenvectors and the
    *ratios* of its singular values are kept. Keras initialises ``W_hh`` as an
    orthogonal matrix, for which every singular value and every ``|λ|`` equals
    1: after rescaling, ``σ_max(W_hh) = ρ(W_hh) = radius`` exactly.
    """
    radius = float(radius)
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a positive number, got {radius}")
    layer = _find_simple_rnn(target)
    if layer is None:
        matrix = _square(target)
        current = spectral_radius(matrix)
        if current == 0:
            raise ValueError("the matrix is nilpotent (spectral radius 0): it cannot be rescaled to a radius")
        return (matrix * (radius / current)).astype(matrix.dtype)
    if not layer.built:
        raise ValueError(
            f"the SimpleRNN {layer.name!r} has no weights yet: call the layer (or its model) on an input first"
        )
    variable = layer.cell.recurrent_kernel
    matrix = np.asarray(variable.numpy())
    new = set_spectral_radius(matrix, radius)
    variable.assign(new)
    return new


# --------------------------------------------------------------------------- gradient norms


def _distances(valid: np.ndarray) -> np.ndarray:
    """For a (batch, time) boolean array of real steps: how many real steps follow each step."""
    after = np.cumsum(valid[:, ::-1], axis=1)[:, ::-1] - valid  # real steps strictly after t
    return after.astype(np.int64)


def align_by_distance(values, valid=None) -> np.ndarray:
    """Re-index per-step values ``(batch, time)`` by distance to the output; NaN where an example has no step.

    Column ``k`` of the result holds, for each example, the value at its real
    step with ``k`` real steps after it (``k = 0``: the last real step).
    Padded steps (``valid`` False) are dropped.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be (batch, time), got shape {values.shape}")
    valid = np.ones(values.shape, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    if valid.shape != values.shape:
        raise ValueError(f"valid must have the shape of values {values.shape}, got {valid.shape}")
    dist = _distances(valid)
    width = int(valid.sum(axis=1).max()) if valid.size else 0
    out = np.full((values.shape[0], width), np.nan)
    rows, cols = np.nonzero(valid)
    out[rows, dist[rows, cols]] = values[rows, cols]
    return out


def reduce_by_distance(aligned: np.ndarray, reduce: str | None = "mean") -> np.ndarray:
    """Reduce an aligned ``(batch, distance)`` array over the batch, ignoring NaN (missing steps)."""
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, not {reduce!r}")
    if reduce is None:
        return aligned
    out = np.full(aligned.shape[1], np.nan)
    present = ~np.isnan(aligned)
    for k in range(aligned.shape[1]):
        col = aligned[present[:, k], k]
        if col.size == 0:
            continue
        if reduce == "mean":
            out[k] = col.mean()
        elif reduce == "median":
            out[k] = np.median(col)
        else:  # geometric mean; an exact zero (float underflow) makes it zero
            out[k] = 0.0 if np.any(col <= 0) else float(np.exp(np.log(col).mean()))
    return out


def _per_example_objective(outputs, targets, loss):
    if targets is None:
        return tf.reduce_sum(tf.reshape(outputs, (tf.shape(outputs)[0], -1)), axis=1)
    loss_fn = keras.losses.get(loss or "binary_crossentropy")
    targets = tf.cast(tf.convert_to_tensor(targets), outputs.dtype)
    if targets.shape.rank == 1 and outputs.shape.rank == 2:
        targets = targets[:, None]
    values = loss_fn(targets, outputs)
    return tf.reshape(values, (tf.shape(outputs)[0], -1)) if values.shape.rank != 1 else values


def _input_dtype(model) -> str:
    return getattr(model, "compute_dtype", None) or "float32"


def gradient_norms_by_distance(
    model,
    inputs,
    targets=None,
    *,
    mask=None,
    loss=None,
    reduce: str | None = "mean",
) -> np.ndarray:
    """Norm of ``∂ℓ_i/∂x_{i,t}`` against the distance to the output, for float inputs.

    Parameters
    ----------
    model:
        Any Keras model or layer mapping float inputs ``(batch, time, features)``
        to outputs, e.g. ``keras.layers.SimpleRNN(32)`` or ``keras.layers.LSTM(32)``
        (built or not), or a ``keras.Sequential`` ending in a read-out.
    inputs:
        Array ``(batch, time, features)``; cast to the model's compute dtype.
    targets, loss:
        If ``targets`` is given, ``ℓ_i = loss(targets_i, model(x)_i)`` (``loss``
        defaults to ``"binary_crossentropy"``, any Keras loss *function* name or
        callable returning one value per example). Otherwise ``ℓ_i`` is the sum
        of the example's outputs.
    mask:
        Optional ``(batch, time)`` booleans (False = padding); passed to the
        model as ``mask=`` and used to align examples on their last real step.
    reduce:
        ``"mean"`` (default), ``"geometric"``, ``"median"`` or ``None``.

    Returns
    -------
    numpy.ndarray
        ``norms[k]`` for distance ``k = 0`` (last step) ... ``T-1`` (first
        step), reduced over the batch; with ``reduce=None`` the aligned
        ``(batch, T)`` array (NaN where an example has no step at that distance).
    """
    x = np.asarray(inputs)
    if x.ndim != 3:
        raise ValueError(f"inputs must have shape (batch, time, features), got {x.shape}")
    x = tf.convert_to_tensor(x, dtype=_input_dtype(model))
    valid = None
    if mask is not None:
        valid = np.asarray(mask, dtype=bool)
        if valid.shape != tuple(x.shape[:2]):
            raise ValueError(f"mask must have shape {tuple(x.shape[:2])}, got {valid.shape}")
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = model(x) if valid is None else model(x, mask=tf.constant(valid))
        total = tf.reduce_sum(_per_example_objective(outputs, targets, loss))
    grads = tape.gradient(total, x)
    if grads is None:
        raise ValueError("the model's output does not depend on its inputs: nothing to measure")
    norms = np.linalg.norm(np.asarray(grads.numpy(), dtype=np.float64), axis=2)
    return reduce_by_distance(align_by_distance(norms, valid), reduce)


def _accepts_mask(layer) -> bool:
    try:
        return "mask" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtin call signatures
        return False


def _layers_after_embedding(model, embedding_layer):
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if embedding_layer is None:
        embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
        if len(embeddings) != 1:
            raise ValueError(
                f"the model {model.name!r} has {len(embeddings)} Embedding layers; pass embedding_layer=<name>"
            )
        embedding = embeddings[0]
    else:
        embedding = model.get_layer(embedding_layer) if isinstance(embedding_layer, str) else embedding_layer
    if embedding not in layers:
        raise ValueError(f"{embedding.name!r} is not a layer of the model {model.name!r}")
    position = layers.index(embedding)
    if position != 0:
        raise ValueError(
            f"the Embedding must be the first layer after the input; the model {model.name!r} has "
            f"{[layer.name for layer in layers[:position]]} before it"
        )
    return embedding, layers[position + 1 :]


def embed_and_run(model, token_ids, *, embedding_layer=None):
    """Return ``(embedded, mask, forward)`` to differentiate a chain model with respect to its embeddings.

    ``embedded`` is ``E[token_ids]`` (``(batch, time, embed_dim)``), ``mask``
    the Embedding's padding mask as a (batch, time) NumPy bool array (all True
    without ``mask_zero``), and ``forward(embedded)`` runs the rest of the model
    (the layers after the Embedding, in order, with the mask passed to those that
    take one). The model must be a chain ``Input → Embedding → ... → output``
    (as built by :func:`utils.models.build_recurrent_classifier`); this is
    checked by comparing ``forward(embedded)`` with ``model(token_ids)``.
    """
    ids = np.asarray(token_ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"token_ids must be an integer array of shape (batch, time), got {ids.dtype} {ids.shape}")
    embedding, rest = _layers_after_embedding(model, embedding_layer)
    ids_t = tf.convert_to_tensor(ids)
    embedded = tf.convert_to_tensor(embedding(ids_t))
    keras_mask = embedding.compute_mask(ids_t)
    valid = np.ones(ids.shape, dtype=bool) if keras_mask is None else np.asarray(keras_mask)
    if not valid.any(axis=1).all():
        raise ValueError("some sequences are all padding (token id 0): remove them before measuring")

    def forward(e):
        h, m = e, None if keras_mask is None else tf.constant(valid)
        for layer in rest:
            out = layer(h, mask=m) if (m is not None and _accepts_mask(layer)) else layer(h)
            m = layer.compute_mask(h, m) if m is not None else None
            h = out
        return h

    not_a_chain = (
        f"re-running the layers after the Embedding does not reproduce the model {model.name!r}: only chain "
        "models (Input → Embedding → layers one after the other) are supported"
    )
    expected = np.asarray(model(ids_t))
    try:
        got = np.asarray(forward(embedded))
    except Exception as exc:  # a layer fed with the wrong tensor: the model branches
        raise ValueError(not_a_chain) from exc
    if expected.shape != got.shape or not np.allclose(expected, got, rtol=1e-4, atol=1e-5):
        raise ValueError(not_a_chain)
    return embedded, valid, forward


def embedding_gradient_norms_by_distance(
    model,
    token_ids,
    targets=None,
    *,
    loss=None,
    reduce: str | None = "mean",
    embedding_layer=None,
) -> np.ndarray:
    """Norm of ``∂ℓ_i/∂e_{i,t}`` (``e_t`` = embedded token) against the distance to the output.

    Same measurement and return value as :func:`gradient_norms_by_distance`,
    for a model that starts with an ``Embedding``: the gradient is taken with
    respect to the embedding vectors fed to the recurrent layer, so it does not
    depend on how often a word occurs. Padding (token id 0 with ``mask_zero``)
    is excluded and each review is aligned on its last real token: ``k = 0`` is
    the last token the network reads before the read-out.
    ``targets`` (labels) select the loss as the objective (``loss`` defaults to
    binary cross-entropy); without them ``ℓ_i`` is the model's output.
    """
    embedded, valid, forward = embed_and_run(model, token_ids, embedding_layer=embedding_layer)
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        outputs = forward(embedded)
        total = tf.reduce_sum(_per_example_objective(outputs, targets, loss))
    grads = tape.gradient(total, embedded)
    norms = np.linalg.norm(np.asarray(grads.numpy(), dtype=np.float64), axis=2)
    return reduce_by_distance(align_by_distance(norms, valid), reduce)


# --------------------------------------------------------------------------- the Jacobian product by hand


def rnn_state_jacobian_norms(x, params, *, reduce: str | None = "mean") -> np.ndarray:
    """Spectral norm ``‖∂h_T/∂h_t‖₂`` of the tanh RNN's Jacobian product, against the distance ``T - t``.

    ``params`` is a :class:`utils.scratch.RNNParams` (Keras layout, row
    vectors). In the column-vector notation of the chapter,
    ``∂h_j/∂h_{j-1} = diag(1 - h_j²) W_hh``, so
    ``∂h_T/∂h_t = ∏_{j=t+1}^{T} diag(1 - h_j²) W_hh``. Pure NumPy, float64.

    Returns ``norms[k]`` for ``k = T - t = 0 ... T-1`` (``k = 0`` is the
    identity, norm 1), reduced over the batch like
    :func:`gradient_norms_by_distance`; ``reduce=None`` gives ``(batch, T)``.
    """
    from utils.scratch import rnn_forward

    x = np.asarray(x, dtype=np.float64)
    h = rnn_forward(x, _as_float64(params), return_sequences=True)  # (batch, T, units)
    batch, steps, units = h.shape
    w_hh = np.asarray(params.W_hh, dtype=np.float64).T  # column-vector convention: h_k = tanh(W_hh h_{k-1} + ...)
    jac = np.broadcast_to(np.eye(units), (batch, units, units)).copy()
    norms = np.empty((batch, steps))
    norms[:, 0] = 1.0
    for k in range(1, steps):  # k = distance T - t
        j = steps - k  # index (0-based) of h_j in the product; factor diag(1 - h_j^2) W_hh
        jac = jac @ ((1.0 - h[:, j, :] ** 2)[:, :, None] * w_hh)
        norms[:, k] = np.linalg.norm(jac, ord=2, axis=(1, 2))
    return reduce_by_distance(norms, reduce)


def _as_float64(params):
    from dataclasses import fields, replace

    return replace(params, **{f.name: np.asarray(getattr(params, f.name), dtype=np.float64) for f in fields(params)})


# --------------------------------------------------------------------------- training with a gradient log


def fit_with_gradient_log(
    model,
    x,
    y,
    *,
    optimizer,
    loss="binary_crossentropy",
    epochs: int = 1,
    batch_size: int = 32,
    seed: int | None = None,
) -> dict[str, np.ndarray]:
    """Train ``model`` with mini-batch steps, recording the loss and the gradient norm at every step.

    A plain training loop (what ``model.fit`` does, minus metrics): for each
    batch, compute the mean ``loss`` over the batch, its gradient ``g`` with
    respect to all trainable weights, record the global norm ``‖g‖₂`` *before*
    any clipping, and let ``optimizer.apply_gradients`` update the weights (so
    the optimizer's own ``clipnorm`` / ``global_clipnorm`` applies). Batches
    are drawn from a permutation of the data reshuffled every epoch from
    ``seed``; the last incomplete batch is dropped.

    Returns ``{"loss": (steps,), "grad_norm": (steps,)}`` as NumPy arrays. A
    step whose loss or gradient is not finite is recorded as ``nan`` / ``inf``;
    training continues (that is what divergence looks like).
    """
    x, y = np.asarray(x), np.asarray(y, dtype=np.float32)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} targets")
    if len(x) < batch_size:
        raise ValueError(f"need at least one full batch: {len(x)} examples, batch_size={batch_size}")
    loss_fn = keras.losses.get(loss)
    weights = model.trainable_variables
    if not weights:
        raise ValueError("the model has no trainable weights yet: build it (call it on an input) first")
    if not optimizer.built:
        optimizer.build(weights)  # create the optimizer's slots outside the compiled step

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            value = tf.reduce_mean(loss_fn(tf.reshape(yb, tf.shape(pred)), pred))
        grads = tape.gradient(value, weights)
        norm = tf.linalg.global_norm(grads)
        optimizer.apply_gradients(zip(grads, weights))
        return value, norm

    rng = np.random.default_rng(book_seed(seed))
    losses, norms = [], []
    n_batches = len(x) // batch_size
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for b in range(n_batches):
            idx = order[b * batch_size : (b + 1) * batch_size]
            value, norm = step(tf.constant(x[idx]), tf.constant(y[idx]))
            losses.append(float(value))
            norms.append(float(norm))
    return {"loss": np.asarray(losses), "grad_norm": np.asarray(norms)}


def cell_path_decay(forget, lengths=None) -> np.ndarray:
    """What the LSTM's cell path alone predicts for the gradient k steps before the end, k = 0, 1, ...

    By the cell-state Jacobian, k steps before the end the cell path scales unit u by the product of its own
    forget gates over the last k real steps. This returns, for every k, the mean over units of that product,
    then the geometric mean over sequences (as :func:`gradient_norms_by_distance` with ``reduce="geometric"``).
    Averaging the per-unit products, not raising the mean gate to the power k, avoids Jensen's bias.

    ``forget``: ``(batch, time, units)`` forget gates (e.g. from :func:`utils.scratch.lstm_forward` with
    ``return_gates=True``); ``lengths``: real steps per sequence, padding at the end (default: all real).
    """
    forget = np.asarray(forget, dtype=np.float64)
    batch, steps, _ = forget.shape
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    real = np.arange(steps) < lengths[:, None]                     # (batch, time)
    log_f = np.where(real[..., None], np.log(forget), 0.0)         # padded steps: factor 1
    after = np.cumsum(log_f[:, ::-1], axis=1)[:, ::-1] - log_f     # sum of log f over the steps after t
    per_step = np.exp(after).mean(axis=2)                          # mean over units of the product
    distance = lengths[:, None] - 1 - np.arange(steps)             # k of step t: real steps after it
    aligned = np.full((batch, lengths.max()), np.nan)
    rows, cols = np.nonzero(real)
    aligned[rows, distance[rows, cols]] = per_step[rows, cols]
    return np.exp(np.nanmean(np.log(aligned), axis=0))
