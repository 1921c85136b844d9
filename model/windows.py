"""Joint windows: consecutive sentences of a document read as one token sequence.

A window is ``[CLS] s_a [SEP] s_a+1 [SEP] ... s_b-1 [SEP]``: every token of
a sentence attends to the tokens of its neighbours, so a quote whose speaker
is named in the next sentence, or a claim relayed by an outlet two sentences
earlier, can be labelled from what it reads (Cohan et al., EMNLP 2019).
Each sentence's vector is pooled from its own tokens only, through a pooling
matrix ``(S, T)`` that the network multiplies with its token states.

At inference a document is cut into *cores* of consecutive sentences (at most
``core_tokens`` tokens), and each core is widened with whole neighbouring
sentences on both sides up to ``window_tokens``: every sentence is labelled
from exactly one window, where it has context on both sides (except at the
document's ends).  The plan depends on the document alone, never on the
batch, so a sentence's labels do not change with what else is scored.
In training, documents are cut into non-overlapping windows at a random
offset each epoch (every token is encoded once).

``window_tokens == 0`` reads every sentence alone, pooled over all of its
tokens including ``[CLS]``/``[SEP]``: the first credscore network's input.

Shapes: ``T`` tokens per window, ``S`` sentences per window (with context).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """Sentences ``start..end-1`` of one document are read; ``core_start..core_end-1`` are labelled from it."""

    start: int
    core_start: int
    core_end: int
    end: int


def window_cost(lengths: list[int], start: int, end: int) -> int:
    """Tokens of the window of sentences ``start..end-1`` (``[CLS]``, then each sentence and its ``[SEP]``)."""
    return 1 + sum(lengths[start:end]) + (end - start)


def plan_windows(lengths: list[int], window_tokens: int, core_tokens: int) -> list[Window]:
    """Inference windows of one document whose sentences have ``lengths`` tokens (without special tokens).

    Cores are filled greedily up to ``core_tokens`` (at least one sentence),
    then widened one whole sentence at a time, left and right in turn, while
    the window stays within ``window_tokens``.
    """
    n = len(lengths)
    if window_tokens <= 0:
        return [Window(i, i, i + 1, i + 1) for i in range(n)]
    windows, i = [], 0
    while i < n:
        j = i + 1
        while j < n and window_cost(lengths, i, j + 1) <= core_tokens:
            j += 1
        start, end, grew = i, j, True
        while grew:
            grew = False
            if start > 0 and window_cost(lengths, start - 1, end) <= window_tokens:
                start, grew = start - 1, True
            if end < n and window_cost(lengths, start, end + 1) <= window_tokens:
                end, grew = end + 1, True
        windows.append(Window(start, i, j, end))
        i = j
    return windows


def training_windows(lengths: list[int], window_tokens: int, rng: random.Random) -> list[Window]:
    """Non-overlapping windows covering one document, all sentences labelled, cut at a random offset."""
    n = len(lengths)
    if window_tokens <= 0:
        return [Window(i, i, i + 1, i + 1) for i in range(n)]
    windows, i = [], 0
    # The first window ends early by a random number of sentences, so cuts move between epochs.
    first_cap = rng.randint(1, max(1, n))
    while i < n:
        j = i + 1
        cap = first_cap if i == 0 else n
        while j < n and j - i < cap and window_cost(lengths, i, j + 1) <= window_tokens:
            j += 1
        windows.append(Window(i, i, j, j))
        i = j
    return windows


@dataclass
class WindowInput:
    """One window's model input: token ids ``(T,)``, pooling weights ``(S, T)`` and where each sentence sits."""

    ids: list[int]
    pool: np.ndarray
    #: Per sentence of the window: ``(first token, end token)`` of its own tokens in ``ids``.
    token_spans: list[tuple[int, int]]


def build_window(sentence_ids: list[list[int]], window: Window, cls_id: int, sep_id: int,
                 alone: bool = False) -> WindowInput:
    """The input of ``window`` from each sentence's ids without special tokens.

    ``alone``: the single-sentence mode (pool over ``[CLS]`` and ``[SEP]`` too).
    """
    ids, spans = [cls_id], []
    for s in range(window.start, window.end):
        spans.append((len(ids), len(ids) + len(sentence_ids[s])))
        ids += sentence_ids[s]
        ids.append(sep_id)
    pool = np.zeros((len(spans), len(ids)), dtype=np.float32)
    if alone:
        pool[0, :] = 1.0 / len(ids)
    else:
        for row, (a, b) in enumerate(spans):
            if b > a:
                pool[row, a:b] = 1.0 / (b - a)
            else:  # an empty sentence: its [SEP] stands for it
                pool[row, a] = 1.0
    return WindowInput(ids, pool, spans)


@dataclass
class CoreSentence:
    """A sentence labelled from a window: its slot in the window, its index in the document, its token span."""

    slot: int
    sentence: int
    token_span: tuple[int, int]


def document_windows(sentence_ids: list[list[int]], plan: list[Window], cls_id: int, sep_id: int,
                     alone: bool = False) -> list[tuple[WindowInput, list[CoreSentence]]]:
    """Each window of ``plan`` built from one document's ``sentence_ids``, with the core sentences it labels."""
    out = []
    for window in plan:
        built = build_window(sentence_ids, window, cls_id, sep_id, alone=alone)
        cores = [CoreSentence(s - window.start, s, built.token_spans[s - window.start])
                 for s in range(window.core_start, window.core_end)]
        out.append((built, cores))
    return out


def pad_windows(inputs: list[WindowInput], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded int64 ids and mask ``(B, T)`` and float32 pooling ``(B, S, T)`` of ``B`` windows."""
    width = max(len(w.ids) for w in inputs)
    rows = max(w.pool.shape[0] for w in inputs)
    ids = np.full((len(inputs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(inputs), width), dtype=np.int64)
    pool = np.zeros((len(inputs), rows, width), dtype=np.float32)
    for b, w in enumerate(inputs):
        ids[b, : len(w.ids)] = w.ids
        mask[b, : len(w.ids)] = 1
        pool[b, : w.pool.shape[0], : w.pool.shape[1]] = w.pool
    return ids, mask, pool
