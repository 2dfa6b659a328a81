"""The rules of preemption, in one place: who may yield a slot, and when.

(The times are read from `model` at each decision, so the bench can scale them.)

A start of higher priority may end a shown activity of lower priority, never a
critical one, not before it was shown for `MIN_SHOWN`, and at most one such end per
`PREEMPT_EVERY` per account (each costs two requests of the Live Activity allowance).
Of those that may yield, the least important goes; of equals, the one shown longest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from ..const import Priority
from . import model
from .model import Slot


def may_yield(slot: Slot, priority: Priority) -> bool:
    """Whether `slot` would yield to a start of `priority` once shown long enough."""
    return slot.priority < priority and slot.priority is not Priority.CRITICAL


def victim(
    shown: Iterable[Slot],
    priority: Priority,
    now: datetime,
    last_preemption: datetime | None,
    loaded_entries: Collection[str],
) -> Slot | None:
    """The shown activity a start of `priority` may end now, if any.

    Only an activity of a loaded entry: an unloaded one has nobody to end it.
    """
    if last_preemption is not None and now - last_preemption < model.PREEMPT_EVERY:
        return None
    candidates = [
        slot
        for slot in shown
        if may_yield(slot, priority)
        and now - slot.since >= model.MIN_SHOWN
        and slot.entry_id in loaded_entries
    ]
    return min(candidates, key=lambda slot: (slot.priority, slot.since), default=None)


def next_chance(
    shown: Iterable[Slot], priority: Priority, last_preemption: datetime | None
) -> datetime | None:
    """When a start of `priority` could next preempt (dwell and pace), if ever."""
    times = [
        slot.since + model.MIN_SHOWN for slot in shown if may_yield(slot, priority)
    ]
    if not times:
        return None
    at = min(times)
    if last_preemption is not None:
        at = max(at, last_preemption + model.PREEMPT_EVERY)
    return at
