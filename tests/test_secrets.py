"""The API key never leaks: not in logs, attributes, diagnostics, storage or errors."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    API_KEY,
    CHANGE_RESPONSE,
    END_URL,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    stream_answer,
)


async def test_full_cycle_with_debug_logging_never_reveals_the_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Start, update, end, stream, push and a failure that echoes the key."""
    caplog.set_level(logging.DEBUG)
    stream_url = f"{API_BASE_URL}/live-activity/stream/washer"
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    aioclient_mock.post(END_URL, json=CHANGE_RESPONSE)
    aioclient_mock.put(
        stream_url,
        json=stream_answer("started", "a"),
    )
    aioclient_mock.delete(
        stream_url,
        json=stream_answer("ended"),
    )
    aioclient_mock.post(
        f"{API_BASE_URL}/push-notification",
        status=400,
        json={"error": f"bad {API_KEY}", "message": f"key {API_KEY} invalid"},
    )

    calls: list[tuple[str, dict[str, Any]]] = [
        ("start_live_activity", EXAMPLE_CONTENT["segmented_progress"]),
        ("update_live_activity", {"current_step": 2}),
        ("end_live_activity", {"current_step": 3}),
        (
            "stream_live_activity",
            {"stream_key": "washer", "title": "W", "type": "progress", "percentage": 1},
        ),
        ("end_live_activity_stream", {"stream_key": "washer"}),
    ]
    for action, data in calls:
        await hass.services.async_call(DOMAIN, action, data, blocking=True)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "send_push_notification", {"title": "x"}, blocking=True
        )
    await hass.async_block_till_done()

    error_texts = [
        str(raised.value),
        repr(raised.value.__cause__),
        str(raised.value.__cause__),
    ]
    assert all(API_KEY not in text for text in error_texts)
    assert (
        str(raised.value)
        == "ActivitySmith rejected the request: key **REDACTED** invalid"
    )

    logged = [record.getMessage() for record in caplog.records]
    assert any("POST /live-activity/start" in line for line in logged)  # debug is on
    assert all(API_KEY not in line for line in logged)

    for state in hass.states.async_all():
        assert API_KEY not in str(state.attributes), state.entity_id

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert API_KEY not in str(diagnostics)

    await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert API_KEY not in str(
        hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.activities"]
    )
