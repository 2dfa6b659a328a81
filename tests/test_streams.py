"""Stream Live Activities: the stream actions and one sensor per stream key."""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
import re
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.client.budget import RequestBudget
from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    CHANGE_RESPONSE,
    END_URL,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    sent_bodies,
    stream_answer,
)

STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
WASHER = "sensor.activitysmith_washer"
WASHER_START = {
    "stream_key": "washer",
    "title": "Washer",
    "type": "progress",
    "percentage": 10,
    "icon": "washer.fill",
}


@pytest.fixture(autouse=True)
def no_stream_spacing() -> Generator[None]:
    """These tests are about what streams do, not their pacing (see test_budget)."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(RequestBudget, stream_spacing=0.0, min_interval=0.0),
    ):
        yield


@pytest.fixture
def put_answers(aioclient_mock: AiohttpClientMocker) -> list[dict[str, Any]]:
    """Answers for the next stream PUTs, in order (any stream key)."""
    answers: list[dict[str, Any]] = []

    async def answer(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        answer = answers.pop(0)
        status = answer.pop("__status__", 200)
        return AiohttpClientMockResponse(method, url, status=status, json=answer)

    aioclient_mock.put(
        re.compile(re.escape(f"{API_BASE_URL}/live-activity/stream/") + ".*"),
        side_effect=answer,
    )
    return answers


async def stream(
    hass: HomeAssistant,
    put_answers: list[dict[str, Any]],
    data: dict[str, Any],
    answer: dict[str, Any],
) -> Any:
    """Send one stream update that the API answers with `answer`."""
    put_answers.append(answer)
    return await act(hass, "stream_live_activity", data)


@pytest.fixture
async def started_washer(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """The washer stream runs: its first PUT was answered "started" with act-1."""
    await stream(hass, put_answers, WASHER_START, stream_answer("started", "act-1"))


@pytest.mark.usefixtures("loaded_entry")
async def test_first_put_creates_the_stream_sensor(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    snapshot: SnapshotAssertion,
    put_answers: list[dict[str, Any]],
) -> None:
    """The first use of a key sends type and content, and adds its sensor."""
    assert hass.states.get(WASHER) is None
    response = await stream(
        hass, put_answers, WASHER_START, stream_answer("started", "act-1")
    )
    assert response == stream_answer("started", "act-1")
    state = hass.states.get(WASHER)
    assert state.state == "act-1"
    assert state.attributes["friendly_name"] == "ActivitySmith washer"
    assert state.attributes["stream_key"] == "washer"
    assert state.attributes["operation"] == "started"
    assert state.attributes["status"] == "active"
    assert state.attributes["percentage"] == 10
    assert sent_bodies(aioclient_mock) == snapshot


@pytest.mark.usefixtures("started_washer")
async def test_updates_merge_and_change_state_and_attributes(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    put_answers: list[dict[str, Any]],
) -> None:
    """A later PUT may leave out type and title: they come from the last state."""
    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 60},
        stream_answer("updated", "act-1"),
    )
    assert sent_bodies(aioclient_mock)[-1] == {
        "content_state": {
            "title": "Washer",
            "type": "progress",
            "percentage": 60,
            "icon": {"symbol": "washer.fill"},
        }
    }
    state = hass.states.get(WASHER)
    assert state.state == "act-1"
    assert state.attributes["operation"] == "updated"
    assert state.attributes["percentage"] == 60


@pytest.mark.usefixtures("started_washer")
async def test_rotated_replaces_the_id_and_keeps_the_previous_one(
    hass: HomeAssistant,
    put_answers: list[dict[str, Any]],
) -> None:
    """Rotation: a new activity id, the old one kept as previous_activity_id."""
    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 70},
        stream_answer("rotated", "act-2", previous_activity_id="act-1"),
    )
    state = hass.states.get(WASHER)
    assert state.state == "act-2"
    assert state.attributes["previous_activity_id"] == "act-1"
    assert state.attributes["operation"] == "rotated"


@pytest.mark.usefixtures("started_washer")
async def test_paused_has_no_activity_and_noop_changes_nothing_on_the_phone(
    hass: HomeAssistant,
    put_answers: list[dict[str, Any]],
) -> None:
    """Paused leaves no current id; noop keeps the id and records the operation."""
    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 10},
        stream_answer("noop", "act-1"),
    )
    state = hass.states.get(WASHER)
    assert (state.state, state.attributes["operation"]) == ("act-1", "noop")

    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 20},
        stream_answer("paused", None),
    )
    state = hass.states.get(WASHER)
    assert state.state == "unknown"
    assert state.attributes["status"] == "paused"
    assert state.attributes["previous_activity_id"] == "act-1"


@pytest.mark.usefixtures("started_washer")
async def test_delete_ends_the_stream_with_a_final_state(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    snapshot: SnapshotAssertion,
) -> None:
    """The final state merges with the last one; the sensor shows it ended."""
    aioclient_mock.delete(
        STREAM_URL,
        json=stream_answer("ended", "act-1", devices_notified=1),
    )
    response = await act(
        hass,
        "end_live_activity_stream",
        {"stream_key": "washer", "percentage": 100, "auto_dismiss_seconds": 30},
    )
    assert response["operation"] == "ended"
    assert sent_bodies(aioclient_mock)[-1] == snapshot
    state = hass.states.get(WASHER)
    assert state.state == "act-1"
    assert state.attributes["status"] == "ended"
    assert state.attributes["operation"] == "ended"
    assert state.attributes["percentage"] == 100
    assert "auto_dismiss_seconds" not in state.attributes


@pytest.mark.usefixtures("started_washer")
async def test_delete_without_content_sends_no_body_and_restart_begins_anew(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    put_answers: list[dict[str, Any]],
) -> None:
    """Ending with nothing lets ActivitySmith use its last state; reuse starts fresh."""
    aioclient_mock.delete(
        STREAM_URL,
        json=stream_answer("ended"),
    )
    await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    assert sent_bodies(aioclient_mock)[-1] is None

    # An ended stream does not lend its state: starting again needs the type.
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass, "stream_live_activity", {"stream_key": "washer", "percentage": 5}
        )
    assert raised.value.translation_key == "title_required"
    await stream(hass, put_answers, WASHER_START, stream_answer("started", "act-9"))
    state = hass.states.get(WASHER)
    assert (state.state, state.attributes["status"]) == ("act-9", "active")
    assert state.attributes["previous_activity_id"] is None


@pytest.mark.usefixtures("started_washer")
async def test_ending_an_unknown_stream_is_reported_clearly(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A 404 names the stream in a translated error and marks the sensor ended."""
    aioclient_mock.delete(
        STREAM_URL,
        status=404,
        json={
            "error": "Live Activity stream not found",
            "message": "No stream: washer",
        },
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    assert raised.value.translation_key == "stream_not_found"
    assert raised.value.translation_placeholders["stream_key"] == "washer"
    assert hass.states.get(WASHER).attributes["status"] == "ended"


@pytest.mark.usefixtures("started_washer")
async def test_other_failures_ending_a_stream_leave_it_running(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Only a 404 means the stream is gone; a rejected end changes nothing."""
    aioclient_mock.delete(STREAM_URL, status=400, json={"message": "bad"})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    assert raised.value.translation_key == "bad_request"
    assert hass.states.get(WASHER).attributes["status"] == "active"


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "stream_key", ["has space", "slash/key", "", "é", "x" * 256, 5.5]
)
async def test_stream_key_is_validated_before_sending(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, stream_key: Any
) -> None:
    """Only letters, digits, _ and -, at most 255 characters."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass, "stream_live_activity", {**WASHER_START, "stream_key": stream_key}
        )
    assert raised.value.translation_placeholders["field"] == "stream_key"
    assert aioclient_mock.call_count == 1  # the key check at setup only


@pytest.mark.usefixtures("started_washer")
async def test_streams_survive_a_restart(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """Every stream's sensor and state come back after a reload."""
    put_answers.append(stream_answer("started", "act-ev", stream_key="ev_charge"))
    await act(
        hass,
        "stream_live_activity",
        {"stream_key": "ev_charge", "title": "EV", "type": "progress", "percentage": 5},
    )
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(WASHER).state == "act-1"
    assert hass.states.get("sensor.activitysmith_ev_charge").state == "act-ev"
    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 90},
        stream_answer("updated", "act-1"),
    )
    assert sent_bodies(aioclient_mock)[-1]["content_state"]["title"] == "Washer"


