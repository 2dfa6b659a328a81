"""Push notifications, the app badge and widget metrics, and the notify entity."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.activitysmith.client import API_BASE_URL

from .conftest import act, sent_bodies

PUSH_URL = f"{API_BASE_URL}/push-notification"
BADGE_URL = f"{API_BASE_URL}/badge"
METRIC_URL = f"{API_BASE_URL}/metrics/indoor.temperature/value"
PUSH_RESPONSE = {
    "success": True,
    "devices_notified": 2,
    "users_notified": 1,
    "timestamp": "2026-11-26T08:00:00Z",
}
NOTIFY_ENTITY = "notify.activitysmith_push_notification"
DOORBELL = {
    "title": "Someone is at the door",
    "message": "Tap to see the camera",
    "subtitle": "Front door",
    "media": "https://example.com/snapshot.jpg",
    "redirection": "shortcuts://run-shortcut?name=Door",
    "payload": {"camera": "front"},
    "badge": 1,
    "sound": "default",
    "channels": ["family"],
}


@pytest.mark.usefixtures("loaded_entry")
async def test_push_sends_every_field_and_returns_the_answer(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    snapshot: SnapshotAssertion,
) -> None:
    """A doorbell push with an image: the body is the spec's, channels in target."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    assert await act(hass, "send_push_notification", DOORBELL) == PUSH_RESPONSE
    assert sent_bodies(aioclient_mock) == snapshot


