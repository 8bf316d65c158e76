"""Who is who: agent login and sessions, visitor tokens, shop-vouched customers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from loket.auth import DeviceCookies, customer_signature
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import FakeClock, running
from tests.support import (
    ServerProcess,
    agent,
    call,
    edit_config,
    login,
    new_client_id,
    run_loket,
    shopper,
)

SHOP_SECRET = "shop-secret-0123456789abcdef"


async def _post(url: str, body: Any, **kwargs: Any) -> tuple[int, dict[str, Any], Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, **kwargs) as response:
        return response.status, await response.json(), response


async def test_wrong_password_and_unknown_agent_get_the_same_refusal(server: ServerProcess) -> None:
    """A wrong password and an unknown name are refused alike, so names cannot be probed."""
    wrong = await _post(f"{server.url}/api/login", {"name": "anna", "password": "nope nope"})
    unknown = await _post(f"{server.url}/api/login", {"name": "nobody", "password": "nope nope"})
    for status, body, _ in (wrong, unknown):
        assert status == 401
        assert body["error"]["code"] == "invalid_credentials"
    assert wrong[1] == unknown[1]


async def test_login_sets_an_httponly_cookie_usable_by_the_agent_namespace(
    server: ServerProcess,
) -> None:
    """Login returns a token and an HttpOnly SameSite cookie; logout ends the session."""
    # unsafe=True: keep cookies for a bare IP address, as browsers do.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{server.url}/api/login", json={"name": "admin", "password": AGENT_PASSWORD}
        ) as response:
            body = await response.json()
            assert response.status == 200 and body["agent"]["is_admin"] is True
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        async with http.get(f"{server.url}/api/me") as response:
            assert response.status == 200
            assert (await response.json())["agent"]["name"] == "admin"
        async with agent(server.url, body["token"]) as (desk, _):
            assert (await call(desk, "/agent", "sync"))["agent"]["name"] == "admin"
        async with http.post(f"{server.url}/api/logout") as response:
            assert response.status == 200
        async with http.get(
            f"{server.url}/api/me", headers={"Authorization": f"Bearer {body['token']}"}
        ) as response:
            assert response.status == 401
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url,
            namespaces=["/agent"],
            transports=["websocket"],
            auth={"token": body["token"]},
        )


async def test_login_attempts_are_rate_limited(server: ServerProcess) -> None:
    """After ten attempts in a minute further logins are refused with 429, even a right one."""
    statuses = []
    for _ in range(11):
        status, _, _ = await _post(
            f"{server.url}/api/login", {"name": "bram", "password": "guess guess"}
        )
        statuses.append(status)
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    status, body, response = await _post(
        f"{server.url}/api/login", {"name": "bram", "password": AGENT_PASSWORD}
    )
    assert status == 429 and body["error"]["code"] == "rate_limited"
    # The message says the same wait as the header.
    seconds = int(response.headers["Retry-After"])
    assert seconds >= 1
    assert body["error"]["message"].endswith(
        "in a second." if seconds == 1 else f"in {seconds} seconds."
    )
    # The log tells each failure, and the refusals once a minute, for an admin or a blocker.
    await asyncio.sleep(0.2)
    failed = [line for line in server.output if "login failed from 127.0.0.1 for 'bram'" in line]
    limited = [line for line in server.output if "login attempts from 127.0.0.1 over" in line]
    assert len(failed) == 10 and len(limited) == 1, server.output[-5:]


def _behind_a_proxy(config: Path) -> Path:
    """The config, with `server.trust_proxy` on."""
    config.write_text(config.read_text().replace("[server]\n", "[server]\ntrust_proxy = true\n"))
    return config


async def test_behind_a_proxy_the_address_it_adds_is_counted(config_path: Path) -> None:
    """Behind a trusted proxy the login limit counts the address the proxy put last in
    X-Forwarded-For: addresses the client wrote before it change nothing."""
    async with running(_behind_a_proxy(config_path)) as live:
        statuses = []
        for attempt in range(11):
            forwarded = {"X-Forwarded-For": f"10.0.{attempt}.1, 203.0.113.7"}
            status, _, _ = await _post(
                f"{live.url}/api/login",
                {"name": f"nobody{attempt}", "password": "guess guess"},
                headers=forwarded,
            )
            statuses.append(status)
        assert statuses[:10] == [401] * 10 and statuses[10] == 429
        other = {"X-Forwarded-For": "203.0.113.7, 198.51.100.4"}
        status, _, _ = await _post(
            f"{live.url}/api/login", {"name": "nobody", "password": "guess"}, headers=other
        )
        assert status == 401


def _flags(cookie: str) -> list[str]:
    return [part.strip().lower() for part in cookie.split(";")]


async def test_behind_a_tls_proxy_the_session_cookie_is_secure(config_path: Path) -> None:
    """A trusted proxy that says the browser came over HTTPS (X-Forwarded-Proto) gets a Secure
    session cookie; without the header, or from a proxy Loket is not told to trust, the
    cookie is as the connection is (plain HTTP here)."""
    https = {"X-Forwarded-Proto": "https"}
    body = {"name": "anna", "password": AGENT_PASSWORD}
    async with running(config_path) as live:
        _, _, response = await _post(f"{live.url}/api/login", body, headers=https)
        assert "secure" not in _flags(response.headers["Set-Cookie"])
    async with running(_behind_a_proxy(config_path)) as live:
        _, _, response = await _post(f"{live.url}/api/login", body, headers=https)
        assert "secure" in _flags(response.headers["Set-Cookie"])
        _, _, response = await _post(f"{live.url}/api/login", body)
        assert "secure" not in _flags(response.headers["Set-Cookie"])


async def test_malformed_login_requests(server: ServerProcess) -> None:
    """Login without JSON, or with wrong field types, gets a clear 400."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/api/login", data="name=anna") as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_payload"
    status, body, _ = await _post(f"{server.url}/api/login", {"name": ["anna"], "password": 1})
    assert status == 400 and body["error"]["code"] == "invalid_payload"


