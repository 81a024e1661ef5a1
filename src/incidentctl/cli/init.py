"""``incidentctl init [DIR]``: a working incident repository in one command."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, now_or


@click.command("init")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option(
    "--branch",
    default=None,
    help="The audited branch [default: the repository's default branch, else main].",
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="IANA zone of the business-hours calendar and of the times shown.",
)
@click.option(
    "--owner",
    default="@incident-managers",
    show_default=True,
    help="Who owns policies/ (CODEOWNERS) and is warned before an SLA breaks.",
)
@click.option(
    "--repo",
    "repository",
    default="example-org/product",
    show_default=True,
    help="owner/repo where product defects are filed as GitHub issues.",
)
@click.option(
    "--install",
    default=None,
    help="What the workflows pip-install [default: incidentctl==this version].",
)
@click.option("--dry-run", is_flag=True, help="List the files it would write; write nothing.")
@click.option("--commit", is_flag=True, help="Commit the new files (one commit).")
@click.option("--now", type=TIMESTAMP, default=None, help="Today, for the first release train.")
@click.pass_context
def command(
    ctx: click.Context,
    directory: Path | None,
    branch: str | None,
    timezone: str,
    owner: str,
    repository: str,
    install: str | None,
    dry_run: bool,
    commit: bool,
    now: datetime | None,
) -> int:
    """Start an incident repository in DIR (default: the current folder).

    It writes SLA policies, a business-hours calendar, a defect policy, the JSON
    schemas, the GitHub workflows, .pre-commit-config.yaml, CODEOWNERS and
    incidentctl.yaml; it never overwrites a file. Outside a Git repository it runs
    `git init` first.

    \b
    Examples:
      incidentctl init my-incidents --timezone Europe/Berlin --owner @acme/support
      incidentctl init --dry-run
      incidentctl init . --commit
    """
    from incidentctl.history.git import Git
    from incidentctl.problems import UsageError
    from incidentctl.starter import Starter, existing, starter_files, write_files

    given = ctx.find_root().params.get("root")
    target = (directory or given or Path.cwd()).resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file: name a folder")
    git = Git(target)
    existing_folder = next(p for p in (target, *target.parents) if p.is_dir())
    top = Git(existing_folder).top_level()
    if top is not None and top.resolve() != target:
        raise UsageError(
            f"{target} is inside the Git repository {top}: start the incident repository "
            "at the root of a repository, or in a folder of its own"
        )
    if branch is None:
        branch = (git.default_branch() or git.current_branch() if top else None) or "main"
    defaults = Starter(today=now_or(now).date())
    starter = Starter(
        today=defaults.today,
        branch=branch,
        timezone=timezone,
        owner=owner if owner.startswith("@") else f"@{owner}",
        repository=repository,
        install=install or defaults.install,
    )
    files = starter_files(starter)
    if dry_run:
        taken = set(existing(target, files))
        for path in files:
            click.echo(f"{'exists, would refuse' if path in taken else 'would write'}  {path}")
        if top is None:
            click.echo(f"would run  git init -b {branch}")
        return 1 if taken else 0
    if top is None:
        if existing(target, files):  # refuse before git init leaves anything behind
            write_files(target, files)
        target.mkdir(parents=True, exist_ok=True)
        git.run("init", "--quiet", "--initial-branch", branch)
    written = write_files(target, files)
    for path in written:
        click.echo(f"wrote {path}")
    if commit:
        git.run("add", "--", *written)
        git.run("commit", "--quiet", "--no-verify", "-m", "Start the incident repository")
        click.echo(f"committed on {git.current_branch() or branch}")
    click.echo(
        "Next: review policies/ and incidentctl.yaml, then `incidentctl validate`; "
        "open an incident with `incidentctl new --commit`."
    )
    return 0
