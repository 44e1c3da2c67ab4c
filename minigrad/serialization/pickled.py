"""Whole objects (a model, anything holding tensors) through pickle, and loading them safely.

``dumps`` pickles with every plain numpy array stored outside the pickle (as a checkpoint
member, referenced by index through pickle's persistent ids) and tensors, numpy scalars and
dtypes reduced to minigrad's rebuilders. ``loads(..., weights_only=True)`` runs an Unpickler
whose ``find_class`` resolves only allow-listed names and never imports a module, so the file
can call nothing but those; ``weights_only=False`` is an ordinary (trusting) unpickle.
"""
from __future__ import annotations

import io
import pickle
import pickletools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .allowlist import allowed_globals
from .container import ArrayTable
from .errors import UnpicklingError
from .tensors import _rebuild_tensor, is_plain, reduce_numpy_dtype, reduce_numpy_scalar

PROTOCOL = 4


class _Pickler(pickle.Pickler):
    def __init__(self, file, arrays: ArrayTable):
        super().__init__(file, protocol=PROTOCOL)
        self._arrays = arrays

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) in (np.ndarray, np.memmap) and is_plain(obj.dtype):
            return ("array", self._arrays.add(np.asarray(obj)))
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            arr = obj.detach().numpy()  # stored as a member via persistent_id
            args = (type(obj), arr, arr.dtype.str, arr.shape, obj.requires_grad)
            state = getattr(obj, "__dict__", None)
            return (_rebuild_tensor, args + (dict(state),) if state else args)
        if isinstance(obj, np.generic) and is_plain(obj.dtype):
            return reduce_numpy_scalar(obj)
        if isinstance(obj, np.dtype) and is_plain(obj):
            return reduce_numpy_dtype(obj)
        return NotImplemented


def dumps(obj: Any) -> tuple[bytes, list[np.ndarray]]:
    """``obj`` pickled, and the arrays its persistent ids refer to."""
    arrays = ArrayTable()
    buf = io.BytesIO()
    _Pickler(buf, arrays).dump(obj)
    return buf.getvalue(), arrays.arrays


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, arrays: list[np.ndarray],
                 allowed: dict[str, Any] | None, source: str):
        super().__init__(io.BytesIO(data))
        self._data, self._arrays, self._allowed, self._source = data, arrays, allowed, source

    def persistent_load(self, pid: Any) -> np.ndarray:
        if (type(pid) is not tuple or len(pid) != 2 or pid[0] != "array"
                or type(pid[1]) is not int or not 0 <= pid[1] < len(self._arrays)):
            raise UnpicklingError(f"{self._source}: bad array reference {pid!r:.80}")
        return self._arrays[pid[1]]

    def find_class(self, module: str, name: str) -> Any:
        if self._allowed is None:  # weights_only=False: the caller trusts the file
            return super().find_class(module, name)
        obj = self._allowed.get(f"{module}.{name}")
        if obj is None:
            raise UnpicklingError(refusal(f"{module}.{name}", self._source,
                                          unsafe_globals(self._data)))
        return obj


def loads(data: bytes, arrays: list[np.ndarray], weights_only: bool, source: str) -> Any:
    """Unpickle ``data`` written by ``dumps``; ``weights_only`` admits allow-listed globals
    only (see ``allowlist``)."""
    return _Unpickler(data, arrays, allowed_globals() if weights_only else None, source).load()


def refusal(name: str, source: str, all_unsafe: list[str] | None = None) -> str:
    """The message for a refused global: what it is and the three ways forward."""
    needed = [name] + [g for g in all_unsafe or [] if g != name]
    shorts = ", ".join(g.rsplit(".", 1)[-1] for g in needed)
    also = f" The file also needs: {', '.join(needed[1:])}." if len(needed) > 1 else ""
    return (f"weights_only load of {source} refused the global {name}: it is not on the "
            f"allow-list, and loading it could run code from the file.{also} If you trust "
            f"{'them' if len(needed) > 1 else 'it'}, allow {'them' if len(needed) > 1 else 'it'}"
            f" for one load with\n"
            f"    with minigrad.serialization.safe_globals([{shorts}]):\n"
            f"        mg.load(...)\n"
            f"or for the whole process with minigrad.serialization.add_safe_globals([{shorts}])."
            f" If you trust the whole file, pass weights_only=False (it may run arbitrary code).")


def unsafe_globals(data: bytes, allowed: dict[str, Any] | None = None) -> list[str]:
    """Names (``module.qualname``) the pickle ``data`` uses that are not allow-listed, in
    order of first use; found by reading the opcodes, without unpickling anything."""
    allowed = allowed_globals() if allowed is None else allowed
    out: list[str] = []
    for name in _globals_in(data):
        if name not in allowed and name not in out:
            out.append(name)
    return out


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
               "BINSTRING", "STRING"}
_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
_PUT_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}


def _globals_in(data: bytes) -> list[str]:
    """Every global a pickle resolves, following the memo for protocol 4's STACK_GLOBAL."""
    names, memo, last = [], {}, [None, None]  # last: the two most recent pushed values
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in _STRING_OPS:
                last = [last[1], arg]
            elif op.name in _GET_OPS:
                last = [last[1], memo.get(arg)]
            elif op.name == "MEMOIZE":
                memo[len(memo)] = last[1]
            elif op.name in _PUT_OPS:
                memo[arg] = last[1]
            elif op.name in ("GLOBAL", "INST"):
                names.append(arg.replace(" ", "."))
                last = [last[1], None]
            elif op.name == "STACK_GLOBAL":
                if isinstance(last[0], str) and isinstance(last[1], str):
                    names.append(f"{last[0]}.{last[1]}")
                last = [None, None]
            else:
                last = [last[1], None]
    except (ValueError, UnicodeDecodeError):
        pass  # a damaged pickle: report what was readable
    return names


def resolver(weights_only: bool, source: str) -> Callable[[str, str], type]:
    """For the no-pickle format: the class a tensor entry names, under the same rules."""
    unpickler = _Unpickler(b"", [], allowed_globals() if weights_only else None, source)
    return unpickler.find_class
