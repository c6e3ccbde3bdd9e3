"""hash banks: lists of known content, their entries, a version counter; media hashes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hash_bank_versions',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hash_bank_versions'))
    )
    op.create_table('hash_banks',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('changed_version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hash_banks')),
    sa.UniqueConstraint('name', name=op.f('uq_hash_banks_name'))
    )
    op.create_table('hash_bank_entries',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('bank_id', sa.BigInteger(), nullable=False),
    sa.Column('signal_type', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('tombstoned', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('added_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('changed_version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['hash_banks.id'], name=op.f('fk_hash_bank_entries_bank_id_hash_banks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hash_bank_entries')),
    sa.UniqueConstraint('bank_id', 'signal_type', 'value', name=op.f('uq_hash_bank_entries_bank_id'))
    )
    op.create_index('ix_hash_bank_entries_changed_version', 'hash_bank_entries', ['changed_version'], unique=False)
    op.create_table('media_hashes',
    sa.Column('media_id', sa.BigInteger(), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pdq', sa.String(length=64), nullable=True),
    sa.Column('pdq_quality', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_hashes_media_id_media'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('media_id', name=op.f('pk_media_hashes'))
    )


def downgrade() -> None:
    op.drop_table('media_hashes')
    op.drop_index('ix_hash_bank_entries_changed_version', table_name='hash_bank_entries')
    op.drop_table('hash_bank_entries')
    op.drop_table('hash_banks')
    op.drop_table('hash_bank_versions')
