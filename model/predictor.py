"""Batched inference: sentences of documents in, calibrated probabilities out.

Sentences are tokenised once, sorted by length and encoded in small batches
(little padding), then put back in document order for the context layer and
heads.  The network itself runs in a *backend*:

* :class:`credscore.backends.pytorch.TorchBackend`: the fp32 PyTorch network, the
  reference implementation (the same code that is trained);
* :class:`credscore.backends.ort.OnnxBackend`: the same weights exported to ONNX,
  with fused attention and int8 dynamic quantisation, in ONNX Runtime (the
  fast path; no torch import).

Both take and return numpy arrays, so everything here is backend-neutral.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from credscore.calibration import apply_temperature
from credscore.tasks import TASKS
from credscore.tokenization import SentenceTokenizer, pad_batch

#: Sentences tokenised and length-sorted together; bounds the memory of token ids.
CHUNK_SENTENCES = 4096

#: ``progress(done, total)``: sentences encoded so far, out of all.
ProgressFn = Callable[[int, int], None]


class Backend(Protocol):
    """What :class:`Predictor` needs from a network implementation."""

    hidden_size: int
    name: str
    #: Sentences per encoder pass: small batches of length-sorted sentences waste little on padding.
    batch_size: int
    #: Batches run at once from a thread pool (1: one after the other).
    parallel_batches: int

    def embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Sentence vectors ``(B, H)`` float32 from int64 ids and mask ``(B, T)``."""

    def classify(self, emb: np.ndarray, doc_lengths: list[int]) -> dict[str, np.ndarray]:
        """Logits per task, ``(N, n_labels)``, from vectors ``(N, H)`` in document order."""


@dataclass
class Probabilities:
    """Calibrated class probabilities for ``N`` sentences in document order.

    ``scores[task]`` has shape ``(N, n_labels)``; rows sum to 1.
    """

    scores: dict[str, np.ndarray]
    doc_lengths: list[int]
    #: Per document, how many of its sentences were longer than the tokenizer's ``max_length``.
    truncated_per_document: list[int] = field(default_factory=list)

    @property
    def truncated(self) -> int:
        return sum(self.truncated_per_document)


@dataclass
class Predictor:
    """Runs a network backend over documents.

    Parameters
    ----------
    backend:
        :class:`credscore.backends.pytorch.TorchBackend` or :class:`credscore.backends.ort.OnnxBackend`.
    tokenizer:
        turns sentences into ids (truncating to the network's ``max_length``).
    temperatures:
        per-task temperature (calibration); 1.0 = raw softmax.
    batch_size:
        sentences per encoder pass (``None``: the backend's ``batch_size``).
    """

    backend: Backend
    tokenizer: SentenceTokenizer
    temperatures: dict[str, float] = field(default_factory=dict)
    batch_size: int | None = None

    def __post_init__(self):
        if self.batch_size is None:
            self.batch_size = self.backend.batch_size
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")

    def embed(self, sentences: list[str], progress: ProgressFn | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Sentence vectors ``(N, H)`` in input order, and ``(N,)`` booleans: which sentences were truncated.

        Works through the input in chunks of :data:`CHUNK_SENTENCES`, so token
        ids and padded batches are held for one chunk at a time whatever the
        article's length; only the ``(N, H)`` vectors grow with it.  ``progress``
        is called as ``progress(done, total)`` after every batch.
        """
        out = np.empty((len(sentences), self.backend.hidden_size), dtype=np.float32)
        truncated = np.zeros(len(sentences), dtype=bool)
        done = 0
        workers = max(1, self.backend.parallel_batches)
        pool = ThreadPoolExecutor(workers) if workers > 1 else None
        try:
            for chunk_start in range(0, len(sentences), CHUNK_SENTENCES):
                chunk = sentences[chunk_start:chunk_start + CHUNK_SENTENCES]
                ids, flags = self.tokenizer.encode(chunk)
                truncated[chunk_start:chunk_start + len(chunk)] = flags
                order = np.argsort([len(x) for x in ids], kind="stable")
                batches = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
                run = lambda idx: self._embed_batch([ids[i] for i in idx])  # noqa: E731
                results = pool.map(run, batches) if pool else map(run, batches)
                for idx, vectors in zip(batches, results):  # in order, so progress only grows
                    out[idx + chunk_start] = vectors
                    done += len(idx)
                    if progress is not None:
                        progress(done, len(sentences))
        finally:
            if pool is not None:  # on Ctrl-C: drop queued batches, wait only for running ones
                pool.shutdown(wait=True, cancel_futures=True)
        return out, truncated

    def _embed_batch(self, seqs: list[list[int]]) -> np.ndarray:
        return self.backend.embed_batch(*pad_batch(seqs, self.tokenizer.pad_token_id))

    def predict_documents(self, documents: list[list[str]], progress: ProgressFn | None = None) -> Probabilities:
        """Calibrated probabilities for every sentence of ``documents`` (lists of sentences)."""
        documents = [d for d in documents if d]
        flat = [s for doc in documents for s in doc]
        lengths = [len(d) for d in documents]
        if not flat:
            return Probabilities({t: np.zeros((0, len(l))) for t, l in TASKS.items()}, [], [])
        emb, truncated = self.embed(flat, progress)
        logits = self.backend.classify(emb, lengths)
        scores = {t: apply_temperature(logits[t], self.temperatures.get(t, 1.0)) for t in TASKS}
        for task, values in scores.items():  # damaged weights (NaN, inf) must not become "reliability": NaN
            if not np.isfinite(values).all():
                from credscore.errors import ModelLoadError

                raise ModelLoadError(f"the model gave non-finite {task} scores: its weights are damaged "
                                     "(NaN or infinite values)")
        bounds = np.cumsum([0] + lengths)
        per_doc = [int(truncated[a:b].sum()) for a, b in zip(bounds[:-1], bounds[1:])]
        return Probabilities(scores, lengths, per_doc)
