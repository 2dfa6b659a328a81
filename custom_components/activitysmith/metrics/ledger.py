"""What each tracked metric and the badge last sent, and their last failure, kept.

A Store of its own (`activitysmith.<entry id>.metrics`): per subentry the value the
API last accepted and when, and the sentence of the last failed send (cleared by the
next success). After a restart a source compares its value with the one kept here, so
it sends once only if the value differs. Each change is announced to the source's
sensor. Removing a subentry forgets its line; removing the entry deletes the store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
import logging
import math
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .config import MetricValue, signal_metric

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
SAVE_DELAY: Final = 1.0


@dataclass(frozen=True, slots=True)
class LastSend:
    """A source's last accepted value and when, and the last failure's sentence."""

    value: MetricValue | None = None
    sent_at: datetime | None = None
    error: str | None = None

    def as_stored(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "value": self.value,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "error": self.error,
        }

    @classmethod
    def from_stored(cls, stored: Any) -> LastSend | None:
        """Read a stored line; None if it is not one."""
        if not isinstance(stored, dict):
            return None
        value = stored.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | None):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        sent_at = stored.get("sent_at")
        error = stored.get("error")
        return cls(
            value,
            dt_util.parse_datetime(sent_at) if isinstance(sent_at, str) else None,
            error if isinstance(error, str) else None,
        )


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}.metrics",
        minor_version=STORAGE_MINOR_VERSION,
    )


async def async_remove_ledger(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is removed: delete what its metrics kept."""
    await _store(hass, entry_id).async_remove()


class MetricLedger:
    """The last send of each source of one entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Empty until `async_load`."""
        self._hass = hass
        self._entry_id = entry_id
        self._store = _store(hass, entry_id)
        self._lines: dict[str, LastSend] = {}

    async def async_load(self) -> None:
        """Read what was kept before the restart; unreadable lines are dropped."""
        saved = await self._store.async_load()
        lines = saved.get("sources") if isinstance(saved, dict) else None
        dropped = 0
        for source_id, stored in (lines if isinstance(lines, dict) else {}).items():
            if (line := LastSend.from_stored(stored)) is None:
                dropped += 1
                continue
            self._lines[str(source_id)] = line
        if dropped:
            _LOGGER.warning("Ignored %s unreadable lines of the metrics kept", dropped)

    def get(self, source_id: str) -> LastSend:
        """The source's last send (nothing yet: an empty one)."""
        return self._lines.get(source_id, LastSend())

    @callback
    def sent(self, source_id: str, value: MetricValue) -> None:
        """The API accepted `value` now."""
        self._set(source_id, LastSend(value, dt_util.utcnow()))

    @callback
    def failed(self, source_id: str, error: str) -> None:
        """A send failed; the value last accepted stays what the widget shows."""
        self._set(source_id, replace(self.get(source_id), error=error))

    @callback
    def forget(self, source_id: str) -> None:
        """The source is gone, or sends to another key: nothing of it is known."""
        if self._lines.pop(source_id, None) is not None:
            self._save()

    def known(self) -> set[str]:
        """The sources with a line."""
        return set(self._lines)

    async def async_flush(self) -> None:
        """Write now (on unload, so a reload reads it)."""
        await self._store.async_save(self._data())

    def _set(self, source_id: str, line: LastSend) -> None:
        self._lines[source_id] = line
        self._save()
        async_dispatcher_send(self._hass, signal_metric(self._entry_id, source_id))

    def _save(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        return {"sources": self.as_dict()}

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        return {k: line.as_stored() for k, line in self._lines.items()}
