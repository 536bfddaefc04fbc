"""Helpers of the from-scratch tests (``test_scratch.py``).

They check the NumPy RNN and LSTM of :mod:`utils.scratch` against their Keras
counterparts with the same weights; these functions build the cases for both
layers. (Imported as ``from _helpers import ...``: pytest puts ``tests/`` on
``sys.path``.)
"""

from __future__ import annotations

import numpy as np

from utils.checks import keras_twin, max_abs_diff  # noqa: F401  (the one implementation, shared with the chapters)

TOL = 1e-5
"""Largest difference allowed between NumPy and Keras (float32 round-off is ~1e-7 here)."""


def random_case(params_class, batch, time, input_dim, units, seed=0):
    """Random weights (``params_class.init``) and float32 inputs ``(batch, time, input_dim)`` from one seed."""
    rng = np.random.default_rng(seed)
    p = params_class.init(input_dim, units, rng)
    x = rng.normal(size=(batch, time, input_dim)).astype(np.float32)
    return p, x


def mixed_padding_mask(batch, time):
    """Row 0 full; row 1 trailing padding; row 2 leading padding; row 3 all padding; then alternating holes."""
    mask = np.ones((batch, time), dtype=bool)
    if batch > 1 and time > 1:
        mask[1, time // 2 :] = False
    if batch > 2 and time > 1:
        mask[2, : time // 3 + 1] = False
    if batch > 3:
        mask[3, :] = False
    for b in range(4, batch):
        mask[b, b % 2 :: 2] = False
    return mask
