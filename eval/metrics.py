"""Classification and calibration metrics (thin wrappers over scikit-learn)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from credscore.training.selection import macro_f1  # noqa: F401  (the metric model selection uses)


def expected_calibration_error(probs: np.ndarray, y_true: np.ndarray, n_bins: int = 10) -> float:
    """ECE of ``probs`` ``(N, C)`` against ``y_true`` ``(N,)``: mean |accuracy - confidence| over equal-width bins."""
    probs, y_true = np.asarray(probs), np.asarray(y_true)
    if len(y_true) == 0:
        return 0.0
    conf = probs.max(1)
    correct = (probs.argmax(1) == y_true).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def reliability_bins(probs: np.ndarray, y_true: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Per confidence bin: count, mean confidence, accuracy (for reliability diagrams)."""
    conf = probs.max(1)
    correct = (probs.argmax(1) == y_true).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    return [
        {"bin": b, "count": int((bins == b).sum()),
         "confidence": float(conf[bins == b].mean()) if (bins == b).any() else None,
         "accuracy": float(correct[bins == b].mean()) if (bins == b).any() else None}
        for b in range(n_bins)
    ]


def classification_report(y_true, y_pred, labels: tuple[str, ...], probs: np.ndarray | None = None) -> dict:
    """Per-class precision/recall/F1/support, macro-F1, accuracy, confusion matrix, ECE.

    ``y_true``/``y_pred`` hold label indices; rows with ``y_true < 0`` are skipped
    and counted in ``skipped``.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    keep = y_true >= 0
    yt, yp = y_true[keep], y_pred[keep]
    idx = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=idx, zero_division=0)
    report = {
        "n": int(keep.sum()), "skipped": int((~keep).sum()),
        "accuracy": float(accuracy_score(yt, yp)) if len(yt) else 0.0,
        "macro_f1": macro_f1(yt, yp, len(labels)) if len(yt) else 0.0,
        "per_class": {labels[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i in idx},
        "confusion": confusion_matrix(yt, yp, labels=idx).tolist() if len(yt) else [],
        "labels": list(labels),
    }
    if probs is not None and len(yt):
        report["ece"] = expected_calibration_error(np.asarray(probs)[keep], yt)
    return report