async def test_expired_session_is_refused(config_path: Path) -> None:
    """A session past its lifetime cannot connect, and a connected console is told and dropped."""
    clock = FakeClock()
    async with running(config_path, clock) as live:
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _):
            assert (await call(desk, "/agent", "sync"))["ok"]
            clock.advance(13 * 3600)
            ack = await call(desk, "/agent", "sync")
            assert ack["error"]["code"] == "session_expired"
        refusals: list[Any] = []
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", refusals.append, namespace="/agent")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                live.url, namespaces=["/agent"], transports=["websocket"], auth={"token": token}
            )
        assert refusals[0]["data"]["code"] == "session_expired"
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{live.url}/api/me", headers={"Authorization": f"Bearer {token}"}
            ) as response,
        ):
            assert response.status == 401
            assert (await response.json())["error"]["code"] == "session_expired"


def _claim(customer_id: str, secret: str = SHOP_SECRET, **extra: Any) -> dict[str, Any]:
    return {"id": customer_id, "signature": customer_signature(secret, customer_id), **extra}


async def test_vouched_customer_finds_history_on_another_device(server: ServerProcess) -> None:
    """A customer the shop vouches for sees the same conversation on a second device."""
    async with shopper(server.url, auth={"customer": _claim("cust-1", name="Sanne")}) as (phone, _):
        synced = await call(phone, "/shopper", "sync")
        assert synced["identity"] == "verified"
        await call(
            phone, "/shopper", "message", {"client_id": new_client_id(), "text": "op mijn telefoon"}
        )
    async with shopper(server.url, auth={"customer": _claim("cust-1")}) as (laptop, _):
        synced = await call(laptop, "/shopper", "sync")
        texts = [m["text"] for m in synced["messages"] if m["author"] == "shopper"]
        assert texts == ["op mijn telefoon"]


async def test_wrong_signature_never_opens_a_customers_history(server: ServerProcess) -> None:
    """A claim with a wrong HMAC is ignored: the visitor is anonymous and sees no history."""
    async with shopper(server.url, auth={"customer": _claim("cust-2")}) as (owner, _):
        await call(
            owner, "/shopper", "message", {"client_id": new_client_id(), "text": "mijn adres"}
        )
    forged = _claim("cust-2", secret="not-the-shop-secret-at-all")
    async with shopper(server.url, auth={"customer": forged}) as (attacker, _):
        synced = await call(attacker, "/shopper", "sync")
        assert synced["identity"] == "rejected"
        assert synced["conversation"] is None and synced["messages"] == []


