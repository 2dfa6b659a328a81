"""Stream order and loss under refusals, stop, unload and reload (the queue's promises).

For one stream key the server sees states in the order they were made; a refused
request keeps its place ahead of newer ones; an end is never dropped silently; after
unload the old client sends nothing new; the sensor never shows what the phone lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.activitysmith.client import API_BASE_URL, RequestBudget

from .conftest import act, stream_answer

STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
WASHER = "sensor.activitysmith_washer"
REFUSED = {
    "status": 429,
    "json": {"error": "Rate limit exceeded", "message": "x"},
    "headers": {"Retry-After": "0.05"},
}
AN_HOUR = {**REFUSED, "headers": {"Retry-After": "3600"}}


@pytest.fixture(autouse=True)
def quick_budget() -> Generator[None]:
    """Room for many requests, no spacing: only the server's answers make anything wait."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(
            RequestBudget, limit=100, window=1.0, stream_spacing=0.0, min_interval=0.0
        ),
    ):
        yield


class Server:
    """A fake stream endpoint: records what it received, answers from a script.

    Each request waits for its turn when `hold` is set, so a test can keep one on the
    wire while it makes other calls.
    """

    def __init__(self, aioclient_mock: AiohttpClientMocker) -> None:
        self.received: list[tuple[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.hold: asyncio.Event | None = None
        aioclient_mock.put(STREAM_URL, side_effect=self.answer)
        aioclient_mock.delete(STREAM_URL, side_effect=self.answer)

    async def refused_on_the_wire(
        self, hass: HomeAssistant, action: str, data: dict[str, Any]
    ) -> tuple[asyncio.Task[Any], asyncio.Event]:
        """Call `action`: its request waits on the wire until the event is set, then
        gets a 429. Returns the call and the event."""
        self.answers = [REFUSED]
        self.hold = release = asyncio.Event()
        call = hass.async_create_task(act(hass, action, data))
        await asyncio.sleep(0.01)
        return call, release

    async def answer(
        self, method: str, url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        percentage = ((data or {}).get("content_state") or {}).get("percentage")
        self.received.append((method, percentage))
        if self.hold is not None:
            hold, self.hold = self.hold, None
            await hold.wait()
        answer = self.answers.pop(0) if self.answers else {}
        if "status" not in answer:
            operation = "ended" if method == "DELETE" else "updated"
            answer = {"json": stream_answer(operation, "act-1"), **answer}
        return AiohttpClientMockResponse(method, url, **answer)


def progress(percentage: int) -> dict[str, Any]:
    return {
        "stream_key": "washer",
        "title": "Washer",
        "type": "progress",
        "percentage": percentage,
    }


async def queue_behind_a_refusal(
    hass: HomeAssistant, server: Server, data: dict[str, Any], *refusals: dict[str, Any]
) -> None:
    """Start the washer at 10 %, then call again: the server refuses, so it queues."""
    await act(hass, "stream_live_activity", progress(10))
    server.answers = list(refusals or [REFUSED])
    action = "stream_live_activity" if "type" in data else "end_live_activity_stream"
    assert (await act(hass, action, data))["queued"] is True


async def settle(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("newer_calls", "received"),
    [
        (
            [("end_live_activity_stream", {"stream_key": "washer"})],
            [("PUT", 10), ("DELETE", None)],
        ),
        (
            [("stream_live_activity", progress(90))],
            [("PUT", 10), ("PUT", 90)],
        ),
        (
            [
                ("stream_live_activity", progress(90)),
                ("end_live_activity_stream", {"stream_key": "washer"}),
            ],
            [("PUT", 10), ("DELETE", None)],
        ),
    ],
)
async def test_a_refused_request_on_the_wire_is_not_sent_after_newer_ones(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    newer_calls: list[tuple[str, dict[str, Any]]],
    received: list[tuple[str, Any]],
) -> None:
    """A PUT on the wire comes back 429 after newer calls: it never follows them."""
    server = Server(aioclient_mock)
    first, release = await server.refused_on_the_wire(
        hass, "stream_live_activity", progress(10)
    )
    for action, data in newer_calls:
        assert (await act(hass, action, data))["queued"] is True
    release.set()
    assert (await first)["queued"] is True
    await settle(hass, loaded_entry)
    assert server.received == received


async def test_a_refused_end_in_the_queue_goes_before_a_newer_update(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """An end refused from the queue is tried again before the restart queued after."""
    server = Server(aioclient_mock)
    await act(hass, "stream_live_activity", progress(10))
    end, release = await server.refused_on_the_wire(
        hass, "end_live_activity_stream", {"stream_key": "washer"}
    )
    assert (await act(hass, "stream_live_activity", progress(20)))["queued"] is True
    release.set()
    await end
    await settle(hass, loaded_entry)
    assert server.received == [
        ("PUT", 10),
        ("DELETE", None),
        ("DELETE", None),
        ("PUT", 20),
    ]


async def test_stopping_sends_a_waiting_end(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Home Assistant does not unload entries when it stops; the end still goes."""
    server = Server(aioclient_mock)
    await queue_behind_a_refusal(hass, server, {"stream_key": "washer"})
    assert loaded_entry.runtime_data.client.streams.pending == {"washer": ["DELETE"]}
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert server.received[-1] == ("DELETE", None)
    assert hass.states.get(WASHER).attributes["status"] == "ended"


async def test_stopping_names_an_end_it_could_not_send(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An end that cannot go in time (the server said wait an hour) is logged by key."""
    server = Server(aioclient_mock)
    await queue_behind_a_refusal(hass, server, {"stream_key": "washer"}, AN_HOUR)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert "Could not end stream washer" in caplog.text
    assert server.received == [("PUT", 10), ("DELETE", None)]


async def test_an_answer_after_unload_is_a_translated_error_and_nothing_is_resent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """A 429 arriving after unload: a clear error, no queue, no raw AttributeError."""
    server = Server(aioclient_mock)
    call, release = await server.refused_on_the_wire(
        hass, "stream_live_activity", progress(10)
    )
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    release.set()
    with pytest.raises(HomeAssistantError) as raised:
        await call
    assert raised.value.translation_key == "rate_limited"
    await asyncio.sleep(0.1)
    assert server.received == [("PUT", 10)]


async def test_a_queued_end_on_the_wire_at_unload_completes_and_is_recorded(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Unload lets it finish; after the reload the sensor says ended."""
    server = Server(aioclient_mock)
    await queue_behind_a_refusal(hass, server, {"stream_key": "washer"})
    server.hold = release = asyncio.Event()
    await asyncio.sleep(0.1)  # the queue sends it again, and it stays on the wire
    assert server.received[-1] == ("DELETE", None)
    unload = hass.async_create_task(
        hass.config_entries.async_unload(loaded_entry.entry_id)
    )
    await asyncio.sleep(0.01)
    release.set()
    assert await unload
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(WASHER).attributes["status"] == "ended"


async def test_a_queued_update_rejected_later_shows_as_failed_not_as_sent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The sensor keeps what the phone shows and says why the change did not arrive."""
    server = Server(aioclient_mock)
    rejected = {"status": 400, "json": {"message": "bad value"}}
    await queue_behind_a_refusal(hass, server, progress(55), REFUSED, rejected)
    assert hass.states.get(WASHER).attributes["operation"] == "queued"
    await settle(hass, loaded_entry)
    attributes = hass.states.get(WASHER).attributes
    assert attributes["operation"] == "failed"
    assert attributes["percentage"] == 10
    assert "bad value" in attributes["error"]
    # No action waits for a queued request: the log is where its failure is told.
    assert "Queued PUT of stream washer failed" in caplog.text
    # The failed change waits no more: a partial update builds on what the phone shows.
    publisher = loaded_entry.runtime_data.publisher
    assert publisher.latest_content("washer")["percentage"] == 10


async def test_an_update_dropped_at_unload_does_not_show_as_queued_after_reload(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """What never left is shown as dropped, with the content the phone has."""
    server = Server(aioclient_mock)
    await queue_behind_a_refusal(hass, server, progress(55), AN_HOUR)
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    attributes = hass.states.get(WASHER).attributes
    assert (attributes["operation"], attributes["percentage"]) == ("dropped", 10)


async def test_a_queued_update_shows_on_the_sensor_once_it_is_sent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Queued, the sensor keeps the phone's 10 %; once answered it shows 55 %."""
    server = Server(aioclient_mock)
    await queue_behind_a_refusal(hass, server, progress(55))
    attributes = hass.states.get(WASHER).attributes
    assert (attributes["operation"], attributes["percentage"]) == ("queued", 10)
    await settle(hass, loaded_entry)
    attributes = hass.states.get(WASHER).attributes
    assert (attributes["operation"], attributes["percentage"]) == ("updated", 55)
    assert attributes["title"] == "Washer"
