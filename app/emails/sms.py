"""Text messages behind the same idea as email: one interface, a real gateway, a file outbox.

The real gateway is SMSAPI.pl (``POST /sms.do``, bearer token, ``format=json``). Its errors can
arrive with HTTP 200 and a JSON ``error`` code, so the body decides, not only the status.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import requests

from app.emails.senders import PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from app.models import Shop

log = logging.getLogger(__name__)
SMSAPI_URL = "https://api.smsapi.pl"
# SMSAPI codes worth retrying: internal error and request limit. Others (bad number, bad
# sender, authorisation, no credit) need a person to act, so retrying would only repeat them.
SMSAPI_TEMPORARY_CODES = frozenset({201, 203})
_PHONE = re.compile(r"^\+?[0-9]{9,15}$")

__all__ = ["PermanentFailure", "SmsMessage", "SmsSender", "TemporaryFailure"]


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    # Stable across retries of one message; SMSAPI refuses a second send with the same ``idx``.
    idempotency_key: str | None = None


class SmsSender(Protocol):
    def send(self, msg: SmsMessage) -> str:
        """Hand the message over; returns the gateway's id for it."""
        ...


def normalize_phone(phone: str) -> str:
    """Digits with the country code, as gateways want them: ``+48 600-100-200`` -> 48600100200."""
    compact = re.sub(r"[\s\-().]", "", phone or "")
    if not _PHONE.match(compact):
        raise PermanentFailure(f"not a phone number with a country code: {phone!r}")
    return compact.lstrip("+")


@dataclass
class SmsapiSender:
    token: str
    sender_name: str | None = None
    base_url: str = SMSAPI_URL
    timeout: float = 10.0

    def send(self, msg: SmsMessage) -> str:
        data: dict[str, Any] = {
            "to": normalize_phone(msg.to),
            "message": msg.body,
            "format": "json",
            "encoding": "utf-8",
        }
        if self.sender_name:
            data["from"] = self.sender_name
        if msg.idempotency_key:
            data.update(idx=msg.idempotency_key[:255], check_idx=1)
        try:
            response = requests.post(
                f"{self.base_url}/sms.do",
                data=data,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"SMSAPI unreachable: {exc}") from exc
        return _read_reply(response)


def _read_reply(response: requests.Response) -> str:
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(f"SMSAPI answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise TemporaryFailure(
            f"SMSAPI answered HTTP {response.status_code} without JSON"
        ) from None
    if isinstance(body, dict) and body.get("error"):
        code, text = body["error"], body.get("message", "")
        failure = TemporaryFailure if code in SMSAPI_TEMPORARY_CODES else PermanentFailure
        raise failure(f"SMSAPI error {code}: {text}")
    try:
        return str(body["list"][0]["id"])
    except (KeyError, IndexError, TypeError):
        raise PermanentFailure(f"SMSAPI reply without a message id: {body!r}") from None


@dataclass
class FileSmsOutbox:
    """Writes each text as a JSON file; one file per message even if it is sent twice."""

    directory: str

    def send(self, msg: SmsMessage) -> str:
        os.makedirs(self.directory, exist_ok=True)
        key = msg.idempotency_key or f"{msg.to}\n{msg.body}"
        path = os.path.join(self.directory, hashlib.sha256(key.encode()).hexdigest()[:16] + ".json")
        with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
            json.dump(asdict(msg), handle, ensure_ascii=False, indent=2)
        os.replace(f"{path}.tmp", path)
        return path


def get_sms_sender(shop: Shop) -> SmsSender | None:
    """The shop's configured gateway, or None when it has none (then no SMS step runs)."""
    from flask import current_app

    token = shop.credentials.get("smsapi_token")
    if token:
        return SmsapiSender(token=token, sender_name=shop.sms_channel.sender_name)
    # The file outbox is for the demo and development: in production it would swallow texts.
    in_production = current_app.config["STOREFLOW_ENV"] == "production"
    if shop.sms_channel.gateway == "outbox" and not in_production:
        return FileSmsOutbox(sms_outbox_directory())
    return None


def sms_outbox_directory() -> str:
    """Where the file outbox keeps texts (the demo's and development's)."""
    from flask import current_app

    return os.path.join(current_app.instance_path, "outbox", "sms")
