"""``incidentctl sla``: the SLA state of each incident and metric, from history."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, now_or
from incidentctl.cli.progress import Progress

FAIL_ON = {"at_risk": {"at_risk", "breached"}, "breached": {"breached"}}


@click.command("sla")
@click.argument("ids", nargs=-1)
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="Judge as of TIME (default: now)."
)
@click.option("--ref", default="main", show_default=True, help="The audited branch or ref.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_ON)),
    default=None,
    help="Exit 1 when a metric is at risk (at_risk: also breached) or breached now.",
)
@click.pass_obj
def command(
    root: Path,
    ids: tuple[str, ...],
    as_of: datetime | None,
    ref: str,
    fmt: str,
    fail_on: str | None,
) -> int:
    """SLA state per incident and metric, as of --at on --ref."""
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError
    from incidentctl.report.sla import RENDERER_BY_NAME
    from incidentctl.sla.engine import evaluate

    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    unknown = [i for i in ids if i not in history.incidents]
    if unknown:
        raise UsageError(f"unknown incident id(s) on {ref}: {', '.join(unknown)}")
    board = evaluate(history, now_or(as_of), ids or None)
    color = fmt == "table" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(RENDERER_BY_NAME[fmt](board, color))
    if fail_on is not None:
        failing = FAIL_ON[fail_on]
        if any(m.state in failing for i in board.incidents for m in i.metrics):
            return 1
    return 0
