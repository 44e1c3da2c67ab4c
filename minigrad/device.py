"""Devices, CPU only: ``mg.device``, ``mg.cuda``, ``mg.accelerator``, ``mg.backends``.

minigrad computes on the CPU with numpy and Numba. A PyTorch program still names devices, so
``mg.device('cuda')`` can be *built* exactly as in torch (a program may print it or compare
it), and ``mg.cuda.is_available()`` answers False so programs take their CPU branch. Any
attempt to *use* a device other than the CPU (a creation function's ``device=``, ``.to``,
``Module.to``, ``Generator(device=)``, ``set_default_device``) goes through
:func:`check_device` and raises ``RuntimeError("minigrad runs on the CPU only; ...")``.

Note: ``minigrad.device`` as an attribute is the :class:`device` class (as ``torch.device``);
import the helpers of this file with ``from minigrad.device import check_device``.
"""
from __future__ import annotations

import operator
import re

# torch's list of device types, so the same strings are accepted (and the same ones refused)
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
          "privateuseone")
_SPEC = re.compile(r"([a-z]+)(?::(0|[1-9][0-9]*))?")


class device:
    """A device name: ``type`` ('cpu', 'cuda', ...) and an optional ``index``, as ``torch.device``.

    ``device('cpu')``, ``device('cuda:1')``, ``device('cuda', 1)``, ``device(other_device)``.
    Two devices are equal when type and index are equal (``device('cpu') != device('cpu', 0)``,
    as in torch); a device never equals a string. Building a non-CPU device is allowed, using
    it is not (see :func:`check_device`).
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type: str | device, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): give either a device or a type and an index")
            self._type, self._index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(f"minigrad runs on the CPU only; device({type}) names accelerator "
                               f"number {type}. Use device('cpu').")
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu' or 'cuda:0' or a device, "
                            f"got {type!r}")
        m = _SPEC.fullmatch(type)
        if m is None:
            raise RuntimeError(f"Invalid device string: {type!r}")
        if m.group(1) not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of "
                               f"device string: {type}")
        parsed = None if m.group(2) is None else int(m.group(2))
        if index is not None:
            if parsed is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if isinstance(index, bool):
                raise TypeError("device(): argument 'index' must be int, not bool")
            try:
                parsed = operator.index(index)
            except TypeError:
                raise TypeError(f"device(): argument 'index' must be int, not "
                                f"{index.__class__.__name__}") from None
            if parsed < 0:
                raise RuntimeError("Device index must not be negative")
        self._type, self._index = m.group(1), parsed

    @property
    def type(self) -> str:
        """The device type: 'cpu', 'cuda', 'mps', ..."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device ordinal, or None when not given."""
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self._type, self._index) == (other._type, other._index)

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))


DeviceLike = device | str | None


class _Default:
    device = device("cpu")


def _cpu_only_error(what: str, d: device) -> RuntimeError:
    return RuntimeError(
        f"minigrad runs on the CPU only; {what} asked for device '{d}'. Use device='cpu' "
        f"(or leave device unset), and guard GPU code with mg.cuda.is_available(), which is "
        f"False.")


def check_device(dev: DeviceLike | int = None, what: str = "this call") -> device:
    """The CPU device for ``dev`` (None, 'cpu', 'cpu:0', ``device('cpu')``); raise for any other.

    Used by every creation function's ``device=``, ``Tensor.to/cpu``, ``Module.to`` and
    ``Generator(device=)``. ``None`` means the default device (always the CPU). ``what``
    names the caller in the error, e.g. ``check_device(d, "zeros(device=)")``.
    """
    if dev is None:
        return _Default.device
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise RuntimeError(f"minigrad runs on the CPU only; {what} asked for accelerator device "
                           f"{dev} (an integer device means an accelerator ordinal). Use "
                           f"device='cpu'.")
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise _cpu_only_error(what, d)
    return d


def is_cpu(dev: DeviceLike) -> bool:
    """True when ``dev`` names the CPU (or is None); never raises for other device names."""
    if dev is None:
        return True
    try:
        return (dev if isinstance(dev, device) else device(dev)).type == "cpu"
    except (TypeError, RuntimeError):
        return False


def set_default_device(dev: DeviceLike) -> None:
    """Set the device tensors are created on when ``device=`` is not given: only the CPU.

    ``None`` resets to the CPU. A non-CPU device raises, rather than silently staying on CPU.
    """
    _Default.device = device("cpu") if dev is None else check_device(dev, "set_default_device")


def get_default_device() -> device:
    """The device tensors are created on by default: ``device(type='cpu')``."""
    return _Default.device


# ----------------------------------------------------------------------------- namespaces
# torch.cuda / torch.accelerator / torch.backends are modules in torch; here they are small
# namespaces with the queries a CPU program makes, each answering "no accelerator".


class _Cuda:
    """``mg.cuda``: no CUDA. ``is_available()`` is False, ``device_count()`` is 0, seeding
    is a no-op (as in torch without CUDA); anything that needs a GPU raises."""

    @staticmethod
    def is_available() -> bool:
        """False: minigrad runs on the CPU only."""
        return False

    @staticmethod
    def device_count() -> int:
        """0 CUDA devices."""
        return 0

    @staticmethod
    def is_initialized() -> bool:
        """False: CUDA is never initialised."""
        return False

    @staticmethod
    def manual_seed(seed: int) -> None:
        """A no-op, as ``torch.cuda.manual_seed`` is without CUDA (seed the CPU with
        ``mg.manual_seed``)."""

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        """A no-op, as ``torch.cuda.manual_seed_all`` is without CUDA."""

    @staticmethod
    def current_device() -> int:
        """Raises: there is no current CUDA device."""
        raise _cpu_only_error("cuda.current_device()", device("cuda"))

    @staticmethod
    def synchronize(dev: DeviceLike = None) -> None:
        """Raises: there is no CUDA device to synchronise."""
        raise _cpu_only_error("cuda.synchronize()", device("cuda"))

    @staticmethod
    def empty_cache() -> None:
        """A no-op (torch's is one too when CUDA was never initialised)."""


class _Accelerator:
    """``mg.accelerator``: no accelerator, so programs pick ``mg.device('cpu')``."""

    @staticmethod
    def is_available() -> bool:
        """False: minigrad runs on the CPU only."""
        return False

    @staticmethod
    def device_count() -> int:
        """0 accelerators."""
        return 0

    @staticmethod
    def current_accelerator(check_available: bool = False) -> device | None:
        """None: there is no accelerator (as torch on a CPU-only machine)."""
        return None


class _Mps:
    """``mg.backends.mps``: Apple's Metal backend is neither built nor available."""

    @staticmethod
    def is_available() -> bool:
        """False."""
        return False

    @staticmethod
    def is_built() -> bool:
        """False."""
        return False


class _Cudnn:
    """``mg.backends.cudnn``: unavailable; the flags programs set are kept and ignored."""

    enabled = True
    deterministic = False
    benchmark = False

    @staticmethod
    def is_available() -> bool:
        """False."""
        return False


class _Backends:
    """``mg.backends``: ``mps`` and ``cudnn`` queries, all answering "not available"."""

    mps = _Mps()
    cudnn = _Cudnn()


cuda = _Cuda()
accelerator = _Accelerator()
backends = _Backends()
