"""check-ledger on both backends: a consistent ledger with its business rows is clean, and each
kind of corruption (a raw UPDATE behind the store's back) is named by its own problem code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert, text

from colletta.domain.ledger import Account, AccountFlag, RefKind, TransferCode, TransferFlag
from colletta.domain.pots import (
    ContributionStatus,
    ProposalStatus,
    clearing_account_key,
    contribution_transfer_id,
    payee_account_key,
    pot_account_key,
    proposal_transfer_id,
    refund_transfer_id,
    resolution_transfer_id,
)
from colletta.ids import new_id
from colletta.store import ledger
from colletta.store.db import Conn, Database
from colletta.store.ledger_check import (
    REFERENCE_CODES,
    LedgerSize,
    Problem,
    begin_snapshot,
    check_accounts,
    check_ledger,
    ledger_size,
)
from colletta.store.schema import chats, contributions, pots, proposals, users

NOW_MS = 1_800_000_000_000


@dataclass
class World:
    pot_id: int
    pot_account: str
    clearing_account: str
    payee_account: str
    contributions: dict[str, int]  # posted, refunding, refunded → contribution id
    proposals: dict[str, int]  # voting, paid → proposal id


async def build_world(conn: Conn) -> World:
    """One pot with every state its money can be in, written as the pots actions write it:
    contributions posted, being refunded and refunded; proposals voting and paid."""
    user_id, chat_id, pot_id = new_id(), new_id(), new_id()
    await conn.execute(
        insert(users).values(
            id=user_id,
            username=f"u{user_id}",
            display_name="U",
            password_hash="x",
            created_at_ms=NOW_MS,
        )
    )
    await conn.execute(
        insert(chats).values(
            id=chat_id, kind="group", title="G", last_activity_ms=NOW_MS, created_at_ms=NOW_MS
        )
    )
    clearing = await ledger.ensure_account(
        conn, clearing_account_key("sandbox", "EUR"), "EUR", AccountFlag.NONE, NOW_MS
    )
    pot = await ledger.ensure_account(
        conn,
        pot_account_key(pot_id),
        "EUR",
        AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS,
        NOW_MS,
    )
    payee = await ledger.ensure_account(
        conn, payee_account_key("EUR"), "EUR", AccountFlag.NONE, NOW_MS
    )
    await conn.execute(
        insert(pots).values(
            id=pot_id,
            chat_id=chat_id,
            created_by=user_id,
            title="Tent",
            currency="EUR",
            goal_minor=10_000,
            deadline_at_ms=NOW_MS + 86_400_000,
            model="all_or_nothing",
            visibility="named",
            vote_weighting="member",
            quorum_pct=50,
            majority_pct=50,
            proposal_window_s=3600,
            status="open",
            verdict="allow",
            raised_minor=1000 + 500 + 300 - 300,
            contributor_count=1,
            account_id=pot.id,
            created_at_ms=NOW_MS,
        )
    )

    async def move(
        transfer_id: str,
        debit: Account,
        credit: Account,
        amount: int,
        code: TransferCode,
        ref: tuple[RefKind, int],
        state: str = "posted",  # or "pending", or "pending then posted"
    ) -> None:
        pending = state != "posted"
        await ledger.create_transfer(
            conn,
            transfer_id,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount_minor=amount,
            code=code,
            ref_kind=ref[0],
            ref_id=ref[1],
            flags=TransferFlag.PENDING if pending else TransferFlag.NONE,
            pot_id=pot_id,
            now_ms=NOW_MS,
        )
        if state == "pending then posted":
            await ledger.resolve_pending(
                conn,
                resolution_transfer_id(transfer_id),
                transfer_id,
                TransferFlag.POST_PENDING,
                now_ms=NOW_MS,
            )

    async def contribution(client_id: str, amount: int, status: str, **fields: Any) -> None:
        await conn.execute(
            insert(contributions).values(
                pot_id=pot_id,
                chat_id=chat_id,
                user_id=user_id,
                client_id=client_id,
                amount_minor=amount,
                currency="EUR",
                provider="sandbox",
                status=status,
                created_at_ms=NOW_MS,
                **fields,
            )
        )

    made: dict[str, int] = {}
    for n, (name, amount) in enumerate((("posted", 1000), ("refunding", 500), ("refunded", 300))):
        contribution_id = new_id()
        made[name] = contribution_id
        ref = (RefKind.CONTRIBUTION, contribution_id)
        contributed = contribution_transfer_id("sandbox", f"pay{n}")
        await move(contributed, clearing, pot, amount, TransferCode.CONTRIBUTION, ref)
        refund = None
        if name != "posted":
            refund = refund_transfer_id(contribution_id, 0)
            state = "pending then posted" if name == "refunded" else "pending"
            await move(refund, pot, clearing, amount, TransferCode.REFUND, ref, state)
        await contribution(
            f"c{n}",
            amount,
            name,
            id=contribution_id,
            payment_id=f"pay{n}",
            transfer_id=contributed,
            refund_transfer_id=refund,
        )
    # A contribution still waiting for the provider has no transfer yet.
    await contribution("waiting", 50, ContributionStatus.PENDING.value, id=new_id())
    proposals_made: dict[str, int] = {}
    for n, (status, amount) in enumerate(
        ((ProposalStatus.VOTING, 200), (ProposalStatus.PAID, 100))
    ):
        proposal_id = new_id()
        proposals_made[status.value] = proposal_id
        reserved = proposal_transfer_id(proposal_id)
        state = "pending then posted" if status is ProposalStatus.PAID else "pending"
        ref = (RefKind.PROPOSAL, proposal_id)
        await move(reserved, pot, payee, amount, TransferCode.PAYOUT, ref, state)
        await conn.execute(
            insert(proposals).values(
                id=proposal_id,
                pot_id=pot_id,
                chat_id=chat_id,
                proposer_id=user_id,
                client_id=f"p{n}",
                title="Tent",
                amount_minor=amount,
                payee="Shop",
                status=status.value,
                transfer_id=reserved,
                closes_at_ms=NOW_MS + 1,
                created_at_ms=NOW_MS,
            )
        )
    return World(
        pot_id=pot_id,
        pot_account=pot.key,
        clearing_account=clearing.key,
        payee_account=payee.key,
        contributions=made,
        proposals=proposals_made,
    )


@pytest.fixture
async def world(db: Database) -> World:
    async with db.write() as tx:
        return await build_world(tx.conn)


async def problems_of(db: Database) -> list[Problem]:
    async with db.read() as conn:
        if not db.is_sqlite:
            await begin_snapshot(conn)
        return await check_ledger(conn)


async def test_a_consistent_ledger_is_clean(db: Database, world: World) -> None:
    assert await problems_of(db) == []
    async with db.read() as conn:
        assert await ledger_size(conn) == LedgerSize(accounts=3, transfers=9, currencies=1)


async def test_an_empty_ledger_is_clean(db: Database) -> None:
    assert await problems_of(db) == []
    async with db.read() as conn:
        assert await ledger_size(conn) == LedgerSize(accounts=0, transfers=0, currencies=0)


# Each corruption: SQL whose parameters `names` fills in from the world, and exactly the
# problem codes it must produce.
CORRUPTIONS = [
    pytest.param(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE key = :pot_account",
        {"balance_mismatch", "ledger_unbalanced_posted"},
        id="posted-balance",
    ),
    pytest.param(
        "UPDATE ledger_accounts SET credits_pending = credits_pending - 200"
        " WHERE key = :payee_account",
        {"balance_mismatch", "ledger_unbalanced_pending"},
        id="pending-balance",
    ),
    pytest.param(
        # Both sides moved: the ledger balances, but neither account matches its transfers
        # and the pot now spends more than it holds.
        "UPDATE ledger_accounts SET debits_posted = debits_posted + 5000 WHERE key = :pot_account;"
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 5000"
        " WHERE key = :payee_account",
        {"balance_mismatch", "debits_exceed_credits"},
        id="overdrawn",
    ),
    pytest.param(
        "UPDATE ledger_transfers SET amount_minor = 99 WHERE id = :paid_resolution",
        {"resolution_mismatch"},
        id="resolution-amount",
    ),
    pytest.param(
        "UPDATE ledger_transfers SET pending_id = :posted_transfer WHERE id = :paid_resolution",
        # The paid proposal's reservation is pending again, and the resolution names a
        # posted transfer (of other accounts, under another reference).
        {"resolution_orphan", "resolution_mismatch", "balance_mismatch", "transfer_unreferenced"},
        id="resolution-orphan",
    ),
    pytest.param(
        "UPDATE ledger_transfers SET flags = 3 WHERE id = :voting_transfer",
        {"transfer_malformed"},
        id="flags",
    ),
    pytest.param(
        "UPDATE ledger_transfers SET ref_id = ref_id + 1 WHERE id = :voting_transfer",
        {"transfer_unreferenced"},
        id="transfer-ref",
    ),
    pytest.param(
        "UPDATE ledger_transfers SET code = 1 WHERE id = :voting_transfer",
        {"transfer_unreferenced"},
        id="transfer-code",
    ),
    pytest.param(
        "UPDATE contributions SET transfer_id = 'nope' WHERE id = :posted",
        {"contribution_transfer_missing", "transfer_unreferenced"},
        id="contribution-transfer",
    ),
    pytest.param(
        "UPDATE contributions SET refund_transfer_id = NULL WHERE id = :refunding",
        # The refund transfer keeps its attempt's name, so only the contribution is wrong.
        {"contribution_refund_missing"},
        id="contribution-refund",
    ),
    pytest.param(
        "UPDATE proposals SET transfer_id = 'nope' WHERE id = :voting",
        {"proposal_transfer_missing", "transfer_unreferenced"},
        id="proposal-transfer",
    ),
    pytest.param(
        "UPDATE pots SET raised_minor = raised_minor + 1 WHERE id = :pot",
        {"pot_raised_mismatch"},
        id="pot-raised",
    ),
    pytest.param(
        "UPDATE pots SET account_id = (SELECT id FROM ledger_accounts"
        " WHERE key = :payee_account) WHERE id = :pot",
        {"pot_account_wrong", "pot_raised_mismatch"},
        id="pot-account",
    ),
]


@pytest.mark.parametrize(("sql", "codes"), CORRUPTIONS)
async def test_each_corruption_is_named(
    db: Database, world: World, sql: str, codes: set[str]
) -> None:
    paid = proposal_transfer_id(world.proposals["paid"])
    names = {
        "pot": world.pot_id,
        "pot_account": world.pot_account,
        "payee_account": world.payee_account,
        "paid_resolution": resolution_transfer_id(paid),
        "voting_transfer": proposal_transfer_id(world.proposals["voting"]),
        "posted_transfer": contribution_transfer_id("sandbox", "pay0"),
        **world.contributions,
        **world.proposals,
    }
    async with db.write() as tx:
        for statement in sql.split(";"):
            clause = text(statement)
            wanted = {name: names[name] for name in clause.compile().params}
            await tx.conn.execute(clause, wanted)
    problems = await problems_of(db)
    assert {p.code for p in problems} == codes, problems
    for problem in problems:
        if problem.code == "balance_mismatch":  # names the account
            assert world.pot_account in problem.text or world.payee_account in problem.text
    async with db.read() as conn:
        ledger_only = {p.code for p in await check_accounts(conn)}
    assert ledger_only == codes - REFERENCE_CODES
