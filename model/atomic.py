"""Atomic file writes shared by training, prediction and evaluation.

Temporary files and folders are named ``.NAME.credscore-PID.XXXXXXXX.tmp``
next to their target: the process id lets a later run tell the leftovers of
a killed process (SIGKILL, power loss) from those of one still running, and
:func:`sweep_stale_temporaries` removes the former before each write.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

_TAG = "credscore-"
_STALE_RE = re.compile(rf"^\..+\.{_TAG}(?P<pid>\d+)\.[^./]+\.tmp$")


def _temp_prefix(name: str) -> str:
    return f".{name}.{_TAG}{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def sweep_stale_temporaries(folder: Path | str) -> list[Path]:
    """Remove our temporaries in ``folder`` whose process is gone; returns what was removed.

    Only entries with our naming pattern, owned by this user and not
    symbolic links are touched; a live process's temporaries are kept.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _STALE_RE.match(entry.name)
        if not m or int(m["pid"]) == os.getpid() or _pid_alive(int(m["pid"])):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.getuid() or stat.S_ISLNK(info.st_mode):
                continue
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextmanager
def atomic_output(path: Path | str, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file next to ``path``; rename it over ``path`` on success.

    On any exception (Ctrl-C and SIGTERM included) the temporary file is
    removed and an existing ``path`` is left untouched.  A replaced file keeps
    its permission bits; a new one gets the umask mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temporaries(path.parent)
    try:
        keep_mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        keep_mode = None
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes 0600 files; outputs get the mode of the file they replace, or the umask mode.
        os.chmod(tmp, keep_mode if keep_mode is not None else default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def default_file_mode() -> int:
    """``0o666`` less the process umask: the mode ``open(path, "w")`` would have given."""
    return 0o666 & ~_umask()


def default_dir_mode() -> int:
    """``0o777`` less the process umask: the mode ``mkdir`` would have given."""
    return 0o777 & ~_umask()


def write_jsonl_atomic(path: Path | str, rows: Iterable[dict]) -> None:
    """Write ``rows`` as JSON Lines to ``path`` atomically."""
    with atomic_output(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _publish_modes(folder: Path) -> None:
    """Give ``folder`` and everything in it the umask modes (mkdtemp and some writers make them 0700/0600)."""
    os.chmod(folder, default_dir_mode())
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), default_dir_mode())
        for f in files:
            os.chmod(os.path.join(root, f), default_file_mode())


@contextmanager
def atomic_directory(target: Path | str, private: bool = False):
    """Yield a temporary directory next to ``target``; on success it replaces ``target``.

    On any exception the temporary directory is removed and an existing
    ``target`` is left untouched.  The published folder and its files get the
    umask modes, unless ``private`` (then 0700 / 0600 as made).
    """
    target = Path(target)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        # Never move a file or a link aside to put a folder in its place (it used to become .NAME.old).
        raise FileExistsError(errno.EEXIST, "exists and is not a folder; refusing to replace it", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temporaries(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target.name), suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        if not private:
            _publish_modes(tmp)
        backup = None
        if target.exists():
            backup = target.with_name(f"{_temp_prefix(target.name)}old.tmp")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
        os.replace(tmp, target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
