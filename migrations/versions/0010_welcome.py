"""welcome series: the double opt-in's proof on the customer

Revision ID: 0010_welcome
Revises: 0009_page
Create Date: 2026-11-29 23:00:00

``customers.email_consent_ip`` keeps the address a double opt-in confirmation came from,
beside the consent's time and source: the proof of consent the law asks for. The new
"pending" consent state fits the existing column.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_welcome'
down_revision = '0009_page'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_consent_ip', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('email_consent_ip')
