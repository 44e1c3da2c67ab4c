"""The benchmarked training step, written once per framework on shared weights and data.

One step: embedding -> RNN/LSTM/GRU (one layer, batch_first) -> linear -> cross-entropy (mean
over B*T tokens) -> backward -> Adam (lr 1e-3, torch's defaults), float32.  Every framework
starts from the same arrays (``initial_weights``), named as in torch's ``state_dict``, and
trains on the same tokens (``token_data``): inputs ``data[:, :-1]``, targets ``data[:, 1:]``.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = {  # name: (batch B, sequence T, embedding E, hidden H, vocabulary V)
    "small": (1, 100, 16, 32, 32),
    "medium": (32, 64, 32, 128, 65),
    "large": (64, 35, 256, 512, 1000),
}
QUICK_CASES = {"tiny": (2, 5, 4, 6, 7)}  # --quick: checks the machinery, measures nothing
CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # gate blocks stacked in weight_ih / weight_hh


def initial_weights(cell: str, E: int, H: int, V: int, seed: int = 0) -> dict[str, np.ndarray]:
    """torch's default initialisation drawn once with numpy: embedding N(0, 1), everything
    else U(-1/sqrt(H), 1/sqrt(H)); keys are torch's ``state_dict`` names."""
    rng = np.random.default_rng(seed)
    G, k = GATES[cell] * H, 1 / np.sqrt(H)

    def u(*shape):
        return rng.uniform(-k, k, shape).astype(np.float32)

    return {"emb.weight": rng.standard_normal((V, E)).astype(np.float32),
            "rnn.weight_ih_l0": u(G, E), "rnn.weight_hh_l0": u(G, H),
            "rnn.bias_ih_l0": u(G), "rnn.bias_hh_l0": u(G),
            "out.weight": u(V, H), "out.bias": u(V)}


def token_data(B: int, T: int, V: int, seed: int = 0) -> np.ndarray:
    """(B, T + 1) int64 tokens: the step reads ``[:, :-1]`` and predicts ``[:, 1:]``."""
    return np.random.default_rng(seed).integers(0, V, (B, T + 1))


def step_flops(cell: str, B: int, T: int, E: int, H: int, V: int) -> float:
    """FLOPs of the step's matrix products: 2 per multiply-add forward, twice that backward."""
    G = GATES[cell] * H
    return 3 * 2 * B * T * (E * G + H * G + H * V)


def minigrad_step(cell: str, weights: dict, data: np.ndarray) -> Callable[[], object]:
    """A closure running one minigrad training step; it returns the loss tensor."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    import nn
    from minigrad import optim

    V, E = weights["emb.weight"].shape
    H = weights["rnn.weight_hh_l0"].shape[1]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, E)
            self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](E, H,
                                                                             batch_first=True)
            self.out = nn.Linear(H, V)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = Model()
    params = dict(model.named_parameters())
    assert sorted(params) == sorted(weights), sorted(params)
    for name, p in params.items():
        p.detach().numpy()[...] = weights[name]
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = data[:, :-1], data[:, 1:].reshape(-1)

    def step():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if os.environ.get("MINIGRAD_BENCH_REPLAY") == "1":  # run.py --replay
        from minigrad.autograd import record

        recorded = record(lambda: nn.functional.cross_entropy(model(x).reshape(-1, V), y))

        def step():  # noqa: F811 - the recorded step replaces the eager one
            opt.zero_grad()
            loss = recorded.backward()
            opt.step()
            return loss
    return step


def torch_step(cell: str, weights: dict, data: np.ndarray) -> Callable[[], object]:
    """The same step in PyTorch (eager, its default thread count)."""
    import torch

    V, E = weights["emb.weight"].shape
    H = weights["rnn.weight_hh_l0"].shape[1]

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(V, E)
            self.rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM,
                        "gru": torch.nn.GRU}[cell](E, H, batch_first=True)
            self.out = torch.nn.Linear(H, V)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = Model()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t = torch.from_numpy(data)
    x, y = t[:, :-1], t[:, 1:].reshape(-1)

    def step():
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def loss_value(loss: object) -> float:
    """A framework's scalar loss as a Python float."""
    if hasattr(loss, "detach") and hasattr(loss.detach(), "numpy"):
        return float(np.asarray(loss.detach().numpy()))
    return float(np.asarray(loss))
