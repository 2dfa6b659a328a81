"""The notify entities: `notify.send_message` as an ActivitySmith push notification.

One for the entry (every phone the key reaches), and one per recipient, on the
recipient's device: it sends to the recipient's channels only, whatever presence.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import NotifyEntityFeature
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .entity import ActivitySmithEntity, async_add_per_tracked_entity
from .failures import call_api
from .models import ActivitySmithConfigEntry
from .recipient_issues import call_api_for
from .recipients import RECIPIENT_MODEL, recipient_subentries, resolve

# Each message is one request; the client's budget, not the platform, paces them.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's notify entity, and one per recipient as they are added."""
    async_add_entities([ActivitySmithNotifyEntity(entry)])
    async_add_per_tracked_entity(
        hass,
        entry,
        async_add_entities,
        lambda subentry: RecipientNotifyEntity(entry, subentry),
        recipient_subentries,
    )


def _push_body(message: str, title: str | None) -> dict[str, Any]:
    """Without a title the message itself is the headline."""
    if not message.strip():
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="empty_message"
        )
    return {"title": title, "message": message} if title else {"title": message}


class ActivitySmithNotifyEntity(ActivitySmithEntity, NotifyEntity):
    """Sends push notifications to the phones the API key reaches."""

    _attr_translation_key = "push"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry."""
        super().__init__(entry, "push")
        self._entry = entry

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a push to every phone of the key."""
        body = _push_body(message, title)
        client = self._entry.runtime_data.client
        await call_api(self.hass, self._entry, client.send_push_notification(body))


class RecipientNotifyEntity(ActivitySmithEntity, NotifyEntity):
    """Sends push notifications to one recipient's channels."""

    _attr_translation_key = "push"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(
        self, entry: ActivitySmithConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """On the recipient's own device."""
        super().__init__(
            entry, f"recipient_{subentry.subentry_id}", subentry, model=RECIPIENT_MODEL
        )
        self._entry = entry
        self._subentry_id = subentry.subentry_id

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a push to the recipient's channels (never to the whole key)."""
        body = _push_body(message, title)
        delivery = resolve(self.hass, self._entry, [self._subentry_id])
        body["target"] = {"channels": list(delivery.channels)}
        client = self._entry.runtime_data.client
        await call_api_for(
            self.hass, self._entry, delivery, client.send_push_notification(body)
        )
