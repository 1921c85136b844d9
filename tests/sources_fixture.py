"""Hand-built scored articles with source mentions: the sample article's gold labels and mentions.

The shipped model has no mention head, so tests of sources build their
:class:`~credscore.results.ArticleScore` from labelled rows instead.
"""

from __future__ import annotations

import json

import numpy as np

from credscore.results import ArticleScore, LabelPrediction, SentencePrediction
from credscore.scoring import build_profile
from credscore.tasks import ATTRIBUTION_LABELS, HEDGING_LABELS
from tests.conftest import ROOT

MODEL = {"name": "hand-built", "version": "0", "credscore": "test", "backend": "torch"}


def _onehot(labels: list[str], names: tuple[str, ...]) -> np.ndarray:
    out = np.full((len(labels), len(names)), 0.0)
    for i, label in enumerate(labels):
        out[i, names.index(label)] = 1.0
    return out


def article_from_rows(rows: list[dict], name: str = "hand-built") -> ArticleScore:
    """An ArticleScore whose labels and mentions are the rows' gold ones (mention offsets moved into the article)."""
    sentences, pos = [], 0
    index_of = {r["sent_index"]: i for i, r in enumerate(rows)}
    for i, r in enumerate(rows):
        start = r.get("start", pos)
        end = start + len(r["text"])
        pos = end + 1
        tasks = {"attribution": LabelPrediction(r["attribution"], 1.0, {l: float(l == r["attribution"])
                                                                        for l in ATTRIBUTION_LABELS}),
                 "hedging": LabelPrediction(r["hedging"], 1.0, {l: float(l == r["hedging"]) for l in HEDGING_LABELS})}
        sources = [dict(m, start=m["start"] + start, end=m["end"] + start, confidence=1.0) for m in r.get("sources", [])]
        source_of = index_of.get(r["source_of"]) if r.get("source_of") is not None else None
        sentences.append(SentencePrediction(i, r["text"], start, end, tasks, 0, sources, source_of))
    att = _onehot([r["attribution"] for r in rows], ATTRIBUTION_LABELS)
    hed = _onehot([r["hedging"] for r in rows], HEDGING_LABELS)
    return ArticleScore(MODEL, sentences, build_profile(att, hed, None, sentences), [], name)


def belgorod_rows() -> list[dict]:
    path = ROOT / "seeds/belgorod-legion-raid.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def belgorod() -> ArticleScore:
    return article_from_rows(belgorod_rows(), "seeds/belgorod-legion-raid.txt")
