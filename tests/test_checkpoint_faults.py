"""Checkpoints under damage and crashes: every flipped bit and every truncation is refused with
one error type, foreign files are named for what they are, a kill mid-write keeps the old file,
and saving leaves no temporary files and keeps the file's mode."""
import io
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.serialization import CheckpointError, container
from minigrad.serialization.files import TEMP_SUFFIX

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _state():
    return {"model": OrderedDict([("w", mg.tensor([[1.0, -2.0]], requires_grad=True)),
                                  ("b", mg.tensor([0.5]))]),
            "optim": {"state": {0: {"step": 2, "m": np.array([0.25, 1.0])}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0]}]},
            "epoch": 4, "tag": "é/x.y"}


class Box:
    """Goes through the pickle path."""

    def __init__(self):
        self.t = mg.tensor([1.0, 2.0])


def _bytes(obj):
    buf = io.BytesIO()
    mg.save(obj, buf)
    return buf.getvalue()


STATE = _bytes(_state())
PICKLED = _bytes(Box())


def _load(data, **kw):
    return mg.load(io.BytesIO(data), weights_only=False, **kw)


def flip(data, pos, bit):
    b = bytearray(data)
    b[pos] ^= 1 << bit
    return bytes(b)


def test_the_probes_are_loadable_before_damage():
    assert _load(STATE)["epoch"] == 4
    assert isinstance(_load(PICKLED), Box)


@pytest.mark.parametrize("data", [STATE, PICKLED], ids=["state", "pickle"])
def test_a_flipped_bit_anywhere_is_refused(data):
    """Every byte of the file (headers, timestamps, manifest, array data, seal), one bit each."""
    for pos in range(len(data)):
        with pytest.raises(CheckpointError):
            _load(flip(data, pos, pos % 8))


@given(pos=st.integers(0, len(STATE) - 1), bit=st.integers(0, 7),
       which=st.sampled_from([STATE, PICKLED]))
def test_flips_at_any_position_and_bit(pos, bit, which):
    pos = pos % len(which)
    with pytest.raises(CheckpointError):
        _load(flip(which, pos, bit))


