"""Typed keys for what the aiohttp application holds (no string keys)."""

from __future__ import annotations

import socketio
from aiohttp import web

from loket.config import Settings
from loket.services import Services

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
SIO = web.AppKey("sio", socketio.AsyncServer)
