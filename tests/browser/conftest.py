"""Browser fixtures: Debian's Chromium under Playwright, and a fake shop embedding the widget."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, SHOP, require_chromium, shop_html
from tests.support import ServerProcess, write_config

ShopPage = Callable[..., Awaitable[Page]]
ServerWith = Callable[[str], ServerProcess]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1200, "height": 800}, locale="nl-NL")
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught exceptions in any page a test opens; tests assert it stays empty."""
    return []


async def open_shop(
    context: BrowserContext,
    server: ServerProcess,
    page_errors: list[str],
    path: str = "/fietstas",
    origin: str = SHOP,
    **options: Any,
) -> Page:
    """Opens {origin}{path} (http://shop.test, which the test server allows, unless told
    otherwise), a shop page embedding the widget of `server`."""
    html = shop_html(server.url, **options)

    async def serve(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    page = await context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    await page.route(f"{origin}/**", serve)
    await page.goto(f"{origin}{path}")
    await page.locator("loket-chat .launcher").wait_for()
    return page


@pytest.fixture
def shop_page(context: BrowserContext, server: ServerProcess, page_errors: list[str]) -> ShopPage:
    """Opens http://shop.test/ with the given page HTML options; returns the page.

    Tests list `server` before `shop_page`, so the server stops after the browser has
    closed its connections (a server with connected clients takes long to stop).
    """

    async def open_page(**options: Any) -> Page:
        return await open_shop(context, server, page_errors, **options)

    return open_page


@pytest.fixture
def server_with(tmp_path: Path, seeded_data: Path) -> Iterator[ServerWith]:
    """Starts a server whose config.toml has `extra` appended (hours, routing, invitations)."""
    started: list[ServerProcess] = []

    def start(extra: str) -> ServerProcess:
        folder = tmp_path / f"shop-{len(started)}"
        shutil.copytree(seeded_data, folder / "data")
        process = ServerProcess(write_config(folder, extra))
        started.append(process)
        process.start()
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()