@pytest.mark.usefixtures("loaded_entry")
async def test_push_with_action_buttons(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Up to four buttons, each in the spec's shape."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    buttons = [
        {
            "title": "Unlock",
            "type": "webhook",
            "url": "https://x.io/h",
            "method": "POST",
        },
        {"title": "Camera", "type": "open_url", "url": "https://x.io/cam"},
    ]
    await act(hass, "send_push_notification", {"title": "Door", "actions": buttons})
    assert sent_bodies(aioclient_mock) == [{"title": "Door", "actions": buttons}]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "key", "field"),
    [
        ({"message": "no title"}, "invalid_field", "title"),
        ({"title": ""}, "invalid_field", "title"),
        ({"title": "T", "media": "http://x.io/a.jpg"}, "invalid_field", "media"),
        ({"title": "T", "redirection": "x.io/page"}, "invalid_field", "redirection"),
        (
            {"title": "T", "redirection": "myapp://" + "x" * 2041},
            "invalid_field",
            "redirection",
        ),
        ({"title": "T", "icon": "http://x.io/i.png"}, "invalid_field", "icon"),
        ({"title": "T", "icon": "https://u:p@x.io/i.png"}, "invalid_field", "icon"),
        ({"title": "T", "interruption_level": "loud"}, "invalid_field", None),
        ({"title": "T", "tags": ["-leading-dash"]}, "invalid_field", "tags.0"),
        ({"title": "T", "metadata": {"a": [1]}}, "invalid_field", "metadata.a"),
        (
            {
                "title": "T",
                "actions": [{"title": "A", "type": "open_url", "url": "https://x.io"}]
                * 5,
            },
            "invalid_field",
            "actions",
        ),
        (
            {
                "title": "T",
                "actions": [{"title": "A", "type": "webhook", "url": "shortcuts://x"}],
            },
            "invalid_field",
            "actions.0",
        ),
        ({"title": "T", "badge": -1}, "invalid_field", "badge"),
        ({"title": "T", "channels": []}, "invalid_field", "channels"),
        (
            {
                "title": "T",
                "media": "https://x.io/a.jpg",
                "actions": [{"title": "A", "type": "open_url", "url": "https://x.io"}],
            },
            "media_with_actions",
            None,
        ),
    ],
)
async def test_push_rules_are_checked_before_sending(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    key: str,
    field: str | None,
) -> None:
    """Each rule has a translated error and nothing is sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "send_push_notification", data)
    assert raised.value.translation_key == key
    if field:
        assert raised.value.translation_placeholders["field"] == field
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "body"),
    [
        ({"badge": 3}, {"badge": 3}),
        ({"badge": "0"}, {"badge": 0}),
        (
            {"badge": 2147483647, "channels": "ops"},
            {"badge": 2147483647, "target": {"channels": ["ops"]}},
        ),
    ],
)
async def test_badge_count_is_sent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    body: dict[str, Any],
) -> None:
    """The app-icon badge: 0 clears it, channels in target."""
    answer = {
        "success": True,
        "badge": body["badge"],
        "devices_notified": 1,
        "users_notified": 1,
        "effective_channel_slugs": None,
        "timestamp": "t",
    }
    aioclient_mock.post(BADGE_URL, json=answer)
    assert await act(hass, "set_badge_count", data) == answer
    assert sent_bodies(aioclient_mock) == [body]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("badge", [-1, 2147483648, 1.5, "many"])
async def test_badge_count_out_of_range_is_rejected(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, badge: Any
) -> None:
    """Only 0..2147483647."""
    with pytest.raises(ServiceValidationError):
        await act(hass, "set_badge_count", {"badge": badge})
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "body"),
    [
        ({"value": 21.5}, {"value": 21.5}),
        ({"value": -3}, {"value": -3}),
        ({"value": "Heating"}, {"value": "Heating"}),
        (
            {"value": 21, "timestamp": "2026-11-26T08:30:00+01:00"},
            {"value": 21, "timestamp": "2026-11-26T07:30:00+00:00"},
        ),
        (
            {"value": 21, "timestamp": "2026-11-26 08:30:00"},
            {"value": 21, "timestamp": "2026-11-26T16:30:00+00:00"},
        ),
    ],
)
async def test_metric_value_is_sent_with_an_iso_timestamp(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    body: dict[str, Any],
) -> None:
    """Numbers or short texts; a timestamp becomes ISO 8601 (local time if naive)."""
    await hass.config.async_set_time_zone("America/Los_Angeles")
    aioclient_mock.post(METRIC_URL, json={"success": True})
    response = await act(
        hass, "update_metric_value", {"key": "indoor.temperature", **data}
    )
    assert response == {"success": True}
    assert sent_bodies(aioclient_mock) == [body]


@pytest.mark.usefixtures("loaded_entry")
async def test_metric_timestamp_accepts_a_datetime(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A template's now() arrives as a datetime."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    aioclient_mock.post(METRIC_URL, json={"success": True})
    await act(
        hass,
        "update_metric_value",
        {"key": "indoor.temperature", "value": 1, "timestamp": dt_util.utcnow()},
    )
    assert sent_bodies(aioclient_mock) == [
        {"value": 1, "timestamp": "2026-11-26T08:00:00+00:00"}
    ]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"key": "Indoor", "value": 1}, "key"),
        ({"key": "-temp", "value": 1}, "key"),
        ({"key": "a" * 65, "value": 1}, "key"),
        ({"key": "temp", "value": ""}, "value"),
        ({"key": "temp", "value": "x" * 65}, "value"),
        ({"key": "temp", "value": float("nan")}, "value"),
        ({"key": "temp", "value": 1, "timestamp": "yesterday-ish"}, "timestamp"),
    ],
)
async def test_metric_rules_are_checked_before_sending(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    field: str,
) -> None:
    """Key pattern, value shape and timestamp are checked with a translated error."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "update_metric_value", data)
    assert raised.value.translation_placeholders["field"] == field
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_unknown_metric_says_to_create_it_first(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 404 means the metric does not exist yet in the ActivitySmith app."""
    aioclient_mock.post(METRIC_URL, status=404, json={"error": "Metric not found"})
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass, "update_metric_value", {"key": "indoor.temperature", "value": 1}
        )
    assert raised.value.translation_key == "metric_not_found"
    assert raised.value.translation_placeholders["key"] == "indoor.temperature"


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("action", "url", "data"),
    [
        ("send_push_notification", PUSH_URL, {"title": "T"}),
        ("set_badge_count", BADGE_URL, {"badge": 1}),
    ],
)
@pytest.mark.parametrize(
    ("answer", "key"),
    [
        (
            {"status": 403, "json": {"error": "Forbidden", "message": "scope"}},
            "forbidden",
        ),
        (
            {
                "status": 404,
                "json": {"error": "No recipients found", "message": "none"},
            },
            "no_recipients",
        ),
        (
            {"status": 429, "json": {"error": "Rate limit exceeded", "message": "x"}},
            "rate_limited",
        ),
        ({"status": 502}, "server_error"),
    ],
)
async def test_delivery_failures_are_translated(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    action: str,
    url: str,
    data: dict[str, Any],
    answer: dict[str, Any],
    key: str,
) -> None:
    """Push and badge failures reach the user as translated errors."""
    aioclient_mock.post(url, **answer)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == key


@pytest.mark.usefixtures("loaded_entry")
async def test_notify_entity_sends_title_and_message(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """notify.send_message with a title maps to a push with title and message."""
    entity = entity_registry.async_get(NOTIFY_ENTITY)
    assert entity is not None
    assert entity.translation_key == "push"
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {
            ATTR_ENTITY_ID: NOTIFY_ENTITY,
            ATTR_TITLE: "Laundry",
            ATTR_MESSAGE: "Washer done",
        },
        blocking=True,
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: NOTIFY_ENTITY, ATTR_MESSAGE: "Washer done"},
        blocking=True,
    )
    assert sent_bodies(aioclient_mock) == [
        {"title": "Laundry", "message": "Washer done"},
        {"title": "Washer done"},
    ]
    assert hass.states.get(NOTIFY_ENTITY).state != "unknown"


@pytest.mark.usefixtures("loaded_entry")
async def test_notify_entity_failure_is_translated(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A failed push from the notify entity is a translated error too."""
    aioclient_mock.post(
        PUSH_URL, status=404, json={"error": "No recipients found", "message": "x"}
    )
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {ATTR_ENTITY_ID: NOTIFY_ENTITY, ATTR_MESSAGE: "hi"},
            blocking=True,
        )
    assert raised.value.translation_key == "no_recipients"
