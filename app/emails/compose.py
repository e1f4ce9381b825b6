"""The one composer: from "this message row, this template" to an ``OutgoingEmail`` to send.

Every email we send for a flow step (the shipping notice is one) is composed here from its
``Message`` row. The Message-ID is derived from the row (shop, run, step), so a retry after a
crash sends the very same id and the sender (and our reconciliation) can tell it already has
it. Marketing mail gets open/click tracking, a visible unsubscribe link and RFC 8058
one-click ``List-Unsubscribe`` headers; transactional mail (the shipping notice) gets none.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from app.emails.context import message_domain, sender_identity, shop_branding
from app.emails.overrides import copy_for_message
from app.emails.rendering import TRANSACTIONAL, EmailContent, render_email
from app.emails.senders import OutgoingEmail
from app.emails.tracking import list_unsubscribe_headers, tracking_context, unsubscribe_url
from app.models import Message, Shop


def message_id_for(shop_id: int, run_id: int, step: int) -> str:
    """``<sf.shop.run.step@our-domain>``: one message per (run, step), so one id per message."""
    return f"<sf.{shop_id}.{run_id}.{step}@{message_domain()}>"


def message_id_of(message: Message) -> str:
    return message_id_for(message.shop_id, message.run_id, message.step)


def compose_email(
    shop: Shop, message: Message, template: str, context: Mapping[str, Any], locale: str
) -> tuple[OutgoingEmail, EmailContent]:
    """Render and address the row's email, in the merchant's own words where they rewrote
    this step (``overrides``); opens and clicks of a marketing one land on it."""
    full: dict[str, Any] = dict(context)
    if template not in TRANSACTIONAL:
        full.update(
            tracking_context(shop.id, message.id, message.recipient, locale, message.customer_id)
        )
    copy = copy_for_message(shop.id, message.run_id, message.step, locale)
    return _compose(shop, template, full, locale, message.recipient, message_id_of(message), copy)


def compose_one_off(
    shop: Shop,
    template: str,
    context: Mapping[str, Any],
    locale: str,
    *,
    to: str,
    copy: Mapping[str, str] | None = None,
) -> tuple[OutgoingEmail, EmailContent]:
    """An email with no message row (the merchant's test send, in the text they are editing
    when ``copy`` is given): untracked, and a fresh Message-ID each time, since mail clients
    drop a second mail with an id they have seen."""
    full: dict[str, Any] = dict(context)
    if template not in TRANSACTIONAL:
        full["unsubscribe_url"] = unsubscribe_url(shop.id, to, locale)
    message_id = f"<sf.test.{uuid.uuid4().hex}@{message_domain()}>"
    return _compose(shop, template, full, locale, to, message_id, copy)


def _compose(
    shop: Shop,
    template: str,
    context: dict[str, Any],
    locale: str,
    to: str,
    message_id: str,
    copy: Mapping[str, str] | None = None,
) -> tuple[OutgoingEmail, EmailContent]:
    headers: dict[str, str] = {}
    if template not in TRANSACTIONAL:
        headers = list_unsubscribe_headers(context["unsubscribe_url"])
    # The shop's own branding unless the caller brought it (a preview's sample shop).
    content = render_email(template, {"shop": shop_branding(shop), **context}, locale, copy)
    from_addr, from_name = sender_identity(shop)
    email = OutgoingEmail(
        to=to,
        from_addr=from_addr,
        from_name=from_name,
        subject=content.subject,
        html=content.html,
        text=content.text,
        message_id=message_id,
        headers=headers,
    )
    return email, content
