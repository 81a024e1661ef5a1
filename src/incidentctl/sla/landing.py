"""A pull request's landing: the range it is given as, and the merge it would make now.

What the landing is made of is data here; ``history.merge`` makes it in Git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from incidentctl.problems import UsageError

_RANGE = re.compile(r"^(?P<base>[^.]+(?:\.[^.]+)*)?\.\.\.(?P<head>.*)$")


@dataclass(frozen=True)
class Range:
    """``BASE...HEAD`` as written (either side may be left out: ``HEAD``)."""

    base: str
    head: str

    @classmethod
    def parse(cls, text: str) -> Range:
        match = _RANGE.match(text.strip())
        if match is None:
            raise UsageError(
                f"--diff {text!r}: write the pull request as BASE...HEAD, "
                "for example origin/main...HEAD"
            )
        base, head = match.group("base") or "HEAD", match.group("head") or "HEAD"
        for side in (base, head):
            if side.startswith("-"):
                raise UsageError(f"--diff {text!r}: {side!r} is not a Git revision")
        return cls(base, head)

    def __str__(self) -> str:
        return f"{self.base}...{self.head}"


@dataclass(frozen=True)
class Landing:
    """Where a pull request stands against its base, and its simulated merge.

    ``merge`` is the simulated merge commit, None when the two sides conflict
    (``conflicts`` names the conflicting files). ``changed`` lists the document files
    (``.yaml``/``.yml`` under the document folders) that differ between the merge
    base and the head: what the pull request touches.
    """

    range: Range
    base: str
    head: str
    merge_base: str
    at: datetime
    merge: str | None
    fast_forward: bool
    changed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = field(default_factory=tuple)
