"""The ledger of the few Live Activities a phone shows, one per ActivitySmith account.

iOS shows only a few Live Activities per app on a phone (the API's limit answer says
how many; 4 until it has said anything). Every start of this Home Assistant passes
through the ledger of its API key, shared by every entry of that key:
- with a slot free, the start goes out at once (it holds the slot while in flight, so
  there is never more than one attempt per free slot);
- at capacity, a start of higher priority ends the lowest-priority activity shown
  (not before it was shown for `MIN_SHOWN`, never a critical one, at most one such
  preemption per `PREEMPT_EVERY`), and the ended one waits to come back;
- otherwise it waits: by priority, oldest first within a level, the newest content
  per activity kept. A freed slot starts the first waiting one at once.

Activities started elsewhere on the account are invisible until a limit answer
arrives while the ledger thinks there is room: then the ledger counts them as
`others`, holds, and probes with backoff until the refusals stop.

The ledger (`ledger`, its rules in `policy`) decides; each entry's `SlotOwner`
(`slot_owner.EntrySlots`) sends and ends. What it knows is saved (`storage`) and
reconciled with the entries' records at set-up; `watch` raises its one repair.
"""

from .ledger import SlotLedger
from .model import Admission, Slot, SlotOwner, signal_slots
from .storage import async_ledger_for, manual_slot_id, reconcile

__all__ = [
    "Admission",
    "Slot",
    "SlotLedger",
    "SlotOwner",
    "async_ledger_for",
    "manual_slot_id",
    "reconcile",
    "signal_slots",
]
