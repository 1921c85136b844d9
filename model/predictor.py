"""Batched inference: sentences of documents in, calibrated probabilities out.

Sentences are tokenised once, sorted by length and encoded in batches (little
padding), then put back in document order for the context layer and heads.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from model.calibration import apply_temperature
from model.labels import TASKS
from model.network import CredscoreNetwork

DEFAULT_BATCH_SIZE = 64
#: Sentences tokenised and length-sorted together; bounds the memory of token ids.
CHUNK_SENTENCES = 4096

#: ``progress(done, total)``: sentences encoded so far, out of all.
ProgressFn = Callable[[int, int], None]


@dataclass
class Probabilities:
    """Calibrated class probabilities for ``N`` sentences in document order.

    ``scores[task]`` has shape ``(N, n_labels)``; rows sum to 1.
    """

    scores: dict[str, np.ndarray]
    doc_lengths: list[int]
    truncated: int = 0

    def labels(self, task: str) -> list[str]:
        names = TASKS[task]
        return [names[i] for i in self.scores[task].argmax(1)]


def quantize_encoder(network: CredscoreNetwork) -> CredscoreNetwork:
    """Dynamic int8 quantisation of the encoder's Linear layers (CPU fast path)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks eager quantisation as deprecated
        from torch.ao.quantization import quantize_dynamic

        network.encoder = quantize_dynamic(network.encoder, {torch.nn.Linear}, dtype=torch.qint8)
    return network


@dataclass
class Predictor:
    """Runs a :class:`CredscoreNetwork` over documents.

    Parameters
    ----------
    network, tokenizer:
        the model and its tokenizer.
    temperatures:
        per-task temperature (calibration); 1.0 = raw softmax.
    batch_size:
        sentences per encoder pass.
    """

    network: CredscoreNetwork
    tokenizer: object
    temperatures: dict[str, float] = field(default_factory=dict)
    batch_size: int = DEFAULT_BATCH_SIZE

    def _tokenize(self, sentences: list[str]) -> tuple[list[list[int]], int]:
        max_len = self.network.config.max_length
        ids = self.tokenizer(sentences, add_special_tokens=True, truncation=False,
                             return_attention_mask=False, verbose=False)["input_ids"]
        truncated = 0
        for i, seq in enumerate(ids):
            if len(seq) > max_len:
                truncated += 1
                ids[i] = seq[: max_len - 1] + seq[-1:]  # keep [SEP]
        return ids, truncated

    @torch.inference_mode()
    def embed(self, sentences: list[str], progress: ProgressFn | None = None) -> tuple[torch.Tensor, int]:
        """Sentence vectors ``(N, H)`` in input order, and the count of truncated sentences.

        Works through the input in chunks of :data:`CHUNK_SENTENCES`, so token
        ids and padded batches are held for one chunk at a time whatever the
        article's length; only the ``(N, H)`` vectors grow with it.  ``progress``
        is called as ``progress(done, total)`` after every batch.
        """
        hidden = self.network.encoder.config.hidden_size
        out = torch.empty(len(sentences), hidden)
        truncated = 0
        for chunk_start in range(0, len(sentences), CHUNK_SENTENCES):
            chunk = sentences[chunk_start:chunk_start + CHUNK_SENTENCES]
            ids, n_trunc = self._tokenize(chunk)
            truncated += n_trunc
            order = np.argsort([len(x) for x in ids], kind="stable")
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                out[torch.as_tensor(idx) + chunk_start] = self._embed_batch([ids[i] for i in idx])
                if progress is not None:
                    progress(min(chunk_start + start + len(idx), len(sentences)), len(sentences))
        return out, truncated

    def _embed_batch(self, seqs: list[list[int]]) -> torch.Tensor:
        width = max(len(x) for x in seqs)
        batch = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            batch[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        return self.network.embed(batch, mask).float()

    @torch.inference_mode()
    def predict_documents(self, documents: list[list[str]], progress: ProgressFn | None = None) -> Probabilities:
        """Calibrated probabilities for every sentence of ``documents`` (lists of sentences)."""
        documents = [d for d in documents if d]
        flat = [s for doc in documents for s in doc]
        lengths = [len(d) for d in documents]
        if not flat:
            return Probabilities({t: np.zeros((0, len(l))) for t, l in TASKS.items()}, [], 0)
        emb, truncated = self.embed(flat, progress)
        logits = self.network.classify(emb, lengths)
        scores = {t: apply_temperature(logits[t], self.temperatures.get(t, 1.0)).numpy()
                  for t in TASKS}
        return Probabilities(scores, lengths, truncated)
