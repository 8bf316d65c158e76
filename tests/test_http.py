"""HTTP: health, metrics and the static bundles."""

from __future__ import annotations

import os
import re
import stat

import aiohttp

from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper


async def test_healthz_reports_the_store(server: ServerProcess) -> None:
    """/healthz answers JSON with the store's check."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["checks"]["store"]["ok"] is True


async def test_metrics_count_connections_conversations_and_messages(server: ServerProcess) -> None:
    """/metrics speaks Prometheus text and reflects live connections, states and messages."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as _, shopper(server.url) as (widget, _):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hallo"})
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    values = dict(re.findall(r"^(loket_\S+) (\S+)$", text, re.MULTILINE))
    assert values['loket_connections{namespace="shopper"}'] == "1.0"
    assert values['loket_connections{namespace="agent"}'] == "1.0"
    assert values['loket_conversations{state="assigned"}'] == "1.0"
    assert values['loket_messages_total{author="shopper"}'] == "1.0"
    assert values["loket_bot_words_alone_for_cpu_share"] == "0.0"
    assert (
        'loket_event_handling_seconds_bucket{event="message",le="0.005",namespace="shopper"}'
        in values
    )


async def test_static_bundles_and_pages_are_served(server: ServerProcess) -> None:
    """The widget, the console and the demo shop are served with safe headers."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/widget.js") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/javascript")
        async with http.get(f"{server.url}/console/") as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert "/console/console.js" in await response.text()
        async with http.get(f"{server.url}/demo/") as response:
            assert response.status == 200 and "/widget.js" in await response.text()
        async with http.get(f"{server.url}/demo/../config.toml") as response:
            assert response.status == 404


async def test_generated_secret_is_private_and_kept(tmp_path: os.PathLike[str]) -> None:
    """Without a configured secret, one is generated once, readable only by its owner."""
    from pathlib import Path

    folder = Path(tmp_path)
    config = folder / "config.toml"
    config.write_text('[server]\nport = 0\ndata_dir = "data"\n', encoding="utf-8")
    async with running(config) as live:
        secret_file = folder / "data" / "secret.key"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        first = secret_file.read_text()
        assert live.url
    async with running(config):
        assert secret_file.read_text() == first
