"""A WooCommerce merchant's first day, on a real store, in order (issue 11).

Connect → catalog synced within a minute, the shop's identity right → the takeover sequence
refused → guests' carts get their localised reminders, the third one's code expires in the
store, an order stops the rest → the label's tracking lands in the order → orders placed while
Storeflow was down come back with the next reconcile → Disconnect revokes key and webhooks.

Each test is one step and needs the ones before it (they share ``journey``); run the module
whole: ``pytest -p no:cacheprovider tests/acceptance/woocommerce -x -v``. How to bring a store
and the service up is in this folder's README.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.connectors.woocommerce.signing import sign_token
from tests.acceptance.woocommerce.conftest import ACCEPTANCE, NOT_CONFIGURED
from tests.acceptance.woocommerce.shoppers import (
    Guest,
    abandon_cart,
    browse_then_order,
    follow_link,
    order_through_link,
    place_cod_order,
)
from tests.acceptance.woocommerce.store import (
    Acceptance,
    Http,
    Mailbox,
    ServiceDb,
    WpAdmin,
    body_text,
    submit,
    wait_for,
)

pytestmark = pytest.mark.skipif(ACCEPTANCE is None, reason=NOT_CONFIGURED)

# The reminder sequence, shortened through the merchant page (minutes after the cart's last
# activity); the order window for the second shopper lies between the first and second mail.
FLOW = {
    "inactivity_minutes": 1,
    "email_1_delay_minutes": 1,
    "email_2_delay_minutes": 4,
    "email_3_delay_minutes": 6,
    "holdout_percent": 0,
    "frequency_cap_hours": 0,
    "quiet_hours_enabled": False,
    "discount_valid_hours": 2,
}
RUN_ID = uuid.uuid4().hex[:8]


def _shop(service_db: ServiceDb, journey: dict[str, Any]) -> dict[str, Any]:
    shop = service_db.one("SELECT * FROM shops WHERE id = :id", id=journey["shop_id"])
    assert shop is not None
    return shop


def _needs(journey: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if k not in journey]
    if missing:
        pytest.skip(f"an earlier step did not get as far as {', '.join(missing)}")


def _store_domain(acc: Acceptance) -> str:
    return re.sub(r"^https?://", "", acc.store_url).split("/")[0].split(":")[0]


def test_connect_is_approved_and_the_catalog_is_synced_within_a_minute(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    if 'value="storeflow_disconnect"' in admin.settings_page():
        admin.disconnect()  # a connection left by an earlier run
    domain = _store_domain(acc)
    before = service_db.one(
        "SELECT settings->>'connected_at' AS at FROM shops "
        "WHERE platform = 'woocommerce' AND domain = :d",
        d=domain,
    )
    landed = admin.connect()
    approved = time.monotonic()
    assert "storeflow_notice=connected" in landed or "Storeflow is connected" in landed

    def connected_now() -> dict[str, Any] | None:
        shop = service_db.one(
            "SELECT * FROM shops WHERE platform = 'woocommerce' AND domain = :d "
            "AND status = 'active'",
            d=domain,
        )
        fresh = shop and shop["settings"].get("connected_at") != (before or {}).get("at")
        return shop if fresh else None

    shop = wait_for("the shop connected anew in Storeflow", connected_now, timeout=60, every=2)
    journey["shop_id"] = shop["id"]
    store_products = admin.rest("GET", "wc/v3/products", params={"per_page": 100})
    published = {str(p["id"]) for p in store_products if p["status"] == "publish"}

    def synced() -> bool:
        row = service_db.one("SELECT settings FROM shops WHERE id = :s", s=shop["id"])
        sync = row["settings"].get("sync") or {} if row else {}
        finished = sync.get("finished_at") or ""
        rows = service_db.rows(
            "SELECT platform_product_id FROM products WHERE shop_id = :s", s=shop["id"]
        )
        return finished > shop["settings"]["connected_at"] and published <= {
            r["platform_product_id"] for r in rows
        }

    wait_for("a catalog sync after this connect", synced, timeout=60, every=2)
    assert time.monotonic() - approved < 60

    def our_webhooks() -> list[dict[str, Any]]:
        hooks = admin.rest("GET", "wc/v3/webhooks", params={"per_page": 100})
        return [h for h in hooks if h["delivery_url"].startswith(acc.service_url)]

    hooks = wait_for("the store's webhooks to us", our_webhooks, timeout=60, every=2)
    assert all(h["status"] == "active" for h in hooks), hooks
    journey["webhook_ids"] = [h["id"] for h in hooks]
    assert any("Storeflow" in row for row in admin.api_key_rows())


def test_connected_shop_has_the_stores_name_currency_timezone_language_and_address(
    admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "shop_id")
    wp = admin.rest("GET", "wp/v2/settings")
    general = {s["id"]: s["value"] for s in admin.rest("GET", "wc/v3/settings/general")}
    shop = _shop(service_db, journey)
    assert shop["name"] == wp["title"]
    assert shop["currency"] == general["woocommerce_currency"]
    assert shop["timezone"] == wp["timezone"]
    assert shop["locale"] == (wp.get("language") or "en_US").split("_")[0]
    address = shop["settings"].get("address") or ""
    for part in (
        "woocommerce_store_address",
        "woocommerce_store_city",
        "woocommerce_store_postcode",
    ):
        assert general[part] in address, (part, address)


def test_takeover_with_a_foreign_secret_and_made_up_keys_is_refused(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    """The Security section's sequence: start with the victim's URL and our secret, call back
    with the nonce we were handed and any keys, then use our secret."""
    _needs(journey, "shop_id")
    outsider = Http(acc.ca_bundle)
    attacker_secret = secrets.token_hex(32)
    started = outsider.post(
        f"{acc.service_url}/connect/woocommerce/start",
        json={
            "store_url": acc.store_url,
            "shared_secret": attacker_secret,
            "return_url": f"{acc.store_url}/wp-admin/",
        },
    )
    if started.status_code == 200:
        user_id = re.search(r"user_id=([^&]+)", started.json()["authorize_url"]).group(1)
        called = outsider.post(
            f"{acc.service_url}/connect/woocommerce/callback",
            json={
                "key_id": 999,
                "user_id": user_id.replace("%2E", "."),
                "consumer_key": "ck_" + secrets.token_hex(20),
                "consumer_secret": "cs_" + secrets.token_hex(20),
                "key_permissions": "read_write",
            },
        )
        assert called.status_code in (200, 400, 403, 429), called.text
        time.sleep(20)  # the keys are proven (and refused) in a job
    token = sign_token(
        attacker_secret, {"store": acc.store_url, "user": 1, "exp": int(time.time()) + 300}
    )
    page = outsider.get(f"{acc.service_url}/embedded/woocommerce", params={"wp_token": token})
    assert page.status_code == 401, f"the outsider's token opened the merchant page: {page.url}"
    shop = _shop(service_db, journey)
    assert shop["status"] == "active"
    admin.merchant_session()  # the real store's own sign-in still works


def _saved(page: str) -> bool:
    """The page's own "saved" notice, in whichever of its languages the admin reads."""
    return ": saved" in page or ": zapisano" in page or ": salvat" in page


