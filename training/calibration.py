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


#: Offsets searched for each class, in units of temperature-scaled logits.
OFFSET_GRID = [round(-3.0 + 0.1 * i, 1) for i in range(61)]
#: Coordinate-ascent passes over the classes.
OFFSET_ROUNDS = 3
#: Dev documents are split into this many folds to check that the offsets' gain holds on unseen documents.
OFFSET_FOLDS = 5
#: Out-of-fold macro-F1 gain below which a head keeps no offsets (half a point: smaller is noise on ~60 documents).
MIN_OFFSET_GAIN = 0.005


def fit_offsets(log_probs, labels, n_classes: int) -> list[float]:
    """Per-class offsets ``(C,)`` maximising the macro-F1 of ``argmax(log_probs + offsets)`` against ``labels``.

    Coordinate ascent over :data:`OFFSET_GRID`, class 0 held at 0 (only
    differences matter); of the grid values that tie for the best score the
    one nearest 0 wins, so a flat stretch of the objective moves nothing.
    ``log_probs``: ``(N, C)``, or any per-row shift of them such as scaled
    logits (the arg-max is the same); ``labels``: ``(N,)`` class indices, all labelled.
    """
    import numpy as np

    from credscore.training.selection import macro_f1

    offsets = np.zeros(n_classes)
    score = lambda o: macro_f1(labels, (log_probs + o).argmax(1), n_classes)  # noqa: E731
    best = score(offsets)
    for _ in range(OFFSET_ROUNDS):
        moved = False
        for c in range(1, n_classes):
            trials = []
            for value in OFFSET_GRID:
                trial = offsets.copy()
                trial[c] = value
                trials.append((score(trial), -abs(value), value))
            top, _, value = max(trials)
            if top > best + 1e-9:
                best, offsets[c], moved = top, value, True
        if not moved:
            break
    return [float(v) for v in offsets]


def cross_validated_gain(log_probs, labels, groups, n_classes: int, seed: int = 0) -> tuple[float, float]:
    """(macro-F1 without offsets, out-of-fold macro-F1 with offsets fitted on the other folds).

    Folds are whole documents (``groups``: ``(N,)`` document ids), so
    sentences of one article never inform their own offsets.
    """
    import numpy as np

    from credscore.training.selection import macro_f1

    groups = np.asarray(groups)
    docs = np.array(sorted(set(groups.tolist())))
    np.random.default_rng(seed).shuffle(docs)
    predicted = log_probs.argmax(1)
    shifted = predicted.copy()
    for fold in np.array_split(docs, min(OFFSET_FOLDS, len(docs))):
        held = np.isin(groups, fold)
        offsets = fit_offsets(log_probs[~held], labels[~held], n_classes)
        shifted[held] = (log_probs[held] + np.array(offsets)).argmax(1)
    return macro_f1(labels, predicted, n_classes), macro_f1(labels, shifted, n_classes)


def fit_decision_offsets(logits: dict, labels: dict, groups, temperatures: dict[str, float], label_sets: dict,
                         log=print) -> tuple[dict[str, list[float]], dict[str, dict]]:
    """(offsets per task that keeps them, report per task) fitted on dev.

    A task gets offsets (:func:`fit_offsets` on all of dev) only when its
    document-fold cross-validated gain (:func:`cross_validated_gain`) is at
    least :data:`MIN_OFFSET_GAIN`: rare-class weighting leaves some heads
    over-predicting rare labels, others not, and only held-out documents
    tell which.  ``logits[task]``: ``(N, C)``; ``labels[task]``: ``(N,)``
    with -1 for unlabelled rows; ``groups``: ``(N,)`` document ids.
    """
    import numpy as np

    offsets, report = {}, {}
    groups = np.asarray(groups)
    for task, names in label_sets.items():
        y = np.asarray(labels[task])
        gap = calibration_gap(y, len(names))
        keep = y >= 0
        if gap is not None or len(set(groups[keep].tolist())) < OFFSET_FOLDS:
            report[task] = {"kept": False, "why": gap or f"fewer than {OFFSET_FOLDS} dev documents"}
            continue
        # Scaled logits, not log-probabilities: the row's normaliser changes no arg-max.
        lp = np.asarray(logits[task], dtype=np.float64)[keep] / temperatures[task]
        without, held_out = cross_validated_gain(lp, y[keep], groups[keep], len(names))
        fitted = fit_offsets(lp, y[keep], len(names))
        kept = held_out - without >= MIN_OFFSET_GAIN
        report[task] = {"kept": kept, "dev_macro_f1": without, "dev_macro_f1_out_of_fold": held_out,
                        "offsets": fitted}
        if kept:
            offsets[task] = fitted
        log(f"{task}: decision offsets {'kept' if kept else 'not kept'} (dev macro-F1 {without:.3f}, "
            f"{held_out:.3f} out of fold with offsets)")
    return offsets, report


def fit_calibration(logits: dict, dev_ds, keep: dict[str, float], label_sets: dict, log=print) -> dict:
    """Temperatures, then decision offsets, of every head from dev ``logits`` (torch ``(N, C)`` per task).

    ``dev_ds``: the dev rows as a ``datasets.Dataset`` (one column per task,
    -1 where unlabelled, and ``doc_id``); ``keep``: each head's temperature
    where dev is too small to fit one.  Returns ``temperatures``,
    ``uncalibrated`` (why a head was not fitted), ``offsets`` (the heads that
    keep them) and ``offset_report``.
    """
    import numpy as np
    import torch

    temperatures, uncalibrated = fit_temperatures(logits, {t: torch.tensor(dev_ds[t]) for t in label_sets},
                                                  label_sets, keep, log)
    offsets, report = fit_decision_offsets({t: logits[t].numpy() for t in label_sets},
                                           {t: np.array(dev_ds[t]) for t in label_sets}, dev_ds["doc_id"],
                                           temperatures, label_sets, log)
    return {"temperatures": temperatures, "uncalibrated": uncalibrated, "offsets": offsets, "offset_report": report}
