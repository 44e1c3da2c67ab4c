"""minigrad vs PyTorch CPU, side by side in one run.  Usage (from the repo root):

    python benchmarks/run.py            # everything, prints markdown tables
    python benchmarks/run.py --quick    # a few repeats only (used by the test)

Every figure is a ratio measured in the same process with runs alternating between the two
libraries (median of per-pair ratios), so machine noise hits both alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402
from minigrad import optim  # noqa: E402

CASES = {  # name: (batch, seq, embed, hidden, vocab)
    "small": (1, 100, 16, 32, 32),
    "medium": (32, 64, 32, 128, 65),
    "large": (64, 35, 256, 512, 1000),
}


def timed(fn, reps: int) -> float:
    """Median seconds of ``reps`` calls."""
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def alternate(fa, fb, rounds: int, reps: int) -> tuple[float, float, float]:
    """Median time of a, of b, and median of the per-round ratios b / a."""
    ta, tb, ratios = [], [], []
    for _ in range(rounds):
        a, b = timed(fa, reps), timed(fb, reps)
        ta.append(a)
        tb.append(b)
        ratios.append(b / a)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


# ----------------------------------------------------------------------------- training step


class MgModel(nn.Module):
    def __init__(self, cell, V, E, H):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](E, H, batch_first=True)
        self.out = nn.Linear(H, V)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h)


def mg_step_fn(cell, B, T, E, H, V):
    mg.manual_seed(0)
    model = MgModel(cell, V, E, H)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    data = np.random.default_rng(0).integers(0, V, (B, T + 1))

    def step():
        logits = model(data[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), data[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step_fn(cell, B, T, E, H, V):
    import torch

    torch.manual_seed(0)

    class TModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(V, E)
            self.rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM,
                        "gru": torch.nn.GRU}[cell](E, H, batch_first=True)
            self.out = torch.nn.Linear(H, V)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = TModel()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.tensor(np.random.default_rng(0).integers(0, V, (B, T + 1)))

    def step():
        logits = model(data[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), data[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def step_flops(cell, B, T, E, H, V) -> float:
    """Multiply-adds x2 of one training step: forward GEMMs, and 2x that for backward."""
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell] * H
    fwd = 2 * B * T * (E * G + H * G + H * V)
    return 3 * fwd


def gemm_peak(n: int = 1024, dtype=np.float32) -> float:
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.copy()
    a @ b
    t = timed(lambda: a @ b, 7)
    return 2 * n ** 3 / t / 1e9


def bench_training(quick: bool, cells=("rnn", "lstm", "gru")) -> list[dict]:
    rows = []
    for name, (B, T, E, H, V) in CASES.items():
        for cell in cells:
            fa, fb = mg_step_fn(cell, B, T, E, H, V), torch_step_fn(cell, B, T, E, H, V)
            fa(), fb()  # warm up (compiles kernels, allocates)
            reps = 2 if quick else (3 if name == "large" else 8)
            rounds = 2 if quick else 5
            ta, tb, ratio = alternate(fa, fb, rounds, reps)
            tokens = B * T
            rows.append(dict(case=name, cell=cell, mg_tok_s=tokens / ta, torch_tok_s=tokens / tb,
                             ratio=ratio, gflops=step_flops(cell, B, T, E, H, V) / ta / 1e9))
    return rows


# ----------------------------------------------------------------------------- tiny ops


def bench_overhead(quick: bool) -> list[dict]:
    import torch

    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    ta_, tb_ = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0],
                                                                          requires_grad=True)
    n = 200 if quick else 2000

    def loop(f):
        return lambda: [f() for _ in range(n)]

    rows = []
    cases = {
        "a + b (forward only)": (lambda: a + b, lambda: ta_ + tb_),
        "(a + b).sum().backward()": (lambda: (a + b).sum().backward(),
                                     lambda: (ta_ + tb_).sum().backward()),
        "(a * b).tanh().sum().backward()": (lambda: (a * b).tanh().sum().backward(),
                                            lambda: (ta_ * tb_).tanh().sum().backward()),
    }
    for label, (f, g) in cases.items():
        t_mg, t_torch, ratio = alternate(loop(f), loop(g), 3 if quick else 5, 1)
        rows.append(dict(op=label, mg_us=t_mg / n * 1e6, torch_us=t_torch / n * 1e6,
                         ratio=ratio))
    return rows


# ----------------------------------------------------------------------------- start-up


FIRST_STEP = """
import time; t0 = time.perf_counter()
import numpy as np, minigrad as mg, nn
from minigrad import optim
t1 = time.perf_counter()
m = nn.Embedding(32, 16); r = nn.LSTM(16, 32, batch_first=True); o = nn.Linear(32, 32)
ps = list(m.parameters()) + list(r.parameters()) + list(o.parameters())
opt = optim.Adam(ps, lr=1e-3)
x = np.random.default_rng(0).integers(0, 32, (4, 21))
h, _ = r(m(x[:, :-1]))
loss = nn.functional.cross_entropy(o(h).reshape(-1, 32), x[:, 1:].reshape(-1))
opt.zero_grad(); loss.backward(); opt.step()
t2 = time.perf_counter()
print(t1 - t0, t2 - t0)
"""


def bench_startup() -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            res = subprocess.run([sys.executable, "-c", FIRST_STEP], capture_output=True,
                                 text=True, env=env, check=True)
            imp, first = map(float, res.stdout.split())
            out[label] = (imp, first)
    res = subprocess.run([sys.executable, "-c", "import time; t=time.perf_counter(); "
                          "import torch; print(time.perf_counter()-t)"], capture_output=True,
                         text=True, check=True)
    out["torch_import"] = float(res.stdout)
    return out


# ----------------------------------------------------------------------------- kernels


def bench_kernels(quick: bool) -> list[dict]:
    from minigrad.kernels import activations, adam, scatter, softmax
    from nn.kernels import cross_entropy, recurrent

    rng = np.random.default_rng(0)
    rows = []

    def pair(label, fn, *args):
        fn.kernel(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        t_k, t_r, ratio = alternate(lambda: fn.kernel(*args), lambda: fn.reference(*args),
                                    3, 2 if quick else 5)
        rows.append(dict(kernel=label, speedup=ratio))

    idx = rng.integers(0, 1000, 64 * 35)
    pair("scatter-add rows (embedding backward) vs np.add.at", scatter.scatter_add_rows,
         np.zeros((1000, 256), np.float32), idx, rng.standard_normal((idx.size, 256)).astype(
             np.float32))
    # The softmax, cross-entropy, activation and Adam kernels are size-dispatched: each runs
    # where it was measured to win (small arrays: one fused pass, no temporaries) and numpy's
    # SIMD ufuncs run above.  Both sizes are listed; "large" shows the dispatch costs nothing.
    for size, (n, c) in (("small 16x32", (16, 32)), ("large 2240x1000", (64 * 35, 1000))):
        x = rng.standard_normal((n, c)).astype(np.float32)
        pair(f"log_softmax rows, {size}", softmax.log_softmax, x, 1)
        pair(f"log_softmax backward, {size}", softmax.log_softmax_backward,
             softmax.log_softmax_ref(x, 1), x, 1)
        pair(f"softmax rows, {size}", softmax.softmax, x, 1)
        pair(f"logsumexp rows, {size}", softmax.logsumexp, x, (1,), False)
        pair(f"fused cross-entropy fwd+bwd, {size}", cross_entropy.cross_entropy_rows, x,
             rng.integers(0, c, n), -100, 0.0)
    for size, n in (("32K", 1 << 15), ("1M", 1 << 20)):
        y = np.tanh(rng.standard_normal(n)).astype(np.float32)
        g = rng.standard_normal(n).astype(np.float32)
        pair(f"tanh backward, {size}", activations.tanh_backward, y, g)
        pair(f"sigmoid backward, {size}", activations.sigmoid_backward, y, g)
    for size, n in (("4K params", 4096), ("1M params", 1 << 20)):
        p, g = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
        pair(f"Adam step, {size}", adam.adam_step, p, g, np.zeros_like(p), np.zeros_like(p), 3,
             1e-3, 0.9, 0.999, 1e-8, 0.0, False)
    for label, mode, (B, T, H) in (("LSTM", 2, (32, 64, 128)), ("GRU", 3, (32, 64, 128)),
                                   ("LSTM", 2, (1, 100, 32)), ("GRU", 3, (1, 100, 32))):
        G = (4 if mode == 2 else 3) * H
        args = (mode, rng.standard_normal((T, B, G)).astype(np.float32),
                np.zeros((B, H), np.float32), np.zeros((B, H), np.float32),
                (rng.standard_normal((G, H)) * 0.1).astype(np.float32),
                np.zeros(G, np.float32), np.ones((T, B), np.float32), False)
        pair(f"{label} recurrence fwd (B={B}, T={T}, H={H})", recurrent.recurrence_forward,
             *args)
        out, hs, cs, acts, aux = recurrent.recurrence_forward_ref(*args)
        pair(f"{label} BPTT bwd (B={B}, T={T}, H={H})", recurrent.recurrence_backward, mode,
             rng.standard_normal((T, B, H)).astype(np.float32), np.zeros((B, H), np.float32),
             np.zeros((B, H), np.float32), hs, cs, acts, aux, args[4], args[6], False)
    return rows


# ----------------------------------------------------------------------------- report


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """A markdown section: text columns left-aligned, the rest right-aligned."""
    print(f"## {title}\n")
    print("| " + " | ".join(header) + " |")
    text = {0} if header[1] != "cell" else {0, 1}
    print("|" + "|".join("---" if i in text else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    ap.add_argument("--only", choices=["training", "overhead", "startup", "kernels"])
    args = ap.parse_args(argv)
    import torch

    threads = torch.get_num_threads()
    print(f"# minigrad vs PyTorch {torch.__version__} CPU, {threads} threads, numpy "
          f"{np.__version__}\n")
    if args.only in (None, "training"):
        peak = gemm_peak()
        table("Training step (embedding -> recurrent -> linear -> cross-entropy -> Adam)",
              ["case", "cell", "minigrad tok/s", "torch tok/s", "ratio mg/torch", "GFLOP/s",
               "% of GEMM peak"],
              [[r["case"], r["cell"], f"{r['mg_tok_s']:,.0f}", f"{r['torch_tok_s']:,.0f}",
                f"**{r['ratio']:.2f}x**", f"{r['gflops']:.1f}", f"{100 * r['gflops'] / peak:.0f}%"]
               for r in bench_training(args.quick)])
        print(f"numpy float32 GEMM peak (1024^3) in the same run: {peak:.1f} GFLOP/s\n")
    if args.only in (None, "overhead"):
        table("Per-op overhead on tiny tensors (2 elements)",
              ["op", "minigrad us", "torch us", "torch time / minigrad time"],
              [[f"`{r['op']}`", f"{r['mg_us']:.1f}", f"{r['torch_us']:.1f}",
                f"**{r['ratio']:.2f}x**"] for r in bench_overhead(args.quick)])
    if args.only in (None, "startup"):
        s = bench_startup()
        table("Import and first training step (fresh process)",
              ["Numba cache", "import minigrad+nn (s)", "import + first LSTM step (s)"],
              [[k, f"{s[k][0]:.2f}", f"{s[k][1]:.2f}"] for k in ("cold", "warm")])
        print(f"(import torch alone in the same run: {s['torch_import']:.2f} s)\n")
    if args.only in (None, "kernels"):
        table("Numba kernels vs their numpy references", ["kernel", "speed-up"],
              [[r["kernel"], f"{r['speedup']:.1f}x"] for r in bench_kernels(args.quick)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
