"""``incidentctl new``: open the next incident from options, or prompts in a terminal."""

from __future__ import annotations

import os
import sys
import typing
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or
from incidentctl.cli.params import SEVERITY
from incidentctl.model.incident import Detection, Incident
from incidentctl.model.types import SEVERITIES


def _values(annotation: object) -> tuple[str, ...]:
    return typing.get_args(annotation)


# The vocabularies come from the model; a wrong value is refused by validating the
# document, so the message is the one ``validate`` would give.
SOURCES = _values(Detection.model_fields["source"].annotation)
CHANNELS = _values(Detection.model_fields["channel"].annotation)
ENVIRONMENTS = _values(Incident.model_fields["environment"].annotation)
# What the issue form calls each field, for a reply the reporter understands.
FORM_LABELS = {
    "--title": "title",
    "--summary": '"What is happening"',
    "--severity": '"Severity"',
    "--service": '"Services affected"',
    "--source": '"Detected by"',
    "--channel": '"Reported through"',
}


@click.command("new")
@click.option("--title", help="One line: what is broken.")
@click.option("--summary", help="What is known so far.")
@click.option("--severity", type=SEVERITY, help=f"One of {', '.join(SEVERITIES)} (any case).")
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
@click.option(
    "--from-alert",
    "alert",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An Alertmanager or Grafana webhook payload (or a repository_dispatch event "
    "carrying one): the firing alerts fill the fields; their start is impact_started_at.",
)
@click.option(
    "--from-issue",
    "issue",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A GitHub issues event of an issue opened with the incident issue form.",
)
@click.option(
    "--commit",
    is_flag=True,
    help="Commit the new file alone, with Incident, Incident-Status and Incident-Severity "
    "trailers: the commit opens the SLA clocks.",
)
@click.option(
    "--push",
    is_flag=True,
    help="Commit, then push HEAD to --ref on --remote (rebased and retried if it moved).",
)
@click.option("--remote", default="origin", show_default=True, help="Where --push goes.")
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
    alert: Path | None,
    issue: Path | None,
    commit: bool,
    push: bool,
    remote: str,
) -> int:
    """Scaffold incidents/YYYY/INC-YYYY-NNNN.yaml with the next free id; print its path.

    The incident must pass validate (an SLA policy must apply to it) or nothing is
    written; on a terminal, an incident no policy applies to can be written anyway.

    \b
    Examples:
      incidentctl new --title "Checkout fails" --summary "Card payments time out." \\
        --severity sev2 --service payments --source customer --channel hotline --commit
      incidentctl new --push        # in a terminal: asks for each field
      incidentctl new --from-alert alertmanager.json --push
    """
    from incidentctl.edit import gitops
    from incidentctl.history.git import Git
    from incidentctl.problems import UsageError
    from incidentctl.scaffold import IncidentFields, scaffold_incident, write_scaffold

    git = Git(root)
    if git.top_level() is None:
        raise UsageError(
            f"{root} is not in a Git repository: incidents live in one (Git is their audit "
            "trail); run the command in a clone, or start one with incidentctl init"
        )
    intake = _intake(alert, issue)
    # what the command line says wins over what the payload says
    title = title or intake.title
    summary = summary or intake.summary
    severity = severity or intake.severity
    services = services or intake.services
    source = source or intake.source
    channel = channel or intake.channel
    customer = customer or intake.customer
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
    if missing and issue is not None:
        unusable = [FORM_LABELS[flag] for flag in missing]
        raise UsageError(
            f"the issue gives no usable {', '.join(unusable)}: fill "
            f"{'it' if len(unusable) == 1 else 'them'} in with one of the form's answers"
        )
    if missing and not sys.stdin.isatty():
        raise UsageError(
            f"missing {', '.join(missing)}: give them as options, or run in a terminal "
            "to be asked for them"
        )
    fields = IncidentFields(
        title=title or str(click.prompt("Title")),
        summary=summary or str(click.prompt("Summary")),
        severity=severity
        or str(click.prompt(f"Severity ({', '.join(SEVERITIES)})", type=SEVERITY)),
        services=services or _ask_services(),
        source=source or _ask("Detected by (source)", SOURCES),
        channel=channel or _ask("Reported through (channel)", CHANNELS),
        customer=customer or None,
        environment=environment,
        impact_started_at=intake.impact_started_at,
        links=intake.links,
        note=intake.note,
    )
    when = now_or(now)
    history = _history(root, ref)
    used = list(history.incidents) if history is not None else []
    scaffold = scaffold_incident(root, fields, when, used)
    _check(root, scaffold, when, history)
    commit = commit or push
    if commit:
        gitops.check_can_commit(git, scaffold.path)  # before anything is written
    write_scaffold(root, scaffold)
    click.echo(_shown(scaffold.path))
    if not commit:
        click.echo(
            f"incidentctl: {scaffold.path.stem} is not committed yet: its SLA clocks start "
            f"when it lands on {ref} (commit it, or use --commit next time)",
            err=True,
        )
        return 0
    severity = fields.severity
    message = gitops.commit_message(
        scaffold.path.stem, f"opened ({severity})", fields.title, "open", severity
    )
    sha = gitops.commit_file(git, scaffold.path, message)
    click.echo(f"committed {sha[:12]} {message.splitlines()[0]}")
    if push:
        from incidentctl.cli.incident import push_checked

        push_checked(root, scaffold.path, remote, ref, when)
    return 0


def _check(root: Path, scaffold: Any, now: datetime, history: Any) -> None:
    """Refuse what validate would reject; on a terminal, offer to write an incident no
    policy applies to anyway (it is reported, and the policy can follow)."""
    from incidentctl.edit.commands import EditRefused, check_text
    from incidentctl.load.repository import Repository

    workspace = Repository(root).load([])  # the policies and calendars, no incident
    shown = scaffold.path.relative_to(root).as_posix()
    problems = check_text(workspace, shown, scaffold.text, now=now, history=history)
    errors = [p for p in problems if p.level == "error"]
    if not errors:
        return
    listed = "\n".join(f"  {p.rule}: {p.message}" for p in errors)
    only_policy = all(p.rule == "sla-policy-match" for p in errors)
    if only_policy and sys.stdin.isatty() and sys.stdout.isatty():
        click.echo(f"{listed}", err=True)
        if click.confirm("Write it anyway (validate will report it)?", default=False):
            return
    raise EditRefused(f"the incident would not be valid, nothing was written:\n{listed}")


def _intake(alert: Path | None, issue: Path | None) -> Any:
    from incidentctl.intake import Intake, from_alert, from_issue, read_payload
    from incidentctl.problems import UsageError

    if alert is not None and issue is not None:
        raise UsageError("--from-alert and --from-issue: give one of them")
    if alert is not None:
        return from_alert(read_payload(alert))
    if issue is not None:
        return from_issue(read_payload(issue))
    return Intake()


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


def _history(root: Path, ref: str) -> Any:
    """The audited branch's replay: ids it ever had (deleted ones too) are not reused, and
    the history rules see it. None when the branch has no commit yet."""
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError

    try:
        history = replay(root, ref)
    except UsageError:
        return None  # no such branch yet: the files alone decide
    return history if history.head is not None else None
