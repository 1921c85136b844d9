"""The ``html`` output format: one self-contained page (no external assets, no scripts)."""

from __future__ import annotations

import math
from functools import lru_cache

from credscore.scoring import COMPONENTS
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
    return _template().render(
        result=result, profile=p, colours=ATTRIBUTION_COLOURS, marks=HEDGING_MARKS, paragraphs=paragraphs,
        n_paragraphs=len(paragraphs), badges=ATTRIBUTION_BADGES, patterns=ATTRIBUTION_PATTERNS,
        attribution_labels=ATTRIBUTION_LABELS, hedging_labels=HEDGING_LABELS,
        att_chart=Markup(att_chart), comp_chart=Markup(comp_chart), hed_chart=Markup(hed_chart),
    )