def test_merchant_shortens_the_reminders_and_turns_labels_on(
    acc: Acceptance, admin: WpAdmin, journey: dict[str, Any]
) -> None:
    _needs(journey, "shop_id")
    merchant = admin.merchant_session()
    # The flow's page shows delays in hours: the shortened minutes go in as fractions of one.
    changes: dict[str, str | bool] = {
        f"abandoned_cart-{k}": (f"{v / 60:.4f}" if k.endswith("_minutes") else v)
        if not isinstance(v, bool)
        else v
        for k, v in FLOW.items()
    }
    changes["abandoned_cart-enabled"] = True
    flow_page = "/embedded/flows/abandoned_cart"
    page = submit(merchant, acc.service_url, flow_page, changes, page_path=flow_page)
    assert _saved(page), page[-800:]
    labels: dict[str, str | bool] = {
        "courier_labels-enabled": True,
        "courier_labels-courier": "own",
        "courier_labels-trigger": "created",
        "courier_labels-sender-name": "Sklep Bursztyn",
        "courier_labels-sender-street": "ul. Długa 12",
        "courier_labels-sender-city": "Gdańsk",
        "courier_labels-sender-postal_code": "80-827",
        "courier_labels-sender-country_code": "PL",
        "courier_labels-sender-phone": "+48 58 123 45 67",
        "courier_labels-sender-email": "sklep@sklep-bursztyn.test",
        "courier_labels-parcel-weight_kg": "1",
    }
    page = submit(
        merchant, acc.service_url, "/embedded/shipping", labels, page_path="/embedded/store"
    )
    assert _saved(page), page[-800:]
    journey["flows_set"] = True


def test_guests_abandon_their_carts_and_both_are_captured(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "flows_set")
    product = next(p for p in admin.rest("GET", "wc/v3/products") if p["type"] == "simple")
    journey["product_id"] = product["id"]
    ignoring = Guest(email=f"anna.{RUN_ID}@klient.test", first_name="Anna")
    buying = Guest(email=f"ewa.{RUN_ID}@klient.test", first_name="Ewa")
    for guest in (ignoring, buying):
        abandon_cart(acc, product["id"], guest)
    journey["ignoring"], journey["buying"] = ignoring, buying
    journey["abandoned_at"] = time.monotonic()

    def captured() -> bool:
        rows = service_db.rows(
            "SELECT email FROM carts WHERE shop_id = :s AND email IN (:a, :b) "
            "AND json_array_length(items::json) > 0",
            s=journey["shop_id"],
            a=ignoring.email,
            b=buying.email,
        )
        return len(rows) == 2

    # Plugin events wait for Action Scheduler, which WP-Cron runs.
    wait_for("both carts with their email in Storeflow", captured, timeout=180)


