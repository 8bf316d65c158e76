"""The `loket` command: serve, manage agents, and the FAQ tools."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import getpass
import logging
import os
import re
import shlex
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from loket import erasure
from loket.app import bound_port, create_app
from loket.auth import new_password_hasher
from loket.bot import cli as bot_cli
from loket.bot.semantic import shared_encoder, use_encoder_process
from loket.collector import CollectorPolicy
from loket.config import (
    ConfigError,
    Settings,
    load_command_settings,
    prepare_data_dir,
    with_overrides,
)
from loket.store import Store, StoreError, run_with_store

log = logging.getLogger("loket")

MIN_PASSWORD = 8


def _settings(args: argparse.Namespace) -> Settings:
    """The settings of an `agents` command, whose store must exist: only `serve` and
    `agents add --init` may start on a store of their own making."""
    makes_store = bool(getattr(args, "init", False))
    settings = load_command_settings(args.config, store_must_exist=not makes_store)
    if makes_store:
        prepare_data_dir(settings)
    return settings


# -- serve -------------------------------------------------------------------------


# In the data folder: held by the running server (see `_hold_data_dir`).
LOCK_FILE = "loket.lock"


class ListenError(Exception):
    """The server cannot listen where it is told to; `str(exc)` says where and why."""


# Connections the kernel queues before they are accepted (aiohttp's own default).
LISTEN_BACKLOG = 128


async def _serve(settings: Settings, *, new_secret: bool = False) -> None:
    # Stop on SIGINT and SIGTERM from the first moment: a signal while the server starts
    # ends it once the start is done, through the same orderly stop (its encoder process
    # included), without accepting connections. A second signal ends it at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stopping() -> None:
        stop.set()
        for sig in signals:
            loop.remove_signal_handler(sig)  # the next one has its default effect

    for sig in signals:
        loop.add_signal_handler(sig, stopping)
    if settings.bot.semantic:
        # Questions are encoded in a child process, never holding the event loop's GIL.
        use_encoder_process()
    # The port first: a second server started on a taken port must stop before it opens
    # the store (its start-up writes: quiet conversations closed, unanswered ones answered).
    host, port = settings.server.host, settings.server.port
    try:
        listener = socket.create_server((host, port), backlog=LISTEN_BACKLOG)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {_os_reason(exc)}") from None
    try:
        held = _hold_data_dir(settings.server.data_dir, settings.store_path)
    except BaseException:
        listener.close()
        shared_encoder().close()
        raise
    # The encoder's process first: it loads its model while the store opens and the FAQ is
    # read (started once the port and the data folder are this server's).
    shared_encoder().start()
    try:
        await _run_server(settings, listener, stop, new_secret=new_secret)
    finally:
        for lock in held:
            os.close(lock)  # the lock goes with it


class DataFolderInUse(ListenError):
    """A server holds the data folder or the store; `holder` is its process id, as it
    wrote it, and `what` what it holds ("the data folder X", "the store Y")."""

    def __init__(self, message: str, holder: str, what: str) -> None:
        super().__init__(message)
        self.holder = holder
        self.what = what


def _hold_data_dir(folder: Path, store: Path | None = None) -> list[int]:
    """Lock the data folder for this server, and its store (which `[store] path` may put
    elsewhere: a lock file beside it), or raise ListenError naming the server that has one;
    the locks' descriptors.

    Two servers on one store would share it but each keep their own conversations, queue
    and presence (one conversation given to two agents). The lock is on an open file, so
    the kernel lets go of it when the process ends, also on a crash: a stale lock file
    never keeps a server from starting. Commands such as `loket agents add` do not take
    it: they work beside a running server.
    """
    held = [_hold(folder / LOCK_FILE, f"the data folder {folder}", "server.data_dir")]
    if store is not None:
        try:
            # Beside the file itself (a symlinked store is one store), named so that it is
            # never the data folder's own lock file.
            real = store.resolve()
            lock = real.with_name(real.name + "-server.lock")
            held.append(_hold(lock, f"the store {store}", "[store] path"))
        except BaseException:
            os.close(held[0])
            raise
    return held


def _hold(path: Path, what: str, setting: str) -> int:
    """Lock `path` (`what` it guards, for messages; `setting`: what gives each server its
    own)."""
    try:
        held = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ListenError(f"cannot lock {what}: {path}: {_os_reason(exc)}") from None
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(held, 32).decode("ascii", "replace").strip() or "?"
        os.close(held)
        raise DataFolderInUse(
            f"{what} is in use by another Loket server (process {holder});"
            f" give each server one of its own ({setting})",
            holder,
            what,
        ) from None
    except OSError as exc:
        # A file system without locks (some network mounts): serve, unguarded, and say so.
        log.warning("cannot lock %s (%s): start one server on it", what, exc)
    os.ftruncate(held, 0)
    os.write(held, f"{os.getpid()}\n".encode())
    return held


async def _run_server(
    settings: Settings, listener: socket.socket, stop: asyncio.Event, *, new_secret: bool = False
) -> None:
    """Serve on `listener` until `stop` is set; everything started is stopped again."""
    host = settings.server.host
    runner = web.AppRunner(
        create_app(settings, new_secret=new_secret), access_log=None, handle_signals=False
    )
    collector: CollectorPolicy | None = None
    collecting: asyncio.Task[None] | None = None
    started = False
    # Everything started below (the store's threads, the encoder's child process) is
    # stopped again on every way out, a failed start too: left running, it would keep the
    # process alive, listening nowhere.
    try:
        await runner.setup()
        started = True
        if stop.is_set():
            return  # told to stop while starting: no connection is accepted
        await web.SockSite(runner, listener, backlog=LISTEN_BACKLOG).start()
        # Short collector pauses with many shoppers connected (see loket/collector.py).
        collector = CollectorPolicy()
        collector.start()
        collecting = asyncio.create_task(collector.run(), name="loket-collector")
        port = bound_port(runner)
        # Tests and scripts read this line to find the port when asked for port 0.
        print(f"Loket listening on http://{host}:{port}", flush=True)
        print(f"  console: http://{host}:{port}/console/", flush=True)
        if settings.server.demo:
            print(f"  demo shop: http://{host}:{port}/demo/", flush=True)
        await stop.wait()
    finally:
        if started:
            print("Loket stopping", flush=True)
        if collecting is not None:
            collecting.cancel()
        if collector is not None:
            collector.stop()
        try:
            await runner.cleanup()
        finally:
            listener.close()
            shared_encoder().close()


def _os_reason(exc: OSError) -> str:
    """'address already in use' for an OSError, without its errno and address."""
    if isinstance(exc, socket.gaierror):
        reason = str(exc.strerror or exc)
    elif exc.errno is not None:
        reason = os.strerror(exc.errno)
    else:
        reason = str(exc)
    return reason[:1].lower() + reason[1:]


def cmd_serve(args: argparse.Namespace) -> int:
    settings = with_overrides(
        load_command_settings(args.config, store_must_exist=False), host=args.host, port=args.port
    )
    if not settings.bot.faq_dir.is_dir():
        raise ConfigError(f"{settings.source}: bot.faq_dir: no such folder: {settings.bot.faq_dir}")
    prepare_data_dir(settings)
    asyncio.run(_serve(settings, new_secret=args.new_secret))
    return 0


# -- agents ------------------------------------------------------------------------


def _read_password(args: argparse.Namespace, prompt: str = "Password: ") -> str:
    try:
        if sys.stdin.isatty():
            password = getpass.getpass(prompt)
            if getpass.getpass("Again: ") != password:
                raise SystemExit("loket: the passwords differ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    except EOFError:  # Ctrl-D at the prompt
        print(file=sys.stderr)
        raise SystemExit("loket: no password given; nothing changed") from None
    if len(password) < MIN_PASSWORD:
        raise SystemExit(f"loket: a password needs at least {MIN_PASSWORD} characters")
    return password


AGENT_NAME = re.compile(r"[\w.@+-]{1,64}")


def agent_name(value: str) -> str:
    """A login name: 1 to 64 letters, digits or . _ - + @, without spaces."""
    if not AGENT_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: a name is 1 to 64 letters, digits or . _ - + @ (no spaces;"
            " --display-name may have them)"
        )
    return value


def not_blank(value: str) -> str:
    """A value that says something: not empty, not only spaces."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give a value, not an empty one")
    return value.strip()


