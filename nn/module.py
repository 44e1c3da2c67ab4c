"""``Module``: parameters and submodules registered by attribute assignment, as in torch.

Names in ``state_dict`` are attribute paths (``encoder.weight_ih_l0``), so a PyTorch
``state_dict`` of the same architecture loads as is.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: a leaf that requires grad."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True):
        arr = data.detach().numpy() if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: define ``forward``; call the module to run it."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning attributes")
        for d in (self._parameters, self._modules, self._buffers):
            d.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for d in ("_parameters", "_modules", "_buffers"):
            store = self.__dict__.get(d)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._modules, self._buffers):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, value: Tensor | None) -> None:
        """A tensor saved in ``state_dict`` but not trained (e.g. running statistics)."""
        self._buffers[name] = value

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop(0)
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            stack[0:0] = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()
                          if c is not None]

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((k, m) for k, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for k, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{k}" if mname else k), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for mname, m in self.named_modules():
            for k, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{k}" if mname else k), b

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter and buffer by its attribute path (detached, sharing memory)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for k, p in self.named_parameters():
            out[k] = p.detach()
        for k, b in self.named_buffers():
            out[k] = b.detach()
        return out

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True):
        """Copy values (numpy arrays, tensors, anything with ``__array__``) into this module.

        Everything is checked before anything is copied: on any error the module is
        unchanged.  Returns ``(missing_keys, unexpected_keys)``.
        """
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems, staged = [], []
        for k, target in own.items():
            if k not in state:
                continue
            v = state[k]
            arr = v.detach().numpy() if isinstance(v, Tensor) else np.asarray(v)
            if arr.shape != target.shape:
                problems.append(f"size mismatch for {k}: copying a param with shape "
                                f"{arr.shape}, the shape in the current model is {target.shape}")
            elif arr.dtype.kind not in "biuf":
                problems.append(f"{k}: value of dtype {arr.dtype} is not numeric")
            else:
                staged.append((target, arr))
        if strict and (missing or unexpected):
            problems.insert(0, f"missing keys: {missing}; unexpected keys: {unexpected}")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               f"(nothing was changed):\n  " + "\n  ".join(problems))
        for target, arr in staged:
            target.detach().numpy()[...] = np.asarray(arr, dtype=target.dtype)
        return missing, unexpected

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.detach().numpy()[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def apply(self, fn) -> Module:
        for m in list(self.modules())[::-1]:
            fn(m)
        return self

    def to(self, dtype) -> Module:
        """Convert every parameter and buffer to ``dtype`` (e.g. np.float64 for gradcheck)."""
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.dtype.kind == "f":
                        t.data = t.detach().numpy().astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({k}): " + repr(m).replace("\n", "\n  ") for k, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``."""

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for k, m in modules[0].items():
                self.add_module(k, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return Sequential(*mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, m: Module) -> Sequential:
        self.add_module(str(len(self)), m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``layers.0.weight``...)."""

    def __init__(self, modules: Iterable[Module] = ()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, ms: Iterable[Module]) -> ModuleList:
        for m in ms:
            self.append(m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules: Mapping[str, Module] | None = None):
        super().__init__()
        for k, m in (modules or {}).items():
            self[k] = m

    def __setitem__(self, k: str, m: Module) -> None:
        self.add_module(k, m)

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def __contains__(self, k: str) -> bool:
        return k in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, x):
        return x


def uniform_(shape: tuple[int, ...], bound: float) -> Parameter:
    """A Parameter drawn from U(-bound, bound) with the library's seeded generator."""
    from minigrad.random import numpy_generator

    data = numpy_generator().uniform(-bound, bound, shape).astype(mg.get_default_dtype())
    return Parameter(data)
