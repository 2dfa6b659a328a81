"""What the slot ledger asks of an entry: start what waited, end what must yield.

The ledger (`slots`) decides who is shown; `EntrySlots` carries its decisions out for
one entry: a stream through the entry's publisher, a manual Live Activity through the
client (it can only end: its id is gone once ended, so it never comes back).
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .client import ActivitySmithClient, ActivitySmithError
from .const import ATTR_AUTO_DISMISS_MINUTES
from .failures import message_of, translated
from .publisher import Asked, StreamPublisher
from .slots import Slot
from .store import ActivityTracker

_LOGGER = logging.getLogger(__name__)


class EntrySlots:
    """The entry's side of the slot ledger (a `slots.SlotOwner`)."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: ActivitySmithClient,
        activities: ActivityTracker,
        publisher: StreamPublisher,
    ) -> None:
        """Act for one entry."""
        self._hass = hass
        self._client = client
        self._activities = activities
        self._publisher = publisher

    async def async_show_waiting(self, slot: Slot) -> None:
        """Start a stream from the waiting list (the ledger holds its slot).

        A preempted one comes back with its current content, without its alert.
        """
        key = slot.slot_id
        if (waiting := self._activities.streams.running_content(key)) is None:
            self._publisher.ledger.release(key)  # nothing to show any more
            return
        asked = self._publisher.asked_for(slot)
        if slot.preempted:
            request = {k: v for k, v in asked.request.items() if k != "alert"}
            asked = Asked(request, asked.buttons_optional, asked.priority, asked.name)
        try:
            await self._publisher.put(key, waiting, asked)
        except ActivitySmithError as err:
            _LOGGER.warning(
                "Could not start %s from the waiting list: %s",
                slot.name,
                message_of(self._hass, translated(err)),
            )

    async def async_preempt(self, slot: Slot) -> None:
        """End a shown activity at once (dismissed) to give its slot to another."""
        try:
            if slot.manual:
                await self._end_manual(slot)
            else:
                self._publisher.asked_for(slot)
                await self._publisher.end_to_make_room(slot.slot_id)
        except ActivitySmithError as err:
            _LOGGER.warning(
                "Could not end %s to make room: %s",
                slot.name,
                message_of(self._hass, translated(err)),
            )

    async def _end_manual(self, slot: Slot) -> None:
        activity_id = slot.activity_id or ""
        last = self._activities.last_content(activity_id) or {}
        body: dict[str, Any] = {"activity_id": activity_id}
        if last:
            body["content_state"] = {**last, ATTR_AUTO_DISMISS_MINUTES: 0}
        response = await self._client.end_live_activity(body)
        self._activities.updated(activity_id, last, response, ended=True)

    @callback
    def requeue(self, slot: Slot) -> None:
        """ActivitySmith ended this stream to make room: it waits to come back."""
        record = self._activities.streams.get(slot.slot_id)
        if record is not None and (last := record.latest_content):
            self._publisher.asked_for(slot)
            self._publisher.wait(slot.slot_id, last, preempted=True)
