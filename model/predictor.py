"""Batched inference: sentences of documents in, calibrated probabilities and source mentions out.

Each document is tokenised and cut into joint windows (:mod:`credscore.windows`);
windows are sorted by length and encoded in small batches (little padding),
then each sentence's features are put back in document order for the context
layer and heads, and its tokens' mention tags are decoded into character
spans (:mod:`credscore.mentions`).  The network itself runs in a *backend*:

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

from credscore.calibration import apply_calibration
from credscore.tasks import TASKS
from credscore.mentions import decode_tags, resolve_source_of
from credscore.tokenization import SentenceTokenizer
from credscore.windows import document_windows, pad_windows, plan_windows

#: Sentences tokenised and windowed together (whole documents); bounds the memory of token ids.
CHUNK_SENTENCES = 4096

#: ``progress(done, total)``: sentences encoded so far, out of all.
ProgressFn = Callable[[int, int], None]


class Backend(Protocol):
    """What :class:`Predictor` needs from a network implementation."""

    #: Width ``F`` of the sentence features the encoder returns.
    feature_dim: int
    #: The network's window plan (:func:`credscore.windows.plan_windows`); 0 reads sentences alone.
    window_tokens: int
    core_tokens: int
    name: str
    #: Windows per encoder pass.
    batch_size: int
    #: Batches run at once from a thread pool (1: one after the other).
    parallel_batches: int

    def encode_windows(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                       pool: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sentence features ``(B, S, F)`` and mention tag logits ``(B, T, 17)`` (or ``None``) of ``B`` windows."""

    def classify(self, emb: np.ndarray, doc_lengths: list[int]) -> dict[str, np.ndarray]:
        """Logits per task, ``(N, n_labels)``, from features ``(N, F)`` in document order."""


@dataclass
class Probabilities:
    """Calibrated class probabilities and source mentions for ``N`` sentences in document order.

    ``scores[task]`` has shape ``(N, n_labels)``; rows sum to 1.
    ``mentions[i]``: sentence ``i``'s source mentions, character offsets into
    its text (:func:`credscore.mentions.decode_tags`; empty without a mention head).
    ``source_of[i]``: the index, within its document, of the sentence whose
    source sentence ``i`` continues, or ``None``.
    """

    scores: dict[str, np.ndarray]
    doc_lengths: list[int]
    #: Per document, how many of its sentences were longer than the tokenizer's ``max_length``.
    truncated_per_document: list[int] = field(default_factory=list)
    mentions: list[list[dict]] = field(default_factory=list)
    source_of: list[int | None] = field(default_factory=list)

    @property
    def truncated(self) -> int:
        return sum(self.truncated_per_document)


