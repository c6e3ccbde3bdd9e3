"""one complaint per statement of reasons, even when two race in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

APPEAL = sa.text("kind = 'appeal'")


def upgrade() -> None:
    # A race before this index may have left a second complaint against one statement: the
    # first filed answers for both, so a later one nobody has decided yet goes.
    op.execute(
        "DELETE FROM cases WHERE kind = 'appeal' AND status = 'open' AND EXISTS ("
        "SELECT 1 FROM cases AS first WHERE first.kind = 'appeal' "
        "AND first.subject_id = cases.subject_id AND (first.opened_at_ms < cases.opened_at_ms "
        "OR (first.opened_at_ms = cases.opened_at_ms AND first.id < cases.id)))"
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(
            'ux_cases_one_complaint',
            ['subject_id'],
            unique=True,
            sqlite_where=APPEAL,
            postgresql_where=APPEAL,
        )


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ux_cases_one_complaint')
