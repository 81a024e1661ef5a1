"""``incidentctl init``: the files of a new incident repository, rendered from templates.

The templates live beside this module. The workflows are the ones this project runs on
its own example data (``.github/workflows/incidents-*.yml`` are rendered from them, and
a test keeps the two equal), so a new repository gets the same pinned actions and the
same permissions. Only ``@BRANCH@``, ``@INSTALL@``, ``@TIMEZONE@``, ``@OWNER@``,
``@REPOSITORY@`` and ``@FIRST_RELEASE@`` are replaced, each by a value checked first:
what goes into a workflow's script must not be able to do anything but name itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentctl import __version__
from incidentctl.fsutil import atomic_write
from incidentctl.problems import UsageError
from incidentctl.schemas import schema_files

WORKFLOWS = (
    "incidents-pr.yml",
    "incidents-comment.yml",
    "incidents-watch.yml",
    "incidents-defects.yml",
    "incidents-dashboard.yml",
    "incidents-issue.yml",
    "incidents-alert.yml",
)
# template -> where it goes in the new repository
_FILES = {
    "incidentctl.yaml": "incidentctl.yaml",
    "standard.yaml": "policies/sla/standard.yaml",
    "business-hours.yaml": "policies/calendars/business-hours.yaml",
    "defects.yaml": "policies/defects.yaml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "CODEOWNERS": ".github/CODEOWNERS",
    "issue-form.yml": ".github/ISSUE_TEMPLATE/incident.yml",
    **{f"workflows/{name}": f".github/workflows/{name}" for name in WORKFLOWS},
}
_BRANCH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
# A pip requirement or URL that a shell reads as one plain word: no quotes, spaces,
# $, `, ;, |, &, <, >, globs or comments.
_INSTALL = re.compile(r"^[A-Za-z0-9_.:/@+=~,-]+$")
_OWNER = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True, slots=True)
class Starter:
    """What a new repository is made of; ``today`` dates the first release train."""

    today: date
    branch: str = "main"
    timezone: str = "UTC"
    owner: str = "@incident-managers"
    repository: str = "example-org/product"
    install: str = f"incidentctl=={__version__}"


def template(name: str) -> str:
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


def render(text: str, values: dict[str, str]) -> str:
    for token, value in values.items():
        text = text.replace(f"@{token}@", value)
    return text


def workflow(name: str, branch: str, install: str) -> str:
    """One workflow as a repository audited on ``branch`` runs it, installing ``install``."""
    return render(template(f"workflows/{name}"), {"BRANCH": branch, "INSTALL": install})


def _check(starter: Starter) -> None:
    checks = (
        (_BRANCH, starter.branch, "--branch", "a branch name such as main"),
        (_INSTALL, starter.install, "--install", "a pip requirement such as incidentctl==1.0"),
        (_OWNER, starter.owner, "--owner", "a handle such as @alice or @org/team"),
        (_REPOSITORY, starter.repository, "--repo", "owner/repo"),
    )
    for pattern, value, flag, what in checks:
        if not pattern.match(value) or value.startswith("-"):
            raise UsageError(f"{flag} {value!r} is not {what}")
    try:
        ZoneInfo(starter.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {starter.timezone!r} is not an IANA time zone such as Europe/Berlin"
        ) from None


def starter_files(starter: Starter) -> dict[str, str]:
    """Every file of the new repository, by path relative to its root."""
    _check(starter)
    first_tuesday = starter.today + timedelta(days=(1 - starter.today.weekday()) % 7)
    values = {
        "BRANCH": starter.branch,
        "INSTALL": starter.install,
        "TIMEZONE": starter.timezone,
        "OWNER": starter.owner,
        "REPOSITORY": starter.repository,
        "FIRST_RELEASE": first_tuesday.isoformat(),
    }
    files = {path: render(template(name), values) for name, path in _FILES.items()}
    files.update({f"schemas/{name}": text for name, text in schema_files().items()})
    files["incidents/.gitkeep"] = ""
    return dict(sorted(files.items()))


def existing(root: Path, files: dict[str, str]) -> list[str]:
    """The paths among ``files`` that are already there (never overwritten)."""
    return [path for path in files if (root / path).exists() or (root / path).is_symlink()]


def write_files(root: Path, files: dict[str, str]) -> list[str]:
    """Create every file (exclusively); ``UsageError`` before writing anything if one exists."""
    taken = existing(root, files)
    if taken:
        raise UsageError(
            f"{root}: {', '.join(taken)} already exist(s); init never overwrites: "
            "choose an empty folder, or move them away"
        )
    written: list[str] = []
    for path, text in files.items():
        try:
            atomic_write(root / path, text, exclusive=True)
        except FileExistsError:
            raise UsageError(
                f"{path} appeared while init was writing; nothing overwritten"
            ) from None
        except OSError as error:
            raise UsageError(f"{path}: cannot write it: {error.strerror or error}") from None
        written.append(path)
    return written