@dataclass
class Predictor:
    """Runs a network backend over documents, reading their sentences in joint windows.

    Parameters
    ----------
    backend:
        :class:`credscore.backends.pytorch.TorchBackend` or :class:`credscore.backends.ort.OnnxBackend`.
    tokenizer:
        turns sentences into ids (truncating to the network's ``max_length``).
    temperatures:
        per-task temperature (calibration); 1.0 = raw softmax.
    batch_size:
        windows per encoder pass (``None``: the backend's ``batch_size``).
    offsets:
        per-task decision offsets ``(C,)`` added to the scaled logits
        (:func:`credscore.calibration.apply_calibration`); a task without: none.

    The window plan (:func:`credscore.windows.plan_windows`) is the network's own,
    as the backend reports it (``window_tokens`` 0: sentences alone).
    """

    backend: Backend
    tokenizer: SentenceTokenizer
    temperatures: dict[str, float] = field(default_factory=dict)
    batch_size: int | None = None
    offsets: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self):
        if self.batch_size is None:
            self.batch_size = self.backend.batch_size
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")

    def encode(self, documents: list[list[str]], progress: ProgressFn | None = None
               ) -> tuple[np.ndarray, list[np.ndarray | None], list[list[tuple[int, int]]], np.ndarray]:
        """Sentence features ``(N, F)`` in document order, each sentence's mention tag probabilities
        ``(tokens, 17)`` (``None`` without a mention head), its tokens' character offsets, and
        ``(N,)`` booleans: which sentences were truncated.

        Documents are tokenised and windowed in groups of about
        :data:`CHUNK_SENTENCES` sentences, so token ids and padded windows are
        held for one group at a time.  ``progress(done, total)`` is called after every batch.
        """
        total = sum(len(d) for d in documents)
        features = np.empty((total, self.backend.feature_dim), dtype=np.float32)
        tags: list[np.ndarray | None] = [None] * total
        offsets: list[list[tuple[int, int]]] = [[] for _ in range(total)]
        truncated = np.zeros(total, dtype=bool)
        done = 0
        workers = max(1, self.backend.parallel_batches)
        pool = ThreadPoolExecutor(workers) if workers > 1 else None
        try:
            for first, group in self._groups(documents):
                windows, where, owner = self._windows(group, first, offsets, truncated)
                batches = self._batches(windows, owner)
                run = lambda idx: self.backend.encode_windows(  # noqa: E731
                    *pad_windows([windows[i] for i in idx], self.tokenizer.pad_token_id))
                results = pool.map(run, batches) if pool else map(run, batches)
                for idx, (feats, logits) in zip(batches, results):  # in order, so progress only grows
                    for b, w in enumerate(idx):
                        for slot, row, (a, z) in where[w]:
                            features[row] = feats[b, slot]
                            if logits is not None:
                                tags[row] = softmax(logits[b, a:z])
                            done += 1
                    if progress is not None:
                        progress(done, total)
        finally:
            if pool is not None:  # on Ctrl-C: drop queued batches, wait only for running ones
                pool.shutdown(wait=True, cancel_futures=True)
        return features, tags, offsets, truncated

    @staticmethod
    def _groups(documents: list[list[str]]):
        """``(index of the group's first sentence, documents)`` of at most :data:`CHUNK_SENTENCES` sentences.

        A longer document is windowed in parts of :data:`CHUNK_SENTENCES` consecutive sentences (its
        windows never cross a part boundary): token ids and windows stay bounded for any length, and the
        parts depend on the document alone.
        """
        parts = [doc[i:i + CHUNK_SENTENCES] for doc in documents for i in range(0, len(doc), CHUNK_SENTENCES)]
        group, size, first = [], 0, 0
        for doc in parts:
            if group and size + len(doc) > CHUNK_SENTENCES:
                yield first, group
                first, group, size = first + size, [], 0
            group.append(doc)
            size += len(doc)
        if group:
            yield first, group

    def _batches(self, windows: list, owner: list[int]) -> list[np.ndarray]:
        """Window indices per encoder call: one document's windows only, sorted by length, ``batch_size`` at a time.

        Batches never mix documents, so what a document's sentences get does not depend on what else is
        scored (int8 activations are quantised with one scale per call).
        """
        batches, start = [], 0
        while start < len(windows):
            end = start
            while end < len(windows) and owner[end] == owner[start]:
                end += 1
            order = start + np.argsort([len(w.ids) for w in windows[start:end]], kind="stable")
            batches += [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
            start = end
        return batches

    def _windows(self, group: list[list[str]], first: int, offsets, truncated):
        """The windows of a group of documents, per window ``(slot, row, token span)`` of its core sentences,
        and per window the index of its document in the group."""
        tok = self.tokenizer
        windows, where, owner, row = [], [], [], first
        for number, doc in enumerate(group):
            pieces, doc_offsets, flags = tok.encode_pieces(doc)
            offsets[row:row + len(doc)] = doc_offsets
            truncated[row:row + len(doc)] = flags
            plan = plan_windows([len(p) for p in pieces], self.backend.window_tokens, self.backend.core_tokens)
            for built, cores in document_windows(pieces, plan, tok.cls_token_id, tok.sep_token_id,
                                                 alone=self.backend.window_tokens <= 0):
                windows.append(built)
                owner.append(number)
                where.append([(core.slot, row + core.sentence, core.token_span) for core in cores])
            row += len(doc)
        return windows, where, owner

    def predict_documents(self, documents: list[list[str]], progress: ProgressFn | None = None) -> Probabilities:
        """Calibrated probabilities and source mentions for every sentence of ``documents`` (lists of sentences)."""
        documents = [d for d in documents if d]
        lengths = [len(d) for d in documents]
        if not documents:
            return Probabilities({t: np.zeros((0, len(l))) for t, l in TASKS.items()}, [], [])
        features, tags, offsets, truncated = self.encode(documents, progress)
        logits = self.backend.classify(features, lengths)
        scores = {t: apply_calibration(logits[t], self.temperatures.get(t, 1.0), self.offsets.get(t)) for t in TASKS}
        for task, values in scores.items():  # damaged weights (NaN, inf) must not become "reliability": NaN
            if not np.isfinite(values).all():
                from credscore.errors import ModelLoadError

                raise ModelLoadError(f"the model gave non-finite {task} scores: its weights are damaged "
                                     "(NaN or infinite values)")
        flat = [s for doc in documents for s in doc]
        labels = [TASKS["attribution"][i] for i in scores["attribution"].argmax(1)]
        # Guide section 3: only an attributed sentence has source mentions, so a sentence labelled
        # `unattributed` reports none (its tagged words name actors of the claim, not who vouches).
        mentions = [decode_tags(t, o, text) if t is not None and label != "unattributed" else []
                    for t, o, text, label in zip(tags, offsets, flat, labels)]
        bounds = np.cumsum([0] + lengths)
        source_of = [target for a, b in zip(bounds[:-1], bounds[1:])
                     for target in resolve_source_of(labels[a:b], mentions[a:b])]
        per_doc = [int(truncated[a:b].sum()) for a, b in zip(bounds[:-1], bounds[1:])]
        return Probabilities(scores, lengths, per_doc, mentions, source_of)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(T, C)`` logits (float64 for stability)."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)
