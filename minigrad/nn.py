"""``minigrad.nn`` is the ``nn`` package itself (one module object, never a copy), so that
``import minigrad as torch`` programs find ``torch.nn``, ``torch.nn.functional`` and
``torch.nn.utils.rnn``.  The engine never imports this module; it exists only as the alias.
"""
import importlib
import importlib.abc
import importlib.util
import sys

import nn as _nn

_PREFIX = __name__ + "."


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``minigrad.nn.X`` to the already imported (or now imported) ``nn.X``."""

    def find_spec(self, name, path, target=None):
        if name.startswith(_PREFIX):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("nn." + spec.name[len(_PREFIX):])

    def exec_module(self, module) -> None:
        pass  # already executed as nn.X


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
sys.modules[__name__] = _nn
