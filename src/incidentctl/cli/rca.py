"""``incidentctl rca new|render``: scaffold an RCA from an incident; render its executive report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, now_or
from incidentctl.cli.progress import Progress


@click.group("rca")
def command() -> None:
    """Root-cause analyses: scaffold one, render the executive report."""


@command.command("new")
@click.argument("incident_id", metavar="ID")
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="History as of TIME (default: now)."
)
@click.pass_obj
def new(root: Path, incident_id: str, ref: str, as_of: datetime | None) -> int:
    """Write ID.rca.yaml next to the incident: a draft prefilled from its history."""
    from incidentctl.history.replay import replay
    from incidentctl.rca.scaffold import scaffold_rca, write_rca

    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    scaffold = scaffold_rca(root, history, incident_id, now_or(as_of))
    write_rca(root, scaffold)
    click.echo(scaffold.path.relative_to(root).as_posix())
    return 0


@command.command("render")
@click.argument("incident_id", metavar="ID")
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="History as of TIME (default: now)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
)
@click.pass_obj
def render(root: Path, incident_id: str, ref: str, as_of: datetime | None, fmt: str) -> int:
    """The executive report of ID's RCA: impact, root causes, actions, follow-up, timeline."""
    from incidentctl.history.replay import replay
    from incidentctl.model import RCA, Incident
    from incidentctl.problems import UsageError
    from incidentctl.rca.files import find_file, read_document
    from incidentctl.rca.render import RENDERER_BY_NAME, executive
    from incidentctl.report.metrics import incident_figures

    rca_path = find_file(root, incident_id, rca=True)
    if rca_path is None:
        raise UsageError(
            f"no {incident_id}.rca.yaml under incidents/: write one with `rca new {incident_id}`"
        )
    rca = read_document(root, rca_path, "RCA").model
    assert isinstance(rca, RCA)  # read_document checked the kind
    subject = rca.incident_ids[0]
    incident_path = find_file(root, subject, rca=False)
    incident = read_document(root, incident_path, "Incident").model if incident_path else None
    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    figures = incident_figures(history, subject, now_or(as_of))
    report = executive(
        incident_id, rca, incident if isinstance(incident, Incident) else None, figures, ref
    )
    click.echo(RENDERER_BY_NAME[fmt](report), nl=False)
    return 0
