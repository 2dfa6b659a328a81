"""A preemption's end reaches ActivitySmith before the start it makes room for.

Found by the bench's slots scenario (bench/slots_run.py) with a busy budget: the
victim's end was queued behind its own update on the wire, and the more important
start went out at once, ahead of it. The server saw five active Live Activities and
refused the start (429 LiveActivityLimitError); the ledger then took the refusal for
another client's activity and held a slot free for minutes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from .client_support import until
from .tracked_support import (
    StreamServer,
    quick_budget,  # noqa: F401 (a fixture)
    settle,
)

pytestmark = pytest.mark.usefixtures("quick_budget")


async def stream(hass: HomeAssistant, key: str, priority: str, step: int) -> Any:
    """A stream_live_activity call (a progress of `step` percent)."""
    return await hass.services.async_call(
        "activitysmith",
        "stream_live_activity",
        {
            "stream_key": key,
            "title": key,
            "type": "progress",
            "percentage": step,
            "priority": priority,
        },
        blocking=True,
        return_response=True,
    )


async def test_the_victims_end_goes_before_the_start_that_takes_its_slot(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The victim's update is on the wire: its end waits for it, the start for both."""
    monkeypatch.setattr(
        "custom_components.activitysmith.slots.model.MIN_SHOWN", timedelta(0)
    )
    server = StreamServer(aioclient_mock)
    # Stream keys of the shape StreamServer answers (a tracked entity's).
    for key in ("ha-a", "ha-b", "ha-c", "ha-d"):
        await stream(hass, key, "low", 1)
    await settle(hass, loaded_entry)
    server.gate = asyncio.Event()
    update = hass.async_create_task(stream(hass, "ha-a", "low", 2))
    await until(lambda: len(server.received) == 5)  # a's update is on the wire
    start = hass.async_create_task(stream(hass, "ha-e", "high", 1))
    await asyncio.sleep(0.05)
    server.gate.set()
    await update
    await start
    await settle(hass, loaded_entry)
    order = [(method, key) for method, key, _ in server.received[4:]]
    assert order == [("PUT", "ha-a"), ("DELETE", "ha-a"), ("PUT", "ha-e")]
    assert server.running == {"ha-b", "ha-c", "ha-d", "ha-e"}
    ledger = loaded_entry.runtime_data.publisher.ledger
    assert ledger.others == 0
    assert [slot.slot_id for slot in ledger.waiting] == ["ha-a"]
