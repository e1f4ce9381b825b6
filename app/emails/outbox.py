"""Erasure reaches the file outboxes: they keep a copy of every rendered email and text sent
(the demo's and development's mail server), so a person's copies go when they are erased."""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Iterable

from app.emails.senders import FileOutboxSender, get_sender
from app.emails.sms import sms_outbox_directory


def outbox_directories() -> list[str]:
    """The mail outbox (when ``STOREFLOW_MAIL_URL`` is a ``file://`` one) and the SMS outbox."""
    sender = get_sender()
    found = [sender.directory] if isinstance(sender, FileOutboxSender) else []
    return [*found, sms_outbox_directory()]


def _texts(path: str, raw: bytes) -> list[str]:
    """What a file says: its bytes as text and, for an email, each decoded text part."""
    texts = [raw.decode("utf-8", "replace")]
    if path.endswith(".eml"):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                texts.append(str(part.get_content()))
    return texts


def erase_from_outboxes(identifiers: Iterable[str], directories: list[str] | None = None) -> int:
    """Delete the outbox files that hold one of ``identifiers``; how many went."""
    needles = [i.casefold() for i in identifiers if i]
    removed = 0
    for directory in outbox_directories() if directories is None else directories:
        if not needles or not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                raw = handle.read()
            if any(n in text.casefold() for text in _texts(path, raw) for n in needles):
                os.remove(path)
                removed += 1
    return removed
