"""The ONNX Runtime backend: the fast path (int8 encoder, fused attention).

Imports onnxruntime and numpy only, never torch or transformers: with the
graphs already built (:mod:`credscore.backends.onnx_cache`), a cold ``credscore score``
spends its time on the model rather than on importing libraries.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from credscore.backends.onnx_files import ENCODER_FILE, HEADS_FILE, make_session, read_manifest
from credscore.tasks import TASKS


def available_cores() -> int:
    """CPU cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class OnnxBackend:
    """Runs the compiled graphs of one model (numpy in, numpy out).

    Parameters
    ----------
    compiled:
        a directory made by :func:`credscore.backends.onnx_cache.ensure_compiled`.
    threads:
        batches encoded at once, one core each (default: every core this
        process may use).  On 2 cores, two single-threaded batches side by
        side gave 20-35 % more sentences/s than one batch on two threads:
        the matrices of a 16-sentence batch are too small to split well.
    """

    def __init__(self, compiled: Path | str, threads: int | None = None):
        compiled = Path(compiled)
        manifest = read_manifest(compiled)
        self.feature_dim = int(manifest["feature_dim"])
        self.window_tokens, self.core_tokens = int(manifest["window_tokens"]), int(manifest["core_tokens"])
        self.name = f"onnxruntime-{manifest.get('precision', 'int8')}"
        self.parallel_batches = threads or available_cores()
        # Calls never mix documents (the predictor's batches), so labels do not depend on what else is
        # scored; a joint window is big enough alone, single sentences go 8 at a time for speed.
        self.batch_size = 8 if self.window_tokens <= 0 else 1
        self.outputs = list(manifest.get("encoder_outputs", ["features"]))
        self.encoder = make_session(compiled / ENCODER_FILE)
        self.heads = make_session(compiled / HEADS_FILE)

    def encode_windows(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                       pool: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sentence features ``(B, S, F)`` and mention tag logits ``(B, T, 17)`` (or ``None``)."""
        out = self.encoder.run(self.outputs, {"input_ids": input_ids, "attention_mask": attention_mask, "pool": pool})
        return out[0], (out[1] if len(out) > 1 else None)

    def classify(self, emb: np.ndarray, doc_lengths: list[int]) -> dict[str, np.ndarray]:
        """Logits per task ``(N, n_labels)`` from features ``(N, F)``, one graph call per document."""
        parts = {task: [] for task in TASKS}
        start = 0
        for length in doc_lengths:
            outputs = self.heads.run(list(TASKS), {"embedding": emb[start:start + length]})
            for task, logits in zip(TASKS, outputs):
                parts[task].append(logits)
            start += length
        return {task: np.concatenate(chunks) for task, chunks in parts.items()}
