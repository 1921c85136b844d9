"""Fitting the calibration temperatures on dev (applied by :mod:`credscore.calibration`)."""

from __future__ import annotations

#: Bounds of the temperature search: below 0.5 a tiny or separable dev set
#: drives confidences to 1.0; above 10 every answer looks like a guess.
T_MIN, T_MAX = 0.5, 10.0
#: Fewer labelled dev rows than this leave a head uncalibrated (its temperature is kept).
MIN_CALIBRATION_ROWS = 50


def _nll(logits, labels, temperature: float) -> float:
    import torch

    return float(torch.nn.functional.cross_entropy(logits / temperature, labels))


def fit_temperature(logits, labels) -> float:
    """The temperature in ``[T_MIN, T_MAX]`` minimising the NLL of ``labels`` ``(N,)`` under ``logits / T`` ``(N, C)``.

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


def calibration_gap(labels, n_classes: int) -> str | None:
    """Why ``labels`` ``(N,)`` (-1: unlabelled) are too few to fit a temperature on, or ``None`` when they suffice."""
    import numpy as np

    y = np.asarray(labels)
    y = y[y >= 0]
    if len(y) < MIN_CALIBRATION_ROWS:
        return f"{len(y)} labelled dev rows, fewer than {MIN_CALIBRATION_ROWS}"
    missing = n_classes - len(set(y.tolist()))
    if missing:
        return f"{missing} of its {n_classes} classes missing from dev"
    return None


def fit_temperatures(logits: dict, labels: dict, label_sets: dict, keep: dict[str, float],
                     log=print) -> tuple[dict[str, float], dict[str, str]]:
    """(temperature per task, why each skipped task was not fitted).

    A task's temperature is fitted on dev, or is ``keep[task]`` (bounded,
    with a warning) where dev is too small for it.  ``logits[task]``:
    ``(N, C)`` tensor; ``labels[task]``: ``(N,)`` tensor with -1 for unlabelled rows.
    """
    out, skipped = {}, {}
    for task, names in label_sets.items():
        gap = calibration_gap(labels[task], len(names))
        if gap is None:
            out[task] = fit_temperature(logits[task], labels[task])
        else:
            out[task] = min(max(float(keep[task]), T_MIN), T_MAX)
            skipped[task] = gap
            log(f"warning: not calibrating {task} ({gap}); keeping temperature {out[task]:.3f}")
    return out, skipped
