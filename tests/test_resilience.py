"""Bursts, flaky networks and rejected keys: the integration stays correct and quiet."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from functools import partial
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.client.budget import (
    BADGES,
    LIVE_ACTIVITIES,
    METRICS,
    NOTIFICATIONS,
    RequestBudget,
)
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    CHANGE_RESPONSE,
    EXAMPLE_CONTENT,
    OTHER_API_KEY,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    answer_in_turn,
    mock_key_check,
    sent_bodies,
    stream_answer,
)

STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
PUSH_URL = f"{API_BASE_URL}/push-notification"
BADGE_URL = f"{API_BASE_URL}/badge"
WASHER = "sensor.activitysmith_washer"
OK_PUT = {"json": stream_answer("updated", "act-1")}


@pytest.fixture(autouse=True)
def small_budget() -> Generator[None]:
    """6 requests per 0.5 s (5 for streams), so waiting for the budget takes moments."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(
            RequestBudget, limit=6, window=0.5, stream_spacing=0.0, min_interval=0.0
        ),
    ):
        yield


async def until(condition: Any, seconds: float = 3.0) -> None:
    """Let the event loop run until `condition()` holds."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_stream_burst_is_coalesced_and_the_newest_state_delivered(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Past the budget, updates queue (newest wins) and go as soon as it allows."""
    aioclient_mock.put(STREAM_URL, **OK_PUT)
    responses = [
        await act(
            hass,
            "stream_live_activity",
            {
                "stream_key": "washer",
                "title": "Washer",
                "type": "progress",
                "percentage": step,
            },
        )
        for step in range(20)
    ]
    queued = [response for response in responses if response.get("queued")]
    assert len(queued) == 15  # the streams' share of 5 was sent first
    assert queued[0] == {
        "success": True,
        "queued": True,
        "operation": "queued",
        "stream_key": "washer",
        "retry_after": queued[0]["retry_after"],
    }
    state = hass.states.get(WASHER)
    assert state.attributes["operation"] == "queued"
    assert state.attributes["percentage"] == 4  # what the phone shows until it goes

    client = loaded_entry.runtime_data.client
    await client.async_wait_for_streams()
    await hass.async_block_till_done()
    percentages = [
        body["content_state"]["percentage"] for body in sent_bodies(aioclient_mock)
    ]
    assert percentages == [0, 1, 2, 3, 4, 19]
    state = hass.states.get(WASHER)
    assert state.attributes["operation"] == "updated"
    assert state.attributes["percentage"] == 19


