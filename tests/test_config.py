"""Settings: config.toml errors name the file, the key and the reason; overrides apply."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from loket.bot.matcher import Matcher
from loket.config import ConfigError, load_settings, parse_settings, with_overrides
from tests.support import LOKET, ROOT, ServerProcess, add_agent, write_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_loads() -> None:
    """The demo config.toml in the repository is valid."""
    settings = load_settings(ROOT / "config.toml", env={})
    assert settings.server.port == 8080
    assert settings.server.data_dir == ROOT / "data"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b'[server]\nhost = "127.0.0.1\n',
            ":2: TOML syntax: a quote opened on this line is not closed on it"
            ' (the line reads: host = "127.0.0.1)',
        ),
        (
            b"[server]\nport = 8080\nport = 8081\n",
            ":3: TOML syntax: this key is given twice (or a table and a key share a name)",
        ),
        (
            b"[server]\nhost = localhost\n",
            ":2: TOML syntax: a value must be text in quotes, a number, true or false, or a list",
        ),
        (b'[bot]\nfaq_dir = "f\xf3o"\n', ":2: not UTF-8 text (byte 0xf3); save the file as UTF-8"),
        # A byte-order mark, as some editors save UTF-8, is no mistake: line 3 is.
        (
            b"\xef\xbb\xbf[server]\nport = 8080\nport = 1\n",
            ":3: TOML syntax: this key is given twice",
        ),
    ],
)
def test_a_file_that_is_no_toml_is_told_by_line_in_plain_words(
    tmp_path: Path, raw: bytes, expected: str
) -> None:
    """A syntax mistake names the file, the line and what is wrong in words a shop admin
    knows (not the parser's "Illegal character"); a file in another encoding too, without a
    traceback."""
    path = tmp_path / "config.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}{expected}"), str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[server]\nprot = 8080\n", "server.prot: unknown key (did you mean 'port'?)"),
        ('[server]\nport = "eighty"\n', "server.port: should be a whole number (got 'eighty')"),
        # Text that pydantic would convert is a mistake in TOML, which has numbers and booleans.
        ('[server]\nport = "18093"\n', "server.port: should be a whole number (got '18093')"),
        ('[bot]\nsemantic = "off"\n', "bot.semantic: should be true or false (got 'off')"),
        ("[bot]\nsemantic = 0\n", "bot.semantic: should be true or false (got 0)"),
        ('[limits]\nevents_per_second = "5"\n', "limits.events_per_second: should be a number"),
        ("[server]\nport = 70000\n", "server.port: Input should be less than or equal to 65535"),
        ("[limits]\nmax_message_chars = 0\n", "limits.max_message_chars"),
        ('[server]\nallowed_origins = ["shop.example"]\n', "is not an origin"),
        ('[server]\nallowed_origins = ["https://a@shop.example"]\n', "is not an origin"),
        # As copied from the address bar; and every wrong one at once.
        (
            '[server]\nallowed_origins = ["https://shop.example/", "https://ok.example", "x"]\n',
            "server.allowed_origins: 'https://shop.example/' ends in '/': write"
            " 'https://shop.example'; 'x' is not an origin like 'https://shop.example'",
        ),
        ('[server]\nallowed_origins = ["https://shop.example/nl"]\n', "has a path"),
        (
            "[routing]\nmax_conversation_per_agent = 2\n",
            "routing.max_conversation_per_agent: unknown key (did you mean"
            " 'max_conversations_per_agent'?)",
        ),
        ("[srever]\nport = 8080\n", "srever: unknown key (did you mean 'server'?)"),
        # Keys of a list of tables, and every known key as close as the closest.
        (
            '[[widget.invitations]]\npath = "/"\ntext_es = "Hola"\n',
            "widget.invitations.0.text_es: unknown key (did you mean 'text_en' or 'text_de'?)",
        ),
        (
            '[[invitations]]\npath = "/"\ntext_nl = "Hoi"\n',
            "invitations: unknown key (did you mean 'widget.invitations'?)",
        ),
        ('secret = "0123456789abcdef0"\n', "secret: unknown key (did you mean 'security.secret'?)"),
        (
            'allowed_origin = ["https://shop.example"]\n',
            "allowed_origin: unknown key (did you mean 'server.allowed_origins'?)",
        ),
        # A key under another section's header (a `[routing]` line forgotten).
        (
            "[hours]\ndisconnect_grace_seconds = 5\n",
            "hours.disconnect_grace_seconds: unknown key (it belongs in [routing]: did you mean"
            " 'routing.disconnect_grace_seconds'?)",
        ),
        ('[security]\nsecret = "short"\n', "security.secret: must be at least 16 characters"),
        ('[redis]\nurl = "notaurl"\n', "redis.url: must be a Redis URL like"),
        ('[redis]\nurl = "redis://localhost:port/0"\n', "redis.url: must be a Redis URL: port"),
        ('[hours.open]\n"2026-12-24 " = ["10:00-16:00"]\n', "hours.open: '2026-12-24 ' has spaces"),
        ("[server\nport = 1\n", "config.toml:1: TOML syntax: Expected"),
        (
            '[server]\nallowed_origins = "https://shop.example"\n',
            'server.allowed_origins: must be a list in brackets: ["https://shop.example",',
        ),
        (
            '[bot]\ndefault_language = "Dutch"\n',
            "bot.default_language: must be a language code of two or three small letters",
        ),
        ('[redis]\nchannel = "my shop"\n', "redis.channel: may hold letters, digits and"),
        (
            "[store]\nkeep_days = 1\n[limits]\nreopen_hours = 48\n",
            "store.keep_days (1) is shorter than limits.reopen_hours (48)",
        ),
        (
            "[limits]\nmax_message_chars = 100000\n",
            "limits: max_packet_bytes (65536) is too small for messages of max_message_chars"
            " (100000) characters: set it to 401024 or more",
        ),
        (
            '[[widget.invitations]]\npath = "/checkout*"\n',
            "widget.invitations.0: give the invitation's text: text_nl, text_en, text_de or"
            " text_fr",
        ),
        (
            '[[widget.invitations]]\npath = "checkout*"\ntext_en = "Help?"\n',
            "widget.invitations.0.path: path 'checkout*' must begin with '/' (or '*')",
        ),
    ],
)
def test_bad_settings_name_file_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    """Each kind of mistake stops loading with a message naming the file and the key."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert str(path) in message and expected in message
    # Each key's mistake is told once, in one set of words.
    keys = [line.split(": ")[1] for line in message.splitlines() if line.count(": ") >= 2]
    assert len(keys) == len(set(keys)), message


def test_origins_are_compared_as_browsers_send_them(tmp_path: Path) -> None:
    """An origin written with a capital, the default port or an international name is kept
    as a browser's Origin header spells it, so it matches that header."""
    path = _write(
        tmp_path,
        '[server]\nallowed_origins = ["https://WWW.Shop.example:443", "http://shop.example:8080",'
        ' "http://localhost:80", "https://bücher.example", "HTTPS://fußball-shop.de",'
        ' "http://[0:0:0:0:0:0:0:1]:8000"]\n',
    )
    assert load_settings(path, env={}).server.allowed_origins == (
        "https://www.shop.example",
        "http://shop.example:8080",
        "http://localhost",
        "https://xn--bcher-kva.example",
        "https://xn--fuball-shop-w6a.de",  # as browsers write it (UTS #46), not "fussball"
        "http://[::1]:8000",
    )


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    """LOKET_SECRET and friends override the file, so secrets need not be written down."""
    path = _write(tmp_path, "[security]\nsecret = 'from-the-file-0123456789'\n")
    settings = load_settings(
        path, env={"LOKET_SECRET": "from-the-environment-0123", "LOKET_REDIS_URL": "redis://x"}
    )
    assert settings.security.secret == "from-the-environment-0123"
    assert settings.redis.url == "redis://x"


def test_a_named_missing_file_is_an_error(tmp_path: Path) -> None:
    """Asking for a config file that does not exist is an error, not a silent default."""
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml", env={})


def test_host_and_port_overrides(tmp_path: Path) -> None:
    """--host and --port replace the configured values."""
    settings = with_overrides(load_settings(_write(tmp_path, ""), env={}), host="0.0.0.0", port=9)
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[server]\nport = -1\n", "server.port"),
        ('[bot]\nfaq_dir = "no-such-folder"\n', "bot.faq_dir: no such folder"),
    ],
)
def test_serve_with_a_broken_config_exits_with_the_reason(
    tmp_path: Path, text: str, expected: str
) -> None:
    """`loket serve` with a bad config prints the error and exits 2 instead of a traceback;
    so does a mistyped FAQ folder (the bot would otherwise start with nothing to answer)."""
    path = _write(tmp_path, text)
    result = subprocess.run(
        [*LOKET, "--config", str(path), "serve"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_cut_offs_set_for_meaning_hold_by_words_alone(tmp_path: Path) -> None:
    """A lower answer_score (docs/faq.md suggests 0.40-0.44) also holds when matching by
    words alone, where the default suggest_score (0.45) would otherwise sit above it."""
    for text in ("[bot]\nanswer_score = 0.41\n", "[bot]\nsemantic = false\nanswer_score = 0.42\n"):
        bot = load_settings(_write(tmp_path, text)).bot
        alone = bot.words_alone()
        assert alone.suggest_score <= alone.answer_score == bot.answer_score
        Matcher.build([], bot)
    with pytest.raises(ConfigError, match=r"suggest_score \(0\.5\) must not be above answer_score"):
        load_settings(_write(tmp_path, "[bot]\nsuggest_score = 0.5\n"))


def test_serve_that_fails_after_opening_the_store_exits(tmp_path: Path) -> None:
    """A start that fails once the store is open (here a damaged table) ends the process
    with the error: it does not stay alive, listening nowhere, for a supervisor to trust."""
    config = write_config(tmp_path)
    add_agent(config, "anna", "lang genoeg")
    database = tmp_path / "data" / "loket.db"
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("INSERT INTO shoppers (public_id, created_at, last_seen_at) VALUES ('s', 0, 0)")
    conn.executemany(
        "INSERT INTO conversations (shopper_id, state, created_at, updated_at, page_url)"
        " VALUES (1, 'bot', 0, 0, ?)",
        [("https://shop.test/" + "x" * 200,) for _ in range(500)],
    )
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'conversations'"
    ).fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with database.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)
    started = time.monotonic()
    result = subprocess.run(
        [*LOKET, "--config", str(config), "serve"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "malformed" in result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "url",
    [
        "redis://:s3cr/et@h:6379/0",  # a password with a slash
        "redis://user:p@ss@h:x/0",  # with an @
        "redis://h:x/0?password=s3cret",  # as a query parameter
    ],
)
def test_no_part_of_a_redis_password_is_printed(tmp_path: Path, url: str) -> None:
    """However the password is written into the URL, an error about the URL shows none of
    it: neither in the value nor in the Redis client's own reason."""
    with pytest.raises(ConfigError) as caught:
        load_settings(_write(tmp_path, ""), env={"LOKET_REDIS_URL": url})
    message = str(caught.value)
    assert "redis.url: must be a Redis URL" in message, message
    for part in ("s3cr", "et@", "p@ss", "user"):
        assert part not in message, message


@pytest.mark.parametrize(
    "raw",
    [
        '[security]\nsecret = "hunter2-very-secret-value\n',
        "[security]\nshop_secret = hunter2-very-secret-value\n",
        '[redis]\nurl = "redis://:hunter2-very-secret-value@h:6379/0\n',
    ],
)
def test_a_toml_mistake_on_a_secrets_line_does_not_show_the_secret(
    tmp_path: Path, raw: str
) -> None:
    """The line a syntax mistake is on is shown, but never a secret's value or a password
    in a URL on it."""
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert f"{path}:2: TOML syntax:" in message and "the line reads:" in message, message
    assert "hunter2" not in message, message


def test_errors_never_show_a_secret_and_name_the_variable_that_set_it(tmp_path: Path) -> None:
    """A secret that is refused is not printed, from the file or from the environment;
    one from the environment is blamed on its variable, not on the file. A password in a
    Redis URL is left out too."""
    path = _write(
        tmp_path,
        '[security]\nshop_secret = "shortshop"\n[redis]\nurl = "redis://:pw-in-url@h:x/0"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"LOKET_SECRET": "hunter2secret"})
    message = str(caught.value)
    assert (
        "environment variable LOKET_SECRET: security.secret: must be at least 16 characters"
        in message
    )
    assert f"{path}: security.shop_secret: must be at least 16 characters" in message
    assert f"{path}: redis.url: must be a Redis URL" in message and "redis://***@h:x/0" in message
    for secret in ("hunter2secret", "shortshop", "pw-in-url"):
        assert secret not in message
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"LOKET_SHOP_SECRET": "hunter2shop", "LOKET_SECRET": ""})
    message = str(caught.value)
    assert "environment variable LOKET_SHOP_SECRET: security.shop_secret" in message
    assert "hunter2shop" not in message and "shortshop" not in message
    # As the operator sees it.
    result = subprocess.run(
        [*LOKET, "serve", "--config", str(_write(tmp_path, ""))],
        env=dict(os.environ, LOKET_SECRET="hunter2secret"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "environment variable LOKET_SECRET: security.secret" in result.stderr
    assert "hunter2secret" not in result.stderr and "config.toml: security" not in result.stderr


@pytest.mark.parametrize("where", ["file", "environment"])
def test_a_data_dir_that_cannot_be_used_is_a_configuration_error(
    tmp_path: Path, where: str
) -> None:
    """A data_dir that is a file, or that cannot be made, stops the start with the key and
    the reason (and the variable, when it came from the environment), not a traceback."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n", encoding="utf-8")
    for data_dir, reason in (
        (a_file, f"server.data_dir: {a_file} is a file, not a folder"),
        (a_file / "data", f"server.data_dir: cannot make {a_file / 'data'}: not a directory"),
    ):
        env = dict(os.environ)
        env.pop("LOKET_DATA_DIR", None)
        config = write_config(tmp_path / "shop")
        if where == "file":
            text = config.read_text(encoding="utf-8")
            config.write_text(
                text.replace(
                    f'data_dir = "{tmp_path / "shop" / "data"}"', f'data_dir = "{data_dir}"'
                ),
                encoding="utf-8",
            )
            origin = f"{config}: "
        else:
            env["LOKET_DATA_DIR"] = str(data_dir)
            origin = "environment variable LOKET_DATA_DIR: "
        for command in (["serve"], ["agents", "add", "anna", "--init"]):
            result = subprocess.run(
                [*LOKET, "--config", str(config), *command],
                input="lang genoeg\n",
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert result.returncode == 2, result.stderr
            assert origin + reason in result.stderr
            assert "Traceback" not in result.stderr


def test_settings_that_work_but_likely_not_as_meant_are_told_at_start() -> None:
    """Any website allowed, or none: the server starts, and says so in its log."""
    anyone = parse_settings({"server": {"allowed_origins": ["*"]}}).concerns()
    assert any('allowed_origins holds "*"' in line for line in anyone), anyone
    nobody = parse_settings({"server": {"allowed_origins": []}}).concerns()
    assert nobody == ["server.allowed_origins is empty: no page can open the chat widget"]
    assert parse_settings({}).concerns() == []


def test_each_redis_database_has_its_own_channel() -> None:
    """Redis channels are shared by a server's databases: the default channel names the
    database, so installs on /5 and /6 stay apart; a channel given is used as it is."""

    def channel(redis: dict[str, str]) -> str:
        return parse_settings({"redis": redis}).redis.channel_name()

    assert channel({"url": "redis://127.0.0.1:6379/5"}) == "loket:db5"
    assert channel({"url": "redis://127.0.0.1:6379"}) == "loket:db0"
    assert channel({"url": "redis://h/6", "channel": "shop-a"}) == "shop-a"


def test_a_capacity_for_no_agent_is_warned_of_at_start(config_path: Path) -> None:
    """`[routing] capacity` naming someone who is no agent (a typo) starts the server, and
    the log says which name is no agent's; agents' names count in any case."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text + '\n[routing]\ncapacity = { "ANNA" = 2, "brma" = 6 }\n', encoding="utf-8"
    )
    process = ServerProcess(config_path)
    process.start()
    process.stop()
    told = [line for line in process.output if "capacity names" in line]
    assert len(told) == 1 and "'brma'" in told[0], process.output
