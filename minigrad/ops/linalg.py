"""Products: mm, bmm, mv, dot, outer, einsum, addmm, addmv, baddbmm, addbmm, tensordot.

``Einsum`` is the one new ``Function``: its backward is again an einsum (of the gradient with
the other operands), computed by ``Einsum`` itself when the gradient is a Tensor, so every
order of derivative works.  The matrix products reuse ``MatMul`` after checking shapes as
torch does; ``outer``/``addmm``/... are compositions of differentiable ops, so their
gradients (and double backward) come from the ops they are made of.
"""
from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor_base import TensorBase
from .matmul import MatMul
from .reduce import normalize_dims


def as_tensor_arg(op: str, name: str, x: Any) -> TensorBase:
    """``x`` if it is a Tensor; torch's TypeError otherwise (ops never guess a dtype)."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def share_docs(cls: type, namespace: dict) -> type:
    """Give each method of a Tensor mixin without a docstring the docstring of the function
    of the same name (``t.flip(...)`` is ``flip(t, ...)``); ``op_`` methods say in place."""
    for name, meth in vars(cls).items():
        fn = namespace.get(name.rstrip("_"))
        if callable(meth) and meth.__doc__ is None and callable(fn) and fn.__doc__:
            meth.__doc__ = fn.__doc__ + ("\n\nIn place: returns the tensor itself."
                                         if name.endswith("_") else "")
    return cls


def _same_dtype(op: str, *ts: TensorBase) -> None:
    if len({t.dtype for t in ts}) > 1:
        raise RuntimeError(f"{op}: expected all arguments to have the same dtype, but got "
                           f"{', '.join(str(t.dtype) for t in ts)}; convert with .to(dtype)")


def _dims_str(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


# ---------------------------------------------------------------------------- einsum


def parse_einsum(equation: str, shapes: Sequence[tuple[int, ...]]) -> str:
    """``equation`` made explicit: ellipses replaced by letters, the output spelled out
    (implicit form: the letters used once, sorted, after the ellipsis dims).  Checks the
    equation against the operands' shapes with torch's messages."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(ins) < len(shapes):
        raise ValueError(f"einsum(): number of einsum subscripts, {len(ins)}, must be equal "
                         f"to the number of operands, {len(shapes)}")
    for c in eq:
        if not (c in string.ascii_letters or c in ".,->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in "
                               f"the equation string, subscripts must be in [a-zA-Z]")
    if not arrow:
        counts = {c: lhs.count(c) for c in set(lhs) if c in string.ascii_letters}
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c, k in counts.items()
                                                               if k == 1))
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = 0
    for k, (sub, shape) in enumerate(zip(ins, shapes)):
        n_named = len(sub.replace("...", ""))
        if "..." in sub:
            if n_named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({n_named}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {k}")
            n_ell = max(n_ell, len(shape) - n_named)
        elif n_named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_named})"
                               f" does not match the number of dimensions ({len(shape)}) for "
                               f"operand {k} and no ellipsis was given")
    ell = "".join(free[:n_ell])
    ins = [s.replace("...", ell[n_ell - (len(shape) - len(s) + 3):] if "..." in s else "")
           for s, shape in zip(ins, shapes)]
    rhs = rhs.replace("...", ell)
    sizes: dict[str, int] = {}
    for k, (sub, shape) in enumerate(zip(ins, shapes)):
        for c, n in zip(sub, shape):
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[c] = n if seen == 1 else seen
    for c in rhs:
        if rhs.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               f"output")
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                               f"equation for any input operand")
    return ",".join(ins) + "->" + rhs


def einsum_any(equation: str, *operands):
    """np.einsum on arrays; the differentiable ``Einsum`` when any operand is a Tensor.
    ``equation`` must be explicit (``parse_einsum``)."""
    if any(isinstance(o, TensorBase) for o in operands):
        return Einsum.apply(*operands, equation=equation)
    return _np_einsum(equation, operands)


def _np_einsum(equation: str, ops) -> np.ndarray:
    # numpy's contraction-order search (and BLAS) pays off beyond two operands or small sizes
    big = len(ops) > 2 or sum(np.size(o) for o in ops) > 4096
    return np.asarray(np.einsum(equation, *ops, optimize=big))


