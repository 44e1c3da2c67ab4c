"""ONNX export: ``minigrad.onnx.export(model, args, f)``, as ``torch.onnx.export``.

    import minigrad as mg
    mg.onnx.export(model, (tokens, hidden), "model.onnx",
                   dynamic_axes={"input": {0: "seq", 1: "batch"}})

The ``onnx`` package is needed only to export (``pip install onnx``; ``onnxruntime`` runs
the result); importing minigrad never imports it.  Files:

export.py     tracing the call and assembling the model
graph.py      the graph under construction, symbolic dims for dynamic axes
ops.py        one translator per tensor op (reshape, matmul, softmax, indexing...)
modules.py    nn modules exported whole (Linear, Embedding, LayerNorm, activations...)
recurrent.py  RNN / LSTM / GRU layers and cells as ONNX's recurrent operators
"""
from .export import export

__all__ = ["export"]
