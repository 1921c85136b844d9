"""The ``html`` output format: one self-contained page (no external assets, no scripts)."""

from __future__ import annotations

import math
from functools import lru_cache

from credscore.scoring import COMPONENTS
from credscore.source_grouping import TYPE_WORDS, source_label, sources_by_sentence
from credscore.tasks import (
    ATTRIBUTION_BADGES, ATTRIBUTION_COLOURS, ATTRIBUTION_LABELS, ATTRIBUTION_PATTERNS, HEDGING_LABELS, HEDGING_MARKS,
)


def _bar_chart_svg(rows: list[tuple[str, float, str]], width: int = 420, bar_h: int = 18) -> str:
    """Inline SVG horizontal bars: (label, value in 0..1, colour)."""
    label_w, gap = 150, 6
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, colour) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = 0 if not math.isfinite(value) else max(0.0, min(1.0, value)) * (width - label_w - 50)
        parts.append(f'<text x="0" y="{y + bar_h - 5}" font-size="12">{label}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}" font-size="12">{value:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def mention_segments(sentence, sources) -> list[tuple[str, dict | None]]:
    """The sentence's text cut at its source mentions: ``(text, None)`` and ``(text, mark)`` pieces in order.

    A mark holds the mention's ``type``, ``role``, its ``label`` (text shown
    beside it, so the type is never told by colour alone) and the ``source``
    it belongs to (or ``None``).  Mentions outside the text or overlapping an
    earlier one are left unmarked; the pieces always join to the exact text.
    """
    text = sentence.text
    shift = sentence.start or 0
    owner = {(m["sentence"], m["start"]): src for src in sources for m in src.mentions}
    spans = []
    for m in sentence.sources or []:
        try:
            start, end = int(m["start"]) - shift, int(m["end"]) - shift
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            spans.append((start, end, m))
    out, pos = [], 0
    for start, end, m in sorted(spans, key=lambda t: (t[0], -t[1])):
        if start < pos:
            continue
        if start > pos:
            out.append((text[pos:start], None))
        role = m.get("role", "source")
        type_ = m.get("type", "direct_claim")
        word = TYPE_WORDS.get(type_, str(type_))
        label = ("outlet carrying the words" if type_ == "agency" else f"{word} channel") if role == "channel" \
            else f"{word} source"
        out.append((text[start:end], {"type": type_, "role": role, "label": label,
                                      "source": owner.get((sentence.index, start))}))
        pos = end
    if pos < len(text) or not out:
        out.append((text[pos:], None))
    return out


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("credscore", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report.html.j2")


def render_html(result) -> str:
    """One self-contained HTML page: the article in its paragraphs with each sentence's type marked by
    colour, underline pattern and a text badge; findings linking to their sentences; counts, charts.

    Article text is escaped by Jinja2's autoescaping; the SVG charts are built
    from numbers and fixed label names only; the page's Content-Security-Policy
    forbids scripts.
    """
    from markupsafe import Markup

    p = result.profile
    att_chart = _bar_chart_svg([(l, p.attribution_shares[l], ATTRIBUTION_COLOURS[l]) for l in ATTRIBUTION_LABELS])
    comp_chart = _bar_chart_svg([(c, p.components[c], "#546e7a") for c in COMPONENTS])
    hed_chart = _bar_chart_svg([(l, p.hedging_shares[l], c) for l, c in
                                zip(HEDGING_LABELS, ("#bbbbbb", "#E69F00", "#D55E00"))])
    paragraphs: list[list] = []
    for s in result.sentences:
        if not paragraphs or s.paragraph != paragraphs[-1][-1].paragraph:
            paragraphs.append([])
        paragraphs[-1].append(s)
    by_id = {src.id: src for src in p.sources}
    speaking = sources_by_sentence(p.sources)
    segments = {s.index: mention_segments(s, p.sources) for s in result.sentences}
    sentence_sources = {i: "; ".join(source_label(src, by_id) for src in srcs) for i, srcs in speaking.items()}
    return _template().render(
        sources=p.sources, sources_by_id=by_id, segments=segments, sentence_sources=sentence_sources,
        type_words=TYPE_WORDS, result=result, profile=p, colours=ATTRIBUTION_COLOURS, marks=HEDGING_MARKS, paragraphs=paragraphs,
        n_paragraphs=len(paragraphs), badges=ATTRIBUTION_BADGES, patterns=ATTRIBUTION_PATTERNS,
        attribution_labels=ATTRIBUTION_LABELS, hedging_labels=HEDGING_LABELS,
        att_chart=Markup(att_chart), comp_chart=Markup(comp_chart), hed_chart=Markup(hed_chart),
    )
