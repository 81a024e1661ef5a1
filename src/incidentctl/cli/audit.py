"""``incidentctl audit``: the integrity of the audited branch's history."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or, settings
from incidentctl.cli.progress import Progress
from incidentctl.github.comment import DEFAULT_BOT_LOGIN


class DurationType(click.ParamType):  # type: ignore[type-arg]
    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from pydantic_core import PydanticCustomError

        from incidentctl.model.types import Duration

        if isinstance(value, timedelta):
            return value
        try:
            return Duration.parse(str(value)).delta
        except PydanticCustomError as error:
            self.fail(str(error))


@click.command("audit")
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="Audit as of TIME (default: now)."
)
@click.option(
    "--require-signed", is_flag=True, help="Every commit that changed documents is signed."
)
@click.option(
    "--require-merges", is_flag=True, help="Incident changes land through merge commits of PRs."
)
@click.option(
    "--max-declared-gap",
    type=DurationType(),
    default="24h",
    show_default=True,
    help="Warn on declared times farther than this from the commit that brought them.",
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Record the head and its SLA figures in FILE, for a later --since-checkpoint.",
)
@click.option(
    "--since-checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Say whether history was rewritten since the checkpoint in FILE, and what changed.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def command(
    root: Path,
    ref: str,
    as_of: datetime | None,
    require_signed: bool,
    require_merges: bool,
    max_declared_gap: timedelta,
    checkpoint: Path | None,
    since_checkpoint: Path | None,
    fmt: str,
) -> int:
    """Integrity of the history: backdated commits, edits of closed incidents, reused ids,
    illegal moves, declared times, policy changes that would re-grade, and more.

    Exit 1 when a finding is an error.

    \b
    Examples:
      incidentctl audit
      incidentctl audit --require-signed --require-merges
      incidentctl audit --checkpoint audit-checkpoint.json
      incidentctl audit --since-checkpoint audit-checkpoint.json
    """
    from dataclasses import replace

    from incidentctl.audit import checkpoint as checkpoints
    from incidentctl.audit.findings import Options
    from incidentctl.audit.run import run_audit
    from incidentctl.cli.notes import warn_unloadable
    from incidentctl.history.git import Git
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError
    from incidentctl.report.audit import RENDERER_BY_NAME

    now = now_or(as_of).replace(microsecond=0)  # whole seconds, as recorded and shown
    since = checkpoints.load(since_checkpoint) if since_checkpoint is not None else None
    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    warn_unloadable(history)
    bot = settings().bot_login or DEFAULT_BOT_LOGIN
    options = Options(require_signed, require_merges, max_declared_gap, bot_login=bot)
    report = run_audit(history, Git(root), now, options, since)
    if checkpoint is not None:
        try:
            checkpoints.save(checkpoint, checkpoints.record(history, now))
        except OSError as error:
            raise UsageError(
                f"--checkpoint {checkpoint}: cannot write it: {error.strerror or error}"
            ) from None
        report = replace(report, checkpoint_written=str(checkpoint))
    color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(RENDERER_BY_NAME[fmt](report, color))
    return 1 if report.failed else 0
