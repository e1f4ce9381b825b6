"""Shared fixtures: the app on real services, a clean database and Redis per test, and
factories that build on each other, each taking keyword overrides:
``make_shop`` -> ``shop`` -> ``make_customer`` -> ``customer`` -> ``make_cart`` -> ``cart``.
A factory called without its parent uses the parent fixture (``make_cart()`` is a cart of
``customer`` in ``shop``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import downgrade, upgrade
from redis import Redis
from rq import SimpleWorker

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.connectors.base import hmac_sha256
from app.events import reactions
from app.events import types as ev
from app.models import Cart, Customer, Shop, db, utcnow
from app.pipeline import known_shops, queues
from app.web import rate_limit
from tests.backends import Backends, detect

_BACKENDS = detect()

pytest.register_assert_rewrite("tests.support")

# Fixtures every test folder may use, whatever folder it sits in.
pytest_plugins = [
    "tests.support.admin",
    "tests.support.couriers",
    "tests.support.database",
    "tests.support.demo",
    "tests.support.embedded",
    "tests.support.emails",
    "tests.support.flows",
    "tests.support.shipping",
    "tests.support.shopify",
    "tests.support.woocommerce",
]


def pytest_report_header(config: pytest.Config) -> str:
    return _BACKENDS.description


@pytest.fixture(scope="session")
def backends() -> Backends:
    return _BACKENDS


@pytest.fixture(scope="session")
def _app(backends: Backends) -> Iterator[Flask]:
    app = create_app(config_for_tests(backends.database_url, backends.redis_url))
    with app.app_context(), _exclusive_use(backends):
        _reset_schema()
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
        yield app


@contextmanager
def _exclusive_use(backends: Backends) -> Iterator[None]:
    """Two test runs on one database would truncate each other's rows mid-test (and deadlock):
    the second waits for the first, holding a session-level advisory lock on a connection of
    its own."""
    if not backends.is_postgres:
        yield
        return
    with psycopg.connect(backends.database_url, autocommit=True) as conn:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (_RUN_LOCK,)).fetchone()[0]:
            print(f"\nwaiting for another test run on {backends.database_url} to finish...")
            conn.execute("SELECT pg_advisory_lock(%s)", (_RUN_LOCK,))
        yield


_RUN_LOCK = 0x53544F5245  # "STORE": any fixed key, the same for every run


def _reset_schema() -> None:
    """Start from an empty database so the migrations, not leftovers, define the schema."""
    engine = db.engine
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in meta.tables:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        else:
            meta.drop_all(bind=conn)


@pytest.fixture()
def app(_app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The app with an empty database and Redis, and an app context pushed. Mail goes to a
    file outbox in the test's own temporary folder: no test ever writes to the project's."""
    previous_mail_url = _app.config["MAIL_URL"]
    _app.config["MAIL_URL"] = f"file://{tmp_path}/outbox"
    with _app.app_context():
        _truncate_all()
        queues.redis_connection().flushdb()
        known_shops.forget_all()  # the truncated shops; the next test makes its own
        rate_limit.lazy_limits().forget_all()  # counts of the emptied Redis
        yield _app
        db.session.rollback()
        db.session.remove()
    _app.config["MAIL_URL"] = previous_mail_url


def _truncate_all() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    """Runs ``flask ...`` commands (``runner.invoke(args=["storeflow", ...])``) on this app."""
    return app.test_cli_runner()


@pytest.fixture()
def redis_conn(app: Flask) -> Redis:
    return queues.redis_connection()


@pytest.fixture()
def run_jobs(app: Flask) -> Callable[..., int]:
    """Run queued jobs in-process with a real RQ worker until the queues are empty."""

    def run(*names: str) -> int:
        """Returns how many jobs finished successfully."""
        qs = [queues.queue(n) for n in (names or queues.QUEUES)]
        before = sum(q.finished_job_registry.count for q in qs)
        SimpleWorker(qs, connection=queues.redis_connection()).work(burst=True)
        return sum(q.finished_job_registry.count for q in qs) - before

    return run


@pytest.fixture()
def make_shop(app: Flask) -> Callable[..., Shop]:
    def make(**overrides: Any) -> Shop:
        values: dict[str, Any] = {
            "platform": "demo",
            "domain": f"shop{overrides.get('n', '')}.example",
            "name": "Test shop",
            "status": "active",
            "currency": "PLN",
            "locale": "pl",
            "timezone": "Europe/Warsaw",
        }
        overrides.pop("n", None)
        credentials = overrides.pop("credentials", {"webhook_secret": "s3cret"})
        values.update(overrides)
        shop = Shop(**values)
        shop.credentials = credentials
        db.session.add(shop)
        db.session.commit()
        return shop

    return make


