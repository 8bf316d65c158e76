"""Settings: `config.toml` read into frozen, typed objects; every error names the file and key."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import idna
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from loket.bot.settings import BotSettings
from loket.hours import HoursSettings
from loket.routing import RoutingSettings
from loket.spelling import closest, did_you_mean

DEFAULT_CONFIG = "config.toml"

log = logging.getLogger(__name__)

# Environment variables that override a key, so secrets need not live in a file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "LOKET_SECRET": ("security", "secret"),
    "LOKET_SHOP_SECRET": ("security", "shop_secret"),
    "LOKET_REDIS_URL": ("redis", "url"),
    "LOKET_DATA_DIR": ("server", "data_dir"),
}


class ConfigError(Exception):
    """The configuration cannot be used; `str(exc)` says where and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Where the store, the generated secret and other state live.
    data_dir: Path = Path("data")
    # Origins (scheme://host[:port]) whose pages may open the shopper widget.
    allowed_origins: tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")
    # Behind a proxy of your own: take the client's address from the last entry of
    # X-Forwarded-For, and HTTPS from X-Forwarded-Proto.
    trust_proxy: bool = False
    # The demo shop at /demo/ (and / leading to it); false in production: / then leads to
    # the agent console.
    demo: bool = True

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        problems: list[str] = []
        for origin in value:
            if origin == "*":
                continue
            if origin.lower().startswith(("http://", "https://")) and origin.count("/") == 3:
                if origin.endswith("/"):
                    # As copied from the address bar: "https://shop.example/".
                    problems.append(f"{origin!r} ends in '/': write {origin[:-1]!r}")
                else:
                    problems.append(f"{origin!r} has a path (an origin is scheme://host[:port])")
            elif not origin.lower().startswith(("http://", "https://")) or origin.endswith("/"):
                problems.append(f"{origin!r} is not an origin like 'https://shop.example'")
            elif origin.count("/") > 2:
                problems.append(f"{origin!r} has a path (an origin is scheme://host[:port])")
            else:
                try:
                    _as_browsers_send(origin)
                except ValueError as exc:
                    problems.append(str(exc))
        if problems:
            # Every one at once: a shop fixing its list learns of the second after the first.
            raise ValueError("; ".join(problems))
        return tuple(_as_browsers_send(origin) for origin in value)


def _as_browsers_send(origin: str) -> str:
    """`origin` as a browser sends it in its Origin header, which is compared as it is: host
    in lower case (an international name in its ASCII form), no default port
    ('https://Shop.example:443' is 'https://shop.example')."""
    if origin == "*":
        return origin
    try:
        parts = urlsplit(origin)
        port = parts.port
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        elif host and not host.isascii():
            # UTS #46, as browsers map names (Python's own codec is IDNA 2003: ß is "ss").
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (ValueError, UnicodeError, idna.IDNAError) as exc:
        raise ValueError(f"{origin!r} is not an origin like 'https://shop.example'") from exc
    if not host or parts.username is not None or parts.query or parts.fragment:
        raise ValueError(f"{origin!r} is not an origin like 'https://shop.example'")
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


class StoreSettings(_Section):
    # SQLite file, relative to server.data_dir unless absolute.
    path: Path = Path("loket.db")
    # Most writes committed together in one transaction.
    batch_max: int = Field(default=512, ge=1, le=100_000)
    # Delete conversations closed more than this many days ago, with their messages, left
    # questions, ratings and misses, and shoppers left without one (checked hourly);
    # 0: keep everything.
    keep_days: int = Field(default=0, ge=0)


