"""Inter-annotator agreement of the blind re-labelling pass (seeds/qc/).

Compares the first-pass manual labels (seeds/labels/*.jsonl) with the blind
second pass (seeds/qc/relabel_pass2*.jsonl) on the sentences both labelled:
Cohen's kappa, raw agreement and the confusion matrix per task.

    python -m credscore.eval.agreement --output seeds/qc/agreement.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score, confusion_matrix

from credscore.tasks import TASKS


def _read(paths) -> dict[tuple[str, int], dict]:
    out = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[(row["doc_id"], int(row["sent_index"]))] = row
    return out


def agreement(first: dict, second: dict) -> dict:
    """Kappa, agreement and confusion (rows: first pass, columns: second pass) per task."""
    keys = sorted(set(first) & set(second))
    report = {"n": len(keys), "missing_in_first_pass": len(set(second) - set(first))}
    for task, labels in TASKS.items():
        a = [first[k][task] for k in keys]
        b = [second[k][task] for k in keys]
        report[task] = {
            "cohen_kappa": round(float(cohen_kappa_score(a, b, labels=list(labels))), 4),
            "agreement": round(sum(x == y for x, y in zip(a, b)) / len(keys), 4),
            "labels": list(labels),
            "confusion_first_by_second": confusion_matrix(a, b, labels=list(labels)).tolist(),
            "disagreements": [{"doc_id": k[0], "sent_index": k[1], "text": first[k].get("text", "")[:160],
                               "first": x, "second": y} for k, x, y in zip(keys, a, b) if x != y],
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("seeds/labels"))
    parser.add_argument("--qc", type=Path, default=Path("seeds/qc"))
    parser.add_argument("--output", type=Path, default=Path("seeds/qc/agreement.json"))
    args = parser.parse_args()
    first = _read(sorted(args.labels.glob("*.jsonl")))
    second = _read(sorted(args.qc.glob("relabel_pass2*.jsonl")))
    # Agreement is between the two *original* passes: undo adjudication edits.
    adjudication = args.qc / "adjudication.jsonl"
    if adjudication.exists():
        for line in adjudication.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            key = (a["doc_id"], int(a["sent_index"]))
            if key in first:
                first[key] = dict(first[key], **{a["task"]: a["first"]})
    report = agreement(first, second)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for task in TASKS:
        r = report[task]
        print(f"{task}: n={report['n']} kappa={r['cohen_kappa']:.3f} agreement={r['agreement']:.3f}")
        print("  confusion (rows first pass, cols second pass):", r["labels"])
        for label, row in zip(r["labels"], r["confusion_first_by_second"]):
            print(f"  {label:>19} {row}")


if __name__ == "__main__":
    main()
