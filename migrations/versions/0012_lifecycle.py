"""lifecycle flows: what the birthday and replenishment scans reported, and birthdays by shop

Revision ID: 0012_lifecycle
Revises: 0011_engagement
Create Date: 2026-11-30 00:40:00

``lifecycle_emissions`` holds one row per occasion a scan reported (a customer's birthday of a
year, one purchase cycle of a product): the unique key is what makes each reported once.
``customers.birthday`` exists since the first schema; the partial index lets the birthday scan
read only the customers who have one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_lifecycle'
down_revision = '0011_engagement'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lifecycle_emissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_lifecycle_emissions_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_lifecycle_emissions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lifecycle_emissions')),
    sa.UniqueConstraint('shop_id', 'kind', 'customer_id', 'key', name=op.f('uq_lifecycle_emissions_shop_id_kind_customer_id_key'))
    )
    with op.batch_alter_table('lifecycle_emissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lifecycle_emissions_shop_id'), ['shop_id'], unique=False)
    op.create_index(
        'ix_customers_shop_birthday', 'customers', ['shop_id', 'birthday'],
        postgresql_where=sa.text('birthday IS NOT NULL'),
        sqlite_where=sa.text('birthday IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_customers_shop_birthday', table_name='customers')
    op.drop_table('lifecycle_emissions')
