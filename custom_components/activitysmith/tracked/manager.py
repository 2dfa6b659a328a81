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
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from ..client import ActivitySmithError, JsonObject
from ..failures import message_of, translated
from ..followed import FollowedEntities, Follower
from ..publisher import StreamPublisher
from ..store import ActivityTracker
from ..webhook import signal_pressed
from .config import (
    TrackedConfig,
    is_tracked_stream,
    stream_key_for,
    tracked_subentries,
)
from .entity import TrackedEntity

_LOGGER = logging.getLogger(__name__)

MISSING_ISSUE: Final = "tracked_entity_missing"


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
        self._followed = FollowedEntities(
            hass,
            entry,
            MISSING_ISSUE,
            lambda: [
                Follower(t.subentry_id, t.config.entity_id, t.title)
                for t in self.by_subentry.values()
            ],
        )

    async def async_sync(self) -> None:
        """Start new subentries, restart changed ones, end and drop removed ones."""
        wanted = tracked_subentries(self._entry)
        for subentry_id in list(self.by_subentry):
            tracked = self.by_subentry[subentry_id]
            subentry = wanted.get(subentry_id)
            if subentry is not None and TrackedConfig.from_data(subentry.data) == (
                tracked.config
            ):
                tracked.async_follow_people()  # a recipient may name another person
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
        self._followed.async_check()

    async def _async_retire(
        self,
        stream_key: str,
        subentry_id: str,
        end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """A tracked entity was removed: end its stream (`end`), then forget it."""
        self._followed.withdraw(subentry_id)
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
        return self._followed.async_follow_registry()

    def for_entity(self, entity_id: str) -> list[TrackedEntity]:
        """The tracked entities that follow `entity_id`."""
        return [t for t in self.by_subentry.values() if t.config.entity_id == entity_id]
