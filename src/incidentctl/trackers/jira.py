"""Jira Cloud issues through REST API v3 on ``requests``: search, create, due dates.

Configuration comes from the environment, never from repository files: the site at
``JIRA_URL`` (``https://your-domain.atlassian.net``), the account ``JIRA_USER`` (an
e-mail address) and its API token ``JIRA_API_TOKEN`` (basic auth). The token is only
ever handed to ``requests`` as auth: it is not printed, logged or put into a message.

Searches (``POST /rest/api/3/search/jql``) and reads are retried on 429 and 5xx with
exponential backoff, honouring ``Retry-After``; creating an issue is retried only on
429 (a rate-limited request was not processed), never on a 5xx or a lost answer,
which may have created the issue: the caller finds it by its marker on the next run.
``INCIDENTCTL_JIRA_PACE`` scales the client's own backoff (tests set it small).

The search index is eventually consistent: an issue created a moment ago may not match
a JQL search yet. ``search`` passes the ids of issues known to exist as
``reconcileIssues``, which Jira checks against the query with read-after-write
consistency.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import requests

from incidentctl.problems import IncidentctlError
from incidentctl.trackers import TicketState, http_url_problem
from incidentctl.trackers.github import Pacing, Sleep

STATUS_PAGE = "https://jira-software.status.atlassian.com"
# Resolutions that close an issue without doing it (Jira's defaults and common ones).
NOT_DONE = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "incomplete"}
)


class JiraError(IncidentctlError):
    """Jira refused or failed a request; the message says what to do."""

    exit_code = 2


class JiraConfigError(JiraError):
    """Jira is needed but not configured (exit 2)."""


@dataclass(frozen=True, slots=True)
class JiraIssue:
    id: str
    key: str
    url: str
    labels: tuple[str, ...] = ()
    due: date | None = None
    creator: str | None = None  # the account id that created it

    @property
    def ref(self) -> str:
        return f"jira:{self.key}"


def pacing_from(env: Mapping[str, str]) -> Pacing:
    text = env.get("INCIDENTCTL_JIRA_PACE", "").strip()
    base = Pacing()
    if not text:
        return base
    try:
        pace = float(text)
    except ValueError:
        pace = -1.0
    if not 0 <= pace <= 10:
        raise JiraConfigError(
            f"INCIDENTCTL_JIRA_PACE {text!r} is not a factor between 0 and 10 "
            "(it scales the client's backoff; 1 is the default)"
        )
    return Pacing(base.retries, base.backoff * pace, base.max_wait, 0.0, 0.0, base.timeout)


def adf(*paragraphs: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
    """An Atlassian Document Format document: paragraphs of (text, link or None) runs."""
    content = []
    for runs in paragraphs:
        nodes: list[dict[str, Any]] = []
        for text, href in runs:
            if not text:
                continue
            node: dict[str, Any] = {"type": "text", "text": text}
            if href:
                node["marks"] = [{"type": "link", "attrs": {"href": href}}]
            nodes.append(node)
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


class Jira:
    """One Jira Cloud site; close it (or use ``with``)."""

    def __init__(
        self,
        url: str,
        *,
        user: str,
        token: str,
        pacing: Pacing | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.pacing = pacing or Pacing()
        self._sleep = sleep
        self._session = requests.Session()
        self._session.auth = (user, token)
        self._session.headers.update({"Accept": "application/json"})
        self._account: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Jira:
        env = os.environ if env is None else env
        missing = [n for n in ("JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN") if not env.get(n)]
        if missing:
            raise JiraConfigError(
                f"{', '.join(missing)} not set, and a DefectPolicy route sends defects to "
                "Jira: give the step JIRA_URL (https://your-domain.atlassian.net), JIRA_USER "
                "and JIRA_API_TOKEN (from the workflow's secrets, through env:)"
            )
        url = env["JIRA_URL"].strip().rstrip("/")
        problem = http_url_problem(url)
        if problem is not None:
            raise JiraConfigError(
                f"JIRA_URL {url!r} is not an http(s) URL ({problem}): "
                "use https://your-domain.atlassian.net"
            )
        return cls(
            url,
            user=env["JIRA_USER"].strip(),
            token=env["JIRA_API_TOKEN"].strip(),
            pacing=pacing_from(env),
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Jira:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def browse(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    # -- operations -----------------------------------------------------------

    def search(
        self, jql: str, *, reconcile: Sequence[int] = (), limit: int = 50
    ) -> list[JiraIssue]:
        """Issues matching ``jql`` (at most ``limit``), with ``reconcile`` ids checked too."""
        body: dict[str, Any] = {
            "jql": jql,
            "fields": ["labels", "duedate", "creator"],
            "maxResults": limit,
        }
        if reconcile:
            body["reconcileIssues"] = sorted(set(reconcile))
        data = self._call("POST", "/rest/api/3/search/jql", f"searching {jql!r}", json=body)
        return [self._issue(i) for i in data.get("issues", []) if isinstance(i, dict)]

    def create(
        self,
        *,
        project: str,
        issue_type: str,
        summary: str,
        description: dict[str, Any],
        labels: Sequence[str],
        due: date | None,
        properties: Mapping[str, Any] | None = None,
    ) -> JiraIssue:
        fields: dict[str, Any] = {
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": summary[:255],
            "description": description,
            "labels": list(labels),
        }
        if due is not None:
            fields["duedate"] = due.isoformat()
        body: dict[str, Any] = {"fields": fields}
        if properties:
            body["properties"] = [{"key": k, "value": v} for k, v in properties.items()]
        what = f"creating an issue in {project}"
        data = self._call("POST", "/rest/api/3/issue", what, json=body, idempotent=False)
        key = str(data.get("key", ""))
        return JiraIssue(
            str(data.get("id", "")), key, self.browse(key), tuple(labels), due, self._account
        )

    def myself(self) -> str:
        """The account id of JIRA_USER: the identity whose issues the sync trusts."""
        if self._account is None:
            data = self._call("GET", "/rest/api/3/myself", "reading JIRA_USER's account")
            account = data.get("accountId")
            if not isinstance(account, str) or not account:
                raise JiraError(
                    "Jira: reading JIRA_USER's account: the answer has no accountId; is "
                    "JIRA_URL the Jira site (https://your-domain.atlassian.net)?"
                )
            self._account = account
        return self._account

    def get(self, key: str) -> JiraIssue:
        path = f"/rest/api/3/issue/{quote(key)}"
        data = self._call("GET", path, f"reading {key}", params={"fields": "labels,duedate"})
        return self._issue(data)

    def ticket_state(self, key: str) -> TicketState:
        """Whether ``key`` is done, how it was resolved, its fix versions and due date."""
        path = f"/rest/api/3/issue/{quote(key)}"
        fields = "status,resolution,fixVersions,duedate"
        data = self._call("GET", path, f"reading {key}", params={"fields": fields})
        found = data.get("fields") or {}
        status = found.get("status") or {}
        category = status.get("statusCategory") or {} if isinstance(status, dict) else {}
        closed = isinstance(category, dict) and category.get("key") == "done"
        resolution = found.get("resolution") or {}
        name = resolution.get("name") if isinstance(resolution, dict) else None
        done = closed and str(name or "").strip().lower() not in NOT_DONE
        versions = [
            str(v["name"])
            for v in found.get("fixVersions") or []
            if isinstance(v, dict) and v.get("name")
        ]
        due_text = found.get("duedate")
        due = date.fromisoformat(due_text) if isinstance(due_text, str) and due_text else None
        return TicketState(f"jira:{key}", closed, done, ", ".join(versions) or None, due)

    def set_due(self, key: str, due: date | None) -> None:
        path = f"/rest/api/3/issue/{quote(key)}"
        body = {"fields": {"duedate": due.isoformat() if due else None}}
        # returnIssue: a 200 with the issue as edited, rather than an empty 204
        params = {"returnIssue": "true"}
        self._call("PUT", path, f"setting the due date of {key}", json=body, params=params)

    def set_labels(self, key: str, labels: Sequence[str]) -> None:
        path = f"/rest/api/3/issue/{quote(key)}"
        body = {"fields": {"labels": list(labels)}}
        params = {"returnIssue": "true"}
        self._call("PUT", path, f"setting the labels of {key}", json=body, params=params)

    def comment(self, key: str, text: str) -> None:
        """Add a comment (not retried on a 5xx or a lost answer, which may have added it)."""
        path = f"/rest/api/3/issue/{quote(key)}/comment"
        body = {"body": adf([(text, None)])}
        self._call("POST", path, f"commenting on {key}", json=body, idempotent=False)

    # -- plumbing -------------------------------------------------------------

    def _issue(self, data: Mapping[str, Any]) -> JiraIssue:
        fields = data.get("fields") or {}
        due_text = fields.get("duedate")
        due = date.fromisoformat(due_text) if isinstance(due_text, str) and due_text else None
        key = str(data.get("key", ""))
        creator = fields.get("creator")
        account = creator.get("accountId") if isinstance(creator, dict) else None
        return JiraIssue(
            str(data.get("id", "")), key, self.browse(key), tuple(fields.get("labels") or ()),
            due, account if isinstance(account, str) else None,
        )  # fmt: skip

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        pacing = self.pacing
        attempt = 0
        while True:
            try:
                response = self._session.request(
                    method, self.url + path, json=json, params=params, timeout=pacing.timeout
                )
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                if idempotent and attempt < pacing.retries:
                    self._wait(None, attempt, what)
                    attempt += 1
                    continue
                raise JiraError(
                    f"Jira: {what}: cannot reach {self.url} ({type(error).__name__}); check "
                    "JIRA_URL and the network, or rerun the job later"
                ) from None
            except requests.exceptions.RequestException as error:
                raise JiraError(
                    f"Jira: {what}: the request failed ({type(error).__name__}); rerun later"
                ) from None
            status = response.status_code
            retriable = status == 429 or (idempotent and status >= 500)
            if retriable and attempt < pacing.retries:
                self._wait(response.headers.get("Retry-After"), attempt, what)
                attempt += 1
                continue
            if status >= 400:
                self._fail(what, response)
            if status == 204 or not response.content:
                return {}
            try:
                data = response.json()
            except ValueError:
                raise JiraError(
                    f"Jira: {what}: the answer is not JSON: is JIRA_URL the Jira site "
                    "(https://your-domain.atlassian.net)?"
                ) from None
            return data if isinstance(data, dict) else {}

    def _wait(self, retry_after: str | None, attempt: int, what: str) -> None:
        seconds = self.pacing.backoff * 2**attempt
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                seconds = max(0.0, float(retry_after.strip()))
        if seconds > self.pacing.max_wait:
            raise JiraError(
                f"Jira: {what}: rate limited, and Jira asks to wait {seconds:.0f}s, longer than "
                f"the {self.pacing.max_wait:.0f}s this run waits; rerun the job later"
            )
        if seconds > 0:
            self._sleep(seconds)

    def _fail(self, what: str, response: requests.Response) -> None:
        status = response.status_code
        messages: list[str] = []
        errors: dict[str, str] = {}
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            messages = [str(m) for m in data.get("errorMessages") or []]
            errors = {str(k): str(v) for k, v in (data.get("errors") or {}).items()}
        said = "; ".join([*messages, *(f"{k}: {v}" for k, v in errors.items())])[:300]
        said = f" ({said})" if said else ""
        if status == 401:
            hint = (
                "JIRA_USER and JIRA_API_TOKEN were refused: check them "
                "(an API token, not a password)"
            )
        elif status == 403:
            hint = "JIRA_USER may not do this: grant it Browse projects and Create issues"
        elif status == 404:
            hint = "not found: check JIRA_URL, the project key and that JIRA_USER can see it"
        elif status == 400 and "project" in errors:
            hint = (
                "the project does not exist or JIRA_USER cannot create issues in it: fix "
                "jira.project in policies/defects.yaml or the user's permissions"
            )
        elif status == 400 and "issuetype" in errors:
            hint = "fix jira.issue_type in policies/defects.yaml: the project has no such type"
        elif status == 400 and "duedate" in errors:
            hint = "add the Due date field to the project's create and edit screens"
        elif status == 429:
            hint = "Jira's rate limit was reached and retries ran out: rerun the job later"
        elif status >= 500:
            hint = f"Jira kept failing and may be having an outage ({STATUS_PAGE}): rerun later"
        else:
            hint = "Jira refused the request"
        raise JiraError(f"Jira: {what}: HTTP {status}{said}; {hint}")
