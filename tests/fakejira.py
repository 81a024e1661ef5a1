"""A fake Jira Cloud REST API v3 on loopback, held to Atlassian's OpenAPI description.

Issues live in memory. Every request and response is validated with openapi-core
against ``tests/contracts/jira-platform-v3-subset.json``; an operation the subset lacks
(``GET``/``PUT /rest/api/3/issue/{issueIdOrKey}``) against the whole description,
``jira-platform-v3.json``. A request outside the contract, or a response that does not
match, is a *violation*: answered 400 and reported by ``check()``.

Error statuses Jira may answer on any endpoint (401, 403, 404, 429, 5xx) are validated
against an overlay that declares the description's ``ErrorCollection`` for them where
an operation does not list them.

The search index is eventually consistent, as Jira's is: an issue created while
``lagging`` is true is not found by a JQL search until ``reindex()``, unless its id is
passed in ``reconcileIssues``. The JQL understood is what incidentctl sends:
``labels = "x"`` (and ``project = X``, ``ORDER BY created ASC``).

Failures are injected with ``fail(count, status, retry_after=..., on=...)``; ``on``
("POST /rest/api/3/issue", a method and path prefix) limits them to some requests.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from fakeserver import ContractFake

CONTRACTS = Path(__file__).parent / "contracts"
SUBSET = CONTRACTS / "jira-platform-v3-subset.json"
FULL = CONTRACTS / "jira-platform-v3.json"
USER = "bot@example.com"
ACCOUNT = "5b10a2844c20165700ede21b"  # USER's account id
TOKEN = "jira-fake-token-0123456789"
ERROR_REF = {"$ref": "#/components/schemas/ErrorCollection"}
_ERRORS = ("400", "401", "403", "404", "429", "500", "502", "503")


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = json.load(stream)
    return loaded


@functools.cache
def contract(base_url: str, full: bool = False, errors: bool = False) -> OpenAPI:
    spec = copy.deepcopy(_load(FULL if full else SUBSET))
    spec["servers"] = [{"url": base_url}]
    if errors:
        for operations in spec["paths"].values():
            for method, operation in operations.items():
                if method in ("get", "post", "put", "delete"):
                    for status in _ERRORS:
                        declared = operation["responses"].setdefault(status, {"description": "x"})
                        declared["content"] = {"application/json": {"schema": ERROR_REF}}
    # The whole description has defaults outside their own enums ('' for a status):
    # it is not checked as a document, but requests and responses are validated against it.
    config = Config(spec_validator_cls=None) if full else None
    return OpenAPI.from_dict(spec, config=config)


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    on: str
    retry_after: str | None = None


@dataclass
class JiraRecord:
    id: int
    key: str
    project: str
    fields: dict[str, Any]
    properties: dict[str, Any]
    indexed: bool
    created: float = field(default_factory=time.monotonic)


class FakeJira(ContractFake):
    def __init__(self, server: HTTPServer, projects: tuple[str, ...] = ("PAY",)) -> None:
        super().__init__()
        self.server = server
        self.base = server.url_for("/").rstrip("/")
        self.projects = set(projects)
        self.issues: dict[int, JiraRecord] = {}
        self.failures: deque[Failure] = deque()
        self.exchanges: list[Exchange] = []
        self.lagging = True
        # With lagging: seconds after which a new issue shows in searches (None: never,
        # until reindex()), as Jira's index catches up.
        self.index_lag: float | None = None
        self.lost_answers = 0  # creates to carry out, then answer 503 as if the answer was lost
        self.comments: dict[int, list[Any]] = {}  # issue id: comment bodies (ADF)
        self._next = 10000
        self._lock = threading.Lock()
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    # -- for tests ------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "JIRA_URL": self.base,
            "JIRA_USER": USER,
            "JIRA_API_TOKEN": TOKEN,
            "INCIDENTCTL_JIRA_PACE": "0.001",
            **extra,
        }

    def close(self, key: str, resolution: str = "Done", versions: tuple[str, ...] = ()) -> None:
        """Move an issue to Done with a resolution and fix versions, as a person would."""
        with self._lock:
            issue = self._by_key(key)
            assert issue is not None
            issue.fields["status"] = self._status("Done", "done")
            issue.fields["resolution"] = {
                "self": f"{self.base}/rest/api/3/resolution/1", "id": "1", "name": resolution,
                "description": f"{resolution}.",
            }  # fmt: skip
            issue.fields["fixVersions"] = [
                {"self": f"{self.base}/rest/api/3/version/{100 + n}", "id": str(100 + n),
                 "name": name, "released": True, "archived": False}
                for n, name in enumerate(versions)
            ]  # fmt: skip

    def reopen(self, key: str) -> None:
        with self._lock:
            issue = self._by_key(key)
            assert issue is not None
            issue.fields["status"] = self._status("To Do", "new")
            issue.fields["resolution"] = None

    def _status(self, name: str, category: str) -> dict[str, Any]:
        ids = {"new": 2, "indeterminate": 4, "done": 3}
        return {
            "self": f"{self.base}/rest/api/3/status/{ids[category]}", "id": str(ids[category]),
            "name": name, "statusCategory": {
                "self": f"{self.base}/rest/api/3/statuscategory/{ids[category]}",
                "id": ids[category], "key": category, "name": name, "colorName": "blue-gray"},
        }  # fmt: skip

    def reindex(self) -> None:
        with self._lock:
            for issue in self.issues.values():
                issue.indexed = True

    def fail(
        self, count: int, status: int, *, retry_after: str | None = None, on: str = ""
    ) -> None:
        self.failures.extend(Failure(status, on, retry_after) for _ in range(count))

    def requests(self, method: str | None = None, path: str = "") -> list[Exchange]:
        return [
            e
            for e in self.exchanges
            if (method is None or e.method == method) and e.path.startswith(path)
        ]

    # -- serving --------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self._wait_if_held(request.method == "POST" and request.path == "/rest/api/3/issue")
        with self._lock:
            body = request.get_json(silent=True) if request.data else None
            exchange = Exchange(request.method, request.path, body)
            self.exchanges.append(exchange)
            response = self._answer(request)
            exchange.status = response.status_code
            return response

    def _answer(self, request: Request) -> Response:
        wrapped = WerkzeugOpenAPIRequest(request)
        full = False
        try:
            try:
                contract(self.base).validate_request(wrapped)
            except PathNotFound:
                full = True
                contract(self.base, full=True).validate_request(wrapped)
        except OpenAPIError as error:
            return self._violation(f"{request.method} {request.path}: request: {error}")
        if not self._authorized(request):
            response = _error(401, "You are not authorized to perform this operation.")
        elif failure := self._failure(request):
            response = _error(failure.status, "Injected failure")
            if failure.retry_after is not None:
                response.headers["Retry-After"] = failure.retry_after
        else:
            response = self._route(request)
        try:
            try:
                contract(self.base, full).validate_response(
                    wrapped, WerkzeugOpenAPIResponse(response)
                )
            except (ResponseNotFound, OpenAPIError):
                if response.status_code < 400:
                    raise
                contract(self.base, full, errors=True).validate_response(
                    wrapped, WerkzeugOpenAPIResponse(response)
                )
        except OpenAPIError as error:
            return self._violation(
                f"{request.method} {request.path}: response {response.status_code}: {error}"
            )
        return response

    def _failure(self, request: Request) -> Failure | None:
        for failure in self.failures:
            if f"{request.method} {request.path}".startswith(failure.on):
                self.failures.remove(failure)
                return failure
        return None

    def _violation(self, message: str) -> Response:
        self.violations.append(message)
        return _error(400, f"contract violation: {message}")

    def _authorized(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        return base64.b64decode(value).decode() == f"{USER}:{TOKEN}"

    def _route(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path == "/rest/api/3/issue":
            created = self._create(request.get_json())
            if created.status_code == 201 and self.lost_answers > 0:
                self.lost_answers -= 1
                return _error(503, "The request timed out after the issue was created.")
            return created
        if request.method == "GET" and path == "/rest/api/3/myself":
            return _json(user_json(self.base, ACCOUNT, "incidentctl bot", USER))
        if request.method == "POST" and path == "/rest/api/3/search/jql":
            return self._search(request.get_json())
        commented = re.match(r"^/rest/api/3/issue/([A-Z][A-Z0-9_]*-\d+|\d+)/comment$", path)
        if commented and request.method == "POST":
            return self._comment(commented.group(1), request.get_json())
        found = re.match(r"^/rest/api/3/issue/([A-Z][A-Z0-9_]*-\d+|\d+)$", path)
        if found:
            issue = self._by_key(found.group(1))
            if issue is None:
                return _error(404, "Issue does not exist or you do not have permission to see it.")
            if request.method == "GET":
                wanted = request.args.get("fields", "labels,duedate,summary").split(",")
                return _json(self._issue_json(issue, wanted))
            if request.method == "PUT":
                for name, value in (request.get_json().get("fields") or {}).items():
                    issue.fields[name] = value
                if request.args.get("returnIssue") == "true":
                    return _json(self._issue_json(issue, ["labels", "duedate", "summary"]))
                return Response(status=204)
        return _error(404, "Not found")

    def _comment(self, key: str, data: dict[str, Any]) -> Response:
        issue = self._by_key(key)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = data.get("body")
        if not (isinstance(body, dict) and body.get("type") == "doc"):
            return _json({"errorMessages": ["Comment body is not a valid Atlassian Document"],
                          "errors": {}}, 400)  # fmt: skip
        self.comments.setdefault(issue.id, []).append(body)
        number = 20000 + sum(len(c) for c in self.comments.values())
        now = "2026-03-02T11:00:00.000+00:00"
        return _json({"id": str(number), "body": body, "created": now, "updated": now,
                      "self": f"{self.base}/rest/api/3/issue/{issue.id}/comment/{number}"},
                     201)  # fmt: skip

    def _by_key(self, key: str) -> JiraRecord | None:
        return next((i for i in self.issues.values() if key in (i.key, str(i.id))), None)

    def _create(self, data: dict[str, Any]) -> Response:
        fields = data.get("fields") or {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            return _json({"errorMessages": [], "errors": {"project": "valid project is required"}},
                         400)  # fmt: skip
        description = fields.get("description")
        if not (isinstance(description, dict) and description.get("type") == "doc"):
            return _json({"errorMessages": [], "errors": {"description": "Operation value must "
                          "be an Atlassian Document"}}, 400)  # fmt: skip
        refused = _refused(fields)
        if refused:
            return _json({"errorMessages": [], "errors": refused}, 400)
        self._next += 1
        number = 1 + sum(1 for i in self.issues.values() if i.project == project)
        creator = user_json(self.base, ACCOUNT, "incidentctl bot", USER)
        workflow = {"creator": creator, "status": self._status("To Do", "new"),
                    "resolution": None, "fixVersions": []}  # fmt: skip
        issue = JiraRecord(
            self._next, f"{project}-{number}", project, {**fields, **workflow},
            {p["key"]: p["value"] for p in data.get("properties") or []}, not self.lagging,
        )  # fmt: skip
        self.issues[issue.id] = issue
        return _json({"id": str(issue.id), "key": issue.key,
                      "self": f"{self.base}/rest/api/3/issue/{issue.id}"}, 201)  # fmt: skip

    def _search(self, data: dict[str, Any]) -> Response:
        jql = str(data.get("jql", ""))
        labels = re.findall(r'labels\s*=\s*"([^"]+)"', jql)
        projects = re.findall(r"project\s*=\s*\"?([A-Z][A-Z0-9_]*)", jql)
        if not labels and not projects:
            return _json({"errorMessages": ["Unbounded JQL queries are not allowed here."]}, 400)
        reconcile = set(data.get("reconcileIssues") or [])
        found = [
            i
            for i in sorted(self.issues.values(), key=lambda i: i.id)
            if (self._shown(i) or i.id in reconcile)
            and all(label in (i.fields.get("labels") or []) for label in labels)
            and all(i.project == p for p in projects)
        ]
        wanted = data.get("fields") or ["id"]
        limit = int(data.get("maxResults", 50))
        return _json(
            {"issues": [self._issue_json(i, wanted) for i in found[:limit]], "isLast": True}
        )

    def _shown(self, issue: JiraRecord) -> bool:
        if issue.indexed:
            return True
        lag = self.index_lag
        return lag is not None and time.monotonic() - issue.created >= lag

    def _issue_json(self, issue: JiraRecord, wanted: list[str]) -> dict[str, Any]:
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.base}/rest/api/3/issue/{issue.id}",
            "fields": {name: issue.fields.get(name) for name in wanted if name != "id"},
        }


def user_json(base: str, account: str, name: str, email: str | None = None) -> dict[str, Any]:
    """A user as Jira Cloud shows one (the e-mail address only where it is visible)."""
    data: dict[str, Any] = {
        "self": f"{base}/rest/api/3/user?accountId={account}",
        "accountId": account,
        "accountType": "atlassian",
        "active": True,
        "displayName": name,
        "timeZone": "UTC",
    }
    if email is not None:
        data["emailAddress"] = email
    return data


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"errorMessages": [message], "errors": {}}, status)


def _refused(fields: dict[str, Any]) -> dict[str, str]:
    """What Jira refuses in the fields of a new issue, by field, in its own words."""
    errors = {}
    summary = str(fields.get("summary", ""))
    if "\n" in summary or "\r" in summary:
        errors["summary"] = "The summary is invalid because it contains newline characters."
    elif len(summary) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    for label in fields.get("labels") or []:
        if re.search(r"\s", str(label)):
            errors["labels"] = f"The label '{label}' contains spaces which is invalid."
    return errors
