"""The base of the integration's entities: a service device per entry and per tracked entity."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .models import ActivitySmithConfigEntry
from .tracked.config import signal_subentries, tracked_subentries


class ActivitySmithEntity(Entity):
    """An entity of one entry: on its ActivitySmith device, or a tracked entity's."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        entry: ActivitySmithConfigEntry,
        key: str,
        subentry: ConfigSubentry | None = None,
        *,
        model: str = "Tracked entity",
    ) -> None:
        """Attach the entity to its device (a subentry's is a `model`); `key` its id."""
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        if subentry is None:
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, entry.entry_id)},
                name=entry.title,
                manufacturer="ActivitySmith",
                entry_type=DeviceEntryType.SERVICE,
                configuration_url="https://activitysmith.com",
            )
        else:
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, subentry.subentry_id)},
                name=subentry.title,
                manufacturer="ActivitySmith",
                model=model,
                entry_type=DeviceEntryType.SERVICE,
            )


@callback
def async_add_per_tracked_entity(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[ConfigSubentry], Entity],
    subentries: Callable[
        [ActivitySmithConfigEntry], dict[str, ConfigSubentry]
    ] = tracked_subentries,
) -> None:
    """Add `make(subentry)` for each of `subentries`, now and as they are added."""
    added: set[str] = set()

    @callback
    def add_new() -> None:
        added.intersection_update(entry.subentries)
        for subentry_id, subentry in subentries(entry).items():
            if subentry_id not in added:
                added.add(subentry_id)
                async_add_entities([make(subentry)], config_subentry_id=subentry_id)

    add_new()
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_subentries(entry.entry_id), add_new)
    )
