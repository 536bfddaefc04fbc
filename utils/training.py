"""Small Keras training helpers shared by the chapters."""

from __future__ import annotations

import time

from utils._tf import keras

__all__ = ["EpochLogger", "Timer"]


class EpochLogger(keras.callbacks.Callback):
    """Print one compact line per epoch and remember how long each epoch took.

    Use with ``model.fit(..., verbose=0, callbacks=[EpochLogger()])`` so the
    page shows ``epoch 2/4 · 51 s · loss 0.312 · accuracy 0.871 · val_...``
    instead of progress bars. ``epoch_seconds`` holds the wall-clock time of
    every epoch (training plus validation).
    """

    def __init__(self, every: int = 1, quiet: bool = False):
        super().__init__()
        self.every, self.quiet = max(1, int(every)), quiet
        self.epoch_seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.epoch_seconds.append(seconds)
        if self.quiet or (epoch + 1) % self.every and epoch + 1 != self.params.get("epochs"):
            return
        total = self.params.get("epochs", "?")
        metrics = " · ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items() if k != "learning_rate")
        print(f"epoch {epoch + 1}/{total} · {seconds:.0f} s · {metrics}", flush=True)


class Timer:
    """Context manager that measures wall-clock seconds: ``with Timer() as t: ...; t.seconds``."""

    def __enter__(self):
        self.seconds = 0.0
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False
