"""utils.notebook (setup, glue), utils.text, utils.training and utils.plotting."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import utils  # noqa: E402
from utils import (  # noqa: E402
    EpochLogger,
    config,  # noqa: E402
    keras,
    make_vectorizer,
    plot_history,
    setup,
    standardize,
    tf,
)


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


def test_standardize_cleans_markup_and_punctuation():
    out = standardize(tf.constant(["Great!<br /><br />I DON'T<br/>like it...", "A<br>B"])).numpy()
    assert out[0].decode().split() == ["great", "i", "don't", "like", "it"]
    assert out[1].decode().split() == ["a", "b"]


def test_vectorizer_int_and_multi_hot():
    vec = make_vectorizer(10, sequence_length=4)
    vec.adapt(["good good film", "bad film"])
    ids = vec(["good bad unknownword"]).numpy()[0]
    vocab = vec.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"]
    assert [vocab[i] for i in ids[:3]] == ["good", "bad", "[UNK]"] and ids[3] == 0
    bag = make_vectorizer(10, output_mode="multi_hot", ngrams=2)
    bag.adapt(["good film", "bad film"])
    assert "good film" in bag.get_vocabulary()


def test_epoch_logger_prints_one_line_per_epoch(capsys):
    setup(seed=0, verbose=False)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    logger = EpochLogger()
    model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[logger])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 3 and lines[-1].startswith("epoch 3/3")
    assert len(logger.epoch_seconds) == 3 and all(s > 0 for s in logger.epoch_seconds)


def test_plot_history_draws_train_and_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    fig = plot_history(history)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    with pytest.raises(ValueError):
        plot_history({"auc": [0.5]}, metrics=("loss",))


def test_plot_word_heatmap_words_and_colour_bar_axes():
    import matplotlib.pyplot as plt

    from utils import plot_word_heatmap

    values = np.linspace(-1, 1, 12).reshape(3, 4)
    fig = plot_word_heatmap(values, ["a", "b", "c", "d"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c", "d"]
    fig, (ax, cax) = plt.subplots(1, 2)
    plot_word_heatmap(values, list("abcd"), ax=ax, cbar_ax=cax)
    assert len(fig.axes) == 2  # the colour bar went into cax, no third axes
    with pytest.raises(ValueError):
        plot_word_heatmap(values, ["a", "b"])
    plt.close("all")


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
    from utils import config

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


def test_the_build_seed_is_the_environment_s_even_after_setup_chose_another(monkeypatch):
    # the execution cache is keyed on the seed a build runs with, not on one a notebook passed to setup()
    monkeypatch.setenv("BOOK_SEED", "7")
    config.use_seed(123)
    assert config.book_seed() == 123
    assert config.environment_seed() == 7
    monkeypatch.delenv("BOOK_SEED")
    assert config.environment_seed() == config.DEFAULT_SEED
