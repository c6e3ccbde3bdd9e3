"""The pot calls of `Client` (docs/pots.md): open and read pots, contribute, vote, propose
spending, and read the ledger. Amounts are whole minor units of the pot's currency
(`money.parse_amount` turns "12.50" into 1250)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from colletta_sdk.pot_models import (
    Contribution,
    ContributionPage,
    LedgerPage,
    Pot,
    PotItem,
    Proposal,
    Share,
)
from colletta_sdk.wire import Transport, drop_none, new_txn_id, pages, seg

ItemLike = PotItem | Mapping[str, Any]


def _items(items: Sequence[ItemLike] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    return [i.to_json() if isinstance(i, PotItem) else dict(i) for i in items]


class PotMethods(Transport):
    """Mixed into `Client`, which supplies the transport (`Transport`)."""

    async def _post_once(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # Pots

    async def create_pot(
        self,
        chat_id: str,
        title: str,
        currency: str,
        goal_minor: int,
        deadline_at_ms: int,
        *,
        description: str | None = None,
        model: str | None = None,
        visibility: str | None = None,
        vote_weighting: str | None = None,
        member_cap_minor: int | None = None,
        pot_cap_minor: int | None = None,
        quorum_pct: int | None = None,
        majority_pct: int | None = None,
        proposal_window_s: int | None = None,
        items: Sequence[ItemLike] | None = None,
        options: Sequence[str] | None = None,
    ) -> Pot:
        """Open a pot in a group or channel. `model`: keep_what_you_raise (the default) or
        all_or_nothing; `visibility`: named or anonymous; `vote_weighting`: member or
        contribution. None leaves a setting at the server's default."""
        body = drop_none(
            title=title,
            currency=currency,
            goal_minor=goal_minor,
            deadline_at_ms=deadline_at_ms,
            description=description,
            model=model,
            visibility=visibility,
            vote_weighting=vote_weighting,
            member_cap_minor=member_cap_minor,
            pot_cap_minor=pot_cap_minor,
            quorum_pct=quorum_pct,
            majority_pct=majority_pct,
            proposal_window_s=proposal_window_s,
            items=_items(items),
            options=None if options is None else list(options),
        )
        return Pot.from_json(await self._json("POST", f"/chats/{seg(chat_id)}/pots", json=body))

    async def pots(self, chat_id: str) -> list[Pot]:
        """A chat's pots, as summaries (`pot` has the items, options and balances)."""
        body = await self._json("GET", f"/chats/{seg(chat_id)}/pots")
        return [Pot.from_json(p) for p in body["pots"]]

    async def pot(self, pot_id: str) -> Pot:
        return Pot.from_json(await self._json("GET", f"/pots/{seg(pot_id)}"))

    async def update_pot(
        self,
        pot_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        items: Sequence[ItemLike] | None = None,
        options: Sequence[str] | None = None,
    ) -> Pot:
        """Edit the texts, replace the items, or add options (existing ones stay)."""
        body = drop_none(
            title=title,
            description=description,
            items=_items(items),
            options=None if options is None else list(options),
        )
        return Pot.from_json(await self._json("PATCH", f"/pots/{seg(pot_id)}", json=body))

    async def vote_option(self, pot_id: str, option_id: str) -> Pot:
        """Vote for one option of the pot (one vote per member; voting again moves it)."""
        path = f"/pots/{seg(pot_id)}/option-votes"
        return Pot.from_json(await self._json("POST", path, json={"option_id": option_id}))

    # Contributions

    async def contribute(
        self, pot_id: str, amount_minor: int, currency: str, client_id: str | None = None
    ) -> Contribution:
        """Start a contribution; pay at its `checkout_url`. It counts once the provider
        confirms (`status` posted, and `pot.contribution_posted` in the chat). A retry with
        the same `client_id` is the same contribution; transport errors are retried so."""
        body = {
            "client_id": client_id or new_txn_id(),
            "amount_minor": amount_minor,
            "currency": currency,
        }
        return Contribution.from_json(
            await self._post_once(f"/pots/{seg(pot_id)}/contributions", body)
        )

    async def contributions(
        self, pot_id: str, after: str | None = None, limit: int | None = None
    ) -> ContributionPage:
        """Confirmed contributions, oldest first; `next_after` continues the list."""
        body = await self._json(
            "GET", f"/pots/{seg(pot_id)}/contributions", params={"after": after, "limit": limit}
        )
        return ContributionPage(
            contributions=[Contribution.from_json(c) for c in body["contributions"]],
            next_after=None if body.get("next_after") is None else str(body["next_after"]),
        )

    def iter_contributions(self, pot_id: str, page_size: int = 100) -> AsyncIterator[Contribution]:
        """Every confirmed contribution, following `next_after`."""

        async def page(after: str | None) -> tuple[Sequence[Contribution], str | None]:
            found = await self.contributions(pot_id, after=after, limit=page_size)
            return found.contributions, found.next_after

        return pages(page)

    async def contribution(self, contribution_id: str) -> Contribution:
        """One of your own contributions (its status, and the checkout link while pending)."""
        return Contribution.from_json(
            await self._json("GET", f"/contributions/{seg(contribution_id)}")
        )

    async def my_share(self, pot_id: str) -> Share:
        """What you have in the pot, and what a refund would give back."""
        return Share.from_json(await self._json("GET", f"/pots/{seg(pot_id)}/my-share"), pot_id)

    # Spending proposals

    async def propose(
        self,
        pot_id: str,
        title: str,
        amount_minor: int,
        payee: str,
        *,
        receipt_media_id: str | None = None,
        client_id: str | None = None,
    ) -> Proposal:
        """Propose paying `amount_minor` of the pot to `payee`; contributors then vote. A
        retry with the same `client_id` is the same proposal."""
        body = drop_none(
            client_id=client_id or new_txn_id(),
            title=title,
            amount_minor=amount_minor,
            payee=payee,
            receipt_media_id=receipt_media_id,
        )
        return Proposal.from_json(await self._post_once(f"/pots/{seg(pot_id)}/proposals", body))

    async def proposals(self, pot_id: str) -> list[Proposal]:
        body = await self._json("GET", f"/pots/{seg(pot_id)}/proposals")
        return [Proposal.from_json(p) for p in body["proposals"]]

    async def proposal(self, proposal_id: str) -> Proposal:
        return Proposal.from_json(await self._json("GET", f"/proposals/{seg(proposal_id)}"))

    async def vote_proposal(self, proposal_id: str, approve: bool) -> Proposal:
        """Approve or reject a spending proposal; returns it with the new tally."""
        path = f"/proposals/{seg(proposal_id)}/votes"
        response = await self._request("POST", path, json={"approve": approve})
        found = _object(response, "proposal", ("id",))
        return Proposal.from_json(found) if found is not None else await self.proposal(proposal_id)

    # Running a pot (its organiser, the chat's admins, the operator)

    async def _pot_action(self, pot_id: str, action: str, body: Any = None) -> Pot:
        response = await self._request("POST", f"/pots/{seg(pot_id)}/{action}", json=body)
        found = _object(response, "pot", ("id", "chat_id", "currency"))
        return Pot.from_json(found) if found is not None else await self.pot(pot_id)

    async def freeze_pot(self, pot_id: str, reason: str) -> Pot:
        """Stop contributions and payouts until `unfreeze_pot`."""
        return await self._pot_action(pot_id, "freeze", {"reason": reason})

    async def unfreeze_pot(self, pot_id: str) -> Pot:
        return await self._pot_action(pot_id, "unfreeze")

    async def refund_all(self, pot_id: str) -> Pot:
        """Give every contributor back what they still have in the pot."""
        return await self._pot_action(pot_id, "refund-all")

    async def close_pot(self, pot_id: str) -> Pot:
        """Stop collecting before the deadline."""
        return await self._pot_action(pot_id, "close")

    async def finish_pot(self, pot_id: str) -> Pot:
        return await self._pot_action(pot_id, "finish")

    # The ledger

    async def ledger(
        self, pot_id: str, after: str | None = None, limit: int | None = None
    ) -> LedgerPage:
        """One page of the pot's transfers and its totals."""
        body = await self._json(
            "GET", f"/pots/{seg(pot_id)}/ledger", params={"after": after, "limit": limit}
        )
        return LedgerPage.from_json(body)

    def iter_ledger(self, pot_id: str, page_size: int = 100) -> AsyncIterator[Mapping[str, Any]]:
        """Every transfer of the pot's ledger, oldest first."""

        async def page(after: str | None) -> tuple[Sequence[Mapping[str, Any]], str | None]:
            found = await self.ledger(pot_id, after=after, limit=page_size)
            return found.transfers, found.next_after

        return pages(page)

    async def ledger_csv(self, pot_id: str) -> str:
        """The whole ledger as CSV text, a header line first."""
        path = f"/pots/{seg(pot_id)}/ledger.csv"
        return (await self._request("GET", path, headers={"Accept": "text/csv"})).text


def _object(response: httpx.Response, key: str, members: Sequence[str]) -> Mapping[str, Any] | None:
    """The object an action answered with: its `key` member, or the body itself, whichever
    has all `members`; None when it answered without one (204, or only a status)."""
    if not response.content or "json" not in response.headers.get("content-type", ""):
        return None
    body = response.json()
    if not isinstance(body, Mapping):
        return None
    for found in (body.get(key), body):
        if isinstance(found, Mapping) and all(m in found for m in members):
            return found
    return None
