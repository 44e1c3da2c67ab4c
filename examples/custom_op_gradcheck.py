"""Lesson 12: write your own differentiable op, check it, and watch a wrong backward get
caught and located.

softplus(x) = log(1 + e^x), stable as max(x, 0) + log(1 + e^-|x|);  d/dx = sigmoid(x).
"""
import numpy as np
from _common import parse_args, result

import minigrad as mg
import nn

args = parse_args(__doc__, needs=())


class Softplus(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.exp(-x))


class BuggySoftplus(Softplus):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.exp(x))  # sign error: this is sigmoid(-x)


x = mg.randn(3, 4, dtype=np.float64, requires_grad=True)
ok = mg.gradcheck(lambda t: Softplus.apply(t), [x])
print("Softplus passes gradcheck:", ok)

layer = nn.Linear(4, 2).double()
caught = 0
try:
    mg.gradcheck(lambda t, *ps: BuggySoftplus.apply(layer(t.tanh())).sum(-1), [x,
                 *layer.parameters()], localize=True)
except mg.GradcheckError as e:
    caught = 1
    print("BuggySoftplus is caught, and located inside the bigger function:\n" + str(e))
result(ok=int(ok), caught=caught)
