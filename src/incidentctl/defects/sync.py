"""Find or create one ticket per planned item, and write its reference back, once.

For each item without a reference in its file:

1. find its ticket by its marker: on GitHub, among the issues labelled
   ``incident-defect`` (listed, never searched), one whose body holds
   ``<!-- incidentctl:defect INC-…/key -->``; on Jira, by the marker label through
   ``POST /rest/api/3/search/jql``, passing the ids of issues this clone created
   before (the journal under ``.git/incidentctl/``) as ``reconcileIssues``;
2. create it when none is found (a Jira create is journalled as pending before it is
   sent, and its id at once when it answers; after a create whose answer was lost, the
   next run waits until Jira's index must show that issue before creating), then list the
   tickets with its marker again: neither tracker can create only if absent, so a run
   started at the same time may have created one too. The lowest number (GitHub) or id
   (Jira) is the ticket of record; a run that created a higher one marks it as a
   duplicate (label ``incidentctl-duplicate``, a comment naming the ticket of record,
   and on GitHub closed as not planned) and writes the reference of the lowest. Tickets
   carrying that label are never found again;
3. write ``tracker:`` into the incident's ``defects[i]`` or the RCA's ``actions[i]``
   with a surgical edit and commit that file alone with trailers (``Incident:``,
   ``Tracker:``). A failed commit puts the file back as it was: the next run finds the
   ticket by its marker and writes the reference then, so a crash between the create
   and the write-back never leads to a second ticket.

Items with a Jira reference on an incident that is not closed or cancelled get their
due date updated when the plan's differs (GitHub issues have no due date field: theirs
is in the body written at creation, and is not rewritten).

One failing item never stops the others: each outcome says what happened or what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from incidentctl.defects import readback
from incidentctl.defects.journal import JOURNAL, Journal
from incidentctl.defects.plan import DEFECT_LABEL, Planned, marker, marker_label
from incidentctl.edit import gitops
from incidentctl.edit.patch import Patch, PatchError
from incidentctl.fsutil import atomic_write
from incidentctl.github.comment import DEFAULT_BOT_LOGIN
from incidentctl.history.git import Git
from incidentctl.problems import IncidentctlError, UsageError
from incidentctl.trackers import TicketState, TrackedIssue
from incidentctl.trackers.github import GitHub
from incidentctl.trackers.jira import Jira, JiraConfigError, JiraIssue, adf

Action = Literal[
    "created", "found", "tracked", "updated", "failed", "skipped", "would-create", "would-find"
]
DEFAULT_INDEX_LAG = timedelta(seconds=60)
"""How far behind Jira's search index may be: a create sent less long ago may not show."""
DUPLICATE_LABEL = "incidentctl-duplicate"
"""Marks a ticket a concurrent run created twice: it is never the ticket found."""


@dataclass
class Outcome:
    item: Planned
    action: Action
    ref: str | None = None
    message: str = ""
    commit: str | None = None
    changes: list[readback.Change] = field(default_factory=list)  # to write back


@dataclass
class SyncResult:
    outcomes: list[Outcome] = field(default_factory=list)
    pushed: str | None = None
    push_error: str | None = None
    pull_request: str | None = None  # the address of the pull request with the write-backs

    @property
    def failed(self) -> bool:
        return self.push_error is not None or any(o.action == "failed" for o in self.outcomes)


def hidden_marker(item: Planned) -> str:
    return f"<!-- {marker(item.source)} -->"


def link_to(item: Planned, blob_url: str | None) -> str | None:
    return f"{blob_url.rstrip('/')}/{item.source.path}" if blob_url else None


def github_body(item: Planned, blob_url: str | None) -> str:
    source = item.source
    what = "Product defect" if source.kind == "defect" else f"RCA action ({source.key})"
    where = f"[{source.path}]({link_to(item, blob_url)})" if blob_url else f"`{source.path}`"
    lines = [
        f"{what} from incident {source.incident_id}, recorded in {where}.",
        "",
        f"- Service: {source.service}",
        f"- Due: {item.due.isoformat() if item.due else 'not set'}",
        f"- Why: {item.why}",
        "",
        "Opened by `incidentctl defects sync`; the reference is written back into the file.",
        "",
        hidden_marker(item),
    ]
    return "\n".join(lines) + "\n"


