"""The entry's tracked entities, kept in step with its subentries.

Subentries added, changed or removed (the update listener) start, restart or end their
tracked entity in place, never by a reload. A renamed entity is followed; a deleted one
raises a repair issue that offers to remove the subentry. Presses of a tracked timer's
buttons run the timer's own actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from homeassistant.core import Event, HomeAssistant, callback, split_entity_id
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN
from ..models import ActivitySmithConfigEntry, ActivitySmithData
from ..webhook import signal_pressed
from .config import CONF_ENTITY_ID, TrackedConfig, tracked_subentries
from .entity import TrackedEntity

MISSING_ISSUE: Final = "tracked_entity_missing"


class TrackedEntities:
    """The entry's tracked entities, kept in step with its subentries."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ActivitySmithConfigEntry,
        data: ActivitySmithData,
    ) -> None:
        """Start with none; `async_sync` follows the subentries."""
        self._hass = hass
        self._entry = entry
        self._data = data
        self.by_subentry: dict[str, TrackedEntity] = {}

    async def async_sync(self) -> None:
        """Start new subentries, restart changed ones, end and drop removed ones."""
        wanted = tracked_subentries(self._entry)
        for subentry_id in list(self.by_subentry):
            tracked = self.by_subentry[subentry_id]
            subentry = wanted.get(subentry_id)
            if subentry is not None and TrackedConfig.from_data(subentry.data) == (
                tracked.config
            ):
                continue
            tracked.async_stop()
            del self.by_subentry[subentry_id]
            if subentry is None:
                ir.async_delete_issue(self._hass, DOMAIN, issue_id_for(subentry_id))
                await tracked.async_end()
        # State names ("Open" for a door) come from the entity components' translations.
        domains = {
            split_entity_id(subentry.data[CONF_ENTITY_ID])[0]
            for subentry in wanted.values()
        }
        await async_get_translations(
            self._hass, self._hass.config.language, "entity_component", domains
        )
        for subentry_id, subentry in wanted.items():
            if subentry_id not in self.by_subentry:
                tracked = TrackedEntity(self._hass, self._entry, self._data, subentry)
                self.by_subentry[subentry_id] = tracked
                tracked.async_start()

    @callback
    def async_stop(self) -> None:
        """Stop following every entity (on unload; the activities stay)."""
        for tracked in self.by_subentry.values():
            tracked.async_stop()

    @callback
    def async_follow_presses(self) -> Callable[[], None]:
        """Run tracked timers' buttons when they are pressed."""

        @callback
        def pressed(action: str) -> None:
            for tracked in self.by_subentry.values():
                self._entry.async_create_task(self._hass, tracked.async_pressed(action))

        return async_dispatcher_connect(
            self._hass, signal_pressed(self._entry.entry_id), pressed
        )

    @callback
    def async_follow_registry(self) -> Callable[[], None]:
        """Follow a renamed entity; a deleted one raises a repair issue."""

        @callback
        def changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
            change = event.data
            if change["action"] == "remove":
                for tracked in self.for_entity(change["entity_id"]):
                    ir.async_create_issue(
                        self._hass,
                        DOMAIN,
                        issue_id_for(tracked.subentry_id),
                        is_fixable=True,
                        severity=ir.IssueSeverity.WARNING,
                        translation_key=MISSING_ISSUE,
                        translation_placeholders={
                            "entity_id": change["entity_id"],
                            "title": tracked.title,
                        },
                        data={
                            "entry_id": self._entry.entry_id,
                            "subentry_id": tracked.subentry_id,
                        },
                    )
            elif change["action"] == "update" and "old_entity_id" in change:
                for tracked in self.for_entity(change["old_entity_id"]):
                    subentry = self._entry.subentries[tracked.subentry_id]
                    self._hass.config_entries.async_update_subentry(
                        self._entry,
                        subentry,
                        data={**subentry.data, CONF_ENTITY_ID: change["entity_id"]},
                    )

        return self._hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, changed)

    def for_entity(self, entity_id: str) -> list[TrackedEntity]:
        """The tracked entities that follow `entity_id`."""
        return [t for t in self.by_subentry.values() if t.config.entity_id == entity_id]


def issue_id_for(subentry_id: str) -> str:
    """The repair issue raised when a tracked entity's entity is deleted."""
    return f"{MISSING_ISSUE}_{subentry_id}"
