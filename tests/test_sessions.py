"""Device sessions: idle expiry and when they were last seen, on the fake clock."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from colletta.clock import FakeClock
from colletta.store.schema import sessions
from tests.conftest import PASSWORD, MakePerson

DAY_MS = 86_400_000
MINUTE_MS = 60_000


async def session_rows(app: Any) -> int:
    async with app.state.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(sessions)))


async def second_login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_name": "phone"},
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_session_unused_for_too_long_is_refused_and_removed(
    app: Any, http: httpx.AsyncClient, person: MakePerson, clock: FakeClock
) -> None:
    ann = await person()
    phone = await second_login(http, ann.username)
    clock.advance(20 * DAY_MS)
    assert (await http.get("/api/v1/me", headers=phone)).status_code == 200
    clock.advance(11 * DAY_MS)  # the first session: 31 days idle; the phone: 11
    assert await session_rows(app) == 2
    refused = await ann.call("GET", "/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the session expired; log in again"
    assert await session_rows(app) == 1
    listed = (await http.get("/api/v1/sessions", headers=phone)).json()["sessions"]
    assert [s["device_name"] for s in listed] == ["phone"]


async def test_a_session_in_daily_use_never_expires(
    http: httpx.AsyncClient, person: MakePerson, clock: FakeClock
) -> None:
    bea = await person()
    for _ in range(40):
        clock.advance(DAY_MS)
        await bea.ok("GET", "/api/v1/me")


async def test_idle_sessions_are_hidden_and_dropped_at_the_next_login(
    app: Any, http: httpx.AsyncClient, person: MakePerson, clock: FakeClock
) -> None:
    cid = await person()
    await second_login(http, cid.username)
    clock.advance(31 * DAY_MS)
    await second_login(http, cid.username)
    assert await session_rows(app) == 1


async def test_last_seen_moves_at_most_every_five_minutes(
    person: MakePerson, clock: FakeClock
) -> None:
    dan = await person()
    logged_in_ms = clock.now_ms()

    async def last_seen() -> int:
        listed = (await dan.ok("GET", "/api/v1/sessions"))["sessions"]
        return int(listed[0]["last_seen_at_ms"])

    assert await last_seen() == logged_in_ms
    clock.advance(MINUTE_MS)  # cached: nothing read or written
    assert await last_seen() == logged_in_ms
    clock.advance(MINUTE_MS)  # read again (the cache lasts 30 s), too soon to write
    assert await last_seen() == logged_in_ms
    clock.advance(4 * MINUTE_MS)
    assert await last_seen() == logged_in_ms + 6 * MINUTE_MS
