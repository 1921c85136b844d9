"""Source-mention accuracy: span F1 (exact and overlap matching), type accuracy, continuation links.

    python -m credscore.eval.mentions seeds/test.jsonl seeds/onestopenglish/test.jsonl \\
        --output eval/reports/mentions-test.json [--model DIR] [--backend NAME]

Gold mentions are the rows' ``sources`` (character offsets into each row's
text, guide section 3); predictions are the model's (``pred_sources``).

* **exact**: a predicted mention counts when its span equals a gold one;
* **overlap**: when it shares at least one character with a gold one not yet
  matched (greedy one-to-one, largest overlap first), as Citron's lenient score;
* **type accuracy**: share of overlap-matched mentions whose type is the gold
  type (role too, separately);
* **source_of**: of the gold continuations (rows with ``source_of``), the share
  whose predicted ``source_of`` names the same sentence, and the precision of
  the predicted links.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from credscore.atomic import atomic_output
from credscore.data_format import group_documents


def _overlap(a: dict, b: dict) -> int:
    return max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def match_overlap(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """One-to-one ``(gold index, pred index)`` pairs of overlapping mentions, largest overlap first."""
    pairs = sorted(((_overlap(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)
                    if _overlap(g, p) > 0), reverse=True)
    used_g, used_p, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return out


def _f1(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def mention_scores(gold: list[list[dict]], pred: list[list[dict]]) -> dict:
    """Exact and overlap F1 and type/role accuracy over sentences' gold and predicted mention lists."""
    n_gold = sum(map(len, gold))
    n_pred = sum(map(len, pred))
    exact = sum(1 for g, p in zip(gold, pred) for m in p
                if any(m["start"] == x["start"] and m["end"] == x["end"] for x in g))
    matched = [(g[i], p[j]) for g, p in zip(gold, pred) for i, j in match_overlap(g, p)]
    return {"gold": n_gold, "predicted": n_pred, "exact": _f1(exact, n_pred, n_gold),
            "overlap": _f1(len(matched), n_pred, n_gold),
            "type_accuracy_of_matched": round(sum(a["type"] == b["type"] for a, b in matched) / len(matched), 4)
            if matched else None,
            "role_accuracy_of_matched": round(sum(a.get("role", "source") == b["role"] for a, b in matched)
                                              / len(matched), 4) if matched else None,
            "type_confusion_of_matched": type_confusion(matched)}


def type_confusion(matched: list[tuple[dict, dict]]) -> dict[str, dict[str, int]]:
    """``{gold type: {predicted type: count}}`` over matched (gold, predicted) mention pairs."""
    out: dict[str, dict[str, int]] = {}
    for gold, pred in matched:
        row = out.setdefault(gold["type"], {})
        row[pred["type"]] = row.get(pred["type"], 0) + 1
    return out


def source_of_scores(gold: list[int | None], pred: list[int | None]) -> dict:
    """Recall of gold continuation links and precision of predicted ones (same target sentence)."""
    hits = sum(1 for g, p in zip(gold, pred) if g is not None and g == p)
    n_gold = sum(g is not None for g in gold)
    n_pred = sum(p is not None for p in pred)
    return {"gold_links": n_gold, "predicted_links": n_pred, **_f1(hits, n_pred, n_gold)}


def evaluate(model, rows: list[dict]) -> dict:
    """Mention and continuation scores of ``model`` on labelled ``rows`` (documents whose rows carry mentions)."""
    docs = [d for d in group_documents(rows) if any(r.get("sources") or r.get("source_of") is not None for r in d)]
    probs = model.predict_documents([[r["text"] for r in d] for d in docs])
    ordered = [r for d in docs for r in d]
    gold = [r.get("sources") or [] for r in ordered]
    links_gold, links_pred, i = [], [], 0
    for doc in docs:
        position = {r["sent_index"]: k for k, r in enumerate(doc)}
        for row in doc:
            links_gold.append(position.get(row.get("source_of")) if row.get("source_of") is not None else None)
            links_pred.append(probs.source_of[i])
            i += 1
    by_role = {role: mention_scores([[m for m in g if m.get("role", "source") == role] for g in gold],
                                    [[m for m in p if m["role"] == role] for p in probs.mentions])
               for role in ("source", "channel")}
    return {"documents": len(docs), "sentences": len(ordered), "all": mention_scores(gold, probs.mentions),
            "by_role": by_role, "source_of": source_of_scores(links_gold, links_pred)}


def main() -> None:
    from credscore.api import load_model
    from credscore.training.data import load_rows

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="+")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--backend", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    model = load_model(args.model, backend=args.backend)
    result = {"model": model.info, "data": [str(p) for p in args.data], **evaluate(model, load_rows(args.data))}
    text = json.dumps(result, indent=2)
    if args.output is not None:
        with atomic_output(args.output) as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
