"""removal orders (TCO) and preserved items

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('removal_orders',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('received_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('registered_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('registered_by', sa.BigInteger(), nullable=True),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('executed_at_ms', sa.BigInteger(), nullable=True),
    sa.Column('results', sa.Text(), server_default='[]', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_removal_orders')),
    sa.UniqueConstraint('authority', 'reference', name='uq_removal_orders_authority_reference')
    )
    op.create_index('ix_removal_orders_received_at_ms', 'removal_orders', ['received_at_ms'], unique=False)
    op.create_table('preserved_items',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('media_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('preserved_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('until_ms', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('file_keys', sa.Text(), server_default='[]', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preserved_items'))
    )
    op.create_index('ix_preserved_items_chat_id_message_id', 'preserved_items', ['chat_id', 'message_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_preserved_items_chat_id_message_id', table_name='preserved_items')
    op.drop_table('preserved_items')
    op.drop_index('ix_removal_orders_received_at_ms', table_name='removal_orders')
    op.drop_table('removal_orders')
