"""RNN / LSTM / GRU layers and cells as ONNX's own recurrent operators.

One ONNX node per layer (both directions at once).  Gate blocks are reordered from
PyTorch's layout to ONNX's:

    LSTM  torch (i, f, g, o)  ->  ONNX (i, o, f, c)      blocks [0, 3, 1, 2]
    GRU   torch (r, z, n)     ->  ONNX (z, r, h)         blocks [1, 0, 2]

and GRU uses ``linear_before_reset=1``: torch computes n = tanh(x_n + r * (W_hn h + b_hn)),
applying the reset gate after the recurrent matrix product.  ONNX wants
``W`` (D, G, in), ``R`` (D, G, H), ``B`` (D, 2G) = [b_ih, b_hh] per direction; it returns
``Y`` (T, D, B, H) and ``Y_h`` (D, B, H), which become torch's (T, B, D*H) and the layer's
rows of ``h_n`` (L*D, B, H).  ``lengths`` becomes ``sequence_lens``: padded steps give zero
output and the reverse direction starts at each sequence's own last step, as in minigrad.
"""
from __future__ import annotations

import numpy as np

from .graph import Dim, Graph, Unexportable, static, storage

ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
ONNX_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def to_onnx_gates(w: np.ndarray, mode: str) -> np.ndarray:
    """Rows (or entries) of a torch gate-stacked weight or bias in ONNX's gate order."""
    blocks = np.split(np.asarray(w), len(ORDER[mode]), axis=0)
    return np.concatenate([blocks[i] for i in ORDER[mode]], axis=0)


def _direction_weights(mode: str, weights: list[tuple]) -> tuple[np.ndarray, ...]:
    """W, R and B (or None without bias) stacked over directions, ONNX layout."""
    W = np.stack([to_onnx_gates(w_ih, mode) for w_ih, _, _, _ in weights])
    R = np.stack([to_onnx_gates(w_hh, mode) for _, w_hh, _, _ in weights])
    if weights[0][2] is None:
        return W, R, None
    B = np.stack([np.concatenate([to_onnx_gates(b_ih, mode), to_onnx_gates(b_hh, mode)])
                  for _, _, b_ih, b_hh in weights])
    return W, R, B


def _layer(g: Graph, mode: str, x: str, weights: list[tuple], hidden: int, seq: str,
           h0: str, c0: str, prefix: str) -> tuple[str, str, str | None]:
    """One ONNX recurrent node over ``x`` (T, B, in).  Returns (Y (T, D, B, H), Y_h, Y_c)."""
    W, R, B = _direction_weights(mode, weights)
    D = len(weights)
    attrs: dict = {"hidden_size": hidden,
                   "direction": "bidirectional" if D == 2 else "forward"}
    if mode == "GRU":
        attrs["linear_before_reset"] = 1
    if mode == "RNN_RELU":
        attrs["activations"] = ["Relu"] * D
    inputs = [x, g.const(W, f"{prefix}.W"), g.const(R, f"{prefix}.R"),
              "" if B is None else g.const(B, f"{prefix}.B"), seq, h0]
    if mode == "LSTM":
        inputs.append(c0)
    outs = g.add(ONNX_OP[mode], inputs, n_out=3 if mode == "LSTM" else 2, **attrs)
    return outs[0], outs[1], outs[2] if mode == "LSTM" else None


def _arr(t) -> np.ndarray | None:
    return None if t is None else np.asarray(storage(t))


def layer_weights(m, layer: int, direction: int) -> tuple:
    """(W_ih, W_hh, b_ih, b_hh) of one layer and direction, by their torch names."""
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if m.bias else ())
    ws = [_arr(getattr(m, n + sfx)) for n in names]
    return tuple(ws) if m.bias else (ws[0], ws[1], None, None)


def mode_name(mode) -> str:
    """``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``: the name of nn's ``Mode``
    (an IntEnum, read by duck typing so that ``nn`` is not imported)."""
    return getattr(mode, "name", mode)


def recurrent(g: Graph, m, args: list) -> list[tuple[str, tuple[Dim, ...]]]:
    """``nn.RNN/LSTM/GRU``: forward(input, hx=None, lengths=None)."""
    input, hx, lengths = (list(args) + [None, None])[:3]
    mode, L, H = mode_name(m.mode), m.num_layers, m.hidden_size
    D = 2 if m.bidirectional else 1
    batched = input.ndim == 3
    x, dims = g.value(input), g.dims(input)
    if not batched:
        x, dims = g.add("Unsqueeze", [x, g.ints([1])]), (dims[0], (), dims[1])
    elif m.batch_first:
        x, dims = g.add("Transpose", [x], perm=[1, 0, 2]), (dims[1], dims[0], dims[2])
    T, Bd = dims[0], dims[1]

    def state(s):
        if s is None:
            return ""
        v = g.value(s, input.dtype)
        return v if batched else g.add("Unsqueeze", [v, g.ints([1])])

    is_lstm = mode == "LSTM"
    h0 = state(hx[0] if is_lstm and hx is not None else hx)
    c0 = state(hx[1] if is_lstm and hx is not None else None)
    seq = "" if lengths is None else g.value(lengths, np.int32)
    if seq and np.ndim(lengths) == 0:  # one unbatched sequence
        seq = g.add("Reshape", [seq, g.ints([1])])

    def rows(s: str, layer: int) -> str:
        if not s or L == 1:
            return s
        return g.add("Slice", [s, g.ints([layer * D]), g.ints([(layer + 1) * D]),
                               g.ints([0])])

    hs, cs = [], []
    for layer in range(L):
        weights = [layer_weights(m, layer, d) for d in range(D)]
        Y, Y_h, Y_c = _layer(g, mode, x, weights, H, seq, rows(h0, layer), rows(c0, layer),
                             f"{g.scope}.l{layer}" if g.scope else f"l{layer}")
        if D == 1:
            x = g.add("Squeeze", [Y, g.ints([1])])
        else:
            x = g.add("Reshape", [g.add("Transpose", [Y], perm=[0, 2, 1, 3]),
                                  g.ints([0, 0, -1])])
        hs.append(Y_h)
        cs.append(Y_c)
    out_dims = (T, Bd, static(D * H))
    state_dims = (static(L * D), Bd, static(H))

    def stacked(parts):
        return parts[0] if L == 1 else g.add("Concat", parts, axis=0)

    out, h_n = x, stacked(hs)
    c_n = stacked(cs) if is_lstm else None
    if not batched:
        out, h_n = (g.add("Squeeze", [v, g.ints([1])]) for v in (out, h_n))
        c_n = g.add("Squeeze", [c_n, g.ints([1])]) if is_lstm else None
        out_dims, state_dims = (T, out_dims[2]), (state_dims[0], state_dims[2])
    elif m.batch_first:
        out, out_dims = g.add("Transpose", [out], perm=[1, 0, 2]), (Bd, T, out_dims[2])
    res = [(out, out_dims), (h_n, state_dims)]
    return res + [(c_n, state_dims)] if is_lstm else res