async def test_a_claim_without_a_shop_secret_says_the_secret_is_missing(
    config_path: Path,
) -> None:
    """With no shop secret set (an environment variable that did not reach the service),
    every claim is rejected, and the log says that the secret is missing, not that the
    shop's signature is wrong."""
    edit_config(config_path, 'shop_secret = "', "# {old}")
    process = ServerProcess(config_path)
    process.start()
    try:
        async with shopper(process.url, auth={"customer": _claim("cust-9")}) as (widget, _):
            synced = await call(widget, "/shopper", "sync")
            assert synced["identity"] == "rejected"
    finally:
        process.stop()
    told = [line for line in process.output if "cust-9" in line]
    assert len(told) == 1 and "no shop secret is set" in told[0], told


async def test_claims_that_expire_stop_opening_the_history_when_they_do(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With `security.customer_claims_expire`, a claim carries `expires`, signed with the
    id: before it, the customer's history opens; after it, or without it, or signed over
    the id alone (a copied claim of old), the visitor is anonymous and the log says why."""
    edit_config(config_path, 'shop_secret = "', "customer_claims_expire = true\n{old}")
    clock = FakeClock()
    now = int(clock.now)

    def claim(expires: int | None, signed: int | None = None) -> dict[str, Any]:
        signature = customer_signature(SHOP_SECRET, "cust-7", signed)
        return {"id": "cust-7", "signature": signature, "expires": expires}

    async with running(config_path, clock) as live:
        async with shopper(live.url, auth={"customer": claim(now + 3600, now + 3600)}) as (
            widget,
            _,
        ):
            assert (await call(widget, "/shopper", "sync"))["identity"] == "verified"
            text = {"client_id": new_client_id(), "text": "mijn bestelling 4411"}
            assert (await call(widget, "/shopper", "message", text))["ok"]
        refused = [
            claim(now + 3600),  # signed over the id alone
            {**claim(None), "signature": customer_signature(SHOP_SECRET, "cust-7")},
            claim(now + 3600, now + 7200),  # the time changed after signing
            claim(now * 1000, now * 1000),  # in milliseconds: for thousands of years
        ]
        clock.advance(3601)
        refused.append(claim(now + 3600, now + 3600))  # past its time
        for sent in refused:
            async with shopper(live.url, auth={"customer": sent}) as (widget, _):
                synced = await call(widget, "/shopper", "sync")
                assert synced["identity"] == "rejected", sent
                assert synced["messages"] == []
    said = [r.getMessage() for r in caplog.records if "cust-7" in r.getMessage()]
    assert any("has no 'expires'" in line for line in said), said
    assert any("expired at" in line for line in said), said
    assert any("not milliseconds" in line for line in said), said


async def test_without_expiring_claims_a_claim_signed_with_its_time_is_told_apart(
    server: ServerProcess,
) -> None:
    """A shop that signs `<id>:<expires>` while `customer_claims_expire` is off gets a
    wrong signature, and the log says which setting its claims need."""
    signed = customer_signature(SHOP_SECRET, "cust-8", 2_000_000_000)
    sent = {"id": "cust-8", "signature": signed, "expires": 2_000_000_000}
    async with shopper(server.url, auth={"customer": sent}) as (widget, _):
        assert (await call(widget, "/shopper", "sync"))["identity"] == "rejected"
    await asyncio.sleep(0.2)
    told = [line for line in server.output if "cust-8" in line]
    assert told and "security.customer_claims_expire = true" in told[0], told


async def test_customer_token_without_a_claim_starts_anonymously(server: ServerProcess) -> None:
    """After logging out of the shop, the browser's token no longer opens the customer's history."""
    async with shopper(server.url, auth={"customer": _claim("cust-3")}) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "privé"})
    async with shopper(server.url, auth={"token": token}) as (widget, _):
        synced = await call(widget, "/shopper", "sync")
        assert synced["identity"] == "anonymous" and synced["messages"] == []
        assert synced["token"] != token


async def test_agent_console_of_another_origin_is_refused(server: ServerProcess) -> None:
    """A browser page of another site cannot use an agent's cookie to open the agent namespace."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    refusals: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", refusals.append, namespace="/agent")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url,
            namespaces=["/agent"],
            transports=["websocket"],
            headers={"Origin": "https://evil.example", "Cookie": f"loket_session={token}"},
        )
    assert refusals[0]["data"]["code"] == "origin_not_allowed"


