"""an order's live held-out runs found by its customer or cart

Revision ID: 0021_held_out_runs
Revises: 0020_run_subjects
Create Date: 2026-11-30 17:00:00

Attribution asks, for every order, for the live held-out runs of the order's customer or cart
(``_HOLDOUT_RUNS``). With no index for it, PostgreSQL read every run of the shop: 20-28 ms an
order in a shop with 200,000 runs (a parallel sequential scan), 0.06 ms with these two
partial indexes (a bitmap OR of both), which hold only the holdout group's unconverted runs.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_held_out_runs'
down_revision = '0020_run_subjects'
branch_labels = None
depends_on = None

HELD_OUT = "held_out IS TRUE AND converted_order_id IS NULL"


def upgrade():
    for column in ('customer_id', 'subject_key'):
        op.create_index(
            f'ix_flow_runs_held_out_{column}',
            'flow_runs',
            ['shop_id', column],
            unique=False,
            postgresql_where=sa.text(HELD_OUT),
            sqlite_where=sa.text(HELD_OUT),
        )


def downgrade():
    for column in ('customer_id', 'subject_key'):
        op.drop_index(f'ix_flow_runs_held_out_{column}', table_name='flow_runs')
