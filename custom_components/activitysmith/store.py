"""What an entry knows about the Live Activities it drives, kept across restarts.

The manual lifecycle (start/update/end) has one *current* activity, the one the activity
sensor shows, plus a few recent ones so an explicit `activity_id` still merges partial
updates. Each stream key has its own record (`stream_records`); at most
`MAX_ENDED_STREAMS` ended streams are kept (the oldest ended is forgotten first, with
its sensor), from the moment a store is loaded. Everything is saved in a `Store`
(`store_file`), so partial updates keep working and the sensors come back after a
restart. Every change is announced through Home Assistant's dispatcher.

The tracker belongs to the config entry, not to one load of it: a reload keeps the same
tracker (`async_tracker_for`), so an answer that arrives while the entry reloads is
recorded where the reloaded entry's sensors read it. Only removing the entry ends it.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .const import DOMAIN
from .records import STATUS_ACTIVE, STATUS_ENDED, ActivityRecord, delivery_of
from .store_file import TrackerFile
from .stream_records import StreamRecords

_LOGGER = logging.getLogger(__name__)

# iOS shows at most a handful of activities at once; older ones are not worth keeping.
RECENT_ACTIVITIES: Final = 8


def signal_live_activity(entry_id: str) -> SignalType[()]:
    """Sent when the entry's manual Live Activity (start, update, end) changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_live_activity")


def signal_stream(entry_id: str, stream_key: str) -> SignalType[()]:
    """Sent when one stream's record changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_stream_{stream_key}")


def signal_streams(entry_id: str) -> SignalType[()]:
    """Sent when any stream changes, appears or is forgotten (for the sensor platform)."""
    return SignalType(f"{DOMAIN}_{entry_id}_streams")


async def async_tracker_for(hass: HomeAssistant, entry_id: str) -> ActivityTracker:
    """The entry's tracker: loaded at its first set-up, the same one after reloads."""
    trackers: dict[str, ActivityTracker] = hass.data.setdefault(
        f"{DOMAIN}_trackers", {}
    )
    if (tracker := trackers.get(entry_id)) is None:
        tracker = ActivityTracker(hass, entry_id)
        await tracker.async_load()
        # Another set-up may have loaded it meanwhile; the first one stays.
        tracker = trackers.setdefault(entry_id, tracker)
    return tracker


