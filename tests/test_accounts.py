"""Accounts as a user sees them through the HTTP API."""

from __future__ import annotations

import httpx
import pytest

from colletta.config import Settings
from tests.conftest import PASSWORD, MakePerson


async def test_register_login_me(http: httpx.AsyncClient, person: MakePerson) -> None:
    alice = await person("Alice_1")
    me = await alice.ok("GET", "/api/v1/me")
    assert me["username"] == "alice_1"
    assert me["display_name"] == "alice_1"
    assert me["is_operator"] is False


async def test_usernames_are_case_insensitive_and_unique(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    await person("carol")
    response = await http.post(
        "/api/v1/auth/register", json={"username": "CAROL", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/conflict")


@pytest.mark.parametrize(
    ("username", "password"),
    [("ab", PASSWORD), ("a" * 33, PASSWORD), ("bad-name", PASSWORD), ("fine_name", "short")],
)
async def test_register_rejects_bad_input(
    http: httpx.AsyncClient, username: str, password: str
) -> None:
    response = await http.post(
        "/api/v1/auth/register", json={"username": username, "password": password}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invalid_input")
    assert password not in response.text


async def test_wrong_password_and_unknown_user_look_the_same(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    await person("dave")
    wrong = await http.post("/api/v1/auth/login", json={"username": "dave", "password": "x" * 12})
    unknown = await http.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_logout_revokes_the_token(person: MakePerson) -> None:
    erin = await person()
    await erin.ok("POST", "/api/v1/auth/logout")
    assert (await erin.call("GET", "/api/v1/me")).status_code == 401


async def test_sessions_listed_and_revocable(http: httpx.AsyncClient, person: MakePerson) -> None:
    frank = await person()
    second = await http.post(
        "/api/v1/auth/login",
        json={"username": frank.username, "password": PASSWORD, "device_name": "phone"},
    )
    other_token = second.json()["token"]
    sessions = (await frank.ok("GET", "/api/v1/sessions"))["sessions"]
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    phone = next(s for s in sessions if s["device_name"] == "phone")
    await frank.ok("DELETE", f"/api/v1/sessions/{phone['id']}")
    gone = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"})
    assert gone.status_code == 401
    assert (await frank.call("DELETE", f"/api/v1/sessions/{phone['id']}")).status_code == 404


async def test_change_password_revokes_other_sessions(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    gina = await person()
    other = await http.post(
        "/api/v1/auth/login", json={"username": gina.username, "password": PASSWORD}
    )
    other_auth = {"Authorization": f"Bearer {other.json()['token']}"}
    wrong = await gina.call(
        "POST",
        "/api/v1/auth/password",
        json={"old_password": "not the one", "new_password": "a new long password"},
    )
    assert wrong.status_code == 422
    await gina.ok(
        "POST",
        "/api/v1/auth/password",
        json={"old_password": PASSWORD, "new_password": "a new long password"},
    )
    assert (await http.get("/api/v1/me", headers=other_auth)).status_code == 401
    assert (await gina.call("GET", "/api/v1/me")).status_code == 200
    relogin = await http.post(
        "/api/v1/auth/login", json={"username": gina.username, "password": "a new long password"}
    )
    assert relogin.status_code == 200


async def test_profile_and_search(person: MakePerson) -> None:
    hana = await person("hana_search")
    await person("hanako")
    await person("zed")
    me = await hana.ok("PATCH", "/api/v1/me", json={"display_name": "Hana  K", "bio": "hi"})
    assert (me["display_name"], me["bio"]) == ("Hana K", "hi")
    found = await hana.ok("GET", "/api/v1/users", params={"prefix": "HAN"})
    assert [u["username"] for u in found["users"]] == ["hana_search", "hanako"]
    wildcard = await hana.ok("GET", "/api/v1/users", params={"prefix": "%"})
    assert wildcard["users"] == []


async def test_unauthenticated_calls_are_refused(http: httpx.AsyncClient) -> None:
    for path in ("/api/v1/me", "/api/v1/chats", "/api/v1/sessions"):
        response = await http.get(path)
        assert response.status_code == 401
        assert response.json()["type"].endswith("/unauthenticated")
    bad = await http.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


async def test_login_is_rate_limited_per_address(db_url: str, tmp_path: object) -> None:
    """Every username counts against one address's budget (tests/test_login_limits.py has
    the per-(username, address) and per-username budgets)."""
    from colletta.app import create_app

    settings = Settings(
        database_url=db_url, data_dir=tmp_path, login_rate="3/minute", log_level="warning"
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            codes = [
                (
                    await client.post(
                        "/api/v1/auth/login", json={"username": f"ivan{i}", "password": "x" * 12}
                    )
                ).status_code
                for i in range(4)
            ]
            assert codes == [401, 401, 401, 429]
            limited = await client.post(
                "/api/v1/auth/login", json={"username": "ivan", "password": "x" * 12}
            )
            assert int(limited.headers["retry-after"]) >= 1
            assert limited.json()["type"].endswith("/rate_limited")
