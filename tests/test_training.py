"""utils.training: the Timer context manager."""

import time

from utils import Timer


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