def jira_description(item: Planned, blob_url: str | None) -> dict[str, object]:
    source = item.source
    what = "Product defect" if source.kind == "defect" else f"RCA action {source.key}"
    return adf(
        [(f"{what} from incident {source.incident_id}, recorded in ", None),
         (source.path, link_to(item, blob_url)), (".", None)],
        [(f"Service: {source.service}. {item.why}.", None)],
        [(f"Opened by incidentctl defects sync. Marker: {marker(source)}", None)],
    )  # fmt: skip


def _reads(item: Planned, prefix: str) -> bool:
    """Whether the item's ticket, on the tracker named by ``prefix``, is read back."""
    source = item.source
    tracked = (source.tracker or "").startswith(prefix)
    return tracked and not (source.kind == "defect" and source.final)


def required_config(planned: Sequence[Planned], env: Mapping[str, str]) -> None:
    """Exit 2 before anything is done when a needed tracker is not configured."""
    work = [p for p in planned if p.route is not None and p.problem is None]
    needs_jira = any(
        p.route is not None and p.route.jira is not None and not p.source.tracker for p in work
    ) or any(_reads(p, "jira:") for p in work)
    needs_github = any(
        p.route is not None and p.route.github is not None and not p.source.tracker for p in work
    ) or any(_reads(p, "github:") for p in work)
    if needs_jira:
        missing = [n for n in ("JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN") if not env.get(n)]
        if missing:
            Jira.from_env(env)  # raises with the message saying what to set
    if needs_github and not env.get("GITHUB_TOKEN", "").strip():
        GitHub.from_env("o/r", env)  # raises with the message saying what to set


class Clients:
    """The tracker clients a run needs, opened on first use and closed at the end."""

    def __init__(self, env: Mapping[str, str], stack: ExitStack) -> None:
        self.env = env
        self._stack = stack
        self._github: dict[str, GitHub] = {}
        self._labelled: dict[str, list[TrackedIssue]] = {}
        self._jira: Jira | None = None

    def github(self, repo: str) -> GitHub:
        if repo not in self._github:
            self._github[repo] = self._stack.enter_context(GitHub.from_env(repo, self.env))
        return self._github[repo]

    def labelled(self, repo: str, *, again: bool = False) -> list[TrackedIssue]:
        """The issues labelled ``incident-defect``, listed once per run and repository
        (``again``: listed anew, after a create)."""
        if again or repo not in self._labelled:
            self._labelled[repo] = self.github(repo).labelled(DEFECT_LABEL)
        return self._labelled[repo]

    def jira(self) -> Jira:
        if self._jira is None:
            self._jira = self._stack.enter_context(Jira.from_env(self.env))
        return self._jira


@dataclass(frozen=True)
class Options:
    root: Path
    env: Mapping[str, str]
    dry_run: bool = False
    push: bool = False
    remote: str = "origin"
    branch: str = "main"
    blob_url: str | None = None  # https://github.com/o/r/blob/main: links back to the files
    bot_login: str = DEFAULT_BOT_LOGIN  # only GitHub issues it opened are the items' tickets
    # The clock and the sleep, only to wait out Jira's index after a create whose answer
    # was lost; the CLI passes the real ones.
    clock: Callable[[], datetime] | None = None
    sleep: Callable[[float], None] | None = None
    index_lag: timedelta = DEFAULT_INDEX_LAG
    # With push: the branch the write-backs go to, as one pull request into ``branch``
    # (for a protected branch), instead of the branch itself; ``repo`` is where it opens.
    pull_request: str | None = None
    repo: str | None = None


