"""The realtime scenarios, each run the same way against Loket and against the bare relay."""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import servers
from bench.driver import Generators
from bench.stats import ms, summarize

SERVERS = ("loket", "baseline")
# Other processes may use at most this much of a core during a measured step ...
BUSY_LIMIT = 0.25
# ... or the step is repeated this many times, after this pause (seconds).
CONTENDED_RETRIES = 3
CONTENDED_PAUSE = 5.0
# A ramp step that fails while the server and the load generators each used less than
# this much of a core is run once more (see `ramp`).
STALL_CPU = 0.5


@dataclass(frozen=True)
class CapacityPlan:
    """How the message-rate ramp runs."""

    agents: int = 20
    # Shoppers per agent: Loket's default routing capacity, so every conversation is
    # assigned at once and none waits in the queue.
    shoppers_per_agent: int = 4
    generators: int = 2
    step_seconds: float = 4.0
    start_rate: float = 100.0
    growth: float = 1.5
    max_steps: int = 14
    refine_steps: int = 2
    latency_seconds: float = 10.0
    # A rate is sustained while p99 shopper->agent stays under this and (almost) nothing
    # is left undelivered when the run drains.
    p99_limit_ms: float = 100.0
    delivered_fraction: float = 0.99


@dataclass(frozen=True)
class IdlePlan:
    """Idle connections: memory at each count, then the largest count held under traffic."""

    counts: tuple[int, ...] = (1000, 5000, 10000)
    hold_target: int = 20000
    hold_seconds: float = 40.0
    message_interval: float = 20.0
    generators: int = 2
    p99_limit_ms: float = 100.0
    # Hold again with the bot matching by words alone (Loket only).
    hold_words_alone: bool = True


