"""The two ways a load can fail: the file is damaged, or it asks for a global we do not trust."""
from __future__ import annotations

import os
import pickle


class CheckpointError(ValueError):
    """The file is not a readable minigrad checkpoint: damaged (a flipped bit, a truncation),
    empty, another format (a torch ``.pt``, a foreign zip, random bytes). Nothing was loaded."""


class UnpicklingError(pickle.UnpicklingError):
    """``weights_only`` loading met a class or function that is not on the allow-list.

    Raised like torch's ``pickle.UnpicklingError``; the message names the global and says how
    to allow it."""


def source_name(f) -> str:
    """How error messages name a checkpoint: its path, or the file object's name."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__}>"
