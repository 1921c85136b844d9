"""Three reference baselines for the attribution and hedging tasks.

All share one scikit-learn-like interface, so an evaluation script can treat
them (and the real model) alike:

* ``fit(rows) -> self``: ``rows`` are dicts with ``doc_id``, ``sent_index``,
  ``text`` and optional ``attribution`` / ``hedging`` labels; a missing or
  ``None`` label means "not labelled for that task" and the row is skipped
  for that task only.
* ``predict_proba(documents) -> {"attribution": (N, 5), "hedging": (N, 3)}``:
  ``documents`` is a list of documents, each a list of sentences in order;
  the N rows are the sentences of all documents concatenated in order, the
  columns follow ``credscore.tasks.TASKS[task]`` and every row sums to 1.
* ``name``: a short identifier for reports.

Baselines: ``MajorityBaseline`` (most frequent label), ``LexiconBaseline``
(hand-written cue lists following the annotation guide, no learning) and
``TfidfLogRegBaseline`` (word n-gram tf-idf + logistic regression).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from credscore.tasks import ATTRIBUTION_WEAKNESS_RANK, TASKS, label_to_index

# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _flatten(documents: list[list[str]]) -> list[str]:
    """All sentences of ``documents`` concatenated in order (length N)."""
    for doc in documents:
        # A bare string would silently iterate as characters, one "sentence" each.
        if isinstance(doc, str):
            raise TypeError("documents must be a list of documents, each a list of sentences, not a string")
    return [sentence for doc in documents for sentence in doc]


def _labelled(rows: list[dict], task: str) -> tuple[list[str], list[str]]:
    """Texts and labels of the rows labelled for ``task`` (unknown labels raise ``ValueError``)."""
    texts, labels = [], []
    for row in rows:
        label = row.get(task)
        if label is None:
            continue
        label_to_index(task, label)  # validates, with the allowed values in the message
        texts.append(row["text"])
        labels.append(label)
    return texts, labels


def _soft_one_hot(task: str, labels: list[str], confidence: float = 0.9) -> np.ndarray:
    """``(len(labels), n_classes)`` rows with ``confidence`` on each label, the rest spread evenly."""
    n_classes = len(TASKS[task])
    probs = np.full((len(labels), n_classes), (1.0 - confidence) / (n_classes - 1))
    for i, label in enumerate(labels):
        probs[i, label_to_index(task, label)] = confidence
    return probs


# --------------------------------------------------------------------------
# 1. Majority
# --------------------------------------------------------------------------


class MajorityBaseline:
    """Predicts, for every sentence, the most frequent training label of each task (probability 1)."""

    name = "majority"

    def __init__(self):
        self.majority_: dict[str, str] = {}

    def fit(self, rows: list[dict]) -> "MajorityBaseline":
        """Count the labels of each task; ties go to the label earliest in the task's label order."""
        for task, order in TASKS.items():
            _, labels = _labelled(rows, task)
            if not labels:
                raise ValueError(f"no training row is labelled for {task!r}")
            counts = Counter(labels)
            self.majority_[task] = max(order, key=lambda label: (counts[label], -order.index(label)))
        return self

    def predict_proba(self, documents: list[list[str]]) -> dict[str, np.ndarray]:
        """``{task: (N, n_classes)}`` one-hot rows on the majority label."""
        if not self.majority_:
            raise RuntimeError("MajorityBaseline is not fitted; call fit(rows) first")
        n = len(_flatten(documents))
        return {task: _soft_one_hot(task, [self.majority_[task]] * n, confidence=1.0) for task in TASKS}


# --------------------------------------------------------------------------
# 2. Lexicon (rules from the annotation guide)
# --------------------------------------------------------------------------

REPORTING_VERBS: tuple[str, ...] = (
    "said", "says", "say", "saying", "told", "tells", "according to", "claimed", "claims", "stated",
    "announced", "announces", "reported", "reporting by", "wrote", "writes", "tweeted", "posted",
    "added", "adding", "noted", "argued", "insisted", "denied", "denies", "confirmed", "confirms",
    "explained", "warned", "ruled", "acknowledged", "quoted", "in a statement",
)
# "states" is left out on purpose: it would fire on every "United States".

