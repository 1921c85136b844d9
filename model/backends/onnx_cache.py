"""Where compiled ONNX graphs of a model live, and building them on first use.

The fast path needs the whole encoder as an ONNX graph with fused attention
and int8 weights, about 23 MB for MiniLM: more than the repository may hold
(model directories carry LoRA adapters and heads only), so it is built from
the model directory and the base package on first use (about 20 s on 2 cores,
:mod:`credscore.backends.onnx_export`) and cached:

    $CREDSCORE_CACHE_DIR, else $XDG_CACHE_HOME/credscore, else ~/.cache/credscore
        onnx-<precision>-<key>/encoder.onnx   token ids -> mean-pooled sentence vectors (N, H)
        onnx-<precision>-<key>/heads.onnx     one document's vectors (n, H) -> logits per task
        onnx-<precision>-<key>/manifest.json  versions, sha256 of both graphs, export check

``<key>`` hashes the model's config and weight files together with the
versions of the export recipe, the base package and onnxruntime, so a changed
model or library never reuses a stale graph.  The manifest's checksums are
verified on every load; a damaged cache is rebuilt, never used.

This module imports neither torch nor onnxruntime: looking up a built cache
costs a few milliseconds of hashing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from credscore.atomic import atomic_directory
from credscore.backends.onnx_files import ENCODER_FILE, HEADS_FILE, MANIFEST_FILE, PRECISIONS, export_versions, sha256_file
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
        return all(sha256_file(target / name) == manifest["sha256"][name] for name in (ENCODER_FILE, HEADS_FILE))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def ensure_compiled(model_dir: Path | str, meta: dict, precision: str = "int8") -> Path:
    """The cached compiled graphs of ``model_dir``, building them first if needed.

    Falls back to a temporary directory (for this process only) when the
    cache directory cannot be written.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    model_dir = Path(model_dir)
    target = cache_root() / f"onnx-{precision}-{compile_key(model_dir, meta, precision)}"
    if _is_complete(target):
        return target
    log.info("preparing the %s ONNX Runtime graphs of %s (once; cached in %s)", precision, model_dir, target)
    start = time.perf_counter()
    try:
        with atomic_directory(target) as tmp:
            _build(model_dir, tmp, precision)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        target = Path(tempfile.mkdtemp(prefix="credscore-onnx-"))
        log.warning("cache directory %s is not writable; using %s for this run", cache_root(), target)
        _build(model_dir, target, precision)
    log.info("done in %.1f s", time.perf_counter() - start)
    return target


def _build(model_dir: Path, target: Path, precision: str) -> None:
    from credscore.backends.onnx_export import compile_model  # torch, transformers and onnx: only when building

    compile_model(model_dir, target, precision)