def sync(planned: Sequence[Planned], options: Options) -> SyncResult:
    result = SyncResult()
    if options.dry_run:
        result.outcomes = list(_dry(planned))
        return result
    required_config(planned, options.env)
    git = Git(options.root)
    git_dir = git.open("HEAD").git_dir
    journal = Journal(git_dir / JOURNAL)
    commits = git_dir / readback.JOURNAL  # the commit being made, until it is
    last_path: str | None = None
    try:
        if readback.recover(options.root, git, commits):
            last_path = "."  # a killed run's write-back, committed now
    except IncidentctlError as error:
        result.push_error = f"a killed run's write-back could not be committed: {error}"
        return result
    with ExitStack() as stack:
        clients = Clients(options.env, stack)
        for item in planned:
            outcome = _one(item, clients, journal, git, options, commits)
            result.outcomes.append(outcome)
            if outcome.commit:
                last_path = item.source.path
    back = [c for o in result.outcomes for c in o.changes]
    try:
        sha = readback.write(options.root, git, commits, back)
    except IncidentctlError as error:
        for outcome in result.outcomes:
            if outcome.changes:
                outcome.action, outcome.message = "failed", f"{outcome.message}: {error}"
        sha = None
    if sha is not None:
        last_path = back[-1].source.path
        for outcome in result.outcomes:
            if outcome.changes:
                outcome.commit = sha
    if options.push and last_path is not None:
        try:
            if options.pull_request:
                result.pushed, result.pull_request = _propose(git, options)
            else:
                result.pushed = gitops.push(git, options.remote, options.branch, last_path).sha
        except IncidentctlError as error:
            result.push_error = str(error)
    return result


PULL_REQUEST_BODY = (
    "Write-backs of `incidentctl defects sync`: the tracker references of new tickets, "
    "and the state of tickets read back (actions done or reopened, releases that fixed "
    "defects). Each commit carries `Tracker:` trailers. Merge it to land them; the sync "
    "updates this pull request on every run until then.\n"
)


def _propose(git: Git, options: Options) -> tuple[str, str]:
    """Push the write-backs to the pull request's branch and open the pull request if it
    is not open yet: the sha pushed and the pull request's address."""
    branch = options.pull_request
    assert branch is not None
    if not options.repo:
        raise UsageError(
            "--pull-request needs the repository: pass --repo owner/repo (or set GITHUB_REPOSITORY)"
        )
    sha = gitops.push_branch(git, options.remote, branch)
    with GitHub.from_env(options.repo, options.env) as github:
        url, _ = github.pull_request_for(
            branch, options.branch, "incidentctl: tracker write-backs", PULL_REQUEST_BODY
        )
    return sha, url


def _dry(planned: Sequence[Planned]) -> Iterator[Outcome]:
    for item in planned:
        if item.problem:
            yield Outcome(item, "skipped" if item.route else "failed", message=item.problem)
        elif item.source.tracker:
            yield Outcome(item, "tracked", item.source.tracker)
        else:
            yield Outcome(item, "would-create", message="found by its marker if it exists")


def _one(
    item: Planned, clients: Clients, journal: Journal, git: Git, options: Options, commits: Path
) -> Outcome:
    if item.problem:
        return Outcome(item, "skipped" if item.route else "failed", message=item.problem)
    route = item.route
    try:
        if item.source.tracker:
            return _refresh(item, clients)
        assert route is not None
        if route.github is not None:
            ticket, created, note = _github(item, route.github, clients, options)
        else:
            ticket, created, note = _jira(item, clients, journal, options)
    except JiraConfigError:
        raise
    except IncidentctlError as error:
        return Outcome(item, "failed", message=str(error))
    try:
        sha = write_back(options.root, git, item, ticket, commits)
    except IncidentctlError as error:
        return Outcome(item, "failed", ticket, str(error))
    return Outcome(item, "created" if created else "found", ticket, note, commit=sha)


def _duplicated(record: str, mine: str) -> str:
    return (
        f"a concurrent sync opened {record} first: {mine}, opened by this run, "
        f"is marked {DUPLICATE_LABEL} and points to it"
    )


