"""``incidentctl site build``: the static site (status page, customer views, dashboard)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidentctl.cli.main import TIMESTAMP, branch_option, display_zone, now_or, settings
from incidentctl.cli.progress import Progress

if TYPE_CHECKING:
    from incidentctl.history.model import History
    from incidentctl.site.status import Visibility
    from incidentctl.site.timeline import CommitLink


def forge_link() -> CommitLink:
    """Commits link to their page on GITHUB_SERVER_URL (as in GitHub Actions) in the
    repository GITHUB_REPOSITORY, else the configured one; no link when either is unknown."""
    from incidentctl.site.dashboard import commit_link

    repository = os.environ.get("GITHUB_REPOSITORY") or settings().github_repository
    return commit_link(os.environ.get("GITHUB_SERVER_URL"), repository)


def catalogue(root: Path, history: History) -> Visibility:
    """What the catalogue in the work tree (``Service`` and ``Customer`` documents) lets
    the public page show. A catalogue document that does not load stops the build: the
    page cannot tell then which names are private."""
    from incidentctl.load.repository import DEFAULT_ROOTS, Repository
    from incidentctl.model import Customer, Service
    from incidentctl.problems import UsageError
    from incidentctl.site.status import visibility

    # every folder documents live in but the incidents'
    workspace = Repository(root, tuple(r for r in DEFAULT_ROOTS if r != "incidents")).load()
    kinds = (Service.__name__, Customer.__name__)
    broken = [
        problem
        for doc in workspace.documents
        if doc.model is None
        and (doc.kind in kinds or doc.path.startswith(("services/", "customers/")))
        for problem in doc.problems
        if problem.level == "error"
    ]
    if broken:
        raise UsageError(
            "the service and customer catalogue is not valid, fix it first (it says what "
            "the status page may show):\n" + "\n".join(p.render() for p in broken)
        )
    return visibility(workspace.services, workspace.customers, history)


@click.group("site")
def command() -> None:
    """The static site: a public status page, customer views and the dashboard.

    \b
    Examples:
      incidentctl site build --out _site
      incidentctl site build --public --out public
    """


@command.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to (re)write; an earlier site there is replaced whole.",
)
@click.option(
    "--public",
    is_flag=True,
    help="Only the public status page, its Atom feed and its JSON: what may be published.",
)
@branch_option("--ref")
@click.option(
    "--at",
    "as_of",
    type=TIMESTAMP,
    default=None,
    help="Build as of TIME (default: now); the same TIME gives the same site.",
)
@click.option("--title", default="Service status", show_default=True, help="The page's name.")
@click.option(
    "--url",
    default="",
    help="Where the public part is published (absolute links in the feed and JSON).",
)
@click.pass_obj
def build(
    root: Path,
    out: Path,
    public: bool,
    ref: str,
    as_of: datetime | None,
    title: str,
    url: str,
) -> int:  # fmt: skip
    """Build the site from the history of --ref into the folder --out.

    \b
    Examples:
      incidentctl site build --out _site
      incidentctl site build --public --out public --title "Acme status" \\
        --url https://status.example.com/
    """
    from incidentctl.history.replay import replay
    from incidentctl.rca.files import rcas_at
    from incidentctl.report.metrics import build_report
    from incidentctl.site.build import write_site
    from incidentctl.site.pages import full_site, public_site

    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    now = now_or(as_of)
    seen = catalogue(root, history)
    zone = display_zone()
    if public:
        report = build_report(history, now)
        site = public_site(history, report, title=title, url=url, seen=seen, zone=zone)
    else:
        rcas = rcas_at(root, history.head)
        site = full_site(
            history,
            build_report(history, now, rcas),
            title=title,
            url=url,
            seen=seen,
            link=forge_link(),
            customer_report=lambda c: build_report(history, now, rcas, customer=c),
            zone=zone,
        )
    write_site(site, out)
    click.echo(f"wrote {len(site.files)} files to {out}", err=True)
    return 0
