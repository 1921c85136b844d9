"""Inter-annotator agreement of the blind re-labelling passes (seeds/qc/).

Compares the first-pass manual labels with a blind second pass on the
sentences both labelled: Cohen's kappa, raw agreement and the confusion matrix
per task, and (where both passes marked them) agreement on source mentions as
exact-span and overlap F1 with the type accuracy of overlapping mentions.

    python -m credscore.eval.agreement --output seeds/qc/agreement.json          # first corpus
    python -m credscore.eval.agreement --v2 --output seeds/qc/agreement-v2.json  # corpus v2 (new sources)
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


def _spans(row: dict) -> list[tuple[int, int, str]]:
    from credscore.data_format import resolve_mentions

    return [(m["start"], m["end"], m["type"]) for m in resolve_mentions(row.get("text", ""), row.get("sources") or [])]


def mention_agreement(first: dict, second: dict) -> dict:
    """Mention agreement between two passes, the first pass taken as reference.

    ``exact_f1``: spans identical; ``overlap_f1``: a mention counts when it
    overlaps one of the other pass (each matched once); ``type_agreement``:
    share of overlap-matched pairs with the same type.  ``source_of_agreement``:
    on sentences where either pass gives ``source_of``, the share where both
    give the same one.
    """
    keys = sorted(set(first) & set(second))
    exact = overlap = typed = n_first = n_second = 0
    same_link = any_link = 0
    for k in keys:
        a, b = _spans(first[k]), _spans(second[k])
        n_first, n_second = n_first + len(a), n_second + len(b)
        exact += len({s[:2] for s in a} & {s[:2] for s in b})
        unused = list(b)
        for s in a:
            hit = next((t for t in unused if s[0] < t[1] and t[0] < s[1]), None)
            if hit is not None:
                unused.remove(hit)
                overlap += 1
                typed += hit[2] == s[2]
        la, lb = first[k].get("source_of"), second[k].get("source_of")
        if la is not None or lb is not None:
            any_link += 1
            same_link += la == lb

    def f1(hits: int) -> float:
        return round(2 * hits / (n_first + n_second), 4) if n_first + n_second else 0.0

    return {"sentences": len(keys), "mentions_first": n_first, "mentions_second": n_second,
            "exact_f1": f1(exact), "overlap_f1": f1(overlap),
            "type_agreement": round(typed / overlap, 4) if overlap else 0.0,
            "source_of_agreement": round(same_link / any_link, 4) if any_link else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("seeds/labels"))
    parser.add_argument("--qc", type=Path, default=Path("seeds/qc"))
    parser.add_argument("--output", type=Path, default=Path("seeds/qc/agreement.json"))
    parser.add_argument("--v2", action="store_true",
                        help="the corpus-v2 pass: v2_pass2.jsonl in seeds/qc and seeds/onestopenglish/qc, labels and mentions")
    args = parser.parse_args()
    if args.v2:
        first = _read(sorted(args.labels.glob("*.jsonl")) + sorted(Path("seeds/onestopenglish/labels").glob("*.jsonl")))
        second = _read([args.qc / "v2_pass2.jsonl", Path("seeds/onestopenglish/qc/v2_pass2.jsonl")])
        _undo_adjudication(first, [args.qc / "adjudication-v2.jsonl"])
        report = {**agreement(first, second), "mentions": mention_agreement(first, second)}
        _write(args.output, report)
        return
    first = _read(sorted(args.labels.glob("*.jsonl")))
    second = _read(sorted(args.qc.glob("relabel_pass2*.jsonl")))
    _undo_adjudication(first, [args.qc / "adjudication.jsonl"])
    _write(args.output, agreement(first, second))


def _undo_adjudication(first: dict, paths: list[Path]) -> None:
    """Agreement is between the two *original* passes: put back the first pass's labels that adjudication changed."""
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            key = (a["doc_id"], int(a["sent_index"]))
            if key in first:
                first[key] = dict(first[key], **{a["task"]: a["first"]})


def _write(output: Path, report: dict) -> None:
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for task in TASKS:
        r = report[task]
        print(f"{task}: n={report['n']} kappa={r['cohen_kappa']:.3f} agreement={r['agreement']:.3f}")
        print("  confusion (rows first pass, cols second pass):", r["labels"])
        for label, row in zip(r["labels"], r["confusion_first_by_second"]):
            print(f"  {label:>19} {row}")
    if "mentions" in report:
        print("mentions:", json.dumps(report["mentions"]))


if __name__ == "__main__":
    main()
