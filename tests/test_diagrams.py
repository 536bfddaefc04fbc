"""Smoke tests of utils.diagrams: the drawings build, say what they should, and refuse bad arguments."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from utils.diagrams import draw_lstm_cell, draw_unrolled


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


def test_lstm_cell_shows_the_cell_path_gates_and_outputs(tmp_path):
    fig, ax = plt.subplots()
    assert draw_lstm_cell(ax=ax) is fig  # draws into the given axes
    words = [t.get_text() for t in ax.texts]
    for expected in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$x_t$", "$f_t$", "$i_t$", "$g_t$", "$o_t$",
                     r"$f_t \odot c_{t-1}$", r"$i_t \odot g_t$", r"$\tanh(c_t)$", r"$o_t \odot \tanh(c_t)$"):
        assert expected in words, f"{expected!r} missing from {words}"
    assert words.count("$h_t$") == 2  # to the right and upwards
    assert words.count(r"$\sigma$") == 3 and words.count(r"$\tanh$") == 2  # three gates; candidate and tanh(c_t)
    assert words.count(r"$\times$") == 3 and words.count("$+$") == 1
    assert any("own weights" in w for w in words)
    fig.savefig(tmp_path / "lstm_cell.png")  # renders (mathtext included), into a temporary file only
    assert (tmp_path / "lstm_cell.png").stat().st_size > 1000


def test_lstm_cell_path_is_one_straight_line_left_to_right():
    fig = draw_lstm_cell(weights_note=False)
    ax = fig.axes[0]
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    (x_in, y_in), (x_out, y_out) = texts["$c_{t-1}$"], texts["$c_t$"]
    assert y_in == y_out and x_in < x_out  # c_{t-1} -> c_t: one height, left to right
    on_path = [t.get_text() for t in ax.texts if t.get_position()[1] == y_in]
    assert sorted(on_path) == sorted(["$c_{t-1}$", "$c_t$", r"$\times$", "$+$"])  # only f_t * and + touch it
    assert texts["$x_t$"][1] == min(y for _, y in texts.values())  # x_t enters at the bottom
    assert not any("own weights" in t.get_text() for t in ax.texts)
