"""reports, moderator actions, account restrictions; chats.closed_at_ms

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('reporter_id', sa.BigInteger(), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('category', sa.String(length=96), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.Column('trusted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    op.create_index('ix_reports_case_id', 'reports', ['case_id'], unique=False)
    op.create_table('mod_actions',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('target_user_id', sa.BigInteger(), nullable=True),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('statement_id', sa.BigInteger(), nullable=True),
    sa.Column('until_ms', sa.BigInteger(), nullable=True),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('reversed_at_ms', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mod_actions'))
    )
    op.create_index('ix_mod_actions_target_user_id', 'mod_actions', ['target_user_id', 'action'], unique=False)
    op.create_index('ix_mod_actions_statement_id', 'mod_actions', ['statement_id'], unique=False)
    op.create_index('ix_mod_actions_case_id', 'mod_actions', ['case_id'], unique=False)
    op.create_table('account_restrictions',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('until_ms', sa.BigInteger(), nullable=True),
    sa.Column('action_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_account_restrictions'))
    )
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at_ms', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('closed_at_ms')
    op.drop_table('account_restrictions')
    op.drop_index('ix_mod_actions_case_id', table_name='mod_actions')
    op.drop_index('ix_mod_actions_statement_id', table_name='mod_actions')
    op.drop_index('ix_mod_actions_target_user_id', table_name='mod_actions')
    op.drop_table('mod_actions')
    op.drop_index('ix_reports_case_id', table_name='reports')
    op.drop_table('reports')
