"""GitHub issues and issue comments through PyGithub, as a ``Tracker``.

Configuration comes from the environment GitHub Actions provides: the REST API at
``GITHUB_API_URL`` (default ``https://api.github.com``; a GitHub Enterprise Server
URL such as ``https://ghe.example.com/api/v3`` works too) and the token in
``GITHUB_TOKEN``. The token is only ever handed to PyGithub: it is not printed,
logged or put into an error message.

Server errors (5xx) and rate limits (403 or 429 with ``Retry-After``, or a 403 whose
body says the rate limit was hit) are retried with exponential backoff; a
``Retry-After`` is honoured as given, unless it asks for more than ``Pacing.max_wait``
seconds, in which case the run stops with a message instead of hanging.
``INCIDENTCTL_GITHUB_PACE`` scales the client's own waits (backoff, spacing of
writes), never the server's ``Retry-After``: tests set it small.

Every failure becomes one ``GitHubError`` (exit 2) saying what failed and what to do.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.Issue import Issue
from github.IssueComment import IssueComment
from urllib3.response import BaseHTTPResponse

from incidentctl.problems import IncidentctlError
from incidentctl.trackers import Comment, TicketState, TrackedIssue, Tracker, http_url_problem

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
STATUS_PAGE = "https://www.githubstatus.com"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubError(IncidentctlError):
    """GitHub refused or failed a request; the message says what to do."""

    exit_code = 2


def check_repo(name: str) -> str:
    if not _REPO_RE.match(name) or name.split("/")[1] in (".", ".."):
        raise GitHubError(f"{name!r} is not a repository name: write owner/repo")
    return name


def api_url_from(env: Mapping[str, str]) -> str:
    url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    problem = http_url_problem(url)
    if problem is not None:
        raise GitHubError(
            f"GITHUB_API_URL {url!r} is not an http(s) URL ({problem}): use {DEFAULT_API_URL} "
            "or your GitHub Enterprise Server's https://HOST/api/v3"
        )
    return url


def server_url_from(env: Mapping[str, str]) -> str:
    return (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")


@dataclass(frozen=True, slots=True)
class Pacing:
    """How patient the client is.

    ``retries`` attempts after the first; exponential backoff of ``backoff`` seconds
    times 2**n between them (the first retry is immediate, as urllib3 does it); at
    most ``max_wait`` seconds for one wait, ``Retry-After`` included; writes spaced
    by ``write_interval`` seconds, as GitHub asks of integrations to stay clear of
    its secondary rate limits.
    """

    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    write_interval: float = 1.0
    request_interval: float = 0.25
    timeout: int = 15

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Pacing:
        text = env.get("INCIDENTCTL_GITHUB_PACE", "").strip()
        if not text:
            return cls()
        try:
            pace = float(text)
        except ValueError:
            pace = -1.0
        if not 0 <= pace <= 10:
            raise GitHubError(
                f"INCIDENTCTL_GITHUB_PACE {text!r} is not a factor between 0 and 10 "
                "(it scales the client's backoff and write spacing; 1 is the default)"
            )
        base = cls()
        return cls(
            base.retries,
            base.backoff * pace,
            base.max_wait,
            base.write_interval * pace,
            base.request_interval * pace,
            base.timeout,
        )


class RetryAfterTooLong(Exception):
    """The server asked to wait longer than the run is willing to."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


Sleep = Callable[[float], None]


class PacedRetry(GithubRetry):
    """PyGithub's retry, which also retries 429 and PATCH, and sleeps through ``sleep``.

    urllib3 honours ``Retry-After`` on any retried status; this refuses to sleep
    more than ``max_wait`` seconds for it (or for a rate limit's reset), and sends
    every wait (``Retry-After`` or backoff) through ``sleep``, so a test can see what
    was asked for.
    """

    def __init__(self, *, max_wait: float = 120.0, sleep: Sleep = time.sleep, **kwargs: Any):
        self.max_wait = max_wait
        self.sleeper = sleep
        kwargs.setdefault("status_forcelist", [429, *range(500, 600)])
        kwargs.setdefault(
            "allowed_methods", GithubRetry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"}
        )
        kwargs.setdefault("secondary_rate_wait", min(60.0, max_wait))
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> PacedRetry:
        kw.update(max_wait=self.max_wait, sleep=self.sleeper)
        retry: PacedRetry = super().new(**kw)
        return retry

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        seconds = self.get_retry_after(response)
        if seconds is None:
            return False
        if seconds > self.max_wait:
            raise RetryAfterTooLong(seconds)
        if seconds > 0:
            self.sleeper(seconds)
        return True

    def _sleep_backoff(self) -> None:
        # A primary rate limit without Retry-After backs off until X-RateLimit-Reset.
        backoff = self.get_backoff_time()
        if backoff > self.max_wait:
            raise RetryAfterTooLong(backoff)
        if backoff > 0:
            self.sleeper(backoff)


