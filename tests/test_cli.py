"""The `loket agents` commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import LOKET, write_config


def _loket(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOKET, "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_agents_add_list_passwd_disable(tmp_path: Path) -> None:
    """Agents are added with a password from stdin, listed, changed and disabled."""
    config = write_config(tmp_path)
    assert (
        _loket(config, "agents", "add", "sanne", "--admin", stdin="lang genoeg\n").returncode == 0
    )
    duplicate = _loket(config, "agents", "add", "sanne", stdin="lang genoeg\n")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    short = _loket(config, "agents", "add", "piet", stdin="kort\n")
    assert short.returncode != 0 and "at least 8" in short.stderr
    listed = _loket(config, "agents", "list")
    assert "sanne" in listed.stdout and "admin" in listed.stdout
    assert _loket(config, "agents", "passwd", "sanne", stdin="nieuw wachtwoord\n").returncode == 0
    assert _loket(config, "agents", "disable", "sanne").returncode == 0
    assert "disabled" in _loket(config, "agents", "list").stdout
    missing = _loket(config, "agents", "disable", "nobody")
    assert missing.returncode == 1 and "no agent named" in missing.stderr
    # The stored password is an argon2id hash, never the password itself.
    database = (tmp_path / "data" / "loket.db").read_bytes()
    assert b"nieuw wachtwoord" not in database and b"$argon2id$" in database
