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
    # --config may follow the command as well (run elsewhere, so only --config finds it).
    after = subprocess.run(
        [*LOKET, "agents", "list", "--config", str(config)],
        cwd=tmp_path.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert after.returncode == 0 and "sanne" in after.stdout
    assert _loket(config, "agents", "passwd", "sanne", stdin="nieuw wachtwoord\n").returncode == 0
    assert _loket(config, "agents", "disable", "sanne").returncode == 0
    assert "disabled" in _loket(config, "agents", "list").stdout
    missing = _loket(config, "agents", "disable", "nobody")
    assert missing.returncode == 1 and "no agent named" in missing.stderr
    # The stored password is an argon2id hash, never the password itself.
    database = (tmp_path / "data" / "loket.db").read_bytes()
    assert b"nieuw wachtwoord" not in database and b"$argon2id$" in database


def test_agent_names_and_ports_are_checked(tmp_path: Path) -> None:
    """An empty or blank name, or a port out of range, is refused with the rule."""
    config = write_config(tmp_path)
    for name in ("", "   ", "anna de vries"):
        refused = _loket(config, "agents", "add", name, stdin="lang genoeg\n")
        assert refused.returncode == 2 and "a name is 1 to 64" in refused.stderr
    blank = _loket(config, "agents", "add", "anna", "--display-name", "  ", stdin="lang genoeg\n")
    assert blank.returncode == 2 and "display name" in blank.stderr
    named = _loket(
        config, "agents", "add", "anna", "--display-name", "Anna  de Vries", stdin="lang genoeg\n"
    )
    assert named.returncode == 0
    assert "anna\tAnna de Vries" in _loket(config, "agents", "list").stdout
    port = _loket(config, "serve", "--port", "80800")
    assert port.returncode == 2 and "a port is a number from 0 to 65535" in port.stderr
    assert "Traceback" not in port.stderr


def test_commands_outside_the_shop_folder_make_no_new_store(tmp_path: Path) -> None:
    """Run where there is no config.toml and no store, `loket agents` refuses instead of
    making an empty store there; with a store, the defaults are used and said so."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [*LOKET, "agents", "list"], cwd=elsewhere, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "no config.toml in" in run.stderr
    assert not (elsewhere / "data").exists()
    add = subprocess.run(
        [*LOKET, "agents", "add", "anna"],
        cwd=elsewhere,
        input="lang genoeg\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert add.returncode == 2 and not (elsewhere / "data").exists()
