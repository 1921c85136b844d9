"""The fp32 PyTorch backend: the trained network as it is, the reference path."""

from __future__ import annotations

import numpy as np
import torch

from credscore.network import CredscoreNetwork


class TorchBackend:
    """Runs a :class:`CredscoreNetwork` under ``torch.inference_mode`` (numpy in, numpy out)."""

    name = "torch-fp32"
    batch_size = 16  # fastest of 8/16/32/64 on 2 cores (eval/bench.py, length-sorted batches)
    parallel_batches = 1  # torch already spreads one batch over its intra-op threads

    def __init__(self, network: CredscoreNetwork):
        self.network = network.eval()
        self.hidden_size = network.encoder.config.hidden_size

    @torch.inference_mode()
    def embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Sentence vectors ``(B, H)`` from ids and mask ``(B, T)``."""
        emb = self.network.embed(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return emb.float().numpy()

    @torch.inference_mode()
    def classify(self, emb: np.ndarray, doc_lengths: list[int]) -> dict[str, np.ndarray]:
        """Logits per task ``(N, n_labels)`` from vectors ``(N, H)`` in document order."""
        logits = self.network.classify(torch.from_numpy(emb), doc_lengths)
        return {task: value.numpy() for task, value in logits.items()}