@pytest.mark.usefixtures("started_washer")
async def test_deleting_a_stream_sensor_forgets_the_stream(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    put_answers: list[dict[str, Any]],
) -> None:
    """A deleted sensor's stream is gone, even after a restart; reuse recreates it."""
    entity_registry.async_remove(WASHER)
    await hass.async_block_till_done()
    assert "washer" not in loaded_entry.runtime_data.activities.streams

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(WASHER) is None

    await stream(hass, put_answers, WASHER_START, stream_answer("started", "act-2"))
    assert hass.states.get(WASHER).state == "act-2"


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("action", ["update_live_activity", "end_live_activity"])
@pytest.mark.usefixtures("started_washer")
async def test_update_and_end_can_target_a_stream_sensor(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    action: str,
) -> None:
    """entity_id picks the stream's current activity and merges with its state."""
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    aioclient_mock.post(END_URL, json=CHANGE_RESPONSE)
    await act(hass, action, {"entity_id": WASHER, "percentage": 55})
    assert sent_bodies(aioclient_mock)[-1] == {
        "activity_id": "act-1",
        "content_state": {
            "title": "Washer",
            "type": "progress",
            "percentage": 55,
            "icon": {"symbol": "washer.fill"},
        },
    }
    assert hass.states.get(WASHER).attributes["percentage"] == 55


