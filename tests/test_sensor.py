"""The Live Activity sensor: state and attributes through a lifecycle, and restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.const import DOMAIN

from .conftest import (
    ACTIVITY_ID,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    act,
    mock_key_check,
    setup_integration,
    store_activities,
)

SENSOR = "sensor.activitysmith_live_activity"


@pytest.mark.usefixtures("loaded_entry")
async def test_sensor_follows_start_update_and_end(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """State is the activity id; attributes are what the phone shows and its status."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["segmented_progress"])
    state = hass.states.get(SENSOR)
    assert state.state == ACTIVITY_ID
    assert state.attributes == {
        **EXAMPLE_CONTENT["segmented_progress"],
        "status": "active",
        "started_at": datetime.fromisoformat("2026-11-26T08:00:00+00:00"),
        "updated_at": datetime.fromisoformat("2026-11-26T08:00:00+00:00"),
        "ended_at": None,
        "devices_notified": 2,
        "users_notified": 1,
        "friendly_name": "ActivitySmith Live Activity",
    }

    freezer.move_to("2026-11-26 08:05:00+00:00")
    await act(hass, "update_live_activity", {"current_step": 2})
    state = hass.states.get(SENSOR)
    assert state.attributes["current_step"] == 2
    assert state.attributes["updated_at"] == datetime.fromisoformat(
        "2026-11-26T08:05:00+00:00"
    )
    assert state.attributes["started_at"] == datetime.fromisoformat(
        "2026-11-26T08:00:00+00:00"
    )
    assert "users_notified" not in state.attributes

    await act(hass, "end_live_activity", {"current_step": 3})
    state = hass.states.get(SENSOR)
    assert state.state == ACTIVITY_ID
    assert state.attributes["status"] == "ended"
    assert state.attributes["ended_at"] == datetime.fromisoformat(
        "2026-11-26T08:05:00+00:00"
    )
    assert state.attributes["current_step"] == 3


async def test_sensor_and_partial_updates_survive_a_restart(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """After reloading, the sensor shows the same activity and updates still merge."""
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["progress"])
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(SENSOR)
    assert state.state == ACTIVITY_ID
    assert state.attributes["percentage"] == 42
    assert state.attributes["status"] == "active"

    await act(hass, "update_live_activity", {"percentage": 60})
    _, _, body, _ = lifecycle_api.mock_calls[-1]
    assert body["content_state"] == {
        "title": "EV charging",
        "type": "progress",
        "percentage": 60,
    }


async def test_stored_activities_are_restored_at_startup(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    lifecycle_api: AiohttpClientMocker,
) -> None:
    """What was saved before Home Assistant stopped is shown right after it starts."""
    store_activities(
        hass_storage,
        mock_config_entry,
        {
            "current": "abc",
            "recent": [
                {
                    "activity_id": "abc",
                    "content_state": EXAMPLE_CONTENT["alert"],
                    "status": "ended",
                    "started_at": "2026-11-25T10:00:00+00:00",
                    "updated_at": "2026-11-25T10:01:00+00:00",
                    "ended_at": "2026-11-25T10:01:00+00:00",
                    "delivery": {"devices_notified": 1},
                }
            ],
            "streams": {},
        },
        minor_version=1,
    )
    mock_key_check(lifecycle_api)
    await setup_integration(hass, mock_config_entry)
    state = hass.states.get(SENSOR)
    assert state.state == "abc"
    assert state.attributes["status"] == "ended"
    assert state.attributes["message"] == "Opened"
    assert state.attributes["devices_notified"] == 1
    # Times come back as times, like those of a change made since the start.
    for name, stored in (
        ("started_at", "2026-11-25T10:00:00+00:00"),
        ("updated_at", "2026-11-25T10:01:00+00:00"),
        ("ended_at", "2026-11-25T10:01:00+00:00"),
    ):
        assert state.attributes[name] == datetime.fromisoformat(stored)


async def test_removing_the_entry_forgets_its_activities(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Deleting the integration leaves no stored activities behind, nor in memory."""
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    key = f"{DOMAIN}.{loaded_entry.entry_id}.activities"
    assert key in hass_storage
    # The store outlives reloads; only the entry's removal lets it go.
    assert loaded_entry.entry_id in hass.data[f"{DOMAIN}_trackers"]
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert loaded_entry.entry_id not in hass.data[f"{DOMAIN}_trackers"]


async def test_changes_after_a_save_are_saved_again(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every change reaches storage within a second, also after an earlier save."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}.activities"
    for step in (1, 2):
        await act(
            hass,
            "start_live_activity",
            {**EXAMPLE_CONTENT["segmented_progress"], "current_step": step},
        )
        freezer.tick(2)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        [record] = hass_storage[key]["data"]["recent"]
        assert record["content_state"]["current_step"] == step


@pytest.mark.usefixtures("loaded_entry")
async def test_the_live_activity_icon_is_shown_as_symbol_not_as_the_entity_icon(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """An `icon` attribute would be read by the frontend as the entity's mdi icon."""
    await act(
        hass,
        "start_live_activity",
        {
            **EXAMPLE_CONTENT["alert"],
            "icon": {"symbol": "door.left.hand.open", "color": "red"},
        },
    )
    attributes = hass.states.get(SENSOR).attributes
    assert "icon" not in attributes
    assert (attributes["symbol"], attributes["symbol_color"]) == (
        "door.left.hand.open",
        "red",
    )


async def test_a_change_is_saved_a_second_later_not_sooner(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Changes within a second are one write, made a second after the first (real time)."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}.activities"
    hass_storage.pop(key, None)
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    await asyncio.sleep(0.6)
    assert key not in hass_storage
    await asyncio.sleep(0.8)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"]["current"] == START_RESPONSE["activity_id"]


async def test_an_answer_after_the_entry_was_removed_writes_nothing_back(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    lifecycle_api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """A late answer is not recorded, so the deleted store does not come back."""
    tracker = loaded_entry.runtime_data.activities
    key = f"{DOMAIN}.{loaded_entry.entry_id}.activities"
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    tracker.started({"title": "Late", "type": "alert", "message": "m"}, START_RESPONSE)
    await asyncio.sleep(1.2)
    await hass.async_block_till_done()
    assert key not in hass_storage
