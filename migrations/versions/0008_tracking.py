"""storefront events (product views), visitor links, browse-scan emissions

Revision ID: 0008_tracking
Revises: 0007_editor
Create Date: 2026-11-29 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_tracking'
down_revision = '0007_editor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('storefront_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=True),
    sa.Column('variant_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_storefront_events_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_storefront_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_events'))
    )
    with op.batch_alter_table('storefront_events', schema=None) as batch_op:
        batch_op.create_index('ix_storefront_events_customer', ['shop_id', 'customer_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_storefront_events_recent', ['shop_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_storefront_events_visitor', ['shop_id', 'visitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_storefront_events_shop_id'), ['shop_id'], unique=False)

    op.create_table('storefront_visitors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_storefront_visitors_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_storefront_visitors_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_visitors')),
    sa.UniqueConstraint('shop_id', 'visitor_id', name=op.f('uq_storefront_visitors_shop_id_visitor_id'))
    )
    with op.batch_alter_table('storefront_visitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_storefront_visitors_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_storefront_visitors_shop_id'), ['shop_id'], unique=False)

    op.create_table('browse_emissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_browse_emissions_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_browse_emissions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_browse_emissions'))
    )
    with op.batch_alter_table('browse_emissions', schema=None) as batch_op:
        batch_op.create_index('ix_browse_emissions_lookup', ['shop_id', 'customer_id', 'product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_browse_emissions_shop_id'), ['shop_id'], unique=False)


def downgrade():
    op.drop_table('browse_emissions')
    op.drop_table('storefront_visitors')
    op.drop_table('storefront_events')
