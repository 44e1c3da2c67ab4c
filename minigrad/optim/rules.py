"""Update rules with PyTorch's defaults and formulas (``g`` is the gradient, ``p`` the value).

SGD:      g += wd p;  b = mu b + (1 - dampening) g  (b = g on step 1);  g = g + mu b (nesterov)
          or b;  p -= lr g
Adam:     g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
          p -= lr m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)     (amsgrad: v -> max v)
AdamW:    p *= 1 - lr wd, then Adam without the wd term
RMSprop:  g += wd p;  v = a v + (1 - a) g^2;  (centered: v - mean^2);  momentum buffer optional;
          p -= lr g / (sqrt v + eps)
Adagrad:  g += wd p;  clr = lr / (1 + (t - 1) lr_decay);  s += g^2;  p -= clr g / (sqrt s + eps)

Every rule changes ``p`` and its state arrays in place.  ``maximize`` ascends; torch's
``foreach``, ``fused``, ``capturable`` and ``differentiable`` are accepted and change nothing
here (one CPU implementation; steps are never part of a graph).
"""
from __future__ import annotations

import math

import numpy as np

from ..kernels.adam import adam_multi_step, adam_step
from .optimizer import Optimizer


def _check(lr, **named):
    if not lr >= 0:
        raise ValueError(f"invalid learning rate: {lr}")
    for k, v in named.items():
        if not v >= 0:
            raise ValueError(f"invalid {k} value: {v}")


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None):
        _check(lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _state_keys(self, gr):
        return ("momentum_buffer",) if gr["momentum"] else ()

    def _check_state(self, p, st, gr, gi, i):
        if st.get("momentum_buffer", 0) is not None:  # None: torch's "not started yet"
            super()._check_state(p, st, gr, gi, i)

    def _update(self, p, g, st, gr):
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        mu = gr["momentum"]
        if mu:
            b = st.get("momentum_buffer")
            if b is None:
                b = st["momentum_buffer"] = g.copy()
            else:
                b *= mu
                b += (1 - gr["dampening"]) * g
            g = g + mu * b if gr["nesterov"] else b
        p -= gr["lr"] * g


class Adam(Optimizer):
    """Adam (``decoupled_weight_decay=True``: AdamW); a fused kernel unless ``amsgrad``."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False):
        _check(lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid beta parameters: {tuple(betas)} (each in [0, 1))")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _state_keys(self, gr):
        keys = ("step", "exp_avg", "exp_avg_sq")
        return keys + ("max_exp_avg_sq",) if gr["amsgrad"] else keys

    def _init_state(self, p, gr):
        st = {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if gr["amsgrad"]:
            st["max_exp_avg_sq"] = np.zeros_like(p)
        return st

    def _step_group(self, gr, work):
        """Without amsgrad, every parameter of the group in one ``adam_multi_step`` call
        (per dtype); it computes exactly what ``_update`` does per parameter."""
        if gr["amsgrad"] or not work:
            return super()._step_group(gr, work)
        for dtype in {p.dtype for p, _, _ in work}:
            ps, gs, ms, vs, steps = [], [], [], [], []
            for p, g, st in work:
                if p.dtype != dtype:
                    continue
                if not (p.flags.c_contiguous and st["exp_avg"].flags.c_contiguous
                        and st["exp_avg_sq"].flags.c_contiguous):
                    self._update(p, g, st, gr)  # e.g. a parameter that is a strided view
                    continue
                st["step"] += 1
                ps.append(p)
                gs.append(np.ascontiguousarray(g))
                ms.append(st["exp_avg"])
                vs.append(st["exp_avg_sq"])
                steps.append(st["step"])
            adam_multi_step(ps, gs, ms, vs, steps, gr["lr"], *gr["betas"], gr["eps"],
                            gr["weight_decay"], gr.get("decoupled_weight_decay", False))

    def _update(self, p, g, st, gr):
        lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
        decoupled = gr.get("decoupled_weight_decay", False)
        st["step"] += 1
        if not gr["amsgrad"]:
            adam_step(p, np.ascontiguousarray(g), st["exp_avg"], st["exp_avg_sq"], st["step"],
                      lr, b1, b2, eps, wd, decoupled)
            return
        t, m, v, vmax = st["step"], st["exp_avg"], st["exp_avg_sq"], st["max_exp_avg_sq"]
        if decoupled:
            p *= 1 - lr * wd
        elif wd:
            g = g + wd * p
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        np.maximum(vmax, v, out=vmax)
        denom = np.sqrt(vmax) / math.sqrt(1 - b2 ** t) + eps
        p -= lr / (1 - b1 ** t) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr wd`` before the Adam step."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """Divide by a running root mean square of the gradient (``centered``: of its variance)."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        _check(lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _state_keys(self, gr):
        return (("step", "square_avg") + (("momentum_buffer",) if gr["momentum"] > 0 else ())
                + (("grad_avg",) if gr["centered"] else ()))

    def _init_state(self, p, gr):
        return {k: 0.0 if k == "step" else np.zeros_like(p) for k in self._state_keys(gr)}

    def _update(self, p, g, st, gr):
        st["step"] += 1
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        a, sq = gr["alpha"], st["square_avg"]
        with np.errstate(over="ignore"):  # may overflow to inf, as torch's does (silently)
            sq *= a
            sq += (1 - a) * g * g
        if gr["centered"]:
            ga = st["grad_avg"]
            w = 1 - a  # torch's lerp(ga, g, w), rounded the same way
            if w < 0.5:
                ga += w * (g - ga)
            else:
                ga[...] = g - (g - ga) * (1 - w)
            # torch subtracts with one rounding (a fused multiply-add): once the mean square
            # overflows to inf the difference stays inf, never inf - inf = nan
            with np.errstate(invalid="ignore", over="ignore"):
                avg = np.where(np.isposinf(sq), sq, sq - ga * ga)
        else:
            avg = sq
        with np.errstate(invalid="ignore"):
            avg = np.sqrt(avg)
        avg += gr["eps"]
        if gr["momentum"] > 0:
            b = st["momentum_buffer"]
            b *= gr["momentum"]
            b += g / avg
            p -= gr["lr"] * b
        else:
            p -= gr["lr"] * (g / avg)


class Adagrad(Optimizer):
    """Divide by the root of the summed squared gradients (state made at construction)."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        _check(lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
               initial_accumulator_value=initial_accumulator_value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(self._init_state(p.detach().numpy(), group))

    def _state_keys(self, gr):
        return ("step", "sum")

    def _init_state(self, p, gr):
        return {"step": 0.0, "sum": np.full_like(p, gr["initial_accumulator_value"])}

    def _update(self, p, g, st, gr):
        st["step"] += 1
        if gr["weight_decay"]:
            g = g + gr["weight_decay"] * p
        clr = gr["lr"] / (1 + (st["step"] - 1) * gr["lr_decay"])
        s = st["sum"]
        s += g * g
        p -= clr * (g / (np.sqrt(s) + gr["eps"]))
