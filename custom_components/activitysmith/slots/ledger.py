"""The ledger of what one account's phones show and what waits, and who starts next."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, Priority
from . import model, policy
from .model import (
    DEFAULT_CAPACITY,
    MANUAL_LIFETIME,
    MAX_CAPACITY,
    Admission,
    Slot,
    SlotOwner,
    signal_slots,
)

_LOGGER = logging.getLogger(__name__)


class SlotLedger:
    """What one account's phones show and what waits, and who may start next."""

    def __init__(self, hass: HomeAssistant, ledger_id: str) -> None:
        """An empty ledger; `slots_store` fills and saves it."""
        self._hass = hass
        self.ledger_id = ledger_id
        self.capacity = DEFAULT_CAPACITY
        # Slots held by the account's other clients, as the last refusal implied.
        self.others = 0
        self.slots: dict[str, Slot] = {}
        self._owners: dict[str, SlotOwner] = {}
        self._last_preemption: datetime | None = None
        self._probe_step = 0
        # Two timers: the next probe (backoff), the next chance of a preemption.
        self._timers: dict[str, Callable[[], None]] = {}
        self.on_change: Callable[[], None] = lambda: None
        # Called when the last entry of the key unloads (its timers must go too).
        self.on_idle: Callable[[], None] = lambda: None

    # What is shown and what waits.

    @property
    def shown(self) -> list[Slot]:
        """The activities shown (or starting), oldest first."""
        return sorted((s for s in self.slots.values() if s.shown), key=_by_since)

    @property
    def waiting(self) -> list[Slot]:
        """The activities that wait, in the order they will start."""
        waiting = [s for s in self.slots.values() if not s.shown]
        return sorted(waiting, key=lambda s: (-s.priority, s.since))

    @property
    def free(self) -> int:
        """Slots free for this Home Assistant now."""
        return max(0, self.capacity - self.others - len(self.shown))

    @property
    def attached(self) -> bool:
        """Whether an entry of the key is loaded (timers run only then)."""
        return bool(self._owners)

    def is_shown(self, slot_id: str) -> bool:
        """Whether the activity holds a slot (shown, or its start is on its way)."""
        return (slot := self.slots.get(slot_id)) is not None and slot.shown

    def is_waiting(self, slot_id: str) -> bool:
        """Whether the activity waits for a slot."""
        return (slot := self.slots.get(slot_id)) is not None and not slot.shown

    def is_preempted(self, slot_id: str) -> bool:
        """Whether the activity waits because it was ended to make room."""
        return self.is_waiting(slot_id) and self.slots[slot_id].preempted

    def is_confirmed(self, slot_id: str) -> bool:
        """Whether the activity is shown and ActivitySmith accepted its start."""
        return (slot := self.slots.get(slot_id)) is not None and slot.confirmed

    @callback
    def adopt(self, slot: Slot) -> None:
        """Know an activity the entry's records know (reconciling at set-up)."""
        self.slots[slot.slot_id] = slot
        self._changed()

    @callback
    def drop(self, slot_id: str) -> None:
        """Forget an activity the entry's records say has ended."""
        if self.slots.pop(slot_id, None) is not None:
            self._changed()

    # Entries.

    @callback
    def attach(self, entry_id: str, owner: SlotOwner) -> None:
        """An entry set up: its publisher starts and ends its activities from now on."""
        self._owners[entry_id] = owner
        if self.others and "probe" not in self._timers:
            self._schedule("probe", model.PROBE_BACKOFF[0])
        self._reconsider()

    @callback
    def detach(self, entry_id: str) -> None:
        """An entry unloaded: what it shows stays shown, what waits waits for it."""
        self._owners.pop(entry_id, None)
        if not self._owners:
            self.async_stop()

    @callback
    def forget_entry(self, entry_id: str) -> None:
        """An entry was removed (its activities ended): its slots free."""
        for slot in [s for s in self.slots.values() if s.entry_id == entry_id]:
            del self.slots[slot.slot_id]
        self._changed()
        self._reconsider()

    # Starts.

    @callback
    def admit(
        self,
        slot_id: str,
        entry_id: str,
        name: str,
        priority: Priority,
        *,
        manual: bool = False,
    ) -> tuple[Admission, Slot | None]:
        """Decide a start now: go (the slot is held), preempt the slot returned, or wait.

        START and PREEMPT hold a slot for `slot_id` at once, so a second start in the
        meantime is decided with this one counted.
        """
        if self._expire_manual():
            self._reconsider()  # what waited comes first
        victim = None
        if manual and self.free == 0 and self.capacity > len(self.shown):
            # A manual start cannot wait: it probes a slot the others may have freed.
            self.others -= 1
        if self.free == 0:
            victim = self._victim_for(priority)
            if victim is None:
                return Admission.WAIT, None
            self._take_for_preemption(victim)
        self._hold(slot_id, entry_id, name, priority, manual=manual)
        return (Admission.PREEMPT, victim) if victim else (Admission.START, None)

    @callback
    def wait(
        self,
        slot_id: str,
        entry_id: str,
        name: str,
        priority: Priority,
        request: dict[str, Any],
        *,
        preempted: bool = False,
    ) -> None:
        """Put an activity on the waiting list (again: it keeps its place)."""
        if (slot := self.slots.get(slot_id)) is not None and not slot.shown:
            slot.name, slot.priority, slot.request = name, priority, request
            slot.preempted = slot.preempted or preempted
        else:
            self.slots[slot_id] = Slot(
                slot_id,
                entry_id,
                name,
                priority,
                dt_util.utcnow(),
                shown=False,
                preempted=preempted,
                request=request,
            )
        self._changed()
        self._reconsider()

    @callback
    def started(self, slot_id: str, activity_id: str | None) -> None:
        """ActivitySmith accepted the start: the refusals, if any, have stopped.

        Slots thought held elsewhere may have freed too: the next waiting one
        probes at once (one attempt at a time), until a refusal says no more.
        """
        if (slot := self.slots.get(slot_id)) is None or not slot.shown:
            return
        if activity_id:
            slot.activity_id = activity_id
        confirmed_now, slot.confirmed = not slot.confirmed, True
        self._probe_step = 0
        self._changed(visible=False)  # what the sensor shows is the same
        if confirmed_now and self.others and self.waiting:
            self._probe()
            self._reconsider()

    @callback
    def unconfirm(self, slot_id: str) -> None:
        """Its end is on its way and a start follows it: the slot is held, unconfirmed."""
        if (slot := self.slots.get(slot_id)) is not None:
            slot.confirmed = False

    @callback
    def rename(self, slot_id: str, new_id: str, activity_id: str) -> None:
        """A manual start was answered: its slot is known by its activity id now."""
        if (slot := self.slots.pop(slot_id, None)) is not None:
            slot.slot_id, slot.activity_id = new_id, activity_id
            self.slots[new_id] = slot
            self.started(new_id, activity_id)

    @callback
    def refused(self, slot_id: str, limit: int) -> None:
        """A start met the limit answer: fewer slots are free than the ledger thought.

        The limit becomes the capacity (if usable); the activities the answer counts
        beyond ours are the account's other clients'. The refused start waits again
        in its old place; probes follow with backoff.
        """
        if 1 <= limit <= MAX_CAPACITY:
            self.capacity = limit
        if (slot := self.slots.get(slot_id)) is not None and slot.shown:
            slot.shown, slot.confirmed = False, False
            slot.since = slot.waiting_since or slot.since
        # Every slot we do not hold is taken, as far as we can tell: `active` is only
        # the fullest phone's count, and trying again at once could storm the API.
        self.others = max(1, self.capacity - len(self.shown))
        step = min(self._probe_step, len(model.PROBE_BACKOFF) - 1)
        self._schedule("probe", model.PROBE_BACKOFF[step])
        self._probe_step += 1
        self._changed()

    # Ends.

    @callback
    def release(self, slot_id: str) -> None:
        """The activity ended, or its start failed: its slot frees at once."""
        if self.slots.pop(slot_id, None) is not None:
            self._changed()
            self._reconsider()

    @callback
    def withdraw(self, slot_id: str) -> bool:
        """An end of an activity that waits: it leaves the list (True if it waited)."""
        if self.is_waiting(slot_id):
            del self.slots[slot_id]
            self._changed()
            return True
        return False

    @callback
    def ended_elsewhere(self, activity_id: str) -> None:
        """ActivitySmith ended one of ours to make room (`ended_activity_id`).

        Its slot frees; a stream goes back on the waiting list (its owner puts it
        there with what it showed); a manual activity is gone.
        """
        slot = next((s for s in self.shown if s.activity_id == activity_id), None)
        if slot is None:
            return
        del self.slots[slot.slot_id]
        # The phone was full although the ledger saw room: count the rest as taken
        # until a probe finds out, so the ended one does not push another one out.
        self.others = max(self.others, self.capacity - len(self.shown))
        if "probe" not in self._timers:
            self._schedule("probe", model.PROBE_BACKOFF[0])
        self._changed()
        if not slot.manual and (owner := self._owners.get(slot.entry_id)):
            owner.requeue(slot)

    # Deciding.

    def _victim_for(self, priority: Priority) -> Slot | None:
        return policy.victim(
            self.shown, priority, dt_util.utcnow(), self._last_preemption, self._owners
        )

    def _take_for_preemption(self, victim: Slot) -> None:
        self._last_preemption = dt_util.utcnow()
        del self.slots[victim.slot_id]
        _LOGGER.debug("Slot of %s taken by a more important activity", victim.name)

    def _hold(
        self,
        slot_id: str,
        entry_id: str,
        name: str,
        priority: Priority,
        *,
        manual: bool = False,
    ) -> None:
        self.slots[slot_id] = Slot(
            slot_id, entry_id, name, priority, dt_util.utcnow(), True, manual=manual
        )
        self._changed()

    def _expire_manual(self) -> bool:
        """Forget manual activities iOS has removed by now; True if there were any."""
        limit = dt_util.utcnow() - MANUAL_LIFETIME
        expired = [s for s in self.shown if s.manual and s.since < limit]
        for slot in expired:
            del self.slots[slot.slot_id]
        if expired:
            self._changed()
        return bool(expired)

    @callback
    def _reconsider(self, *_: Any) -> None:
        """Start what waits while slots are free; preempt for what matters more."""
        self._expire_manual()
        if manual := [s.since for s in self.shown if s.manual]:  # wake to free it
            due = min(manual) + MANUAL_LIFETIME - dt_util.utcnow()
            self._schedule("expiry", max(due, timedelta(seconds=1)))
        for slot in self.waiting:
            if (owner := self._owners.get(slot.entry_id)) is None:
                continue  # its entry is not loaded: it waits for it
            victim = None
            if self.free == 0:
                if (victim := self._victim_for(slot.priority)) is None:
                    self._schedule_next_chance(slot.priority)
                    return
                self._take_for_preemption(victim)
            slot.waiting_since = slot.since
            slot.shown, slot.since = True, dt_util.utcnow()
            self._changed()
            self._run(self._show(owner, slot, victim))

    async def _show(self, owner: SlotOwner, slot: Slot, victim: Slot | None) -> None:
        if victim is not None:
            await self._preempt(victim)
        await owner.async_show_waiting(slot)

    async def _preempt(self, victim: Slot) -> None:
        """End `victim` (its owner ends it and puts it on the waiting list)."""
        if (owner := self._owners.get(victim.entry_id)) is not None:
            await owner.async_preempt(victim)

    def preempt(self, victim: Slot) -> Coroutine[Any, Any, None]:
        """End a victim that `admit` chose (awaited before the start goes out)."""
        return self._preempt(victim)

    def _schedule_next_chance(self, priority: Priority) -> None:
        """Look again when a preemption for `priority` could happen."""
        at = policy.next_chance(self.shown, priority, self._last_preemption)
        if at is not None:
            delay = max(at - dt_util.utcnow(), timedelta(seconds=1))
            self._schedule("chance", delay)

    def _schedule(self, timer: str, delay: timedelta) -> None:
        if (cancel := self._timers.pop(timer, None)) is not None:
            cancel()
        if not self.attached:
            return

        @callback
        def fired(_now: datetime) -> None:
            del self._timers[timer]
            if timer == "probe":
                self._probe()
            self._reconsider()

        self._timers[timer] = async_call_later(self._hass, delay, fired)

    def _probe(self) -> None:
        """Try one of the slots the other clients held: the next start tells."""
        if self.waiting:
            self.others = max(0, self.others - 1)
        else:
            self.others = 0  # nothing to learn with: the next start finds out
        self._changed()

    def _run(self, job: Coroutine[Any, Any, None]) -> None:
        self._hass.async_create_background_task(job, f"{DOMAIN} slots")

    def _changed(self, *, visible: bool = True) -> None:
        """Save (soon); tell the slots sensors when what they show changed."""
        self.on_change()
        if visible:
            async_dispatcher_send(self._hass, signal_slots(self.ledger_id))

    @callback
    def async_stop(self) -> None:
        """Cancel the timers (the last entry of the key unloaded)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        self.on_idle()

    def describe_shown(self) -> str:
        """Who holds the slots, for a message: "Door (normal), Battery (low)"."""
        shown = ", ".join(f"{s.name} ({s.priority.label})" for s in self.shown)
        return shown or "-"

    def as_dict(self) -> dict[str, Any]:
        """What is shown and what waits (the slots sensor and diagnostics)."""
        return {
            "capacity": self.capacity,
            "others": self.others,
            "shown": [slot.as_dict() for slot in self.shown],
            "waiting": [slot.as_dict() for slot in self.waiting],
        }


def _by_since(slot: Slot) -> datetime:
    return slot.since
