"""one complaint per statement of reasons, even when two race in; a removal order's
non-disclosure lapses (TCO Art. 11(3))

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
SIX_WEEKS_MS = 6 * 7 * 86_400_000


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
    with op.batch_alter_table('removal_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_until_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('told_at_ms', sa.BigInteger(), nullable=True))
    # Orders registered before: those that told the uploaders did so on execution; those that
    # did not keep the law's six weeks from execution, and the expiry worker tells them then.
    op.execute(
        "UPDATE removal_orders SET told_at_ms = executed_at_ms "
        "WHERE notify = true AND executed_at_ms IS NOT NULL"
    )
    op.execute(
        f"UPDATE removal_orders SET secret_until_ms = executed_at_ms + {SIX_WEEKS_MS} "
        "WHERE notify = false AND executed_at_ms IS NOT NULL"
    )
    op.execute(
        "INSERT INTO expiries (kind, item_id, chat_id, due_at_ms) "
        "SELECT 'order_secrecy', id, 0, secret_until_ms FROM removal_orders "
        "WHERE secret_until_ms IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DELETE FROM expiries WHERE kind = 'order_secrecy'")
    with op.batch_alter_table('removal_orders', schema=None) as batch_op:
        batch_op.drop_column('told_at_ms')
        batch_op.drop_column('secret_until_ms')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ux_cases_one_complaint')
