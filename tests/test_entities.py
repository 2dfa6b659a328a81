"""Every entity of an entry, as Home Assistant registers and shows it (snapshots)."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
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


@pytest.mark.parametrize("platforms", [[Platform.SENSOR], [Platform.NOTIFY]])
async def test_entities_of_an_entry_with_an_activity_and_a_stream(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    lifecycle_api: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The Live Activity sensor, a stream's sensor and the notify entity, on one device.

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
    await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, loaded_entry.entry_id)
    devices = dr.async_entries_for_config_entry(device_registry, loaded_entry.entry_id)
    assert [(d.name, d.entry_type) for d in devices] == [
        ("ActivitySmith", dr.DeviceEntryType.SERVICE)
    ]