class Einsum(Function):
    """y = einsum(eq, x_1..x_n);  dx_i = einsum(out, x_j (j != i) -> subs_i)(g)

    A letter repeated in x_i (a diagonal, ``ii``) is renamed in the target and tied back by an
    identity matrix; a letter only x_i has (summed away) comes back through a vector of ones.
    """

    @staticmethod
    def forward(ctx, *ops, equation):
        ctx.save_for_backward(*ops)
        return _np_einsum(equation, ops)

    @staticmethod
    def backward(ctx, g):
        lhs, out = ctx.params["equation"].split("->")
        ins = lhs.split(",")
        ops = ctx.saved_tensors
        fresh = iter(c for c in string.ascii_letters if c not in ctx.params["equation"])
        grads = []
        for i, sub in enumerate(ins):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            terms = [out] + [s for j, s in enumerate(ins) if j != i]
            args = [g] + [o for j, o in enumerate(ops) if j != i]
            known, target = set("".join(terms)), ""
            for c, n in zip(sub, ops[i].shape):
                if c in target:  # x_i[.., c, .., c, ..]: the gradient lives on the diagonal
                    new = next(fresh)
                    terms.append(c + new)
                    args.append(np.eye(n, dtype=g.dtype))
                    c = new
                elif c not in known:  # summed in x_i alone: every position gets g
                    terms.append(c)
                    args.append(np.ones(n, dtype=g.dtype))
                known.add(c)
                target += c
            gi = einsum_any(",".join(terms) + "->" + target, *args)
            if gi.shape != ops[i].shape:  # x_i's size-n dim met size 1 elsewhere: spread g
                gi = np.broadcast_to(gi, np.broadcast_shapes(gi.shape, ops[i].shape))
            grads.append(gi)
        return tuple(grads)


def einsum(equation: str, *operands: TensorBase) -> TensorBase:
    """Einstein summation, as ``torch.einsum``: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.
    Letters shared by operands are multiplied along, letters missing from the output summed;
    ``...`` stands for broadcast dims; without ``->`` the output is the letters used once,
    sorted.  The operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not "
                        f"{type(equation).__name__}")
    ops = [as_tensor_arg("einsum", f"operands[{k}]", o) for k, o in enumerate(operands)]
    eq = parse_einsum(equation, [o.shape for o in ops])
    _same_dtype("einsum()", *ops)
    return Einsum.apply(*ops, equation=eq)


# ---------------------------------------------------------------------------- matrix products


def mm(input: TensorBase, mat2: TensorBase) -> TensorBase:  # noqa: A002 (torch's names)
    """(n, m) @ (m, p) -> (n, p), 2-D only."""
    a, b = as_tensor_arg("mm", "input", input), as_tensor_arg("mm", "mat2", mat2)
    if a.ndim != 2:
        raise RuntimeError(f"mm: self must be a matrix (2-D), got shape {tuple(a.shape)}")
    if b.ndim != 2:
        raise RuntimeError(f"mm: mat2 must be a matrix (2-D), got shape {tuple(b.shape)}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims_str(a.shape)} "
                           f"and {_dims_str(b.shape)})")
    _same_dtype("mm", a, b)
    return MatMul.apply(a, b)


def bmm(input: TensorBase, mat2: TensorBase) -> TensorBase:  # noqa: A002
    """(b, n, m) @ (b, m, p) -> (b, n, p); batch sizes must be equal (no broadcasting)."""
    a, b = as_tensor_arg("bmm", "input", input), as_tensor_arg("bmm", "mat2", mat2)
    if a.ndim != 3:
        raise RuntimeError(f"bmm: batch1 must be a 3D tensor, got shape {tuple(a.shape)}")
    if b.ndim != 3:
        raise RuntimeError(f"bmm: batch2 must be a 3D tensor, got shape {tuple(b.shape)}")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"bmm: Expected size for first two dimensions of batch2 tensor to "
                           f"be: [{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                           f"{b.shape[1]}].")
    _same_dtype("bmm", a, b)
    return MatMul.apply(a, b)


def mv(input: TensorBase, vec: TensorBase) -> TensorBase:  # noqa: A002
    """(n, m) @ (m,) -> (n,)."""
    a, v = as_tensor_arg("mv", "input", input), as_tensor_arg("mv", "vec", vec)
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got {a.ndim}-D matrix and "
                           f"{v.ndim}-D vector")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got mat ({_dims_str(a.shape)}), vec "
                           f"({v.shape[0]})")
    _same_dtype("mv", a, v)
    return MatMul.apply(a, v)


def dot(input: TensorBase, tensor: TensorBase) -> TensorBase:  # noqa: A002
    """sum_i x_i y_i of two 1-D tensors of the same length (a 0-d result)."""
    a, b = as_tensor_arg("dot", "input", input), as_tensor_arg("dot", "tensor", tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                           f"src [{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _same_dtype("dot", a, b)
    return MatMul.apply(a, b)


vdot = dot  # the same for real tensors (minigrad has no complex dtype)


def outer(input: TensorBase, vec2: TensorBase) -> TensorBase:  # noqa: A002
    """y_ij = x_i v_j for 1-D x (n,) and v (m,) -> (n, m)."""
    a, b = as_tensor_arg("outer", "input", input), as_tensor_arg("outer", "vec2", vec2)
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.reshape(-1, 1) * b.reshape(1, -1)


ger = outer


def _add_scaled(input: TensorBase, prod: TensorBase, beta, alpha, op: str) -> TensorBase:
    """beta * input + alpha * prod, with input broadcast to prod's shape (beta = 0 ignores
    input's values, NaN included, as torch)."""
    x = as_tensor_arg(op, "input", input)
    try:
        ok = np.broadcast_shapes(x.shape, prod.shape) == prod.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{op}: input of shape {tuple(x.shape)} cannot be broadcast to the "
                           f"product's shape {tuple(prod.shape)}")
    out = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return out
    return out + (x if beta == 1 else x * beta)


