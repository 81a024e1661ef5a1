"""``incidentctl github comment|watch``: the GitHub Actions glue (SPEC §6).

Both talk to the REST API at ``GITHUB_API_URL`` with ``GITHUB_TOKEN``; a failure of
GitHub ends the command with exit 2 and a message saying what to do.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from incidentctl.cli.main import TIMESTAMP, SuggestingGroup, branch_option, now_or, settings
from incidentctl.github.comment import DEFAULT_BOT_LOGIN

BOT_LOGIN_HELP = (
    "The login the workflow's token posts as; only its comments count [default: "
    f"bot_login of incidentctl.yaml or INCIDENTCTL_BOT_LOGIN, else {DEFAULT_BOT_LOGIN}]."
)


def _bot_login(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None or ctx.resilient_parsing:
        return value
    return settings().bot_login or DEFAULT_BOT_LOGIN


@click.group("github", cls=SuggestingGroup)
def command() -> None:
    """Post the pull-request comment and the SLA escalations on GitHub.

    \b
    Examples:
      incidentctl github comment --artifact sla-diff
      incidentctl github watch --dry-run
      incidentctl github intake-reply --issue 12 --why intake-error.txt
    """


@command.command("comment")
@click.option(
    "--artifact",
    "folder",
    required=True,
    type=click.Path(path_type=Path),
    help="The pull-request workflow's artifact: comment.md and pr-number.",
)
@click.option(
    "--event",
    "event_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The workflow_run event payload (default: $GITHUB_EVENT_PATH).",
)
@click.option("--repo", default=None, help="owner/repo (default: $GITHUB_REPOSITORY).")
@click.option("--bot-login", default=None, callback=_bot_login, help=BOT_LOGIN_HELP)
def comment(folder: Path, event_path: Path | None, repo: str | None, bot_login: str) -> int:
    """Create or update the one SLA comment on the artifact's pull request.

    \b
    Examples:
      incidentctl github comment --artifact sla-diff --repo acme/incidents
    """
    from incidentctl.github import comment as sticky
    from incidentctl.trackers.github import GitHub

    artifact = sticky.read_artifact(folder)
    if event_path is None and os.environ.get("GITHUB_EVENT_PATH"):
        event_path = Path(os.environ["GITHUB_EVENT_PATH"])
    event = sticky.load_event(event_path) if event_path is not None else None
    number = sticky.pull_request_number(artifact, event)
    name = sticky.repository(repo, os.environ, event)
    body = sticky.sticky_body(artifact.body, sticky.summary_url(event))
    with GitHub.from_env(name) as github:
        if event is not None:
            head_sha, head_repo = github.pull_request_head(number)
            if not sticky.same_head(number, event, head_sha, head_repo):
                click.echo(
                    f"{name}#{number}: skipped: the pull request's head is now "
                    f"{head_sha[:12]}, not the commit this run checked; the run for "
                    "the newer commit posts the comment"
                )
                return 0
        planned = sticky.plan_sticky(github.comments(number), body, bot_login)
        if planned.action == "create":
            done = github.comment(number, planned.body)
        elif planned.action == "update" and planned.comment is not None:
            done = github.edit_comment(number, planned.comment.id, planned.body)
        else:
            assert planned.comment is not None
            done = planned.comment
    verb = {"create": "created", "update": "updated", "unchanged": "unchanged:"}[planned.action]
    click.echo(f"{name}#{number}: {verb} the SLA comment {done.url}")
    return 0


@command.command("intake-reply")
@click.option("--issue", "number", type=click.IntRange(min=1), required=True,
              help="The issue the workflow could not turn into an incident.")  # fmt: skip
@click.option(
    "--why",
    "why_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file incidentctl's error went to (missing or empty: the run failed elsewhere).",
)
@click.option("--run-url", default=None, help="The workflow run, linked from the reply.")
@click.option("--repo", default=None, help="owner/repo (default: $GITHUB_REPOSITORY).")
@click.option("--bot-login", default=None, callback=_bot_login, help=BOT_LOGIN_HELP)
def intake_reply(
    number: int, why_file: Path | None, run_url: str | None, repo: str | None, bot_login: str
) -> int:
    """Reply on the issue why no incident came of it: one bot comment, edited on reruns.

    \b
    Examples:
      incidentctl github intake-reply --issue 12 --why "$RUNNER_TEMP/intake-error.txt"
      incidentctl github intake-reply --issue 12 --repo acme/incidents \\
        --run-url https://github.com/acme/incidents/actions/runs/1
    """
    from incidentctl.github import comment as sticky
    from incidentctl.github.intake_reply import REPLY_MARKER, read_why, reply_body
    from incidentctl.trackers.github import GitHub

    name = sticky.repository(repo, os.environ, None)
    body = reply_body(read_why(why_file), run_url)
    with GitHub.from_env(name) as github:
        planned = sticky.plan_sticky(github.comments(number), body, bot_login, REPLY_MARKER)
        if planned.action == "create":
            done = github.comment(number, planned.body)
        elif planned.action == "update" and planned.comment is not None:
            done = github.edit_comment(number, planned.comment.id, planned.body)
        else:
            assert planned.comment is not None
            done = planned.comment
    verb = {"create": "created", "update": "updated", "unchanged": "unchanged:"}[planned.action]
    click.echo(f"{name}#{number}: {verb} the reply {done.url}")
    return 0


@command.command("watch")
@branch_option("--ref")
@click.option(
    "--at", "as_of", type=TIMESTAMP, default=None, help="Judge as of TIME (default: now)."
)
@click.option("--repo", default=None, help="owner/repo (default: $GITHUB_REPOSITORY).")
@click.option("--bot-login", default=None, callback=_bot_login, help=BOT_LOGIN_HELP)
@click.option(
    "--remote", default=None, help="Keep the delivery ledger on this remote too (CI: origin)."
)
@click.option("--dry-run", is_flag=True, help="Read GitHub and say what would be posted.")
@click.pass_obj
def watch(
    root: Path,
    ref: str,
    as_of: datetime | None,
    repo: str | None,
    bot_login: str,
    remote: str | None,
    dry_run: bool,
) -> int:
    """Warn each incident's tracking issue of SLA thresholds crossed, once each.

    Open incidents are watched; after the resolve, the RCA's follow-up review and its
    overdue actions.

    \b
    Examples:
      incidentctl github watch --dry-run
      incidentctl github watch --repo acme/incidents --bot-login "github-actions[bot]"
    """
    from incidentctl.github import watch as sla_watch
    from incidentctl.github.delivery import WatchRun
    from incidentctl.history.git import Git
    from incidentctl.history.replay import replay
    from incidentctl.notify.ledger import Ledger, new_run_id
    from incidentctl.problems import UsageError
    from incidentctl.rca.files import rcas_at
    from incidentctl.sla.engine import evaluate
    from incidentctl.trackers.github import GitHub, GitHubError, server_url_from

    name = repo or os.environ.get("GITHUB_REPOSITORY") or settings().github_repository
    if not name:
        raise UsageError("which repository? pass --repo owner/repo (or set GITHUB_REPOSITORY)")
    now = now_or(as_of)
    history = replay(root, ref)
    board = evaluate(history, now)
    policies = sla_watch.policies_for(history, board)
    overdue = sla_watch.overdue_actions(rcas_at(root, board.commit), board)
    links = sla_watch.Links(
        server_url_from(os.environ), name, board.commit, sla_watch.incident_paths(history)
    )
    ledger = Ledger(Git(root), remote)
    with GitHub.from_env(name) as github:
        run = WatchRun(github, ledger, new_run_id(), now, bot_login, dry_run, click.echo)
        run.run(board, policies, links, overdue)
    actions, failures = run.actions, run.failures
    if not actions and not failures:
        click.echo(f"nothing to post ({len(board.incidents)} incident(s) on {ref})")
    if failures:
        touched = {a.incident for a in actions} | failures.keys()
        listed = "\n".join(f"  {incident}: {text}" for incident, text in sorted(failures.items()))
        raise GitHubError(
            f"{len(failures)} of {len(touched)} incident(s) failed; the others were handled, "
            f"and the next run retries these:\n{listed}"
        )
    return 0
