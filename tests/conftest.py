"""Fixtures: a real Loket server per test, in a child process, on an ephemeral port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess, add_agent, write_config

AGENT_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def seeded_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with agents anna and bram, and admin 'admin', made once per run."""
    folder = tmp_path_factory.mktemp("seed")
    config = write_config(folder)
    add_agent(config, "anna", AGENT_PASSWORD)
    add_agent(config, "admin", AGENT_PASSWORD, admin=True)
    add_agent(config, "bram", AGENT_PASSWORD)
    return folder / "data"


@pytest.fixture
def config_path(tmp_path: Path, seeded_data: Path) -> Path:
    """A fresh config and a copy of the seeded store for one test."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    return write_config(tmp_path / "shop")


@pytest.fixture
def server(config_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(config_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()
