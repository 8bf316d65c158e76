"""The store: SQLite schema, migrations, and the only code that writes SQL."""

from loket.store.db import Database, StoreError, store_failure
from loket.store.records import (
    AgentRecord,
    CallbackRecord,
    ConversationRecord,
    LearnedRecord,
    MessageRecord,
    MissRecord,
    ShopperRecord,
)
from loket.store.repository import NewShopper, Store, run_with_store

__all__ = [
    "AgentRecord",
    "CallbackRecord",
    "ConversationRecord",
    "Database",
    "LearnedRecord",
    "MessageRecord",
    "MissRecord",
    "NewShopper",
    "ShopperRecord",
    "Store",
    "StoreError",
    "run_with_store",
    "store_failure",
]
