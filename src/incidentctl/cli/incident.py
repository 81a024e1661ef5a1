"""The commands that work an incident: ``ack``, ``mitigate``, ``wait``, ``resume``,
``resolve``, ``close``, ``reopen``, ``cancel``, ``severity``, ``update``, ``assign`` and
``defect add``.

Each changes one incident file in place, touching only the lines of what it changes
(comments and layout elsewhere stay byte for byte), after checking the status move and
validating the result; ``--commit`` commits the file with trailers, ``--push`` pushes
it to the audited branch. ``--now`` dates what is written; the SLA counts commits, so
it is also the commit's author date where the policy's clock is ``authored``, and a
note on stderr where it is ``landed`` (see ``edit.timing``). Exit 1 when the edit is
refused (nothing is written), 2 for an unknown id or a repository that cannot take the
commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or
from incidentctl.cli.params import INCIDENT_ID, SEVERITY

F = Callable[..., Any]
# Warnings about history an edit cannot change; printing them on every edit buries news.
PAST_WARNINGS = frozenset({"clamped-commit"})


def editing(function: F) -> F:
    """The options every editing command shares."""
    options = [
        click.option(
            "--now",
            type=TIMESTAMP,
            default=None,
            help="The time of the change [default: now]. The SLA counts commits, not --now: "
            "under a policy with clock: landed, the time the commit lands on --branch (a "
            "note on stderr says so); with clock: authored, the commit's author date, which "
            "--commit sets to --now.",
        ),
        click.option(
            "--commit",
            is_flag=True,
            help="Commit the file alone, with Incident, Incident-Status and Incident-Severity "
            "trailers.",
        ),
        click.option(
            "--push",
            is_flag=True,
            help="Commit, then push HEAD to --branch on --remote (rebased and retried if the "
            "branch moved).",
        ),
        click.option("--remote", default="origin", show_default=True, help="Where --push goes."),
        branch_option(
            "--branch",
            help="The audited branch: the edit is checked against its history, and --push "
            "updates it [default: the configured branch, else the remote's HEAD branch, "
            "else main, else master].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def run(root: Path, incident_id: str, operation: Any, **options: Any) -> int:
    """Edit, then commit and push as asked; print what was done."""
    from incidentctl.edit import commands
    from incidentctl.fsutil import Busy, folder_lock
    from incidentctl.problems import UsageError

    now: datetime = now_or(options["now"])
    push: bool = options["push"]
    commit: bool = options["commit"] or push
    path = commands.find_incident(root, incident_id)
    try:
        with folder_lock(path.parent):
            # Read, checked, written and committed under the lock: a concurrent edit of
            # the same incident waits, then edits what this one wrote.
            committed = _edit(root, path, operation, now, commit, options)
    except Busy:
        raise UsageError(
            f"{incident_id}: another edit of {path.parent.name}/ has been running for a "
            "minute; nothing was written: try again when it is done"
        ) from None
    if committed and push:  # after the lock: a push can take long
        push_checked(root, path, options["remote"], options["branch"], now)
    return 0


def _edit(
    root: Path, path: Path, operation: Any, now: datetime, commit: bool, options: Any
) -> bool:
    """Plan, write and (with ``commit``) commit one edit; whether a commit was made."""
    from incidentctl.edit import commands, gitops, timing
    from incidentctl.history.git import Git

    git = Git(root)
    if commit:
        gitops.check_can_commit(git, path)  # before anything is written
    history = commands.audited_history(root, options["branch"])
    planned = commands.plan_edit(root, path, operation, now=now, history=history)
    for problem in planned.warnings:
        if problem.rule in PAST_WARNINGS:
            continue  # about commits already on the branch: validate and audit say it
        click.echo(problem.render(), err=True)
    if not planned.changed:
        click.echo(
            f"{planned.incident_id}: nothing to change ({planned.status}, {planned.severity})"
        )
        return False
    policy, notice = None, None
    if options["now"] is not None:
        policy = timing.policy_of_edit(root, planned, history)
        notice = timing.now_notice(
            planned.incident_id, policy, now, commit=commit, branch=options["branch"]
        )
    commands.write_edit(planned)
    if notice is not None:  # once the change is written: it is about this change
        click.echo(notice, err=True)
    click.echo(f"{planned.display}: {planned.incident_id} {planned.action.subject}")
    if not commit:
        return False
    message = gitops.commit_message(
        planned.incident_id,
        planned.action.subject,
        planned.action.body,
        planned.status,
        planned.severity,
    )
    sha = gitops.commit_file(git, path, message, author_date=timing.author_date(policy, now))
    click.echo(f"committed {sha[:12]} {message.splitlines()[0]}")
    return True


def push_checked(root: Path, path: Path, remote: str, branch: str, now: datetime) -> None:
    """Push HEAD to ``branch``; after each rebase the file must still be valid there."""
    from incidentctl.edit import commands, gitops
    from incidentctl.history.git import Git

    git = Git(root)

    def verify() -> None:
        # after a rebase: the file as merged, against the branch as it is on the remote
        rebased = commands.audited_history(root, f"refs/remotes/{remote}/{branch}")
        why = (
            f"after rebasing onto {branch} of {remote}, the incident is not valid; your "
            f"commit is kept and nothing was pushed: fix the file, commit, then git push "
            f"{remote} HEAD:{branch}"
        )
        commands.check_file(root, path, now=now, history=rebased, why=why)

    pushed = gitops.push(git, remote, branch, gitops.tracked_path(git, path), verify=verify)
    after = f" (rebased {pushed.rebases} time(s) onto {branch})" if pushed.rebases else ""
    click.echo(f"pushed {pushed.sha[:12]} to {remote} {branch}{after}")


@click.command("ack")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--commander", metavar="HANDLE", help="The incident commander (roles.commander).")
@editing
@click.pass_obj
def ack(root: Path, /, incident_id: str, commander: str | None, **options: Any) -> int:
    """Acknowledge incident ID (a SEV1/SEV2 needs a commander).

    \b
    Examples:
      incidentctl ack 7 --commander @oncall-alice --commit
      incidentctl ack inc-2026-0007 --now "10 minutes ago" --push
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.ack(commander), **options)


