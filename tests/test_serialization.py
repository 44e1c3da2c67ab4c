"""mg.save / mg.load: lossless no-pickle state, allow-listed pickles, torch's API.

Damage, truncation and crashes are in test_checkpoint_faults.py."""
import io
import math
import pickle
import threading
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import nn
from minigrad import optim
from minigrad.serialization import (
    CheckpointError,
    UnpicklingError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    get_unsafe_globals_in_checkpoint,
    pickled,
    reduce_tensor,
    safe_globals,
)
from minigrad.serialization.tensors import _rebuild_tensor


@pytest.fixture(autouse=True)
def _fresh_allow_list():
    saved = get_safe_globals()
    clear_safe_globals()
    yield
    clear_safe_globals()
    add_safe_globals(saved)


def roundtrip(obj, **kw):
    buf = io.BytesIO()
    mg.save(obj, buf)
    buf.seek(0)
    return mg.load(buf, **kw)


def members(path_or_buf):
    with zipfile.ZipFile(path_or_buf) as z:
        return sorted(z.namelist())


def assert_same(a, b):
    """Equal values AND equal types all the way down (tuple is not list, 1 is not 1.0,
    np.float32 is not float, OrderedDict is not dict), floats compared bit for bit."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, mg.Tensor):
        assert a.requires_grad == b.requires_grad
        assert_same(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, (np.generic, float)):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert type(k) is type(next(kk for kk in b if kk == k))
            assert_same(a[k], b[k])
    else:
        assert a == b


# ---------------------------------------------------------------------------- state, no pickle
def test_training_checkpoint_roundtrips_without_pickle(tmp_path, monkeypatch):
    model = nn.Sequential(nn.Embedding(7, 3), nn.Linear(3, 4), nn.LayerNorm(4))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(mg.randint(0, 7, (5, 2))).sum().backward()
    opt.step()
    ck = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3,
          "run.name/ü": "lstm", "losses": [2.5, 2.25, math.inf], "rng": np.arange(3),
          "best": (1, None, True)}
    path = tmp_path / "ck.pt"
    mg.save(ck, path)
    n = len(members(path)) - 1
    assert members(path) == sorted(["manifest.json"] + [f"arrays/{i}.npy" for i in range(n)])
    assert "data.pkl" not in members(path)

    def no_pickle(*a, **k):
        raise AssertionError("state must load without unpickling anything")
    monkeypatch.setattr(pickle, "Unpickler", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickled._Unpickler, "load", no_pickle)
    back = mg.load(path)
    assert_same(ck, back)
    assert list(back["optim"]["state"]) == [0, 1, 2, 3, 4]  # int keys stay ints
    assert type(back["optim"]["param_groups"][0]["betas"]) is tuple


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
])
def test_resumed_training_is_bit_identical(make, tmp_path):
    def batch(i):
        rng = np.random.default_rng(i)
        return (mg.tensor(rng.normal(size=(6, 3)), dtype=mg.float32),
                mg.tensor(rng.normal(size=(6, 2)), dtype=mg.float32))

    def step(model, opt, i):
        x, y = batch(i)
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()

    mg.manual_seed(1)
    a = nn.Linear(3, 2)
    opt_a = make(a.parameters())
    for i in range(3):
        step(a, opt_a, i)
    mg.save({"model": a.state_dict(), "optim": opt_a.state_dict(), "step": 3}, tmp_path / "c")
    for i in range(3, 6):
        step(a, opt_a, i)

    ck = mg.load(tmp_path / "c")
    b = nn.Linear(3, 2)
    b.load_state_dict(ck["model"])
    opt_b = make(b.parameters())
    opt_b.load_state_dict(ck["optim"])
    for i in range(ck["step"], 6):
        step(b, opt_b, i)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert pa.detach().numpy().tobytes() == pb.detach().numpy().tobytes()


leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
          | st.text(st.characters(exclude_categories=())) | st.binary(max_size=8)
          | hnp.arrays(st.sampled_from(["f4", "f8", "i8", "i2", "u1", "?", "c16", "U3"]),
                       hnp.array_shapes(min_dims=0, min_side=0, max_side=3))
          | hnp.from_dtype(np.dtype("f4")).map(np.float32)
          | st.builds(lambda a, rg: mg.tensor(a, requires_grad=rg),
                      hnp.arrays("f8", hnp.array_shapes(min_dims=0, min_side=0, max_side=3)),
                      st.booleans())
          | hnp.arrays("i8", (2,)).map(mg.tensor))
keys = (st.text(st.characters(exclude_categories=()), max_size=6) | st.integers()
        | st.sampled_from(["", ".", "a.b", "a/b", "../x", "\\", "é", "🙂", "\x00", "\ud800"])
        | st.floats(allow_nan=False) | st.none() | st.tuples(st.integers(), st.text(max_size=2)))
trees = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                     | st.tuples(inner, inner)
                     | st.dictionaries(keys, inner, max_size=3)
                     | st.dictionaries(keys, inner, max_size=3).map(OrderedDict),
                     max_leaves=12)


@given(trees)
def test_any_state_tree_roundtrips_exactly_without_pickle(tree):
    buf = io.BytesIO()
    mg.save(tree, buf)
    assert "data.pkl" not in members(io.BytesIO(buf.getvalue()))
    buf.seek(0)
    assert_same(tree, mg.load(buf))


@given(st.lists(st.text(st.characters(exclude_categories=())), min_size=1, max_size=6,
                unique=True))
def test_every_key_string_works(names):
    sd = OrderedDict((n, mg.tensor([float(i)])) for i, n in enumerate(names))
    back = roundtrip(sd)
    assert list(back) == names
    assert [float(v.item()) for v in back.values()] == list(range(len(names)))


def test_tied_and_repeated_tensors_come_back_shared():
    w = nn.Parameter(mg.randn(4, 3))
    sd = OrderedDict([("enc.weight", w.detach()), ("dec.weight", w.detach())])
    t = mg.randn(2, requires_grad=True)
    back = roundtrip({"sd": sd, "a": t, "b": [t]})
    enc, dec = back["sd"]["enc.weight"], back["sd"]["dec.weight"]
    assert np.shares_memory(np.asarray(enc), np.asarray(dec))
    with mg.no_grad():
        enc.fill_(7.0)
    np.testing.assert_array_equal(dec.detach().numpy(), 7.0)
    assert back["a"] is back["b"][0] and back["a"].requires_grad
    # distinct tensors with equal values stay distinct
    back = roundtrip([mg.zeros(2), mg.zeros(2)])
    assert not np.shares_memory(np.asarray(back[0]), np.asarray(back[1]))


def test_loaded_arrays_are_writable_and_own_their_memory():
    back = roundtrip({"a": np.arange(6.0).reshape(2, 3), "t": mg.ones(3)})
    back["a"][0, 0] = 5.0
    with mg.no_grad():
        back["t"].fill_(2.0)
    np.testing.assert_array_equal(back["t"].detach().numpy(), 2.0)
    assert back["a"][0, 0] == 5.0


def test_same_object_gives_same_bytes():
    a, b = io.BytesIO(), io.BytesIO()
    obj = {"w": np.ones(3), "step": 1}
    mg.save(obj, a)
    mg.save(obj, b)
    assert a.getvalue() == b.getvalue()


# ---------------------------------------------------------------------------- files and options
def test_paths_file_objects_and_non_seekable_streams(tmp_path):
    obj = {"w": mg.tensor([1.0, 2.0])}
    mg.save(obj, str(tmp_path / "a.pt"))
    assert_same(obj, mg.load(str(tmp_path / "a.pt")))
    with open(tmp_path / "b.pt", "wb") as f:
        mg.save(obj, f)
    with open(tmp_path / "b.pt", "rb") as f:
        assert_same(obj, mg.load(f))

    class Stream:  # only read(): a pipe or a socket
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

    assert_same(obj, mg.load(Stream((tmp_path / "b.pt").read_bytes())))
    with open(tmp_path / "c.pt", "w") as f, pytest.raises(TypeError, match="binary mode"):
        mg.save(obj, f)
    with pytest.raises(TypeError, match="path or a binary file"):
        mg.save(obj, 42)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        mg.load(tmp_path / "missing.pt")


def test_map_location_and_mmap():
    buf = io.BytesIO()
    mg.save({"w": mg.ones(2)}, buf)
    for loc in [None, "cpu", "cpu:0", {"cuda:0": "cpu"}, lambda storage, loc: storage]:
        buf.seek(0)
        assert mg.load(buf, map_location=loc)["w"].shape == (2,)
    if torch is not None:
        buf.seek(0)
        mg.load(buf, map_location=torch.device("cpu"))
    for loc in ["cuda", "cuda:1", "mps", {"cpu": "cuda:0"}]:
        buf.seek(0)
        with pytest.raises(ValueError, match="CPU only"):
            mg.load(buf, map_location=loc)
    with pytest.raises(ValueError, match="mmap=True is not supported"):
        mg.load(buf, mmap=True)
    buf.seek(0)
    assert mg.load(buf, mmap=False, weights_only=None)["w"].shape == (2,)


def test_old_flat_npz_checkpoints_still_load(tmp_path):
    p = tmp_path / "old.npz"
    np.savez(p, **{"rnn.weight_ih_l0": np.ones((2, 3), np.float32), "b": np.arange(3)})
    d = mg.load(p)
    assert sorted(d) == ["b", "rnn.weight_ih_l0"] and d["b"].dtype == np.int64
    np.testing.assert_array_equal(d["rnn.weight_ih_l0"], np.ones((2, 3)))
    marker = tmp_path / "ran"
    np.savez(tmp_path / "evil.npz", evil=np.array([_WritesFile(str(marker))], dtype=object))
    with pytest.raises(CheckpointError, match="pickled objects"):
        mg.load(tmp_path / "evil.npz")
    assert not marker.exists()


# ---------------------------------------------------------------------------- whole objects
class Holder:
    """A user object holding tensors, arrays, numpy scalars and dtypes."""

    def __init__(self):
        self.t = mg.randn(2, 2, requires_grad=True)
        self.a = np.arange(4)
        self.s = np.float32(0.5)
        self.d = np.dtype("int16")
        self.same = self.t
        self.parts = {1, 2}


def test_whole_model_needs_allow_listing_then_loads_identically(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    p = tmp_path / "model.pt"
    mg.save(model, p)
    assert "data.pkl" in members(p)
    with pytest.raises(UnpicklingError) as e:
        mg.load(p)
    msg = str(e.value)
    assert "nn.container.Sequential" in msg or "Sequential" in msg
    assert "safe_globals([" in msg and "add_safe_globals" in msg and "weights_only=False" in msg
    assert isinstance(e.value, pickle.UnpicklingError)
    needed = get_unsafe_globals_in_checkpoint(p)
    assert {"nn.module.Parameter"} <= set(needed)
    classes = [nn.Sequential, nn.Linear, nn.Tanh, nn.Parameter]
    with safe_globals(classes):
        back = mg.load(p)
    assert get_safe_globals() == []  # restored on exit
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), back(x).detach().numpy())
    assert all(type(q) is nn.Parameter and q.requires_grad for q in back.parameters())
    add_safe_globals(classes)
    assert type(mg.load(p)) is nn.Sequential
    clear_safe_globals()
    assert type(mg.load(p, weights_only=False)) is nn.Sequential


def test_objects_holding_tensors_and_numpy_values():
    h = Holder()
    with pytest.raises(UnpicklingError, match="Holder"):
        roundtrip(h)
    with safe_globals([Holder]):
        back = roundtrip(h)
    assert_same(h.t, back.t)
    assert back.same is back.t
    assert_same(h.a, back.a)
    assert_same(h.s, back.s)
    assert back.d == np.dtype("int16") and back.parts == {1, 2}


def test_parameter_in_a_state_tree_needs_its_class_allowed():
    p = nn.Parameter(mg.ones(2))
    with pytest.raises(UnpicklingError, match="Parameter"):
        roundtrip({"p": p})
    with safe_globals([nn.Parameter]):
        back = roundtrip({"p": p})["p"]
    assert type(back) is nn.Parameter and back.requires_grad
    assert type(roundtrip({"p": p}, weights_only=False)["p"]) is nn.Parameter


class _WritesFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("payload", [
    lambda m: _WritesFile(m),
    lambda m: {"model": [mg.ones(1), _WritesFile(m)]},
])
def test_loading_never_runs_code_from_the_file_by_default(tmp_path, payload):
    marker = tmp_path / "ran"
    buf = io.BytesIO()
    mg.save(payload(str(marker)), buf)
    buf.seek(0)
    with pytest.raises(UnpicklingError, match=r"refused the global (io|builtins)\.open"):
        mg.load(buf)
    assert not marker.exists()
    buf.seek(0)
    mg.load(buf, weights_only=False)  # trusted: the file's code runs (proves the probe works)
    assert marker.exists()


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "builtins.getattr",
                                  "subprocess.Popen", "numpy.core.multiarray._reconstruct",
                                  "minigrad.serialization.files.atomic_write"])
def test_crafted_pickles_cannot_reach_unlisted_callables(name):
    from minigrad.serialization import container
    module, _, attr = name.rpartition(".")
    data = (b"\x80\x04c" + module.encode() + b"\n" + attr.encode() + b"\n"
            + b"\x8c\x04echo\x85R.")  # GLOBAL module attr; ('echo',); REDUCE
    buf = io.BytesIO()
    container.write(buf, {"kind": "pickle"}, [], data)
    buf.seek(0)
    with pytest.raises(UnpicklingError, match=name.replace(".", r"\.")):
        mg.load(buf)


def test_rebuilders_check_their_arguments():
    with pytest.raises(UnpicklingError, match="not a Tensor class"):
        _rebuild_tensor(dict, b"", "<f4", (0,), False)
    with pytest.raises(UnpicklingError, match="do not fill"):
        _rebuild_tensor(mg.Tensor, b"\x00" * 3, "<f4", (1,), False)
    with pytest.raises(UnpicklingError, match="dtype"):
        _rebuild_tensor(mg.Tensor, b"", "|O", (0,), False)
    with pytest.raises(UnpicklingError, match="shape"):
        _rebuild_tensor(mg.Tensor, b"", "<f4", (-1,), False)


def test_reduce_tensor_is_the_pickle_protocol_of_tensors():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).T  # non-contiguous view
    fn, args = reduce_tensor(t)
    back = fn(*args)
    assert type(back) is mg.Tensor and back.requires_grad and back.is_leaf
    np.testing.assert_array_equal(back.detach().numpy(), t.detach().numpy())
    p = nn.Parameter(mg.ones(3))
    fn, args = reduce_tensor(p)
    assert type(fn(*args)) is nn.Parameter


def test_safe_globals_are_per_thread_and_restored():
    buf = io.BytesIO()
    mg.save(Holder(), buf)
    data = buf.getvalue()
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        inside.wait()
        try:
            mg.load(io.BytesIO(data))
            seen["other"] = "loaded"
        except UnpicklingError:
            seen["other"] = "refused"
        done.set()

    th = threading.Thread(target=other_thread)
    th.start()
    with safe_globals([Holder]):
        inside.set()
        done.wait()
        assert type(mg.load(io.BytesIO(data))) is Holder
        with safe_globals([int]):
            assert int in get_safe_globals() and Holder in get_safe_globals()
        assert int not in get_safe_globals()
    th.join()
    assert seen["other"] == "refused"
    with pytest.raises(UnpicklingError):
        mg.load(io.BytesIO(data))
    with pytest.raises(TypeError, match="list"):
        safe_globals(Holder)
    add_safe_globals([(Holder, "elsewhere.Renamed")])
    assert (Holder, "elsewhere.Renamed") in get_safe_globals()


@needs_torch
def test_refusal_matches_torch_semantics(tmp_path):
    """torch refuses the same whole-model load by default, with the same remedies."""
    model = torch.nn.Linear(2, 2)
    torch.save(model, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError, match="safe_globals"):
        torch.load(tmp_path / "t.pt")
    with torch.serialization.safe_globals([torch.nn.Linear]):
        torch.load(tmp_path / "t.pt")
