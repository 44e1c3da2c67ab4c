"""Lesson 10: how much gradient reaches each time step, for RNN vs LSTM vs GRU, and
exploding gradients tamed by clipping.

||dL/dh_t|| is measured with retain_grad on every step's state (nn.utils.
gradient_norms_through_time), for L = sum of the last step's output.
"""
import numpy as np
from _common import figure, parse_args, progress, result, save

import minigrad as mg
import nn

args = parse_args(__doc__)
T = 40 if args.quick else 100
x = mg.randn(T, 1, 8, dtype=np.float64)
norms = {}
for kind in progress(["RNN", "LSTM", "GRU"], "measuring"):
    runs = []
    for seed in range(2 if args.quick else 5):
        mg.manual_seed(args.seed + seed)
        runs.append(nn.utils.gradient_norms_through_time(getattr(nn, kind)(8, 32).double(), x))
    norms[kind] = np.mean(runs, 0)
ratios = {k: float(v[0] / v[-1]) for k, v in norms.items()}
for k, r in ratios.items():
    print(f"{k:4s}: ||dL/dh_0|| / ||dL/dh_T|| = {r:.2e}")

# exploding: an RNN with large recurrent weights, gradient norm before and after clipping
mg.manual_seed(args.seed)
big = nn.RNN(8, 32).double()
with mg.no_grad():
    big.weight_hh_l0.data *= 6.0
out, _ = big(x * 3.0)
out.pow(2).sum().backward()
before = nn.utils.clip_grad_norm_(big.parameters(), max_norm=1.0).item()
after = float(np.sqrt(sum((p.grad.data ** 2).sum() for p in big.parameters())))
print(f"exploding RNN: gradient norm {before:.3g} -> {after:.3g} after clip_grad_norm_(1.0)")

fig, ax = figure()
for k, v in norms.items():
    ax.semilogy(range(T), v, label=k)
ax.set(xlabel="time step t", ylabel="||dL/dh_t||", title="gradient reaching each step")
ax.legend()
save(fig, args.out, "vanishing_gradients.png")
result(rnn_ratio=ratios["RNN"], lstm_ratio=ratios["LSTM"], gru_ratio=ratios["GRU"],
       clipped_norm=after)