async def test_an_end_waits_behind_nothing_older_and_is_never_dropped(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """An end queued after updates replaces them and is delivered."""
    aioclient_mock.put(STREAM_URL, **OK_PUT)
    aioclient_mock.delete(
        STREAM_URL,
        json=stream_answer("ended"),
    )
    client = loaded_entry.runtime_data.client
    start = {"stream_key": "washer", "title": "Washer", "type": "progress"}
    for step in range(8):
        await act(hass, "stream_live_activity", {**start, "percentage": step})
    response = await act(
        hass, "end_live_activity_stream", {"stream_key": "washer", "percentage": 100}
    )
    assert response["queued"] is True
    assert client.streams.pending == {"washer": ["DELETE"]}

    await client.async_wait_for_streams()
    await hass.async_block_till_done()
    methods = [call[0] for call in aioclient_mock.mock_calls[1:]]
    assert methods == ["PUT"] * 5 + ["DELETE"]
    assert sent_bodies(aioclient_mock)[-1]["content_state"]["percentage"] == 100
    assert hass.states.get(WASHER).attributes["status"] == "ended"


async def test_a_server_429_on_a_stream_queues_it_instead_of_failing(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """The request-rate 429 asks to wait: the update waits and is sent after."""
    answer_in_turn(
        aioclient_mock,
        "put",
        STREAM_URL,
        [
            {
                "status": 429,
                "json": {"error": "Rate limit exceeded", "message": "x"},
                "headers": {"Retry-After": "0.2"},
            },
            OK_PUT,
        ],
    )
    response = await act(
        hass,
        "stream_live_activity",
        {"stream_key": "washer", "title": "W", "type": "progress", "percentage": 5},
    )
    assert response["queued"] is True
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done()
    assert hass.states.get(WASHER).attributes["operation"] == "updated"


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("send_push_notification", {"title": "Door"}),
        ("update_metric_value", {"key": "temp", "value": 1}),
    ],
)
async def test_actions_that_cannot_wait_fail_fast_when_the_budget_is_spent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
) -> None:
    """A translated error says when to retry; nothing is sent, nothing piles up."""
    budget = loaded_entry.runtime_data.client.budget
    feature = NOTIFICATIONS if action == "send_push_notification" else METRICS
    # A minute-long window, so nothing leaves it during the test.
    budget.set_allowance(feature, 60, 60.0)
    while budget.try_spend(scope=feature):
        pass
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == "rate_limited"
    assert int(raised.value.translation_placeholders["retry_after"]) >= 1
    assert aioclient_mock.call_count == 1  # the key check only


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"exc": TimeoutError()},
        {"exc": aiohttp.ClientConnectionError()},
    ],
)
async def test_idempotent_requests_are_retried_after_transient_faults(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, fault: dict[str, Any]
) -> None:
    """An update survives a passing fault: the retry delivers it."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    answer_in_turn(
        aioclient_mock, "post", UPDATE_URL, [fault, {"json": CHANGE_RESPONSE}]
    )
    assert (
        await act(hass, "update_live_activity", {"message": "again"}) == CHANGE_RESPONSE
    )
    assert [str(call[1]) for call in aioclient_mock.mock_calls[2:]] == [UPDATE_URL] * 2


@pytest.mark.usefixtures("loaded_entry")
async def test_retries_are_bounded(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Three attempts at most, then a translated error."""
    aioclient_mock.post(BADGE_URL, status=503)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "set_badge_count", {"badge": 1})
    assert raised.value.translation_key == "server_error"
    assert aioclient_mock.call_count == 1 + 3


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("action", "url", "data"),
    [
        ("start_live_activity", START_URL, EXAMPLE_CONTENT["alert"]),
        ("send_push_notification", PUSH_URL, {"title": "Door"}),
    ],
)
async def test_start_and_push_are_never_repeated(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    action: str,
    url: str,
    data: dict[str, Any],
) -> None:
    """A retry could put a second activity or push on the phone: one attempt only."""
    aioclient_mock.post(url, exc=TimeoutError())
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == "timeout"
    assert aioclient_mock.call_count == 1 + 1


