"""``incidentctl rca new|render``: scaffold an RCA from an incident; render its executive report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, SuggestingGroup, branch_option, now_or
from incidentctl.cli.params import INCIDENT_ID
from incidentctl.cli.progress import Progress


@click.group("rca", cls=SuggestingGroup)
def command() -> None:
    """Root-cause analyses: scaffold one, render the executive report.

    \b
    Examples:
      incidentctl rca new 7 --commit
      incidentctl rca render 7 --format html > INC-2026-0007.html
    """


@command.command("new")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="History as of TIME (default: now)."
)
@click.option("--commit", is_flag=True, help="Commit the draft alone, with Incident trailers.")
@click.option("--push", is_flag=True, help="Commit, then push HEAD to --ref on --remote.")
@click.option("--remote", default="origin", show_default=True, help="Where --push goes.")
@click.pass_obj
def new(
    root: Path,
    incident_id: str,
    ref: str,
    as_of: datetime | None,
    commit: bool,
    push: bool,
    remote: str,
) -> int:
    """Write ID.rca.yaml next to the incident: a draft prefilled from its history.

    \b
    Examples:
      incidentctl rca new 7
      incidentctl rca new INC-2026-0007 --commit
    """
    from incidentctl.edit import gitops
    from incidentctl.history.git import Git
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError
    from incidentctl.rca.scaffold import scaffold_rca, write_rca

    git = Git(root)
    if git.top_level() is None:
        raise UsageError(f"{root} is not in a Git repository: run the command in a clone")
    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    scaffold = scaffold_rca(root, history, incident_id, now_or(as_of))
    commit = commit or push
    if commit:
        gitops.check_can_commit(git, scaffold.path)  # before anything is written
    write_rca(root, scaffold)
    click.echo(scaffold.path.relative_to(root).as_posix())
    if not commit:
        return 0
    timeline = history.incidents.get(incident_id)
    states = [s for _, s in timeline.states if s is not None] if timeline is not None else []
    status = states[-1].status if states else "unknown"
    severity = states[-1].severity if states else "unknown"
    message = gitops.commit_message(incident_id, "RCA drafted", "", status, severity)
    sha = gitops.commit_file(git, scaffold.path, message)
    click.echo(f"committed {sha[:12]} {message.splitlines()[0]}")
    if push:
        pushed = gitops.push(git, remote, ref, gitops.tracked_path(git, scaffold.path))
        click.echo(f"pushed {pushed.sha[:12]} to {remote} {ref}")
    return 0


@command.command("render")
@click.argument("incident_id", metavar="ID", type=INCIDENT_ID)
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
    """The executive report of ID's RCA: impact, root causes, actions, follow-up, timeline.

    \b
    Examples:
      incidentctl rca render 7
      incidentctl rca render 7 --format html > INC-2026-0007.html
    """
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
