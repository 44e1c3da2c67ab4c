"""The checkpoint file: a zip of ``.npy`` members and a JSON manifest, sealed by a SHA-256.

Layout (format version 1, every member stored uncompressed)::

    manifest.json      {"format": "minigrad-checkpoint", "version": 1, "kind": "state"|"pickle",
                        "arrays": [{"dtype": "<f4", "shape": [2, 3]}, ...], ...}
    arrays/0.npy ...   one member per stored array, numpy's .npy format (never pickled)
    data.pkl           only for kind "pickle": the pickle, arrays referenced by index
    zip comment        b"minigrad-checkpoint sha256=" + hex SHA-256 of every byte before it

The seal covers every byte of the file except itself, so a flipped bit anywhere (data, zip
headers, timestamps, the manifest) or a truncation is caught before anything is parsed; each
member's CRC-32 is checked as well, by reading every member to its end.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from .errors import CheckpointError

FORMAT = "minigrad-checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
PICKLE = "data.pkl"
SEAL_PREFIX = b"minigrad-checkpoint sha256="
SEAL_LEN = len(SEAL_PREFIX) + 64
_PLACEHOLDER = SEAL_PREFIX + b"0" * 64
_SEAL = re.compile(re.escape(SEAL_PREFIX) + rb"([0-9a-f]{64})\Z")
_ZIP64_AT = (1 << 31) - (1 << 20)  # members this big need zip64 headers
_CHUNK = 1 << 22


def array_member(i: int) -> str:
    """The zip member holding array ``i``."""
    return f"arrays/{i}.npy"


class ArrayTable:
    """The arrays a checkpoint stores, each once. Two arrays over the same memory with the same
    layout (tied weights seen through two ``detach()``-ed tensors) share one member, so they
    come back as one array and the tensors share memory again."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._index: dict[tuple, int] = {}

    def add(self, arr: np.ndarray) -> int:
        """Index of ``arr``'s member, adding it if its memory is not stored yet."""
        key = None
        if arr.size:
            key = (arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str)
            if key in self._index:
                return self._index[key]
        self.arrays.append(arr)
        if key is not None:
            self._index[key] = len(self.arrays) - 1
        return len(self.arrays) - 1


class _SealingWriter:
    """Forwards bytes to ``raw`` and hashes them, holding back the last ``SEAL_LEN`` bytes (the
    zip comment's placeholder) so ``seal()`` can write the digest in their place. It has
    ``tell`` but no ``seek``, so zipfile streams (data descriptors) and never rewinds."""

    def __init__(self, raw: IO[bytes]):
        self._raw, self._hash, self._held, self._pos = raw, hashlib.sha256(), b"", 0

    def write(self, data) -> int:
        mv = memoryview(data).cast("B")
        n = len(mv)
        self._pos += n
        if n >= SEAL_LEN:
            self._emit(self._held)
            self._emit(mv[:n - SEAL_LEN])
            self._held = bytes(mv[n - SEAL_LEN:])
        else:
            buf = self._held + bytes(mv)
            self._emit(buf[:-SEAL_LEN])
            self._held = buf[-SEAL_LEN:]
        return n

    def _emit(self, b) -> None:
        if len(b):
            self._hash.update(b)
            self._raw.write(b)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def seal(self) -> None:
        if self._held != _PLACEHOLDER:
            raise RuntimeError("internal error: the zip did not end with the seal placeholder")
        self._raw.write(SEAL_PREFIX + self._hash.hexdigest().encode())


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same object, same bytes
    info.external_attr = 0o644 << 16
    return info


def write(raw: IO[bytes], manifest: dict, arrays: Sequence[np.ndarray],
          pickle_bytes: bytes | None = None) -> None:
    """Write a sealed checkpoint to the binary stream ``raw`` (from its current position)."""
    manifest = {"format": FORMAT, "version": VERSION, **manifest,
                "arrays": [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]}
    sealed = _SealingWriter(raw)
    with zipfile.ZipFile(sealed, "w", zipfile.ZIP_STORED) as zf:
        zf.comment = _PLACEHOLDER
        zf.writestr(_info(MANIFEST), json.dumps(manifest).encode())
        for i, a in enumerate(arrays):
            with zf.open(_info(array_member(i)), "w", force_zip64=a.nbytes > _ZIP64_AT) as out:
                np.lib.format.write_array(out, a, allow_pickle=False)
        if pickle_bytes is not None:
            with zf.open(_info(PICKLE), "w", force_zip64=len(pickle_bytes) > _ZIP64_AT) as out:
                out.write(pickle_bytes)
    sealed.seal()


