"""Odd input is named before anything is sent; an odd store never breaks set-up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN
from custom_components.activitysmith.records import record_from_stored
from custom_components.activitysmith.store import RECENT_ACTIVITIES
from custom_components.activitysmith.stream_records import MAX_ENDED_STREAMS

from .conftest import (
    CHANGE_RESPONSE,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    mock_key_check,
    sent_bodies,
    setup_integration,
    store_activities,
    stream_answer,
)

HUGE = 10**400  # what `{{ 10 ** 400 }}` renders to: an int beyond any float
STORE_RECORD = {
    "activity_id": "abc",
    "content_state": EXAMPLE_CONTENT["alert"],
    "status": "active",
    "started_at": "2026-11-25T10:00:00+00:00",
    "updated_at": "2026-11-25T10:01:00+00:00",
}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        (
            "start_live_activity",
            {**EXAMPLE_CONTENT["progress"], "percentage": HUGE},
            "percentage",
        ),
        (
            "start_live_activity",
            {"title": "T", "type": "progress", "value": HUGE, "upper_limit": 1},
            "value",
        ),
        (
            "start_live_activity",
            {**EXAMPLE_CONTENT["segmented_progress"], "number_of_steps": HUGE},
            "number_of_steps",
        ),
        ("update_metric_value", {"key": "temp", "value": HUGE}, "value"),
        ("set_badge_count", {"badge": HUGE}, "badge"),
        (
            "end_live_activity",
            {"activity_id": "a", "auto_dismiss_minutes": HUGE},
            "auto_dismiss_minutes",
        ),
        (
            "start_live_activity",
            {
                **EXAMPLE_CONTENT["metrics"],
                "metrics": [{"label": "L", "value": HUGE}],
            },
            "metrics.0.value",
        ),
        (
            "stream_live_activity",
            {**EXAMPLE_CONTENT["alert"], "stream_key": "washer\n"},
            "stream_key",
        ),
        ("update_metric_value", {"key": "temp\n", "value": 1}, "key"),
        (
            "send_push_notification",
            {"title": "T", "media": "http://cam.local/snap.jpg"},
            "media",
        ),
    ],
)
async def test_values_that_cannot_be_sent_are_named_before_anything_is_sent(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    action: str,
    data: dict[str, Any],
    field: str,
) -> None:
    """Overflowing numbers, a trailing newline in a key, an http media URL."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders["field"] == field
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_local_http_links_open_from_buttons_and_pushes(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A dashboard on the local network is the common case for open_url."""
    dashboard = "http://homeassistant.local:8123/lovelace/0"
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(f"{API_BASE_URL}/push-notification", json={"success": True})
    button = {"title": "Open", "type": "open_url", "url": dashboard}
    await act(
        hass, "start_live_activity", {**EXAMPLE_CONTENT["alert"], "action": button}
    )
    await act(hass, "send_push_notification", {"title": "T", "redirection": dashboard})
    start, push = sent_bodies(aioclient_mock)
    assert start["action"]["url"] == push["redirection"] == dashboard


@pytest.mark.usefixtures("loaded_entry")
async def test_media_with_an_empty_list_of_actions_is_refused(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The spec forbids combining them, even when the list is empty."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass,
            "send_push_notification",
            {"title": "T", "media": "https://x.io/a.jpg", "actions": []},
        )
    assert raised.value.translation_key == "media_with_actions"
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_an_empty_notify_message_is_refused(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """`notify.send_message` with nothing to say does not send `{"title": ""}`."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": "notify.activitysmith_push_notification", "message": " "},
            blocking=True,
        )
    assert raised.value.translation_key == "empty_message"
    assert sent_bodies(aioclient_mock) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_the_notify_entity_is_not_an_activity_target(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Only the activity sensors name an activity, even with a stream named push."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(
            hass,
            "update_live_activity",
            {"entity_id": "notify.activitysmith_push_notification", "message": "m"},
        )
    assert raised.value.translation_key == "not_an_activity_sensor"


