"""orders: placed and paid apart, fulfilment, refunds; flow revenue read from the orders

Revision ID: 0005_orders
Revises: 0004_erasure
Create Date: 2026-11-29 21:40:00

``orders.paid`` becomes ``orders.paid_at``. Existing rows: an order stored paid gets
``paid_at = placed_at`` (card and transfer payments are taken at checkout), except WooCommerce
cash-on-delivery orders, which were stored paid the moment they were placed: those are left
unpaid, and the store's next update of the order (status "completed" on delivery, or the
15-minute reconcile) says when they were paid. ``flow_runs.revenue`` (a copy of the order
total made at conversion) goes: revenue is read from the orders, net of refunds.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0005_orders'
down_revision = '0004_erasure'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refunds', _JSON, nullable=False, server_default='{}'))
        batch_op.add_column(
            sa.Column('refunded', sa.Numeric(precision=12, scale=2), nullable=False,
                      server_default='0')
        )
    op.execute(
        "UPDATE orders SET paid_at = placed_at WHERE paid AND NOT (is_cod AND shop_id IN "
        "(SELECT id FROM shops WHERE platform = 'woocommerce'))"
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('refunds', server_default=None)
        batch_op.alter_column('refunded', server_default=None)
        batch_op.drop_column('paid')
    with op.batch_alter_table('flow_runs', schema=None) as batch_op:
        batch_op.drop_column('revenue')


def downgrade():
    with op.batch_alter_table('flow_runs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revenue', sa.Numeric(precision=12, scale=2), nullable=True)
        )
    op.execute(
        "UPDATE flow_runs SET revenue = (SELECT total FROM orders "
        "WHERE orders.id = flow_runs.converted_order_id) WHERE converted_order_id IS NOT NULL"
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paid', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE orders SET paid = (paid_at IS NOT NULL)")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('paid', server_default=None)
        batch_op.drop_column('refunded')
        batch_op.drop_column('refunds')
        batch_op.drop_column('fulfilled_at')
        batch_op.drop_column('paid_at')
