"""email_overrides: the merchant's own subject, preheader, heading, body and button per flow step and language

Revision ID: 0007_editor
Revises: 0006_couriers
Create Date: 2026-11-29 22:20:00

Chained after the newest migration on main when this branch started (0005_orders); the lead
re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_editor'
down_revision = '0006_couriers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'email_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('flow_key', sa.String(length=40), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('field', sa.String(length=12), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "field IN ('subject', 'preheader', 'headline', 'intro', 'cta')",
            name=op.f('ck_email_overrides_field'),
        ),
        sa.ForeignKeyConstraint(
            ['shop_id'], ['shops.id'], name=op.f('fk_email_overrides_shop_id_shops'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_overrides')),
        sa.UniqueConstraint(
            'shop_id', 'flow_key', 'step', 'locale', 'field',
            name=op.f('uq_email_overrides_shop_id_flow_key_step_locale_field'),
        ),
    )
    with op.batch_alter_table('email_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_overrides_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('email_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_overrides_shop_id'))
    op.drop_table('email_overrides')
