"""Reports, the moderation queue and complaints (docs/trust-and-safety.md, "Reports,
moderation and appeals"). Answers are the API's JSON objects, ids as strings."""

from __future__ import annotations

from typing import Any

from colletta_sdk.wire import Transport, drop_none, seg


class ModerationMethods(Transport):
    """Mixed into `Client`, which supplies the transport (`Transport`)."""

    async def report(
        self,
        subject: str,
        subject_id: str,
        category: str,
        text: str = "",
        *,
        chat_id: str | None = None,
    ) -> dict[str, Any]:
        """Report a message (give its `chat_id`), user, chat or pot; answers the receipt."""
        body = drop_none(
            subject=subject, subject_id=subject_id, chat_id=chat_id, category=category, text=text
        )
        return await self._json("POST", "/reports", json=body)

    async def mod_queue(self, limit: int = 50) -> dict[str, Any]:
        """Open cases (`cases`), most urgent first; complaints are cases of kind `appeal`."""
        return await self._json("GET", "/mod/queue", params={"limit": limit})

    async def mod_case(self, case_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/mod/cases/{seg(case_id)}")

    async def mod_act(
        self,
        case_id: str,
        action: str,
        reason: str,
        *,
        duration_s: int | None = None,
        refund: bool | None = None,
        category: str | None = None,
        ground: str | None = None,
        legal_ground: str | None = None,
    ) -> dict[str, Any]:
        """dismiss, remove, freeze_pot (refund=True gives everything back), warn, suspend
        (after a warning; duration_s), ban or close_chat; a complaint: uphold or reverse.
        A restriction's statement rests on `ground`: DECISION_GROUND_ILLEGAL_CONTENT with
        `legal_ground` the law it breaks, or DECISION_GROUND_INCOMPATIBLE_CONTENT (the
        default) with `legal_ground` the term of service (default: the server's)."""
        body = drop_none(
            action=action,
            reason=reason,
            duration_s=duration_s,
            refund=refund,
            category=category,
            ground=ground,
            legal_ground=legal_ground,
        )
        return await self._json("POST", f"/mod/cases/{seg(case_id)}/actions", json=body)

    async def file_complaint(self, statement_id: str, text: str) -> dict[str, Any]:
        """Complain against one of your statements of reasons (within six months)."""
        return await self._json(
            "POST", f"/statements/{seg(statement_id)}/complaints", json={"text": text}
        )

    async def my_complaints(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/me/complaints"))["complaints"])