def display_name(value: str) -> str:
    """The name shoppers see: 1 to 100 characters, not only spaces."""
    shown = " ".join(value.split())
    if not shown or len(shown) > 100 or not shown.isprintable():
        raise argparse.ArgumentTypeError(f"{value!r}: a display name is 1 to 100 characters")
    return shown


def _with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    return run_with_store(settings.store_path, work)


def cmd_agents_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = _read_password(args)
    password_hash = new_password_hasher().hash(password)

    async def work(store: Store) -> int:
        agent = await store.add_agent(
            args.name,
            args.display_name or args.name,
            password_hash,
            is_admin=args.admin,
            now=int(time.time() * 1000),
        )
        role = "admin" if agent.is_admin else "agent"
        print(f"added {role} {agent.name!r}")
        if args.display_name is None:
            # Shoppers read it ("anna is here to help you"): say how to give a proper one.
            print(
                f"shoppers see {agent.display_name!r}; to show another name: loket agents"
                f" display-name {agent.name} {shlex.quote(agent.name.capitalize())}"
            )
        return 0

    return _with_store(settings, work)


def cmd_agents_list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        away = set(await store.away_agents())
        for agent in await store.list_agents():
            flags = [
                flag
                for flag, on in (
                    ("admin", agent.is_admin),
                    ("disabled", agent.disabled),
                    # Chosen in the console; kept over restarts until they switch back.
                    ("away", agent.id in away),
                )
                if on
            ]
            extra = f" ({', '.join(flags)})" if flags else ""
            print(f"{agent.name}\t{agent.display_name}{extra}")
        return 0

    return _with_store(_settings(args), work)


