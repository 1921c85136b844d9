"""Temperature scaling (Guo et al., 2017): one scalar per head, fitted on dev.

Dividing logits by ``T > 0`` leaves the arg-max (and so accuracy) unchanged
and makes the softmax probabilities match observed frequencies better.
"""

from __future__ import annotations

import torch


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 200) -> float:
    """The temperature minimising the NLL of ``labels`` ``(N,)`` under ``logits / T`` ``(N, C)``.

    Rows with label ``-1`` are ignored.  Returns 1.0 when nothing is labelled.
    """
    keep = labels >= 0
    logits, labels = logits[keep].detach().float(), labels[keep]
    if len(labels) == 0:
        return 1.0
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter)
    loss_fn = torch.nn.CrossEntropyLoss()

    def closure():
        opt.zero_grad()
        loss = loss_fn(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Calibrated probabilities ``softmax(logits / T)``, same shape as ``logits``."""
    return torch.softmax(logits / temperature, dim=-1)
