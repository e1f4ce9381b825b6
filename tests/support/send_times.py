"""A customer's past emails, planted as the tracking would have left them: when each was
sent, opened and clicked (and so what the send-time learning reads)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import count

from app.models import Customer, FlowRun, Message, ShopScope, db

_SERIAL = count(1)


def plant_emails(
    customer: Customer,
    emails: Iterable[tuple[datetime, datetime | None, datetime | None]],
    *,
    flow_key: str = "cross_sell",
    best_time: bool = False,
) -> list[Message]:
    """One finished run per customer and flow, one sent marketing email per (sent, opened,
    clicked) with the times given (None: never opened / clicked); ``best_time``: sent at the
    customer's hour, as the engine marks such emails."""
    scope = ShopScope(customer.shop_id)
    planted = list(emails)
    run = scope.add(
        FlowRun(
            flow_key=flow_key,
            subject_key=f"planted:{customer.id}:{next(_SERIAL)}",
            customer_id=customer.id,
            state="completed",
            step=len(planted),
            context={"email": customer.email},
            started_at=min(sent for sent, _, _ in planted),
        )
    )
    db.session.flush()
    messages = [
        scope.add(
            Message(
                run_id=run.id,
                flow_key=flow_key,
                step=step,
                channel="email",
                kind="marketing",
                customer_id=customer.id,
                recipient=customer.email or "",
                status="sent",
                idempotency_key=f"planted-{run.id}-{step}",
                sent_at=sent,
                opened_at=opened,
                clicked_at=clicked,
                meta={"template": flow_key, **({"best_time": True} if best_time else {})},
            )
        )
        for step, (sent, opened, clicked) in enumerate(planted)
    ]
    db.session.commit()
    return messages
