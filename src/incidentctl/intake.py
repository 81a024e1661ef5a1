"""Incidents from outside: an Alertmanager or Grafana alert, a GitHub issue form.

Everything here is untrusted: a payload is read as JSON up to ``MAX_PAYLOAD`` bytes,
only the fields named below are used, every text is stripped of control characters
and cut to a length, and service names keep only the characters a name needs. What
comes out is data for ``new``, which writes it through the YAML emitter and checks
that it reads back; nothing is ever evaluated or handed to a shell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentctl.problems import UsageError

MAX_PAYLOAD = 1 << 20
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_SERVICES = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SERVICE = re.compile(r"[^A-Za-z0-9._/-]+")
_SEVERITY_WORDS = {
    "critical": "SEV1", "page": "SEV1", "p1": "SEV1", "sev1": "SEV1",
    "high": "SEV2", "major": "SEV2", "error": "SEV2", "p2": "SEV2", "sev2": "SEV2",
    "warning": "SEV3", "medium": "SEV3", "minor": "SEV3", "p3": "SEV3", "sev3": "SEV3",
    "info": "SEV4", "low": "SEV4", "p4": "SEV4", "sev4": "SEV4",
    "nonprod": "NONPROD",
}  # fmt: skip
_NO_RESPONSE = "_No response_"  # what GitHub writes for a field left empty


@dataclass(frozen=True, slots=True)
class Intake:
    """What a payload says about a new incident; None where it says nothing."""

    title: str | None = None
    summary: str | None = None
    severity: str | None = None
    services: tuple[str, ...] = ()
    customer: str | None = None
    source: str | None = None
    channel: str | None = None
    impact_started_at: datetime | None = None
    links: tuple[tuple[str, str], ...] = ()  # (url, title)
    note: str | None = None  # an internal update saying where the incident came from
    labels: tuple[str, ...] = field(default_factory=tuple)


def read_payload(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, at most ``MAX_PAYLOAD`` bytes; ``UsageError`` else."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PAYLOAD + 1)
    except OSError as error:
        raise UsageError(f"{path}: cannot read it: {error.strerror or error}") from None
    if len(raw) > MAX_PAYLOAD:
        raise UsageError(f"{path}: larger than {MAX_PAYLOAD} bytes: not a webhook payload")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the payload is not a JSON object")
    return data


def clean(value: Any, limit: int = MAX_TEXT, *, one_line: bool = False) -> str | None:
    """Text fit for a document: no control characters, cut to ``limit``; None if empty."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value.replace("\r\n", "\n"))
    if one_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def services_from(values: Any) -> tuple[str, ...]:
    words = values if isinstance(values, list) else [values]
    found: list[str] = []
    for value in words:
        if not isinstance(value, str):
            continue
        for part in re.split(r"[,\s]+", value):
            name = _SERVICE.sub("-", part).strip("-./")[:64]
            if name and name not in found:
                found.append(name)
    return tuple(found[:MAX_SERVICES])


