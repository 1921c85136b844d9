"""Applying temperature scaling (Guo et al., 2017): one scalar per head.

Dividing logits by ``T > 0`` leaves the arg-max (and so accuracy) unchanged
and makes the softmax probabilities match observed frequencies better.  The
temperatures are fitted on dev by :mod:`credscore.training.calibration`.
"""

from __future__ import annotations

import numpy as np


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated probabilities ``softmax(logits / T)`` of ``logits`` ``(N, C)``, same shape.

    numpy, not torch: the ONNX Runtime inference path never imports torch.
    """
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)  # stable: exp of values <= 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
