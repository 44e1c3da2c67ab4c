"""State without pickle: nested containers of tensors, arrays, numbers and strings as JSON.

A training checkpoint (``{"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}``)
is a tree whose leaves are data. It is stored as a JSON tree in the manifest, every array as its
own ``.npy`` member, so loading it runs no pickle at all. Node encoding::

    null true false 7 "text"        None, bools, ints below 2**53, strings (any key works)
    {"int": "-1f"}                  larger ints, in hex
    {"float": "nan"}                floats by repr: exact, incl. nan, inf, -0.0
    {"str": b64} {"bytes": b64}     strings holding lone surrogates (utf-8, surrogatepass); bytes
    {"array": i} {"scalar": i}      ndarray / numpy scalar stored as member arrays/i.npy
    {"tensor": j}                   manifest["tensors"][j] = {"array": i, "requires_grad": b,
                                    "class": ["nn.module", "Parameter"] (subclasses only)}
    {"list": [...]} {"tuple": [...]}
    {"dict": [[k, v], ...]} {"odict": ...}   keys keep their type: 0 and "0" stay distinct

Anything else (a module, a user class, a set, a cycle) is not state: ``save`` pickles it.
"""
from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .allowlist import qualified_name
from .container import ArrayTable
from .tensors import _rebuild_tensor, is_plain

MAX_DEPTH = 200
_JSON_INT = 1 << 53


class NotState(Exception):
    """The object holds something the no-pickle format does not describe."""


class Malformed(ValueError):
    """A manifest tree that this module did not write."""


class Encoder:
    """Turns a state tree into JSON nodes, collecting its arrays in ``arrays``."""

    def __init__(self) -> None:
        self.arrays = ArrayTable()
        self.tensors: list[dict[str, Any]] = []
        self._tensor_ids: dict[int, int] = {}  # by id(): the tree keeps every tensor alive
        self._path: set[int] = set()

    def encode(self, obj: Any, depth: int = 0) -> Any:
        """The JSON node for ``obj``; raises ``NotState`` for anything the format lacks."""
        t = type(obj)
        if obj is None or t is bool or (t is str and _utf8_ok(obj)):
            return obj
        if t is int:
            return obj if -_JSON_INT < obj < _JSON_INT else {"int": format(obj, "x")}
        if t is float:
            return {"float": repr(obj)}
        if t is str:
            return {"str": _b64(obj.encode("utf-8", "surrogatepass"))}
        if t is bytes:
            return {"bytes": _b64(obj)}
        if isinstance(obj, Tensor):
            return {"tensor": self._tensor(obj)}
        if t in (np.ndarray, np.memmap) and is_plain(obj.dtype):
            return {"array": self.arrays.add(np.asarray(obj))}
        if isinstance(obj, np.generic) and is_plain(obj.dtype):
            return {"scalar": self.arrays.add(np.asarray(obj))}
        if t in (list, tuple, dict, OrderedDict):
            if depth >= MAX_DEPTH or id(obj) in self._path:
                raise NotState  # too deep or a cycle: pickle handles it
            self._path.add(id(obj))
            try:
                if t in (list, tuple):
                    return {t.__name__: [self.encode(v, depth + 1) for v in obj]}
                tag = "dict" if t is dict else "odict"
                return {tag: [[self.key(k), self.encode(v, depth + 1)] for k, v in obj.items()]}
            finally:
                self._path.discard(id(obj))
        raise NotState

    def key(self, k: Any) -> Any:
        """Dict keys: hashable leaves, or tuples of them."""
        if type(k) is tuple:
            return {"tuple": [self.key(x) for x in k]}
        if k is None or type(k) in (bool, int, float, str, bytes):
            return self.encode(k)
        raise NotState

    def _tensor(self, t: Tensor) -> int:
        j = self._tensor_ids.get(id(t))
        if j is None:
            arr = t.detach().numpy()
            entry = {"array": self.arrays.add(arr), "requires_grad": t.requires_grad}
            if type(t) is not Tensor:
                qualified_name(type(t))  # refuses classes pickle could not name either
                entry["class"] = [type(t).__module__, type(t).__qualname__]
            j = self._tensor_ids[id(t)] = len(self.tensors)
            self.tensors.append(entry)
        return j