def _agent_update(
    args: argparse.Namespace,
    change: Callable[[Store, int], Awaitable[str]],
    settings: Settings | None = None,
) -> int:
    async def work(store: Store) -> int:
        agent = await store.agent_by_name(args.name)
        if agent is None:
            print(f"loket: no agent named {args.name!r}", file=sys.stderr)
            return 1
        try:
            print(await change(store, agent.id))
        except _Refused as refused:
            print(f"loket: {refused}", file=sys.stderr)
            return 1
        return 0

    return _with_store(settings or _settings(args), work)


def cmd_agents_passwd(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def exists(store: Store) -> int:
        return int(await store.agent_by_name(args.name) is not None)

    # Said before the password is asked for, not after it was typed twice.
    if not _with_store(settings, exists):
        print(f"loket: no agent named {args.name!r}", file=sys.stderr)
        return 1
    password_hash = new_password_hasher().hash(_read_password(args, "New password: "))

    async def change(store: Store, agent_id: int) -> str:
        await store.update_agent(agent_id, password_hash=password_hash)
        await store.delete_sessions_of(agent_id)
        return f"password of {args.name!r} changed; their sessions are logged out"

    return _agent_update(args, change, settings)


async def _the_last_admin(store: Store, agent_id: int) -> bool:
    """Whether `agent_id` is the only enabled admin (nobody could use the admin pages
    without them)."""
    admins = [a.id for a in await store.list_agents() if a.is_admin and not a.disabled]
    return admins == [agent_id]


class _Refused(Exception):
    """A change `_agent_update` says no to, with the reason."""


def cmd_agents_disable(args: argparse.Namespace) -> int:
    async def change(store: Store, agent_id: int) -> str:
        if await _the_last_admin(store, agent_id):
            raise _Refused(f"{args.name!r} is the last admin: make another agent an admin first")
        await store.update_agent(agent_id, disabled=1)
        await store.delete_sessions_of(agent_id)
        return f"{args.name!r} disabled and logged out"

    return _agent_update(args, change)


def cmd_agents_display_name(args: argparse.Namespace) -> int:
    async def change(store: Store, agent_id: int) -> str:
        await store.update_agent(agent_id, display_name=args.display_name)
        return (
            f"{args.name!r} is now shown to shoppers as {args.display_name!r}; {args.name}'s"
            " own console shows it once reloaded"
        )

    return _agent_update(args, change)


def cmd_agents_enable(args: argparse.Namespace) -> int:
    async def change(store: Store, agent_id: int) -> str:
        await store.update_agent(agent_id, disabled=0)
        return f"{args.name!r} enabled"

    return _agent_update(args, change)


def cmd_agents_role(args: argparse.Namespace) -> int:
    async def change(store: Store, agent_id: int) -> str:
        if args.role == "agent" and await _the_last_admin(store, agent_id):
            raise _Refused(f"{args.name!r} is the last admin: make another agent an admin first")
        await store.update_agent(agent_id, is_admin=int(args.role == "admin"))
        return f"{args.name!r} is now {'an admin' if args.role == 'admin' else 'an agent'}"

    return _agent_update(args, change)


def cmd_shoppers_forget(args: argparse.Namespace) -> int:
    """Delete a shopper's conversations and everything kept of them (an erasure request)."""

    way = next(w for w in erasure.WAYS if getattr(args, w) is not None)

    async def work(store: Store) -> int:
        shoppers = await erasure.find(store, way, getattr(args, way))
        if not shoppers:
            print("loket: no shopper found", file=sys.stderr)
            return 1
        found = await erasure.survey(store, shoppers, set())
        if found.still_open:
            numbers = ", ".join(map(str, found.still_open))
            print(
                f"loket: their conversation(s) {numbers} still open: start the server, close"
                " them in the console (or forget the shopper there: Admin, Forget a shopper)",
                file=sys.stderr,
            )
            return 1
        if not args.yes:
            for shopper_id, how in shoppers.items():
                print(f"shopper {shopper_id}: {how}")
            print(
                f"would delete {len(shoppers)} shopper(s) and their {len(found.closed)}"
                f" conversation(s) ({', '.join(map(str, found.closed)) or 'none'}) with their"
                " messages, left questions, ratings, feedback, misses and learned candidates;"
                " run again with --yes"
            )
            return 0
        print("deleted " + erasure.told(await erasure.erase(store, found)))
        return 0

    settings = _settings(args)
    # Not beside a running server: it keeps shoppers and conversations in memory, which an
    # erasure done behind its back would leave there. Held meanwhile, so none starts.
    try:
        held = _hold_data_dir(settings.server.data_dir, settings.store_path)
    except DataFolderInUse as running:
        print(
            f"loket: a Loket server is running on {running.what} (process"
            f" {running.holder}): forget the shopper in its console instead (Admin, Forget a"
            " shopper, or POST /api/admin/forget), or stop it first: a running server keeps"
            " shoppers and conversations in memory that an erasure must not leave",
            file=sys.stderr,
        )
        return 1
    try:
        return _with_store(settings, work)
    finally:
        for lock in held:
            os.close(lock)


# -- parser ------------------------------------------------------------------------


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r}: a port is a number from 0 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loket", description=__doc__)
    parser.add_argument(
        "--config", default=None, help="settings file (default: ./config.toml if present)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the chat server")
    serve.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    serve.add_argument("--host", default=None, help="address to listen on")
    serve.add_argument("--port", type=port_number, default=None, help="port to listen on (0: any)")
    serve.add_argument(
        "--new-secret",
        action="store_true",
        help="accept a changed signing secret, other than the one the store's shoppers' tokens"
        " were signed with (every shopper's browser starts a new conversation)",
    )
    serve.set_defaults(func=cmd_serve)

    agents = commands.add_parser("agents", help="manage agent accounts")
    agents.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    verbs = agents.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="add an agent (password from a prompt or stdin)")
    add.add_argument("name", type=agent_name, help="login name (letters, digits, . _ - + @)")
    add.add_argument("--admin", action="store_true", help="may use the admin pages")
    add.add_argument(
        "--display-name", type=display_name, help="name shown to shoppers (default: NAME)"
    )
    add.add_argument(
        "--init",
        action="store_true",
        help="make a new store when there is none yet (the server makes it when it first"
        " starts; without --init, a missing store is an error)",
    )
    add.set_defaults(func=cmd_agents_add)
    verbs.add_parser("list", help="list agents").set_defaults(func=cmd_agents_list)
    passwd = verbs.add_parser("passwd", help="set a new password (prompt or stdin)")
    passwd.add_argument("name")
    passwd.set_defaults(func=cmd_agents_passwd)
    disable = verbs.add_parser("disable", help="stop an agent from logging in")
    disable.add_argument("name")
    disable.set_defaults(func=cmd_agents_disable)
    enable = verbs.add_parser("enable", help="let a disabled agent log in again")
    enable.add_argument("name")
    enable.set_defaults(func=cmd_agents_enable)
    shown = verbs.add_parser("display-name", help="change the name shoppers see")
    shown.add_argument("name")
    shown.add_argument("display_name", type=display_name, metavar="DISPLAY_NAME")
    shown.set_defaults(func=cmd_agents_display_name)
    role = verbs.add_parser("role", help="make an agent an admin, or not")
    role.add_argument("name")
    role.add_argument("role", choices=["admin", "agent"])
    role.set_defaults(func=cmd_agents_role)

    shoppers = commands.add_parser("shoppers", help="shoppers' data")
    shopper_verbs = shoppers.add_subparsers(dest="verb", required=True, metavar="VERB")
    forget = shopper_verbs.add_parser(
        "forget",
        help="delete a shopper's conversations and all kept of them (asks for --yes)",
    )
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--email",
        type=not_blank,
        help="the e-mail address the shop's page gave or left with a question",
    )
    who.add_argument(
        "--phone",
        type=not_blank,
        help="a phone number left with a question (matched by its last digits)",
    )
    who.add_argument("--customer", type=not_blank, help="the shop's customer id (as vouched for)")
    who.add_argument("--shopper", type=int, help="a shopper's number (the console's Shopper #N)")
    who.add_argument(
        "--conversation", type=int, help="a conversation's number (the store's, the admin API's)"
    )
    forget.add_argument("--yes", action="store_true", help="delete (without: only say what)")
    forget.set_defaults(func=cmd_shoppers_forget)

    bot_cli.register(commands)
    _config_anywhere(parser)
    return parser


def _config_anywhere(parser: argparse.ArgumentParser) -> None:
    """Accept `--config` after any command or verb too (`loket agents list --config X`),
    as well as before it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--config" not in sub._option_string_actions:
                    sub.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
                _config_anywhere(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"loket: configuration error:\n{exc}", file=sys.stderr)
        return 2
    except (StoreError, ListenError) as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`loket faq concepts | head`): no traceback, and none when
        # Python flushes stdout on the way out either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())
