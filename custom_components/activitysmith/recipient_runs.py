"""A run's recipients: decided when a Live Activity starts, kept until it ends.

A stream that started with recipients sends their channels with every update, so a
rotation to a fresh activity reaches the same phones (never the whole key), whoever
comes home or leaves meanwhile. `stream_delivery` does it for the stream action (the
runtime data remembers the runs by stream key), `RunRecipients` for a tracked entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .recipients import (
    ATTR_PRESENCE,
    ATTR_RECIPIENTS,
    CONF_CHANNELS,
    Delivery,
    Presence,
    asked,
    delivery_for,
    recipients_of,
    resolve,
)


def stream_delivery(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    data: Mapping[str, Any],
    runs: dict[str, Delivery],
    *,
    stream_key: str,
    running: bool,
) -> tuple[dict[str, Any], Delivery | None]:
    """`delivery_for` a stream: its recipients are fixed while it runs.

    A running stream that started with recipients keeps their channels for every
    update (a rotation must not reach the whole key), whoever comes or goes;
    `runs` remembers them by stream key until the stream stops.
    """
    asked(data)
    fixed = runs.get(stream_key) if running else None
    if fixed is not None and CONF_CHANNELS not in data:
        request = {
            key: value
            for key, value in data.items()
            if key not in (ATTR_RECIPIENTS, ATTR_PRESENCE)
        }
        return request | {CONF_CHANNELS: list(fixed.channels)}, fixed
    request, delivery = delivery_for(hass, entry, data)
    if delivery is None:
        runs.pop(stream_key, None)
    elif delivery.sent:
        runs[stream_key] = delivery
    return request, delivery


class RunRecipients:
    """A tracked entity's recipients for its current run."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        recipient_ids: tuple[str, ...],
        presence: str,
    ) -> None:
        """Nothing is resolved before the first send."""
        self._hass = hass
        self._entry = entry
        self._ids = recipient_ids
        self._presence = presence
        self.delivery: Delivery | None = None

    def people(self) -> list[str]:
        """The person entities of the chosen recipients (to follow their presence)."""
        known = recipients_of(self._entry)
        return [
            person
            for rid in self._ids
            if rid in known and (person := known[rid].person) is not None
        ]

    def for_send(self, running: bool) -> Delivery:
        """Where the next update goes: resolved anew unless a run goes on.

        A run already going when this copy started (a restart, a change) goes on to
        every chosen recipient, whatever presence: it is on their phones already.
        """
        if self.delivery is None or not self.delivery.sent or not running:
            presence = Presence.ANYONE if running else self._presence
            self.delivery = resolve(
                self._hass, self._entry, self._ids, presence, strict=False
            )
        return self.delivery
