"""Annotators' label files: importing a labelled batch, merging source mentions, resolving mentions to offsets.

Annotators write keys, labels and mentions as text (guide section 3):
``{"doc_id", "sent_index", "attribution", "hedging", "sources": [{"text", "type", "role"}],
"source_of": N, "note": ...}``.  This module

* stamps each row with its sentence text (:func:`import_batch`), so labels stay
  keyed by ``(doc_id, sent_index)`` *and* text and a change in splitting is detected;
* merges a mention pass over already-labelled documents into their label files
  (:func:`merge_mention_pass`), recording every label it changes and why;
* turns mention text into character offsets (:func:`credscore.data_format.resolve_mentions`),
  refusing a mention that is not in the sentence.

``python -m credscore.training.annotations import RAW.jsonl seeds/labels/batch_12.jsonl``
``python -m credscore.training.annotations merge RAW.jsonl``
``python -m credscore.training.annotations adjudicate seeds/qc/adjudication-v2.jsonl``
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from credscore.atomic import write_jsonl_atomic
from credscore.data_format import resolve_mentions

LABEL_FIELDS = ("attribution", "hedging", "sources", "source_of", "note")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def import_batch(raw: Path, target: Path, corpus_rows: list[dict], labelled_by: str) -> int:
    """Write annotator rows of ``raw`` to the label file ``target``, stamped with text and provenance."""
    text_of = {(r["doc_id"], r["sent_index"]): r["text"] for r in corpus_rows}
    out = []
    for i, row in enumerate(read_jsonl(raw), 1):
        key = (row["doc_id"], int(row["sent_index"]))
        if key not in text_of:
            raise ValueError(f"{raw}:{i}: no sentence {key} in the corpus")
        text = text_of[key]
        resolve_mentions(text, row.get("sources") or [], f"{raw}:{i}")  # refuse unknown mentions now
        lab = {"doc_id": key[0], "sent_index": key[1], "text": text}
        lab.update({k: row[k] for k in LABEL_FIELDS if row.get(k) not in (None, [])})
        lab.update(annotator="manual", labelled_by=labelled_by)
        out.append(lab)
    write_jsonl_atomic(target, out)
    return len(out)


class LabelFiles:
    """The label files of some folders, loaded for editing rows by ``(doc_id, sent_index)`` and saved atomically."""

    def __init__(self, folders: list[Path]):
        self.files = {p: read_jsonl(p) for d in folders for p in sorted(Path(d).glob("*.jsonl"))}
        self._where = {(r["doc_id"], r["sent_index"]): (p, i) for p, rows in self.files.items() for i, r in enumerate(rows)}

    def row(self, key: tuple[str, int], where: str) -> dict:
        """The label row of ``key`` (edited in place); ``ValueError`` naming ``where`` when there is none."""
        if key not in self._where:
            raise ValueError(f"{where}: no label for {key}")
        path, i = self._where[key]
        return self.files[path][i]

    def save(self) -> None:
        for path, rows in self.files.items():
            write_jsonl_atomic(path, rows)


def merge_mention_pass(raw: Path, label_dir: Path) -> Counter:
    """Merge a mention pass (``raw``) into the label files of ``label_dir``; returns counts of what changed.

    Every row of ``raw`` must match an existing label; its ``sources``/``source_of``
    are added, and a changed label is applied with ``relabelled`` recording the old
    labels and the annotator's reason.
    """
    labels = LabelFiles([label_dir])
    counts: Counter = Counter()
    for n, upd in enumerate(read_jsonl(raw), 1):
        row = labels.row((upd["doc_id"], int(upd["sent_index"])), f"{raw}:{n}")
        resolve_mentions(row["text"], upd.get("sources") or [], f"{raw}:{n}")
        for k in ("sources", "source_of"):
            row.pop(k, None)
            if upd.get(k) not in (None, []):
                row[k] = upd[k]
                counts[k] += 1
        old = (row.get("attribution"), row.get("hedging"))
        new = (upd["attribution"], upd["hedging"])
        if new != old:
            row["attribution"], row["hedging"] = new
            row["relabelled"] = {"was": f"{old[0]}/{old[1]}", "reason": upd.get("change_reason", ""),
                                 "pass": raw.stem}
            counts["relabelled"] += 1
            counts[f"{old[0]}/{old[1]} -> {new[0]}/{new[1]}"] += 1
    labels.save()
    return counts


def apply_adjudication(adjudication: Path, label_dirs: list[Path], second_pass: list[Path]) -> int:
    """Set each adjudicated task label (``final``) in the label files; returns how many labels changed.

    A changed row records ``adjudicated: {task: {"was", "rule"}}``; agreement is
    still computed on the original passes (``credscore.eval.agreement`` undoes it).
    Mentions follow an attribution decision: an ``unattributed`` final drops the
    row's mentions, and an attributed final without mentions takes the second
    pass's (``second_pass`` label files), so every attributed row keeps a source.
    """
    labels = LabelFiles(label_dirs)
    second = {(r["doc_id"], r["sent_index"]): r for p in second_pass for r in read_jsonl(p)}
    changed = 0
    for n, a in enumerate(read_jsonl(adjudication), 1):
        key = (a["doc_id"], int(a["sent_index"]))
        row = labels.row(key, f"{adjudication}:{n}")
        if row[a["task"]] != a["final"]:
            row.setdefault("adjudicated", {})[a["task"]] = {"was": row[a["task"]], "rule": a["rule"]}
            row[a["task"]] = a["final"]
            changed += 1
        if a["task"] != "attribution":
            continue
        if a["final"] == "unattributed":
            row.pop("sources", None)
            row.pop("source_of", None)
        elif not row.get("sources") and row.get("source_of") is None:
            for k in ("sources", "source_of"):
                if second.get(key, {}).get(k) not in (None, []):
                    row[k] = second[key][k]
    labels.save()
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="stamp a new batch into a label file")
    imp.add_argument("raw", type=Path)
    imp.add_argument("target", type=Path)
    imp.add_argument("--shared", type=Path, default=Path("../shared"))
    mer = sub.add_parser("merge", help="merge a mention pass into seeds/labels")
    mer.add_argument("raw", type=Path)
    mer.add_argument("--labels", type=Path, default=Path("seeds/labels"))
    adj = sub.add_parser("adjudicate", help="apply an adjudication file to the label files")
    adj.add_argument("adjudication", type=Path)
    adj.add_argument("--labels", type=Path, nargs="+", default=[Path("seeds/labels"), Path("seeds/onestopenglish/labels")])
    adj.add_argument("--second-pass", type=Path, nargs="+",
                     default=[Path("seeds/qc/v2_pass2.jsonl"), Path("seeds/onestopenglish/qc/v2_pass2.jsonl")])
    args = parser.parse_args()
    if args.command == "import":
        from credscore.training.corpus import choose_documents, sentence_rows

        rows = sentence_rows(choose_documents(args.shared)[0])
        print(f"{args.target}: {import_batch(args.raw, args.target, rows, args.target.stem)} rows")
    elif args.command == "adjudicate":
        print(f"{apply_adjudication(args.adjudication, args.labels, args.second_pass)} labels changed")
    else:
        print(json.dumps(merge_mention_pass(args.raw, args.labels), indent=2))


if __name__ == "__main__":
    main()
