"""Async HTTP client for the Colletta API (docs/api.md)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from colletta_sdk import transfer
from colletta_sdk.banks import BankMethods
from colletta_sdk.errors import ApiError
from colletta_sdk.models import (
    Chat,
    ChatListItem,
    ChatPage,
    HistoryPage,
    Invite,
    InviteInfo,
    JoinRequest,
    JoinResult,
    LoginResult,
    Media,
    Member,
    MemberPage,
    Message,
    MessageEdit,
    Session,
    SyncResult,
    User,
    send_fields,
)
from colletta_sdk.moderation import ModerationMethods
from colletta_sdk.pots import PotMethods
from colletta_sdk.safety import SafetyMethods
from colletta_sdk.transfer import Destination, Download, Progress, Source
from colletta_sdk.wire import API, new_txn_id, pages
from colletta_sdk.wire import drop_none as _drop_none
from colletta_sdk.wire import seg as _seg

__all__ = ["API", "Client", "new_txn_id", "raise_for_problem"]
DEFAULT_TIMEOUT_S = 30.0


def raise_for_problem(response: httpx.Response) -> None:
    """Raise ApiError for any non-2xx answer, parsed from problem+json when present."""
    if response.is_success:
        return
    problem: Any = None
    if "json" in response.headers.get("content-type", ""):
        try:
            problem = response.json()
        except ValueError:
            problem = None
    if isinstance(problem, Mapping):
        raise ApiError.from_problem(problem, status=response.status_code)
    # Not a problem document (a proxy's HTML page, say); the body is not echoed on purpose.
    raise ApiError(response.status_code, "about:blank", response.reason_phrase or "HTTP error")


class Client(PotMethods, SafetyMethods, BankMethods, ModerationMethods):
    """One user's connection to a Colletta server.

    `transport` lets tests pass `httpx.ASGITransport(app)`. After `login` the client uses the
    new token for every later call. The pot calls come from `PotMethods` (pots.py), the inbox
    and statements from `SafetyMethods` (safety.py), the hash-bank calls from `BankMethods`
    (banks.py).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        send_attempts: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._send_attempts = max(1, send_attempts)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout_s,
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        # Never show the token.
        state = "authenticated" if self._token else "anonymous"
        return f"Client({self.base_url!r}, {state})"

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        response = await self._http.request(
            method,
            API + path,
            json=json,
            content=content,
            params={k: v for k, v in (params or {}).items() if v is not None} or None,
            headers={**self._auth(), **(headers or {})},
        )
        raise_for_problem(response)
        return response

    async def _json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self._request(method, path, json=json, params=params)
        body = response.json()
        if not isinstance(body, dict):
            raise ApiError(response.status_code, "invalid_response", "Expected a JSON object")
        return body

    async def _post_once(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a body that carries an idempotency key, retrying transport errors with the
        same body: the server acts on it at most once even if an answer was lost."""
        for attempt in range(self._send_attempts):
            try:
                return await self._json("POST", path, json=body)
            except httpx.TransportError:
                if attempt + 1 >= self._send_attempts:
                    raise
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt) * (0.5 + random.random() / 2))
        raise AssertionError("unreachable")

    # Accounts

    async def register(self, username: str, password: str, display_name: str | None = None) -> User:
        body = _drop_none(username=username, password=password, display_name=display_name)
        return User.from_json(await self._json("POST", "/auth/register", json=body))

    async def login(
        self, username: str, password: str, device_name: str | None = None
    ) -> LoginResult:
        """Log in and use the new token from now on."""
        body = _drop_none(username=username, password=password, device_name=device_name)
        result = LoginResult.from_json(await self._json("POST", "/auth/login", json=body))
        self._token = result.token
        return result

    async def logout(self) -> None:
        """Revoke this session and forget the token."""
        await self._request("POST", "/auth/logout")
        self._token = None

    async def change_password(self, old_password: str, new_password: str) -> None:
        body = {"old_password": old_password, "new_password": new_password}
        await self._request("POST", "/auth/password", json=body)

    async def sessions(self) -> list[Session]:
        body = await self._json("GET", "/sessions")
        return [Session.from_json(s) for s in body["sessions"]]

    async def revoke_session(self, session_id: str) -> None:
        await self._request("DELETE", f"/sessions/{_seg(session_id)}")

    async def me(self) -> User:
        return User.from_json(await self._json("GET", "/me"))

    async def update_me(self, *, display_name: str | None = None, bio: str | None = None) -> User:
        body = _drop_none(display_name=display_name, bio=bio)
        return User.from_json(await self._json("PATCH", "/me", json=body))

    async def search_users(self, prefix: str, limit: int = 20) -> list[User]:
        body = await self._json("GET", "/users", params={"prefix": prefix, "limit": limit})
        return [User.from_json(u) for u in body["users"]]

    # Chats

    async def direct_chat(self, user_id: str) -> Chat:
        body = await self._json("POST", "/chats/direct", json={"user_id": user_id})
        return Chat.from_json(body)

    async def create_chat(
        self,
        kind: str,
        title: str,
        *,
        description: str | None = None,
        is_public: bool | None = None,
        signed_posts: bool | None = None,
    ) -> Chat:
        """Create a `group` or a `channel`."""
        body = _drop_none(
            kind=kind,
            title=title,
            description=description,
            is_public=is_public,
            signed_posts=signed_posts,
        )
        return Chat.from_json(await self._json("POST", "/chats", json=body))

    async def chats(self, limit: int = 50, before: str | None = None) -> ChatPage:
        """One page of the caller's chats, most recent activity first."""
        body = await self._json("GET", "/chats", params={"limit": limit, "before": before})
        return ChatPage(
            chats=[ChatListItem.from_json(c) for c in body["chats"]],
            next=None if body.get("next") is None else str(body["next"]),
        )

    def iter_chats(self, page_size: int = 50) -> AsyncIterator[ChatListItem]:
        """Every chat of the caller, following `next` cursors."""

        async def page(before: str | None) -> tuple[Sequence[ChatListItem], str | None]:
            found = await self.chats(limit=page_size, before=before)
            return found.chats, found.next

        return pages(page)

    async def public_channels(self, prefix: str = "", limit: int | None = None) -> list[Chat]:
        body = await self._json("GET", "/chats/public", params={"prefix": prefix, "limit": limit})
        return [Chat.from_json(c) for c in body["chats"]]

    async def chat(self, chat_id: str) -> Chat:
        return Chat.from_json(await self._json("GET", f"/chats/{_seg(chat_id)}"))

    async def update_chat(
        self,
        chat_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        slow_mode_s: int | None = None,
        signed_posts: bool | None = None,
    ) -> Chat:
        """Change the given fields; None leaves a field as it is."""
        body = _drop_none(
            title=title, description=description, slow_mode_s=slow_mode_s, signed_posts=signed_posts
        )
        return Chat.from_json(await self._json("PATCH", f"/chats/{_seg(chat_id)}", json=body))

    async def members(
        self, chat_id: str, limit: int | None = None, after: str | None = None
    ) -> MemberPage:
        body = await self._json(
            "GET", f"/chats/{_seg(chat_id)}/members", params={"limit": limit, "after": after}
        )
        return MemberPage(
            members=[Member.from_json(m) for m in body["members"]],
            next=None if body.get("next") is None else str(body["next"]),
        )

    def iter_members(self, chat_id: str, page_size: int = 100) -> AsyncIterator[Member]:
        async def page(after: str | None) -> tuple[Sequence[Member], str | None]:
            found = await self.members(chat_id, limit=page_size, after=after)
            return found.members, found.next

        return pages(page)

    async def add_member(self, chat_id: str, user_id: str) -> Member:
        body = await self._json(
            "POST", f"/chats/{_seg(chat_id)}/members", json={"user_id": user_id}
        )
        return Member.from_json(body)

    async def set_role(self, chat_id: str, user_id: str, role: str) -> Member:
        body = await self._json(
            "PATCH", f"/chats/{_seg(chat_id)}/members/{_seg(user_id)}", json={"role": role}
        )
        return Member.from_json(body)

    async def remove_member(self, chat_id: str, user_id: str) -> None:
        await self._request("DELETE", f"/chats/{_seg(chat_id)}/members/{_seg(user_id)}")

    async def leave(self, chat_id: str) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/leave")

    async def subscribe(self, chat_id: str) -> Member:
        return Member.from_json(await self._json("POST", f"/chats/{_seg(chat_id)}/subscribe"))

    async def transfer_ownership(self, chat_id: str, user_id: str) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/transfer", json={"user_id": user_id})

    async def mark_read(self, chat_id: str, seq: int) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/read", json={"seq": seq})

    async def typing(self, chat_id: str) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/typing")

    async def set_message_ttl(self, chat_id: str, seconds: int | None) -> Chat:
        """Set the chat's auto-delete timer for new messages (5 s to a year); None: off."""
        body = {"message_ttl_s": seconds}
        return Chat.from_json(
            await self._json("PUT", f"/chats/{_seg(chat_id)}/message-ttl", json=body)
        )

    # Invite links

    async def create_invite(
        self,
        chat_id: str,
        *,
        expires_in_s: int | None = None,
        max_uses: int | None = None,
        requires_approval: bool | None = None,
    ) -> Invite:
        body = _drop_none(
            expires_in_s=expires_in_s, max_uses=max_uses, requires_approval=requires_approval
        )
        return Invite.from_json(
            await self._json("POST", f"/chats/{_seg(chat_id)}/invites", json=body)
        )

    async def invites(self, chat_id: str) -> list[Invite]:
        body = await self._json("GET", f"/chats/{_seg(chat_id)}/invites")
        return [Invite.from_json(i) for i in body["invites"]]

    async def revoke_invite(self, chat_id: str, code: str) -> None:
        await self._request("DELETE", f"/chats/{_seg(chat_id)}/invites/{_seg(code)}")

    async def invite_info(self, code: str) -> InviteInfo:
        return InviteInfo.from_json(await self._json("GET", f"/invites/{_seg(code)}"))

    async def join_invite(self, code: str) -> JoinResult:
        return JoinResult.from_json(await self._json("POST", f"/invites/{_seg(code)}/join"))

    async def join_requests(self, chat_id: str) -> list[JoinRequest]:
        body = await self._json("GET", f"/chats/{_seg(chat_id)}/join-requests")
        return [JoinRequest.from_json(r) for r in body["requests"]]

    async def approve_join_request(self, chat_id: str, user_id: str) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/join-requests/{_seg(user_id)}/approve")

    async def decline_join_request(self, chat_id: str, user_id: str) -> None:
        await self._request("POST", f"/chats/{_seg(chat_id)}/join-requests/{_seg(user_id)}/decline")

    # Messages

    async def send_message(
        self,
        chat_id: str,
        text: str | None = None,
        *,
        client_txn_id: str | None = None,
        reply_to_id: str | None = None,
        forward: tuple[str, str] | None = None,
        attachments: Sequence[str | Media] | None = None,
        self_destruct_s: int | None = None,
        view_once: bool = False,
    ) -> Message:
        """Send a message; `forward` is (chat_id, message_id) of the message to forward.

        `attachments` are uploads of yours to this chat (`upload_media`), at most 10; the
        text may then be empty or None. `self_destruct_s` (5 s to a week) and `view_once`
        are for direct chats. Transport errors are retried with the same `client_txn_id`,
        so the server stores the message at most once even if an answer was lost.
        """
        body: dict[str, Any] = {
            "client_txn_id": client_txn_id or new_txn_id(),
            **send_fields(text, reply_to_id, attachments, self_destruct_s, view_once),
        }
        if forward is not None:
            body["forward"] = {"chat_id": forward[0], "message_id": forward[1]}
        return Message.from_json(await self._post_once(f"/chats/{_seg(chat_id)}/messages", body))

    async def history(
        self,
        chat_id: str,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        after_seq: int | None = None,
        around_id: str | None = None,
    ) -> HistoryPage:
        """A page of messages, oldest first; without a bound, the newest ones."""
        body = await self._json(
            "GET",
            f"/chats/{_seg(chat_id)}/messages",
            params={
                "limit": limit,
                "before_seq": before_seq,
                "after_seq": after_seq,
                "around_id": around_id,
            },
        )
        return HistoryPage(
            messages=[Message.from_json(m) for m in body["messages"]],
            has_more=bool(body.get("has_more", False)),
        )

    async def message(self, chat_id: str, message_id: str) -> Message:
        body = await self._json("GET", f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}")
        return Message.from_json(body)

    async def edit_message(self, chat_id: str, message_id: str, text: str) -> Message:
        body = await self._json(
            "PATCH", f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}", json={"text": text}
        )
        return Message.from_json(body)

    async def delete_message(self, chat_id: str, message_id: str) -> None:
        await self._request("DELETE", f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}")

    async def message_edits(self, chat_id: str, message_id: str) -> list[MessageEdit]:
        body = await self._json("GET", f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}/edits")
        return [MessageEdit.from_json(e) for e in body["edits"]]

    async def react(self, chat_id: str, message_id: str, emoji: str) -> None:
        await self._request(
            "PUT", f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}/reactions/{_seg(emoji)}"
        )

    async def unreact(self, chat_id: str, message_id: str, emoji: str) -> None:
        await self._request(
            "DELETE",
            f"/chats/{_seg(chat_id)}/messages/{_seg(message_id)}/reactions/{_seg(emoji)}",
        )

    async def pins(self, chat_id: str) -> list[Message]:
        body = await self._json("GET", f"/chats/{_seg(chat_id)}/pins")
        return [Message.from_json(m) for m in body["messages"]]

    async def pin(self, chat_id: str, message_id: str) -> None:
        await self._request("PUT", f"/chats/{_seg(chat_id)}/pins/{_seg(message_id)}")

    async def unpin(self, chat_id: str, message_id: str) -> None:
        await self._request("DELETE", f"/chats/{_seg(chat_id)}/pins/{_seg(message_id)}")

    # Media

    async def upload_media(
        self,
        chat_id: str,
        source: Source,
        *,
        filename: str | None = None,
        progress: Progress | None = None,
    ) -> Media:
        """Upload a file (a path, or a binary file object read from its current position).

        The file is streamed in chunks, never read whole; `progress(bytes_sent, total)` is
        called as they go out (`total` is None for a file that cannot tell its size).
        `filename` defaults to the file's base name. Attach the result to a message with
        `send_message(..., attachments=[media])` within a day. Not retried: a failed upload
        is simply started again.
        """
        response = await transfer.upload(
            self._http,
            f"{API}/chats/{_seg(chat_id)}/media",
            self._auth(),
            source,
            filename=filename,
            progress=progress,
        )
        raise_for_problem(response)
        return Media.from_json(response.json())

    async def download_media(
        self,
        chat_id: str,
        media_id: str,
        dest: Destination,
        *,
        progress: Progress | None = None,
        resume: bool = True,
    ) -> Download:
        """Stream a file to `dest`: a path, a binary file object, or an existing directory.

        A path that already holds the start of the file is completed with a Range request
        (`resume=False` downloads it afresh). In a directory the file gets the server's name
        for it, made safe (it cannot land outside the directory, and never replaces an
        existing file: `name (1).ext`); an interrupted download there resumes on the next
        call. `progress(bytes_done, total)` counts resumed bytes as done.
        """
        return await transfer.download(
            self._http,
            f"{API}/chats/{_seg(chat_id)}/media/{_seg(media_id)}",
            {**self._auth(), "Accept": "*/*"},
            dest,
            part_name="." + transfer.safe_filename(f"colletta-{chat_id}-{media_id}.part"),
            fallback_name=transfer.safe_filename(f"media-{media_id}"),
            progress=progress,
            resume=resume,
            raise_for_problem=raise_for_problem,
        )

    async def thumbnail(self, chat_id: str, media_id: str) -> bytes:
        """The small WebP preview of an image (404 `not_found` when it has none)."""
        path = f"/chats/{_seg(chat_id)}/media/{_seg(media_id)}/thumbnail"
        return (await self._request("GET", path, headers={"Accept": "*/*"})).content

    # Sync

    async def sync(self, cursors: Mapping[str, int], limit: int = 500) -> SyncResult:
        """Events after each `chat_id -> seq` cursor, per chat in seq order."""
        encoded = ",".join(f"{chat_id}:{seq}" for chat_id, seq in cursors.items())
        body = await self._json("GET", "/sync", params={"cursors": encoded, "limit": limit})
        return SyncResult.from_json(body)
