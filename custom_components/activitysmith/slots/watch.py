"""The one repair of the slots: an important activity that waits too long.

A high or critical activity that has waited for `WAITING_REPAIR_AFTER` raises a repair
naming what holds the slots; it clears itself once the activity is shown or ended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, Priority
from .ledger import SlotLedger
from .model import Slot

WAITING_REPAIR_AFTER: Final = timedelta(minutes=10)
WAITING_ISSUE_PREFIX: Final = "slot_waiting_"


class WaitingWatch:
    """Raises a repair for an important activity that waits too long; clears it."""

    def __init__(self, hass: HomeAssistant, ledger: SlotLedger) -> None:
        """Watch `ledger` (call `check` after each of its changes)."""
        self._hass = hass
        self._ledger = ledger
        self._raised: set[str] = set()
        self._cancel: Callable[[], None] | None = None

    @callback
    def check(self, *_: Any) -> None:
        """Raise what is overdue, clear what no longer is, wake for the next one."""
        now = dt_util.utcnow()
        overdue, next_due = set(), None
        for slot in self._ledger.waiting:
            if slot.priority < Priority.HIGH:
                continue
            due = slot.since + WAITING_REPAIR_AFTER
            if due <= now:
                overdue.add(slot.slot_id)
                self._raise(slot)
            elif next_due is None or due < next_due:
                next_due = due
        for slot_id in self._raised - overdue:
            ir.async_delete_issue(self._hass, DOMAIN, _issue_id(slot_id))
        self._raised = overdue
        self._schedule(next_due, now)

    @callback
    def stop(self) -> None:
        """Stop watching (no entry of the key is loaded); `check` starts again."""
        self._schedule(None, dt_util.utcnow())

    def _raise(self, slot: Slot) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            _issue_id(slot.slot_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="slot_waiting",
            translation_placeholders={
                "name": slot.name,
                "capacity": str(self._ledger.capacity),
                "shown": self._ledger.describe_shown(),
            },
        )

    def _schedule(self, due: datetime | None, now: datetime) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        if due is not None and self._ledger.attached:
            self._cancel = async_call_later(self._hass, due - now, self._fired)

    @callback
    def _fired(self, _now: datetime) -> None:
        self._cancel = None
        self.check()


def _issue_id(slot_id: str) -> str:
    return f"{WAITING_ISSUE_PREFIX}{slot_id}"
