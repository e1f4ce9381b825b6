"""The demo's promise: a cart abandoned in the demo shop yields three emails in the outbox on
the fast clock, and a purchase stops the sequence."""

from __future__ import annotations

from app.demo import seed as demo
from app.models import utcnow
from tests.support.demo import outbox_mails


def test_demo_cart_fills_the_outbox_with_three_reminders_and_buying_stops_them(
    app, sim_clock, outbox, demo_cli, tick
):
    demo.seed()
    sim_clock.current = utcnow()
    assert "HTTP 200" in demo_cli("demo-cart", "--cart", "kept")
    demo_cli("demo-cart", "--cart", "bought", "--email", "bob@example.com")
    tick(minutes=1, seconds=5)
    assert sorted(m["To"] for m in outbox_mails(outbox)) == ["ania@example.com", "bob@example.com"]
    assert "HTTP 200" in demo_cli(
        "demo-cart", "--cart", "bought", "--email", "bob@example.com", "--buy"
    )
    tick(minutes=1)
    tick(minutes=1)
    tick(minutes=5)
    recipients = sorted(m["To"] for m in outbox_mails(outbox))
    assert recipients == ["ania@example.com"] * 3 + ["bob@example.com"]
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in outbox_mails(outbox)]
    assert sum("BACK-" in body for body in bodies) == 1  # the third reminder's code
