"""The capacity ramp's rules, driven by made-up steps instead of a server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.scenarios import CapacityPlan, ramp

PLAN = CapacityPlan(start_rate=100.0, growth=2.0, max_steps=6, refine_steps=1)


def step(rate: float, *, ok: bool, server_cpu: float, generator_cpu: float = 0.1) -> dict[str, Any]:
    sent = int(rate * 4)
    return {
        "offered_rate": rate,
        "sent": sent,
        "delivered_to_agent": sent,
        "replies_delivered": sent,
        "refused": {},
        "to_agent_ms": {"p50": 1.0, "p99": 3.0 if ok else 150.0},
        "server_cpu": server_cpu,
        "generator_cpu": generator_cpu,
    }


def machine(limit: float, stalls: dict[float, int]) -> Callable[[float], dict[str, Any]]:
    """Sustains every rate up to `limit` (the server's CPU grows with the rate, a full core
    at `limit`), except that the rates in `stalls` fail that many times first."""
    left = dict(stalls)

    def measure(rate: float) -> dict[str, Any]:
        cpu = min(1.0, rate / limit)
        if left.get(rate, 0) > 0:
            left[rate] -= 1
            return step(rate, ok=False, server_cpu=cpu)
        return step(rate, ok=rate <= limit, server_cpu=cpu)

    return measure


def run(measure: Callable[[float], dict[str, Any]]) -> tuple[list[dict[str, Any]], Any, Any]:
    logged: list[str] = []
    steps, good, bad = ramp(measure, PLAN, lambda s, label: logged.append(label))
    assert len(logged) == len(steps)
    return steps, good, bad


def test_the_ramp_stops_at_the_first_rate_not_sustained_and_refines() -> None:
    steps, good, bad = run(machine(limit=1000.0, stalls={}))
    assert [s["offered_rate"] for s in steps] == [100, 200, 400, 800, 1600, 1200]
    assert good["offered_rate"] == 800
    assert bad == 1200
    assert not any(s["repeat"] for s in steps)


def test_a_stall_at_low_load_is_measured_again_and_does_not_end_the_ramp() -> None:
    # 200/s fails once with the server at a fifth of a core: not a capacity limit.
    steps, good, bad = run(machine(limit=1000.0, stalls={200.0: 1}))
    rates = [(s["offered_rate"], s["sustained"], s["repeat"]) for s in steps]
    assert rates[:3] == [(100, True, False), (200, False, False), (200, True, True)]
    assert good["offered_rate"] == 800
    assert bad == 1200


def test_a_rate_that_fails_twice_at_low_load_fails() -> None:
    steps, good, bad = run(machine(limit=1000.0, stalls={200.0: 2}))
    assert [(s["offered_rate"], s["repeat"]) for s in steps[:3]] == [
        (100, False),
        (200, False),
        (200, True),
    ]
    # Refined between 100 (sustained) and 200.
    assert bad == 200
    assert good["offered_rate"] == 150


def test_a_failure_with_the_server_busy_gets_no_second_try() -> None:
    # Near the top the server is busy: a failure there is the limit, measured once.
    steps, _, bad = run(machine(limit=1000.0, stalls={800.0: 1}))
    assert [s["offered_rate"] for s in steps] == [100, 200, 400, 800, 600]
    assert bad == 800
    assert not any(s["repeat"] for s in steps)


def test_a_failure_with_the_load_generators_busy_gets_no_second_try() -> None:
    def measure(rate: float) -> dict[str, Any]:
        # The server idles, but the generators carry all they can: their limit.
        return step(rate, ok=rate < 400, server_cpu=0.2, generator_cpu=0.9 if rate >= 400 else 0.2)

    steps, good, bad = run(measure)
    assert [s["offered_rate"] for s in steps] == [100, 200, 400, 300]
    assert bad == 400 and good["offered_rate"] == 300
