"""A store that disconnected (the plugin's ``store.disconnected``): take our webhooks out of it,
then forget its keys and secrets.

``events.apply`` marks the shop uninstalled and stops its runs but keeps its credentials, because
this job needs them to delete the webhooks (``DELETE wc/v3/webhooks/<id>?force=true``); otherwise
the store would go on posting its customers' data to us. The REST API cannot delete an API key:
the plugin revokes its own key (the ``woocommerce_api_keys`` row) when the merchant disconnects
or uninstalls it, which is also why a 401 here is normal and means there is nothing left to do.
Whatever the store answers, the credentials are wiped at the end (after the last retry when the
store is unreachable).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from rq import Retry

from app.connectors.woocommerce.client import StoreAddressError, StoreApiError, StoreClient
from app.connectors.woocommerce.webhooks import delivery_url
from app.logs import fields as log_fields
from app.models import AuditLog, Shop, db
from app.pipeline import queues

log = logging.getLogger(__name__)


def _is_disconnected(shop: Shop | None) -> bool:
    return shop is not None and shop.status == "uninstalled" and bool(shop.credentials)


def _delete_our_webhooks(shop: Shop) -> int:
    client = StoreClient(shop)
    url = delivery_url()
    ours = [
        hook["id"]
        for page in client.pages("webhooks")
        for hook in page
        if hook.get("delivery_url") == url
    ]
    for hook_id in ours:
        client.call("DELETE", f"webhooks/{hook_id}", force="true")
    return len(ours)


@queues.job("sync", timeout=120, retry=Retry(max=3, interval=[30, 300, 1800]))
def revoke_store_access(shop_id: int) -> dict[str, Any]:
    """Delete our webhooks in the store, then wipe its credentials. Safe to run twice; does
    nothing to a store that connected again in the meantime."""
    shop = db.session.get(Shop, shop_id)
    if not _is_disconnected(shop):
        return {"status": "skipped"}
    assert shop is not None
    result: dict[str, Any] = {"webhooks_deleted": 0}
    if shop.platform == "woocommerce" and shop.credentials.get("consumer_key"):
        try:
            result["webhooks_deleted"] = _delete_our_webhooks(shop)
        except StoreApiError as exc:
            # 401/403: the plugin already revoked its key (and deleted the webhooks itself).
            result["store_answered"] = exc.status
            if exc.status not in (401, 403, 404) and not queues.last_attempt():
                raise
        except StoreAddressError as exc:
            result["store_answered"] = str(exc)  # its address no longer leads anywhere we call
        except requests.RequestException as exc:
            result["store_answered"] = type(exc).__name__
            if not queues.last_attempt():
                raise
    db.session.rollback()
    shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
    if not _is_disconnected(shop):
        db.session.commit()  # connected again meanwhile: its new keys stay
        return {"status": "skipped"}
    assert shop is not None
    shop.credentials = {}
    db.session.add(
        AuditLog(shop_id=shop_id, actor="system", action="store_access_revoked", details=result)
    )
    db.session.commit()
    log.info("woocommerce store access revoked", extra=log_fields({"shop": shop_id, **result}))
    return {"status": "revoked", **result}
