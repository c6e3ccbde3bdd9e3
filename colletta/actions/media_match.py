"""Media against the hash banks (DESIGN.md §5, media): every file posted to a group or a
channel is hashed when it is uploaded and matched before any message delivers it. A match
stops it, keeps the file for the authorities (`preserve_media`) and opens a case.

Which chats: groups and channels, where a file reaches many people. Direct chats are
interpersonal communication between two people and are not scanned (the TCO Regulation
concerns content disseminated to the public; scanning private messages needs a legal basis
Colletta does not assume). Secret chats hold only ciphertext the server cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.cases import issue_statement, open_case
from colletta.actions.context import Context
from colletta.actions.preservation import do_preserve_held_files
from colletta.domain.banks import MediaBlocked
from colletta.domain.cases import PRIORITY_HASH_MATCH, CaseKind, Subject
from colletta.domain.chats import Chat, ChatKind
from colletta.domain.media import ExpiryKind
from colletta.domain.statements import (
    Automation,
    Category,
    ContentType,
    Ground,
    Source,
    StatementFacts,
    Visibility,
)
from colletta.ids import new_id
from colletta.log import get_logger
from colletta.media.files import StoredBlob
from colletta.safety.hash_index import Hit
from colletta.safety.pdq import FileSignals, PdqHash, pdq_of_bytes
from colletta.store import banks as bank_store
from colletta.store import expiries as expiry_store
from colletta.store import media as media_store
from colletta.store.db import Conn

log = get_logger(__name__)
# Why a preserved copy is kept (preserved_items.reason).
PRESERVED_FOR_HASH_MATCH = "hash_match"


def scanned(chat: Chat) -> bool:
    """Whether files posted to the chat are matched against the banks."""
    return chat.kind in (ChatKind.GROUP, ChatKind.CHANNEL)


async def hash_upload(ctx: Context, blob: StoredBlob, image_data: bytes | None) -> FileSignals:
    """The upload's digests as it was sent (taken while it was stored), and the PDQ hash of
    the image (the cleaned, upright one in `image_data`) if it is one."""
    pdq: PdqHash | None = None
    if image_data is not None:
        pdq = await ctx.images.run(pdq_of_bytes, image_data)
    assert blob.md5 is not None, "uploads to scanned chats are stored with their MD5"
    return FileSignals(md5=blob.md5, sha256=blob.sha256, pdq=pdq)


async def save_hashes(conn: Conn, media_id: int, signals: FileSignals) -> None:
    pdq = signals.pdq
    await bank_store.insert_media_hashes(
        conn,
        media_id,
        signals.md5,
        signals.sha256,
        None if pdq is None else pdq.hex,
        None if pdq is None else pdq.quality,
    )


async def match_signals(ctx: Context, signals: FileSignals) -> list[Hit]:
    """The bank entries the file matches, with this node's banks at most seconds old."""
    await ctx.matcher.refresh(ctx.db, ctx.clock.now_ms())
    return ctx.matcher.match(signals)


async def preserve_media(ctx: Context, keys: list[str]) -> list[str]:
    """Keep stored files for the authorities: moved into the restricted hold store (never
    served, not purged by self-destruct), under the same keys, which are returned."""
    kept = []
    for key in keys:
        await ctx.media.move_to(key, ctx.hold)
        kept.append(key)
    return kept


@dataclass(frozen=True, slots=True)
class Blocked:
    """What a refused file was and what it matched, for the case and the refusal."""

    chat_id: int
    uploader_id: int
    media_id: int
    filename: str
    signals: FileSignals
    hits: list[Hit]
    held_keys: list[str]

    def data(self) -> dict[str, Any]:
        pdq = self.signals.pdq
        return {
            "media_id": str(self.media_id),
            "filename": self.filename,
            "md5": self.signals.md5,
            "sha256": self.signals.sha256,
            "pdq": None if pdq is None else pdq.hex,
            "pdq_quality": None if pdq is None else pdq.quality,
            "held_keys": self.held_keys,
            "matches": [
                {
                    "entry_id": str(hit.entry.id),
                    "bank_id": str(hit.entry.bank_id),
                    "signal_type": hit.entry.signal_type.value,
                    "distance": hit.distance,
                }
                for hit in self.hits
            ],
        }


async def block(ctx: Context, blocked: Blocked) -> MediaBlocked:
    """Record a match (the file is already held) and the refusal to raise."""
    log.warning(
        "media blocked by hash banks: chat %d, uploader %d, %d matches",
        blocked.chat_id,
        blocked.uploader_id,
        len(blocked.hits),
    )
    await record_match(ctx, blocked)
    return MediaBlocked(
        "this file matches a list of known terrorist content and was not posted",
        media_id=str(blocked.media_id),
    )