@pytest.fixture()
def shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop()


SHOP_ADDRESS = "Test shop sp. z o.o., ul. Prosta 1, 00-001 Warszawa"


@pytest.fixture()
def ready_shop(make_shop: Callable[..., Shop]) -> Shop:
    """A shop with what marketing needs (postal address, sender): its flows may be switched on."""
    return make_shop(settings={"address": SHOP_ADDRESS})


@pytest.fixture()
def make_customer(app: Flask, request: pytest.FixtureRequest) -> Callable[..., Customer]:
    """A customer of ``shop`` (default: the ``shop`` fixture) who agreed to marketing email."""

    def make(shop: Shop | None = None, **overrides: Any) -> Customer:
        shop = shop or request.getfixturevalue("shop")
        values: dict[str, Any] = {
            "email": "ola@example.com",
            "first_name": "Ola",
            "email_consent": "granted",
            "email_consent_at": utcnow(),
        }
        values.update(overrides)
        customer = Customer(shop_id=shop.id, **values)
        db.session.add(customer)
        db.session.commit()
        return customer

    return make


@pytest.fixture()
def customer(shop: Shop, make_customer: Callable[..., Customer]) -> Customer:
    return make_customer(shop)


CART_ITEMS = [{"product_id": "1", "title": "Linen shirt", "quantity": 2, "unit_price": "189.00"}]


@pytest.fixture()
def make_cart(app: Flask, request: pytest.FixtureRequest) -> Callable[..., Cart]:
    """A cart left by ``customer`` (default: the ``customer`` fixture) in their shop."""

    def make(customer: Customer | None = None, **overrides: Any) -> Cart:
        customer = customer or request.getfixturevalue("customer")
        values: dict[str, Any] = {
            "cart_key": "c-1",
            "customer_id": customer.id,
            "email": customer.email,
            "items": CART_ITEMS,
            "total": 378,
            "currency": "PLN",
        }
        values.update(overrides)
        cart = Cart(shop_id=customer.shop_id, **values)
        db.session.add(cart)
        db.session.commit()
        return cart

    return make


@pytest.fixture()
def cart(make_cart: Callable[..., Cart]) -> Cart:
    return make_cart()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, body)).decode()


@pytest.fixture()
def post_demo_webhook(client: FlaskClient, shop: Shop) -> Callable[..., Any]:
    """POST a signed demo-platform delivery, like a shop would."""

    def post(
        topic: str,
        payload: Any,
        *,
        delivery_id: str = "d-1",
        secret: str = "s3cret",
        raw: bytes | None = None,
        domain: str | None = None,
    ) -> Any:
        body = raw if raw is not None else json.dumps(payload).encode()
        return client.post(
            "/webhooks/demo",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Demo-Shop": domain or shop.domain,
                "X-Demo-Topic": topic,
                "X-Demo-Delivery-Id": delivery_id,
                "X-Demo-Hmac-Sha256": sign(secret, body),
            },
        )

    return post


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


__all__ = ["downgrade", "sign", "ts"]


def production_env(missing: str) -> dict[str, str]:
    """A production environment with every secret set except ``missing`` (a setting key)."""
    from app.config import SETTINGS

    env = {"STOREFLOW_ENV": "production", "STOREFLOW_PUBLIC_URL": "https://storeflow.example"}
    for setting in SETTINGS:
        if setting.secret and setting.key != missing:
            value = setting.default
            env[f"STOREFLOW_{setting.key}"] = ",".join(value) if isinstance(value, list) else value
    return env


def issued_discount(shop_id: int, code: str = "BACK-K7Q2ZP") -> Any:
    """A single-use code we issued to a shopper (as the abandoned-cart flow does)."""
    from datetime import timedelta
    from decimal import Decimal

    from app.models import Discount, ShopScope

    discount = ShopScope(shop_id).add(
        Discount(
            code=code,
            amount=Decimal("10"),
            recipient="ana@example.com",
            expires_at=datetime.now(UTC) + timedelta(hours=48),
        )
    )
    db.session.commit()
    return discount


def discount_used_at(discount: Any) -> datetime | None:
    from app.models import Discount

    db.session.expire_all()
    return db.session.scalar(sa.select(Discount.used_at).where(Discount.id == discount.id))


@pytest.fixture()
def heard(monkeypatch: pytest.MonkeyPatch) -> list[ev.Event]:
    """Every event handed to the reactors (``react``), besides the flows, which still see it."""
    seen: list[ev.Event] = []
    monkeypatch.setattr(reactions, "_REACTORS", [*reactions._REACTORS, seen.append])
    return seen
