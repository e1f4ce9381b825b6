"""The engine's view of the channels: prepare a message, send it, ask whether it went.

Composing (``app.emails.compose``, the one composer), tracking links, branding and the senders
belong to ``app.emails``; this module only fits them to a flow step (one dispatch table, one
entry per channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.emails.compose import compose_email, message_id_of
from app.emails.context import shop_branding
from app.emails.senders import PermanentFailure, Progress, TemporaryFailure, get_sender
from app.emails.sms import SmsMessage, get_sms_sender
from app.models import Message, Shop


@dataclass(frozen=True)
class Prepared:
    subject: str
    payload: Any  # what the channel's sender takes


class Channel(Protocol):
    # Whether ``send`` reports senders.SEND_STAGES as it goes (what a lost worker left
    # behind then says whether the provider can hold the message).
    tells_stages: bool

    def is_ready(self, shop: Shop) -> bool:
        """Whether the shop can use this channel at all (e.g. an SMS gateway is configured)."""
        ...

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared: ...

    def send(self, shop: Shop, prepared: Prepared, progress: Progress | None = None) -> str: ...

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        """True/False when the provider can tell whether it holds the message, else None."""
        ...


class EmailChannel:
    tells_stages = True

    def is_ready(self, shop: Shop) -> bool:
        return True

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        email, content = compose_email(shop, message, template, context, locale)
        return Prepared(subject=content.subject, payload=email)

    def send(self, shop: Shop, prepared: Prepared, progress: Progress | None = None) -> str:
        return get_sender().send(prepared.payload, progress=progress)

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        probe = getattr(get_sender(), "was_accepted", None)
        return probe(message_id_of(message)) if probe is not None else None


class SmsChannel:
    """A short text: the step's email subject line (already localised) and its link: the
    cart's restore link, else the shop's address (a birthday wish)."""

    tells_stages = False  # one HTTP request; SMSAPI itself refuses a second text of one idx

    def is_ready(self, shop: Shop) -> bool:
        return get_sms_sender(shop) is not None

    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        # The text reuses the email's localised subject line; the email itself is not sent.
        _email, content = compose_email(shop, message, template, context, locale)
        link = context.get("restore_url") or context["shop_url"]
        body = f"{shop_branding(shop)['name']}: {content.subject} {link}"
        text = SmsMessage(to=message.recipient, body=body, idempotency_key=message.idempotency_key)
        return Prepared(subject=content.subject, payload=text)

    def send(self, shop: Shop, prepared: Prepared, progress: Progress | None = None) -> str:
        sender = get_sms_sender(shop)
        if sender is None:
            raise PermanentFailure("the shop no longer has an SMS gateway")
        return sender.send(prepared.payload)

    def was_accepted(self, shop: Shop, message: Message) -> bool | None:
        return None  # SMSAPI itself refuses a second text with the same idx


CHANNELS: dict[str, Channel] = {"email": EmailChannel(), "sms": SmsChannel()}

__all__ = ["CHANNELS", "Channel", "PermanentFailure", "Prepared", "TemporaryFailure"]
