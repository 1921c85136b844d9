"""Applying the calibration fitted on dev: one temperature per head, and per-class decision offsets.

Dividing logits by ``T > 0`` (temperature scaling, Guo et al., 2017) leaves
the arg-max unchanged and makes the softmax probabilities match observed
frequencies better.  A head may also carry *decision offsets*, one per
class, added to the scaled logits: training weights rare classes up (so the
network learns them at all), which leaves their logits too high at
prediction time; the offsets move the prior back, by the amount that
maximises dev macro-F1.  They are kept only for a head where that gain holds
up on held-out dev documents (:mod:`credscore.training.calibration`), and the
reported probabilities are the shifted ones, so a label is always the most
probable class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def apply_calibration(logits: np.ndarray, temperature: float, offsets: Sequence[float] | None = None) -> np.ndarray:
    """Calibrated probabilities ``softmax(logits / T + offsets)`` of ``logits`` ``(N, C)``, same shape.

    ``offsets``: ``C`` numbers added to every row (``None``: zeros).  numpy,
    not torch: the ONNX Runtime inference path never imports torch.
    """
    z = np.asarray(logits, dtype=np.float64) / temperature
    if offsets is not None:
        z = z + np.asarray(offsets, dtype=np.float64)
    z -= z.max(axis=-1, keepdims=True)  # stable: exp of values <= 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
