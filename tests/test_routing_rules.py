"""Routing rules: who gets a conversation, where it goes, the wait estimate, the timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from loket.routing import (
    MAX_WAIT_SECONDS,
    MIN_WAIT_SECONDS,
    AgentState,
    AgentStatus,
    Route,
    RouteDecision,
    RouteReason,
    RoutingSettings,
    answer_deadline,
    answer_overdue,
    decide_route,
    disconnect_deadline,
    disconnect_overdue,
    estimate_wait,
    pick_agent,
    queue_deadline,
    queue_overdue,
)

NOON = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)


def agent(
    agent_id: int,
    load: int = 0,
    *,
    status: AgentStatus = "online",
    capacity: int = 4,
    idle_minutes: float = 0,
) -> AgentState:
    """An agent idle for `idle_minutes` before noon."""
    idle_since = NOON - timedelta(minutes=idle_minutes)
    return AgentState(agent_id, status, load, capacity, idle_since)


def pick(agents: list[AgentState], **options: Any) -> int | None:
    options.setdefault("preferred_agent_id", None)
    options.setdefault("staffed", True)
    return pick_agent(agents, **options)


# -- settings ------------------------------------------------------------------------------


def test_routing_defaults() -> None:
    """With no [routing] table the documented defaults apply."""
    settings = RoutingSettings()
    assert settings.max_conversations_per_agent == 4
    assert settings.agent_answer_timeout_seconds == 120
    assert settings.disconnect_grace_seconds == 30
    assert settings.heartbeat_interval_seconds == 15
    assert settings.queue_timeout_seconds == 600
    assert settings.default_handling_seconds == 300
    assert settings.capacity == {}


def test_capacity_overrides_apply_by_agent_name() -> None:
    """An agent named in `capacity` gets their own number; everyone else the default."""
    settings = RoutingSettings.model_validate({"capacity": {"anna": 6, "Bram": 0}})
    assert settings.capacity_for("anna") == 6
    assert settings.capacity_for("Anna") == 6
    # Agent names are one name in any case, as at the login.
    assert settings.capacity_for("bram") == 0
    assert settings.capacity_for("carla") == 4
    with pytest.raises(ValidationError, match="capacity names agent 'ANNA' twice"):
        RoutingSettings.model_validate({"capacity": {"anna": 6, "ANNA": 2}})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"capacity": {"anna": -1}}, "capacity for agent 'anna' must be from 0 to 100 (got -1)"),
        ({"capacity": {" ": 2}}, "an agent name in capacity is empty"),
        ({"max_conversations_per_agent": 0}, "greater than or equal to 1"),
        ({"queue_timeout_seconds": 0}, "greater than 0"),
        ({"queue_timeout": 60}, "Extra inputs are not permitted"),
    ],
)
def test_routing_mistakes_are_refused_clearly(table: dict[str, Any], message: str) -> None:
    """Each kind of mistake in [routing] is refused with a message saying what is wrong."""
    with pytest.raises(ValidationError) as caught:
        RoutingSettings.model_validate(table)
    assert message in str(caught.value)


# -- pick_agent ----------------------------------------------------------------------------


def test_nobody_is_picked_outside_staffed_hours() -> None:
    """Outside staffed hours no agent is picked, even one online with room."""
    assert pick([agent(1)], staffed=False) is None


def test_only_online_agents_are_picked() -> None:
    """Away and offline agents are passed over, however idle."""
    agents = [
        agent(1, status="away", idle_minutes=60),
        agent(2, status="offline", idle_minutes=60),
        agent(3, load=3),
    ]
    assert pick(agents) == 3


def test_agents_at_capacity_are_not_picked() -> None:
    """An agent whose load has reached their capacity gets no more; with nobody else, None."""
    assert pick([agent(1, load=4), agent(2, load=2, capacity=2)]) is None
    assert pick([agent(1, load=4), agent(2, load=3)]) == 2


def test_excluded_agents_are_not_picked() -> None:
    """An excluded agent (the one who let it go unanswered) is passed over."""
    assert pick([agent(1), agent(2, load=2)], exclude=frozenset({1})) == 2
    assert pick([agent(1)], exclude=frozenset({1})) is None


def test_the_preferred_agent_wins_when_they_have_room() -> None:
    """The shopper's previous agent gets them back even when others are less loaded."""
    assert pick([agent(1), agent(2, load=3)], preferred_agent_id=2) == 2


