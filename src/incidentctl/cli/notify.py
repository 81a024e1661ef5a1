"""``incidentctl notify``: deliver incident events and SLA thresholds, once per channel."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or, settings


@click.command("notify")
@click.option(
    "--range",
    "span",
    default=None,
    metavar="BEFORE..AFTER",
    help="Deliver the events of these commits (a push), as well as the thresholds due.",
)
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="Judge as of TIME (default: now)."
)
@click.option(
    "--remote", default=None, help="Keep the delivery ledger on this remote too (CI: origin)."
)
@click.option(
    "--follow", is_flag=True, help="Stay up: deliver each threshold as it falls, until SIGTERM."
)
@click.option(
    "--for",
    "stay",
    default=None,
    metavar="DURATION",
    help="Stay up at most DURATION (e.g. 20m) for the thresholds due; without --follow, stop "
    "early when the branch moves (a newer push's run takes over).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and record nothing.")
@click.pass_obj
def command(
    root: Path,
    span: str | None,
    ref: str,
    as_of: datetime | None,
    remote: str | None,
    follow: bool,
    stay: str | None,
    dry_run: bool,
) -> int:
    """Notify Slack, email, PagerDuty and webhooks of incident events, exactly once each.

    \b
    Examples:
      incidentctl notify --dry-run
      incidentctl notify --range HEAD~1..HEAD --remote origin --for 20m
      incidentctl notify --follow --remote origin
    """
    from incidentctl.model.types import Duration
    from incidentctl.notify.follow import follow as follow_loop
    from incidentctl.notify.ledger import new_run_id
    from incidentctl.notify.session import Notifier, first_parent, preflight
    from incidentctl.problems import UsageError
    from incidentctl.report.problems import REPORTER_BY_NAME

    environ = dict(os.environ)
    notifier = Notifier(
        root,
        ref,
        environ,
        remote,
        new_run_id(),
        repo=environ.get("GITHUB_REPOSITORY") or settings().github_repository or "",
        server_url=environ.get("GITHUB_SERVER_URL", "https://github.com"),
    )
    problems = preflight(notifier.workspace, None if dry_run else environ)
    if problems:
        click.echo(REPORTER_BY_NAME["text"](problems, len(problems)).rstrip(), err=True)
        click.echo("incidentctl: nothing was sent: fix the notification setup first", err=True)
        return 2
    limit: timedelta | None = None
    if stay is not None:
        try:
            limit = Duration.parse(stay).delta
        except ValueError as error:
            raise UsageError(f"--for {stay!r}: {error}") from None
    failed = False

    def report(outcomes: list[object]) -> None:
        nonlocal failed
        for outcome in outcomes:
            click.echo(outcome.render())  # type: ignore[attr-defined]
            failed = failed or getattr(outcome, "status", "") == "failed"

    staying = (follow or limit is not None) and not dry_run
    stop = threading.Event()
    if staying:
        # Installed before the first pass: a SIGTERM lets the delivery under way finish
        # and be recorded, then the run stops. Nothing is lost, nothing is sent twice.
        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    now = now_or(as_of)
    ref_for_range = ref
    commits = None
    if span is not None:
        ref_for_range, commits = first_parent(notifier.git, span)
    outcomes, _ = notifier.once(now, ref_for_range, commits, dry_run)
    report(list(outcomes))
    if not outcomes:
        click.echo("nothing to send")
    if staying and not stop.is_set():
        until = None if limit is None else now_or(None) + limit

        started = notifier.head or ""

        def tick(instant: datetime) -> timedelta | None:
            if not follow and notifier.superseded(started):
                # A newer push started its own run, which stays up in turn.
                click.echo("superseded by a newer push: its run takes over")
                stop.set()
                return None
            found, soonest = notifier.follow_tick(instant)
            report(list(found))
            return soonest

        click.echo("following: deliveries as thresholds fall (SIGTERM stops)")
        follow_loop(tick, lambda: now_or(None), stop.wait, until=until, poll=_poll(environ))
    if staying:
        click.echo("stopped: every delivery made is recorded")
    return 1 if failed else 0


def _poll(environ: dict[str, str]) -> timedelta:
    """How long a run that stays up waits at most between passes (new commits, a newer
    push): ``INCIDENTCTL_NOTIFY_POLL`` seconds, 30 by default."""
    from incidentctl.notify.follow import POLL

    try:
        seconds = float(environ.get("INCIDENTCTL_NOTIFY_POLL", ""))
    except ValueError:
        return POLL
    return timedelta(seconds=seconds) if 0 < seconds <= POLL.total_seconds() else POLL
