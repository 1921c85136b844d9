"""Source mentions as token tags (guide section 3): encoding gold spans, decoding predicted ones.

Tags are BIO over (type, role): ``O``, then ``B-`` and ``I-`` for each of
the 4 mention types x 2 roles, 17 in all.  Spans are character offsets into
their sentence's text; tokens carry ``(start, end)`` offsets from the
tokenizer.  A decoded span covers whole tokens and is widened to the end of
a word split into word pieces, so ``Gladkov`` is never cut to ``Glad``.

:func:`resolve_source_of` links a continuation (an attributed sentence that
names no source itself, such as the second sentence of a quote) to the
nearest earlier sentence that names a source of the same type.
"""

from __future__ import annotations

import numpy as np

from credscore.tasks import MENTION_ROLES, MENTION_TYPES

#: ``(type, role)`` of each mention kind, in tag order.
MENTION_KINDS: tuple[tuple[str, str], ...] = tuple((t, r) for t in MENTION_TYPES for r in MENTION_ROLES)
#: Tag names: ``O``, then ``B-type/role`` and ``I-type/role`` per kind.
MENTION_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{t}/{r}" for t, r in MENTION_KINDS for p in ("B", "I"))
#: Tag index that marks a token ignored by the loss (special tokens, unlabelled rows).
IGNORE = -100
#: A continuation's source is looked for at most this many sentences back.
SOURCE_OF_LOOKBACK = 12


def encode_tags(offsets: list[tuple[int, int]], spans: list[dict]) -> list[int]:
    """Tag index of each token (``offsets``: its characters in the sentence) for gold ``spans``."""
    tags = [0] * len(offsets)
    for span in spans:
        kind = MENTION_KINDS.index((span["type"], span.get("role", "source")))
        inside = [i for i, (a, b) in enumerate(offsets) if b > a and a < span["end"] and b > span["start"]]
        for rank, i in enumerate(inside):
            tags[i] = 1 + 2 * kind + (0 if rank == 0 else 1)
    return tags


def _kind(tag: int) -> int:
    return (tag - 1) // 2


def decode_tags(probabilities: np.ndarray, offsets: list[tuple[int, int]], text: str) -> list[dict]:
    """Mentions of one sentence from its tokens' tag probabilities ``(T, 17)`` and character ``offsets``.

    Returns ``{"start", "end", "text", "type", "role", "confidence"}`` dicts,
    offsets into ``text``; confidence is the mean probability of the chosen
    tags over the mention's tokens.
    """
    best = probabilities.argmax(1)
    mentions, i, n = [], 0, len(offsets)
    while i < n:
        tag = int(best[i])
        if tag == 0:
            i += 1
            continue
        kind, j = _kind(tag), i + 1
        while j < n and best[j] != 0 and best[j] % 2 == 0 and _kind(int(best[j])) == kind:
            j += 1
        start, end = offsets[i][0], offsets[j - 1][1]
        while j < n and offsets[j][0] == end and offsets[j][1] > end and text[end:end + 1].isalnum():
            end = offsets[j][1]  # the rest of a word split into pieces
            j += 1
        confidence = float(probabilities[np.arange(i, j), best[i:j]].mean())
        typ, role = MENTION_KINDS[kind]
        mentions.append({"start": int(start), "end": int(end), "text": text[start:end], "type": typ, "role": role,
                         "confidence": round(confidence, 4)})
        i = j
    return mentions


def resolve_source_of(attributions: list[str], mentions: list[list[dict]]) -> list[int | None]:
    """Per sentence of one document: the index of the sentence whose source it continues, or ``None``.

    A sentence continues another when it is attributed, names no ``source``
    mention itself, and an earlier sentence (at most
    :data:`SOURCE_OF_LOOKBACK` back) names a source of its attribution type;
    the nearest such sentence is taken.
    """
    out: list[int | None] = []
    for i, (label, own) in enumerate(zip(attributions, mentions)):
        target = None
        if label != "unattributed" and not any(m["role"] == "source" for m in own):
            for j in range(i - 1, max(-1, i - 1 - SOURCE_OF_LOOKBACK), -1):
                if any(m["role"] == "source" and m["type"] == label for m in mentions[j]):
                    target = j
                    break
        out.append(target)
    return out