def test_a_full_or_absent_preferred_agent_falls_back_to_the_rules() -> None:
    """A preferred agent who is full, away or excluded does not block the others."""
    assert pick([agent(1, load=1), agent(2, load=4)], preferred_agent_id=2) == 1
    assert pick([agent(1, load=1), agent(2, status="away")], preferred_agent_id=2) == 1
    assert pick([agent(1, load=1), agent(2)], preferred_agent_id=2, exclude=frozenset({2})) == 1
    assert pick([agent(1, load=1)], preferred_agent_id=9) == 1


def test_the_least_loaded_agent_is_picked() -> None:
    """Without a preferred agent, the one with the fewest conversations gets it."""
    assert pick([agent(1, load=2), agent(2, load=1), agent(3, load=3)]) == 2


def test_ties_go_to_the_agent_idle_longest() -> None:
    """Between equally loaded agents, the one idle longest gets it."""
    assert pick([agent(1, load=1, idle_minutes=5), agent(2, load=1, idle_minutes=20)]) == 2


def test_full_ties_go_to_the_lowest_id() -> None:
    """Equally loaded and equally idle agents are decided by the lowest id, every time."""
    assert pick([agent(7, idle_minutes=5), agent(3, idle_minutes=5), agent(5, idle_minutes=5)]) == 3


# -- decide_route --------------------------------------------------------------------------


def test_route_assigns_to_the_preferred_agent() -> None:
    """When the previous agent has room, the decision says so."""
    decision = decide_route([agent(1), agent(2, load=2)], staffed=True, preferred_agent_id=2)
    assert decision == RouteDecision(Route.ASSIGN, RouteReason.PREFERRED_AGENT, 2)


def test_route_assigns_to_the_least_loaded_agent() -> None:
    """Without a preferred agent, the conversation is assigned to the least loaded one."""
    decision = decide_route([agent(1, load=2), agent(2, load=1)], staffed=True)
    assert decision == RouteDecision(Route.ASSIGN, RouteReason.LEAST_LOADED, 2)


def test_route_queues_when_every_online_agent_is_full() -> None:
    """Agents online but all at capacity: the conversation waits in the queue."""
    decision = decide_route([agent(1, load=4), agent(2, status="away")], staffed=True)
    assert decision == RouteDecision(Route.QUEUE, RouteReason.AGENTS_BUSY)
    assert decision.agent_id is None


def test_route_queues_when_only_excluded_agents_are_online() -> None:
    """An online agent who was excluded still means people are around: queue, not bot."""
    decision = decide_route([agent(1)], staffed=True, exclude=frozenset({1}))
    assert decision.route is Route.QUEUE


def test_route_goes_to_the_bot_outside_staffed_hours() -> None:
    """Outside staffed hours the bot answers, whoever is online."""
    decision = decide_route([agent(1)], staffed=False)
    assert decision == RouteDecision(Route.BOT, RouteReason.NOT_STAFFED)


def test_route_goes_to_the_bot_when_nobody_is_online() -> None:
    """Staffed, but with every agent away or offline, the bot answers."""
    decision = decide_route([agent(1, status="away"), agent(2, status="offline")], staffed=True)
    assert decision == RouteDecision(Route.BOT, RouteReason.NO_AGENT_ONLINE)
    assert decide_route([], staffed=True).route is Route.BOT


# -- estimate_wait -------------------------------------------------------------------------


def test_the_default_handling_time_is_used_until_there_are_samples() -> None:
    """With fewer than three handled conversations, the configured default is used."""
    assert estimate_wait(1, [], 1, 300) == 300
    assert estimate_wait(1, [60, 60], 1, 300) == 300


