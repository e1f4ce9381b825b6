"""The Shopify web pixel's requests, as its own code builds them under Node from the documented
customer events (extensions/storeflow-pixel/test/emit-batches.mjs), are accepted by the
collector and stored; the guest's checkout (which the shop's checkout webhook said was theirs)
links their earlier views."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.models import StorefrontEvent, db
from app.pipeline.storefront import ensure_collect_key

EMIT = Path(__file__).parents[2] / "extensions" / "storeflow-pixel" / "test" / "emit-batches.mjs"
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (.ci/run installs it)")
def test_pixel_batches_are_accepted_and_the_checkout_token_links_the_views(
    client: FlaskClient, make_shop, make_customer, make_cart
):
    shop = make_shop(platform="shopify", domain="sklep-ola.myshopify.com")
    guest = make_customer(shop, email="guest@example.com")
    # checkouts/update stored the checkout under its token, with the email the guest typed.
    make_cart(guest, cart_key="b1946ac92492d2347c6235b4d2611184")
    key = ensure_collect_key(shop)
    db.session.commit()
    assert NODE is not None
    out = subprocess.run(
        [NODE, str(EMIT), shop.domain, key], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    bodies = [json.loads(line) for line in out.splitlines()]
    assert len(bodies) == 2  # the views' batch, then the checkout token alone

    for body in bodies:
        response = client.post(
            "/collect/shopify",
            data=json.dumps(body),
            headers={"Origin": "https://sklep-ola.myshopify.com", "Content-Type": "text/plain"},
        )
        assert response.status_code == 204, response.get_json()

    rows = db.session.scalars(sa.select(StorefrontEvent).order_by(StorefrontEvent.id)).all()
    assert [(r.kind, r.product_id or r.detail) for r in rows] == [
        ("search_submitted", "kurtka jeansowa"),
        ("collection_viewed", "455123456789"),
        ("product_viewed", "8123456789012"),
        ("product_viewed", "8123456789012"),
    ]
    assert {r.customer_id for r in rows} == {guest.id}
    assert {r.visitor_id for r in rows} == {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}
