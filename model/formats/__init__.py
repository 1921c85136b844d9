"""Output formats of ``credscore score``, by name: one registry entry each.

An :class:`OutputFormat` writes a list of :class:`~credscore.results.ArticleScore`
to a text stream.  ``lines=True`` asks for one record per article (several
inputs or a folder); ``terminal=True`` says the stream is a terminal (colours
allowed).  The CLI looks formats up here; adding one (CSV, say) is one
:func:`register_format` call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from credscore.registry import Registry


@dataclass(frozen=True)
class OutputFormat:
    """A registered format: ``write(results, stream, lines=..., terminal=...)`` and its traits."""

    name: str
    write: Callable[..., None]
    description: str
    #: Whether a file holds one article only (a self-contained HTML page).
    single_article: bool = False
    #: Whether ``-o`` names a folder of shards rather than a file.
    writes_folder: bool = False


FORMATS: Registry[OutputFormat] = Registry("output format")


def register_format(fmt: OutputFormat) -> OutputFormat:
    return FORMATS.register(fmt.name, fmt)


def _json(results, stream: TextIO, *, lines: bool, terminal: bool) -> None:
    # Streamed sentence by sentence (ArticleScore.write_json): memory stays that of the results.
    if lines:
        for r in results:
            r.write_json(stream)
            stream.write("\n")
    else:
        results[0].write_json(stream, indent=2)
        stream.write("\n")


def _jsonl(results, stream: TextIO, *, lines: bool, terminal: bool) -> None:
    _json(results, stream, lines=True, terminal=terminal)


def _table(results, stream: TextIO, *, lines: bool, terminal: bool) -> None:
    from credscore.formats.table import write_table

    write_table(results, stream, terminal)


def _html(results, stream: TextIO, *, lines: bool, terminal: bool) -> None:
    from credscore.formats.html import render_html

    stream.write(render_html(results[0]))


register_format(OutputFormat("table", _table, "sentences and profile as a terminal table"))
register_format(OutputFormat("json", _json, "the JSON schema (docs/output-format.md); JSON Lines for several articles"))
register_format(OutputFormat("jsonl", _jsonl, "JSON Lines, one article per line, always"))
def _parquet(results, stream, *, lines: bool, terminal: bool) -> None:
    from credscore.formats.parquet import write_parquet

    write_parquet(results, stream, lines=lines, terminal=terminal)


register_format(OutputFormat("html", _html, "a self-contained HTML report (no scripts)", single_article=True))
register_format(OutputFormat("parquet", _parquet, "Parquet shards in the folder -o, one row per article, sentences nested",
                             writes_folder=True))
