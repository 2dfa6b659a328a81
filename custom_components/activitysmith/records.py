"""One Live Activity's record, and how it is stored and read back.

Reading is lenient: the store may hold what another version wrote, or what a user
edited. Unknown fields are ignored and a record that cannot be read is dropped, so the
entry never fails to set up because of its own store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Final

from homeassistant.util import dt as dt_util

STATUS_ACTIVE: Final = "active"
STATUS_ENDED: Final = "ended"
STATUS_PAUSED: Final = "paused"
# Not on the phone: waiting for one of its few slots (slots.py).
STATUS_WAITING: Final = "waiting"
OPERATION_QUEUED: Final = "queued"
OPERATION_FAILED: Final = "failed"
OPERATION_DROPPED: Final = "dropped"
OPERATION_WAITING: Final = "waiting"
OPERATION_PREEMPTED: Final = "preempted"
DELIVERY_COUNTS: Final = ("devices_notified", "users_notified", "devices_queued")
TIMESTAMPS: Final = ("started_at", "updated_at", "ended_at")
# The longest answer note kept (the answer's own words; a page of text would not help).
MAX_WARNING: Final = 300


@dataclass(slots=True)
class ActivityRecord:
    """One Live Activity (or stream) as last sent and answered."""

    activity_id: str | None
    # What the phone shows: the last content ActivitySmith accepted.
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
    # A newer content waiting for the request budget: not on the phone yet.
    pending_content: dict[str, Any] | None = None
    # Why the last queued change did not reach the phone.
    error: str | None = None
    # What the last answer warned of (iOS may throttle), or why it was ignored.
    warning: str | None = None

    @property
    def latest_content(self) -> dict[str, Any]:
        """The newest content sent or waiting: what a partial update builds on."""
        return self.pending_content or self.content_state

    def attributes(self) -> dict[str, Any]:
        """The record as sensor attributes: what the phone shows, then bookkeeping.

        The Live Activity's `icon` is shown as `symbol` (and `symbol_color`): the
        frontend reads an `icon` attribute as the entity's own mdi icon.
        """
        attributes: dict[str, Any] = dict(self.content_state)
        if isinstance(icon := attributes.pop("icon", None), dict):
            attributes["symbol"] = icon.get("symbol")
            if "color" in icon:
                attributes["symbol_color"] = icon["color"]
        if self.stream_key is not None:
            attributes.update(
                stream_key=self.stream_key,
                operation=self.operation,
                previous_activity_id=self.previous_activity_id,
            )
            if self.error is not None:
                attributes["error"] = self.error
            if self.warning is not None:
                attributes["warning"] = self.warning
        attributes.update(
            status=self.status,
            started_at=self.started_at,
            updated_at=self.updated_at,
            ended_at=self.ended_at,
            **self.delivery,
        )
        return attributes

    def as_stored(self) -> dict[str, Any]:
        """The record as plain data (timestamps stay datetimes; the Store encodes)."""
        return asdict(self)


_FIELDS: Final = frozenset(f.name for f in fields(ActivityRecord))
_OPTIONAL_TEXT: Final = (
    "activity_id",
    "stream_key",
    "operation",
    "previous_activity_id",
    "error",
)


def delivery_of(response: Mapping[str, Any]) -> dict[str, int]:
    """The delivery counts an answer reports."""
    return {
        name: value
        for name in DELIVERY_COUNTS
        if type(value := response.get(name)) is int
    }


def warning_of(response: Mapping[str, Any]) -> str | None:
    """What a stream answer warns of, or why it had no effect; None if neither.

    `warning` comes once a Live Activity gets more than 12 updates averaging more than
    one every 2 minutes: the update is sent, but iOS may throttle it. An answer that
    was `ignored` (no effect) says why in its `message`.
    """
    note = response.get("warning")
    if not (isinstance(note, str) and note.strip()) and response.get("ignored") is True:
        note = response.get("message")
    if not isinstance(note, str) or not (text := " ".join(note.split())):
        return None
    return text if len(text) <= MAX_WARNING else f"{text[: MAX_WARNING - 1]}…"


def record_from_stored(stored: object) -> ActivityRecord | None:
    """A stored record back as a record; None when it cannot be read."""
    if not isinstance(stored, dict):
        return None
    data = {name: value for name, value in stored.items() if name in _FIELDS}
    if not isinstance(data.get("warning"), str | None):
        data["warning"] = None  # a note only: not worth dropping the record over
    for name in TIMESTAMPS:
        if (value := data.get(name)) is not None:
            data[name] = (
                value if isinstance(value, datetime) else _parse_datetime(value)
            )
    if (
        not isinstance(data.get("content_state"), dict)
        or not isinstance(data.get("status"), str)
        or data.get("started_at") is None
        or data.get("updated_at") is None
        or not isinstance(data.get("delivery", {}), dict)
        or not isinstance(data.get("pending_content") or {}, dict)
        or any(not isinstance(data.get(name) or "", str) for name in _OPTIONAL_TEXT)
    ):
        return None
    try:
        return ActivityRecord(**data)
    except TypeError:  # a required field is missing
        return None


def _parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt_util.parse_datetime(value)
    except ValueError:
        return None
