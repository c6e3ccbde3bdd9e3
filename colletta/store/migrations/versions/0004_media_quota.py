"""media quota: an index to sum an uploader's bytes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(
            'ix_media_uploader_id_size_bytes', ['uploader_id', 'size_bytes'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index('ix_media_uploader_id_size_bytes')
