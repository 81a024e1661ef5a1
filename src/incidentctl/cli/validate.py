"""``incidentctl validate``: schema, cross-file and history rules."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from incidentctl.cli.main import TIMESTAMP, audited_branch, now_or


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format (default: github under GitHub Actions, else text).",
)
@click.option("--now", type=TIMESTAMP, default=None, help="Judge 'in the future' against TIME.")
@click.option(
    "--ref",
    default=None,
    help="The audited branch that history rules compare with [default: the configured "
    "branch, else the remote's HEAD branch, else main, else master; skipped if absent].",
)
@click.option("--no-history", is_flag=True, help="Skip the rules that read Git history.")
@click.option(
    "--secrets",
    is_flag=True,
    help="Also check that every secret the notification channels name is set in the environment.",
)
@click.pass_obj
def command(
    root: Path,
    paths: tuple[Path, ...],
    fmt: str | None,
    now: datetime | None,
    ref: str | None,
    no_history: bool,
    secrets: bool,
) -> int:
    """Validate incidents, RCAs and policies (every file, or PATHS with the rest as context).

    \b
    Examples:
      incidentctl validate
      incidentctl validate incidents/2026/INC-2026-0007.yaml
      incidentctl validate --format json --now 2026-12-01T09:00:00Z
      SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/X incidentctl validate --secrets
    """
    from incidentctl.load.repository import Repository
    from incidentctl.report.problems import REPORTER_BY_NAME
    from incidentctl.rules import Context, run_rules

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    workspace = Repository(root).load(list(paths) if paths else None)
    history = None if no_history else _history(root, ref)
    environ = dict(os.environ) if secrets else None
    problems = run_rules(Context(workspace, now=now_or(now), history=history, environ=environ))
    click.echo(REPORTER_BY_NAME[fmt](problems, len(workspace.targets)))
    return 1 if any(p.level == "error" for p in problems) else 0


def _history(root: Path, ref: str | None) -> Any:
    """The audited branch's replay; without an explicit --ref, its absence only skips rules."""
    from incidentctl.cli.progress import Progress
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError

    try:
        with Progress("replaying history") as progress:
            history = replay(root, ref or audited_branch(), progress=progress)
    except UsageError as error:
        if ref is not None:
            raise
        click.echo(f"incidentctl: history rules skipped: {error}", err=True)
        return None
    return history if history.head is not None else None
