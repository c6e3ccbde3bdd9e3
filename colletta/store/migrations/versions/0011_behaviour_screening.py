"""behavioural screening: an index to find the chats that pay one payee

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:20:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_payee', ['payee', 'chat_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_payee')
