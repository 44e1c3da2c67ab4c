"""ONNX for whole ``nn`` modules: each supported layer is one small subgraph.

``classify(module)`` finds the translator of a module, or says to trace its ``forward`` op
by op (containers and user modules), or that it is an ``nn`` module with no export.  A
translator takes the graph, the module and the call's arguments in the order of
its ``forward``, and returns ``(value name, dims)`` for each tensor the call returned
(flattened, in order).

``nn`` sits on top of minigrad; this file is the exporter's one dependency on it, and it is
imported only when a model is exported.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import nn
from nn.functional import EmbeddingFn

from ..autograd import TracedOp
from .graph import Dim, Graph, static
from .ops import Result
from .recurrent import cell, recurrent


def _linear(g: Graph, m, args: list) -> Result:
    """y = x W^T + b: Gemm for a matrix input, MatMul (+ Add) otherwise."""
    x = args[0]
    dims = g.dims(x)[:-1] + (static(m.out_features),)
    w = g.value(m.weight, x.dtype)
    b = "" if m.bias is None else g.value(m.bias, x.dtype)
    if x.ndim == 2:
        return [(g.add("Gemm", [g.value(x), w, b], transB=1), dims)]
    y = g.add("MatMul", [g.value(x), g.add("Transpose", [w], perm=[1, 0])])
    return [(g.add("Add", [y, b]) if b else y, dims)]


def _embedding(g: Graph, m, args: list) -> Result:
    """y = W[idx]: Gather rows of the table."""
    idx = args[0]
    y = g.add("Gather", [g.value(m.weight), g.value(idx)], axis=0)
    return [(y, g.dims(idx) + (static(m.embedding_dim),))]


def _embedding_fn(g: Graph, op: TracedOp) -> Result:
    """``F.embedding`` called in a forward: Gather(weight, idx)."""
    weight = op.args[0]
    idx = next((op.params[k] for k in ("idx", "indices", "input") if k in op.params), None)
    idx = op.args[1] if idx is None else idx
    y = g.add("Gather", [g.value(weight), g.value(idx)], axis=0)
    return [(y, g.dims(idx) + (static(weight.shape[1]),))]


def _passthrough(g: Graph, m, args: list) -> Result:
    """Dropout in eval mode and Identity: the output is the input."""
    return [(g.value(args[0]), g.dims(args[0]))]


def _activation(onnx_op: str) -> Callable:
    def translate(g: Graph, m, args: list) -> Result:
        x = args[0]
        attrs = {"axis": m.dim} if onnx_op in ("Softmax", "LogSoftmax") else {}
        return [(g.add(onnx_op, [g.value(x)], **attrs), g.dims(x))]

    return translate


def _layer_norm(g: Graph, m, args: list) -> Result:
    """LayerNormalization over the last len(normalized_shape) dims (opset 17)."""
    x = args[0]
    shape = m.normalized_shape
    w = np.ones(shape, x.dtype) if m.weight is None else m.weight
    b = np.zeros(shape, x.dtype) if m.bias is None else m.bias
    y = g.add("LayerNormalization", [g.value(x), g.value(w, x.dtype), g.value(b, x.dtype)],
              axis=-len(shape), epsilon=float(m.eps))
    return [(y, g.dims(x))]


MODULES: dict[type, Callable[[Graph, object, list], list[tuple[str, tuple[Dim, ...]]]]] = {
    nn.Linear: _linear,
    nn.Embedding: _embedding,
    nn.Dropout: _passthrough,
    nn.Identity: _passthrough,
    nn.Tanh: _activation("Tanh"),
    nn.Sigmoid: _activation("Sigmoid"),
    nn.ReLU: _activation("Relu"),
    nn.Softmax: _activation("Softmax"),
    nn.LogSoftmax: _activation("LogSoftmax"),
    nn.LayerNorm: _layer_norm,
    nn.RNN: recurrent,
    nn.LSTM: recurrent,
    nn.GRU: recurrent,
    nn.RNNCell: cell,
    nn.LSTMCell: cell,
    nn.GRUCell: cell,
}

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)

NN_OPS = {EmbeddingFn: _embedding_fn}


def classify(m) -> Callable | str:
    """How to export module ``m``: its translator, ``"trace"`` (run its forward and export
    the ops it applies: containers and the user's own modules), or ``"unsupported"`` (an
    ``nn`` module the exporter does not know)."""
    for cls in type(m).__mro__:
        fn = MODULES.get(cls)
        if fn is not None:
            # a forward rewritten (by a subclass or on the instance) is traced instead
            same = type(m).forward is cls.forward and "forward" not in m.__dict__
            return fn if same else "trace"
    if isinstance(m, CONTAINERS) or type(m) is nn.Module:
        return "trace"
    return "unsupported" if type(m).__module__.split(".")[0] == "nn" else "trace"


def supported_names() -> str:
    return ", ".join(sorted(c.__name__ for c in MODULES))
