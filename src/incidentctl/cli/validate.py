"""``incidentctl validate``: schema, cross-file and (later) history rules."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, now_or


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
    help="Output format (default: github under GitHub Actions, else text).",
)
@click.option("--now", type=TIMESTAMP, default=None, help="Judge 'in the future' against TIME.")
@click.pass_obj
def command(root: Path, paths: tuple[Path, ...], fmt: str | None, now: datetime | None) -> int:
    """Validate incidents, RCAs and policies (every file, or PATHS with the rest as context)."""
    from incidentctl.load.repository import Repository
    from incidentctl.report.problems import REPORTER_BY_NAME
    from incidentctl.rules import Context, run_rules

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    workspace = Repository(root).load(list(paths) if paths else None)
    problems = run_rules(Context(workspace, now=now_or(now)))
    click.echo(REPORTER_BY_NAME[fmt](problems, len(workspace.targets)))
    return 1 if any(p.level == "error" for p in problems) else 0
