"""The Live Activity actions: bodies sent, validation, merging, responses, API errors."""

from __future__ import annotations

from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.activitysmith.config_flow import unique_id_for
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    ACTIVITY_ID,
    CHANGE_RESPONSE,
    EXAMPLE_CHANGE,
    EXAMPLE_CONTENT,
    OTHER_API_KEY,
    START_RESPONSE,
    START_URL,
    act,
    sent_bodies,
    setup_integration,
)


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("activity_type", EXAMPLE_CONTENT)
async def test_start_update_end_send_exact_bodies(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    snapshot: SnapshotAssertion,
    activity_type: str,
) -> None:
    """Each type's lifecycle: a full start, a merged partial update, a final end."""
    response = await act(hass, "start_live_activity", EXAMPLE_CONTENT[activity_type])
    assert response == START_RESPONSE

    response = await act(hass, "update_live_activity", EXAMPLE_CHANGE[activity_type])
    assert response == CHANGE_RESPONSE
    await act(hass, "end_live_activity", {"auto_dismiss_minutes": 0})

    assert sent_bodies(lifecycle_api) == snapshot


@pytest.mark.usefixtures("loaded_entry")
async def test_start_sends_buttons_alert_and_channels(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker, snapshot: SnapshotAssertion
) -> None:
    """Request-level fields sit beside content_state; channels go in target."""
    await act(
        hass,
        "start_live_activity",
        {
            **EXAMPLE_CONTENT["alert"],
            "icon": "door.left.hand.open",
            "badge": {"title": "HOME", "color": "blue"},
            "action": {"title": "Camera", "type": "open_url", "url": "https://x.io/c"},
            "secondary_action": {
                "title": "Lock",
                "type": "webhook",
                "url": "https://x.io/hook",
                "method": "POST",
                "body": {"lock": True},
            },
            "alert": {"title": "Door", "body": "Opened"},
            "channels": ["family"],
        },
    )
    assert sent_bodies(lifecycle_api) == snapshot


@pytest.mark.usefixtures("loaded_entry")
async def test_update_of_a_named_activity_merges_its_own_last_state(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """An explicit activity_id of a known activity merges with that activity."""
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["progress"])
    await act(
        hass, "update_live_activity", {"activity_id": ACTIVITY_ID, "percentage": 90}
    )
    assert sent_bodies(lifecycle_api)[-1] == {
        "activity_id": ACTIVITY_ID,
        "content_state": {"title": "EV charging", "type": "progress", "percentage": 90},
    }


@pytest.mark.usefixtures("loaded_entry")
async def test_update_of_an_unknown_activity_sends_what_is_given(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """An activity started elsewhere has no last state: the title is then needed."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass, "update_live_activity", {"activity_id": "other", "current_step": 2}
        )
    assert raised.value.translation_key == "title_required"
    assert sent_bodies(lifecycle_api) == []

    await act(
        hass,
        "update_live_activity",
        {"activity_id": "other", "title": "Backup", "current_step": 2},
    )
    assert sent_bodies(lifecycle_api) == [
        {
            "activity_id": "other",
            "content_state": {"title": "Backup", "current_step": 2},
        }
    ]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("action", ["update_live_activity", "end_live_activity"])
async def test_change_without_any_activity_says_how_to_start_one(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker, action: str
) -> None:
    """Nothing started and no activity_id: a clear error, nothing sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, action, {"title": "x"})
    assert raised.value.translation_key == "no_current_activity"
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"title": "T"}, "invalid_field", {"field": "type"}),
        (
            {**EXAMPLE_CONTENT["alert"], "message": ""},
            "invalid_field",
            {"field": "message"},
        ),
        (
            {**EXAMPLE_CONTENT["progress"], "percentage": 120},
            "invalid_field",
            {"field": "percentage"},
        ),
        (
            {**EXAMPLE_CONTENT["timer"], "color": "pink"},
            "invalid_field",
            {"field": "color"},
        ),
        (
            {**EXAMPLE_CONTENT["alert"], "unknown": 1},
            "invalid_field",
            {"field": "unknown"},
        ),
        (
            {
                **EXAMPLE_CONTENT["alert"],
                "action": {"title": "A", "type": "webhook", "url": "http://x.io"},
            },
            "invalid_field",
            {"field": "action"},
        ),
        (
            {**EXAMPLE_CONTENT["stats"], "color": "red"},
            "field_not_for_type",
            {"field": "color", "type": "stats"},
        ),
        (
            {**EXAMPLE_CONTENT["timer"], "badge": "B"},
            "field_not_for_type",
            {"field": "badge", "type": "timer"},
        ),
        (
            {
                **EXAMPLE_CONTENT["metrics"],
                "secondary_action": {
                    "title": "A",
                    "type": "open_url",
                    "url": "https://x.io",
                },
            },
            "field_not_for_type",
            {"field": "secondary_action", "type": "metrics"},
        ),
        ({"title": "T", "type": "progress"}, "progress_amount_required", {}),
        (
            {**EXAMPLE_CONTENT["segmented_progress"], "current_step": 5},
            "step_out_of_range",
            {},
        ),
        ({"title": "T", "type": "timer"}, "countdown_needs_duration", {}),
    ],
)
async def test_invalid_start_is_rejected_with_a_translated_error_and_nothing_sent(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Shape and meaning errors both become translated ServiceValidationErrors."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "start_live_activity", data)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert placeholders.items() <= (raised.value.translation_placeholders or {}).items()
    assert str(raised.value)  # the translated message, not an empty one
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_a_partial_update_breaking_a_rule_is_rejected(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """Rules apply to the merged state: step 4 of 3 fails even when only the step is sent."""
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["segmented_progress"])
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "update_live_activity", {"current_step": 4})
    assert raised.value.translation_key == "step_out_of_range"
    assert len(sent_bodies(lifecycle_api)) == 1


