"""indexes on shop_id alone dropped where another index leads with shop_id

Revision ID: 0018_shop_indexes
Revises: 0017_drills
Create Date: 2026-11-30 10:45:00

Every shop's table had an index on ``shop_id`` alone (``ShopOwned``). On these tables another
index, unique constraint or primary key (not a partial one) already leads with ``shop_id`` and
finds a shop's rows as well, so the lone index served nothing and cost a write on every insert:
a webhook's delivery, a storefront view, a customer, cart, order, run and message each.
``tests/models/test_shop_keys.py`` keeps it so.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_shop_indexes'
down_revision = '0017_drills'
branch_labels = None
depends_on = None

TABLES = (
    'browse_emissions',
    'carts',
    'catalog_changes',
    'customer_scores',
    'customers',
    'discounts',
    'email_overrides',
    'flow_runs',
    'flow_settings',
    'lifecycle_emissions',
    'messages',
    'order_lines',
    'orders',
    'product_alerts',
    'products',
    'recommendations',
    'shipment_events',
    'shipments',
    'staff_alerts',
    'storefront_checkout_claims',
    'storefront_events',
    'storefront_visitors',
    'suppressions',
    'variants',
    'webhook_deliveries',
)


def upgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_shop_id', table_name=table)


def downgrade():
    for table in TABLES:
        op.create_index(f'ix_{table}_shop_id', table, ['shop_id'], unique=False)
