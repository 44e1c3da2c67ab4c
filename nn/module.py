"""``Module``: parameters and submodules registered by attribute assignment, as in torch.

Names in ``state_dict`` are attribute paths (``encoder.weight_ih_l0``), so a PyTorch
``state_dict`` of the same architecture loads as is.  A parameter shared by two modules (tied
weights) appears under each of its names, as in torch, and loads from any of them.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: a leaf that requires grad.

    ``Parameter(t)`` shares memory with the tensor or array ``t``, as in torch."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if data is None:
            arr = np.empty(0, mg.get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data.detach().numpy()
        else:
            arr = np.asarray(data)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``load_state_dict``'s result: ``(missing_keys, unexpected_keys)``, as torch's."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` (or leaving a ``with``) unhooks."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict, *extra: set) -> None:
        self.id = next(RemovableHandle._ids)
        self._stores = (hooks, *extra)

    def remove(self) -> None:
        for store in self._stores:
            if isinstance(store, dict):
                store.pop(self.id, None)
            else:
                store.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _check_name(kind: str, name: Any, module: Module, store: dict) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if "." in name or name == "":
        raise KeyError(f"{kind} name can't contain \".\" and can't be empty, got {name!r}")
    if hasattr(module, name) and name not in store:
        raise KeyError(f"attribute '{name}' already exists")


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "hpu", "mtia",
                 "vulkan", "privateuseone", "lazy")
_TENSOR_TYPES = {"FloatTensor": np.float32, "DoubleTensor": np.float64, "LongTensor": np.int64,
                 "IntTensor": np.int32, "BoolTensor": np.bool_}


def _is_device(x: Any) -> bool:
    if isinstance(x, str):
        return x.split(":")[0] in _DEVICE_TYPES
    return type(x).__name__ == "device" or isinstance(x, int) and not isinstance(x, bool)


def _check_cpu(device: Any) -> None:
    name = f"cuda:{device}" if isinstance(device, int) else str(device)
    if name.split(":")[0] != "cpu":
        raise RuntimeError(f"minigrad runs on the CPU only; cannot use device '{name}' "
                           f"(use 'cpu': mg.cuda.is_available() is False)")


def _as_dtype(x: Any) -> np.dtype:
    """A numpy dtype from np/mg/torch-style names (``'float64'``, ``mg.float64``,
    ``'torch.DoubleTensor'``); half precision is refused."""
    name = getattr(x, "__name__", None) if isinstance(x, type) else None
    text = name if name in _TENSOR_TYPES else x
    if isinstance(text, str):
        text = text.rsplit(".", 1)[-1]
        if text in _TENSOR_TYPES:
            return np.dtype(_TENSOR_TYPES[text])
    try:
        dt = np.dtype(text)
    except TypeError:
        try:
            dt = np.dtype(str(x).rsplit(".", 1)[-1])
        except TypeError:
            raise TypeError(f"expected a dtype, got {x!r}") from None
    if dt == np.float16 or "Half" in str(x) or "bfloat16" in str(x):
        raise TypeError("minigrad computes in float32 or float64; half precision is not "
                        "supported")
    return dt


class Module:
    """Base class of layers and models: define ``forward``; call the module to run it."""

    training: bool

    def __init__(self) -> None:
        for name, value in (("_parameters", OrderedDict()), ("_buffers", OrderedDict()),
                            ("_non_persistent_buffers_set", set()),
                            ("_modules", OrderedDict()), ("_forward_hooks", OrderedDict()),
                            ("_forward_hooks_with_kwargs", set()),
                            ("_forward_hooks_always_called", set()),
                            ("_forward_pre_hooks", OrderedDict()),
                            ("_forward_pre_hooks_with_kwargs", set()), ("training", True)):
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning attributes")
        params, modules, buffers = d["_parameters"], d["_modules"], d["_buffers"]
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value  # a re-assigned name keeps its place, as in torch
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                f"(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                f"(Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        self.__dict__.pop(name, None)
        for store in (self._parameters, self._modules, self._buffers):
            if store is not keep:
                store.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules,
                *self._buffers]
        return sorted({k for k in keys if not k[0].isdigit()})

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None: a declared but absent parameter) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        if param is not None and not param.is_leaf:
            raise ValueError(f"cannot assign a non-leaf Tensor to parameter '{name}'; make it "
                             f"a leaf with .detach() first")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor kept with the module but not trained (e.g. running statistics); saved in
        ``state_dict`` unless ``persistent=False``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            f"(Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name, self, self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``''`` is this module)."""
        mod: Module = self
        for item in target.split(".") if target else ():
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``'encoder.weight'``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pre, post = self.__dict__.get("_forward_pre_hooks"), self.__dict__.get("_forward_hooks")
        if not pre and not post:
            return self.forward(*args, **kwargs)
        for hid, hook in list(pre.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hid, hook in list(post.items()):
                if hid in self._forward_hooks_always_called:
                    self._run_forward_hook(hid, hook, args, kwargs, None)
            raise
        for hid, hook in list(post.items()):
            res = self._run_forward_hook(hid, hook, args, kwargs, result)
            if res is not None:
                result = res
        return result

    def _run_forward_hook(self, hid, hook, args, kwargs, result):
        if hid in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a returned value replaces the
        positional inputs (``with_kwargs``: ``hook(module, args, kwargs)`` returns both)."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a returned value replaces
        the output (``with_kwargs``: ``hook(module, args, kwargs, output)``; ``always_call``:
        also when forward raises)."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False):
        """Not supported: minigrad modules have forward hooks only."""
        raise NotImplementedError("minigrad's Module has forward hooks only; for gradients "
                                  "register a hook on a tensor (output.register_hook(fn))")

    register_backward_hook = register_full_backward_hook
    register_full_backward_pre_hook = register_full_backward_hook

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Every module in the tree (this one first, then depth first), each once."""
        seen = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            yield name, m
            stack.extend(reversed([(f"{name}.{k}" if name else k, c)
                                   for k, c in m._modules.items() if c is not None]))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for k, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield k, m

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mname, m in mods:
            for k, v in getattr(m, store).items():
                if v is None or id(v) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield (f"{mname}.{k}" if mname else k), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) in torch's order: each module's own, depth first; a shared
        parameter once (under its first name) unless ``remove_duplicate=False``."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse=recurse))

    # ------------------------------------------------------------------ state
    def state_dict(self, *args: Any, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by its attribute path: this module's
        parameters, then its buffers, then each child's, as torch orders them.  Values are
        detached tensors sharing memory (``keep_vars``: the Parameters themselves)."""
        if args:  # torch's deprecated positional form (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args):])
        out: dict[str, Tensor] = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=out, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy values (tensors, numpy arrays, anything with ``__array__``) into this
        module's parameters and buffers, cast to their dtypes.

        Everything is checked before anything is copied: on any error the module is
        unchanged.  Returns ``(missing_keys, unexpected_keys)``; with ``strict`` either being
        non-empty is an error.  ``assign=True`` makes the loaded values the parameters
        (sharing their memory) instead of copying into the existing ones."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems, staged = [], []
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if isinstance(v, Tensor):
                arr = v.detach().numpy()
            else:  # numpy arrays, torch tensors (even ones that require grad), lists
                arr = np.asarray(v.detach() if hasattr(v, "detach") else v)
            if arr.shape != tuple(target.shape):
                problems.append(f"size mismatch for {k}: copying a param with shape "
                                f"{arr.shape} from checkpoint, the shape in current model is "
                                f"{tuple(target.shape)}.")
            elif arr.dtype.kind not in "biuf":
                problems.append(f"{k}: expected a numeric tensor or array from the checkpoint, "
                                f"got dtype {arr.dtype}")
            else:
                staged.append((k, target, arr))
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ". ")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               f"(nothing was changed):\n\t" + "\n\t".join(problems))
        if assign:
            self._assign(staged)
        else:
            with mg.no_grad():
                for _, target, arr in staged:
                    target.copy_(np.asarray(arr, dtype=target.dtype))
        return _IncompatibleKeys(missing, unexpected)

    def _assign(self, staged: list) -> None:
        for key, target, arr in staged:
            path, _, name = key.rpartition(".")
            mod = self.get_submodule(path)
            if isinstance(target, Parameter):
                setattr(mod, name, Parameter(arr, requires_grad=target.requires_grad))
            else:
                mod._buffers[name] = Tensor(arr)

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every child; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: dropout off."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (``set_to_none``) or zero it in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach().numpy()[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def share_memory(self) -> Module:
        return self

    # ------------------------------------------------------------------ dtype and device
    def _apply_cast(self, dtype: np.dtype, floating_only: bool) -> Module:
        """Convert parameters and buffers to ``dtype``.  A parameter whose dtype changes is
        replaced by a new Parameter (shared ones stay shared); build optimizers after."""
        done: dict[int, Tensor] = {}
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is None:
                        continue
                    if id(t) not in done:
                        done[id(t)] = self._cast_one(t, dtype, floating_only)
                    store[k] = done[id(t)]
        return self

    @staticmethod
    def _cast_one(t: Tensor, dtype: np.dtype, floating_only: bool) -> Tensor:
        if t.dtype == dtype or floating_only and t.dtype.kind != "f":
            return t
        arr = t.detach().numpy().astype(dtype)
        if not isinstance(t, Parameter):
            return Tensor(arr)
        new = Parameter(arr, requires_grad=t.requires_grad and dtype.kind == "f")
        if t.grad is not None:
            new.grad = Tensor(t.grad.detach().numpy().astype(dtype))
        return new

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(tensor)`` or ``to(device, dtype)``: only the CPU
        exists; floating parameters and buffers take ``dtype``. Returns self."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, bool):
                continue  # non_blocking
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _is_device(a):
                device = a
            else:
                dtype = a
        if device is not None:
            _check_cpu(device)
        if dtype is None:
            return self
        dt = _as_dtype(dtype)
        if dt.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dt}")
        return self._apply_cast(dt, floating_only=True)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        _check_cpu("cuda" if device is None else device if not isinstance(device, str)
                   or device.startswith("cuda") else f"cuda:{device}")
        return self

    def type(self, dst_type: Any) -> Module:
        """Cast every parameter and buffer (floating or not) to ``dst_type``."""
        return self._apply_cast(_as_dtype(dst_type), floating_only=False)

    def double(self) -> Module:
        return self._apply_cast(np.dtype(np.float64), floating_only=True)

    def float(self) -> Module:
        return self._apply_cast(np.dtype(np.float32), floating_only=True)

    def half(self) -> Module:
        raise TypeError("minigrad computes in float32 or float64; half precision is not "
                        "supported (use .float())")

    bfloat16 = half

    # ------------------------------------------------------------------ repr
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """One line of this module's settings, shown inside its repr."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        child = [f"({k}): " + repr(m).replace("\n", "\n  ") for k, m in self._modules.items()]
        lines = extra + child
        body = ""
        if lines:
            body = extra[0] if len(extra) == 1 and not child else \
                "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, x):
        return x


def uniform_(shape: tuple[int, ...], bound: float) -> Parameter:
    """A Parameter drawn from U(-bound, bound) with the library's seeded generator."""
    p = Parameter(np.empty(shape, mg.get_default_dtype()))
    with mg.no_grad():
        p.uniform_(-bound, bound)
    return p