def _utf8_ok(s: str) -> bool:
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:  # lone surrogates: JSON would merge a \ud83d\ude00 pair
        return False


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


class Decoder:
    """Rebuilds the tree from its nodes. ``resolve(module, qualname)`` returns the Tensor
    subclass a tensor entry names (the caller decides whether the name is trusted)."""

    def __init__(self, manifest: dict, arrays: list[np.ndarray],
                 resolve: Callable[[str, str], type]):
        tensors = manifest.get("tensors", [])
        if not isinstance(tensors, list):
            raise Malformed("'tensors' is not a list")
        self._specs, self._arrays, self._resolve = tensors, arrays, resolve
        self._tensors: dict[int, Tensor] = {}

    def decode(self, node: Any) -> Any:
        """The object a node describes; ``Malformed`` for anything ``Encoder`` never writes."""
        t = type(node)
        if node is None or t in (bool, int, str):
            return node
        if t is not dict or len(node) != 1:
            raise Malformed(f"unexpected node {node!r:.80}")
        (tag, v), = node.items()
        if tag in ("list", "tuple"):
            items = [self.decode(x) for x in _of(v, list)]
            return items if tag == "list" else tuple(items)
        if tag in ("dict", "odict"):
            pairs = []
            for pair in _of(v, list):
                if type(pair) is not list or len(pair) != 2:
                    raise Malformed("a dict item is not a [key, value] pair")
                pairs.append((self.key(pair[0]), self.decode(pair[1])))
            return dict(pairs) if tag == "dict" else OrderedDict(pairs)
        if tag == "tensor":
            return self._tensor(_of(v, int))
        if tag in ("array", "scalar"):
            arr = self._array(v)
            if tag == "array":
                return arr
            if arr.ndim:
                raise Malformed("a numpy scalar is stored as a non-0-d array")
            return arr[()]
        if tag == "int":
            return int(_of(v, str), 16)
        if tag == "float":
            return float(_of(v, str))
        if tag in ("str", "bytes"):
            raw = base64.b64decode(_of(v, str), validate=True)
            return raw if tag == "bytes" else raw.decode("utf-8", "surrogatepass")
        raise Malformed(f"unknown node tag {tag!r}")

    def key(self, node: Any) -> Any:
        """A dict key: a hashable leaf or a tuple of them."""
        if type(node) is dict and set(node) == {"tuple"}:
            return tuple(self.key(x) for x in _of(node["tuple"], list))
        k = self.decode(node)
        if isinstance(k, (list, dict, np.ndarray, np.generic, Tensor)):
            raise Malformed("a dict key is not a hashable leaf")
        return k

    def _array(self, i: Any) -> np.ndarray:
        if type(i) is not int or not 0 <= i < len(self._arrays):
            raise Malformed(f"array index {i!r} out of range")
        return self._arrays[i]

    def _tensor(self, j: int) -> Tensor:
        if j in self._tensors:
            return self._tensors[j]
        if not 0 <= j < len(self._specs) or type(self._specs[j]) is not dict:
            raise Malformed(f"tensor index {j!r} out of range")
        spec = self._specs[j]
        arr, rg = self._array(spec.get("array")), spec.get("requires_grad")
        if type(rg) is not bool:
            raise Malformed("a tensor's requires_grad is not a bool")
        name = spec.get("class")
        if name is not None and (type(name) is not list or len(name) != 2
                                 or not all(type(n) is str for n in name)):
            raise Malformed("a tensor's class is not [module, qualname]")
        cls = Tensor if name is None else self._resolve(*name)
        t = self._tensors[j] = _rebuild_tensor(cls, arr, arr.dtype.str, arr.shape, rg)
        return t


def _of(v: Any, t: type) -> Any:
    if type(v) is not t:
        raise Malformed(f"expected {t.__name__}, got {type(v).__name__}")
    return v