@click.command("mitigate")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option(
    "--workaround",
    metavar="TEXT",
    help="The workaround in place (required unless the incident already describes one).",
)
@editing
@click.pass_obj
def mitigate(root: Path, /, incident_id: str, workaround: str | None, **options: Any) -> int:
    """Mark incident ID mitigated: a workaround is in place.

    \b
    Examples:
      incidentctl mitigate 7 --workaround "Traffic moved to the standby region." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.mitigate(workaround), **options)


@click.command("wait")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--reason", required=True, metavar="TEXT", help="Who or what it waits on.")
@editing
@click.pass_obj
def wait(root: Path, /, incident_id: str, reason: str, **options: Any) -> int:
    """Incident ID waits on the customer or a third party (clocks pause).

    \b
    Examples:
      incidentctl wait 7 --reason "Waiting for the customer's gateway logs." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.wait(reason), **options)


@click.command("resume")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@editing
@click.pass_obj
def resume(root: Path, /, incident_id: str, **options: Any) -> int:
    """End the wait of incident ID: mitigated if it has a workaround, else acknowledged.

    \b
    Examples:
      incidentctl resume 7 --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.resume(), **options)


@click.command("resolve")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--summary", required=True, metavar="TEXT", help="How it was resolved.")
@click.option(
    "--kind", type=click.Choice(["fixed", "workaround"]), default="fixed", show_default=True
)
@editing
@click.pass_obj
def resolve(root: Path, /, incident_id: str, summary: str, kind: str, **options: Any) -> int:
    """Resolve incident ID.

    \b
    Examples:
      incidentctl resolve 7 --summary "Connection pool resized; payments flow again." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.resolve(summary, kind), **options)


@click.command("close")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@editing
@click.pass_obj
def close(root: Path, /, incident_id: str, **options: Any) -> int:
    """Close resolved incident ID: the customer validated the fix.

    \b
    Examples:
      incidentctl close 7 --push
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.close(), **options)


@click.command("reopen")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--reason", required=True, metavar="TEXT", help="Why the resolution did not hold.")
@editing
@click.pass_obj
def reopen(root: Path, /, incident_id: str, reason: str, **options: Any) -> int:
    """Reopen resolved incident ID (its resolution is removed; history keeps it).

    \b
    Examples:
      incidentctl reopen 7 --reason "Timeouts are back since 14:00." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.reopen(reason), **options)


@click.command("cancel")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--kind", type=click.Choice(["duplicate", "false-alarm"]), required=True)
@click.option(
    "--duplicate-of", metavar="ID", type=INCIDENT_ID, help="The incident this one duplicates."
)
@click.option("--summary", metavar="TEXT", help="Why it is cancelled [default: from --kind].")
@editing
@click.pass_obj
def cancel(
    root: Path,
    /,
    incident_id: str,
    kind: str,
    duplicate_of: str | None,
    summary: str | None,
    **options: Any,
) -> int:
    """Cancel incident ID as a duplicate or a false alarm.

    \b
    Examples:
      incidentctl cancel 8 --kind duplicate --duplicate-of 7 --commit
      incidentctl cancel 8 --kind false-alarm --summary "A probe misfired." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.cancel(kind, duplicate_of, summary), **options)


@click.command("severity")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.argument("level", metavar="SEVERITY", type=SEVERITY)
@click.option("--reason", required=True, metavar="TEXT", help="Why the severity changes.")
@editing
@click.pass_obj
def severity(root: Path, /, incident_id: str, level: str, reason: str, **options: Any) -> int:
    """Change the severity of incident ID.

    \b
    Examples:
      incidentctl severity 7 sev1 --reason "Every card payment fails now." --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.severity(level, reason), **options)


