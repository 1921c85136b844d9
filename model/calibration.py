"""Temperature scaling (Guo et al., 2017): one scalar per head, fitted on dev.

Dividing logits by ``T > 0`` leaves the arg-max (and so accuracy) unchanged
and makes the softmax probabilities match observed frequencies better.
"""

from __future__ import annotations

import numpy as np

T_MIN, T_MAX = 0.05, 20.0


def _nll(logits, labels, temperature: float) -> float:
    import torch

    return float(torch.nn.functional.cross_entropy(logits / temperature, labels))


def fit_temperature(logits, labels) -> float:
    """The temperature in ``[0.05, 20]`` minimising the NLL of ``labels`` ``(N,)`` under ``logits / T`` ``(N, C)``.

    A bounded scalar search on ``log T`` (scipy) rather than gradient steps,
    which can diverge on tiny or separable dev sets.  Rows with label ``-1``
    are ignored; returns 1.0 when nothing is labelled.
    """
    import math

    from scipy.optimize import minimize_scalar

    keep = labels >= 0
    logits, labels = logits[keep].detach().float(), labels[keep]
    if len(labels) == 0:
        return 1.0
    res = minimize_scalar(lambda log_t: _nll(logits, labels, math.exp(log_t)),
                          bounds=(math.log(T_MIN), math.log(T_MAX)), method="bounded")
    t = math.exp(res.x)
    return t if math.isfinite(t) and _nll(logits, labels, t) <= _nll(logits, labels, 1.0) else 1.0


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated probabilities ``softmax(logits / T)`` of ``logits`` ``(N, C)``, same shape.

    numpy, not torch: the ONNX Runtime inference path never imports torch.
    """
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)  # stable: exp of values <= 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
