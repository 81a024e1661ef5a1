"""A fake GitHub REST API on loopback, held to GitHub's own OpenAPI description.

Issues, pull requests (as issues), comments and labels live in memory. Every request
the client sends and every response the fake gives is validated with openapi-core
against ``tests/contracts/github-rest-subset.json`` (GitHub's official description,
cut to the paths incidentctl uses), served at an Enterprise-style prefix
(``http://localhost:PORT/api/v3``). A request outside the contract, a body GitHub
would refuse, or a response that does not match GitHub's schemas is a *violation*:
the request is answered 400 (a bad request) and ``check()`` (called when the test
ends) fails the test.

Error statuses GitHub can answer on any endpoint (401, 403, 404, 429, 5xx) are not
declared on every operation of the description; they are validated against an
overlay that adds the description's own shared error responses (``basic-error``)
to each operation. Success responses are validated against the description as is.

Failures are injected with ``fail(count, status, retry_after=..., after=0)``: the
``count`` requests after the next ``after`` get that answer. ``exchanges`` records
every request (method, path without the prefix, query, JSON body, status, and the
monotonic time it arrived).

    fake = FakeGitHub(httpserver)          # pytest-httpserver's fixture
    env = fake.env()                       # GITHUB_API_URL, GITHUB_TOKEN, ...
    pr = fake.add_pull_request("acme/ops")
    fake.fail(2, 503)
    ...
    fake.check()
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from fakeserver import ContractFake

CONTRACT = Path(__file__).parent / "contracts" / "github-rest-subset.json"
PREFIX = "/api/v3"
BOT = "github-actions[bot]"
TOKEN = "ghs_fake-token-0123456789"
HTML = "https://github.example"
MAX_PER_PAGE = 100
DOCS = "https://docs.github.com/rest"
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"

# Statuses GitHub may answer on any endpoint, with the description's shared responses.
_SHARED_ERRORS = {
    "401": {"$ref": "#/components/responses/requires_authentication"},
    "403": {"$ref": "#/components/responses/forbidden"},
    "404": {"$ref": "#/components/responses/not_found"},
    "429": {
        "description": "Too many requests",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}},
    },
    "500": {"$ref": "#/components/responses/internal_error"},
    "502": {"$ref": "#/components/responses/internal_error"},
    "503": {"$ref": "#/components/responses/service_unavailable"},
}


@functools.cache
def _description() -> dict[str, Any]:
    with CONTRACT.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = json.load(stream)
    return loaded


@functools.cache
def contract(base_url: str, errors: bool = False) -> OpenAPI:
    """The description served at ``base_url``; with ``errors``, the shared error overlay."""
    spec = copy.deepcopy(_description())
    spec["servers"] = [{"url": base_url}]
    if errors:
        for operations in spec["paths"].values():
            for method, operation in operations.items():
                if method in ("get", "post", "patch", "put", "delete"):
                    for status, response in _SHARED_ERRORS.items():
                        operation["responses"].setdefault(status, response)
    return OpenAPI.from_dict(spec)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Exchange:
    method: str
    path: str  # without the API prefix
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    message: str
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class IssueRecord:
    repo: str
    number: int
    title: str
    body: str
    login: str
    labels: list[str]
    pull: bool = False
    state: str = "open"
    locked: bool = False
    milestone: str | None = None  # its title
    head_repo: str = ""  # a pull request's head repository (its fork, or the repository)
    head_sha: str = ""
    head_ref: str = "fix-ack"
    base_ref: str = "main"
    state_reason: str | None = None
    closed_at: str | None = None
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


@dataclass
class CommentRecord:
    id: int
    repo: str
    number: int
    body: str
    login: str
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


Route = Callable[[Request, re.Match[str], str], Response]


class FakeGitHub(ContractFake):
    def __init__(self, server: HTTPServer, prefix: str = PREFIX) -> None:
        super().__init__()
        self.server = server
        self.prefix = prefix
        self.base = server.url_for(prefix).rstrip("/")
        self.tokens = {TOKEN: BOT}
        self.issues: dict[tuple[str, int], IssueRecord] = {}
        self.comments: dict[int, CommentRecord] = {}
        self.label_ids: dict[tuple[str, str], int] = {}
        self.failures: deque[Failure] = deque()
        self.exchanges: list[Exchange] = []
        self.drop_labels = False  # as GitHub does for a token without push access
        self.grace = 0  # requests served normally before the injected failures start
        self._listing: threading.Barrier | None = None
        self._answer_delay = 0.0
        self._ids = 1000
        self._lock = threading.Lock()
        issues = r"^/repos/([^/]+/[^/]+)/issues"
        self._routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("GET", re.compile(issues + "$"), self._list_issues),
            ("POST", re.compile(issues + "$"), self._create_issue),
            ("GET", re.compile(issues + r"/(\d+)$"), self._get_issue),
            ("PATCH", re.compile(issues + r"/(\d+)$"), self._edit_issue),
            ("GET", re.compile(issues + r"/(\d+)/comments$"), self._list_comments),
            ("POST", re.compile(issues + r"/(\d+)/comments$"), self._add_comment),
            ("GET", re.compile(issues + r"/comments/(\d+)$"), self._get_comment),
            ("GET", re.compile(r"^/repos/([^/]+/[^/]+)/pulls/(\d+)$"), self._get_pull),
            ("GET", re.compile(r"^/repos/([^/]+/[^/]+)/pulls$"), self._list_pulls),
            ("POST", re.compile(r"^/repos/([^/]+/[^/]+)/pulls$"), self._create_pull),
            ("PATCH", re.compile(issues + r"/comments/(\d+)$"), self._edit_comment),
        ]
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    # -- for tests ------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a workflow step would have, pointed at this fake."""
        return {
            "GITHUB_API_URL": self.base,
            "GITHUB_SERVER_URL": HTML,
            "GITHUB_TOKEN": TOKEN,
            "INCIDENTCTL_GITHUB_PACE": "0.001",
            **extra,
        }

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_issue(
        self,
        repo: str,
        title: str = "An issue",
        body: str = "",
        *,
        login: str = "octocat",
        labels: Iterable[str] = (),
        pull: bool = False,
        state: str = "open",
    ) -> int:
        with self._lock:
            number = 1 + max((n for r, n in self.issues if r == repo), default=0)
            self.issues[repo, number] = IssueRecord(
                repo, number, title, body, login, list(labels), pull, state
            )
            return number

    def add_pull_request(
        self,
        repo: str,
        title: str = "Acknowledge the incident",
        *,
        head_repo: str | None = None,
        head_sha: str = HEAD_SHA,
    ) -> int:
        number = self.add_issue(repo, title, "", login="contributor", pull=True)
        self.issues[repo, number].head_repo = head_repo or repo
        self.issues[repo, number].head_sha = head_sha
        return number

    def close(
        self, repo: str, number: int, reason: str = "completed", milestone: str | None = None
    ) -> None:
        """Close an issue as a person would on GitHub (``reason``: completed, not_planned)."""
        with self._lock:
            issue = self.issues[repo, number]
            issue.state, issue.state_reason, issue.closed_at = "closed", reason, _now()
            issue.milestone = milestone or issue.milestone

    def reopen(self, repo: str, number: int) -> None:
        with self._lock:
            issue = self.issues[repo, number]
            issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None

    def add_comment(self, repo: str, number: int, body: str, login: str = "octocat") -> int:
        with self._lock:
            comment = CommentRecord(self.next_id(), repo, number, body, login)
            self.comments[comment.id] = comment
            return comment.id

    def comments_on(self, repo: str, number: int) -> list[CommentRecord]:
        return sorted(
            (c for c in self.comments.values() if (c.repo, c.number) == (repo, number)),
            key=lambda c: c.id,
        )

    def issues_in(self, repo: str, label: str | None = None) -> list[IssueRecord]:
        return [
            i
            for (r, _), i in sorted(self.issues.items())
            if r == repo and not i.pull and (label is None or label in i.labels)
        ]

    def fail(
        self,
        count: int,
        status: int,
        *,
        retry_after: str | None = None,
        message: str = "",
        after: int = 0,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer ``count`` requests with ``status`` (and ``Retry-After``), once ``after``
        more requests have been served normally."""
        text = message or {
            403: "You have exceeded a secondary rate limit. Please wait a few minutes.",
            429: "API rate limit exceeded.",
        }.get(status, "Server Error")
        self.grace = after
        self.failures.extend(
            Failure(status, text, retry_after, dict(headers or {})) for _ in range(count)
        )

    def requests(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        return [
            e
            for e in self.exchanges
            if (method is None or e.method == method) and (path is None or re.search(path, e.path))
        ]

    def writes(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method != "GET"]

    # -- serving --------------------------------------------------------------

    def hold_listings(self, parties: int = 2, timeout: float = 20.0) -> None:
        """Hold the next listings of issues until ``parties`` of them have arrived, so
        that concurrent runs all see the same issues before any of them writes. Once."""
        self._listing = threading.Barrier(parties, timeout=timeout)

    def delay_comment_answers(self, seconds: float) -> None:
        """Create each comment at once, but answer only ``seconds`` later (the client may
        die meanwhile: the comment is there, and the client never knew)."""
        self._answer_delay = seconds

    def handle(self, request: Request) -> Response:
        self._wait_if_held(request.method == "POST" and request.path.endswith("/issues"))
        listing = self._listing
        if listing is not None and request.method == "GET" and request.path.endswith("/issues"):
            try:
                listing.wait()
            except threading.BrokenBarrierError:
                self.held_out = True
            self._listing = None
        with self._lock:
            path = request.path.removeprefix(self.prefix)
            body = request.get_json(silent=True) if request.data else None
            exchange = Exchange(request.method, path, dict(request.args), body)
            self.exchanges.append(exchange)
            response = self._answer(request, path)
            exchange.status = response.status_code
        if self._answer_delay and request.method == "POST" and path.endswith("/comments"):
            time.sleep(self._answer_delay)
        return response

    def _answer(self, request: Request, path: str) -> Response:
        wrapped = WerkzeugOpenAPIRequest(request)
        try:
            contract(self.base).validate_request(wrapped)
        except OpenAPIError as error:
            return self._violation(f"{request.method} {path}: request: {_explain(error)}")
        login = self._login(request)
        if login is None:
            response = _error(401, "Bad credentials")
        elif self.failures and self.grace > 0:
            self.grace -= 1
            response = self._route(request, path, login)
        elif self.failures:
            failure = self.failures.popleft()
            response = _error(failure.status, failure.message)
            response.headers.update(failure.headers)
            if failure.retry_after is not None:
                response.headers["Retry-After"] = failure.retry_after
        else:
            response = self._route(request, path, login)
        try:
            try:
                contract(self.base).validate_response(wrapped, WerkzeugOpenAPIResponse(response))
            except ResponseNotFound:
                if response.status_code < 400:
                    raise
                errors = contract(self.base, errors=True)
                errors.validate_response(wrapped, WerkzeugOpenAPIResponse(response))
        except OpenAPIError as error:
            return self._violation(
                f"{request.method} {path}: response {response.status_code}: {_explain(error)}"
            )
        return response

    def _violation(self, message: str) -> Response:
        self.violations.append(message)
        return _error(400, f"contract violation: {message}")

    def _login(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        return self.tokens.get(token)

    def _route(self, request: Request, path: str, login: str) -> Response:
        for method, pattern, route in self._routes:
            match = pattern.match(path)
            if match and request.method == method:
                return route(request, match, login)
        return _error(404, "Not Found")

    # -- routes ---------------------------------------------------------------

    def _list_issues(self, request: Request, match: re.Match[str], login: str) -> Response:
        repo = match.group(1)
        state = request.args.get("state", "open")
        wanted = [s for s in request.args.get("labels", "").split(",") if s]
        found = [
            i
            for (r, _), i in self.issues.items()
            if r == repo
            and (state == "all" or i.state == state)
            and all(name in i.labels for name in wanted)
        ]
        found.sort(key=lambda i: i.number, reverse=request.args.get("direction", "desc") == "desc")
        return self._page(request, [self._issue_json(i) for i in found])

    def _create_issue(self, request: Request, match: re.Match[str], login: str) -> Response:
        repo, data = match.group(1), request.get_json()
        if len(str(data["title"])) > 256:
            return _json({"message": "Validation Failed", "documentation_url": DOCS, "errors": [
                {"resource": "Issue", "code": "custom", "field": "title",
                 "message": "title is too long (maximum is 256 characters)"}]}, 422)  # fmt: skip
        labels = [] if self.drop_labels else [_label_name(x) for x in data.get("labels", [])]
        number = 1 + max((n for r, n in self.issues if r == repo), default=0)
        issue = IssueRecord(repo, number, str(data["title"]), data.get("body") or "", login, labels)
        self.issues[repo, number] = issue
        return _json(self._issue_json(issue), 201)

    def _issue(self, match: re.Match[str]) -> IssueRecord | None:
        return self.issues.get((match.group(1), int(match.group(2))))

    def _get_issue(self, request: Request, match: re.Match[str], login: str) -> Response:
        issue = self._issue(match)
        return _json(self._issue_json(issue)) if issue else _error(404, "Not Found")

    def _get_pull(self, request: Request, match: re.Match[str], login: str) -> Response:
        issue = self._issue(match)
        if issue is None or not issue.pull:
            return _error(404, "Not Found")
        return _json(self._pull_json(issue))

    def _list_pulls(self, request: Request, match: re.Match[str], login: str) -> Response:
        repo, state = match.group(1), request.args.get("state", "open")
        head, base = request.args.get("head"), request.args.get("base")
        found = [
            i
            for (r, _), i in sorted(self.issues.items())
            if r == repo and i.pull and (state == "all" or i.state == state)
            and (head is None or head == f"{i.head_repo.split('/')[0]}:{i.head_ref}")
            and (base is None or base == i.base_ref)
        ]  # fmt: skip
        return self._page(request, [self._pull_json(i) for i in found])

    def _create_pull(self, request: Request, match: re.Match[str], login: str) -> Response:
        repo, data = match.group(1), request.get_json()
        head = str(data["head"]).split(":")[-1]
        if any(i.pull and i.state == "open" and i.head_ref == head
               for (r, _), i in self.issues.items() if r == repo):  # fmt: skip
            return _json({"message": "Validation Failed", "documentation_url": DOCS, "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {repo.split('/')[0]}:{head}."}
            ]}, 422)  # fmt: skip
        number = 1 + max((n for r, n in self.issues if r == repo), default=0)
        pull = IssueRecord(repo, number, str(data.get("title") or head), data.get("body") or "",
                           login, [], pull=True, head_repo=repo, head_sha=HEAD_SHA,
                           head_ref=head, base_ref=str(data["base"]))  # fmt: skip
        self.issues[repo, number] = pull
        return _json(self._pull_json(pull), 201)

    def _edit_issue(self, request: Request, match: re.Match[str], login: str) -> Response:
        issue = self._issue(match)
        if issue is None:
            return _error(404, "Not Found")
        data = request.get_json()
        for name in ("title", "body"):
            if data.get(name) is not None:
                setattr(issue, name, str(data[name]))
        if "labels" in data and not self.drop_labels:
            issue.labels = [_label_name(x) for x in data["labels"]]
        if data.get("state") in ("open", "closed") and data["state"] != issue.state:
            issue.state = data["state"]
            closed = issue.state == "closed"
            issue.closed_at = _now() if closed else None
            issue.state_reason = data.get("state_reason") or ("completed" if closed else "reopened")
        issue.updated_at = _now()
        return _json(self._issue_json(issue))

    def _list_comments(self, request: Request, match: re.Match[str], login: str) -> Response:
        issue = self._issue(match)
        if issue is None:
            return _error(404, "Not Found")
        listed = self.comments_on(issue.repo, issue.number)
        return self._page(request, [self._comment_json(c) for c in listed])

    def _add_comment(self, request: Request, match: re.Match[str], login: str) -> Response:
        issue = self._issue(match)
        if issue is None:
            return _error(404, "Not Found")
        if issue.locked:
            return _error(403, "Unable to create comment because issue is locked.")
        body = request.get_json()["body"]
        if len(body) > 65_536:
            return _error(422, "body is too long (maximum is 65536 characters)")
        comment = CommentRecord(self.next_id(), issue.repo, issue.number, body, login)
        self.comments[comment.id] = comment
        response = _json(self._comment_json(comment), 201)
        response.headers["Location"] = (
            f"{self.base}/repos/{issue.repo}/issues/comments/{comment.id}"
        )
        return response

    def _comment(self, match: re.Match[str]) -> CommentRecord | None:
        comment = self.comments.get(int(match.group(2)))
        return comment if comment is not None and comment.repo == match.group(1) else None

    def _get_comment(self, request: Request, match: re.Match[str], login: str) -> Response:
        comment = self._comment(match)
        return _json(self._comment_json(comment)) if comment else _error(404, "Not Found")

    def _edit_comment(self, request: Request, match: re.Match[str], login: str) -> Response:
        comment = self._comment(match)
        if comment is None:
            return _error(404, "Not Found")
        body = request.get_json()["body"]
        if len(body) > 65_536:
            return _error(422, "body is too long (maximum is 65536 characters)")
        comment.body = body
        comment.updated_at = _now()
        return _json(self._comment_json(comment))

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), MAX_PER_PAGE)
        page = max(int(request.args.get("page", 1)), 1)
        last = max(1, -(-len(items) // per_page))
        response = _json(items[(page - 1) * per_page : page * per_page])
        links = []
        for rel, target in (("next", page + 1), ("last", last), ("first", 1), ("prev", page - 1)):
            if (rel in ("next", "last") and page < last) or (rel in ("first", "prev") and page > 1):
                query = {**request.args, "per_page": str(per_page), "page": str(target)}
                links.append(f'<{self.base}{request.path.removeprefix(self.prefix)}?'
                             f'{urlencode(query)}>; rel="{rel}"')  # fmt: skip
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    # -- GitHub's shapes, from the required fields of its schemas -------------

    def _user_json(self, login: str) -> dict[str, Any]:
        api = f"{self.base}/users/{login}"
        return {
            "login": login,
            "id": sum(map(ord, login)),
            "node_id": f"U_{login}",
            "avatar_url": f"{HTML}/avatars/{login}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{HTML}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }

    def _label_json(self, repo: str, name: str) -> dict[str, Any]:
        key = (repo, name)
        if key not in self.label_ids:
            self.label_ids[key] = self.next_id()
        return {
            "id": self.label_ids[key],
            "node_id": f"LA_{self.label_ids[key]}",
            "url": f"{self.base}/repos/{repo}/labels/{name}",
            "name": name,
            "description": None,
            "color": "ededed",
            "default": False,
        }

    def _issue_json(self, issue: IssueRecord) -> dict[str, Any]:
        api = f"{self.base}/repos/{issue.repo}/issues/{issue.number}"
        kind = "pull" if issue.pull else "issues"
        data: dict[str, Any] = {
            "id": 500_000 + issue.number,
            "node_id": f"I_{issue.repo}_{issue.number}",
            "url": api,
            "repository_url": f"{self.base}/repos/{issue.repo}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{HTML}/{issue.repo}/{kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "title": issue.title,
            "body": issue.body,
            "user": self._user_json(issue.login),
            "labels": [self._label_json(issue.repo, name) for name in issue.labels],
            "assignee": None,
            "assignees": [],
            "milestone": self._milestone_json(issue) if issue.milestone else None,
            "locked": issue.locked,
            "active_lock_reason": "too heated" if issue.locked else None,
            "comments": len(self.comments_on(issue.repo, issue.number)),
            "closed_at": issue.closed_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "author_association": "NONE",
        }
        if issue.state_reason is not None:
            # GitHub sends null, but the description's enum does not allow it: leave it out
            data["state_reason"] = issue.state_reason
        if issue.pull:
            pulls = f"{HTML}/{issue.repo}/pull/{issue.number}"
            data["pull_request"] = {
                "url": f"{self.base}/repos/{issue.repo}/pulls/{issue.number}",
                "html_url": pulls,
                "diff_url": f"{pulls}.diff",
                "patch_url": f"{pulls}.patch",
                "merged_at": None,
            }
        return data

    def _milestone_json(self, issue: IssueRecord) -> dict[str, Any]:
        number = 1 + sorted({i.milestone for i in self.issues.values() if i.milestone}).index(
            issue.milestone
        )
        api = f"{self.base}/repos/{issue.repo}/milestones/{number}"
        return {
            **_instance("nullable-milestone", top=True), "url": api, "labels_url": f"{api}/labels",
            "html_url": f"{HTML}/{issue.repo}/milestone/{number}", "id": 7000 + number,
            "node_id": f"MI_{number}", "number": number, "title": issue.milestone,
            "state": "open", "creator": self._user_json("octocat"),
        }  # fmt: skip

    def _repo_json(self, full_name: str) -> dict[str, Any]:
        owner, name = full_name.split("/")
        api = f"{self.base}/repos/{full_name}"
        data = _instance("repository")
        data.update(
            {key: f"{api}/{key.removesuffix('_url')}" for key in data if key.endswith("_url")}
        )
        data.update(
            id=sum(map(ord, full_name)), node_id=f"R_{full_name}", name=name,
            full_name=full_name, owner=self._user_json(owner), url=api,
            html_url=f"{HTML}/{full_name}", fork=owner != "acme", default_branch="main",
        )  # fmt: skip
        return data

    def _pull_json(self, issue: IssueRecord) -> dict[str, Any]:
        api = f"{self.base}/repos/{issue.repo}/pulls/{issue.number}"
        html = f"{HTML}/{issue.repo}/pull/{issue.number}"
        data = _instance("pull-request")
        data.update(
            {key: f"{api}/{key.removesuffix('_url')}" for key in data if key.endswith("_url")}
        )
        head_owner = issue.head_repo.split("/")[0]
        data.update(
            id=600_000 + issue.number, node_id=f"PR_{issue.repo}_{issue.number}", url=api,
            html_url=html, diff_url=f"{html}.diff", patch_url=f"{html}.patch",
            number=issue.number, state=issue.state, title=issue.title, body=issue.body,
            user=self._user_json(issue.login), created_at=issue.created_at,
            updated_at=issue.updated_at, closed_at=issue.closed_at, labels=[],
            head={"label": f"{head_owner}:{issue.head_ref}", "ref": issue.head_ref,
                  "sha": issue.head_sha, "repo": self._repo_json(issue.head_repo),
                  "user": self._user_json(head_owner)},
            base={"label": f"{issue.repo.split('/')[0]}:{issue.base_ref}", "ref": issue.base_ref,
                  "sha": "f" * 40, "repo": self._repo_json(issue.repo),
                  "user": self._user_json(issue.repo.split("/")[0])},
        )  # fmt: skip
        return data

    def _comment_json(self, comment: CommentRecord) -> dict[str, Any]:
        issue = self.issues[comment.repo, comment.number]
        kind = "pull" if issue.pull else "issues"
        return {
            "id": comment.id,
            "node_id": f"IC_{comment.id}",
            "url": f"{self.base}/repos/{comment.repo}/issues/comments/{comment.id}",
            "html_url": f"{HTML}/{comment.repo}/{kind}/{comment.number}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self._user_json(comment.login),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "issue_url": f"{self.base}/repos/{comment.repo}/issues/{comment.number}",
            "author_association": "NONE" if comment.login != BOT else "CONTRIBUTOR",
        }


def _instance(name: str, top: bool = False) -> dict[str, Any]:
    """The smallest value GitHub's schema ``name`` allows: its required fields, each with a
    placeholder of its type (null where the schema allows it); callers set what matters."""
    schemas = _description()["components"]["schemas"]

    def build(schema: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return build(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        if schema.get("nullable"):
            return None
        for combined in ("allOf", "anyOf", "oneOf"):
            if combined in schema:
                return build(schema[combined][0])
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {key: build(props.get(key, {})) for key in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "integer" or kind == "number":
            return 0
        if kind == "boolean":
            return False
        if schema.get("format") == "date-time":
            return _now()
        if schema.get("format") == "uri":
            return f"{HTML}/placeholder"
        return ""

    schema = dict(schemas[name])
    if top:  # the object itself, where the schema also allows null
        schema.pop("nullable", None)
    built: dict[str, Any] = build(schema)
    return built


def _label_name(value: Any) -> str:
    return str(value["name"] if isinstance(value, dict) else value)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, message: str) -> Response:
    return _json({"message": message, "documentation_url": DOCS}, status)


def _explain(error: BaseException) -> str:
    """The schema errors themselves, not the whole value they were found in."""
    found: list[str] = []
    current: BaseException | None = error
    while current is not None:
        for item in getattr(current, "schema_errors", ()) or ():
            found.append(f"{'/'.join(map(str, item.absolute_path))}: {item.message[:300]}")
        current = current.__cause__ or current.__context__
    return "; ".join(found) if found else str(error)[:500]