@click.command("update")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.argument("text")
@click.option(
    "--audience",
    type=click.Choice(["customer", "internal"]),
    default="customer",
    show_default=True,
    help="Customer updates count for the update SLAs.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Also push, then send the customer update to the channels that carry customer "
    "updates (the customer's contacts by email), once.",
)
@editing
@click.pass_obj
def update(
    root: Path, /, incident_id: str, text: str, audience: str, send: bool, **options: Any
) -> int:
    """Add an update to the communication log of incident ID.

    \b
    Examples:
      incidentctl update 7 "We are investigating failed card payments." --commit
      incidentctl update 7 "Gateway restarted." --audience internal --commit
      incidentctl update 7 "Payments work again." --send
    """
    from incidentctl.edit import commands
    from incidentctl.problems import UsageError

    if send:
        if audience != "customer":
            raise UsageError(
                "--send sends customer updates: internal updates are never sent to customers; "
                "leave --send out"
            )
        options["push"] = True  # the pushed commit is the record the ledger and CI share
    code = run(root, incident_id, commands.update(text, audience), **options)
    if send and code == 0:
        code = send_update(root, incident_id, options["remote"], options["branch"], options["now"])
    return code


def send_update(root: Path, incident_id: str, remote: str, branch: str, now: Any) -> int:
    """Deliver the customer updates the pushed commit brought, through the ledger on
    ``remote``: the push workflow's ``notify`` then finds them sent."""
    import os

    from incidentctl.history.git import Git
    from incidentctl.notify.ledger import new_run_id
    from incidentctl.notify.session import Notifier, preflight
    from incidentctl.report.problems import REPORTER_BY_NAME

    environ = dict(os.environ)
    notifier = Notifier(root, branch, environ, remote, new_run_id(),
                        repo=environ.get("GITHUB_REPOSITORY", ""))  # fmt: skip
    problems = preflight(notifier.workspace, environ)
    if problems:
        click.echo(REPORTER_BY_NAME["text"](problems, len(problems)).rstrip(), err=True)
        click.echo("incidentctl: the update is pushed but was not sent: fix the notification "
                   "setup, then run incidentctl notify", err=True)  # fmt: skip
        return 2
    tracking = f"refs/remotes/{remote}/{branch}"
    head = Git(root).run("rev-parse", "--verify", tracking).stdout.decode().strip()
    outcomes, _ = notifier.once(now_or(now), tracking, [head], only=incident_id)
    for outcome in outcomes:
        click.echo(outcome.render())
    if not outcomes:
        click.echo("nothing to send (already sent, or no channel carries customer updates)")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


@click.command("assign")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.argument("handles", metavar="HANDLE...", nargs=-1, required=True)
@editing
@click.pass_obj
def assign(root: Path, /, incident_id: str, handles: tuple[str, ...], **options: Any) -> int:
    """Add assignees to incident ID (handles already assigned are skipped).

    \b
    Examples:
      incidentctl assign 7 @bob @carol --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.assign(handles), **options)


@click.group("defect")
def defect() -> None:
    """Product defects of an incident.

    \b
    Examples:
      incidentctl defect add 7 --title "Pool too small" --service payments --commit
    """


@defect.command("add")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@click.option("--title", required=True, help="What is wrong in the product.")
@click.option("--service", required=True, help="The service whose code or config is at fault.")
@click.option("--key", help="A stable key, unique in the incident [default: from the title].")
@click.option("--fix", type=click.Choice(["hotfix", "next-release"]), default=None)
@editing
@click.pass_obj
def defect_add(
    root: Path,
    /,
    incident_id: str,
    title: str,
    service: str,
    key: str | None,
    fix: str | None,
    **options: Any,
) -> int:
    """Record a product defect on incident ID.

    \b
    Examples:
      incidentctl defect add 7 --title "Pool too small under load" --service payments \\
        --fix hotfix --commit
    """
    from incidentctl.edit import commands

    return run(root, incident_id, commands.add_defect(title, service, key, fix), **options)