@dataclass
class Contents:
    """A verified checkpoint: the manifest, its arrays in order, and the pickle if any.
    ``legacy`` holds the arrays of an old flat ``.npz`` checkpoint instead."""

    manifest: dict
    arrays: list[np.ndarray]
    pickle: bytes | None = None
    legacy: dict[str, np.ndarray] | None = None


_PARSE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                 KeyError, TypeError, struct.error, RecursionError, NotImplementedError)


def read(fh: IO[bytes], source: str) -> Contents:
    """Read and verify the checkpoint in the seekable binary stream ``fh`` (from its current
    position to its end). Any damage raises ``CheckpointError``; nothing partial is returned."""
    start = fh.tell()
    end = fh.seek(0, 2)
    if end == start:
        raise CheckpointError(f"{source} is empty (0 bytes): not a checkpoint; nothing was loaded")
    fh.seek(start)
    head = fh.read(64)
    tail = b""
    if end - start >= SEAL_LEN:
        fh.seek(end - SEAL_LEN)
        tail = fh.read(SEAL_LEN)
    sealed = _SEAL.match(tail)
    if sealed is None:
        return _read_unsealed(fh, start, head, source)
    fh.seek(start)
    digest = hashlib.sha256()
    left = end - SEAL_LEN - start
    while left:
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            raise CheckpointError(f"{source} ended while being read; nothing was loaded")
        digest.update(chunk)
        left -= len(chunk)
    if digest.hexdigest().encode() != sealed.group(1):
        raise CheckpointError(f"{source} is damaged: its SHA-256 does not match the seal written "
                              f"with it (a changed byte, a bad disk or an interrupted copy); "
                              f"nothing was loaded")
    fh.seek(start)
    try:
        return _read_sealed(fh, source)
    except CheckpointError:
        raise
    except _PARSE_ERRORS as e:
        raise CheckpointError(f"{source} has a valid seal but is not a well-formed minigrad "
                              f"checkpoint ({type(e).__name__}: {e}); nothing was loaded") from e


def _bad(source: str, what: str) -> CheckpointError:
    return CheckpointError(f"{source} is not a well-formed minigrad checkpoint: {what}; "
                           f"nothing was loaded")


def _read_sealed(fh: IO[bytes], source: str) -> Contents:
    with zipfile.ZipFile(fh) as zf:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _bad(source, "its manifest does not name the format")
        version = manifest.get("version")
        if type(version) is not int or version < 1:
            raise _bad(source, f"format version {version!r}")
        if version > VERSION:
            raise CheckpointError(f"{source} was written by a newer minigrad (checkpoint format "
                                  f"version {version}; this one reads up to {VERSION}); "
                                  f"upgrade minigrad to load it")
        kind, specs = manifest.get("kind"), manifest.get("arrays")
        if kind not in ("state", "pickle") or not isinstance(specs, list):
            raise _bad(source, f"kind {kind!r}")
        expected = [MANIFEST] + [array_member(i) for i in range(len(specs))]
        expected += [PICKLE] if kind == "pickle" else []
        infos = zf.infolist()
        if sorted(i.filename for i in infos) != sorted(expected):
            raise _bad(source, "its members are not the ones its manifest lists")
        if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
            raise _bad(source, "a member is compressed")
        arrays = [_read_array(zf, i, spec, source) for i, spec in enumerate(specs)]
        pickle_bytes = _read_member(zf, PICKLE) if kind == "pickle" else None
    return Contents(manifest, arrays, pickle_bytes)


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    with zf.open(name) as fp:  # reading to the end checks the member's CRC-32
        return fp.read()


