"""The operator's calls of `Client` (docs/trust-and-safety.md, "Removal orders"): register a
removal order, read orders and their confirmation records, list and extend preserved items.
Answers are the API's JSON (ids are decimal strings, times ms since the epoch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from colletta_sdk.wire import Transport, drop_none, seg


class OrderMethods(Transport):
    """Mixed into `Client`, which supplies the transport."""

    async def register_order(
        self,
        *,
        authority: str,
        reference: str,
        reasons: str,
        items: Sequence[str],
        received_at_ms: int,
        notify: bool = True,
        secret_for_s: int | None = None,
    ) -> dict[str, Any]:
        """Register a removal order (`items`: "message:<id>", "media:<id>"); the server
        executes it before answering. The answer has `execution_ms` and `confirmation`.
        `notify=False`: the uploaders are told only after `secret_for_s` (default and at most
        six weeks; the answer's `secret_until_ms`)."""
        body = drop_none(
            authority=authority,
            reference=reference,
            reasons=reasons,
            items=list(items),
            received_at_ms=received_at_ms,
            notify=notify,
            secret_for_s=secret_for_s,
        )
        return await self._json("POST", "/orders", json=body)

    async def extend_order_secrecy(self, order_id: str, until_ms: int) -> dict[str, Any]:
        """The authority renewed its non-disclosure: tell the uploaders at `until_ms`."""
        path = f"/orders/{seg(order_id)}/secrecy"
        return await self._json("POST", path, json={"until_ms": until_ms})

    async def orders(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/orders"))["orders"])

    async def order(self, order_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/orders/{seg(order_id)}")

    async def preserved(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """What is preserved and until when (metadata only)."""
        body = await self._json("GET", "/preserved", params=drop_none(order_id=order_id))
        return list(body["items"])

    async def extend_preserved(self, preserved_id: str, until_ms: int) -> dict[str, Any]:
        path = f"/preserved/{seg(preserved_id)}/extend"
        return await self._json("POST", path, json={"until_ms": until_ms})
