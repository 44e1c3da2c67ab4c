"""mg.save / mg.load: atomic .npz, no pickle, clear errors."""
import os

import numpy as np
import pytest

import minigrad as mg


def test_roundtrip(tmp_path):
    p = tmp_path / "ck.npz"
    mg.save({"w": mg.tensor([[1.0, 2.0]]), "b": np.arange(3)}, p)
    d = mg.load(p)
    np.testing.assert_array_equal(d["w"], [[1.0, 2.0]])
    assert d["w"].dtype == np.float32 and d["b"].dtype == np.int64
    assert [f for f in os.listdir(tmp_path)] == ["ck.npz"]  # no temp file left


def test_missing_truncated_corrupt_and_pickled(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        mg.load(tmp_path / "none.npz")
    good = tmp_path / "good.npz"
    mg.save({"w": np.ones(1000)}, good)
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        mg.load(trunc)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="not a minigrad checkpoint"):
        mg.load(junk)
    pickled = tmp_path / "pickled.npz"
    marker = tmp_path / "ran"
    np.savez(pickled, evil=np.array([_Evil(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="pickled"):
        mg.load(pickled)
    assert not marker.exists()


def test_failed_save_keeps_old_file(tmp_path):
    p = tmp_path / "ck.npz"
    mg.save({"w": np.ones(2)}, p)
    with pytest.raises(TypeError):
        mg.save({"w": np.array([object()], dtype=object)}, p)
    np.testing.assert_array_equal(mg.load(p)["w"], np.ones(2))


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))
