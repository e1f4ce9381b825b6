"""The engine's view of the channels: prepare a message, send it, ask whether it went.

Rendering, tracking links, branding and the senders belong to ``app.emails``; this module only
fits them to a flow step (one dispatch table, one entry per channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.emails import render_email
from app.emails.context import sender_identity, shop_branding
from app.emails.senders import OutgoingEmail, PermanentFailure, TemporaryFailure, get_sender
from app.emails.sms import SmsMessage, get_sms_sender
from app.emails.tracking import list_unsubscribe_headers, tracking_context
from app.models import Message, Shop


@dataclass(frozen=True)
class Prepared:
    subject: str
    payload: Any  # what the channel's sender takes


class Channel(Protocol):
    def is_ready(self, shop: Shop) -> bool:
        """Whether the shop can use this channel at all (e.g. an SMS gateway is configured)."""
        ...

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared: ...

    def send(self, shop: Shop, prepared: Prepared) -> str: ...

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        """True/False when the provider can tell whether it holds the message, else None."""
        ...


def _render(
    shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
) -> tuple[Any, dict[str, str]]:
    """The localised email with signed open/click/unsubscribe links, and RFC 8058 headers."""
    links = tracking_context(shop.id, message.id, message.recipient, locale, message.customer_id)
    content = render_email(template, {**context, **links, "shop": shop_branding(shop)}, locale)
    return content, list_unsubscribe_headers(links["unsubscribe_url"])


class EmailChannel:
    def is_ready(self, shop: Shop) -> bool:
        return True

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        content, headers = _render(shop, message, template, context, locale)
        from_addr, from_name = sender_identity(shop)
        email = OutgoingEmail(
            to=message.recipient,
            from_addr=from_addr,
            from_name=from_name,
            subject=content.subject,
            html=content.html,
            text=content.text,
            message_id=message.idempotency_key,
            headers=headers,
        )
        return Prepared(subject=content.subject, payload=email)

    def send(self, shop: Shop, prepared: Prepared) -> str:
        return get_sender().send(prepared.payload)

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        probe = getattr(get_sender(), "was_accepted", None)
        return probe(message.idempotency_key) if probe is not None else None


class SmsChannel:
    """A short text: the step's email subject line (already localised) and the cart link."""

    def is_ready(self, shop: Shop) -> bool:
        return get_sms_sender(shop) is not None

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        content, _headers = _render(shop, message, template, context, locale)
        body = f"{shop_branding(shop)['name']}: {content.subject} {context['restore_url']}"
        text = SmsMessage(to=message.recipient, body=body, idempotency_key=message.idempotency_key)
        return Prepared(subject=content.subject, payload=text)

    def send(self, shop: Shop, prepared: Prepared) -> str:
        sender = get_sms_sender(shop)
        if sender is None:
            raise PermanentFailure("the shop no longer has an SMS gateway")
        return sender.send(prepared.payload)

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        return None  # SMSAPI itself refuses a second text with the same idx


CHANNELS: dict[str, Channel] = {"email": EmailChannel(), "sms": SmsChannel()}

__all__ = ["CHANNELS", "Channel", "PermanentFailure", "Prepared", "TemporaryFailure"]
