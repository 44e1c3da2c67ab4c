"""``Optimizer``: parameter groups, per-parameter state, state_dict — shared by every rule."""
from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (dicts with 'params' and options) and ``state`` per parameter.
    Subclasses implement ``_update(p, grad, state, group)`` on numpy arrays."""

    defaults: dict[str, Any] = {}

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for g in groups:
            g = {**defaults, **g, "params": list(g["params"])}
            for p in g["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise ValueError("optimizer can only optimize tensors that require grad")
            self.param_groups.append(g)
        self.state: dict[int, dict[str, Any]] = {}

    def _params(self):
        for g in self.param_groups:
            for p in g["params"]:
                yield g, p

    def zero_grad(self, set_to_none: bool = True) -> None:
        for _, p in self._params():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.detach().numpy()[...] = 0

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for g, p in self._params():
            if p.grad is None:
                continue
            st = self.state.setdefault(id(p), {})
            grad = p.grad.detach().numpy()
            if g.get("maximize"):
                grad = -grad
            arr = p.detach().numpy()
            new = self._update(arr, grad, st, g)
            if new is not arr:
                arr[...] = new
        return loss

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {...}}, 'param_groups': [{options, 'params': [indices]}]}."""
        index, groups, k = {}, [], 0
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index[id(p)] = k
                ids.append(k)
                k += 1
            groups.append({**{n: v for n, v in g.items() if n != "params"}, "params": ids})
        state = {index[i]: copy.deepcopy(s) for i, s in self.state.items() if i in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        groups = sd["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("loaded optimizer state has a different number of groups or "
                             "parameters than this optimizer")
        params = [p for g in self.param_groups for p in g["params"]]
        self.state = {id(params[int(i)]): copy.deepcopy(s) for i, s in sd["state"].items()}
        for g, saved in zip(self.param_groups, groups):
            g.update({n: v for n, v in saved.items() if n != "params"})

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({opts})"
