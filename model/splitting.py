"""Splitting article text into sentences with character offsets.

:func:`split_sentences` cuts text into :class:`Sentence` spans whose
``start``/``end`` offsets index the *original* string, so a renderer can
highlight exactly what the model read.

Splitting is done block by block (blank-line paragraphs, then lines) because
news text puts headlines, datelines and bullets on lines of their own without
final punctuation; inside a block, the rule-based segmenter ``pysbd`` handles
abbreviations, initials, numbers and quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text and its ``[start, end)`` character offsets."""

    text: str
    start: int
    end: int


# Paragraphs are separated by blank lines; single line breaks inside a
# paragraph also end a block when the line looks like a headline or bullet
# (handled by splitting on every line break: news sources rarely hard-wrap).
_LINE_RE = re.compile(r"[^\r\n\u0085\u2028\u2029]+")
_BULLET_RE = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf]|\d+[.)])\s+")
# A segment that holds no letter or digit (stray quote, dash, ellipsis) is
# glued onto its neighbour instead of standing as a sentence.
_HAS_WORD_RE = re.compile(r"\w")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


#: pysbd slows down sharply on very long blocks; longer ones are cut into
#: windows at a sentence-like boundary (". " + capital) before segmenting.
MAX_BLOCK_CHARS = 5000
_WINDOW_CUT_RE = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]*[A-Z0-9])")


def _windows(block: str) -> list[str]:
    """``block`` cut into pieces of at most about MAX_BLOCK_CHARS, at sentence-like boundaries."""
    pieces, start = [], 0
    while len(block) - start > MAX_BLOCK_CHARS:
        cut = None
        for m in _WINDOW_CUT_RE.finditer(block, start + MAX_BLOCK_CHARS // 2, start + MAX_BLOCK_CHARS):
            cut = m.end()
        if cut is None:  # no boundary: cut at whitespace, or hard
            space = block.rfind(" ", start + MAX_BLOCK_CHARS // 2, start + MAX_BLOCK_CHARS)
            cut = space + 1 if space > start else start + MAX_BLOCK_CHARS
        pieces.append(block[start:cut])
        start = cut
    pieces.append(block[start:])
    return pieces


def _segment_block(block: str) -> list[str]:
    """pysbd segments of one block, in order, whitespace-stripped."""
    if len(block) < 2 or not re.search(r"[.!?]\W*\s", block):
        return [block]  # nothing to split: saves pysbd's cost on headlines
    return [s for piece in _windows(block) for s in (seg.strip() for seg in _segmenter().segment(piece)) if s]


def _locate(segments: list[str], block: str, offset: int) -> list[Sentence]:
    """Map segment strings back to offsets in the original text.

    pysbd with ``clean=False`` returns substrings of its input (possibly with
    whitespace trimmed); searching forward from a cursor recovers exact spans.
    A segment that cannot be found (should not happen) ends the mapping and
    the rest of the block becomes one sentence, so no text is ever lost.
    """
    out: list[Sentence] = []
    cursor = 0
    for seg in segments:
        pos = block.find(seg, cursor)
        if pos < 0:
            break
        out.append(Sentence(seg, offset + pos, offset + pos + len(seg)))
        cursor = pos + len(seg)
    rest = block[cursor:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        piece = rest.strip()
        start = offset + cursor + lead
        out.append(Sentence(piece, start, start + len(piece)))
    return out


def _merge_fragments(sentences: list[Sentence], text: str) -> list[Sentence]:
    """Glue wordless fragments (a lone closing quote, '...') to the previous sentence."""
    merged: list[Sentence] = []
    for sent in sentences:
        if merged and not _HAS_WORD_RE.search(sent.text):
            prev = merged[-1]
            merged[-1] = Sentence(text[prev.start:sent.end], prev.start, sent.end)
        else:
            merged.append(sent)
    return merged


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with offsets into ``text``.

    Every non-whitespace character of ``text`` falls inside exactly one
    returned span; spans are in order and do not overlap.
    """
    sentences: list[Sentence] = []
    for match in _LINE_RE.finditer(text):
        line = match.group()
        if not line.strip():
            continue
        start = match.start()
        bullet = _BULLET_RE.match(line)
        if bullet:  # keep the bullet marker with its sentence, split the rest
            body_start = bullet.end()
            found = _locate(_segment_block(line[body_start:]), line[body_start:], start + body_start)
            if found:
                first = found[0]
                lead = start + (len(line) - len(line.lstrip()))
                found[0] = Sentence(text[lead:first.end], lead, first.end)
            sentences.extend(found)
            continue
        sentences.extend(_locate(_segment_block(line), line, start))
    return _merge_fragments(sentences, text)


def paragraphs(text: str, sentences: list[Sentence]) -> list[int]:
    """0-based paragraph of each sentence: a line break between two sentences starts a new paragraph.

    News text puts paragraphs (and headlines) on lines of their own, so the
    gap between consecutive sentences tells where the writer broke the text.
    """
    out, current = [], 0
    for i, sent in enumerate(sentences):
        if i and _BREAK_RE.search(text, sentences[i - 1].end, sent.start):
            current += 1
        out.append(current)
    return out


_BREAK_RE = re.compile(r"[\r\n\u0085\u2028\u2029]")


# The most frequent English function words: a text where few tokens are among
# them is very likely not English (cheap, dependency-free language check).
_ENGLISH_WORDS = frozenset(
    "the of and to a in is that for it on was with as by he said at from his be are this have not an "
    "has but they were or which had its their will who been would more we i you she her after also".split()
)


def looks_english(text: str, threshold: float = 0.12) -> bool:
    """Whether at least ``threshold`` of the first 2,000 word tokens are common English words."""
    words = re.findall(r"[^\W\d_]+", text[:20000].lower())[:2000]
    if len(words) < 8:
        return True  # too short to judge
    return sum(w in _ENGLISH_WORDS for w in words) / len(words) >= threshold
