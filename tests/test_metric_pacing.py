"""How widget metrics spread over their allowance: short bursts, then one per spacing."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import RequestBudget
from custom_components.activitysmith.metrics.sender import BURST, PacedSender

from .metrics_support import MetricServer, add_metric

SPACING = 60.5 / 300


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> MetricServer:
    return MetricServer(aioclient_mock)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_metrics_due_together_go_at_once_then_one_per_spacing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """BURST back to back; the rest once BURST spacings have passed, not sooner."""
    for index in range(BURST + 2):
        hass.states.async_set(f"sensor.m{index}", "1")
        await add_metric(hass, loaded_entry, f"sensor.m{index}", decimals=0)
    assert len(server.metrics) == BURST
    await advance(hass, freezer, BURST * SPACING - 0.05)
    assert len(server.metrics) == BURST
    await advance(hass, freezer, 0.1)
    assert len(server.metrics) == BURST + 2  # BURST in any BURST spacings


async def test_a_metric_waits_while_the_server_says_nothing_is_left(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another client spent the allowance: the value goes once the window resets."""
    hass.states.async_set("sensor.m", "1")
    await add_metric(hass, loaded_entry, "sensor.m", decimals=0, interval=1)
    budget = loaded_entry.runtime_data.client.budget
    budget.observe(
        {
            "RateLimit": '"account:metrics"; r=0; t=30',
            "RateLimit-Policy": '"account:metrics"; q=300; w=60',
        },
        sent_at=0.0,
        scope="metrics",
    )
    hass.states.async_set("sensor.m", "2")
    await advance(hass, freezer, 29)
    assert server.values() == [1]
    await advance(hass, freezer, 2)
    assert server.values() == [1, 2]


async def test_a_sender_ignores_values_of_unknown_sources_and_after_it_stopped(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A source must be added first; a stopped sender (an unload) sends nothing."""
    sender = PacedSender(hass, loaded_entry, RequestBudget(), "metrics")
    sent: list[float] = []

    async def send(value: float) -> None:
        sent.append(value)

    sender.submit("unknown", 1)
    sender.add("known", send=send, on_result=lambda *_: None, interval=1, current=None)
    sender.stop()
    sender.submit("known", 2)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sent == []
    assert sender.waiting("known") is None
