"""Run minigrad's counterpart of every torch OpInfo op on torch's own float64 sample inputs.

For each sample the value and the gradient of every input (through sum(out * w), w fixed) are
compared with torch's.  ``python tests/opinfo_parity.py`` prints the table; the test module
``test_opinfo.py`` asserts on it.  Torch is the oracle only: this file is test code.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
import nn

RTOL, ATOL = 1e-7, 1e-9

# Ops whose samples use an argument minigrad deliberately lacks (sample-level reasons live in
# ``skip_reason``) or that have no CPU meaning here.
DELIBERATELY_ABSENT = {
    "to": "device/memory-format conversions: only dtype/CPU exist",
    "contiguous": "memory_format argument: minigrad has one layout",
    "empty": "uninitialised memory: values are arbitrary",
    "empty_like": "uninitialised memory: values are arbitrary",
    "new_empty": "uninitialised memory: values are arbitrary",
    "nn.functional.dropout": "random: compared by statistics in test_functional",
    "bernoulli": "random streams differ from torch's (numpy PCG64)",
    "multinomial": "random streams differ from torch's (numpy PCG64)",
    "normal": "random streams differ from torch's (numpy PCG64)",
    "randint": "random streams differ from torch's (numpy PCG64)",
    "randn": "random streams differ from torch's (numpy PCG64)",
    "rand_like": "random streams differ from torch's (numpy PCG64)",
    "randn_like": "random streams differ from torch's (numpy PCG64)",
    "randint_like": "random streams differ from torch's (numpy PCG64)",
    "uniform": "random streams differ from torch's (numpy PCG64)",
}


# OpInfo ops whose ``op`` reorders or wraps arguments (see torch's op_db): the same wrapping
SPECIAL = {
    "where": lambda x, cond, other: mg.where(cond, x, other),
    "nn.functional.embedding": lambda w, idx, **k: nn.functional.embedding(idx, w, **k),
    "zero_": lambda x: x.clone().zero_(),
    "einsum": lambda operands, equation: mg.einsum(equation, *operands),
}


def counterpart(name: str):
    """minigrad's function for a torch OpInfo name, or None."""
    if name in SPECIAL:
        return SPECIAL[name]
    if isinstance(getattr(mg.Tensor, name, None), property):
        return lambda x: getattr(x, name)
    if name.startswith("nn.functional."):
        return getattr(nn.functional, name.split(".", 2)[2], None)
    if name.startswith("linalg."):
        linalg = getattr(mg, "linalg", None)
        return getattr(linalg, name.split(".", 1)[1], None) if linalg else None
    if "." in name:
        return None
    if name.startswith("__"):
        meth = getattr(mg.Tensor, name, None)
        return None if meth is None else (lambda x, *a, **k: getattr(x, name)(*a, **k))
    fn = getattr(mg, name, None)
    if callable(fn) and not isinstance(fn, type) and not isinstance(fn, np.dtype):
        return fn
    if hasattr(mg.Tensor, name):
        return lambda x, *a, **k: getattr(x, name)(*a, **k)
    return None


def _to_mg(x, torch):
    if isinstance(x, torch.Tensor):
        arr = x.detach().numpy().copy()
        return mg.tensor(arr, requires_grad=bool(x.requires_grad and arr.dtype.kind == "f"))
    if isinstance(x, torch.dtype):
        return np.dtype(str(x).replace("torch.", ""))
    if isinstance(x, torch.Size):
        return tuple(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_to_mg(i, torch) for i in x)
    if isinstance(x, dict):
        return {k: _to_mg(v, torch) for k, v in x.items()}
    return x


def _leaves(x, torch):
    """Tensors in a (nested) argument, in order."""
    if isinstance(x, (torch.Tensor, mg.Tensor)):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for i in x for t in _leaves(i, torch)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _leaves(v, torch)]
    return []


def _outputs(out, torch):
    return _leaves(out if isinstance(out, (tuple, list)) else [out], torch)


def _weight(shape) -> np.ndarray:
    return np.cos(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape) + 1.5


@dataclass
class Report:
    per_op: dict = field(default_factory=dict)  # name -> Counter(status)
    failures: list = field(default_factory=list)  # (name, sample index, status, detail)

    def add(self, name, i, status, detail=""):
        self.per_op.setdefault(name, Counter())[status] += 1
        if status != "match":
            self.failures.append((name, i, status, detail[:300]))

    @property
    def totals(self) -> Counter:
        c = Counter()
        for v in self.per_op.values():
            c.update(v)
        return c


def skip_reason(sample) -> str | None:
    """Samples whose result is random (dropout), so cannot be compared value by value."""
    if sample.kwargs.get("dropout_p", 0) or sample.kwargs.get("p", 0) and "training" in \
            sample.kwargs:
        return "random: dropout"
    return None


