"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict`` (torch's
``torch.nn.modules.container``); their children are registered like attributes, so names in
``state_dict`` are ``0.weight``, ``layers.1.bias``, ``heads.a.weight``."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ..module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))`` (or from
    an OrderedDict of named modules)."""

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

    def _key(self, i: int) -> str:
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} of {n}")
        return list(self._modules)[i % n]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(OrderedDict(list(self._modules.items())[i]))
        return self._modules[self._key(i)]

    def __setitem__(self, i: int, m: Module) -> None:
        setattr(self, self._key(i), m)

    def __delitem__(self, i) -> None:
        keys = list(self._modules)[i] if isinstance(i, slice) else [self._key(i)]
        for k in keys:
            del self._modules[k]
        if all(k.isdigit() for k in self._modules):  # renumber, as torch
            items = list(self._modules.values())
            self._modules.clear()
            for j, m in enumerate(items):
                self._modules[str(j)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, m: Module) -> Sequential:
        self.add_module(str(len(self)), m)
        return self

    def extend(self, ms: Iterable[Module]) -> Sequential:
        for m in ms:
            self.append(m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``layers.0.weight``...)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def _key(self, i: int) -> str:
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for ModuleList of {n}")
        return str(i % n)

    def append(self, m: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, ms: Iterable[Module]) -> ModuleList:
        for m in ms:
            self.append(m)
        return self

    def insert(self, index: int, m: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, m)
        self._modules.clear()
        self.extend(items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(list(self._modules.values())[i])
        return self._modules[self._key(i)]

    def __setitem__(self, i: int, m: Module) -> None:
        setattr(self, self._key(i), m)

    def __delitem__(self, i) -> None:
        items = list(self._modules.values())
        del items[i]
        self._modules.clear()
        self.extend(items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules: Mapping[str, Module] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, k: str, m: Module) -> None:
        self.add_module(k, m)

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def __delitem__(self, k: str) -> None:
        del self._modules[k]

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

    def update(self, modules) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for k, m in pairs:
            self[k] = m

    def pop(self, k: str) -> Module:
        m = self._modules[k]
        del self._modules[k]
        return m

    def clear(self) -> None:
        self._modules.clear()
