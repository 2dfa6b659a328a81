"""What an entry knows about the Live Activities it drives, kept across restarts.

The manual lifecycle (start/update/end) has one *current* activity, the one the activity
sensor shows, plus a few recent ones so an explicit `activity_id` still merges partial
updates. Each stream key has its own record. Everything is saved in a `Store`, so partial
updates keep working and the sensors come back after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .const import DOMAIN

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1.0
# iOS shows at most a handful of activities at once; older ones are not worth keeping.
RECENT_ACTIVITIES: Final = 8
DELIVERY_COUNTS: Final = ("devices_notified", "users_notified", "devices_queued")

TIMESTAMPS: Final = ("started_at", "updated_at", "ended_at")
STATUS_ACTIVE: Final = "active"
STATUS_ENDED: Final = "ended"
STATUS_PAUSED: Final = "paused"
OPERATION_QUEUED: Final = "queued"


@dataclass(slots=True)
class ActivityRecord:
    """One Live Activity (or stream) as last sent and answered."""

    activity_id: str | None
    content_state: dict[str, Any]
    status: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    delivery: dict[str, int] = field(default_factory=dict)
    # Streams only.
    stream_key: str | None = None
    operation: str | None = None
    previous_activity_id: str | None = None

    def attributes(self) -> dict[str, Any]:
        """The record as sensor attributes: what the phone shows, then bookkeeping."""
        attributes: dict[str, Any] = dict(self.content_state)
        if self.stream_key is not None:
            attributes.update(
                stream_key=self.stream_key,
                operation=self.operation,
                previous_activity_id=self.previous_activity_id,
            )
        attributes.update(
            status=self.status,
            started_at=self.started_at,
            updated_at=self.updated_at,
            ended_at=self.ended_at,
            **self.delivery,
        )
        return attributes


def signal_live_activity(entry_id: str) -> SignalType[()]:
    """Sent when the entry's manual Live Activity (start, update, end) changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_live_activity")


