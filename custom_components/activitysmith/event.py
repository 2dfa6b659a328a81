"""The entry's button event entity: each press of a `home_assistant` button.

Its event types are the action ids sent so far, so the automation editor offers them
without typing; they are kept in the entry's data and survive a restart.
"""

from __future__ import annotations

from homeassistant.components.event import EventDeviceClass, EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ActivitySmithEntity
from .models import ActivitySmithConfigEntry
from .webhook import signal_actions, signal_pressed

# Presses arrive through the webhook; nothing is polled or sent from here.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's button event entity."""
    async_add_entities([ButtonEvent(entry)])


class ButtonEvent(ActivitySmithEntity, EventEntity):
    """Fires with the button's action id as its event type."""

    _attr_translation_key = "button"
    _attr_device_class = EventDeviceClass.BUTTON

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry, on its service device."""
        super().__init__(entry, "button")
        self._buttons = entry.runtime_data.buttons
        self._entry_id = entry.entry_id

    @property
    def event_types(self) -> list[str]:
        """Every action id sent so far."""
        return self._buttons.actions

    @callback
    def _pressed(self, press: dict[str, str]) -> None:
        self._trigger_event(press["action"])
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Follow presses and new action ids."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_pressed(self._entry_id), self._pressed
            )
        )
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_actions(self._entry_id), self.async_write_ha_state
            )
        )
