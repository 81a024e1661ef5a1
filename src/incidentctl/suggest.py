""" "Did you mean": the closest of the allowed words to what was typed, if one is close."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_DIGITS = re.compile(r"\d")


def closest(typed: str, allowed: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The allowed word ``typed`` most likely meant: same word in another case, or a
    close spelling. A word that differs only in its digits (``SEV5``, ``SEV4``) is another
    word, not a typo, and is not suggested."""
    words = list(allowed)
    for word in words:
        if word.casefold() == typed.casefold():
            return word
    for word in difflib.get_close_matches(typed, words, n=3, cutoff=cutoff):
        if _DIGITS.sub("", word) != _DIGITS.sub("", typed):
            return word
    return None


def did_you_mean(typed: str, allowed: Iterable[str]) -> str:
    """``: did you mean X?`` or ``""``."""
    word = closest(typed, allowed)
    return f": did you mean {word}?" if word else ""
