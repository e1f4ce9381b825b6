"""A fake WooCommerce store behind ``responses``: REST v3 collections kept in memory.

It serves what the connector uses (webhooks, products, orders, coupons, notes, tracking) the
way WooCommerce does: paginated lists with ``X-WP-Total``/``X-WP-TotalPages``, WooCommerce's
error bodies, and payloads built from the documented fixtures.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

from tests.support.woocommerce import STORE_URL, load

Reply = tuple[int, dict[str, str], str]


def _reply(status: int, body: Any, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body)


def _error(status: int, code: str, message: str) -> Reply:
    return _reply(status, {"code": code, "message": message, "data": {"status": status}})


# What a store's host answers when it is overloaded, before WordPress runs at all: a rate
# limiter (Cloudflare, a WAF) and a host in maintenance; plain pages, not REST errors.
TOO_MANY_REQUESTS: Reply = (
    429,
    {"Content-Type": "text/html", "Retry-After": "30"},
    "<html><body><h1>429 Too Many Requests</h1></body></html>",
)
SERVICE_UNAVAILABLE: Reply = (
    503,
    {"Content-Type": "text/html", "Retry-After": "60"},
    "<html><body><h1>503 Service Unavailable</h1></body></html>",
)


class FakeStore:
    def __init__(self, mock: responses.RequestsMock, url: str = STORE_URL) -> None:
        self.webhooks: list[dict[str, Any]] = []
        self.products: list[dict[str, Any]] = []
        self.variations: dict[int, list[dict[str, Any]]] = {}
        self.orders: list[dict[str, Any]] = []
        self.coupons: list[dict[str, Any]] = []
        self.notes: list[tuple[str, dict[str, Any]]] = []
        self.order_updates: list[tuple[str, dict[str, Any]]] = []
        self.trackings: list[tuple[str, str, dict[str, Any]]] = []
        self.tracking_namespace: str | None = None
        self.tracking_failure = False
        self.page_delay = 0.0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        # REST keys this store issued (wc-auth); the settings endpoint refuses any others, as a
        # real store does with 401 woocommerce_rest_cannot_view.
        self.issued_keys = {("ck_" + "a" * 40, "cs_" + "b" * 40)}
        self.general_settings = load("settings_general.json")
        self.site_index = load("wp_root.json")
        self.system_status = load("system_status.json")
        self.ignores_expiry = False
        # Keys the store deleted (the plugin revokes its own on Disconnect): a real store then
        # answers 401 woocommerce_rest_authentication_error to them.
        self.revoked_keys: set[tuple[str, str]] = set()
        # (part of the URL, answer): the next request whose URL holds it gets that answer
        # instead of the store's, once. Plays an overloaded host.
        self.busy: list[tuple[str, Reply]] = []
        self.base = f"{url}/wp-json"
        v3 = re.escape(f"{self.base}/wc/v3")
        routes = [
            ("GET", rf"{v3}/settings/general", self._general_settings),
            ("GET", rf"{v3}/system_status", self._system_status),
            ("GET", rf"{re.escape(self.base)}/", lambda request: _reply(200, self.site_index)),
            ("GET", rf"{v3}/webhooks", self._list_webhooks),
            ("POST", rf"{v3}/webhooks", self._create_webhook),
            ("PUT", rf"{v3}/webhooks/(\d+)", self._update_webhook),
            ("DELETE", rf"{v3}/webhooks/(\d+)", self._delete_webhook),
            ("GET", rf"{v3}/products", self._list_products),
            ("GET", rf"{v3}/products/(\d+)/variations", self._list_variations),
            ("GET", rf"{v3}/orders", self._list_orders),
            ("POST", rf"{v3}/orders/(\d+)/notes", self._add_note),
            ("PUT", rf"{v3}/orders/(\d+)", self._update_order),
            ("POST", rf"{v3}/coupons", self._create_coupon),
            ("GET", rf"{v3}/coupons", self._list_coupons),
            ("PUT", rf"{v3}/coupons/(\d+)", self._update_coupon),
            (
                "POST",
                rf"{re.escape(self.base)}/([\w-]+/v\d+)/orders/(\d+)/shipment-trackings",
                self._track,
            ),
        ]
        for method, pattern, handler in routes:
            mock.add_callback(
                method, re.compile(rf"^{pattern}(\?.*)?$"), callback=self._unless_busy(handler)
            )

    def _unless_busy(self, handler: Any) -> Any:
        def answer(request: Any) -> Reply:
            with self._lock:
                for index, (part, reply) in enumerate(self.busy):
                    if part in request.url:
                        del self.busy[index]
                        return reply
            return handler(request)

        return answer

    # --- helpers ---------------------------------------------------------------------

    @staticmethod
    def _query(request: Any) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}

    @staticmethod
    def _path_ids(request: Any, pattern: str) -> tuple[str, ...]:
        match = re.search(pattern, urlparse(request.url).path)
        assert match is not None
        return match.groups()

    def _page(self, request: Any, rows: list[dict[str, Any]]) -> Reply:
        query = self._query(request)
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        chunk = rows[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(rows) // per_page))
        return _reply(200, chunk, **{"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)})

    # --- seeding ---------------------------------------------------------------------

    def add_products(self, count: int) -> None:
        template = load("product.json")
        for n in range(len(self.products) + 1, len(self.products) + count + 1):
            product = copy.deepcopy(template)
            product.update(id=n, name=f"Product {n}", slug=f"product-{n}", price=f"{n}.00")
            product["permalink"] = f"{STORE_URL}/product/product-{n}/"
            self.products.append(product)

    def add_variable_product(self, colours: list[str]) -> dict[str, Any]:
        self.add_products(1)
        product = self.products[-1]
        product["type"] = "variable"
        rows = []
        for colour in colours:
            variation = {**load("variation.json"), "id": next(self._ids), "sku": colour[:3]}
            variation["attributes"] = [{"id": 6, "name": "Color", "option": colour}]
            rows.append(variation)
        product["variations"] = [v["id"] for v in rows]
        self.variations[product["id"]] = rows
        return product

    def add_order(self, order_id: int, modified_gmt: str, **fields: Any) -> dict[str, Any]:
        order = {**load("order.json"), "id": order_id, "number": str(order_id), **fields}
        order["date_modified_gmt"] = modified_gmt
        self.orders.append(order)
        return order

    # --- handlers --------------------------------------------------------------------

    def _general_settings(self, request: Any) -> Reply:
        if self._caller_keys(request) not in self.issued_keys:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        return _reply(200, self.general_settings)

    def _system_status(self, request: Any) -> Reply:
        if self._caller_keys(request) not in self.issued_keys:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        return _reply(200, self.system_status)

    @staticmethod
    def _caller_keys(request: Any) -> tuple[str, str]:
        # Over HTTPS the client sends the keys as HTTP Basic credentials.
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "Basic":
            return ("", "")
        key, _, secret = base64.b64decode(encoded).decode().partition(":")
        return (key, secret)

    def _revoked(self, request: Any) -> Reply | None:
        if self._caller_keys(request) in self.revoked_keys:
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        return None

    def _list_webhooks(self, request: Any) -> Reply:
        return self._revoked(request) or self._page(request, self.webhooks)

    def _delete_webhook(self, request: Any) -> Reply:
        if refused := self._revoked(request):
            return refused
        if self._query(request).get("force") != "true":
            # Webhooks do not support trashing: WooCommerce answers 501 without force.
            return _error(
                501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing."
            )
        (hook_id,) = self._path_ids(request, r"/webhooks/(\d+)$")
        for hook in self.webhooks:
            if str(hook["id"]) == hook_id:
                self.webhooks.remove(hook)
                return _reply(200, hook)
        return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")

    def _create_webhook(self, request: Any) -> Reply:
        body = json.loads(request.body)
        hook = {**load("webhook.json"), "id": next(self._ids), "status": "active"}
        hook.update(name=body["name"], topic=body["topic"], delivery_url=body["delivery_url"])
        hook.update(resource=body["topic"].split(".")[0], event=body["topic"].split(".")[1])
        hook["secret"] = body.get("secret")  # kept to assert on; WooCommerce never lists it
        self.webhooks.append(hook)
        return _reply(201, hook)

    def _update_webhook(self, request: Any) -> Reply:
        (hook_id,) = self._path_ids(request, r"/webhooks/(\d+)$")
        for hook in self.webhooks:
            if str(hook["id"]) == hook_id:
                hook.update(json.loads(request.body))
                return _reply(200, hook)
        return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")

    def _list_products(self, request: Any) -> Reply:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.page_delay)
            return self._page(request, self.products)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _list_variations(self, request: Any) -> Reply:
        (product_id,) = self._path_ids(request, r"/products/(\d+)/variations$")
        return self._page(request, self.variations.get(int(product_id), []))

    def _list_orders(self, request: Any) -> Reply:
        after = self._query(request).get("modified_after", "")
        rows = sorted(
            (o for o in self.orders if o["date_modified_gmt"] > after),
            key=lambda o: o["date_modified_gmt"],
        )
        return self._page(request, rows)

    def _add_note(self, request: Any) -> Reply:
        (order_id,) = self._path_ids(request, r"/orders/(\d+)/notes$")
        self.notes.append((order_id, json.loads(request.body)))
        return _reply(201, {"id": next(self._ids), **json.loads(request.body)})

    def _update_order(self, request: Any) -> Reply:
        (order_id,) = self._path_ids(request, r"/orders/(\d+)$")
        self.order_updates.append((order_id, json.loads(request.body)))
        return _reply(200, {"id": int(order_id)})

    def _create_coupon(self, request: Any) -> Reply:
        body = json.loads(request.body)
        if any(c["code"] == body["code"].lower() for c in self.coupons):
            return _error(
                400,
                "woocommerce_rest_coupon_code_already_exists",
                f"The coupon code {body['code']} already exists",
            )
        coupon = {**load("coupon.json"), **self._coupon_fields(body), "id": next(self._ids)}
        coupon["code"] = body["code"].lower()  # WooCommerce stores codes lower-cased
        self.coupons.append(coupon)
        return _reply(201, coupon)

    def _update_coupon(self, request: Any) -> Reply:
        (coupon_id,) = self._path_ids(request, r"/coupons/(\d+)")
        coupon = next(c for c in self.coupons if str(c["id"]) == coupon_id)
        coupon.update(self._coupon_fields(json.loads(request.body)))
        return _reply(200, coupon)

    def _coupon_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        """What WooCommerce 6.6 keeps of a coupon body: ``date_expires_gmt`` has no setter and
        is dropped; ``date_expires`` with an offset is that instant (the site runs on UTC
        here). ``ignores_expiry`` plays a store whose plugins lose the date altogether."""
        fields = {k: v for k, v in body.items() if k not in ("date_expires", "date_expires_gmt")}
        given = body.get("date_expires")
        if given and not self.ignores_expiry:
            at = datetime.fromisoformat(given).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            fields["date_expires"] = fields["date_expires_gmt"] = at
        return fields

    def _list_coupons(self, request: Any) -> Reply:
        code = self._query(request).get("code", "").lower()
        return self._page(request, [c for c in self.coupons if c["code"] == code])

    def _track(self, request: Any) -> Reply:
        namespace, order_id = self._path_ids(request, r"/wp-json/([\w-]+/v\d+)/orders/(\d+)/")
        if namespace != self.tracking_namespace:
            return _error(404, "rest_no_route", "No route was found matching the URL")
        if self.tracking_failure:
            return _error(500, "internal_server_error", "There has been a critical error.")
        self.trackings.append((namespace, order_id, json.loads(request.body)))
        return _reply(201, json.loads(request.body))
