"""Reading articles from paths, folders or stdin, with clear errors.

HTML pages are converted to text with a real HTML parser (selectolax) when
asked (``html=True``) or detected, never scored as raw markup.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from credscore.errors import InputError

TEXT_SUFFIXES = (".txt", ".text", ".md", ".html", ".htm")
_HTML_RE = re.compile(r"^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)
_TAG_RE = re.compile(r"</?(p|div|span|a|br|h[1-6]|li|ul|table|script|style)\b[^>]*>", re.IGNORECASE)
_BLOCK_TAGS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, figcaption, pre, td"


class DecodingFallbackWarning(UserWarning):
    """Input was not valid UTF-8 and was decoded with a fallback codec."""


#: Magic numbers of common binary formats users feed by mistake.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG", b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"GIF8", b"\xff\xd8\xff",
    b"BZh", b"\x7fELF", b"\xd0\xcf\x11\xe0", b"7z\xbc\xaf", b"Rar!",
)


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Decode ``data`` to text.

    UTF-8 (with or without BOM) first; UTF-16/32 when a BOM says so; cp1252
    with a warning otherwise.  Raises :class:`InputError` for binary data or
    bytes that no supported codec decodes.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16") from None
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(
            f"{name}: is neither UTF-8 nor cp1252 text; re-save it as UTF-8"
        ) from None
    warnings.warn(f"{name}: not valid UTF-8, decoded as cp1252", DecodingFallbackWarning, stacklevel=2)
    return text


@dataclass
class Article:
    """One input article: where it came from and its decoded text."""

    name: str
    text: str


def looks_like_html(text: str) -> bool:
    """True for a whole HTML page or text dominated by markup tags."""
    if _HTML_RE.match(text):
        return True
    tags = len(_TAG_RE.findall(text[:20000]))
    return tags >= 5 and tags > len(text[:20000].split()) / 10


def html_to_text(html: str) -> str:
    """Visible article text of an HTML page: one block element per paragraph."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    for node in tree.css("script, style, noscript, nav, header, footer, aside, form, svg, template"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    # Innermost blocks only, so no text appears twice (a node's css() includes itself).
    blocks = [" ".join(n.text().split()) for n in root.css(_BLOCK_TAGS) if len(n.css(_BLOCK_TAGS)) == 1]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [" ".join(root.text(separator=" ").split())]
    title = tree.css_first("title")
    if title and title.text().strip() and (not blocks or title.text().strip() not in blocks[0]):
        blocks.insert(0, " ".join(title.text().split()))
    return "\n\n".join(blocks)


def _prepare(name: str, data: bytes, html: bool | None) -> Article:
    if not data:
        raise InputError(f"{name}: is empty")
    return prepare_text(decode_bytes(data, name), name, html)


def prepare_text(text: str, name: str, html: bool | None = None) -> Article:
    """An :class:`Article` from already decoded text: HTML reduced to its article text, blank input refused."""
    if not text.strip():
        raise InputError(f"{name}: holds only whitespace")
    if html or (html is None and looks_like_html(text)):
        text = html_to_text(text)
        if not text.strip():
            raise InputError(f"{name}: HTML page without article text")
    return Article(name, text)


def read_articles(paths: list[str], html: bool | None = None) -> list[Article]:
    """Articles from files, folders (their text/HTML files, sorted) or ``-`` (stdin).

    ``html``: True to always extract text from HTML, False never, None to detect.
    """
    if not paths:
        raise InputError("no input given: pass a file, a folder or - for stdin")
    articles = []
    for raw in paths:
        if raw == "-":
            articles.append(_prepare("<stdin>", sys.stdin.buffer.read(), html))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not files:
                raise InputError(f"{path}: folder holds no text files ({', '.join(TEXT_SUFFIXES)})")
            articles += [_prepare(str(p), _read(p), html) for p in files]
        else:
            articles.append(_prepare(str(path), _read(path), html))
    return articles


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
