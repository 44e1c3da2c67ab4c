"""Lesson 11: many-to-one regression.  Forecast the sea-surface temperature off Peru (the
Nino 1+2 region, where El Nino shows first) three months ahead from the last 24 months, with a
GRU and MSE.

Two baselines a forecaster would try first: "same as now" (persistence) and "now plus the
usual change over these three calendar months" (seasonal persistence, from the training
years).  Trained on 1950-1994, tested on 1995-2010, which holds the strongest
El Nino of the century (1997-98).  Forty epochs: the learning curve shows the held-out error
flat after about twenty while the training error keeps falling (longer runs overfit)."""
import numpy as np
from _common import array, batches, figure, parse_args, progress, result, save
from datasets import el_nino

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
series, years = el_nino()
W, H, SPLIT = 24, 3, 45 * 12  # window, horizon in months; months before 1995 train
mu, sd = series[:SPLIT].mean(), series[:SPLIT].std()
z = (series - mu) / sd
month = np.arange(len(series)) % 12
# inputs per step: the temperature and the calendar month as a point on the unit circle
feats = np.stack([z, np.sin(2 * np.pi * month / 12), np.cos(2 * np.pi * month / 12)], -1)
X = np.stack([feats[i:i + W] for i in range(len(z) - W)]).astype(np.float32)
X = X[:len(z) - W - H + 1]
Y = z[W + H - 1:].astype(np.float32)  # Y[i] is H months after the last month of window i
n_train = SPLIT - W - H + 1  # targets before 1995
rng = np.random.default_rng(args.seed)
rnn, head = nn.GRU(3, 32, batch_first=True), nn.Linear(32, 1)
params = list(rnn.parameters()) + list(head.parameters())
opt = optim.Adam(params, lr=3e-3)


def predict(x):
    return head(rnn(mg.tensor(x))[1][-1])[:, 0]


train_curve, test_curve = [], []
for _ in progress(range(15 if args.quick else 40), "epochs"):
    for b in batches(n_train, 32, rng):
        loss = nn.functional.mse_loss(predict(X[b]), mg.tensor(Y[b]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        train_curve.append(nn.functional.mse_loss(predict(X[:n_train]),
                                                  mg.tensor(Y[:n_train])).item() * sd ** 2)
        test_curve.append(nn.functional.mse_loss(predict(X[n_train:]),
                                                 mg.tensor(Y[n_train:])).item() * sd ** 2)
with mg.no_grad():
    pred = array(predict(X[n_train:])) * sd + mu
truth = series[SPLIT:]
test_mse = float(((pred - truth) ** 2).mean())
persistence = series[SPLIT - H:-H]
baseline_mse = float(((persistence - truth) ** 2).mean())
step = series[H:SPLIT] - series[:SPLIT - H]  # change over H months in the training years
usual = np.array([step[month[H:SPLIT] == m].mean() for m in range(12)])
seasonal_mse = float(((persistence + usual[month[SPLIT:]] - truth) ** 2).mean())
print(f"test MSE (deg C^2), 1995-2010, {H} months ahead: GRU {test_mse:.3f}, same as now "
      f"{baseline_mse:.3f}, now + usual change {seasonal_mse:.3f}")

fig, (a, b) = figure(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
a.plot(years, series, c="gray", lw=1, label="observed")
a.plot(years[SPLIT:], pred, c="C3", lw=1.2, label=f"GRU forecast made {H} months before")
a.axvline(years[SPLIT], ls="--", c="k", lw=0.8)
a.set(title="sea-surface temperature, Nino 1+2 (test years right of the dashed line)",
      xlabel="year", ylabel="monthly mean SST (deg C)")
a.legend(loc="upper left")
b.plot(range(1, len(train_curve) + 1), train_curve, label="training years")
b.plot(range(1, len(test_curve) + 1), test_curve, label="test years (held out)")
b.axhline(baseline_mse, ls=":", c="gray", label="same as now (test)")
b.axhline(seasonal_mse, ls="--", c="gray", label="now + usual change (test)")
b.set(title="learning curve", xlabel="epoch", ylabel="MSE (deg C^2)", yscale="log")
b.legend(fontsize=8)
save(fig, args.out, "timeseries.png")
result(test_mse=test_mse, baseline_mse=baseline_mse, seasonal_mse=seasonal_mse)
