"""Validating the article-level reliability score against real labels.

1. **Choosing the default weights** (``choose_weights``): on the *training*
   split's Real and Fake Horne documents, with their *manual* labels turned
   into one-hot probabilities, every weight vector of a small grid is scored
   by the ROC AUC of Real vs Fake; the best becomes the default in
   ``model/profile.py``.  The held-out articles are not touched by this step.
2. **Validation** (``validate``): the shipped model scores the 25 Real and 25
   Fake held-out articles (never labelled, never trained on); we report the
   ROC AUC of the reliability score for Real vs Fake with a bootstrap 95 %
   interval, and plot the score distributions per class (Real and Fake from
   the hold-out; Satire from the dev and test splits, also unseen in training).

    python -m credscore.eval.score_validation choose      # prints the best grid weights
    python -m credscore.eval.score_validation validate    # writes eval/reports/score_validation.json + docs/score-distribution.png
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from credscore.atomic import atomic_output
from credscore.tasks import ATTRIBUTION_LABELS, HEDGING_LABELS
from credscore.scoring import COMPONENTS, ScoringConfig, build_profile, compute_components, reliability_score
from credscore.data_format import group_documents
from credscore.training.data import load_rows

GRID = (0.0, 0.5, 1.0, 2.0)


def _onehot(labels, names):
    out = np.zeros((len(labels), len(names)))
    out[np.arange(len(labels)), [names.index(l) for l in labels]] = 1.0
    return out


def gold_components(rows: list[dict]) -> tuple[list[dict], np.ndarray]:
    """Score components of each Real/Fake document from its manual labels, and y (1 = Real)."""
    comps, y = [], []
    base = ScoringConfig()
    for doc in group_documents(rows):
        source = doc[0]["source"]
        if source not in ("horne2017-real", "horne2017-fake"):
            continue
        att = _onehot([r["attribution"] for r in doc], list(ATTRIBUTION_LABELS))
        hed = _onehot([r["hedging"] for r in doc], list(HEDGING_LABELS))
        comps.append(compute_components(att, hed, base)[0])
        y.append(int(source == "horne2017-real"))
    return comps, np.array(y)


def choose_weights(rows: list[dict]) -> tuple[dict, float, list]:
    """Best weight vector of the grid by Real-vs-Fake AUC on gold-labelled documents."""
    comps, y = gold_components(rows)
    results = []
    for combo in itertools.product(GRID, repeat=len(COMPONENTS)):
        if not any(combo):
            continue
        weights = dict(zip(COMPONENTS, combo))
        cfg = ScoringConfig(weights=weights)
        scores = [reliability_score(c, cfg) for c in comps]
        results.append((roc_auc_score(y, scores), weights))
    results.sort(key=lambda r: -r[0])
    single = {c: roc_auc_score(y, [d[c] for d in comps]) for c in COMPONENTS}
    return results[0][1], results[0][0], [(round(a, 4), w) for a, w in results[:5]] + [("single", single)]


def bootstrap_auc(y: np.ndarray, scores: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of the ROC AUC over ``n`` bootstrap resamples of the articles."""
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        if len(set(y[idx])) == 2:
            aucs.append(roc_auc_score(y[idx], scores[idx]))
    return float(np.percentile(aucs, 2.5)), float(np.percentile(aucs, 97.5))


def validate(model_dir: Path | None, holdout: Path, unseen_satire: list[Path], output: Path, plot: Path) -> dict:
    from credscore.api import load_model

    model = load_model(model_dir)
    articles = [json.loads(l) for l in holdout.read_text(encoding="utf-8").splitlines() if l.strip()]
    scored = []
    for a in articles:
        text = (a["title"] + "\n\n" if a["title"] else "") + a["text"]
        p = model.score(text, name=a["doc_id"]).profile
        scored.append({"doc_id": a["doc_id"], "category": a["category"], "reliability": p.reliability,
                       "components": p.components})
    satire_docs = [d for d in group_documents(load_rows(unseen_satire)) if d[0]["source"] == "horne2017-satire"]
    probs = model.predict_documents([[r["text"] for r in d] for d in satire_docs])
    start = 0
    for doc, n in zip(satire_docs, probs.doc_lengths):
        p = build_profile(probs.scores["attribution"][start:start + n], probs.scores["hedging"][start:start + n])
        scored.append({"doc_id": doc[0]["doc_id"], "category": "Satire", "reliability": p.reliability,
                       "components": p.components})
        start += n
    rf = [s for s in scored if s["category"] in ("Real", "Fake")]
    y = np.array([int(s["category"] == "Real") for s in rf])
    scores = np.array([s["reliability"] for s in rf])
    lo, hi = bootstrap_auc(y, scores)
    per_component = {c: float(roc_auc_score(y, [s["components"][c] for s in rf])) for c in COMPONENTS}
    summary = {cat: {"n": len(v), "median": float(np.median(v)), "mean": float(np.mean(v)),
                     "q25": float(np.percentile(v, 25)), "q75": float(np.percentile(v, 75))}
               for cat in ("Real", "Fake", "Satire")
               for v in [[s["reliability"] for s in scored if s["category"] == cat]] if v}
    result = {"model": model.info, "weights": ScoringConfig().weights, "auc_real_vs_fake": float(roc_auc_score(y, scores)),
              "auc_95ci_bootstrap": [lo, hi], "auc_per_component": per_component, "per_class": summary,
              "articles": scored}
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(output) as fh:
        json.dump(result, fh, indent=2)
    _plot(scored, result, plot)
    return result


def _plot(scored, result, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = [c for c in ("Real", "Fake", "Satire") if c in result["per_class"]]
    data = [[s["reliability"] for s in scored if s["category"] == c] for c in cats]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(cats) + 1), cats)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, 1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(d)), d, s=12, alpha=0.6)
    ax.set_xticklabels([f"{c}\n(n={len(d)})" for c, d in zip(cats, data)])
    lo, hi = result["auc_95ci_bootstrap"]
    ax.set_ylabel("reliability score (0-100)")
    ax.set_title(f"Held-out articles: Real vs Fake AUC {result['auc_real_vs_fake']:.2f} [{lo:.2f}, {hi:.2f}]")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description="choose score weights / validate the score")
    parser.add_argument("step", choices=["choose", "validate"])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=Path("eval/reports/score_validation.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/score-distribution.png"))
    args = parser.parse_args()
    if args.step == "choose":
        best, auc, top = choose_weights(load_rows([Path("seeds/train.jsonl")]))
        print(json.dumps({"best_weights": best, "train_gold_auc": auc, "top": top}, indent=2))
    else:
        res = validate(args.model, Path("seeds/holdout/articles.jsonl"),
                       [Path("seeds/dev.jsonl"), Path("seeds/test.jsonl")], args.output, args.plot)
        print(json.dumps({k: v for k, v in res.items() if k != "articles"}, indent=2))


if __name__ == "__main__":
    main()
