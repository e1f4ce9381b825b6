"""carts keep Shopify's cart_token, the key checkouts/delete names a checkout by

Revision ID: 0004_erasure
Revises: 0003_admin
Create Date: 2026-11-29 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_erasure'
down_revision = '0003_admin'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_cart_token', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_carts_platform_cart_token'), ['platform_cart_token'], unique=False)


def downgrade():
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carts_platform_cart_token'))
        batch_op.drop_column('platform_cart_token')
