"""Output records of batch scoring: one flat dict per article, scored or not.

A scored article is ``{"id", <input fields but text>, "error": None,
**ArticleScore.to_dict()}``; one that could not be scored is ``{"id",
<input fields>, "error": "<one-line reason>"}``.  JSON Lines rows are these
dicts; Parquet rows follow them (``credscore.formats.parquet``).
"""

from __future__ import annotations

#: Fields of the output record that an input field may not reuse.
RESERVED_FIELDS = ("error", "schema_version", "model", "input", "sentences", "profile", "warnings")


def result_record(article_id: str, result, fields: dict) -> dict:
    """The record of a scored article (``result`` is an :class:`~credscore.results.ArticleScore`)."""
    return {"id": article_id, **fields, "error": None, **result.to_dict()}


def error_record(article_id: str, reason: str, fields: dict) -> dict:
    """The record of an article that could not be scored: its id, its fields and a one-line reason."""
    return {"id": article_id, **fields, "error": " ".join(str(reason).split())}