async def test_the_entry_works_again_after_reauth_without_a_restart(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """401 starts reauth; once the new key is entered, actions use it."""
    answer_in_turn(
        aioclient_mock,
        "post",
        PUSH_URL,
        [
            {"status": 401, "json": {"error": "Unauthorized", "message": "revoked"}},
            {"json": {"success": True, "timestamp": "t"}},
        ],
    )
    with pytest.raises(HomeAssistantError):
        await act(hass, "send_push_notification", {"title": "Door"})
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress()

    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    await act(hass, "send_push_notification", {"title": "Door"})
    _, _, _, headers = aioclient_mock.mock_calls[-1]
    assert headers["Authorization"] == f"Bearer {OTHER_API_KEY}"


async def test_a_queued_request_rejected_later_is_reported(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A queued update that meets a 401 starts reauth; a queued end meeting 404 ends."""
    client = loaded_entry.runtime_data.client
    client.budget.pause(0.2)  # as after a 429: the next requests wait in the queue
    aioclient_mock.put(
        STREAM_URL, status=401, json={"error": "Unauthorized", "message": "x"}
    )
    await act(
        hass,
        "stream_live_activity",
        {"stream_key": "washer", "title": "W", "type": "alert", "message": "m"},
    )
    await client.async_wait_for_streams()
    await hass.async_block_till_done()
    assert "Queued PUT of stream washer failed" in caplog.text
    assert hass.config_entries.flow.async_progress()

    aioclient_mock.delete(
        STREAM_URL, status=404, json={"error": "Not found", "message": "x"}
    )
    client.budget.pause(0.2)
    await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    await client.async_wait_for_streams()
    await hass.async_block_till_done()
    assert hass.states.get(WASHER).attributes["status"] == "ended"


async def test_an_end_waits_for_an_update_still_on_the_wire(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Two calls at once (a parallel automation): the end goes after the update."""
    release = asyncio.Event()
    order: list[str] = []

    async def slow_put(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        await release.wait()
        order.append("PUT answered")
        return AiohttpClientMockResponse(
            method, url, json=stream_answer("started", "a")
        )

    async def delete(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        order.append("DELETE sent")
        return AiohttpClientMockResponse(method, url, json=stream_answer("ended", "a"))

    aioclient_mock.put(STREAM_URL, side_effect=slow_put)
    aioclient_mock.delete(STREAM_URL, side_effect=delete)
    update = hass.async_create_task(
        act(
            hass,
            "stream_live_activity",
            {"stream_key": "washer", "title": "W", "type": "alert", "message": "m"},
        )
    )
    await asyncio.sleep(0.01)
    async with asyncio.timeout(2):  # it queues at once instead of waiting
        response = await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    assert response["queued"] is True
    release.set()
    await update
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done()
    assert order == ["PUT answered", "DELETE sent"]
    assert hass.states.get(WASHER).attributes["status"] == "ended"


async def test_a_queued_stream_start_refused_for_the_limit_waits_for_a_slot(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No action awaited the answer: the stream waits, and says so on its sensor.

    The slots sensor and the stream's sensor explain it; a repair only comes for an
    important activity that waits long (tests/test_slots.py).
    """
    client = loaded_entry.runtime_data.client
    client.budget.pause(0.2)
    aioclient_mock.put(
        STREAM_URL,
        status=429,
        json={
            "error": "Live Activity limit reached",
            "message": "x",
            "limit": 4,
            "active": 4,
        },
    )
    response = await act(
        hass,
        "stream_live_activity",
        {"stream_key": "washer", "title": "W", "type": "alert", "message": "m"},
    )
    assert response["queued"] is True
    await client.async_wait_for_streams()
    await hass.async_block_till_done()
    record = loaded_entry.runtime_data.activities.streams["washer"]
    assert (record.status, record.operation) == ("waiting", "waiting")
    ledger = loaded_entry.runtime_data.publisher.ledger
    assert [slot.slot_id for slot in ledger.waiting] == ["washer"]
    assert ledger.others == 4
    assert not issue_registry.async_get_issue(
        DOMAIN, f"live_activity_limit_{loaded_entry.entry_id}"
    )


@pytest.mark.parametrize(
    ("action", "data", "url", "feature"),
    [
        (
            "set_badge_count",
            {"badge": 3},
            "https://activitysmith.com/api/badge",
            BADGES,
        ),
        (
            "send_push_notification",
            {"title": "Door"},
            "https://activitysmith.com/api/push-notification",
            NOTIFICATIONS,
        ),
    ],
)
async def test_a_busy_feature_never_delays_another(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    url: str,
    feature: str,
) -> None:
    """Live Activities spent to the last request: badges and pushes still go."""
    aioclient_mock.post(
        url,
        json={
            "success": True,
            "devices_updated": 1,
            "users_updated": 1,
            "timestamp": "t",
        },
    )
    budget = loaded_entry.runtime_data.client.budget
    budget.set_allowance(LIVE_ACTIVITIES, 60, 60.0)
    while budget.try_spend():
        pass
    await act(hass, action, data)
    await act(hass, action, data)
    assert budget.used_in_window(feature) == 2
    assert aioclient_mock.call_count == 3  # the key check and the two calls


async def test_a_429_outside_the_shared_limit_pauses_that_endpoint_only(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """The server's wait applies to the endpoint that answered it; pushes still go."""
    aioclient_mock.post(BADGE_URL, status=429, headers={"Retry-After": "30"})
    aioclient_mock.post(PUSH_URL, json={"success": True, "timestamp": "t"})
    with pytest.raises(HomeAssistantError):
        await act(hass, "set_badge_count", {"badge": 1})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "set_badge_count", {"badge": 2})
    assert raised.value.translation_placeholders["retry_after"] == "30"
    await act(hass, "send_push_notification", {"title": "Door"})
    assert [str(url) for _, url, _, _ in aioclient_mock.mock_calls[1:]] == [
        BADGE_URL,
        PUSH_URL,
    ]
