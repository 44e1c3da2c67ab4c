"""``Optimizer``: parameter groups, per-parameter state, state_dict — shared by every rule.

As in torch, ``state`` is keyed by the parameter objects themselves, so ``copy.deepcopy`` or
``pickle`` of ``(model, optimizer)`` together gives an optimizer whose state follows the
copied parameters; ``state_dict`` numbers the parameters in group order instead.

Every step first checks every gradient and every state array against its parameter (shape and
dtype), then updates: an error leaves parameters and state untouched, and nothing of the wrong
size reaches a kernel.  Updates write into each parameter's existing array, so views and
aliases of a parameter see the new values.
"""
from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from ..modes import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (dicts of 'params' and options) and ``state`` per parameter.

    Subclasses define ``_init_state(p, group)`` (the fresh state of one parameter, numpy
    arrays shaped like it plus a float ``'step'``) and ``_update(p, g, state, group)``, which
    changes the arrays ``p`` and ``state`` in place given the gradient ``g`` (read only).
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor; wrap it in a list: [p]")
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets changes between runs; use a list")
        params = list(params)
        group = dict(param_group)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            group["param_names"] = [n for n, _ in params]
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} of the "
                                f"group is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i} of the group "
                                 f"was computed from others; optimize the leaves it came from)")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters",
                          UserWarning, stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every gradient (``set_to_none``) or zero it in place."""
        for g in self.param_groups:
            for p in g["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p.grad.detach().numpy()[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = []  # check everything first: an error leaves parameters and state untouched
        for gi, group in enumerate(self.param_groups):
            todo = []
            for i, p in enumerate(group["params"]):
                if p._grad is None:
                    continue
                arr, grad = p._data, self._grad_of(p, gi, i)
                state = self.state.get(p)
                if state:
                    self._check_state(arr, state, group, gi, i)
                todo.append((p, arr, grad))
            work.append((group, todo))
        for group, todo in work:
            self._step_group(group, [(arr, -grad if group.get("maximize") else grad,
                                      self._state_of(p, arr, group)) for p, arr, grad in todo])
        return loss

    def _state_of(self, p: Tensor, arr: np.ndarray, group: dict) -> dict[str, Any]:
        """The state of ``p``, made fresh on its first step."""
        state = self.state[p]
        if not state:
            state.update(self._init_state(arr, group))
        return state

    def _step_group(self, group: dict, work: list[tuple]) -> None:
        """Update every ``(p, g, state)`` of one group (checked); a rule with a multi-tensor
        kernel does them all in one call."""
        for arr, grad, state in work:
            self._update(arr, grad, state, group)

    def _grad_of(self, p: Tensor, gi: int, i: int) -> np.ndarray:
        g = p._grad
        arr = g._data if isinstance(g, Tensor) else None
        if arr is None or arr.shape != p.shape or arr.dtype != p.dtype:
            got = (f"a {type(g).__name__}" if arr is None
                   else f"shape {arr.shape} and dtype {arr.dtype}")
            raise RuntimeError(f"{type(self).__name__}.step: parameter {i} of param group {gi} "
                               f"has shape {tuple(p.shape)} and dtype {p.dtype}, but its .grad "
                               f"has {got}; the gradient must match its parameter")
        return arr

    def _check_state(self, p: np.ndarray, state: dict, group: dict, gi: int, i: int) -> None:
        for key in self._state_keys(group):
            a = state.get(key)
            if key == "step":
                ok = isinstance(a, numbers.Real) and not isinstance(a, bool)
            else:
                ok = (isinstance(a, np.ndarray) and a.shape == p.shape and a.dtype == p.dtype
                      and a.flags.writeable)
            if not ok:
                desc = (f"{a!r}" if key == "step" else f"shape {a.shape} and dtype {a.dtype}"
                        if isinstance(a, np.ndarray) else f"a {type(a).__name__}")
                what = "lacks" if key not in state else f"has {desc} as"
                raise RuntimeError(f"{type(self).__name__}.step: the state of parameter {i} of "
                                   f"param group {gi} {what} '{key}'; it needs a writeable "
                                   f"array of the parameter's shape {p.shape} and dtype "
                                   f"{p.dtype} (a float for 'step'); was it loaded from "
                                   f"another optimizer or with other options?")

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        """The state entries one step needs (arrays shaped like the parameter, and 'step')."""
        return ()

    def _init_state(self, p: np.ndarray, group: dict) -> dict[str, Any]:
        return {}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no update rule")

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{options, 'params': [indices]}]}``,
        parameters numbered in group order; arrays are copies."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            for p in g["params"]:
                index.setdefault(id(p), len(index))
            groups.append({**{k: v for k, v in g.items() if k != "params"},
                           "params": [index[id(p)] for p in g["params"]]})
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items()
                 if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load ``state_dict()`` output (ours or torch's). Everything is checked first (group
        and parameter counts, each state array's shape against its parameter's); on any
        error the optimizer is unchanged. Floating state is cast to the parameter's dtype."""
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        for gi, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict's parameter group {gi} has "
                                 f"{len(s['params'])} parameters, this optimizer's has "
                                 f"{len(g['params'])}")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        order = {k: n for n, k in enumerate(id_map)}
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, saved in state_dict["state"].items():
            key = int(k) if isinstance(k, str) and k.isdigit() else k
            if key not in id_map:
                raise ValueError(f"loaded optimizer state has an entry for parameter {k!r}, "
                                 f"which no parameter group lists")
            p = id_map[key]
            state[p] = {name: _cast_state(name, v, p, order[key])
                        for name, v in dict(saved).items()}
        for g, s in zip(self.param_groups, saved_groups):
            s["params"] = g["params"]
            for k, v in self.defaults.items():  # options older checkpoints lack
                s.setdefault(k, v)
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.state, self.param_groups = state, saved_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {g[k]}" for k in sorted(g) if k != "params"]
        return "\n".join(lines) + "\n)"


def _cast_state(name: str, value: Any, p: Tensor, index: int) -> Any:
    """One loaded state entry for parameter number ``index``: a copy of the array in the
    parameter's dtype, or a float ``step``; refuses shapes that differ from the parameter's."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if name == "step" or isinstance(value, numbers.Number):
        arr = np.asarray(value)
        if arr.size != 1 or arr.dtype.kind not in "biuf":
            raise ValueError(f"loaded optimizer state '{name}' of parameter {index} must be a "
                             f"number, got {value!r}")
        return float(arr.reshape(()))
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"loaded optimizer state '{name}' of parameter {index} has dtype "
                        f"{arr.dtype}; a numeric array is needed")
    if arr.shape != tuple(p.shape):
        raise ValueError(f"loaded optimizer state '{name}' of parameter {index} has shape "
                         f"{arr.shape}, but the parameter has shape {tuple(p.shape)}")
    return np.array(arr, dtype=p.dtype if arr.dtype.kind == "f" else arr.dtype, copy=True)
