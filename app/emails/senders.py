"""Senders: one interface, an SMTP server in production and a file outbox for the demo.

A sender either returns the provider's id for the accepted message or raises
``TemporaryFailure`` (try again later: 4xx, connection trouble) or ``PermanentFailure``
(never retry: 5xx). The caller gives a stable ``Message-ID``; a retry after a crash between
"accepted" and our commit sends the same id, which the receiving side can de-duplicate on.

The SMTP sender tells the caller how far the dialogue got (``SEND_STAGES``) as it goes, so a
worker killed mid-dialogue leaves behind whether the server can hold the message: not before
the final dot of DATA went out; certainly once it answered 250; perhaps in between.
"""

from __future__ import annotations

import email.policy
import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol
from urllib.parse import ParseResult, parse_qs, unquote, urlparse

from app.models import utcnow

# How far handing one message over got, in order. "final_dot" is reported *before* the dot
# that ends DATA is written: up to it the server cannot hold the message, from it until
# "accepted" (its 250) nobody can tell.
SEND_STAGES = ("connecting", "mail_from", "data", "final_dot", "accepted")
Progress = Callable[[str], None]


def _unreported(stage: str) -> None:
    """The progress of a caller that does not ask for it."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    from_addr: str
    from_name: str
    subject: str
    html: str
    text: str
    message_id: str  # "<...@...>", stable across retries of one message
    headers: dict[str, str] = field(default_factory=dict)


class TemporaryFailure(Exception):
    """The provider could not take the message now; retrying later may work."""


class PermanentFailure(Exception):
    """The provider refused the message for good; retrying will not help."""


class Sender(Protocol):
    def send(self, msg: OutgoingEmail, progress: Progress | None = None) -> str:
        """Hand the message over; returns the provider's id for it. ``progress`` hears each
        of ``SEND_STAGES`` the sender can tell apart, as it reaches it."""
        ...


# Long headers are kept on one line (RFC 5322 allows 998 characters): the default policy would
# fold a long List-Unsubscribe URL into RFC 2047 encoded words, which mail clients cannot use.
_POLICY = email.policy.default.clone(max_line_length=998)


def to_mime(msg: OutgoingEmail) -> EmailMessage:
    """The message as MIME: multipart/alternative with the text part first, as RFC 2046 asks."""
    mime = EmailMessage(policy=_POLICY)
    mime["From"] = formataddr((msg.from_name, msg.from_addr))
    mime["To"] = msg.to
    mime["Subject"] = msg.subject
    mime["Message-ID"] = msg.message_id
    mime["Date"] = format_datetime(utcnow())
    for name, value in msg.headers.items():
        mime[name] = value
    mime.set_content(msg.text)
    mime.add_alternative(msg.html, subtype="html")
    return mime


@dataclass
class SmtpSender:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # starttls | tls | none
    timeout: float = 20.0
    ssl_context: ssl.SSLContext | None = None

    def send(self, msg: OutgoingEmail, progress: Progress | None = None) -> str:
        mime = to_mime(msg)
        try:
            with self._connect() as smtp:
                _hand_over(smtp, msg, mime, progress or _unreported)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify(min(code for code, _ in exc.recipients.values()), exc) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TemporaryFailure(f"SMTP {self.host}:{self.port} hung up: {exc}") from exc
        except smtplib.SMTPException as exc:
            # E.g. the server offers no STARTTLS or no AUTH: settings to fix, not a retry.
            raise PermanentFailure(f"SMTP {self.host}:{self.port}: {exc}") from exc
        except OSError as exc:  # refused, timed out, TLS handshake failed
            raise TemporaryFailure(f"SMTP {self.host}:{self.port} unreachable: {exc}") from exc
        return msg.message_id

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _hand_over(
    smtp: smtplib.SMTP, msg: OutgoingEmail, mime: EmailMessage, report: Progress
) -> None:
    """``smtplib``'s ``send_message`` for our one recipient, telling each stage as it is
    reached (``send_message`` does the whole dialogue in one call: a caller learns nothing)."""
    smtp.ehlo_or_helo_if_needed()
    options: list[str] = []
    policy = _POLICY
    if not f"{msg.from_addr}{msg.to}".isascii():
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("the server cannot take non-ASCII addresses")
        options, policy = ["SMTPUTF8", "BODY=8BITMIME"], policy.clone(utf8=True)
    body = mime.as_bytes(policy=policy.clone(linesep="\r\n"))
    code, reply = smtp.mail(msg.from_addr, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, msg.from_addr)
    report("mail_from")
    code, reply = smtp.rcpt(msg.to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({msg.to: (code, reply)})
    code, reply = smtp.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    report("data")
    body = re.sub(rb"(?m)^\.", b"..", body)  # RFC 5321 4.5.2: a line's leading dot doubled
    smtp.send(body if body.endswith(b"\r\n") else body + b"\r\n")
    report("final_dot")  # before the dot: a kill from here on leaves the outcome unknown
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    report("accepted")


def _classify(code: int, exc: BaseException) -> Exception:
    text = f"SMTP {code}: {exc}"
    return TemporaryFailure(text) if 400 <= code < 500 else PermanentFailure(text)


@dataclass
class FileOutboxSender:
    """Writes each message as an .eml file; the demo's outbox, readable with any mail client.

    The file name comes from the Message-ID, so sending the same message twice leaves one file;
    it tells no stages: ``was_accepted`` answers for it.
    """

    directory: str

    def send(self, msg: OutgoingEmail, progress: Progress | None = None) -> str:
        os.makedirs(self.directory, exist_ok=True)
        path = self._path(msg.message_id)
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(to_mime(msg).as_bytes())
        os.replace(tmp, path)  # readers never see half a message
        return path

    def was_accepted(self, message_id: str) -> bool:
        """Whether this message is already in the outbox: a retry after a crash between the
        write and our commit can ask instead of sending again."""
        return os.path.exists(self._path(message_id))

    def _path(self, message_id: str) -> str:
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:16]
        return os.path.join(self.directory, f"{digest}.eml")


def sender_from_url(url: str, base_dir: str = ".") -> Sender:
    """``smtp://user:pass@host:587?starttls=1``, ``smtps://...:465`` or ``file:///outbox``.

    A relative file path (``file://instance/outbox``) is taken from ``base_dir``.
    """
    parsed = urlparse(url)
    factory = _SENDER_SCHEMES.get(parsed.scheme)
    if factory is None:
        raise ValueError(f"mail URL must start with smtp://, smtps:// or file://, got {url!r}")
    return factory(parsed, base_dir)


def _smtp(parsed: ParseResult, _base: str) -> Sender:
    query = parse_qs(parsed.query)
    tls = parsed.scheme == "smtps"
    starttls = query.get("starttls", ["1"])[0] not in ("0", "false", "no")
    if not parsed.hostname:
        raise ValueError("mail URL names no SMTP host")
    return SmtpSender(
        host=parsed.hostname,
        port=parsed.port or (465 if tls else 587),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        security="tls" if tls else ("starttls" if starttls else "none"),
        timeout=float(query.get("timeout", ["20"])[0]),
    )


def _file(parsed: ParseResult, base_dir: str) -> Sender:
    path = unquote(f"{parsed.netloc}{parsed.path}")
    return FileOutboxSender(path if os.path.isabs(path) else os.path.join(base_dir, path))


_SENDER_SCHEMES: dict[str, Callable[[ParseResult, str], Sender]] = {
    "smtp": _smtp,
    "smtps": _smtp,
    "file": _file,
}


def get_sender() -> Sender:
    """The sender ``STOREFLOW_MAIL_URL`` configures (relative outbox paths: the project root)."""
    from flask import current_app

    root = os.path.dirname(current_app.instance_path)
    return sender_from_url(current_app.config["MAIL_URL"], root)