def match_facts(blocked: Blocked) -> StatementFacts:
    """The Art. 17 statement to the uploader of a file a hash bank stopped."""
    image = blocked.signals.pdq is not None
    return StatementFacts(
        category=Category.RISK_FOR_PUBLIC_SECURITY,
        ground=Ground.INCOMPATIBLE_CONTENT,
        facts=f"The file {blocked.filename!r} matched a list of known terrorist content "
        "and was not posted; a moderator will review the match.",
        explanation="Colletta does not host terrorist content. Files posted to groups and "
        "channels are compared with lists of known terrorist content kept by the operator.",
        content_type=ContentType.IMAGE if image else ContentType.OTHER,
        content_type_other="" if image else "a file",
        source=Source.VOLUNTARY,
        automated_detection=True,
        automation=Automation.FULLY,
        visibility=(Visibility.CONTENT_DISABLED,),
        extra={"rule_ids": _rule_ids(blocked.hits)},
    )


def _rule_ids(hits: list[Hit]) -> list[str]:
    return sorted({f"bank:{hit.entry.bank_id}" for hit in hits})


async def record_match(ctx: Context, blocked: Blocked) -> None:
    """A case for moderators (the block stands until they decide; the file is held) and a
    statement of reasons to the uploader, in one transaction."""
    best = min(hit.distance for hit in blocked.hits)
    async with ctx.db.write() as tx:
        case = await open_case(
            ctx,
            tx,
            kind=CaseKind.HASH_MATCH,
            subject=Subject.MEDIA,
            subject_id=blocked.media_id,
            chat_id=blocked.chat_id,
            subject_user_id=blocked.uploader_id,
            rule_ids=_rule_ids(blocked.hits),
            reason=f"matched {len(blocked.hits)} hash bank entries (nearest at distance {best})",
            automated=True,
            priority=PRIORITY_HASH_MATCH,
            data=blocked.data(),
        )
        await issue_statement(
            ctx, tx, user_id=blocked.uploader_id, case_id=case.id, facts=match_facts(blocked)
        )
        # Kept for the authorities like an order's removal: listed, extendable, shredded
        # after the preservation period.
        await do_preserve_held_files(
            ctx,
            tx,
            chat_id=blocked.chat_id,
            media_id=blocked.media_id,
            file_keys=tuple(blocked.held_keys),
            data={"hash_match": blocked.data(), "uploader_id": str(blocked.uploader_id)},
            reason=PRESERVED_FOR_HASH_MATCH,
            case_id=case.id,
        )


async def scan_upload(
    ctx: Context,
    chat: Chat,
    caller: Caller,
    filename: str,
    blob: StoredBlob,
    image_data: bytes | None,
) -> FileSignals | None:
    """The hashes of an upload to a scanned chat (None for other chats), matched as it was
    sent (the stored `blob`'s digests) and as it is seen (PDQ of the cleaned, upright
    `image_data`). A match holds the original and refuses the upload before any message
    can carry it."""
    if not scanned(chat):
        return None
    signals = await hash_upload(ctx, blob, image_data)
    hits = await match_signals(ctx, signals)
    if not hits:
        return signals
    held = await preserve_media(ctx, [blob.key])
    blocked = Blocked(chat.id, caller.user_id, new_id(), filename, signals, hits, held)
    raise await block(ctx, blocked)


async def check_attachments(
    ctx: Context, chat: Chat, uploader_id: int, media_ids: list[int]
) -> None:
    """Before a message delivers uploads: match them again (banks may have changed since the
    upload). A match holds the file, deletes the upload and refuses the send."""
    if not scanned(chat) or not media_ids:
        return
    async with ctx.db.read() as conn:
        hashes = await bank_store.get_media_hashes(conn, media_ids)
        uploads = await media_store.get_media_by_ids(conn, chat.id, media_ids)
    for item in uploads:
        if item.uploader_id != uploader_id or item.message_id is not None:
            continue  # refused by the send itself
        stored = hashes.get(item.id)
        if stored is None:
            continue
        md5, sha256, pdq, quality = stored
        signals = FileSignals(
            md5, sha256, None if pdq is None or quality is None else PdqHash(pdq, quality)
        )
        hits = await match_signals(ctx, signals)
        if not hits:
            continue
        async with ctx.db.write() as tx:
            await media_store.delete_media(tx.conn, [item.id])
            await expiry_store.unschedule(tx.conn, ExpiryKind.MEDIA, item.id)
        held = await preserve_media(ctx, item.file_keys)
        raise await block(
            ctx, Blocked(chat.id, uploader_id, item.id, item.filename, signals, hits, held)
        )