async def test_a_disabled_agent_is_told_so_only_with_their_own_password(
    server: ServerProcess, config_path: Path
) -> None:
    """A disabled agent who logs in with their password is told the account is disabled
    (403 `account_disabled`); with another password they get what anyone gets."""
    code, _, err = await run_loket(config_path, "agents", "disable", "bram")
    assert code == 0, err
    async with aiohttp.ClientSession() as http:
        for password, status, error in (
            (AGENT_PASSWORD, 403, "account_disabled"),
            ("not the password", 401, "invalid_credentials"),
        ):
            async with http.post(
                f"{server.url}/api/login", json={"name": "bram", "password": password}
            ) as response:
                body = await response.json()
                assert (response.status, body["error"]["code"]) == (status, error), body
                said = body["error"]["message"]
                assert ("disabled" in said) == (error == "account_disabled"), said


@pytest.mark.parametrize("command", ["disable", "passwd"])
async def test_agents_command_ends_live_console_connections(
    server: ServerProcess, config_path: Path, command: str
) -> None:
    """Disabling an agent, or giving them a new password, with `loket agents` (another
    process) ends their open console connections within seconds; reconnecting is refused."""
    token = await login(server.url, "bram", AGENT_PASSWORD)
    other = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _), agent(server.url, other) as (colleague, _):
        assert (await call(desk, "/agent", "sync"))["ok"]
        stdin = "a brand new password\n" if command == "passwd" else ""
        code, _, err = await run_loket(config_path, "agents", command, "bram", stdin=stdin)
        assert code == 0, err
        for _ in range(100):
            if not desk.connected:
                break
            await asyncio.sleep(0.1)
        assert not desk.connected, "the console connection stayed open"
        # Anna's session is not touched.
        assert colleague.connected and (await call(colleague, "/agent", "sync"))["ok"]
    refused = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
        await refused.connect(
            server.url, namespaces=["/agent"], transports=["websocket"], auth={"token": token}
        )


async def test_wrong_guesses_for_a_name_keep_out_nobody_who_logged_in_from_that_browser(
    config_path: Path,
) -> None:
    """Anyone can send wrong passwords for an agent's name. They hold the name back from
    other browsers, but the agent's own browser (one that logged in as them before, and
    holds a device cookie for them) still gets in; right passwords never count. A browser
    two agents share keeps a cookie for each. (The limiter's clock stands still: a slow
    machine would otherwise give a count back between the guesses and the checks.)"""
    async with running(_behind_a_proxy(config_path), FakeClock()) as live:
        store = live.services.store
        agents = {name: await store.agent_by_name(name) for name in ("bram", "anna")}

        def cookie(name: str) -> str:
            found = agents[name]
            assert found is not None
            return DeviceCookies.cookie_name(found)

        url = f"{live.url}/api/login"
        right = {"name": "bram", "password": AGENT_PASSWORD}
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as own:
            # Twelve right logins in a row, more than the limit of ten: none counted.
            for attempt in range(12):
                headers = {"X-Forwarded-For": f"198.51.100.{attempt}"}
                async with own.post(url, json=right, headers=headers) as response:
                    assert response.status == 200, attempt
                    device = response.cookies[cookie("bram")]
                    assert device["path"] == "/" and device["httponly"]
            # anna logs in from the same browser: bram's cookie stays beside hers.
            anna = {"name": "anna", "password": AGENT_PASSWORD}
            async with own.post(url, json=anna, headers=headers) as response:
                assert response.status == 200
            # Someone else guesses from ten addresses: the names are held back.
            for who in ("Bram", "anna"):
                for attempt in range(10):
                    guess = {"name": who, "password": f"guess {attempt}"}
                    forwarded = {"X-Forwarded-For": f"203.0.113.{attempt}"}
                    status, _, _ = await _post(url, guess, headers=forwarded)
                    assert status == 401
            status, body, _ = await _post(url, right, headers={"X-Forwarded-For": "192.0.2.9"})
            assert status == 429 and body["error"]["code"] == "rate_limited"
            # The browser they share, from a fresh address, lets both in, and keeps its id.
            before = {c.key: c.value for c in jar}
            headers = {"X-Forwarded-For": "192.0.2.10"}
            for sent in (right, anna):
                async with own.post(url, json=sent, headers=headers) as response:
                    assert response.status == 200, sent
            kept = {c.key: c.value for c in jar}
            devices = live.services.device_cookies
            bram = agents["bram"]
            assert bram is not None
            assert devices.browser_of(kept, bram) == devices.browser_of(before, bram)
        # A cookie for another name, or one the server did not sign, counts as none; so do
        # copies of a real one written otherwise: one browser is one count, however many.
        bram_s = kept[cookie("bram")]
        for sent in (
            f"{cookie('bram')}={kept[cookie('anna')]}",
            f"{cookie('bram')}=bram.forged.x",
        ):
            status, _, _ = await _post(
                url, right, headers={"X-Forwarded-For": "192.0.2.11", "Cookie": sent}
            )
            assert status == 429, sent
        for attempt in range(10):
            status, _, _ = await _post(
                url,
                {**right, "password": f"guess {attempt}"},
                headers={
                    "X-Forwarded-For": f"192.0.2.{20 + attempt}",
                    "Cookie": f"{cookie('bram')}={bram_s}" + "=" * (attempt % 2),
                },
            )
            assert status == 401, attempt
        status, _, _ = await _post(
            url,
            right,
            headers={"X-Forwarded-For": "192.0.2.40", "Cookie": f"{cookie('bram')}={bram_s}="},
        )
        assert status == 429