def _github(item: Planned, repo: str, clients: Clients, options: Options) -> tuple[str, bool, str]:
    wanted = hidden_marker(item)

    def marked(listed: Sequence[TrackedIssue]) -> list[TrackedIssue]:
        # The marker and the label are public: anyone who can open an issue could plant
        # one. Only the bot's own issues are tickets.
        return [
            i
            for i in listed
            if wanted in i.body
            and DUPLICATE_LABEL not in i.labels
            and i.author == options.bot_login
        ]

    found = marked(clients.labelled(repo))
    if found:
        return min(found, key=lambda i: i.number).ref, False, ""
    github = clients.github(repo)
    issue = github.create(item.source.title, github_body(item, options.blob_url), item.labels)
    try:
        # a run started at the same time may have opened one too: the lowest number wins
        listed = clients.labelled(repo, again=True)
        if all(i.number != issue.number for i in listed):
            listed.append(issue)  # a second item with the same marker in this run finds it
        record = min([*marked(listed), issue], key=lambda i: i.number)
        if record.number == issue.number:
            return issue.ref, True, ""
        closed = github.close_duplicate(issue.number, [*issue.labels, DUPLICATE_LABEL])
        listed[:] = [closed if i.number == issue.number else i for i in listed]
        github.comment(issue.number, f"Duplicate of #{record.number}, opened by a concurrent sync")
    except IncidentctlError as error:
        raise UsageError(
            f"{issue.ref} was opened, then checking for a concurrent run's ticket failed: "
            f"{error}. The next run finds the lowest-numbered ticket by its marker"
        ) from None
    return record.ref, False, _duplicated(record.ref, issue.ref)


def _lowest(issues: Sequence[JiraIssue]) -> JiraIssue:
    return min(issues, key=lambda i: int(i.id) if i.id.isdigit() else 0)


def _jira(
    item: Planned, clients: Clients, journal: Journal, options: Options
) -> tuple[str, bool, str]:
    route = item.route
    assert route is not None and route.jira is not None
    jira = clients.jira()
    label = marker_label(item.source)
    jql = f'labels = "{label}" ORDER BY created ASC'

    def marked() -> list[JiraIssue]:
        found = jira.search(jql, reconcile=journal.ids.get(label, ()))
        me = jira.myself()  # anyone may add a label: only JIRA_USER's own issues count
        return [
            i
            for i in found
            if label in i.labels and DUPLICATE_LABEL not in i.labels and i.creator == me
        ]

    mine = marked()
    if not mine and label in journal.pending:
        mine = _after_lost_answer(label, journal, options, marked)
    if mine:
        journal.settle(label)
        return _lowest(mine).ref, False, ""
    if options.clock is not None:
        journal.begin(label, options.clock())
    try:
        issue = jira.create(
            project=route.jira.project,
            issue_type=route.jira.issue_type,
            summary=item.source.title,
            description=jira_description(item, options.blob_url),
            labels=[*item.labels, label],
            due=item.due,
            properties={"incidentctl": {"marker": marker(item.source)}},
        )
    except IncidentctlError as error:
        if "HTTP 5" in str(error) or "cannot reach" in str(error):
            raise UsageError(
                f"{error}. The issue may have been created anyway: the next run finds it by "
                f"its label {label} (waiting for Jira's index if need be) and creates none"
            ) from None
        journal.settle(label)  # refused: nothing was created
        raise
    journal.add(label, issue.id)
    try:
        # a run started at the same time may have created one too: the lowest id wins
        record = _lowest([*marked(), issue])
        if record.id == issue.id:
            return issue.ref, True, ""
        # Which transition closes an issue depends on the project's workflow: the
        # duplicate is labelled and explained, and left for a human to close.
        jira.set_labels(issue.key, [*issue.labels, DUPLICATE_LABEL])
        jira.comment(
            issue.key,
            f"Duplicate of {record.key}, opened by a concurrent sync. Labelled "
            f"{DUPLICATE_LABEL}, it is never picked again: close it.",
        )
    except IncidentctlError as error:
        raise UsageError(
            f"{issue.ref} was created, then checking for a concurrent run's issue failed: "
            f"{error}. The next run finds the lowest issue by its label {label}"
        ) from None
    return record.ref, False, _duplicated(record.ref, issue.ref)


def _after_lost_answer(
    label: str,
    journal: Journal,
    options: Options,
    marked: Callable[[], list[JiraIssue]],
) -> list[JiraIssue]:
    """Search again once the index must show an issue whose create answer was lost.

    A create was sent at ``journal.pending[label]`` and its answer never arrived: Jira
    may have made the issue, and the index may not show it yet. Past ``index_lag``
    after that, a search that misses is authoritative.
    """
    if options.clock is None or options.sleep is None:
        return []
    waited = options.clock() - journal.pending[label]
    if waited < options.index_lag:
        options.sleep((options.index_lag - waited).total_seconds())
    return marked()