def test_an_order_after_the_first_reminder_stops_the_rest(
    acc: Acceptance, service_db: ServiceDb, mail: Mailbox, journey: dict[str, Any]
) -> None:
    _needs(journey, "buying")
    buying: Guest = journey["buying"]
    wait_for("the first reminder to the buying guest", lambda: mail.to(buying.email), 300)
    order_id = place_cod_order(acc, journey["product_id"], buying)
    journey["order_id"] = order_id

    def ended() -> dict[str, Any] | None:
        # The run that sent the first reminder (the checkout's own cart may start another).
        return service_db.one(
            "SELECT r.end_reason FROM flow_runs r WHERE r.shop_id = :s "
            "AND r.flow_key = 'abandoned_cart' AND r.context->>'email' = :e "
            "AND r.ended_at IS NOT NULL AND EXISTS (SELECT 1 FROM messages m "
            "WHERE m.run_id = r.id AND m.status = 'sent')",
            s=journey["shop_id"],
            e=buying.email,
        )

    run = wait_for("the buying guest's reminders stopped", ended, timeout=180)
    assert run["end_reason"] == "order_placed"
    # Past the third reminder's time: still only the first one (the shipping notice for the
    # order is no reminder).
    remaining = FLOW["email_3_delay_minutes"] * 60 - (time.monotonic() - journey["abandoned_at"])
    time.sleep(max(0, remaining) + 60)
    reminders = service_db.rows(
        "SELECT m.subject FROM messages m JOIN flow_runs r ON r.id = m.run_id "
        "WHERE r.shop_id = :s AND r.flow_key = 'abandoned_cart' AND m.recipient = :e "
        "AND m.status = 'sent'",
        s=journey["shop_id"],
        e=buying.email,
    )
    assert len(reminders) == 1, reminders
    subjects = [str(m["Subject"]) for m in mail.to(buying.email)]
    assert reminders[0]["subject"] in subjects


def test_the_ignoring_guest_gets_three_localised_reminders_and_the_code_expires_in_the_store(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, mail: Mailbox, journey: dict[str, Any]
) -> None:
    _needs(journey, "ignoring")
    ignoring: Guest = journey["ignoring"]
    mails = wait_for(
        "three reminders to the ignoring guest",
        lambda: len(mail.to(ignoring.email)) >= 3 and mail.to(ignoring.email),
        600,
        every=10,
    )
    assert len(mails) == 3
    for message in mails:
        text = body_text(message)
        assert "koszyk" in (str(message["Subject"]) + text).lower(), message["Subject"]
        assert "Gdańsk" in text  # the store's postal address, from its own settings
    third = body_text(mails[2])
    code = service_db.one(
        "SELECT code, expires_at FROM discounts WHERE shop_id = :s AND recipient = :e",
        s=journey["shop_id"],
        e=ignoring.email,
    )
    assert code is not None, "no discount row for the third reminder"
    assert code["code"] in third
    coupons = admin.rest("GET", "wc/v3/coupons", params={"code": code["code"]})
    assert len(coupons) == 1, coupons
    expires = coupons[0]["date_expires_gmt"]
    assert expires, f"coupon {code['code']} has no expiry in the store"
    in_store = datetime.fromisoformat(expires).replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert now < in_store <= now + timedelta(hours=FLOW["discount_valid_hours"], minutes=5)
    assert coupons[0]["usage_limit"] == 1
    journey["code"], journey["third_mail"] = code["code"], third


def _link_to(text: str, path: str) -> str:
    """The tracked link in a mail whose destination contains ``path`` (the signed payload is
    URL-safe base64 JSON, zlib-compressed when it starts with a dot)."""
    for link in re.findall(r"https?://\S+/t/c/\S+", text):
        token = link.rsplit("/t/c/", 1)[1]
        compressed = token.startswith(".")
        payload = token.lstrip(".").split(".", 1)[0]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        target = json.loads(zlib.decompress(raw) if compressed else raw)[-1]
        if path in str(target):
            return link
    raise AssertionError(f"no link to {path} in the mail")


