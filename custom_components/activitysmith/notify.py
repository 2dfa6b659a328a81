"""The notify entity: `notify.send_message` as an ActivitySmith push notification."""

from __future__ import annotations

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import NotifyEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .entity import ActivitySmithEntity
from .failures import call_api
from .models import ActivitySmithConfigEntry

# Each message is one request; the client's budget, not the platform, paces them.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's notify entity."""
    async_add_entities([ActivitySmithNotifyEntity(entry)])


class ActivitySmithNotifyEntity(ActivitySmithEntity, NotifyEntity):
    """Sends push notifications to the phones the API key reaches."""

    _attr_translation_key = "push"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: ActivitySmithConfigEntry) -> None:
        """One per entry."""
        super().__init__(entry, "push")
        self._entry = entry

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a push; without a title the message itself is the headline."""
        if not message.strip():
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="empty_message"
            )
        body = {"title": title, "message": message} if title else {"title": message}
        client = self._entry.runtime_data.client
        await call_api(self.hass, self._entry, client.send_push_notification(body))
