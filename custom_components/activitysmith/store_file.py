"""The activity tracker's file: its `Store`, read back leniently, saved soon after changes.

Kept apart from the tracker (`store.ActivityTracker`) so that its bookkeeping of
records never deals with the file: which layout versions there are, how older or
damaged data is read back (an unreadable record is dropped, never the set-up), and how
a burst of changes becomes one delayed save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .records import (
    OPERATION_DROPPED,
    OPERATION_QUEUED,
    ActivityRecord,
    record_from_stored,
)

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
# 1.2 added the pending content and the error of a stream record, 1.3 its warning,
# 1.4 the runs of tracked entities (read as none from older data).
STORAGE_MINOR_VERSION: Final = 4
SAVE_DELAY: Final = 1.0


class _ActivityStore(Store[dict[str, Any]]):
    """The entry's store; older layouts are read as they are (records read leniently)."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        return old_data


@dataclass(slots=True)
class SavedActivities:
    """What a tracker saved before the last restart, its unreadable records left out."""

    current: ActivityRecord | None = None
    recent: dict[str, ActivityRecord] = field(default_factory=dict)
    streams: dict[str, ActivityRecord] = field(default_factory=dict)
    # As `ActivityTracker.runs` holds them.
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)


class TrackerFile:
    """One entry's tracker on disk: read once at load, saved shortly after changes."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, data: Callable[[], dict[str, Any]]
    ) -> None:
        """The file of the entry's tracker; `data` is what a save writes."""
        self._store = _ActivityStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}.activities",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._data = data
        self._save_scheduled = False

    async def async_load(self) -> SavedActivities | None:
        """What was saved before the last restart (None if nothing readable was)."""
        return _read(await self._store.async_load())

    async def async_flush(self) -> None:
        """Write pending changes now (on unload, so a reload reads them)."""
        await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the saved data."""
        await self._store.async_remove()

    def schedule_save(self) -> None:
        """Save soon; one pending save covers every change until it is written."""
        if not self._save_scheduled:
            self._save_scheduled = True
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        self._save_scheduled = False
        return self._data()


def _read(saved: object) -> SavedActivities | None:
    """The saved records, dropping (and warning of) what is unreadable."""
    if not isinstance(saved, dict):
        return None
    read = SavedActivities()
    dropped = 0
    recent = saved.get("recent")
    for stored in recent if isinstance(recent, list) else ():
        record = record_from_stored(stored)
        if record is None or record.activity_id is None:
            dropped += 1
            continue
        read.recent[record.activity_id] = record
    if (current_id := saved.get("current")) is not None:
        read.current = read.recent.get(str(current_id))
    streams = saved.get("streams")
    for key, stored in (streams if isinstance(streams, dict) else {}).items():
        record = record_from_stored(stored)
        if record is None or record.stream_key != key:
            dropped += 1
            continue
        if record.operation == OPERATION_QUEUED:
            # Waiting changes do not outlive a restart; the phone never got them.
            record.operation, record.pending_content = OPERATION_DROPPED, None
        read.streams[key] = record
    runs = saved.get("runs")
    read.runs = {
        str(key): dict(run)
        for key, run in (runs if isinstance(runs, dict) else {}).items()
        if isinstance(run, dict)
    }
    if (
        dropped
        or not isinstance(recent, list | None)
        or not isinstance(streams, dict | None)
    ):
        _LOGGER.warning(
            "Ignored %s unreadable records in the stored ActivitySmith activities",
            dropped or "all",
        )
    return read
