"""Diagrams drawn with matplotlib (no image files, nothing fetched from the web).

:func:`draw_unrolled` draws a recurrent layer twice: *folded* (one cell with a
loop: the state it writes is read again at the next step) and *unrolled* over
time (one copy of the same cell per step, a chain of states from ``h_0`` to
``h_T``, and an optional read-out at the end). Chapter 2 draws the tanh RNN
with it; the same function draws an LSTM by passing two states::

    draw_unrolled(states=("c", "h"), cell_label="LSTM", param_label=r"$W_{x*}, W_{h*}, b_*$")

:func:`draw_lstm_cell` opens one LSTM step (chapter 4): the cell state runs
straight through the top, touched only by the forget gate's product and the
gated write; the four small layers (three sigmoid gates and the tanh candidate)
read ``x_t`` and ``h_{t-1}`` at the bottom; ``h_t = o_t * tanh(c_t)`` leaves
to the right and upwards.

The drawings are schematic: they show which quantity feeds which, not numbers.
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["draw_unrolled", "draw_lstm_cell"]

_BOX_W, _BOX_H = 1.0, 0.9  # size of one cell
_GAP = 1.05  # horizontal space between two cells (where the state arrow runs)
_CELL_COLOR = "#dbe9f6"
_READOUT_COLOR = "#fde2c8"


def _arrow(ax, start, end, *, label=None, label_offset=(0.0, 0.12), rad=0.0, color="0.15", fontsize=9):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, lw=1.2, color=color,
                        connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0)
    )
    if label:
        x = (start[0] + end[0]) / 2 + label_offset[0]
        y = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(x, y, label, ha="center", va="bottom", fontsize=fontsize, color=color)


def _box(ax, center, label, *, color=_CELL_COLOR, width=_BOX_W, height=_BOX_H, fontsize=11):
    cx, cy = center
    ax.add_patch(
        FancyBboxPatch((cx - width / 2, cy - height / 2), width, height, boxstyle="round,pad=0.02,rounding_size=0.12",
                       facecolor=color, edgecolor="0.2", lw=1.2)
    )
    ax.text(cx, cy, label, ha="center", va="center", fontsize=fontsize)


def _lane_heights(n_states: int) -> list[float]:
    """Vertical positions (inside a cell) where the state arrows enter and leave, top first."""
    if n_states == 1:
        return [0.0]
    span = 0.55 * _BOX_H
    return [span / 2 - k * span / (n_states - 1) for k in range(n_states)]


def draw_unrolled(
    steps: int = 4,
    *,
    states: tuple[str, ...] = ("h",),
    input_name: str = "x",
    cell_label: str = r"$\tanh$",
    input_weight: str | None = r"$W_{xh}$",
    state_weight: str | None = r"$W_{hh}$",
    param_label: str | None = r"$W_{xh},\ W_{hh},\ b_h$",
    readout: str | None = r"$\sigma(w^\top h_T + b)$",
    output_name: str = r"\hat y",
    folded: bool = True,
    ax=None,
):
    """Draw a recurrent layer folded (optional) and unrolled over ``steps`` time steps.

    Parameters
    ----------
    steps:
        Number of cells drawn in the unrolled chain (at least 1). With 4 or
        more, the chain shows steps 1, 2, 3, ..., T: a "⋯" stands for the steps
        in between and the last cell is step ``T``.
    states:
        Names of the states passed from step to step, top lane first:
        ``("h",)`` for the RNN, ``("c", "h")`` for the LSTM. The last one is
        the state the read-out uses.
    input_name, cell_label:
        Symbol of the per-step input (``x`` gives ``x_1, x_2, ...``) and the text
        written in every cell (any matplotlib mathtext).
    input_weight, state_weight:
        Labels written on the input arrows and on the state arrows, or ``None``.
    param_label:
        The shared parameters, written once under the chain ("the same ... at every
        step"), or ``None`` to leave it out.
    readout, output_name:
        The read-out applied to the final state (a box after step ``T``), and the
        symbol of its output; ``readout=None`` draws no read-out.
    folded:
        Also draw the folded view (one cell with a loop) on the left.
    ax:
        A matplotlib Axes to draw into; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive whole number of cells to draw, got {steps!r}")
    if isinstance(states, str) or not states or not all(isinstance(s, str) and s for s in states):
        raise ValueError(f"states must be a non-empty tuple of names such as ('h',) or ('c', 'h'), got {states!r}")
    lanes = _lane_heights(len(states))
    last = states[-1]

    # Time indices drawn: 1..steps, or 1, 2, ..., T with an ellipsis when steps >= 4.
    if steps >= 4:
        labels = [str(k) for k in range(1, steps - 1)] + [None, "T"]
    else:
        labels = [str(k) for k in range(1, steps + 1)]

    x0 = 0.0
    width_folded = 3.1 if folded else 0.0
    total_w = width_folded + 0.9 + len(labels) * (_BOX_W + _GAP) + (2.9 if readout else 0.6)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12.0, 0.78 * total_w + 0.6), 3.0))
    ax.set_axis_off()
    ax.set_aspect("equal")
    y_in = -1.35  # where the input labels sit

    # ---------------------------------------------------------------- folded view
    if folded:
        cx = x0 + 0.9
        _box(ax, (cx, 0.0), cell_label)
        _arrow(ax, (cx, y_in + 0.22), (cx, -_BOX_H / 2), label=input_weight, label_offset=(0.32, -0.12))
        ax.text(cx, y_in, f"${input_name}_t$", ha="center", va="top", fontsize=11)
        for j, lane in enumerate(lanes):
            # Loop: leaves on the right, goes over the cell, comes back in on the left (one step later).
            out_x, in_x = cx + _BOX_W / 2 + 0.25 + 0.12 * j, cx - _BOX_W / 2 - 0.25 - 0.12 * j
            top = _BOX_H / 2 + 0.25 + 0.15 * j
            ax.plot([cx + _BOX_W / 2, out_x, out_x, in_x, in_x], [lane, lane, top, top, lane], color="0.15", lw=1.2)
            _arrow(ax, (in_x, lane), (cx - _BOX_W / 2, lane))
            if j == len(lanes) - 1 and state_weight:
                ax.text(in_x - 0.06, (lane + top) / 2, state_weight, ha="right", va="center", fontsize=9)
        ax.text(cx, _BOX_H / 2 + 0.3 + 0.15 * (len(lanes) - 1), ", ".join(f"${s}_{{t-1}}$" for s in states),
                ha="center", va="bottom", fontsize=10)
        ax.text(x0 + width_folded - 0.35, 0.0, "=", ha="center", va="center", fontsize=20)
        x0 += width_folded

    # ---------------------------------------------------------------- unrolled chain
    for name, lane in zip(states, lanes):
        ax.text(x0 + 0.05, lane, f"${name}_0$", ha="left", va="center", fontsize=11)
    x = x0 + 0.6  # right edge of the previous element
    centers = []
    for k, t in enumerate(labels):
        cx = x + _GAP + _BOX_W / 2
        if t is None:  # the elided steps
            ax.text(cx, 0.0, r"$\cdots$", ha="center", va="center", fontsize=18)
            ax.text(cx, y_in, r"$\cdots$", ha="center", va="top", fontsize=12)
        else:
            _box(ax, (cx, 0.0), cell_label)
            _arrow(ax, (cx, y_in + 0.22), (cx, -_BOX_H / 2), label=input_weight if k == 0 else None,
                   label_offset=(0.3, -0.12))
            ax.text(cx, y_in, f"${input_name}_{{{t}}}$", ha="center", va="top", fontsize=11)
            centers.append(cx)
        prev_t = "0" if k == 0 else labels[k - 1]
        if prev_t is None:  # the arrow that leaves the elided steps carries the state of step T-1
            prev_t = "T-1"
        for name, lane in zip(states, lanes):
            start = (x + 0.05 if k == 0 else x, lane)
            end = (cx - (_BOX_W / 2 if t is not None else 0.35), lane)
            label = f"${name}_{{{prev_t}}}$" if k > 0 else None
            _arrow(ax, start, end, label=label, label_offset=(0.0, 0.03))
            if k == 1 and name == last and state_weight:
                ax.text((start[0] + end[0]) / 2, lane - 0.06, state_weight, ha="center", va="top", fontsize=9)
        x = cx + (_BOX_W / 2 if t is not None else 0.35)

    # Shared parameters, written once under the chain.
    if param_label:
        left, right = centers[0] - _BOX_W / 2, centers[-1] + _BOX_W / 2
        ax.plot([left, left, right, right], [-1.95, -2.05, -2.05, -1.95], color="0.4", lw=1)
        ax.text((left + right) / 2, -2.15, f"the same {param_label} at every step", ha="center", va="top",
                fontsize=9.5, color="0.25")

    # ---------------------------------------------------------------- read-out
    last_lane = lanes[-1]
    if readout:
        rx = x + 1.55
        _arrow(ax, (x, last_lane), (rx - 0.75, last_lane), label=f"${last}_{{{labels[-1]}}}$",
               label_offset=(0.0, 0.04))
        _box(ax, (rx, last_lane), readout, color=_READOUT_COLOR, width=1.5, height=0.75, fontsize=9)
        _arrow(ax, (rx, last_lane + 0.375), (rx, 1.25))
        ax.text(rx, 1.3, f"${output_name}$", ha="center", va="bottom", fontsize=12)
        right_edge = rx + 0.9
    else:
        for name, lane in zip(states, lanes):
            _arrow(ax, (x, lane), (x + 0.5, lane))
            ax.text(x + 0.55, lane, f"${name}_{{{labels[-1]}}}$", ha="left", va="center", fontsize=11)
        right_edge = x + 1.1
    ax.set_xlim(-0.1, right_edge)
    ax.set_ylim(-2.6, 1.75)
    return ax.figure


