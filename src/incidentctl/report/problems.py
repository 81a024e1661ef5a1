"""Render validation problems as text, JSON or GitHub workflow commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from incidentctl.problems import Problem


def text(problems: Sequence[Problem], checked: int) -> str:
    lines = [p.render() for p in problems]
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        lines.append(f"{errors} error(s), {warnings} warning(s) in {checked} file(s)")
    else:
        lines.append(f"{checked} file(s) valid")
    return "\n".join(lines)


def as_json(problems: Sequence[Problem], checked: int) -> str:
    return json.dumps(
        {
            "checked": checked,
            "errors": sum(p.level == "error" for p in problems),
            "warnings": sum(p.level == "warning" for p in problems),
            "problems": [
                {
                    "path": p.path,
                    "line": p.line,
                    "col": p.col,
                    "level": p.level,
                    "rule": p.rule,
                    "message": p.message,
                }
                for p in problems
            ],
        },
        indent=2,
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(problems: Sequence[Problem], checked: int) -> str:
    """Workflow commands, so GitHub annotates the lines in the pull request's diff."""
    lines = [
        f"::{p.level} file={_escape_property(p.path)},line={p.line},col={p.col},"
        f"title={_escape_property(p.rule)}::{_escape_data(p.message)}"
        for p in problems
    ]
    lines.append(text(problems, checked).splitlines()[-1])
    return "\n".join(lines)


REPORTER_BY_NAME: dict[str, Callable[[Sequence[Problem], int], str]] = {
    "text": text,
    "json": as_json,
    "github": github,
}
