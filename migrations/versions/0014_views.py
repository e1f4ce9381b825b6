"""views: a checkout claimed by a browser before the shop's webhook said whose it is

Revision ID: 0014_views
Revises: 0013_keys
Create Date: 2026-11-30 01:00:00

The Shopify pixel sends the checkout token once the shopper typed their contact; the
collector links the browser when the checkout (from the shop's webhook) names the customer.
When the webhook has not arrived yet, the claim waits here (a day at most) and a job checks it
again every five minutes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_views'
down_revision = '0013_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('storefront_checkout_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkout_key', sa.String(length=255), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_storefront_checkout_claims_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_checkout_claims')),
    sa.UniqueConstraint('shop_id', 'checkout_key', 'visitor_id', name=op.f('uq_storefront_checkout_claims_shop_id_checkout_key_visitor_id'))
    )
    with op.batch_alter_table('storefront_checkout_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_storefront_checkout_claims_shop_id'), ['shop_id'], unique=False)


def downgrade():
    op.drop_table('storefront_checkout_claims')
