"""Rebuild the derived corpus in ``seeds/`` from the raw sources in ``shared/data``.

Steps, all deterministic (fixed seed):

1. Read and clean the documents: GUM Wikinews news articles (gold sentence
   split from the corpus), and Horne & Adali 2017 articles (bytes decoded as
   UTF-8 or cp1252, title prepended as sentence 0, split by
   :func:`credscore.splitting.split_sentences`).
2. Choose which documents are labelled and which are held out unlabelled
   (25 Real + 25 Fake kept for validating the article score, plus the
   unlabelled Satire articles for the distribution plot).
3. Assign labelled documents to ``train``/``dev``/``test`` by document,
   stratified by source (80/10/10).
4. Join the manual label files (``seeds/labels/*.jsonl``, keyed by
   ``(doc_id, sent_index)`` *and* the sentence text) onto the sentences and
   write the split files.  A label whose text no longer matches the
   sentence at its index is an error, so a change in splitting is detected
   instead of silently misaligning labels.
5. Convert the certainty-rated sets to hedging-only ``mapped`` rows.

Run ``python -m credscore.training.corpus --shared ../shared`` (or ``make corpus``).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from credscore.reading import decode_bytes
from credscore.splitting import split_sentences
from credscore.atomic import atomic_output, write_jsonl_atomic

SEED = 20261124
GUM_GENRES = ("news", "interview")
HORNE_COUNTS = {"Real": 50, "Fake": 50, "Satire": 75}  # labelled documents per category
HOLDOUT_COUNTS = {"Real": 25, "Fake": 25}  # must stay unlabelled (article-score validation)
SPLIT_SHARES = (("train", 0.8), ("dev", 0.1), ("test", 0.1))


@dataclass
class Document:
    doc_id: str
    source: str
    sentences: list[str]
    meta: dict = field(default_factory=dict)


def _clean(text: str) -> str:
    # Normalise line breaks (CRLF, NEL) and non-breaking spaces; keep everything else.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u0085", "\n")
    return text.replace("\u00a0", " ").strip()


def load_gum(shared: Path) -> list[Document]:
    """GUM Wikinews documents of :data:`GUM_GENRES`, with GUM's gold sentence split."""
    docs: dict[str, Document] = {}
    with open(shared / "data/gum-wikinews/sentences.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["genre"] not in GUM_GENRES:
                continue
            doc = docs.setdefault(
                row["doc"],
                Document(f"gum:{row['doc']}", "gum-wikinews", [], {"genre": row["genre"]}),
            )
            doc.sentences.append(row["text"].strip())
    return list(docs.values())


def read_horne_article(shared: Path, category: str, name: str) -> tuple[str, str]:
    """(title, body) of one Horne 2017 article, decoded and cleaned."""
    base = shared / "data/horne2017-random"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cp1252 fallback is expected in this corpus
        body = _clean(decode_bytes((base / category / name).read_bytes(), name))
        title_path = base / f"{category}_titles" / name
        title = _clean(decode_bytes(title_path.read_bytes(), name)) if title_path.exists() else ""
    return " ".join(title.split()), body


def load_horne(shared: Path, category: str) -> list[Document]:
    """All Horne 2017 articles of one category, title as sentence 0."""
    docs = []
    for path in sorted((shared / "data/horne2017-random" / category).glob("*.txt"), key=lambda p: int(p.stem)):
        title, body = read_horne_article(shared, category, path.name)
        sents = ([title] if title else []) + [s.text for s in split_sentences(body)]
        docs.append(Document(f"horne:{category.lower()}:{path.stem}", f"horne2017-{category.lower()}", sents,
                             {"category": category, "title": title, "body": body}))
    return docs


#: The corpus-v2 news sources: (folder under shared/data, doc_id prefix, source name, licence group).
#: OneStopEnglish is CC BY-SA 4.0, so its rows live in files of their own (``seeds/onestopenglish/``).
#: OneStopEnglish's ``title`` is the corpus's short file name ("Amazon"), not a headline, so it is left out.
NEWS_SOURCES = (
    ("wikinews-2019-2020", "wikinews", "wikinews-2019-2020", True),
    ("onestopenglish", "ose", "onestopenglish", False),
)
SHAREALIKE_SOURCES = frozenset({"onestopenglish"})


def load_news_articles(shared: Path, folder: str, prefix: str, source: str, with_title: bool) -> list[Document]:
    """Articles of one corpus-v2 source (``articles.jsonl``), body split by the project's splitter.

    With ``with_title`` the headline is sentence 0 (guide rule 8: headlines are labelled like any sentence).
    """
    docs = []
    with open(shared / "data" / folder / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            title = " ".join(_clean(row.get("title") or "").split()) if with_title else ""
            body = _clean(row["text"])
            sents = ([title] if title else []) + [s.text for s in split_sentences(body)]
            docs.append(Document(f"{prefix}:{row['id']}", source, sents,
                                 {"title": title, "url": row.get("url"), "date": row.get("date")}))
    return docs


def choose_documents(shared: Path) -> tuple[list[Document], list[Document]]:
    """(labelled documents, held-out unlabelled documents)."""
    rng = random.Random(SEED)
    labelled, held_out = load_gum(shared), []
    for category, n_label in HORNE_COUNTS.items():
        docs = load_horne(shared, category)
        rng.shuffle(docs)
        n_hold = HOLDOUT_COUNTS.get(category, 0)
        held_out += docs[:n_hold]
        labelled += docs[n_hold:n_hold + n_label]
        if category not in HOLDOUT_COUNTS:
            held_out += docs[n_hold + n_label:]  # unlabelled satire: distribution plot only
    for folder, prefix, source, with_title in NEWS_SOURCES:
        labelled += load_news_articles(shared, folder, prefix, source, with_title)
    return labelled, held_out


def assign_splits(docs: list[Document]) -> dict[str, str]:
    """doc_id -> split, by document, stratified by source."""
    rng = random.Random(SEED + 1)
    by_source: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        by_source[(doc.source, doc.meta.get("genre", ""))].append(doc.doc_id)
    assignment = {}
    for _, ids in sorted(by_source.items()):
        ids = sorted(ids)
        rng.shuffle(ids)
        n_dev = max(1, round(len(ids) * SPLIT_SHARES[1][1]))
        n_test = max(1, round(len(ids) * SPLIT_SHARES[2][1]))
        for i, doc_id in enumerate(ids):
            assignment[doc_id] = "dev" if i < n_dev else "test" if i < n_dev + n_test else "train"
    return assignment


def sentence_rows(docs: list[Document]) -> list[dict]:
    """Unlabelled rows in the data format (no labels, annotator filled at join)."""
    return [
        {"doc_id": d.doc_id, "sent_index": i, "text": t, "source": d.source}
        for d in docs for i, t in enumerate(d.sentences)
    ]


def load_label_files(label_dir: Path) -> dict[tuple[str, int], dict]:
    """(doc_id, sent_index) -> label row, from every ``*.jsonl`` in ``label_dir``."""
    labels: dict[tuple[str, int], dict] = {}
    for path in sorted(label_dir.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                key = (row["doc_id"], int(row["sent_index"]))
                if key in labels:
                    raise ValueError(f"{path}:{lineno}: duplicate label for {key}")
                labels[key] = row
    return labels


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def join_labels(rows: list[dict], labels: dict[tuple[str, int], dict]) -> list[dict]:
    """Attach manual labels (and source mentions, as offsets) to sentence rows; refuse text mismatches."""
    from credscore.data_format import resolve_mentions

    out, problems = [], []
    for row in rows:
        lab = labels.get((row["doc_id"], row["sent_index"]))
        if lab is None:
            continue
        if _norm(lab["text"]) != _norm(row["text"]):
            problems.append(f"{row['doc_id']}#{row['sent_index']}: label text {lab['text'][:50]!r} "
                            f"!= sentence {row['text'][:50]!r}")
            continue
        joined = dict(row)
        for key in ("attribution", "hedging", "source_of", "annotator", "labelled_by", "note"):
            if lab.get(key) is not None:
                joined[key] = lab[key]
        if lab.get("sources"):
            try:
                joined["sources"] = resolve_mentions(row["text"], lab["sources"], f"{row['doc_id']}#{row['sent_index']}")
            except ValueError as exc:
                problems.append(str(exc))
                continue
        joined.setdefault("annotator", "manual")
        out.append(joined)
    if problems:
        raise ValueError("labels do not match the sentences:\n" + "\n".join(problems[:20]))
    return out


def mapped_certainty_rows(shared: Path) -> dict[str, list[dict]]:
    """Hedging-only rows from the two certainty sets (mapping of shared/data/README.md)."""
    pei: dict[str, list[dict]] = defaultdict(list)
    with open(shared / "data/pei-jurgens-2021/sentence-level-certainty.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            score = float(r["sentence-level-certainty"])
            hedging = "none" if score >= 5 else "low" if score >= 3.67 else "high"
            pei[r["split"]].append({
                "doc_id": f"pei:{r['id']}", "sent_index": 0, "text": r["finding"].strip(),
                "hedging": hedging, "annotator": "mapped", "source": "pei-jurgens-2021",
                "certainty": score, "pei_split": r["split"],
            })
    bio = []
    with open(shared / "data/biocertainty/training_set.csv", encoding="utf-8") as fh:
        for i, (text, label) in enumerate(csv.reader(fh, delimiter="\t")):
            bio.append({
                "doc_id": f"biocertainty:{i}", "sent_index": 0, "text": text.strip(),
                "hedging": {"1": "none", "2": "low", "3": "high"}[label.strip()],
                "annotator": "mapped", "source": "biocertainty",
            })
    # Only Pei & Jurgens' train split is for training; val and ext stay out as an
    # external check of the hedging head (eval/external.py).
    return {"pei-jurgens-2021": pei["train"], "biocertainty": bio,
            "external/pei-jurgens-2021-heldout": pei["val"] + pei["ext"]}


def licence_folder(seeds: Path, source: str) -> Path:
    """Where a source's derived rows live: ShareAlike sources in a folder of their own under their licence."""
    return seeds / source if source in SHAREALIKE_SOURCES else seeds


def label_dirs(seeds: Path) -> list[Path]:
    return [seeds / "labels"] + [seeds / s / "labels" for s in sorted(SHAREALIKE_SOURCES)]


def build(shared: Path, seeds: Path) -> dict:
    """Write every derived file under ``seeds``; return counts for the data card."""
    labelled, held_out = choose_documents(shared)
    rows = sentence_rows(labelled)
    folders = sorted({licence_folder(seeds, r["source"]) for r in rows})
    for folder in folders:
        write_jsonl_atomic(folder / "corpus/sentences.jsonl", [r for r in rows if licence_folder(seeds, r["source"]) == folder])
    write_jsonl_atomic(seeds / "holdout/articles.jsonl", [
        {"doc_id": d.doc_id, "category": d.meta["category"], "title": d.meta["title"], "text": d.meta["body"]}
        for d in held_out
    ])
    # CC BY 2.5 asks for credit with each article's url: one credits file beside the licence.
    with atomic_output(seeds / "licenses/wikinews-2019-2020-credits.tsv") as fh:
        fh.write("doc_id\ttitle\turl\tcredit\n")
        for d in labelled:
            if d.source == "wikinews-2019-2020":
                fh.write(f"{d.doc_id}\t{d.meta['title']}\t{d.meta['url']}\tWikinews contributors, CC BY 2.5\n")
    split_of = assign_splits(labelled)
    labels: dict = {}
    for folder in label_dirs(seeds):
        for key, lab in load_label_files(folder).items():
            if key in labels:
                raise ValueError(f"duplicate label for {key} in {folder}")
            labels[key] = lab
    joined = join_labels(rows, labels)
    counts: dict = {"documents": len(labelled), "sentences": len(rows), "labelled": len(joined)}
    for split, _ in SPLIT_SHARES:
        for folder in folders:
            part = [r for r in joined if split_of[r["doc_id"]] == split and licence_folder(seeds, r["source"]) == folder]
            write_jsonl_atomic(folder / f"{split}.jsonl", part)
            counts[f"{split}:{folder.relative_to(seeds) if folder != seeds else 'seeds'}"] = len(part)
    for name, mrows in mapped_certainty_rows(shared).items():
        folder = "" if "/" in name else "mapped/"
        write_jsonl_atomic(seeds / f"{folder}{name}.jsonl", mrows)
        counts[name] = len(mrows)
    return counts


def label_table(seeds: Path) -> str:
    """The data card's label-count table (Markdown): manual rows per source and split."""
    from credscore.tasks import ATTRIBUTION_LABELS, HEDGING_LABELS

    folders = [seeds] + [seeds / s for s in sorted(SHAREALIKE_SOURCES)]
    split_rows: dict[tuple[str, str], list[dict]] = {}
    for folder in folders:
        for split, _ in SPLIT_SHARES:
            with open(folder / f"{split}.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    split_rows.setdefault((r["source"], split), []).append(r)
    head = ["source", "split", "docs", "sentences", *ATTRIBUTION_LABELS, *HEDGING_LABELS, "mentions"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def line(name, split, part):
        att, hed = Counter(r["attribution"] for r in part), Counter(r["hedging"] for r in part)
        cells = [name, split, len({r["doc_id"] for r in part}), len(part), *(att[l] for l in ATTRIBUTION_LABELS),
                 *(hed[l] for l in HEDGING_LABELS), sum(len(r.get("sources", [])) for r in part)]
        return "| " + " | ".join(f"{c:,}" if isinstance(c, int) else c for c in cells) + " |"

    for (source, split), part in sorted(split_rows.items()):
        lines.append(line(source, split, part))
    for split, _ in SPLIT_SHARES:
        lines.append(line("**all sources**", split, [r for (_, sp), p in split_rows.items() if sp == split for r in p]))
    lines.append(line("**all**", "all", [r for part in split_rows.values() for r in part]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--table", action="store_true", help="print the data card's label-count table and exit")
    args = parser.parse_args()
    if args.table:
        print(label_table(args.seeds))
        return
    print(json.dumps(build(args.shared, args.seeds), indent=2))


if __name__ == "__main__":
    main()
