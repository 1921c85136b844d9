"""Where ``--output`` goes: checked before the work starts, written without destroying what is there.

* a regular file (or a new path) is replaced atomically and keeps its mode
  (:func:`credscore.atomic.atomic_output`);
* a symbolic link is written *through*: its target is replaced, the link stays;
* a character device (``/dev/null``, a terminal) or a FIFO is written to in
  place, never replaced by a regular file; a FIFO without a reader is refused
  rather than waited on;
* a folder, a block device, a socket or an unwritable location is refused
  (:class:`~credscore.errors.InputError`, exit 2) before any model loads.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from credscore.errors import InputError


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISFIFO, "a FIFO")):
        if test(mode):
            return name
    return "a regular file"


def _writable_folder(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder`` if it is a writable folder, else ``None``."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate if candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK) else None
    return None


def _stat(path: Path) -> os.stat_result | None:
    """``stat`` of ``path`` (following a symbolic link: what matters is what it points at); ``None``: new."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot write there ({exc.strerror})") from None


def check_output_file(output: str | Path) -> os.stat_result | None:
    """Refuse an output path that cannot be written or must not be replaced; its ``stat`` (``None``: new).

    Call it before long work starts, so a bad ``-o`` costs nothing.
    """
    path = Path(output)
    st = _stat(path)
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise InputError(f"{path}: is {_kind(st.st_mode)}; --output takes a file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not os.access(path, os.W_OK):
            raise InputError(f"{path}: is not writable")
        return st
    real = Path(os.path.realpath(path))
    folder = _writable_folder(real.parent)
    if folder is None:
        raise InputError(f"{path}: cannot write there (folder {real.parent} is not writable)")
    return st


def check_output_folder(output: str | Path) -> None:
    """Refuse a folder output (Parquet shards) that is not a folder or cannot be written, before the work starts."""
    path = Path(output)
    st = _stat(path)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is {_kind(st.st_mode)}; Parquet output is a folder of shards")
    real = Path(os.path.realpath(path))
    if _writable_folder(real) is None:
        raise InputError(f"{path}: cannot write there (not a writable folder)")


def open_in_place(path: Path):
    """A text stream written into ``path`` itself (a character device or FIFO), never replacing it."""
    # O_NONBLOCK: opening a FIFO that nobody reads fails with ENXIO instead of waiting forever.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(f"{path}: is a FIFO with no reader") from None
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w", encoding="utf-8")


@contextmanager
def open_output(output: str | Path):
    """A text stream for ``output`` (see the module docstring for what each kind of path gets)."""
    from credscore.atomic import atomic_output

    path = Path(output)
    st = check_output_file(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open_in_place(path) as fh:
            yield fh
        return
    with atomic_output(Path(os.path.realpath(path))) as fh:
        yield fh
