"""The sticky pull-request comment: one per pull request, edited in place.

The pull-request workflow runs with a read-only token (it may build fork code), so it
only writes an artifact: ``comment.md`` (the body) and ``pr-number``. A second
workflow, on ``workflow_run``, holds a write token and posts the body. The artifact
is untrusted input made by code from the fork: its number must be a plain positive
integer, consistent with the run's ``pull_requests`` when GitHub lists them (it does
not for forks), and the pull request it names must come from the run's head
repository; its body is only ever text, read up to a size cap.

The comment is found again by a hidden marker *and* the bot's login, so that a
comment by anyone else quoting the marker is never taken over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from incidentctl.problems import UsageError
from incidentctl.trackers import Comment

STICKY_MARKER = "<!-- incidentctl:sla-comment -->"
DEFAULT_BOT_LOGIN = "github-actions[bot]"
# GitHub refuses a comment body of more than 65 536 characters.
MAX_BODY = 65_536
# A comment cannot hold more than MAX_BODY characters, so reading far more is pointless;
# four bytes per character is the most UTF-8 needs.
MAX_ARTIFACT_BYTES = 4 * MAX_BODY + 4
BODY_FILE = "comment.md"
NUMBER_FILE = "pr-number"
_NUMBER_RE = re.compile(r"^[1-9][0-9]{0,9}$")
_PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True, slots=True)
class Artifact:
    pr_number: int
    body: str
    cut: bool  # comment.md was longer than MAX_ARTIFACT_BYTES


def read_artifact(folder: Path) -> Artifact:
    """The pull request's number and comment body from the downloaded artifact."""
    if not folder.is_dir():
        raise UsageError(
            f"{folder}: no such folder: download the pull-request workflow's artifact "
            "there first (actions/download-artifact)"
        )
    raw_number, _ = _read_regular(folder / NUMBER_FILE, 32)
    number = raw_number.decode("ascii", errors="replace").strip()
    if not _NUMBER_RE.match(number):
        raise UsageError(
            f"{folder / NUMBER_FILE}: {number[:20]!r} is not a pull request number "
            "(a positive integer): the artifact is not one the pull-request workflow wrote"
        )
    raw_body, cut = _read_regular(folder / BODY_FILE, MAX_ARTIFACT_BYTES)
    body = raw_body.decode("utf-8", errors="replace").removeprefix("\ufeff").replace("\x00", "")
    return Artifact(int(number), body, cut)


