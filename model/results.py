"""What credscore returns: per-label, per-sentence and per-article result objects.

Every object converts with ``to_dict()`` into the JSON schema of
``docs/output-format.md``.  Sentence numbers are 0-based (``index``) in data
and JSON; ``number`` (1-based, "#1") is for human-facing text only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from credscore.predictor import Probabilities
from credscore.scoring import Profile
from credscore.tasks import TASKS, label_scores
from credscore.terminal_text import json_inert

#: Version of the JSON schema of :meth:`ArticleScore.to_dict` (2: 0-based sentence indices).
SCHEMA_VERSION = 2


@dataclass
class LabelPrediction:
    """One task's answer for one sentence: arg-max label, its probability, all probabilities."""

    label: str
    confidence: float
    scores: dict[str, float]

    @classmethod
    def from_probabilities(cls, task: str, probabilities: np.ndarray) -> "LabelPrediction":
        """From one sentence's probability vector ``(n_labels,)`` of ``task``."""
        best = int(np.argmax(probabilities))
        return cls(TASKS[task][best], round(float(probabilities[best]), 4), label_scores(task, probabilities))

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence, "scores": dict(self.scores)}


@dataclass
class SentencePrediction:
    """The labels of one sentence, one :class:`LabelPrediction` per task.

    ``index`` is 0-based; ``start``/``end`` are character offsets into the
    article (``None`` for sentences given without an article); ``paragraph``
    is the 0-based paragraph (a line break in the article starts a new one).
    Each task is also an attribute: ``s.attribution``, ``s.hedging``.
    """

    index: int
    text: str
    start: int | None
    end: int | None
    tasks: dict[str, LabelPrediction] = field(default_factory=dict)
    paragraph: int = 0
    #: Source mentions ``{"start", "end", "text", "type", "role", "confidence"}``: character offsets into the
    #: article when the sentence has an article position (``start``), else into the sentence's text.
    sources: list[dict] = field(default_factory=list)
    #: 0-based index of the sentence whose source this one continues (a quote's second sentence), or ``None``.
    source_of: int | None = None

    def __getattr__(self, name: str) -> LabelPrediction:
        tasks = self.__dict__.get("tasks") or {}
        if name in tasks:
            return tasks[name]
        raise AttributeError(name)

    @property
    def number(self) -> int:
        """1-based sentence number, as human-facing text shows it ("#1")."""
        return self.index + 1

    def to_dict(self) -> dict:
        return {"index": self.index, "text": self.text, "start": self.start, "end": self.end,
                "paragraph": self.paragraph, **{task: p.to_dict() for task, p in self.tasks.items()},
                "sources": [dict(m) for m in self.sources], "source_of": self.source_of}


def sentence_predictions(probabilities: Probabilities, texts: list[str],
                         spans: list[tuple[int | None, int | None]] | None = None,
                         offset: int = 0, paragraphs: list[int] | None = None) -> list[SentencePrediction]:
    """:class:`SentencePrediction` objects for rows ``offset..offset+len(texts)`` of ``probabilities``.

    ``source_of`` indices there count within the document, as here.
    """
    spans = spans or [(None, None)] * len(texts)
    paragraphs = paragraphs or [0] * len(texts)
    scores = probabilities.scores
    out = []
    for i, (text, (start, end), paragraph) in enumerate(zip(texts, spans, paragraphs)):
        row = offset + i
        mentions = probabilities.mentions[row] if probabilities.mentions else []
        shift = start or 0
        sources = [dict(m, start=m["start"] + shift, end=m["end"] + shift) for m in mentions]
        source_of = probabilities.source_of[row] if probabilities.source_of else None
        out.append(SentencePrediction(i, text, start, end,
                                      {t: LabelPrediction.from_probabilities(t, scores[t][row]) for t in TASKS},
                                      paragraph, sources, source_of))
    return out


@dataclass
class ArticleScore:
    """The result of scoring one article: sentences, profile and notes."""

    model: dict
    sentences: list[SentencePrediction]
    profile: Profile
    warnings: list[str] = field(default_factory=list)
    name: str | None = None

    def to_dict(self, with_sentences: bool = True) -> dict:
        """The JSON-ready dict documented in docs/output-format.md."""
        return {"schema_version": SCHEMA_VERSION, "model": dict(self.model), "input": self.name,
                "sentences": [s.to_dict() for s in self.sentences] if with_sentences else "\u0000sentences",
                "profile": self.profile.to_dict(), "warnings": list(self.warnings)}

    def write_json(self, stream, indent: int | None = None) -> None:
        """Write :meth:`to_json`'s exact text to ``stream``, one sentence at a time.

        The whole document is never built as one dict and one string: for a
        long article that is most of the memory (an indented document is about
        eight times the article's size).
        """
        def dump(value) -> str:
            return json_inert(json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False))

        data = self.to_dict(with_sentences=False)
        # Keys are written in order; only the real key can be followed by this exact marker (values escape quotes).
        marker = r'"sentences": "\u0000sentences"'
        before, after = dump(data).split(marker, 1)
        stream.write(before + '"sentences": ')
        if not self.sentences:
            stream.write("[]")
        elif indent is None:
            stream.write("[" + ", ".join(dump(s.to_dict()) for s in self.sentences[:1]))
            for s in self.sentences[1:]:
                stream.write(", " + dump(s.to_dict()))
            stream.write("]")
        else:
            pad = " " * (2 * indent)
            stream.write("[")
            for i, s in enumerate(self.sentences):
                stream.write(("," if i else "") + "\n" + "\n".join(pad + line for line in dump(s.to_dict()).split("\n")))
            stream.write("\n" + " " * indent + "]")
        stream.write(after)

    def to_json(self, indent: int | None = None) -> str:
        # allow_nan=False: no output ever holds NaN or Infinity (they are not JSON either).
        # json_inert: no raw C1 controls or bidi overrides reach a terminal showing the JSON.
        return json_inert(json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False))

    def to_html(self) -> str:
        """A self-contained HTML report (no external assets, no scripts)."""
        from credscore.formats.html import render_html

        return render_html(self)
