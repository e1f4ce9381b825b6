"""best send time: each customer's preferred hour

Revision ID: 0015_sendtime
Revises: 0014_views
Create Date: 2026-11-30 01:00:00

``preferred_hours`` holds the hour of day (shop's timezone) each customer is best written to,
learned nightly from their opens, clicks and orders; the shop-wide hour sits in
``shops.settings`` (``send_time``), which needs no schema change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_sendtime'
down_revision = '0014_views'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('preferred_hours',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('learned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('hour BETWEEN 0 AND 23', name=op.f('ck_preferred_hours_hour_of_day')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_preferred_hours_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_preferred_hours_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'shop_id', name=op.f('pk_preferred_hours'))
    )
    with op.batch_alter_table('preferred_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preferred_hours_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('preferred_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preferred_hours_shop_id'))

    op.drop_table('preferred_hours')
