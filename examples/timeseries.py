"""Lesson 11: many-to-one regression.  Predict next year's sunspot number from the last 20
years with a GRU and MSE, against the naive "same as last year" baseline."""
import numpy as np
from _common import batches, figure, parse_args, progress, result, save
from datasets import sunspots

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
series = sunspots()
mu, sd = series[:250].mean(), series[:250].std()
z = (series - mu) / sd
W = 20
X = np.stack([z[i:i + W] for i in range(len(z) - W)])[..., None].astype(np.float32)
Y = z[W:].astype(np.float32)
split = 250 - W  # train on the years before 1950, test on 1950-2008
rng = np.random.default_rng(args.seed)
rnn, head = nn.GRU(1, 32, batch_first=True), nn.Linear(32, 1)
params = list(rnn.parameters()) + list(head.parameters())
opt = optim.Adam(params, lr=5e-3)


def predict(x):
    return head(rnn(mg.tensor(x))[1][-1])[:, 0]


for _ in progress(range(30 if args.quick else 300), "epochs"):
    for b in batches(split, 32, rng):
        loss = nn.functional.mse_loss(predict(X[b]), mg.tensor(Y[b]))
        opt.zero_grad()
        loss.backward()
        opt.step()
with mg.no_grad():
    pred = predict(X[split:]).detach().numpy() * sd + mu
truth = series[W + split:]
test_mse = float(((pred - truth) ** 2).mean())
baseline_mse = float(((series[W + split - 1:-1] - truth) ** 2).mean())
print(f"test MSE (sunspots^2) GRU {test_mse:.1f} vs last-value baseline {baseline_mse:.1f}")
fig, ax = figure()
years = 1700 + np.arange(len(series))
ax.plot(years, series, c="gray", lw=1, label="sunspots")
ax.plot(years[W + split:], pred, c="C3", label="GRU one-step forecast")
ax.set(xlabel="year", ylabel="yearly sunspot number")
ax.legend()
save(fig, args.out, "timeseries.png")
result(test_mse=test_mse, baseline_mse=baseline_mse)