@given(st.lists(st.integers(0, len(STATE) * 8 - 1), min_size=2, max_size=6, unique=True))
def test_several_flips_are_refused(bits):
    data = STATE
    for b in bits:
        data = flip(data, b // 8, b % 8)
    with pytest.raises(CheckpointError):
        _load(data)


@pytest.mark.parametrize("data", [STATE, PICKLED], ids=["state", "pickle"])
def test_truncation_at_every_byte_is_refused(data):
    for n in range(len(data)):
        with pytest.raises(CheckpointError):
            _load(data[:n])


def test_truncation_is_named():
    for n in (31, 40, 200, len(STATE) - 1):
        with pytest.raises(CheckpointError, match="truncated or damaged minigrad checkpoint"):
            _load(STATE[:n])


def test_a_checkpoint_inside_a_larger_stream_loads_from_its_position():
    buf = io.BytesIO(b"HEADER" + STATE)
    buf.seek(6)
    assert mg.load(buf)["epoch"] == 4


def test_appended_bytes_are_refused():
    with pytest.raises(CheckpointError):
        _load(STATE + b"\x00")


@given(st.binary(max_size=300))
def test_random_bytes_are_refused(data):
    with pytest.raises(CheckpointError):
        _load(data)


def test_foreign_files_are_named_for_what_they_are(tmp_path):
    with pytest.raises(CheckpointError, match="empty"):
        _load(b"")
    with pytest.raises(CheckpointError, match="pickle file"):
        _load(b"\x80\x04K\x01.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(CheckpointError, match="zip archive but not a minigrad checkpoint"):
        _load(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.npy", STATE[:10])
    with pytest.raises(CheckpointError, match="truncated or damaged"):
        _load(buf.getvalue())
    p = tmp_path / "bad.pt"
    p.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"bad\.pt.*not a minigrad checkpoint"):
        mg.load(p)


@needs_torch
def test_a_torch_checkpoint_is_refused_with_advice(tmp_path):
    p = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, p)
    with pytest.raises(CheckpointError, match="PyTorch checkpoint"):
        mg.load(p)
    with pytest.raises(CheckpointError, match="PyTorch checkpoint"):
        mg.load(p, weights_only=False)


def test_a_sealed_but_crafted_manifest_is_refused():
    """The seal proves integrity, not authorship: a well-sealed file with nonsense inside is
    still refused cleanly (no IndexError, KeyError or partial result)."""
    arr = [np.zeros(2)]
    for manifest in [{"kind": "state", "root": {"tensor": 3}, "tensors": []},
                     {"kind": "state", "root": {"array": 1}},
                     {"kind": "state", "root": {"dict": [[{"list": []}, 1]]}},
                     {"kind": "state", "root": {"tensor": 0},
                      "tensors": [{"array": 0, "requires_grad": "yes"}]},
                     {"kind": "state", "root": {"what": 1}},
                     {"kind": "state", "root": {"float": 1.5}},
                     {"kind": "elsewhere"}]:
        buf = io.BytesIO()
        container.write(buf, manifest, arr)
        with pytest.raises(CheckpointError):
            _load(buf.getvalue())
    buf = io.BytesIO()
    container.write(buf, {"kind": "state", "version": 99, "root": 1}, [])
    with pytest.raises(CheckpointError, match="newer minigrad"):
        _load(buf.getvalue())


def test_an_npy_header_cannot_claim_more_than_the_file_holds(monkeypatch):
    def lying_write(fp, arr, allow_pickle=False):
        np.lib.format.write_array_header_1_0(
            fp, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
        fp.write(arr.tobytes())
    monkeypatch.setattr(np.lib.format, "write_array", lying_write)
    buf = io.BytesIO()
    container.write(buf, {"kind": "state", "root": {"array": 0}}, [np.zeros(2)])
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="does not match its size"):
        _load(buf.getvalue())


# ---------------------------------------------------------------------------- atomic writes
def _temps(folder):
    return [n for n in os.listdir(folder) if n.endswith(TEMP_SUFFIX)]


def test_overwrite_keeps_mode_and_new_files_follow_the_umask(tmp_path):
    p = tmp_path / "ck.pt"
    mg.save({"a": 1}, p)
    old_umask = os.umask(0o027)
    os.umask(old_umask)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~old_umask
    os.chmod(p, 0o640)
    mg.save({"a": 2}, p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert mg.load(p) == {"a": 2} and _temps(tmp_path) == []


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.pt"
    mg.save({"a": 1}, real)
    link = tmp_path / "link.pt"
    link.symlink_to(real)
    mg.save({"a": 2}, link)
    assert link.is_symlink() and mg.load(real) == {"a": 2}


def test_failed_saves_keep_the_old_file_and_leave_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "ck.pt"
    mg.save({"w": np.ones(2)}, p)
    before = p.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        mg.save({"model": Box(), "f": lambda x: x}, p)  # a lambda cannot be pickled
    buf = io.BytesIO()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        mg.save([lambda x: x], buf)
    assert buf.getvalue() == b""  # nothing reaches a file object either

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        mg.save({"w": np.zeros(2)}, p)
    monkeypatch.undo()
    assert p.read_bytes() == before and _temps(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mg.save({}, tmp_path / "no" / "dir.pt")
    with pytest.raises(IsADirectoryError):
        mg.save({}, tmp_path)


def test_file_and_directory_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    def replace(a, b):
        events.append("replace")
        real_replace(a, b)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    mg.save({"a": np.ones(3)}, tmp_path / "ck.pt")
    assert events == ["file", "replace", "dir"]


def test_stale_temps_of_dead_processes_are_removed(tmp_path):
    p = tmp_path / "ck.pt"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".ck.pt.{dead.pid}.0badc0de{TEMP_SUFFIX}"
    mine = tmp_path / f".ck.pt.{os.getpid()}.0badc0de{TEMP_SUFFIX}"
    other = tmp_path / f".other.pt.{dead.pid}.0badc0de{TEMP_SUFFIX}"
    for f in (stale, mine, other):
        f.write_bytes(b"partial")
    mg.save({"a": 1}, p)
    assert not stale.exists()  # its writer is gone
    assert mine.exists() and other.exists()  # a live writer, and another file's temp


_CHILD = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    import numpy as np
    import minigrad as mg
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "hang-before-replace":
        def hang(*a):
            sys.stdout.write("written\\n"); sys.stdout.flush()
            import time
            while True:
                time.sleep(1)
        os.replace = hang
    big = {{"w": np.full(4_000_000, 7.0), "step": 2}}  # 32 MB
    sys.stdout.write("start\\n"); sys.stdout.flush()
    mg.save(big, path)
    sys.stdout.write("done\\n"); sys.stdout.flush()
""")


def _written(folder, target, old_size):
    """Bytes the child has written so far: the largest temp file, or the target itself if a
    (broken, non-atomic) writer truncated it in place."""
    sizes = []
    for name in _temps(folder) + [os.path.basename(target)]:
        try:
            size = os.path.getsize(os.path.join(folder, name))
        except FileNotFoundError:
            continue
        sizes.append(size if name.endswith(TEMP_SUFFIX) or size != old_size else 0)
    return max(sizes, default=0)


def _kill_child(tmp_path, path, mode, threshold):
    """Start a child saving a large checkpoint over ``path``; SIGKILL it once it has written
    ``threshold`` bytes (or, in hang mode, once its file is complete but not yet renamed)."""
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(root=ROOT))
    old_size = os.path.getsize(path)
    child = subprocess.Popen([sys.executable, str(script), str(path), mode],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "start\n"
        if mode == "hang-before-replace":
            assert child.stdout.readline() == "written\n"
        else:
            while child.poll() is None and _written(tmp_path, path, old_size) < threshold:
                time.sleep(0.001)
        killed_mid_write = child.poll() is None
        child.send_signal(signal.SIGKILL)  # a no-op if it already finished
    finally:
        child.wait()
        child.stdout.close()
    return killed_mid_write


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_kill_mid_write_keeps_the_old_file(tmp_path):
    p = tmp_path / "ck.pt"
    old = {"w": np.arange(5.0), "step": 1}
    mg.save(old, p)
    before = p.read_bytes()
    mid_writes = 0
    for mode, threshold in [("hang-before-replace", 0), ("kill", 1 << 20), ("kill", 8 << 20),
                            ("kill", 24 << 20)]:
        mid_writes += _kill_child(tmp_path, p, mode, threshold)
        loaded = mg.load(p)  # never a mixture: the old file, or (if the child won) the new one
        if p.read_bytes() == before:
            np.testing.assert_array_equal(loaded["w"], old["w"])
        else:
            assert loaded["step"] == 2 and loaded["w"].shape == (4_000_000,)
    assert mid_writes >= 2  # the probe really interrupted writes
    assert _temps(tmp_path)  # the killed writers left their temps...
    mg.save(old, p)
    assert _temps(tmp_path) == []  # ...which the next save removes
    assert mg.load(p)["step"] == 1
