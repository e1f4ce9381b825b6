"""price-drop and back-in-stock alerts

Revision ID: 0016_alerts
Revises: 0015_sendtime
Create Date: 2026-11-30 01:00:00

``storefront_events.price_seen`` keeps the catalog's price of a viewed product when the view
was stored, so an alert and the "now cheaper" block compare with the price the shopper saw
(a cart line keeps its own). ``catalog_changes`` holds the price drops and restocks the catalog
writer reported until the alert job has looked for who watched them; ``product_alerts`` records
whom we told about which product, so nobody hears of the same one twice within 30 days.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_alerts'
down_revision = '0015_sendtime'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('storefront_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_seen', sa.Numeric(12, 2), nullable=True))

    op.create_table('product_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('old_price', sa.Numeric(12, 2), nullable=True),
    sa.Column('new_price', sa.Numeric(12, 2), nullable=True),
    sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_product_alerts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_product_alerts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_alerts'))
    )
    with op.batch_alter_table('product_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_product_alerts_lookup', ['shop_id', 'customer_id', 'product_id', 'kind'], unique=False)
        batch_op.create_index('ix_product_alerts_waiting', ['shop_id', 'enrolled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_alerts_shop_id'), ['shop_id'], unique=False)

    op.create_table('catalog_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('old_price', sa.Numeric(12, 2), nullable=True),
    sa.Column('new_price', sa.Numeric(12, 2), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_catalog_changes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_changes'))
    )
    with op.batch_alter_table('catalog_changes', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_changes_waiting', ['shop_id', 'handled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_changes_shop_id'), ['shop_id'], unique=False)


def downgrade():
    op.drop_table('catalog_changes')
    op.drop_table('product_alerts')
    with op.batch_alter_table('storefront_events', schema=None) as batch_op:
        batch_op.drop_column('price_seen')