async def test_config_entry_is_required_when_several_are_loaded(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """With two keys the action must say which one; naming it works."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Family",
        data={CONF_API_KEY: OTHER_API_KEY},
        unique_id=unique_id_for(OTHER_API_KEY),
    )
    await setup_integration(hass, other)
    with pytest.raises(ServiceValidationError):
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])

    response = await act(
        hass,
        "start_live_activity",
        {**EXAMPLE_CONTENT["alert"], "config_entry_id": other.entry_id},
    )
    assert response == START_RESPONSE
    assert hass.states.get("sensor.family_live_activity").state == ACTIVITY_ID
    assert hass.states.get("sensor.activitysmith_live_activity").state == "unknown"


LIMIT_BODY = {
    "error": "Live Activity limit reached",
    "message": "iOS supports up to 5 concurrent Live Activities per app on a device.",
    "limit": 5,
    "active": 5,
}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("answer", "key", "placeholders"),
    [
        (
            {"status": 400, "json": {"error": "Bad", "message": "no"}},
            "bad_request",
            {"message": "no"},
        ),
        (
            {"status": 401, "json": {"error": "Unauthorized", "message": "bad key"}},
            "api_invalid_auth",
            {},
        ),
        (
            {"status": 403, "json": {"error": "Forbidden", "message": "scope"}},
            "forbidden",
            {"message": "scope"},
        ),
        (
            {
                "status": 404,
                "json": {"error": "No recipients found", "message": "none"},
            },
            "no_recipients",
            {},
        ),
        (
            {
                "status": 429,
                "json": {"error": "Rate limit exceeded", "message": "later"},
                "headers": {"Retry-After": "12.2"},
            },
            "rate_limited",
            {"retry_after": "13"},
        ),
        (
            {"status": 429, "json": {"error": "Rate", "message": "later"}},
            "rate_limited",
            {"retry_after": "60"},
        ),
        (
            {"status": 429, "json": LIMIT_BODY},
            "live_activity_limit",
            {"limit": "5", "active": "5"},
        ),
        ({"status": 500, "text": "boom"}, "server_error", {"status": "500"}),
        (
            {"status": 418, "json": {"error": "Teapot"}},
            "api_error",
            {"message": "Teapot"},
        ),
        ({"exc": TimeoutError()}, "timeout", {}),
        ({"exc": aiohttp.ClientConnectionError("refused")}, "communication_error", {}),
        ({"text": "<html>"}, "unreadable_answer", {}),
    ],
)
async def test_api_failures_become_translated_errors_and_the_next_call_works(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every failure is one clear message; nothing is left broken for the next call.

    (After a 429 the next call waits as long as the API asked.)
    """
    aioclient_mock.post(START_URL, **answer)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == key
    assert placeholders.items() <= (raised.value.translation_placeholders or {}).items()
    assert hass.states.get("sensor.activitysmith_live_activity").state == "unknown"

    aioclient_mock.clear_requests()
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    freezer.tick(61)
    assert (
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
        == START_RESPONSE
    )


async def test_rejected_key_starts_one_reauth_flow(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """A 401 during an action asks for a new key, once however many calls fail."""
    aioclient_mock.post(
        START_URL, status=401, json={"error": "Unauthorized", "message": "x"}
    )
    for _ in range(3):
        with pytest.raises(HomeAssistantError):
            await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded_entry.entry_id


async def test_activity_limit_raises_a_repair_issue_cleared_by_the_next_start(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The 5-per-iPhone limit explains itself in Repairs until a start succeeds."""
    aioclient_mock.post(START_URL, status=429, json=LIMIT_BODY)
    with pytest.raises(HomeAssistantError):
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    issue = issue_registry.async_get_issue(
        DOMAIN, f"live_activity_limit_{loaded_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "limit": "5",
        "active": "5",
        "title": "ActivitySmith",
    }

    aioclient_mock.clear_requests()
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"live_activity_limit_{loaded_entry.entry_id}"
        )
        is None
    )


async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """After unloading, an action explains that the entry is not loaded."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(ServiceValidationError):
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert sent_bodies(lifecycle_api) == []
