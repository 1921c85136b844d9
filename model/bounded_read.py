"""Reading files whose size and kind we do not control, without hanging or running out of memory.

Inputs must be regular files (or stdin), read up to a size limit: the
default is :data:`DEFAULT_MAX_INPUT_MB` MB per article, ``--max-input-mb`` or
``$CREDSCORE_MAX_INPUT_MB`` change it.  A FIFO, a device (``/dev/zero``), a
socket or a folder is refused at once: files are opened with ``O_NONBLOCK``
so a FIFO with no writer cannot block the open, and the kind is checked on
the open descriptor.  Model files get the same checks with fixed limits
(:func:`check_regular_file`), so a weights file linked to ``/dev/zero``
cannot hang hashing or loading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from credscore.errors import InputError

DEFAULT_MAX_INPUT_MB = 64
_MB = 1 << 20


def max_input_bytes(megabytes: float | None = None) -> int:
    """The input size limit in bytes: ``megabytes``, else ``$CREDSCORE_MAX_INPUT_MB``, else the default."""
    raw = megabytes if megabytes is not None else os.environ.get("CREDSCORE_MAX_INPUT_MB", DEFAULT_MAX_INPUT_MB)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"CREDSCORE_MAX_INPUT_MB must be a number of megabytes, got {raw!r}") from None
    if not 0 < value < 1 << 30:
        raise InputError(f"the input size limit must be a positive number of megabytes, got {raw!r}")
    return int(value * _MB)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "is a FIFO, not a regular file"),
                       (stat.S_ISCHR, "is a character device, not a regular file"),
                       (stat.S_ISBLK, "is a block device, not a regular file"),
                       (stat.S_ISSOCK, "is a socket, not a regular file")):
        if test(mode):
            return name
    return "is not a regular file"


def _size(n: int) -> str:
    return f"{n / _MB:g} MB" if n >= _MB else f"{n}-byte"


def _too_large(name: str, limit: int, error=InputError) -> Exception:
    return error(f"{name}: larger than the {_size(limit)} input limit "
                 "(raise it with --max-input-mb or CREDSCORE_MAX_INPUT_MB)")


def open_regular(path: Path | str, error=InputError) -> BinaryIO:
    """``path`` opened for binary reading, if it is a regular file (symbolic links followed)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise error(f"{path}: {_kind(mode)}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_regular_file(path: Path | str, limit: int, error=InputError) -> bytes:
    """All bytes of regular file ``path``, refusing other kinds and files over ``limit`` bytes."""
    with open_regular(path, error) as fh:
        if os.fstat(fh.fileno()).st_size > limit:
            raise _too_large(str(path), limit, error)
        data = fh.read(limit + 1)  # the file may grow while we read
    if len(data) > limit:
        raise _too_large(str(path), limit, error)
    return data


def read_stream(stream: BinaryIO, limit: int, name: str = "<stdin>") -> bytes:
    """At most ``limit`` bytes of ``stream`` (stdin); :class:`InputError` if there are more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name, limit)
    return data


def check_regular_file(path: Path | str, limit: int, error=InputError) -> None:
    """Refuse ``path`` unless it is a regular file of at most ``limit`` bytes (without opening it)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"model file missing: {path}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: {_kind(st.st_mode)}")
    if st.st_size > limit:
        raise error(f"{path}: {st.st_size / _MB:.0f} MB, larger than the {limit / _MB:g} MB a model file may be")
