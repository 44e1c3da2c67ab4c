"""Checkpoints: ``mg.save(obj, f)`` and ``mg.load(f)``, torch's API and its safety rules.

* **State** (nested dicts/lists/tuples of tensors, arrays, numbers, strings, bytes: a model's
  ``state_dict``, an optimizer's, the epoch...) is written without pickle: a JSON tree plus one
  ``.npy`` member per array (``state``). Every key string works; int keys stay ints; tuples stay
  tuples; tensors keep ``requires_grad``; tensors sharing memory (tied weights) share it again.
* **Anything else** (a whole ``nn.Module``, objects holding tensors) is pickled into the same
  container (``pickled``). ``mg.load`` defaults to ``weights_only=True``: the pickle may only
  use allow-listed globals (``safe_globals``, ``add_safe_globals``); ``weights_only=False``
  loads anything and so may run code from the file, as in torch.
* **Integrity**: the file is a zip sealed by a SHA-256 of all its bytes (``container``); any
  damage raises ``CheckpointError`` and nothing partial is returned. Saving to a path is atomic
  (``files``); saving to a file object writes straight into it (no atomicity is possible).
* Old checkpoints (the flat ``.npz`` of arrays written by minigrad before) load as before, as a
  dict of arrays.
"""
from __future__ import annotations

import io
import os
from typing import IO, Any

from . import container, pickled, state
from .allowlist import (
    add_safe_globals,
    allowed_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from .errors import CheckpointError, UnpicklingError, source_name
from .files import atomic_write
from .tensors import reduce_tensor

__all__ = ["save", "load", "safe_globals", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint", "CheckpointError",
           "UnpicklingError", "reduce_tensor"]

FileLike = str | os.PathLike | IO[bytes]


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` to ``f`` (a path, or a binary file object open for writing).

    State trees are stored without pickle, anything else is pickled (see the module doc).
    Everything is serialized in memory before the first byte is written, so an object that
    cannot be saved raises with the old file untouched."""
    to_path = isinstance(f, (str, bytes, os.PathLike))
    if not to_path:
        _check_binary(f, "write", "wb")
    encoder = state.Encoder()
    try:
        tree = encoder.encode(obj)
    except state.NotState:
        data, arrays = pickled.dumps(obj)
        manifest, payload = {"kind": "pickle"}, data
    else:
        arrays, payload = encoder.arrays.arrays, None
        manifest = {"kind": "state", "tensors": encoder.tensors, "root": tree}

    def write(fh: IO[bytes]) -> None:
        container.write(fh, manifest, arrays, payload)

    if to_path:
        atomic_write(os.fsdecode(f), write)
    else:
        write(f)


def load(f: FileLike, map_location: Any = None, *, weights_only: bool | None = True,
         mmap: bool | None = None) -> Any:
    """Read what ``save`` wrote to ``f`` (a path, or a seekable binary file object).

    ``weights_only`` (default True, None means True as in torch): state loads as is, and a
    pickle may only use allow-listed globals; anything else raises ``UnpicklingError`` naming
    the global and how to allow it. ``weights_only=False`` trusts the file fully.
    ``map_location``: None, ``'cpu'``, a CPU device, a dict mapping to the CPU, or a callable
    (ignored: every tensor is on the CPU). ``mmap=True`` is refused (the whole file is read to
    verify its seal). A damaged or foreign file raises ``CheckpointError``."""
    _check_map_location(map_location)
    if mmap:
        raise ValueError("mmap=True is not supported: minigrad reads the whole checkpoint to "
                         "verify its SHA-256 seal; pass mmap=False or leave it out")
    weights_only = True if weights_only is None else bool(weights_only)
    source = source_name(f)
    contents = _read(f, source)
    if contents.legacy is not None:
        return contents.legacy
    if contents.pickle is not None:
        try:
            return pickled.loads(contents.pickle, contents.arrays, weights_only, source)
        except UnpicklingError:
            raise
        except Exception as e:
            if not weights_only:
                raise  # errors of the trusted classes' own code
            raise CheckpointError(f"{source}: could not rebuild the pickled object "
                                  f"({type(e).__name__}: {e})") from e
    try:
        decoder = state.Decoder(contents.manifest, contents.arrays,
                                pickled.resolver(weights_only, source))
        return decoder.decode(contents.manifest.get("root"))
    except UnpicklingError:
        raise
    except (state.Malformed, RecursionError, ValueError, TypeError, RuntimeError) as e:
        raise CheckpointError(f"{source} has a malformed state tree ({e}); nothing was "
                              f"loaded") from e


def get_unsafe_globals_in_checkpoint(f: FileLike) -> list[str]:
    """The globals (``module.qualname``) the checkpoint ``f`` would need allow-listed to load
    with ``weights_only=True``; read without unpickling anything."""
    source = source_name(f)
    contents = _read(f, source)
    if contents.pickle is not None:
        return pickled.unsafe_globals(contents.pickle)
    allowed = allowed_globals()
    names = [".".join(t["class"]) for t in contents.manifest.get("tensors", [])
             if isinstance(t, dict) and isinstance(t.get("class"), list)]
    return list(dict.fromkeys(n for n in names if n not in allowed))


def _read(f: FileLike, source: str) -> container.Contents:
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no checkpoint at {path!r}")
        with open(path, "rb") as fh:
            return container.read(fh, source)
    _check_binary(f, "read", "rb")
    seekable = getattr(f, "seekable", None)
    if seekable is None or not seekable():
        return container.read(io.BytesIO(f.read()), source)
    return container.read(f, source)


def _check_binary(f: Any, method: str, mode: str) -> None:
    if not callable(getattr(f, method, None)):
        raise TypeError(f"expected a path or a binary file object with .{method}(); got "
                        f"{type(f).__name__}")
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"the file object is in text mode; open it in binary mode ({mode!r})")


def _check_map_location(loc: Any) -> None:
    if loc is None or callable(loc) and not isinstance(loc, (str, dict)):
        return  # torch's `lambda storage, loc: storage` idiom: everything is on the CPU
    if isinstance(loc, dict):
        for v in loc.values():
            _check_map_location(v)
        return
    name = loc if isinstance(loc, str) else getattr(loc, "type", None)
    if not isinstance(name, str):
        raise TypeError(f"map_location must be None, 'cpu', a device, a dict or a callable; "
                        f"got {type(loc).__name__}")
    if name.split(":")[0] != "cpu":
        raise ValueError(f"map_location={loc!r}: minigrad runs on the CPU only; use "
                         f"map_location='cpu' (or leave it out)")
