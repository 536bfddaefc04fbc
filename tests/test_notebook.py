"""utils.notebook: ``setup()`` (seeds, quick mode) and the glue helpers; and the package a notebook imports.

The first tests check ``import utils`` itself (``utils/__init__.py``, ``utils/_tf.py``): cheap, without side
effects, TensorFlow imported quietly.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import utils
from utils import config, keras, setup, tf


def test_import_utils_is_cheap_and_has_no_side_effects():
    code = "import sys, utils; assert 'tensorflow' not in sys.modules, 'import utils pulled in TensorFlow'; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_tensorflow_import_through_utils_is_silent():
    code = "from utils import tf, keras; import numpy as np; keras.layers.LSTM(2)(np.ones((1, 3, 2), 'float32'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "", f"TensorFlow wrote to stderr: {out.stderr[:500]}"


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError):
        utils.no_such_thing  # noqa: B018


def test_setup_makes_runs_reproducible(monkeypatch, capsys):
    monkeypatch.delenv("BOOK_QUICK", raising=False)

    def draw():
        setup(seed=7)
        layer = keras.layers.Dense(3)
        return np.random.rand(2), layer(np.ones((1, 4), "float32")).numpy(), tf.random.uniform((2,)).numpy()

    first, second = draw(), draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert "full mode" in capsys.readouterr().out


def test_setup_reports_quick_mode(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_QUICK", "1")
    mode = setup(seed=1)
    assert mode.quick and mode.pick(full=10, quick=1) == 1
    assert "QUICK MODE" in capsys.readouterr().out
    assert setup(seed=1, quick=False, verbose=False).pick(full=10, quick=1) == 10


def test_glue_stores_numpy_scalars_as_plain_numbers(monkeypatch):
    import myst_nb

    from utils import glue

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: seen.update({name: value}))
    glue("x", np.float64(0.5))
    glue("n", np.int64(3))
    assert type(seen["x"]) is float and type(seen["n"]) is int


def test_glue_without_myst_nb_prints_the_value(monkeypatch, capsys):
    import builtins

    from utils import glue, glue_markdown

    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError("no myst-nb here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    assert glue("n_reviews", np.int64(25000)) is None
    glue("share", 0.91234)
    glue_markdown("verdict", "**adopted**")
    assert capsys.readouterr().out.splitlines() == ["n_reviews: 25,000", "share: 0.9123", "verdict: **adopted**"]


def test_setup_follows_book_seed(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_SEED", "7")
    try:
        assert setup(verbose=True).seed == 7 and config.book_seed() == 7
        assert "seed 7" in capsys.readouterr().out
        assert setup(seed=3, verbose=False).seed == 3 and config.book_seed() == 3  # an explicit seed wins
        monkeypatch.setenv("BOOK_SEED", "seven")
        config.use_seed(None)
        with pytest.raises(ValueError, match="BOOK_SEED"):
            setup(verbose=False)
    finally:
        config.use_seed(None)


def test_run_conditions_name_the_mode_and_the_cores(monkeypatch):
    from utils.notebook import BookMode

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert BookMode(seed=1, quick=False).conditions() == "full mode, 2 CPU cores"
    assert BookMode(seed=1, quick=True).conditions() == "quick mode, 2 CPU cores"
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["gpu:0"] if kind == "GPU" else [])
    assert BookMode(seed=1, quick=False).conditions() == "full mode, 2 CPU cores and 1 GPU"
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert BookMode(seed=1, quick=False).conditions() == "full mode, 1 CPU core and 1 GPU"


def test_spoken_list_joins_items_as_prose():
    assert utils.spoken_list([1, 8, 64]) == "1, 8 and 64"
    assert utils.spoken_list(["a", "b"]) == "a and b"
    assert utils.spoken_list(("only one",)) == "only one"
    with pytest.raises(ValueError, match="at least one"):
        utils.spoken_list([])


def test_glue_paired_glues_the_difference_its_interval_and_the_verdict(monkeypatch):
    import myst_nb

    from utils import glue_paired, mcnemar, paired_difference

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: seen.update({name: value}))
    a = np.array([True] * 60 + [False] * 40)
    b = np.array([True] * 40 + [False] * 60)  # a is right on 20 reviews where b is wrong, never the reverse
    d = paired_difference(a, b)
    glue_paired("a_minus_b_val", d, mcnemar(a, b), "the first", "the second")
    assert seen["a_minus_b_val"] == pytest.approx(0.2)
    assert (seen["a_minus_b_val_low"], seen["a_minus_b_val_high"]) == (d.low, d.high)
    assert seen["a_vs_b_val"].data.startswith("the first is ahead of the second, significantly")
    with pytest.raises(ValueError, match="_minus_"):
        glue_paired("a_b_val", d, mcnemar(a, b), "the first", "the second")


def test_peak_memory_rises_when_the_process_touches_more_memory():
    from utils.notebook import BookMode

    before = BookMode.peak_memory_gb()
    assert before is not None and 0.01 < before < 100  # GB: a unit slip of 1024 either way fails here
    block = np.ones(int((before + 0.3) * 1e9) // 8)  # more than the peak so far, every page touched
    after = BookMode.peak_memory_gb()
    assert after >= block.nbytes / 1e9 > before + 0.25
    del block
