"""Fixtures for emails: a real SMTP server (aiosmtpd) and a rendering context factory."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
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


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()


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
