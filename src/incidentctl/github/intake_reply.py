"""The reply on an issue that the issue workflow could not turn into an incident.

The reporter learns why (incidentctl's own message: a field the form left unusable, no
SLA policy that applies, …) in one comment of the bot's, found again by a marker and
the bot's login, so a rerun edits it rather than adding another. The message may quote
what the issue said, so it goes in a code block no backtick in it can close, cut to a
size and stripped of control characters; mentions in a code block notify nobody.
"""

from __future__ import annotations

import re
from pathlib import Path

REPLY_MARKER = "<!-- incidentctl:intake-reply -->"
MAX_WHY = 4000  # characters of the message kept: a reason, not a log
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def read_why(path: Path | None) -> str:
    """What incidentctl said when it refused, from the file the workflow kept its
    errors in; empty when there is none (the run failed elsewhere)."""
    if path is None or path.is_symlink() or not path.is_file():
        return ""
    with path.open("rb") as stream:
        raw = stream.read(4 * MAX_WHY)
    text = _CONTROL.sub(" ", raw.decode("utf-8", errors="replace"))
    lines = [line.rstrip() for line in text.splitlines()]
    why = "\n".join(line.removeprefix("incidentctl: ") for line in lines if line.strip())
    return why if len(why) <= MAX_WHY else why[:MAX_WHY].rstrip() + " …"


def _fenced(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def reply_body(why: str, run_url: str | None) -> str:
    """The comment: the marker, what went wrong, and what the reporter can do."""
    run = f" ([the workflow run]({run_url}))" if run_url else ""
    if why:
        lines = [
            REPLY_MARKER,
            f"No incident was opened from this issue{run}: incidentctl refused it.",
            "",
            _fenced(why),
            "",
            "Editing this issue does not retry. Open a new issue with the *Report an "
            "incident* form with that fixed, or ask the incident managers to open the "
            "incident (`incidentctl new`).",
        ]
    else:
        lines = [
            REPLY_MARKER,
            f"No incident pull request was opened from this issue{run}: the workflow "
            "failed before it could (its log says why).",
            "",
            "The incident managers have to open the incident by hand (`incidentctl new`), "
            "or rerun the workflow once the cause is fixed.",
        ]
    return "\n".join(lines) + "\n"
