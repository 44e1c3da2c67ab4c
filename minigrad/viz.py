"""Draw a graph: ``to_dot(t)`` gives Graphviz DOT text; ``render`` runs Graphviz's ``dot``.

Boxes are ops (with their creation site when recorded), ellipses are tensors: leaves that
require grad are filled, constants are dashed; every label carries the shape and dtype.
"""
from __future__ import annotations

import shutil
import subprocess

from .autograd import topo_order
from .tensor import Tensor


def _tensor_label(shape, dtype, name: str = "") -> str:
    return f"{name + chr(92) + 'n' if name else ''}{tuple(shape)} {dtype}"


def to_dot(t: Tensor, names: dict | None = None) -> str:
    """DOT text of the graph that produced ``t``.  ``names`` maps tensors to labels."""
    names = {id(k): v for k, v in (names or {}).items()}
    lines = ["digraph minigrad {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    out_id = f"t{id(t)}"
    lines.append(f'  {out_id} [label="{_tensor_label(t.shape, t.dtype, "output")}", '
                 f'shape=ellipse, style=bold];')
    if t.grad_fn is None:
        lines.append("}")
        return "\n".join(lines)
    lines.append(f"  n{id(t.grad_fn)} -> {out_id};")
    seen_leaves = set()
    for node in topo_order([t.grad_fn]):
        site = "" if node.site == "<unknown>" else "\\n" + node.site.rsplit("/", 1)[-1]
        lines.append(f'  n{id(node)} [label="{node.name}{site}", shape=box, '
                     f'style="rounded,filled", fillcolor="#dde8f7"];')
        for inp in node.inputs:
            if inp is None:
                continue
            if inp.grad_fn is not None:
                lines.append(f"  n{id(inp.grad_fn)} -> n{id(node)} "
                             f'[label="{tuple(inp.shape)}"];')
                continue
            lid = f"t{id(inp)}"
            if lid not in seen_leaves:
                seen_leaves.add(lid)
                style = 'style=filled, fillcolor="#f7e3c6"' if inp.requires_grad else \
                    "style=dashed"
                label = _tensor_label(inp.shape, inp.dtype, names.get(id(inp), ""))
                lines.append(f'  {lid} [label="{label}", shape=ellipse, {style}];')
            lines.append(f"  {lid} -> n{id(node)};")
    lines.append("}")
    return "\n".join(lines)


def render(t: Tensor, path: str, format: str = "svg", names: dict | None = None) -> str:
    """Write the graph to ``path`` (svg, png, pdf) with Graphviz; returns the path."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("rendering needs Graphviz's `dot` program (apt-get install graphviz); "
                           "mg.viz.to_dot(t) gives the DOT text without it")
    subprocess.run([exe, f"-T{format}", "-o", path], input=to_dot(t, names).encode(),
                   check=True)
    return path
