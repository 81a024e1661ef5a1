"""``incidentctl new``: open the next incident from options, or prompts in a terminal."""

from __future__ import annotations

import os
import sys
import typing
from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or
from incidentctl.model.incident import Detection, Incident
from incidentctl.model.types import SEVERITIES


def _values(annotation: object) -> tuple[str, ...]:
    return typing.get_args(annotation)


# The vocabularies come from the model; a wrong value is refused by validating the
# document, so the message is the one ``validate`` would give.
SOURCES = _values(Detection.model_fields["source"].annotation)
CHANNELS = _values(Detection.model_fields["channel"].annotation)
ENVIRONMENTS = _values(Incident.model_fields["environment"].annotation)


@click.command("new")
@click.option("--title", help="One line: what is broken.")
@click.option("--summary", help="What is known so far.")
@click.option("--severity", help=f"One of {', '.join(SEVERITIES)}.")
@click.option("--customer", help="The customer affected; selects the contract's SLA policy.")
@click.option("--service", "services", multiple=True, help="An affected service (repeatable).")
@click.option("--source", help=f"Who detected it: {', '.join(SOURCES)}.")
@click.option("--channel", help=f"How the report reached us: {', '.join(CHANNELS)}.")
@click.option(
    "--environment",
    help=f"{' or '.join(ENVIRONMENTS)} (default: production, or non-production for NONPROD).",
)
@click.option(
    "--now",
    type=TIMESTAMP,
    default=None,
    help="When it was reported (default: now); its year is the id's year.",
)
@branch_option(
    "--ref", help="The audited branch: ids it ever had, deleted ones too, are not reused."
)
@click.pass_obj
def command(
    root: Path,
    title: str | None,
    summary: str | None,
    severity: str | None,
    customer: str | None,
    services: tuple[str, ...],
    source: str | None,
    channel: str | None,
    environment: str | None,
    now: datetime | None,
    ref: str,
) -> int:
    """Scaffold incidents/YYYY/INC-YYYY-NNNN.yaml with the next free id; print its path."""
    from incidentctl.problems import UsageError
    from incidentctl.scaffold import IncidentFields, scaffold_incident, write_scaffold

    missing = [
        flag
        for flag, value in (
            ("--title", title),
            ("--summary", summary),
            ("--severity", severity),
            ("--service", services),
            ("--source", source),
            ("--channel", channel),
        )
        if not value
    ]
    if missing and not sys.stdin.isatty():
        raise UsageError(
            f"missing {', '.join(missing)}: give them as options, or run in a terminal "
            "to be asked for them"
        )
    fields = IncidentFields(
        title=title or str(click.prompt("Title")),
        summary=summary or str(click.prompt("Summary")),
        severity=severity or _ask("Severity", SEVERITIES),
        services=services or _ask_services(),
        source=source or _ask("Detected by (source)", SOURCES),
        channel=channel or _ask("Reported through (channel)", CHANNELS),
        customer=customer or None,
        environment=environment,
    )
    scaffold = scaffold_incident(root, fields, now_or(now), _ids_in_history(root, ref))
    write_scaffold(root, scaffold)
    click.echo(_shown(scaffold.path))
    return 0


def _ask(text: str, values: tuple[str, ...]) -> str:
    return str(click.prompt(text, type=click.Choice(values)))


def _ask_services() -> tuple[str, ...]:
    while True:
        answer = str(click.prompt("Services affected (comma-separated)"))
        services = tuple(s.strip() for s in answer.split(",") if s.strip())
        if services:
            return services


def _shown(path: Path) -> str:
    """The path as the shell that ran the command can use it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def _ids_in_history(root: Path, ref: str) -> list[str]:
    """Every incident id the audited branch ever had (deleted ones too), if there is one."""
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError

    try:
        return list(replay(root, ref).incidents)
    except UsageError:
        return []  # not a Git repository, or no such branch yet: the files alone decide
