"""merchant page: indexes its aggregates read (30-day results, revenue chart, recent runs)

Revision ID: 0009_page
Revises: 0008_tracking
Create Date: 2026-11-29 22:20:00

``messages.flow_key`` copies the run's flow (filled in for the messages already sent), so a
flow's emails are counted from one index without joining every run. The home page sums each
flow's runs of the last 30 days and the messages sent in them; the
flow page lists its newest runs; the setup checklist asks whether any customer agreed to
email. Each of these reads one shop's slice of an index instead of scanning the table
(bench/merchant_page.py EXPLAINs them on 1,000,000 customers and 500,000 runs).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_page'
down_revision = '0008_tracking'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flow_key', sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE messages SET flow_key = flow_runs.flow_key FROM flow_runs "
        "WHERE flow_runs.id = messages.run_id"
    )
    op.create_index(
        'ix_flow_runs_shop_started', 'flow_runs', ['shop_id', 'started_at'],
        postgresql_include=['flow_key', 'held_out', 'converted_order_id', 'id'],
    )
    op.create_index(
        'ix_flow_runs_shop_flow_started', 'flow_runs', ['shop_id', 'flow_key', 'started_at'],
        postgresql_include=['held_out', 'converted_order_id', 'id'],
    )
    op.create_index(
        'ix_messages_shop_sent', 'messages', ['shop_id', 'sent_at'],
        postgresql_include=['flow_key', 'status', 'opened_at', 'clicked_at'],
    )
    op.create_index('ix_customers_shop_consent', 'customers', ['shop_id', 'email_consent'])


def downgrade():
    op.drop_index('ix_customers_shop_consent', table_name='customers')
    op.drop_index('ix_messages_shop_sent', table_name='messages')
    op.drop_index('ix_flow_runs_shop_flow_started', table_name='flow_runs')
    op.drop_index('ix_flow_runs_shop_started', table_name='flow_runs')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('flow_key')