# --------------------------------------------------------------------------- one LSTM step

_GATE_COLOR = "#fde2c8"  # the four small layers (each with its own weights)
_OP_RADIUS = 0.28  # the element-wise operations: circles


def _node(ax, center, label, *, radius=_OP_RADIUS, fontsize=12):
    """An element-wise operation: a white circle with its symbol."""
    ax.add_patch(Circle(center, radius, facecolor="white", edgecolor="0.2", lw=1.2, zorder=3))
    ax.text(*center, label, ha="center", va="center", fontsize=fontsize, zorder=4)


def _line(ax, xs, ys, color="0.15"):
    ax.plot(xs, ys, color=color, lw=1.2, solid_capstyle="butt", zorder=1)


def draw_lstm_cell(*, ax=None, weights_note: bool = True):
    """Draw one LSTM step: ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t`` and ``h_t = o_t ⊙ tanh(c_t)``.

    The cell state enters on the left (``c_{t-1}``) and runs straight through
    the top of the cell to ``c_t`` on the right; on the way it is multiplied by
    the forget gate ``f_t`` and the gated candidate ``i_t ⊙ g_t`` is added to
    it, nothing else. Below it, ``x_t`` (from below) and ``h_{t-1}`` (from the
    left) feed four small layers: the gates ``f_t``, ``i_t``, ``o_t`` (sigmoids)
    and the candidate ``g_t`` (tanh). The new hidden state
    ``h_t = o_t ⊙ tanh(c_t)`` leaves to the right (to the next step) and
    upwards (to the next layer or the read-out). Every flow runs left to right
    or bottom to top.

    Parameters
    ----------
    ax:
        A matplotlib Axes to draw into; a new figure is made when ``None``.
    weights_note:
        Write under the cell that every shaded box (the three σ gates and
        the tanh candidate) is a layer with its own ``W_x·, W_h·, b_·``; the
        white tanh box, applied to ``c_t``, has no weights.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.6, 4.6))
    ax.set_axis_off()
    ax.set_aspect("equal")
    r = _OP_RADIUS
    c_y, bus_y, gate_y = 5.45, 1.0, 2.3  # heights: the cell-state path, the input bus, the gate boxes
    gate_w, gate_h = 0.95, 0.62
    x_f, x_i, x_g, x_o, x_out = 1.9, 3.55, 4.85, 6.45, 8.15  # columns
    up_x = 10.95  # where h_t turns upwards (right of the end of the c_t arrow)

    # The cell itself.
    ax.add_patch(FancyBboxPatch((0.0, 0.0), 9.9, 6.3, boxstyle="round,pad=0.02,rounding_size=0.3",
                                facecolor=_CELL_COLOR, edgecolor="0.2", lw=1.2, zorder=0))

    # ---------------------------------------------------------------- the cell-state path (top)
    _line(ax, [-1.0, x_f - r], [c_y, c_y])
    _node(ax, (x_f, c_y), r"$\times$")
    _line(ax, [x_f + r, x_g - r], [c_y, c_y])
    _node(ax, (x_g, c_y), "$+$")
    _arrow(ax, (x_g + r, c_y), (10.45, c_y))
    ax.text(-1.05, c_y, "$c_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(10.5, c_y, "$c_t$", ha="left", va="center", fontsize=12)
    ax.text((x_f + x_g) / 2, c_y + 0.12, r"$f_t \odot c_{t-1}$", ha="center", va="bottom", fontsize=9.5)
    ax.text(0.25, 6.05, "cell state", ha="left", va="center", fontsize=8.5, color="0.35", style="italic")

    # ---------------------------------------------------------------- inputs: h_{t-1} from the left, x_t from below
    x_join = 0.85
    _arrow(ax, (-1.0, bus_y), (x_join, bus_y))
    ax.text(-1.05, bus_y, "$h_{t-1}$", ha="right", va="center", fontsize=12)
    _arrow(ax, (x_join, -1.0), (x_join, bus_y))
    ax.text(x_join, -1.05, "$x_t$", ha="center", va="top", fontsize=12)
    ax.plot([x_join], [bus_y], "o", color="0.15", ms=4, zorder=2)
    _line(ax, [x_join, x_o], [bus_y, bus_y])

    # ---------------------------------------------------------------- the four layers
    for x, symbol in ((x_f, r"$\sigma$"), (x_i, r"$\sigma$"), (x_g, r"$\tanh$"), (x_o, r"$\sigma$")):
        _arrow(ax, (x, bus_y), (x, gate_y - gate_h / 2))
        _box(ax, (x, gate_y), symbol, color=_GATE_COLOR, width=gate_w, height=gate_h,
             fontsize=11 if symbol == r"$\sigma$" else 10)
    top = gate_y + gate_h / 2
    label = dict(ha="left", va="center", fontsize=11)
    # forget gate: straight up into the product on the cell path
    _arrow(ax, (x_f, top), (x_f, c_y - r))
    ax.text(x_f + 0.12, (top + c_y) / 2, "$f_t$", **label)
    # input gate and candidate: their product is the write
    w_y = 3.7
    _line(ax, [x_i, x_i], [top, w_y])
    _arrow(ax, (x_i, w_y), (x_g - r, w_y))
    ax.text(x_i - 0.12, (top + w_y) / 2, "$i_t$", ha="right", va="center", fontsize=11)
    _arrow(ax, (x_g, top), (x_g, w_y - r))
    ax.text(x_g + 0.12, (top + w_y - r) / 2, "$g_t$", **label)
    _node(ax, (x_g, w_y), r"$\times$")
    _arrow(ax, (x_g, w_y + r), (x_g, c_y - r))
    ax.text(x_g + 0.12, (w_y + c_y) / 2, r"$i_t \odot g_t$", ha="left", va="center", fontsize=9.5)
    # output gate: gates tanh(c_t), read off the cell path after the update
    t_y = 4.1
    _line(ax, [x_out, x_out], [c_y, t_y + 0.3])
    ax.plot([x_out], [c_y], "o", color="0.15", ms=4, zorder=2)
    _box(ax, (x_out, t_y), r"$\tanh$", color="white", width=0.95, height=0.6, fontsize=10)
    _arrow(ax, (x_out, t_y - 0.3), (x_out, gate_y + r))
    ax.text(x_out + 0.12, (t_y - 0.3 + gate_y + r) / 2, r"$\tanh(c_t)$", ha="left", va="center", fontsize=9.5)
    _node(ax, (x_out, gate_y), r"$\times$")
    _arrow(ax, (x_o + gate_w / 2, gate_y), (x_out - r, gate_y))
    ax.text((x_o + gate_w / 2 + x_out - r) / 2, gate_y + 0.1, "$o_t$", ha="center", va="bottom", fontsize=11)

    # ---------------------------------------------------------------- output: h_t to the right and upwards
    _line(ax, [x_out, x_out, up_x], [gate_y - r, bus_y, bus_y])
    _arrow(ax, (up_x, bus_y), (11.75, bus_y))
    ax.text(11.8, bus_y, "$h_t$", ha="left", va="center", fontsize=12)
    ax.plot([up_x], [bus_y], "o", color="0.15", ms=4, zorder=2)
    _arrow(ax, (up_x, bus_y), (up_x, 7.0))
    ax.text(up_x, 7.05, "$h_t$", ha="center", va="bottom", fontsize=12)
    ax.text((x_out + up_x) / 2, bus_y + 0.1, r"$o_t \odot \tanh(c_t)$", ha="center", va="bottom", fontsize=9.5)

    if weights_note:
        ax.text(1.35, -0.6, r"each shaded box is a layer with its own weights: "
                r"$W_{x\cdot}\, x_t + W_{h\cdot}\, h_{t-1} + b_\cdot$",
                ha="left", va="top", fontsize=9, color="0.25")
    ax.set_xlim(-2.0, 12.6)
    ax.set_ylim(-1.6, 7.7)
    return ax.figure
