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
    mails = [(m["To"], m["Subject"]) for m in outbox_mails(outbox)]
    assert sorted(to for to, _ in mails) == ["ania@example.com"] * 3 + ["bob@example.com"] * 2
    # Bob bought after his first reminder: no second one, only his paid order's shipping notice.
    bobs = [subject for to, subject in mails if to == "bob@example.com"]
    assert any("w drodze" in subject for subject in bobs)  # "your order is on its way"
    assert sum("koszyk" in subject for subject in bobs) == 1  # one cart reminder
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in outbox_mails(outbox)]
    assert sum("BACK-" in body for body in bodies) == 1  # the third reminder's code