OFFICE_CUES: tuple[str, ...] = (
    "minister", "ministry", "governor", "president", "senator", "mayor", "spokesperson", "spokesman",
    "spokeswoman", "police", "department", "court", "judge", "prosecutor", "prosecutors", "military",
    "army", "navy", "official statement", "government", "authorities", "white house", "pentagon",
    "kremlin", "fbi", "cia", "un", "united nations", "nato", "parliament", "embassy", "secretary",
    "regulator", "commission", "sheriff", "administration", "rep.", "sen.", "gov.",
)

OUTLET_CUES: tuple[str, ...] = (
    "reuters", "associated press", "ap", "afp", "agence france-presse", "bloomberg", "cnn", "bbc",
    "fox news", "nbc", "cbs", "abc news", "new york times", "washington post", "wall street journal",
    "guardian", "politico", "al jazeera", "kyiv post", "tass", "ria novosti", "xinhua", "interfax",
    "state media", "local media", "media reports", "agencies", "news agency", "newspaper",
)

ANONYMITY_CUES: tuple[str, ...] = (
    "a source", "another source", "one source", "sources", "anonymity", "anonymous", "unnamed",
    "asked not to be named", "declined to be named", "not authorized to", "familiar with", "officials said",
    "officials say", "senior official", "senior officials", "an official", "one official",
    "insiders", "critics say", "critics said", "some experts", "people close to", "a person close to",
    "it is understood",
)

HEDGE_LOW_CUES: tuple[str, ...] = (
    "reportedly", "allegedly", "alleged", "apparently", "appears", "appear to", "appeared to", "seems",
    "seemed", "likely", "unlikely", "probably", "expected to", "suggests", "suggested", "believed to",
    "is said to", "are said to", "was said to", "were said to", "thought to", "is considered",
    "were reported", "without specifying", "i think", "i believe",
)
# Bare "said to" is narrowed to "is/are/was/were said to": "he said to reporters" is no hedge.

HEDGE_HIGH_CUES: tuple[str, ...] = (
    "may", "might", "could have", "possibly", "it is possible", "unclear whether", "unclear if",
    "unconfirmed", "could not be independently verified", "could not be verified", "rumor", "rumors",
    "rumour", "rumours", "neither confirmed nor denied",
)

_QUOTES = ('"', "\u201c", "\u201d")

# The month "May" would otherwise read as the modal once text is lower-cased.
_MONTH_MAY = re.compile(r"\b(?:in|on|since|until|by|of|last|next|early|late|mid-?)\s+may\b|\bmay\s+\d")

# A sentence led by a pronoun and a reporting verb continues the previous speaker (guide rule 1).
_PRONOUN_REPORT = re.compile(r"^\W*(?:he|she|they)\s+(?:also\s+)?(?:said|says|added|noted|told|wrote)\b")


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern:
    """One regex matching any cue as whole words on lower-cased text.

    Lookarounds instead of ``\\b`` so that cues ending in punctuation still
    behave like word-boundary matches; longest cues first so multi-word cues win.
    """
    alternatives = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


_REPORTING = _cue_pattern(REPORTING_VERBS)
_OFFICE = _cue_pattern(OFFICE_CUES)
_OUTLET = _cue_pattern(OUTLET_CUES)
_ANONYMITY = _cue_pattern(ANONYMITY_CUES)
_HEDGE_LOW = _cue_pattern(HEDGE_LOW_CUES)
_HEDGE_HIGH = _cue_pattern(HEDGE_HIGH_CUES)


def lexicon_attribution(sentence: str) -> str:
    """The attribution label of one sentence on its own, by the guide's weakest-link order."""
    text = sentence.lower()
    reporting = bool(_REPORTING.search(text))
    if _ANONYMITY.search(text):
        return "anonymous_source"
    if reporting and _OUTLET.search(text):
        return "agency"
    if reporting and _OFFICE.search(text):
        return "official_statement"
    if reporting or any(q in sentence for q in _QUOTES):
        return "direct_claim"
    return "unattributed"


