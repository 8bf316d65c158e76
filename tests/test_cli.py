"""The `loket agents` commands."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support import (
    LOKET,
    ServerProcess,
    add_agent,
    call,
    edit_config,
    new_client_id,
    shopper,
    write_config,
)


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
    # --init: no server ran yet to make the store.
    first = _loket(config, "agents", "add", "sanne", "--admin", "--init", stdin="lang genoeg\n")
    assert first.returncode == 0, first.stderr
    # Without --display-name shoppers read the login name: how to give another is told.
    assert "loket agents display-name sanne Sanne" in first.stdout, first.stdout
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
    renamed = _loket(config, "agents", "display-name", "sanne", "Sanne de Wit")
    assert renamed.returncode == 0 and "Sanne de Wit" in renamed.stdout
    assert "sanne\tSanne de Wit" in _loket(config, "agents", "list").stdout
    # The last admin can be neither disabled nor made an agent: nobody could manage the shop.
    for args in (("disable", "sanne"), ("role", "sanne", "agent")):
        last = _loket(config, "agents", *args)
        assert last.returncode == 1 and "is the last admin" in last.stderr, last.stderr
    assert (
        _loket(config, "agents", "add", "joost", "--admin", stdin="lang genoeg\n").returncode == 0
    )
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
        config,
        "agents",
        "add",
        "anna",
        "--init",
        "--display-name",
        "Anna  de Vries",
        stdin="lang genoeg\n",
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


def test_commands_refuse_a_data_dir_without_a_store(tmp_path: Path) -> None:
    """With a config file too, a command that works on a store refuses where there is none
    (the server would never see an agent added there), naming the data dir it looked in
    and where that came from; only `agents add --init` makes a new store."""
    config = write_config(tmp_path)
    data = tmp_path / "data"
    for command in (["agents", "add", "anna"], ["agents", "list"], ["learned", "list"]):
        refused = _loket(config, *command, stdin="lang genoeg\n")
        assert refused.returncode == 2, (command, refused.stderr)
        assert f"{config}: server.data_dir: no store in {data}" in refused.stderr
        assert "--init" in refused.stderr and "Traceback" not in refused.stderr
        assert not data.exists()
    made = _loket(config, "agents", "add", "anna", "--init", stdin="lang genoeg\n")
    assert made.returncode == 0, made.stderr
    assert "anna" in _loket(config, "agents", "list").stdout
    # A data dir from the environment (the service's, say) is no exception, and is named.
    elsewhere = tmp_path / "service-data"
    listed = subprocess.run(
        [*LOKET, "--config", str(config), "agents", "list"],
        env=dict(os.environ, LOKET_DATA_DIR=str(elsewhere)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 2
    assert f"environment variable LOKET_DATA_DIR: server.data_dir: no store in {elsewhere}" in (
        listed.stderr
    )
    assert not elsewhere.exists()


def test_serve_on_a_port_in_use_says_so_and_exits(tmp_path: Path) -> None:
    """A port already taken ends the start at once with one line, without a traceback,
    before the store is opened (a second server must not write into the first one's store)."""
    config = write_config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        process = subprocess.Popen(
            [*LOKET, "--config", str(config), "serve", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AssertionError("`loket serve` on a port in use did not exit") from None
    assert time.monotonic() - started < 10
    assert process.returncode == 1
    assert f"loket: cannot listen on 127.0.0.1:{port}: address already in use" in err
    assert "Traceback" not in err and "Loket listening" not in out
    assert not (tmp_path / "data" / "loket.db").exists()


def test_agents_passwd_says_an_agent_is_unknown_before_asking(tmp_path: Path) -> None:
    """`loket agents passwd ghost` says there is no such agent without asking for a
    password first."""
    config = write_config(tmp_path)
    add_agent(config, "anna", "lang genoeg")
    ghost = _loket(config, "agents", "passwd", "ghost", stdin="")
    assert ghost.returncode == 1 and "no agent named 'ghost'" in ghost.stderr
    assert "password" not in ghost.stderr.lower()


def test_end_of_input_at_the_password_prompt_is_one_line(tmp_path: Path) -> None:
    """Ctrl-D at the password prompt (on a terminal) ends the command with exit 1 and one
    line, not an EOFError traceback."""
    config = write_config(tmp_path)
    pid, terminal = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes `loket agents add`
        os.execv(
            sys.executable,
            [*LOKET, "--config", str(config), "agents", "add", "anna", "--init"],
        )
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child is gone
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Password:" in output:
            os.write(terminal, b"\x04")  # Ctrl-D
            answered = True
    os.close(terminal)
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert answered, text
    assert os.waitstatus_to_exitcode(status) == 1, text
    assert "no password given" in text and "Traceback" not in text


def _encoder_processes_of(server_pid: int) -> list[int]:
    """Living sentence-encoder processes started by `server_pid` (it is their last argument)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        mine = b"loket.bot.encoder_process" in argv and str(server_pid).encode() in argv[-2:]
        if mine and state != "Z":
            found.append(int(proc.name))
    return found


def test_sigterm_while_serve_starts_stops_it_in_order(tmp_path: Path) -> None:
    """SIGTERM while the server is still starting (opening its store, loading the FAQ and
    the encoder) stops it as a SIGTERM later would: exit 0, no child process left."""
    config = write_config(tmp_path)
    process = subprocess.Popen(
        [*LOKET, "--config", str(config), "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "applying store migration" in line:
                break  # the store is being opened: the server has started starting
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("`loket serve` did not stop on SIGTERM while starting") from None
    output = "".join(lines) + out
    assert process.returncode == 0, output
    assert "Loket stopping" in output and "Traceback" not in output
    assert "Loket listening" not in output
    deadline = time.monotonic() + 5
    while _encoder_processes_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _encoder_processes_of(process.pid) == []


def _serve_once(config: Path) -> subprocess.CompletedProcess[str]:
    """`loket serve` with `config`, expected to stop by itself."""
    return subprocess.run(
        [*LOKET, "--config", str(config), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _a_shopper_writes(url: str) -> None:
    async with shopper(url, auth={"locale": "nl"}) as (widget, _):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi"})


def test_a_server_started_with_another_signing_secret_refuses_to_start(tmp_path: Path) -> None:
    """Once shoppers hold tokens, a restart without LOKET_SECRET, or with another one, would
    make every shopper's browser start a new conversation: the server refuses, says why and
    how to go on, and makes no secret of its own meanwhile. With the secret used before it
    starts; a change meant is made once with --new-secret, and that secret is the store's
    from then on. Before any shopper wrote, any secret is taken."""
    config = write_config(tmp_path)
    edit_config(config, 'secret = "test-secret-0123456789abcdef"\n', "")
    key = tmp_path / "data" / "secret.key"
    tried = ServerProcess(config)
    tried.start()  # a first try, before shoppers come: a secret is made in secret.key
    tried.stop()
    assert key.exists()
    first = ServerProcess(config, env={"LOKET_SECRET": "the-first-secret-of-this-shop"})
    first.start()  # no shopper yet: the secret set now is taken
    asyncio.run(_a_shopper_writes(first.url))
    first.stop()
    key.unlink()
    bare = dict(os.environ)
    bare.pop("LOKET_SECRET", None)

    def serve(secret: str | None, *more: str) -> subprocess.CompletedProcess[str]:
        env = bare if secret is None else dict(bare, LOKET_SECRET=secret)
        return subprocess.run(
            [*LOKET, "--config", str(config), "serve", "--port", "0", *more],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )

    forgotten = serve(None)
    assert forgotten.returncode == 1, forgotten.stderr
    assert "no signing secret" in forgotten.stderr and "--new-secret" in forgotten.stderr
    assert "Traceback" not in forgotten.stderr and not key.exists()
    other = serve("another-secret-of-this-shop")
    assert other.returncode == 1, other.stderr
    assert "is not the one this store was used with" in other.stderr
    assert "another-secret" not in other.stderr  # a secret is never shown
    again = ServerProcess(config, env={"LOKET_SECRET": "the-first-secret-of-this-shop"})
    again.start()
    again.stop()
    changed = ServerProcess(
        config, env={"LOKET_SECRET": "another-secret-of-this-shop"}, args=("--new-secret",)
    )
    changed.start()
    changed.stop()
    assert any("a new signing secret" in line for line in changed.output), changed.output
    after = ServerProcess(config, env={"LOKET_SECRET": "another-secret-of-this-shop"})
    after.start()
    after.stop()
    assert serve("the-first-secret-of-this-shop").returncode == 1
    # --new-secret with the same secret changes nothing, and says so.
    same = ServerProcess(
        config, env={"LOKET_SECRET": "another-secret-of-this-shop"}, args=("--new-secret",)
    )
    same.start()
    same.stop()
    assert any("nothing changed" in line for line in same.output), same.output
    # A store from before the fingerprint was kept, with shoppers: no secret is made for it.
    database = sqlite3.connect(tmp_path / "data" / "loket.db")
    database.execute("DELETE FROM signing_secret")
    database.commit()
    database.close()
    upgraded = serve(None)
    assert upgraded.returncode == 1 and "no signing secret" in upgraded.stderr, upgraded.stderr
    assert not key.exists()


def test_a_second_server_on_one_data_folder_says_so_and_exits(tmp_path: Path) -> None:
    """Two servers on one data folder would share the store but not their conversations:
    the second one stops at once, naming the first, and the first serves on; once the first
    has stopped (or crashed) the folder is free again."""
    config = write_config(tmp_path)
    first = ServerProcess(config)
    first.start()
    try:
        second = _serve_once(config)
        assert second.returncode == 1, second.stderr
        assert "is in use by another Loket server" in second.stderr
        assert f"(process {first.process.pid if first.process else '?'})" in second.stderr
        assert "Traceback" not in second.stderr and "Loket listening" not in second.stdout
        assert first.process is not None and first.process.poll() is None
    finally:
        first.kill()
    again = ServerProcess(config)
    again.start()
    again.stop()


def test_a_second_server_on_another_s_store_says_so_and_exits(tmp_path: Path) -> None:
    """A data folder of its own is not enough: a server whose `[store] path` is another
    server's database stops at once too (both would give one conversation to two agents)."""
    first = ServerProcess(write_config(tmp_path / "a"))
    first.start()
    try:
        store = tmp_path / "a" / "data" / "loket.db"
        assert store.exists()
        config = write_config(tmp_path / "b", f'[store]\npath = "{store}"\n')
        second = _serve_once(config)
        assert second.returncode == 1, second.stderr
        assert f"the store {store} is in use by another Loket server" in second.stderr
        assert "([store] path)" in second.stderr and "Traceback" not in second.stderr
        # An erasure from that folder is refused too, naming what the server holds.
        forget = subprocess.run(
            [*LOKET, "--config", str(config), "shoppers", "forget", "--email", "x@example.com"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert forget.returncode == 1, forget.stderr
        assert f"a Loket server is running on the store {store} (process" in forget.stderr
        # Nor through a symbolic link to it, from a data folder of its own.
        linked = tmp_path / "c" / "data" / "loket.db"
        linked.parent.mkdir(parents=True)
        linked.symlink_to(store)
        third = _serve_once(write_config(tmp_path / "c"))
        assert third.returncode == 1 and "is in use by another Loket server" in third.stderr
        assert first.process is not None and first.process.poll() is None
    finally:
        first.kill()
    # A store named like the data folder's own lock file does not lock itself out.
    named = ServerProcess(write_config(tmp_path / "d", '[store]\npath = "loket"\n'))
    named.start()
    named.stop()


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`loket faq concepts | head -1`: the command ends quietly when its reader has gone."""
    config = write_config(tmp_path)
    process = subprocess.Popen(
        [*LOKET, "--config", str(config), "faq", "concepts"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    # A pipe of one page, so the listing cannot all be written before the reader goes.
    fcntl.fcntl(process.stdout.fileno(), 1031, 4096)  # F_SETPIPE_SZ
    assert process.stdout.readline()
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
