"""The two servers under test, each in its own process, and what /proc says about them."""

from __future__ import annotations

import concurrent.futures
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SHOP_ORIGIN = "http://shop.bench"
AGENT_PASSWORD = "bench-password-0123"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _raise_fd_limit() -> None:
    """In the child: as many open files as the hard limit allows (one per connection)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def write_loket_config(folder: Path, *, semantic: bool = True) -> Path:
    """Loket's defaults, except what a load test must change: rate limits and origins
    (and, with `semantic=False`, the bot matching by words alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0
data_dir = "{folder / "data"}"
allowed_origins = ["{SHOP_ORIGIN}"]

[security]
secret = "bench-secret-0123456789abcdef"
# The generator logs all its agents in from one address.
login_attempts_per_minute = 100000

[limits]
# One generated shopper sends far more than a person types; the bench measures the
# server's capacity, not its flood protection.
events_per_second = 1000000.0
event_burst = 1000000

[routing]
# A few agents take every generated conversation (the default is 4 each), so conversations
# are assigned rather than queued.
max_conversations_per_agent = 100

[bot]
faq_dir = "{ROOT / "faq"}"
semantic = {"true" if semantic else "false"}
""",
        encoding="utf-8",
    )
    return config


def add_agents(config: Path, names: list[str]) -> None:
    """`loket agents add NAME --init` for each name (password on stdin)."""

    def add(name: str) -> None:
        subprocess.run(
            [
                *(sys.executable, "-m", "loket.cli", "--config", str(config)),
                *("agents", "add", name, "--init"),
            ],
            input=AGENT_PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
            timeout=60,
        )

    if not names:
        return
    # The first one creates the store alone: two first openings would race on migrations.
    add(names[0])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(add, names[1:]))


async def login_all(url: str, names: list[str]) -> list[str]:
    """A session token per agent, from POST /api/login."""
    tokens = []
    async with aiohttp.ClientSession() as http:
        for name in names:
            body = {"name": name, "password": AGENT_PASSWORD}
            async with http.post(f"{url}/api/login", json=body) as response:
                data = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"login of {name} failed: {response.status} {data}")
                tokens.append(str(data["token"]))
    return tokens


@dataclass
class ServerProcess:
    """A server in a child process; `url` is read from its "listening on" line."""

    name: str
    args: list[str]
    cwd: Path
    process: subprocess.Popen[str] | None = None
    url: str = ""
    output: list[str] = field(default_factory=list)

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            preexec_fn=_raise_fd_limit,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                threading.Thread(target=self._drain, daemon=True).start()
                return
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if len(self.output) < 2000:
                self.output.append(line)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def errors(self) -> list[str]:
        """Lines of the server's output that report errors or tracebacks."""
        return [
            line.rstrip()
            for line in self.output
            if "ERROR" in line or "Traceback" in line or "Exception" in line
        ]


def loket_server(folder: Path) -> ServerProcess:
    config = folder / "config.toml"
    args = [sys.executable, "-m", "loket.cli", "--config", str(config), "serve"]
    return ServerProcess("loket", args, folder)


def baseline_server(folder: Path) -> ServerProcess:
    folder.mkdir(parents=True, exist_ok=True)
    return ServerProcess("baseline", [sys.executable, "-m", "bench.baseline"], ROOT)


def rss_bytes(pid: int) -> int:
    """Resident set size of `pid` (VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid`, its threads and its living child processes
    (Loket's sentence encoder runs in one), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(_gone_is_zero(cpu_seconds, child) for child in _children(pid))


def _gone_is_zero(read: Callable[[int], float], pid: int) -> float:
    try:
        return read(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            children.extend(int(child) for child in found)
    except (FileNotFoundError, ProcessLookupError):
        return []
    return children


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]
