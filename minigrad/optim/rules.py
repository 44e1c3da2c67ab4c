"""Update rules with PyTorch's defaults and formulas (``g`` is the gradient, ``p`` the value).

SGD:      g += wd p;  b = mu b + (1 - dampening) g  (b = g on step 1);  g = g + mu b (nesterov)
          or b;  p -= lr g
Adam:     g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
          p -= lr m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)     (amsgrad: v -> max v)
AdamW:    p *= 1 - lr wd, then Adam without the wd term
RMSprop:  g += wd p;  v = a v + (1 - a) g^2;  (centered: v - mean^2);  momentum buffer optional;
          p -= lr g / (sqrt v + eps)
Adagrad:  g += wd p;  clr = lr / (1 + (t - 1) lr_decay);  s += g^2;  p -= clr g / (sqrt s + eps)
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer


def _check(lr, **named):
    if lr < 0:
        raise ValueError(f"invalid learning rate: {lr}")
    for k, v in named.items():
        if v < 0:
            raise ValueError(f"invalid {k}: {v}")


class SGD(Optimizer):
    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        _check(lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, g, st, gr):
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        mu = gr["momentum"]
        if mu:
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = g.copy()
            else:
                st["momentum_buffer"] = mu * st["momentum_buffer"] + (1 - gr["dampening"]) * g
            b = st["momentum_buffer"]
            g = g + mu * b if gr["nesterov"] else b
        return p - gr["lr"] * g


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False):
        _check(lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid betas: {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, p, g, st, gr):
        from ..kernels.adam import adam_step

        lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
        if not st:
            st["step"] = 0
            st["exp_avg"] = np.zeros_like(p)
            st["exp_avg_sq"] = np.zeros_like(p)
            if gr["amsgrad"]:
                st["max_exp_avg_sq"] = np.zeros_like(p)
        st["step"] += 1
        if gr["amsgrad"]:
            return _adam_amsgrad(p, g, st, lr, b1, b2, eps, wd, self.decoupled)
        p = p.copy()
        adam_step(p, np.ascontiguousarray(g, p.dtype), st["exp_avg"], st["exp_avg_sq"],
                  st["step"], lr, b1, b2, eps, wd, self.decoupled)
        return p


def _adam_amsgrad(p, g, st, lr, b1, b2, eps, wd, decoupled):
    if decoupled:
        p = p * (1 - lr * wd)
    elif wd:
        g = g + wd * p
    t = st["step"]
    st["exp_avg"] = b1 * st["exp_avg"] + (1 - b1) * g
    st["exp_avg_sq"] = b2 * st["exp_avg_sq"] + (1 - b2) * g * g
    st["max_exp_avg_sq"] = np.maximum(st["max_exp_avg_sq"], st["exp_avg_sq"])
    denom = np.sqrt(st["max_exp_avg_sq"]) / np.sqrt(1 - b2 ** t) + eps
    return p - lr / (1 - b1 ** t) * st["exp_avg"] / denom


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False):
        _check(lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, g, st, gr):
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        a = gr["alpha"]
        st["square_avg"] = a * st.get("square_avg", 0) + (1 - a) * g * g
        avg = st["square_avg"]
        if gr["centered"]:
            st["grad_avg"] = a * st.get("grad_avg", 0) + (1 - a) * g
            avg = avg - st["grad_avg"] ** 2
        denom = np.sqrt(avg) + gr["eps"]
        if gr["momentum"] > 0:
            st["momentum_buffer"] = gr["momentum"] * st.get("momentum_buffer", 0) + g / denom
            return p - gr["lr"] * st["momentum_buffer"]
        return p - gr["lr"] * g / denom


class Adagrad(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False):
        _check(lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _update(self, p, g, st, gr):
        if not st:
            st["step"] = 0
            st["sum"] = np.full_like(p, gr["initial_accumulator_value"])
        st["step"] += 1
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        clr = gr["lr"] / (1 + (st["step"] - 1) * gr["lr_decay"])
        st["sum"] = st["sum"] + g * g
        return p - clr * g / (np.sqrt(st["sum"]) + gr["eps"])
