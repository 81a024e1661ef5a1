"""What the command line prints cannot drive the terminal it is printed on.

Documents, commit metadata and tracker answers are untrusted; a YAML double-quoted
escape (``"\\e]0;title\\a"``) puts raw control characters into text that ``log``,
``sla`` or ``report`` print. Every write to stdout and stderr goes through
``EscapingStream``: control characters other than line feed and tab, and the Unicode
controls that reorder or break lines, are written as ``\\uXXXX``, a form that is also a
valid escape inside JSON strings, so JSON output stays the same data. On a terminal the
colours and line clearing that the tool itself draws (a small set of SGR codes, erase
line, and the carriage return that starts a progress line) pass.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 but tab and line feed, DEL, C1, line and paragraph separators, bidirectional
# embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What click.style and the progress counter write: bold, reset, foreground colours,
# erase to the end of the line.
_OWN = re.compile(
    r"\x1b\[(?:(?:0|1|2|22|39|3[0-7]|9[0-7])(?:;(?:0|1|2|22|39|3[0-7]|9[0-7]))*)?m|\x1b\[K"
)


def escape(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape_keeping_own(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _OWN.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


class EscapingStream:
    """A text stream that escapes control characters on their way to ``inner``."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        try:
            self._tty = bool(inner.isatty())
        except (AttributeError, ValueError):
            self._tty = False

    def write(self, text: str) -> int:
        if _CONTROL.search(text) is not None:
            if not self._tty:
                text = escape(text)
            elif text.startswith("\r"):  # the progress counter redrawn in place
                text = "\r" + _escape_keeping_own(text[1:])
            else:
                text = _escape_keeping_own(text)
        return self._inner.write(text)

    def isatty(self) -> bool:
        return self._tty

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
