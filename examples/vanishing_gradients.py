"""Lesson 10: how much gradient reaches each time step, for RNN vs LSTM vs GRU, and
exploding gradients tamed by clipping.

||dL/dh_t|| is measured with retain_grad on every step's state (nn.utils.
gradient_norms_through_time), for L = sum of the last step's output.

At PyTorch's initialisation all three lose gradient going back in time, the plain RNN
fastest.  The LSTM's cell carries gradient back multiplied by its forget gate f_t, so the
decay is set by f: initialise the forget-gate bias high (f = sigmoid(3) = 0.95, as is common
practice) and the gradient from step T reaches step 0 almost intact.
"""
import numpy as np
from _common import array, figure, parse_args, progress, result, save

import minigrad as mg
import nn

args = parse_args(__doc__)
T = 40 if args.quick else 100
x = mg.randn(T, 1, 8, dtype=np.float64)


def make(kind):
    if kind == "LSTM, forget bias 3":
        lstm = nn.LSTM(8, 32).double()
        array(lstm.bias_ih_l0)[32:64] = 3.0  # gates are ordered i, f, g, o (in place)
        array(lstm.bias_hh_l0)[32:64] = 0.0
        return lstm
    return getattr(nn, kind)(8, 32).double()


norms = {}
for kind in progress(["RNN", "LSTM", "GRU", "LSTM, forget bias 3"], "measuring"):
    runs = []
    for seed in range(2 if args.quick else 5):
        mg.manual_seed(args.seed + seed)
        runs.append(nn.utils.gradient_norms_through_time(make(kind), x))
    norms[kind] = np.mean(runs, 0)
ratios = {k: float(v[0] / v[-1]) for k, v in norms.items()}
for k, r in ratios.items():
    print(f"{k:20s}: ||dL/dh_0|| / ||dL/dh_T|| = {r:.2e}")

# exploding: an RNN with large recurrent weights, gradient norm before and after clipping
mg.manual_seed(args.seed)
big = nn.RNN(8, 32).double()
array(big.weight_hh_l0)[...] *= 6.0  # in place
out, _ = big(x * 3.0)
out.pow(2).sum().backward()
before = nn.utils.clip_grad_norm_(big.parameters(), max_norm=1.0).item()
after = float(np.sqrt(sum((array(p.grad) ** 2).sum() for p in big.parameters())))
print(f"exploding RNN: gradient norm {before:.3g} -> {after:.3g} after clip_grad_norm_(1.0)")

fig, ax = figure()
for k, v in norms.items():
    ax.semilogy(range(T), v, label=k)
ax.set(xlabel="time step t (the loss is at the last step)", ylabel="||dL/dh_t|| (log scale)",
       title=f"gradient reaching each of {T} steps back")
ax.legend()
save(fig, args.out, "vanishing_gradients.png")
result(rnn_ratio=ratios["RNN"], lstm_ratio=ratios["LSTM"], gru_ratio=ratios["GRU"],
       lstm_forget_bias_ratio=ratios["LSTM, forget bias 3"], clipped_norm=after)
