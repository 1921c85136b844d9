"""Untrusted text (article sentences, file names, messages quoting them) made inert for a terminal.

Article text and file names come from outside.  Printed as rich markup,
``[/]`` crashes the printer and ``[sic]`` vanishes; printed raw, escape
sequences (``ESC ]0;...BEL`` window titles, ``ESC [2J``, OSC-8 links) and
bidirectional overrides act on the user's terminal.  :func:`inert` makes
such text safe to show: control and format characters become visible
escapes (``\\x1b``), lone surrogates ``\\ud800``.  Callers print the result
as plain text (``rich.text.Text`` or a console with ``markup=False``), never
as markup.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, zero-width and bidirectional
# format characters, line/paragraph separators, and lone surrogates (not encodable).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_UNSAFE_LINE = re.compile("[\t\n]|" + _UNSAFE.pattern)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object) -> str:
    """``text`` with every control/format character shown as an escape (tabs and newlines kept)."""
    return _UNSAFE.sub(_escape, str(text))


def one_line(text: object) -> str:
    """:func:`inert`, and tabs and newlines escaped too: a message that stays on one line."""
    return _UNSAFE_LINE.sub(_escape, str(text))


# What json.dumps(ensure_ascii=False) leaves raw although a terminal may act on it:
# DEL, C1 controls (0x9b is an 8-bit CSI), bidirectional and line-separator characters.
_JSON_RAW_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def json_inert(encoded: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` with those characters written as ``\\uXXXX``.

    They can only occur inside string literals, so the JSON decodes to the same values.
    """
    return _JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def inert_console(**kwargs):
    """A rich ``Console`` that reads no markup, emoji codes or highlighting, and makes printed strings inert.

    Rich objects (``Text``, tables, panels) pass unchanged: build them from inert strings.
    """
    from rich.console import Console

    class _InertConsole(Console):
        def print(self, *objects, **kw):  # noqa: A003 (rich's name)
            super().print(*(one_line(o) if isinstance(o, str) else o for o in objects), **kw)

    return _InertConsole(markup=False, emoji=False, highlight=False, **kwargs)
