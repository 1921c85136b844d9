"""How well ``credscore.source_grouping`` groups gold source mentions into sources.

Reads the hand-made gold groups of ``seeds/qc/source-groups.jsonl`` (the
sample article and five test documents; see ``seeds/qc/README.md``), runs
the grouping on the documents' *gold* mentions (so this measures the grouping
alone, not the mention model), and reports per document and overall:

* B-cubed precision, recall and F1 over mentions (Bagga & Baldwin 1998):
  for each mention, the share of its predicted group that is in its gold group
  (precision) and the share of its gold group that is in its predicted group
  (recall), averaged over all mentions;
* display-name accuracy: for each gold source, whether the predicted group
  holding most of its mentions shows the gold name (case and a leading
  "the"/"a"/"an" ignored);
* every merge and split the grouping got wrong.

    python -m credscore.eval.source_grouping            # writes eval/reports/source-grouping.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from credscore.source_grouping import group_mentions, sources_from_mentions

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "seeds/qc/source-groups.jsonl"
REPORT = ROOT / "eval/reports/source-grouping.json"


def _norm(name: str) -> str:
    name = re.sub(r"\s+", " ", name.replace("’", "'")).strip().lower()
    return re.sub(r"^(the|a|an) ", "", name)


def load_document(path: Path, doc_id: str) -> list[dict]:
    """The labelled rows of ``doc_id`` in ``path``, in sentence order."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if f'"{doc_id}"' in line:
                row = json.loads(line)
                if row["doc_id"] == doc_id:
                    rows.append(row)
    return sorted(rows, key=lambda r: r["sent_index"])


def gold_mentions(rows: list[dict]) -> list[dict]:
    """The document's gold mentions, ``sentence`` being the position of the row in ``rows``."""
    out = []
    for pos, row in enumerate(rows):
        for m in row.get("sources") or []:
            out.append({"sentence": pos, "start": m["start"], "end": m["end"], "text": m["text"],
                        "type": m["type"], "role": m["role"]})
    return out


def bcubed(gold: list[int], predicted: list[int]) -> tuple[float, float]:
    """B-cubed (precision, recall) of a clustering: ``gold[i]`` / ``predicted[i]`` is mention i's cluster."""
    n = len(gold)
    if not n:
        return 1.0, 1.0
    p = r = 0.0
    for i in range(n):
        same_pred = [j for j in range(n) if predicted[j] == predicted[i]]
        same_gold = [j for j in range(n) if gold[j] == gold[i]]
        both = sum(1 for j in same_pred if gold[j] == gold[i])
        p += both / len(same_pred)
        r += both / len(same_gold)
    return p / n, r / n


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate_document(spec: dict, root: Path = ROOT) -> dict:
    rows = load_document(root / spec["file"], spec["doc_id"])
    index_of = {r["sent_index"]: pos for pos, r in enumerate(rows)}
    mentions = gold_mentions(rows)
    where = {(m["sentence"], m["text"]): i for i, m in enumerate(mentions)}
    gold = [-1] * len(mentions)
    for g, group in enumerate(spec["groups"]):
        for sent_index, text in group["mentions"]:
            key = (index_of[sent_index], text)
            if key not in where:
                raise SystemExit(f"{spec['doc_id']}: gold mention {sent_index} {text!r} is not a labelled mention")
            gold[where[key]] = g
    if -1 in gold:
        missing = [mentions[i]["text"] for i, g in enumerate(gold) if g == -1]
        raise SystemExit(f"{spec['doc_id']}: mentions without a gold group: {missing}")
    groups, _ = group_mentions(mentions)
    predicted = [0] * len(mentions)
    for g, members in enumerate(groups):
        for i in members:
            predicted[i] = g
    att = [r["attribution"] for r in rows]
    hed = [r["hedging"] for r in rows]
    sources = sources_from_mentions(mentions, {pos: (index_of.get(r["source_of"]) if r.get("source_of") is not None
                                                     else None) for pos, r in enumerate(rows)}, att, hed)
    names_right, name_errors = 0, []
    for g, group in enumerate(spec["groups"]):
        members = [i for i in range(len(mentions)) if gold[i] == g]
        best = Counter(predicted[i] for i in members).most_common(1)[0][0]
        shown = sources[best].name
        if _norm(shown) == _norm(group["name"]):
            names_right += 1
        else:
            name_errors.append({"gold": group["name"], "shown": shown})
    errors = []
    for g, group in enumerate(spec["groups"]):
        parts = sorted({predicted[i] for i in range(len(mentions)) if gold[i] == g})
        if len(parts) > 1:
            errors.append({"kind": "split", "gold": group["name"],
                           "into": [[mentions[i]["text"] for i in groups[p] if gold[i] == g] for p in parts]})
    for p, members in enumerate(groups):
        golds = sorted({gold[i] for i in members})
        if len(golds) > 1:
            errors.append({"kind": "merge", "merged": [spec["groups"][g]["name"] for g in golds],
                           "mentions": [mentions[i]["text"] for i in members]})
    precision, recall = bcubed(gold, predicted)
    # Baselines: every mention its own source; mentions with the same words (case, "the"/"a" ignored) one source.
    keys = [_norm(m["text"]) for m in mentions]
    baselines = {"singletons": bcubed(gold, list(range(len(mentions)))),
                 "same_text": bcubed(gold, [keys.index(k) for k in keys])}
    return {"doc_id": spec["doc_id"], "mentions": len(mentions), "gold_sources": len(spec["groups"]),
            "predicted_sources": len(groups), "bcubed_precision": round(precision, 4),
            "bcubed_recall": round(recall, 4), "bcubed_f1": round(f1(precision, recall), 4),
            "names_right": names_right, "errors": errors, "name_errors": name_errors,
            "_counts": (precision * len(mentions), recall * len(mentions)),
            "_baselines": {k: (p * len(mentions), r * len(mentions)) for k, (p, r) in baselines.items()}}


