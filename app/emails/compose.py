"""One call from "this message row, this template" to an ``OutgoingEmail`` ready to send.

The step job of a flow calls ``compose_email`` inside its transaction and hands the result to
``get_sender().send``. The Message-ID comes from the message's idempotency key, so a retry
after a crash sends the very same id (the provider, and our reconciliation, can match it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.emails.context import message_domain, sender_identity
from app.emails.rendering import TRANSACTIONAL, EmailContent, render_email
from app.emails.senders import OutgoingEmail
from app.emails.tracking import list_unsubscribe_headers, tracking_context, unsubscribe_url
from app.models import Shop

_UNSAFE = re.compile(r"[^A-Za-z0-9.\-_]")


def stable_message_id(idempotency_key: str) -> str:
    """``<key@our-domain>``: the same key always gives the same Message-ID."""
    return f"<{_UNSAFE.sub('.', idempotency_key)}@{message_domain()}>"


def compose_email(
    shop: Shop,
    template: str,
    context: Mapping[str, Any],
    locale: str,
    *,
    to: str,
    idempotency_key: str,
    message_id: int | None = None,
    customer_id: int | None = None,
) -> tuple[OutgoingEmail, EmailContent]:
    """Render and address one email; marketing ones get tracking and unsubscribe headers.

    ``message_id`` is our ``Message`` row id: with it, opens and clicks are recorded on it.
    """
    full: dict[str, Any] = dict(context)
    headers: dict[str, str] = {}
    if template not in TRANSACTIONAL:
        if message_id is not None:
            full.update(tracking_context(shop.id, message_id, to, locale, customer_id))
        else:
            full["unsubscribe_url"] = unsubscribe_url(shop.id, to, locale, customer_id)
        headers = list_unsubscribe_headers(full["unsubscribe_url"])
    content = render_email(template, full, locale)
    from_addr, from_name = sender_identity(shop)
    email = OutgoingEmail(
        to=to,
        from_addr=from_addr,
        from_name=from_name,
        subject=content.subject,
        html=content.html,
        text=content.text,
        message_id=stable_message_id(idempotency_key),
        headers=headers,
    )
    return email, content
