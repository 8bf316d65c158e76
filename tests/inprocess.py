"""An in-process Loket server with an injected clock, for tests that need to move time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from loket.app import bound_port, create_app
from loket.config import Settings, load_settings
from loket.keys import SERVICES
from loket.services import Services


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningServer:
    url: str
    app: web.Application
    settings: Settings

    @property
    def services(self) -> Services:
        return self.app[SERVICES]


@contextlib.asynccontextmanager
async def running(config: Path, clock: FakeClock | None = None) -> AsyncIterator[RunningServer]:
    settings = load_settings(config)
    app = create_app(settings, clock=clock) if clock else create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield RunningServer(f"http://127.0.0.1:{bound_port(runner)}", app, settings)
    finally:
        await runner.cleanup()
