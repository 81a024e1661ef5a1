"""Email over SMTP (STARTTLS or TLS, optional login): plain text and HTML, threaded per
incident.

Every message of an incident on a channel refers to one thread root,
``<INC-….CHANNEL@DOMAIN>``, which is the Message-ID of its ``opened`` message
(``In-Reply-To`` and ``References`` for the others), so mail clients keep one thread per
incident. A message's own Message-ID derives from its identity, the same on a resend.
"""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage

from incidentctl.model.notify import Smtp
from incidentctl.notify.channels.base import TIMEOUT, Delivery, DeliveryError, Skipped, with_retries
from incidentctl.notify.messages import Message


def _domain(sender: str) -> str:
    return sender.rpartition("@")[2] or "incidentctl.invalid"


def thread_root(incident_id: str, channel: str, domain: str) -> str:
    tag = hashlib.sha256(channel.encode()).hexdigest()[:12]
    return f"<{incident_id}.{tag}@{domain}>"


def build(
    message: Message, channel: str, sender: str, recipients: tuple[str, ...], customer: bool
) -> EmailMessage:
    event, state = message.event, message.event.state
    domain = _domain(sender)
    root = thread_root(state.id, channel, domain)
    mail = EmailMessage()
    if customer:
        subject = f"[{state.id}] {state.title}: update"
        text = f"{event.text}\n\nCurrent status: {state.status}\nReference: {state.id}\n"
    else:
        subject = f"[{state.id}] {message.title}"
        facts = "\n".join(f"{k}: {v}" for k, v in message.facts.items())
        links = "\n".join(f"{k}: {v}" for k, v in message.links.items())
        text = "\n\n".join(p for p in (message.text, facts, links) if p) + "\n"
    mail["Subject"] = subject.replace("\n", " ")[:250]
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Message-ID"] = root if event.type == "opened" else f"<{message.identity}@{domain}>"
    if event.type != "opened":
        mail["In-Reply-To"] = root
        mail["References"] = root
    mail.set_content(text)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    mail.add_alternative(
        f"<!doctype html><html><body><h3>{html.escape(subject)}</h3>{paragraphs}</body></html>",
        subtype="html",
    )
    return mail


class EmailSender:
    def __init__(
        self,
        name: str,
        smtp: Smtp,
        username: str | None,
        password: str | None,
        customer: bool,
        scale: float,
    ) -> None:
        self.name = name
        self._smtp = smtp
        self._login = (username, password) if username and password else None
        self._customer = customer
        self._scale = scale

    def _once(self, mail: EmailMessage) -> None:
        smtp = self._smtp
        what = f"email {self.name} (SMTP {smtp.host}:{smtp.port})"
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if smtp.security == "tls":
                client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT, context=context)
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT)
            with client:
                if smtp.security == "starttls":
                    client.starttls(context=context)
                if self._login:
                    client.login(*self._login)
                client.send_message(mail)
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"{what}: login refused ({error.smtp_code})") from None
        except smtplib.SMTPResponseException as error:
            temporary = 400 <= error.smtp_code < 500
            raise DeliveryError(
                f"{what}: the server answered {error.smtp_code}", retryable=temporary
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(f"{what}: every recipient was refused") from None
        except (smtplib.SMTPException, ssl.SSLError) as error:
            raise DeliveryError(f"{what}: {type(error).__name__}", retryable=True) from None
        except OSError:
            raise DeliveryError(f"{what} cannot be reached", retryable=True, dead=True) from None

    def send(self, delivery: Delivery) -> str:
        recipients = delivery.recipients
        if not recipients:
            raise Skipped("no recipients (the customer has no contacts in the catalogue)")
        mail = build(delivery.message, self.name, self._smtp.sender, recipients, self._customer)
        with_retries(lambda: self._once(mail), scale=self._scale)
        return f"to {len(recipients)} recipient(s)"
