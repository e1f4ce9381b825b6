"""The merchant's daily digest of parcels in trouble: exceptions and returns of the last day.

``daily_tracking_digest`` (``rq cron``, every morning) queues ``send_tracking_digest`` for every
shop whose parcels reported an exception or a return yesterday (the UTC day before the run).
The digest goes to the merchant's own address (where their test emails go, else the shop's
sender address), in the shop's language, at most once per shop and day: an ``AuditLog`` row
is written before the send and a retry finds it.
"""

from __future__ import annotations

import html
import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from app.connectors.couriers.names import carrier_name
from app.emails.context import message_domain
from app.emails.senders import OutgoingEmail, get_sender
from app.logs import fields as log_fields
from app.models import AuditLog, Order, Shipment, ShipmentEvent, Shop, ShopScope, db, utcnow
from app.pipeline import queues
from app.shipping import links, texts
from app.shipping.tracking import ATTENTION

log = logging.getLogger(__name__)
ACTION = "tracking_digest"


DIGEST: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{count} parcels need your attention · {shop}",
        "intro": "These parcels reported a delivery problem or a return since yesterday:",
        "page": "See them in Storeflow, on the Labels tab, in your shop's admin",
    },
    "pl": {
        "subject": "Przesyłki wymagające uwagi: {count} · {shop}",
        "intro": "Te przesyłki zgłosiły od wczoraj problem z doręczeniem lub zwrot:",
        "page": "Zobacz je w Storeflow, w zakładce Etykiety, w panelu sklepu",
    },
    "ro": {
        "subject": "{count} colete necesită atenția dvs. · {shop}",
        "intro": "Aceste colete au raportat de ieri o problemă la livrare sau un retur:",
        "page": "Le vedeți în Storeflow, în fila Etichete, în panoul magazinului",
    },
}


@queues.job("labels", timeout=120, retry=Retry(max=1, interval=60))
def daily_tracking_digest(now: datetime | None = None) -> int:
    """Queue one digest per shop with parcels in trouble yesterday."""
    day = (now or utcnow()).astimezone(UTC).date() - timedelta(days=1)
    start, end = _bounds(day)
    shops = db.session.scalars(
        sa.select(ShipmentEvent.shop_id)
        .where(
            ShipmentEvent.status.in_(ATTENTION),
            ShipmentEvent.recorded_at >= start,
            ShipmentEvent.recorded_at < end,
        )
        .distinct()
    ).all()
    for shop_id in shops:
        queues.enqueue_after_commit(
            db.session(),
            send_tracking_digest,
            shop_id,
            day.isoformat(),
            job_id=f"digest-{shop_id}-{day}",
        )
    db.session.commit()
    return len(shops)


@queues.job("labels", timeout=60, retry=Retry(max=2, interval=[60, 600]))
def send_tracking_digest(shop_id: int, day: str) -> str:
    """The digest of ``day``'s trouble for one shop, sent at most once."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return "no shop"
    to = shop.merchant_contact.email or shop.sender.email
    scope = ShopScope(shop_id)
    if scope.first(AuditLog, AuditLog.action == ACTION, AuditLog.subject == day):
        db.session.commit()
        return "already sent"
    lines = trouble(shop, date.fromisoformat(day))
    if not lines or not to:
        db.session.commit()
        log.info("no tracking digest", extra=log_fields(shop=shop_id, lines=len(lines)))
        return "nothing to send" if not lines else "no merchant address"
    # Written before the send: a crash after it loses one digest, never sends two.
    scope.add(AuditLog(actor="system", action=ACTION, subject=day, details={"to": to}))
    db.session.commit()
    get_sender().send(compose(shop, to, lines))
    log.info("tracking digest sent", extra=log_fields(shop=shop_id, lines=len(lines)))
    return "sent"


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def trouble(shop: Shop, day: date) -> list[str]:
    """One line per parcel that reported an exception or a return on ``day`` (UTC)."""
    locale = texts.locale_of(shop.locale)
    start, end = _bounds(day)
    scope = ShopScope(shop.id)
    shipment_ids = db.session.scalars(
        scope.select(
            ShipmentEvent,
            ShipmentEvent.status.in_(ATTENTION),
            ShipmentEvent.recorded_at >= start,
            ShipmentEvent.recorded_at < end,
        )
        .with_only_columns(ShipmentEvent.shipment_id)
        .distinct()
    ).all()
    lines = []
    for shipment in scope.all(Shipment, Shipment.id.in_(shipment_ids)):
        order = scope.get(Order, shipment.order_id)
        reference = (order.order_number or order.platform_order_id) if order else ""
        status = texts.status_name(shipment.tracking_status, locale)
        lines.append(
            f"{reference} · {carrier_name(shop, shipment)} {shipment.tracking_number}: {status}"
        )
    return sorted(lines)


def compose(shop: Shop, to: str, lines: list[str]) -> OutgoingEmail:
    words = DIGEST[texts.locale_of(shop.locale)]
    # The merchant page in the shop's admin, which signs the merchant in: no link of ours
    # opens the labels by itself.
    page = links.merchant_page_url(shop)
    where = f"{words['page']}: {page}" if page else words["page"]
    text = "\n".join([words["intro"], "", *lines, "", where])
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    link = f'<a href="{html.escape(page)}">{html.escape(words["page"])}</a>' if page else ""
    body = (
        f"<p>{html.escape(words['intro'])}</p><ul>{items}</ul>"
        f"<p>{link or html.escape(words['page'])}</p>"
    )
    return OutgoingEmail(
        to=to,
        from_addr=current_app.config["MAIL_FROM"],
        from_name="Storeflow",
        subject=words["subject"].format(count=len(lines), shop=shop.display_name),
        html=body,
        text=text,
        message_id=f"<sf.digest.{uuid.uuid4().hex}@{message_domain()}>",
    )
