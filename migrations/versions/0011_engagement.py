"""engagement scores, lifecycle stages, staff alerts

Revision ID: 0011_engagement
Revises: 0010_welcome
Create Date: 2026-11-30 00:30:00

Engagement: one score row per customer (primary key shop + customer), written only when the
score or stage changed, and one row per stage move (the merchant page's "moved this month").
Staff alerts: the merchant's rules, and each alert once per (shop, rule, customer, period).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0011_engagement'
down_revision = '0010_welcome'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('target', sa.String(length=1000), nullable=True),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_alert_rules_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rules_shop_id'), ['shop_id'], unique=False)

    op.create_table('customer_engagement',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('previous_score', sa.SmallInteger(), nullable=True),
    sa.Column('previous_stage', sa.String(length=10), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage_since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_engagement_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customer_engagement_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'customer_id', name=op.f('pk_customer_engagement'))
    )
    with op.batch_alter_table('customer_engagement', schema=None) as batch_op:
        batch_op.create_index('ix_customer_engagement_stage', ['shop_id', 'stage'], unique=False)

    op.create_table('engagement_stage_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=10), nullable=True),
    sa.Column('to_stage', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_engagement_stage_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_engagement_stage_changes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_stage_changes'))
    )
    with op.batch_alter_table('engagement_stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_stage_changes_at', ['shop_id', 'changed_at'], unique=False)
        batch_op.create_index('ix_engagement_stage_changes_customer', ['shop_id', 'customer_id'], unique=False)

    op.create_table('staff_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('webhook_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_staff_alerts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_staff_alerts_rule_id_alert_rules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_staff_alerts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_alerts')),
    sa.UniqueConstraint('shop_id', 'rule_id', 'customer_id', 'period_start', name=op.f('uq_staff_alerts_shop_id_rule_id_customer_id_period_start'))
    )
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_staff_alerts_customer', ['shop_id', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_alerts_shop_id'), ['shop_id'], unique=False)



def downgrade():
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_alerts_shop_id'))
        batch_op.drop_index('ix_staff_alerts_customer')

    op.drop_table('staff_alerts')
    with op.batch_alter_table('engagement_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_stage_changes_customer')
        batch_op.drop_index('ix_engagement_stage_changes_at')

    op.drop_table('engagement_stage_changes')
    with op.batch_alter_table('customer_engagement', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_engagement_stage')

    op.drop_table('customer_engagement')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_rules_shop_id'))

    op.drop_table('alert_rules')