def compare_sample(name, fn, sample, torch) -> tuple[str, str]:
    """("match" | "value" | "grad" | "error", detail) for one sample."""
    if skip_reason(sample):
        return "torch-error", "skipped"
    args = [sample.input, *sample.args]
    try:
        t_out = sample_op(name, torch)(*args, **sample.kwargs)
    except Exception as e:  # noqa: BLE001 (torch itself refuses: not a comparison)
        return "torch-error", repr(e)
    m_args = _to_mg(args, torch)
    m_kwargs = _to_mg(dict(sample.kwargs), torch)
    try:
        m_out = fn(*m_args, **m_kwargs)
    except Exception as e:  # noqa: BLE001
        return "error", f"{type(e).__name__}: {e}"
    t_outs, m_outs = _outputs(t_out, torch), _outputs(m_out, torch)
    if len(t_outs) != len(m_outs):
        return "value", f"{len(m_outs)} outputs vs torch's {len(t_outs)}"
    for a, b in zip(m_outs, t_outs):
        av, bv = np.asarray(a.detach().numpy()), b.detach().numpy()
        if av.shape != bv.shape:
            return "value", f"shape {av.shape} vs torch {bv.shape}"
        if bv.dtype.kind in "fc":
            if not np.allclose(av, bv, rtol=RTOL, atol=ATOL, equal_nan=True):
                return "value", f"max abs diff {np.nanmax(np.abs(av - bv)) if av.size else 0}"
        elif not np.array_equal(av, bv):
            return "value", "integer/bool values differ"
        if av.dtype != bv.dtype and not (bv.dtype == np.int64 and av.dtype == np.int64):
            return "value", f"dtype {av.dtype} vs torch {bv.dtype}"
    # gradients through sum(out * w) over the floating outputs that need a gradient
    t_ins, m_ins = _leaves(args, torch), _leaves(m_args, torch)
    t_live = [o for o in t_outs if o.requires_grad]
    if not t_live:
        return "match", ""
    t_need = [t for t in t_ins if t.requires_grad]
    m_need = [m for t, m in zip(t_ins, m_ins) if t.requires_grad]
    if not t_need:
        return "match", ""
    t_grads = torch.autograd.grad(sum((o * torch.tensor(_weight(o.shape))).sum() for o in t_live),
                                  t_need, allow_unused=True)
    m_live = [m for t, m in zip(t_outs, m_outs) if t.requires_grad]
    if not all(m.requires_grad for m in m_live):
        return "grad", "output does not require grad"
    try:
        m_grads = mg.grad(sum((o * mg.tensor(_weight(o.shape))).sum() for o in m_live), m_need,
                          allow_unused=True)
    except Exception as e:  # noqa: BLE001
        return "grad", f"{type(e).__name__}: {e}"
    for tg, mgr in zip(t_grads, m_grads):
        tv = np.zeros(1) if tg is None else tg.numpy(force=True)
        mv = np.zeros(1) if mgr is None else mgr.numpy()
        if tg is None or mgr is None:
            if np.any(tv) or np.any(mv):
                return "grad", "one side has no gradient"
            continue
        if mv.shape != tv.shape or not np.allclose(mv, tv, rtol=1e-6, atol=1e-8, equal_nan=True):
            return "grad", "gradients differ"
    return "match", ""


def sample_op(name, torch):
    return _OPS[name].op


_OPS: dict = {}


def run(names=None, limit_per_op: int = 40) -> Report:
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    torch.set_default_dtype(torch.float64)
    report = Report()
    for info in op_db:
        if names is not None and info.name not in names:
            continue
        if info.variant_test_name or info.name in DELIBERATELY_ABSENT:
            continue
        fn = counterpart(info.name)
        if fn is None or not info.supports_dtype(torch.float64, "cpu"):
            continue
        _OPS[info.name] = info
        try:
            samples = list(info.sample_inputs("cpu", torch.float64,
                                              requires_grad=info.supports_autograd))
        except Exception:  # noqa: BLE001
            continue
        for i, s in enumerate(samples[:limit_per_op]):
            status, detail = compare_sample(info.name, fn, s, torch)
            if status != "torch-error":
                report.add(info.name, i, status, detail)
    return report


if __name__ == "__main__":
    rep = run(set(sys.argv[1:]) or None)
    t = rep.totals
    compared = sum(t.values())
    print(f"ops compared: {len(rep.per_op)}; samples matched {t['match']} / {compared}")
    for name, c in sorted(rep.per_op.items()):
        bad = {k: v for k, v in c.items() if k != "match"}
        if bad:
            print(f"  {name}: {dict(c)}")
    for f in rep.failures[:400]:
        print("   ", f)
