"""Matrix product with numpy's rules: 1-D operands are promoted and batch dims broadcast."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class MatMul(Function):
    """C = A @ B;  dA = G @ B^T,  dB = A^T @ G  (batch dims summed back by the engine)"""

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype != b.dtype:  # torch never promotes silently here (a float64 input would
            # otherwise turn a float32 model's whole computation into float64)
            raise RuntimeError(f"matmul: mat1 and mat2 must have the same dtype, but got "
                               f"{a.dtype} and {b.dtype}")
        ctx.save_for_backward(a, b)
        if a.ndim > 2 and b.ndim == 2:
            # (..., K) @ (K, N): fold the batch dims into rows so it is one BLAS GEMM
            # (np.matmul loops over the batch, slowly when b is a transposed view)
            return (a.reshape(_rows(a), a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[1],))
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if a.ndim > 2 and b.ndim == 2:
            g2 = g.reshape(_rows(g), g.shape[-1])
            ga = (g2 @ b.T).reshape(a.shape) if na else None
            gb = a.reshape(_rows(a), a.shape[-1]).T @ g2 if nb else None
            return ga, gb
        # promote 1-D operands to matrices so one rule covers every case
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if na:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:  # sum the promoted row (and any batch) back to a vector
                ga = ga.sum(tuple(range(ga.ndim - 1)))
        if nb:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb.sum(tuple(range(gb.ndim - 2)) + (gb.ndim - 1,))
        return ga, gb


def _rows(x) -> int:
    """Rows of x viewed as a matrix (all dims but the last): explicit, so size 0 works."""
    return int(np.prod(x.shape[:-1]))