def _refresh(item: Planned, clients: Clients) -> Outcome:
    """Read a tracked item's ticket: what changed comes back into the file (at the end of
    the run, in one commit); a Jira defect's due date follows the plan's."""
    ref = item.source.tracker
    assert ref is not None
    if item.source.kind == "defect" and item.source.final:
        return Outcome(item, "tracked", ref)  # a closed incident's file is not edited
    state = ticket_state(ref, clients)
    found = readback.changes(item.source, state)
    notes = [c.says for c in found]
    source = item.source
    if (
        ref.startswith("jira:") and source.kind == "defect" and not source.final
        and not state.closed and item.due is not None and state.due != item.due
    ):  # fmt: skip
        clients.jira().set_due(ref.removeprefix("jira:"), item.due)
        was = state.due.isoformat() if state.due else "none"
        notes.append(f"due date {was} -> {item.due.isoformat()}")
    action: Action = "updated" if notes else "tracked"
    return Outcome(item, action, ref, "; ".join(notes), changes=found)


def ticket_state(ref: str, clients: Clients) -> TicketState:
    if ref.startswith("jira:"):
        return clients.jira().ticket_state(ref.removeprefix("jira:"))
    repo, _, number = ref.removeprefix("github:").rpartition("#")
    return clients.github(repo).ticket_state(int(number))


def commit_message(item: Planned, ref: str) -> str:
    source = item.source
    what = "defect" if source.kind == "defect" else "action"
    trailer = "Defect" if source.kind == "defect" else "Action"
    return (
        f"{source.incident_id}: {what} {source.key} tracked in {ref}\n\n"
        f"Incident: {source.incident_id}\n{trailer}: {source.key}\nTracker: {ref}\n"
    )


def write_back(root: Path, git: Git, item: Planned, ref: str, journal: Path) -> str:
    """Write ``tracker: ref`` into the item's file and commit it alone; the commit's sha.

    On any failure the file is put back as it was, and the message says that the next
    run writes the reference (the ticket is found again by its marker).
    """
    source = item.source
    path = root / source.path
    listed = "defects" if source.kind == "defect" else "actions"
    id_key = "key" if source.kind == "defect" else "id"
    retry = f"{ref} exists; the next run finds it by its marker and writes the reference then"
    try:
        gitops.check_can_commit(git, path)
        original = path.read_text(encoding="utf-8")
    except (IncidentctlError, OSError) as error:
        raise UsageError(
            f"{source.path}: cannot write the reference back: {error}. {retry}"
        ) from None
    patch = Patch(original)
    index = source.index
    if patch.get((listed, index, id_key)) != source.key:
        items = patch.get((listed,)) or []
        matches = [
            i for i, x in enumerate(items) if isinstance(x, dict) and x.get(id_key) == source.key
        ]
        if not matches:
            raise UsageError(f"{source.path}: {listed} {source.key} is gone from the file. {retry}")
        index = matches[0]
    try:
        patch.set((listed, index, "tracker"), ref)
    except PatchError as error:
        raise UsageError(
            f"{source.path}: cannot write the reference back: {error}. {retry}"
        ) from None
    message = commit_message(item, ref)
    # journalled first: a run killed before the commit leaves it to the next to make
    readback.begin(journal, message, [source.path])
    try:
        atomic_write(path, patch.text)
        sha = gitops.commit_file(git, path, message)
    except (IncidentctlError, OSError) as error:
        atomic_write(path, original)
        readback.end(journal)
        git.run("add", "--", gitops.tracked_path(git, path), check=False)
        text = str(error)
        reason = text.split("git commit failed: ", 1)[-1].split(". Commit it", 1)[0]
        raise UsageError(
            f"{source.path}: git commit of the reference failed ({reason}); the file was put "
            f"back as it was. {retry}"
        ) from None
    readback.end(journal)
    return sha
