"""Checkpoints as ``.npz``: arrays only, never pickle, written atomically."""
from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping

import numpy as np


def save(state: Mapping, path: str | os.PathLike) -> None:
    """Write a flat dict of arrays/tensors to ``path`` (temp file + rename: all or nothing)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"save expects a dict of arrays (e.g. model.state_dict()), got "
                        f"{type(state).__name__}")
    arrays = {}
    for k, v in state.items():
        a = np.asarray(getattr(v, "data", v) if not isinstance(v, np.ndarray) else v)
        if a.dtype == object:
            raise TypeError(f"save: value for {k!r} is not numeric (dtype object); only arrays "
                            f"of numbers are saved")
        arrays[str(k)] = a
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a checkpoint written by ``save``; pickled content is refused, never executed."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise ValueError(f"{path!r} is not a minigrad checkpoint (not an .npz archive); "
                             f"nothing was loaded")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except ValueError as e:
        raise ValueError(f"{path!r} holds pickled objects; minigrad checkpoints contain only "
                         f"numeric arrays, so it was refused ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(f"{path!r} is not a valid minigrad checkpoint (truncated or corrupt: "
                         f"{e})") from None
