"""shipments followed to the door: tracking status, poll time, history; bulk print batches

Revision ID: 0006_couriers
Revises: 0005_orders
Create Date: 2026-11-29 21:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0006_couriers'
down_revision = '0005_orders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('tracking_checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_track_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_shipments_courier_next_track_at', ['courier', 'next_track_at'], unique=False)

    op.create_table('shipment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('courier_status', sa.String(length=255), nullable=False),
    sa.Column('happened_at', sa.String(length=40), nullable=False),
    sa.Column('location', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_events_shipment_id_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shipment_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_events')),
    sa.UniqueConstraint('shipment_id', 'courier_status', 'happened_at', name=op.f('uq_shipment_events_shipment_id_courier_status_happened_at'))
    )
    with op.batch_alter_table('shipment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_events_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_events_shop_id'), ['shop_id'], unique=False)

    op.create_table('label_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('layout', sa.String(length=10), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('order_ids', sa.JSON(), nullable=False),
    sa.Column('printed', sa.JSON(), nullable=False),
    sa.Column('failures', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_label_batches_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_batches'))
    )
    with op.batch_alter_table('label_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_batches_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('label_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_batches_shop_id'))
    op.drop_table('label_batches')
    with op.batch_alter_table('shipment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_events_shop_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_events_shipment_id'))
    op.drop_table('shipment_events')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_courier_next_track_at')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('next_track_at')
        batch_op.drop_column('tracking_checked_at')
        batch_op.drop_column('tracking_status')
