"""The merchant's test email, sent by a worker so the page never waits on SMTP, and the
limit on how many a shop may ask for."""

from __future__ import annotations

import logging
import math

from rq import Retry

from app.emails.preview import send_test_email
from app.logs import fields as log_fields
from app.pipeline import queues
from app.web.rate_limit import over_limit

log = logging.getLogger(__name__)
# A test email goes to any address typed in: enough to check every step in each language
# within the hour, too few for the page to become a way of sending mail at will.
TEST_SENDS_PER_HOUR = 20
# A page, with its status (and headers: Retry-After when over the limit) when not a 200.
PageAnswer = str | tuple[str, int] | tuple[str, int, dict[str, str]]


def wait_before_test_send(shop_id: int) -> int | None:
    """Counts one test send of the shop: the seconds to wait when over the hour's limit,
    else None (the send may go)."""
    return over_limit("test-send", str(shop_id), limit=TEST_SENDS_PER_HOUR, window=3600)


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


@queues.job("flows", timeout=60, retry=Retry(max=2, interval=[30, 120]))
def send_test_email_job(
    shop_id: int, template: str, to: str, locale: str, copy: dict[str, str] | None = None
) -> str:
    """One test email (in the merchant's draft text when ``copy`` holds it); a retry after a
    crash may send a second copy, which is harmless."""
    provider_id = send_test_email(shop_id, template, to, locale, copy)
    log.info("test email sent", extra=log_fields(shop=shop_id, template=template))
    return provider_id
