"""The fp32 PyTorch backend: the trained network as it is, the reference path."""

from __future__ import annotations

import numpy as np
import torch

from credscore.network import CredscoreNetwork


class TorchBackend:
    """Runs a :class:`CredscoreNetwork` under ``torch.inference_mode`` (numpy in, numpy out)."""

    name = "torch-fp32"
    parallel_batches = 1  # torch already spreads one batch over its intra-op threads

    def __init__(self, network: CredscoreNetwork):
        self.network = network.eval()
        self.feature_dim = network.feature_dim
        self.window_tokens, self.core_tokens = network.config.window_tokens, network.config.core_tokens
        # Windows per pass: 16 single sentences (fastest of 8/16/32/64 on 2 cores), or 4 joint windows.
        self.batch_size = 16 if network.config.reads_alone else 4

    @torch.inference_mode()
    def encode_windows(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                       pool: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sentence features ``(B, S, F)`` and mention tag logits ``(B, T, 17)`` (or ``None``)."""
        features, tags = self.network.encode_windows(torch.from_numpy(input_ids), torch.from_numpy(attention_mask),
                                                     torch.from_numpy(pool))
        return features.float().numpy(), (tags.float().numpy() if tags is not None else None)

    @torch.inference_mode()
    def classify(self, emb: np.ndarray, doc_lengths: list[int]) -> dict[str, np.ndarray]:
        """Logits per task ``(N, n_labels)`` from features ``(N, F)`` in document order."""
        logits = self.network.classify(torch.from_numpy(emb), doc_lengths)
        return {task: value.numpy() for task, value in logits.items()}
