"""Import TensorFlow and Keras once, quietly.

TensorFlow's C++ runtime writes start-up lines (oneDNN notices, "could not find
cuda drivers", a failed ``cuInit``) straight to file descriptor 2. Inside a
Jupyter kernel, ipykernel forwards that descriptor into the cell output, so the
lines would end up in the published book. Every module in :mod:`utils` that
needs TensorFlow imports it from here::

    from utils._tf import tf, keras

which (1) sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless you set it yourself, so the
runtime's later info/warning/error chatter is off, and (2) sends descriptor 2 to
``/dev/null`` for the duration of the import only. Python exceptions are not
affected: a broken installation still raises as usual.
"""

from __future__ import annotations

import contextlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Redirect the process-level stderr (fd 2) to /dev/null inside the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _stderr_fd_silenced():
    import keras
    import tensorflow as tf

    # Touch the device list now: this is where TF probes for CUDA and logs
    # "failed call to cuInit" on a machine without a GPU.
    tf.config.list_physical_devices()

__all__ = ["tf", "keras"]
