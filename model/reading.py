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


class DecodingFallbackWarning(UserWarning):
    """Input was not valid UTF-8 and was decoded with a fallback codec."""


#: Magic numbers of common binary formats users feed by mistake.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG", b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"GIF8", b"\xff\xd8\xff",
    b"BZh", b"\x7fELF", b"\xd0\xcf\x11\xe0", b"7z\xbc\xaf", b"Rar!",
)


def _invalid_utf8(data: bytes) -> tuple[str, int, int]:
    """(text decoded as UTF-8 with U+FFFD replacements, invalid sequences, valid non-ASCII characters)."""
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return text, bad, non_ascii


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Decode ``data`` to text.

    UTF-8 (with or without BOM) first; UTF-16 when a BOM says so.  Bytes that
    are not valid UTF-8: when the rest of the file does hold UTF-8 characters
    (at least as many as bad sequences), a few stray bytes are replaced with
    U+FFFD and a warning counts them; otherwise the file is clearly in
    another encoding and is decoded as cp1252, with a warning.  Raises
    :class:`InputError` for binary data or bytes that no supported codec decodes.
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
    text, bad, utf8_chars = _invalid_utf8(data)
    if utf8_chars >= bad:
        warnings.warn(f"{name}: {bad} invalid UTF-8 byte sequence(s) replaced with U+FFFD",
                      DecodingFallbackWarning, stacklevel=2)
        return text
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


#: Elements whose content is not article text (their whole subtree is skipped).
_SKIP_TAGS = frozenset("script style noscript nav header footer aside form svg template head iframe object "
                       "button select textarea".split())
#: Elements that start and end a paragraph of their own.
_BREAK_TAGS = frozenset("address article blockquote br caption dd details dialog div dl dt fieldset figcaption figure "
                        "h1 h2 h3 h4 h5 h6 hr li main ol p pre section summary table tbody td tfoot th thead tr ul"
                        .split())


#: Deeper nesting than this is read by :func:`_flat_html_to_text`: the HTML parser's tree
#: construction is quadratic in depth (0.5 s at 20,000 levels), a linear scan is not.
MAX_HTML_DEPTH = 2000
_TAG_SCAN_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
# Void elements never nest; these are usually left unclosed and closed implicitly by the parser.
_NO_DEPTH = frozenset("area base br col embed hr img input link meta source track wbr p li dt dd tr td th option"
                      .split())


def html_nesting_depth(html: str) -> int:
    """An upper estimate of the element nesting depth of ``html`` (one linear regex scan)."""
    depth = deepest = 0
    for m in _TAG_SCAN_RE.finditer(html):
        if m[2].lower() in _NO_DEPTH or m[3]:
            continue
        depth = max(0, depth - 1) if m[1] else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _flat_html_to_text(html: str) -> str:
    """Text of pathologically deep HTML in linear time: skipped elements dropped, block tags as paragraph breaks."""
    import html as entities

    skip = re.compile(r"<(" + "|".join(sorted(_SKIP_TAGS)) + r")\b[^>]*>", re.IGNORECASE)
    kept, pos = [], 0
    while (m := skip.search(html, pos)) is not None:  # each skipped element once: linear
        kept.append(html[pos:m.start()])
        close = re.compile(rf"</{m[1]}\s*>", re.IGNORECASE).search(html, m.end())
        if close is None:  # unclosed: it runs to the end, as in a browser
            pos = len(html)
            break
        pos = close.end()
    html = " ".join(kept) + " " + html[pos:]
    breaks = "|".join(sorted(_BREAK_TAGS))
    html = re.sub(rf"</?(?:{breaks})\b[^>]*>", "\n\n", html, flags=re.IGNORECASE)
    html = re.sub(r"<[^>]*>", "", html)
    blocks = (" ".join(entities.unescape(b).split()) for b in html.split("\n\n"))
    return "\n\n".join(b for b in blocks if b)


def html_to_text(html: str) -> str:
    """Visible article text of an HTML page in reading order, one paragraph per block element.

    Every text node outside skipped elements (scripts, navigation, footers,
    forms, ``hidden`` ones) is kept, also text directly inside a ``div`` or
    ``li`` next to nested blocks.  One iterative walk over the tree: time is
    linear in the number of nodes whatever the nesting depth (no recursion).
    """
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    if html_nesting_depth(html) > MAX_HTML_DEPTH:
        return _flat_html_to_text(html)
    tree = HTMLParser(html)
    root = tree.body or tree.root
    blocks: list[str] = []
    pieces: list[str] = []

    def flush() -> None:
        text = " ".join("".join(pieces).split())
        if text:
            blocks.append(text)
        pieces.clear()

    node, depth = (root.child if root is not None else None), 1
    while node is not None:
        tag = node.tag
        descend = False
        if tag == "-text":
            pieces.append(node.text_content or "")
        elif not tag.startswith("-") and tag not in _SKIP_TAGS and "hidden" not in node.attributes:
            if tag in _BREAK_TAGS:
                flush()
            descend = node.child is not None
        if descend:
            node, depth = node.child, depth + 1
            continue
        if tag in _BREAK_TAGS:
            flush()
        while node.next is None:  # climb to the next sibling of an ancestor, closing blocks on the way
            node, depth = node.parent, depth - 1
            if depth == 0 or node is None:
                node = None
                break
            if node.tag in _BREAK_TAGS:
                flush()
        else:
            node = node.next
    flush()
    title = tree.css_first("title")
    heading = " ".join(title.text().split()) if title is not None else ""
    if heading and (not blocks or heading not in blocks[0]):
        blocks.insert(0, heading)
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


def read_articles(paths: list[str], html: bool | None = None, max_bytes: int | None = None) -> list[Article]:
    """Articles from files, folders (their text/HTML files, sorted) or ``-`` (stdin).

    ``html``: True to always extract text from HTML, False never, None to detect.
    ``max_bytes``: the size limit per article (default :func:`credscore.bounded_read.max_input_bytes`);
    only regular files are read (a FIFO or device is refused, never waited on).
    """
    from credscore.bounded_read import max_input_bytes, read_stream

    if not paths:
        raise InputError("no input given: pass a file, a folder or - for stdin")
    limit = max_bytes if max_bytes is not None else max_input_bytes()
    articles = []
    for raw in paths:
        if raw == "-":
            articles.append(_prepare("<stdin>", read_stream(sys.stdin.buffer, limit), html))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not files:
                raise InputError(f"{path}: folder holds no text files ({', '.join(TEXT_SUFFIXES)})")
            articles += [_prepare(str(p), _read(p, limit), html) for p in files]
        else:
            articles.append(_prepare(str(path), _read(path, limit), html))
    return articles


def _read(path: Path, limit: int) -> bytes:
    from credscore.bounded_read import read_regular_file

    return read_regular_file(path, limit)
