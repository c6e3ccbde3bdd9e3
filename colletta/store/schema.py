"""Every table. Hot tables are keyed by chat_id first so chats can later shard by it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("bio", Text, nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("is_operator", Boolean, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
    # Granted by the operator (`colletta admin grant`): moderators work the case queue;
    # trusted flaggers' notices go first (DSA Art. 22).
    Column("is_moderator", Boolean, nullable=False, server_default="0"),
    Column("trusted_flagger", Boolean, nullable=False, server_default="0"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("device_name", String(64), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("last_seen_at_ms", BigInteger, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(128), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("is_public", Boolean, nullable=False, server_default="0"),
    Column("signed_posts", Boolean, nullable=False, server_default="0"),
    Column("slow_mode_s", Integer, nullable=False, server_default="0"),
    Column("member_count", Integer, nullable=False, server_default="0"),
    # Gap-free per-chat event counter; bumped under a row lock in the writing transaction.
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    Column("last_activity_ms", BigInteger, nullable=False),
    Column("last_message_id", BigInteger, nullable=True),
    # "low:high" user ids of a direct chat, so get-or-create is idempotent under races.
    Column("direct_key", String(48), nullable=True, unique=True),
    # Auto-delete timer: messages sent while it is set expire this long after sending.
    Column("message_ttl_s", Integer, nullable=True),
    # Whether plain members may open pots here (admins always may).
    Column("members_create_pots", Boolean, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
    # Set when moderators close the chat: nobody posts any more; history stays readable.
    Column("closed_at_ms", BigInteger, nullable=True),
    Index("ix_chats_public_title", "is_public", "title"),
)

chat_members = Table(
    "chat_members",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", Integer, nullable=False),
    Column("joined_at_ms", BigInteger, nullable=False),
    Column("read_seq", BigInteger, nullable=False, server_default="0"),
    Column("last_post_ms", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("chat_id", "user_id"),
    Index("ix_chat_members_user_id", "user_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("author_signature", String(64), nullable=True),
    Column("text", Text, nullable=True),
    Column("entities", Text, nullable=False, server_default="[]"),
    Column("reply_to_id", BigInteger, nullable=True),
    Column("forward_chat_id", BigInteger, nullable=True),
    Column("forward_message_id", BigInteger, nullable=True),
    Column("forward_sender_id", BigInteger, nullable=True),
    Column("reactions", Text, nullable=False, server_default="{}"),
    Column("client_txn_id", String(64), nullable=True),
    Column("edited_at_ms", BigInteger, nullable=True),
    Column("deleted_at_ms", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    # Attachment views (JSON), so a page of history is one query; media rows hold the files.
    Column("attachments", Text, nullable=False, server_default="[]"),
    # Chat timer: when the message expires for everyone. Self-destruct: for its sender.
    Column("expires_at_ms", BigInteger, nullable=True),
    # Self-destruct (direct chats): the recipient's copy lives this long after being read,
    # from `read_expires_at_ms` on.
    Column("expires_after_read_s", Integer, nullable=True),
    Column("read_expires_at_ms", BigInteger, nullable=True),
    Column("view_once", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("chat_id", "seq", name="uq_messages_chat_id_seq"),
    UniqueConstraint(
        "chat_id", "sender_id", "client_txn_id", name="uq_messages_chat_id_sender_txn"
    ),
)

message_edits = Table(
    "message_edits",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=True),
    Column("edited_at_ms", BigInteger, nullable=False),
    Index("ix_message_edits_message_id", "message_id"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("emoji", String(16), nullable=False),
    PrimaryKeyConstraint("message_id", "user_id", "emoji"),
)

pins = Table(
    "pins",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("pinned_by", BigInteger, nullable=False),
    Column("pinned_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("chat_id", "message_id"),
)

chat_events = Table(
    "chat_events",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(48), nullable=False),
    # Set for events about one message, so a deletion can scrub every payload that held it.
    Column("message_id", BigInteger, nullable=True),
    Column("payload", Text, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("chat_id", "seq"),
    Index("ix_chat_events_message_id", "message_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("expires_at_ms", BigInteger, nullable=True),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("requires_approval", Boolean, nullable=False, server_default="0"),
    Column("revoked", Boolean, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_invites_chat_id", "chat_id"),
)

join_requests = Table(
    "join_requests",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("invite_code", String(32), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("chat_id", "user_id"),
)

# Who blocked whom (docs/trust-and-safety.md, "Blocking"): private to the blocker. Keyed by
# the blocker, so "do I block them" and "my blocks" are primary-key reads; "who blocks me" is
# never asked, so there is no index for it.
user_blocks = Table(
    "user_blocks",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("blocked_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("user_id", "blocked_id"),
)

# Removal bans from rejoining by oneself (invite links, join requests, subscribing) until an
# admin adds the user back or lifts the ban.
chat_bans = Table(
    "chat_bans",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("by_user_id", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("chat_id", "user_id"),
)

media = Table(
    "media",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("uploader_id", BigInteger, ForeignKey("users.id"), nullable=False),
    # Set once a message carries it; until then only the uploader sees it.
    Column("message_id", BigInteger, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("mime", String(128), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("store_key", String(64), nullable=False),
    Column("thumbnail_key", String(64), nullable=True),
    Column("thumbnail_mime", String(64), nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_media_chat_id_message_id", "chat_id", "message_id"),
    # The uploader's quota is a sum over this index alone.
    Index("ix_media_uploader_id_size_bytes", "uploader_id", "size_bytes"),
)

# What is due to be purged, and when: the expiry worker reads the earliest rows, claims them
# (row locks on PostgreSQL) and deletes each row in the transaction that purges its item.
expiries = Table(
    "expiries",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("item_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("due_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("kind", "item_id"),
    Index("ix_expiries_due_at_ms", "due_at_ms"),
)

# --- Money (DESIGN.md §4). The ledger after TigerBeetle: accounts keep running balances,
# transfers are immutable rows; a pending transfer is resolved by a second transfer that names
# it (post, void or expire), never by an update.

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    # What the account is, e.g. "pot:123", "provider_clearing:sandbox:EUR", "payee:456".
    Column("key", String(96), nullable=False, unique=True),
    # One ledger per currency: transfers only move between accounts of the same currency.
    Column("currency", String(3), nullable=False),
    Column("flags", Integer, nullable=False, server_default="0"),
    Column("debits_pending", BigInteger, nullable=False, server_default="0"),
    Column("debits_posted", BigInteger, nullable=False, server_default="0"),
    Column("credits_pending", BigInteger, nullable=False, server_default="0"),
    Column("credits_posted", BigInteger, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    # The client's id is the idempotency key (e.g. "contribution:sandbox:sbx_pi_…").
    Column("id", String(128), primary_key=True),
    Column("debit_account_id", BigInteger, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("credit_account_id", BigInteger, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # Why the money moved (domain.ledger.TransferCode).
    Column("code", Integer, nullable=False),
    # domain.ledger.TransferFlag: pending, or which resolution of `pending_id` this is.
    Column("flags", Integer, nullable=False, server_default="0"),
    # Unique: a pending transfer is resolved at most once.
    Column("pending_id", String(128), nullable=True, unique=True),
    Column("timeout_at_ms", BigInteger, nullable=True),
    # The business row this transfer belongs to (domain.ledger.RefKind + its id).
    Column("ref_kind", String(16), nullable=False),
    Column("ref_id", BigInteger, nullable=False),
    Column("pot_id", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_ledger_transfers_debit", "debit_account_id", "created_at_ms"),
    Index("ix_ledger_transfers_credit", "credit_account_id", "created_at_ms"),
    Index("ix_ledger_transfers_ref", "ref_kind", "ref_id"),
    Index("ix_ledger_transfers_pot", "pot_id", "created_at_ms"),
)

pots = Table(
    "pots",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("title", String(128), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("goal_minor", BigInteger, nullable=False),
    Column("deadline_at_ms", BigInteger, nullable=False),
    # domain.pots.FundingModel / Visibility / VoteWeighting / PotStatus
    Column("model", String(24), nullable=False),
    Column("visibility", String(16), nullable=False),
    Column("vote_weighting", String(16), nullable=False),
    Column("member_cap_minor", BigInteger, nullable=True),
    Column("pot_cap_minor", BigInteger, nullable=True),
    # Spending votes: share of contributors who must vote, and share of the weight cast that
    # must approve (strictly more than), both in percent; and how long a vote runs.
    Column("quorum_pct", Integer, nullable=False),
    Column("majority_pct", Integer, nullable=False),
    Column("proposal_window_s", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("frozen", Boolean, nullable=False, server_default="0"),
    Column("frozen_reason", Text, nullable=True),
    # The last screening verdict (safety.screen_pot) and why.
    Column("verdict", String(8), nullable=False),
    Column("verdict_rules", Text, nullable=False, server_default="[]"),
    Column("verdict_reason", Text, nullable=False, server_default=""),
    # Running totals, always equal to what the ledger says (check-ledger compares them).
    Column("raised_minor", BigInteger, nullable=False, server_default="0"),
    Column("contributor_count", Integer, nullable=False, server_default="0"),
    Column("account_id", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("closed_at_ms", BigInteger, nullable=True),
    Index("ix_pots_chat_id", "chat_id", "created_at_ms"),
)

# The itemised purpose: what the money is for.
pot_items = Table(
    "pot_items",
    metadata,
    Column("pot_id", BigInteger, ForeignKey("pots.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("what", String(128), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    PrimaryKeyConstraint("pot_id", "position"),
)

# "Which tent?": options members vote on, one vote each.
pot_options = Table(
    "pot_options",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("pot_id", BigInteger, ForeignKey("pots.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(128), nullable=False),
    Index("ix_pot_options_pot_id", "pot_id"),
)

pot_option_votes = Table(
    "pot_option_votes",
    metadata,
    Column("pot_id", BigInteger, ForeignKey("pots.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("option_id", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("pot_id", "user_id"),
)

contributions = Table(
    "contributions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("pot_id", BigInteger, ForeignKey("pots.id", ondelete="CASCADE"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    # The contributor's idempotency key: a retry returns the same contribution.
    Column("client_id", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("payment_id", String(128), nullable=True),
    Column("checkout_url", Text, nullable=True),
    # domain.pots.ContributionStatus
    Column("status", String(16), nullable=False),
    Column("transfer_id", String(128), nullable=True),
    Column("refund_transfer_id", String(128), nullable=True),
    Column("refund_id", String(128), nullable=True),
    Column("refunded_minor", BigInteger, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("posted_at_ms", BigInteger, nullable=True),
    UniqueConstraint("pot_id", "user_id", "client_id", name="uq_contributions_client"),
    UniqueConstraint("provider", "payment_id", name="uq_contributions_payment"),
    Index("ix_contributions_pot_id", "pot_id", "status"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("pot_id", BigInteger, ForeignKey("pots.id", ondelete="CASCADE"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("proposer_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("title", String(128), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("payee", String(128), nullable=False),
    Column("receipt_media_id", BigInteger, nullable=True),
    # domain.pots.ProposalStatus
    Column("status", String(16), nullable=False),
    # The pending transfer pot → payee that reserves the funds while the vote runs.
    Column("transfer_id", String(128), nullable=False),
    Column("payout_id", String(128), nullable=True),
    Column("closes_at_ms", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("resolved_at_ms", BigInteger, nullable=True),
    UniqueConstraint("pot_id", "proposer_id", "client_id", name="uq_proposals_client"),
    Index("ix_proposals_pot_id", "pot_id", "created_at_ms"),
    # Behavioural screening: one payee in pots of several chats.
    Index("ix_proposals_payee", "payee", "chat_id"),
)

proposal_votes = Table(
    "proposal_votes",
    metadata,
    Column(
        "proposal_id", BigInteger, ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False
    ),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("approve", Boolean, nullable=False),
    Column("weight", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("proposal_id", "user_id"),
)

# Money work that is due: deadlines, vote windows, refunds and payouts to ask the provider
# for. The pot worker claims due rows (SKIP LOCKED on PostgreSQL) like the expiry worker, and
# deletes a row in the transaction that finishes its work; a failed attempt moves `due_at_ms`.
pot_tasks = Table(
    "pot_tasks",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("item_id", BigInteger, nullable=False),
    Column("pot_id", BigInteger, nullable=False),
    Column("due_at_ms", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("kind", "item_id"),
    Index("ix_pot_tasks_due_at_ms", "due_at_ms"),
)

# Trust & safety (DESIGN.md §5). A case is one thing a human may have to look at: a screening
# verdict, a hash match, reports about one subject, a removal order. Priority orders the queue
# (higher first), then age.
cases = Table(
    "cases",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    # domain.cases.CaseKind / Subject / CaseStatus
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("subject", String(16), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=True),
    # Whom a decision restricts (the organiser, the poster, the uploader): the statement of
    # reasons goes to them.
    Column("subject_user_id", BigInteger, nullable=True),
    Column("rule_ids", Text, nullable=False, server_default="[]"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("automated", Boolean, nullable=False),
    Column("opened_at_ms", BigInteger, nullable=False),
    Column("decided_at_ms", BigInteger, nullable=True),
    Column("decided_by", BigInteger, nullable=True),
    Column("decision", String(32), nullable=True),
    Column("data", Text, nullable=False, server_default="{}"),
    Index("ix_cases_status_priority", "status", "priority", "opened_at_ms"),
    Index("ix_cases_subject", "subject", "subject_id"),
    Index("ix_cases_chat_id", "chat_id", "kind"),
    # One complaint per statement of reasons (DSA Art. 20), even when two race in.
    Index(
        "ux_cases_one_complaint",
        "subject_id",
        unique=True,
        sqlite_where=text("kind = 'appeal'"),
        postgresql_where=text("kind = 'appeal'"),
    ),
)

# Statements of reasons (DSA Art. 17) sent to the user a decision restricts; `body` holds the
# Article's fields as JSON (domain.statements.StatementFacts).
statements = Table(
    "statements",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("case_id", BigInteger, nullable=True),
    Column("user_id", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_statements_user_id", "user_id", "id"),
    Index("ix_statements_case_id", "case_id"),
)

# A user's inbox of notices from the service: statements, report acknowledgements and
# decisions, warnings. Not in any chat, so not in the chat event log.
notices = Table(
    "notices",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_notices_user_id", "user_id", "id"),
)

# Append-only audit log of every moderation and operator action. Each entry's hash covers
# the previous entry's hash, so an edited or removed entry breaks the chain
# (`colletta admin verify-audit`). `audit_head` is one row, locked by each append so that
# appends on many nodes still form one chain.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("action", String(64), nullable=False),
    Column("subject", String(16), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# --- Hash banks (DESIGN.md §5, media): lists of known terrorist content the operator loads.
# Every change takes the next number from `hash_bank_versions` (one row, locked by the change,
# so numbers commit in order) and stamps what it changed with it; each node polls that number
# and reads only the rows stamped past the one it holds.

hash_bank_versions = Table(
    "hash_bank_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

hash_banks = Table(
    "hash_banks",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("changed_version", BigInteger, nullable=False),
)

hash_bank_entries = Table(
    "hash_bank_entries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("bank_id", BigInteger, ForeignKey("hash_banks.id", ondelete="CASCADE"), nullable=False),
    Column("signal_type", String(8), nullable=False),
    Column("value", String(64), nullable=False),
    # The id the list gave it (TCAP's), so a later tombstone finds it.
    Column("external_id", String(128), nullable=True),
    # Disabled by the operator, or tombstoned by its list: kept, never matched.
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("tombstoned", Boolean, nullable=False, server_default="0"),
    Column("added_at_ms", BigInteger, nullable=False),
    Column("changed_version", BigInteger, nullable=False),
    UniqueConstraint("bank_id", "signal_type", "value"),
    Index("ix_hash_bank_entries_changed_version", "changed_version"),
)

# What each upload was matched by, kept so a send can be checked again against banks that
# changed since the upload (the file itself is re-encoded; these are of what was uploaded).
media_hashes = Table(
    "media_hashes",
    metadata,
    Column("media_id", BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    Column("md5", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("pdq", String(64), nullable=True),
    Column("pdq_quality", Integer, nullable=True),
)

# --- Reports and moderator actions (docs/trust-and-safety.md, "Reports, moderation and
# appeals"). A report joins the open REPORT case of its subject (`cases`); a complaint is an
# APPEAL case.
reports = Table(
    "reports",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("case_id", BigInteger, nullable=False),
    Column("reporter_id", BigInteger, nullable=False),
    Column("subject", String(16), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=True),
    Column("category", String(96), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("trusted", Boolean, nullable=False, server_default="0"),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_reports_case_id", "case_id"),
)

# What moderators did, one row an action: a suspension looks for an earlier warning here,
# and an appeal undoes what its statement's action did.
mod_actions = Table(
    "mod_actions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("case_id", BigInteger, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor_id", BigInteger, nullable=False),
    Column("target_user_id", BigInteger, nullable=True),
    Column("subject", String(16), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=True),
    Column("statement_id", BigInteger, nullable=True),
    Column("until_ms", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("reversed_at_ms", BigInteger, nullable=True),
    Index("ix_mod_actions_target_user_id", "target_user_id", "action"),
    Index("ix_mod_actions_statement_id", "statement_id"),
    Index("ix_mod_actions_case_id", "case_id"),
)

# A suspended or banned account: login is refused while the row is in force (a ban has no
# `until_ms`); its sessions were revoked when it was written.
account_restrictions = Table(
    "account_restrictions",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("until_ms", BigInteger, nullable=True),
    Column("action_id", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# --- Removal orders and preservation (TCO Regulation 2021/784; docs/trust-and-safety.md).

removal_orders = Table(
    "removal_orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("authority", String(200), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("reasons", Text, nullable=False),
    # ["message:<id>", "media:<id>", …] as the order names them (JSON).
    Column("items", Text, nullable=False),
    Column("received_at_ms", BigInteger, nullable=False),
    Column("registered_at_ms", BigInteger, nullable=False),
    Column("registered_by", BigInteger, nullable=True),
    Column("notify", Boolean, nullable=False),
    # notify false: when the uploaders are told after all (TCO Art. 11(3)); and when they were.
    Column("secret_until_ms", BigInteger, nullable=True),
    Column("told_at_ms", BigInteger, nullable=True),
    Column("executed_at_ms", BigInteger, nullable=True),
    # What executing it did to each item, with the ORDER case of each (JSON): the
    # confirmation record's lines.
    Column("results", Text, nullable=False, server_default="[]"),
    # An authority's reference names one order: registering it again is a retry, not a new one.
    UniqueConstraint("authority", "reference", name="uq_removal_orders_authority_reference"),
    Index("ix_removal_orders_received_at_ms", "received_at_ms"),
)

# Content kept for the authorities (TCO Art. 6): the text and metadata here, the files in the
# hold store. Self-destruct and deletes purge around it; the expiry worker purges it at
# `until_ms` (an `expiries` row of kind "preserved").
preserved_items = Table(
    "preserved_items",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("media_id", BigInteger, nullable=True),
    Column("reason", String(32), nullable=False),
    Column("order_id", BigInteger, nullable=True),
    Column("case_id", BigInteger, nullable=True),
    Column("preserved_at_ms", BigInteger, nullable=False),
    Column("until_ms", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    Column("file_keys", Text, nullable=False, server_default="[]"),
    Index("ix_preserved_items_chat_id_message_id", "chat_id", "message_id"),
)
