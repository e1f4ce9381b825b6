"""support staff who sign in to the admin

Revision ID: 0003_admin
Revises: 0002_recs
Create Date: 2026-11-23 06:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_admin'
down_revision = '0002_recs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('support_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('viewer', 'agent', 'admin')", name=op.f('ck_support_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_users')),
    sa.UniqueConstraint('email', name=op.f('uq_support_users_email'))
    )


def downgrade():
    op.drop_table('support_users')
