"""The Python API of credscore.

>>> import credscore
>>> model = credscore.load_model()                 # the shipped default model, offline
>>> result = model.score("The ministry said on Monday that ...")
>>> result.profile.reliability                     # 0-100
>>> model.predict(["Officials said the fire may have been set.", "It spread fast."])
>>> model.predict_proba(["Officials said the fire may have been set."])["hedging"]   # (1, 3)
>>> for result in model.pipe(articles, batch_size=8): ...                          # lazily
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from credscore import __version__
from credscore.backends import build_backend, configured_backend
from credscore.errors import InputError
from credscore.model_dir import ModelDirectory
from credscore.predictor import Predictor, Probabilities, ProgressFn
from credscore.results import ArticleScore, SentencePrediction, sentence_predictions
from credscore.scoring import ScoringConfig, build_profile
from credscore.splitting import Sentence, looks_english, paragraphs, split_sentences
from credscore.tokenization import SentenceTokenizer

CONTEXTS = ("document", "none")


class CredscoreModel:
    """A loaded credscore model: :meth:`predict` sentences, :meth:`score` articles.

    Build one with :meth:`from_pretrained` (or :func:`credscore.load_model`);
    the constructor only stores what it is given.

    Parameters
    ----------
    predictor:
        the :class:`~credscore.predictor.Predictor` that runs the network.
    config:
        the model directory's validated ``config.json``.
    path:
        the model directory.
    backend:
        the name of the backend the predictor runs.
    """

    def __init__(self, predictor: Predictor, config: dict, path: Path, backend: str):
        self.predictor = predictor
        self.config = config
        self.path = path
        self.backend = backend

    @classmethod
    def from_pretrained(cls, path: Path | str | None = None, backend: str | None = None,
                        batch_size: int | None = None) -> "CredscoreModel":
        """Load a model directory (default: the shipped model), fully offline.

        ``backend``: a name in :data:`credscore.backends.BACKENDS` (``torch``,
        ``onnx-int8``, ``onnx-fp32``); ``None`` takes the model's recommended
        one (``config.json``, ``inference.backend``).  ``batch_size``:
        sentences per encoder pass (``None``: the backend's default).
        """
        directory = ModelDirectory(path)
        config = directory.config()
        name = backend or configured_backend(config)
        network_backend = build_backend(name, directory, config)
        max_length = int(config["network"].get("max_length", 128))
        tokenizer = SentenceTokenizer(directory.encoder_spec(config).entry.tokenizer_file(), max_length)
        predictor = Predictor(network_backend, tokenizer, directory.temperatures(), batch_size, directory.offsets())
        return cls(predictor, config, directory.path, name)

    @property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Each task's label names, in the column order of :meth:`predict_proba`."""
        return {task: tuple(labels) for task, labels in self.config["labels"].items()}

    @property
    def info(self) -> dict:
        """Name, version and inference backend of the model (as reported in outputs)."""
        info = {"name": self.config.get("name", self.path.name), "version": self.config.get("version", "unversioned"),
                "credscore": __version__, "backend": self.backend}
        if isinstance(self.config.get("accuracy"), dict):  # measured by credscore.eval.finalize
            info["accuracy"] = self.config["accuracy"]
        return info

    def predict_documents(self, documents: list[list[str]], progress: ProgressFn | None = None) -> Probabilities:
        """Calibrated probabilities for documents given as lists of sentences.

        ``progress(done, total)``, if given, is called as sentences are encoded.
        """
        return self.predictor.predict_documents(documents, progress)

    def _documents(self, sentences: Iterable[str], context: str) -> tuple[list[str], list[list[str]]]:
        if isinstance(sentences, str):
            raise InputError("predict() takes an iterable of sentences; use score() for an article")
        if context not in CONTEXTS:
            raise InputError(f"context must be one of {', '.join(CONTEXTS)}, got {context!r}")
        sentences = list(sentences)
        if not all(isinstance(s, str) for s in sentences):
            raise InputError("predict() takes sentences as strings")
        return sentences, ([sentences] if context == "document" else [[s] for s in sentences])

    def predict_proba(self, sentences: Iterable[str], context: str = "document") -> dict[str, np.ndarray]:
        """Calibrated probabilities per task, ``(N, n_labels)`` arrays whose columns follow :attr:`labels`.

        ``context="document"`` reads the sentences as consecutive sentences of
        one document (each sees its neighbours); ``"none"`` treats each alone.
        """
        _, docs = self._documents(sentences, context)
        return self.predict_documents(docs).scores

    def predict(self, sentences: Iterable[str], context: str = "document") -> list[SentencePrediction]:
        """Labels of ``sentences`` (any iterable of strings), as :class:`SentencePrediction` objects (0-based)."""
        sentences, docs = self._documents(sentences, context)
        return sentence_predictions(self.predict_documents(docs), sentences)

    def score(self, text: str | Iterable[str], scoring: ScoringConfig | None = None, name: str | None = None,
              progress: ProgressFn | None = None) -> ArticleScore:
        """Label an article's sentences and build its reliability profile.

        ``text`` is the article (split here into sentences with character
        offsets), or its sentences already split: then the article is those
        sentences joined by single spaces and offsets index that string.
        ``progress(done, total)``, if given, is called as sentences are encoded.
        """
        return next(self._score_batch([(text, name)], scoring, progress))

    def pipe(self, texts: Iterable[str | tuple[str, str]], batch_size: int = 8,
             scoring: ScoringConfig | None = None) -> Iterator[ArticleScore]:
        """Score many articles lazily, ``batch_size`` articles per encoder call, in input order.

        ``texts`` may yield article strings or ``(text, name)`` pairs.
        """
        if batch_size < 1:
            raise InputError("batch_size must be at least 1")
        batch: list[tuple[str, str | None]] = []
        for item in texts:
            batch.append(item if isinstance(item, tuple) else (item, None))
            if len(batch) >= batch_size:
                yield from self._score_batch(batch, scoring)
                batch = []
        if batch:
            yield from self._score_batch(batch, scoring)

    def _score_batch(self, items: list[tuple[str | Iterable[str], str | None]], scoring: ScoringConfig | None,
                     progress: ProgressFn | None = None) -> Iterator[ArticleScore]:
        articles = [self._split(text, name) for text, name in items]
        probs = self.predict_documents([[s.text for s in sents] for _, sents, _ in articles], progress)
        offset = 0
        for (text, sentences, name), n_trunc in zip(articles, probs.truncated_per_document):
            notes = []
            if not looks_english(text):
                notes.append("the text does not look like English; the model is trained on English news")
            if n_trunc:
                notes.append(f"{n_trunc} sentence(s) longer than {self.predictor.tokenizer.max_length} "
                             "tokens were truncated")
            rows = slice(offset, offset + len(sentences))
            results = sentence_predictions(probs, [s.text for s in sentences],
                                           [(s.start, s.end) for s in sentences], offset, paragraphs(text, sentences))
            profile = build_profile(probs.scores["attribution"][rows], probs.scores["hedging"][rows], scoring, results)
            offset += len(sentences)
            yield ArticleScore(self.info, results, profile, notes, name)

    @staticmethod
    def _split(text: str | Iterable[str], name: str | None) -> tuple[str, list[Sentence], str | None]:
        if isinstance(text, str):
            sentences = split_sentences(text)
        else:
            parts = [str(s).strip() for s in text]
            sentences, pos = [], 0
            for part in filter(None, parts):
                sentences.append(Sentence(part, pos, pos + len(part)))
                pos += len(part) + 1
            text = " ".join(filter(None, parts))
        if not sentences:
            raise InputError(f"{name or 'input'}: no sentences found")
        return text, sentences, name


def load_model(path: Path | str | None = None, backend: str | None = None,
               batch_size: int | None = None) -> CredscoreModel:
    """Load a model directory (default: the shipped model), fully offline (see :meth:`CredscoreModel.from_pretrained`)."""
    return CredscoreModel.from_pretrained(path, backend=backend, batch_size=batch_size)


__all__ = ["ArticleScore", "CredscoreModel", "ScoringConfig", "SentencePrediction", "load_model"]
