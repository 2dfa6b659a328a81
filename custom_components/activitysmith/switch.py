"""A switch per tracked entity: pause mirroring without deleting it (off ends it)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ActivitySmithEntity, async_add_per_tracked_entity
from .models import ActivitySmithConfigEntry
from .tracked.config import CONF_ENABLED, signal_subentries

# Switching only changes the subentry; its update listener does the sending.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a mirroring switch for each tracked entity."""
    async_add_per_tracked_entity(
        hass, entry, async_add_entities, lambda sub: MirroringSwitch(entry, sub)
    )


class MirroringSwitch(ActivitySmithEntity, SwitchEntity):
    """On: the entity is mirrored on the phone. Off: its Live Activity ends."""

    _attr_translation_key = "mirroring"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(
        self, entry: ActivitySmithConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """One per tracked entity, on its device."""
        super().__init__(entry, f"mirroring_{subentry.subentry_id}", subentry)
        self._entry = entry
        self._subentry_id = subentry.subentry_id

    @property
    def is_on(self) -> bool:
        """Whether the subentry mirrors its entity."""
        subentry = self._entry.subentries.get(self._subentry_id)
        return subentry is not None and bool(subentry.data.get(CONF_ENABLED, True))

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Mirror the entity again; it shows at once if it should."""
        self._set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop mirroring; the Live Activity ends."""
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        subentry = self._entry.subentries[self._subentry_id]
        self.hass.config_entries.async_update_subentry(
            self._entry, subentry, data={**subentry.data, CONF_ENABLED: enabled}
        )

    async def async_added_to_hass(self) -> None:
        """Show changes made here, in a reconfigure or anywhere else."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_subentries(self._entry.entry_id),
                self.async_write_ha_state,
            )
        )