@pytest.mark.usefixtures("loaded_entry")
async def test_updates_of_unknown_activities_stay_bounded_and_leave_the_sensor(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Random activity ids neither grow memory without bound nor take the sensor."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(UPDATE_URL, json={"success": True, "activity_id": "x"})
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    for number in range(RECENT_ACTIVITIES * 3):
        await act(
            hass,
            "update_live_activity",
            {"activity_id": f"elsewhere-{number}", "title": "T"},
        )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert len(entry.runtime_data.activities.recent) == RECENT_ACTIVITIES
    assert (
        hass.states.get("sensor.activitysmith_live_activity").state
        == START_RESPONSE["activity_id"]
    )


@pytest.mark.parametrize(
    "stored",
    [
        {"current": "abc", "recent": [{**STORE_RECORD, "from_the_future": 1}]},
        {"current": "abc", "recent": [{**STORE_RECORD, "activity_id": None}]},
        {"recent": [], "streams": [STORE_RECORD]},
        {"recent": "nonsense", "streams": {"washer": {"status": 3}}},
        {"recent": [{**STORE_RECORD, "started_at": "yesterday"}], "streams": {}},
        ["not", "a", "dict"],
    ],
    ids=["extra-field", "no-id", "streams-list", "junk", "bad-date", "list"],
)
async def test_an_odd_store_never_stops_the_entry_from_setting_up(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    stored: Any,
) -> None:
    """Unknown fields are ignored, broken records dropped, the rest kept."""
    store_activities(hass_storage, mock_config_entry, stored, minor_version=1)
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.activitysmith_live_activity")
    extra_field_kept = isinstance(stored, dict) and stored.get("current") == "abc"
    if extra_field_kept and stored["recent"][0]["activity_id"]:
        assert state.state == "abc"


async def test_a_change_still_waiting_at_shutdown_shows_as_dropped_after_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The queue does not outlive a restart: the phone shows the last sent content."""
    waiting = {**STORE_RECORD["content_state"], "message": "Closed"}
    washer = {
        **STORE_RECORD,
        "stream_key": "washer",
        "operation": "queued",
        "pending_content": waiting,
    }
    store_activities(
        hass_storage, mock_config_entry, {"recent": [], "streams": {"washer": washer}}
    )
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    record = mock_config_entry.runtime_data.activities.streams["washer"]
    assert (record.operation, record.pending_content) == ("dropped", None)
    assert record.content_state == STORE_RECORD["content_state"]
    attributes = hass.states.get("sensor.activitysmith_washer").attributes
    assert (attributes["operation"], attributes["message"]) == ("dropped", "Opened")


def test_a_stored_record_reads_back_as_it_was_written() -> None:
    """Timestamps come back as datetimes, unknown fields are ignored."""
    record = record_from_stored({**STORE_RECORD, "from_the_future": 1})
    assert record is not None
    assert record_from_stored(record.as_stored()) == record
    assert record.started_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stored",
    [
        "a string",
        {key: value for key, value in STORE_RECORD.items() if key != "activity_id"},
        {**STORE_RECORD, "content_state": ["alert"]},
        {**STORE_RECORD, "status": 1},
        {**STORE_RECORD, "started_at": 1764064800},
        {**STORE_RECORD, "updated_at": "the day after"},
        {**STORE_RECORD, "updated_at": "2026-13-45T10:00:00+00:00"},
        {**STORE_RECORD, "delivery": [2]},
        {**STORE_RECORD, "pending_content": "alert"},
        {**STORE_RECORD, "stream_key": 7},
    ],
    ids=[
        "not-a-dict",
        "no-activity-id-field",
        "content-not-a-dict",
        "status-not-text",
        "timestamp-not-text",
        "timestamp-not-a-date",
        "timestamp-out-of-range",
        "delivery-not-a-dict",
        "pending-not-a-dict",
        "stream-key-not-text",
    ],
)
def test_a_stored_record_that_cannot_be_read_is_dropped(stored: object) -> None:
    """Whatever another version or a hand edit left there: None, never an error."""
    assert record_from_stored(stored) is None


async def test_only_the_newest_ended_streams_are_kept_with_their_sensors(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A churn of unique stream keys leaves a bounded store and entity list."""
    count = MAX_ENDED_STREAMS + 5
    for number in range(count):
        url = f"{API_BASE_URL}/live-activity/stream/job-{number}"
        aioclient_mock.put(url, json=stream_answer("started", f"a{number}"))
        aioclient_mock.delete(url, json=stream_answer("ended", f"a{number}"))
    budget = loaded_entry.runtime_data.client.budget
    budget.limit = budget.stream_limit = 10_000  # the budget is not under test here
    budget.stream_spacing = 0.0
    for number in range(count):
        data = {**EXAMPLE_CONTENT["alert"], "stream_key": f"job-{number}"}
        await act(hass, "stream_live_activity", data)
        await act(hass, "end_live_activity_stream", {"stream_key": f"job-{number}"})
    await hass.async_block_till_done()
    streams = loaded_entry.runtime_data.activities.streams
    assert len(streams) == MAX_ENDED_STREAMS
    assert "job-0" not in streams
    assert f"job-{count - 1}" in streams
    sensors = [
        e
        for e in er.async_entries_for_config_entry(
            entity_registry, loaded_entry.entry_id
        )
        if e.translation_key == "stream"
    ]
    assert len(sensors) == MAX_ENDED_STREAMS
    assert hass.states.get("sensor.activitysmith_job_0") is None


async def test_a_sound_store_loads_without_a_warning(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing was dropped, so nothing is reported."""
    washer = {**STORE_RECORD, "activity_id": "w", "stream_key": "washer"}
    store_activities(
        hass_storage,
        mock_config_entry,
        {"current": "abc", "recent": [STORE_RECORD], "streams": {"washer": washer}},
    )
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    assert "unreadable" not in caplog.text


async def test_the_warning_counts_the_records_it_dropped(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One unreadable recent activity and one stream under the wrong key: two."""
    washer = {**STORE_RECORD, "activity_id": "w", "stream_key": "washer"}
    store_activities(
        hass_storage,
        mock_config_entry,
        {
            "recent": [STORE_RECORD, {**STORE_RECORD, "status": 1}],
            "streams": {"dryer": washer},
        },
    )
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    assert "Ignored 2 unreadable records" in caplog.text


async def test_a_partial_update_of_a_streams_activity_builds_on_the_stream(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """update_live_activity by a stream's activity id keeps the stream's other fields."""
    washer = {**STORE_RECORD, "activity_id": "w", "stream_key": "washer"}
    store_activities(
        hass_storage, mock_config_entry, {"recent": [], "streams": {"washer": washer}}
    )
    mock_key_check(aioclient_mock)
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    await setup_integration(hass, mock_config_entry)
    await act(hass, "update_live_activity", {"activity_id": "w", "message": "Closed"})
    sent = sent_bodies(aioclient_mock)[-1]["content_state"]
    assert sent == {**STORE_RECORD["content_state"], "message": "Closed"}
