"""Writing a file so that a crash leaves either the old file or the new one, never a mixture.

``atomic_write(path, write)`` calls ``write`` on a temporary file in the same directory, named
``.<name>.<pid>.<8 hex>.mgtmp`` (hidden, next to the target, so ``os.replace`` is a rename on
one filesystem), then: flush, ``fsync`` the file, give it the mode bits of the file it replaces
(a new file gets the usual ``0o666 & ~umask``), ``os.replace`` onto the target, ``fsync`` the
directory so the rename itself is durable. A symlink target is written through (the link stays).
On an exception the temporary file is removed; after a kill (SIGKILL, power loss) it stays, and
the next successful save of the same name removes those left by processes that no longer run.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import IO

TEMP_SUFFIX = ".mgtmp"


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Run ``write(file)`` on a temporary file and move it onto ``path`` atomically."""
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {os.fspath(path)!r}: the directory {folder!r} "
                                f"does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot save to {os.fspath(path)!r}: it is a directory")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            if mode is not None:
                os.chmod(f.fileno() if os.chmod in os.supports_fd else tmp, mode)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(folder)
    remove_stale_temps(folder, name)


def _fsync_directory(folder: str) -> None:
    if os.name != "posix":  # Windows cannot open a directory; its rename is already durable
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(folder: str, name: str) -> list[str]:
    """Delete temporary files of ``name`` left in ``folder`` by processes that have died.

    A temp file whose process still runs (or may: its pid is taken, or we cannot tell, as on
    Windows) is left alone, since that process may be saving right now. Returns the paths
    removed."""
    prefix = f".{name}."
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(TEMP_SUFFIX)):
            continue
        pid = entry[len(prefix):-len(TEMP_SUFFIX)].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))
                removed.append(os.path.join(folder, entry))
    return removed


def _alive(pid: int) -> bool:
    if os.name != "posix" or pid == os.getpid():
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
