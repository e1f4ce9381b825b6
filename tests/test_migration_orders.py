"""Migration 0005_orders: ``paid`` becomes ``paid_at``, sanely for existing rows, and flow runs
stop carrying a copy of their order's total."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.models import db
from tests.test_migrations import scratch_pg  # noqa: F401 - the scratch database fixture

PLACED = "2026-11-01T10:00:00+00:00"
SHOP = (
    "INSERT INTO shops (id, platform, domain, name, status, currency, locale, timezone,"
    " settings, created_at, updated_at) VALUES (:id, :platform, :domain, '', 'active', 'PLN',"
    " 'pl', 'UTC', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
ORDER = (
    "INSERT INTO orders (id, shop_id, platform_order_id, items, total, currency, paid, cancelled,"
    " is_cod, shipping_address, placed_at, created_at, updated_at) VALUES (:id, :shop, :ref,"
    " '[]', 50.00, 'PLN', :paid, false, :cod, '{}', :placed, CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP)"
)
RUN = (
    "INSERT INTO flow_runs (id, shop_id, flow_key, subject_key, state, step, held_out, context,"
    " started_at, converted_order_id, revenue, created_at, updated_at) VALUES (1, 1,"
    " 'abandoned_cart', 'cart:x', 'converted', 0, false, '{}', :placed, 1, 50.00,"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_url(request, backends, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/scratch.db"
    return request.getfixturevalue("scratch_pg")


def _paid_at(conn) -> dict[int, datetime | None]:
    rows = conn.execute(sa.text("SELECT id, paid_at FROM orders ORDER BY id")).all()
    return {row_id: None if value is None else _utc(value) for row_id, value in rows}


def _utc(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_paid_orders_get_paid_at_except_woocommerce_cash_on_delivery_ones(scratch_url, backends):
    app = create_app(config_for_tests(scratch_url, backends.redis_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0004_erasure")
        with db.engine.begin() as conn:
            conn.execute(sa.text(SHOP), {"id": 1, "platform": "woocommerce", "domain": "w.example"})
            conn.execute(sa.text(SHOP), {"id": 2, "platform": "shopify", "domain": "s.example"})
            rows = [
                (1, 1, "woo-card-paid", True, False),
                (2, 1, "woo-cod-stored-paid-at-checkout", True, True),
                (3, 1, "woo-card-pending", False, False),
                (4, 2, "shopify-cod-marked-paid", True, True),
            ]
            for row_id, shop, ref, paid, cod in rows:
                values = {"id": row_id, "shop": shop, "ref": ref, "paid": paid, "cod": cod}
                conn.execute(sa.text(ORDER), {**values, "placed": PLACED})
            conn.execute(sa.text(RUN), {"placed": PLACED})
        upgrade(directory=MIGRATIONS_DIR)
        placed = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
        with db.engine.connect() as conn:
            # WooCommerce stored COD orders paid when placed: they wait for the store to say.
            assert _paid_at(conn) == {1: placed, 2: None, 3: None, 4: placed}
            refunded = conn.execute(sa.text("SELECT refunded FROM orders WHERE id = 1")).scalar()
            assert Decimal(str(refunded)) == 0
            assert "revenue" not in {c["name"] for c in sa.inspect(conn).get_columns("flow_runs")}

        downgrade(directory=MIGRATIONS_DIR, revision="0004_erasure")
        with db.engine.connect() as conn:
            paid = conn.execute(sa.text("SELECT id, paid FROM orders ORDER BY id")).all()
            assert [bool(p) for _, p in paid] == [True, False, False, True]
            revenue = conn.execute(sa.text("SELECT revenue FROM flow_runs")).scalar()
            assert Decimal(str(revenue)) == Decimal("50.00")
        db.session.remove()
        db.engine.dispose()
