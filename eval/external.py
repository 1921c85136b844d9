"""External checks on labels nobody in this project made.

1. **GUM attribution** (Zeldes 2017): GUM's eRST discourse layer marks
   attributing units; ``has_attribution`` in shared/data/gum-wikinews says
   whether a sentence holds one.  We score the binary task "attributed or
   not" as ``pred_attribution != unattributed``.  The definitions differ:
   GUM marks the *attributing* clause ("X said"), so sentences that are only
   quote content continuing an earlier attribution are ``False`` in GUM but
   attributed under our guide (rule 1); and GUM has no notion of agency or
   anonymity.  Reported on the GUM documents outside our training split.
2. **Pei & Jurgens (2021) certainty**: Spearman correlation between the
   1-6 sentence certainty rating (val + ext splits, never trained on) and
   the model's expected certainty ``P(none) - P(high)``, next to the same
   correlation for a hedge-word count (more hedge words -> less certain).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import precision_recall_fscore_support

from credscore.atomic import atomic_output

SHARED = Path(__file__).resolve().parents[2] / "shared"
_HEDGE_WORDS = re.compile(
    r"\b(may|might|could|possibly|possible|perhaps|likely|unlikely|probably|suggests?|suggested|appears?|appeared|"
    r"seems?|seemed|reportedly|allegedly|apparently|believed?|thought|unclear|uncertain|potential(ly)?|"
    r"indicates?|estimated?|approximately|presumably|unconfirmed|rumou?rs?)\b", re.IGNORECASE)


def hedge_word_count(text: str) -> int:
    """Number of hedge cue words in ``text`` (the baseline for the certainty check)."""
    return len(_HEDGE_WORDS.findall(text))


def gum_check(model, shared: Path, exclude_docs: set[str]) -> dict:
    """Precision/recall/F1 of "attributed" against GUM's has_attribution, per genre and overall."""
    docs: dict[str, list[dict]] = {}
    for line in (shared / "data/gum-wikinews/sentences.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if f"gum:{row['doc']}" not in exclude_docs:
            docs.setdefault(row["doc"], []).append(row)
    if not docs:
        return {"n_docs": 0}
    ordered = [sorted(d, key=lambda r: r["sid"]) for d in docs.values()]
    probs = model.predict_documents([[r["text"] for r in d] for d in ordered]).scores["attribution"]
    gold = np.array([r["has_attribution"] for d in ordered for r in d])
    pred = probs.argmax(1) != 0
    genre = np.array([r["genre"] for d in ordered for r in d])
    out = {"n_docs": len(ordered), "docs": sorted(docs)}
    for name, sel in [("all", np.ones_like(gold, dtype=bool))] + [(g, genre == g) for g in sorted(set(genre))]:
        p, r, f, _ = precision_recall_fscore_support(gold[sel], pred[sel], average="binary", zero_division=0)
        out[name] = {"n": int(sel.sum()), "gum_positive": int(gold[sel].sum()), "predicted_positive": int(pred[sel].sum()),
                     "precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}
    return out


def certainty_check(model, rows: list[dict]) -> dict:
    """Spearman rho of certainty ratings with the model's expected certainty and with a hedge-word count."""
    ratings = np.array([r["certainty"] for r in rows])
    probs = model.predict_documents([[r["text"]] for r in rows]).scores["hedging"]
    expected = probs[:, 0] - probs[:, 2]
    counts = np.array([hedge_word_count(r["text"]) for r in rows])
    rho_model = spearmanr(ratings, expected)
    rho_words = spearmanr(ratings, -counts)
    return {"n": len(rows), "splits": sorted({r.get("pei_split", "?") for r in rows}),
            "spearman_model": round(float(rho_model.statistic), 4), "p_model": float(rho_model.pvalue),
            "spearman_hedge_word_count": round(float(rho_words.statistic), 4), "p_words": float(rho_words.pvalue)}


def run_external(model_dir: Path | None, output: Path, shared: Path = SHARED,
                 train: Path = Path("seeds/train.jsonl"),
                 certainty: Path = Path("seeds/external/pei-jurgens-2021-heldout.jsonl")) -> dict:
    """Run both checks with the model in ``model_dir`` (default model if None); write external.json."""
    from credscore.api import load_model
    from credscore.training.data import load_rows

    model = load_model(model_dir)  # the default inference path, as users get it
    trained_on = {r["doc_id"] for r in load_rows([train])}
    result = {"model": model.info, "gum_attribution": gum_check(model, shared, exclude_docs=trained_on),
              "pei_jurgens_certainty": certainty_check(model, load_rows([certainty]))}
    output.mkdir(parents=True, exist_ok=True)
    with atomic_output(output / "external.json") as fh:
        json.dump(result, fh, indent=2)
    return result
