"""Hash banks end to end: the operator loads them over HTTP, a file that matches is refused
in a group or channel before anyone sees it, and kept; changes reach every node in seconds."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from colletta.actions.audit import do_verify_audit
from colletta.actions.hash_matcher import REFRESH_MS
from colletta.actions.moderators import Grant, do_set_grant
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.domain.cases import CaseKind
from colletta.store import banks as bank_store
from colletta.store import cases as case_store
from tests.conftest import BUSES, MakePerson, Person, register_and_login
from tests.pots.worker_helpers import operator
from tests.test_media import send_with, upload
from tests.test_messages import make_group

DATA = Path(__file__).parent / "data" / "pdq"
BANK_IMAGE = (DATA / "bridge-mods/square-512x512.jpg").read_bytes()
RESIZED = (DATA / "bridge-mods/square-256x256.jpg").read_bytes()
UNRELATED = (DATA / "misc-images/wee.jpg").read_bytes()
DARK = (DATA / "misc-images/small.jpg").read_bytes()
BANK_PDQ = "d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22"
DARK_PDQ = "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff"


async def new_bank(op: Person, name: str = "tcap") -> str:
    bank: dict[str, Any] = await op.ok("POST", "/api/v1/banks", json={"name": name})
    return str(bank["id"])


async def load(op: Person, bank_id: str, rows: list[tuple[str, str]], deleted: bool = False) -> Any:
    text = "signal_type,value,deleted\n" + "".join(
        f"{kind},{value},{'true' if deleted else ''}\n" for kind, value in rows
    )
    return await op.ok(
        "POST",
        f"/api/v1/banks/{bank_id}/import?format=csv",
        content=text.encode(),
        headers={"content-type": "text/csv"},
    )


def flipped(hex_hash: str, bits: int) -> str:
    """`hex_hash` with its first `bits` bits inverted: at distance `bits` from it."""
    value = int(hex_hash, 16) ^ (((1 << bits) - 1) << (256 - bits))
    return f"{value:064x}"


async def server_pdq(app: Any, chat_id: str, media_id: str) -> str:
    """The PDQ hash the server kept for an upload (of the cleaned image it serves)."""
    async with app.state.ctx.db.read() as conn:
        hashes = await bank_store.get_media_hashes(conn, [int(media_id)])
    pdq = hashes[int(media_id)][2]
    assert pdq is not None
    return pdq


def held_files(settings: Settings) -> set[str]:
    root = settings.resolved_hold_dir
    return {
        p.name for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"
    }


def refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json()["type"].endswith("/media_blocked")


async def test_a_banked_image_is_refused_in_a_group_kept_and_never_seen(
    app: Any, http: httpx.AsyncClient, person: MakePerson, settings: Settings
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    bank_id = await new_bank(op)
    got = await load(op, bank_id, [("pdq", BANK_PDQ)])
    assert (got["added"], got["bank"]["entries"]) == (1, {"pdq": 1})

    before = held_files(settings)
    response = await upload(alice, chat_id, RESIZED, "bridge.jpg")  # distance 6 to the bank's
    assert refused(response), response.text
    assert len(held_files(settings) - before) == 1  # the original, as it was sent
    history = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert history["messages"] == []
    # A case waits for a moderator; alice is told why, in the DSA's terms.
    async with app.state.ctx.db.read() as conn:
        queue = await case_store.list_cases(conn, kind=CaseKind.HASH_MATCH)
    assert [(c.subject_user_id, c.chat_id, c.rule_ids) for c in queue] == [
        (int(alice.id), int(chat_id), (f"bank:{bank_id}",))
    ]
    assert queue[0].data["filename"] == "bridge.jpg"
    assert queue[0].data["matches"][0]["distance"] == 6
    statement = (await alice.ok("GET", "/api/v1/me/statements"))["statements"][0]
    assert statement["case_id"] == str(queue[0].id)
    assert statement["visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert statement["automated_detection"] is True
    # The operator's changes are in the audit log, and the chain holds.
    audit = await op.ok("GET", "/api/v1/mod/audit", params={"subject": "bank"})
    assert [e["action"] for e in audit["entries"]] == ["bank.imported", "bank.created"]
    assert (await do_verify_audit(app.state.ctx)).ok
    # Other images go through, and so does the almost black one (quality 0: never matched).
    assert (await upload(alice, chat_id, UNRELATED, "wee.jpg")).status_code == 201
    await load(op, bank_id, [("pdq", DARK_PDQ)])
    assert (await upload(alice, chat_id, DARK, "dark.jpg")).status_code == 201


async def test_distance_31_matches_and_32_does_not(
    app: Any, http: httpx.AsyncClient, person: MakePerson
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    first = (await upload(alice, chat_id, RESIZED, "a.jpg")).json()
    seen = await server_pdq(app, chat_id, first["id"])  # re-encoding is deterministic
    far, near = await new_bank(op, "far"), await new_bank(op, "near")
    await load(op, far, [("pdq", flipped(seen, 32))])
    assert (await upload(alice, chat_id, RESIZED, "b.jpg")).status_code == 201
    await load(op, near, [("pdq", flipped(seen, 31))])
    assert refused(await upload(alice, chat_id, RESIZED, "c.jpg"))


async def test_disabled_banks_disabled_entries_and_tombstones_do_not_match(
    app: Any, http: httpx.AsyncClient, person: MakePerson
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    bank_id = await new_bank(op)
    await load(op, bank_id, [("pdq", BANK_PDQ)])
    assert refused(await upload(alice, chat_id, RESIZED))

    await op.ok("POST", f"/api/v1/banks/{bank_id}/disable")
    assert (await upload(alice, chat_id, RESIZED)).status_code == 201
    await op.ok("POST", f"/api/v1/banks/{bank_id}/enable")
    assert refused(await upload(alice, chat_id, RESIZED))

    entry = (await op.ok("GET", f"/api/v1/banks/{bank_id}/entries"))["entries"][0]
    await op.ok("POST", f"/api/v1/bank-entries/{entry['id']}/disable")
    assert (await upload(alice, chat_id, RESIZED)).status_code == 201
    await op.ok("POST", f"/api/v1/bank-entries/{entry['id']}/enable")
    assert refused(await upload(alice, chat_id, RESIZED))

    got = await load(op, bank_id, [("pdq", BANK_PDQ)], deleted=True)
    assert (got["tombstoned"], got["bank"]["entries"]) == (1, {"inactive": 1})
    assert (await upload(alice, chat_id, RESIZED)).status_code == 201


async def test_other_files_match_by_md5_or_sha256_and_tcap_tombstones_by_id(
    app: Any, http: httpx.AsyncClient, person: MakePerson
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    manifesto, video = b"%PDF-1.4 a known manifesto", b"\x00\x00\x00\x18ftypmp42 known"
    bank_id = await new_bank(op)
    page = {
        "count": 2,
        "results": [
            {
                "id": 1,
                "algorithm": "MD5",
                "hash_digest": hashlib.md5(manifesto, usedforsecurity=False).hexdigest(),
            },
            {"id": 2, "algorithm": "SHA256", "hash_digest": hashlib.sha256(video).hexdigest()},
        ],
    }
    await op.ok("POST", f"/api/v1/banks/{bank_id}/import?format=tcap", json=page)
    assert refused(await upload(alice, chat_id, manifesto, "m.pdf"))
    assert refused(await upload(alice, chat_id, video, "v.mp4"))
    assert (await upload(alice, chat_id, manifesto + b" edited", "m.pdf")).status_code == 201
    # A later page of the list deletes entry 1, naming it by its id only.
    gone = {"results": [{"id": 1, "algorithm": "MD5", "hash_digest": "0" * 32, "deleted": True}]}
    got = await op.ok("POST", f"/api/v1/banks/{bank_id}/import?format=tcap", json=gone)
    assert got["tombstoned"] == 1
    assert (await upload(alice, chat_id, manifesto, "m.pdf")).status_code == 201
    assert refused(await upload(alice, chat_id, video, "v.mp4"))


async def test_channels_are_scanned_direct_chats_are_not(
    app: Any, http: httpx.AsyncClient, person: MakePerson
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    await load(op, await new_bank(op), [("pdq", BANK_PDQ)])
    channel = await alice.ok("POST", "/api/v1/chats", json={"kind": "channel", "title": "News"})
    assert refused(await upload(alice, channel["id"], RESIZED))
    direct = await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id})
    assert (await upload(alice, direct["id"], RESIZED)).status_code == 201


async def test_an_upload_banked_before_it_is_sent_is_refused_at_send(
    app: Any, http: httpx.AsyncClient, person: MakePerson, settings: Settings
) -> None:
    op = await operator(http, app.state.ctx)
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    media = (await upload(alice, chat_id, RESIZED, "later.jpg")).json()
    await load(op, await new_bank(op), [("pdq", BANK_PDQ)])
    before = held_files(settings)
    response = await send_with(alice, chat_id, [media["id"]], text="look")
    assert refused(response), response.text
    assert len(held_files(settings) - before) == 2  # the cleaned image and its thumbnail
    assert (await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages"))["messages"] == []
    gone = await alice.call("GET", f"/api/v1/chats/{chat_id}/media/{media['id']}")
    assert gone.status_code == 404


async def test_who_may_read_and_change_banks(
    app: Any, http: httpx.AsyncClient, person: MakePerson
) -> None:
    op, alice = await operator(http, app.state.ctx), await person()
    bank_id = await new_bank(op)
    for method, path in [
        ("GET", "/api/v1/banks"),
        ("GET", f"/api/v1/banks/{bank_id}/entries"),
        ("POST", f"/api/v1/banks/{bank_id}/disable"),
    ]:
        assert (await alice.call(method, path)).status_code == 404
    listed = await op.ok("GET", "/api/v1/banks")
    assert [b["name"] for b in listed["banks"]] == ["tcap"]
    moderator = await person()
    await do_set_grant(app.state.ctx, moderator.username, Grant.MODERATOR, True)
    assert (await moderator.ok("GET", "/api/v1/banks")) == listed
    assert (await moderator.call("POST", f"/api/v1/banks/{bank_id}/disable")).status_code == 403
    duplicate = await op.call("POST", "/api/v1/banks", json={"name": "TCAP"})
    assert duplicate.status_code == 409
    bad = await op.call(
        "POST",
        f"/api/v1/banks/{bank_id}/import?format=csv",
        content=b"signal_type,value\npdq,123\n",
    )
    assert bad.status_code == 422
    assert "line 2" in bad.json()["detail"]


async def _settle(other: Any, clock: FakeClock) -> None:
    """The other node has just looked: without news it would not look again for REFRESH_MS."""
    ctx = other.state.ctx
    await ctx.matcher.refresh(ctx.db, clock.now_ms(), force=True)


async def _reaches(other: Any, bus_url: str, clock: FakeClock) -> None:
    """Until the other node may have seen a change: on Redis, the bus's announcement; on
    the memory bus (one per node: nothing crosses), its poll, REFRESH_MS later."""
    if bus_url.startswith("redis"):
        await asyncio.wait_for(other.state.ctx.matcher.announced.wait(), 10)
    else:
        clock.advance(REFRESH_MS)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # one SQLite file is one node
@pytest.mark.parametrize("bus_url", BUSES, indirect=True)
async def test_a_change_reaches_another_node_within_seconds(
    settings: Settings, app: Any, http: httpx.AsyncClient, clock: FakeClock, bus_url: str
) -> None:
    op = await operator(http, app.state.ctx)
    other = create_app(settings, clock=clock)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://colletta.test"
        ) as there,
    ):
        alice = await register_and_login(there)
        bob = await register_and_login(there)
        chat_id = await make_group(alice, bob)
        bank_id = await new_bank(op)
        await _settle(other, clock)
        await load(op, bank_id, [("pdq", BANK_PDQ)])  # on node 1
        if not bus_url.startswith("redis"):  # (on Redis the news may be there already)
            assert (await upload(alice, chat_id, RESIZED)).status_code == 201  # not yet seen
        await _reaches(other, bus_url, clock)
        assert refused(await upload(alice, chat_id, RESIZED))
        await _settle(other, clock)
        await op.ok("POST", f"/api/v1/banks/{bank_id}/disable")
        await _reaches(other, bus_url, clock)
        assert (await upload(alice, chat_id, RESIZED)).status_code == 201