class GitHub:
    """One repository's issues and comments. A ``Tracker``; close it (or use ``with``)."""

    def __init__(
        self,
        repo: str,
        *,
        token: str,
        api_url: str = DEFAULT_API_URL,
        pacing: Pacing | None = None,
        per_page: int = 100,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.repo = check_repo(repo)
        self.api_url = api_url.rstrip("/")
        pacing = pacing or Pacing()
        self.pacing = pacing
        retry = PacedRetry(
            total=pacing.retries,
            backoff_factor=pacing.backoff,
            backoff_max=pacing.max_wait,
            max_wait=pacing.max_wait,
            raise_on_status=False,  # the last answer becomes a GithubException with its status
            sleep=sleep,
        )
        self._github = Github(
            auth=Auth.Token(token),
            base_url=self.api_url,
            timeout=pacing.timeout,
            per_page=per_page,
            retry=retry,
            seconds_between_requests=pacing.request_interval or None,
            seconds_between_writes=pacing.write_interval or None,
            lazy=True,  # no request until one is needed: objects are built from their URLs
        )
        self._repo = self._github.get_repo(self.repo)

    @classmethod
    def from_env(cls, repo: str, env: Mapping[str, str] | None = None) -> GitHub:
        env = os.environ if env is None else env
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise GitHubError(
                "GITHUB_TOKEN is not set: give the step the workflow's token "
                "(env: GITHUB_TOKEN: ${{ github.token }}) with the permissions it needs"
            )
        return cls(repo, token=token, api_url=api_url_from(env), pacing=Pacing.from_env(env))

    def close(self) -> None:
        self._github.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- comments -------------------------------------------------------------

    def comments(self, number: int) -> list[Comment]:
        with self._calling(f"reading the comments of #{number}"):
            return [_comment(c) for c in self._repo.get_issue(number).get_comments()]

    def comment(self, number: int, body: str) -> Comment:
        with self._calling(f"commenting on #{number}"):
            return _comment(self._repo.get_issue(number).create_comment(body))

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        with self._calling(f"editing comment {comment_id} on #{number}"):
            found = self._repo.get_issue(number).get_comment(comment_id)
            found.edit(body)
            return _comment(found)

    # -- pull requests --------------------------------------------------------

    def pull_request_head(self, number: int) -> tuple[str, str | None]:
        """The head commit of pull request ``number`` and the repository it comes from
        (None when that repository was deleted)."""
        with self._calling(f"reading pull request #{number}"):
            head = self._repo.get_pull(number).head
            return head.sha, head.repo.full_name if head.repo is not None else None

    def pull_request_for(self, branch: str, base: str, title: str, body: str) -> tuple[str, bool]:
        """The open pull request from ``branch`` (of this repository) into ``base``, opened
        if there is none; its address, and whether it was opened now."""
        owner = self.repo.split("/")[0]
        with self._calling(f"listing the pull requests from {branch}"):
            found = self._repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base)
            for pull in found:
                return pull.html_url, False
        with self._calling(f"opening a pull request from {branch} into {base}"):
            pull = self._repo.create_pull(base=base, head=branch, title=title, body=body)
            return pull.html_url, True

    # -- issues ---------------------------------------------------------------

    def labelled(self, label: str) -> list[TrackedIssue]:
        """Every issue (not pull request) carrying ``label``, open or closed, oldest first."""
        with self._calling(f"listing the issues labelled {label!r}"):
            listed = self._repo.get_issues(
                state="all", labels=[label], sort="created", direction="asc"
            )
            return [self._issue(i) for i in listed if not _is_pull_request(i)]

    def find(self, marker: str, label: str) -> TrackedIssue | None:
        return next((i for i in self.labelled(label) if marker in i.body), None)

    def create(self, title: str, body: str, labels: Sequence[str]) -> TrackedIssue:
        shown = title if len(title) <= 80 else title[:79] + "…"
        with self._calling(f"opening the issue {shown!r}"):
            issue = self._issue(self._repo.create_issue(title, body, labels=list(labels)))
        missing = [name for name in labels if name not in issue.labels]
        if missing:
            # GitHub drops labels silently without push access; a tracking issue without
            # its label would never be found again, and the next run would open another.
            with self._calling(f"labelling #{issue.number}"):
                found = self._repo.get_issue(issue.number)
                found.edit(labels=sorted({*issue.labels, *labels}))
                issue = self._issue(found)
            if any(name not in issue.labels for name in labels):
                raise GitHubError(
                    f"GitHub opened {issue.url} but dropped its label(s) "
                    f"{', '.join(missing)}: the token needs write access to issues "
                    "(permissions: issues: write); label it by hand before the next run"
                )
        return issue

    def ticket_state(self, number: int) -> TicketState:
        """Whether issue ``number`` is closed, closed as completed, and its milestone."""
        with self._calling(f"reading #{number}"):
            issue = self._repo.get_issue(number)
            data: dict[str, Any] = issue.raw_data  # one GET, read as GitHub sent it
            closed = data.get("state") == "closed"
            reason = data.get("state_reason")
            milestone = data.get("milestone")
            title = milestone.get("title") if isinstance(milestone, dict) else None
            return TicketState(
                f"github:{self.repo}#{number}",
                closed,
                closed and reason in (None, "completed"),
                str(title) if title else None,
            )

    def set_state(self, number: int, state: str) -> TrackedIssue:
        verb = "closing" if state == "closed" else "reopening"
        with self._calling(f"{verb} #{number}"):
            issue = self._repo.get_issue(number)
            if state == "closed":
                issue.edit(state="closed", state_reason="completed")
            else:
                issue.edit(state="open")
            return self._issue(issue)

    def close_duplicate(self, number: int, labels: Sequence[str]) -> TrackedIssue:
        """Close ``number`` as not planned, its labels set to ``labels`` (one PATCH)."""
        with self._calling(f"closing #{number} as a duplicate"):
            issue = self._repo.get_issue(number)
            issue.edit(state="closed", state_reason="not_planned", labels=list(labels))
            return self._issue(issue)

    def _issue(self, issue: Issue) -> TrackedIssue:
        return TrackedIssue(
            number=issue.number,
            ref=f"github:{self.repo}#{issue.number}",
            url=issue.html_url,
            state=issue.state,
            title=issue.title,
            body=issue.body or "",
            labels=tuple(label.name for label in issue.labels),
            author=issue.user.login if issue.user is not None else None,
        )

    # -- errors ---------------------------------------------------------------

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except RetryAfterTooLong as error:
            raise GitHubError(
                f"GitHub: {what}: rate limited, and GitHub asks to wait {error.seconds:.0f}s, "
                f"longer than the {self.pacing.max_wait:.0f}s this run waits; rerun the job later"
            ) from None
        except GithubException as error:
            self._fail(what, error)
        except requests.exceptions.RetryError as error:
            raise GitHubError(
                f"GitHub: {what}: no answer after {self.pacing.retries + 1} attempts "
                f"({type(error).__name__}); GitHub may be having an outage "
                f"({STATUS_PAGE}): rerun the job later"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            raise GitHubError(
                f"GitHub: {what}: cannot reach {self.api_url} ({type(error).__name__}); "
                "check GITHUB_API_URL and the network, or rerun the job later"
            ) from None
        except requests.exceptions.RequestException as error:
            raise GitHubError(
                f"GitHub: {what}: the request failed ({type(error).__name__}); rerun the job later"
            ) from None

    def _fail(self, what: str, error: GithubException) -> NoReturn:
        status = error.status
        data = error.data
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        said = f": {message[:200]}" if message else ""
        reasons = _reasons(data)
        if reasons:
            said += f" ({'; '.join(reasons)[:300]})"
        limited = "rate limit" in message.lower()
        if status == 401:
            hint = "GITHUB_TOKEN was refused: pass a valid token for this repository"
        elif status == 429 or (status == 403 and limited):
            hint = "GitHub's rate limit was reached and retries ran out: rerun the job later"
        elif status == 403 and "locked" in message.lower():
            number = re.search(r"#(\d+)", what)
            which = f"#{number.group(1)}" if number else "the issue"
            hint = (
                f"{which} is locked, and the workflow's token cannot comment on a locked "
                f"issue: unlock it on GitHub ({self.repo}), or nothing more is posted there"
            )
        elif status == 403:
            hint = (
                "the token may not do this: grant the job the permissions it needs "
                "(issues: write, pull-requests: write)"
            )
        elif status == 404:
            hint = (
                f"check that {self.repo} and the issue exist and the token can see them "
                "(--repo, GITHUB_REPOSITORY, GITHUB_API_URL)"
            )
        elif status == 410:
            hint = f"issues are disabled on {self.repo}: enable them in the repository settings"
        elif status >= 500:
            hint = (
                f"GitHub kept failing after {self.pacing.retries + 1} attempts and may be "
                f"having an outage ({STATUS_PAGE}): rerun the job later"
            )
        elif status == 422:
            hint = "GitHub refused what was sent: fix it where it comes from, then rerun"
        else:
            hint = "GitHub refused the request"
        raise GitHubError(f"GitHub: {what}: HTTP {status}{said}; {hint}") from None


def _reasons(data: object) -> list[str]:
    """GitHub's own reasons for a refusal: the ``errors`` of a validation failure."""
    errors = data.get("errors") if isinstance(data, dict) else None
    found = []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            text = item.get("message") or " ".join(
                str(item[k]) for k in ("field", "code") if item.get(k)
            )
            found.append(str(text))
        elif isinstance(item, str):
            found.append(item)
    return found


def _comment(comment: IssueComment) -> Comment:
    user = comment.user
    return Comment(
        id=comment.id,
        author=user.login if user is not None else None,
        body=comment.body or "",
        url=comment.html_url,
    )


def _is_pull_request(issue: Issue) -> bool:
    # The list answer marks pull requests with a "pull_request" key; reading an absent
    # attribute through PyGithub would fetch the issue again, so look at the payload.
    data: dict[str, Any] = issue._rawData
    return data.get("pull_request") is not None


if TYPE_CHECKING:

    def _is_a_tracker(github: GitHub) -> Tracker:
        return github  # mypy checks that GitHub satisfies the protocol
