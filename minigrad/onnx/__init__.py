"""ONNX export: ``minigrad.onnx.export(model, args, f)``, as ``torch.onnx.export``.

    import minigrad as mg
    mg.onnx.export(model, (tokens, hidden), "model.onnx",
                   dynamic_axes={"input": {0: "seq", 1: "batch"}})

The ``onnx`` package is needed only to export (``pip install onnx``; ``onnxruntime`` runs
the result); importing minigrad never imports it.

What is exported.  ``nn`` layers as ONNX subgraphs: Linear (Gemm, or MatMul + Add),
Embedding (Gather), RNN / LSTM / GRU with any number of layers, both directions,
``batch_first``, initial states and ``lengths`` (ONNX's RNN / LSTM / GRU operators, one per
layer, gates reordered), their cells, LayerNorm, Dropout (eval: nothing), Identity, Tanh,
Sigmoid, ReLU, Softmax, LogSoftmax.  The user's own modules are traced: the tensor ops their
``forward`` applies become ONNX ops: arithmetic, matmul, activations, reductions (sum, mean,
var/std, amax/amin, max/min with indices, logsumexp), the softmax family, reshapes,
transposes, expand, cat/stack, where, clamp (number or tensor bounds), masked_fill, casts
between float dtypes, indexing (ints, slices, None, ``...`` and one integer or 1-D boolean
array, which follow dynamic axes; any other index of constant arrays, as ``gather`` and
``index_select`` build, as one flat Gather), ``F.embedding``, and the fused recurrence of a
recurrent layer whose ``forward`` is overridden.  ``nn``'s own modules are known by class
name; the exporter never imports ``nn``.

Limits, those of any tracer: control flow is fixed by the traced run, and a value made
outside minigrad's ops (a comparison, ``argmax``, an integer cast, a round trip through
numpy other than a reshape, a tensor created in ``forward``) is stored as a constant.  An
``nn`` module the exporter does not know (MultiheadAttention, the attention, transformer and
seq2seq modules) stops the export with an error naming it.  With ``dynamic_axes``, a reshape
that would split a dynamic axis at a size fixed by the trace is refused, and so is an index
of several arrays into a tensor with a dynamic axis.

export.py     tracing the call and assembling the model
graph.py      the graph under construction, symbolic dims for dynamic axes
ops.py        one translator per tensor op
modules.py    nn modules exported whole
recurrent.py  RNN / LSTM / GRU layers, cells and the fused op as ONNX's recurrent operators
"""
from .export import export

__all__ = ["export"]