def lexicon_hedging(sentence: str) -> str:
    """``high`` for any high cue or two or more cues, ``low`` for one low cue, else ``none``."""
    text = _MONTH_MAY.sub(" ", sentence.lower())
    if _HEDGE_HIGH.search(text):
        return "high"
    n_low = len(_HEDGE_LOW.findall(text))
    return "high" if n_low >= 2 else "low" if n_low == 1 else "none"


def _quote_open_after(sentence: str, open_before: bool) -> bool:
    """Whether a quotation is still open at the end of ``sentence``, given its state before."""
    is_open = open_before
    for ch in sentence:
        if ch == '"':  # straight quotes cannot tell opening from closing: toggle
            is_open = not is_open
        elif ch in "\u201c\u201d":
            is_open = ch == "\u201c"
    return is_open


def _document_attribution(sentences: list[str]) -> list[str]:
    """Per-sentence labels of one document, carrying a speaker into continuing sentences (rule 1)."""
    labels, open_quote, previous = [], False, "unattributed"
    for sentence in sentences:
        label = lexicon_attribution(sentence)
        continues = open_quote or bool(_PRONOUN_REPORT.match(sentence.lower()))
        if continues and previous != "unattributed":
            # The continuation belongs to the earlier speaker; keep the weaker source of the two (rule 5).
            label = max(label, previous, key=ATTRIBUTION_WEAKNESS_RANK.__getitem__)
        open_quote = _quote_open_after(sentence, open_quote)
        labels.append(label)
        previous = label
    return labels


class LexiconBaseline:
    """Rule/lexicon baseline: cue lists and the guide's precedence rules, no learning."""

    name = "lexicon"

    def fit(self, rows: list[dict]) -> "LexiconBaseline":
        """No-op (nothing is learned); returns ``self``."""
        return self

    def predict_proba(self, documents: list[list[str]]) -> dict[str, np.ndarray]:
        """``{task: (N, n_classes)}`` with 0.9 on the rule's label and the rest spread evenly."""
        _flatten(documents)  # validates the argument's shape
        attribution = [label for doc in documents for label in _document_attribution(list(doc))]
        hedging = [lexicon_hedging(s) for doc in documents for s in doc]
        return {"attribution": _soft_one_hot("attribution", attribution),
                "hedging": _soft_one_hot("hedging", hedging)}


# --------------------------------------------------------------------------
# 3. tf-idf + logistic regression
# --------------------------------------------------------------------------


class TfidfLogRegBaseline:
    """Word 1-2-gram tf-idf + class-balanced logistic regression, one pipeline per task.

    Each pipeline is fitted only on the rows labelled for its task; at least
    two distinct labels per task are needed (scikit-learn refuses one class).
    """

    name = "tfidf_lr"

    def __init__(self, random_state: int | None = 0, min_df: int = 2):
        self.random_state = random_state
        self.min_df = min_df
        self.pipelines_: dict = {}

    def _pipeline(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        return Pipeline([
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df)),
            ("clf", LogisticRegression(class_weight="balanced", max_iter=2000, random_state=self.random_state)),
        ])

    def fit(self, rows: list[dict]) -> "TfidfLogRegBaseline":
        """Fit one pipeline per task on that task's labelled rows."""
        for task in TASKS:
            texts, labels = _labelled(rows, task)
            if not texts:
                raise ValueError(f"no training row is labelled for {task!r}")
            self.pipelines_[task] = self._pipeline().fit(texts, labels)
        return self

    def predict_proba(self, documents: list[list[str]]) -> dict[str, np.ndarray]:
        """``{task: (N, n_classes)}``; a label absent from training gets probability 0."""
        if not self.pipelines_:
            raise RuntimeError("TfidfLogRegBaseline is not fitted; call fit(rows) first")
        sentences = _flatten(documents)
        out = {}
        for task, order in TASKS.items():
            probs = np.zeros((len(sentences), len(order)))
            if sentences:  # scikit-learn refuses an empty batch
                pipeline = self.pipelines_[task]
                columns = [label_to_index(task, c) for c in pipeline.classes_]
                probs[:, columns] = pipeline.predict_proba(sentences)
            out[task] = probs
        return out


BASELINES = {"majority": MajorityBaseline, "lexicon": LexiconBaseline, "tfidf_lr": TfidfLogRegBaseline}
