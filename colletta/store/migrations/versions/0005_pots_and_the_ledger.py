"""pots and the ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_accounts',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('flags', sa.Integer(), server_default='0', nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('key', name=op.f('uq_ledger_accounts_key'))
    )
    op.create_table('pot_tasks',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('due_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('kind', 'item_id', name=op.f('pk_pot_tasks'))
    )
    with op.batch_alter_table('pot_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_pot_tasks_due_at_ms', ['due_at_ms'], unique=False)

    op.create_table('ledger_transfers',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('debit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('credit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('flags', sa.Integer(), server_default='0', nullable=False),
    sa.Column('pending_id', sa.String(length=128), nullable=True),
    sa.Column('timeout_at_ms', sa.BigInteger(), nullable=True),
    sa.Column('ref_kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.BigInteger(), nullable=False),
    sa.Column('pot_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['credit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_credit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_debit_account_id_ledger_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfers')),
    sa.UniqueConstraint('pending_id', name=op.f('uq_ledger_transfers_pending_id'))
    )
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_transfers_credit', ['credit_account_id', 'created_at_ms'], unique=False)
        batch_op.create_index('ix_ledger_transfers_debit', ['debit_account_id', 'created_at_ms'], unique=False)
        batch_op.create_index('ix_ledger_transfers_pot', ['pot_id', 'created_at_ms'], unique=False)
        batch_op.create_index('ix_ledger_transfers_ref', ['ref_kind', 'ref_id'], unique=False)

    op.create_table('pots',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('goal_minor', sa.BigInteger(), nullable=False),
    sa.Column('deadline_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('model', sa.String(length=24), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('vote_weighting', sa.String(length=16), nullable=False),
    sa.Column('member_cap_minor', sa.BigInteger(), nullable=True),
    sa.Column('pot_cap_minor', sa.BigInteger(), nullable=True),
    sa.Column('quorum_pct', sa.Integer(), nullable=False),
    sa.Column('majority_pct', sa.Integer(), nullable=False),
    sa.Column('proposal_window_s', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('frozen', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('frozen_reason', sa.Text(), nullable=True),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('verdict_rules', sa.Text(), server_default='[]', nullable=False),
    sa.Column('verdict_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('raised_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('contributor_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('closed_at_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_pots_chat_id_chats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pots_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pots'))
    )
    with op.batch_alter_table('pots', schema=None) as batch_op:
        batch_op.create_index('ix_pots_chat_id', ['chat_id', 'created_at_ms'], unique=False)

    op.create_table('contributions',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('payment_id', sa.String(length=128), nullable=True),
    sa.Column('checkout_url', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('transfer_id', sa.String(length=128), nullable=True),
    sa.Column('refund_transfer_id', sa.String(length=128), nullable=True),
    sa.Column('refund_id', sa.String(length=128), nullable=True),
    sa.Column('refunded_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('posted_at_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_contributions_pot_id_pots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contributions')),
    sa.UniqueConstraint('pot_id', 'user_id', 'client_id', name='uq_contributions_client'),
    sa.UniqueConstraint('provider', 'payment_id', name='uq_contributions_payment')
    )
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.create_index('ix_contributions_pot_id', ['pot_id', 'status'], unique=False)

    op.create_table('pot_items',
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=128), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_pot_items_pot_id_pots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pot_id', 'position', name=op.f('pk_pot_items'))
    )
    op.create_table('pot_option_votes',
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('option_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_pot_option_votes_pot_id_pots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pot_option_votes_user_id_users')),
    sa.PrimaryKeyConstraint('pot_id', 'user_id', name=op.f('pk_pot_option_votes'))
    )
    op.create_table('pot_options',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_pot_options_pot_id_pots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pot_options'))
    )
    with op.batch_alter_table('pot_options', schema=None) as batch_op:
        batch_op.create_index('ix_pot_options_pot_id', ['pot_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('pot_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('proposer_id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('payee', sa.String(length=128), nullable=False),
    sa.Column('receipt_media_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('transfer_id', sa.String(length=128), nullable=False),
    sa.Column('payout_id', sa.String(length=128), nullable=True),
    sa.Column('closes_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('resolved_at_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_proposals_pot_id_pots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'], name=op.f('fk_proposals_proposer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('pot_id', 'proposer_id', 'client_id', name='uq_proposals_client')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_pot_id', ['pot_id', 'created_at_ms'], unique=False)

    op.create_table('proposal_votes',
    sa.Column('proposal_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('approve', sa.Boolean(), nullable=False),
    sa.Column('weight', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_votes_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_votes_user_id_users')),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id', name=op.f('pk_proposal_votes'))
    )
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members_create_pots', sa.Boolean(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('members_create_pots')

    op.drop_table('proposal_votes')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_pot_id')

    op.drop_table('proposals')
    with op.batch_alter_table('pot_options', schema=None) as batch_op:
        batch_op.drop_index('ix_pot_options_pot_id')

    op.drop_table('pot_options')
    op.drop_table('pot_option_votes')
    op.drop_table('pot_items')
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_contributions_pot_id')

    op.drop_table('contributions')
    with op.batch_alter_table('pots', schema=None) as batch_op:
        batch_op.drop_index('ix_pots_chat_id')

    op.drop_table('pots')
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_transfers_ref')
        batch_op.drop_index('ix_ledger_transfers_pot')
        batch_op.drop_index('ix_ledger_transfers_debit')
        batch_op.drop_index('ix_ledger_transfers_credit')

    op.drop_table('ledger_transfers')
    with op.batch_alter_table('pot_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_pot_tasks_due_at_ms')

    op.drop_table('pot_tasks')
    op.drop_table('ledger_accounts')
