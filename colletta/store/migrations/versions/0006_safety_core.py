"""trust & safety core: moderators and trusted flaggers, cases, statements, notices, audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_moderator', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('trusted_flagger', sa.Boolean(), server_default='0', nullable=False)
        )
    op.create_table('cases',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('subject_user_id', sa.BigInteger(), nullable=True),
    sa.Column('rule_ids', sa.Text(), server_default='[]', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('opened_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('decided_at_ms', sa.BigInteger(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decision', sa.String(length=32), nullable=True),
    sa.Column('data', sa.Text(), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status_priority', ['status', 'priority', 'opened_at_ms'], unique=False)
        batch_op.create_index('ix_cases_subject', ['subject', 'subject_id'], unique=False)
        batch_op.create_index('ix_cases_chat_id', ['chat_id', 'kind'], unique=False)
    op.create_table('statements',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_statements_case_id', ['case_id'], unique=False)
    op.create_table('notices',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_user_id', ['user_id', 'id'], unique=False)
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at_ms', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )


def downgrade() -> None:
    op.drop_table('audit_head')
    op.drop_table('audit_log')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_user_id')
    op.drop_table('notices')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_case_id')
        batch_op.drop_index('ix_statements_user_id')
    op.drop_table('statements')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_chat_id')
        batch_op.drop_index('ix_cases_subject')
        batch_op.drop_index('ix_cases_status_priority')
    op.drop_table('cases')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('trusted_flagger')
        batch_op.drop_column('is_moderator')
