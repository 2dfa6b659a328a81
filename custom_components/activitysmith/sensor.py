"""Activity sensors: their state is the activity id automations refer to.

One sensor per entry follows the manual lifecycle (start, update, end); one more per
stream key appears the first time the key is used. They read the entry's tracker, which
is stored, so they survive a restart; deleting a stream's sensor forgets the stream.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.signal_type import SignalType

from .const import (
    DOMAIN,
    LIVE_ACTIVITY_SENSOR_KEY,
    SLOTS_SENSOR_KEY,
    STREAM_SENSOR_PREFIX,
)
from .entity import ActivitySmithEntity, async_add_per_tracked_entity
from .metrics.sensors import async_add_metric_sensors
from .models import ActivitySmithConfigEntry
from .records import ActivityRecord
from .slots import signal_slots
from .store import signal_live_activity, signal_stream, signal_streams
from .tracked.config import is_tracked_stream, signal_tracked, stream_key_for

# Entities only read the tracker; the API calls happen in actions.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the Live Activity sensor, and a sensor for each stream as it appears.

    A stream the store forgets (the oldest of too many ended ones) loses its sensor.
    """
    activities = entry.runtime_data.activities
    registry = er.async_get(hass)
    async_add_entities([LiveActivitySensor(entry), SlotsSensor(entry)])
    async_add_per_tracked_entity(
        hass, entry, async_add_entities, lambda sub: TrackedSensor(entry, sub)
    )
    async_add_metric_sensors(hass, entry, async_add_entities)
    # Sensors of streams the store no longer knows (forgotten while not loaded).
    prefix = f"{entry.entry_id}_{STREAM_SENSOR_PREFIX}"
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        key = registered.unique_id.removeprefix(prefix)
        if registered.unique_id.startswith(prefix) and (
            key not in activities.streams or is_tracked_stream(key)
        ):
            registry.async_remove(registered.entity_id)
    shown: set[str] = set()

    @callback
    def follow_streams() -> None:
        for key in shown - activities.streams.keys():
            shown.discard(key)
            if entity_id := registry.async_get_entity_id(
                "sensor", DOMAIN, prefix + key
            ):
                registry.async_remove(entity_id)
        # A tracked entity's stream has the sensor of the tracked entity's device,
        # and a removed one's is about to be forgotten: neither gets a stream sensor.
        if new := [
            key
            for key in activities.streams
            if key not in shown and not is_tracked_stream(key)
        ]:
            shown.update(new)
            async_add_entities(StreamSensor(entry, key) for key in new)

    follow_streams()
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_streams(entry.entry_id), follow_streams)
    )


class ActivitySensor(ActivitySmithEntity, SensorEntity):
    """A sensor that shows one activity record of the tracker."""

    # The signal of that record, so only its changes rewrite this state.
    signal: SignalType[()]

    def __init__(
        self,
        entry: ActivitySmithConfigEntry,
        key: str,
        subentry: ConfigSubentry | None = None,
    ) -> None:
        """Follow the entry's tracker."""
        super().__init__(entry, key, subentry)
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
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.signal, self.async_write_ha_state)
        )


class LiveActivitySensor(ActivitySensor):
    """The Live Activity of the manual lifecycle (start, update, end)."""

    _attr_translation_key = "live_activity"

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry."""
        super().__init__(entry, LIVE_ACTIVITY_SENSOR_KEY)
        self.signal = signal_live_activity(entry.entry_id)

    @property
    def record(self) -> ActivityRecord | None:
        """The activity started last."""
        return self._activities.current


class SlotsSensor(ActivitySmithEntity, SensorEntity):
    """How many of the phone's few Live Activity slots are in use, and by what.

    One ledger per account: every entry of one key shows the same slots.
    """

    _attr_translation_key = "slots"
    # A count over time: the history graph shows how full the phone was, and when.
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry."""
        super().__init__(entry, SLOTS_SENSOR_KEY)
        self._ledger = entry.runtime_data.publisher.ledger

    @property
    def native_value(self) -> int:
        """Slots in use by this Home Assistant (shown, or starting)."""
        return len(self._ledger.shown)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The capacity, what is shown and what waits (name, priority, since)."""
        ledger = self._ledger.as_dict()
        return {
            "capacity": ledger["capacity"],
            "held_elsewhere": ledger["others"],
            "shown": ledger["shown"],
            "waiting": ledger["waiting"],
        }

    async def async_added_to_hass(self) -> None:
        """Refresh whenever the ledger changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_slots(self._ledger.ledger_id),
                self.async_write_ha_state,
            )
        )


class StreamSensor(ActivitySensor):
    """The current Live Activity of one stream key."""

    _attr_translation_key = "stream"

    def __init__(
        self,
        entry: ActivitySmithConfigEntry,
        stream_key: str,
        subentry: ConfigSubentry | None = None,
    ) -> None:
        """Named after its stream key, so its entity id is sensor.<device>_<key>."""
        key = (
            f"{STREAM_SENSOR_PREFIX}{stream_key}"
            if subentry is None
            else f"tracked_{subentry.subentry_id}"
        )
        super().__init__(entry, key, subentry)
        self._stream_key = stream_key
        self._attr_name = stream_key
        self.signal = signal_stream(entry.entry_id, stream_key)

    @property
    def available(self) -> bool:
        """Unavailable once the stream is forgotten, until the entity goes away."""
        return self._stream_key in self._activities.streams

    @property
    def record(self) -> ActivityRecord | None:
        """The stream's record."""
        return self._activities.streams.get(self._stream_key)

    async def async_removed_from_registry(self) -> None:
        """The user deleted this sensor: forget its stream (not on a rename or unload)."""
        self._activities.streams.forget(self._stream_key)


class TrackedSensor(StreamSensor):
    """A tracked entity's Live Activity: its stream, what it decided, any error."""

    _attr_translation_key = "tracked"

    def __init__(
        self, entry: ActivitySmithConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """On the tracked entity's own device."""
        super().__init__(entry, stream_key_for(subentry.subentry_id), subentry)
        del self._attr_name  # named by its translation: "<device> Live Activity"
        self._entry = entry
        self._subentry_id = subentry.subentry_id

    @property
    def available(self) -> bool:
        """Always: before its first start it simply shows no activity."""
        return True

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The stream's attributes, plus the tracked entity and its template error."""
        attributes = super().extra_state_attributes or {}
        tracked = self._entry.runtime_data.tracked.by_subentry.get(self._subentry_id)
        if tracked is not None:
            attributes["entity_id"] = tracked.config.entity_id
            if tracked.error is not None:
                attributes["error"] = tracked.error
            if tracked.not_sent is not None:
                attributes["not_sent"] = tracked.not_sent
        return attributes

    async def async_added_to_hass(self) -> None:
        """Also refresh when the tracked entity's decision or error changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_tracked(self._entry.entry_id, self._subentry_id),
                self.async_write_ha_state,
            )
        )

    async def async_removed_from_registry(self) -> None:
        """The stream is the subentry's: the tracked entities forget it at removal."""
