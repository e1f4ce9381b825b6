"""Helpers of the alert flows' tests: shopper views stored as the collector stores them, the
catalog changed through its one writer, and the alert job run as the worker runs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from app.emails.tracking import identity_token
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.models import Customer, Shop, ShopScope, db
from app.pipeline.storefront import Batch, Identity, store_batch
from tests.support.shopping import add_product

SHOPPER = "ola@example.com"


def switch(shop: Shop, flow: Any, **settings: Any) -> None:
    save_settings(shop.id, flow, settings, enabled=True)
    db.session.commit()


def signed_in(shop: Shop, email: str) -> Identity:
    """The visitor proved to be this customer (our email link's identity token)."""
    customer = ShopScope(shop.id).first(Customer, Customer.email == email)
    assert customer is not None
    return Identity(token=identity_token(shop.id, customer.id))


def views(
    shop: Shop, product_id: str, *hours_ago: float, who: str = SHOPPER, variant: str | None = None
) -> None:
    """Views by a visitor known to be ``who`` (of ``variant``, if the page named one), stored
    as the collector stores them."""
    rows = tuple(
        {
            "kind": "product_viewed",
            "product_id": product_id,
            "variant_id": variant,
            "detail": None,
            "occurred_at": clock.now() - timedelta(hours=h),
        }
        for h in hours_ago
    )
    store_batch(shop, Batch(f"visitor-{who}", signed_in(shop, who), rows))
    db.session.commit()


def catalog_update(shop: Shop, product_id: str, **fields: Any) -> None:
    """The shop reports the product anew (a webhook or a sync batch), now."""
    add_product(shop.id, product_id, updated_at=clock.now(), **fields)
    db.session.commit()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def run_watchers(run_jobs: Callable[..., int]) -> int:
    """The jobs the catalog news queued (``find_watchers``), then the steps due at once."""
    return run_jobs("flows")