@pytest.mark.usefixtures("loaded_entry")
async def test_update_can_target_the_live_activity_sensor(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The manual lifecycle's sensor works as a target too."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    await act(
        hass, "start_live_activity", {"title": "A", "type": "alert", "message": "m"}
    )
    await act(
        hass,
        "update_live_activity",
        {"entity_id": "sensor.activitysmith_live_activity", "message": "n"},
    )
    assert (
        sent_bodies(aioclient_mock)[-1]["activity_id"] == START_RESPONSE["activity_id"]
    )


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"entity_id": "sensor.not_ours", "title": "x"}, "not_an_activity_sensor"),
        ({"entity_id": WASHER, "activity_id": "a", "title": "x"}, "invalid_field"),
    ],
)
async def test_targeting_errors_are_translated(
    hass: HomeAssistant,
    data: dict[str, Any],
    key: str,
) -> None:
    """A foreign entity, or both an entity and an activity id, are rejected."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "update_live_activity", data)
    assert raised.value.translation_key == key


@pytest.mark.usefixtures("loaded_entry")
async def test_targeting_a_paused_stream_says_there_is_no_activity(
    hass: HomeAssistant,
    put_answers: list[dict[str, Any]],
) -> None:
    """A paused stream has no activity to update."""
    await stream(hass, put_answers, WASHER_START, stream_answer("paused", None))
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "update_live_activity", {"entity_id": WASHER, "title": "x"})
    assert raised.value.translation_key == "no_current_activity"


LIMIT_BODY = {
    "error": "Live Activity limit reached",
    "message": "iOS supports up to 5 concurrent Live Activities per app on a device.",
    "limit": 5,
    "active": 5,
}


async def test_a_stream_start_refused_for_the_limit_waits_and_learns_the_capacity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    put_answers: list[dict[str, Any]],
) -> None:
    """429 with limit/active: no error (it starts when a slot frees), all explained."""
    put_answers.append({"__status__": 429, **LIMIT_BODY})
    response = await act(hass, "stream_live_activity", WASHER_START)
    assert response == {"stream_key": "washer", "operation": "waiting"}
    ledger = loaded_entry.runtime_data.publisher.ledger
    assert ledger.capacity == 5
    assert [slot.name for slot in ledger.waiting] == [WASHER_START["title"]]
    state = hass.states.get(WASHER)
    assert state.attributes["operation"] == "waiting"
    assert state.attributes["status"] == "waiting"
    slots = hass.states.get("sensor.activitysmith_live_activity_slots")
    assert slots.state == "0"
    assert slots.attributes["held_elsewhere"] == 5
    assert slots.attributes["waiting"][0]["name"] == WASHER_START["title"]
    issue_id = f"live_activity_limit_{loaded_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("loaded_entry")
async def test_stream_channels_are_sent_flat(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    put_answers: list[dict[str, Any]],
) -> None:
    """Streams take channels at the top level (the streamlined form)."""
    await stream(
        hass,
        put_answers,
        {**WASHER_START, "channels": "family"},
        stream_answer("started", "act-1"),
    )
    assert sent_bodies(aioclient_mock)[-1]["channels"] == ["family"]


@pytest.mark.usefixtures("started_washer")
async def test_an_update_of_the_same_activity_has_no_previous_activity(
    hass: HomeAssistant,
    put_answers: list[dict[str, Any]],
) -> None:
    """Only a new activity id (rotated, or one the answer changed) has a previous."""
    await stream(
        hass,
        put_answers,
        {"stream_key": "washer", "percentage": 40},
        stream_answer("updated", "act-1"),
    )
    state = hass.states.get(WASHER)
    assert state.state == "act-1"
    assert state.attributes["previous_activity_id"] is None
