"""The Python API of credscore.

>>> from model.api import load_model
>>> model = load_model()                      # the shipped default model, offline
>>> result = model.score("The ministry said on Monday that ...")
>>> result.profile.reliability                # 0-100
>>> model.predict(["Officials said the fire may have been set.", "It spread fast."])
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from model import __version__
from model.errors import InputError
from model.labels import ATTRIBUTION_LABELS, HEDGING_LABELS, TASKS
from model.modeldir import DEFAULT_MODEL_DIR, read_model_meta, read_temperatures
from model.predictor import Predictor, Probabilities
from model.profile import Profile, ScoringConfig, build_profile
from model.text import Sentence, looks_english, split_sentences
from model.tokenization import SentenceTokenizer


@dataclass
class LabelPrediction:
    """One head's answer for one sentence: arg-max label, its probability, all probabilities."""

    label: str
    confidence: float
    scores: dict[str, float]


@dataclass
class SentencePrediction:
    """Both labels of one sentence; ``index`` is 1-based; offsets index the article text."""

    index: int
    text: str
    start: int | None
    end: int | None
    attribution: LabelPrediction
    hedging: LabelPrediction


@dataclass
class ArticleScore:
    """The result of :meth:`CredscoreModel.score`: sentences, profile and notes."""

    model: dict
    sentences: list[SentencePrediction]
    profile: Profile
    warnings: list[str] = field(default_factory=list)
    name: str | None = None

    def to_dict(self) -> dict:
        """The JSON-ready dict documented in docs/output-format.md."""
        out = {"schema_version": 1, "model": self.model, "input": self.name,
               "sentences": [asdict(s) for s in self.sentences],
               "profile": self.profile.to_dict(), "warnings": self.warnings}
        return out

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_html(self) -> str:
        """A self-contained HTML report (no external assets)."""
        from model.render import render_html

        return render_html(self)


def _label_predictions(probs: Probabilities, row: int) -> dict[str, LabelPrediction]:
    out = {}
    for task, labels in TASKS.items():
        p = probs.scores[task][row]
        best = int(np.argmax(p))
        out[task] = LabelPrediction(labels[best], round(float(p[best]), 4),
                                    {label: round(float(v), 4) for label, v in zip(labels, p)})
    return out


class CredscoreModel:
    """A loaded credscore model: :meth:`predict` sentences, :meth:`score` articles.

    Parameters
    ----------
    path:
        model directory (``None``: the shipped default in ``model/weights``).
    fast:
        ``True``: the int8 ONNX Runtime fast path (graphs built once per model
        and cached, see :mod:`model.onnx_cache`); ``False``: the fp32 PyTorch
        network; ``None``: the model's recommended setting (``config.json``,
        ``inference.fast_path``).
    batch_size:
        sentences per encoder pass (``None``: the backend's default).
    """

    def __init__(self, path: Path | str | None = None, fast: bool | None = None,
                 batch_size: int | None = None):
        self.path = Path(path or DEFAULT_MODEL_DIR)
        self.meta = read_model_meta(self.path)
        self.fast = bool(self.meta.get("inference", {}).get("fast_path", False)) if fast is None else fast
        max_length = int(self.meta["network"].get("max_length", 128))
        self.predictor = Predictor(self._backend(), SentenceTokenizer(max_length=max_length),
                                   read_temperatures(self.path), batch_size)

    def _backend(self):
        # Imported here: the fast path must not pay for importing torch, nor the fp32 path for onnxruntime.
        if self.fast:
            from model.onnx_backend import OnnxBackend
            from model.onnx_cache import ensure_compiled

            return OnnxBackend(ensure_compiled(self.path, self.meta))
        from model.persist import load_model_dir
        from model.torch_backend import TorchBackend

        return TorchBackend(load_model_dir(self.path).network)

    @property
    def info(self) -> dict:
        """Name, version and inference path of the model (as reported in outputs)."""
        return {"name": self.meta.get("name", self.path.name), "version": self.meta.get("version", "unversioned"),
                "credscore": __version__, "fast_path": self.fast,
                "backend": self.predictor.backend.name}

    def predict_documents(self, documents: list[list[str]], progress=None) -> Probabilities:
        """Calibrated probabilities for documents given as lists of sentences.

        ``progress(done, total)``, if given, is called as sentences are encoded.
        """
        return self.predictor.predict_documents(documents, progress)

    def predict(self, sentences: list[str], context: str = "document") -> list[SentencePrediction]:
        """Labels of ``sentences``.

        ``context="document"`` reads them as consecutive sentences of one
        document (each sees its neighbours); ``"none"`` treats each alone.
        """
        if isinstance(sentences, str):
            raise InputError("predict() takes a list of sentences; use score() for an article")
        if context not in ("document", "none"):
            raise InputError("context must be 'document' or 'none'")
        docs = [list(sentences)] if context == "document" else [[s] for s in sentences]
        probs = self.predict_documents(docs)
        return [SentencePrediction(i + 1, s, None, None, **_label_predictions(probs, i))
                for i, s in enumerate(sentences)]

    def score(self, text: str, scoring: ScoringConfig | None = None, name: str | None = None,
              progress=None) -> ArticleScore:
        """Split ``text`` into sentences, label them and build the reliability profile.

        ``progress(done, total)``, if given, is called as sentences are encoded
        (the CLI shows a progress bar for long articles).
        """
        notes = []
        sentences: list[Sentence] = split_sentences(text)
        if not sentences:
            raise InputError(f"{name or 'input'}: no sentences found")
        if not looks_english(text):
            notes.append("the text does not look like English; the model is trained on English news")
        probs = self.predict_documents([[s.text for s in sentences]], progress)
        if probs.truncated:
            notes.append(f"{probs.truncated} sentence(s) longer than {self.predictor.tokenizer.max_length} "
                         "tokens were truncated")
        results = [SentencePrediction(i + 1, s.text, s.start, s.end, **_label_predictions(probs, i))
                   for i, s in enumerate(sentences)]
        profile = build_profile(probs.scores["attribution"], probs.scores["hedging"], scoring)
        return ArticleScore(self.info, results, profile, notes, name)


def load_model(path: Path | str | None = None, fast: bool | None = None,
               batch_size: int | None = None) -> CredscoreModel:
    """Load a model directory (default: the shipped model), fully offline."""
    return CredscoreModel(path, fast=fast, batch_size=batch_size)


__all__ = ["ATTRIBUTION_LABELS", "HEDGING_LABELS", "ArticleScore", "CredscoreModel", "LabelPrediction",
           "ScoringConfig", "SentencePrediction", "load_model"]
