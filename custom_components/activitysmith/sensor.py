"""Activity sensors: their state is the activity id automations refer to.

One sensor per entry follows the manual lifecycle (start, update, end); it survives a
restart because the tracker it reads is stored.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .activities import ActivityRecord
from .entity import ActivitySmithEntity
from .models import ActivitySmithConfigEntry

# Entities only read the tracker; the API calls happen in actions.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's live activity sensor."""
    async_add_entities([LiveActivitySensor(entry)])


class ActivitySensor(ActivitySmithEntity, SensorEntity):
    """A sensor that shows one activity record of the tracker."""

    def __init__(self, entry: ActivitySmithConfigEntry, key: str) -> None:
        """Follow the entry's tracker."""
        super().__init__(entry, key)
        self._activities = entry.runtime_data.activities

    @property
    def record(self) -> ActivityRecord | None:
        """The record this sensor shows."""
        raise NotImplementedError

    @property
    def native_value(self) -> str | None:
        """The current activity id."""
        return record.activity_id if (record := self.record) else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the phone shows, its status, timestamps and delivery counts."""
        return record.attributes() if (record := self.record) else None

    async def async_added_to_hass(self) -> None:
        """Refresh whenever the tracker changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._activities.async_add_listener(self._handle_change))

    @callback
    def _handle_change(self) -> None:
        self.async_write_ha_state()


class LiveActivitySensor(ActivitySensor):
    """The Live Activity of the manual lifecycle (start, update, end)."""

    _attr_translation_key = "live_activity"

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry."""
        super().__init__(entry, "live_activity")

    @property
    def record(self) -> ActivityRecord | None:
        """The activity started last."""
        return self._activities.current
