"""Recipients in actions: the union of their channels, the presence filter, nobody."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    act,
    answer_in_turn,
    sent_bodies,
    stream_answer,
)
from .recipients_support import household
from .tracked_support import quick_budget  # noqa: F401 (a fixture)

PUSH_URL = f"{API_BASE_URL}/push-notification"
STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
PUSH_RESPONSE = {
    "success": True,
    "devices_notified": 2,
    "users_notified": 1,
    "timestamp": "2026-11-26T08:00:00Z",
}
NO_DEVICE = {
    "status": 422,
    "json": {
        "error": "No recipients found",
        "message": "No devices in the channels",
        "effective_channel_slugs": ["anna"],
    },
}
FORBIDDEN = {
    "status": 403,
    "json": {"error": "Forbidden", "message": "Channel outside the key's scope"},
}
OK = {"json": PUSH_RESPONSE}
BADGE_URL = f"{API_BASE_URL}/badge"
BADGE_RESPONSE = {
    "success": True,
    "badge": 3,
    "devices_updated": 1,
    "users_updated": 1,
    "effective_channel_slugs": ["family", "anna"],
    "timestamp": "2026-11-26T08:00:00Z",
}


def push(recipients: list[str], **extra: Any) -> dict[str, Any]:
    return {"title": "Door open", "recipients": recipients, **extra}


def channels_sent(aioclient_mock: AiohttpClientMocker) -> list[Any]:
    return [
        body.get("target", {}).get("channels") for body in sent_bodies(aioclient_mock)
    ]


async def test_a_push_goes_to_the_union_of_the_recipients_channels_each_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Anna and Ben share "family": it is sent once, beside their own channels."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    await household(hass, loaded_entry)
    answer = await act(hass, "send_push_notification", push(["Anna", "ben", "Anna"]))
    assert channels_sent(aioclient_mock) == [["family", "anna", "ben"]]
    assert answer == {**PUSH_RESPONSE, "sent": True}


@pytest.mark.parametrize(
    ("presence", "expected"),
    [
        ("anyone", ["family", "anna", "ben", "kitchen"]),
        ("home", ["family", "anna", "kitchen"]),
        ("away", ["family", "ben", "kitchen"]),
    ],
)
async def test_presence_keeps_the_recipients_at_home_or_away_and_those_without_a_person(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    presence: str,
    expected: list[str],
) -> None:
    """Anna is home, Ben at work (away), the kitchen iPad has no person: always in."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    await household(hass, loaded_entry)
    await act(
        hass,
        "send_push_notification",
        push(["Anna", "Ben", "Kitchen"], presence=presence),
    )
    assert channels_sent(aioclient_mock) == [expected]


@pytest.mark.parametrize(
    ("presence", "anna", "ben", "reason"),
    [
        ("home", "not_home", "work", "nobody_home"),
        ("away", "home", "home", "nobody_away"),
        ("home", "unknown", "unavailable", "nobody_home"),
    ],
)
async def test_nobody_left_sends_nothing_at_all_and_says_why(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    presence: str,
    anna: str,
    ben: str,
    reason: str,
) -> None:
    """No push, start or stream request: a missing target would reach every phone."""
    await household(hass, loaded_entry)
    hass.states.async_set("person.anna", anna)
    hass.states.async_set("person.ben", ben)
    who = {"recipients": ["Anna", "Ben"], "presence": presence}
    not_sent = {"sent": False, "reason": reason}
    assert await act(hass, "send_push_notification", {"title": "Hi", **who}) == (
        not_sent
    )
    start = {**EXAMPLE_CONTENT["alert"], **who}
    assert await act(hass, "start_live_activity", start) == not_sent
    stream = {**start, "stream_key": "washer"}
    assert await act(hass, "stream_live_activity", stream) == not_sent
    assert await act(hass, "set_badge_count", {"badge": 2, **who}) == not_sent
    assert sent_bodies(aioclient_mock) == []
    assert loaded_entry.runtime_data.activities.current is None


