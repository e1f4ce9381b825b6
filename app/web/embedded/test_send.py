"""The merchant's test email, sent by a worker so the page never waits on SMTP."""

from __future__ import annotations

import logging

from rq import Retry

from app.emails.preview import send_test_email
from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)


@queues.job("flows", timeout=60, retry=Retry(max=2, interval=[30, 120]))
def send_test_email_job(
    shop_id: int, template: str, to: str, locale: str, copy: dict[str, str] | None = None
) -> str:
    """One test email (in the merchant's draft text when ``copy`` holds it); a retry after a
    crash may send a second copy, which is harmless."""
    provider_id = send_test_email(shop_id, template, to, locale, copy)
    log.info("test email sent", extra=log_fields(shop=shop_id, template=template))
    return provider_id
