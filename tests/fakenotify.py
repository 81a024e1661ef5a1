"""Fakes of the notification channels, on loopback, each holding the client to its contract.

- ``FakePagerDuty``: the Events API v2, every request and response validated with
  openapi-core against PagerDuty's official description (``contracts/pagerduty-events-v2.json``);
  alerts kept by ``dedup_key`` with their state, as PagerDuty keeps them.
- ``FakeWebhook``: a receiver that checks each Standard Webhooks signature with the
  ``standardwebhooks`` reference library, and deduplicates by ``webhook-id`` as the
  specification asks receivers to.
- ``FakeSlack``: an incoming webhook and ``chat.postMessage``, checking the Block Kit
  shapes and limits the Slack documentation gives.
- ``FakeSmtp``: a real SMTP server (aiosmtpd) with STARTTLS and AUTH LOGIN/PLAIN, and a
  self-signed certificate that the client is made to trust through ``SSL_CERT_FILE``.

Failures are injected with ``fail(count, status, retry_after=...)``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import re
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug.wrappers import Request, Response

from fakegithub import _explain
from fakeserver import ContractFake

CONTRACTS = Path(__file__).parent / "contracts"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"incidentctl-test-signing-key-32b").decode()


@dataclass
class Failure:
    status: int
    retry_after: str | None = None


@dataclass
class Received:
    """One request as it arrived: when (monotonic), what."""

    path: str
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


class _Fake(ContractFake):
    """A fake HTTP endpoint with failure injection and a record of what it received."""

    def __init__(self, server: HTTPServer) -> None:
        super().__init__()
        self.server = server
        self.base = server.url_for("/").rstrip("/")
        self.failures: deque[Failure] = deque()
        self.received: list[Received] = []
        self.attempts: list[float] = []  # monotonic time of every request, failed or not
        self._lock = threading.Lock()

    def error_body(self, status: int) -> str:
        return ""

    def fail(self, count: int, status: int, *, retry_after: str | None = None) -> None:
        self.failures.extend(Failure(status, retry_after) for _ in range(count))

    def _failure(self) -> Response | None:
        self.attempts.append(time.monotonic())
        if not self.failures:
            return None
        failure = self.failures.popleft()
        body = self.error_body(failure.status)
        response = Response(body, status=failure.status,
                            content_type="application/json" if body else None)  # fmt: skip
        if failure.retry_after is not None:
            response.headers["Retry-After"] = failure.retry_after
        return response


# -- PagerDuty ---------------------------------------------------------------------------------


@functools.cache
def _pagerduty(base_url: str) -> OpenAPI:
    with (CONTRACTS / "pagerduty-events-v2.json").open(encoding="utf-8") as stream:
        spec = copy.deepcopy(json.load(stream))
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec)


@dataclass
class Alert:
    dedup_key: str
    routing_key: str
    status: str  # triggered, acknowledged, resolved
    summary: str
    actions: list[str] = field(default_factory=list)


class FakePagerDuty(_Fake):
    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server)
        self.url = self.base + "/v2"
        self.alerts: dict[str, Alert] = {}
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def error_body(self, status: int) -> str:
        if status < 500:
            return ""  # the description gives a 429 no body
        return json.dumps({"status": "error", "message": "Internal Server Error"})

    def handle(self, request: Request) -> Response:
        with self._lock:
            wrapped = WerkzeugOpenAPIRequest(request)
            try:
                _pagerduty(self.url).validate_request(wrapped)
            except OpenAPIError as error:
                self.violations.append(f"{request.method} {request.path}: {_explain(error)}")
                return _json({"status": "invalid event", "message": "violation"}, 400)
            response = self._failure() or self._enqueue(request)
            try:
                _pagerduty(self.url).validate_response(wrapped, WerkzeugOpenAPIResponse(response))
            except OpenAPIError as error:
                self.violations.append(f"response {response.status_code}: {_explain(error)}")
            return response

    def _enqueue(self, request: Request) -> Response:
        body = request.get_json()
        self.received.append(Received(request.path, dict(request.headers), body))
        key = body.get("dedup_key")
        action = body["event_action"]
        if action == "trigger":
            payload = body.get("payload") or {}
            if not {"summary", "source", "severity"} <= payload.keys():
                return _json({"status": "invalid event", "message": "payload is required"}, 400)
            key = key or f"generated-{len(self.alerts) + 1}"
            alert = self.alerts.get(key)
            if alert is None or alert.status == "resolved":
                alert = self.alerts[key] = Alert(key, body["routing_key"], "triggered",
                                                 payload["summary"])  # fmt: skip
        else:
            if not key:
                return _json({"status": "invalid event", "message": "dedup_key required"}, 400)
            alert = self.alerts.get(key)
            if alert is None:  # PagerDuty accepts and drops an event for no open alert
                return _json({"status": "success", "message": "Event processed",
                              "dedup_key": key}, 202)  # fmt: skip
            if alert.status != "resolved":
                alert.status = "acknowledged" if action == "acknowledge" else "resolved"
        alert.actions.append(action)
        return _json({"status": "success", "message": "Event processed", "dedup_key": key}, 202)


# -- Standard Webhooks receiver ------------------------------------------------------------


class FakeWebhook(_Fake):
    def __init__(self, server: HTTPServer, secret: str = WEBHOOK_SECRET) -> None:
        super().__init__(server)
        self.url = self.base + "/hooks/incidents"
        self._webhook = Webhook(secret)
        self.by_id: dict[str, Received] = {}
        self.duplicates = 0
        server.expect_request("/hooks/incidents", method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        with self._lock:
            failure = self._failure()
            if failure is not None:
                return failure
            message_id = request.headers.get("webhook-id", "")
            stamp = request.headers.get("webhook-timestamp", "")
            signature = request.headers.get("webhook-signature", "")
            try:
                when = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
                expected = self._webhook.sign(message_id, when, request.get_data(as_text=True))
            except (ValueError, TypeError) as error:
                self.violations.append(f"unsigned or malformed: {error}")
                return Response("", status=400)
            if not message_id or expected not in signature.split(" "):
                self.violations.append(f"bad signature on {message_id!r}")
                return Response("", status=401)
            got = Received(request.path, dict(request.headers), json.loads(request.get_data()))
            self.received.append(got)
            if message_id in self.by_id:
                self.duplicates += 1
            else:
                self.by_id[message_id] = got
            return Response("", status=204)

    def types(self) -> list[str]:
        return [r.body["type"] for r in self.received]


# -- Slack ---------------------------------------------------------------------------------


_BLOCK_TYPES = {"header", "section", "context", "actions", "divider"}


def check_blocks(blocks: Any) -> list[str]:
    """What Slack would refuse in ``blocks`` (types, and the length limits it documents)."""
    problems = []
    if not isinstance(blocks, list) or not 0 < len(blocks) <= 50:
        return ["blocks must be a list of 1 to 50 blocks"]
    for block in blocks:
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            problems.append(f"unknown block type {kind!r}")
        if kind == "header" and (block["text"]["type"] != "plain_text"
                                 or len(block["text"]["text"]) > 150):  # fmt: skip
            problems.append("a header is plain_text of at most 150 characters")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append("a section needs text or fields")
            if len(block.get("text", {}).get("text", "")) > 3000:
                problems.append("a section's text is at most 3000 characters")
            if len(block.get("fields", [])) > 10:
                problems.append("a section has at most 10 fields")
        if kind == "actions":
            for element in block["elements"]:
                if element["type"] == "button" and len(element["text"]["text"]) > 75:
                    problems.append("a button's text is at most 75 characters")
    return problems


class FakeSlack(_Fake):
    """An incoming webhook, and the Web API methods a bot uses: ``chat.postMessage``
    (keeping each message's ``metadata``), ``conversations.history`` (newest first,
    paginated by cursor, metadata only with ``include_all_metadata``) and
    ``conversations.list``. ``answer_lost(n)`` posts the next ``n`` messages and then
    answers 500, as when Slack's answer is lost on the way back; ``hold_answers(s)``
    posts, then waits ``s`` seconds before answering (a client may die meanwhile)."""

    TOKEN = "xoxb-fake-token"
    CHANNELS: ClassVar[dict[str, str]] = {"C0INCIDENT1": "incidents", "C0GENERAL01": "general"}

    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server)
        self.webhook_url = self.base + "/services/T000/B000/XXXXXXXX"
        self.api_url = self.base + "/api/"
        self.messages: list[dict[str, Any]] = []
        self.history: dict[str, list[dict[str, Any]]] = {c: [] for c in self.CHANNELS}
        self.lost = 0
        self.hold = 0.0
        self.reads: list[str] = []  # the read methods called, in order
        server.expect_request("/services/T000/B000/XXXXXXXX", method="POST").respond_with_handler(
            self.incoming
        )
        server.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(
            self.post_message
        )
        server.expect_request("/api/conversations.history").respond_with_handler(self.read_history)
        server.expect_request("/api/conversations.list").respond_with_handler(self.list_channels)

    def answer_lost(self, count: int) -> None:
        self.lost += count

    def hold_answers(self, seconds: float) -> None:
        self.hold = seconds

    def _check(self, body: dict[str, Any]) -> list[str]:
        problems = check_blocks(body.get("blocks"))
        if not body.get("text"):
            problems.append("text (the notification fallback) is missing")
        return problems

    def incoming(self, request: Request) -> Response:
        with self._lock:
            failure = self._failure()
            if failure is not None:
                return failure
            body = request.get_json()
            problems = self._check(body)
            if problems:
                self.violations.extend(problems)
                return Response("invalid_blocks", status=400)
            self.messages.append(body)
            return Response("ok", status=200)

    def _channel(self, given: Any) -> str | None:
        if given in self.CHANNELS:
            return str(given)
        return next((i for i, n in self.CHANNELS.items() if f"#{n}" == given or n == given), None)

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.TOKEN}"

    def post_message(self, request: Request) -> Response:
        with self._lock:
            failure = self._failure()
            if failure is not None:
                return failure
            if not self._authorised(request):
                return _json({"ok": False, "error": "invalid_auth"})
            body = request.get_json(silent=True) or dict(request.form)
            if isinstance(body.get("blocks"), str):
                body["blocks"] = json.loads(body["blocks"])
            if isinstance(body.get("metadata"), str):
                body["metadata"] = json.loads(body["metadata"])
            problems = self._check(body)
            metadata = body.get("metadata")
            if metadata is not None and not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and re.fullmatch(r"[a-z0-9_]+", metadata["event_type"])
                and isinstance(metadata.get("event_payload"), dict)
            ):
                problems.append(f"metadata is not {{event_type, event_payload}}: {metadata!r}")
            if problems:
                self.violations.extend(problems)
                return _json({"ok": False, "error": "invalid_blocks"})
            channel = self._channel(body.get("channel"))
            if channel is None:
                return _json({"ok": False, "error": "channel_not_found"})
            self.messages.append(body)
            ts = f"{1700000000 + len(self.messages)}.000100"
            stored = {"type": "message", "ts": ts, "text": body["text"]}
            if metadata is not None:
                stored["metadata"] = metadata
            self.history[channel].insert(0, stored)
            lost, self.lost = self.lost > 0, max(0, self.lost - 1)
            hold = self.hold
        if hold:
            time.sleep(hold)
        if lost:
            return Response("", status=500)
        return _json({"ok": True, "channel": channel, "ts": ts})

    def read_history(self, request: Request) -> Response:
        with self._lock:
            self.reads.append("conversations.history")
            if not self._authorised(request):
                return _json({"ok": False, "error": "invalid_auth"})
            args = {**request.args, **request.form}
            channel = args.get("channel")
            if channel not in self.history:
                # the method takes an id, never a name
                return _json({"ok": False, "error": "channel_not_found"})
            limit = min(999, int(args.get("limit") or 100))
            start = int(args.get("cursor") or 0)
            everything = args.get("include_all_metadata") in ("1", "true", "True")
            page = [
                m if everything else {k: v for k, v in m.items() if k != "metadata"}
                for m in self.history[channel][start : start + limit]
            ]
            more = start + limit < len(self.history[channel])
            return _json({
                "ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            })  # fmt: skip

    def list_channels(self, request: Request) -> Response:
        with self._lock:
            self.reads.append("conversations.list")
            if not self._authorised(request):
                return _json({"ok": False, "error": "invalid_auth"})
            channels = [{"id": i, "name": n, "is_channel": True} for i, n in self.CHANNELS.items()]
            return _json({"ok": True, "channels": channels,
                          "response_metadata": {"next_cursor": ""}})  # fmt: skip


# -- SMTP ----------------------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeSmtp:
    USER, PASSWORD = "notifier", "smtp-test-password"

    def __init__(self, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.tls_sessions = 0
        self.temporary_failures = 0
        fake = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if fake.temporary_failures:
                    fake.temporary_failures -= 1
                    return "451 Try again later"
                if session.ssl is not None:
                    fake.tls_sessions += 1
                fake.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                fake.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted"

        def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                fake.USER.encode(), fake.PASSWORD.encode())  # fmt: skip
            return AuthResult(success=ok)

        with socket.socket() as probe:  # a free port: the controller checks it is up
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
            require_starttls=True, authenticator=authenticate, auth_required=True,
            auth_require_tls=True, ready_timeout=10,
        )  # fmt: skip

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return {"SMTP_USERNAME": self.USER, "SMTP_PASSWORD": self.PASSWORD,
                "SSL_CERT_FILE": str(self.cert)}  # fmt: skip


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")