def cell(g: Graph, m, args: list) -> list[tuple[str, tuple[Dim, ...]]]:
    """``nn.RNNCell/LSTMCell/GRUCell``: one step, as a length-1 sequence of the layer op."""
    x, hx = (list(args) + [None])[:2]
    mode, H = mode_name(m.mode), m.hidden_size
    batched = x.ndim == 2
    lead = [0] if batched else [0, 1]  # (B, F) -> (1, B, F); (F,) -> (1, 1, F)
    dims = g.dims(x)
    Bd = dims[0] if batched else ()
    is_lstm = mode == "LSTM"

    def state(s):
        return "" if s is None else g.add("Unsqueeze", [g.value(s, x.dtype), g.ints(lead)])

    h0 = state(hx[0] if is_lstm and hx is not None else hx)
    c0 = state(hx[1] if is_lstm and hx is not None else None)
    weights = [(_arr(m.weight_ih), _arr(m.weight_hh), _arr(m.bias_ih), _arr(m.bias_hh))]
    seq_in = g.add("Unsqueeze", [g.value(x), g.ints(lead)])
    _, Y_h, Y_c = _layer(g, mode, seq_in, weights, H, "", h0, c0, g.scope or "cell")
    out_dims = (Bd, static(H)) if batched else (static(H),)
    h = (g.add("Squeeze", [Y_h, g.ints(lead)]), out_dims)
    if not is_lstm:
        return [h]
    return [h, (g.add("Squeeze", [Y_c, g.ints(lead)]), out_dims)]


#: the values of ``nn.kernels.recurrent.Mode`` (an int in the fused op's parameters)
MODE_NAMES = {0: "RNN_TANH", 1: "RNN_RELU", 2: "LSTM", 3: "GRU"}


def fused_recurrence(g: Graph, op) -> list[tuple[str, tuple[Dim, ...]]]:
    """``nn.fused_rnn.FusedRecurrence`` applied in a traced forward (a recurrent layer whose
    ``forward`` is overridden, or the op called directly): (out, h_n, c_n) of one
    layer-direction over the projected input ``xp`` (T, B, G) = x W_ih^T + b_ih.

    ONNX's op projects its input itself, so it gets ``W`` = the identity with its rows in
    ONNX's gate order and ``B`` = [0, b_hh]; the mask (T, B) becomes ``sequence_lens``."""
    xp, h0, c0, w_hh, b_hh = op.args
    mode = MODE_NAMES[int(op.params["mode"])]
    mask = np.asarray(op.params["mask"]).astype(bool)
    T, B, G = xp.shape
    H = w_hh.shape[1]
    lens = mask.sum(0)
    if not np.array_equal(mask, np.arange(T)[:, None] < lens[None, :]):
        raise Unexportable("a recurrence mask that is not a prefix of each sequence")
    W = to_onnx_gates(np.eye(G, dtype=xp.dtype), mode)[None]
    R = to_onnx_gates(np.asarray(storage(w_hh)), mode)[None]
    if g.is_live(w_hh) or g.is_live(b_hh):
        raise Unexportable("recurrent weights computed from the inputs")
    bias = np.concatenate([np.zeros(G, xp.dtype), to_onnx_gates(np.asarray(storage(b_hh)),
                                                                 mode)])[None]
    attrs: dict = {"hidden_size": H, "direction": "reverse" if op.params["reverse"]
                   else "forward"}
    if mode == "GRU":
        attrs["linear_before_reset"] = 1
    if mode == "RNN_RELU":
        attrs["activations"] = ["Relu"]
    lead = g.ints([0])
    inputs = [g.value(xp), g.const(W), g.const(R), g.const(bias),
              "" if mask.all() else g.const(lens.astype(np.int32)),
              g.add("Unsqueeze", [g.value(h0, xp.dtype), lead])]
    if mode == "LSTM":
        inputs.append(g.add("Unsqueeze", [g.value(c0, xp.dtype), lead]))
    outs = g.add(ONNX_OP[mode], inputs, n_out=3 if mode == "LSTM" else 2, **attrs)
    dims = g.dims(xp)
    state_dims = (dims[1], static(H))
    res = [(g.add("Squeeze", [outs[0], g.ints([1])]), (dims[0], dims[1], static(H))),
           (g.add("Squeeze", [outs[1], lead]), state_dims)]
    c_n = g.add("Squeeze", [outs[2], lead]) if mode == "LSTM" else g.value(c0, xp.dtype)
    return res + [(c_n, state_dims)]
