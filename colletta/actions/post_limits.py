"""Posting limits per channel and per new account (DESIGN.md §1: "posting rate limits per
channel"; docs/trust-and-safety.md, "Posting limits").

These caps are what stop a new channel from posting propaganda by the dozen a day, so they
must hold across nodes: they are counted in `ctx.limiter` (Redis when the bus is Redis), not
in this process's flood buckets (actions/flood.py), which keep per-second bursts in check.
A budget is one per UTC day of the Context's clock: the key names the day, so the count starts
again at midnight (and a test's fake clock moves it there).

Spending may cross the network, so it never happens inside a write transaction (on SQLite
that would hold the one writer for everyone). A new account's budget needs only the caller,
so it is spent before the send's transaction; a channel's needs the chat, so a channel post
leaves its transaction with `ChargeFirst` (nothing written), spends it and starts again.
A budget is a counter (not a moving window), so a send that then fails, or a retry answered
with the message already sent, gives back what it took: only posts that land count.
Sends no cap applies to (old accounts in groups and direct chats: nearly all) pay nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from colletta.actions.context import Context
from colletta.domain.chats import Chat, ChatKind
from colletta.domain.users import User
from colletta.errors import PostingLimited

DAY_MS = 86_400_000
CHANNEL = "channel"
ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class Budget:
    """One daily cap that a post spends from: whose (`scope`, `owner_id`) and how many."""

    scope: str
    owner_id: int
    cap: int


class ChargeFirst(Exception):
    """Leave the transaction (nothing is written), spend these budgets, send again."""

    def __init__(self, budgets: tuple[Budget, ...]) -> None:
        super().__init__("posting budgets to spend first")
        self.budgets = budgets


def account_budgets(ctx: Context, user: User) -> tuple[Budget, ...]:
    """The new-account cap a post by `user` counts against now, if any."""
    settings = ctx.settings
    young = ctx.clock.now_ms() - user.created_at_ms < settings.account_new_age_s * 1000
    cap = settings.account_posts_per_day_new
    return (Budget(ACCOUNT, user.id, cap),) if young and cap > 0 else ()


def channel_budgets(ctx: Context, chat: Chat) -> tuple[Budget, ...]:
    """The channel's cap a post in `chat` counts against now, if any."""
    if chat.kind is not ChatKind.CHANNEL:
        return ()
    settings = ctx.settings
    young = ctx.clock.now_ms() - chat.created_at_ms < settings.channel_new_age_s * 1000
    cap = settings.channel_posts_per_day_new if young else settings.channel_posts_per_day
    return (Budget(CHANNEL, chat.id, cap),) if cap > 0 else ()


# A budget's counter only has to outlive the day its key names.
TTL_S = 2 * 86_400


def _key(budget: Budget, day: int) -> tuple[str, str, str]:
    return (f"posts-{budget.scope}", str(budget.owner_id), str(day))


def _refusal(budget: Budget, day: int, now_ms: int) -> PostingLimited:
    wait_ms = (day + 1) * DAY_MS - now_ms
    what = "this channel has published" if budget.scope == CHANNEL else "new accounts may send"
    return PostingLimited(
        f"{what} {budget.cap} posts today (UTC); try again after midnight UTC",
        retry_after_s=max(1, -(-wait_ms // 1000)),
        scope=budget.scope,
        limit=budget.cap,
    )


# What one send took: the budgets' keys, to give back if the send does not land.
Spent = list[tuple[str, str, str]]


async def spend_post_budgets(ctx: Context, budgets: tuple[Budget, ...], spent: Spent) -> None:
    """Take one post from each budget of today (adding its key to `spent`), or raise
    PostingLimited (429) saying which and until when, having taken none of these."""
    now_ms = ctx.clock.now_ms()
    day = now_ms // DAY_MS
    taken: Spent = []
    for budget in budgets:
        key = _key(budget, day)
        if not await ctx.limiter.take(budget.cap, TTL_S, *key):
            await refund_post_budgets(ctx, taken)
            raise _refusal(budget, day, now_ms)
        taken.append(key)
    spent += taken


async def refund_post_budgets(ctx: Context, spent: Spent) -> None:
    """Give back what a send took and did not use: it failed, or it was a retry answered
    with the message already sent."""
    for key in spent:
        await ctx.limiter.give_back(TTL_S, *key)
