"""What a loaded ActivitySmith config entry carries at runtime."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import service

from .activities import ActivityTracker
from .api import ActivitySmithClient
from .const import DOMAIN

type ActivitySmithConfigEntry = ConfigEntry[ActivitySmithData]
type ActionHandler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


@dataclass(slots=True)
class ActivitySmithData:
    """Runtime data of one config entry."""

    client: ActivitySmithClient
    activities: ActivityTracker


def entry_for(
    call: ServiceCall, entry_id: str | None = None
) -> ActivitySmithConfigEntry:
    """The loaded entry an action is for: `entry_id`, the one named, or the only one."""
    entry: ActivitySmithConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, entry_id or call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    return entry
