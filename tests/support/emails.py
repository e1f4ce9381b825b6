"""Fixtures for emails: a real SMTP server (aiosmtpd) and a rendering context factory."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpHandler:
    """Receives mail like a real server; ``reply`` can make it answer an error instead."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    reply: str = "250 Message accepted for delivery"
    rcpt_reply: str = "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.envelopes.append(envelope)
            self.received.append(
                message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[arg-type]
            )
        return self.reply


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: SmtpHandler

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(**options: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on a free local port for the duration of the block."""
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    with _serving() as server:
        yield server


ITEMS = [
    {
        "title": "Linen shirt",
        "variant_title": "M / White",
        "image_url": "https://demo.example/img/linen.jpg",
        "quantity": 2,
        "unit_price": "189.00",
        "compare_at_price": "229.00",
        "url": "https://demo.example/products/linen-shirt",
    },
    {
        "title": "Wool scarf",
        "variant_title": "",
        "image_url": None,
        "quantity": 1,
        "unit_price": "99.00",
        "compare_at_price": None,
        "url": "https://demo.example/products/wool-scarf",
    },
]


@pytest.fixture()
def email_context() -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        context: dict[str, Any] = {
            "shop": {
                "name": "Demo Boutique",
                "logo_url": "https://demo.example/logo.png",
                "primary_color": "#0f766e",
                "sender_name": "Anna from Demo Boutique",
                "address": "ul. Prosta 1, 00-001 Warszawa",
                "timezone": "Europe/Warsaw",
            },
            "customer": {"first_name": "Ola"},
            "items": ITEMS,
            "total": "477.00",
            "currency": "PLN",
            "restore_url": "https://demo.example/cart/restore?token=abc&x=1",
            "discount": None,
            "recommendations": [],
            "tracking": None,
            "unsubscribe_url": "https://storeflow.test/u/TOKEN",
            "open_pixel_url": "https://storeflow.test/t/o/PIXEL.gif",
        }
        context.update(overrides)
        return context

    return make


@dataclass
class TlsFiles:
    cert: str
    key: str


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, so STARTTLS is tested for real."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(cert=str(folder / "cert.pem"), key=str(folder / "key.pem"))
    with open(files.cert, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(files.key, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return files


SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-pass"


@pytest.fixture()
def starttls_smtp_server(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    """A server that requires STARTTLS and then a login, like a real submission port."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)

    with _serving(
        tls_context=_server_tls(tls_files),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
        auth_required=True,
    ) as server:
        yield server


def _server_tls(tls_files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    return context


@pytest.fixture()
def make_run(app: Any) -> Callable[..., Any]:
    from datetime import timedelta

    from app.models import FlowRun, db, utcnow

    def make(shop: Any, customer: Any, flow_key: str = "abandoned_cart", **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "subject_key": f"{flow_key}:{customer.id}",
            "started_at": utcnow(),
            "next_step_at": utcnow() + timedelta(hours=1),
        }
        values.update(overrides)
        run = FlowRun(shop_id=shop.id, flow_key=flow_key, customer_id=customer.id, **values)
        db.session.add(run)
        db.session.commit()
        return run

    return make


@pytest.fixture()
def make_message(make_run: Callable[..., Any]) -> Callable[..., Any]:
    """A message row of step ``step`` in a fresh abandoned-cart run of ``customer``."""
    from app.models import Message, db

    def make(shop: Any, customer: Any, step: int = 0, **overrides: Any) -> Any:
        run = make_run(shop, customer, step=step)
        values: dict[str, Any] = {
            "channel": "email",
            "recipient": customer.email,
            "idempotency_key": f"run-{run.id}-step-{step}",
            "status": "sent",
        }
        values.update(overrides)
        row = Message(shop_id=shop.id, run_id=run.id, step=step, customer_id=customer.id, **values)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture()
def tls_smtp_server(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    """Implicit TLS from the first byte (smtps, port 465 style)."""
    with _serving(ssl_context=_server_tls(tls_files)) as server:
        yield server


@pytest.fixture()
def silent_server() -> Iterator[tuple[str, int]]:
    """Accepts connections and never says a word: a hung mail server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield "127.0.0.1", int(listener.getsockname()[1])
