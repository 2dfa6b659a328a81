"""The slot ledger's vocabulary: one activity's slot, the decisions, the owners' side."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import enum
from typing import Any, Final, Protocol

from homeassistant.util.signal_type import SignalType

from ..const import DOMAIN, Priority

DEFAULT_CAPACITY: Final = 4
# The most Live Activities a limit answer may plausibly name (anything else: ignored).
MAX_CAPACITY: Final = 20
MIN_SHOWN: Final = timedelta(seconds=60)
PREEMPT_EVERY: Final = timedelta(seconds=30)
# Waits between probes of slots held by the account's other clients.
PROBE_BACKOFF: Final = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
)
# iOS ends a Live Activity after 8 hours and removes it 4 hours later: a manual one
# whose end we never saw holds its slot no longer than that.
MANUAL_LIFETIME: Final = timedelta(hours=12)


class Admission(enum.Enum):
    """What a start may do now."""

    START = "start"
    PREEMPT = "preempt"
    WAIT = "wait"


@dataclass(slots=True)
class Slot:
    """One activity the ledger knows: shown (or starting), or waiting for a slot."""

    slot_id: str
    entry_id: str
    name: str
    priority: Priority
    # Since when it is shown, or waits.
    since: datetime
    shown: bool
    # Ended to make room for a more important one (it waits to come back).
    preempted: bool = False
    # A manual activity (`start_live_activity`): it cannot come back once ended.
    manual: bool = False
    activity_id: str | None = None
    # ActivitySmith accepted its start (a failure of a later update keeps the slot).
    confirmed: bool = False
    # Since when it waited, while its start is on its way (a refusal keeps its place).
    waiting_since: datetime | None = None
    # A waiting stream's request fields (buttons, channels...) to start it with.
    request: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """What the slots sensor and diagnostics show of it."""
        return {
            "name": self.name,
            "priority": self.priority.label,
            "since": self.since.isoformat(),
            **({"preempted": True} if self.preempted else {}),
        }


class SlotOwner(Protocol):
    """What the ledger asks of an entry's publisher."""

    async def async_show_waiting(self, slot: Slot) -> None:
        """Start a waiting activity: its slot is reserved."""

    async def async_preempt(self, slot: Slot) -> None:
        """End a shown activity at once (dismissed) to free its slot."""

    def requeue(self, slot: Slot) -> None:
        """ActivitySmith ended a shown stream itself: it waits to come back."""


def signal_slots(ledger_id: str) -> SignalType[()]:
    """Sent whenever what is shown or waits changes (for the slots sensors)."""
    return SignalType(f"{DOMAIN}_{ledger_id}_slots")
