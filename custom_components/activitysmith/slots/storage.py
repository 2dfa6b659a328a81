"""Where each account's slot ledger lives: one per API key, saved across restarts.

Every entry of one key shares its ledger (the phones are the account's), loaded at
the first set-up and kept in `hass.data` across reloads. It is saved a second after
each change; what it reads back is checked leniently (a newer version's file, an
edited one), so a bad file costs what it held, never the set-up.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, Priority
from ..records import STATUS_ENDED, STATUS_WAITING
from ..store import ActivityTracker
from .ledger import SlotLedger
from .model import MAX_CAPACITY, Slot
from .watch import WaitingWatch

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1


class _LedgerStore(Store[dict[str, Any]]):
    """Another version's layout is read as it is (its slots are read leniently)."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        return old_data


async def async_ledger_for(hass: HomeAssistant, key_id: str) -> SlotLedger:
    """The ledger of the account behind `key_id` (a hash of the key)."""
    ledgers: dict[str, SlotLedger] = hass.data.setdefault(f"{DOMAIN}_ledgers", {})
    if (ledger := ledgers.get(key_id)) is None:
        ledger = SlotLedger(hass, key_id)
        store = _LedgerStore(hass, STORAGE_VERSION, f"{DOMAIN}.slots.{key_id}")
        try:
            saved = await store.async_load()
        except UnsupportedStorageVersionError:
            # A newer version's file (a downgrade): start afresh; the entries'
            # records bring back what is shown when they set up.
            _LOGGER.warning("Ignored the saved Live Activity slots of a newer version")
            saved = None
        _restore(ledger, saved)
        if (known := ledgers.get(key_id)) is not None:  # loaded meanwhile
            return known
        ledgers[key_id] = ledger
        watch = WaitingWatch(hass, ledger)

        save_scheduled = False

        def data_to_save() -> dict[str, Any]:
            nonlocal save_scheduled
            save_scheduled = False
            return _saved(ledger)

        def changed() -> None:
            # One pending save covers every change until it is written.
            nonlocal save_scheduled
            if not save_scheduled:
                save_scheduled = True
                store.async_delay_save(data_to_save, SAVE_DELAY)
            watch.check()

        ledger.on_change = changed
        ledger.on_idle = watch.stop
    return ledger


@callback
def reconcile(ledger: SlotLedger, entry_id: str, activities: ActivityTracker) -> None:
    """Bring the ledger in line with what the entry's records say (at set-up).

    The records are the truth of what was sent and answered: an activity they say
    has ended frees its slot, one they say runs holds one (an entry of an older
    version, or a save the ledger missed), one they say waits keeps waiting.
    """
    for slot in [s for s in ledger.slots.values() if s.entry_id == entry_id]:
        if slot.manual:
            record = activities.find(slot.activity_id) if slot.activity_id else None
        else:
            record = activities.streams.get(slot.slot_id)
        if record is None or record.status == STATUS_ENDED:
            ledger.drop(slot.slot_id)
        elif slot.shown is (record.status == STATUS_WAITING):
            slot.shown = not slot.shown
            slot.confirmed = slot.shown
    known = {s.activity_id for s in ledger.slots.values() if s.manual}
    for key, record in activities.streams.items():
        if key not in ledger.slots and record.status != STATUS_ENDED:
            shown = record.status != STATUS_WAITING
            name = str(record.latest_content.get("title") or key)
            ledger.adopt(
                Slot(
                    key,
                    entry_id,
                    name,
                    Priority.NORMAL,
                    record.started_at,
                    shown,
                    confirmed=shown,
                )
            )
    for record in activities.recent.values():
        if record.status != STATUS_ENDED and record.activity_id not in known:
            slot_id = manual_slot_id(record.activity_id or "")
            name = str(record.content_state.get("title") or record.activity_id)
            ledger.adopt(
                Slot(
                    slot_id,
                    entry_id,
                    name,
                    Priority.NORMAL,
                    record.started_at,
                    shown=True,
                    manual=True,
                    activity_id=record.activity_id,
                    confirmed=True,
                )
            )


def manual_slot_id(activity_id: str) -> str:
    """The slot of a manual Live Activity (streams use their stream key)."""
    return f"activity:{activity_id}"


def _saved(ledger: SlotLedger) -> dict[str, Any]:
    return {
        "capacity": ledger.capacity,
        "slots": [
            {
                "slot_id": slot.slot_id,
                "entry_id": slot.entry_id,
                "name": slot.name,
                "priority": slot.priority.label,
                "since": slot.since.isoformat(),
                "shown": slot.shown,
                "preempted": slot.preempted,
                "manual": slot.manual,
                "activity_id": slot.activity_id,
                "confirmed": slot.confirmed,
                "request": slot.request,
            }
            for slot in ledger.slots.values()
        ],
    }


def _restore(ledger: SlotLedger, saved: object) -> None:
    """Read what was saved; what cannot be read is dropped with a warning."""
    if saved is None:
        return
    if not isinstance(saved, dict):
        _LOGGER.warning("Ignored the unreadable saved Live Activity slots")
        return
    capacity = saved.get("capacity")
    if type(capacity) is int and 1 <= capacity <= MAX_CAPACITY:
        ledger.capacity = capacity
    stored = saved.get("slots")
    dropped = 0
    for item in stored if isinstance(stored, list) else ():
        if (slot := _slot_from(item)) is None:
            dropped += 1
            continue
        ledger.slots[slot.slot_id] = slot
    if dropped or not isinstance(stored, list | None):
        _LOGGER.warning(
            "Ignored %s unreadable saved Live Activity slots", dropped or "all"
        )


def _slot_from(item: object) -> Slot | None:
    if not isinstance(item, dict):
        return None
    texts = [item.get(name) for name in ("slot_id", "entry_id", "name", "since")]
    if not all(isinstance(text, str) and text for text in texts):
        return None
    since = dt_util.parse_datetime(item["since"])
    request = item.get("request", {})
    activity_id = item.get("activity_id")
    if (
        since is None
        or not isinstance(request, dict)
        or not isinstance(activity_id, str | None)
    ):
        return None
    try:
        priority = Priority.parse(str(item.get("priority")))
    except ValueError:
        priority = Priority.NORMAL  # a level of a newer version
    return Slot(
        item["slot_id"],
        item["entry_id"],
        item["name"],
        priority,
        min(since, dt_util.utcnow()),
        shown=item.get("shown") is True,
        preempted=item.get("preempted") is True,
        manual=item.get("manual") is True,
        activity_id=activity_id,
        confirmed=item.get("confirmed") is True,
        request=request,
    )
