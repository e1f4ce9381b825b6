"""alerts remember the variant the shopper chose

Revision ID: 0017_drills
Revises: 0016_alerts
Create Date: 2026-11-30 03:30:00

``product_alerts.variant_id``: the variant the shopper viewed or carted, when the view or cart
line named one the catalog knows. The alert compares that variant's price (not the product's
"from" price) with the price they saw, and the email shows it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_drills'
down_revision = '0016_alerts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('product_alerts', schema=None) as batch_op:
        batch_op.drop_column('variant_id')
