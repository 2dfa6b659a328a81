"""What every action handler shares: its signature and the entry a call is for."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import service

from .const import DOMAIN
from .models import ActivitySmithConfigEntry

type ActionHandler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


def entry_for(
    call: ServiceCall, entry_id: str | None = None
) -> ActivitySmithConfigEntry:
    """The loaded entry an action is for: `entry_id`, the one named, or the only one."""
    entry: ActivitySmithConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, entry_id or call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    return entry
