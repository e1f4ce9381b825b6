"""WooCommerce catalog sync: 20,000 products over paginated REST from a local fake in <= 60 s.

A fake store runs in its own process (so its work is not counted in ours) and serves
``/wp-json/wc/v3/products`` the way WooCommerce does: 100 per page, ``X-WP-Total`` and
``X-WP-TotalPages``, each product the documented sample (``tests/fixtures/woocommerce/
product.json``) with its own id, name, SKU and price; every tenth product is variable with two
variations (``variation.json``), fetched with one more request each, as a real store needs.
Then ``sync_catalog`` (the job the connect and the nightly reconcile run) syncs it into a
scratch PostgreSQL database, over HTTP with the REST keys' OAuth signature.

    PYTHONPATH=.:bench .venv/bin/python bench/woo_catalog.py [products]
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table

from app.connectors.woocommerce.client import PER_PAGE
from app.connectors.woocommerce.sync import sync_catalog
from app.models import Product, Shop, Variant, db

PRODUCTS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(20_000, 500)
VARIABLE_EVERY, VARIATIONS = 10, 2
LIMIT_SECONDS = 60.0
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "woocommerce"


def _product(n: int, sample: dict[str, Any]) -> dict[str, Any]:
    product = copy.deepcopy(sample)
    price = f"{10 + n % 90}.99"
    product.update(
        id=n,
        name=f"Product {n}",
        slug=f"product-{n}",
        permalink=f"http://store.example/product/product-{n}/",
        sku=f"SKU-{n}",
        price=price,
        regular_price=price,
    )
    if n % VARIABLE_EVERY == 0:
        product.update(type="variable", variations=[n * 10 + v for v in range(VARIATIONS)])
    return product


def _variation(n: int, v: int, sample: dict[str, Any]) -> dict[str, Any]:
    variation = copy.deepcopy(sample)
    variation.update(id=n * 10 + v, sku=f"SKU-{n}-{v}", price="19.99", regular_price="19.99")
    return variation


def _serve(port: int, products: int, ready: Any) -> None:
    """The fake store: every page serialised once up front, then served as bytes."""
    sample = json.loads((FIXTURES / "product.json").read_text())
    variation_sample = json.loads((FIXTURES / "variation.json").read_text())
    pages = (products + PER_PAGE - 1) // PER_PAGE
    bodies = {
        page: json.dumps(
            [
                _product(n, sample)
                for n in range((page - 1) * PER_PAGE + 1, min(page * PER_PAGE, products) + 1)
            ]
        ).encode()
        for page in range(1, pages + 1)
    }
    variations = {
        n: json.dumps([_variation(n, v, variation_sample) for v in range(VARIATIONS)]).encode()
        for n in range(VARIABLE_EVERY, products + 1, VARIABLE_EVERY)
    }
    headers = {"X-WP-Total": str(products), "X-WP-TotalPages": str(pages)}

    class Store(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            found = re.fullmatch(r"/wp-json/wc/v3/products/(\d+)/variations", url.path)
            if found:
                body = variations.get(int(found.group(1)), b"[]")
                self._send(body, {"X-WP-Total": str(VARIATIONS), "X-WP-TotalPages": "1"})
            elif url.path == "/wp-json/wc/v3/products":
                self._send(bodies.get(int(query.get("page", 1)), b"[]"), headers)
            else:
                self.send_error(404)

        def _send(self, body: bytes, extra: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Store)
    ready.set()
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    port = _free_port()
    ready = multiprocessing.Event()
    store = multiprocessing.Process(target=_serve, args=(port, PRODUCTS, ready), daemon=True)
    store.start()
    try:
        ready.wait(120)
        # A store on 127.0.0.1 is private: allowed here as in development.
        with scratch_app("woo_catalog", ALLOW_PRIVATE_STORE_URLS=True):
            shop = Shop(
                platform="woocommerce",
                domain=f"127.0.0.1:{port}",
                status="active",
                settings={"store_url": f"http://127.0.0.1:{port}"},
            )
            shop.credentials = {"consumer_key": "ck_bench", "consumer_secret": "cs_bench"}
            db.session.add(shop)
            db.session.commit()
            cpu, started = time.process_time(), time.perf_counter()
            result = sync_catalog(shop.id)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            products = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) or 0
            variants = db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) or 0
    finally:
        store.terminate()
        store.join()
    print(
        table(
            [
                ("products", "pages", "stored products", "variants", "seconds", "CPU s",
                 "products/s", "status"),
                (f"{PRODUCTS:,}", str(result.get("total_pages")), f"{products:,}",
                 f"{variants:,}", f"{elapsed:.1f}", f"{cpu:.1f}", f"{PRODUCTS / elapsed:,.0f}",
                 str(result.get("status"))),
            ]
        )
    )  # fmt: skip
    report(
        f"catalog: WooCommerce REST, {PRODUCTS:,} products",
        f"{elapsed:.1f} s ({cpu:.1f} s CPU)",
        "<= 60 s",
        elapsed <= LIMIT_SECONDS and products == PRODUCTS,
        f"{PRODUCTS / elapsed:,.0f} products/s",
    )


if __name__ == "__main__":
    main()
