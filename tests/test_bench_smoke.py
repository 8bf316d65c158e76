"""The benchmark's smallest pieces run against both servers and give sane figures."""

from __future__ import annotations

import math

import pytest
from bench import scenarios

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", scenarios.SERVERS)
def test_paired_shoppers_relay_and_measure(kind: str) -> None:
    """Twenty compressed shoppers chatting with five agents for 3 s: relayed and timed."""
    step = scenarios.fixed_rate(kind, agents=5, per_agent=4, rate=100.0, seconds=3.0)
    assert step["shoppers"] == 20
    # The generator offers permessage-deflate as browsers do; both servers decline it.
    assert step["compressed_connections"] == 0
    assert step["sent"] == 300
    assert step["refused"] == {}
    assert step["delivered_to_agent"] > 0
    # Agents synced as consoles do; each shopper message reaches its own agent once.
    assert step["delivered_to_agent"] <= step["sent"]
    assert step["replies_delivered"] > 0
    assert step["relayed_per_second"] > 0
    for figure in ("to_agent_ms", "ack_ms", "to_shopper_ms"):
        assert step[figure]["count"] > 0
        assert 0 < step[figure]["p50"] <= step[figure]["p99"] < 10_000
        assert not math.isnan(step[figure]["p99"])
    assert step["server_errors"] == []


def test_idle_memory_and_both_holds() -> None:
    """Idle shoppers are measured, then held while chatting, by default and with the bot
    matching by words alone (a fresh server for each)."""
    plan = scenarios.IdlePlan(
        counts=(20,), hold_target=40, hold_seconds=2.0, message_interval=1.0, generators=1
    )
    result = scenarios.idle("loket", plan, log=lambda line: None)
    assert result["memory"][0]["shoppers"] == 20
    for key in ("hold", "hold_words_alone"):
        hold = result[key]
        assert hold["shoppers"] == 40
        assert hold["sent"] > 0
        assert hold["acks_ok"] == hold["sent"]
        assert hold["bot_replies"] > 0
    assert result["server_errors"] == []
