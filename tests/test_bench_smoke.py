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
    assert step["replies_delivered"] > 0
    assert step["relayed_per_second"] > 0
    for figure in ("to_agent_ms", "ack_ms", "to_shopper_ms"):
        assert step[figure]["count"] > 0
        assert 0 < step[figure]["p50"] <= step[figure]["p99"] < 10_000
        assert not math.isnan(step[figure]["p99"])
    assert step["server_errors"] == []
