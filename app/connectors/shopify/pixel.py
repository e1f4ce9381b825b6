"""Switch the Storeflow web pixel on in a shop: ``webPixelCreate`` with the pixel's settings.

The extension (``extensions/storeflow-pixel``) is deployed with the app, but a shop runs it only
once the app creates a web pixel record there with settings matching the extension's
``[settings]`` (Shopify validates them against ``shopify.extension.toml``): our collector's
address, the shop's domain and its public collect key. It needs the ``write_pixels`` and
``read_customer_events`` scopes. An app has one pixel per shop: a second create answers the
user error ``TAKEN``, and then we read the one there (``webPixel`` without an id is the app's
own) and update it when its settings differ, so a reinstall or a new collector address heals.

``switch_on`` runs at install and again in the daily reconcile: a pixel the merchant removed
(or one a refusal kept from being made) is made again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import current_app

from app.connectors.shopify.graphql import AdminClient, ShopifyApiError, user_errors
from app.logs import fields as log_fields
from app.models import Shop, db
from app.pipeline.storefront import ensure_collect_key

log = logging.getLogger(__name__)

CREATE_PIXEL = """
mutation WebPixelCreate($webPixel: WebPixelInput!) {
  webPixelCreate(webPixel: $webPixel) {
    userErrors { code field message }
    webPixel { id settings }
  }
}
"""

CURRENT_PIXEL = """
query WebPixel {
  webPixel { id settings }
}
"""

UPDATE_PIXEL = """
mutation WebPixelUpdate($id: ID!, $webPixel: WebPixelInput!) {
  webPixelUpdate(id: $id, webPixel: $webPixel) {
    userErrors { code field message }
    webPixel { id settings }
  }
}
"""


def pixel_settings(shop: Shop) -> dict[str, str]:
    """The settings the extension declares (the caller commits a newly made collect key)."""
    return {
        "endpoint": f"{current_app.config['PUBLIC_URL']}/collect/shopify",
        "shop": shop.domain,
        "collectKey": ensure_collect_key(shop),
    }


def _as_dict(settings: Any) -> dict[str, Any]:
    """``settings`` is a JSON scalar: Shopify answers it as a JSON-encoded string."""
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            return {}
    return settings if isinstance(settings, dict) else {}


def ensure_web_pixel(shop: Shop, client: AdminClient) -> str:
    """Create the shop's pixel, or bring the one there up to date: 'created', 'updated' or
    'unchanged'. ShopifyApiError for any other refusal."""
    settings = pixel_settings(shop)
    given = {"webPixel": {"settings": json.dumps(settings)}}
    data = client.execute("webPixelCreate", CREATE_PIXEL, given)
    payload = data.get("webPixelCreate") or {}
    errors = payload.get("userErrors") or []
    if not any(error.get("code") == "TAKEN" for error in errors):
        user_errors(shop, "webPixelCreate", payload or None)
        log.info("shopify web pixel created", extra=log_fields(shop=shop.id))
        return "created"
    current = client.execute("webPixel", CURRENT_PIXEL).get("webPixel")
    if not current or not current.get("id"):
        raise ShopifyApiError(shop.domain, "webPixel", "pixel taken but none found")
    if _as_dict(current.get("settings")) == settings:
        return "unchanged"
    data = client.execute("webPixelUpdate", UPDATE_PIXEL, {"id": current["id"], **given})
    user_errors(shop, "webPixelUpdate", data.get("webPixelUpdate"))
    log.info("shopify web pixel updated", extra=log_fields(shop=shop.id, pixel=current["id"]))
    return "updated"


def switch_on(shop: Shop, client: AdminClient) -> str:
    """``ensure_web_pixel`` with the collect key stored first (it goes into the settings):
    'created', 'updated', 'unchanged', or 'failed' (logged) when Shopify refuses. Views are
    extra: carts, orders and every flow work without them, and retrying a refusal (a missing
    scope, settings the extension rejects) would not change it, so it fails nothing else."""
    ensure_collect_key(shop)
    db.session.commit()
    try:
        return ensure_web_pixel(shop, client)
    except ShopifyApiError as exc:
        log.warning("shopify web pixel not activated: %s", exc, extra=log_fields(shop=shop.id))
        return "failed"
