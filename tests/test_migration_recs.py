"""Migration 0002_recs copies the items of existing orders into order_lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.models import OrderLine, db
from tests.test_migrations import scratch_pg  # noqa: F401 - the scratch database fixture

ITEMS = (
    '[{"product_id": "1001", "variant_id": "v1", "quantity": 2, "unit_price": "19.90"},'
    ' {"product_id": "1002", "variant_id": null, "quantity": 1, "unit_price": "5.00"},'
    ' {"title": "a line without a product is skipped"}]'
)


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_url(request, backends, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/scratch.db"
    return request.getfixturevalue("scratch_pg")


def test_upgrade_backfills_order_lines_from_existing_orders(scratch_url, backends):
    app = create_app(config_for_tests(scratch_url, backends.redis_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0001_initial")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO shops (id, platform, domain, name, status, currency, locale,"
                    " timezone, settings, created_at, updated_at) VALUES (1, 'demo', 'a.example',"
                    " '', 'active', 'PLN', 'pl', 'UTC', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO orders (id, shop_id, platform_order_id, items, total, currency,"
                    " paid, cancelled, is_cod, shipping_address, placed_at, created_at,"
                    " updated_at) VALUES (7, 1, 'o-7', :items, 44.80, 'PLN', true, false, false,"
                    " '{}', '2026-11-01T10:00:00+00:00', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"items": ITEMS},
            )
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            lines = conn.execute(
                sa.select(
                    OrderLine.order_id,
                    OrderLine.platform_product_id,
                    OrderLine.platform_variant_id,
                    OrderLine.quantity,
                    OrderLine.unit_price,
                ).order_by(OrderLine.platform_product_id)
            ).all()
        db.session.remove()
        db.engine.dispose()

    assert [tuple(line) for line in lines] == [
        (7, "1001", "v1", 2, Decimal("19.90")),
        (7, "1002", None, 1, Decimal("5.00")),
    ]