class SecuritySettings(_Section):
    # Signs visitor tokens. Empty: read LOKET_SECRET, else one is generated in data_dir.
    secret: str = ""
    # Shared with the shop to vouch for logged-in customers (HMAC-SHA256 of the id).
    shop_secret: str = ""
    # Claims carry `expires` (Unix seconds), signed with the id, and are refused after it.
    customer_claims_expire: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    visitor_token_days: float = Field(default=365.0, gt=0)
    login_attempts_per_minute: int = Field(default=10, ge=1)

    @field_validator("secret", "shop_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value


# The bytes of a message event besides its text.
_PACKET_OVERHEAD = 1024


class LimitsSettings(_Section):
    # Longest chat message, in characters.
    max_message_chars: int = Field(default=2000, ge=1, le=100_000)
    # Largest Socket.IO packet accepted, in bytes.
    max_packet_bytes: int = Field(default=65_536, ge=1024)
    # Per-connection token bucket: sustained events per second and burst size.
    events_per_second: float = Field(default=5.0, gt=0)
    event_burst: int = Field(default=40, ge=1)
    # A connection that keeps flooding after being refused this many times is dropped.
    flood_disconnect_after: int = Field(default=50, ge=1)
    # New Socket.IO connections one address may open per minute (both namespaces together;
    # 0: no limit), so reconnecting does not buy a fresh event bucket. Generous, because
    # many shoppers can share one address (an office, a mobile network's NAT).
    connections_per_minute: int = Field(default=600, ge=0)
    # Messages per replay page on (re)connect.
    replay_page: int = Field(default=500, ge=1, le=10_000)

    # A closed conversation older than this starts a new one when the shopper writes.
    reopen_hours: float = Field(default=24.0, ge=0)

    @model_validator(mode="after")
    def _a_longest_message_fits_a_packet(self) -> LimitsSettings:
        # A character takes up to 4 bytes in UTF-8; the event around it about 1 KiB. A
        # message that passes the character limit but not the packet limit would close
        # the shopper's connection instead of getting an error, again at every resend.
        needed = self.max_message_chars * 4 + _PACKET_OVERHEAD
        if needed > self.max_packet_bytes:
            raise ValueError(
                f"max_packet_bytes ({self.max_packet_bytes}) is too small for messages of"
                f" max_message_chars ({self.max_message_chars}) characters: set it to"
                f" {needed} or more, or lower max_message_chars"
            )
        return self


class Invitation(_Section):
    # Glob on the page path, like "/checkout*".
    path: str = Field(min_length=1, max_length=200)
    # Seconds on the page before the invitation shows.
    after_seconds: float = Field(default=30.0, ge=0, le=3600)
    # The text per shopper language; at least one. A shopper whose language has none gets
    # the English one, else the first there is (Dutch, German, French).
    text_nl: str | None = Field(default=None, min_length=1, max_length=200)
    text_en: str | None = Field(default=None, min_length=1, max_length=200)
    text_de: str | None = Field(default=None, min_length=1, max_length=200)
    text_fr: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("path")
    @classmethod
    def _from_the_root(cls, value: str) -> str:
        # The widget matches it against the page's path, which begins with "/".
        if not value.startswith(("/", "*", "?")):
            raise ValueError(
                f"path {value!r} must begin with '/' (or '*'): it is matched against the"
                f" page's path, such as '/{value}'"
            )
        return value

    @model_validator(mode="after")
    def _some_text(self) -> Invitation:
        if all(t is None for t in (self.text_nl, self.text_en, self.text_de, self.text_fr)):
            raise ValueError("give the invitation's text: text_nl, text_en, text_de or text_fr")
        return self

    def text(self, language: str) -> str:
        """The invitation in `language` ('nl', 'en', 'de' or 'fr'), or the nearest given."""
        own = {
            "nl": self.text_nl,
            "en": self.text_en,
            "de": self.text_de,
            "fr": self.text_fr,
        }.get(language)
        found = own or self.text_en or self.text_nl or self.text_de or self.text_fr
        assert found is not None  # _some_text
        return found


class WidgetSettings(_Section):
    # Proactive invitations, shown at most once per visit (see docs/widget.md).
    invitations: tuple[Invitation, ...] = ()
    # The languages whose shoppers the widget and the bot address formally: "de" for the
    # German "Sie" (the default is "du"). French is always "vous"; Dutch stays "je".
    formal: tuple[Literal["de"], ...] = ()


class RedisSettings(_Section):
    # Empty: one self-contained process. Set (e.g. redis://127.0.0.1:6379/0), Socket.IO
    # emits go through Redis (several processes of one install are not supported yet).
    url: str = ""
    # The publish/subscribe channel of this install's emits. Redis channels are shared by
    # every database of a server, so the default names the URL's database, and the server
    # adds the install's own id from its store (see `Store.install_id`): two installs on
    # one Redis server never see each other's chats, whatever their database numbers.
    channel: str = Field(default="", pattern=r"^[A-Za-z0-9_.:/-]{0,100}$")

    def channel_name(self) -> str:
        """The channel to use: `channel`, else "loket:db<N>" for the URL's database."""
        if self.channel:
            return self.channel
        from redis.connection import parse_url

        database = parse_url(self.url).get("db", 0)  # type: ignore[no-untyped-call]
        return f"loket:db{database}"

    @field_validator("url")
    @classmethod
    def _is_a_redis_url(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith(REDIS_SCHEMES):
            raise ValueError(
                "must be a Redis URL like 'redis://127.0.0.1:6379/0' (redis://, rediss://"
                " or unix://)"
            )
        # What the Redis client makes of it, without connecting (a port that is no number,
        # an unknown option value); its messages do not repeat the URL.
        from redis.connection import parse_url

        try:
            parse_url(value)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            reason = str(exc)
            if without_credentials(value) != value:
                # The client's reason may quote part of a password ("as 's3cr'").
                reason = "it cannot be read (check the host, the port and the database number)"
            raise ValueError(f"must be a Redis URL: {reason[:1].lower()}{reason[1:]}") from None
        return value


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    store: StoreSettings = StoreSettings()
    security: SecuritySettings = SecuritySettings()
    limits: LimitsSettings = LimitsSettings()
    redis: RedisSettings = RedisSettings()
    widget: WidgetSettings = WidgetSettings()
    bot: BotSettings = BotSettings()
    hours: HoursSettings = HoursSettings()
    routing: RoutingSettings = RoutingSettings()
    # Where the file came from, for messages; not a key in the file.
    source: str = Field(default="<defaults>", exclude=True)
    # The keys set by an environment variable, as (key, variable), for messages.
    from_env: tuple[tuple[str, str], ...] = Field(default=(), exclude=True)

    @model_validator(mode="after")
    def _kept_while_it_may_reopen(self) -> Settings:
        keep_days, reopen_hours = self.store.keep_days, self.limits.reopen_hours
        if keep_days and keep_days * 24 < reopen_hours:
            raise ValueError(
                f"store.keep_days ({keep_days}) is shorter than limits.reopen_hours"
                f" ({reopen_hours:g}): a conversation would be deleted while its shopper"
                " may still reopen it; keep it at least that long"
            )
        return self

    @property
    def store_path(self) -> Path:
        return self.server.data_dir / self.store.path

    def concerns(self) -> list[str]:
        """Settings that work, but likely not as the admin means them (logged at start)."""
        told = self.routing.concerns()
        origins = self.server.allowed_origins
        if "*" in origins:
            told.append(
                'server.allowed_origins holds "*": a page of any website may open the chat'
                ' widget; list your shop\'s origins instead ("*" is for testing)'
            )
        elif not origins:
            told.append("server.allowed_origins is empty: no page can open the chat widget")
        return told

    def origin(self, key: str) -> str:
        """Where the value of `key` (like 'server.data_dir') came from, to start a message:
        the file, or the environment variable that overrode it."""
        for name, variable in self.from_env:
            if name == key:
                return f"environment variable {variable}"
        return self.source


# Keys whose values are never printed: any whose name says it holds a secret.
_SECRET_KEY = re.compile(r"secret|password|passwd|token|key$")
# A password given as a query parameter (redis://host/0?password=...).
_QUERY_PASSWORD = re.compile(r"(?<=[?&]password=)[^&#]*", re.IGNORECASE)


def without_credentials(url: str) -> str:
    """`url` with the user and password it holds as ***: everything between '://' and the
    last '@' before the query (a password may hold '/' or '@'), and a `password=` query
    parameter."""
    scheme, separator, rest = url.partition("://")
    if separator:
        address, question, query = rest.partition("?")
        if "@" in address:
            address = "***" + address[address.rindex("@") :]
        rest = address + question + query
    return _QUERY_PASSWORD.sub("***", scheme + separator + rest)


def _shown_value(key: str, value: Any) -> str:
    """' (got VALUE)' for a message about `key`, without anything secret."""
    if isinstance(value, dict):
        return ""
    if _SECRET_KEY.search(key.rsplit(".", 1)[-1]):
        return " (the value is not shown: it is a secret)"
    if isinstance(value, str):
        value = without_credentials(value)
    return f" (got {value!r})"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model an annotation holds: itself, or the items of a tuple, list or
    optional value of it (`tuple[Invitation, ...]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in typing.get_args(annotation):
        found = _model_in(inner)
        if found is not None:
            return found
    return None


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """ " (did you mean 'port'?)" for an unknown key `loc` close to a known one; the
    known keys alike all named (`text_es`: 'text_en' or 'text_de')."""
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue  # the place in a list: [[invitations]] number 0, 1, ...
        field_info = model.model_fields.get(str(part))
        inner = _model_in(field_info.annotation) if field_info is not None else None
        if inner is None:
            return ""
        model = inner
    known = [name for name, f in model.model_fields.items() if not f.exclude]
    # A section's key written before any section header (`secret = ...` above `[security]`,
    # `[[invitations]]`), or under another section's (a `[routing]` header forgotten):
    # the sections it belongs in named.
    homes = [
        f"{name}.{loc[-1]}"
        for name, f in Settings.model_fields.items()
        if (section := _model_in(f.annotation)) is not None
        and section is not model
        and loc[-1] in section.model_fields
    ]
    close: list[str] = homes if len(loc) == 1 else []
    if not close:
        close = closest(str(loc[-1]), known)
        if not close and len(loc) == 1:
            # A section's key misspelled at the top (`secrets`, `allowed_origin`).
            dotted = {
                key: f"{name}.{key}"
                for name, f in Settings.model_fields.items()
                if (section := _model_in(f.annotation)) is not None
                for key in section.model_fields
            }
            near = closest(str(loc[0]), dotted, cutoff=0.8)[:1]
            close = [dotted[key] for key in near]
        if not close and len(loc) == 2 and homes:
            return f" (it belongs in [{homes[0].split('.')[0]}]: did you mean {homes[0]!r}?)"
    return did_you_mean(close)


def _format_error(
    source: str, error: Mapping[str, Any], from_env: Mapping[str, str] | None = None
) -> str:
    """One line for a validation error: where the value came from (the file, or the
    environment variable that set it), the key and the reason; never a secret's value."""
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{source}: {key}: unknown key{_did_you_mean(error['loc'])}"
    for name, variable in (from_env or {}).items():
        if key == name or key.startswith(name + "."):
            source = f"environment variable {variable}"
    message = str(error["msg"]).removeprefix("Value error, ")
    # Said in a shop admin's words rather than the validation library's.
    if error["type"] in ("tuple_type", "list_type"):
        message = "must be a list in brackets: " + _FORMS.get(key, "[...]")
    elif error["type"] == "string_pattern_mismatch":
        message = _FORMS.get(key, "is not in the form this setting takes")
    return f"{source}: {key}: {message}{_shown_value(key, error.get('input'))}"


# What a setting must look like, for the settings whose form is not told by their type.
_FORMS = {
    "server.allowed_origins": '["https://shop.example", "https://www.shop.example"]',
    "bot.default_language": "must be a language code of two or three small letters, like 'nl'",
    "redis.channel": "may hold letters, digits and _ . : / - only (at most 100)",
}


def parse_settings(
    data: Mapping[str, Any], source: str = "<config>", env: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from parsed TOML plus environment overrides, or raise ConfigError."""
    merged: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    from_env: dict[str, str] = {}
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = (env if env is not None else os.environ).get(variable)
        if value:
            part = merged.setdefault(section, {})
            if isinstance(part, dict):
                part[key] = value
                from_env[f"{section}.{key}"] = variable
    merged["source"] = source
    merged["from_env"] = tuple(from_env.items())
    # TOML has types: a number or true/false written as text is a mistake, not a value to
    # convert ("off" would silently mean false).
    mistakes = _scalar_type_mistakes(Settings, data, "")
    lines = [f"{source}: {where}: {problem}" for where, problem in mistakes]
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        # A key told about above is not told about again in pydantic's words.
        told = {where for where, _ in mistakes}
        lines += [
            _format_error(source, err, from_env)
            for err in exc.errors()
            if ".".join(str(part) for part in err["loc"]) not in told
        ]
    if lines:
        raise ConfigError("\n".join(dict.fromkeys(lines)))
    return settings


_SCALAR_WORDS = {bool: "true or false", int: "a whole number", float: "a number"}


def _scalar_type_mistakes(
    model: type[BaseModel], data: Mapping[str, Any], prefix: str
) -> list[tuple[str, str]]:
    """Keys of `data` holding a value of another TOML type than their field's bool, int or
    float (pydantic would convert "18093" and "off"), with what is wrong; sections are
    checked in depth."""
    mistakes: list[tuple[str, str]] = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            continue
        kind = field.annotation
        where = f"{prefix}{key}"
        if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(value, dict):
            mistakes += _scalar_type_mistakes(kind, value, f"{where}.")
        elif kind in _SCALAR_WORDS and not _is_a(kind, value):
            mistakes.append((where, f"should be {_SCALAR_WORDS[kind]}{_shown_value(where, value)}"))
    return mistakes


def _is_a(kind: Any, value: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if kind is int else isinstance(value, int | float)


# What the TOML parser's words mean for someone editing config.toml.
_TOML_REASONS = (
    ("Illegal character '\\n'", "a quote opened on this line is not closed on it"),
    ("Cannot overwrite a value", "this key is given twice (or a table and a key share a name)"),
    ("Cannot declare", "this table is given twice (or a table and a key share a name)"),
    ("Invalid value", "a value must be text in quotes, a number, true or false, or a list"),
    ("Expected '=' after a key", "a key needs '=' and a value after it"),
)
_TOML_PLACE = re.compile(r"\(at line (\d+), column \d+\)$")


def _toml_error(file: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """A TOML syntax error as `file:line: reason`, in plain words where they are known,
    with the line as written."""
    message = str(exc)
    place = _TOML_PLACE.search(message)
    if place is None:
        return f"{file}: TOML syntax: {message}"
    number = int(place.group(1))
    said = message[: place.start()].strip()
    reason = next((plain for start, plain in _TOML_REASONS if said.startswith(start)), said)
    # Lines as the parser counts them: "\n" alone ends one (not U+2028 in a string).
    lines = text.removeprefix("\ufeff").split("\n")
    shown = _shown_line(lines[number - 1]) if 0 < number <= len(lines) else ""
    told = f"{file}:{number}: TOML syntax: {reason}"
    return f"{told} (the line reads: {shown})" if shown else told


def _shown_line(line: str) -> str:
    """A line of config.toml as an error may show it: a secret's value left out, and the
    password of a URL."""
    key, equals, _ = line.strip().partition("=")
    name = key.strip().strip("\"'").rsplit(".", 1)[-1]
    if equals and _SECRET_KEY.search(name.lower()):
        return f"{key.strip()} = … (the value is not shown: it is a secret)"
    return without_credentials(line.strip())


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read `path` (default ./config.toml; defaults alone when that is absent and not named)."""
    named = path is not None
    file = Path(path if path is not None else DEFAULT_CONFIG)
    if not file.exists():
        if named:
            raise ConfigError(f"{file}: no such file")
        return parse_settings({}, "<defaults>", env)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: {exc.strerror}") from None
    try:
        # "UTF-8 with BOM", as some editors save it, is UTF-8 too.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(file, text, exc)) from None
    settings = parse_settings(data, str(file), env)
    base = file.resolve().parent
    # Relative paths in a config file are relative to that file, not to the shell.
    if not settings.server.data_dir.is_absolute():
        server = settings.server.model_copy(update={"data_dir": base / settings.server.data_dir})
        settings = settings.model_copy(update={"server": server})
    if not settings.bot.faq_dir.is_absolute():
        bot = settings.bot.model_copy(update={"faq_dir": base / settings.bot.faq_dir})
        settings = settings.model_copy(update={"bot": bot})
    return settings


def load_command_settings(path: str | Path | None, *, store_must_exist: bool) -> Settings:
    """`load_settings` for a `loket` command. A command that works on an existing store
    refuses when there is none where the settings point (run in the wrong folder, or
    without the LOKET_DATA_DIR the server has, `loket agents add` would add an agent to a
    new store the running server never sees). Without a config file (none named, none in
    this folder) the defaults are used, with a warning naming the store they point at."""
    settings = load_settings(path)
    no_file = path is None and not Path(DEFAULT_CONFIG).exists()
    if store_must_exist and not settings.store_path.exists():
        if no_file:
            raise ConfigError(
                f"no {DEFAULT_CONFIG} in {Path.cwd()} and no store at {settings.store_path}:"
                f" run this in the folder of your {DEFAULT_CONFIG}, or name it with --config"
            )
        raise ConfigError(
            f"{settings.origin('server.data_dir')}: server.data_dir: no store in"
            f" {settings.server.data_dir} (no {settings.store_path}). `loket serve` makes it"
            " when it first starts; `loket agents add NAME --init` makes a new one here. If"
            " your server runs with another --config or LOKET_DATA_DIR, give the same here."
        )
    if no_file:
        log.warning(
            "no %s in %s: using the defaults (store: %s)",
            DEFAULT_CONFIG,
            Path.cwd(),
            settings.store_path,
        )
    return settings


def prepare_data_dir(settings: Settings) -> None:
    """Make the data folder (and the store's) when missing, for a command that may make
    a new store; a ConfigError naming the key when it cannot be used."""
    for key, folder in (
        ("server.data_dir", settings.server.data_dir),
        ("store.path", settings.store_path.parent),
    ):
        if key == "store.path" and not settings.store.path.parent.parts:
            break  # the store lies in the data folder itself
        where = settings.origin(key)
        try:
            # Only its owner reads a new data folder: it holds the store and the secret.
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise ConfigError(f"{where}: {key}: {folder} is a file, not a folder") from None
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise ConfigError(f"{where}: {key}: cannot make {folder}: {reason}") from None
        except ValueError as exc:  # a NUL in the path
            raise ConfigError(f"{where}: {key}: {exc}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"{where}: {key}: {folder} is not writable for this user")


def with_overrides(settings: Settings, **server: Any) -> Settings:
    """Return settings with `server.*` keys replaced (the CLI's --host and --port)."""
    update = {k: v for k, v in server.items() if v is not None}
    if not update:
        return settings
    return settings.model_copy(update={"server": settings.server.model_copy(update=update)})
