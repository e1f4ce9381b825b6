"""Flow fixtures: a simulated clock, a real SMTP server (aiosmtpd), and a shop whose
abandoned-cart flow is on, fed through signed demo webhooks like a real shop would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.emails import senders
from app.flows import abandoned_cart
from app.flows.engine import clock, delivery
from app.flows.engine.settings import save_settings
from app.flows.engine.timers import enqueue_due_runs
from app.models import Shop, db
from tests.conftest import ts
from tests.support.emails import SmtpServer, smtp_server

__all__ = ["smtp_server"]  # the email tests' real SMTP server, shared here

# 10:00 UTC is 11:00 in Warsaw: every default step of a sequence started now lands in daytime.
START = ts("2026-11-20T10:00:00")


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing after it in the job runs."""


def die_after_smtp_accepts(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """From now on the worker dies right after the SMTP server accepted a mail, before we
    could record it; returns what lets workers live again."""
    real_send = senders.SmtpSender.send

    def send_then_die(self: senders.SmtpSender, msg: Any, progress: Any = None) -> str:
        real_send(self, msg, progress)  # the SMTP server has the mail...
        raise WorkerKilled  # ...and the worker dies before recording it

    monkeypatch.setattr(senders.SmtpSender, "send", send_then_die)
    return lambda: monkeypatch.setattr(senders.SmtpSender, "send", real_send)


def die_at_send_stage(monkeypatch: pytest.MonkeyPatch, stage: str) -> Callable[[], None]:
    """From now on the worker dies as soon as the mail dialogue reached ``stage`` (recorded
    first, as the sender reports it); returns what lets workers live again."""
    real_recorder = delivery._stage_recorder

    def recorder(shop_id: int, message_id: int) -> Callable[[str], None]:
        record = real_recorder(shop_id, message_id)

        def record_then_die(reached: str) -> None:
            record(reached)
            if reached == stage:
                raise WorkerKilled

        return record_then_die

    monkeypatch.setattr(delivery, "_stage_recorder", recorder)
    return lambda: monkeypatch.setattr(delivery, "_stage_recorder", real_recorder)


@pytest.fixture()
def sim_clock(monkeypatch: pytest.MonkeyPatch) -> SimulatedClock:
    simulated = SimulatedClock(START)
    monkeypatch.setattr(clock, "now", simulated.now)
    return simulated


@pytest.fixture()
def mailbox(app: Any, smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The real SMTP server of the email tests, set as the app's mail server."""
    previous = app.config.get("MAIL_URL")
    app.config["MAIL_URL"] = f"smtp://{smtp_server.host}:{smtp_server.port}?starttls=0&timeout=5"
    try:
        yield smtp_server
    finally:
        app.config["MAIL_URL"] = previous


@pytest.fixture()
def outbox(app: Any, tmp_path: Any) -> Any:
    """The file outbox the `app` fixture points mail at, in the test's temporary folder."""
    return tmp_path / "outbox"


@pytest.fixture()
def flow_shop(shop: Shop) -> Shop:
    """The test shop with its branding and the abandoned-cart flow switched on."""
    shop.settings = {
        "address": "ul. Mokotowska 1, 00-640 Warszawa",
        "sender_email": "hello@shop.example",
        "logo_url": "https://shop.example/logo.png",
    }
    save_settings(shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    return shop


def cart_payload(
    cart_key: str = "c-1",
    *,
    email_address: str | None = "ania@example.com",
    consent: bool | None = True,
    items: list[dict[str, Any]] | None = None,
    at: datetime | None = None,
    locale: str = "pl",
) -> dict[str, Any]:
    rows = (
        items
        if items is not None
        else [
            {
                "product_id": "1001",
                "variant_id": "5001",
                "quantity": 2,
                "price": "189.00",
                "title": "Linen shirt",
                "image_url": "https://shop.example/img/1001.jpg",
                "url": "https://shop.example/products/1001",
            },
            {
                "product_id": "1002",
                "quantity": 1,
                "price": "99.00",
                "title": "Wool scarf",
                "url": "https://shop.example/products/1002",
            },
        ]
    )
    total = sum(float(r["price"]) * r.get("quantity", 1) for r in rows)
    return {
        "cart_key": cart_key,
        "customer": {
            "email": email_address,
            "first_name": "Ania",
            "locale": locale,
            "accepts_marketing": consent,
        },
        "items": rows,
        "total": f"{total:.2f}",
        "currency": "PLN",
        "updated_at": (at or clock.now()).isoformat(),
    }


def order_payload(order_id: str, cart_key: str | None, email_address: str, total: str) -> dict:
    now = clock.now().isoformat()
    return {
        "id": order_id,
        "cart_key": cart_key,
        "customer": {"email": email_address},
        "items": [{"product_id": "1001", "quantity": 2, "price": "189.00"}],
        "total": total,
        "currency": "PLN",
        "created_at": now,
        "updated_at": now,
    }


@pytest.fixture()
def shop_events(
    post_demo_webhook: Callable[..., Any], run_jobs: Callable[..., int]
) -> Callable[..., None]:
    """Deliver a demo webhook and process it, as the worker would."""
    counter = iter(range(1, 10_000))

    def deliver(topic: str, payload: dict[str, Any]) -> None:
        response = post_demo_webhook(topic, payload, delivery_id=f"d-{next(counter)}")
        assert response.status_code == 200, response.get_json()
        run_jobs("events")

    return deliver


@pytest.fixture()
def tick(run_jobs: Callable[..., int], sim_clock: SimulatedClock) -> Callable[..., int]:
    """Move the simulated clock, then run what the minute tick finds due."""

    def advance(**delta: float) -> int:
        sim_clock.advance(**delta)
        enqueue_due_runs(sim_clock.now())
        return run_jobs("flows")

    return advance
