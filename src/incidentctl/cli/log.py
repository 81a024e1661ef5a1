"""``incidentctl log ID``: the audit trail of one incident."""

from __future__ import annotations

from pathlib import Path

import click

from incidentctl.cli.main import branch_option, display_zone
from incidentctl.cli.params import INCIDENT_ID
from incidentctl.cli.progress import Progress


@click.command("log")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@branch_option("--ref")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def command(root: Path, incident_id: str, ref: str, fmt: str) -> int:
    """Every commit that changed incident ID: who, when, which fields from what to what.

    \b
    Examples:
      incidentctl log 7
      incidentctl log 7 --format json
    """
    from incidentctl.history.git import BlobReader, Git
    from incidentctl.history.replay import replay
    from incidentctl.history.trail import incident_log
    from incidentctl.history.trailers import read_trailers
    from incidentctl.problems import UsageError
    from incidentctl.report import log

    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    timeline = history.incidents.get(incident_id)
    if timeline is None:
        from incidentctl.ids import unknown_on_branch

        raise UsageError(unknown_on_branch(root, [incident_id], ref, history.incidents))
    git = Git(root)
    with BlobReader(git) as reader:
        entries = incident_log(timeline, reader.read)
    trailers = read_trailers(git, [e.version.stamp.sha for e in entries])
    render = log.as_json if fmt == "json" else log.text
    click.echo(render(entries, trailers, display_zone()))
    return 0
