"""Random number generators: ``mg.Generator``, ``mg.default_generator`` and ``mg.manual_seed``.

Every random draw in minigrad and nn (``randn``, ``randint``, ``randperm``, ``uniform_``,
dropout, initialisation, ``DataLoader(shuffle=True)``...) comes from a :class:`Generator`:
the one passed as ``generator=``, else :data:`default_generator`. Seeding a generator makes
everything drawn from it repeatable. As in torch, the default generator starts from a random
seed and a new ``Generator()`` from the fixed seed 67280421310721.

The streams are numpy's PCG64, not torch's Mersenne twister: ``mg.manual_seed(0)`` repeats
minigrad's own numbers, not torch's. Code that draws needs :func:`numpy_generator`, which
returns the numpy ``np.random.Generator`` behind a minigrad generator.
"""
from __future__ import annotations

import contextlib
import operator
import secrets
from collections.abc import Iterator
from typing import Any

import numpy as np

from .device import check_device, device

_DEFAULT_SEED = 67280421310721  # torch's seed of a fresh torch.Generator()
_MAGIC = b"MGR1"  # first bytes of a state, so a foreign byte tensor is refused
_STATE_BYTES = len(_MAGIC) + 16 + 16 + 1 + 4 + 8


def _seed_value(seed: Any) -> int:
    """An int seed in [-2**63, 2**64) as an unsigned 64-bit value (negatives wrap, as torch)."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected an int, but got {type(seed).__name__}; "
                           f"mg.manual_seed(int(...)) converts")
    s = operator.index(seed)
    if not -(2**63) <= s < 2**64:
        raise ValueError(f"manual_seed: the seed must lie in [-2**63, 2**64), got {s}")
    return s % 2**64


class Generator:
    """A seedable source of random numbers, as ``torch.Generator`` (CPU only).

    ``g = mg.Generator().manual_seed(42)`` then ``mg.randn(3, generator=g)``: two generators
    seeded alike give the same draws, whatever the default generator does.
    ``device`` must name the CPU ('cpu', 'cpu:0', ``mg.device('cpu')``, None).
    """

    def __init__(self, device: device | str | None = "cpu"):
        check_device(device, "Generator(device=)")
        self._np = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))
        self._initial_seed = _DEFAULT_SEED

    @property
    def device(self) -> device:
        """Always ``device(type='cpu')``."""
        return check_device("cpu")

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (any int in [-2**63, 2**64)); returns ``self``."""
        s = _seed_value(seed)
        # seed in place: code holding numpy_generator(self) keeps seeing this generator
        self._np.bit_generator.state = np.random.PCG64(s).state
        self._initial_seed = s
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        s = secrets.randbits(64)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self):
        """The full state as a uint8 tensor (``set_state`` restores it, ``mg.save`` stores it)."""
        # Tensor sits above this module (its uniform_/normal_ draw from here): import on use
        from .tensor import Tensor

        st = self._np.bit_generator.state
        raw = (_MAGIC + st["state"]["state"].to_bytes(16, "little")
               + st["state"]["inc"].to_bytes(16, "little")
               + bytes([st["has_uint32"]]) + st["uinteger"].to_bytes(4, "little")
               + self._initial_seed.to_bytes(8, "little"))
        return Tensor(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by :meth:`get_state`; returns ``self``."""
        raw = _state_bytes(new_state)
        i = len(_MAGIC)
        st = np.random.PCG64().state
        st["state"] = {"state": int.from_bytes(raw[i:i + 16], "little"),
                       "inc": int.from_bytes(raw[i + 16:i + 32], "little")}
        st["has_uint32"] = raw[i + 32]
        st["uinteger"] = int.from_bytes(raw[i + 33:i + 37], "little")
        self._np.bit_generator.state = st
        self._initial_seed = int.from_bytes(raw[i + 37:i + 45], "little")
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator device='cpu' initial_seed={self._initial_seed}>"


def _state_bytes(state) -> bytes:
    if not hasattr(state, "__array__"):  # a Tensor or an ndarray, not a list
        raise TypeError(f"expected a uint8 tensor from Generator.get_state(), but got "
                        f"{type(state).__name__}")
    arr = np.asarray(state)
    if arr.dtype != np.uint8:
        raise TypeError(f"RNG state must be a uint8 tensor (from Generator.get_state()), got "
                        f"dtype {arr.dtype}")
    raw = arr.tobytes()
    if len(raw) != _STATE_BYTES or not raw.startswith(_MAGIC):
        raise RuntimeError(f"not a minigrad generator state: expected {_STATE_BYTES} bytes "
                           f"starting with {_MAGIC!r} (from Generator.get_state()), got "
                           f"{len(raw)} bytes")
    return raw


default_generator = Generator()
default_generator.seed()  # as torch: a fresh process draws differently until seeded


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The numpy generator behind ``generator`` (``None``: the default generator).

    Draw with it (``numpy_generator(g).standard_normal(shape)``) to honour ``generator=``
    arguments and ``mg.manual_seed``; it is seeded in place, so it may be kept.
    """
    if generator is None:
        return default_generator._np
    if not isinstance(generator, Generator):
        raise TypeError(f"generator= must be a minigrad.Generator (or None), got "
                        f"{type(generator).__name__}")
    return generator._np


def _rng() -> np.random.Generator:
    """Deprecated alias of ``numpy_generator()``, kept while callers move to it."""
    return default_generator._np


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, which every random draw without ``generator=`` uses
    (creation functions, ``uniform_/normal_``, nn's init and dropout, shuffling).
    ``int(seed)`` is used, as torch (so 1.5 and '3' are accepted). Returns the default
    generator, as torch."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Reseed the default generator from OS entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from :func:`get_rng_state`'s tensor."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_torch_only: Any) -> Iterator[None]:
    """Run a block with the default generator's state restored on exit, as
    ``torch.random.fork_rng``; ``devices`` must be None or empty (there are no GPUs)."""
    for d in devices or ():
        check_device(d, "fork_rng(devices=)")
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
