"""ONNX for whole ``nn`` modules: each supported layer is one small subgraph.

``classify(module)`` finds the translator of a module, or says to trace its ``forward`` op
by op (containers and user modules), or that it is an ``nn`` module with no export.  A
translator takes the graph, the module and the call's arguments in the order of
its ``forward``, and returns ``(value name, dims)`` for each tensor the call returned
(flattened, in order).

``nn`` sits on top of minigrad, and layers point one way: this file never imports it.  A
module is recognised by the name of a class defined in the ``nn`` package (on its MRO), and
read through the attributes PyTorch documents (``weight``, ``out_features``, ``mode``...).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .graph import Dim, Graph, static
from .ops import Result
from .recurrent import cell, fused_recurrence, recurrent


def _linear(g: Graph, m, args: list) -> Result:
    """y = x W^T + b: Gemm for a matrix input, MatMul (+ Add) otherwise."""
    x = args[0]
    dims = g.dims(x)[:-1] + (static(m.out_features),)
    return _affine_graph(g, x, m.weight, m.bias, x.dtype, dims)


def _affine_graph(g: Graph, x, weight, bias, dtype, dims) -> Result:
    w = g.value(weight, dtype)
    b = "" if bias is None else g.value(bias, dtype)
    if x.ndim == 2:
        return [(g.add("Gemm", [g.value(x, dtype), w, b], transB=1), dims)]
    y = g.add("MatMul", [g.value(x, dtype), g.add("Transpose", [w], perm=[1, 0])])
    return [(g.add("Add", [y, b]) if b else y, dims)]


def affine(g: Graph, op) -> Result:
    """``nn.functional.Affine`` (what ``F.linear`` applies) in a traced forward."""
    x, w, b = op.args
    return _affine_graph(g, x, w, b, op.outputs[0].dtype, g.dims(x)[:-1] + g.dims(w)[:1])


def _embedding(g: Graph, m, args: list) -> Result:
    """y = W[idx]: Gather rows of the table."""
    idx = args[0]
    y = g.add("Gather", [g.value(m.weight), g.value(idx)], axis=0)
    return [(y, g.dims(idx) + (static(m.embedding_dim),))]


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


Translator = Callable[[Graph, object, list], list[tuple[str, tuple[Dim, ...]]]]

#: ``nn`` class name -> translator (the class and its subclasses that keep its forward)
MODULES: dict[str, Translator] = {
    "Linear": _linear,
    "Embedding": _embedding,
    "Dropout": _passthrough,
    "Identity": _passthrough,
    "Tanh": _activation("Tanh"),
    "Sigmoid": _activation("Sigmoid"),
    "ReLU": _activation("Relu"),
    "Softmax": _activation("Softmax"),
    "LogSoftmax": _activation("LogSoftmax"),
    "LayerNorm": _layer_norm,
    "RNN": recurrent,
    "LSTM": recurrent,
    "GRU": recurrent,
    "RNNCell": cell,
    "LSTMCell": cell,
    "GRUCell": cell,
}

#: ``nn`` classes whose forward is traced op by op
TRACED = {"Module", "Sequential", "ModuleList", "ModuleDict"}


def _in_nn(cls: type) -> bool:
    return cls.__module__ == "nn" or cls.__module__.startswith("nn.")


def classify(m) -> Translator | str:
    """How to export module ``m``: its translator, ``"trace"`` (run its forward and export
    the ops it applies: containers and the user's own modules), or ``"unsupported"`` (an
    ``nn`` module the exporter does not know)."""
    for cls in type(m).__mro__:
        if not _in_nn(cls):
            continue
        fn = MODULES.get(cls.__name__)
        if fn is not None:
            # a forward rewritten (by a subclass or on the instance) is traced instead
            same = type(m).forward is cls.forward and "forward" not in m.__dict__
            return fn if same else "trace"
        if cls.__name__ in TRACED:
            return "trace"
        break  # the first nn class on the MRO decides
    return "unsupported" if _in_nn(type(m)) else "trace"


def supported_names() -> str:
    return ", ".join(sorted(MODULES))


#: ``nn`` op (``Function``) class name -> translator, for ``nn`` ops applied in a forward
NN_OPS: dict[str, Callable] = {"FusedRecurrence": fused_recurrence, "Affine": affine}


def nn_op(fn: type) -> Callable | None:
    """The translator of an ``nn`` op class, or None."""
    return NN_OPS.get(fn.__name__) if _in_nn(fn) else None
