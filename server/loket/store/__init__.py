"""The store: SQLite schema, migrations, and the only code that writes SQL."""

from loket.store.db import Database, StoreError
from loket.store.records import (
    AgentRecord,
    ConversationRecord,
    MessageRecord,
    ShopperRecord,
)
from loket.store.repository import Store

__all__ = [
    "AgentRecord",
    "ConversationRecord",
    "Database",
    "MessageRecord",
    "ShopperRecord",
    "Store",
    "StoreError",
]