def addmm(input: TensorBase, mat1: TensorBase, mat2: TensorBase, *, beta=1,  # noqa: A002
          alpha=1) -> TensorBase:
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to (n, p)."""
    return _add_scaled(input, mm(mat1, mat2), beta, alpha, "addmm")


def addmv(input: TensorBase, mat: TensorBase, vec: TensorBase, *, beta=1,  # noqa: A002
          alpha=1) -> TensorBase:
    """beta * input + alpha * (mat @ vec); input broadcasts to (n,)."""
    return _add_scaled(input, mv(mat, vec), beta, alpha, "addmv")


def baddbmm(input: TensorBase, batch1: TensorBase, batch2: TensorBase, *, beta=1,  # noqa: A002
            alpha=1) -> TensorBase:
    """beta * input + alpha * bmm(batch1, batch2); input broadcasts to (b, n, p)."""
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


def addbmm(input: TensorBase, batch1: TensorBase, batch2: TensorBase, *, beta=1,  # noqa: A002
           alpha=1) -> TensorBase:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]; input broadcasts to (n, p)."""
    return _add_scaled(input, bmm(batch1, batch2).sum(0), beta, alpha, "addbmm")


def tensordot(a: TensorBase, b: TensorBase, dims=2) -> TensorBase:
    """Sum over the paired dims: ``dims=k`` pairs the last k of a with the first k of b;
    ``dims=([a dims], [b dims])`` names them.  Result: a's other dims then b's."""
    a, b = as_tensor_arg("tensordot", "a", a), as_tensor_arg("tensordot", "b", b)
    if isinstance(dims, TensorBase):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"tensordot: both dimension lists should have same length, got "
                               f"{len(da)} and {len(db)}")
    da = [normalize_dims(d, a.ndim)[0] for d in da]
    db = [normalize_dims(d, b.ndim)[0] for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j] and 1 not in (a.shape[i], b.shape[j]):  # 1 broadcasts
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[i]} in dim {i} and second has size {b.shape[j]} "
                               f"in dim {j}")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb)
                                                          if k not in db]
    _same_dtype("tensordot", a, b)
    return Einsum.apply(a, b, equation=f"{''.join(sa)},{''.join(sb)}->{''.join(out)}")


class LinalgMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()

    def mm(self, mat2): return mm(self, mat2)
    def bmm(self, mat2): return bmm(self, mat2)
    def mv(self, vec): return mv(self, vec)
    def dot(self, other): return dot(self, other)
    def vdot(self, other): return vdot(self, other)
    def outer(self, vec2): return outer(self, vec2)
    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)


share_docs(LinalgMethods, globals())