def signal_stream(entry_id: str, stream_key: str) -> SignalType[()]:
    """Sent when one stream's record changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_stream_{stream_key}")


def signal_streams(entry_id: str) -> SignalType[()]:
    """Sent when any stream changes, for whoever adds stream sensors."""
    return SignalType(f"{DOMAIN}_{entry_id}_streams")


def _from_stored(stored: dict[str, Any]) -> ActivityRecord:
    """A record as saved (timestamps as ISO text) back as a record."""
    for name in TIMESTAMPS:
        if stored.get(name) is not None:
            stored[name] = dt_util.parse_datetime(stored[name])
    return ActivityRecord(**stored)


def _delivery(response: Mapping[str, Any]) -> dict[str, int]:
    return {
        name: value
        for name in DELIVERY_COUNTS
        if isinstance(value := response.get(name), int)
    }


class ActivityTracker:
    """The entry's activities and streams; each change is announced by dispatcher."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare an empty tracker; `async_load` fills it from storage."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.activities"
        )
        self.current: ActivityRecord | None = None
        self.recent: dict[str, ActivityRecord] = {}
        self.streams: dict[str, ActivityRecord] = {}
        self._save_scheduled = False

    async def async_load(self) -> None:
        """Read what was saved before the last restart."""
        if not (saved := await self._store.async_load()):
            return
        self.recent = {
            record["activity_id"]: _from_stored(record)
            for record in saved.get("recent", [])
        }
        if (current_id := saved.get("current")) is not None:
            self.current = self.recent.get(current_id)
        self.streams = {
            key: _from_stored(record)
            for key, record in saved.get("streams", {}).items()
        }

    async def async_flush(self) -> None:
        """Write pending changes now (on unload, so a reload reads them)."""
        await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the saved data, when the entry itself is removed."""
        await self._store.async_remove()

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
        return record.content_state if record else None

    @callback
    def started(self, content: dict[str, Any], response: Mapping[str, Any]) -> None:
        """A manual activity started: it becomes the current one."""
        now = dt_util.utcnow()
        record = ActivityRecord(
            activity_id=response["activity_id"],
            content_state=content,
            status=STATUS_ACTIVE,
            started_at=now,
            updated_at=now,
            delivery=_delivery(response),
        )
        self.recent[record.activity_id] = record  # type: ignore[index]
        while len(self.recent) > RECENT_ACTIVITIES:
            del self.recent[next(iter(self.recent))]
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
        """A manual activity was updated or ended."""
        now = dt_util.utcnow()
        if (record := self.find(activity_id)) is None:
            # Started elsewhere; from now on this entry knows and shows it.
            record = ActivityRecord(activity_id, content, STATUS_ACTIVE, now, now)
            self.recent[activity_id] = record
            self.current = record
        record.content_state = content
        record.updated_at = now
        record.delivery = _delivery(response)
        if ended:
            record.status, record.ended_at = STATUS_ENDED, now
        self._changed(record)

    @callback
    def stream_reconciled(
        self, stream_key: str, content: dict[str, Any], response: Mapping[str, Any]
    ) -> None:
        """A stream PUT was answered; the record follows the operation it reports."""
        now = dt_util.utcnow()
        operation = response.get("operation")
        previous = self.streams.get(stream_key)
        record = self._stream_record(
            stream_key,
            now,
            fresh=operation == "started"
            or (previous is not None and previous.status == STATUS_ENDED),
        )
        if operation == "rotated" or (
            record.activity_id and response.get("activity_id") != record.activity_id
        ):
            record.previous_activity_id = response.get(
                "previous_activity_id", record.activity_id
            )
        record.activity_id = response.get("activity_id")
        record.content_state = content
        record.operation = operation
        record.status = STATUS_PAUSED if operation == "paused" else STATUS_ACTIVE
        record.updated_at = now
        record.delivery = _delivery(response)
        self._changed(record)

    @callback
    def stream_queued(self, stream_key: str, content: dict[str, Any] | None) -> None:
        """A stream request waits for the rate budget; its state is the newest known."""
        now = dt_util.utcnow()
        record = self._stream_record(stream_key, now)
        if content:
            record.content_state = content
        record.operation, record.updated_at = OPERATION_QUEUED, now
        self._changed(record)

    @callback
    def stream_ended(
        self,
        stream_key: str,
        content: dict[str, Any] | None,
        response: Mapping[str, Any],
    ) -> None:
        """A stream was ended (DELETE) or is unknown to the API."""
        now = dt_util.utcnow()
        record = self._stream_record(stream_key, now)
        if content:
            record.content_state = content
        record.activity_id = response.get("activity_id", record.activity_id)
        record.operation = response.get("operation", "ended")
        record.status, record.ended_at, record.updated_at = STATUS_ENDED, now, now
        record.delivery = _delivery(response)
        self._changed(record)

    def _stream_record(
        self, stream_key: str, now: datetime, *, fresh: bool = False
    ) -> ActivityRecord:
        """The stream's record: a new one if it has none yet, or `fresh` asks for one."""
        record = self.streams.get(stream_key)
        if record is None or fresh:
            record = ActivityRecord(
                None, {}, STATUS_ACTIVE, now, now, stream_key=stream_key
            )
            self.streams[stream_key] = record
        return record

    @callback
    def forget_stream(self, stream_key: str) -> None:
        """Drop a stream, when the user deletes its sensor."""
        if (record := self.streams.pop(stream_key, None)) is not None:
            self._changed(record)

    def _data_to_save(self) -> dict[str, Any]:
        self._save_scheduled = False
        return self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        """Everything known, as plain data (storage and diagnostics)."""
        return {
            "current": self.current.activity_id if self.current else None,
            "recent": [asdict(record) for record in self.recent.values()],
            "streams": {key: asdict(record) for key, record in self.streams.items()},
        }

    def _changed(self, record: ActivityRecord) -> None:
        if not self._save_scheduled:  # one pending save covers every change until then
            self._save_scheduled = True
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        if record.stream_key is None:
            async_dispatcher_send(self._hass, signal_live_activity(self._entry_id))
            return
        async_dispatcher_send(
            self._hass, signal_stream(self._entry_id, record.stream_key)
        )
        async_dispatcher_send(self._hass, signal_streams(self._entry_id))
