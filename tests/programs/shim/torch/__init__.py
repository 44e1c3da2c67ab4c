"""The import alias, and the only minigrad-specific code the programs run under: ``import torch``
resolves to minigrad, and ``torch.X`` (nn, nn.functional, optim, utils.data, onnx, ...) to
``minigrad.X``. Put this directory first on PYTHONPATH (tests/programs/run.py does)."""
import importlib
import importlib.abc
import importlib.util
import sys

import minigrad


class _TorchToMinigrad(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch.X`` as the module object ``minigrad.X``."""

    def find_spec(self, name, path, target=None):
        if name.startswith("torch."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("minigrad." + spec.name[len("torch."):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _TorchToMinigrad())
sys.modules["torch"] = minigrad
