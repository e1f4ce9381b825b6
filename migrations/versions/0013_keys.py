"""keys: every unique key of a shop's rows leads with the shop; how far a send got

Revision ID: 0013_keys
Revises: 0012_lifecycle
Create Date: 2026-11-30 01:00:00

A database sharded by shop (Citus, distributed on ``shop_id``) can only enforce a unique
constraint or primary key that includes the distribution column. Four did not:
``messages (run_id, step)``, ``messages (idempotency_key)``, ``shipments (order_id,
parcel_index)``, ``shipment_events (shipment_id, courier_status, happened_at)``, and the
primary key of ``customer_scores (customer_id)``. Each gains ``shop_id`` in front; the rows
they already hold stay unique (a run, an order, a shipment and a customer belong to one shop).

``messages.send_stage`` records how far the hand-over to the mail server got, so a message
whose worker died before the server could have it is sent again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_keys'
down_revision = '0012_lifecycle'
branch_labels = None
depends_on = None

# (table, old name, old columns, new name, new columns)
_UNIQUE = (
    ('messages', 'uq_messages_run_id_step', ['run_id', 'step'],
     'uq_messages_shop_id_run_id_step', ['shop_id', 'run_id', 'step']),
    ('messages', 'uq_messages_idempotency_key', ['idempotency_key'],
     'uq_messages_shop_id_idempotency_key', ['shop_id', 'idempotency_key']),
    ('shipments', 'uq_shipments_order_id_parcel_index', ['order_id', 'parcel_index'],
     'uq_shipments_shop_id_order_id_parcel_index', ['shop_id', 'order_id', 'parcel_index']),
    ('shipment_events', 'uq_shipment_events_shipment_id_courier_status_happened_at',
     ['shipment_id', 'courier_status', 'happened_at'],
     'uq_shipment_events_shop_id_shipment_id_scan',
     ['shop_id', 'shipment_id', 'courier_status', 'happened_at']),
)


def upgrade():
    for table, old, _old_columns, new, columns in _UNIQUE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(old, type_='unique')
            batch_op.create_unique_constraint(new, columns)
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.drop_constraint('pk_customer_scores', type_='primary')
        batch_op.create_primary_key('pk_customer_scores', ['shop_id', 'customer_id'])
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_stage', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('send_stage')
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.drop_constraint('pk_customer_scores', type_='primary')
        batch_op.create_primary_key('pk_customer_scores', ['customer_id'])
    for table, old, old_columns, new, _columns in reversed(_UNIQUE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(new, type_='unique')
            batch_op.create_unique_constraint(old, old_columns)
