"""Incident ids as people type them: ``7``, ``0007``, ``2026-7`` or ``inc-2026-0007``.

An id given in full (with its year) is only normalised; a bare number is looked up
among the known ids and must name exactly one of them. Anything else is refused with
the closest known ids, so a typo gets a "did you mean".
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from incidentctl.problems import UsageError

_FULL = re.compile(r"^(?:INC-?)?(\d{4})-0*(\d{1,9})$")
_NUMBER = re.compile(r"^(?:INC-?)?0*(\d{1,9})$")
_ID = re.compile(r"^INC-(\d{4})-(\d{4,})$")
_FILE = re.compile(r"^(INC-\d{4}-\d{4,})(?:\.rca)?\.ya?ml$")


def work_tree_ids(root: Path) -> list[str]:
    """The ids the files under incidents/ are named after (incidents and RCAs), sorted."""
    found: set[str] = set()
    for _folder, dirnames, filenames in os.walk(root / "incidents"):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.update(m.group(1) for name in filenames if (m := _FILE.match(name)))
    return sorted(found)


def suggestion(text: str, known: Iterable[str]) -> str:
    """``: did you mean X?`` for the closest known ids, or ``""``."""
    close = difflib.get_close_matches(text.strip().upper(), list(known), n=3, cutoff=0.75)
    return f": did you mean {' or '.join(close)}?" if close else ""


def resolve_id(text: str, known: Iterable[str]) -> str:
    """The full id ``text`` names; ``UsageError`` if it names none or several."""
    value = text.strip().upper()
    known = list(known)
    full = _FULL.match(value)
    if full:
        return f"INC-{full.group(1)}-{int(full.group(2)):04d}"
    number = _NUMBER.match(value)
    if number:
        wanted = int(number.group(1))
        found = [i for i in known if (m := _ID.match(i)) and int(m.group(2)) == wanted]
        if len(found) == 1:
            return found[0]
        if found:
            raise UsageError(
                f"{text!r} could be {', '.join(found)}: give the year too (e.g. {found[-1]})"
            )
        raise UsageError(
            f"no incident is numbered {wanted} under incidents/: give the full id "
            "(INC-YYYY-NNNN) or check the number"
        )
    raise UsageError(
        f"{text!r} is not an incident id such as INC-2026-0007 (or 7, 2026-7)"
        + suggestion(value, known)
    )


def unknown_on_branch(
    root: Path, incident_ids: Iterable[str], ref: str, known: Iterable[str]
) -> str:
    """Why each of ``incident_ids`` is not on ``ref``: not committed yet, or a typo."""
    known = list(known)
    here = set(work_tree_ids(root))
    reasons = []
    for incident_id in incident_ids:
        if incident_id in here:
            reasons.append(
                f"{incident_id} is in the work tree but not on {ref} yet: its SLA clocks "
                f"start when it lands there (commit it and merge it into {ref}; "
                "new and the editing commands do it with --commit or --push)"
            )
        else:
            reasons.append(
                f"unknown incident id {incident_id} on {ref}: check the id"
                + (suggestion(incident_id, known) or " (incidentctl sla lists them)")
            )
    return "; ".join(reasons)
