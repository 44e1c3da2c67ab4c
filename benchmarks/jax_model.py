"""The benchmarked training step in JAX: one ``jax.jit`` program (forward with ``lax.scan``
over time, ``value_and_grad``, torch's Adam), parameters and Adam state donated so XLA
updates them in place.  Imported only inside a worker process (see ``worker.py``), which
chooses XLA's thread count before JAX starts."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def jax_step(cell: str, weights: dict, data: np.ndarray, lr: float = 1e-3,
             betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
             ) -> Callable[[], object]:
    """A closure running one JAX training step and waiting for it; it returns the loss."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    V = weights["emb.weight"].shape[0]
    b1, b2 = betas

    def cell_fn(p):
        w_t, b_hh = p["rnn.weight_hh_l0"].T, p["rnn.bias_hh_l0"]

        def rnn(h, xp):  # h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
            h = jnp.tanh(xp + h @ w_t + b_hh)
            return h, h

        def lstm(hc, xp):  # torch's gate order i, f, g, o
            h, c = hc
            i, f, g, o = jnp.split(xp + h @ w_t + b_hh, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        def gru(h, xp):  # torch's gate order r, z, n; b_hn stays inside r * (...)
            xr, xz, xn = jnp.split(xp, 3, axis=-1)
            hr, hz, hn = jnp.split(h @ w_t + b_hh, 3, axis=-1)
            r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
            h = (1 - z) * jnp.tanh(xn + r * hn) + z * h
            return h, h

        return {"rnn": rnn, "lstm": lstm, "gru": gru}[cell]

    def loss_fn(p, x, y):
        B = x.shape[0]
        H = p["rnn.weight_hh_l0"].shape[1]
        e = jnp.swapaxes(p["emb.weight"][x], 0, 1)  # (T, B, E)
        xp = e @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"]  # (T, B, G)
        h0 = jnp.zeros((B, H), xp.dtype)
        init = (h0, h0) if cell == "lstm" else h0
        _, hs = lax.scan(cell_fn(p), init, xp)  # (T, B, H)
        logits = (jnp.swapaxes(hs, 0, 1) @ p["out.weight"].T + p["out.bias"]).reshape(-1, V)
        picked = jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)

    def train_step(p, m, v, step_size, bc2_sqrt, x, y):
        # torch.optim.Adam: p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in p}
        v = {k: b2 * v[k] + (1 - b2) * g[k] * g[k] for k in p}
        p = {k: p[k] - step_size * m[k] / (jnp.sqrt(v[k]) / bc2_sqrt + eps) for k in p}
        return p, m, v, loss

    compiled = jax.jit(train_step, donate_argnums=(0, 1, 2))
    state = {"p": {k: jnp.asarray(w) for k, w in weights.items()}, "t": 0}
    state["m"] = {k: jnp.zeros_like(w) for k, w in state["p"].items()}
    state["v"] = {k: jnp.zeros_like(w) for k, w in state["p"].items()}
    x, y = jnp.asarray(data[:, :-1]), jnp.asarray(data[:, 1:].reshape(-1))

    def step():
        state["t"] += 1
        t = state["t"]
        step_size = np.float32(lr / (1 - b1 ** t))
        bc2_sqrt = np.float32(math.sqrt(1 - b2 ** t))
        state["p"], state["m"], state["v"], loss = compiled(
            state["p"], state["m"], state["v"], step_size, bc2_sqrt, x, y)
        return loss.block_until_ready()  # one XLA program: its outputs are ready together
    return step