def _read_array(zf: zipfile.ZipFile, i: int, spec: Any, source: str) -> np.ndarray:
    arr = read_npy(zf, array_member(i), source)
    if not isinstance(spec, dict) or spec.get("dtype") != arr.dtype.str or \
            spec.get("shape") != list(arr.shape):
        raise _bad(source, f"{array_member(i)} is {arr.dtype.str}{arr.shape}, the manifest "
                           f"says {spec!r}")
    return arr


def read_npy(zf: zipfile.ZipFile, name: str, source: str) -> np.ndarray:
    """The array in member ``name``, after checking that its header's shape and dtype match
    the member's size (so a lying header cannot make us allocate more than the file holds),
    read to the member's end (which checks its CRC-32). Pickled arrays are refused."""
    size = zf.getinfo(name).file_size
    with zf.open(name) as fp:
        version = np.lib.format.read_magic(fp)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(fp)
        if dtype.hasobject:
            raise CheckpointError(f"{source}: {name} holds pickled objects; minigrad never "
                                  f"unpickles arrays, so it was refused")
        nbytes = dtype.itemsize * math.prod(shape)
        if fp.tell() + nbytes != size:
            raise _bad(source, f"{name}'s header ({dtype}{shape}) does not match its size")
        arr = np.empty(shape, dtype, order="F" if fortran else "C")
        if nbytes:
            into = memoryview(arr.T if fortran else arr).cast("B")
            pos = 0
            while pos < nbytes:
                chunk = fp.read(min(nbytes - pos, _CHUNK))
                if not chunk:
                    raise _bad(source, f"{name} ends early")
                into[pos:pos + len(chunk)] = chunk
                pos += len(chunk)
        if fp.read(1):  # also reads to the member's end, which checks its CRC-32
            raise _bad(source, f"{name} has bytes after its array")
    return arr


def _read_unsealed(fh: IO[bytes], start: int, head: bytes, source: str) -> Contents:
    """No seal: an old flat ``.npz`` checkpoint (still loads), or not ours at all."""
    name = head[30:30 + len(MANIFEST)]  # our first member's name, in its local header
    if head[:4] == b"PK\x03\x04" and name and MANIFEST.encode().startswith(name):
        raise CheckpointError(f"{source} is a truncated or damaged minigrad checkpoint (its end, "
                              f"with the SHA-256 seal, is missing); nothing was loaded")
    head = head[:4]
    if head != b"PK\x03\x04":
        what = ("a pickle file (torch's legacy format or pickle.dump)" if head[:1] == b"\x80"
                else f"unknown bytes (it starts with {head!r})")
        raise CheckpointError(f"{source} is not a minigrad checkpoint: {what}; nothing was "
                              f"loaded")
    fh.seek(start)
    try:
        with zipfile.ZipFile(fh) as zf:
            names, comment = zf.namelist(), zf.comment
            if MANIFEST in names or comment.startswith(SEAL_PREFIX[:8]):
                raise CheckpointError(f"{source} is a damaged or truncated minigrad checkpoint "
                                      f"(its SHA-256 seal is missing or garbled); nothing was "
                                      f"loaded")
            if any(n == PICKLE or n.endswith("/" + PICKLE) for n in names):
                raise CheckpointError(
                    f"{source} is a PyTorch checkpoint (torch.save), not a minigrad one; load it "
                    f"with torch.load, convert the tensors (e.g. {{k: v.numpy() for k, v in "
                    f"sd.items()}}) and mg.save the result; nothing was loaded")
            if comment or not all(n.endswith(".npy") for n in names):
                raise CheckpointError(f"{source} is a zip archive but not a minigrad checkpoint; "
                                      f"nothing was loaded")
            legacy = {n[:-4]: read_npy(zf, n, source) for n in names}
    except CheckpointError:
        raise
    except _PARSE_ERRORS as e:
        raise CheckpointError(f"{source} is not a valid checkpoint (truncated or damaged: "
                              f"{type(e).__name__}: {e}); nothing was loaded") from e
    return Contents({}, [], legacy=legacy)
