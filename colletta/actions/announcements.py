"""Screening of announcements (DESIGN.md §5; docs/trust-and-safety.md, "Announcements").

An announcement is a text posted in a group or channel that holds a pot with money in play
(open or closed) by someone who speaks for that pot: the chat's owner or an admin, or the
pot's organiser. Those posts are read with the pots' lexicon: BLOCK refuses the post with the
reason; REVIEW holds the pots' payouts and HOLD freezes them, as if the words were in the
pots' own texts. A plain member's post is not an announcement: nobody can freeze someone
else's pot by posting words next to it (members report such posts instead).

Cost on the send path: a plain member in a chat where members cannot open pots pays one
comparison; everyone else pays the screen (tens of microseconds, pure CPU). The pots are read
only when the screen restricts, which is rare.
"""

from __future__ import annotations

from colletta.actions.behaviour import apply
from colletta.actions.callers import Caller
from colletta.actions.chats import ChatAccess
from colletta.actions.context import Context
from colletta.actions.verdicts import Screened, record_refusal
from colletta.domain.cases import CaseKind, Subject
from colletta.domain.chats import ChatKind, Role
from colletta.domain.pots import PotStatus
from colletta.domain.safety import Outcome, Verdict
from colletta.errors import Forbidden
from colletta.store import pots as pot_store
from colletta.store.db import Tx

# Pots of one chat looked at (newest first): a chat rarely holds more than a few.
POTS_MAX = 20
_IN_PLAY = (PotStatus.OPEN, PotStatus.CLOSED)


class AnnouncementRefused(Forbidden):
    """Screening refused a post about a pot; `reason` and `rule_ids` say why."""

    type = "announcement_refused"
    title = "Post refused by screening"


class Blocked(Exception):
    """A BLOCK on an announcement: the post's transaction rolls back, then `refuse` records it."""

    def __init__(self, verdict: Verdict, chat_id: int, chat_title: str) -> None:
        super().__init__(verdict.reason)
        self.verdict, self.chat_id, self.chat_title = verdict, chat_id, chat_title


def speaks_for_pots(access: ChatAccess) -> bool:
    """Whether the poster may speak for a pot here (checked before any screening)."""
    member, chat = access.member, access.chat
    if member is None or chat.kind is ChatKind.DIRECT:
        return False
    return member.role >= Role.ADMIN or chat.members_create_pots


async def screen_announcement(
    ctx: Context, tx: Tx, caller: Caller, access: ChatAccess, text: str
) -> None:
    """Screen a post as an announcement of the chat's pots, in the post's transaction."""
    if not text or not speaks_for_pots(access):
        return
    verdict = ctx.screener.screen_post(text)
    if not verdict.restricts:
        return
    assert access.member is not None
    admin = access.member.role >= Role.ADMIN
    pots = [
        p
        for p in await pot_store.list_chat_pots(tx.conn, access.chat.id, POTS_MAX)
        if p.status in _IN_PLAY and (admin or p.created_by == caller.user_id)
    ]
    if not pots:
        return  # not an announcement: the chat holds no pot this poster speaks for
    if verdict.outcome is Outcome.BLOCK:
        raise Blocked(verdict, access.chat.id, access.chat.title or "")
    what = f"An announcement in “{access.chat.title or 'the chat'}”"
    for found in pots:
        pot = await pot_store.get_pot(tx.conn, found.id, for_update=True)
        if pot is not None and pot.status in _IN_PLAY:
            await apply(ctx, tx, pot, verdict, CaseKind.SCREENING, f"{what} about “{pot.title}”")


async def refuse(ctx: Context, caller: Caller, blocked: Blocked) -> AnnouncementRefused:
    """Record a refused announcement (a case, a statement to the poster) in a transaction of
    its own, and the error to answer with."""
    target = Screened(
        Subject.CHAT,
        blocked.chat_id,
        blocked.chat_id,
        caller.user_id,
        f"A post in “{blocked.chat_title or 'the chat'}”",
    )
    await record_refusal(ctx, blocked.verdict, target)
    return AnnouncementRefused(
        blocked.verdict.reason or "this post cannot be sent here",
        rule_ids=list(blocked.verdict.rule_ids),
    )
