"""``incidentctl sla``: the SLA state of each incident and metric, from history."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidentctl.cli.main import (
    BRANCH_HELP,
    TIMESTAMP,
    audited_branch,
    display_zone,
    now_or,
    wants_colour,
)
from incidentctl.cli.params import INCIDENT_ID
from incidentctl.cli.progress import Progress
from incidentctl.when import shown as shown_at

if TYPE_CHECKING:
    from incidentctl.history.model import History
    from incidentctl.sla.engine import Board

FAIL_ON = {"at_risk": {"at_risk", "breached"}, "breached": {"breached"}}


@click.command("sla")
@click.argument("ids", nargs=-1, type=INCIDENT_ID)
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="Judge as of TIME (default: now)."
)
@click.option("--ref", default=None, help=BRANCH_HELP)
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
@click.option(
    "--diff",
    "pull",
    metavar="BASE...HEAD",
    default=None,
    help="What merging HEAD into BASE now does to the SLAs of the incidents it touches.",
)
@click.option(
    "--artifact",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --diff: also write the pull request comment to DIR/comment.md.",
)
@click.option(
    "--pr-number",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="With --artifact: the pull request's number, written to DIR/pr-number.",
)
@click.pass_obj
def command(
    root: Path,
    ids: tuple[str, ...],
    as_of: datetime | None,
    ref: str | None,
    fmt: str,
    fail_on: str | None,
    pull: str | None,
    artifact: Path | None,
    pr_number: int | None,
) -> int:
    """SLA state per incident and metric, as of --at on --ref.

    With --diff BASE...HEAD: for each incident a pull request touches, its SLA state on
    BASE and if the pull request were merged now, with validation problems of the
    changed files.

    \b
    Examples:
      incidentctl sla
      incidentctl sla 7 --at "yesterday 17:00"
      incidentctl sla --format json --fail-on breached
      incidentctl sla --diff origin/main...HEAD
    """
    from incidentctl.cli.notes import warn_unloadable
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError
    from incidentctl.report.sla import RENDERER_BY_NAME
    from incidentctl.sla.engine import evaluate

    if pull is not None:
        if ids or ref is not None:
            raise UsageError("--diff compares BASE...HEAD: give no incident ids and no --ref")
        return _diff(root, pull, now_or(as_of), fmt, fail_on, artifact, pr_number)
    if artifact is not None or pr_number is not None:
        raise UsageError("--artifact and --pr-number go with --diff BASE...HEAD")
    ref = ref or audited_branch()
    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    warn_unloadable(history)
    unknown = [i for i in ids if i not in history.incidents]
    if unknown:
        from incidentctl.ids import unknown_on_branch

        raise UsageError(unknown_on_branch(root, unknown, ref, history.incidents))
    when = now_or(as_of)
    if fmt == "json":
        board, text = _json_board(root, history, when, ids)
        click.echo(text)
    else:
        board = evaluate(history, when, ids or None)
        color = fmt == "table" and wants_colour(os.environ, sys.stdout.isatty())
        click.echo(RENDERER_BY_NAME[fmt](board, color, display_zone()))
    shown = {incident.id for incident in board.incidents}
    for incident_id in dict.fromkeys(ids):
        if incident_id not in shown:
            click.echo(
                f"incidentctl: {incident_id}: nothing to judge on {ref} as of "
                f"{shown_at(when, display_zone())}: its file did not exist yet or has never "
                f"loaded (incidentctl log {incident_id} shows its history)",
                err=True,
            )
    if fail_on is not None:
        failing = FAIL_ON[fail_on]
        if any(m.state in failing for i in board.incidents for m in i.metrics):
            return 1
    return 0


def _json_board(
    root: Path, history: History, as_of: datetime, ids: tuple[str, ...]
) -> tuple[Board, str]:
    """The JSON board, reusing the figures of incidents judged before (``sla.settled``)."""
    import json
    from dataclasses import replace

    from incidentctl.history.cache import fingerprint
    from incidentctl.history.git import Git
    from incidentctl.report.sla import board_dict, incident_dict
    from incidentctl.sla.engine import evaluate
    from incidentctl.sla.settled import SOURCES, SettledResults

    folder = Git(root).open(history.ref).git_dir / "incidentctl" if history.head else None
    settled = SettledResults.load(folder, fingerprint(SOURCES))
    known = settled.reusable(history, as_of)
    if ids:
        known = {key: value for key, value in known.items() if key in ids}
    board = evaluate(history, as_of, ids or None, skip=known.keys())
    texts = dict(known)
    for incident in board.incidents:
        # Compact: with indent, json.dumps uses its pure-Python encoder (~10x slower).
        texts[incident.id] = text = json.dumps(incident_dict(incident), separators=(",", ":"))
        settled.remember(history, incident, as_of, text)
    settled.save()
    head = json.dumps(board_dict(replace(board, incidents=[])), separators=(",", ":"))
    # The incidents' JSON texts go into the list the header ends with: "incidents":[]}
    body = ",".join(texts[key] for key in sorted(texts))
    return board, f"{head[:-2]}{body}]}}"


def _diff(
    root: Path,
    pull: str,
    at: datetime,
    fmt: str,
    fail_on: str | None,
    artifact: Path | None,
    pr_number: int | None,
) -> int:
    from dataclasses import replace

    from incidentctl.problems import UsageError
    from incidentctl.pulldiff import sla_diff
    from incidentctl.report.diff import RENDERER_BY_NAME, markdown
    from incidentctl.sla.landing import Range

    if pr_number is not None and artifact is None:
        raise UsageError("--pr-number goes with --artifact DIR")
    with Progress("replaying history") as progress:
        result = sla_diff(root, Range.parse(pull), at, progress=progress)
    # times are shown in the display zone: the renderer shows them in as_of's
    result = replace(result, as_of=result.as_of.astimezone(display_zone()))
    if artifact is not None:
        _write_artifact(artifact, markdown(result), pr_number)
    click.echo(RENDERER_BY_NAME[fmt](result))
    if fail_on is not None and result.after is not None:
        failing = FAIL_ON[fail_on]
        if any(m.state in failing for i in result.after.incidents for m in i.metrics):
            return 1
    return 0


def _write_artifact(folder: Path, comment: str, pr_number: int | None) -> None:
    """``comment.md`` and ``pr-number``, each written atomically, for the comment workflow."""
    from incidentctl.fsutil import atomic_write
    from incidentctl.problems import UsageError

    number = folder / "pr-number"
    try:
        # The comment workflow trusts the pair: never leave a number from an earlier run.
        if pr_number is None:
            number.unlink(missing_ok=True)
        atomic_write(folder / "comment.md", comment)
        if pr_number is not None:
            atomic_write(number, f"{pr_number}\n")
    except OSError as error:
        raise UsageError(
            f"--artifact {folder}: cannot write {error.filename or folder}: "
            f"{error.strerror or error}"
        ) from None