@contextlib.contextmanager
def running(
    kind: str, agents: int = 0, *, semantic: bool = True
) -> Iterator[tuple[servers.ServerProcess, list[tuple[str, str]]]]:
    """A fresh server of `kind` with `agents` agents; yields it and (name, token) pairs."""
    with tempfile.TemporaryDirectory(prefix=f"loket-bench-{kind}-") as folder:
        root = Path(folder)
        names = [f"agent{i:03d}" for i in range(agents)]
        if kind == "loket":
            config = servers.write_loket_config(root, semantic=semantic)
            servers.add_agents(config, names)
            server = servers.loket_server(root)
        else:
            server = servers.baseline_server(root)
        server.start()
        try:
            # The bare relay has no logins: any token will do.
            tokens = asyncio.run(servers.login_all(server.url, names)) if kind == "loket" else names
            yield server, list(zip(names, tokens, strict=True))
        finally:
            server.stop()


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def merge_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure set from the replies of every generator process for one run."""
    sent = sum(r["sent"] for r in runs)
    delivered = sum(r["delivered"] for r in runs)
    replies = sum(r["replies_delivered"] for r in runs)
    refused: dict[str, int] = {}
    for r in runs:
        for code, n in r["acks_refused"].items():
            refused[code] = refused.get(code, 0) + n
    t0 = min(r["t0"] for r in runs)
    active = max(r["last_event"] for r in runs) - t0
    return {
        "offered_rate": sum(r["rate"] for r in runs),
        "seconds": runs[0]["seconds"],
        "sent": sent,
        "acks_ok": sum(r["acks_ok"] for r in runs),
        "delivered_to_agent": delivered,
        "replies_delivered": replies,
        "bot_replies": sum(r["bot_replies"] for r in runs),
        "refused": refused,
        "relayed_per_second": (delivered + replies) / active if active > 0 else 0.0,
        "to_agent_ms": summarize(ms([x for r in runs for x in r["to_agent"]])),
        "ack_ms": summarize(ms([x for r in runs for x in r["acked"]])),
        "to_shopper_ms": summarize(ms([x for r in runs for x in r["to_shopper"]])),
        "send_lag_ms": summarize(ms([x for r in runs for x in r["send_lag"]])),
        "generator_cpu": sum(r["cpu_seconds"] for r in runs) / max(r["wall_seconds"] for r in runs),
        "wall_seconds": max(r["wall_seconds"] for r in runs),
    }


def run_step(
    generators: Generators, server: servers.ServerProcess, rate: float, seconds: float, group: str
) -> dict[str, Any]:
    """One open-loop run at `rate` messages/s, split over the generator processes."""
    ours = [server.pid, *generators.pids]
    ours_before = sum(servers.cpu_seconds(pid) for pid in ours)
    busy_before = servers.machine_busy_seconds()
    cpu_before = servers.cpu_seconds(server.pid)
    start_at = time.monotonic() + 0.2
    shares = [rate / len(generators)] * len(generators)
    replies = generators.call_all(
        "run",
        timeout=seconds + 120,
        per_worker=[
            {"rate": share, "seconds": seconds, "group": group, "start_at": start_at}
            for share in shares
        ],
    )
    merged = merge_runs(replies)
    wall = merged["wall_seconds"]
    merged["server_cpu"] = (servers.cpu_seconds(server.pid) - cpu_before) / wall
    # Other work on the machine (other test runs, builds) competes for the two cores: say so.
    ours_used = sum(servers.cpu_seconds(pid) for pid in ours) - ours_before
    merged["other_cpu"] = max(
        0.0, (servers.machine_busy_seconds() - busy_before - ours_used) / wall
    )
    relayed = merged["delivered_to_agent"] + merged["replies_delivered"]
    cpu_used = merged["server_cpu"] * merged["wall_seconds"]
    merged["server_cpu_us_per_message"] = 1e6 * cpu_used / relayed if relayed else math.nan
    return merged


def quiet_step(
    generators: Generators,
    server: servers.ServerProcess,
    rate: float,
    seconds: float,
    log: Any,
    kind: str,
) -> dict[str, Any]:
    """`run_step`, run again (a few times at most) while other work loads the machine.

    Two cores leave no room for anyone else: a step during which other processes took
    more than `BUSY_LIMIT` of a core says nothing about the server, so it is repeated
    after a pause; a step still contended after that is marked `contended`.
    """
    step: dict[str, Any] = {}
    for attempt in range(1, CONTENDED_RETRIES + 2):
        step = run_step(generators, server, rate, seconds, "paired")
        step["contended"] = step["other_cpu"] > BUSY_LIMIT
        if not step["contended"]:
            return step
        log(_step_line(kind, step, f"busy{attempt}"))
        if attempt <= CONTENDED_RETRIES:
            time.sleep(CONTENDED_PAUSE)
    return step


def sustained(step: dict[str, Any], plan: CapacityPlan) -> bool:
    sent = step["sent"]
    return (
        not step["refused"]
        and step["delivered_to_agent"] >= plan.delivered_fraction * sent
        and step["replies_delivered"] >= plan.delivered_fraction * sent
        and step["to_agent_ms"]["p99"] <= plan.p99_limit_ms
    )


def _brief(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k not in ("ack_ms", "to_shopper_ms", "send_lag_ms")}


def _paired(generators: Generators, agents: list[tuple[str, str]], per_agent: int) -> list[Any]:
    """Agents split over the generator processes, each process pairing shoppers with its own."""
    groups = [agents[i :: len(generators)] for i in range(len(generators))]
    generators.call_all("connect_agents", per_worker=[{"agents": group} for group in groups])
    paired = generators.call_all(
        "pair", timeout=300, per_worker=[{"shoppers": len(g) * per_agent} for g in groups]
    )
    # Then each agent syncs, as the console does, and receives what a console receives.
    generators.call_all("sync_agents")
    return paired


def fixed_rate(kind: str, agents: int, per_agent: int, rate: float, seconds: float) -> Any:
    """One run at a fixed rate from paired shoppers (the smoke test's smallest piece)."""
    with running(kind, agents) as (server, agent_tokens):
        generators = Generators(server.url, servers.SHOP_ORIGIN, 1)
        try:
            paired = _paired(generators, agent_tokens, per_agent)
            step = run_step(generators, server, rate, seconds, "paired")
            step["shoppers"] = sum(p["paired"] for p in paired)
            step["compressed_connections"] = sum(p["compressed"] for p in paired)
            step["server_errors"] = server.errors()
            return step
        finally:
            generators.close()


def ramp(
    measure: Callable[[float], dict[str, Any]],
    plan: CapacityPlan,
    log: Callable[[dict[str, Any], str], None],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, float | None]:
    """Raise the rate by `plan.growth` until a step is not sustained, then halve the gap
    between the last sustained rate and the first that was not, `plan.refine_steps` times.

    Returns every step, the highest sustained one and the lowest rate not sustained.
    A step that fails while neither the server nor the load generators used
    `STALL_CPU` of a core was stopped by something outside the load (on a fresh machine
    once, a p99 of 121 ms at 225 messages a second with the server at a quarter of a
    core): it is run once more, and the rate fails only if the repeat fails too. Both
    are kept in `steps`; a step near the top, where the server or the generators are
    busy, gets no second try.
    """
    steps: list[dict[str, Any]] = []

    def run(rate: float, label: str) -> dict[str, Any]:
        step = measure(rate)
        step["sustained"] = sustained(step, plan)
        step["repeat"] = label == "again"
        steps.append(_brief(step))
        log(step, label)
        return step

    def attempt(rate: float) -> dict[str, Any]:
        step = run(rate, "step")
        if step["sustained"] or not _idle_failure(step):
            return step
        return run(rate, "again")

    good: dict[str, Any] | None = None
    bad_rate: float | None = None
    rate = plan.start_rate
    for _ in range(plan.max_steps):
        step = attempt(rate)
        if not step["sustained"]:
            bad_rate = rate
            break
        good = step
        rate *= plan.growth
    for _ in range(plan.refine_steps if bad_rate is not None else 0):
        low = good["offered_rate"] if good else 0.0
        assert bad_rate is not None
        rate = (low + bad_rate) / 2
        step = attempt(rate)
        if step["sustained"]:
            good = step
        else:
            bad_rate = rate
    return steps, good, bad_rate


def _idle_failure(step: dict[str, Any]) -> bool:
    """A failed step during which nothing that carries the load was near its limit."""
    return step["server_cpu"] < STALL_CPU and step["generator_cpu"] < STALL_CPU


def capacity(kind: str, plan: CapacityPlan, log: Any = print) -> dict[str, Any]:
    """Ramp the shopper message rate until it is no longer sustained; then latency at half."""
    with running(kind, plan.agents) as (server, agents):
        generators = Generators(server.url, servers.SHOP_ORIGIN, plan.generators)
        try:
            paired = _paired(generators, agents, plan.shoppers_per_agent)
            compressed = sum(p["compressed"] for p in paired)
            shoppers = sum(p["paired"] for p in paired)
            steps, good, bad_rate = ramp(
                lambda rate: quiet_step(generators, server, rate, plan.step_seconds, log, kind),
                plan,
                lambda step, label: log(_step_line(kind, step, label)),
            )
            half: dict[str, Any] | None = None
            if good is not None:
                half_rate = good["offered_rate"] / 2
                half = quiet_step(generators, server, half_rate, plan.latency_seconds, log, kind)
                log(_step_line(kind, half, "half"))
            return {
                "server": kind,
                "shoppers": shoppers,
                "agents": len(agents),
                "compressed_connections": compressed,
                "max_sustained": _brief(good) if good else None,
                "first_unsustained_rate": bad_rate,
                "half_rate": half,
                "steps": steps,
                "contended_steps": sum(1 for s in steps if s.get("contended")),
                "server_errors": server.errors()[:20],
            }
        finally:
            generators.close()


def _step_line(kind: str, step: dict[str, Any], label: str = "step") -> str:
    return (
        f"  {kind:8} {label:4} offered {step['offered_rate']:7.0f}/s"
        f"  relayed {step['relayed_per_second']:7.0f}/s"
        f"  p99 {step['to_agent_ms']['p99']:8.1f} ms"
        f"  server cpu {step['server_cpu']:4.0%}  generators {step['generator_cpu']:4.0%}"
        f"  other {step['other_cpu']:4.0%}"
        f"  {_verdict(step.get('sustained'))}"
        f"{'  (machine busy)' if step.get('contended') else ''}"
    )


def _verdict(sustained: bool | None) -> str:
    return "" if sustained is None else ("ok" if sustained else "NOT SUSTAINED")


def _settled_rss(pid: int) -> int:
    time.sleep(1.0)
    return servers.rss_bytes(pid)


def idle(kind: str, plan: IdlePlan, log: Any = print) -> dict[str, Any]:
    """RSS per idle shopper at each count; then the most shoppers held while they chat."""
    with running(kind) as (server, _):
        generators = Generators(server.url, servers.SHOP_ORIGIN, plan.generators)
        try:
            rss0 = _settled_rss(server.pid)
            # Each connection is one file descriptor in the server; keep a margin for the
            # store, the listening socket and the log.
            room = servers.fd_limit() - servers.open_files(server.pid) - 64
            memory = []
            connected = 0
            failures: list[str] = []
            for count in plan.counts:
                _connect_more(generators, count - connected, failures)
                connected = count
                rss = _settled_rss(server.pid)
                memory.append(
                    {
                        "shoppers": count,
                        "rss_bytes": rss,
                        "rss_delta_bytes": rss - rss0,
                        "bytes_per_shopper": (rss - rss0) / count,
                    }
                )
                log(
                    f"  {kind:8} idle {count:6d} shoppers: RSS +{(rss - rss0) / 2**20:6.1f} MiB,"
                    f" {(rss - rss0) / count / 1024:5.1f} KiB each"
                )
            target = min(plan.hold_target, room)
            hold: dict[str, Any] | None = None
            if plan.hold_seconds > 0 and target > connected:
                hold = _hold(kind, generators, server, plan, target - connected, target, log)
                hold["bytes_per_shopper"] = (hold["rss_bytes"] - rss0) / target
                hold["fd_room"] = room
            result: dict[str, Any] = {
                "server": kind,
                "rss_before_bytes": rss0,
                "memory": memory,
                "hold": hold,
                "connect_failures": failures[:10],
                "server_errors": server.errors()[:20],
            }
        finally:
            generators.close()
    if kind == "loket" and plan.hold_seconds > 0 and plan.hold_words_alone:
        # The same hold with the bot matching by words alone (`[bot] semantic = false`):
        # what the chat itself holds when the sentence encoder's CPU is out of the way.
        with running(kind, semantic=False) as (server, _):
            generators = Generators(server.url, servers.SHOP_ORIGIN, plan.generators)
            try:
                target = min(
                    plan.hold_target, servers.fd_limit() - servers.open_files(server.pid) - 64
                )
                result["hold_words_alone"] = _hold(
                    kind, generators, server, plan, target, target, log, label="hold (words)"
                )
            finally:
                generators.close()
    return result


def _hold(
    kind: str,
    generators: Generators,
    server: servers.ServerProcess,
    plan: IdlePlan,
    more: int,
    target: int,
    log: Any,
    label: str = "hold",
) -> dict[str, Any]:
    """Connect `more` shoppers (to `target` in all); then each sends a message every
    `plan.message_interval` seconds for `plan.hold_seconds`."""
    failures: list[str] = []
    started = time.monotonic()
    _connect_more(generators, more, failures)
    connect_seconds = time.monotonic() - started
    rss = _settled_rss(server.pid)
    step = run_step(generators, server, target / plan.message_interval, plan.hold_seconds, "idle")
    hold = {
        "target": plan.hold_target,
        "shoppers": target,
        "connect_seconds": connect_seconds,
        "rss_bytes": rss,
        "held": step["ack_ms"]["p99"] <= plan.p99_limit_ms
        and step["acks_ok"] >= 0.99 * step["sent"],
        "connect_failures": failures[:10],
        **step,
    }
    log(
        f"  {kind:8} {label} {target:6d} shoppers, a message each"
        f" {plan.message_interval:.0f} s: ack p99 {step['ack_ms']['p99']:.1f} ms,"
        f" server cpu {step['server_cpu']:.0%}, other {step['other_cpu']:.0%}"
    )
    return hold


def _connect_more(generators: Generators, count: int, failures: list[str]) -> None:
    replies = generators.call_all(
        "connect_idle",
        timeout=600,
        per_worker=[{"count": n} for n in _split(count, len(generators))],
    )
    for reply in replies:
        failures.extend(reply["failures"])
        if reply["failed"]:
            raise RuntimeError(f"{reply['failed']} connections failed: {reply['failures']}")