async def async_remove_tracker(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is removed: forget its tracker and delete what it saved."""
    trackers: dict[str, ActivityTracker] = hass.data.setdefault(
        f"{DOMAIN}_trackers", {}
    )
    tracker = trackers.pop(entry_id, None) or ActivityTracker(hass, entry_id)
    await tracker.async_remove()


class ActivityTracker:
    """The entry's activities and streams; each change is announced by dispatcher."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare an empty tracker; `async_load` fills it from storage."""
        self._hass = hass
        self._entry_id = entry_id
        self._file = TrackerFile(hass, entry_id, self.as_dict)
        self.current: ActivityRecord | None = None
        self.recent: dict[str, ActivityRecord] = {}
        self.streams = StreamRecords(self._changed)
        # The run of each tracked entity with a run condition, by stream key, as
        # `tracked.runs.Run.as_stored` writes it (read back leniently there).
        self.runs: dict[str, dict[str, Any]] = {}
        self._removed = False

    async def async_load(self) -> None:
        """Read what was saved before the last restart, dropping what is unreadable."""
        if (saved := await self._file.async_load()) is None:
            return
        self.current, self.recent = saved.current, saved.recent
        self.runs = saved.runs
        self.streams.load(saved.streams)

    async def async_flush(self) -> None:
        """Write pending changes now (on unload, so a reload reads them)."""
        await self._file.async_flush()

    async def async_remove(self) -> None:
        """Delete the saved data, when the entry itself is removed; record nothing more."""
        self._removed = True
        await self._file.async_remove()

    def find(self, activity_id: str) -> ActivityRecord | None:
        """The record of an activity this entry knows, manual or a stream's."""
        if (record := self.recent.get(activity_id)) is not None:
            return record
        return next(
            (r for r in self.streams.values() if r.activity_id == activity_id), None
        )

    def last_content(self, activity_id: str) -> dict[str, Any] | None:
        """The last content state sent for an activity this entry knows."""
        record = self.find(activity_id)
        return record.latest_content if record else None

    @callback
    def set_run(self, stream_key: str, run: dict[str, Any] | None) -> None:
        """Keep (or, with None, forget) the run of a tracked entity's stream."""
        if self.runs.get(stream_key) == run:
            return
        if run is None:
            del self.runs[stream_key]
        else:
            self.runs[stream_key] = run
        if not self._removed:
            self._file.schedule_save()

    @callback
    def started(self, content: dict[str, Any], response: Mapping[str, Any]) -> None:
        """A manual activity started: it becomes the current one.

        If ActivitySmith ended an older one to stay within the device limit
        (`ended_activity_id`) and this entry knows it, it is recorded as ended.
        """
        now = dt_util.utcnow()
        activity_id: str = response["activity_id"]
        ended_id = response.get("ended_activity_id")
        if (
            isinstance(ended_id, str)
            and ended_id != activity_id
            and (ended := self.find(ended_id)) is not None
            and ended.status != STATUS_ENDED
        ):
            ended.status, ended.ended_at, ended.updated_at = STATUS_ENDED, now, now
            if ended.stream_key is not None:
                ended.operation, ended.pending_content = "ended", None
            self._changed(ended)
        record = ActivityRecord(
            activity_id=activity_id,
            content_state=content,
            status=STATUS_ACTIVE,
            started_at=now,
            updated_at=now,
            delivery=delivery_of(response),
        )
        self._remember_recent(record)
        self.current = record
        self._changed(record)

    @callback
    def updated(
        self,
        activity_id: str,
        content: dict[str, Any],
        response: Mapping[str, Any],
        *,
        ended: bool = False,
    ) -> None:
        """A manual activity was updated or ended.

        One started elsewhere is remembered for partial updates, among the few recent
        ones, but does not take over the Live Activity sensor.
        """
        now = dt_util.utcnow()
        if (record := self.find(activity_id)) is None:
            record = ActivityRecord(activity_id, content, STATUS_ACTIVE, now, now)
            self._remember_recent(record)
        record.content_state = content
        record.updated_at = now
        record.delivery = delivery_of(response)
        if ended:
            record.status, record.ended_at = STATUS_ENDED, now
        self._changed(record)

    def _remember_recent(self, record: ActivityRecord) -> None:
        """Keep `record` among the few recent ones; the current one is never dropped."""
        self.recent[record.activity_id] = record  # type: ignore[index]
        while len(self.recent) > RECENT_ACTIVITIES:
            oldest = next(
                key for key, known in self.recent.items() if known is not self.current
            )
            del self.recent[oldest]

    def as_dict(self) -> dict[str, Any]:
        """Everything known, as plain data (storage and diagnostics)."""
        return {
            "current": self.current.activity_id if self.current else None,
            "recent": [record.as_stored() for record in self.recent.values()],
            "streams": {key: r.as_stored() for key, r in self.streams.items()},
            "runs": dict(self.runs),
        }

    def _changed(self, record: ActivityRecord) -> None:
        if self._removed:
            _LOGGER.debug(
                "An answer for %s arrived after the entry was removed; not recorded",
                record.stream_key or record.activity_id,
            )
            return
        self._file.schedule_save()
        if record.stream_key is None:
            async_dispatcher_send(self._hass, signal_live_activity(self._entry_id))
            return
        async_dispatcher_send(
            self._hass, signal_stream(self._entry_id, record.stream_key)
        )
        async_dispatcher_send(self._hass, signal_streams(self._entry_id))