def _read_regular(path: Path, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of a regular file, and whether there was more."""
    if path.is_symlink() or not path.is_file():
        raise UsageError(
            f"{path}: missing, or not a regular file: the artifact must hold "
            f"{BODY_FILE} and {NUMBER_FILE} as plain files"
        )
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    return data[:limit], len(data) > limit


def load_event(path: Path) -> dict[str, Any]:
    """The webhook payload of the ``workflow_run`` event that started this job."""
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read the event ({error.strerror})") from None
    except ValueError as error:
        raise UsageError(f"{path}: not a JSON event payload ({error})") from None
    if not isinstance(event, dict) or not isinstance(event.get("workflow_run"), dict):
        raise UsageError(
            f"{path}: not a workflow_run event: run `github comment` from a workflow "
            "triggered by `on: workflow_run` (or leave out --event)"
        )
    return event


def pull_request_number(artifact: Artifact, event: Mapping[str, Any] | None) -> int:
    """The number to comment on: the artifact's, checked against the event when it can be.

    GitHub lists the run's pull requests only when the head branch is in the same
    repository; for a fork the list is empty and the artifact's number stands.
    """
    if event is None:
        return artifact.pr_number
    run = event["workflow_run"]
    trigger = run.get("event")
    if trigger is not None and trigger not in _PR_EVENTS:
        raise UsageError(
            f"the workflow run was triggered by {trigger!r}, not a pull request: there is "
            "no pull request to comment on (run this job only for pull_request runs)"
        )
    listed = run.get("pull_requests") or []
    numbers = [p.get("number") for p in listed if isinstance(p, dict)]
    if numbers and artifact.pr_number not in numbers:
        shown = ", ".join(f"#{n}" for n in numbers)
        raise UsageError(
            f"the artifact names pull request #{artifact.pr_number} but the workflow run "
            f"belongs to {shown}: refusing to comment on another pull request"
        )
    return artifact.pr_number


def same_head(number: int, event: Mapping[str, Any], head_sha: str, head_repo: str | None) -> bool:
    """Whether pull request ``number``, as GitHub tells it now, is the run's pull request.

    Its head repository must be the run's: otherwise the artifact (written by code the
    run checked out, perhaps a fork's) names someone else's pull request, and posting
    is refused. A head commit other than the run's means the pull request moved on
    since: False, and the run of the newer commit posts the comment.
    """
    run = event["workflow_run"]
    head = run.get("head_repository")
    run_repo = head.get("full_name") if isinstance(head, dict) else None
    if not isinstance(run_repo, str) or head_repo is None or head_repo != run_repo:
        raise UsageError(
            f"the artifact names pull request #{number}, whose head is in "
            f"{head_repo or 'a deleted repository'}, but the workflow run built "
            f"{run_repo or 'an unknown repository'}: refusing to comment on another pull "
            "request"
        )
    return bool(head_sha == run.get("head_sha"))


def repository(
    explicit: str | None, env: Mapping[str, str], event: Mapping[str, Any] | None
) -> str:
    """``--repo``, else ``GITHUB_REPOSITORY``, else the event's (base) repository.

    Never the run's ``head_repository``: for a fork that is the fork, and the comment
    belongs on the pull request in the base repository.
    """
    if explicit:
        return explicit
    if env.get("GITHUB_REPOSITORY"):
        return env["GITHUB_REPOSITORY"]
    base = (event or {}).get("repository") or {}
    name = base.get("full_name") if isinstance(base, dict) else None
    if isinstance(name, str) and name:
        return name
    raise UsageError("which repository? pass --repo owner/repo (or set GITHUB_REPOSITORY)")


def summary_url(event: Mapping[str, Any] | None) -> str | None:
    """The page of the pull-request workflow's run, whose job summary has the full text."""
    run = (event or {}).get("workflow_run") or {}
    url = run.get("html_url") if isinstance(run, dict) else None
    return url if isinstance(url, str) and re.match(r"^https?://\S+$", url) else None


def length(text: str) -> int:
    """Characters as GitHub may count them: UTF-16 code units, never fewer than code points."""
    return len(text.encode("utf-16-le")) // 2


def sticky_body(body: str, summary: str | None = None, *, limit: int = MAX_BODY) -> str:
    """The comment: the marker, then the body, cut to fit ``limit`` with a note saying so."""
    text = body.replace(STICKY_MARKER, "").strip("\n")
    head = f"{STICKY_MARKER}\n"
    if length(head + text) <= limit:
        return head + text
    where = f"[job summary]({summary})" if summary else "job summary"
    note = (
        "\n\n---\n"
        f"*This comment was cut to stay under GitHub's limit of {MAX_BODY:,} characters: "
        f"the full text is in the {where} of the pull request's workflow run.*"
    )
    room = limit - length(head) - length(note) - len("\n```")
    kept = _cut(text, room)
    if kept.count("```") % 2:
        kept += "\n```"  # close a code block the cut left open
    return head + kept + note


def _cut(text: str, room: int) -> str:
    """The longest prefix within ``room`` UTF-16 units, ending at a line if one is near."""
    kept = text[: max(room, 0)]
    while length(kept) > room:
        kept = kept[: -max(1, (length(kept) - room) // 2)]
    newline = kept.rfind("\n")
    if newline > 0 and newline >= len(kept) - 2000:
        kept = kept[:newline]
    return kept.rstrip()


def find_sticky(
    comments: Sequence[Comment], bot_login: str, marker: str = STICKY_MARKER
) -> Comment | None:
    """The oldest comment by ``bot_login`` carrying ``marker``; others' are ignored."""
    return next(
        (c for c in comments if c.author == bot_login and marker in c.body),
        None,
    )


@dataclass(frozen=True, slots=True)
class StickyPlan:
    action: Literal["create", "update", "unchanged"]
    body: str
    comment: Comment | None  # the comment to edit, for "update" and "unchanged"


def plan_sticky(
    comments: Sequence[Comment], body: str, bot_login: str, marker: str = STICKY_MARKER
) -> StickyPlan:
    found = find_sticky(comments, bot_login, marker)
    if found is None:
        return StickyPlan("create", body, None)
    if found.body.strip() == body.strip():
        return StickyPlan("unchanged", body, found)
    return StickyPlan("update", body, found)
