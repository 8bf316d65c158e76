"""Helpers for the browser tests: the fake shop page, Chromium's whereabouts, screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The fake shop (http://shop.test, served by Playwright's router) counts as a public
    # page, and the test server is on loopback: Chromium's Private/Local Network Access
    # checks would block the embed. Real shops and their Loket server are both public.
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
    "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults",
]
ARTIFACTS = ROOT / "test-artifacts"
# The test server allows only this origin on /shopper: pages are served under it by
# Playwright's router, while their script tag loads the real widget.js from the server.
SHOP = "http://shop.test"
PASSWORD = "correct horse battery"


def require_chromium() -> None:
    """Skip without Chromium on a developer machine; fail without it under CI."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}")
    pytest.skip(f"Chromium is not installed at {CHROMIUM}")


def shop_html(
    server_url: str, *, head: str = "", before: str = "", scripts: int = 1, lang: str = "nl"
) -> str:
    """A shop page that embeds the widget the way docs/widget.md tells shops to."""
    tags = "\n".join(
        f'<script src="{server_url}/widget.js" async></script>' for _ in range(scripts)
    )
    return f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>Testwinkel — fietstas</title>{head}</head>
<body>
<h1>Fietstas Stadsrijder</h1>
<div class="product"><p>Waterdichte fietstas, € 89,95.</p></div>
{before}
{tags}
</body>
</html>"""


async def screenshot(page: Page, name: str) -> None:
    """Keeps a picture of a state worth looking at in test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