async def test_a_new_password_makes_an_agent_s_device_cookies_count_for_nothing(
    config_path: Path,
) -> None:
    """A browser's device cookie holds a tag of the agent's password: after a new password
    (a leaked one replaced) it no longer buys a count of its own. Names with letters past
    ASCII log in again and again from the same browser."""
    async with running(config_path) as live:
        auth, store = live.services.agent_auth, live.services.store
        secret = "lang genoeg wachtwoord"
        jurgen = await store.add_agent(
            "jürgen", "Jürgen", await auth.hash_password(secret), is_admin=False, now=0
        )
        url = f"{live.url}/api/login"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as own:
            for _ in range(2):
                async with own.post(url, json={"name": "jürgen", "password": secret}) as answer:
                    assert answer.status == 200
            kept = {c.key: c.value for c in own.cookie_jar}
        devices = live.services.device_cookies
        assert devices.browser_of(kept, jurgen) is not None
        await store.update_agent(jurgen.id, password_hash=await auth.hash_password("nieuw!" * 4))
        renewed = await store.agent_by_name("jürgen")
        assert renewed is not None and devices.browser_of(kept, renewed) is None


async def test_another_origin_cannot_post_to_the_api(server: ServerProcess) -> None:
    """A form on another site, or on another port of the same host (which a SameSite cookie
    does not keep out), cannot log an agent out or log in; the console's own pages can."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    bearer = {"Authorization": f"Bearer {token}"}
    other_port = server.url.rsplit(":", 1)[0] + ":1"
    # As browsers send it: a page of another origin (a browser too old to say where the
    # page is gives only its origin).
    for sent in (
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": other_port, "Sec-Fetch-Site": "same-site"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": other_port},
        {"Sec-Fetch-Site": "same-site"},
    ):
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/api/logout",
                data="x=1",
                headers={**bearer, **sent, "Content-Type": "text/plain"},
            ) as response:
                assert response.status == 403
                body = await response.json()
                assert body["error"]["code"] == "origin_not_allowed", sent
            async with http.get(f"{server.url}/api/me", headers=bearer) as response:
                assert response.status == 200, sent
    status, _, _ = await _post(
        f"{server.url}/api/login",
        {"name": "anna", "password": AGENT_PASSWORD},
        headers={"Origin": "http://evil.example"},
    )
    assert status == 403
    # The console's own page, also through a proxy that does not pass the Host header on
    # (the browser's word for where the page is counts first).
    status, _, _ = await _post(
        f"{server.url}/api/login",
        {"name": "anna", "password": AGENT_PASSWORD},
        headers={"Origin": "https://chat.shop.example", "Sec-Fetch-Site": "same-origin"},
    )
    assert status == 200
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/logout", headers={**bearer, "Origin": server.url}
        ) as response:
            assert response.status == 200
        async with http.get(f"{server.url}/api/me", headers=bearer) as response:
            assert response.status == 401
