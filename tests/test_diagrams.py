"""Smoke tests of utils.diagrams: the drawings build, say what they should, and refuse bad arguments."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from utils.diagrams import draw_unrolled  # noqa: E402


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_rnn_diagram_has_folded_and_unrolled_views_and_readout(tmp_path):
    fig = draw_unrolled()
    words = texts(fig)
    for expected in ("$x_t$", "$h_0$", "$x_{1}$", "$x_{2}$", "$x_{T}$", "$h_{1}$", "$h_{T-1}$", r"$\hat y$", "="):
        assert expected in words, f"{expected!r} missing from {words}"
    assert sum(w == r"$\tanh$" for w in words) == 1 + 3  # folded cell + cells 1, 2 and T
    assert any("at every step" in w for w in words)
    fig.savefig(tmp_path / "rnn.png")  # renders (mathtext included)
    assert (tmp_path / "rnn.png").stat().st_size > 1000


def test_lstm_style_diagram_with_two_states_and_no_readout(tmp_path):
    fig = draw_unrolled(3, states=("c", "h"), cell_label="LSTM", readout=None, folded=False,
                        param_label=r"$W_{x*}, W_{h*}, b_*$")
    words = texts(fig)
    for expected in ("$c_0$", "$h_0$", "$c_{3}$", "$h_{3}$", "$x_{3}$"):
        assert expected in words
    assert "=" not in words and r"$\hat y$" not in words
    assert sum(w == "LSTM" for w in words) == 3
    fig.savefig(tmp_path / "lstm.png")


def test_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    assert draw_unrolled(1, ax=ax) is fig


@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"steps": 2.5}, {"steps": True}, {"states": ()}, {"states": "h"}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        draw_unrolled(**kwargs)