def summarise(docs: list[dict]) -> dict:
    """Mention-weighted B-cubed and display-name accuracy over ``docs``."""
    n = sum(d["mentions"] for d in docs)
    if not n:
        return {"documents": len(docs), "mentions": 0}
    p = sum(d["_counts"][0] for d in docs) / n
    r = sum(d["_counts"][1] for d in docs) / n
    names = sum(d["names_right"] for d in docs)
    sources = sum(d["gold_sources"] for d in docs)
    baselines = {}
    for k in docs[0]["_baselines"]:
        bp = sum(d["_baselines"][k][0] for d in docs) / n
        br = sum(d["_baselines"][k][1] for d in docs) / n
        baselines[k] = {"bcubed_precision": round(bp, 4), "bcubed_recall": round(br, 4), "bcubed_f1": round(f1(bp, br), 4)}
    return {"baselines": baselines, "documents": len(docs), "mentions": n, "gold_sources": sources,
            "predicted_sources": sum(d["predicted_sources"] for d in docs),
            "bcubed_precision": round(p, 4), "bcubed_recall": round(r, 4), "bcubed_f1": round(f1(p, r), 4),
            "display_name_accuracy": round(names / sources, 4) if sources else 0.0}


def evaluate(gold_path: Path = GOLD, root: Path = ROOT) -> dict:
    """All documents, and separately those the rules were written on and those labelled after (``held_out``)."""
    specs = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [evaluate_document(spec, root) for spec in specs]
    held = [d for d, spec in zip(docs, specs) if spec.get("held_out")]
    design = [d for d, spec in zip(docs, specs) if not spec.get("held_out")]
    report = {"gold": str(gold_path.relative_to(root)) if gold_path.is_relative_to(root) else str(gold_path),
              "measured_by": "python -m credscore.eval.source_grouping",
              "input": "gold mentions (the grouping alone, not the mention model)",
              **summarise(docs),
              "design_documents": summarise(design), "held_out_documents": summarise(held)}
    for d in docs:
        d.pop("_counts")
        d.pop("_baselines")
    report["per_document"] = docs
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    report = evaluate(args.gold.resolve())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{report['documents']} documents, {report['mentions']} mentions, {report['gold_sources']} gold sources "
          f"({report['predicted_sources']} predicted): B-cubed P {report['bcubed_precision']:.3f} "
          f"R {report['bcubed_recall']:.3f} F1 {report['bcubed_f1']:.3f}; display names "
          f"{report['display_name_accuracy']:.1%} right")
    for name, b in report["baselines"].items():
        print(f"  baseline {name}: B-cubed P {b['bcubed_precision']:.3f} R {b['bcubed_recall']:.3f} F1 {b['bcubed_f1']:.3f}")
    for part in ("design_documents", "held_out_documents"):
        r = report[part]
        if r.get("mentions"):
            print(f"  {part.replace('_', ' ')}: {r['documents']} documents, {r['mentions']} mentions: "
                  f"B-cubed P {r['bcubed_precision']:.3f} R {r['bcubed_recall']:.3f} F1 {r['bcubed_f1']:.3f}; "
                  f"display names {r['display_name_accuracy']:.1%}")
    for d in report["per_document"]:
        for e in d["errors"]:
            print(f"  {d['doc_id']}: {e['kind']}: " + json.dumps({k: v for k, v in e.items() if k != 'kind'},
                                                                 ensure_ascii=False))
        for e in d["name_errors"]:
            print(f"  {d['doc_id']}: name: shown {e['shown']!r}, gold {e['gold']!r}")
    print(f"report: {args.out}")


if __name__ == "__main__":
    main()
