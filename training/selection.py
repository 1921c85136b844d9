"""The score that picks the best epoch: macro-F1 per task (scikit-learn).

Evaluation reports the same number (``credscore.eval.metrics`` imports it
from here), so the epoch that training keeps is chosen by the metric users read.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def macro_f1(y_true, y_pred, n_classes: int) -> float:
    """Macro-averaged F1 over the ``n_classes`` labels that occur in gold or prediction.

    ``y_true``, ``y_pred``: integer class indices ``(N,)``.  A class that is
    neither gold nor predicted is left out instead of counting as 0.
    """
    labels = list(range(n_classes))
    present = sorted(set(np.asarray(y_true).tolist()) | set(np.asarray(y_pred).tolist()))
    return float(f1_score(y_true, y_pred, labels=[l for l in labels if l in present], average="macro", zero_division=0))
