"""The ``table`` output format: sentences with colour-coded labels, then the profile panel (rich)."""

from __future__ import annotations

from typing import TextIO

from credscore.source_grouping import TYPE_WORDS, source_label, sources_by_sentence
from credscore.tasks import ATTRIBUTION_COLOURS, ATTRIBUTION_LABELS
from credscore.terminal_text import inert, one_line

_SEVERITY_STYLE = {"positive": "green", "info": "cyan", "warning": "yellow"}


def render_table(result, console) -> None:
    """Print sentences with colour-coded labels, then the profile panel (rich).

    Article text and names are untrusted: they go in as ``Text`` (never read as
    markup) after :func:`~credscore.terminal_text.inert` (no control characters).
    """
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(one_line(result.name or "article")), show_lines=False, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("sentence", ratio=1)
    table.add_column("attribution", no_wrap=True)
    table.add_column("hedging", no_wrap=True)
    sources = result.profile.sources
    by_id = {src.id: src for src in sources}
    speaking = sources_by_sentence(sources)
    if sources:
        table.add_column("source", ratio=None, max_width=32)
    for s in result.sentences:
        att, hed = s.attribution, s.hedging
        colour = ATTRIBUTION_COLOURS[att.label]
        cells = [str(s.number), Text(inert(s.text)),
                 Text(f"{att.label} {att.confidence:.2f}", style=colour),
                 Text(f"{hed.label} {hed.confidence:.2f}",
                      style="bold red" if hed.label == "high" else "yellow" if hed.label == "low" else "dim")]
        if sources:
            cells.append(Text("; ".join(one_line(source_label(src, by_id)) for src in speaking.get(s.index, []))))
        table.add_row(*cells)
    console.print(table)
    p = result.profile
    lines = Text()
    lines.append(f"Reliability {p.reliability:.0f}/100", style="bold")
    lines.append(f"   ({p.n_sentences} sentences, {p.attributed_claims:.1f} attributed claims)\n\n")
    for label in ATTRIBUTION_LABELS:
        share = p.attribution_shares[label]
        lines.append(f"{label:<19}", style=ATTRIBUTION_COLOURS[label])
        lines.append("█" * round(share * 30) + f" {share:.0%}\n")
    lines.append(f"\nhedging density {p.hedging_density:.0%}  (low {p.hedging_shares['low']:.0%}, "
                 f"high {p.hedging_shares['high']:.0%})\n")
    lines.append("components: " + ", ".join(f"{k} {v:.2f}" for k, v in p.components.items()) + "\n\n")
    for f in p.explanations:
        lines.append("• " + one_line(f.message) + "\n", style=_SEVERITY_STYLE.get(f.severity, ""))
    for w in result.warnings:
        lines.append(f"warning: {one_line(w)}\n", style="yellow")
    console.print(Panel(lines, title="reliability profile", expand=True))
    if sources:
        console.print(sources_table(result))


def sources_table(result):
    """The sources panel: who vouches, of what type, for how many sentences, through which outlet."""
    from rich.table import Table
    from rich.text import Text

    by_id = {src.id: src for src in result.profile.sources}
    table = Table(title="sources (who said it)", expand=True)
    for name, kw in (("source", {"ratio": 1}), ("type", {"no_wrap": True}), ("claims", {"justify": "right"}),
                     ("share", {"justify": "right"}), ("hedged", {"justify": "right"}), ("sentences", {"ratio": 1}),
                     ("via", {})):
        table.add_column(name, **kw)
    for src in result.profile.sources:
        refs = ", ".join(f"#{i + 1}" for i in src.sentences)
        if src.channel_for:
            refs += ("; " if refs else "") + "carried " + ", ".join(f"#{i + 1}" for i in src.channel_for)
        table.add_row(Text(one_line(src.name)), Text(TYPE_WORDS.get(src.type, src.type),
                                                     style=ATTRIBUTION_COLOURS.get(src.type, "")),
                      str(src.claims), f"{src.share_of_claims:.0%}",
                      f"{len(src.hedged)}" + (f" ({src.hedged_share:.0%})" if src.hedged else ""), refs,
                      Text(one_line(", ".join(by_id[v].name for v in src.via if v in by_id))))
    return table


def write_table(results, stream: TextIO, terminal: bool) -> None:
    """Every result's table and profile panel to ``stream`` (colours only on a terminal; 120 columns in a file)."""
    from rich.console import Console

    console = (Console(file=stream, emoji=False) if terminal
               else Console(file=stream, width=120, force_terminal=False, emoji=False))
    for r in results:
        render_table(r, console)
