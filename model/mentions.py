"""Source mentions as token tags (guide section 3): encoding gold spans, decoding predicted ones.

Tags are BIO over (type, role): ``O``, then ``B-`` and ``I-`` for each of
the 4 mention types x 2 roles, 17 in all.  Spans are character offsets into
their sentence's text; tokens carry ``(start, end)`` offsets from the
tokenizer.  Decoding works on whole words (a word split into word pieces
takes the tag of its most confident piece), so ``Gladkov`` is never cut to
``Glad`` or ``kov``.

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


def _words(offsets: list[tuple[int, int]], text: str) -> list[list[int]]:
    """Token indices grouped into words: a piece that starts where the previous ended, inside a word, joins it."""
    words: list[list[int]] = []
    for i, (a, _) in enumerate(offsets):
        joined = words and a == offsets[i - 1][1] and a > 0 and text[a - 1:a].isalnum() and text[a:a + 1].isalnum()
        if joined:
            words[-1].append(i)
        else:
            words.append([i])
    return words


def _is_punctuation(text: str, offsets: list[tuple[int, int]], word: list[int]) -> bool:
    return not any(ch.isalnum() for ch in text[offsets[word[0]][0]:offsets[word[-1]][1]])


def decode_tags(probabilities: np.ndarray, offsets: list[tuple[int, int]], text: str) -> list[dict]:
    """Mentions of one sentence from its tokens' tag probabilities ``(T, 17)`` and character ``offsets``.

    Decoding is by whole words, so a name split into word pieces is never cut
    (``Gladkov`` is never ``kov``): a word takes the tag of its most confident
    non-``O`` piece when that piece prefers a mention, else ``O``.  A mention
    starts at a tagged word and runs over the ``I-`` words after it whatever
    their type, and over a punctuation word between two of its words (``Mr .
    Trump``, ``Ex - FBI``); its type and role are those with the most
    probability summed over its words.  Segmenting first and typing the whole
    span second keeps one mention whole when the tagger hesitates between
    types inside it ("a Ukrainian intelligence source": official, then
    anonymous): on corpus v2's dev split that raised overlap F1 from 0.682 to
    0.718 (``docs/model-design.md``).  Returns ``{"start", "end", "text",
    "type", "role", "confidence"}`` dicts, offsets into ``text``; confidence
    is the mean probability of the chosen tags over the mention's words.
    """
    best = probabilities.argmax(1)
    labels, chosen = [], []
    words = _words(offsets, text)
    for word in words:
        tagged = [i for i in word if best[i] != 0]
        i = max(tagged, key=lambda k: probabilities[k, best[k]]) if tagged else word[0]
        labels.append(int(best[i]) if tagged else 0)
        chosen.append(i)

    def inside(v: int) -> bool:
        return v < len(words) and labels[v] != 0 and labels[v] % 2 == 0

    mentions, w = [], 0
    while w < len(words):
        if labels[w] == 0:
            w += 1
            continue
        v = w + 1
        while inside(v) or (v < len(words) and labels[v] == 0 and inside(v + 1)
                            and _is_punctuation(text, offsets, words[v])):
            v += 1
        pieces = [chosen[x] for x in range(w, v) if labels[x] != 0]
        mass = probabilities[pieces, 1::2] + probabilities[pieces, 2::2]  # (words, kinds): B + I per kind
        typ, role = MENTION_KINDS[int(mass.sum(0).argmax())]
        start, end = offsets[words[w][0]][0], offsets[words[v - 1][-1]][1]
        mentions.append({"start": int(start), "end": int(end), "text": text[start:end], "type": typ, "role": role,
                         "confidence": round(float(np.mean([probabilities[i, best[i]] for i in pieces])), 4)})
        w = v
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
