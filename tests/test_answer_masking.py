"""A success answer that echoes the API key never carries it on (responses, storage).

Error texts were always redacted; every string of a success answer is now too, names
included, however deep.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    ACTIVITY_ID,
    API_KEY,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    act,
    stream_answer,
)

REDACTED = "**REDACTED**"


def echoing(answer: dict[str, Any]) -> dict[str, Any]:
    """`answer` with the key echoed as a value, inside text, in lists and as a name."""
    return {
        **answer,
        "echo": API_KEY,
        "message": f"Sent with Bearer {API_KEY}, thanks",
        "details": {
            "headers": [f"Authorization: Bearer {API_KEY}", {"key": API_KEY}],
            API_KEY: {"nested": [[[API_KEY]]]},
            "count": 2,
            "ok": True,
            "none": None,
        },
    }


def expected(answer: dict[str, Any]) -> dict[str, Any]:
    """What the action returns for `echoing(answer)`."""
    return {
        **answer,
        "echo": REDACTED,
        "message": f"Sent with Bearer {REDACTED}, thanks",
        "details": {
            "headers": [f"Authorization: Bearer {REDACTED}", {"key": REDACTED}],
            REDACTED: {"nested": [[[REDACTED]]]},
            "count": 2,
            "ok": True,
            "none": None,
        },
    }


async def test_action_responses_never_hold_the_key_the_server_echoed(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Push, badge, start and a stream: each answer is the server's, key masked."""
    caplog.set_level(logging.DEBUG)
    push = {"success": True, "devices_notified": 1, "users_notified": 1}
    badge = {"success": True, "badge": 3}
    stream = stream_answer("started", "act-stream")
    aioclient_mock.post(f"{API_BASE_URL}/push-notification", json=echoing(push))
    aioclient_mock.post(f"{API_BASE_URL}/badge", json=echoing(badge))
    aioclient_mock.post(START_URL, json=echoing(START_RESPONSE))
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/washer", json=echoing(stream)
    )

    responses = [
        await act(hass, "send_push_notification", {"title": "Hi"}),
        await act(hass, "set_badge_count", {"badge": 3}),
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["progress"]),
        await act(
            hass,
            "stream_live_activity",
            {"stream_key": "washer", "title": "W", "type": "progress", "percentage": 1},
        ),
    ]
    await hass.async_block_till_done()

    assert responses[0] == expected(push)
    assert responses[1] == expected(badge)
    assert responses[2] == expected(START_RESPONSE)
    assert responses[2]["activity_id"] == ACTIVITY_ID
    assert responses[3] == expected(stream)
    assert API_KEY not in json.dumps(responses)
    assert API_KEY not in json.dumps(
        hass_storage.get(f"{DOMAIN}.{loaded_entry.entry_id}.activities")
    )
    assert API_KEY not in caplog.text


async def test_an_answer_nested_deeper_than_python_recurses_is_an_unreadable_answer(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """No RecursionError escapes, deep or not: the user reads that it was unreadable."""
    deep = b'{"a":' * 200_000 + b"1" + b"}" * 200_000
    aioclient_mock.post(f"{API_BASE_URL}/badge", content=deep)
    with pytest.raises(Exception, match="not a JSON object") as raised:
        await act(hass, "set_badge_count", {"badge": 3})
    assert type(raised.value).__name__ == "HomeAssistantError"
    # Nested as deep as the parser allows, the answer still reads and is masked.
    shallow = {"success": True, "n": API_KEY}
    for _ in range(500):
        shallow = {"success": True, "n": shallow}
    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{API_BASE_URL}/badge", content=json.dumps(shallow).encode())
    answer = await act(hass, "set_badge_count", {"badge": 3})
    assert API_KEY not in json.dumps(answer)
    assert REDACTED in json.dumps(answer)
