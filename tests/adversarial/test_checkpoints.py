"""Class 10 — checkpoints that lose nothing. tests/test_serialization.py and
tests/test_checkpoint_faults.py already cover nested trees, key strings, bit flips,
truncation, foreign files, crashes mid-write, modes and fsync; this module adds what they do
not: every dtype and memory layout bit for bit, non-string keys, extreme numbers, tensor
flags, and a kill during a save of a large checkpoint in a real training loop."""
import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from isolate import run_isolated

import minigrad as mg
import nn
from minigrad.serialization import CheckpointError

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "uint16", "uint32", "uint64", "bool", "complex64", "complex128"]


def _roundtrip(obj):
    buf = io.BytesIO()
    mg.save(obj, buf)
    buf.seek(0)
    return mg.load(buf)


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=4,
                                                             min_side=0, max_side=3)),
       st.sampled_from(["C", "F", "T", "step"]))
def test_every_dtype_and_layout_roundtrips_bit_for_bit(a, layout):
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "T":
        a = a.T
    elif layout == "step" and a.ndim:
        a = a[::2]
    back = _roundtrip({"t": mg.Tensor(a), "a": a})
    for got in (back["t"].numpy(), back["a"]):
        assert got.dtype == a.dtype and got.shape == a.shape
        assert got.tobytes() == np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324,
                                   2 ** 63 - 1, -(2 ** 63), 2 ** 80, True, None, "",
                                   "\x00\ud7ff\U0010ffff", b"\x00\xff"])
def test_extreme_python_values_roundtrip_exactly(value):
    back = _roundtrip({"v": value, "l": [value, (value,)]})
    for got in (back["v"], back["l"][0], back["l"][1][0]):
        assert type(got) is type(value)
        if isinstance(value, float):
            assert np.float64(got).tobytes() == np.float64(value).tobytes()
        else:
            assert got == value


@pytest.mark.parametrize("key", [0, -1, 2 ** 40, 1.5, (1, "a"), None, True, "0", "a/b",
                                 "../../etc", "data.pkl", ""])
def test_non_string_and_hostile_keys_roundtrip(key):
    back = _roundtrip({key: mg.tensor([1.0]), "other": 1})
    assert key in back and type(next(k for k in back if k == key)) is type(key)
    assert float(back[key].item()) == 1.0


def test_optimizer_state_with_integer_keys_and_tensor_flags_roundtrip():
    m = nn.LSTM(3, 4)
    opt = mg.optim.Adam(m.parameters(), lr=0.01)
    m(mg.randn(2, 1, 3))[0].sum().backward()
    opt.step()
    back = _roundtrip({"opt": opt.state_dict(), "model": m.state_dict(),
                       "p": nn.Parameter(mg.ones(2)), "g": mg.ones(2, requires_grad=True)})
    assert set(back["opt"]["state"]) == set(opt.state_dict()["state"])
    assert all(isinstance(k, int) for k in back["opt"]["state"])
    assert back["g"].requires_grad
    opt2 = mg.optim.Adam(m.parameters(), lr=0.01)
    opt2.load_state_dict(back["opt"])


@pytest.mark.parametrize("junk", [
    b"", b"PK\x05\x06" + b"\x00" * 18,                               # an empty zip
    b"\x80\x04K\x01.",                                                # a bare pickle
    b"\x93NUMPY\x01\x00" + b"\x00" * 50,                              # an .npy header
])
def test_things_that_are_not_checkpoints_raise_one_error_type(junk):
    with pytest.raises(CheckpointError):
        mg.load(io.BytesIO(junk))


def test_a_zip_with_our_names_but_not_our_manifest_is_refused(tmp_path):
    good = io.BytesIO()
    mg.save({"w": mg.ones(3)}, good)
    src = zipfile.ZipFile(io.BytesIO(good.getvalue()))
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".npy"):
                data = data[:-4] + b"\x00\x00\x80\x7f"   # a different value, valid CRC
            z.writestr(info, data)
    forged.seek(0)
    try:
        back = mg.load(forged)
    except CheckpointError:
        return
    np.testing.assert_array_equal(back["w"].numpy()[:2], [1, 1])
    assert not np.array_equal(back["w"].numpy(), np.ones(3)), "the edit must be visible, " \
        "or refused: never silently the old value"


def test_a_kill_during_a_large_save_in_a_training_loop_keeps_the_last_good_file(tmp_path):
    path = tmp_path / "ckpt.mgz"
    out = run_isolated(f"""
        import os, signal, threading, minigrad as mg, nn
        path = {str(path)!r}
        m = nn.Linear(600, 600)
        mg.save({{"epoch": 1, "model": m.state_dict()}}, path)
        print("saved", os.path.getsize(path))
        pid = os.fork()
        if pid == 0:
            threading.Timer(0.02, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
            for epoch in range(2, 10_000):
                mg.save({{"epoch": epoch, "model": m.state_dict()}}, path)
            os._exit(0)
        os.waitpid(pid, 0)
        back = mg.load(path)
        print("epoch", back["epoch"])
    """)
    assert "epoch" in out
    leftovers = [f for f in os.listdir(tmp_path) if f != "ckpt.mgz"]
    assert not leftovers or all("tmp" in f for f in leftovers)
    mg.load(path)   # still a complete checkpoint (old or newer), never a partial one
