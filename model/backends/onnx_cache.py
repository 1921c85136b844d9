"""Where compiled ONNX graphs of a model live, and building them on first use.

The fast path needs the whole encoder as an ONNX graph with fused attention
and int8 weights, about 23 MB for MiniLM: more than the repository may hold
(model directories carry heads and the encoder's trained part only: LoRA
adapters, or fp16 differences from the base), so it is built from
the model directory and the base package on first use (about 20 s on 2 cores,
:mod:`credscore.backends.onnx_export`) and cached:

    $CREDSCORE_CACHE_DIR, else $XDG_CACHE_HOME/credscore, else ~/.cache/credscore
        onnx-<precision>-<key>/encoder.onnx   windows' token ids + pooling -> sentence features (B, S, F), mention tags
        onnx-<precision>-<key>/heads.onnx     one document's features (n, F) -> logits per task
        onnx-<precision>-<key>/manifest.json  versions, sha256 of both graphs, export check

``<key>`` hashes the model's config and weight files together with the
versions of the export recipe, the base package and onnxruntime, so a changed
model or library never reuses a stale graph.  The manifest's checksums (of
both graphs and of the manifest itself) are verified on every load; a damaged
or edited cache is rebuilt, never used.

When the cache directory cannot be used (not writable, a file, read-only
file system), graphs go to one per-user folder under the system's temporary
directory (``credscore-UID``, mode 0700, reused by later runs); only if that
fails too are they built for this run alone, in a folder removed at exit.
Half-built folders of killed runs are swept by the next build
(:func:`credscore.atomic.sweep_stale_temporaries`).

This module imports neither torch nor onnxruntime: looking up a built cache
costs a few milliseconds of hashing.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from credscore.atomic import atomic_directory
from credscore.backends.onnx_files import (ENCODER_FILE, HEADS_FILE, MANIFEST_FILE, PRECISIONS, export_versions,
                                           manifest_digest, sha256_file)
from credscore.model_dir import ModelDirectory

log = logging.getLogger("credscore")


def cache_root() -> Path:
    """Where compiled graphs live (see the module docstring for the order of lookup)."""
    if os.environ.get("CREDSCORE_CACHE_DIR"):
        return Path(os.environ["CREDSCORE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "credscore"


def compile_key(model_dir: Path, meta: dict, precision: str) -> str:
    """Hash of everything the compiled graphs depend on (16 hex digits)."""
    digest = hashlib.sha256(json.dumps({"versions": export_versions(), "precision": precision,
                                        "network": meta.get("network"), "encoder": meta.get("encoder")},
                                       sort_keys=True).encode())
    for file in ModelDirectory(model_dir).weight_files(meta):
        digest.update(sha256_file(file).encode())
    return digest.hexdigest()[:16]


def _is_complete(target: Path) -> bool:
    """True when ``target`` holds both graphs and they match the manifest's checksums."""
    try:
        manifest = json.loads((target / MANIFEST_FILE).read_text(encoding="utf-8"))
        if manifest.get("manifest_sha256") != manifest_digest(manifest):  # an edited manifest
            return False
        if not isinstance(manifest.get("feature_dim"), int) or manifest["feature_dim"] <= 0 \
                or not all(isinstance(manifest.get(k), int) for k in ("window_tokens", "core_tokens")):
            return False
        return all(stat.S_ISREG(os.stat(target / name).st_mode)
                   and sha256_file(target / name) == manifest["sha256"][name] for name in (ENCODER_FILE, HEADS_FILE))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


#: Errors that make a cache location unusable (rather than the build broken).
_UNUSABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.ENOSPC, errno.EDQUOT)


def user_fallback_root() -> Path | None:
    """The per-user fallback cache (``$TMPDIR/credscore-UID``, 0700), or ``None`` when it is not safely ours."""
    root = Path(tempfile.gettempdir()) / f"credscore-{os.getuid()}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(root)
    except OSError:
        return None
    # Another user could have planted it (shared /tmp): use it only if it is our private folder.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return root


def ensure_compiled(model_dir: Path | str, meta: dict, precision: str = "int8") -> Path:
    """The cached compiled graphs of ``model_dir``, building them first if needed.

    Falls back to the per-user folder of :func:`user_fallback_root`, then to a
    folder for this process only, when the cache directory cannot be used.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    model_dir = Path(model_dir)
    name = f"onnx-{precision}-{compile_key(model_dir, meta, precision)}"
    primary = cache_root() / name
    if _is_complete(primary):
        return primary
    fallback = user_fallback_root()
    if fallback is not None and _is_complete(fallback / name):
        return fallback / name
    log.info("preparing the %s ONNX Runtime graphs of %s (once; cached in %s)", precision, model_dir, primary)
    start = time.perf_counter()
    reason = None
    for target in [primary] + ([fallback / name] if fallback is not None else []):
        try:
            with atomic_directory(target) as tmp:
                _build(model_dir, tmp, precision)
        except OSError as exc:
            if exc.errno not in _UNUSABLE:
                raise
            reason = reason or exc.strerror
            continue
        if target != primary:
            log.warning("cache directory %s is not usable (%s); graphs cached in %s", cache_root(), reason, target)
        log.info("done in %.1f s", time.perf_counter() - start)
        return target
    target = Path(tempfile.mkdtemp(prefix="credscore-onnx-"))
    atexit.register(shutil.rmtree, target, True)
    log.warning("cache directory %s is not usable (%s); using %s for this run", cache_root(), reason, target)
    _build(model_dir, target, precision)
    log.info("done in %.1f s", time.perf_counter() - start)
    return target


def _build(model_dir: Path, target: Path, precision: str) -> None:
    from credscore.backends.onnx_export import compile_model  # torch, transformers and onnx: only when building

    compile_model(model_dir, target, precision)

