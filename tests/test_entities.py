"""Every entity of an entry, as Home Assistant registers and shows it (snapshots)."""

from __future__ import annotations

from types import MappingProxyType

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.activitysmith.client import API_BASE_URL

from .conftest import EXAMPLE_CONTENT, act, stream_answer
from .tracked_support import StreamServer

# What the "Add tracked entity" flow stores for an input_boolean, as suggested.
ALARM = {
    "entity_id": "input_boolean.alarm",
    "type": "alert",
    "fields": {
        "title": "Alarm",
        "icon": "exclamationmark.circle",
        "color": "red",
        "message": "{{ state_name }}",
    },
    "show_states": ["on"],
    "end_states": ["off"],
    "auto_dismiss_minutes": 3,
}


@pytest.mark.parametrize(
    "platforms",
    [[Platform.SENSOR], [Platform.NOTIFY], [Platform.EVENT], [Platform.SWITCH]],
    ids=["sensor", "notify", "event", "switch"],
)
async def test_entities_of_an_entry_with_an_activity_and_a_stream(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    lifecycle_api: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    platforms: list[Platform],
) -> None:
    """The entry's device: Live Activity, stream, notify and button event entities;
    a tracked entity's device: its Live Activity sensor and its switch.

    Unloading with the platform patched would not work, so the entry stays loaded.
    """
    freezer.move_to("2026-11-26 08:00:00+00:00")
    lifecycle_api.put(
        f"{API_BASE_URL}/live-activity/stream/washer",
        json=stream_answer("started", "act-1"),
    )
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["segmented_progress"])
    await act(
        hass,
        "stream_live_activity",
        {"stream_key": "washer", **EXAMPLE_CONTENT["progress"]},
    )
    StreamServer(lifecycle_api)
    hass.states.async_set("input_boolean.alarm", "off", {"friendly_name": "Alarm"})
    hass.config_entries.async_add_subentry(
        loaded_entry,
        ConfigSubentry(
            data=MappingProxyType(ALARM),
            subentry_type="tracked_entity",
            title="Alarm",
            subentry_id="01JTRACKEDALARM00000000000",
            unique_id=None,
        ),
    )
    await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, loaded_entry.entry_id)
    devices = dr.async_entries_for_config_entry(device_registry, loaded_entry.entry_id)
    expected = {
        Platform.SENSOR: [("ActivitySmith", None), ("Alarm", "Tracked entity")],
        Platform.SWITCH: [("Alarm", "Tracked entity")],
    }.get(platforms[0], [("ActivitySmith", None)])
    assert sorted((d.name, d.model) for d in devices) == expected
