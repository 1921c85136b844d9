"""Fitting the calibration temperatures on dev (applied by :mod:`credscore.calibration`)."""

from __future__ import annotations

#: Bounds of the temperature search.
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
