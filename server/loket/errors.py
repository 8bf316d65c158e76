"""Errors that reach clients as `{"ok": false, "error": {"code", "message"}}`.

LoketError                  a refusal with a stable code, safe to show to the client
  (codes are listed in docs/protocol.md)
"""

from __future__ import annotations

from typing import Any


class LoketError(Exception):
    """A refusal with a stable, documented code and a message for people."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_ack(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"ok": False, "error": error}

    def __str__(self) -> str:
        return self.message
