"""utils.training: the compact epoch logger and the Timer context manager."""

import time

import numpy as np

from utils import EpochLogger, Timer, keras, setup


def test_epoch_logger_prints_one_line_per_epoch(capsys):
    setup(seed=0, verbose=False)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    logger = EpochLogger()
    model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[logger])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 3 and lines[-1].startswith("epoch 3/3")
    assert len(logger.epoch_seconds) == 3 and all(s > 0 for s in logger.epoch_seconds)


def test_timer_measures_the_block_and_keeps_the_result_after_an_error():
    with Timer() as t:
        time.sleep(0.05)
    assert 0.04 < t.seconds < 1.0
    try:
        with Timer() as failed:
            time.sleep(0.02)
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert failed.seconds >= 0.015
