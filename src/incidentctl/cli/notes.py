"""Warnings on stderr about the history a command read."""

from __future__ import annotations

import click

from incidentctl.history.model import History, Stamp


def warn_unloadable(history: History) -> None:
    """Name each version in history that did not load, once, with its commit.

    Such a version is skipped (the document's last good state stands); a commit that
    broke a file and the next that fixed it must not stop anything from working.
    """
    found: list[tuple[Stamp, str]] = list(history.problems)
    for timeline in history.incidents.values():
        if timeline.has_problems():  # a cached timeline is not decoded to say it has none
            found.extend(timeline.problems)
    seen: set[tuple[str, str]] = set()
    for stamp, message in sorted(found, key=lambda item: item[0].seq):
        where = (stamp.sha, message.partition(":")[0])
        if where in seen:
            continue
        seen.add(where)
        click.echo(
            f"incidentctl: warning: commit {stamp.sha[:12]}: {message} "
            "(this version does not load and is skipped)",
            err=True,
        )
