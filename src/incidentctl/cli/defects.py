"""``incidentctl defects sync``: product defects and RCA actions to GitHub or Jira, once.

Exit 0 when every item is tracked, 1 when some failed (each says what to do), 2 for a
usage or configuration error (a Jira route and no JIRA_URL, no GITHUB_TOKEN).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, SuggestingGroup, branch_option, now_or, settings
from incidentctl.github.comment import DEFAULT_BOT_LOGIN


@click.group("defects", cls=SuggestingGroup)
def command() -> None:
    """Open tracker issues for product defects and RCA actions.

    \b
    Examples:
      incidentctl defects sync --dry-run
    """


@command.command("sync")
@branch_option("--ref")
@click.option(
    "--now", "now", type=TIMESTAMP, default=None, help="Plan as of TIME (default: the clock)."
)
@click.option("--dry-run", is_flag=True, help="Say where each item goes; touch no tracker.")
@click.option("--push", is_flag=True, help="Push the write-back commits to --branch on --remote.")
@click.option("--remote", default="origin", show_default=True, help="Where --push goes.")
@branch_option("--branch", help="The branch --push updates [default: the audited branch].")
@click.option(
    "--pull-request",
    "pull_request",
    metavar="BRANCH",
    default=None,
    help="With --push, for a protected --branch: push the write-backs to BRANCH and open "
    "(or update) one pull request into --branch.",
)
@click.option("--repo", default=None, help="owner/repo of this repository, for links back "
              "to the files (default: $GITHUB_REPOSITORY).")  # fmt: skip
@click.option(
    "--bot-login",
    default=None,
    help="The login GITHUB_TOKEN opens issues as; only its issues are tickets [default: "
    f"bot_login of incidentctl.yaml or INCIDENTCTL_BOT_LOGIN, else {DEFAULT_BOT_LOGIN}].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def sync(
    root: Path,
    ref: str,
    now: datetime | None,
    dry_run: bool,
    push: bool,
    remote: str,
    branch: str,
    pull_request: str | None,
    repo: str | None,
    bot_login: str | None,
    fmt: str,
) -> int:
    """Find or create one ticket per defect and open fix/prevent action; write it back.

    \b
    Examples:
      incidentctl defects sync --dry-run
      incidentctl defects sync --push
      incidentctl defects sync --push --pull-request incidentctl/tracker-sync
    """
    from incidentctl.defects import report
    from incidentctl.defects.plan import plan
    from incidentctl.defects.sources import sources
    from incidentctl.defects.sync import Options, sync
    from incidentctl.history.git import Git
    from incidentctl.history.replay import replay
    from incidentctl.load.repository import Repository
    from incidentctl.problems import UsageError
    from incidentctl.trackers.github import server_url_from

    if pull_request is not None and not push:
        raise UsageError("--pull-request goes with --push")
    as_of = now_or(now)
    history = replay(root, ref)
    workspace = Repository(root).load()
    git = Git(root)

    def read_blob(sha: str) -> bytes:
        # a few blobs per run (the versions where defects were recorded)
        return git.run("cat-file", "blob", sha).stdout

    found = list(sources(workspace, history, read_blob))
    policies = workspace.defect_policies
    planned = plan(found, policies, workspace.services)
    configured = settings()
    name = repo or os.environ.get("GITHUB_REPOSITORY") or configured.github_repository
    blob_url = f"{server_url_from(os.environ)}/{name}/blob/{branch}" if name else None
    environment = dict(os.environ)
    if configured.jira_url and not environment.get("JIRA_URL"):
        environment["JIRA_URL"] = configured.jira_url  # the secret's value wins
    bot = bot_login or configured.bot_login or DEFAULT_BOT_LOGIN
    options = Options(
        root, environment, dry_run, push, remote, branch, blob_url, bot_login=bot,
        clock=lambda: datetime.now(UTC), sleep=time.sleep, index_lag=index_lag(os.environ),
        pull_request=pull_request, repo=name,
    )  # fmt: skip
    result = sync(planned, options)
    click.echo(report.render(result, as_of, fmt=fmt, dry_run=dry_run))
    return 1 if result.failed else 0


def index_lag(env: Mapping[str, str]) -> timedelta:
    """``INCIDENTCTL_JIRA_INDEX_LAG``: seconds Jira's search index may lag (default 60)."""
    from incidentctl.defects.sync import DEFAULT_INDEX_LAG
    from incidentctl.problems import UsageError

    text = env.get("INCIDENTCTL_JIRA_INDEX_LAG", "").strip()
    if not text:
        return DEFAULT_INDEX_LAG
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 600:
        raise UsageError(
            f"INCIDENTCTL_JIRA_INDEX_LAG {text!r} is not a number of seconds between 0 and 600 "
            "(how far behind Jira's search index may be; 60 is the default)"
        )
    return timedelta(seconds=seconds)
