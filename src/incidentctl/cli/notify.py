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
    help="With or without --follow: stay up at most DURATION (e.g. 30m).",
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
    """Notify Slack, email, PagerDuty and webhooks of incident events, exactly once each."""
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
    problems = preflight(notifier.workspace, environ)
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

    now = now_or(as_of)
    ref_for_range = ref
    commits = None
    if span is not None:
        ref_for_range, commits = first_parent(notifier.git, span)
    outcomes, _ = notifier.once(now, ref_for_range, commits, dry_run)
    report(list(outcomes))
    if not outcomes:
        click.echo("nothing to send")
    if (follow or limit is not None) and not dry_run:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()  # the pass under way finishes and records what it sent

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        until = None if limit is None else now_or(None) + limit

        def tick(instant: datetime) -> timedelta | None:
            found, soonest = notifier.follow_tick(instant)
            report(list(found))
            return soonest

        click.echo("following: deliveries as thresholds fall (SIGTERM stops)")
        follow_loop(tick, lambda: now_or(None), stop.wait, until=until)
        click.echo("stopped: every delivery made is recorded")
    return 1 if failed else 0