def test_the_median_handling_time_is_used_once_measured() -> None:
    """The median of recent handling times is used, so one marathon chat does not skew it."""
    assert estimate_wait(1, [100, 200, 300, 40_000], 1, 300) == 250
    assert estimate_wait(1, [120, float("nan"), -5, 180, 240], 1, 300) == 180


def test_the_wait_grows_with_position_and_shrinks_with_places() -> None:
    """Wait is position × handling time / places (the capacities of the agents online)."""
    assert estimate_wait(3, [], 1, 300) == 900
    assert estimate_wait(3, [], 3, 300) == 300
    assert estimate_wait(4, [], 4, 300) == 300
    assert estimate_wait(1, [], 0, 300) == 300  # nobody online: counted as one place


def test_the_wait_estimate_is_bounded() -> None:
    """An estimate is never below half a minute nor above two hours."""
    assert estimate_wait(1, [], 20, 300) == MIN_WAIT_SECONDS
    assert estimate_wait(100, [], 1, 300) == MAX_WAIT_SECONDS


def test_no_agents_online_counts_as_one() -> None:
    """With nobody online the estimate is made as for one agent, not a division by zero."""
    assert estimate_wait(2, [], 0, 300) == 600


def test_a_queue_position_below_one_is_refused() -> None:
    """Position 1 is the next in line; 0 is a mistake of the caller."""
    with pytest.raises(ValueError, match="queue position starts at 1"):
        estimate_wait(0, [], 1, 300)


# -- timeouts ------------------------------------------------------------------------------


def test_an_unanswered_assignment_is_overdue_at_the_timeout() -> None:
    """An agent who has not answered within the timeout loses the conversation, not before."""
    assigned = NOON
    assert not answer_overdue(assigned, None, NOON + timedelta(seconds=119), timeout_seconds=120)
    assert answer_overdue(assigned, None, NOON + timedelta(seconds=120), timeout_seconds=120)
    assert answer_deadline(assigned, None, timeout_seconds=120) == NOON + timedelta(minutes=2)


def test_an_answered_assignment_is_never_overdue() -> None:
    """Once the agent has replied since being assigned, the conversation stays with them."""
    replied = NOON + timedelta(seconds=30)
    later = NOON + timedelta(hours=1)
    assert not answer_overdue(NOON, replied, later, timeout_seconds=120)
    assert answer_deadline(NOON, replied, timeout_seconds=120) is None


def test_a_reply_from_before_the_assignment_does_not_count() -> None:
    """A reply made before this assignment (by a previous agent) does not stop the clock."""
    before = NOON - timedelta(minutes=5)
    assert answer_overdue(NOON, before, NOON + timedelta(minutes=3), timeout_seconds=120)


def test_a_long_queue_wait_falls_back_to_the_bot() -> None:
    """A shopper queued for the queue timeout is handed to the bot, not a second earlier."""
    assert not queue_overdue(NOON, NOON + timedelta(seconds=599), timeout_seconds=600)
    assert queue_overdue(NOON, NOON + timedelta(seconds=600), timeout_seconds=600)
    assert queue_deadline(NOON, timeout_seconds=600) == NOON + timedelta(minutes=10)


def test_a_disconnected_agent_keeps_conversations_through_the_grace() -> None:
    """An agent back within the grace keeps their chats; past it they are requeued."""
    assert not disconnect_overdue(NOON, NOON + timedelta(seconds=29), grace_seconds=30)
    assert disconnect_overdue(NOON, NOON + timedelta(seconds=30), grace_seconds=30)
    assert disconnect_deadline(NOON, grace_seconds=30) == NOON + timedelta(seconds=30)


def test_a_zero_grace_requeues_at_once() -> None:
    """With disconnect_grace_seconds = 0 an agent's conversations are requeued immediately."""
    assert disconnect_overdue(NOON, NOON, grace_seconds=0)