def test_the_third_reminders_link_restores_the_cart_with_its_code_which_works_once(
    acc: Acceptance, admin: WpAdmin, journey: dict[str, Any]
) -> None:
    _needs(journey, "code")
    link = _link_to(journey["third_mail"], "/r/")
    order_id, codes = order_through_link(acc, link, journey["ignoring"])
    assert codes == [journey["code"]]
    order = admin.rest("GET", f"wc/v3/orders/{order_id}")
    assert [line["code"] for line in order["coupon_lines"]] == [journey["code"]]
    assert [item["product_id"] for item in order["line_items"]] == [journey["product_id"]]
    # The same link again: the cart comes back, the spent code does not.
    _landed, again = follow_link(acc, link)
    assert again == []


def test_the_labels_tracking_number_lands_in_the_order(
    admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "order_id")

    def shipment() -> dict[str, Any] | None:
        return service_db.one(
            "SELECT s.tracking_number, s.status, s.error, s.tracking_pushed_at FROM shipments s "
            "JOIN orders o ON o.id = s.order_id WHERE o.shop_id = :s "
            "AND o.platform_order_id = :o AND s.tracking_pushed_at IS NOT NULL",
            s=journey["shop_id"],
            o=str(journey["order_id"]),
        )

    found = wait_for("the order's shipment with its tracking pushed", shipment, timeout=180)
    notes = admin.rest("GET", f"wc/v3/orders/{journey['order_id']}/notes")
    order = admin.rest("GET", f"wc/v3/orders/{journey['order_id']}")
    in_order = " ".join(n["note"] for n in notes) + str(order.get("meta_data"))
    assert found["tracking_number"] in in_order


def test_orders_placed_while_storeflow_is_down_come_back_with_the_next_reconcile(
    acc: Acceptance, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "shop_id", "product_id")
    if not (acc.stop_service and acc.start_service):
        pytest.skip("STOREFLOW_ACCEPT_STOP_SERVICE / STOREFLOW_ACCEPT_START_SERVICE not set")
    subprocess.run(acc.stop_service, shell=True, check=True)
    try:
        time.sleep(5)
        guest = Guest(email=f"outage.{RUN_ID}@klient.test", first_name="Zofia")
        missed = place_cod_order(acc, journey["product_id"], guest)
        time.sleep(60)  # WP-Cron fires the order webhooks into the outage
    finally:
        subprocess.run(acc.start_service, shell=True, check=True)

    def recovered() -> dict[str, Any] | None:
        return service_db.one(
            "SELECT id FROM orders WHERE shop_id = :s AND platform_order_id = :o",
            s=journey["shop_id"],
            o=str(missed),
        )

    wait_for(f"order {missed} recovered by the reconcile", recovered, timeout=20 * 60, every=15)


def test_a_guests_product_page_views_reach_the_collector_and_join_her_at_checkout(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "shop_id", "product_id")
    products = [p for p in admin.rest("GET", "wc/v3/products") if p["type"] == "simple"][:2]
    guest = Guest(email=f"views.{RUN_ID}@klient.test", first_name="Marta")
    visitor, order_id = browse_then_order(
        acc, [p["permalink"] for p in products], journey["product_id"], guest
    )

    def views() -> list[dict[str, Any]]:
        return service_db.rows(
            "SELECT product_id, customer_id FROM storefront_events "
            "WHERE shop_id = :s AND visitor_id = :v AND kind = 'product_viewed' ORDER BY id",
            s=journey["shop_id"],
            v=visitor,
        )

    # The beacons go straight from the browser to the collector (cross-origin, no WP-Cron).
    seen = wait_for("both product views stored", lambda: len(views()) == 2, timeout=60)
    assert seen
    assert [v["product_id"] for v in views()] == [str(p["id"]) for p in products]

    def joined() -> bool:
        customer = service_db.one(
            "SELECT id FROM customers WHERE shop_id = :s AND email = :e",
            s=journey["shop_id"],
            e=guest.email,
        )
        return customer is not None and {v["customer_id"] for v in views()} == {customer["id"]}

    # The checkout email travels in the plugin's signed event, which WP-Cron sends.
    wait_for(f"the views joined to {guest.email} (order {order_id})", joined, timeout=180)


def test_disconnect_revokes_the_key_and_the_webhooks(
    acc: Acceptance, admin: WpAdmin, service_db: ServiceDb, journey: dict[str, Any]
) -> None:
    _needs(journey, "shop_id")
    landed = admin.disconnect()
    assert "storeflow_notice=disconnected" in landed, landed

    def webhooks_gone() -> bool:
        hooks = admin.rest("GET", "wc/v3/webhooks", params={"per_page": 100})
        return not [h for h in hooks if h["delivery_url"].startswith(acc.service_url)]

    wait_for("the store's webhooks to us deleted", webhooks_gone, timeout=120)
    assert not [row for row in admin.api_key_rows() if "Storeflow" in row]
    # The plugin's signed "store.disconnected" is applied by a worker, moments later.
    wait_for(
        "the shop uninstalled in the service",
        lambda: _shop(service_db, journey)["status"] == "uninstalled",
        timeout=60,
    )
