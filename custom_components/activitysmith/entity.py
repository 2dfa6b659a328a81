"""The base of the integration's entities: one service device per config entry."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .models import ActivitySmithConfigEntry


class ActivitySmithEntity(Entity):
    """An entity of one entry, on that entry's ActivitySmith device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: ActivitySmithConfigEntry, key: str) -> None:
        """Attach the entity to the entry's device; `key` makes its unique id."""
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="ActivitySmith",
            entry_type=DeviceEntryType.SERVICE,
            configuration_url="https://activitysmith.com",
        )