def severity_from(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _SEVERITY_WORDS.get(value.strip().lower())


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.year < 2000:  # Alertmanager's zero time is 0001-…
        return None
    return parsed.astimezone(UTC).replace(microsecond=0)


def _url(value: Any) -> str | None:
    text = clean(value, 2000, one_line=True)
    return text if text and re.match(r"^https?://\S+$", text) else None


def from_alert(data: dict[str, Any]) -> Intake:
    """An Alertmanager (webhook version 4) or Grafana alerting webhook payload.

    The firing alerts make the incident: the earliest ``startsAt`` is when the impact
    started (so MTTD is measured), the common labels and annotations name it.
    """
    dispatched = data.get("client_payload")
    if isinstance(dispatched, dict) and "alerts" not in data:
        data = dispatched  # a repository_dispatch event carrying the payload
    raw_alerts = data.get("alerts")
    alerts = [a for a in raw_alerts if isinstance(a, dict)] if isinstance(raw_alerts, list) else []
    firing = [a for a in alerts if a.get("status", "firing") == "firing"]
    if not firing:
        raise UsageError(
            "the payload has no firing alert (a resolved notification opens nothing): "
            "expected an Alertmanager or Grafana webhook payload with alerts[].status firing"
        )

    def mapping(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    first = firing[0]
    labels = {**mapping(first.get("labels")), **mapping(data.get("commonLabels"))}
    notes = {**mapping(first.get("annotations")), **mapping(data.get("commonAnnotations"))}
    name = clean(labels.get("alertname"), MAX_TITLE, one_line=True)
    title = (
        clean(notes.get("summary"), MAX_TITLE, one_line=True)
        or clean(data.get("title"), MAX_TITLE, one_line=True)  # Grafana
        or name
    )
    summary = (
        clean(notes.get("description"))
        or clean(data.get("message"))  # Grafana
        or title
    )
    services = services_from(
        [labels.get(k) for k in ("service", "app", "job") if labels.get(k)][:1]
    ) or services_from(name)
    starts = [t for a in firing if (t := _time(a.get("startsAt"))) is not None]
    urls = [_url(a.get(k)) for a in firing for k in ("generatorURL", "panelURL")]
    label = clean(f"Alert {name or ''}".strip(), MAX_TITLE, one_line=True) or "Alert"
    links = [(url, label) for url in dict.fromkeys(u for u in urls if u)][:5]
    count = len(firing)
    note = f"Opened from {count} firing alert(s)" + (f" {name}" if name else "") + "."
    return Intake(
        title=title,
        summary=summary,
        severity=severity_from(labels.get("severity"))
        or severity_from(labels.get("priority"))
        or "SEV3",  # an alert that does not say: the middle, for a person to adjust
        services=services,
        customer=clean(labels.get("customer"), 100, one_line=True),
        source="monitoring",
        channel="monitoring",
        impact_started_at=min(starts) if starts else None,
        links=tuple(links),
        note=note,
    )


def issue_form_fields(body: str) -> dict[str, str]:
    """The answers of a GitHub issue form: ``### Label`` headings, each followed by its
    answer; a field left empty reads ``_No response_``."""
    fields: dict[str, str] = {}
    label: str | None = None
    lines: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.startswith("### "):
            if label is not None:
                fields[label] = "\n".join(lines).strip()
            label, lines = line[4:].strip().lower(), []
        elif label is not None:
            lines.append(line)
    if label is not None:
        fields[label] = "\n".join(lines).strip()
    return {k: v for k, v in fields.items() if v and v != _NO_RESPONSE}


def from_issue(event: dict[str, Any]) -> Intake:
    """A GitHub ``issues`` event whose issue was opened with the incident issue form."""
    issue = event.get("issue")
    if not isinstance(issue, dict):
        raise UsageError("the payload is not a GitHub issues event: it has no issue")
    number = issue.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise UsageError("the issues event has no valid issue number")
    user = issue.get("user") if isinstance(issue.get("user"), dict) else {}
    login = user.get("login") if isinstance(user, dict) else None
    reporter = (
        login if isinstance(login, str) and re.match(r"^[A-Za-z0-9-]{1,39}$", login) else None
    )
    raw_body = issue.get("body")
    body = raw_body if isinstance(raw_body, str) else ""
    fields = issue_form_fields(body[:MAX_PAYLOAD])
    title = clean(issue.get("title"), MAX_TITLE, one_line=True)
    if title:
        title = re.sub(r"^\[incident\]:?\s*", "", title, flags=re.IGNORECASE) or title
    url = _url(issue.get("html_url"))
    credit = f"@{reporter}" if reporter else "someone"
    channel = (fields.get("reported through") or "portal").strip().lower()
    return Intake(
        title=title,
        summary=clean(fields.get("what is happening")),
        severity=severity_from(fields.get("severity", "").split(" ")[0]),
        services=services_from(fields.get("services affected", "")),
        customer=clean(fields.get("customer"), 100, one_line=True),
        source=(fields.get("detected by") or "customer").strip().lower(),
        channel=channel,
        impact_started_at=_time(fields.get("impact started at (utc, iso 8601)")),
        links=((url, f"Issue #{number}, reported by {credit}"),) if url else (),
        note=f"Reported by {credit} in issue #{number}.",
    )