async def test_a_badge_with_recipients_goes_to_the_phones_of_those_home(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Anna is home, Ben away: the badge goes to Anna's channels, never to everyone."""
    aioclient_mock.post(BADGE_URL, json=BADGE_RESPONSE)
    await household(hass, loaded_entry)
    answer = await act(
        hass,
        "set_badge_count",
        {"badge": 3, "recipients": ["Anna", "Ben"], "presence": "home"},
    )
    assert sent_bodies(aioclient_mock) == [
        {"badge": 3, "target": {"channels": ["family", "anna"]}}
    ]
    assert answer == {**BADGE_RESPONSE, "sent": True}


async def test_recipients_are_named_by_their_device_id_or_subentry_id(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The action form's device picker gives device ids; YAML may use ids or names."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    ids = await household(hass, loaded_entry)
    device = next(
        device
        for device in dr.async_entries_for_config_entry(
            device_registry, loaded_entry.entry_id
        )
        if (DOMAIN, ids["anna"]) in device.identifiers
    )
    assert device.model == "Recipient"
    await act(hass, "send_push_notification", push([device.id, ids["kitchen"]]))
    assert channels_sent(aioclient_mock) == [["family", "anna", "kitchen"]]


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        (push(["Nobody"]), "unknown_recipient"),
        ({"title": "Hi", "presence": "home"}, "presence_without_recipients"),
        (push(["Anna"], channels=["ops"]), "channels_with_recipients"),
    ],
)
async def test_bad_recipients_input_is_a_translated_validation_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Nothing is sent; the error names what is wrong."""
    await household(hass, loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "send_push_notification", data)
    assert err.value.translation_key == translation_key
    assert sent_bodies(aioclient_mock) == []


async def test_an_unknown_presence_is_refused_by_the_schema(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await household(hass, loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "send_push_notification", push(["Anna"], presence="nearby"))
    assert err.value.translation_placeholders["field"] == "presence"


async def test_a_start_with_recipients_targets_their_channels(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The manual start nests them in target, like channels."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await household(hass, loaded_entry)
    start = {**EXAMPLE_CONTENT["alert"], "recipients": ["Ben"]}
    answer = await act(hass, "start_live_activity", start)
    assert channels_sent(aioclient_mock) == [["family", "ben"]]
    assert answer["sent"] is True
    assert loaded_entry.runtime_data.activities.current is not None


async def test_no_device_in_a_channel_raises_a_repair_naming_it_until_a_send_works(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The 422 names "anna": the repair names the channel and Anna."""
    answer_in_turn(aioclient_mock, "post", PUSH_URL, [NO_DEVICE, OK])
    await household(hass, loaded_entry)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "send_push_notification", push(["Anna"]))
    assert err.value.translation_key == "no_recipients_channels"
    issue_id = f"recipient_no_device_{loaded_entry.entry_id}_anna"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"channel": "anna", "recipient": "Anna"}
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"recipient_no_device_{loaded_entry.entry_id}_family"
        )
        is None
    )
    await act(hass, "send_push_notification", push(["Anna"]))
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_channel_outside_the_keys_scope_is_an_error_naming_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A 403: the error names the channels and recipients; a repair per channel."""
    answer_in_turn(aioclient_mock, "post", PUSH_URL, [FORBIDDEN, OK])
    await household(hass, loaded_entry)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "send_push_notification", push(["Kitchen"]))
    assert err.value.translation_key == "forbidden_channels"
    assert err.value.translation_placeholders == {
        "channels": "kitchen",
        "recipients": "Kitchen",
    }
    assert "kitchen" in str(err.value)
    issue_id = f"recipient_forbidden_{loaded_entry.entry_id}_kitchen"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await act(hass, "send_push_notification", push(["Kitchen"]))
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_other_failures_with_recipients_keep_their_own_message(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    aioclient_mock.post(PUSH_URL, status=400, json={"error": "Bad", "message": "no"})
    await household(hass, loaded_entry)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "send_push_notification", push(["Kitchen"]))
    assert err.value.translation_key == "bad_request"
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


async def test_a_recipients_notify_entity_reaches_only_their_channels(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """notify.send_message on Ben's entity: Ben's channels, even when he is away."""
    aioclient_mock.post(PUSH_URL, json=PUSH_RESPONSE)
    await household(hass, loaded_entry)
    state = hass.states.get("notify.ben_push_notification")
    assert state is not None
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "send_message",
        {
            "entity_id": "notify.ben_push_notification",
            "message": "Milk",
            "title": "Shop",
        },
        blocking=True,
    )
    assert sent_bodies(aioclient_mock) == [
        {"title": "Shop", "message": "Milk", "target": {"channels": ["family", "ben"]}}
    ]


@pytest.mark.usefixtures("quick_budget")
async def test_a_streams_recipients_are_fixed_while_it_runs(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Ben comes home during the run: he does not get it; the next run he does."""
    answers = [
        {"json": stream_answer("started", "act-1")},
        {"json": stream_answer("updated", "act-1")},
        {"json": stream_answer("updated", "act-1")},
        {"json": stream_answer("started", "act-2")},
    ]
    answer_in_turn(aioclient_mock, "put", STREAM_URL, answers)
    aioclient_mock.delete(STREAM_URL, json=stream_answer("ended", "act-1"))
    await household(hass, loaded_entry)
    who = {"recipients": ["Anna", "Ben"], "presence": "home"}
    stream = {**EXAMPLE_CONTENT["alert"], "stream_key": "washer"}
    await act(hass, "stream_live_activity", {**stream, **who})
    hass.states.async_set("person.ben", "home")
    await act(hass, "stream_live_activity", {**stream, **who, "message": "Rinse"})
    # An update without recipients still goes to the run's (a rotation stays theirs).
    await act(hass, "stream_live_activity", {"stream_key": "washer", "message": "Spin"})
    await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    await act(hass, "stream_live_activity", {**stream, **who})
    puts = [
        body
        for method, url, body, _ in aioclient_mock.mock_calls
        if method.upper() == "PUT" and str(url) == STREAM_URL
    ]
    assert [body.get("channels") for body in puts] == [
        ["family", "anna"],
        ["family", "anna"],
        ["family", "anna"],
        ["family", "anna", "ben"],
    ]


async def test_a_stream_without_recipients_sends_no_channels(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    aioclient_mock.put(STREAM_URL, json=stream_answer("started", "act-1"))
    answer = await act(
        hass,
        "stream_live_activity",
        {**EXAMPLE_CONTENT["alert"], "stream_key": "washer"},
    )
    assert "sent" not in answer
    assert "channels" not in sent_bodies(aioclient_mock)[0]


@pytest.mark.usefixtures("quick_budget")
async def test_a_stream_refused_for_its_channel_raises_the_repair(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    answer_in_turn(
        aioclient_mock,
        "put",
        STREAM_URL,
        [FORBIDDEN, {"json": stream_answer("started", "act-1")}],
    )
    await household(hass, loaded_entry)
    stream = {**EXAMPLE_CONTENT["alert"], "stream_key": "washer"}
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "stream_live_activity", {**stream, "recipients": ["Kitchen"]})
    assert err.value.translation_key == "forbidden_channels"
    issue_id = f"recipient_forbidden_{loaded_entry.entry_id}_kitchen"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    answer = await act(
        hass, "stream_live_activity", {**stream, "recipients": ["Kitchen"]}
    )
    assert answer["sent"] is True
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
