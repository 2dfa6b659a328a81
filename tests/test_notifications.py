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
from homeassistant.setup import async_setup_component
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


# Push fields of 1.14, and replacing a push ----------------------------------------

NOTIFICATION_ID = "pn_8f3a2c"
SENT = {**PUSH_RESPONSE, "notification_id": NOTIFICATION_ID, "devices_targeted": 2}
REPLACE_URL = f"{PUSH_URL}/{NOTIFICATION_ID}"
REPLACED = {
    "success": True,
    "notification_id": NOTIFICATION_ID,
    "devices_notified": 2,
    "timestamp": "2026-11-26T08:30:00Z",
}


@pytest.mark.usefixtures("loaded_entry")
async def test_push_sends_icon_interruption_level_tags_and_metadata(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The 1.14 fields go as given; the answer's notification_id comes back."""
    aioclient_mock.post(PUSH_URL, json=SENT)
    data = {
        "title": "Washer 50 %",
        "icon": "https://example.com/washer.png",
        "interruption_level": "time-sensitive",
        "tags": ["laundry"],
        "metadata": {"program": "Cotton 60", "spin": 1400},
    }
    assert await act(hass, "send_push_notification", data) == SENT
    assert sent_bodies(aioclient_mock) == [data]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "link", ["spotify:track:123", "spotify://album/1", "ftp://x.io", "tel:+4312345"]
)
async def test_push_links_may_open_any_app(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, link: str
) -> None:
    """The tap target and open_url buttons take any scheme; webhooks stay https."""
    aioclient_mock.post(PUSH_URL, json=SENT)
    button = {"title": "Play", "type": "open_url", "url": link}
    await act(
        hass,
        "send_push_notification",
        {"title": "Music", "redirection": link, "actions": [button]},
    )
    [body] = sent_bodies(aioclient_mock)
    assert body["redirection"] == link
    assert body["actions"] == [button]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("level", ["passive", "active", "time-sensitive"])
async def test_every_interruption_level_is_sent(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, level: str
) -> None:
    """The three levels of the spec."""
    aioclient_mock.post(PUSH_URL, json=SENT)
    await act(
        hass, "send_push_notification", {"title": "T", "interruption_level": level}
    )
    assert sent_bodies(aioclient_mock) == [{"title": "T", "interruption_level": level}]


@pytest.mark.usefixtures("loaded_entry")
async def test_live_activity_buttons_still_open_only_web_pages_and_shortcuts(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Any scheme is for pushes only: a Live Activity open_url stays http(s)/shortcuts."""
    button = {"title": "Play", "type": "open_url", "url": "spotify:track:123"}
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass,
            "start_live_activity",
            {"title": "T", "type": "alert", "message": "M", "action": button},
        )
    assert raised.value.translation_placeholders["field"] == "action"
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_replace_push_puts_the_new_content_and_returns_the_answer(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """PUT /push-notification/{id}: the body is a push without delivery or target."""
    aioclient_mock.put(REPLACE_URL, json=REPLACED)
    data = {
        "title": "Washer done",
        "message": "Time to hang the laundry.",
        "subtitle": "Laundry",
        "icon": "https://example.com/washer.png",
        "redirection": "shortcuts://run-shortcut?name=Laundry",
        "payload": {"machine": "washer"},
        "badge": 0,
        "tags": [],
        "metadata": {"program": "Cotton 60"},
    }
    response = await act(
        hass,
        "replace_push_notification",
        {"notification_id": NOTIFICATION_ID, **data},
    )
    assert response == REPLACED
    [(method, url, body, _)] = aioclient_mock.mock_calls[-1:]
    assert (method, str(url), body) == ("PUT", REPLACE_URL, data)


@pytest.mark.usefixtures("loaded_entry")
async def test_the_readme_example_replaces_the_push_it_sent(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Washer 50 %, then Washer done: the send's notification_id names the replace."""
    aioclient_mock.post(PUSH_URL, json=SENT)
    aioclient_mock.put(REPLACE_URL, json=REPLACED)
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "washer": {
                    "sequence": [
                        {
                            "action": "activitysmith.send_push_notification",
                            "data": {"title": "Washer 50 %"},
                            "response_variable": "washer_push",
                        },
                        {
                            "action": "activitysmith.replace_push_notification",
                            "data": {
                                "notification_id": (
                                    "{{ washer_push.notification_id }}"
                                ),
                                "title": "Washer done",
                            },
                        },
                    ]
                }
            }
        },
    )
    await hass.services.async_call("script", "washer", blocking=True)
    assert [(m, str(u), b) for m, u, b, _ in aioclient_mock.mock_calls[-2:]] == [
        ("POST", PUSH_URL, {"title": "Washer 50 %"}),
        ("PUT", REPLACE_URL, {"title": "Washer done"}),
    ]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "T"}, "notification_id"),
        ({"notification_id": "", "title": "T"}, "notification_id"),
        ({"notification_id": NOTIFICATION_ID}, "title"),
        (
            {"notification_id": NOTIFICATION_ID, "title": "T", "sound": "default"},
            "sound",
        ),
        (
            {"notification_id": NOTIFICATION_ID, "title": "T", "channels": ["a"]},
            "channels",
        ),
        (
            {
                "notification_id": NOTIFICATION_ID,
                "title": "T",
                "interruption_level": "passive",
            },
            "interruption_level",
        ),
        (
            {"notification_id": NOTIFICATION_ID, "title": "T", "icon": "http://x"},
            "icon",
        ),
    ],
)
async def test_replace_takes_only_what_a_replacement_can_change(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    field: str,
) -> None:
    """The id and a title are needed; sound, target and urgency stay the original's."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "replace_push_notification", data)
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders["field"] == field
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_replace_refuses_media_with_actions(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The same rule as a push."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass,
            "replace_push_notification",
            {
                "notification_id": NOTIFICATION_ID,
                "title": "T",
                "media": "https://x.io/a.jpg",
                "actions": [],
            },
        )
    assert raised.value.translation_key == "media_with_actions"
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_replacing_an_unknown_push_names_it(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 404 says which notification ActivitySmith does not know; it is not retried."""
    aioclient_mock.put(
        REPLACE_URL,
        status=404,
        json={"error": "Not found", "message": "Push notification not found"},
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "replace_push_notification",
            {"notification_id": NOTIFICATION_ID, "title": "Washer done"},
        )
    assert raised.value.translation_key == "notification_not_found"
    assert raised.value.translation_placeholders["notification_id"] == NOTIFICATION_ID
    assert len(sent_bodies(aioclient_mock)) == 1


@pytest.mark.usefixtures("loaded_entry")
async def test_a_failed_replace_is_not_repeated(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Like a push: a server error is reported, not sent again."""
    aioclient_mock.put(REPLACE_URL, status=503, json={"error": "Unavailable"})
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "replace_push_notification",
            {"notification_id": NOTIFICATION_ID, "title": "Washer done"},
        )
    assert raised.value.translation_key == "server_error"
    assert len(sent_bodies(aioclient_mock)) == 1
