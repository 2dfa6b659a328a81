"""The records of an entry's streams: one per stream key, following what its requests did.

The tracker (`store.ActivityTracker`) keeps these beside the manual activities, and
announces and saves every change. Apart from it, in one place, is how a stream's
record follows its requests (answered, queued for the budget, waiting for a slot, not
delivered, ended) and how many ended streams are kept. Everyone else reads the records
as a mapping by stream key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .records import (
    OPERATION_DROPPED,
    OPERATION_FAILED,
    OPERATION_QUEUED,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PAUSED,
    STATUS_WAITING,
    ActivityRecord,
    delivery_of,
    warning_of,
)

# Ended streams kept (with their sensors) before the oldest ended is forgotten.
MAX_ENDED_STREAMS: Final = 100


class StreamRecords(Mapping[str, ActivityRecord]):
    """The stream records by key, read as a mapping, recorded into by the methods here."""

    def __init__(self, changed: Callable[[ActivityRecord], None]) -> None:
        """No records yet; `changed` announces (and saves) each changed record."""
        self._records: dict[str, ActivityRecord] = {}
        self._changed = changed

    def __getitem__(self, stream_key: str) -> ActivityRecord:
        """The record of a stream."""
        return self._records[stream_key]

    def __iter__(self) -> Iterator[str]:
        """The stream keys."""
        return iter(self._records)

    def __len__(self) -> int:
        """How many streams have a record."""
        return len(self._records)

    def load(self, records: dict[str, ActivityRecord]) -> None:
        """Take the records read back from storage, within the limit of ended ones."""
        self._records = records
        self._forget_oldest_ended()

    def running_content(self, stream_key: str) -> dict[str, Any] | None:
        """The newest content of a stream that is still running (sent or waiting)."""
        record = self._records.get(stream_key)
        if record is None or record.status == STATUS_ENDED:
            return None
        return record.latest_content

    @callback
    def reconciled(
        self, stream_key: str, content: dict[str, Any], response: Mapping[str, Any]
    ) -> None:
        """A stream PUT was answered; the record follows the operation it reports."""
        now = dt_util.utcnow()
        operation = response.get("operation")
        previous = self._records.get(stream_key)
        record = self._stream_record(
            stream_key,
            now,
            fresh=operation == "started"
            or (previous is not None and previous.status == STATUS_ENDED),
        )
        activity_id = response.get("activity_id")
        if operation == "rotated" or (
            record.activity_id and activity_id != record.activity_id
        ):
            previous_id = response.get("previous_activity_id", record.activity_id)
            record.previous_activity_id = previous_id if previous_id else None
        record.activity_id = activity_id if isinstance(activity_id, str) else None
        if response.get("ignored") is not True:  # an ignored request changed nothing
            record.content_state = content
        record.warning = warning_of(response)
        record.operation = operation if isinstance(operation, str) else None
        record.status = STATUS_PAUSED if operation == "paused" else STATUS_ACTIVE
        record.updated_at = now
        record.delivery = delivery_of(response)
        record.error = None
        self._settle_pending(record, content)
        self._changed(record)

    @callback
    def queued(self, stream_key: str, content: dict[str, Any] | None) -> None:
        """A stream request waits for the budget; the phone still shows the last state."""
        now = dt_util.utcnow()
        record = self._stream_record(stream_key, now)
        if content:
            record.pending_content = content
        record.operation, record.updated_at = OPERATION_QUEUED, now
        self._changed(record)

    @callback
    def waiting(self, stream_key: str, content: dict[str, Any], operation: str) -> None:
        """A stream waits for a slot (`operation`: waiting, or preempted to make room).

        What it waits with is its pending content; the phone shows nothing of it.
        """
        now = dt_util.utcnow()
        record = self._stream_record(stream_key, now)
        if record.status == STATUS_ENDED:
            record = self._stream_record(stream_key, now, fresh=True)
        record.pending_content = content
        record.status, record.operation, record.updated_at = (
            STATUS_WAITING,
            operation,
            now,
        )
        self._changed(record)

    @callback
    def not_delivered(
        self,
        stream_key: str,
        content: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        """A queued stream request failed (`error`) or was dropped (None)."""
        if (record := self._records.get(stream_key)) is None:
            return
        record.operation = OPERATION_DROPPED if error is None else OPERATION_FAILED
        record.error = error
        record.updated_at = dt_util.utcnow()
        self._settle_pending(record, content)
        self._changed(record)

    @callback
    def ended(
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
        if isinstance(activity_id := response.get("activity_id"), str):
            record.activity_id = activity_id
        record.operation = "ended"
        record.status, record.ended_at, record.updated_at = STATUS_ENDED, now, now
        record.delivery = delivery_of(response)
        record.pending_content = record.error = None
        record.warning = warning_of(response)
        self._changed(record)
        self._forget_oldest_ended()

    @staticmethod
    def _settle_pending(record: ActivityRecord, content: dict[str, Any] | None) -> None:
        """The waiting content was answered (or failed): it is no longer waiting."""
        if record.pending_content is None or record.pending_content == content:
            record.pending_content = None
            if record.operation == OPERATION_QUEUED:
                record.operation = None

    def _stream_record(
        self, stream_key: str, now: datetime, *, fresh: bool = False
    ) -> ActivityRecord:
        """The stream's record: a new one if it has none yet, or `fresh` asks for one."""
        record = self._records.get(stream_key)
        if record is None or fresh:
            record = ActivityRecord(
                None, {}, STATUS_ACTIVE, now, now, stream_key=stream_key
            )
            self._records[stream_key] = record
        return record

    def _forget_oldest_ended(self) -> None:
        ended = [r for r in self._records.values() if r.status == STATUS_ENDED]
        if len(ended) <= MAX_ENDED_STREAMS:
            return
        ended.sort(key=lambda record: record.ended_at or record.updated_at)
        for record in ended[: len(ended) - MAX_ENDED_STREAMS]:
            self.forget(record.stream_key)  # type: ignore[arg-type]

    @callback
    def forget(self, stream_key: str) -> None:
        """Drop a stream (its sensor goes too, if it is still there)."""
        if (record := self._records.pop(stream_key, None)) is not None:
            self._changed(record)
