"""The demo's promise: a cart abandoned in the demo shop yields three emails in the outbox on
the fast clock, and a purchase stops the sequence."""

from __future__ import annotations

import email
import email.policy
from urllib.parse import urlsplit

import pytest

from app.demo import seed as demo
from app.demo import shoppers as demo_cart
from app.models import utcnow


@pytest.fixture()
def demo_cli(app, client, monkeypatch, run_jobs):
    """``flask storeflow demo-cart ...`` posting to this app instead of a running server."""

    def forward(url, data, headers, timeout):
        return client.post(urlsplit(url).path, data=data, headers=headers)

    monkeypatch.setattr(demo_cart.requests, "post", forward)
    runner = app.test_cli_runner()

    def invoke(*args: str) -> str:
        result = runner.invoke(args=["storeflow", "demo-cart", *args])
        assert result.exit_code == 0, result.output
        run_jobs("events")
        return result.output

    return invoke


def _mails(outbox) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


def test_demo_cart_fills_the_outbox_with_three_reminders_and_buying_stops_them(
    app, sim_clock, outbox, demo_cli, tick
):
    demo.seed()
    sim_clock.current = utcnow()
    assert "HTTP 200" in demo_cli("--cart", "kept")
    demo_cli("--cart", "bought", "--email", "bob@example.com")
    tick(minutes=1, seconds=5)
    assert sorted(m["To"] for m in _mails(outbox)) == ["ania@example.com", "bob@example.com"]
    assert "HTTP 200" in demo_cli("--cart", "bought", "--email", "bob@example.com", "--buy")
    tick(minutes=1)
    tick(minutes=1)
    tick(minutes=5)
    recipients = sorted(m["To"] for m in _mails(outbox))
    assert recipients == ["ania@example.com"] * 3 + ["bob@example.com"]
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in _mails(outbox)]
    assert sum("BACK-" in body for body in bodies) == 1  # the third reminder's code
