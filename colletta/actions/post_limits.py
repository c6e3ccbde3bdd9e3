"""Posting limits per channel and per new account (DESIGN.md §1: "posting rate limits per
channel"; docs/trust-and-safety.md, "Posting limits").

These caps are what stop a new channel from posting propaganda by the dozen a day, so they
must hold across nodes: they are counted in `ctx.limiter` (Redis when the bus is Redis), not
in this process's flood buckets (actions/flood.py), which keep per-second bursts in check.
A budget is one per UTC day of the Context's clock: the key names the day, so the count starts
again at midnight (and a test's fake clock moves it there).
"""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.domain.chats import Chat, ChatKind
from colletta.domain.users import User
from colletta.errors import PostingLimited, RateLimited

DAY_MS = 86_400_000


def _rate(cap: int) -> str:
    # The window only has to outlive the day its key names.
    return f"{cap}/2 days"


def channel_cap(ctx: Context, chat: Chat, now_ms: int) -> int:
    """Posts a day this channel may publish now (0: no cap)."""
    settings = ctx.settings
    young = now_ms - chat.created_at_ms < settings.channel_new_age_s * 1000
    return settings.channel_posts_per_day_new if young else settings.channel_posts_per_day


def account_cap(ctx: Context, user: User, now_ms: int) -> int:
    """Messages a day this account may send now (0: no cap; older accounts have none)."""
    settings = ctx.settings
    if now_ms - user.created_at_ms >= settings.account_new_age_s * 1000:
        return 0
    return settings.account_posts_per_day_new


def _refusal(scope: str, cap: int, day: int, now_ms: int) -> PostingLimited:
    wait_ms = (day + 1) * DAY_MS - now_ms
    what = "this channel has published" if scope == "channel" else "new accounts may send"
    return PostingLimited(
        f"{what} {cap} posts today (UTC); try again after midnight UTC",
        retry_after_s=max(1, -(-wait_ms // 1000)),
        scope=scope,
        limit=cap,
    )


async def check_post_limits(ctx: Context, chat: Chat, user: User) -> None:
    """Spend one post from the channel's and the account's budgets of today, or raise
    PostingLimited (429) saying which and until when. The account's budget is checked
    first and spent last, so a post the channel refuses costs the account nothing."""
    now_ms = ctx.clock.now_ms()
    day = now_ms // DAY_MS
    per_account = account_cap(ctx, user, now_ms)
    per_channel = channel_cap(ctx, chat, now_ms) if chat.kind is ChatKind.CHANNEL else 0
    account_key = ("posts-account", str(user.id), str(day))
    try:
        if per_account:
            await ctx.limiter.check(_rate(per_account), *account_key)
    except RateLimited:
        raise _refusal("account", per_account, day, now_ms) from None
    try:
        if per_channel:
            await ctx.limiter.hit(_rate(per_channel), "posts-channel", str(chat.id), str(day))
    except RateLimited:
        raise _refusal("channel", per_channel, day, now_ms) from None
    if per_account:
        await ctx.limiter.count(_rate(per_account), *account_key)
