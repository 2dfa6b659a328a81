"""The entry's tracked entities, kept in step with its subentries.

Subentries added, changed or removed start, restart or end their tracked entity in
place, never by a reload. Each sync also looks after what a tracked entity leaves:
the stream of a removed one is ended and then forgotten (so no sensor of it stays
behind, even after a restart), and a tracked entity whose entity no longer exists has
a repair issue, raised again after a restart and withdrawn once the entity is back or
the tracked entity points elsewhere. A renamed entity is followed. Presses of a
tracked timer's buttons reach the tracked entity whose stream they name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.start import async_at_started

from ..client import ActivitySmithError, JsonObject
from ..const import DOMAIN
from ..failures import message_of, translated
from ..publisher import StreamPublisher
from ..store import ActivityTracker
from ..webhook import signal_pressed
from .config import (
    CONF_ENTITY_ID,
    TrackedConfig,
    is_tracked_stream,
    stream_key_for,
    tracked_subentries,
)
from .entity import TrackedEntity

_LOGGER = logging.getLogger(__name__)

MISSING_ISSUE: Final = "tracked_entity_missing"


def issue_id_for(subentry_id: str) -> str:
    """The repair issue raised when a tracked entity's entity is deleted."""
    return f"{MISSING_ISSUE}_{subentry_id}"


def entity_exists(hass: HomeAssistant, entity_id: str) -> bool:
    """Whether the entity is known: registered, or with a state."""
    return (
        er.async_get(hass).async_get(entity_id) is not None
        or hass.states.get(entity_id) is not None
    )


class TrackedEntities:
    """The entry's tracked entities, kept in step with its subentries."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        publisher: StreamPublisher,
        activities: ActivityTracker,
    ) -> None:
        """Start with none; `async_sync` follows the subentries."""
        self._hass = hass
        self._entry = entry
        self._publisher = publisher
        self._activities = activities
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
                await self._async_retire(
                    tracked.stream_key, subentry_id, tracked.async_end
                )
        await self._async_retire_orphans(wanted)
        for subentry_id, subentry in wanted.items():
            if subentry_id not in self.by_subentry:
                tracked = TrackedEntity(
                    self._hass,
                    self._entry,
                    self._publisher,
                    subentry,
                    activities=self._activities,
                    push=self._async_push,
                )
                self.by_subentry[subentry_id] = tracked
                tracked.async_start()
        self._async_check_missing()

    async def _async_retire(
        self,
        stream_key: str,
        subentry_id: str,
        end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """A tracked entity was removed: end its stream (`end`), then forget it."""
        ir.async_delete_issue(self._hass, DOMAIN, issue_id_for(subentry_id))
        self._activities.set_run(stream_key, None)
        self._publisher.forget_when_ended(stream_key)
        if not self._publisher.running(stream_key):
            return
        if end is not None:
            await end()
            return
        try:
            await self._publisher.end(stream_key, None, {})
        except ActivitySmithError as err:
            _LOGGER.warning(
                "Could not end the stream of a removed tracked entity: %s",
                message_of(self._hass, translated(err)),
            )

    async def _async_retire_orphans(self, wanted: dict[str, Any]) -> None:
        """Streams of tracked entities removed while the entry was not running."""
        keys = {stream_key_for(subentry_id) for subentry_id in wanted}
        for key in [k for k in self._activities.streams if is_tracked_stream(k)]:
            if key not in keys:
                await self._async_retire(key, key.removeprefix("ha-").upper())

    @callback
    def _async_check_missing(self) -> None:
        """Raise or withdraw the repair of each tracked entity, once Home Assistant runs.

        Before it has started, entities of integrations still loading have no state.
        """

        @callback
        def check(hass: HomeAssistant) -> None:
            for tracked in self.by_subentry.values():
                if entity_exists(hass, tracked.config.entity_id):
                    ir.async_delete_issue(
                        hass, DOMAIN, issue_id_for(tracked.subentry_id)
                    )
                else:
                    self._raise_missing(tracked)

        self._entry.async_on_unload(async_at_started(self._hass, check))

    @callback
    def _raise_missing(self, tracked: TrackedEntity) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id_for(tracked.subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=MISSING_ISSUE,
            translation_placeholders={
                "entity_id": tracked.config.entity_id,
                "title": tracked.title,
            },
            data={"entry_id": self._entry.entry_id, "subentry_id": tracked.subentry_id},
        )

    async def _async_push(self, body: dict[str, Any], stream_key: str) -> JsonObject:
        """Send a tracked entity's push (its "done"), buttons signed for its stream."""
        data = self._entry.runtime_data
        resolved = await data.buttons.async_resolve(
            body, stream_key=stream_key, optional=True
        )
        response: JsonObject = await data.client.send_push_notification(resolved)
        return response

    @callback
    def async_stop(self) -> None:
        """Stop following every entity (on unload; the activities stay)."""
        for tracked in self.by_subentry.values():
            tracked.async_stop()

    @callback
    def async_follow_presses(self) -> Callable[[], None]:
        """Run a tracked timer's button on the timer whose stream the press names."""

        @callback
        def pressed(press: dict[str, str]) -> None:
            tracked = next(
                (
                    tracked
                    for tracked in self.by_subentry.values()
                    if tracked.stream_key == press.get("stream_key")
                ),
                None,
            )
            if (
                tracked is None
                or (command := tracked.timer_command(press["action"])) is None
            ):
                return
            self._entry.async_create_task(
                self._hass,
                self._hass.services.async_call(
                    "timer", command, {"entity_id": tracked.config.entity_id}
                ),
            )

        return async_dispatcher_connect(
            self._hass, signal_pressed(self._entry.entry_id), pressed
        )

    @callback
    def async_follow_registry(self) -> Callable[[], None]:
        """Follow a renamed entity; a deleted one raises its repair issue."""

        @callback
        def changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
            change = event.data
            if change["action"] == "remove":
                # Its state may linger a moment: the registry is what just changed.
                for tracked in self.for_entity(change["entity_id"]):
                    self._raise_missing(tracked)
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
